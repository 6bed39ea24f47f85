/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Adopt, GetPidfd and GetProcessByPidfd.  Adopted processes here are the
 * test's own children: the test kills and reaps them itself, as their
 * parent, and the daemon learns their end through the pidfd alone.
 */

#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static void assert_error_and_clear(GError **error, const char *name) {
        pc_assert_dbus_error(*error, name);
        g_clear_error(error);
}

static char *adopt_ok(PcFixture *fx, int pidfd, GVariant *options) {
        g_autoptr(GError) error = NULL;
        char *path = pc_adopt(fx, pidfd, options, &error);
        g_assert_no_error(error);
        g_assert_true(g_str_has_prefix(path, PC_PROCESS_PREFIX));
        return path;
}

/* A `sleep 60` child of the test and a pidfd of it. */
static pid_t start_sleeper(int *pidfd) {
        pid_t pid = pc_start_child(PC_ARGV("/bin/sleep", "60"), -1, FALSE);
        *pidfd = pc_pidfd_open(pid);
        pc_wait_exec(pid, "/sleep");
        return pid;
}

/* A child of the test that runs as uid (real, effective and saved). */
static pid_t start_sleeper_as(uid_t uid, int *pidfd) {
        g_autofree char *reuid = g_strdup_printf("--reuid=%u", (unsigned) uid);
        g_autofree char *regid = g_strdup_printf("--regid=%u", (unsigned) uid);
        pid_t pid = pc_start_child(PC_ARGV("/usr/bin/setpriv", reuid, regid, "--clear-groups", "/bin/sleep", "60"), -1,
                                   FALSE);
        *pidfd = pc_pidfd_open(pid);
        /* Until setpriv has become sleep, with its new identity. */
        pc_wait_exec(pid, "/sleep");
        return pid;
}

/* --- Adopt: errors -------------------------------------------------------- */

static void test_adopt_non_pidfd_is_invalid_args(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int p[2];
        pc_pipe(p);
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int procdir = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fds[] = { p[0], devnull, procdir };
        for (gsize i = 0; i < G_N_ELEMENTS(fds); i++) {
                g_autofree char *path = pc_adopt(fx, fds[i], NULL, &error);
                g_assert_null(path);
                assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);
        }
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        close(p[0]);
        close(p[1]);
        close(devnull);
        close(procdir);
}

static void test_adopt_exited_process_is_not_running(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        pid_t pid = pc_start_child(PC_ARGV("/bin/true"), -1, FALSE);
        int pidfd = pc_pidfd_open(pid);

        /* Exited, not reaped yet: a zombie. */
        siginfo_t si = { 0 };
        g_assert_cmpint(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT), ==, 0);
        g_assert_cmpint(pc_process_state(pid), ==, 'Z');
        g_autofree char *zombie = pc_adopt(fx, pidfd, NULL, &error);
        g_assert_null(zombie);
        assert_error_and_clear(&error, PC_ERROR_NOT_RUNNING);

        /* Reaped. */
        g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
        g_autofree char *reaped = pc_adopt(fx, pidfd, NULL, &error);
        g_assert_null(reaped);
        assert_error_and_clear(&error, PC_ERROR_NOT_RUNNING);

        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        close(pidfd);
}

static void test_adopt_bad_options_are_invalid_args(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);

        GVariant *bad[] = {
                pc_options("bogus", g_variant_new_string("x"), NULL),
                /* Spawn's options that make no sense for a running process. */
                pc_options("user", g_variant_new_string("root"), NULL),
                pc_options("environment", g_variant_new_strv(NULL, 0), NULL),
                pc_options("working-directory", g_variant_new_string("/"), NULL),
                /* The right key with the wrong type. */
                pc_options("description", g_variant_new_uint32(1), NULL),
                pc_options("timeout", g_variant_new_string("1"), NULL),
                pc_options("kill-on-disconnect", g_variant_new_int32(1), NULL),
        };
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *text = g_variant_print(bad[i], TRUE);
                g_autofree char *path = pc_adopt(fx, pidfd, bad[i], &error);
                if (path)
                        pc_fail("Adopt with %s succeeded", text);
                assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);
        }
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        g_assert_true(pc_process_is_alive(pid));

        close(pidfd);
        pc_kill_and_reap(pid);
}

