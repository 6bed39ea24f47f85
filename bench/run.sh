#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs bench/spawn-wait against the procctld of a build tree, on a private
# bus that lives only as long as this script:
#
#   bench/run.sh [--bus=BUS] [spawn-wait options]   e.g. bench/run.sh -n 5000
#
# As root it measures three callers side by side on one daemon, each against
# its own posix_spawn+waitpid: root starting a program as root (the
# vfork-style child), root starting it as nobody (through procctl-exec), and
# nobody starting it as itself (authorization and identity switch included;
# polkit is not on this bus).
#
# Builds first if needed (in build/, or $BUILD_DIR). As root, the bus is a
# system-type bus with the project's own policy and procctld runs as a
# system daemon; otherwise it is a session-type bus and procctld --user.
# BUS is dbus-daemon (the default; Debian's system bus) or dbus-broker
# (Fedora's and Arch's; needs Debian's dbus-broker package and the test
# suite built), as PROCCTL_TEST_BUS is for tests/private-bus.sh; the first
# line printed names it.

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}

if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" "$src"
fi
ninja -C "$build" >/dev/null || ninja -C "$build"

if [[ ${1:-} == --bus=* ]]; then
    export PROCCTL_TEST_BUS=${1#--bus=}
    shift
fi

source "$src/tests/private-bus.sh"
private_bus_init procctl-bench
trap private_bus_cleanup EXIT
trap 'exit 130' INT TERM

private_bus_start
procctld_start "$build/daemon/procctld"
procctld_wait
address=$pb_address

version=$(busctl --address="$address" get-property org.procctl.Manager1 \
    /org/procctl/Manager1 org.procctl.Manager1 Version | sed -E 's/^s "(.*)"$/\1/')
echo "procctld $version on $pb_bus, $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $EUID -ne 0 ]]; then
    "$build/bench/spawn-wait" --address="$address" "$@"
    exit
fi

echo
echo "== root, program as root (target: Spawn+Wait <= 1.3x its posix_spawn+waitpid)"
"$build/bench/spawn-wait" --address="$address" "$@"
echo
echo "== root, program as nobody (through procctl-exec)"
"$build/bench/spawn-wait" --address="$address" --spawn-user=nobody "$@"
echo
echo "== nobody, program as itself (target: Spawn+Wait <= 1.5x its own posix_spawn+waitpid)"
chmod 755 "$pb_dir"   # nobody reaches the bus socket
setpriv --reuid=65534 --regid=65534 --clear-groups "$build/bench/spawn-wait" --address="$address" "$@"
