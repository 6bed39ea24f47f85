/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * auth-call: calls to procctld from a bus connection of its own, for the
 * authorization tests, which run it as other uids (under setpriv).
 *
 * One call:
 *   auth-call [--interactive] [--hold] [--pidfd=PID] ADDRESS OBJECT-PATH INTERFACE METHOD [PARAMETERS]
 *
 *   PARAMETERS is a GVariant tuple in text form.  --interactive sets the
 *   message's allow-interactive-authorization flag.  --pidfd=PID passes a
 *   pidfd of PID as handle 0 (for Adopt).  Prints "NAME <unique name>" once
 *   connected, then the result (below).  With --hold it prints "SENT" once
 *   the call has left instead, waits for end of file on stdin and exits
 *   without waiting for the reply: a caller that leaves the bus with its
 *   call pending.
 *
 * Many calls, one connection (starting a process per call would make the
 * authorization matrix far slower):
 *   auth-call --serve ADDRESS
 *
 *   Prints "NAME <unique name>", then reads requests from stdin, one a line:
 *     ID FLAGS PID OBJECT-PATH INTERFACE METHOD PARAMETERS
 *   FLAGS is "i" (allow interactive authorization) or "-", PID the process to
 *   pass a pidfd of, or 0.  The calls run concurrently; each result is
 *   printed, when it comes, as lines starting with its ID.  Exits at end of
 *   file on stdin.
 *
 * A result is (each line prefixed with "ID " in --serve mode):
 *     OK <reply in GVariant text form>
 *     FD <index> <the Pid: of its fdinfo, -1 if none>   for each descriptor
 *     END
 *   or
 *     ERROR <D-Bus error name> <message, escaped as by g_strescape()>
 * Exits 1 when a call could not be made at all.
 */

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUS_NAME "org.procctl.Manager1"

static int fd_pid(int fd) {
        g_autofree char *path = g_strdup_printf("/proc/self/fdinfo/%d", fd);
        g_autofree char *contents = NULL;
        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return -1;
        const char *p = strstr(contents, "\nPid:");
        return p ? atoi(p + strlen("\nPid:")) : -1;
}

static GVariant *parse_params(const char *text) {
        g_autoptr(GError) error = NULL;
        GVariant *params = g_variant_parse(NULL, text, NULL, NULL, &error);
        if (!params || !g_variant_is_of_type(params, G_VARIANT_TYPE_TUPLE)) {
                fprintf(stderr, "auth-call: parameters must be a tuple: %s\n", error ? error->message : text);
                exit(1);
        }
        return params;
}

static GUnixFDList *pidfd_list(int pid) {
        if (pid <= 0)
                return NULL;
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                fprintf(stderr, "auth-call: pidfd_open(%d): %s\n", pid, g_strerror(errno));
                exit(1);
        }
        return g_unix_fd_list_new_from_array(&pidfd, 1);
}

static void print_result(const char *prefix, GVariant *reply, GUnixFDList *fds, GError *error) {
        if (!reply) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (!name) {
                        fprintf(stderr, "auth-call: call failed locally: %s\n", error->message);
                        exit(1);
                }
                g_dbus_error_strip_remote_error(error);
                g_autofree char *message = g_strescape(error->message, NULL);
                printf("%sERROR %s %s\n", prefix, name, message);
        } else {
                g_autofree char *text = g_variant_print(reply, TRUE);
                printf("%sOK %s\n", prefix, text);
                for (int k = 0; fds && k < g_unix_fd_list_get_length(fds); k++) {
                        int fd = g_unix_fd_list_get(fds, k, NULL);
                        printf("%sFD %d %d\n", prefix, k, fd >= 0 ? fd_pid(fd) : -1);
                        if (fd >= 0)
                                close(fd);
                }
                printf("%sEND\n", prefix);
        }
        fflush(stdout);
}

static GDBusConnection *connect_to(const char *address) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *conn = g_dbus_connection_new_for_address_sync(
                        address,
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
        if (!conn) {
                fprintf(stderr, "auth-call: cannot connect to %s: %s\n", address, error->message);
                exit(1);
        }
        g_dbus_connection_set_exit_on_close(conn, FALSE);
        printf("NAME %s\n", g_dbus_connection_get_unique_name(conn));
        fflush(stdout);
        return conn;
}

/* --- --serve ------------------------------------------------------------ */

typedef struct {
        GDBusConnection *conn;
        GDataInputStream *in;
        GMainLoop *loop;
        guint pending;
        gboolean eof;
} Server;

typedef struct {
        Server *server;
        char *prefix;
} ServedCall;

static void read_next(Server *s);

static void maybe_quit(Server *s) {
        if (s->eof && s->pending == 0)
                g_main_loop_quit(s->loop);
}