static void test_adopt_tracked_process_is_invalid_args(PcFixture *fx) {
        g_autoptr(GError) error = NULL;

        /* Adopted already, through the same or another pidfd. */
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);
        g_autofree char *again = pc_adopt(fx, pidfd, NULL, &error);
        g_assert_null(again);
        assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);
        int other = pc_pidfd_open(pid);
        g_autofree char *other_path = pc_adopt(fx, other, NULL, &error);
        g_assert_null(other_path);
        assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);

        /* Spawned by the daemon. */
        guint32 spawned_pid;
        g_autofree char *spawned = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &spawned_pid);
        int spawned_fd = pc_pidfd_open((pid_t) spawned_pid);
        g_autofree char *spawned_again = pc_adopt(fx, spawned_fd, NULL, &error);
        g_assert_null(spawned_again);
        assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);

        g_assert_cmpuint(pc_get_process_count(fx), ==, 2);

        PcReaper *reaper = pc_reaper_new(pid);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        pc_reaper_join(reaper);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);

        close(pidfd);
        close(other);
        close(spawned_fd);
}

static void test_adopt_daemon_itself_is_refused(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd = pc_pidfd_open(fx->daemon_pid);
        g_autofree char *path = pc_adopt(fx, pidfd, NULL, &error);
        g_assert_null(path);
        assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);
        close(pidfd);
}

static void test_adopt_other_users_process_is_access_denied(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd;
        pid_t pid = start_sleeper(&pidfd); /* root's */
        g_autofree char *pid_text = g_strdup_printf("%d", (int) pid);

        g_autofree char *path = pc_pidfd_call_as(fx, NOBODY, NOBODY, "adopt", pid_text, &error);
        g_assert_null(path);
        assert_error_and_clear(&error, PC_ERROR_ACCESS_DENIED);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        g_assert_true(pc_process_is_alive(pid));

        close(pidfd);
        pc_kill_and_reap(pid);
}

static void test_adopt_own_uid_process_as_non_root(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd;
        pid_t pid = start_sleeper_as(NOBODY, &pidfd);
        g_autofree char *pid_text = g_strdup_printf("%d", (int) pid);

        g_autofree char *path = pc_pidfd_call_as(fx, NOBODY, NOBODY, "adopt", pid_text, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, NOBODY);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, NOBODY);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, (guint32) pid);
        /* Its own dumpable process: the owner could read these itself. */
        g_autofree char *exe = pc_get_process_string(fx, path, "Executable");
        g_autofree char *real_exe = g_file_read_link(g_strdup_printf("/proc/%d/exe", (int) pid), NULL);
        g_assert_cmpstr(exe, ==, real_exe);

        /* The owner may look it up and get its pidfd; it is the same process. */
        g_autofree char *found = pc_pidfd_call_as(fx, NOBODY, NOBODY, "find", pid_text, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(found, ==, path);
        g_autofree char *inode = pc_pidfd_call_as(fx, NOBODY, NOBODY, "get-pidfd", path, &error);
        g_assert_no_error(error);
        if (pc_is_on_pidfs(pidfd))
                g_assert_cmpuint(g_ascii_strtoull(inode, NULL, 10), ==, pc_inode(pidfd));

        PcReaper *reaper = pc_reaper_new(pid);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        pc_reaper_join(reaper);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        close(pidfd);
}

static gboolean proc_owned_by_root(gpointer data) {
        g_autofree char *path = g_strdup_printf("/proc/%d/exe", GPOINTER_TO_INT(data));
        struct stat st;
        return lstat(path, &st) == 0 && st.st_uid == 0;
}

/* A process of nobody's that made itself not dumpable: nobody may signal
 * and adopt it, but not read its /proc/PID/exe or cwd, and neither does
 * the object show them. */
static void test_adopt_hides_paths_the_caller_could_not_read(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *reuid = g_strdup_printf("--reuid=%u", (unsigned) NOBODY);
        g_autofree char *regid = g_strdup_printf("--regid=%u", (unsigned) NOBODY);
        pid_t pid = pc_start_child(PC_ARGV("/usr/bin/setpriv", reuid, regid, "--clear-groups", pc_child_path(), "not-dumpable"),
                                   -1, FALSE);
        int pidfd = pc_pidfd_open(pid);
        pc_wait_exec(pid, "/pc-child");
        g_assert_true(pc_poll_until(proc_owned_by_root, GINT_TO_POINTER(pid), PC_TIMEOUT_MS));
        g_autofree char *pid_text = g_strdup_printf("%d", (int) pid);

        g_autofree char *path = pc_pidfd_call_as(fx, NOBODY, NOBODY, "adopt", pid_text, &error);
        g_assert_no_error(error);
        g_autofree char *exe = pc_get_process_string(fx, path, "Executable");
        g_autofree char *cwd = pc_get_process_string(fx, path, "WorkingDirectory");
        g_assert_cmpstr(exe, ==, "");
        g_assert_cmpstr(cwd, ==, "");

        PcReaper *reaper = pc_reaper_new(pid);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        pc_reaper_join(reaper);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        close(pidfd);
}

