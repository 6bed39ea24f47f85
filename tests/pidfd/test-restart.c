/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Restart without loss: procctld --fd-store under fdstore-harness (a
 * service manager's notify socket and fd store, and a subreaper), on the
 * fixture's private bus.  The daemon is killed with SIGKILL between spawns
 * and exits; after each restart every process must be there with its id,
 * state and real exit status.
 *
 * The harness drops a stored descriptor that hangs up, as systemd does
 * unless told FDPOLL=0 (a pidfd hangs up once its process is reaped).
 * PROCCTL_TEST_FDSTORE_NO_POLL=1 turns that off, to see the rest.
 *
 * The last test runs procctld stopped at each of its bus writes
 * (procctld-notify) to see that a process's end is in the fd store before
 * any caller can hear of it.
 */

#include "fixture.h"
#include "fdstore.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- The harness --------------------------------------------------------- */

typedef struct {
        pid_t pid;
        int in;          /* its commands */
        int out;         /* its events */
        GPtrArray *seen; /* every event so far */
} Harness;

/* procctld: the program the harness starts (NULL: $PROCCTLD); extra_daemon_arg:
 * one more option for it, or NULL; extra_env: one more variable for it, or NULL. */
static Harness *harness_new(PcFixture *fx, const char *procctld, const char *extra_daemon_arg, const char *extra_env) {
        const char *harness = g_getenv("PROCCTL_FDSTORE_HARNESS");
        if (!procctld)
                procctld = g_getenv("PROCCTLD");
        if (!harness || !procctld)
                pc_fail("PROCCTL_FDSTORE_HARNESS and PROCCTLD must be set: run the tests through `meson test`");
        const char *log_level = g_getenv("PROCCTL_TEST_LOG_LEVEL");
        g_autofree char *log_arg = g_strdup_printf("--log-level=%s", log_level ? log_level : "info");
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", fx->bus_address);
        /* PROCCTL_TEST_FDSTORE_NO_POLL=1: a store that never drops hung-up
         * descriptors, for diagnosis (systemd drops them unless FDPOLL=0). */
        gboolean no_poll = g_strcmp0(g_getenv("PROCCTL_TEST_FDSTORE_NO_POLL"), "1") == 0;
        const char *const argv[] = { harness,  no_poll ? "--no-poll" : procctld, no_poll ? procctld : "--fd-store",
                                     no_poll ? "--fd-store" : log_arg,  no_poll ? log_arg : extra_daemon_arg,
                                     no_poll ? extra_daemon_arg : NULL, NULL };
        const char *const envp[] = {
                bus_env,
                "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/procctl-tests-never-use-a-host-bus",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                extra_env,
                NULL,
        };

        int cmd[2], ev[2];
        pc_pipe(cmd);
        pc_pipe(ev);
        pid_t pid = pc_start_child_full(argv, &(PcChildOptions) { .envp = envp, .stdin_fd = cmd[0], .stdout_fd = ev[1],
                                                                 .keep_stderr = TRUE });
        close(cmd[0]);
        close(ev[1]);

        Harness *h = g_new0(Harness, 1);
        h->pid = pid;
        h->in = cmd[1];
        h->out = ev[0];
        h->seen = g_ptr_array_new_with_free_func(g_free);
        return h;
}

static void harness_send(Harness *h, const char *command) {
        g_autofree char *line = g_strconcat(command, "\n", NULL);
        g_assert_cmpint(write(h->in, line, strlen(line)), ==, (gssize) strlen(line));
}

/* Reads events until one starts with prefix; returns it (owned by h). */
static const char *harness_expect(Harness *h, const char *prefix) {
        for (;;) {
                char *line = pc_read_line(h->out, PC_TIMEOUT_MS);
                g_ptr_array_add(h->seen, line);
                g_test_message("harness: %s", line);
                if (g_str_has_prefix(line, "error "))
                        pc_fail("fdstore-harness: %s", line);
                if (g_str_has_prefix(line, prefix))
                        return line;
        }
}

static gboolean harness_has_seen(Harness *h, const char *event) {
        for (guint i = 0; i < h->seen->len; i++)
                if (strcmp(g_ptr_array_index(h->seen, i), event) == 0)
                        return TRUE;
        return FALSE;
}

/* The names in the store now. */
static char **harness_list(Harness *h) {
        harness_send(h, "list");
        const char *line = harness_expect(h, "store");
        return g_strsplit(line[5] ? line + 6 : "", " ", -1);
}

static void harness_free(Harness *h) {
        int status;
        harness_send(h, "quit");
        close(h->in);
        g_assert_cmpint(waitpid(h->pid, &status, 0), ==, h->pid);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(h->out);
        g_ptr_array_unref(h->seen);
        g_free(h);
}

/* --- The daemon under the harness ------------------------------------------ */

/* The fixture's own procctld goes: the one under the harness takes its name. */
static void stop_fixture_daemon(PcFixture *fx) {
        int status;
        g_assert_cmpint(kill(fx->daemon_pid, SIGTERM), ==, 0);
        g_assert_cmpint(waitpid(fx->launcher_pid, &status, 0), ==, fx->launcher_pid);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        fx->launcher_pid = 0;
        fx->daemon_pid = 0;
}

static gboolean name_has_owner(PcFixture *fx) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(fx->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "NameHasOwner",
                                                            g_variant_new("(s)", PC_BUS_NAME), G_VARIANT_TYPE("(b)"),
                                                            G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, NULL);
        gboolean has = FALSE;
        if (r)
                g_variant_get(r, "(b)", &has);
        return has;
}

static gboolean name_is_free(gpointer fx) {
        return !name_has_owner(fx);
}

/* Starts procctld through the harness and waits for READY=1. */
static void daemon_start(PcFixture *fx, Harness *h) {
        /* The old instance's name must be gone, or the new one could queue. */
        g_assert_true(pc_poll_until(name_is_free, fx, PC_TIMEOUT_MS));
        harness_send(h, "start");
        const char *started = harness_expect(h, "started ");
        pid_t pid = atoi(started + strlen("started "));
        g_autofree char *ready = g_strdup_printf("ready %d", (int) pid);
        harness_expect(h, ready);
        g_assert_true(name_has_owner(fx));
        fx->daemon_pid = pid;
}

/* The fixture's procctld gives way to one under a new harness, started
 * (harness_new() says what the arguments are). */
static Harness *harness_take_over_with(PcFixture *fx, const char *procctld, const char *extra_daemon_arg,
                                       const char *extra_env) {
        stop_fixture_daemon(fx);
        Harness *h = harness_new(fx, procctld, extra_daemon_arg, extra_env);
        daemon_start(fx, h);
        return h;
}

/* The same with $PROCCTLD; extra_daemon_arg: one more option for it, or NULL. */
static Harness *harness_take_over(PcFixture *fx, const char *extra_daemon_arg) {
        return harness_take_over_with(fx, NULL, extra_daemon_arg, NULL);
}

/* The harness quits, and its procctld with it: none left for the fixture to stop. */
static void harness_done(PcFixture *fx, Harness *h) {
        harness_free(h);
        fx->daemon_pid = 0;
}

static void daemon_kill9(PcFixture *fx, Harness *h) {
        harness_send(h, "kill");
        g_autofree char *exited = g_strdup_printf("exited %d killed 9", (int) fx->daemon_pid);
        harness_expect(h, exited);
        fx->daemon_pid = 0;
}

static void daemon_terminate(PcFixture *fx, Harness *h) {
        harness_send(h, "term");
        g_autofree char *exited = g_strdup_printf("exited %d exited 0", (int) fx->daemon_pid);
        harness_expect(h, exited);
        fx->daemon_pid = 0;
}

/* --- What a process looks like ------------------------------------------- */

