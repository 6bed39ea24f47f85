/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Restart policies (Spawn's `restart` options, Features word "restart"): one
 * object through all runs, a delay that doubles up to its maximum, a limit of
 * restarts per interval, Stop and Signal between runs, an exec failure on a
 * restart, output across runs, and the owner's quota of running processes.
 * Times are checked from the daemon's own timestamps, never by sleeping.
 */

#include "fixture.h"

#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#define NOBODY_UID 65534
#define NOBODY_GID 65534
#define MS 1000ULL

static GVariant *policy(const char *mode, guint64 delay_usec, guint32 limit, guint64 interval_usec) {
        return pc_options("restart", g_variant_new_string(mode), "restart-delay", g_variant_new_uint64(delay_usec),
                          "restart-limit", g_variant_new_uint32(limit), "restart-interval",
                          g_variant_new_uint64(interval_usec), NULL);
}

static gboolean is_path(const PcRecordedSignal *s, gpointer path) {
        const char *p;
        g_variant_get_child(s->params, 0, "&o", &p);
        return strcmp(p, path) == 0;
}

static guint count_for(PcSignalRecorder *r, const char *path) {
        GPtrArray *all = pc_signal_recorder_signals(r);
        guint n = 0;
        for (guint i = 0; i < all->len; i++)
                n += is_path(g_ptr_array_index(all, i), (gpointer) path);
        return n;
}

typedef struct {
        PcFixture *fx;
        const char *path;
        const char *state;
        guint32 at_least;
} Want;

static gboolean has_state(gpointer p) {
        Want *w = p;
        g_autofree char *state = pc_get_process_string(w->fx, w->path, "State");
        return strcmp(state, w->state) == 0;
}

static void wait_state(PcFixture *fx, const char *path, const char *state) {
        Want w = { fx, path, state, 0 };
        if (!pc_poll_until(has_state, &w, PC_TIMEOUT_MS))
                pc_fail("%s never became %s", path, state);
}

static gboolean has_restarts(gpointer p) {
        Want *w = p;
        return pc_get_process_u32(w->fx, w->path, "RestartCount") >= w->at_least;
}

static void wait_restarts(PcFixture *fx, const char *path, guint32 n) {
        Want w = { fx, path, NULL, n };
        if (!pc_poll_until(has_restarts, &w, PC_TIMEOUT_MS))
                pc_fail("%s never restarted %u times", path, n);
}

static guint64 get_u64(PcFixture *fx, const char *path, const char *name) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, name, G_VARIANT_TYPE_UINT64);
        return g_variant_get_uint64(v);
}

static void test_features(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        g_assert_true(g_strv_contains((const char *const *) features, "restart"));
}

static void test_invalid_options(PcFixture *fx) {
        const struct {
                const char *key;
                GVariant *value;
                const char *with_restart;
        } cases[] = {
                { "restart", g_variant_new_string("sometimes"), NULL },
                { "restart-delay", g_variant_new_uint64(1000), NULL },          /* without a policy */
                { "restart-limit", g_variant_new_uint32(0), "always" },
                { "restart-limit", g_variant_new_uint32(1001), "always" },
                { "restart-interval", g_variant_new_uint64(0), "always" },
                { "restart-delay", g_variant_new_uint64(G_MAXUINT64), "always" },
                { "restart-delay-max", g_variant_new_uint64(G_MAXUINT64), "always" },
                { "restart", g_variant_new_uint32(1), NULL },                  /* a wrong type */
        };
        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GError) error = NULL;
                GVariant *o = cases[i].with_restart
                                      ? pc_options("restart", g_variant_new_string(cases[i].with_restart), cases[i].key,
                                                   cases[i].value, NULL)
                                      : pc_options(cases[i].key, cases[i].value, NULL);
                g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), o, NULL, NULL, &error);
                g_assert_null(path);
                pc_assert_dbus_error(error, PC_ERROR_INVALID_ARGS);
        }
        /* A loop of more than 10 restarts a second is refused. */
        {
                g_autoptr(GError) e = NULL;
                g_autofree char *p = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), policy("always", 0, 1000, 1000000), NULL,
                                                      NULL, &e);
                g_assert_null(p);
                pc_assert_dbus_error(e, PC_ERROR_INVALID_ARGS);
        }
        /* A delay above a maximum given is a contradiction. */
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(
                fx, PC_ARGV("/bin/true"),
                pc_options("restart", g_variant_new_string("always"), "restart-delay", g_variant_new_uint64(2000000),
                           "restart-delay-max", g_variant_new_uint64(1000000), NULL),
                NULL, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, PC_ERROR_INVALID_ARGS);
}