static void test_adopt_root_may_adopt_any_process(PcFixture *fx) {
        int pidfd;
        pid_t pid = start_sleeper_as(NOBODY, &pidfd);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, 0);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, NOBODY);

        PcReaper *reaper = pc_reaper_new(pid);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        pc_reaper_join(reaper);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        close(pidfd);
}

/* --- Adopt: tracking ------------------------------------------------------ */

static void test_adopt_describes_the_process(PcFixture *fx) {
        guint64 before = (guint64) g_get_real_time();
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        g_autofree char *path = adopt_ok(fx, pidfd, pc_options("description", g_variant_new_string("adopted sleeper"), NULL));

        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, (guint32) pid);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "");
        g_autofree char *description = pc_get_process_string(fx, path, "Description");
        g_assert_cmpstr(description, ==, "adopted sleeper");
        g_autoptr(GVariant) argv = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Argv", G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **a = g_variant_get_strv(argv, NULL);
        g_assert_cmpstrv(a, ((const char *const[]) { "/bin/sleep", "60", NULL }));
        g_autofree char *exe = pc_get_process_string(fx, path, "Executable");
        g_autofree char *real_exe = g_file_read_link(g_strdup_printf("/proc/%d/exe", (int) pid), NULL);
        g_assert_cmpstr(exe, ==, real_exe);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, getuid());
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, getuid());
        g_autoptr(GVariant) start = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "StartTimestamp", G_VARIANT_TYPE_UINT64);
        /* From /proc in clock ticks: allow their granularity. */
        g_assert_cmpuint(g_variant_get_uint64(start) + 1000000, >=, before);
        g_assert_cmpuint(g_variant_get_uint64(start), <=, (guint64) g_get_real_time() + 1000000);

        /* Listed like a spawned one. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) list = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autoptr(GVariantIter) it = NULL;
        g_variant_get(list, "(a(ouuss))", &it);
        const char *o, *s, *cmd;
        guint32 lpid, luid;
        gboolean seen = FALSE;
        while (g_variant_iter_loop(it, "(&ouu&s&s)", &o, &lpid, &luid, &s, &cmd))
                if (strcmp(o, path) == 0) {
                        seen = TRUE;
                        g_assert_cmpuint(lpid, ==, (guint32) pid);
                        g_assert_cmpstr(s, ==, "running");
                        g_assert_cmpstr(cmd, ==, "/bin/sleep 60");
                }
        g_assert_true(seen);

        PcReaper *reaper = pc_reaper_new(pid);
        kill(pid, SIGKILL);
        pc_reaper_join(reaper);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        close(pidfd);
}

static void test_adopt_killed_child_reports_killed_9(PcFixture *fx) {
        PcSignalRecorder *rec = pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", PC_MANAGER_PATH);
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);

        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        int status;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "exited");
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "killed");
        g_autoptr(GVariant) es = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);
        g_assert_cmpint(g_variant_get_int32(es), ==, SIGKILL);

        const PcRecordedSignal *s = pc_signal_recorder_wait(rec, NULL, NULL, PC_TIMEOUT_MS);
        g_assert_nonnull(s);
        const char *spath, *sreason;
        gint32 sstatus;
        g_variant_get(s->params, "(&o&si)", &spath, &sreason, &sstatus);
        g_assert_cmpstr(spath, ==, path);
        g_assert_cmpstr(sreason, ==, "killed");
        g_assert_cmpint(sstatus, ==, SIGKILL);
        pc_signal_recorder_free(rec);

        /* Released like any exited process. */
        g_autoptr(GError) error = NULL;
        g_assert_true(pc_release(fx, path, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        close(pidfd);
}

static void test_adopt_exited_child_reports_its_code(PcFixture *fx) {
        int in[2];
        pc_pipe(in);
        pid_t pid = pc_start_child(PC_ARGV("/bin/sh", "-c", "read x; exit 23"), in[0], FALSE);
        close(in[0]);
        int pidfd = pc_pidfd_open(pid);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);

        PcReaper *reaper = pc_reaper_new(pid);
        g_assert_cmpint(write(in[1], "go\n", 3), ==, 3);
        close(in[1]);
        int status = pc_reaper_join(reaper);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 23);

        pc_assert_wait_result(fx, path, "exited", 23);
        close(pidfd);
}

static void on_wait_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        GVariant **reply = user_data;
        g_autoptr(GError) error = NULL;
        *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!*reply)
                pc_fail("Wait failed: %s", error->message);
}

static gboolean is_set(gpointer p) {
        return *(GVariant **) p != NULL;
}

/* Manager1.Wait(path), failing the test unless it answers within timeout_ms. */
static GVariant *wait_within(PcFixture *fx, const char *path, int timeout_ms) {
        GVariant *reply = NULL;
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait",
                               g_variant_new("(o)", path), G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL,
                               on_wait_reply, &reply);
        if (!pc_poll_until(is_set, &reply, timeout_ms))
                pc_fail("Wait on %s did not answer within %d ms", path, timeout_ms);
        return reply;
}

