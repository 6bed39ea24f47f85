#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The quick start of the README, on a fresh Debian 12:
#
#   sudo tests/quickstart.sh
#
# Installs what building and running need (.ci/deps, without CI's extras),
# builds into build/ (or $BUILD_DIR) configured with --prefix=/usr as the
# README's install commands expect, starts a private bus and procctld on it,
# and shows Spawn, Signal, Wait, ListProcesses and Release working, with
# busctl and, once it is built, the procctl CLI. Nothing is installed from
# the tree and nothing touches the real system bus: the bus and the daemon
# live only as long as this script (tests/dev-bus.sh keeps them up).
#
# As root the private bus is a system-type bus using the project's own bus
# policy, and procctld runs as the system daemon would. As any other user it
# is a session-type bus, and procctld runs as a per-user instance (--user).
#
# Exits non-zero if any step does not give the expected result.

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

# Prints a command the way a user would type it (quoting only where needed).
show() {
    local out='$' a
    for a in "$@"; do
        if [[ $a =~ ^[][A-Za-z0-9_./:=@%+{}-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "$out"
}

# --- 1. dependencies ---------------------------------------------------------

step "Installing dependencies (.ci/deps)"
if [[ $EUID -eq 0 ]]; then
    "$src/.ci/deps"
elif command -v sudo >/dev/null; then
    sudo "$src/.ci/deps"
else
    echo "Not root and no sudo: assuming the dependencies are installed."
fi

# --- 2. build ----------------------------------------------------------------

step "Building into $build"
# --prefix=/usr: what Debian's system bus, systemd and polkit read, so that
# the README's install commands can use this build as it is.
if [[ ! -f $build/build.ninja ]]; then
    out=$(meson setup --prefix=/usr "$build" "$src" 2>&1) || { echo "$out"; fail "meson setup failed"; }
else
    out=$(meson configure -Dprefix=/usr "$build" 2>&1) || { echo "$out"; fail "meson configure failed"; }
fi
ninja -C "$build" >/dev/null || { ninja -C "$build"; fail "build failed"; }
echo "Built $build/daemon/procctld"

# --- 3. a private bus and procctld on it ------------------------------------

source "$src/tests/private-bus.sh"
private_bus_init procctl-quickstart
# Failures of the bus or the daemon end the script the way every other
# failure here does.
private_bus_die() { cat "$2" >&2; fail "$1"; }

cleanup() {
    set +e
    if [[ -n $pb_daemon_pid ]] && kill -0 "$pb_daemon_pid" 2>/dev/null; then
        # Stop whatever a failed run may have left running, then the daemon.
        busctl --address="$pb_address" --json=short call org.procctl.Manager1 \
                /org/procctl/Manager1 org.procctl.Manager1 ListProcesses 2>/dev/null |
            python3 -c 'import json, sys
for p in json.load(sys.stdin)["data"][0]:
    if p[3] == "running":
        print(p[0])' 2>/dev/null |
            while read -r object; do
                busctl --address="$pb_address" call org.procctl.Manager1 \
                    /org/procctl/Manager1 org.procctl.Manager1 Stop o "$object" >/dev/null
            done
    fi
    private_bus_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $EUID -eq 0 ]]; then
    bus_kind="system-type bus with policy/org.procctl.Manager1.conf"
else
    bus_kind="session-type bus (not root: procctld --user)"
fi

step "Starting a private $bus_kind"
private_bus_start
private_bus_cgroup
address=$pb_address
echo "Bus address: $address"

procctld_start "$build/daemon/procctld"
pb_wait_message="procctld did not take its bus name"
procctld_wait
echo "procctld is running (pid $pb_daemon_pid) and owns org.procctl.Manager1."
echo "Every busctl command below is run with --address=$address."

# --- 4. the demo ----------------------------------------------------------------

# busctl on the private bus, shown as the user would type it on the real one.
bctl() {
    show busctl "$@"
    busctl --address="$address" "$@"
}
manager() {
    bctl call org.procctl.Manager1 /org/procctl/Manager1 org.procctl.Manager1 "$@"
}
# "ou "/org/procctl/Manager1/process/1" 1234" -> /org/procctl/Manager1/process/1
object_of() { sed -nE 's/^ou "([^"]+)" [0-9]+$/\1/p' <<<"$1"; }
# "si "killed" 15" -> killed 15
exit_of() { sed -nE 's/^si "([^"]*)" (-?[0-9]+)$/\1 \2/p' <<<"$1"; }

step "The daemon"
bctl get-property org.procctl.Manager1 /org/procctl/Manager1 org.procctl.Manager1 \
    Version Features ProcessCount

step "Spawn /bin/sleep 30"
out=$(manager Spawn 'asa{sv}' 2 /bin/sleep 30 0 2>&1) || { echo "$out"; fail "Spawn failed"; }
echo "$out"
sleeper=$(object_of "$out")
[[ -n $sleeper ]] || fail "unexpected Spawn reply"

step "Signal it with SIGTERM (15), then Wait for it"
manager Signal oi "$sleeper" 15
out=$(manager Wait o "$sleeper" 2>&1) || { echo "$out"; fail "Wait failed"; }
echo "$out"
result=$(exit_of "$out")
echo "-> $result"
[[ $result == "killed 15" ]] || fail "expected \"killed 15\""

step "Spawn /bin/sh -c 'exit 3', and Wait for it"
# ("--" keeps busctl from taking -c for an option of its own.)
out=$(manager Spawn 'asa{sv}' 3 -- /bin/sh -c 'exit 3' 0 2>&1) || { echo "$out"; fail "Spawn failed"; }
echo "$out"
shell=$(object_of "$out")
[[ -n $shell ]] || fail "unexpected Spawn reply"
out=$(manager Wait o "$shell" 2>&1) || { echo "$out"; fail "Wait failed"; }
echo "$out"
result=$(exit_of "$out")
echo "-> $result"
[[ $result == "exited 3" ]] || fail "expected \"exited 3\""

step "A program that cannot start is an error reply, not a child exiting 127"
if out=$(manager Spawn 'asa{sv}' 1 /nonexistent 0 2>&1); then
    echo "$out"
    fail "Spawn of /nonexistent succeeded"
fi
echo "$out"

step "Exit statuses stay until released: ListProcesses, Release, ListProcesses"
manager ListProcesses
bctl get-property org.procctl.Manager1 "$shell" org.procctl.Process1 State ExitReason ExitStatus
manager Release o "$sleeper"
manager Release o "$shell"
manager ListProcesses

# --- 5. the CLI, once it is built ----------------------------------------------

procctl=$build/client/procctl
if [[ -x $procctl ]]; then
    pctl() {
        show procctl "$@"
        "$procctl" --address="$address" "$@"
    }

    step "The same with the procctl CLI (run with --address=$address)"
    out=$(pctl run -- echo hello 2>&1) || { echo "$out"; fail "procctl run failed"; }
    echo "$out"
    [[ $(tail -n1 <<<"$out") == hello ]] || fail "procctl run did not forward stdout"

    out=$(pctl spawn --description demo -- sleep 30 2>&1) || { echo "$out"; fail "procctl spawn failed"; }
    echo "$out"
    # The new process's id: the last number of the object path, else the
    # first number printed.
    id=$(grep -oE '/process/[0-9]+' <<<"$out" | head -n1 | grep -oE '[0-9]+$' || true)
    [[ -n $id ]] || id=$(grep -oE '[0-9]+' <<<"$out" | head -n1 || true)
    [[ -n $id ]] || fail "cannot find the id in the output of procctl spawn"
    pctl list
    pctl kill -s TERM "$id"
    pctl wait "$id" || true   # its exit code reflects the process's end

    step "Output kept by the daemon, a process tree, a restart policy"
    out=$(pctl spawn --output=capture -- sh -c 'echo out; echo err >&2; setsid sleep 30 & sleep 30' 2>&1) ||
        { echo "$out"; fail "procctl spawn --output=capture failed"; }
    echo "$out"
    tree=$(grep -oE '/process/[0-9]+' <<<"$out" | head -n1 | grep -oE '[0-9]+$' || true)
    [[ -n $tree ]] || fail "cannot find the id in the output of procctl spawn"
    pctl status "$tree"      # with a cgroup: the whole tree; then the last lines of output
    pctl stop "$tree" || true   # the whole tree, the setsid sleep too
    out=$(pctl logs "$tree" 2>&1) || true
    echo "$out"
    grep -qx out <<<"$out" || fail "procctl logs did not print the captured output"
    out=$(pctl spawn --restart=on-failure --restart-delay=100ms --restart-limit=2/1min -- sh -c 'exit 4' 2>&1) ||
        { echo "$out"; fail "procctl spawn --restart failed"; }
    echo "$out"
    flappy=$(grep -oE '/process/[0-9]+' <<<"$out" | head -n1 | grep -oE '[0-9]+$' || true)
    pctl wait "$flappy" || true   # exits 4 after its two restarts
    pctl list
else
    step "No CLI built yet ($procctl): skipping the procctl part"
fi

step "Done: stopping procctld and the private bus"
echo "To keep a bus and procctld up and try procctl by hand: tests/dev-bus.sh"
