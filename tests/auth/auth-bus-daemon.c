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
 * rest of F with a system-bus configuration: Debian's default system.conf
 * policy (the same as tests/fixture.c's), the project's bus policy
 * (PROCCTL_BUS_POLICY), and polkit's bus policy with root standing in for
 * the polkitd user, as the mock polkit runs in the (root) test process.
 * Then it execs /usr/bin/dbus-daemon with the arguments it was given.
 * GTestDBus deletes F once the bus is up, so nothing is left behind.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        size_t size = 0, n;
        char *buf = NULL, chunk[4096];
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
                char *b = realloc(buf, size + n + 1);
                if (!b) {
                        free(buf);
                        fclose(f);
                        return NULL;
                }
                buf = b;
                memcpy(buf + size, chunk, n);
                size += n;
                buf[size] = '\0';
        }
        fclose(f);
        return buf;
}

int main(int argc, char **argv) {
        const char *config = NULL;
        const char *policy = getenv("PROCCTL_BUS_POLICY");

        for (int i = 1; i < argc; i++)
                if (strncmp(argv[i], "--config-file=", strlen("--config-file=")) == 0)
                        config = argv[i] + strlen("--config-file=");
        if (!config || !policy || !*policy) {
                fprintf(stderr, "auth-bus-daemon: needs --config-file=FILE and PROCCTL_BUS_POLICY\n");
                return 1;
        }

        char *original = read_file(config);
        if (!original) {
                fprintf(stderr, "auth-bus-daemon: cannot read %s: %s\n", config, strerror(errno));
                return 1;
        }
        char *listen = strstr(original, "<listen>");
        char *listen_end = listen ? strstr(listen, "</listen>") : NULL;
        if (!listen_end) {
                fprintf(stderr, "auth-bus-daemon: no <listen> in %s\n", config);
                return 1;
        }
        listen_end += strlen("</listen>");
        *listen_end = '\0';

        FILE *f = fopen(config, "we");
        if (!f) {
                fprintf(stderr, "auth-bus-daemon: cannot write %s: %s\n", config, strerror(errno));
                return 1;
        }
        fprintf(f,
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig>\n"
                "  <type>system</type>\n"
                "  %s\n"
                "  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow user=\"*\"/>\n"
                "    <deny own=\"*\"/>\n"
                "    <deny send_type=\"method_call\"/>\n"
                "    <allow send_type=\"signal\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                "    <allow receive_type=\"method_call\"/>\n"
                "    <allow receive_type=\"method_return\"/>\n"
                "    <allow receive_type=\"error\"/>\n"
                "    <allow receive_type=\"signal\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.DBus\"\n"
                "          send_member=\"UpdateActivationEnvironment\"/>\n"
                "  </policy>\n"
                "  <!-- polkit's own bus policy, with root as the owner. -->\n"
                "  <policy user=\"root\">\n"
                "    <allow own=\"org.freedesktop.PolicyKit1\"/>\n"
                "  </policy>\n"
                "  <policy context=\"default\">\n"
                "    <allow send_destination=\"org.freedesktop.PolicyKit1\"/>\n"
                "  </policy>\n"
                "  <include>%s</include>\n"
                "</busconfig>\n",
                listen, policy);
        if (fclose(f) != 0) {
                fprintf(stderr, "auth-bus-daemon: cannot write %s: %s\n", config, strerror(errno));
                return 1;
        }
        free(original);

        argv[0] = (char *) "/usr/bin/dbus-daemon";
        execv(argv[0], argv);
        fprintf(stderr, "auth-bus-daemon: cannot run %s: %s\n", argv[0], strerror(errno));
        return 127;
}