/* Nobody reaps it: the kernel has no status for pidfd holders. */
static void test_adopt_unreaped_exit_is_unknown(PcFixture *fx) {
        int in[2];
        pc_pipe(in);
        pid_t pid = pc_start_child(PC_ARGV("/bin/sh", "-c", "read x; exit 5"), in[0], FALSE);
        close(in[0]);
        int pidfd = pc_pidfd_open(pid);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);

        g_assert_cmpint(write(in[1], "go\n", 3), ==, 3);
        close(in[1]);
        /* The daemon asks the kernel for about 2 s, then gives up. */
        gint64 start = g_get_monotonic_time();
        g_autoptr(GVariant) reply = wait_within(fx, path, 5000);
        g_test_message("\"unknown\" after %" G_GINT64_FORMAT " ms", (g_get_monotonic_time() - start) / 1000);
        const char *reason;
        gint32 code;
        g_variant_get(reply, "(&si)", &reason, &code);
        g_assert_cmpstr(reason, ==, "unknown");
        g_assert_cmpint(code, ==, 0);
        g_assert_cmpint(pc_process_state(pid), ==, 'Z');

        int status;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 5);
        close(pidfd);
}

static void test_adopt_signal_and_stop_reach_the_process(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);
        PcReaper *reaper = pc_reaper_new(pid);

        g_assert_true(pc_signal(fx, path, 0, &error));
        g_assert_no_error(error);
        g_autoptr(GVariant) r = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", SIGSTOP),
                                        G_VARIANT_TYPE_UNIT, NULL, NULL, &error);
        g_assert_no_error(error);
        for (int i = 0; i < 200 && pc_process_state(pid) != 'T'; i++)
                g_usleep(10 * 1000);
        g_assert_cmpint(pc_process_state(pid), ==, 'T');

        /* Stop continues a stopped process so that it can act on SIGTERM. */
        g_autofree char *reason = NULL;
        gint32 status = -1;
        g_assert_true(pc_stop(fx, path, &reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        int ws = pc_reaper_join(reaper);
        g_assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM);
        close(pidfd);
}

static void test_adopt_timeout_stops_the_process(PcFixture *fx) {
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        PcReaper *reaper = pc_reaper_new(pid);
        gint64 start = g_get_monotonic_time();
        g_autofree char *path = adopt_ok(fx, pidfd, pc_options("timeout", g_variant_new_uint64(300 * 1000), NULL));
        pc_assert_wait_result(fx, path, "killed", SIGTERM);
        g_assert_cmpint(g_get_monotonic_time() - start, >=, 300 * 1000);
        pc_reaper_join(reaper);
        close(pidfd);
}

static void test_adopt_stop_timeout_escalates_to_sigkill(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        pid_t pid = pc_start_child(PC_ARGV("/bin/sleep", "60"), -1, TRUE);
        int pidfd = pc_pidfd_open(pid);
        pc_wait_exec(pid, "/sleep");
        g_autofree char *path = adopt_ok(fx, pidfd, pc_options("stop-timeout", g_variant_new_uint64(200 * 1000), NULL));
        PcReaper *reaper = pc_reaper_new(pid);

        g_autofree char *reason = NULL;
        gint32 status = -1;
        gint64 start = g_get_monotonic_time();
        g_assert_true(pc_stop(fx, path, &reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGKILL);
        g_assert_cmpint(g_get_monotonic_time() - start, >=, 200 * 1000);
        pc_reaper_join(reaper);
        close(pidfd);
}

static void test_adopt_kill_on_disconnect_stops_the_process(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        PcReaper *reaper = pc_reaper_new(pid);
        g_autoptr(GDBusConnection) conn = pc_fixture_new_connection(fx);
        g_autofree char *path = pc_adopt_on(fx, conn, pidfd, pc_options("kill-on-disconnect", g_variant_new_boolean(TRUE), NULL),
                                            &error);
        g_assert_no_error(error);
        g_assert_true(pc_process_is_alive(pid));

        g_dbus_connection_close_sync(conn, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "killed", SIGTERM);
        pc_reaper_join(reaper);
        close(pidfd);
}

/* --- GetPidfd --------------------------------------------------------------- */

static void test_get_pidfd_returns_a_new_descriptor_of_the_same_process(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &pid);
        int own = pc_pidfd_open((pid_t) pid);

        int fd = pc_get_pidfd(fx, path, &error);
        g_assert_no_error(error);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(fd, !=, own);
        /* A descriptor of the caller's own, not a number that happens to be
         * the daemon's. */
        g_assert_cmpint(fcntl(fd, F_GETFD), >=, 0);

        /* The same process: pidfs gives it one inode number. */
        g_assert_true(pc_is_on_pidfs(own));
        g_assert_cmpuint(pc_inode(fd), ==, pc_inode(own));
        g_autofree char *fdinfo_path = g_strdup_printf("/proc/self/fdinfo/%d", fd);
        g_autofree char *fdinfo = NULL;
        g_assert_true(g_file_get_contents(fdinfo_path, &fdinfo, NULL, NULL));
        g_autofree char *pid_line = g_strdup_printf("\nPid:\t%u\n", pid);
        g_assert_nonnull(strstr(fdinfo, pid_line));

        /* Usable: signal 0 through it, and it finds the object again. */
        g_assert_cmpint(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0), ==, 0);
        g_autofree char *found = pc_get_process_by_pidfd(fx, fd, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(found, ==, path);

        /* Whatever the caller does with its descriptor (close it, make it
         * non-blocking) does not disturb the daemon's tracking. */
        g_assert_cmpint(fcntl(fd, F_SETFL, O_NONBLOCK), ==, 0);
        int second = pc_get_pidfd(fx, path, &error);
        g_assert_no_error(error);
        close(fd);
        g_assert_cmpint(syscall(SYS_pidfd_send_signal, own, SIGUSR1, NULL, 0), ==, 0);
        pc_assert_wait_result(fx, path, "killed", SIGUSR1);
        close(second);
        close(own);
}

