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
 */

#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- The harness --------------------------------------------------------- */

typedef struct {
        pid_t pid;
        int in;          /* its commands */
        int out;         /* its events */
        GPtrArray *seen; /* every event so far */
} Harness;

static Harness *harness_new(PcFixture *fx) {
        const char *harness = g_getenv("PROCCTL_FDSTORE_HARNESS");
        const char *procctld = g_getenv("PROCCTLD");
        if (!harness || !procctld)
                pc_fail("PROCCTL_FDSTORE_HARNESS and PROCCTLD must be set: run the tests through `meson test`");
        const char *log_level = g_getenv("PROCCTL_TEST_LOG_LEVEL");
        g_autofree char *log_arg = g_strdup_printf("--log-level=%s", log_level ? log_level : "info");
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", fx->bus_address);
        /* PROCCTL_TEST_FDSTORE_NO_POLL=1: a store that never drops hung-up
         * descriptors, for diagnosis (systemd drops them unless FDPOLL=0). */
        gboolean no_poll = g_strcmp0(g_getenv("PROCCTL_TEST_FDSTORE_NO_POLL"), "1") == 0;
        const char *const argv[] = { harness, no_poll ? "--no-poll" : procctld, no_poll ? procctld : "--fd-store",
                                     no_poll ? "--fd-store" : log_arg, no_poll ? log_arg : NULL, NULL };
        const char *const envp[] = {
                bus_env,
                "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/procctl-tests-never-use-a-host-bus",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
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

/* --- The test ------------------------------------------------------------- */

static const char *const exits3_argv[] = { "/bin/sh", "-c", "exit 3", NULL };
static const char *const exits5_argv[] = { "/bin/sh", "-c", "read x; exit 5", NULL };
static const char *const exits7_argv[] = { "/bin/sh", "-c", "read x; exit 7", NULL };
static const char *const sleep_argv[] = { "/bin/sleep", "60", NULL };

static void test_processes_survive_kill_9_of_the_daemon(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        stop_fixture_daemon(fx);
        Harness *h = harness_new(fx);
        daemon_start(fx, h);

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
        GVariant *b_wait = NULL;
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait",
                               g_variant_new("(o)", b.path), G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS,
                               NULL, on_reply, &b_wait);
        /* A round trip, so that the Wait is in before B exits. */
        g_assert_cmpuint(pc_get_process_count(fx), ==, 5);
        g_assert_null(b_wait);
        feed(b_feed);
        g_assert_true(pc_poll_until(is_set, &b_wait, PC_TIMEOUT_MS));
        const char *reason;
        gint32 status;
        g_variant_get(b_wait, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "exited");
        g_assert_cmpint(status, ==, 5);
        g_variant_unref(b_wait);
        b.state = "exited", b.reason = "exited", b.status = 5;

        /* Crash 2: what the second instance learnt (B's exit) and started (E) survives too. */
        daemon_kill9(fx, h);
        daemon_start(fx, h);
        const Expected *all2[] = { &a, &b, &c, &d, &e };
        assert_listed(fx, all2, G_N_ELEMENTS(all2));

        /* E is no child of this instance: Stop still works, through its pidfd. */
        g_autofree char *stop_reason = NULL;
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

        harness_free(h);
        fx->daemon_pid = 0;

        for (gsize i = 0; i < G_N_ELEMENTS(all2); i++)
                g_free((gpointer) all2[i]->path);
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
        stop_fixture_daemon(fx);
        Harness *h = harness_new(fx);
        daemon_start(fx, h);

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

        harness_free(h);
        fx->daemon_pid = 0;
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_test_add("/restart/every-process-survives-kill-9-of-the-daemon", PC_FIXTURE_DEFAULT,
                    test_processes_survive_kill_9_of_the_daemon);
        pc_test_add("/restart/restart-policy-survives-kill-9-in-its-delay-and-third-run", PC_FIXTURE_DEFAULT,
                    test_restart_policy_survives_kill_9_of_the_daemon);
        return g_test_run();
}