typedef struct {
        const char *name;     /* for messages */
        char *path;
        guint32 pid;
        const char *const *argv;
        const char *description;
        const char *state;    /* expected now */
        const char *reason;
        gint32 status;
} Expected;

static void assert_process(PcFixture *fx, const Expected *e) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) state = pc_get_property(fx, e->path, PC_PROCESS_IFACE, "State", &error);
        if (!state)
                pc_fail("process %s (%s) is gone: %s", e->name, e->path, error->message);
        if (g_strcmp0(g_variant_get_string(state, NULL), e->state) != 0)
                pc_fail("process %s: State %s, expected %s", e->name, g_variant_get_string(state, NULL), e->state);
        g_autofree char *reason = pc_get_process_string(fx, e->path, "ExitReason");
        if (g_strcmp0(reason, e->reason) != 0)
                pc_fail("process %s: ExitReason \"%s\", expected \"%s\"", e->name, reason, e->reason);
        g_autoptr(GVariant) status = pc_get_property_checked(fx, e->path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);
        if (g_variant_get_int32(status) != e->status)
                pc_fail("process %s: ExitStatus %d, expected %d", e->name, g_variant_get_int32(status), e->status);

        g_assert_cmpuint(pc_get_process_u32(fx, e->path, "Pid"), ==, e->pid);
        g_assert_cmpuint(pc_get_process_u32(fx, e->path, "OwnerUid"), ==, getuid());
        g_autoptr(GVariant) argv = pc_get_property_checked(fx, e->path, PC_PROCESS_IFACE, "Argv", G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **a = g_variant_get_strv(argv, NULL);
        g_assert_cmpstrv(a, e->argv);
        g_autofree char *description = pc_get_process_string(fx, e->path, "Description");
        g_assert_cmpstr(description, ==, e->description ? e->description : "");
        g_autoptr(GVariant) id = pc_get_property_checked(fx, e->path, PC_PROCESS_IFACE, "Id", G_VARIANT_TYPE_UINT64);
        g_autofree char *id_path = g_strdup_printf(PC_PROCESS_PREFIX "%" G_GUINT64_FORMAT, g_variant_get_uint64(id));
        g_assert_cmpstr(id_path, ==, e->path);
}

/* ListProcesses has exactly these objects, in these states. */
static void assert_listed(PcFixture *fx, const Expected *const *es, gsize n) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) list = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) entries = g_variant_get_child_value(list, 0);
        if (g_variant_n_children(entries) != n) {
                g_autofree char *text = g_variant_print(entries, FALSE);
                pc_fail("ListProcesses has %zu entries, expected %zu: %s", g_variant_n_children(entries), n, text);
        }
        for (gsize i = 0; i < n; i++) {
                gboolean found = FALSE;
                for (gsize j = 0; j < n && !found; j++) {
                        const char *o, *s, *cmd;
                        guint32 pid, uid;
                        g_variant_get_child(entries, j, "(&ouu&s&s)", &o, &pid, &uid, &s, &cmd);
                        if (strcmp(o, es[i]->path) != 0)
                                continue;
                        found = TRUE;
                        g_assert_cmpuint(pid, ==, es[i]->pid);
                        g_assert_cmpstr(s, ==, es[i]->state);
                        g_autofree char *joined = g_strjoinv(" ", (char **) es[i]->argv);
                        g_assert_cmpstr(cmd, ==, joined);
                }
                if (!found)
                        pc_fail("process %s (%s) is not listed", es[i]->name, es[i]->path);
        }
        for (gsize i = 0; i < n; i++)
                assert_process(fx, es[i]);
        g_assert_cmpuint(pc_get_process_count(fx), ==, n);
}

static guint64 path_id(const char *path) {
        g_assert_true(g_str_has_prefix(path, PC_PROCESS_PREFIX));
        return g_ascii_strtoull(path + strlen(PC_PROCESS_PREFIX), NULL, 10);
}

/* Spawn with stdin from a pipe; *feed is its write end. */
static char *spawn_fed(PcFixture *fx, const char *const *argv, int *feed, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        int p[2];
        pc_pipe(p);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&p[0], 1);
        char *path = pc_fixture_spawn(fx, argv, pc_options("stdin", g_variant_new_handle(0), NULL), fds, pid, &error);
        g_assert_no_error(error);
        *feed = p[1];
        return path;
}

static void feed(int fd) {
        g_assert_cmpint(write(fd, "go\n", 3), ==, 3);
        close(fd);
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        GVariant **reply = user_data;
        g_autoptr(GError) error = NULL;
        *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!*reply)
                pc_fail("Wait failed: %s", error->message);
}

static gboolean is_set(gpointer p) {
        return *(GVariant **) p != NULL;
}

/* Waits on path, with a round trip after it so that the Wait is in (the
 * daemon then tracks count processes), then calls before_exit (if any), lets
 * the process exit through feed_fd and expects it to have exited with status. */
static void wait_across_exit(PcFixture *fx, const char *path, guint32 count, void (*before_exit)(gpointer), gpointer data,
                             int feed_fd, gint32 status) {
        GVariant *wait = NULL;
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", path),
                               G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, on_reply, &wait);
        g_assert_cmpuint(pc_get_process_count(fx), ==, count);
        g_assert_null(wait);
        if (before_exit)
                before_exit(data);
        feed(feed_fd);
        g_assert_true(pc_poll_until(is_set, &wait, PC_TIMEOUT_MS));
        const char *reason;
        gint32 got;
        g_variant_get(wait, "(&si)", &reason, &got);
        g_assert_cmpstr(reason, ==, "exited");
        g_assert_cmpint(got, ==, status);
        g_variant_unref(wait);
}

/* --- The test ------------------------------------------------------------- */

static const char *const exits3_argv[] = { "/bin/sh", "-c", "exit 3", NULL };
static const char *const exits5_argv[] = { "/bin/sh", "-c", "read x; exit 5", NULL };
static const char *const exits7_argv[] = { "/bin/sh", "-c", "read x; exit 7", NULL };
static const char *const sleep_argv[] = { "/bin/sleep", "60", NULL };