static void test_get_pidfd_of_exited_process_is_not_running(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 3"), NULL, NULL);
        pc_assert_wait_result(fx, path, "exited", 3);
        int fd = pc_get_pidfd(fx, path, &error);
        g_assert_cmpint(fd, ==, -1);
        assert_error_and_clear(&error, PC_ERROR_NOT_RUNNING);

        /* And of an adopted one. */
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        g_autofree char *adopted = adopt_ok(fx, pidfd, NULL);
        pc_kill_and_reap(pid);
        pc_assert_wait_result(fx, adopted, "killed", SIGKILL);
        fd = pc_get_pidfd(fx, adopted, &error);
        g_assert_cmpint(fd, ==, -1);
        assert_error_and_clear(&error, PC_ERROR_NOT_RUNNING);
        close(pidfd);
}

static void test_get_pidfd_of_other_users_process_is_access_denied(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL);

        g_autofree char *got = pc_pidfd_call_as(fx, NOBODY, NOBODY, "get-pidfd", path, &error);
        g_assert_null(got);
        assert_error_and_clear(&error, PC_ERROR_ACCESS_DENIED);

        /* Through pc-call too (no descriptors involved in the refusal). */
        g_autoptr(GVariant) reply = pc_call_as(fx, NOBODY, NOBODY, PC_MANAGER_PATH, PC_MANAGER_IFACE, "GetPidfd",
                                               g_variant_new("(o)", path), &error);
        g_assert_null(reply);
        assert_error_and_clear(&error, PC_ERROR_ACCESS_DENIED);

        /* Root's own call works. */
        int fd = pc_get_pidfd(fx, path, &error);
        g_assert_no_error(error);
        close(fd);
}

static void test_get_pidfd_of_unknown_object(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int fd = pc_get_pidfd(fx, PC_PROCESS_PREFIX "4711", &error);
        g_assert_cmpint(fd, ==, -1);
        assert_error_and_clear(&error, PC_ERROR_UNKNOWN_OBJECT);
}

/* --- GetProcessByPidfd ------------------------------------------------------ */

