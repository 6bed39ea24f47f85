#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libprocctl exports exactly the functions procctl.h declares, each by name
in the version script (client/libprocctl.sym) and with a version from it.

Three lists must be the same set: the functions procctl.h declares (not the
static inline cleanup helpers, which are not symbols), the names of the
version script's global: sections, and the symbols `nm -D` finds defined in
the built library (less the version nodes themselves).

usage: check-symbols.py NM HEADER VERSION_SCRIPT LIBRARY
"""

import re
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


def header_functions(path):
    """Names of the functions a declaration at the start of a line names."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # A declaration starts at column 0 with its return type; typedefs of
    # callbacks and static inline helpers are no symbols.
    return re.findall(r"^(?!typedef\b|static\b|extern\b|#)[A-Za-z_][^\n(;{}]*?\b(procctl_\w+)\s*\(",
                      text, flags=re.M)


def version_script(path):
    """{version: [names in its global: section]}; fails on wildcards."""
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    versions = {}
    for name, body in re.findall(r"(\w+)\s*\{(.*?)\}\s*\w*\s*;", text, flags=re.S):
        section, names = None, []
        for item in re.split(r"[;\s]+", body):
            if item in ("global:", "local:"):
                section = item
            elif item and section == "global:":
                if "*" in item or "?" in item:
                    fail(f"{path}: {name} exports by pattern ({item}), not by name")
                names.append(item)
        versions[name] = names
    return versions


def library_symbols(nm, path):
    """[(name, version)] of the defined dynamic symbols, version nodes left out."""
    out = subprocess.run([nm, "-D", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    symbols = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) != 3:
            continue
        kind, symbol = fields[1], fields[2]
        name, _, version = symbol.partition("@@")
        if kind == "A" and name == symbol:
            continue  # the version node, e.g. LIBPROCCTL_1
        symbols.append((name, version))
    return symbols


def compare(what, names, reference, reference_what):
    for n in sorted(set(names) - set(reference)):
        fail(f"{n} is in {what} but not in {reference_what}")


def main():
    nm, header, script, library = sys.argv[1:5]

    declared = header_functions(header)
    versions = version_script(script)
    listed = [n for names in versions.values() for n in names]
    exported = library_symbols(nm, library)
    exported_names = [n for n, _ in exported]

    if not declared:
        fail(f"no function found in {header}")
    for n in sorted({n for n in listed if listed.count(n) > 1}):
        fail(f"{n} is listed more than once in {script}")

    compare("procctl.h", declared, listed, "the version script")
    compare("the version script", listed, declared, "procctl.h")
    compare("the library", exported_names, listed, "the version script")
    compare("the version script", listed, exported_names, "the library")
    for name, version in exported:
        if version not in versions:
            fail(f"{name} is exported without a version of the script ({version or 'none'})")

    if failures:
        print(f"{len(failures)} problem(s)")
        return 1
    print(f"ok: {len(exported)} symbols exported, the {len(declared)} functions of procctl.h, "
          f"each in {', '.join(versions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