/* Each pause's PropertiesChanged says when the last run ended
 * (ExitTimestamp) and when the next starts (StartTimestamp): their
 * difference is the delay, read from the daemon itself. */
static gboolean ended_for_good(const PcRecordedSignal *s, gpointer unused) {
        g_autoptr(GVariant) changed = g_variant_get_child_value(s->params, 1);
        const char *state;
        return g_variant_lookup(changed, "State", "&s", &state) && strcmp(state, "exited") == 0;
}

static GArray *delays_of(PcSignalRecorder *changes) {
        /* Everything up to the end is in once the end is. */
        g_assert_nonnull(pc_signal_recorder_wait(changes, ended_for_good, NULL, PC_TIMEOUT_MS));
        GPtrArray *all = pc_signal_recorder_signals(changes);
        GArray *delays = g_array_new(FALSE, FALSE, sizeof(guint64));
        for (guint i = 0; i < all->len; i++) {
                const PcRecordedSignal *s = g_ptr_array_index(all, i);
                g_autoptr(GVariant) changed = g_variant_get_child_value(s->params, 1);
                const char *state;
                guint64 start, exit;
                if (!g_variant_lookup(changed, "State", "&s", &state) || strcmp(state, "restarting") != 0)
                        continue;
                g_assert_true(g_variant_lookup(changed, "StartTimestamp", "t", &start));
                g_assert_true(g_variant_lookup(changed, "ExitTimestamp", "t", &exit));
                g_assert_cmpuint(start, >=, exit);
                guint64 d = start - exit;
                g_array_append_val(delays, d);
        }
        return delays;
}

static void test_crash_doubles_delay_then_gives_up(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) restarted = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessRestarted", NULL);
        g_autoptr(PcSignalRecorder) exited = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", NULL);
        g_autoptr(PcSignalRecorder) changes =
                pc_signal_recorder_new(fx, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL);
        guint32 first_pid;
        gint64 before = g_get_monotonic_time();
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 3"),
                                            policy("on-failure", 50 * MS, 3, 60000 * MS), &first_pid);

        /* Wait returns once it has ended for good, with its last status. */
        pc_assert_wait_result(fx, path, "exited", 3);
        gint64 took = g_get_monotonic_time() - before;
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 3);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");
        /* 50 + 100 + 200 ms at least, whatever the machine's load. */
        g_assert_cmpint(took, >=, 350 * 1000);

        g_assert_true(pc_signal_recorder_wait(exited, is_path, path, PC_TIMEOUT_MS));
        g_assert_cmpuint(count_for(restarted, path), ==, 3);
        g_assert_cmpuint(count_for(exited, path), ==, 1);
        /* Every restart names the last run's end and a new pid. */
        GPtrArray *all = pc_signal_recorder_signals(restarted);
        guint32 last_pid = first_pid;
        for (guint i = 0; i < all->len; i++) {
                const PcRecordedSignal *s = g_ptr_array_index(all, i);
                const char *reason;
                gint32 status;
                guint32 pid;
                g_variant_get(s->params, "(&o&siu)", NULL, &reason, &status, &pid);
                g_assert_cmpstr(reason, ==, "exited");
                g_assert_cmpint(status, ==, 3);
                g_assert_cmpuint(pid, !=, last_pid);
                last_pid = pid;
        }
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, last_pid);

        g_autoptr(GArray) delays = delays_of(changes);
        g_assert_cmpuint(delays->len, ==, 3);
        const guint64 want[] = { 50 * MS, 100 * MS, 200 * MS };
        for (guint i = 0; i < 3; i++) {
                guint64 d = g_array_index(delays, guint64, i);
                g_assert_cmpuint(d, >=, want[i] - 5 * MS);
                g_assert_cmpuint(d, <=, want[i] + 5 * MS);
        }
}

static void test_delay_capped_by_its_maximum(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) changes =
                pc_signal_recorder_new(fx, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL);
        g_autofree char *path = pc_spawn_ok(
                fx, PC_ARGV("/bin/false"),
                pc_options("restart", g_variant_new_string("on-failure"), "restart-delay", g_variant_new_uint64(20 * MS),
                           "restart-delay-max", g_variant_new_uint64(50 * MS), "restart-limit", g_variant_new_uint32(4),
                           NULL),
                NULL);
        pc_assert_wait_result(fx, path, "exited", 1);
        g_autoptr(GArray) delays = delays_of(changes);
        g_assert_cmpuint(delays->len, ==, 4);
        const guint64 want[] = { 20 * MS, 40 * MS, 50 * MS, 50 * MS };
        for (guint i = 0; i < 4; i++) {
                guint64 d = g_array_index(delays, guint64, i);
                g_assert_cmpuint(d, >=, want[i] - 5 * MS);
                g_assert_cmpuint(d, <=, want[i] + 5 * MS);
        }
}

