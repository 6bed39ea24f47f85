/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A process's life on the bus: its object and properties, exit statuses kept
 * until Release, Wait (repeated, concurrent, abandoned), the signals that
 * announce changes, Signal/SignalGroup, Stop and its escalation, `timeout`
 * and `kill-on-disconnect`, and the manager's own properties.
 */

#include "fixture.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, GUnixFDList *fds, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, options, fds, pid, &error);
        g_assert_no_error(error);
        g_assert_nonnull(path);
        return path;
}

/* A child that exits with code 0 once its stdin is closed: the test decides
 * when it exits.  Returns the write end of its stdin. */
static char *spawn_held(PcFixture *fx, int *hold_fd) {
        int in[2];
        pc_pipe(in);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx = g_unix_fd_list_append(fds, in[0], NULL);
        close(in[0]);
        *hold_fd = in[1];
        return spawn_ok(fx, PC_ARGV("/bin/cat"), pc_options("stdin", g_variant_new_handle(idx), NULL), fds, NULL);
}

static void assert_call_error(PcFixture *fx, const char *path, const char *iface, const char *method,
                              GVariant *params, const char *error_name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, iface, method, params, NULL, NULL, NULL, &error);
        g_assert_null(reply);
        pc_assert_dbus_error(error, error_name);
}

static void call_ok(PcFixture *fx, const char *path, const char *iface, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, iface, method, params, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
}

/* --- Async Wait ---------------------------------------------------------- */

typedef struct {
        gboolean done;
        char *reason;
        gint32 status;
        GError *error;
} AsyncWait;

static void async_wait_clear(AsyncWait *w) {
        g_clear_pointer(&w->reason, g_free);
        g_clear_error(&w->error);
}

static void on_wait_reply(GObject *source, GAsyncResult *result, gpointer user_data) {
        AsyncWait *w = user_data;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &w->error);
        if (reply)
                g_variant_get(reply, "(si)", &w->reason, &w->status);
        w->done = TRUE;
}

/* Wait through the manager, or through the process object itself. */
static void start_wait(GDBusConnection *conn, const char *path, gboolean on_object, AsyncWait *w) {
        if (on_object)
                g_dbus_connection_call(conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Wait", NULL,
                                       G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS,
                                       NULL, on_wait_reply, w);
        else
                g_dbus_connection_call(conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait",
                                       g_variant_new("(o)", path), G_VARIANT_TYPE("(si)"),
                                       G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, on_wait_reply, w);
}

/* A round trip to the daemon on conn: everything sent before has been
 * processed by the daemon. */
static void round_trip(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                        conn, PC_BUS_NAME, PC_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping",
                        NULL, NULL, G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
}

typedef struct {
        AsyncWait *waits;
        guint n;
} WaitSet;

static gboolean all_waits_done(gpointer user_data) {
        WaitSet *s = user_data;
        for (guint i = 0; i < s->n; i++)
                if (!s->waits[i].done)
                        return FALSE;
        return TRUE;
}

static gboolean wait_done(gpointer user_data) {
        return ((AsyncWait *) user_data)->done;
}

/* --- The process object -------------------------------------------------- */

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The keys of an a{sv}, sorted. */
static GStrv sorted_keys(GVariant *dict) {
        gsize n = g_variant_n_children(dict);
        GStrv keys = g_new0(char *, n + 1);
        for (gsize i = 0; i < n; i++)
                g_variant_get_child(dict, i, "{sv}", &keys[i], NULL);
        qsort(keys, n, sizeof(char *), compare_strings);
        return keys;
}

static void test_process_properties(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        gint64 before = g_get_real_time();
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"),
                                         pc_options("description", g_variant_new_string("a sleeper"),
                                                    "working-directory", g_variant_new_string(fx->outdir), NULL),
                                         NULL, &pid);
        gint64 after = g_get_real_time();

        /* Exactly the properties of the contract. */
        g_autoptr(GVariant) all = pc_call(fx, NULL, path, "org.freedesktop.DBus.Properties", "GetAll",
                                          g_variant_new("(s)", PC_PROCESS_IFACE), G_VARIANT_TYPE("(a{sv})"),
                                          NULL, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) dict = g_variant_get_child_value(all, 0);
        g_auto(GStrv) keys = sorted_keys(dict);
        /* Argv is left out of GetAll (as of GetManagedObjects and InterfacesAdded):
         * it may be megabytes per process.  It is read with Get. */
        g_assert_cmpstrv(keys, ((const char *const[]) {
                "ControlGroup", "Description", "Executable", "ExitReason", "ExitStatus", "ExitTimestamp",
                "Frozen", "Gid", "Id", "OwnerUid", "Pid", "RestartCount", "StartTimestamp", "State", "Uid", "WorkingDirectory", NULL,
        }));

        g_autoptr(GVariant) idv = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Id", G_VARIANT_TYPE_UINT64);
        g_assert_cmpuint(g_variant_get_uint64(idv), ==, g_ascii_strtoull(path + strlen(PC_PROCESS_PREFIX), NULL, 10));
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid);
        g_autoptr(GVariant) argv = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Argv", G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **a = g_variant_get_strv(argv, NULL);
        g_assert_cmpstrv(a, ((const char *const[]) { "/bin/sleep", "60", NULL }));
        g_autofree char *exe = pc_get_process_string(fx, path, "Executable");
        g_assert_cmpstr(exe, ==, "/bin/sleep");
        g_autofree char *cwd = pc_get_process_string(fx, path, "WorkingDirectory");
        g_assert_cmpstr(cwd, ==, fx->outdir);
        g_autofree char *desc = pc_get_process_string(fx, path, "Description");
        g_assert_cmpstr(desc, ==, "a sleeper");
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, geteuid());
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Gid"), ==, getegid());
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, geteuid());
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "");
        g_autoptr(GVariant) st = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "StartTimestamp", G_VARIANT_TYPE_UINT64);
        guint64 start = g_variant_get_uint64(st);
        g_assert_cmpuint(start, >=, (guint64) before - 1000);
        g_assert_cmpuint(start, <=, (guint64) after + 1000);
        g_autoptr(GVariant) et = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitTimestamp", G_VARIANT_TYPE_UINT64);
        g_assert_cmpuint(g_variant_get_uint64(et), ==, 0);
        /* ExitStatus has no meaning yet, but has its type. */
        g_autoptr(GVariant) es = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);

        /* After the exit. */
        g_autofree char *r = NULL;
        gint32 s;
        pc_stop(fx, path, &r, &s, &error);
        g_assert_no_error(error);
        gint64 stopped = g_get_real_time();
        g_assert_cmpstr(r, ==, "killed");
        g_assert_cmpint(s, ==, SIGTERM);
        g_autofree char *state2 = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state2, ==, "exited");
        g_autofree char *reason2 = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason2, ==, "killed");
        g_autoptr(GVariant) es2 = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);
        g_assert_cmpint(g_variant_get_int32(es2), ==, SIGTERM);
        g_autoptr(GVariant) et2 = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitTimestamp", G_VARIANT_TYPE_UINT64);
        g_assert_cmpuint(g_variant_get_uint64(et2), >=, start);
        g_assert_cmpuint(g_variant_get_uint64(et2), <=, (guint64) stopped + 1000);
        /* The pid stays readable for the record. */
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid);
}

