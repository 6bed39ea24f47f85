#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the scale benchmarks against the procctld
# of a build tree, on a private bus that lives only as long as this script,
# and prints one table of figures and ratios (see docs/PERFORMANCE.md):
#
#   bench/scale/run.sh [-n CHILDREN] [--quick]
#
#   -n N      children alive in the "many" cases (default 10000)
#   --quick   fewer calls and shorter rounds (a smoke run, not for the record)
#
# Builds first (in build/, or $BUILD_DIR).  As root, the bus is a
# system-type bus with the project's own policy and procctld runs as a system
# daemon; otherwise a session-type bus and procctld --user (the approach of
# bench/run.sh).  Whatever children procctld still has when the script ends
# are killed; the idle children also end by themselves after 15 minutes.

set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$src/build}
children=10000
quick=false

while (( $# > 0 )); do
    case $1 in
        -n) children=$2; shift 2 ;;
        -n*) children=${1#-n}; shift ;;
        --quick) quick=true; shift ;;
        -h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

source "$src/tests/private-bus.sh"
private_bus_build_tree
bin=$build/bench/scale
for p in scale-children scale-throughput scale-fdtable scale-idle; do
    if [[ ! -x $bin/$p ]]; then
        echo "run.sh: $bin/$p was not built (is subdir('scale') in bench/meson.build?)" >&2
        exit 1
    fi
done

# --- Limits: procctld holds a pidfd per child, and the machine needs PIDs ----

pid_max=$(cat /proc/sys/kernel/pid_max)
if (( pid_max < children + 4096 )); then
    if [[ $EUID -eq 0 ]] && echo $((children + 32768)) >/proc/sys/kernel/pid_max 2>/dev/null; then
        echo "raised kernel.pid_max from $pid_max to $((children + 32768)) (not restored)"
    else
        echo "run.sh: kernel.pid_max is $pid_max, too low for $children children" >&2
        exit 1
    fi
fi
# procctld raises its soft descriptor limit to the hard one it inherits.
# procctld keeps an eighth of its limit free (at least 512), besides the
# pidfd per child: ask for a quarter more than the children, and some.
want_nofile=$((children + children / 4 + 1024))
if (( $(ulimit -Hn) < want_nofile )); then
    ulimit -Hn "$want_nofile" 2>/dev/null || {
        echo "run.sh: the hard RLIMIT_NOFILE ($(ulimit -Hn)) is below $want_nofile and cannot be raised" >&2
        exit 1
    }
fi
ulimit -Sn "$(ulimit -Hn)"
if [[ $EUID -ne 0 ]] && [[ $(ulimit -u) != unlimited ]] && (( $(ulimit -u) < children + 1024 )); then
    ulimit -Su "$(ulimit -Hu)" 2>/dev/null || true
    if [[ $(ulimit -u) != unlimited ]] && (( $(ulimit -u) < children + 1024 )); then
        echo "run.sh: RLIMIT_NPROC ($(ulimit -u)) is too low for $children children" >&2
        exit 1
    fi
fi

# --- A private bus and procctld ----------------------------------------------

private_bus_init procctl-scale
tmp=$pb_dir

kill_daemon_children() {
    local c
    [[ -n $pb_daemon_pid ]] || return 0
    # Each child leads its own process group; take the group too.
    for c in $(pgrep -P "$pb_daemon_pid" || true); do
        kill -KILL -- "-$c" "$c" 2>/dev/null || true
    done
}

cleanup() {
    kill_daemon_children
    private_bus_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

private_bus_start
procctld_start "$build/daemon/procctld"
procctld_wait
address=$pb_address

# --- The benchmarks ---------------------------------------------------------

if $quick; then
    children_args=(--signal-calls=1000 --spawn-calls=100)
    throughput_args=(--seconds=1 --rounds=1)
    fdtable_args=(--iterations=100 --rounds=2)
else
    children_args=()
    throughput_args=()
    fdtable_args=()
fi

echo "procctld $(busctl --address="$address" get-property org.procctl.Manager1 \
    /org/procctl/Manager1 org.procctl.Manager1 Version | cut -d' ' -f2-), $(nproc) CPUs," \
    "kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "procctld descriptor limit: $(grep 'Max open files' "/proc/$pb_daemon_pid/limits" | awk '{print $4 " soft, " $5 " hard"}')"
echo

rows=$tmp/rows
: >"$rows"
run() {
    # Details go to the terminal as they come; table rows are kept for the end.
    "$@" | tee -a "$rows" | grep -v '^row' || return 1
    echo
}

run "$bin/scale-children" --address="$address" -n "$children" --idle="$bin/scale-idle" "${children_args[@]}"
kill_daemon_children # nothing should be left; a failed run may leave some
run "$bin/scale-throughput" --address="$address" "${throughput_args[@]}"
run "$bin/scale-fdtable" -n "$children" "${fdtable_args[@]}"

echo "Summary (ratio = measured / baseline; RSS row: KiB of growth per child added)"
{
    printf 'metric\tbaseline\tmeasured\tratio\ttarget\n'
    grep '^row' "$rows" | cut -f2-
} | column -t -s $'\t'

if grep -q . "$tmp/procctld.log"; then
    echo
    echo "procctld log ($(wc -l <"$tmp/procctld.log") lines; first 5):"
    head -n 5 "$tmp/procctld.log"
fi
