#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/dev-bus.sh, as the README says to use it: it prints an export line;
# pasted, procctl works against the private bus; SIGTERM (Ctrl-C at a
# terminal) stops procctld and dbus-daemon.
#
# Usage: test-dev-bus.sh SOURCE_ROOT BUILD_ROOT

set -euo pipefail

src=$1
export BUILD_DIR=$2
fail() { echo "FAIL: $*" >&2; [[ -f ${out:-} ]] && cat "$out" >&2; exit 1; }

out=$(mktemp)
trap 'kill "$dev" 2>/dev/null || true; rm -f "$out"' EXIT
"$src/tests/dev-bus.sh" >"$out" 2>&1 &
dev=$!

# Until the export line appears, or the script ends (a failure), or 60 s.
for ((i = 0; i < 600; i++)); do
    grep -q '^export ' "$out" && break
    kill -0 "$dev" 2>/dev/null || fail "dev-bus.sh ended"
    sleep 0.1
done
line=$(grep '^export ' "$out") || fail "no export line"
eval "$line"
echo "ok: pasted: $line"

user_option=()
[[ $EUID -eq 0 ]] || user_option=(--user)
[[ $(command -v procctl) == "$BUILD_DIR/client/procctl" ]] || fail "procctl is not the built one"
[[ $(procctl "${user_option[@]}" run -- echo hello) == hello ]] || fail "procctl run on the dev bus"
procctl "${user_option[@]}" list >/dev/null || fail "procctl list on the dev bus"
echo "ok: procctl works on it"

daemon=$(sed -nE 's/^procctld \(pid ([0-9]+)\).*dbus-(daemon|broker) pid ([0-9]+).*/\1/p' "$out")
bus=$(sed -nE 's/^procctld \(pid ([0-9]+)\).*dbus-(daemon|broker) pid ([0-9]+).*/\3/p' "$out")
[[ -n $daemon && -n $bus ]] || fail "no PIDs printed"

kill -TERM "$dev"
wait "$dev" || fail "dev-bus.sh exited with $? on SIGTERM"
for pid in "$daemon" "$bus"; do
    # They are gone once the script has ended: it waits for them.
    if kill -0 "$pid" 2>/dev/null && ! grep -q zombie "/proc/$pid/status" 2>/dev/null; then
        fail "process $pid still runs after dev-bus.sh ended"
    fi
done
grep -q "Stopping procctld and the bus." "$out" || fail "no goodbye"
echo "ok: SIGTERM stopped procctld and the bus"