static void test_success_not_restarted_on_failure(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) restarted = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessRestarted", NULL);
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/true"), policy("on-failure", 0, 5, 10000 * MS), NULL);
        pc_assert_wait_result(fx, path, "exited", 0);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 0);
        g_assert_cmpuint(count_for(restarted, path), ==, 0);
}

/* `always` runs again after a signal (the current run's pid is the one
 * signalled) and a success, until Stop. */
static void test_always_until_stop(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) exited = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", NULL);
        guint32 pid1;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), policy("always", 10 * MS, 100, 10000 * MS),
                                            &pid1);
        g_autoptr(GError) error = NULL;

        g_assert_true(pc_signal(fx, path, SIGKILL, &error));
        g_assert_no_error(error);
        wait_restarts(fx, path, 1);
        wait_state(fx, path, "running");
        guint32 pid2 = pc_get_process_u32(fx, path, "Pid");
        g_assert_cmpuint(pid2, !=, pid1);
        g_assert_true(pc_process_is_alive((pid_t) pid2));

        /* The signal reaches the current run, the new pid. */
        g_assert_true(pc_signal(fx, path, SIGKILL, &error));
        g_assert_no_error(error);
        wait_restarts(fx, path, 2);
        wait_state(fx, path, "running");
        guint32 pid3 = pc_get_process_u32(fx, path, "Pid");
        g_assert_cmpuint(pid3, !=, pid2);
        g_assert_false(pc_process_is_alive((pid_t) pid2));

        /* The ExitReason of a running run is empty, as without a policy. */
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "");

        char *stop_reason = NULL;
        gint32 status;
        g_assert_true(pc_stop(fx, path, &stop_reason, &status, &error));
        g_assert_cmpstr(stop_reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        g_free(stop_reason);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 2);
        g_assert_true(pc_signal_recorder_wait(exited, is_path, path, PC_TIMEOUT_MS));
        g_assert_cmpuint(count_for(exited, path), ==, 1);
        g_assert_true(pc_release(fx, path, &error));
}

/* Between two runs: Signal and GetPidfd find nothing, Release refuses, Stop
 * ends it at once with the last run's status. */
static void test_stop_during_delay(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) exited = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", NULL);
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 4"),
                                            policy("on-failure", 600000 * MS, 5, 10000 * MS), NULL);
        g_autoptr(GError) error = NULL;

        wait_state(fx, path, "restarting");
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "exited");
        g_autoptr(GVariant) status_v = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);
        g_assert_cmpint(g_variant_get_int32(status_v), ==, 4);
        /* StartTimestamp is the next run's: ten minutes away. */
        g_assert_cmpuint(get_u64(fx, path, "StartTimestamp"), >, (guint64) g_get_real_time() + 500000 * MS);

        g_assert_false(pc_signal(fx, path, SIGTERM, &error));
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
        g_clear_error(&error);
        g_assert_false(pc_release(fx, path, &error));
        pc_assert_dbus_error(error, PC_ERROR_STILL_RUNNING);
        g_clear_error(&error);
        g_assert_cmpint(pc_get_pidfd(fx, path, &error), ==, -1);
        g_assert_nonnull(error);
        g_clear_error(&error);
        g_auto(GStrv) features = pc_features(fx);
        if (g_strv_contains((const char *const *) features, "cgroup")) {
                g_autoptr(GVariant) frozen = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Freeze", NULL, NULL, NULL, NULL,
                                                     &error);
                g_assert_null(frozen);
                pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
                g_clear_error(&error);
        }
        g_assert_cmpuint(count_for(exited, path), ==, 0);

        g_autoptr(GVariant) listed = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autofree char *needle = g_strdup_printf("'%s'", path);
        g_autofree char *text = g_variant_print(listed, FALSE);
        g_assert_nonnull(strstr(text, "'restarting'"));

        char *stop_reason = NULL;
        gint32 status;
        gint64 before = g_get_monotonic_time();
        g_assert_true(pc_stop(fx, path, &stop_reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_get_monotonic_time() - before, <, PC_TIMEOUT_MS * 1000);
        g_assert_cmpstr(stop_reason, ==, "exited");
        g_assert_cmpint(status, ==, 4);
        g_free(stop_reason);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");
        g_assert_true(pc_signal_recorder_wait(exited, is_path, path, PC_TIMEOUT_MS));
        g_assert_true(pc_release(fx, path, &error));
}