static void on_served_reply(GObject *source, GAsyncResult *result, gpointer user_data) {
        ServedCall *c = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GUnixFDList) fds = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), &fds,
                                                                                   result, &error);
        print_result(c->prefix, reply, fds, error);
        c->server->pending--;
        maybe_quit(c->server);
        g_free(c->prefix);
        g_free(c);
}

static void on_line(GObject *source, GAsyncResult *result, gpointer user_data) {
        Server *s = user_data;
        g_autoptr(GError) error = NULL;
        g_autofree char *line = g_data_input_stream_read_line_finish_utf8(s->in, result, NULL, &error);
        if (!line) {
                s->eof = TRUE;
                maybe_quit(s);
                return;
        }

        g_auto(GStrv) f = g_strsplit(line, " ", 7);
        if (g_strv_length(f) != 7) {
                fprintf(stderr, "auth-call: bad request \"%s\"\n", line);
                exit(1);
        }
        ServedCall *c = g_new0(ServedCall, 1);
        c->server = s;
        c->prefix = g_strdup_printf("%s ", f[0]);
        g_autoptr(GUnixFDList) fds = pidfd_list(atoi(f[2]));
        s->pending++;
        g_dbus_connection_call_with_unix_fd_list(
                        s->conn, BUS_NAME, f[3], f[4], f[5], parse_params(f[6]), NULL,
                        strcmp(f[1], "i") == 0 ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION : G_DBUS_CALL_FLAGS_NONE,
                        60000, fds, NULL, on_served_reply, c);
        read_next(s);
}

static void read_next(Server *s) {
        g_data_input_stream_read_line_async(s->in, G_PRIORITY_DEFAULT, NULL, on_line, s);
}

static int serve(const char *address) {
        Server s = { 0 };
        s.conn = connect_to(address);
        g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new(STDIN_FILENO, FALSE);
        s.in = g_data_input_stream_new(stdin_stream);
        s.loop = g_main_loop_new(NULL, FALSE);
        read_next(&s);
        g_main_loop_run(s.loop);
        g_main_loop_unref(s.loop);
        g_object_unref(s.in);
        g_object_unref(s.conn);
        return 0;
}

/* --- One call ----------------------------------------------------------- */

static void ignore_reply(GObject *source, GAsyncResult *result, gpointer user_data) {
}

int main(int argc, char **argv) {
        gboolean interactive = FALSE, hold = FALSE;
        int adopt_pid = 0;
        int i = 1;

        if (argc == 3 && strcmp(argv[1], "--serve") == 0)
                return serve(argv[2]);

        for (; i < argc && g_str_has_prefix(argv[i], "--"); i++) {
                if (strcmp(argv[i], "--interactive") == 0)
                        interactive = TRUE;
                else if (strcmp(argv[i], "--hold") == 0)
                        hold = TRUE;
                else if (g_str_has_prefix(argv[i], "--pidfd="))
                        adopt_pid = atoi(argv[i] + strlen("--pidfd="));
                else
                        break;
        }
        if (argc - i != 4 && argc - i != 5) {
                fprintf(stderr,
                        "usage: %s [--interactive] [--hold] [--pidfd=PID] ADDRESS OBJECT-PATH INTERFACE METHOD [PARAMETERS]\n"
                        "       %s --serve ADDRESS\n",
                        argv[0], argv[0]);
                return 1;
        }
        const char *address = argv[i], *path = argv[i + 1], *iface = argv[i + 2], *method = argv[i + 3];
        g_autoptr(GVariant) params = argc - i == 5 ? parse_params(argv[i + 4]) : NULL;
        g_autoptr(GUnixFDList) fds_in = pidfd_list(adopt_pid);
        g_autoptr(GDBusConnection) conn = connect_to(address);
        GDBusCallFlags flags = interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION : G_DBUS_CALL_FLAGS_NONE;
        g_autoptr(GError) error = NULL;

        if (hold) {
                /* With a callback, so that the call expects a reply. */
                g_dbus_connection_call_with_unix_fd_list(conn, BUS_NAME, path, iface, method, g_steal_pointer(&params),
                                                         NULL, flags, G_MAXINT, fds_in, NULL, ignore_reply, NULL);
                if (!g_dbus_connection_flush_sync(conn, NULL, &error)) {
                        fprintf(stderr, "auth-call: cannot send: %s\n", error->message);
                        return 1;
                }
                printf("SENT\n");
                fflush(stdout);
                char buf[64];
                while (read(STDIN_FILENO, buf, sizeof buf) > 0)
                        ;
                return 0;
        }

        g_autoptr(GUnixFDList) fds_out = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_sync(
                        conn, BUS_NAME, path, iface, method, g_steal_pointer(&params), NULL, flags, 60000, fds_in,
                        &fds_out, NULL, &error);
        print_result("", reply, fds_out, error);
        return 0;
}
