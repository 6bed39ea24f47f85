#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes the seed corpus of fuzz-spawn-request (corpus/spawn-request/), each
# seed a readable recipe in the byte format that fuzz-spawn-request.c reads:
#
#   mode byte (bit 0: Adopt, else Spawn)
#   Spawn only: argv = count, strings (every string after the first is
#               preceded by a byte whose top bit repeats the previous one)
#   options = count, then per option: key byte (index into the contract's
#             table, 14 own key string, 15 "", 16 repeat of the last key,
#             17 "Umask"), type byte (>= 0xc0: a signature from the target's
#             list), [own key], value
#   failure = uid byte, interpreter string, stage byte (0xff exec, 0xfe
#             chdir, else any other stage), errno (u32),
#             candidate byte, exists byte, small-buffer size byte
#   errno for bus_error_from_errno (u32)
#
# Strings are a length byte (255: a big-endian u16 length follows) and the
# bytes; integers are big-endian.  Run it from anywhere; it rewrites the
# directory.

import os
import struct
import sys

KEYS = ["executable", "working-directory", "environment", "stdin", "stdout",
        "stderr", "fds", "user", "group", "umask", "kill-on-disconnect",
        "timeout", "stop-timeout", "description"]
SIGNATURES = ["s", "as", "h", "a{uh}", "u", "b", "t", "i", "y", "q", "n", "x",
              "d", "o", "g", "v", "ay", "(s)", "a{sv}", "a{ih}", "a{uu}", "ah"]
FD_DEVNULL, FD_O_PATH, FD_PIPE, FD_SOCKET = range(4)
# Stage bytes: 0xff is exec and 0xfe chdir whatever their enum values; any
# other byte b is stage 1 + b % SPAWN_STAGE_EXEC (setsid, dup2, setresuid...).
STAGE_CHDIR, STAGE_EXEC = 0xfe, 0xff


def s(text):
    b = text.encode() if isinstance(text, str) else text
    if len(b) >= 255:
        return bytes([255]) + struct.pack(">H", len(b)) + b
    return bytes([len(b)]) + b


def count(n):
    return bytes([n]) if n < 255 else bytes([255]) + struct.pack(">H", n)


def strings(items, repeat_last=0):
    out = count(len(items) + repeat_last)
    for i, item in enumerate(items):
        out += (b"\x00" if i else b"") + s(item)
    out += b"\x80" * repeat_last
    return out


def u32(v):
    return struct.pack(">I", v & 0xffffffff)


def u64(v):
    return struct.pack(">Q", v)


def target(t):
    if t < 8:
        return bytes([t])
    if 1020 <= t < 1028:
        return bytes([0x80 | (t - 1020)])
    return b"\xf0" + u32(t)


def fds(pairs):
    return bytes([len(pairs)]) + b"".join(target(t) + bytes([fd]) for t, fd in pairs)


def opt(key, value, wrong_type=None):
    k = KEYS.index(key) if key in KEYS else None
    tb = b"\x00" if wrong_type is None else bytes([0xc0 + (SIGNATURES.index(wrong_type) - 0xc0 % len(SIGNATURES)) % len(SIGNATURES)])
    if k is None:
        return bytes([14]) + tb + s(key) + value
    return bytes([k]) + tb + value


def options(*items):
    return bytes([len(items)]) + b"".join(items)


def failure(stage=STAGE_EXEC, errno=2, candidate=0, exists=0, interpreter="", uid=0, small=0, r=-22):
    return (bytes([uid]) + s(interpreter) + bytes([stage]) + u32(errno) +
            bytes([candidate, exists, small]) + u32(r))


SPAWN, ADOPT = b"\x00", b"\x01"
TRUE = strings(["/bin/true"])