/* A program gone after its first run: the restart fails to exec, and the
 * process ends for good with 127 (as a shell reports a missing command). */
static void test_exec_failure_on_restart_ends_it(PcFixture *fx) {
        g_autofree char *script = pc_fixture_write_file(fx, "crash.sh", "#!/bin/sh\nexit 9\n", 0755);
        g_autoptr(PcSignalRecorder) exited = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", NULL);
        g_autoptr(PcSignalRecorder) restarted = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessRestarted", NULL);
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV(script), policy("on-failure", 200 * MS, 5, 10000 * MS), NULL);

        g_assert_cmpint(unlink(script), ==, 0);
        pc_assert_wait_result(fx, path, "exited", 127);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 0);
        g_assert_cmpuint(count_for(restarted, path), ==, 0);
        g_assert_true(pc_signal_recorder_wait(exited, is_path, path, PC_TIMEOUT_MS));
}

/* A run that leaves a process behind has it killed through cgroup.kill
 * before the next run starts in the same cgroup; the next run must not die
 * of that kill (Linux 6.18 kills a child cloned into a cgroup that was
 * killed before), only of its own end. */
static void test_run_after_leftovers_killed_lives(PcFixture *fx) {
        if (!pc_have_cgroups(fx)) {
                g_test_skip("no cgroup support for the daemon here");
                return;
        }
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "sleep 60 & exit 3"),
                                            policy("on-failure", 10 * MS, 2, 10000 * MS), NULL);
        pc_assert_wait_result(fx, path, "exited", 3);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 2);
}

/* What every run writes is one output. */
static void test_output_across_runs(PcFixture *fx) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "output", g_variant_new_string("capture"));
        g_variant_builder_add(&b, "{sv}", "restart", g_variant_new_string("on-failure"));
        g_variant_builder_add(&b, "{sv}", "restart-delay", g_variant_new_uint64(10 * MS));
        g_variant_builder_add(&b, "{sv}", "restart-limit", g_variant_new_uint32(2));
        g_autofree char *path =
                pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "echo run; echo err >&2; exit 1"), g_variant_builder_end(&b), NULL);
        pc_assert_wait_result(fx, path, "exited", 1);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 2);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "ReadOutput", g_variant_new("(tu)", 0, 65536),
                                            G_VARIANT_TYPE("(a(tuay)tt)"), NULL, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) entries = g_variant_get_child_value(reply, 0);
        g_autoptr(GString) out = g_string_new(NULL), err = g_string_new(NULL);
        for (gsize i = 0; i < g_variant_n_children(entries); i++) {
                guint32 stream;
                g_autoptr(GVariant) bytes = NULL;
                g_variant_get_child(entries, i, "(tu@ay)", NULL, &stream, &bytes);
                gsize n;
                const char *data = g_variant_get_fixed_array(bytes, &n, 1);
                g_string_append_len(stream == 1 ? out : err, data, (gssize) n);
        }
        g_assert_cmpstr(out->str, ==, "run\nrun\nrun\n");
        g_assert_cmpstr(err->str, ==, "err\nerr\nerr\n");
}