static void test_processes_survive_kill_9_of_the_daemon(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        Harness *h = harness_take_over(fx, NULL);

        /* Before the first crash: one that has exited already, three running. */
        Expected a = { "A (exit 3 before the crash)", NULL, 0, exits3_argv, NULL, "exited", "exited", 3 };
        a.path = pc_spawn_ok(fx, exits3_argv, NULL, &a.pid);
        pc_assert_wait_result(fx, a.path, "exited", 3);

        int b_feed;
        Expected b = { "B (exit 5 after the restart)", NULL, 0, exits5_argv, NULL, "running", "", 0 };
        b.path = spawn_fed(fx, exits5_argv, &b_feed, &b.pid);

        Expected c = { "C (SIGKILL while the daemon is down)", NULL, 0, sleep_argv, "to be killed", "running", "", 0 };
        c.path = pc_spawn_ok(fx, sleep_argv, pc_options("description", g_variant_new_string("to be killed"), NULL), &c.pid);

        int d_feed;
        Expected d = { "D (exit 7 while the daemon is down)", NULL, 0, exits7_argv, NULL, "running", "", 0 };
        d.path = spawn_fed(fx, exits7_argv, &d_feed, &d.pid);

        g_assert_cmpuint(path_id(a.path), <, path_id(b.path));
        g_assert_cmpuint(path_id(b.path), <, path_id(c.path));
        g_assert_cmpuint(path_id(c.path), <, path_id(d.path));

        /* Each process is in the store: its pidfd and its state. */
        const Expected *all[] = { &a, &b, &c, &d };
        for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
                g_autofree char *pidfd_name = g_strdup_printf("stored pidfd-%" G_GUINT64_FORMAT, path_id(all[i]->path));
                g_autofree char *state_name = g_strdup_printf("stored state-%" G_GUINT64_FORMAT, path_id(all[i]->path));
                while (!harness_has_seen(h, pidfd_name) || !harness_has_seen(h, state_name))
                        harness_expect(h, "stored ");
        }

        /* Crash 1. */
        daemon_kill9(fx, h);
        g_assert_true(pc_process_is_alive((pid_t) b.pid));

        /* While it is down, C is killed and D exits; the harness reaps them. */
        g_assert_cmpint(kill((pid_t) c.pid, SIGKILL), ==, 0);
        g_autofree char *c_reaped = g_strdup_printf("reaped %u killed 9", c.pid);
        harness_expect(h, c_reaped);
        feed(d_feed);
        g_autofree char *d_reaped = g_strdup_printf("reaped %u exited 7", d.pid);
        harness_expect(h, d_reaped);

        g_auto(GStrv) store_while_down = harness_list(h);
        g_autofree char *store_text = g_strjoinv(" ", store_while_down);
        g_test_message("store while the daemon is down: %s", store_text);

        daemon_start(fx, h);
        c.state = "exited", c.reason = "killed", c.status = SIGKILL;
        d.state = "exited", d.reason = "exited", d.status = 7;
        assert_listed(fx, all, G_N_ELEMENTS(all));

        /* New processes get ids after all the restored ones. */
        Expected e = { "E (spawned after restart 1)", NULL, 0, sleep_argv, NULL, "running", "", 0 };
        e.path = pc_spawn_ok(fx, sleep_argv, NULL, &e.pid);
        g_assert_cmpuint(path_id(e.path), >, path_id(d.path));

        /* A restored running process: Signal works and Wait sees its real exit. */
        g_assert_true(pc_signal(fx, b.path, 0, &error));
        g_assert_no_error(error);
        wait_across_exit(fx, b.path, 5, NULL, NULL, b_feed, 5);
        b.state = "exited", b.reason = "exited", b.status = 5;

        /* Crash 2: what the second instance learnt (B's exit) and started (E) survives too. */
        daemon_kill9(fx, h);
        daemon_start(fx, h);
        const Expected *all2[] = { &a, &b, &c, &d, &e };
        assert_listed(fx, all2, G_N_ELEMENTS(all2));

        /* E is no child of this instance: Stop still works, through its pidfd. */
        g_autofree char *stop_reason = NULL;
        gint32 status;
        g_assert_true(pc_stop(fx, e.path, &stop_reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(stop_reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        e.state = "exited", e.reason = "killed", e.status = SIGTERM;

        /* Release takes a process out of the store for good. */
        g_assert_true(pc_release(fx, d.path, &error));
        g_assert_no_error(error);
        g_autofree char *removed_state = g_strdup_printf("removed state-%" G_GUINT64_FORMAT, path_id(d.path));
        harness_expect(h, removed_state);
        /* Each descriptor is its own message to the store: the pidfd's comes after the state's. */
        g_autofree char *removed_pidfd = g_strdup_printf("removed pidfd-%" G_GUINT64_FORMAT, path_id(d.path));
        if (!harness_has_seen(h, removed_pidfd))
                harness_expect(h, removed_pidfd);
        g_auto(GStrv) store = harness_list(h);
        g_autofree char *d_pidfd = g_strdup_printf("pidfd-%" G_GUINT64_FORMAT, path_id(d.path));
        g_autofree char *d_state = g_strdup_printf("state-%" G_GUINT64_FORMAT, path_id(d.path));
        g_assert_false(g_strv_contains((const char *const *) store, d_pidfd));
        g_assert_false(g_strv_contains((const char *const *) store, d_state));

        /* A clean stop and start: the same, minus D. */
        daemon_terminate(fx, h);
        daemon_start(fx, h);
        const Expected *all3[] = { &a, &b, &c, &e };
        assert_listed(fx, all3, G_N_ELEMENTS(all3));
        g_autofree char *f = pc_spawn_ok(fx, sleep_argv, NULL, NULL);
        g_assert_cmpuint(path_id(f), >, path_id(e.path));

        harness_done(fx, h);

        for (gsize i = 0; i < G_N_ELEMENTS(all2); i++)
                g_free((gpointer) all2[i]->path);
}

/* --- Captured output across a restart -------------------------------------- */

/* Everything ReadOutput has from cursor on, page by page: stdout's and
 * stderr's bytes, and both in the entries' order. */
static guint64 read_output_from(PcFixture *fx, const char *path, guint64 cursor, GString *out, GString *err,
                                GString *all) {
        for (;;) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "ReadOutput",
                                                    g_variant_new("(tu)", cursor, (guint32) 65536),
                                                    G_VARIANT_TYPE("(a(tuay)tt)"), NULL, NULL, &error);
                g_assert_no_error(error);
                g_autoptr(GVariant) entries = g_variant_get_child_value(reply, 0);
                guint64 next, dropped;
                g_variant_get_child(reply, 1, "t", &next);
                g_variant_get_child(reply, 2, "t", &dropped);
                g_assert_cmpuint(dropped, ==, 0);
                if (g_variant_n_children(entries) == 0)
                        return cursor;
                for (gsize i = 0; i < g_variant_n_children(entries); i++) {
                        guint64 usec;
                        guint32 stream;
                        g_autoptr(GVariant) bytes = NULL;
                        gsize n;
                        g_variant_get_child(entries, i, "(tu@ay)", &usec, &stream, &bytes);
                        const char *data = g_variant_get_fixed_array(bytes, &n, 1);
                        g_string_append_len(stream == 1 ? out : err, data, (gssize) n);
                        g_string_append_len(all, data, (gssize) n);
                }
                cursor = next;
        }
}

/* "<prefix> first\n" … "<prefix> last-1\n" */
static char *numbered_lines(const char *prefix, int first, int last) {
        GString *s = g_string_new(NULL);
        for (int i = first; i < last; i++)
                g_string_append_printf(s, "%s %d\n", prefix, i);
        return g_string_free(s, FALSE);
}

typedef struct {
        PcFixture *fx;
        const char *path;
        guint64 end;
} OutputEnd;

static gboolean output_reached(gpointer userdata) {
        OutputEnd *e = userdata;
        g_autoptr(GString) out = g_string_new(NULL), err = g_string_new(NULL), all = g_string_new(NULL);
        return read_output_from(e->fx, e->path, 0, out, err, all) >= e->end;
}

/* ReadOutput from the start has exactly these lines of stdout and stderr, nothing dropped; *all gets both. */
static void assert_output_is(PcFixture *fx, const char *path, const char *out_lines, const char *err_lines, GString *all) {
        g_autoptr(GString) out = g_string_new(NULL), err = g_string_new(NULL);
        g_string_truncate(all, 0);
        g_assert_cmpuint(read_output_from(fx, path, 0, out, err, all), ==, strlen(out_lines) + strlen(err_lines));
        g_assert_cmpstr(out->str, ==, out_lines);
        g_assert_cmpstr(err->str, ==, err_lines);
}

static gboolean file_exists(gpointer path) {
        return access(path, F_OK) == 0;
}

/* The child writes n numbered lines to stdout and to stderr for each n it
 * reads, counting on from the last, and touches DIR/ack-<count> after each. */
static const char writer_script[] =
        "c=0; while read n; do [ \"$n\" = 0 ] && exit 0; k=0; "
        "while [ $k -lt $n ]; do echo \"out $c\"; echo \"err $c\" >&2; c=$((c+1)); k=$((k+1)); done; "
        ": > \"$1/ack-$c\"; done";

static void write_lines(int feed_fd, const char *dir, int n, int total) {
        g_autofree char *line = g_strdup_printf("%d\n", n);
        g_autofree char *ack = g_strdup_printf("%s/ack-%d", dir, total);
        g_assert_cmpint(write(feed_fd, line, strlen(line)), ==, (gssize) strlen(line));
        g_assert_true(pc_poll_until(file_exists, ack, PC_TIMEOUT_MS));
}

