#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# How far procctld is from the least any process service on the bus can
# cost: bench/spawn-wait against bench/bus-floor (Spawn, Wait and Release
# answered with posix_spawn in a new session and nothing else: no checks,
# no records, no signals, no cgroup), as it is and with the scheduling slice
# procctld asks for, then against procctld without and with a cgroup per
# process, then the floor again; each on a private bus of its own and each
# against the same client's posix_spawn+waitpid measured in the same run.
#
#   bench/floor.sh [spawn-wait options]            e.g. bench/floor.sh -n 3000
#
# As root (the cgroup case needs it; otherwise it is left out).  Builds
# first if needed (in build/, or $BUILD_DIR).

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}

source "$src/tests/private-bus.sh"
private_bus_build_tree

base_daemon_args=("${pb_daemon_args[@]}")

# One service on a bus of its own: NAME PROGRAM [ARGS...]
measure() {
    local name=$1
    shift
    pb_daemon_args=("${base_daemon_args[@]}")
    private_bus_init procctl-floor
    private_bus_start
    if [[ $1 == --cgroup ]]; then
        shift
        private_bus_cgroup
    fi
    procctld_start "$@"
    procctld_wait
    echo "== $name"
    "$build/bench/spawn-wait" --address="$pb_address" "${spawn_wait_args[@]}" | grep -E "^(local|daemon Spawn|ratio)"
    private_bus_cleanup
    pb_daemon_pid= pb_bus_pid= pb_cgroup_dir= pb_dir=
    echo
}
trap private_bus_cleanup EXIT
trap 'exit 130' INT TERM

spawn_wait_args=("$@")
echo "$(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
measure "the floor (bench/bus-floor)" "$build/bench/bus-floor"
measure "the floor with procctld's short slice (bench/bus-floor --short-slice)" "$build/bench/bus-floor" --short-slice
measure "procctld --cgroup=no" "$build/daemon/procctld" --cgroup=no
if [[ $EUID -eq 0 ]]; then
    measure "procctld, a cgroup per process" --cgroup "$build/daemon/procctld"
fi
measure "the floor with procctld's short slice, again" "$build/bench/bus-floor" --short-slice
