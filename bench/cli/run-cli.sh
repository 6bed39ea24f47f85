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

if [[ $EUID -eq 0 ]]; then
    procctl_args=(--system)
else
    procctl_args=(--user)
fi

source "$src/tests/private-bus.sh"
private_bus_init procctl-bench-cli
trap private_bus_cleanup EXIT
trap 'exit 130' INT TERM

private_bus_start
export "$pb_bus_env=$pb_address"

procctl_answers() {
    "$procctl" "${procctl_args[@]}" -q list >/dev/null 2>&1
}
procctld_start "$procctld"
pb_wait_message="procctld did not answer within 10 s"
procctld_wait procctl_answers

echo "procctl $("$procctl" --version | cut -d' ' -f2), on $(nproc) CPUs, kernel $(uname -r)"
echo
echo "== procctl run -- /bin/true  vs  /bin/true (the bar: B - A <= 1.6 ms)"
"$timer" "$@" /bin/true :: "$procctl" "${procctl_args[@]}" run -- /bin/true </dev/null
echo
echo "== breakdown: starting procctl alone (loading it and its libraries, no bus)"
"$timer" "$@" /bin/true :: "$procctl" --version </dev/null | tail -n1