static void test_captured_output_survives_kill_9_of_the_daemon(PcFixture *fx) {
        Harness *h = harness_take_over(fx, NULL);

        g_autofree char *dir = g_dir_make_tmp("procctl-restart-output-XXXXXX", NULL);
        g_assert_nonnull(dir);
        g_autoptr(GError) error = NULL;
        int p[2];
        pc_pipe(p);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&p[0], 1);
        int feed_fd = p[1];
        const char *const argv[] = { "/bin/sh", "-c", writer_script, "sh", dir, NULL };
        g_autofree char *path = pc_fixture_spawn(fx, argv,
                                                 pc_options("stdin", g_variant_new_handle(0), "output",
                                                            g_variant_new_string("capture"), NULL),
                                                 fds, NULL, &error);
        g_assert_no_error(error);
        guint64 id = path_id(path);
        const char *kinds[] = { "state", "pidfd", "output", "stdout", "stderr" };
        for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
                g_autofree char *name = g_strdup_printf("stored %s-%" G_GUINT64_FORMAT, kinds[i], id);
                while (!harness_has_seen(h, name))
                        harness_expect(h, "stored ");
        }

        /* Before: 50 lines each, all of them read by the daemon. */
        write_lines(feed_fd, dir, 50, 50);
        g_autofree char *out50 = numbered_lines("out", 0, 50), *err50 = numbered_lines("err", 0, 50);
        OutputEnd e = { fx, path, strlen(out50) + strlen(err50) };
        g_assert_true(pc_poll_until(output_reached, &e, PC_TIMEOUT_MS));
        g_autoptr(GString) all = g_string_new(NULL);
        assert_output_is(fx, path, out50, err50, all);
        guint64 cursor_before = all->len;

        /* During: the daemon is away, the child writes 2000 more of each into the pipes. */
        daemon_kill9(fx, h);
        write_lines(feed_fd, dir, 2000, 2050);
        daemon_start(fx, h);

        /* After: 100 more. */
        write_lines(feed_fd, dir, 100, 2150);
        g_autofree char *out_all = numbered_lines("out", 0, 2150), *err_all = numbered_lines("err", 0, 2150);
        e.end = strlen(out_all) + strlen(err_all);
        g_assert_true(pc_poll_until(output_reached, &e, PC_TIMEOUT_MS));
        assert_output_is(fx, path, out_all, err_all, all);

        /* A follower from a cursor of before the restart has everything since, then EOF once the child is gone. */
        int follow_fd = -1;
        {
                g_autoptr(GUnixFDList) got = NULL;
                g_autoptr(GVariant) reply = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "FollowOutput",
                                                    g_variant_new("(t)", cursor_before), G_VARIANT_TYPE("(h)"), NULL,
                                                    &got, &error);
                g_assert_no_error(error);
                follow_fd = g_unix_fd_list_get(got, 0, &error);
                g_assert_no_error(error);
        }
        g_assert_cmpint(write(feed_fd, "0\n", 2), ==, 2);
        close(feed_fd);
        g_autoptr(GString) followed = g_string_new(NULL);
        for (;;) {
                char buf[65536];
                struct pollfd pfd = { follow_fd, POLLIN, 0 };
                g_assert_cmpint(poll(&pfd, 1, PC_TIMEOUT_MS), ==, 1);
                ssize_t n = read(follow_fd, buf, sizeof(buf));
                g_assert_cmpint(n, >=, 0);
                if (n == 0)
                        break;
                g_string_append_len(followed, buf, n);
        }
        close(follow_fd);
        g_assert_cmpuint(followed->len, ==, all->len - cursor_before);
        g_assert_true(memcmp(followed->str, all->str + cursor_before, followed->len) == 0);

        /* Its writers gone, the pipes leave the store; the buffer stays while the record does. */
        g_autofree char *removed_stdout = g_strdup_printf("removed stdout-%" G_GUINT64_FORMAT, id);
        g_autofree char *removed_stderr = g_strdup_printf("removed stderr-%" G_GUINT64_FORMAT, id);
        while (!harness_has_seen(h, removed_stdout) || !harness_has_seen(h, removed_stderr))
                harness_expect(h, "removed ");
        pc_assert_wait_result(fx, path, "exited", 0);
        g_auto(GStrv) store = harness_list(h);
        g_autofree char *kept = g_strdup_printf("output-%" G_GUINT64_FORMAT, id);
        g_assert_true(g_strv_contains((const char *const *) store, kept));

        /* And after one more restart, the exited process's output is still all there. */
        daemon_terminate(fx, h);
        daemon_start(fx, h);
        assert_output_is(fx, path, out_all, err_all, all);

        harness_done(fx, h);
        for (int i = 50; i <= 2150; i += i == 50 ? 2000 : 100) {
                g_autofree char *ack = g_strdup_printf("%s/ack-%d", dir, i);
                (void) unlink(ack);
        }
        g_assert_cmpint(rmdir(dir), ==, 0);
}

/* --- Process trees ------------------------------------------------------- */

static gboolean dir_gone(gpointer dir) {
        return !g_file_test(dir, G_FILE_TEST_EXISTS);
}

static gboolean cgroup_empty(gpointer dir) {
        return !pc_cgroup_populated(dir);
}

static gboolean pidfd_ended(gpointer fd) {
        return pc_pidfd_wait_readable(GPOINTER_TO_INT(fd), 0);
}

/* Spawns `sh -c SCRIPT` fed on stdin (*feed), whose first line of output is
 * the PID of a grandchild in a session of its own. */
static char *spawn_tree(PcFixture *fx, const char *script, const char *kill_mode, int *feed_fd, pid_t *grandchild) {
        g_autoptr(GError) error = NULL;
        int in[2], out[2];
        pc_pipe(in);
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_unix_fd_list_append(fds, in[0], NULL);
        g_unix_fd_list_append(fds, out[1], NULL);
        close(in[0]);
        close(out[1]);
        char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", script),
                                      pc_options("stdin", g_variant_new_handle(0), "stdout", g_variant_new_handle(1),
                                                 "kill-mode", g_variant_new_string(kill_mode), NULL),
                                      fds, NULL, &error);
        g_assert_no_error(error);
        g_autofree char *line = pc_read_line(out[0], PC_TIMEOUT_MS);
        close(out[0]);
        *grandchild = atoi(line);
        g_assert_cmpint(*grandchild, >, 1);
        *feed_fd = in[1];
        return path;
}

#define TREE_SCRIPT "setsid sleep 1000 </dev/null >/dev/null & echo $!; read x"

/* After a restart each process is in its own cgroup again, with its
 * accounting: a frozen one stays frozen and thaws, what a process left
 * behind is still tracked and stopped, an exited one keeps its CPU time. */