/* A caller's stdout, given as a descriptor, is every run's. */
static void test_descriptors_kept_for_every_run(PcFixture *fx) {
        int fds[2];
        pc_pipe(fds);
        g_autoptr(GUnixFDList) list = g_unix_fd_list_new_from_array(&fds[1], 1);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "stdout", g_variant_new_handle(0));
        g_variant_builder_add(&b, "{sv}", "restart", g_variant_new_string("on-failure"));
        g_variant_builder_add(&b, "{sv}", "restart-delay", g_variant_new_uint64(10 * MS));
        g_variant_builder_add(&b, "{sv}", "restart-limit", g_variant_new_uint32(2));
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "echo x; exit 2"), g_variant_builder_end(&b),
                                                 list, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&list); /* closes the test's write end */
        pc_assert_wait_result(fx, path, "exited", 2);
        /* The daemon's copy goes once the process has ended for good. */
        g_autofree char *all = pc_read_to_eof(fds[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(all, ==, "x\nx\nx\n");
        close(fds[0]);
}

/* A process between two runs still counts as one of its owner's running
 * processes (MaxRunningPerUser, 1 here): else a user could hold any number
 * of processes waiting for their next run, each with the descriptors and
 * environment kept for it.  Its next run needs no room of its own. */
static void test_restarting_counts_as_running(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        /* A delay long enough that the second Spawn comes within it. */
        GVariant *opts = policy("on-failure", 2000 * MS, 1, 10000 * MS);
        g_autoptr(GVariant) reply = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                               g_variant_new("(^as@a{sv})", PC_ARGV("/bin/sh", "-c", "exit 6"), opts),
                                               &error);
        g_assert_no_error(error);
        const char *path;
        g_variant_get(reply, "(&ou)", &path, NULL);
        wait_state(fx, path, "restarting");

        g_autoptr(GVariant) other = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                               g_variant_new("(^as@a{sv})", PC_ARGV("/bin/sleep", "60"),
                                                             pc_options(NULL, NULL)),
                                               &error);
        g_assert_null(other);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "MaxRunningPerUser"));
        g_clear_error(&error);

        /* Its runs go on, each within the one slot it holds. */
        pc_assert_wait_result(fx, path, "exited", 6);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 1);

        /* Once it has ended for good, the slot is free again. */
        g_autoptr(GVariant) after = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                               g_variant_new("(^as@a{sv})", PC_ARGV("/bin/true"), pc_options(NULL, NULL)),
                                               &error);
        g_assert_no_error(error);
}

/* --- Restart (the verb) ------------------------------------------------ */

static guint32 restart(PcFixture *fx, const char *path, GError **error) {
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Restart", NULL, G_VARIANT_TYPE("(u)"),
                                            NULL, NULL, error);
        guint32 pid = 0;
        if (reply)
                g_variant_get(reply, "(u)", &pid);
        return pid;
}

static void restart_async(PcFixture *fx, const char *path, PcAsyncCall *c) {
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Restart", NULL, G_VARIANT_TYPE("(u)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done, c);
}


static gboolean file_exists(gpointer path) {
        return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* A caller other than root had its program checked at Spawn (polkit is
 * asked about that file): a file put in its place later never runs, even
 * by the same name; the process ends for good with 126. */
static void test_swapped_program_never_runs_on_restart(PcFixture *fx) {
        g_autofree char *dir = g_build_filename(fx->tmpdir, "swap", NULL);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_cmpint(chmod(fx->tmpdir, 0755), ==, 0);
        g_autofree char *script = g_build_filename(dir, "prog", NULL);
        g_autofree char *other = g_build_filename(dir, "other", NULL);
        g_autofree char *marker = g_build_filename(dir, "swapped-ran", NULL);
        g_autofree char *started = g_build_filename(dir, "started", NULL);
        g_autofree char *go = g_build_filename(dir, "go", NULL);
        g_autofree char *swapped = g_strdup_printf("#!/bin/sh\n: > %s\nexit 5\n", marker);
        /* The first run has read its script (a shell opens a #! script by
         * path) before the test swaps it, and ends only when told. */
        g_autofree char *first = g_strdup_printf("#!/bin/sh\n: > %s\nwhile [ ! -e %s ]; do sleep 0.02; done\nexit 9\n",
                                                 started, go);
        GError *error = NULL;
        g_file_set_contents(script, first, -1, &error);
        g_assert_no_error(error);
        g_file_set_contents(other, swapped, -1, &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(script, 0755), ==, 0);
        g_assert_cmpint(chmod(other, 0755), ==, 0);
        g_assert_cmpint(chmod(dir, 0777), ==, 0);

        g_autoptr(GVariant) reply = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                               g_variant_new("(^as@a{sv})", PC_ARGV(script),
                                                             policy("on-failure", 200 * MS, 5, 10000 * MS)),
                                               &error);
        g_assert_no_error(error);
        const char *path;
        g_variant_get(reply, "(&ou)", &path, NULL);
        g_assert_true(pc_poll_until(file_exists, started, PC_TIMEOUT_MS));
        g_assert_cmpint(rename(other, script), ==, 0); /* while the first run waits */
        g_assert_true(g_file_set_contents(go, "", 0, NULL));
        pc_assert_wait_result(fx, path, "exited", 126);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 0);
        g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
        g_assert_true(pc_release(fx, path, &error));
        g_assert_no_error(error);
}


static gboolean is_pid(const PcRecordedSignal *s, gpointer pid) {
        guint32 new_pid;
        g_variant_get_child(s->params, 3, "u", &new_pid);
        return new_pid == GPOINTER_TO_UINT(pid);
}

