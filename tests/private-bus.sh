# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A private bus with procctld on it, for scripts (sourced, not run): the
# quick start (tests/quickstart.sh) and the benchmarks (bench/run.sh,
# bench/cli/run-cli.sh, bench/scale/run.sh).  Nothing touches the host's
# buses: the bus and the daemon live only as long as the script.
#
# As root the bus is a system-type bus with the default policy of Debian's
# system.conf (method calls denied unless a service's policy allows them)
# plus the project's policy/org.procctl.Manager1.conf, and procctld runs as
# the system daemon; otherwise it is a session-type bus and procctld --user.
#
# Use:
#
#   source "$src/tests/private-bus.sh"
#   private_bus_init procctl-bench       # the temporary directory
#   trap private_bus_cleanup EXIT        # or a cleanup function calling it
#   trap 'exit 130' INT TERM
#   private_bus_start                    # dbus-daemon, or dbus-broker
#   procctld_start "$build/daemon/procctld" [ARGS...]
#   procctld_wait [COMMAND...]           # until it serves
#
# Functions:
#   private_bus_build_tree    builds $build (configured first if it is not
#                             yet), as the benchmarks do before they run
#   private_bus_init PREFIX   makes the temporary directory
#                             (mktemp -d -t PREFIX.XXXXXX) and sets the
#                             variables below but the PIDs and the address.
#   private_bus_start         writes $pb_dir/bus.conf, starts the bus
#                             ($pb_bus; log: $pb_dir/$pb_bus.log) and waits
#                             up to 5 s for its address.
#   private_bus_cgroup        as root, where cgroup v2 is mounted: makes a cgroup
#                             for procctld to give each process one below
#                             (as systemd's Delegate=yes would), adds
#                             --cgroup=… to pb_daemon_args; removed, with
#                             anything left in it, by private_bus_cleanup
#   procctld_start PROCCTLD [ARGS...]
#                             starts PROCCTLD (the daemon binary) on the bus,
#                             with --user when not root, then ARGS; stderr
#                             goes to $pb_dir/procctld.log.
#   procctld_wait [COMMAND...]
#                             waits up to 10 s until COMMAND succeeds, or
#                             without one until org.procctl.Manager1 has an
#                             owner on the bus.
#   private_bus_cleanup       stops procctld (SIGTERM) and the bus and
#                             removes $pb_dir; for an EXIT trap.
#   private_bus_die MESSAGE LOG
#                             what the functions above call when the bus or
#                             the daemon fails: prints "MESSAGE:" and LOG to
#                             stderr and exits 1.  A script may define its
#                             own after sourcing this file.
#
# Which bus, from the environment:
#   PROCCTL_TEST_BUS      dbus-daemon (the default; Debian's system bus) or
#                         dbus-broker (Fedora's and Arch's; apt-get install
#                         dbus-broker), run through the test helper
#                         tests/helpers/pc-broker of the build tree:
#   PROCCTL_TEST_BROKER   that helper (default: $BUILD_DIR/tests/pc-broker,
#                         BUILD_DIR defaulting to build/ of the source tree)
#
# Variables it sets:
#   pb_bus          the bus: dbus-daemon or dbus-broker
#   pb_dir          the temporary directory
#   pb_bus_env      DBUS_SYSTEM_BUS_ADDRESS as root, else
#                   DBUS_SESSION_BUS_ADDRESS
#   pb_daemon_args  (--runtime-directory=$pb_dir/run), with --user first when not root
#   pb_address      the bus's address (after private_bus_start)
#   pb_bus_pid      the bus's PID (after private_bus_start)
#   pb_daemon_pid   procctld's PID (after procctld_start; emptied if it exits
#                   while procctld_wait waits)
# and one a script may set before procctld_wait:
#   pb_wait_message what procctld_wait says when it gives up (default
#                   "procctld did not take org.procctl.Manager1 within 10 s")

pb_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pb_dir=
pb_bus_pid=
pb_daemon_pid=
pb_address=
pb_wait_message="procctld did not take org.procctl.Manager1 within 10 s"
pb_bus=${PROCCTL_TEST_BUS:-dbus-daemon}
pb_bus_includes=()   # more bus policy files for the system-type bus (polkit's, say)
pb_cgroup_dir=       # procctld's cgroup (private_bus_cgroup), in the cgroup2 mount
if [[ $EUID -eq 0 ]]; then
    pb_bus_env=DBUS_SYSTEM_BUS_ADDRESS
    pb_daemon_args=()
else
    pb_bus_env=DBUS_SESSION_BUS_ADDRESS
    pb_daemon_args=(--user)
fi

private_bus_die() {
    echo "$1:" >&2
    cat "$2" >&2
    exit 1
}

private_bus_build_tree() {
    if [[ ! -f $build/build.ninja ]]; then
        meson setup "$build" "$pb_src"
    fi
    ninja -C "$build" >/dev/null || ninja -C "$build"
}

