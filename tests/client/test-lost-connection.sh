#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# When procctld goes away under a running `procctl run`, procctl says "lost
# the connection to procctld", as procctl(1) promises, and exits 125 (not
# sd-bus's "recipient disconnected").  The daemon is a stand-in that leaves
# in the middle of Wait (daemon-that-leaves.py), on a bus of this test's.
#
# Usage: test-lost-connection.sh PROCCTL

set -euo pipefail

procctl=$1
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

# The quick start's private bus, with the project's policy; the stand-in
# takes procctld's place on it.
source "$here/../private-bus.sh"
private_bus_init procctl-lost
private_bus_die() { cat "$2" >&2; fail "$1"; }
cleanup() {
    [[ -n ${daemon_PID:-} ]] && kill "$daemon_PID" 2>/dev/null || true
    private_bus_cleanup
}
trap cleanup EXIT
private_bus_start
address=$pb_address

# Debian's python3 (its shebang), which python3-gi is for.
coproc daemon { "$here/daemon-that-leaves.py" "$address"; }
read -r -t 30 line <&"${daemon[0]}" || fail "the stand-in daemon did not start"
[[ $line == ready ]] || fail "the stand-in daemon said '$line'"

rc=0
err=$("$procctl" --address="$address" run -- /bin/true 2>&1 >/dev/null) || rc=$?
echo "procctl said: $err (exit $rc)"
[[ $rc -eq 125 ]] || fail "exit status $rc, expected 125"
[[ $err == "procctl: lost the connection to procctld: "* ]] || fail "expected 'lost the connection to procctld'"
[[ $(wc -l <<<"$err") -eq 1 ]] || fail "more than one line"
echo "ok: lost the connection to procctld"
