#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs bench/spawn-wait against the procctld of a build tree, on a private
# bus that lives only as long as this script:
#
#   bench/run.sh [--bus=BUS] [--cgroup=no|--clone-into-cgroup=no] [spawn-wait options]
#                                                         e.g. bench/run.sh -n 5000
#
# As root it measures three callers side by side on one daemon, each against
# its own posix_spawn+waitpid: root starting a program as root (the
# vfork-style child; then, with bench/spawn-busy, how soon Spawn replies
# when the program computes), root starting it as nobody (through procctl-exec), and
# nobody starting it as itself (authorization and identity switch included;
# polkit is not on this bus). Then, with Debian's polkitd started on the
# same bus (if installed; it is shown the project's actions file in a mount
# namespace of its own, as tests/auth do), nobody again: procctld asks polkit
# for the connection's first Spawn and remembers the yes a few seconds.
#
# Builds first if needed (in build/, or $BUILD_DIR). As root, the bus is a
# system-type bus with the project's own policy and procctld runs as a
# system daemon; otherwise it is a session-type bus and procctld --user.
# BUS is dbus-daemon (the default; Debian's system bus) or dbus-broker
# (Fedora's and Arch's; needs Debian's dbus-broker package and the test
# suite built), as PROCCTL_TEST_BUS is for tests/private-bus.sh; the first
# line printed names it.
#
# As root, procctld gets a cgroup of its own below the cgroup2 root to give
# each process a cgroup in (made and removed per process, as under systemd's
# Delegate=yes), removed afterwards; --cgroup=no runs it without, to see
# what a cgroup costs per spawn.  Children are created in their cgroup
# (clone3's CLONE_INTO_CGROUP); --clone-into-cgroup=no has them join it
# before exec instead, the path of kernels without it.

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}

if [[ ${1:-} == --bus=* ]]; then
    export PROCCTL_TEST_BUS=${1#--bus=}
    shift
fi
source "$src/tests/private-bus.sh" # after PROCCTL_TEST_BUS: it picks the bus
private_bus_build_tree

use_cgroup=1
clone_args=()
if [[ ${1:-} == --cgroup=no ]]; then
    use_cgroup=
    shift
elif [[ ${1:-} == --clone-into-cgroup=no ]]; then
    clone_args=(--clone-into-cgroup=no)
    shift
fi

private_bus_init procctl-bench
polkitd=/usr/lib/polkit-1/polkitd
polkit_policy=/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
polkitd_pid=
if [[ $EUID -eq 0 && -x $polkitd && -f $polkit_policy ]]; then
    pb_bus_includes+=("$polkit_policy")
fi
bench_cleanup() {
    if [[ -n $polkitd_pid ]]; then
        kill -TERM "$polkitd_pid" 2>/dev/null || true
        wait "$polkitd_pid" 2>/dev/null || true
    fi
    private_bus_cleanup
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

private_bus_start
cgroup_args=(--cgroup=no)
if [[ -n $use_cgroup ]]; then
    private_bus_cgroup
    cgroup_args=()
fi
procctld_start "$build/daemon/procctld" "${cgroup_args[@]}" "${clone_args[@]}"
procctld_wait
address=$pb_address

version=$(busctl --address="$address" get-property org.procctl.Manager1 \
    /org/procctl/Manager1 org.procctl.Manager1 Version | sed -E 's/^s "(.*)"$/\1/')
echo "procctld $version on $pb_bus (${cgroup_args[*]:-${pb_cgroup_dir:+--cgroup=$pb_cgroup_dir}}${clone_args[*]:+ ${clone_args[*]}}), $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $EUID -ne 0 ]]; then
    "$build/bench/spawn-wait" --address="$address" "$@"
    exit
fi

echo
echo "== root, program as root (target: Spawn+Wait <= 1.3x its posix_spawn+waitpid)"
"$build/bench/spawn-wait" --address="$address" "$@"
echo
echo "== root, a program that computes: how soon Spawn replies (posix_spawn alike returns after the exec)"
"$build/bench/spawn-busy" --address="$address"
echo
echo "== root, program as nobody (through procctl-exec)"
"$build/bench/spawn-wait" --address="$address" --spawn-user=nobody "$@"
echo
echo "== root, 200 MiB of captured output (target: <= 3x a local pipe to cat >/dev/null)"
"$build/bench/output-capture" --address="$address"
echo
echo "== nobody, program as itself (target: Spawn+Wait <= 1.5x its own posix_spawn+waitpid)"
chmod 755 "$pb_dir"   # nobody reaches the bus socket
setpriv --reuid=65534 --regid=65534 --clear-groups "$build/bench/spawn-wait" --address="$address" "$@"

echo
if [[ ${#pb_bus_includes[@]} -eq 0 ]]; then
    echo "== nobody, with polkitd: skipped ($polkitd or $polkit_policy is missing)"
    exit
fi
# polkitd reads actions from /usr/share/polkit-1/actions only: it gets a
# private mount of a directory holding the project's file over it.
mkdir "$pb_dir/polkit-actions"
install -m 644 "$src/policy/org.procctl.policy" "$pb_dir/polkit-actions/"
env DBUS_SYSTEM_BUS_ADDRESS="$address" unshare --mount --propagation private \
    sh -c 'mount --bind "$1" /usr/share/polkit-1/actions && exec "$2" --no-debug' sh \
    "$pb_dir/polkit-actions" "$polkitd" 2>"$pb_dir/polkitd.log" &
polkitd_pid=$!
polkit_owned() {
    busctl --address="$address" call org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus NameHasOwner s org.freedesktop.PolicyKit1 2>/dev/null | grep -q true
}
for i in $(seq 200); do
    polkit_owned && break
    kill -0 "$polkitd_pid" 2>/dev/null || private_bus_die "polkitd exited" "$pb_dir/polkitd.log"
    (( i < 200 )) || private_bus_die "polkitd did not take org.freedesktop.PolicyKit1" "$pb_dir/polkitd.log"
    sleep 0.05
done
echo "== nobody, program as itself, polkitd on the bus (target: Spawn+Wait <= 1.5x; the first call, which asks polkit, apart)"
setpriv --reuid=65534 --regid=65534 --clear-groups "$build/bench/spawn-wait" --address="$address" "$@"
