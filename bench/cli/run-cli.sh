#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What `procctl run -- /bin/true` adds to running /bin/true directly, on a
# private bus that lives only as long as this script:
#
#   bench/cli/run-cli.sh [-n RUNS] [-w WARMUP]      (default: -n 1000 -w 50)
#
# bench/cli/cli-timer runs these in turn (posix_spawn + waitpid each) and
# prints each median and its difference from /bin/true's:
#
#   /bin/true                     the baseline
#   procctl run -- /bin/true      what the bar below is about
#   bare-run ADDRESS /bin/true    the same bus calls with libc only: the
#                                 floor for any client on this machine
#   busctl call ... Ping          one call with busctl, a reference point
#                                 the bar comes with (4.3 ms on its machine)
#   procctl --version             starting procctl alone, no bus
#
# The bar is +1.6 ms on a machine where /bin/true takes 0.9 ms and a
# busctl call 4.3 ms.  The summary restates that bar for this machine both
# ways (scaled by /bin/true, and by what busctl adds to /bin/true) and says
# which are met; nothing here is a pass/fail test.
#
# Builds first if needed (in build/, or $BUILD_DIR; $PROCCTLD overrides the
# daemon binary).  As root the bus is a system-type bus with the project's
# policy and procctld a system daemon; otherwise a session-type bus,
# procctld --user and procctl --user.

set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$src/build}

source "$src/tests/private-bus.sh"
private_bus_build_tree

procctl=$build/client/procctl
procctld=${PROCCTLD:-$build/daemon/procctld}
timer=$build/bench/cli/cli-timer

if [[ $EUID -eq 0 ]]; then
    procctl_args=(--system)
else
    procctl_args=(--user)
fi
bare_run=$build/bench/cli/bare-run

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

commands=(/bin/true
          :: "$procctl" "${procctl_args[@]}" run -- /bin/true
          :: "$bare_run" "$pb_address" /bin/true)
if busctl=$(command -v busctl); then
    commands+=(:: "$busctl" "${procctl_args[@]}" call org.procctl.Manager1 /org/procctl/Manager1
               org.freedesktop.DBus.Peer Ping)
fi
commands+=(:: "$procctl" --version)

results=$("$timer" "$@" "${commands[@]}" </dev/null)
echo "$results"
echo

# Lines 2.. of cli-timer: MEDIAN P10 P90 DIFF CMD..., in the order above.
field() {  # field LINE COLUMN
    sed -n "$(($1 + 1))p" <<<"$results" | awk -v c="$2" '{ print $c }'
}
true_ms=$(field 1 1)
run_extra=$(field 2 4)
bare_extra=$(field 3 4)
busctl_extra=
[[ -n ${busctl:-} ]] && busctl_extra=$(field 4 4)

awk -v t="$true_ms" -v run="$run_extra" -v bare="$bare_extra" -v bus="$busctl_extra" '
function verdict(x, bar) { return x <= bar ? "met" : "missed" }
function row(name, bar) {
    printf "  %-42s %7.3f ms   %-16s %s\n", name, bar, verdict(run, bar), verdict(bare, bar)
}
BEGIN {
    printf "== the bar: procctl run -- /bin/true may add 1.6 ms (its machine: /bin/true 0.9 ms, busctl call 4.3 ms)\n"
    printf "here /bin/true takes %.3f ms; procctl run adds %+.3f ms; bare-run, the same calls with libc only, %+.3f ms\n", t, run, bare
    printf "  %-42s %10s   %-16s %s\n", "bar", "", "procctl run", "bare-run (floor)"
    row("as given", 1.6)
    row(sprintf("scaled by /bin/true (x%.2f)", t / 0.9), 1.6 * t / 0.9)
    if (bus != "")
        row(sprintf("scaled by what busctl call adds (x%.2f)", bus / 3.4), 1.6 * bus / 3.4)
}'