static gboolean daemon_has_no_children(gpointer user_data) {
        PcFixture *fx = user_data;
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, TRUE);
        return children->len == 0;
}

static void test_exited_process_is_retained_until_release(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 3"), NULL, NULL, NULL);
        pc_assert_wait_result(fx, path, "exited", 3);

        /* The status is kept by the daemon, not by leaving a zombie. */
        if (!pc_poll_until(daemon_has_no_children, fx, PC_TIMEOUT_MS))
                pc_fail("the exited child is still an unreaped zombie of the daemon");

        /* Still there, with its status, however long nobody asks. */
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "exited");
        g_autoptr(GVariant) es = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);
        g_assert_cmpint(g_variant_get_int32(es), ==, 3);
        g_autoptr(GVariant) et = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitTimestamp", G_VARIANT_TYPE_UINT64);
        g_assert_cmpuint(g_variant_get_uint64(et), >, 0);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);

        pc_release(fx, path, &error);

        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);

        /* Gone: every way of reaching it says so. */
        g_autoptr(GVariant) v = pc_get_property(fx, path, PC_PROCESS_IFACE, "State", &error);
        g_assert_null(v);
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        g_clear_error(&error);
        g_assert_false(pc_wait(fx, path, NULL, NULL, &error));
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        g_clear_error(&error);
        g_assert_false(pc_release(fx, path, &error));
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
}

static void test_release_of_running_is_still_running(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid);

        g_assert_false(pc_release(fx, path, &error));
        pc_assert_dbus_error(error, PC_ERROR_STILL_RUNNING);
        g_clear_error(&error);
        assert_call_error(fx, path, PC_PROCESS_IFACE, "Release", NULL, PC_ERROR_STILL_RUNNING);

        /* Nothing happened to it. */
        g_assert_true(pc_process_is_alive((pid_t) pid));
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);
}

static void test_unknown_object(PcFixture *fx) {
        const char *missing = PC_PROCESS_PREFIX "999";
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", missing, 0), PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", missing, 0), PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", missing), PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Stop", g_variant_new("(o)", missing), PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Release", g_variant_new("(o)", missing), PC_ERROR_UNKNOWN_OBJECT);
        /* Paths that could never name a process. */
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", "/"), PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", PC_PROCESS_PREFIX "abc"), PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", PC_MANAGER_PATH), PC_ERROR_UNKNOWN_OBJECT);
        /* The object itself does not exist. */
        assert_call_error(fx, missing, PC_PROCESS_IFACE, "Wait", NULL, PC_ERROR_UNKNOWN_OBJECT);
        assert_call_error(fx, missing, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", 0), PC_ERROR_UNKNOWN_OBJECT);
}

static void test_repeated_wait_returns_same_answer(PcFixture *fx) {
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 9"), NULL, NULL, NULL);
        for (int i = 0; i < 5; i++)
                pc_assert_wait_result(fx, path, "exited", 9);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Wait", NULL, G_VARIANT_TYPE("(si)"),
                                        NULL, NULL, &error);
        g_assert_no_error(error);
        const char *reason;
        gint32 status;
        g_variant_get(r, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "exited");
        g_assert_cmpint(status, ==, 9);
}

static void test_many_concurrent_waiters(PcFixture *fx) {
        int hold;
        g_autofree char *path = spawn_held(fx, &hold);
        g_autoptr(GDBusConnection) other = pc_fixture_new_connection(fx);

        enum { N = 20 };
        AsyncWait waits[N] = { { 0 } };
        for (int i = 0; i < N; i++)
                start_wait(i % 2 ? other : fx->conn, path, i % 4 >= 2, &waits[i]);
        round_trip(fx->conn);
        round_trip(other);

        /* Nobody has an answer while the process runs. */
        while (g_main_context_iteration(NULL, FALSE))
                ;
        for (int i = 0; i < N; i++)
                g_assert_false(waits[i].done);

        close(hold);
        WaitSet set = { waits, N };
        g_assert_true(pc_poll_until(all_waits_done, &set, PC_TIMEOUT_MS));
        for (int i = 0; i < N; i++) {
                g_assert_no_error(waits[i].error);
                g_assert_cmpstr(waits[i].reason, ==, "exited");
                g_assert_cmpint(waits[i].status, ==, 0);
                async_wait_clear(&waits[i]);
        }
        g_dbus_connection_close_sync(other, NULL, NULL);
}

