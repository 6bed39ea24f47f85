#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs bench/spawn-wait against the procctld of a build tree, on a private
# bus that lives only as long as this script:
#
#   bench/run.sh [spawn-wait options]        e.g. bench/run.sh -n 5000
#
# Builds first if needed (in build/, or $BUILD_DIR). As root, the bus is a
# system-type bus with the project's own policy and procctld runs as a
# system daemon; otherwise it is a session-type bus and procctld --user.

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}

if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" "$src"
fi
ninja -C "$build" >/dev/null || ninja -C "$build"

tmp=$(mktemp -d -t procctl-bench.XXXXXX)
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

# A copy of the default policy of Debian's system.conf (method calls denied
# unless a service's policy allows them), plus our policy file.
write_system_bus_config() {
    cat <<CONF
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
}

write_session_bus_config() {
    cat <<CONF
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
}

if [[ $EUID -eq 0 ]]; then
    write_system_bus_config >"$tmp/bus.conf"
    bus_env=DBUS_SYSTEM_BUS_ADDRESS
    daemon_args=()
else
    write_session_bus_config >"$tmp/bus.conf"
    bus_env=DBUS_SESSION_BUS_ADDRESS
    daemon_args=(--user)
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

env "$bus_env=$address" "$build/daemon/procctld" "${daemon_args[@]}" 2>"$tmp/procctld.log" &
daemon_pid=$!
for i in $(seq 200); do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        echo "procctld exited:" >&2
        cat "$tmp/procctld.log" >&2
        exit 1
    fi
    if busctl --address="$address" call org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus NameHasOwner s org.procctl.Manager1 2>/dev/null | grep -q true; then
        break
    fi
    if (( i == 200 )); then
        echo "procctld did not take org.procctl.Manager1 within 10 s:" >&2
        cat "$tmp/procctld.log" >&2
        exit 1
    fi
    sleep 0.05
done

version=$(busctl --address="$address" get-property org.procctl.Manager1 \
    /org/procctl/Manager1 org.procctl.Manager1 Version | sed -E 's/^s "(.*)"$/\1/')
echo "procctld $version on $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/spawn-wait" --address="$address" "$@"