static void test_processes_come_back_in_their_cgroups(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        if (!fx->cgroup) {
                g_test_skip("no cgroup can be made for the daemon here");
                return;
        }
        g_autofree char *mount = pc_cgroup2_mount();
        g_autofree char *cgroup_arg = g_strconcat("--cgroup=", fx->cgroup + strlen(mount), NULL);
        Harness *h = harness_take_over(fx, cgroup_arg);
        g_auto(GStrv) features = pc_features(fx);
        g_assert_true(g_strv_contains((const char *const *) features, "cgroup"));

        /* F: frozen. */
        guint32 f_pid;
        g_autofree char *f = pc_spawn_ok(fx, sleep_argv, NULL, &f_pid);
        g_autoptr(GVariant) r1 = pc_call(fx, NULL, f, PC_PROCESS_IFACE, "Freeze", NULL, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        PcBoolProperty f_frozen = { fx, f, "Frozen", TRUE };
        g_assert_true(pc_poll_until(pc_process_bool_is, &f_frozen, PC_TIMEOUT_MS));

        /* K: kill-mode process, its main process gone, its setsid grandchild left running. */
        int k_feed;
        pid_t k_left;
        g_autofree char *k = spawn_tree(fx, TREE_SCRIPT, "process", &k_feed, &k_left);
        feed(k_feed);
        pc_assert_wait_result(fx, k, "exited", 0);
        int k_left_fd = pc_pidfd_open(k_left);

        /* C: kill-mode control-group; its main process exits while the daemon is down. */
        int c_feed;
        pid_t c_left;
        g_autofree char *c = spawn_tree(fx, TREE_SCRIPT, "control-group", &c_feed, &c_left);
        int c_left_fd = pc_pidfd_open(c_left);

        /* B: burnt some CPU and exited; its cgroup is gone, its CPU time kept. */
        g_autofree char *b = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"),
                                         NULL, NULL);
        pc_assert_wait_result(fx, b, "exited", 0);
        g_autofree char *b_cgroup = pc_get_process_string(fx, b, "ControlGroup");
        g_autofree char *b_dir = g_strconcat(mount, b_cgroup, NULL);
        g_assert_true(pc_poll_until(dir_gone, b_dir, PC_TIMEOUT_MS));
        guint64 b_cpu = pc_get_process_u64(fx, b, "CPUUsageNSec");
        g_assert_cmpuint(b_cpu, >, 0);

        const char *all[] = { f, k, c, b };
        char *cgroups[G_N_ELEMENTS(all)];
        for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
                cgroups[i] = pc_get_process_string(fx, all[i], "ControlGroup");
        /* The state with B's kept CPU time is in the store before the crash. */
        g_autoptr(GVariant) ping = pc_manager_call(fx, "ListProcesses", NULL, NULL, &error);
        g_assert_no_error(error);

        /* What a killed daemon may leave: an empty cgroup named for a process
         * it never started (a Spawn cut short, or the one it makes ahead for
         * the next Spawn), and one holding a process it no longer knows. */
        g_autofree char *stale = g_strdup_printf("%s/process-%" G_GUINT64_FORMAT, fx->cgroup, path_id(b) + 1000);
        g_autofree char *held = g_strdup_printf("%s/process-%" G_GUINT64_FORMAT, fx->cgroup, path_id(b) + 1001);
        g_assert_cmpint(mkdir(stale, 0755), ==, 0);
        g_assert_cmpint(mkdir(held, 0755), ==, 0);
        pid_t stray = pc_start_child(PC_ARGV("/bin/sleep", "60"), -1, FALSE);
        g_autofree char *procs = g_strconcat(held, "/cgroup.procs", NULL);
        g_autofree char *stray_text = g_strdup_printf("%d", (int) stray);
        int procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(procs_fd, >=, 0);
        g_assert_cmpint(write(procs_fd, stray_text, strlen(stray_text)), ==, (gssize) strlen(stray_text));
        close(procs_fd);

        daemon_kill9(fx, h);
        feed(c_feed);
        daemon_start(fx, h);

        /* Gone at start, before the bus name is taken; the held one is left as it is. */
        g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(held, G_FILE_TEST_IS_DIR));
        kill(stray, SIGKILL);
        g_assert_cmpint(waitpid(stray, NULL, 0), ==, stray);
        g_assert_true(pc_poll_until(cgroup_empty, held, PC_TIMEOUT_MS));
        g_assert_cmpint(rmdir(held), ==, 0);

        for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
                g_autofree char *cg = pc_get_process_string(fx, all[i], "ControlGroup");
                g_assert_cmpstr(cg, ==, cgroups[i]);
        }
        /* B: its CPU time, as before. */
        g_assert_cmpuint(pc_get_process_u64(fx, b, "CPUUsageNSec"), ==, b_cpu);
        g_assert_cmpuint(pc_get_process_u64(fx, b, "TasksCurrent"), ==, 0);

        /* C: its main process's end is seen, and what it left is stopped. */
        pc_assert_wait_result(fx, c, "exited", 0);
        g_assert_true(pc_poll_until(pidfd_ended, GINT_TO_POINTER(c_left_fd), PC_TIMEOUT_MS));
        close(c_left_fd);
        g_autofree char *c_dir = g_strconcat(mount, cgroups[2], NULL);
        g_assert_true(pc_poll_until(dir_gone, c_dir, PC_TIMEOUT_MS));

        /* F: still frozen; thawed through the re-armed watch of cgroup.events. */
        g_assert_true(pc_process_bool_is(&f_frozen));
        g_assert_cmpuint(pc_get_process_u64(fx, f, "TasksCurrent"), ==, 1);
        g_assert_cmpuint(pc_get_process_u64(fx, f, "CPUUsageNSec"), >, 0);
        g_autoptr(GVariant) r2 = pc_call(fx, NULL, f, PC_PROCESS_IFACE, "Thaw", NULL, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        PcBoolProperty f_thawed = { fx, f, "Frozen", FALSE };
        g_assert_true(pc_poll_until(pc_process_bool_is, &f_thawed, PC_TIMEOUT_MS));

        /* K: what it left is still its own: counted, kept from Release, reached by Stop. */
        g_assert_cmpuint(pc_get_process_u64(fx, k, "TasksCurrent"), ==, 1);
        g_assert_false(pc_release(fx, k, &error));
        pc_assert_dbus_error(error, PC_ERROR_STILL_RUNNING);
        g_clear_error(&error);
        g_autofree char *k_reason = NULL;
        gint32 k_status;
        g_assert_true(pc_stop(fx, k, &k_reason, &k_status, &error));
        g_assert_no_error(error);
        g_assert_true(pc_pidfd_wait_readable(k_left_fd, 0));
        close(k_left_fd);
        g_autofree char *k_dir = g_strconcat(mount, cgroups[1], NULL);
        g_assert_true(pc_poll_until(dir_gone, k_dir, PC_TIMEOUT_MS));
        g_assert_true(pc_release(fx, k, &error));
        g_assert_no_error(error);

        g_assert_true(pc_stop(fx, f, NULL, NULL, &error));
        g_assert_no_error(error);

        harness_done(fx, h);
        for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
                g_free(cgroups[i]);
}

/* --- Restart policies through a restart of the daemon --------------------- */

static guint32 get_u32(PcFixture *fx, const char *path, const char *name) {
        return pc_get_process_u32(fx, path, name);
}

typedef struct {
        PcFixture *fx;
        const char *path;
        const char *state;
        guint32 restarts;
} Awaited;

static gboolean reached(gpointer p) {
        Awaited *a = p;
        g_autofree char *state = pc_get_process_string(a->fx, a->path, "State");
        return strcmp(state, a->state) == 0 && get_u32(a->fx, a->path, "RestartCount") == a->restarts;
}

static void await(PcFixture *fx, const char *path, const char *state, guint32 restarts) {
        Awaited a = { fx, path, state, restarts };
        if (!pc_poll_until(reached, &a, PC_TIMEOUT_MS))
                pc_fail("%s never became %s after %u restarts", path, state, restarts);
}

static guint64 start_timestamp(PcFixture *fx, const char *path) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "StartTimestamp", G_VARIANT_TYPE_UINT64);
        return g_variant_get_uint64(v);
}

static const char *const reads_argv[] = { "/bin/sh", "-c", "read x; exit 5", NULL };

/* One process in its delay and one in its third run (its stdin, the
 * caller's pipe, kept for every run) come back after kill -9 of the daemon
 * and go on: the first starts its next run when it was due, the second
 * is restarted by the new daemon from the request the store kept. */