/* ProcessRestarted announced new_pid after a run killed by sig. */
static void assert_restarted_as(PcSignalRecorder *restarted, guint32 new_pid, int sig) {
        const PcRecordedSignal *s = pc_signal_recorder_wait(restarted, is_pid, GUINT_TO_POINTER(new_pid), PC_TIMEOUT_MS);
        const char *reason;
        gint32 status;

        g_assert_nonnull(s);
        g_variant_get(s->params, "(&o&siu)", NULL, &reason, &status, NULL);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, sig);
}

/* A running `always` process: its run is stopped and the next one starts at
 * once (a ten-minute restart-delay is not waited), on the same object, not
 * counted against restart-limit (1 here), and the delay starts again. */
static void test_restart_running_starts_next_run_at_once(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) restarted = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessRestarted", NULL);
        g_autoptr(PcSignalRecorder) changed =
                pc_signal_recorder_new(fx, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL);
        guint32 pid1;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), policy("always", 600000 * MS, 1, 10000 * MS),
                                            &pid1);
        g_autoptr(GError) error = NULL;

        guint32 pid2 = restart(fx, path, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pid2, !=, 0);
        g_assert_cmpuint(pid2, !=, pid1);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid2);
        g_assert_true(pc_process_is_alive((pid_t) pid2));
        g_assert_false(pc_process_is_alive((pid_t) pid1));
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 1);
        assert_restarted_as(restarted, pid2, SIGTERM);
        g_assert_nonnull(pc_signal_recorder_wait(changed, NULL, NULL, PC_TIMEOUT_MS));

        /* Manager1's spelling, twice more: restart-limit 1 is not reached. */
        for (int i = 0; i < 2; i++) {
                g_autoptr(GVariant) reply = pc_manager_call(fx, "RestartProcess", g_variant_new("(o)", path),
                                                            G_VARIANT_TYPE("(u)"), &error);
                g_assert_no_error(error);
                guint32 pid3;
                g_variant_get(reply, "(u)", &pid3);
                g_assert_cmpuint(pid3, !=, pid2);
                g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid3);
                pid2 = pid3;
        }
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 3);

        /* The policy's own restart is still within its limit, after the
         * first delay again (ten minutes, never doubled to twenty). */
        g_assert_true(pc_signal(fx, path, SIGKILL, &error));
        g_assert_no_error(error);
        wait_state(fx, path, "restarting");
        guint64 next = get_u64(fx, path, "StartTimestamp");
        g_assert_cmpuint(next, >, (guint64) g_get_real_time() + 500000 * MS);
        g_assert_cmpuint(next, <, (guint64) g_get_real_time() + 700000 * MS);
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));
}

/* A run that ignores SIGTERM is killed after its stop-timeout, as by Stop. */
static void test_restart_honours_stop_timeout(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) restarted = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessRestarted", NULL);
        GVariant *o = pc_options("restart", g_variant_new_string("always"), "stop-timeout", g_variant_new_uint64(300 * MS),
                                 NULL);
        guint32 pid1;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "trap '' TERM; exec sleep 60"), o, &pid1);
        g_autoptr(GError) error = NULL;

        pc_wait_comm((pid_t) pid1, "sleep");
        gint64 before = g_get_monotonic_time();
        guint32 pid2 = restart(fx, path, &error);
        g_assert_no_error(error);
        g_assert_cmpint(g_get_monotonic_time() - before, >=, 300 * MS);
        g_assert_cmpuint(pid2, !=, pid1);
        assert_restarted_as(restarted, pid2, SIGKILL);
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));
}

/* During the delay: the timer is cut short, the next run starts now. */
static void test_restart_during_delay(PcFixture *fx) {
        g_autofree char *mark = pc_fixture_out_path(fx, "restart-during-delay");
        g_autofree char *script = g_strdup_printf("[ -e %s ] && exec sleep 60; touch %s; exit 4", mark, mark);
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", script),
                                            policy("on-failure", 600000 * MS, 5, 10000 * MS), NULL);
        g_autoptr(GError) error = NULL;

        wait_state(fx, path, "restarting");
        guint32 pid = restart(fx, path, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pid, ==, pc_get_process_u32(fx, path, "Pid"));
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 1);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));
}

/* Restart keeps a process's request only with a restart policy; a process
 * that has ended for good is not running. */
