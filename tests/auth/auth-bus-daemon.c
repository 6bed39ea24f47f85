/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * auth-bus-daemon: the dbus-daemon that GtDBusQueue's bus runs, made a
 * system bus.
 *
 * GtDBusQueue (libglib-testing) starts its bus through GTestDBus, which
 * writes a session-bus configuration and runs `dbus-daemon --config-file=F
 * --print-address`.  Such a bus only lets the uid that started it connect,
 * and lets everyone own and call everything: not the bus procctld meets in
 * production, and no good for callers of other uids.  GLib runs the program
 * named by G_TEST_DBUS_DAEMON instead of dbus-daemon when that is set (a
 * hook GLib's own tests use; libglib-testing offers no way to hand it a
 * configuration or an existing bus), so the authorization tests point it
 * here.  This program keeps GTestDBus's <listen> address and replaces the
 * rest of F with a system-bus configuration: tests/fixture.c's
 * (pc_bus_config_new(): Debian's default system.conf policy and the
 * project's bus policy, PROCCTL_BUS_POLICY), plus polkit's bus policy with
 * root standing in for the polkitd user, as the mock polkit runs in the
 * (root) test process.
 * Then it execs the tests' bus program (pc_bus_program(): dbus-daemon, or
 * dbus-broker through tests/helpers/pc-broker) with the arguments it was
 * given.
 * GTestDBus deletes F once the bus is up, so nothing is left behind.
 */

#include "fixture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* polkit's own bus policy, with root as the owner. */
static const char polkit_policy[] =
        "  <policy user=\"root\">\n"
        "    <allow own=\"org.freedesktop.PolicyKit1\"/>\n"
        "  </policy>\n"
        "  <policy context=\"default\">\n"
        "    <allow send_destination=\"org.freedesktop.PolicyKit1\"/>\n"
        "  </policy>\n";

int main(int argc, char **argv) {
        const char *config = NULL;
        const char *policy = g_getenv("PROCCTL_BUS_POLICY");

        for (int i = 1; i < argc; i++)
                if (g_str_has_prefix(argv[i], "--config-file="))
                        config = argv[i] + strlen("--config-file=");
        if (!config || !policy || !*policy) {
                fprintf(stderr, "auth-bus-daemon: needs --config-file=FILE and PROCCTL_BUS_POLICY\n");
                return 1;
        }

        g_autoptr(GError) error = NULL;
        g_autofree char *original = NULL;
        if (!g_file_get_contents(config, &original, NULL, &error)) {
                fprintf(stderr, "auth-bus-daemon: cannot read %s\n", error->message);
                return 1;
        }
        char *listen = strstr(original, "<listen>");
        char *listen_end = listen ? strstr(listen, "</listen>") : NULL;
        if (!listen_end) {
                fprintf(stderr, "auth-bus-daemon: no <listen> in %s\n", config);
                return 1;
        }
        listen += strlen("<listen>");
        *listen_end = '\0';

        g_autofree char *text = pc_bus_config_new(listen, policy, polkit_policy);
        if (!g_file_set_contents(config, text, -1, &error)) {
                fprintf(stderr, "auth-bus-daemon: cannot write %s\n", error->message);
                return 1;
        }

        argv[0] = (char *) pc_bus_program();
        execv(argv[0], argv);
        fprintf(stderr, "auth-bus-daemon: cannot run %s: %s\n", argv[0], g_strerror(errno));
        return 127;
}