static void test_waiter_that_disconnects(PcFixture *fx) {
        int hold;
        g_autofree char *path = spawn_held(fx, &hold);

        /* Two waiters on a connection that goes away, one that stays. */
        g_autoptr(GDBusConnection) leaving = pc_fixture_new_connection(fx);
        AsyncWait gone[2] = { { 0 } }, staying = { 0 };
        start_wait(leaving, path, FALSE, &gone[0]);
        start_wait(leaving, path, TRUE, &gone[1]);
        round_trip(leaving);
        start_wait(fx->conn, path, FALSE, &staying);
        round_trip(fx->conn);

        g_dbus_connection_close_sync(leaving, NULL, NULL);
        WaitSet set = { gone, 2 };
        g_assert_true(pc_poll_until(all_waits_done, &set, PC_TIMEOUT_MS));
        g_assert_error(gone[0].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
        round_trip(fx->conn);

        close(hold);
        g_assert_true(pc_poll_until(wait_done, &staying, PC_TIMEOUT_MS));
        g_assert_no_error(staying.error);
        g_assert_cmpstr(staying.reason, ==, "exited");
        g_assert_cmpint(staying.status, ==, 0);

        /* The daemon carries on as before. */
        pc_assert_wait_result(fx, path, "exited", 0);
        g_autofree char *next = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 1"), NULL, NULL, NULL);
        pc_assert_wait_result(fx, next, "exited", 1);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 2);

        async_wait_clear(&gone[0]);
        async_wait_clear(&gone[1]);
        async_wait_clear(&staying);
}

/* --- Signals announcing changes ----------------------------------------- */

static gboolean signal_for_path(const PcRecordedSignal *s, gpointer path) {
        g_autofree char *object = NULL;
        g_variant_get_child(s->params, 0, "o", &object);
        return strcmp(object, path) == 0;
}

static gboolean state_change_of(const PcRecordedSignal *s, gpointer path) {
        if (strcmp(s->path, path) != 0)
                return FALSE;
        const char *iface;
        g_autoptr(GVariant) changed = NULL;
        g_autofree const char **invalidated = NULL;
        g_variant_get(s->params, "(&s@a{sv}^a&s)", &iface, &changed, &invalidated);
        if (strcmp(iface, PC_PROCESS_IFACE) != 0)
                return FALSE;
        const char *state;
        if (g_variant_lookup(changed, "State", "&s", &state))
                return strcmp(state, "exited") == 0;
        return g_strv_contains(invalidated, "State");
}

static void test_process_exited_signal(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) rec = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", PC_MANAGER_PATH);
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 4"), NULL, NULL, NULL);

        const PcRecordedSignal *s = pc_signal_recorder_wait(rec, signal_for_path, path, PC_TIMEOUT_MS);
        g_assert_nonnull(s);
        const char *object, *reason;
        gint32 status;
        g_variant_get(s->params, "(&o&si)", &object, &reason, &status);
        g_assert_cmpstr(reason, ==, "exited");
        g_assert_cmpint(status, ==, 4);

        /* Exactly once, also after Wait and Release. */
        pc_assert_wait_result(fx, path, "exited", 4);
        g_autoptr(GError) error = NULL;
        pc_release(fx, path, &error);
        g_assert_no_error(error);
        round_trip(fx->conn);
        while (g_main_context_iteration(NULL, FALSE))
                ;
        g_assert_cmpuint(pc_signal_recorder_signals(rec)->len, ==, 1);
}

static void test_state_properties_changed(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) rec = pc_signal_recorder_new(fx, "org.freedesktop.DBus.Properties",
                                                                 "PropertiesChanged", NULL);
        int hold;
        g_autofree char *path = spawn_held(fx, &hold);
        close(hold);
        g_assert_nonnull(pc_signal_recorder_wait(rec, state_change_of, path, PC_TIMEOUT_MS));
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");
}

static gboolean interfaces_signal_for(const PcRecordedSignal *s, gpointer path) {
        return strcmp(s->path, PC_MANAGER_PATH) == 0 && signal_for_path(s, path);
}

static void test_object_manager(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(PcSignalRecorder) added = pc_signal_recorder_new(fx, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", NULL);
        g_autoptr(PcSignalRecorder) removed = pc_signal_recorder_new(fx, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", NULL);

        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid);

        const PcRecordedSignal *a = pc_signal_recorder_wait(added, interfaces_signal_for, path, PC_TIMEOUT_MS);
        g_assert_nonnull(a);
        g_autoptr(GVariant) ifaces = g_variant_get_child_value(a->params, 1);
        g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, PC_PROCESS_IFACE, G_VARIANT_TYPE("a{sv}"));
        g_assert_nonnull(props);
        guint32 announced_pid;
        g_assert_true(g_variant_lookup(props, "Pid", "u", &announced_pid));
        g_assert_cmpuint(announced_pid, ==, pid);

        /* GetManagedObjects lists it, with the same properties. */
        g_autoptr(GVariant) objects = pc_call(fx, NULL, PC_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
                                              NULL, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) dict = g_variant_get_child_value(objects, 0);
        g_assert_cmpuint(g_variant_n_children(dict), ==, 1);
        g_autoptr(GVariant) entry = g_variant_lookup_value(dict, path, G_VARIANT_TYPE("a{sa{sv}}"));
        g_assert_nonnull(entry);
        g_autoptr(GVariant) listed = g_variant_lookup_value(entry, PC_PROCESS_IFACE, G_VARIANT_TYPE("a{sv}"));
        g_assert_nonnull(listed);
        const char *state;
        g_assert_true(g_variant_lookup(listed, "State", "&s", &state));
        g_assert_cmpstr(state, ==, "running");
        guint32 listed_pid;
        g_assert_true(g_variant_lookup(listed, "Pid", "u", &listed_pid));
        g_assert_cmpuint(listed_pid, ==, pid);

        /* Removed on Release, not on exit. */
        g_autofree char *reason = NULL;
        pc_stop(fx, path, &reason, NULL, &error);
        g_assert_no_error(error);
        round_trip(fx->conn);
        while (g_main_context_iteration(NULL, FALSE))
                ;
        g_assert_cmpuint(pc_signal_recorder_signals(removed)->len, ==, 0);

        pc_release(fx, path, &error);

        g_assert_no_error(error);
        const PcRecordedSignal *r = pc_signal_recorder_wait(removed, interfaces_signal_for, path, PC_TIMEOUT_MS);
        g_assert_nonnull(r);
        g_auto(GStrv) gone = NULL;
        g_variant_get_child(r->params, 1, "^as", &gone);
        g_autofree char *printed = g_variant_print(r->params, TRUE);
        g_test_message("InterfacesRemoved%s", printed);
        g_assert_true(g_strv_contains((const char *const *) gone, PC_PROCESS_IFACE));

        g_autoptr(GVariant) after = pc_call(fx, NULL, PC_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                            "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
                                            NULL, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) dict2 = g_variant_get_child_value(after, 0);
        g_assert_cmpuint(g_variant_n_children(dict2), ==, 0);
}