static void test_restart_policy_survives_kill_9_of_the_daemon(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        Harness *h = harness_take_over(fx, NULL);

        g_autofree char *delayed = pc_spawn_ok(
                fx, exits3_argv,
                pc_options("restart", g_variant_new_string("on-failure"), "restart-delay", g_variant_new_uint64(1500000),
                           "restart-limit", g_variant_new_uint32(1), NULL),
                NULL);
        await(fx, delayed, "restarting", 0);
        guint64 due = start_timestamp(fx, delayed);

        int p[2];
        pc_pipe(p);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&p[0], 1);
        g_autofree char *third = pc_fixture_spawn(
                fx, reads_argv,
                pc_options("stdin", g_variant_new_handle(0), "restart", g_variant_new_string("always"), "restart-delay",
                           g_variant_new_uint64(10000), "restart-limit", g_variant_new_uint32(100), NULL),
                fds, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&fds);
        g_assert_cmpint(write(p[1], "1\n2\n", 4), ==, 4);
        await(fx, third, "running", 2);
        guint32 third_pid = get_u32(fx, third, "Pid");

        daemon_kill9(fx, h);
        daemon_start(fx, h);

        /* As they were. */
        g_autofree char *state = pc_get_process_string(fx, delayed, "State");
        if (strcmp(state, "restarting") == 0) {
                g_assert_cmpuint(start_timestamp(fx, delayed), ==, due);
                g_autofree char *reason = pc_get_process_string(fx, delayed, "ExitReason");
                g_assert_cmpstr(reason, ==, "exited");
        }
        g_assert_cmpuint(get_u32(fx, third, "RestartCount"), ==, 2);
        g_assert_cmpuint(get_u32(fx, third, "Pid"), ==, third_pid);

        /* And on: the delayed one runs once more and, past its limit, ends. */
        pc_assert_wait_result(fx, delayed, "exited", 3);
        g_assert_cmpuint(get_u32(fx, delayed, "RestartCount"), ==, 1);
        g_assert_cmpuint((guint64) g_get_real_time(), >=, due);

        /* The third run ends; the fourth, the new daemon's child, reads the same pipe. */
        g_assert_cmpint(write(p[1], "3\n", 2), ==, 2);
        await(fx, third, "running", 3);
        guint32 fourth_pid = get_u32(fx, third, "Pid");
        g_assert_cmpuint(fourth_pid, !=, third_pid);
        /* Its stdin is the caller's pipe, back from the store. */
        g_autofree char *stdin_path = g_strdup_printf("/proc/%u/fd/0", fourth_pid);
        struct stat in_st, pipe_st;
        g_assert_cmpint(stat(stdin_path, &in_st), ==, 0);
        g_assert_cmpint(fstat(p[1], &pipe_st), ==, 0);
        g_assert_cmpuint(in_st.st_ino, ==, pipe_st.st_ino);
        g_assert_cmpint(write(p[1], "4\n", 2), ==, 2);
        await(fx, third, "running", 4);
        char *reason = NULL;
        gint32 status;
        g_assert_true(pc_stop(fx, third, &reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_free(reason);
        close(p[1]);

        harness_done(fx, h);
}


/* A process whose restart policy is done (it ended for good) keeps its
 * policy but no request to run again from: it comes back after kill -9 of
 * the daemon as the exited record it is, and the new daemon serves. */
static void test_ended_restart_policy_survives_kill_9_of_the_daemon(PcFixture *fx) {
        Harness *h = harness_take_over(fx, NULL);

        g_autofree char *ended = pc_spawn_ok(
                fx, exits3_argv,
                pc_options("restart", g_variant_new_string("on-failure"), "restart-delay", g_variant_new_uint64(10000),
                           "restart-limit", g_variant_new_uint32(1), NULL),
                NULL);
        pc_assert_wait_result(fx, ended, "exited", 3);
        g_assert_cmpuint(get_u32(fx, ended, "RestartCount"), ==, 1);

        daemon_kill9(fx, h);
        daemon_start(fx, h);

        g_autofree char *state = pc_get_process_string(fx, ended, "State");
        g_assert_cmpstr(state, ==, "exited");
        g_assert_cmpuint(get_u32(fx, ended, "RestartCount"), ==, 1);
        pc_assert_wait_result(fx, ended, "exited", 3);

        harness_done(fx, h);
}

/* A daemon killed while Restart stops a run (one that ignores SIGTERM):
 * the new daemon stops it again, SIGKILL after its stop-timeout, and starts
 * the next run at once, not after the ten-minute restart-delay the policy
 * would wait.  The call that asked is lost with the old daemon. */
static void test_restart_completes_after_kill_9_of_the_daemon(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        Harness *h = harness_take_over(fx, NULL);

        guint32 pid1;
        g_autofree char *path = pc_fixture_spawn(
                fx, PC_ARGV("/bin/sh", "-c", "trap '' TERM; exec sleep 60"),
                pc_options("restart", g_variant_new_string("always"), "restart-delay", g_variant_new_uint64(600000000),
                           "stop-timeout", g_variant_new_uint64(1000000), NULL),
                NULL, &pid1, &error);
        g_assert_no_error(error);
        pc_wait_comm((pid_t) pid1, "sleep");
        PcAsyncCall restart = {};
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Restart", NULL, G_VARIANT_TYPE("(u)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done, &restart);
        /* Calls are handled in order: once this is answered, Restart was. */
        g_assert_cmpuint(get_u32(fx, path, "Pid"), ==, pid1);

        daemon_kill9(fx, h);
        pc_async_call_wait(&restart);
        g_assert_null(restart.reply);
        g_assert_nonnull(restart.error);
        g_clear_error(&restart.error);
        g_assert_true(pc_process_is_alive((pid_t) pid1)); /* it ignored the SIGTERM */
        daemon_start(fx, h);

        await(fx, path, "running", 1);
        g_assert_cmpuint(get_u32(fx, path, "Pid"), !=, pid1);
        g_assert_false(pc_process_is_alive((pid_t) pid1));
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "");
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));
        g_assert_no_error(error);

        harness_done(fx, h);
}

static gboolean file_has_line(gpointer data) {
        const char *const *fl = data;
        g_autofree char *text = NULL;
        return g_file_get_contents(fl[0], &text, NULL, NULL) && strstr(text, fl[1]) != NULL;
}

/* A Stop after a Restart wins, also in the fd store: a daemon killed while
 * that Stop is under way does not take the process back as being stopped
 * for a restart (which would send it SIGTERM again and start a next run). */
static void test_stop_after_restart_wins_after_kill_9_of_the_daemon(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        Harness *h = harness_take_over(fx, NULL);

        g_autofree char *log = pc_fixture_out_path(fx, "signals");
        g_autofree char *ready = pc_fixture_out_path(fx, "ready");
        g_autofree char *script = g_strdup_printf("trap 'echo t >> %s' TERM; trap 'echo u >> %s' USR1; : > %s; "
                                                  "while :; do sleep 0.05; done",
                                                  log, log, ready);
        guint32 pid1;
        g_autofree char *path = pc_fixture_spawn(
                fx, PC_ARGV("/bin/sh", "-c", script),
                pc_options("restart", g_variant_new_string("always"), "restart-delay", g_variant_new_uint64(600000000),
                           "stop-timeout", g_variant_new_uint64(600000000), NULL),
                NULL, &pid1, &error);
        g_assert_no_error(error);
        const char *term[] = { log, "t", NULL }, *usr1[] = { log, "u", NULL };
        if (!pc_poll_until(file_has_line, (gpointer) (const char *const[]) { ready, "", NULL }, PC_TIMEOUT_MS))
                pc_fail("%s never set its traps", path);
        PcAsyncCall restart = {}, stop = {};
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Restart", NULL, G_VARIANT_TYPE("(u)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done, &restart);
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Stop", NULL, G_VARIANT_TYPE("(si)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done, &stop);
        /* Calls are handled in order: once this is answered, both were. */
        g_assert_cmpuint(get_u32(fx, path, "Pid"), ==, pid1);
        if (!pc_poll_until(file_has_line, (gpointer) term, PC_TIMEOUT_MS))
                pc_fail("%s never had its SIGTERM", path);

        daemon_kill9(fx, h);
        pc_async_call_wait(&restart);
        pc_async_call_wait(&stop);
        g_clear_error(&restart.error);
        g_clear_error(&stop.error);
        daemon_start(fx, h);
        await(fx, path, "running", 0);
        /* What the new daemon sent while taking it back came before this. */
        g_assert_true(pc_signal(fx, path, SIGUSR1, &error));
        g_assert_no_error(error);
        if (!pc_poll_until(file_has_line, (gpointer) usr1, PC_TIMEOUT_MS))
                pc_fail("%s never had its SIGUSR1", path);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
        g_assert_cmpstr(text, ==, "t\nu\n");
        g_assert_cmpuint(get_u32(fx, path, "Pid"), ==, pid1);

        /* The Stop goes on: killed now, it ends for good, with no next run. */
        g_assert_true(pc_signal(fx, path, SIGKILL, &error));
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        g_assert_cmpuint(get_u32(fx, path, "RestartCount"), ==, 0);
        harness_done(fx, h);
}