static void test_restart_refused_without_policy_or_after_end(PcFixture *fx) {
        g_autofree char *plain = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL);
        g_autoptr(GError) error = NULL;

        g_assert_cmpuint(restart(fx, plain, &error), ==, 0);
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
        g_assert_nonnull(strstr(error->message, "no restart policy"));
        g_clear_error(&error);
        g_autofree char *state = pc_get_process_string(fx, plain, "State");
        g_assert_cmpstr(state, ==, "running");
        g_assert_true(pc_stop(fx, plain, NULL, NULL, &error));

        g_autofree char *ended = pc_spawn_ok(fx, PC_ARGV("/bin/true"), policy("on-failure", 0, 5, 10000 * MS), NULL);
        pc_assert_wait_result(fx, ended, "exited", 0);
        g_assert_cmpuint(restart(fx, ended, &error), ==, 0);
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
}

/* A Stop while a Restart stops the run wins: the process ends for good and
 * the Restart is NotRunning.  Two Restarts during one stop get the same pid. */
static void test_stop_racing_restart(PcFixture *fx) {
        GVariant *o = pc_options("restart", g_variant_new_string("always"), "stop-timeout", g_variant_new_uint64(500 * MS),
                                 NULL);
        const char *const *argv = PC_ARGV("/bin/sh", "-c", "trap '' TERM; exec sleep 60");
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, argv, o, &pid);
        g_autoptr(GError) error = NULL;
        PcAsyncCall r1 = {}, r2 = {};

        pc_wait_comm((pid_t) pid, "sleep");
        restart_async(fx, path, &r1);
        char *reason = NULL;
        gint32 status;
        g_assert_true(pc_stop(fx, path, &reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGKILL);
        g_free(reason);
        pc_async_call_wait(&r1);
        g_assert_null(r1.reply);
        pc_assert_dbus_error(r1.error, PC_ERROR_NOT_RUNNING);
        g_clear_error(&r1.error);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");

        o = pc_options("restart", g_variant_new_string("always"), "stop-timeout", g_variant_new_uint64(500 * MS), NULL);
        g_autofree char *two = pc_spawn_ok(fx, argv, o, &pid);
        pc_wait_comm((pid_t) pid, "sleep");
        restart_async(fx, two, &r1);
        restart_async(fx, two, &r2);
        pc_async_call_wait(&r1);
        pc_async_call_wait(&r2);
        g_assert_no_error(r1.error);
        g_assert_no_error(r2.error);
        guint32 pid1, pid2;
        g_variant_get(r1.reply, "(u)", &pid1);
        g_variant_get(r2.reply, "(u)", &pid2);
        g_assert_cmpuint(pid1, ==, pid2);
        g_assert_cmpuint(pc_get_process_u32(fx, two, "RestartCount"), ==, 1);
        g_clear_pointer(&r1.reply, g_variant_unref);
        g_clear_pointer(&r2.reply, g_variant_unref);
        g_assert_true(pc_stop(fx, two, NULL, NULL, &error));
}

/* Another user's process is not theirs to restart. */
static void test_restart_by_another_user_denied(PcFixture *fx) {
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), policy("always", 10 * MS, 5, 10000 * MS), &pid);
        g_autoptr(GError) error = NULL;

        g_autoptr(GVariant) r1 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, PC_PROCESS_IFACE, "Restart", NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_clear_error(&error);
        g_autoptr(GVariant) r2 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "RestartProcess",
                                            g_variant_new("(o)", path), &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_clear_error(&error);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 0);
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));

        /* Their own: answered once procctl-exec reported the new run's exec. */
        g_autoptr(GVariant) spawned = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                 g_variant_new("(^as@a{sv})", PC_ARGV("/bin/sleep", "60"),
                                                               policy("always", 10 * MS, 5, 10000 * MS)),
                                                 &error);
        g_assert_no_error(error);
        const char *own;
        g_variant_get(spawned, "(&ou)", &own, &pid);
        g_autoptr(GVariant) r3 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, own, PC_PROCESS_IFACE, "Restart", NULL, &error);
        g_assert_no_error(error);
        guint32 new_pid;
        g_variant_get(r3, "(u)", &new_pid);
        g_assert_cmpuint(new_pid, !=, pid);
        g_assert_cmpuint(pc_get_process_u32(fx, own, "Pid"), ==, new_pid);
        g_assert_true(pc_stop(fx, own, NULL, NULL, &error));
}

/* on-failure does not restart a run that ends well on SIGTERM, but Restart
 * asked for the next run whatever the policy would say. */