static void test_list_processes(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 running_pid, exited_pid;
        g_autofree char *running = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &running_pid);
        g_autofree char *exited = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 0"), NULL, NULL, &exited_pid);
        pc_assert_wait_result(fx, exited, "exited", 0);

        g_autoptr(GVariant) reply = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 2);

        gboolean seen_running = FALSE, seen_exited = FALSE;
        GVariantIter it;
        const char *object, *state, *cmdline;
        guint32 pid, uid;
        g_variant_iter_init(&it, list);
        while (g_variant_iter_next(&it, "(&ouu&s&s)", &object, &pid, &uid, &state, &cmdline)) {
                g_assert_cmpuint(uid, ==, geteuid());
                if (strcmp(object, running) == 0) {
                        g_assert_cmpuint(pid, ==, running_pid);
                        g_assert_cmpstr(state, ==, "running");
                        g_assert_cmpstr(cmdline, ==, "/bin/sleep 60");
                        seen_running = TRUE;
                } else if (strcmp(object, exited) == 0) {
                        g_assert_cmpuint(pid, ==, exited_pid);
                        g_assert_cmpstr(state, ==, "exited");
                        g_assert_cmpstr(cmdline, ==, "/bin/sh -c exit 0");
                        seen_exited = TRUE;
                } else
                        pc_fail("unexpected entry %s", object);
        }
        g_assert_true(seen_running && seen_exited);
}

static gboolean strv_contains(const char *const *v, const char *s) {
        return g_strv_contains(v, s);
}