private_bus_init() {
    pb_dir=$(mktemp -d -t "$1.XXXXXX")
    # The daemon's record of process ids: this bus's, not the machine's /run/procctl.
    pb_daemon_args+=(--runtime-directory="$pb_dir/run")
}

private_bus_cleanup() {
    if [[ -n $pb_daemon_pid ]]; then
        kill -TERM "$pb_daemon_pid" 2>/dev/null || true
        wait "$pb_daemon_pid" 2>/dev/null || true
    fi
    if [[ -n $pb_bus_pid ]]; then
        kill -TERM "$pb_bus_pid" 2>/dev/null || true
        wait "$pb_bus_pid" 2>/dev/null || true
    fi
    if [[ -n $pb_cgroup_dir ]]; then
        echo 1 >"$pb_cgroup_dir/cgroup.kill" 2>/dev/null || true
        for _ in $(seq 100); do
            grep -q "populated 0" "$pb_cgroup_dir/cgroup.events" 2>/dev/null && break
            sleep 0.05
        done
        find "$pb_cgroup_dir" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$pb_cgroup_dir" 2>/dev/null || true
    fi
    if [[ -n $pb_dir ]]; then
        rm -rf "$pb_dir"
    fi
}

# A cgroup of procctld's own below the cgroup2 mount, as root; otherwise
# (or where none can be made) procctld finds what it can by itself.
private_bus_cgroup() {
    local mount
    [[ $EUID -eq 0 ]] || return 0
    mount=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
    [[ -n $mount ]] || return 0
    pb_cgroup_dir=$(mktemp -d "$mount/$(basename "$pb_dir").XXXXXX" 2>/dev/null) || { pb_cgroup_dir=; return 0; }
    pb_daemon_args+=(--cgroup="${pb_cgroup_dir#"$mount"}")
}

# Prints the bus configuration (system-type as root, else session-type).
private_bus_config() {
    if [[ $EUID -eq 0 ]]; then
        cat <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$pb_dir/bus_socket</listen>
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
  <include>$pb_src/policy/org.procctl.Manager1.conf</include>
$(for f in "${pb_bus_includes[@]}"; do echo "  <include>$f</include>"; done)
</busconfig>
CONF
    else
        cat <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$pb_dir/bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
    fi
}

# The bus program: dbus-daemon, or pc-broker, which takes dbus-daemon's
# command line and runs dbus-broker.
private_bus_program() {
    case $pb_bus in
        dbus-daemon) pb_program=dbus-daemon ;;
        dbus-broker)
            pb_program=${PROCCTL_TEST_BROKER:-${BUILD_DIR:-$pb_src/build}/tests/pc-broker}
            if [[ ! -x $pb_program ]]; then
                echo "$pb_program is not built (the test suite builds it)" >"$pb_dir/$pb_bus.log"
                private_bus_die "no dbus-broker" "$pb_dir/$pb_bus.log"
            fi ;;
        *)
            echo "PROCCTL_TEST_BUS=$pb_bus: expected dbus-daemon or dbus-broker" >"$pb_dir/bus.log"
            private_bus_die "no such bus" "$pb_dir/bus.log" ;;
    esac
}

private_bus_start() {
    private_bus_program
    private_bus_config >"$pb_dir/bus.conf"
    "$pb_program" --nofork --config-file="$pb_dir/bus.conf" --print-address=3 3>"$pb_dir/address" \
        2>"$pb_dir/$pb_bus.log" &
    pb_bus_pid=$!
    for _ in $(seq 100); do
        [[ -s $pb_dir/address ]] && break
        sleep 0.05
    done
    pb_address=$(head -n1 "$pb_dir/address")
    [[ -n $pb_address ]] || private_bus_die "$pb_bus did not start" "$pb_dir/$pb_bus.log"
}

procctld_start() {
    local procctld=$1
    shift
    env "$pb_bus_env=$pb_address" "$procctld" "${pb_daemon_args[@]}" "$@" 2>"$pb_dir/procctld.log" &
    pb_daemon_pid=$!
}

# Whether org.procctl.Manager1 has an owner on the private bus.
private_bus_name_owned() {
    busctl --address="$pb_address" call org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus NameHasOwner s org.procctl.Manager1 2>/dev/null | grep -q true
}

procctld_wait() {
    local i
    (( $# > 0 )) || set -- private_bus_name_owned
    for i in $(seq 200); do
        if ! kill -0 "$pb_daemon_pid" 2>/dev/null; then
            pb_daemon_pid=
            private_bus_die "procctld exited" "$pb_dir/procctld.log"
        fi
        if "$@"; then
            break
        fi
        if (( i == 200 )); then
            private_bus_die "$pb_wait_message" "$pb_dir/procctld.log"
        fi
        sleep 0.05
    done
}
