#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Install layout: `meson install --destdir` of this build into a temporary
directory, then every installed file must be where Debian 12 expects it, and
nothing else may be installed.

The expected layout is Debian's, written out literally below (a package is
built with prefix /usr).  For a build with another prefix P (meson's default
is /usr/local) the same layout is expected relocated under P, except for the
directories that belong to other packages and are asked of their pkg-config
files (systemd's unit directory, dbus's service and interface directories,
polkit's actions, bash-completion's directory): those are absolute, and the
files must be exactly where those files say, since that is where systemd,
dbus-daemon, polkitd and bash look.  Such a build is checked, and a note
says which files its prefix puts where the system does not look.

Besides the places: the library's SONAME and symlinks, that it exports only
procctl_* symbols, that a program builds and runs against the installed
header, pkg-config file and library; file modes; the unit and the activation
file naming the installed daemon and each other.

usage: check-install.py MESON BUILD_ROOT
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


def ok(msg):
    print(f"ok: {msg}")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def pkg_config_var(package, variable):
    """The variable of a .pc file, or None when the package is not there."""
    if not shutil.which("pkg-config"):
        return None
    p = run(["pkg-config", f"--variable={variable}", package])
    return p.stdout.strip() or None if p.returncode == 0 else None


def multiarch():
    for argv in (["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], ["gcc", "-print-multiarch"]):
        if shutil.which(argv[0]):
            p = run(argv)
            if p.returncode == 0 and p.stdout.strip():
                return p.stdout.strip()
    return None


def main():
    meson, build_root = sys.argv[1], os.path.abspath(sys.argv[2])

    p = run([meson, "introspect", "--buildoptions", build_root])
    if p.returncode != 0:
        print(p.stderr)
        return 1
    options = {o["name"]: o["value"] for o in json.loads(p.stdout)}
    prefix = options["prefix"]
    libexecdir = os.path.join(prefix, options["libexecdir"])
    triplet = multiarch() or os.path.basename(options["libdir"])
    # The man pages are optional (-Dman): expected only when this build makes them.
    p = run([meson, "introspect", "--targets", build_root])
    if p.returncode != 0:
        print(p.stderr)
        return 1
    man_built = any(t["name"] == "procctl.1" for t in json.loads(p.stdout))

    # --------------------------------------------------------------- layout
    #
    # (Debian 12 path, what it is, where the directory comes from)
    #   "prefix": under /usr, relocated to the build's prefix;
    #   ("pc", package, variable): the directory another package's pkg-config
    #   file names (Debian 12's value is the literal path).
    libdir = f"/usr/lib/{triplet}"
    debian = [
        ("/usr/bin/procctl", "the CLI", "prefix"),
        (f"{libdir}/libprocctl.so.1.0.0", "the client library", "prefix"),
        (f"{libdir}/libprocctl.so.1", "the library's SONAME link", "prefix"),
        (f"{libdir}/libprocctl.so", "the library's development link", "prefix"),
        (f"{libdir}/pkgconfig/libprocctl.pc", "the pkg-config file", "prefix"),
        ("/usr/include/procctl.h", "the library's header", "prefix"),
        ("/usr/share/man/man1/procctl.1", "procctl(1)", "prefix"),
        ("/usr/share/man/man8/procctld.8", "procctld(8)", "prefix"),
        ("/usr/share/man/man5/org.procctl.Manager1.5", "org.procctl.Manager1(5)", "prefix"),
        ("/usr/share/dbus-1/system.d/org.procctl.Manager1.conf", "the bus policy", "prefix"),
        ("/lib/systemd/system/procctld.service", "the systemd unit",
         ("pc", "systemd", "systemdsystemunitdir")),
        ("/usr/share/dbus-1/system-services/org.procctl.Manager1.service", "the bus activation file",
         ("pc", "dbus-1", "system_bus_services_dir")),
        ("/usr/share/polkit-1/actions/org.procctl.policy", "the polkit actions",
         ("pc", "polkit-gobject-1", "policydir")),
        ("/usr/share/dbus-1/interfaces/org.procctl.Manager1.xml", "the Manager1 interface XML",
         ("pc", "dbus-1", "interfaces_dir")),
        ("/usr/share/dbus-1/interfaces/org.procctl.Process1.xml", "the Process1 interface XML",
         ("pc", "dbus-1", "interfaces_dir")),
        ("/usr/share/bash-completion/completions/procctl", "the bash completion",
         ("pc", "bash-completion", "completionsdir")),
        ("/etc/procctl/procctld.conf", "the sample configuration", "prefix"),
    ]

    if not man_built:
        print("note: this build makes no man pages (-Dman), none are expected")
        debian = [entry for entry in debian if "/share/man/" not in entry[0]]

    def relocate(path):
        if prefix == "/usr":
            return path
        return prefix + path[len("/usr"):] if path.startswith("/usr/") else prefix + path

    # What systemd, dbus-daemon, polkitd and bash read from fixed places.
    read_by_the_system = {"the systemd unit", "the bus activation file", "the bus policy",
                          "the polkit actions", "the bash completion"}
    expected = {}
    not_read = []
    for path, what, origin in debian:
        if prefix == "/usr" or origin == "prefix":
            where = relocate(path)
        else:
            _, package, variable = origin
            directory = pkg_config_var(package, variable)
            where = os.path.join(directory, os.path.basename(path)) if directory else relocate(path)
        if where != path and what in read_by_the_system:
            not_read.append(f"{what} at {where}")
        expected[where] = what
    # The daemon: libexecdir (Debian: /usr/libexec), as the build says.
    daemon = os.path.join(libexecdir, "procctld")
    expected[daemon] = "the daemon"
    # What a child for another user becomes before its identity switch: beside the daemon.
    expected[os.path.join(libexecdir, "procctl-exec")] = "procctl-exec, beside the daemon"
    if prefix == "/usr" and options["libexecdir"] not in ("libexec", f"lib/{triplet}"):
        fail(f"libexecdir is {options['libexecdir']}: Debian uses libexec (or lib/{triplet})")

    if prefix != "/usr":
        print(f"note: this build's prefix is {prefix}, not /usr as in a Debian package: checking "
              f"Debian's layout relocated under {prefix}")
        for n in not_read:
            print(f"note: {n}: not where Debian's system services look (only with prefix /usr)")

    # -------------------------------------------------------------- install
    tmp = tempfile.mkdtemp(prefix="procctl-install-")
    try:
        destdir = os.path.join(tmp, "root")
        p = run([meson, "install", "-C", build_root, "--destdir", destdir, "--no-rebuild", "--quiet"])
        if p.returncode != 0:
            fail(f"meson install failed:\n{p.stdout}{p.stderr}")
            return 1
        ok(f"meson install --destdir {destdir}")

        def real(path):
            return destdir + path

        installed = set()
        for dirpath, dirnames, filenames in os.walk(destdir):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                installed.add(os.path.join(dirpath, name)[len(destdir):])

        for path, what in sorted(expected.items()):
            if path in installed:
                ok(f"{what}: {path}")
            else:
                fail(f"{what} is not installed as {path}")
        for path in sorted(installed - set(expected)):
            fail(f"unexpected file installed: {path}")

        # ------------------------------------------------------- modes
        for path, what in expected.items():
            full = real(path)
            if not os.path.lexists(full) or os.path.islink(full):
                continue
            mode = stat.S_IMODE(os.stat(full).st_mode)
            want = 0o755 if path in (daemon, os.path.join(libexecdir, "procctl-exec"), relocate("/usr/bin/procctl")) or ".so." in path else 0o644
            if mode != want:
                fail(f"{path} has mode {mode:o}, expected {want:o}")

        # ----------------------------------------------------- library
        lib = relocate(f"{libdir}/libprocctl.so.1.0.0")
        link1 = relocate(f"{libdir}/libprocctl.so.1")
        dev = relocate(f"{libdir}/libprocctl.so")
        if os.path.islink(real(link1)) and os.readlink(real(link1)) == "libprocctl.so.1.0.0":
            ok("libprocctl.so.1 -> libprocctl.so.1.0.0")
        else:
            fail("libprocctl.so.1 is not a symlink to libprocctl.so.1.0.0")
        if os.path.islink(real(dev)) and os.path.realpath(real(dev)) == real(lib):
            ok("libprocctl.so -> libprocctl.so.1.0.0")
        else:
            fail("libprocctl.so is not a symlink resolving to libprocctl.so.1.0.0")
        if os.path.isfile(real(lib)) and not os.path.islink(real(lib)):
            d = run(["readelf", "-d", real(lib)])
            soname = re.search(r"\(SONAME\).*\[(.*)\]", d.stdout)
            if soname and soname.group(1) == "libprocctl.so.1":
                ok("SONAME libprocctl.so.1")
            else:
                fail(f"SONAME of {lib} is {soname.group(1) if soname else 'missing'}, expected libprocctl.so.1")
            syms = run(["readelf", "--dyn-syms", "-W", real(lib)]).stdout
            exported = set()
            for line in syms.splitlines():
                f = line.split()
                # Num: Value Size Type Bind Vis Ndx Name
                if len(f) >= 8 and f[4] == "GLOBAL" and f[6] not in ("UND", "ABS") and f[3] in ("FUNC", "OBJECT"):
                    exported.add(f[7].split("@")[0])
            stray = sorted(s for s in exported if not s.startswith("procctl_"))
            if not exported:
                fail("libprocctl exports no symbol")
            elif stray:
                fail(f"libprocctl exports symbols outside procctl_*: {', '.join(stray[:10])}")
            else:
                ok(f"libprocctl exports {len(exported)} symbols, all procctl_*")

        # A program built with the installed header, .pc file and library.
        pc_dir = real(relocate(f"{libdir}/pkgconfig"))
        env = {**os.environ, "PKG_CONFIG_PATH": pc_dir, "PKG_CONFIG_SYSROOT_DIR": destdir}
        flags = run(["pkg-config", "--cflags", "--libs", "libprocctl"], env=env)
        if flags.returncode != 0:
            fail(f"pkg-config libprocctl failed with the installed .pc file: {flags.stderr.strip()}")
        else:
            src = os.path.join(tmp, "uses-libprocctl.c")
            exe = os.path.join(tmp, "uses-libprocctl")
            with open(src, "w") as f:
                f.write('#include <procctl.h>\n'
                        '#include <stdio.h>\n'
                        'int main(void) {\n'
                        '        procctl_spawn_options *o = NULL;\n'
                        '        if (procctl_spawn_options_new(&o) < 0 || !o)\n'
                        '                return 1;\n'
                        '        procctl_spawn_options_free(o);\n'
                        '        puts("linked");\n'
                        '        return 0;\n'
                        '}\n')
            cc = run(["cc", "-Wall", "-Werror", "-o", exe, src] + flags.stdout.split())
            if cc.returncode != 0:
                fail(f"a program does not build against the installed library:\n{cc.stderr}")
            else:
                r = run([exe], env={**os.environ, "LD_LIBRARY_PATH": real(relocate(libdir))})
                if r.returncode == 0 and r.stdout.strip() == "linked":
                    ok("a program builds with `pkg-config libprocctl` and runs with the installed library")
                else:
                    fail(f"the program built against the installed library fails: {r.stderr.strip()}")
                needed = run(["readelf", "-d", exe]).stdout
                if "[libprocctl.so.1]" not in needed:
                    fail("a program linked with -lprocctl does not need libprocctl.so.1")

        # ------------------------------------------- files that name files
        unit = next((p for p, w in expected.items() if w == "the systemd unit"), None)
        service = next((p for p, w in expected.items() if w == "the bus activation file"), None)
        if unit and os.path.isfile(real(unit)):
            text = open(real(unit)).read()
            m = re.search(r"^ExecStart=(\S+)", text, re.MULTILINE)
            if m and m.group(1) == daemon:
                ok(f"the unit starts the installed daemon {daemon}")
            else:
                fail(f"the unit's ExecStart= is {m.group(1) if m else 'missing'}, expected {daemon}")
            if not re.search(r"^BusName=org\.procctl\.Manager1$", text, re.MULTILINE):
                fail("the unit has no BusName=org.procctl.Manager1")
        if service and os.path.isfile(real(service)):
            text = open(real(service)).read()
            if re.search(r"^Name=org\.procctl\.Manager1$", text, re.MULTILINE) and \
               re.search(r"^SystemdService=procctld\.service$", text, re.MULTILINE):
                ok("the activation file names the bus name and the unit")
            else:
                fail("the activation file does not name org.procctl.Manager1 and procctld.service")
        for path, what in expected.items():
            if "/man/man" in path and os.path.isfile(real(path)):
                with open(real(path)) as f:
                    head = f.read(4096)
                if ".TH " not in head:
                    fail(f"{path} is not a man page (no .TH)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if failures:
        print(f"{len(failures)} problem(s)")
        return 1
    print("install layout as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
