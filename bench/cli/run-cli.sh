#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What `procctl run -- /bin/true` adds to running /bin/true directly, on a
# private bus that lives only as long as this script:
#
#   bench/cli/run-cli.sh [-n RUNS] [-w WARMUP]      (default: -n 1000 -w 50)
#
# Both commands are run alternately by bench/cli/cli-timer (posix_spawn +
# waitpid each), which prints both medians and their difference; the issue's
# bar is a difference of at most 1.6 ms.  For the breakdown it also times
# `procctl --version` (loading the program and its libraries, no bus).
#
# Builds first if needed (in build/, or $BUILD_DIR; $PROCCTLD overrides the
# daemon binary).  As root the bus is a
# system-type bus with the project's policy and procctld a system daemon;
# otherwise a session-type bus, procctld --user and procctl --user.

set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$src/build}

if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" "$src"
fi
ninja -C "$build" >/dev/null || ninja -C "$build"

procctl=$build/client/procctl
procctld=${PROCCTLD:-$build/daemon/procctld}
timer=$build/bench/cli/cli-timer

tmp=$(mktemp -d -t procctl-bench-cli.XXXXXX)
bus_pid=
daemon_pid=

cleanup() {
    if [[ -n $daemon_pid ]]; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [[ -n $bus_pid ]]; then
        kill -TERM "$bus_pid" 2>/dev/null || true
        wait "$bus_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $EUID -eq 0 ]]; then
    cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$src/policy/org.procctl.Manager1.conf</include>
</busconfig>
CONF
    bus_env=DBUS_SYSTEM_BUS_ADDRESS
    daemon_args=()
    procctl_args=(--system)
else
    cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
    bus_env=DBUS_SESSION_BUS_ADDRESS
    daemon_args=(--user)
    procctl_args=(--user)
fi

dbus-daemon --nofork --config-file="$tmp/bus.conf" --print-address=3 3>"$tmp/address" \
    2>"$tmp/dbus-daemon.log" &
bus_pid=$!
for _ in $(seq 100); do
    [[ -s $tmp/address ]] && break
    sleep 0.05
done
address=$(head -n1 "$tmp/address")
[[ -n $address ]] || { echo "dbus-daemon did not start:" >&2; cat "$tmp/dbus-daemon.log" >&2; exit 1; }
export "$bus_env=$address"

"$procctld" "${daemon_args[@]}" 2>"$tmp/procctld.log" &
daemon_pid=$!
for i in $(seq 200); do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        echo "procctld exited:" >&2
        cat "$tmp/procctld.log" >&2
        exit 1
    fi
    if "$procctl" "${procctl_args[@]}" -q list >/dev/null 2>&1; then
        break
    fi
    if (( i == 200 )); then
        echo "procctld did not answer within 10 s:" >&2
        cat "$tmp/procctld.log" >&2
        exit 1
    fi
    sleep 0.05
done

echo "procctl $("$procctl" --version | cut -d' ' -f2), on $(nproc) CPUs, kernel $(uname -r)"
echo
echo "== procctl run -- /bin/true  vs  /bin/true (the bar: B - A <= 1.6 ms)"
"$timer" "$@" /bin/true :: "$procctl" "${procctl_args[@]}" run -- /bin/true </dev/null
echo
echo "== breakdown: starting procctl alone (loading it and its libraries, no bus)"
"$timer" "$@" /bin/true :: "$procctl" --version </dev/null | tail -n1
