#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""spawn-wait-signal: drive procctld from Python through GIO (PyGObject,
Debian package python3-gi).  It does what spawn-wait-signal.c does, step by
step and with the same output:

  1. runs `echo` with this script's standard output (a descriptor passed
     over the bus) and waits for it;
  2. starts `sleep 60`, sends it SIGTERM through the process's own object
     (org.procctl.Process1) and waits: "killed" by signal 15;
  3. runs `sh -c "exit 3"` and waits: "exited" with 3;
  4. tries to run a program that does not exist: Spawn itself fails with
     org.procctl.Error.ExecFailed, naming the file and the reason;

releasing every process once it has its exit status.  Any unexpected failure
ends the script with status 1.  It talks to the system bus
(DBUS_SYSTEM_BUS_ADDRESS, if set).
"""

import signal
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.procctl.Manager1"
MANAGER_PATH = "/org/procctl/Manager1"
MANAGER_IFACE = "org.procctl.Manager1"
PROCESS_IFACE = "org.procctl.Process1"

# Wait returns when the process ends, which may take long.
NO_TIMEOUT = GLib.MAXINT32


def describe_error(error):
    """'org.procctl.Error.ExecFailed: execve(...): ...' from a GLib.Error."""
    name = Gio.DBusError.get_remote_error(error)
    if not name:
        return error.message
    # Gio.DBusError.strip_remote_error() would change a copy, not this error.
    prefix = f"GDBus.Error:{name}: "
    message = error.message[len(prefix):] if error.message.startswith(prefix) else error.message
    return f"{name}: {message}"


def die(what, error):
    print(f"spawn-wait-signal: {what}: {describe_error(error)}", file=sys.stderr)
    sys.exit(1)


def process_id(path):
    return path.rsplit("/", 1)[-1]


def spawn(manager, argv, options=None, fds=None):
    """Spawn(argv, options); the 'h' values of options index fds.  Returns the
    object path; raises GLib.Error when the daemon refuses."""
    reply, _ = manager.call_with_unix_fd_list_sync(
        "Spawn", GLib.Variant("(asa{sv})", (argv, options or {})),
        Gio.DBusCallFlags.NONE, -1, fds, None)
    path, pid = reply.unpack()
    # The child writes to the same stdout and may already have: flush at once.
    print(f"spawned {process_id(path)} (pid {pid}): {' '.join(argv)}", flush=True)
    return path


def wait_and_release(manager, path):
    try:
        reason, status = manager.call_sync("Wait", GLib.Variant("(o)", (path,)),
                                           Gio.DBusCallFlags.NONE, NO_TIMEOUT, None).unpack()
        print(f"{process_id(path)}: {reason} {status}", flush=True)
        manager.call_sync("Release", GLib.Variant("(o)", (path,)), Gio.DBusCallFlags.NONE, -1, None)
    except GLib.Error as e:
        die("Wait/Release", e)


def main():
    try:
        bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
        manager = Gio.DBusProxy.new_sync(bus, Gio.DBusProxyFlags.NONE, None,
                                         BUS_NAME, MANAGER_PATH, MANAGER_IFACE, None)
    except GLib.Error as e:
        die("connecting to procctld", e)

    # Properties come with the proxy; no Version means no daemon answered.
    version = manager.get_cached_property("Version")
    if version is None:
        print("spawn-wait-signal: procctld is not running", file=sys.stderr)
        return 1
    features = " ".join(manager.get_cached_property("Features").unpack())
    print(f"procctld {version.unpack()} ({features})", flush=True)

    try:
        # 1. stdout is passed as a descriptor: index 0 of the message's list.
        fds = Gio.UnixFDList.new()
        index = fds.append(sys.stdout.fileno())
        path = spawn(manager, ["echo", "hello from procctl"],
                     {"stdout": GLib.Variant("h", index),
                      "description": GLib.Variant("s", "example: echo")}, fds)
        wait_and_release(manager, path)

        # 2. Signal through the process object itself.
        path = spawn(manager, ["sleep", "60"])
        process = Gio.DBusProxy.new_sync(bus, Gio.DBusProxyFlags.NONE, None,
                                         BUS_NAME, path, PROCESS_IFACE, None)
        process.call_sync("Signal", GLib.Variant("(i)", (signal.SIGTERM,)),
                          Gio.DBusCallFlags.NONE, -1, None)
        print(f"{process_id(path)}: sent SIGTERM", flush=True)
        wait_and_release(manager, path)

        # 3. An exit code.
        path = spawn(manager, ["sh", "-c", "exit 3"])
        wait_and_release(manager, path)
    except GLib.Error as e:
        die("Spawn/Signal", e)

    # 4. A program that cannot start is an error of Spawn, not a process.
    try:
        spawn(manager, ["/nonexistent/program"])
    except GLib.Error as e:
        if not Gio.DBusError.is_remote_error(e):
            die("Spawn", e)
        print(f"cannot spawn /nonexistent/program: {describe_error(e)}", flush=True)
    else:
        print("spawn-wait-signal: /nonexistent/program was started", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
