#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A private bus with procctld on it that stays up, to try procctl by hand
# after the quick start:
#
#   tests/dev-bus.sh            # prints an export line to paste in another shell
#
# Uses the daemon built in build/ (or $BUILD_DIR; tests/quickstart.sh builds
# it). As root the bus is a system-type bus with the project's policy and
# procctld runs as the system daemon; otherwise it is a session-type bus and
# procctld --user (then use `procctl --user`). Nothing touches the machine's
# own buses. Ctrl-C (or SIGTERM) stops procctld and the bus, and removes
# their temporary directory; so does procctld exiting.

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}
procctld=$build/daemon/procctld

if [[ ! -x $procctld ]]; then
    echo "dev-bus: no $procctld: build first (tests/quickstart.sh, or meson setup and ninja)" >&2
    exit 1
fi

source "$src/tests/private-bus.sh"
private_bus_init procctl-dev
trap private_bus_cleanup EXIT
trap 'echo; echo "Stopping procctld and the bus."; exit 0' INT TERM

private_bus_start
private_bus_cgroup
procctld_start "$procctld"
procctld_wait

user_option=
[[ $EUID -eq 0 ]] || user_option=" --user"
cat <<TEXT
procctld (pid $pb_daemon_pid) serves on a private bus ($pb_bus pid $pb_bus_pid).
In another shell, paste:

export $pb_bus_env='$pb_address' PATH='$build/client':"\$PATH"

then, for example:

procctl$user_option run -- echo hello
procctl$user_option spawn --description demo -- sleep 600
procctl$user_option list

procctld's log: $pb_dir/procctld.log
Ctrl-C here stops procctld and the bus.
TEXT

# Until a signal (whose trap ends the script) or until procctld exits.
wait "$pb_daemon_pid" || true
echo "procctld exited; see its log above." >&2
cat "$pb_dir/procctld.log" >&2
exit 1
