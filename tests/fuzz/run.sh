#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the libFuzzer target fuzz-spawn-request for a bounded time, starting
# from the seed corpus, under ASan+UBSan (as built by .ci/sanitize or by hand:
# see "Building" below).  New inputs go to a scratch copy of the corpus, never
# into the repository; a crash, leak or failed check leaves its input in
# ARTIFACT-DIR and makes the script exit non-zero.
#
#   tests/fuzz/run.sh BUILD-DIR [SECONDS] [ARTIFACT-DIR]
#
# SECONDS defaults to 60.  ARTIFACT-DIR defaults to BUILD-DIR/fuzz-artifacts.
# To keep a crash as a regression test, minimize it
# (BUILD-DIR/tests/fuzz/fuzz-spawn-request -minimize_crash=1 -runs=10000 FILE)
# and copy it into tests/fuzz/corpus/spawn-request/ under a name that says what
# it found; fuzz-replay runs every file there in `meson test`.
#
# Building (clang-14 and libclang-rt-14-dev from Debian):
#   CC=clang-14 meson setup build-fuzz -Db_sanitize=address,undefined \
#       -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
#   ninja -C build-fuzz tests/fuzz/fuzz-spawn-request

set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 BUILD-DIR [SECONDS] [ARTIFACT-DIR]" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
seconds=${2:-60}
artifacts=${3:-$build/fuzz-artifacts}
fuzzer=$build/tests/fuzz/fuzz-spawn-request
seeds=$here/corpus/spawn-request

if [[ ! -x $fuzzer ]]; then
    echo "fuzz: $fuzzer is not built (needs clang with libFuzzer; see the top of $0)" >&2
    exit 1
fi

# Leaks are failures too; UBSan stops at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

work=$(mktemp -d -t procctl-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$artifacts"
cp "$seeds"/* "$work/corpus/"
log=$work/fuzz.log

echo "fuzz: fuzz-spawn-request for ${seconds}s from $(ls "$seeds" | wc -l) seeds"
rc=0
# -timeout: one input taking a minute is a hang, and a finding.
"$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work/corpus" >"$log" 2>&1 || rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
found=$(ls "$work/corpus" | wc -l)
if [[ $rc -ne 0 ]]; then
    # The report (sanitizer output or the target's "check failed") and the input.
    grep -v -E '^#[0-9]+ ' "$log" | tail -60 >&2
    echo "fuzz: FAILED (exit $rc) after ${runs:-?} runs; inputs kept in $artifacts:" >&2
    ls -l "$artifacts" >&2
    exit 1
fi
echo "fuzz: ${runs:-?} runs in ${seconds}s, corpus grew to $found inputs, no crash, leak or failed check"
