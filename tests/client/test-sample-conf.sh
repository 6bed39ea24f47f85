#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The sample data/procctld.conf names every setting the daemon knows
# (daemon/settings.c) commented out at its default (daemon/settings.h),
# and sets nothing itself.
#
# Usage: test-sample-conf.sh SOURCE_ROOT

set -euo pipefail

src=$1
sample=$src/data/procctld.conf
fail() { echo "FAIL: $*" >&2; exit 1; }

keys=$(sed -nE 's/^\s*\{ "([A-Z][A-Za-z]+)", "([a-z-]+)", offsetof\(Limits, ([a-z_]+)\), [0-9]+ \},$/\1 \3/p' \
       "$src/daemon/settings.c")
[[ -n $keys ]] || fail "no settings found in daemon/settings.c"

while read -r key field; do
    default=$(grep -oE "\.$field = [0-9]+" "$src/daemon/settings.h" | grep -oE '[0-9]+$')
    [[ -n $default ]] || fail "no default for $field in daemon/settings.h"
    grep -qxF "#$key=$default" "$sample" || fail "$sample lacks the line '#$key=$default'"
    echo "ok: #$key=$default"
done <<<"$keys"

# The cgroup limits' settings have no default: each is there, empty.
cgroup_keys=$(sed -nE 's/^\s*\{ "[a-z-]+", "(Default[A-Za-z]+)", "(Max[A-Za-z]+)", .*$/\1\n\2/p' "$src/daemon/settings.c")
[[ $(wc -l <<<"$cgroup_keys") -eq 8 ]] || fail "not 8 cgroup limits' settings in daemon/settings.c: $cgroup_keys"
while read -r key; do
    grep -qxF "#$key=" "$sample" || fail "$sample lacks the line '#$key='"
    echo "ok: #$key="
done <<<"$cgroup_keys"

# Nothing else is set, and nothing else is a setting.
if grep -vE '^(#.*|\[Limits\]|)$' "$sample"; then
    fail "$sample sets something"
fi
n=$(grep -cE '^#[A-Z][A-Za-z]+=[0-9]+$' "$sample")
[[ $n -eq $(wc -l <<<"$keys") ]] || fail "$sample has $n settings, the daemon $(wc -l <<<"$keys")"
