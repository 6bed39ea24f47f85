#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Process ids never repeat, not even after the daemon restarts without the
# fd store (a crash outside systemd, or procctld started again by hand): a
# path a caller kept never names another process.  Runs procctld twice on
# one private bus with one runtime directory, and once more with that
# directory's record lost, which is the one case where ids may start again.

set -euo pipefail

procctld=${PROCCTLD:?PROCCTLD must name the built daemon}
source "$(dirname "$0")/private-bus.sh"
private_bus_init procctl-test-ids
trap private_bus_cleanup EXIT

spawn_id() {
    local reply
    reply=$(env "$pb_bus_env=$pb_address" busctl "${pb_busctl_args[@]}" call org.procctl.Manager1 \
        /org/procctl/Manager1 org.procctl.Manager1 Spawn 'asa{sv}' 1 /bin/true 0)
    reply=${reply#*process/}
    echo "${reply%%\"*}"
}

restart_daemon() {
    kill -TERM "$pb_daemon_pid"
    wait "$pb_daemon_pid" || true
    pb_daemon_pid=
    procctld_start "$procctld"
    procctld_wait
}

if [[ $EUID -eq 0 ]]; then pb_busctl_args=(--system); else pb_busctl_args=(--user); fi

private_bus_start
procctld_start "$procctld"
procctld_wait

first=$(spawn_id)
second=$(spawn_id)
[[ $second -gt $first ]] || { echo "not ok: ids $first then $second" >&2; exit 1; }

restart_daemon
after=$(spawn_id)
if [[ $after -le $second ]]; then
    echo "FAIL: after a restart without the fd store the daemon gave id $after again (had given $first, $second)" >&2
    exit 1
fi
echo "ids $first, $second; after a restart $after"

[[ -s $pb_dir/run/next-id ]] || { echo "FAIL: no record in $pb_dir/run/next-id" >&2; exit 1; }
echo "ok"