static void test_restart_on_failure_program_exiting_zero(PcFixture *fx) {
        guint32 pid1;
        g_autofree char *mark = pc_fixture_out_path(fx, "trap-set");
        /* The mark, made by the background child itself once it runs as a
         * subshell (the trap set before it, and reset in it): a SIGTERM to the
         * cgroup then reaches both.  One sent earlier could miss the new child
         * (the shell forking it), or be taken by the shell's handler the child
         * still has until the subshell resets its traps: the sleep would then
         * outlive it, and only the stop timeout's SIGKILL would end it. */
        g_autofree char *script = g_strdup_printf("trap 'exit 0' TERM; (touch %s; exec sleep 60) & wait", mark);
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", script),
                                            policy("on-failure", 600000 * MS, 5, 10000 * MS), &pid1);
        g_autoptr(GError) error = NULL;

        if (!pc_poll_until(file_exists, mark, PC_TIMEOUT_MS))
                pc_fail("%s never set its trap", path);
        g_assert_cmpint(unlink(mark), ==, 0);
        guint32 pid2 = restart(fx, path, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pid2, !=, pid1);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 1);
        if (!pc_poll_until(file_exists, mark, PC_TIMEOUT_MS))
                pc_fail("%s: the next run never set its trap", path);
        gboolean stopped = pc_stop(fx, path, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(stopped);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_fixture_daemon_option = "--max-running-per-user=1";
        pc_test_add("/restart/features-has-restart", PC_FIXTURE_DEFAULT, test_features);
        pc_test_add("/restart/invalid-options-are-invalid-args", PC_FIXTURE_DEFAULT, test_invalid_options);
        pc_test_add("/restart/crash-restarted-with-doubling-delay-then-given-up", PC_FIXTURE_DEFAULT,
                    test_crash_doubles_delay_then_gives_up);
        pc_test_add("/restart/delay-capped-by-its-maximum", PC_FIXTURE_DEFAULT, test_delay_capped_by_its_maximum);
        pc_test_add("/restart/success-not-restarted-on-failure", PC_FIXTURE_DEFAULT, test_success_not_restarted_on_failure);
        pc_test_add("/restart/always-until-stop-signal-reaches-current-run", PC_FIXTURE_DEFAULT, test_always_until_stop);
        pc_test_add("/restart/stop-during-delay-ends-it-at-once", PC_FIXTURE_DEFAULT, test_stop_during_delay);
        pc_test_add("/restart/exec-failure-on-restart-ends-it-for-good", PC_FIXTURE_DEFAULT,
                    test_exec_failure_on_restart_ends_it);
        pc_test_add("/restart/output-captured-across-runs", PC_FIXTURE_DEFAULT, test_output_across_runs);
        pc_test_add("/restart/run-after-leftovers-killed-lives", PC_FIXTURE_DEFAULT, test_run_after_leftovers_killed_lives);
        pc_test_add("/restart/swapped-program-never-runs-on-restart", PC_FIXTURE_NEEDS_ROOT,
                    test_swapped_program_never_runs_on_restart);
        pc_test_add("/restart/caller-descriptors-kept-for-every-run", PC_FIXTURE_DEFAULT,
                    test_descriptors_kept_for_every_run);
        pc_test_add("/restart/restarting-counts-as-running", PC_FIXTURE_NEEDS_ROOT, test_restarting_counts_as_running);
        pc_test_add("/restart/verb/running-starts-next-run-at-once", PC_FIXTURE_DEFAULT,
                    test_restart_running_starts_next_run_at_once);
        pc_test_add("/restart/verb/honours-stop-timeout", PC_FIXTURE_DEFAULT, test_restart_honours_stop_timeout);
        pc_test_add("/restart/verb/during-delay-starts-now", PC_FIXTURE_DEFAULT, test_restart_during_delay);
        pc_test_add("/restart/verb/refused-without-policy-or-after-end", PC_FIXTURE_DEFAULT,
                    test_restart_refused_without_policy_or_after_end);
        pc_test_add("/restart/verb/stop-wins-over-restart-two-restarts-one-pid", PC_FIXTURE_DEFAULT,
                    test_stop_racing_restart);
        pc_test_add("/restart/verb/another-users-restart-denied", PC_FIXTURE_NEEDS_ROOT,
                    test_restart_by_another_user_denied);
        pc_test_add("/restart/verb/on-failure-program-exiting-zero-restarts", PC_FIXTURE_DEFAULT,
                    test_restart_on_failure_program_exiting_zero);
        return g_test_run();
}
