#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages against what they document (the 'docs' test suite).

  check-docs.py --procctl P --procctld D --man-source-dir DIR --bus-dir DIR
      procctl(1): every command of `procctl --help` has its subsection, every
      option of `procctl --help` is in the page, and every option of each
      command's --help is in that command's subsection (or in one it refers
      to with "The options of *procctl X* apply"); every exit code the CLI
      defines (client/cli.h) is an item of EXIT STATUS.
      procctld(8): every option of `procctld --help` is an item of OPTIONS.
      org.procctl.Manager1(5): every method of the interface XML is shown with
      its exact signature, every signal and property (with its type) is
      described, every Spawn option key (from the XML's documentation) has its
      entry, and every error name and polkit action is named.

  check-docs.py --render PAGE...
      groff renders each built page without a single warning.

Prints one line per problem and exits 1 if there was any.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

problems = []


def problem(msg):
    problems.append(msg)
    print(f"FAIL: {msg}")


def run_help(argv):
    p = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=10,
                       env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    if p.returncode != 0:
        problem(f"`{' '.join(argv)} --help` exited with {p.returncode}: {p.stderr.strip()}")
    return p.stdout


LONG_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
SHORT_OPTION = re.compile(r"(?<![\w-])(-[a-zA-Z])(?=[ ,=\]]|$)", re.MULTILINE)


def options_in(text):
    return set(LONG_OPTION.findall(text)) | set(SHORT_OPTION.findall(text))


def documented(option, text):
    """Whether option appears in scdoc source as a word of its own."""
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def sections(text, level):
    """{title: body} of the headers of the given level ('#' or '##') of an
    scdoc source; a header of a higher level ends a section."""
    result, title, literal = {}, None, False
    for line in text.splitlines():
        if line.startswith("```"):
            literal = not literal
        m = None if literal else re.match(r"(#+) (.*)", line)
        if m and len(m.group(1)) <= level:
            title = m.group(2).strip() if len(m.group(1)) == level else None
            if title is not None:
                result[title] = ""
        elif title is not None:
            result[title] += line + "\n"
    return result


def list_items(section_text):
    """The terms of an scdoc definition list: unindented lines followed by a tab-indented one."""
    lines = section_text.splitlines()
    return [l for i, l in enumerate(lines)
            if l and not l[0].isspace() and i + 1 < len(lines) and lines[i + 1].startswith("\t")]


# ------------------------------------------------------------------ procctl(1)

def check_procctl(procctl, man_dir, client_dir):
    source = open(os.path.join(man_dir, "procctl.1.scd")).read()
    top = sections(source, 1)
    subsections = sections(source, 2)
    main_help = run_help([procctl])

    # Commands: the lines of the "Commands:" block, "  run [OPTIONS] ..." or "  kill|signal ...".
    block = re.search(r"^Commands:\n(.*?)\n\n", main_help, re.MULTILINE | re.DOTALL)
    if not block:
        problem("`procctl --help` has no Commands: block")
        return
    commands = []
    for line in block.group(1).splitlines():
        names = line.split()[0].split("|")
        commands.append(names)
    if len(commands) < 8:
        problem(f"found only {len(commands)} commands in `procctl --help`")

    for o in sorted(options_in(main_help.split("Options:", 1)[-1])):
        if not documented(o, top.get("OPTIONS", "")):
            problem(f"procctl(1): global option {o} (procctl --help) is not in OPTIONS")

    global_options = options_in(main_help.split("Options:", 1)[-1])

    def subsection_of(name):
        for title, body in subsections.items():
            if re.search(r"\bprocctl " + re.escape(name) + r"\b", title):
                return title, body
        return None, None

    for names in commands:
        title, body = subsection_of(names[0])
        if title is None:
            problem(f"procctl(1): no '## procctl {names[0]}' subsection")
            continue
        for alias in names[1:]:
            if not re.search(r"\bprocctl " + re.escape(alias) + r"\b", title):
                problem(f"procctl(1): alias '{alias}' is not in the subsection title '{title}'")
        if not documented(names[0], top.get("SYNOPSIS", "")):
            problem(f"procctl(1): command {names[0]} is not in SYNOPSIS")
        # Subsections this one refers to ("The options of *procctl spawn* apply").
        text = body
        for other in re.findall(r"options of \*procctl (\w+)\* apply", body):
            _, other_body = subsection_of(other)
            text += "\n" + (other_body or "")

        for name in names:
            command_help = run_help([procctl, name])
            own = options_in(command_help) - global_options - {"--help", "-h"}
            for o in sorted(own):
                if not documented(o, text):
                    problem(f"procctl(1): option {o} of `procctl {name} --help` is not in '## {title}'")
            # Global options repeated in the command's help must be global ones.
            for o in sorted(options_in(command_help.split("Options:", 1)[-1]) & global_options):
                if not documented(o, top.get("OPTIONS", "")):
                    problem(f"procctl(1): option {o} of `procctl {name} --help` is not in OPTIONS")

    # Exit codes the CLI defines, and the plain ones.
    cli_h = open(os.path.join(client_dir, "cli.h")).read()
    codes = {"0", "1"} | set(re.findall(r"#define EXIT_\w+\s+(\d+)", cli_h))
    terms = [re.sub(r"[*_]", "", t).strip() for t in list_items(top.get("EXIT STATUS", ""))]
    for code in sorted(codes, key=int):
        if code not in terms:
            problem(f"procctl(1): exit code {code} (client/cli.h) is not an item of EXIT STATUS")

    for needed in ("DIAGNOSTICS", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"):
        if needed not in top:
            problem(f"procctl(1): no {needed} section")


# ----------------------------------------------------------------- procctld(8)

def check_procctld(procctld, man_dir):
    source = open(os.path.join(man_dir, "procctld.8.scd")).read()
    items = "\n".join(list_items(sections(source, 1).get("OPTIONS", "")))
    help_text = run_help([procctld])
    found = options_in(help_text)
    if len(found) < 10:
        problem(f"found only {len(found)} options in `procctld --help`")
    for o in sorted(found):
        if not documented(o, items):
            problem(f"procctld(8): option {o} (procctld --help) is not an item of OPTIONS")
    for key in ("MaxRunningPerUser", "MaxRetainedPerUser", "MaxPendingWaitsPerUser",
                "MaxPendingAuthPerUser", "MaxProcesses"):
        if f"*{key}*=" not in sections(source, 1).get("CONFIGURATION", ""):
            problem(f"procctld(8): configuration key {key} is not an item of CONFIGURATION")


# ----------------------------------------------------- org.procctl.Manager1(5)

def signature_line(method):
    args = [f"{a.get('direction', 'in')} {a.get('type')} {a.get('name')}" for a in method.findall("arg")]
    return f"{method.get('name')}({', '.join(args)});"


def check_bus_page(man_dir, bus_dir):
    source = open(os.path.join(man_dir, "org.procctl.Manager1.5.scd")).read()
    top = sections(source, 1)
    flat = re.sub(r"\s+", " ", source)
    # The node blocks, with whitespace and "in  "/"out " padding collapsed.
    blocks = re.sub(r"\s+", " ", " ".join(re.findall(r"```\n(node .*?)```", source, re.DOTALL)))
    blocks = re.sub(r"\( ", "(", blocks)

    page_section = {"org.procctl.Manager1": "THE MANAGER INTERFACE",
                    "org.procctl.Process1": "THE PROCESS INTERFACE"}
    for xml in ("org.procctl.Manager1.xml", "org.procctl.Process1.xml"):
        root = ET.parse(os.path.join(bus_dir, xml)).getroot()
        for iface in root.findall("interface"):
            name = iface.get("name")
            section = top.get(page_section.get(name, ""), None)
            if section is None:
                problem(f"org.procctl.Manager1(5): no section for interface {name}")
                continue
            if f"interface {name} {{" not in blocks:
                problem(f"org.procctl.Manager1(5): no node block for interface {name}")
            for m in iface.findall("method"):
                line = signature_line(m)
                if line not in blocks:
                    problem(f"org.procctl.Manager1(5): {name}: method not shown as '{line}'")
                if f"*{m.get('name')}*(" not in section:
                    problem(f"org.procctl.Manager1(5): {name}.{m.get('name')} is not described")
            for s in iface.findall("signal"):
                args = ", ".join(f"{a.get('type')} {a.get('name')}" for a in s.findall("arg"))
                if f"{s.get('name')}({args});" not in blocks:
                    problem(f"org.procctl.Manager1(5): {name}: signal not shown as '{s.get('name')}({args})'")
                if f"*{s.get('name')}*(" not in section:
                    problem(f"org.procctl.Manager1(5): signal {name}.{s.get('name')} is not described")
            for p in iface.findall("property"):
                pname, ptype = p.get("name"), p.get("type")
                if f"readonly {ptype} {pname} =" not in blocks:
                    problem(f"org.procctl.Manager1(5): {name}: property not shown as 'readonly {ptype} {pname}'")
                described = re.search(r"\*" + pname + r"\* \(" + re.escape(ptype) + r"\)", section) or \
                    re.search(r"\*" + pname + r"\* \(" + re.escape(ptype) + r"\), \*", section) or \
                    re.search(r", \*" + pname + r"\* \(" + re.escape(ptype) + r"\)", section)
                if not described:
                    problem(f"org.procctl.Manager1(5): property {name}.{pname} ({ptype}) is not described")

    # Spawn option keys, as the XML documents them: <term>key (type)</term>.
    manager_xml = open(os.path.join(bus_dir, "org.procctl.Manager1.xml")).read()
    options = top.get("SPAWN OPTIONS", "")
    keys = re.findall(r"<term>([a-z, -]+) \(([^)]+)\)</term>", manager_xml)
    if len(keys) < 10:
        problem(f"found only {len(keys)} Spawn options in org.procctl.Manager1.xml")
    for names, vtype in keys:
        for key in names.split(", "):
            if not re.search(r"\*" + re.escape(key) + r"\*.*\(" + re.escape(vtype) + r"\)", options):
                problem(f"org.procctl.Manager1(5): Spawn option {key} ({vtype}) is not in SPAWN OPTIONS")

    # Error names and polkit actions.
    header = open(os.path.join(bus_dir, "procctl-bus.h")).read()
    errors = set(re.findall(r'"(org\.procctl\.Error\.\w+)"', header))
    errors |= {f"org.freedesktop.DBus.Error.{e}" for e in
               ("InvalidArgs", "AccessDenied", "UnknownObject", "InteractiveAuthorizationRequired",
                "NotSupported")}
    error_items = [re.sub(r"\*", "", t).strip() for t in list_items(top.get("ERRORS", ""))]
    for e in sorted(errors):
        if e not in error_items:
            problem(f"org.procctl.Manager1(5): error {e} is not an item of ERRORS")
    for action in re.findall(r'"(org\.procctl\.[a-z-]+)"', header):
        if action.startswith("org.procctl.Error") or action.startswith("org.procctl.Manager1") or \
           action.startswith("org.procctl.Process1"):
            continue
        if action not in flat:
            problem(f"org.procctl.Manager1(5): polkit action {action} is not named")


# --------------------------------------------------------------------- render

def check_render(pages):
    groff = shutil.which("groff")
    if not groff:
        problem("groff is not installed (Debian package groff-base): cannot check the rendering")
        return
    for page in pages:
        p = subprocess.run([groff, "-k", "-t", "-man", "-Tutf8", "-ww", "-z", page],
                           capture_output=True, text=True, timeout=20)
        if p.returncode != 0 or p.stderr.strip():
            problem(f"{os.path.basename(page)}: groff: {p.stderr.strip() or 'exit status %d' % p.returncode}")
        with open(page) as f:
            text = f.read()
        left = re.search(r"@[A-Z][A-Z_]*@", text)
        if left:
            problem(f"{os.path.basename(page)}: placeholder left unfilled: {left.group(0)}")
        if p.returncode == 0 and not p.stderr.strip() and not left:
            print(f"ok: {os.path.basename(page)} renders without warnings")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procctl")
    ap.add_argument("--procctld")
    ap.add_argument("--man-source-dir")
    ap.add_argument("--bus-dir")
    ap.add_argument("--render", action="store_true")
    ap.add_argument("pages", nargs="*")
    args = ap.parse_args()

    if args.render:
        check_render(args.pages)
    else:
        client_dir = os.path.join(os.path.dirname(os.path.abspath(args.bus_dir)), "client")
        check_procctl(args.procctl, args.man_source_dir, client_dir)
        check_procctld(args.procctld, args.man_source_dir)
        check_bus_page(args.man_source_dir, args.bus_dir)

    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("all documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