static void test_manager_properties(PcFixture *fx) {
        g_autoptr(GVariant) version = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Version", G_VARIANT_TYPE_STRING);
        g_assert_cmpstr(g_variant_get_string(version, NULL), ==, PROCCTL_EXPECTED_VERSION);

        g_autoptr(GVariant) features = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Features", G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **f = g_variant_get_strv(features, NULL);
        g_autofree char *joined = g_strjoinv(" ", (char **) f);
        g_test_message("Features: %s", joined);
        const char *const known[] = {
                "clone3-pidfd", "pidfd-send-signal", "waitid-pidfd", "pidfd-process-group",
                "pidfd-exit-info", "fallback-pid", "output", "restart", "cgroup", NULL,
        };
        g_assert_cmpuint(g_strv_length((char **) f), >, 0);
        for (const char **x = f; *x; x++)
                if (!strv_contains(known, *x))
                        pc_fail("unknown feature \"%s\"", *x);
        /* What every daemon of this version has. */
        g_assert_true(strv_contains(f, "output"));
        g_assert_true(strv_contains(f, "restart"));
        if (strv_contains(f, "fallback-pid"))
                /* No pidfd word beside it, but what every daemon has (output,
                 * restart) and, with a cgroup of its own, "cgroup". */
                g_assert_cmpuint(g_strv_length((char **) f), ==, 3 + strv_contains(f, "cgroup"));
        else {
                /* Without the fallback, at least: pidfds from clone, and
                 * signals and waits through them. */
                g_assert_true(strv_contains(f, "clone3-pidfd"));
                g_assert_true(strv_contains(f, "pidfd-send-signal"));
                g_assert_true(strv_contains(f, "waitid-pidfd"));
        }

        /* ProcessCount counts running and retained processes. */
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        g_autofree char *a = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        g_autofree char *b = spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 2);
        pc_assert_wait_result(fx, b, "exited", 0);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 2);
        g_autoptr(GError) error = NULL;
        pc_release(fx, b, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);
        pc_stop(fx, a, NULL, NULL, &error);
        g_assert_no_error(error);
        pc_release(fx, a, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

/* Introspection shows the contract's methods with their signatures, and
 * nothing that is not in the contract. */
static void test_introspection(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, PC_MANAGER_PATH, "org.freedesktop.DBus.Introspectable",
                                            "Introspect", NULL, G_VARIANT_TYPE("(s)"), NULL, NULL, &error);
        g_assert_no_error(error);
        const char *xml;
        g_variant_get(reply, "(&s)", &xml);
        g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        GDBusInterfaceInfo *m = g_dbus_node_info_lookup_interface(node, PC_MANAGER_IFACE);
        g_assert_nonnull(m);

        /* name, in signature, out signature */
        static const char *const contract[][3] = {
                { "Spawn", "asa{sv}", "ou" },
                { "Signal", "oi", "" },
                { "SignalGroup", "oi", "" },
                { "Wait", "o", "si" },
                { "Stop", "o", "si" },
                { "Release", "o", "" },
                { "ListProcesses", "", "a(ouuss)" },
                /* Present on a daemon that runs on PIDs too (NotSupported there). */
                { "GetPidfd", "o", "h" },
                { "GetProcessByPidfd", "h", "o" },
                { "Adopt", "ha{sv}", "o" },
                /* Present without cgroup support too (NotSupported, or the main PID only). */
                { "FreezeProcess", "o", "" },
                { "ThawProcess", "o", "" },
                { "GetProcessByPid", "u", "o" },
                /* Features word "restart": NotSupported for a process without a policy. */
                { "RestartProcess", "o", "u" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(contract); i++) {
                GDBusMethodInfo *mi = g_dbus_interface_info_lookup_method(m, contract[i][0]);
                if (!mi)
                        pc_fail("Manager1.%s is not introspectable", contract[i][0]);
                GString *in = g_string_new(NULL), *out = g_string_new(NULL);
                for (GDBusArgInfo **a = mi->in_args; a && *a; a++)
                        g_string_append(in, (*a)->signature);
                for (GDBusArgInfo **a = mi->out_args; a && *a; a++)
                        g_string_append(out, (*a)->signature);
                g_assert_cmpstr(in->str, ==, contract[i][1]);
                g_assert_cmpstr(out->str, ==, contract[i][2]);
                g_string_free(in, TRUE);
                g_string_free(out, TRUE);
        }
        for (GDBusMethodInfo **x = m->methods; x && *x; x++) {
                gboolean known = FALSE;
                for (gsize i = 0; i < G_N_ELEMENTS(contract); i++)
                        known |= g_str_equal((*x)->name, contract[i][0]);
                if (!known)
                        pc_fail("Manager1.%s is not in the contract", (*x)->name);
        }

        GDBusSignalInfo *exited = g_dbus_interface_info_lookup_signal(m, "ProcessExited");
        g_assert_nonnull(exited);
        g_assert_cmpstr(exited->args[0]->signature, ==, "o");
        g_assert_cmpstr(exited->args[1]->signature, ==, "s");
        g_assert_cmpstr(exited->args[2]->signature, ==, "i");
        g_assert_nonnull(g_dbus_interface_info_lookup_property(m, "Version"));
        g_assert_nonnull(g_dbus_interface_info_lookup_property(m, "ProcessCount"));
        g_assert_nonnull(g_dbus_interface_info_lookup_property(m, "Features"));
        g_assert_nonnull(g_dbus_node_info_lookup_interface(node, "org.freedesktop.DBus.ObjectManager"));
}

/* The pid that a pidfd of the test's refers to (its fdinfo), 0 if none. */
static pid_t pidfd_pid(int fd) {
        g_autofree char *path = g_strdup_printf("/proc/self/fdinfo/%d", fd);
        g_autofree char *contents = NULL;
        g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
        const char *p = strstr(contents, "\nPid:");
        return p ? (pid_t) atoi(p + strlen("\nPid:")) : 0;
}

/* GetPidfd hands out a pidfd of the process, GetProcessByPidfd finds the
 * process from a pidfd the caller opened, Adopt tracks a child of the
 * caller's.  On a daemon that runs on PIDs (Features: fallback-pid) each is
 * NotSupported, and the rest of the test is skipped. */
static void test_pidfd_methods(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &pid);
        int own = pc_pidfd_open((pid_t) pid);
        pid_t child = pc_start_child(PC_ARGV("/bin/sleep", "60"), -1, FALSE);
        int child_fd = pc_pidfd_open(child);
        pc_wait_exec(child, "/sleep");
        PcReaper *reaper = pc_reaper_new(child);

        if (g_strv_contains((const char *const *) features, "fallback-pid")) {
                g_assert_cmpint(pc_get_pidfd(fx, path, &error), ==, -1);
                pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
                g_clear_error(&error);
                g_assert_null(pc_get_process_by_pidfd(fx, own, &error));
                pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
                g_clear_error(&error);
                g_assert_null(pc_adopt(fx, child_fd, NULL, &error));
                pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
                g_clear_error(&error);
        } else {
                int fd = pc_get_pidfd(fx, path, &error);
                g_assert_no_error(error);
                g_assert_cmpint(pidfd_pid(fd), ==, (pid_t) pid);
                close(fd);

                g_autofree char *found = pc_get_process_by_pidfd(fx, own, &error);
                g_assert_no_error(error);
                g_assert_cmpstr(found, ==, path);

                g_autofree char *adopted = pc_adopt(fx, child_fd, NULL, &error);
                g_assert_no_error(error);
                g_assert_true(g_str_has_prefix(adopted, PC_PROCESS_PREFIX));
                g_assert_cmpuint(pc_get_process_u32(fx, adopted, "Pid"), ==, (guint32) child);
                g_autofree char *state = pc_get_process_string(fx, adopted, "State");
                g_assert_cmpstr(state, ==, "running");
                g_assert_true(pc_signal(fx, adopted, SIGKILL, &error));
                g_assert_no_error(error);
                (void) pc_reaper_join(g_steal_pointer(&reaper));
                pc_assert_wait_result(fx, adopted, "killed", SIGKILL);
        }

        if (reaper) {
                kill(child, SIGKILL);
                (void) pc_reaper_join(reaper);
        }
        close(child_fd);
        close(own);
        pc_stop(fx, path, NULL, NULL, &error);
        g_assert_no_error(error);
        if (g_strv_contains((const char *const *) features, "fallback-pid"))
                g_test_message("procctld runs on PIDs (fallback-pid): GetPidfd, GetProcessByPidfd and Adopt were "
                               "asserted to be NotSupported");
}

/* --- Exit statuses ------------------------------------------------------- */

static void test_exit_exited_with_code(PcFixture *fx) {
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 42"), NULL, NULL, NULL);
        pc_assert_wait_result(fx, path, "exited", 42);
}

static void test_exit_killed_by_signal(PcFixture *fx) {
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "kill -USR1 $$"), NULL, NULL, NULL);
        pc_assert_wait_result(fx, path, "killed", SIGUSR1);
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "killed");
}