/* A Stop under way when the daemon is killed goes on in the new daemon:
 * a process that ignores SIGTERM is killed at the deadline the old one set,
 * and one with a restart policy ends for good, with no next run. */
static void test_stop_goes_on_after_kill_9_of_the_daemon(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        Harness *h = harness_take_over(fx, NULL);

        g_autofree char *ready = pc_fixture_out_path(fx, "deaf");
        g_autofree char *script = g_strdup_printf("trap '' TERM; : > %s; exec sleep 600", ready);
        const char *paths[2];
        for (int i = 0; i < 2; i++) {
                (void) unlink(ready);
                g_autofree char *p = pc_fixture_spawn(
                        fx, PC_ARGV("/bin/sh", "-c", script),
                        i == 0 ? pc_options("stop-timeout", g_variant_new_uint64(1500000), NULL)
                               : pc_options("stop-timeout", g_variant_new_uint64(1500000), "restart",
                                            g_variant_new_string("always"), "restart-delay", g_variant_new_uint64(10000),
                                            NULL),
                        NULL, NULL, &error);
                g_assert_no_error(error);
                if (!pc_poll_until(file_has_line, (gpointer) (const char *const[]) { ready, "", NULL }, PC_TIMEOUT_MS))
                        pc_fail("%s never ignored SIGTERM", p);
                paths[i] = g_steal_pointer(&p);
        }
        PcAsyncCall stops[2] = {};
        for (int i = 0; i < 2; i++)
                g_dbus_connection_call(fx->conn, PC_BUS_NAME, paths[i], PC_PROCESS_IFACE, "Stop", NULL,
                                       G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done,
                                       &stops[i]);
        /* Calls are handled in order: once this is answered, both Stops were. */
        (void) get_u32(fx, paths[1], "Pid");

        daemon_kill9(fx, h);
        for (int i = 0; i < 2; i++) {
                pc_async_call_wait(&stops[i]);
                g_clear_error(&stops[i].error);
                g_clear_pointer(&stops[i].reply, g_variant_unref);
        }
        daemon_start(fx, h);

        for (int i = 0; i < 2; i++) {
                pc_assert_wait_result(fx, paths[i], "killed", SIGKILL);
                g_assert_cmpuint(get_u32(fx, paths[i], "RestartCount"), ==, 0);
                g_free((gpointer) paths[i]);
        }
        harness_done(fx, h);
}

/* A daemon restarted with a lower MaxRunningPerUser takes back every
 * process of a user, in its delay too, whatever their number; a restart
 * that would then pass the limit ends that process for good with its last
 * status (LimitExceeded in the log), and the others go on within it. */
static gboolean state_is(PcFixture *fx, const char *path, const char *state) {
        g_autofree char *s = pc_get_process_string(fx, path, "State");
        return strcmp(s, state) == 0;
}

typedef struct {
        PcFixture *fx;
        const char *paths[2];
} Pair;

static gboolean one_ended_for_good(gpointer data) {
        Pair *pair = data;
        return state_is(pair->fx, pair->paths[0], "exited") || state_is(pair->fx, pair->paths[1], "exited");
}

static void test_restart_past_a_lowered_quota_ends_it(PcFixture *fx) {
        if (geteuid() != 0) {
                g_test_skip("needs root to call as another user");
                return;
        }
        g_autoptr(GError) error = NULL;
        g_autofree char *conf = g_build_filename(fx->tmpdir, "procctld.conf", NULL);
        g_assert_true(g_file_set_contents(conf, "[Limits]\nMaxRunningPerUser=2\n", -1, NULL));
        g_autofree char *conf_arg = g_strconcat("--config=", conf, NULL);
        Harness *h = harness_take_over(fx, conf_arg);

        Pair pair = { fx };
        for (int i = 0; i < 2; i++) {
                g_autoptr(GVariant) reply = pc_call_as(
                        fx, 65534, 65534, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                        g_variant_new("(^as@a{sv})", exits3_argv,
                                      pc_options("restart", g_variant_new_string("on-failure"), "restart-delay",
                                                 g_variant_new_uint64(1500000), "restart-limit", g_variant_new_uint32(5),
                                                 NULL)),
                        &error);
                g_assert_no_error(error);
                const char *path;
                g_variant_get(reply, "(&ou)", &path, NULL);
                pair.paths[i] = g_strdup(path);
                await(fx, path, "restarting", 0);
        }

        g_assert_true(g_file_set_contents(conf, "[Limits]\nMaxRunningPerUser=1\n", -1, NULL));
        daemon_kill9(fx, h);
        daemon_start(fx, h);

        /* The first due ends for good; the other then fits and runs again. */
        g_assert_true(pc_poll_until(one_ended_for_good, &pair, PC_TIMEOUT_MS));
        int ended = state_is(fx, pair.paths[0], "exited") ? 0 : 1;
        g_autofree char *reason = pc_get_process_string(fx, pair.paths[ended], "ExitReason");
        g_assert_cmpstr(reason, ==, "exited");
        g_autoptr(GVariant) status = pc_get_property_checked(fx, pair.paths[ended], PC_PROCESS_IFACE, "ExitStatus",
                                                             G_VARIANT_TYPE_INT32);
        g_assert_cmpint(g_variant_get_int32(status), ==, 3);
        g_assert_cmpuint(get_u32(fx, pair.paths[ended], "RestartCount"), ==, 0);
        await(fx, pair.paths[1 - ended], "restarting", 1);
        g_assert_true(pc_stop(fx, pair.paths[1 - ended], NULL, NULL, &error));
        g_assert_no_error(error);

        harness_done(fx, h);
        for (int i = 0; i < 2; i++)
                g_free((gpointer) pair.paths[i]);
}

/* --- The end is in the fd store before anyone hears of it -----------------
 *
 * procctld-notify is procctld stopped at each of its bus writes until the
 * supervisor below, a thread of this test, lets it go on (seccomp's user
 * notification, tests/pidfd/seccomp-exec.c).  While a write waits, nothing it
 * carries has reached anyone, and the daemon's fd store can be read: its
 * state memfds are open in the daemon, readable through /proc/PID/fd.  The
 * first write after a process ends must find the end already recorded
 * there; otherwise a crash right after it would lose an exit status a caller
 * was told of (the kernel can report a reaped child's status after a restart
 * only from Linux 6.15 on, PIDFD_GET_INFO: a test that killed the daemon
 * after the reply would pass on this kernel either way).
 */

