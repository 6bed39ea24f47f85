/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pc-pidfd-call: one pidfd call to procctld, for tests that need it made by
 * another uid (run under `setpriv --reuid=… --regid=… --clear-groups`);
 * tests/helpers/pc-call cannot pass or receive descriptors.
 *
 *   pc-pidfd-call ADDRESS adopt PID        Adopt(pidfd_open(PID), {})
 *   pc-pidfd-call ADDRESS find PID         GetProcessByPidfd(pidfd_open(PID))
 *   pc-pidfd-call ADDRESS get-pidfd PATH   GetPidfd(PATH)
 *
 * Prints "OK" and the result (the object path; for get-pidfd the pidfs inode
 * number of the descriptor received), or "ERROR", the D-Bus error name and
 * its message, one per line; exits 0 either way.  Exits 1 when the call could
 * not be made at all.
 */

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GUnixFDList) fds_in = NULL, fds_out = NULL;
        g_autoptr(GVariant) reply = NULL;
        const char *method;
        GVariant *params;

        if (argc != 4) {
                fprintf(stderr, "usage: %s ADDRESS adopt|find PID | ADDRESS get-pidfd PATH\n", argv[0]);
                return 1;
        }

        if (strcmp(argv[2], "adopt") == 0 || strcmp(argv[2], "find") == 0) {
                int pidfd = (int) syscall(SYS_pidfd_open, atoi(argv[3]), 0);
                if (pidfd < 0) {
                        perror("pc-pidfd-call: pidfd_open");
                        return 1;
                }
                fds_in = g_unix_fd_list_new_from_array(&pidfd, 1);
                if (strcmp(argv[2], "adopt") == 0) {
                        method = "Adopt";
                        params = g_variant_new("(h@a{sv})", 0, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
                } else {
                        method = "GetProcessByPidfd";
                        params = g_variant_new("(h)", 0);
                }
        } else if (strcmp(argv[2], "get-pidfd") == 0) {
                method = "GetPidfd";
                params = g_variant_new("(o)", argv[3]);
        } else {
                fprintf(stderr, "pc-pidfd-call: unknown call \"%s\"\n", argv[2]);
                return 1;
        }

        g_autoptr(GDBusConnection) conn = g_dbus_connection_new_for_address_sync(
                        argv[1],
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
        if (!conn) {
                fprintf(stderr, "pc-pidfd-call: cannot connect to %s: %s\n", argv[1], error->message);
                return 1;
        }

        reply = g_dbus_connection_call_with_unix_fd_list_sync(
                        conn, "org.procctl.Manager1", "/org/procctl/Manager1", "org.procctl.Manager1",
                        method, params, NULL, G_DBUS_CALL_FLAGS_NONE, 30000, fds_in, &fds_out, NULL, &error);
        if (!reply) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (!name) {
                        fprintf(stderr, "pc-pidfd-call: call failed locally: %s\n", error->message);
                        return 1;
                }
                g_dbus_error_strip_remote_error(error);
                printf("ERROR\n%s\n%s\n", name, error->message);
                return 0;
        }

        if (strcmp(method, "GetPidfd") == 0) {
                gint32 handle;
                struct stat st;
                g_variant_get(reply, "(h)", &handle);
                int fd = fds_out ? g_unix_fd_list_get(fds_out, handle, &error) : -1;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        fprintf(stderr, "pc-pidfd-call: no usable descriptor in the reply\n");
                        return 1;
                }
                printf("OK\n%llu\n", (unsigned long long) st.st_ino);
                return 0;
        }

        const char *path;
        g_variant_get(reply, "(&o)", &path);
        printf("OK\n%s\n", path);
        return 0;
}