static void test_get_process_by_pidfd_finds_spawned_and_adopted(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 spid;
        g_autofree char *spawned = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &spid);
        int sfd = pc_pidfd_open((pid_t) spid);
        g_autofree char *found_spawned = pc_get_process_by_pidfd(fx, sfd, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(found_spawned, ==, spawned);

        int afd;
        pid_t apid = start_sleeper(&afd);
        g_autofree char *adopted = adopt_ok(fx, afd, NULL);
        int afd2 = pc_pidfd_open(apid);
        g_autofree char *found_adopted = pc_get_process_by_pidfd(fx, afd2, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(found_adopted, ==, adopted);

        pc_kill_and_reap(apid);
        close(sfd);
        close(afd);
        close(afd2);
}

static void test_get_process_by_pidfd_untracked_is_unknown_object(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int pidfd;
        pid_t pid = start_sleeper(&pidfd);
        g_autofree char *none = pc_get_process_by_pidfd(fx, pidfd, &error);
        g_assert_null(none);
        assert_error_and_clear(&error, PC_ERROR_UNKNOWN_OBJECT);

        int self = pc_pidfd_open(getpid());
        g_autofree char *me = pc_get_process_by_pidfd(fx, self, &error);
        g_assert_null(me);
        assert_error_and_clear(&error, PC_ERROR_UNKNOWN_OBJECT);

        close(self);
        close(pidfd);
        pc_kill_and_reap(pid);
}

static void test_get_process_by_pidfd_non_pidfd_is_invalid_args(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        g_autofree char *path = pc_get_process_by_pidfd(fx, devnull, &error);
        g_assert_null(path);
        assert_error_and_clear(&error, PC_ERROR_INVALID_ARGS);
        close(devnull);
}

/* A pidfd names one process for ever: after the exit it still finds that
 * process's record, and after Release nothing. */
static void test_get_process_by_pidfd_after_exit_and_release(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &pid);
        int fd = pc_pidfd_open((pid_t) pid);
        if (!pc_is_on_pidfs(fd)) {
                g_test_skip("pidfds are not on pidfs (Linux < 6.9): no identity after exit");
                close(fd);
                return;
        }
        g_assert_true(pc_signal(fx, path, SIGKILL, &error));
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);

        g_autofree char *found = pc_get_process_by_pidfd(fx, fd, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(found, ==, path);

        g_assert_true(pc_release(fx, path, &error));
        g_assert_no_error(error);
        g_autofree char *gone = pc_get_process_by_pidfd(fx, fd, &error);
        g_assert_null(gone);
        assert_error_and_clear(&error, PC_ERROR_UNKNOWN_OBJECT);
        close(fd);
}

/* --- The race that matters ---------------------------------------------------- */

/* Forks a child of the test whose children are born in the PID namespace
 * of ns_pid: setns() changes only this thread's namespace for children,
 * and is undone at once. */
static pid_t fork_into_pidns(pid_t ns_pid) {
        g_autofree char *ns_path = g_strdup_printf("/proc/%d/ns/pid", (int) ns_pid);
        int nsfd = open(ns_path, O_RDONLY | O_CLOEXEC);
        int ownfd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(nsfd, >=, 0);
        g_assert_cmpint(ownfd, >=, 0);

        if (setns(nsfd, CLONE_NEWPID) < 0)
                pc_fail("setns(%s): %s", ns_path, g_strerror(errno));
        pid_t pid = fork();
        if (pid == 0)
                return 0; /* the child: inside, with nothing to undo */
        int fork_errno = errno;
        g_assert_cmpint(setns(ownfd, CLONE_NEWPID), ==, 0);
        close(nsfd);
        close(ownfd);
        if (pid < 0)
                pc_fail("fork into the namespace of %d: %s", (int) ns_pid, g_strerror(fork_errno));
        return pid;
}

static const char *const sleep_argv[] = { "/bin/sleep", "60", NULL };
static const char *const sleep_envp[] = { "PATH=/usr/bin:/bin", NULL };

/* A `sleep 60` child of the test, in the PID namespace of ns_pid. */
static pid_t start_sleeper_in_pidns(pid_t ns_pid) {
        /* No getppid() check after PR_SET_PDEATHSIG: inside the namespace
         * the parent has no PID.  The namespace dies with the daemon anyway. */
        pid_t pid = fork_into_pidns(ns_pid);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                execve(sleep_argv[0], (char *const *) sleep_argv, (char *const *) sleep_envp);
                _exit(127);
        }
        return pid;
}

/* Starts a `sleep 60` that gets PID wanted in the namespace of ns_pid: a
 * helper inside writes wanted - 1 to the namespace's ns_last_pid and forks
 * it.  Returns its PID as seen from here; *helper is the test's child that
 * waits for it. */