seeds = {
    "minimal": SPAWN + TRUE + options() + failure(),
    "every-option": SPAWN + strings(["sh", "-c", "exit 3"]) + options(
        opt("executable", s("/bin/sh")),
        opt("working-directory", s("/tmp")),
        opt("environment", strings(["A=1", "PATH=/usr/bin::/bin", "B="])),
        opt("stdin", bytes([FD_DEVNULL])),
        opt("stdout", bytes([FD_PIPE])),
        opt("stderr", bytes([FD_SOCKET])),
        opt("fds", fds([(3, FD_DEVNULL), (1023, FD_PIPE)])),
        opt("user", s("nobody")),
        opt("group", s("65534")),
        opt("umask", u32(0o077)),
        opt("kill-on-disconnect", b"\x01"),
        opt("timeout", u64(5000000)),
        opt("stop-timeout", u64(0xffffffffffffffff)),
        opt("description", s("web server")),
    ) + failure(stage=STAGE_CHDIR, errno=13),
    "empty-argv": SPAWN + strings([]) + options() + failure(),
    "empty-argv0": SPAWN + strings(["", "x"]) + options() + failure(),
    "unknown-key": SPAWN + TRUE + options(opt("no-such-option", s("x"))) + failure(),
    "empty-key": SPAWN + TRUE + bytes([1, 15, 0]) + s("x") + failure(),
    "duplicate-key": SPAWN + TRUE + options(opt("umask", u32(0o22)), bytes([16, 0]) + u32(0o77)) + failure(),
    "case-of-key": SPAWN + TRUE + bytes([1, 17, 0]) + s("x") + failure(),
    "wrong-type-umask": SPAWN + TRUE + options(opt("umask", s("022"), wrong_type="s")) + failure(),
    "wrong-type-fds": SPAWN + TRUE + options(opt("fds", bytes([1, 5, FD_DEVNULL]), wrong_type="a{ih}")) + failure(),
    "wrong-type-variant": SPAWN + TRUE + options(opt("description", s("x"), wrong_type="v")) + failure(),
    "umask-too-big": SPAWN + TRUE + options(opt("umask", u32(0o1000))) + failure(),
    "fds-target-2": SPAWN + TRUE + options(opt("fds", fds([(2, FD_DEVNULL)]))) + failure(),
    "fds-target-1024": SPAWN + TRUE + options(opt("fds", fds([(1024, FD_DEVNULL)]))) + failure(),
    "fds-target-huge": SPAWN + TRUE + options(opt("fds", fds([(0xffffffff, FD_DEVNULL)]))) + failure(),
    "fds-duplicate-target": SPAWN + TRUE + options(opt("fds", fds([(7, FD_DEVNULL), (7, FD_PIPE)]))) + failure(),
    "fds-o-path": SPAWN + TRUE + options(opt("fds", fds([(5, FD_O_PATH)]))) + failure(),
    "stdin-o-path": SPAWN + TRUE + options(opt("stdin", bytes([FD_O_PATH]))) + failure(),
    "environment-invalid": SPAWN + TRUE + options(opt("environment", strings(["NOEQUALS", "=x"]))) + failure(),
    "relative-cwd": SPAWN + TRUE + options(opt("working-directory", s("tmp"))) + failure(),
    "empty-executable": SPAWN + TRUE + options(opt("executable", s(""))) + failure(),
    "description-too-long": SPAWN + TRUE + options(opt("description", s("d" * 4097))) + failure(),
    "too-many-arguments": SPAWN + strings(["/bin/true"], repeat_last=16384) + options() + failure(),
    "too-many-bytes": SPAWN + strings(["/bin/true", "a" * 65000], repeat_last=32) + options() + failure(),
    "too-many-environment": SPAWN + TRUE + options(opt("environment", strings(["A=1"], repeat_last=16384))) + failure(),
    "name-in-path": SPAWN + strings(["sh"]) + options(opt("environment", strings(["PATH=:/nonexistent:/bin:"]))) +
                    failure(stage=STAGE_EXEC, errno=2, candidate=2, exists=1, interpreter="/nonexistent/interp"),
    "exec-eacces-searched": SPAWN + strings(["prog"]) + options() + failure(errno=13, candidate=3),
    "exec-elf-interpreter-missing": SPAWN + TRUE + options() + failure(errno=2, exists=1),
    "setresuid-failure": SPAWN + TRUE + options(opt("user", s("0day"))) + failure(stage=7, errno=1, uid=1),
    "unknown-errno": SPAWN + TRUE + options() + failure(stage=2, errno=0x7fffffff, r=-4095, small=5),
    # Stage 2 is setting up descriptors: running out there is the daemon's
    # limit (LimitExceeded), not the program's failure.
    "fds-out-of-descriptors": SPAWN + TRUE + options() + failure(stage=2, errno=24),
    "positive-errno": SPAWN + TRUE + options() + failure(r=12),
    "adopt-options": ADOPT + options(opt("description", s("adopted")), opt("timeout", u64(1)),
                                     opt("stop-timeout", u64(2)), opt("kill-on-disconnect", b"\x00")) + failure(),
    "adopt-refuses-spawn-options": ADOPT + options(opt("stdin", bytes([FD_DEVNULL]))) + failure(),
}

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "spawn-request")
os.makedirs(out, exist_ok=True)
for name in os.listdir(out):
    os.unlink(os.path.join(out, name))
for name, data in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}", file=sys.stderr)