typedef struct {
        int listening;     /* where procctld-notify sends seccomp's listener */
        int listener;      /* -1 until received */
        gint got_listener;
        gint armed;        /* set: the next write is checked */
        gint checked;      /* writes checked since armed */
        gint first_had_end;
        char *first_state; /* what the first checked write found, for a message */
        gint stop;
} Supervisor;

/* The process's state record in the daemon's state memfd (read as the
 * daemon reads it after a restart), NULs as newlines; NULL when there is
 * none.  The daemon tracks one process in this test. */
static char *read_stored_state(pid_t daemon) {
        g_autofree char *dir_path = g_strdup_printf("/proc/%d/fd", (int) daemon);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
                g_autofree char *fd_path = g_build_filename(dir_path, name, NULL);
                g_autofree char *target = g_file_read_link(fd_path, NULL);
                if (!target || !g_str_has_prefix(target, "/memfd:procctl-state"))
                        continue;
                int fd = open(fd_path, O_RDONLY | O_CLOEXEC);
                char *buf = NULL;
                size_t size = 0;
                int r = fd < 0 ? -errno : fdstore_read_state(fd, &buf, &size);
                if (fd >= 0)
                        close(fd);
                if (r < 0)
                        return g_strdup_printf("(unreadable: %s)", g_strerror(-r));
                char *record = g_malloc(size + 1);
                for (size_t i = 0; i < size; i++)
                        record[i] = buf[i] ? buf[i] : '\n';
                record[size] = '\0';
                free(buf);
                return record;
        }
        return NULL;
}

static gboolean receive_listener(Supervisor *s) {
        struct pollfd p = { .fd = s->listening, .events = POLLIN };
        if (poll(&p, 1, PC_TIMEOUT_MS) != 1)
                return FALSE;
        int conn = accept4(s->listening, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return FALSE;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
        close(conn);
        struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&mh) : NULL;
        if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
                return FALSE;
        memcpy(&s->listener, CMSG_DATA(c), sizeof(int));
        return TRUE;
}

/* Lets every write go on; the first one after arming, only once the fd
 * store has been read.  Asserts nothing itself: the test reads the result. */
static gpointer supervise(gpointer data) {
        Supervisor *s = data;
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        struct seccomp_notif_sizes sizes = {};

        if (!receive_listener(s) || syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0 ||
            seccomp_notify_alloc(&req, &resp) < 0)
                return NULL;
        g_atomic_int_set(&s->got_listener, 1);
        while (!g_atomic_int_get(&s->stop)) {
                struct pollfd p = { .fd = s->listener, .events = POLLIN };
                if (poll(&p, 1, 100) != 1)
                        continue;
                if (!(p.revents & POLLIN))
                        break; /* the daemon is gone */
                /* The kernel takes only a zeroed request (libseccomp 2.5.4 leaves that to us). */
                memset(req, 0, sizes.seccomp_notif);
                if (seccomp_notify_receive(s->listener, req) < 0)
                        continue; /* it died meanwhile */
                if (g_atomic_int_get(&s->armed) && g_atomic_int_add(&s->checked, 1) == 0) {
                        s->first_state = read_stored_state((pid_t) req->pid);
                        g_atomic_int_set(&s->first_had_end, s->first_state && strstr(s->first_state, "\nexit-reason=exited\n") &&
                                                                    strstr(s->first_state, "\nexit-status=7\n"));
                }
                memset(resp, 0, sizes.seccomp_notif_resp);
                resp->id = req->id;
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                (void) seccomp_notify_respond(s->listener, resp);
        }
        seccomp_notify_free(req, resp);
        return NULL;
}

static void arm(gpointer s) {
        g_atomic_int_set(&((Supervisor *) s)->armed, 1);
}

static void test_end_is_stored_before_anyone_hears_of_it(PcFixture *fx) {
        const char *notify_daemon = g_getenv("PROCCTL_NOTIFY_DAEMON");
        if (!notify_daemon)
                pc_fail("PROCCTL_NOTIFY_DAEMON must be set: run the tests through `meson test`");

        g_autofree char *socket_path = g_build_filename(fx->tmpdir, "notify.sock", NULL);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        g_assert_cmpuint(strlen(socket_path), <, sizeof(sa.sun_path));
        strcpy(sa.sun_path, socket_path);
        Supervisor s = { .listening = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), .listener = -1 };
        g_assert_cmpint(s.listening, >=, 0);
        g_assert_cmpint(bind(s.listening, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
        g_assert_cmpint(listen(s.listening, 1), ==, 0);
        GThread *thread = g_thread_new("supervisor", supervise, &s);

        g_autofree char *env = g_strconcat("PROCCTL_TEST_NOTIFY_SOCKET=", socket_path, NULL);
        Harness *h = harness_take_over_with(fx, notify_daemon, NULL, env);
        g_assert_true(g_atomic_int_get(&s.got_listener));

        int feed_fd;
        guint32 pid;
        g_autofree char *path = spawn_fed(fx, exits7_argv, &feed_fd, &pid);
        g_autofree char *stored = g_strdup_printf("stored state-%" G_GUINT64_FORMAT, path_id(path));
        while (!harness_has_seen(h, stored))
                harness_expect(h, "stored ");

        /* Armed once the Wait is in: nothing the daemon writes from then on
         * is about anything but the end. */
        wait_across_exit(fx, path, 1, arm, &s, feed_fd, 7);
        g_assert_cmpint(g_atomic_int_get(&s.checked), >=, 1);
        if (!g_atomic_int_get(&s.first_had_end))
                pc_fail("the daemon's first bus write after the process ended came before the end was in the fd store; "
                        "the stored record was: %s", s.first_state ? s.first_state : "(none)");

        harness_done(fx, h);
        g_atomic_int_set(&s.stop, 1);
        g_thread_join(thread);
        close(s.listening);
        if (s.listener >= 0)
                close(s.listener);
        g_free(s.first_state);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_test_add("/restart/every-process-survives-kill-9-of-the-daemon", PC_FIXTURE_DEFAULT,
                    test_processes_survive_kill_9_of_the_daemon);
        pc_test_add("/restart/captured-output-survives-kill-9-of-the-daemon", PC_FIXTURE_DEFAULT,
                    test_captured_output_survives_kill_9_of_the_daemon);
        pc_test_add("/restart/processes-come-back-in-their-cgroups", PC_FIXTURE_DEFAULT,
                    test_processes_come_back_in_their_cgroups);
        pc_test_add("/restart/restart-policy-survives-kill-9-in-its-delay-and-third-run", PC_FIXTURE_DEFAULT,
                    test_restart_policy_survives_kill_9_of_the_daemon);
        pc_test_add("/restart/ended-restart-policy-survives-kill-9", PC_FIXTURE_DEFAULT,
                    test_ended_restart_policy_survives_kill_9_of_the_daemon);
        pc_test_add("/restart/restart-call-completes-after-kill-9-of-the-daemon", PC_FIXTURE_DEFAULT,
                    test_restart_completes_after_kill_9_of_the_daemon);
        pc_test_add("/restart/stop-after-restart-wins-after-kill-9-of-the-daemon", PC_FIXTURE_DEFAULT,
                    test_stop_after_restart_wins_after_kill_9_of_the_daemon);
        pc_test_add("/restart/restart-past-a-lowered-quota-ends-it", PC_FIXTURE_DEFAULT,
                    test_restart_past_a_lowered_quota_ends_it);
        pc_test_add("/restart/stop-goes-on-after-kill-9-of-the-daemon", PC_FIXTURE_DEFAULT,
                    test_stop_goes_on_after_kill_9_of_the_daemon);
        pc_test_add("/restart/end-is-stored-before-anyone-hears-of-it", PC_FIXTURE_DEFAULT,
                    test_end_is_stored_before_anyone_hears_of_it);
        return g_test_run();
}