static void test_exit_dumped(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *pattern = NULL;
        g_assert_true(g_file_get_contents("/proc/sys/kernel/core_pattern", &pattern, NULL, NULL));
        g_strstrip(pattern);

        /* cwd is the 01777 out directory, so a plain core_pattern works. */
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "ulimit -c unlimited && kill -SEGV $$; exit 99"),
                                         pc_options("working-directory", g_variant_new_string(fx->outdir), NULL),
                                         NULL, NULL);
        g_autofree char *reason = NULL;
        gint32 status;
        pc_wait(fx, path, &reason, &status, &error);
        g_assert_no_error(error);
        g_assert_cmpint(status, ==, SIGSEGV);

        if (pattern[0] == '|') {
                /* Piped to a helper: whether a core was written depends on
                 * the helper being there and willing. */
                g_test_message("core_pattern \"%s\" pipes to a program: reason %s accepted", pattern, reason);
                g_assert_true(g_str_equal(reason, "dumped") || g_str_equal(reason, "killed"));
        } else
                g_assert_cmpstr(reason, ==, "dumped");
}

/* --- Signal and SignalGroup ---------------------------------------------- */

static void test_signal_zero_is_liveness_check(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid);
        pc_signal(fx, path, 0, &error);
        g_assert_no_error(error);
        call_ok(fx, path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", 0));
        call_ok(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, 0));
        g_assert_true(pc_process_is_alive((pid_t) pid));

        pc_stop(fx, path, NULL, NULL, &error);

        g_assert_no_error(error);
        g_assert_false(pc_signal(fx, path, 0, &error));
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
}

static void test_invalid_signal_numbers(PcFixture *fx) {
        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid);
        const gint32 bad[] = { -1, 65, 1000, G_MININT32, G_MAXINT32 };
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, bad[i]), PC_ERROR_INVALID_ARGS);
                assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, bad[i]), PC_ERROR_INVALID_ARGS);
                assert_call_error(fx, path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", bad[i]), PC_ERROR_INVALID_ARGS);
                assert_call_error(fx, path, PC_PROCESS_IFACE, "SignalGroup", g_variant_new("(i)", bad[i]), PC_ERROR_INVALID_ARGS);
        }
        g_assert_true(pc_process_is_alive((pid_t) pid));
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
}

static void test_signal_on_exited_is_not_running(PcFixture *fx) {
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL);
        pc_assert_wait_result(fx, path, "exited", 0);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, SIGTERM), PC_ERROR_NOT_RUNNING);
        assert_call_error(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, SIGTERM), PC_ERROR_NOT_RUNNING);
        assert_call_error(fx, path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", 0), PC_ERROR_NOT_RUNNING);
        assert_call_error(fx, path, PC_PROCESS_IFACE, "SignalGroup", g_variant_new("(i)", 0), PC_ERROR_NOT_RUNNING);
}

