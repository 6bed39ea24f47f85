#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A stand-in for procctld that goes away in the middle of a call: it owns
# org.procctl.Manager1 on the bus at argv[1], answers Spawn, and exits
# without answering the first Wait, as a daemon that crashes would.  Prints
# "ready" once it owns the name.

import os
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.procctl.Manager1">
    <method name="Spawn">
      <arg type="as" direction="in"/><arg type="a{sv}" direction="in"/>
      <arg type="o" direction="out"/><arg type="u" direction="out"/>
    </method>
    <method name="Wait">
      <arg type="o" direction="in"/>
      <arg type="s" direction="out"/><arg type="i" direction="out"/>
    </method>
  </interface>
</node>
"""


def on_call(conn, sender, path, interface, method, params, invocation):
    if method == "Spawn":
        invocation.return_value(GLib.Variant("(ou)", ("/org/procctl/Manager1/process/1", 4242)))
    else:
        conn.flush_sync(None)
        os._exit(0)


def on_name(conn, name):
    print("ready", flush=True)


conn = Gio.DBusConnection.new_for_address_sync(
    sys.argv[1],
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
node = Gio.DBusNodeInfo.new_for_xml(XML)
conn.register_object("/org/procctl/Manager1", node.interfaces[0], on_call, None, None)
Gio.bus_own_name_on_connection(conn, "org.procctl.Manager1", Gio.BusNameOwnerFlags.NONE, on_name, None)
GLib.MainLoop().run()