static pid_t start_sleeper_with_pid(pid_t ns_pid, pid_t wanted, pid_t *helper) {
        char last[32];
        int last_len = snprintf(last, sizeof last, "%d", (int) wanted - 1);
        int report[2];
        pc_pipe(report);

        pid_t h = fork_into_pidns(ns_pid);
        if (h == 0) {
                /* Async-signal-safe only: the test has threads. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, last, last_len) != last_len)
                        _exit(10);
                close(fd);
                pid_t c = (pid_t) syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
                if (c < 0)
                        _exit(11);
                if (c == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        execve(sleep_argv[0], (char *const *) sleep_argv, (char *const *) sleep_envp);
                        _exit(127);
                }
                if (write(report[1], &c, sizeof c) != sizeof c)
                        _exit(12);
                int st;
                while (waitpid(c, &st, 0) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(report[1]);
        pid_t inner = 0;
        ssize_t n = read(report[0], &inner, sizeof inner);
        close(report[0]);
        if (n != sizeof inner) {
                int st = 0;
                waitpid(h, &st, 0);
                pc_fail("recycling PID %d failed (helper exit status %d)", (int) wanted, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
        if (inner != wanted)
                pc_fail("the helper's child got PID %d, not %d: something else forked in the namespace",
                        (int) inner, (int) wanted);
        *helper = h;
        pid_t outer = 0;
        for (int i = 0; i < 500 && outer == 0; i++) {
                outer = pc_find_outer_pid(ns_pid, inner);
                if (outer == 0)
                        g_usleep(10 * 1000);
        }
        g_assert_cmpint(outer, >, 0);
        return outer;
}

/* No signal is pending for pid (and it is alive). */
static void assert_no_signal_pending(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *status = NULL;
        g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
        g_assert_nonnull(strstr(status, "\nSigPnd:\t0000000000000000\n"));
        g_assert_nonnull(strstr(status, "\nShdPnd:\t0000000000000000\n"));
}

/* procctld is PID 1 of a PID namespace; the test's own child, born in it,
 * is adopted, then killed and reaped by the test, and its PID given on
 * purpose to a new process before anything is asked of the daemon.  Nothing
 * sent through the old object may reach the new process. */
static void test_adopt_signal_never_reaches_a_recycled_pid(PcFixture *fx) {
        g_autoptr(GError) error = NULL;

        pid_t child = start_sleeper_in_pidns(fx->daemon_pid);
        int pidfd = pc_pidfd_open(child);
        pc_wait_exec(child, "/sleep");
        pid_t inner = pc_process_inner_pid(child);
        g_assert_cmpint(inner, >, 1);
        g_assert_cmpint(inner, !=, child);
        g_autofree char *path = adopt_ok(fx, pidfd, NULL);
        /* The daemon speaks of PIDs of its own namespace. */
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, (guint32) inner);
        g_autoptr(GVariant) argv = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Argv", G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **a = g_variant_get_strv(argv, NULL);
        g_assert_cmpstrv(a, sleep_argv);

        g_assert_cmpint(kill(child, SIGKILL), ==, 0);
        int status;
        g_assert_cmpint(waitpid(child, &status, 0), ==, child);
        g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        pid_t helper;
        pid_t recycled = start_sleeper_with_pid(fx->daemon_pid, inner, &helper);
        g_assert_cmpint(pc_process_inner_pid(recycled), ==, inner);
        g_test_message("PID %d recycled in the daemon's namespace: outer %d before, %d now", (int) inner, (int) child,
                       (int) recycled);

        const struct {
                const char *object, *iface, *method;
                GVariant *params;
        } calls[] = {
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, SIGKILL) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, 0) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, SIGKILL) },
                { path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", SIGTERM) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "GetPidfd", g_variant_new("(o)", path) },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
                g_autoptr(GVariant) reply = pc_call(fx, NULL, calls[i].object, calls[i].iface, calls[i].method,
                                                    calls[i].params, NULL, NULL, NULL, &error);
                if (reply)
                        pc_fail("%s on %s succeeded on an exited process", calls[i].method, path);
                assert_error_and_clear(&error, PC_ERROR_NOT_RUNNING);
        }

        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        g_autofree char *reason = NULL;
        gint32 st = -1;
        g_assert_true(pc_stop(fx, path, &reason, &st, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(st, ==, SIGKILL);

        /* The new process got nothing, and is a stranger to the daemon. */
        g_assert_true(pc_process_is_alive(recycled));
        g_assert_cmpint(pc_process_inner_pid(recycled), ==, inner);
        assert_no_signal_pending(recycled);
        int recycled_fd = pc_pidfd_open(recycled);
        g_autofree char *stranger = pc_get_process_by_pidfd(fx, recycled_fd, &error);
        g_assert_null(stranger);
        assert_error_and_clear(&error, PC_ERROR_UNKNOWN_OBJECT);

        /* It can be adopted in its own right, as another object. */
        g_autofree char *second = adopt_ok(fx, recycled_fd, NULL);
        g_assert_cmpstr(second, !=, path);
        g_assert_cmpuint(pc_get_process_u32(fx, second, "Pid"), ==, (guint32) inner);
        g_autofree char *state = pc_get_process_string(fx, second, "State");
        g_assert_cmpstr(state, ==, "running");

        g_assert_cmpint(kill(recycled, SIGKILL), ==, 0);
        g_assert_cmpint(waitpid(helper, &status, 0), ==, helper);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pc_assert_wait_result(fx, second, "killed", SIGKILL);
        close(recycled_fd);
        close(pidfd);
}

static void require_pidfds(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        if (g_strv_contains((const char *const *) features, "fallback-pid"))
                pc_fail("procctld runs without pidfds: these tests need them");
}

typedef void (*TestFunc)(PcFixture *fx);

static void run_with_pidfds(PcFixture *fx, gconstpointer data) {
        require_pidfds(fx);
        ((TestFunc) data)(fx);
}

static void add(const char *name, PcFixtureFlags flags, TestFunc f) {
        pc_test_add_data(name, flags, run_with_pidfds, (gconstpointer) f);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        add("/adopt/a-descriptor-that-is-not-a-pidfd-is-invalid-args", PC_FIXTURE_DEFAULT,
            test_adopt_non_pidfd_is_invalid_args);
        add("/adopt/a-pidfd-of-an-exited-process-is-not-running", PC_FIXTURE_DEFAULT,
            test_adopt_exited_process_is_not_running);
        add("/adopt/unknown-options-and-wrong-types-are-invalid-args", PC_FIXTURE_DEFAULT,
            test_adopt_bad_options_are_invalid_args);
        add("/adopt/a-tracked-process-is-invalid-args", PC_FIXTURE_DEFAULT, test_adopt_tracked_process_is_invalid_args);
        add("/adopt/the-daemon-itself-is-invalid-args", PC_FIXTURE_DEFAULT, test_adopt_daemon_itself_is_refused);
        add("/adopt/another-users-process-is-access-denied", PC_FIXTURE_NEEDS_ROOT,
            test_adopt_other_users_process_is_access_denied);
        add("/adopt/non-root-may-adopt-a-process-of-its-own-uid", PC_FIXTURE_NEEDS_ROOT,
            test_adopt_own_uid_process_as_non_root);
        add("/adopt/root-may-adopt-any-process", PC_FIXTURE_NEEDS_ROOT, test_adopt_root_may_adopt_any_process);
        add("/adopt/executable-and-cwd-only-if-the-caller-could-read-them", PC_FIXTURE_NEEDS_ROOT,
            test_adopt_hides_paths_the_caller_could_not_read);
        add("/adopt/the-object-describes-the-process", PC_FIXTURE_DEFAULT, test_adopt_describes_the_process);
        add("/adopt/killed-and-reaped-child-reports-killed-9", PC_FIXTURE_DEFAULT,
            test_adopt_killed_child_reports_killed_9);
        add("/adopt/exited-and-reaped-child-reports-its-exit-code", PC_FIXTURE_DEFAULT,
            test_adopt_exited_child_reports_its_code);
        add("/adopt/exit-nobody-reaps-is-unknown", PC_FIXTURE_DEFAULT, test_adopt_unreaped_exit_is_unknown);
        add("/adopt/signal-and-stop-reach-the-process", PC_FIXTURE_DEFAULT, test_adopt_signal_and_stop_reach_the_process);
        add("/adopt/timeout-stops-the-process", PC_FIXTURE_DEFAULT, test_adopt_timeout_stops_the_process);
        add("/adopt/stop-timeout-escalates-to-sigkill", PC_FIXTURE_DEFAULT, test_adopt_stop_timeout_escalates_to_sigkill);
        add("/adopt/kill-on-disconnect-stops-the-process", PC_FIXTURE_DEFAULT,
            test_adopt_kill_on_disconnect_stops_the_process);
        add("/adopt/signal-never-reaches-a-recycled-pid", PC_FIXTURE_DAEMON_IN_PIDNS,
            test_adopt_signal_never_reaches_a_recycled_pid);

        add("/get-pidfd/returns-a-new-descriptor-of-the-same-process", PC_FIXTURE_DEFAULT,
            test_get_pidfd_returns_a_new_descriptor_of_the_same_process);
        add("/get-pidfd/exited-process-is-not-running", PC_FIXTURE_DEFAULT, test_get_pidfd_of_exited_process_is_not_running);
        add("/get-pidfd/another-users-process-is-access-denied", PC_FIXTURE_NEEDS_ROOT,
            test_get_pidfd_of_other_users_process_is_access_denied);
        add("/get-pidfd/unknown-object", PC_FIXTURE_DEFAULT, test_get_pidfd_of_unknown_object);

        add("/get-process-by-pidfd/finds-spawned-and-adopted-processes", PC_FIXTURE_DEFAULT,
            test_get_process_by_pidfd_finds_spawned_and_adopted);
        add("/get-process-by-pidfd/untracked-process-is-unknown-object", PC_FIXTURE_DEFAULT,
            test_get_process_by_pidfd_untracked_is_unknown_object);
        add("/get-process-by-pidfd/not-a-pidfd-is-invalid-args", PC_FIXTURE_DEFAULT,
            test_get_process_by_pidfd_non_pidfd_is_invalid_args);
        add("/get-process-by-pidfd/finds-an-exited-process-until-released", PC_FIXTURE_DEFAULT,
            test_get_process_by_pidfd_after_exit_and_release);

        return g_test_run();
}