static void test_signal_is_delivered(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *a = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        pc_signal(fx, a, SIGTERM, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, a, "killed", SIGTERM);

        g_autofree char *b = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        call_ok(fx, b, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", SIGKILL));
        pc_assert_wait_result(fx, b, "killed", SIGKILL);
}

/* Starts pc-child tree; returns the grandchild's pid and the stdout pipe.
 * With a cgroup per process, in kill-mode process: these tests are about
 * the process group, which outlives its leader (tests/cgroup has the rest). */
static char *spawn_tree(PcFixture *fx, guint32 *pid, pid_t *grandchild, int *out_fd) {
        g_auto(GStrv) features = pc_features(fx);
        int out[2];
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx = g_unix_fd_list_append(fds, out[1], NULL);
        close(out[1]);
        gboolean cgroup = g_strv_contains((const char *const *) features, "cgroup");
        char *path = spawn_ok(fx, PC_ARGV(pc_child_path(), "tree"),
                              pc_options("stdout", g_variant_new_handle(idx),
                                         cgroup ? "kill-mode" : NULL, g_variant_new_string("process"), NULL),
                              fds, pid);
        g_autofree char *ready = pc_read_line(out[0], PC_TIMEOUT_MS);
        g_assert_true(g_str_has_prefix(ready, "ready "));
        *grandchild = atoi(ready + strlen("ready "));
        *out_fd = out[0];
        return path;
}

static void test_signal_group_reaches_grandchild(PcFixture *fx) {
        guint32 pid;
        pid_t grandchild;
        int out;
        g_autofree char *path = spawn_tree(fx, &pid, &grandchild, &out);
        g_assert_cmpint(getpgid(grandchild), ==, (pid_t) pid);

        call_ok(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, SIGUSR1));
        g_autofree char *all = pc_read_to_eof(out, PC_TIMEOUT_MS);
        g_autofree char *escaped = g_strescape(all, NULL);
        g_test_message("output: %s", escaped);
        g_auto(GStrv) lines = g_strsplit(g_strstrip(all), "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, 2);
        g_assert_true(g_strv_contains((const char *const *) lines, "child got USR1"));
        g_assert_true(g_strv_contains((const char *const *) lines, "grandchild got USR1"));
        close(out);
        pc_assert_wait_result(fx, path, "exited", 0);
}

static void test_signal_reaches_only_the_process(PcFixture *fx) {
        guint32 pid;
        pid_t grandchild;
        int out;
        g_autofree char *path = spawn_tree(fx, &pid, &grandchild, &out);

        call_ok(fx, path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", SIGUSR1));
        g_autofree char *line = pc_read_line(out, PC_TIMEOUT_MS);
        g_assert_cmpstr(line, ==, "child got USR1");
        pc_assert_wait_result(fx, path, "exited", 0);
        g_assert_true(pc_process_is_alive(grandchild));

        /* The group outlives its leader; SignalGroup on an exited process
         * does not reach it. */
        assert_call_error(fx, path, PC_PROCESS_IFACE, "SignalGroup", g_variant_new("(i)", SIGUSR1), PC_ERROR_NOT_RUNNING);
        g_assert_true(pc_process_is_alive(grandchild));

        kill(-(pid_t) pid, SIGKILL);
        close(out);
}

/* --- Stop, timeout, kill-on-disconnect ------------------------------------ */

static void test_stop_well_behaved(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        g_autofree char *reason = NULL;
        gint32 status;
        pc_stop(fx, path, &reason, &status, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        pc_assert_wait_result(fx, path, "killed", SIGTERM);
}

static char *spawn_term_ignorer(PcFixture *fx, GVariant *options_extra_stop_timeout, int *out_fd) {
        int out[2];
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx = g_unix_fd_list_append(fds, out[1], NULL);
        close(out[1]);
        g_autoptr(GVariant) extra = g_variant_ref_sink(options_extra_stop_timeout);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "stdout", g_variant_new_handle(idx));
        GVariantIter it;
        const char *key;
        GVariant *value;
        g_variant_iter_init(&it, extra);
        while (g_variant_iter_next(&it, "{&sv}", &key, &value)) {
                g_variant_builder_add(&b, "{sv}", key, value);
                g_variant_unref(value);
        }
        char *path = spawn_ok(fx, PC_ARGV(pc_child_path(), "ignore-term"), g_variant_builder_end(&b), fds, NULL);
        g_autofree char *ready = pc_read_line(out[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(ready, ==, "ready");
        *out_fd = out[0];
        return path;
}

static void test_stop_escalates_to_kill(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int out;
        g_autofree char *path = spawn_term_ignorer(fx, pc_options("stop-timeout", g_variant_new_uint64(200000), NULL), &out);

        gint64 t0 = g_get_monotonic_time();
        g_autofree char *reason = NULL;
        gint32 status;
        pc_stop(fx, path, &reason, &status, &error);
        g_assert_no_error(error);
        gint64 elapsed = g_get_monotonic_time() - t0;
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGKILL);
        /* Not before the stop-timeout. */
        g_assert_cmpint(elapsed, >=, 190000);
        close(out);
}

static void test_stop_through_process_object(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        g_autoptr(GVariant) r = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Stop", NULL, G_VARIANT_TYPE("(si)"),
                                        NULL, NULL, &error);
        g_assert_no_error(error);
        const char *reason;
        gint32 status;
        g_variant_get(r, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        call_ok(fx, path, PC_PROCESS_IFACE, "Release", NULL);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

static void test_timeout_stops_process(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *none = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"),
                                         pc_options("timeout", g_variant_new_uint64(0), NULL), NULL, NULL);
        g_autofree char *unset = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        gint64 t0 = g_get_monotonic_time();
        g_autofree char *timed = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"),
                                          pc_options("timeout", g_variant_new_uint64(200000), NULL), NULL, NULL);
        pc_assert_wait_result(fx, timed, "killed", SIGTERM);
        g_assert_cmpint(g_get_monotonic_time() - t0, >=, 190000);

        /* timeout 0 and no timeout: still running well after. */
        g_autofree char *s1 = pc_get_process_string(fx, none, "State");
        g_autofree char *s2 = pc_get_process_string(fx, unset, "State");
        g_assert_cmpstr(s1, ==, "running");
        g_assert_cmpstr(s2, ==, "running");
}

/* A timeout near 2^64 once wrapped past the clock and stopped the process at
 * once: such a timeout is saturated, the process runs on (polled for a
 * second) until stopped. */
static gboolean any_stopped_running(gpointer user_data) {
        PcFixture *fx = ((gpointer *) user_data)[0];
        char **paths = ((gpointer *) user_data)[1];
        for (guint i = 0; paths[i]; i++) {
                g_autofree char *state = pc_get_process_string(fx, paths[i], "State");
                if (g_strcmp0(state, "running") != 0) {
                        g_test_message("%s is %s", paths[i], state);
                        return TRUE;
                }
        }
        return FALSE;
}

static void test_huge_timeout_does_not_wrap(PcFixture *fx) {
        const guint64 timeouts[] = { G_MAXUINT64 - 1, G_MAXUINT64 - G_USEC_PER_SEC, G_GUINT64_CONSTANT(1) << 63 };
        g_auto(GStrv) paths = g_new0(char *, G_N_ELEMENTS(timeouts) + 1);

        for (guint i = 0; i < G_N_ELEMENTS(timeouts); i++)
                paths[i] = spawn_ok(fx, PC_ARGV("/bin/sleep", "30"),
                                    pc_options("timeout", g_variant_new_uint64(timeouts[i]), NULL), NULL, NULL);
        gpointer args[] = { fx, paths };
        g_assert_false(pc_poll_until(any_stopped_running, args, 1000));

        for (guint i = 0; paths[i]; i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *reason = NULL;
                gint32 status;
                g_assert_true(pc_stop(fx, paths[i], &reason, &status, &error));
                g_assert_no_error(error);
                g_assert_cmpstr(reason, ==, "killed");
                g_assert_cmpint(status, ==, SIGTERM);
        }
}

static void test_timeout_escalates_with_stop_timeout(PcFixture *fx) {
        int out;
        g_autofree char *path = spawn_term_ignorer(fx, pc_options("timeout", g_variant_new_uint64(100000),
                                                                  "stop-timeout", g_variant_new_uint64(100000), NULL),
                                                   &out);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        close(out);
}

static void test_kill_on_disconnect(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) leaving = pc_fixture_new_connection(fx);
        g_autofree char *with = pc_spawn_on(fx, leaving, PC_ARGV("/bin/sleep", "60"),
                                            pc_options("kill-on-disconnect", g_variant_new_boolean(TRUE), NULL),
                                            NULL, NULL, &error);
        g_assert_no_error(error);
        g_autofree char *explicit_false = pc_spawn_on(fx, leaving, PC_ARGV("/bin/sleep", "60"),
                                                      pc_options("kill-on-disconnect", g_variant_new_boolean(FALSE), NULL),
                                                      NULL, NULL, &error);
        g_assert_no_error(error);
        g_autofree char *without = pc_spawn_on(fx, leaving, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        /* A process with the option, spawned by a connection that stays. */
        g_autofree char *staying = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"),
                                            pc_options("kill-on-disconnect", g_variant_new_boolean(TRUE), NULL),
                                            NULL, NULL);

        g_dbus_connection_close_sync(leaving, NULL, NULL);
        pc_assert_wait_result(fx, with, "killed", SIGTERM);

        /* The disconnect has been handled; the others were left alone. */
        g_autofree char *s1 = pc_get_process_string(fx, explicit_false, "State");
        g_autofree char *s2 = pc_get_process_string(fx, without, "State");
        g_autofree char *s3 = pc_get_process_string(fx, staying, "State");
        g_assert_cmpstr(s1, ==, "running");
        g_assert_cmpstr(s2, ==, "running");
        g_assert_cmpstr(s3, ==, "running");
}

/* The bus going away is a failure the service manager should see (exit
 * status 1), not a clean stop; the processes run on, as after any restart. */
static void test_lost_bus_is_an_exit_with_failure(PcFixture *fx) {
        guint32 pid;
        int status = 0;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid);

        if (fx->launcher_pid != fx->daemon_pid) {
                g_test_skip("procctld is not the fixture's own child here");
                return;
        }
        int pidfd = pc_pidfd_open(fx->launcher_pid);
        g_assert_cmpint(kill(fx->bus_pid, SIGKILL), ==, 0);
        g_assert_true(pc_pidfd_wait_readable(pidfd, PC_TIMEOUT_MS));
        close(pidfd);
        g_assert_cmpint(waitpid(fx->launcher_pid, &status, 0), ==, fx->launcher_pid);
        fx->launcher_pid = 0; /* reaped: the teardown has nothing to stop */
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 1);
        g_assert_true(pc_process_is_alive((pid_t) pid));
        kill((pid_t) pid, SIGKILL);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/lifecycle/process-object-has-the-contract-properties", PC_FIXTURE_DEFAULT, test_process_properties);
        pc_test_add("/lifecycle/exited-process-is-retained-until-release", PC_FIXTURE_DEFAULT, test_exited_process_is_retained_until_release);
        pc_test_add("/lifecycle/release-of-running-process-is-still-running", PC_FIXTURE_DEFAULT, test_release_of_running_is_still_running);
        pc_test_add("/lifecycle/unknown-process-is-unknown-object", PC_FIXTURE_DEFAULT, test_unknown_object);
        pc_test_add("/lifecycle/repeated-wait-returns-the-same-answer", PC_FIXTURE_DEFAULT, test_repeated_wait_returns_same_answer);
        pc_test_add("/lifecycle/many-concurrent-waiters-are-all-answered", PC_FIXTURE_DEFAULT, test_many_concurrent_waiters);
        pc_test_add("/lifecycle/waiter-that-disconnects-breaks-nothing", PC_FIXTURE_DEFAULT, test_waiter_that_disconnects);
        pc_test_add("/lifecycle/process-exited-signal-is-emitted-once", PC_FIXTURE_DEFAULT, test_process_exited_signal);
        pc_test_add("/lifecycle/state-change-emits-properties-changed", PC_FIXTURE_DEFAULT, test_state_properties_changed);
        pc_test_add("/lifecycle/object-manager-adds-and-removes-objects", PC_FIXTURE_DEFAULT, test_object_manager);
        pc_test_add("/lifecycle/list-processes-describes-each-process", PC_FIXTURE_DEFAULT, test_list_processes);
        pc_test_add("/lifecycle/manager-properties", PC_FIXTURE_DEFAULT, test_manager_properties);
        pc_test_add("/lifecycle/introspection-matches-the-contract", PC_FIXTURE_DEFAULT, test_introspection);
        pc_test_add("/lifecycle/pidfd-methods-find-hand-out-and-adopt", PC_FIXTURE_DEFAULT, test_pidfd_methods);
        pc_test_add("/lifecycle/lost-bus-is-an-exit-with-failure", PC_FIXTURE_DEFAULT, test_lost_bus_is_an_exit_with_failure);

        pc_test_add("/exit/exited-with-code", PC_FIXTURE_DEFAULT, test_exit_exited_with_code);
        pc_test_add("/exit/killed-by-signal", PC_FIXTURE_DEFAULT, test_exit_killed_by_signal);
        pc_test_add("/exit/core-dump-is-dumped", PC_FIXTURE_DEFAULT, test_exit_dumped);

        pc_test_add("/signal/zero-is-a-liveness-check", PC_FIXTURE_DEFAULT, test_signal_zero_is_liveness_check);
        pc_test_add("/signal/invalid-signal-number-is-invalid-args", PC_FIXTURE_DEFAULT, test_invalid_signal_numbers);
        pc_test_add("/signal/exited-process-is-not-running", PC_FIXTURE_DEFAULT, test_signal_on_exited_is_not_running);
        pc_test_add("/signal/signal-is-delivered", PC_FIXTURE_DEFAULT, test_signal_is_delivered);
        pc_test_add("/signal/signal-group-reaches-grandchild", PC_FIXTURE_DEFAULT, test_signal_group_reaches_grandchild);
        pc_test_add("/signal/signal-reaches-only-the-process", PC_FIXTURE_DEFAULT, test_signal_reaches_only_the_process);

        pc_test_add("/stop/well-behaved-child-is-killed-by-sigterm", PC_FIXTURE_DEFAULT, test_stop_well_behaved);
        pc_test_add("/stop/escalates-to-sigkill-after-stop-timeout", PC_FIXTURE_DEFAULT, test_stop_escalates_to_kill);
        pc_test_add("/stop/through-the-process-object", PC_FIXTURE_DEFAULT, test_stop_through_process_object);
        pc_test_add("/stop/timeout-option-stops-the-process", PC_FIXTURE_DEFAULT, test_timeout_stops_process);
        pc_test_add("/stop/timeout-near-2-64-does-not-wrap", PC_FIXTURE_DEFAULT, test_huge_timeout_does_not_wrap);
        pc_test_add("/stop/timeout-escalates-after-stop-timeout", PC_FIXTURE_DEFAULT, test_timeout_escalates_with_stop_timeout);
        pc_test_add("/stop/kill-on-disconnect-stops-only-that-connections-processes", PC_FIXTURE_DEFAULT, test_kill_on_disconnect);

        return g_test_run();
}
