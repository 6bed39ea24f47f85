#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's quick start and install commands, as typed:
#   - the quick start installs what building and running need, and CI's
#     extras (clang, llvm, ssh) only come with .ci/deps --ci, which .ci/run uses;
#   - the README names tests/dev-bus.sh (tested by test-dev-bus);
#   - after the quick start's build/ (here: build/ configured the way an
#     older quick start left it, with meson's default prefix), the install
#     commands of "## Installing", run verbatim in a copy of the tree with
#     DESTDIR set, put the bus policy where the system bus reads it.
#
# Usage: test-readme.sh SOURCE_ROOT

set -euo pipefail

src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- dependencies ---------------------------------------------------------
base=$("$src/.ci/deps" --list)
ci=$("$src/.ci/deps" --ci --list)
for p in clang-14 llvm-14 libclang-rt-14-dev openssh-server openssh-client dbus-broker; do
    grep -qx "$p" <<<"$base" && fail ".ci/deps installs $p, which only CI needs"
    grep -qx "$p" <<<"$ci" || fail ".ci/deps --ci lacks $p"
done
for p in meson ninja-build gcc dbus-daemon libsystemd-dev; do
    grep -qx "$p" <<<"$base" || fail ".ci/deps lacks $p"
done
grep -qE '"\$src/\.ci/deps"$' "$src/tests/quickstart.sh" || fail "the quick start does not run plain .ci/deps"
grep -qx '\.ci/deps --ci' "$src/.ci/run" || fail ".ci/run does not run .ci/deps --ci"
echo "ok: .ci/deps splits building and running from CI's extras"

grep -q '`tests/dev-bus\.sh`' "$src/README.md" || fail "the README does not name tests/dev-bus.sh"
echo "ok: the README names tests/dev-bus.sh"

# --- the install commands, as typed -----------------------------------------
install=$(sed -n '/^## Installing/,/^## /p' "$src/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d')
[[ $(wc -l <<<"$install") -eq 1 ]] || fail "expected one install command line, got: $install"
echo "README: $install"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$src" ls-files -z | (cd "$src" && xargs -0 cp --parents -t "$tmp")
cd "$tmp"
meson setup build >/dev/null   # what the quick start left before it said --prefix=/usr
export DESTDIR=$tmp/root
bash -euc "$install" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "the install commands failed"; }
for f in /usr/share/dbus-1/system.d/org.procctl.Manager1.conf /usr/bin/procctl /etc/procctl/procctld.conf; do
    [[ -e $DESTDIR$f ]] || fail "$f was not installed (DESTDIR=$DESTDIR): $(cd "$DESTDIR" && find . -name org.procctl.Manager1.conf)"
done
echo "ok: the install commands put the bus policy where the system bus reads it"
