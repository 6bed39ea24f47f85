/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The pidfd probe and the PID fallback.  tests/pidfd/meson.build runs this
 * program three times: with procctld as built (PROCCTL_SECCOMP_MODE=none),
 * and under seccomp-exec with the pidfd system calls failing with ENOSYS
 * (enosys) and with EPERM (eperm).  Features must say what the daemon can
 * use, and without pidfds everything but the pidfd-only methods must still
 * work.
 *
 * Environment (from meson.build): PROCCTL_SECCOMP_MODE none|enosys|eperm,
 * PROCCTL_SECCOMP_EXEC and PROCCTL_SECCOMP_CHECK (the filter and the program
 * that checks it).
 */

#include "fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif

static const char *mode; /* none, enosys or eperm */

static gboolean fallback_mode(void) {
        return strcmp(mode, "none") != 0;
}

/* --- What the kernel gives the test itself ----------------------------- */

/* Whether this kernel signals a process group through a pidfd. */
static gboolean kernel_has_pidfd_process_group(void) {
        int fd = pc_pidfd_open(getpid());
        long r = syscall(SYS_pidfd_send_signal, fd, 0, NULL, PIDFD_SIGNAL_PROCESS_GROUP);
        int e = errno;
        close(fd);
        return r == 0 || e == ESRCH;
}

/* Whether this kernel reports PIDFD_INFO_EXIT for a reaped child (6.15+);
 * the layout is the kernel's ABI, include/uapi/linux/pidfd.h. */
struct test_pidfd_info {
        guint64 mask, cgroupid;
        guint32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        gint32 exit_code;
        guint32 coredump_mask, spare1;
};
#define TEST_PIDFD_GET_INFO _IOWR(0xFF, 11, struct test_pidfd_info)
#define TEST_PIDFD_INFO_EXIT (1ULL << 3)

static gboolean kernel_has_pidfd_exit_info(void) {
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0)
                _exit(42);
        int fd = pc_pidfd_open(pid);
        g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
        struct test_pidfd_info info = { .mask = TEST_PIDFD_INFO_EXIT };
        gboolean ok = ioctl(fd, TEST_PIDFD_GET_INFO, &info) == 0 && (info.mask & TEST_PIDFD_INFO_EXIT) &&
                      WIFEXITED(info.exit_code) && WEXITSTATUS(info.exit_code) == 42;
        close(fd);
        return ok;
}

/* --- The filter --------------------------------------------------------- */

static GHashTable *run_seccomp_check(const char *filter_mode) {
        const char *check = g_getenv("PROCCTL_SECCOMP_CHECK");
        const char *exec = g_getenv("PROCCTL_SECCOMP_EXEC");
        g_assert_nonnull(check);
        g_assert_nonnull(exec);

        const char *filtered[] = { exec, filter_mode, check, NULL };
        const char *plain[] = { check, NULL };
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status;
        g_spawn_sync(NULL, (char **) (filter_mode ? filtered : plain), NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, &error);
        g_assert_no_error(error);
        if (!g_spawn_check_wait_status(status, NULL))
                pc_fail("seccomp-check %s failed: %s", filter_mode ? filter_mode : "unfiltered", err);

        GHashTable *results = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = g_strsplit(*l, " ", 2);
                if (f[0] && f[1])
                        g_hash_table_insert(results, g_strdup(f[0]), g_strdup(f[1]));
        }
        return results;
}

static void assert_result(GHashTable *results, const char *call, const char *expected) {
        const char *got = g_hash_table_lookup(results, call);
        if (g_strcmp0(got, expected) != 0)
                pc_fail("%s: expected %s, got %s", call, expected, got ? got : "(no result)");
}

/* The filter takes pidfds away and nothing else: pidfd_open,
 * pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD) and clone(CLONE_PIDFD) fail
 * with the mode's errno, clone3 with ENOSYS, while waitid on PIDs, clone,
 * fork and posix_spawn keep working. */
static void test_seccomp_filter_takes_away_exactly_pidfds(void) {
        g_autoptr(GHashTable) plain = run_seccomp_check(NULL);
        assert_result(plain, "pidfd_open", "ok");
        assert_result(plain, "pidfd_send_signal", "EBADF");
        assert_result(plain, "pidfd_getfd", "EBADF");
        assert_result(plain, "waitid_pidfd", "EBADF");
        assert_result(plain, "waitid_pid", "ok");
        assert_result(plain, "clone_pidfd", "ok");
        assert_result(plain, "clone", "ok");
        assert_result(plain, "clone3", "ok");
        assert_result(plain, "posix_spawn", "ok");

        const char *modes[] = { "enosys", "eperm" };
        const char *errnos[] = { "ENOSYS", "EPERM" };
        for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
                g_autoptr(GHashTable) r = run_seccomp_check(modes[i]);
                assert_result(r, "pidfd_open", errnos[i]);
                assert_result(r, "pidfd_send_signal", errnos[i]);
                assert_result(r, "pidfd_getfd", errnos[i]);
                assert_result(r, "waitid_pidfd", errnos[i]);
                assert_result(r, "waitid_pid", "ok");
                assert_result(r, "clone_pidfd", errnos[i]);
                assert_result(r, "clone", "ok");
                assert_result(r, "clone3", "ENOSYS");
                assert_result(r, "posix_spawn", "ok");
        }
}

/* --- Features ----------------------------------------------------------- */

static void test_features_name_what_the_kernel_allows(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        g_autofree char *joined = g_strjoinv(" ", features);
        g_test_message("mode %s, Features: %s", mode, joined);

        /* Whether each process gets a cgroup is another matter (tests/cgroup). */
        g_autofree const char **pidfd_words = g_new0(const char *, g_strv_length(features) + 1);
        for (gsize i = 0, n = 0; features[i]; i++)
                if (strcmp(features[i], "cgroup") != 0 && strcmp(features[i], "output") != 0 &&
                    strcmp(features[i], "restart") != 0)
                        pidfd_words[n++] = features[i];

        if (fallback_mode()) {
                g_assert_cmpstrv(pidfd_words, ((const char *const[]) { "fallback-pid", NULL }));
                return;
        }

        g_assert_false(g_strv_contains((const char *const *) features, "fallback-pid"));
        g_assert_true(g_strv_contains((const char *const *) features, "clone3-pidfd"));
        g_assert_true(g_strv_contains((const char *const *) features, "pidfd-send-signal"));
        g_assert_true(g_strv_contains((const char *const *) features, "waitid-pidfd"));
        /* The newer abilities are listed exactly when the kernel has them. */
        g_assert_cmpint(g_strv_contains((const char *const *) features, "pidfd-process-group"), ==,
                        kernel_has_pidfd_process_group());
        g_assert_cmpint(g_strv_contains((const char *const *) features, "pidfd-exit-info"), ==,
                        kernel_has_pidfd_exit_info());
        const char *const known[] = {
                "clone3-pidfd", "pidfd-send-signal", "waitid-pidfd", "pidfd-process-group", "pidfd-exit-info", "output", "restart", "cgroup", NULL,
        };
        for (char **f = features; *f; f++)
                if (!g_strv_contains(known, *f))
                        pc_fail("unknown feature \"%s\"", *f);
}

/* The daemon of a fallback run really is under the filter. */
static void test_fallback_daemon_runs_under_the_filter(PcFixture *fx) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) fx->daemon_pid);
        g_autofree char *status = NULL;
        g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
        g_assert_nonnull(strstr(status, "\nSeccomp:\t2\n"));
}

/* --- Without pidfds the daemon still does its job ------------------------- */

static void assert_dead_soon(pid_t pid) {
        for (int i = 0; i < 200 && pc_process_is_alive(pid); i++)
                g_usleep(10 * 1000);
        g_assert_false(pc_process_is_alive(pid));
}

static void test_spawn_signal_wait_stop_work(PcFixture *fx) {
        g_autoptr(GError) error = NULL;

        /* Exit codes. */
        g_autofree char *exits = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "exit 4"), NULL, NULL);
        pc_assert_wait_result(fx, exits, "exited", 4);

        /* Signal 0 as a liveness check, then a real signal. */
        g_autofree char *sleeper = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL);
        g_assert_true(pc_signal(fx, sleeper, 0, &error));
        g_assert_no_error(error);
        g_assert_true(pc_signal(fx, sleeper, SIGUSR1, &error));
        g_assert_no_error(error);
        pc_assert_wait_result(fx, sleeper, "killed", SIGUSR1);

        /* SignalGroup reaches the helpers the child started. */
        int out[2];
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&out[1], 1);
        g_autofree char *group = NULL;
        group = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "sleep 60 & echo $!; wait"),
                                 pc_options("stdout", g_variant_new_handle(0), NULL), fds, NULL, &error);
        g_assert_no_error(error);
        g_autofree char *line = pc_read_line(out[0], PC_TIMEOUT_MS);
        close(out[0]);
        pid_t grandchild = atoi(line);
        g_assert_cmpint(grandchild, >, 0);
        g_assert_true(pc_process_is_alive(grandchild));
        g_autoptr(GVariant) r = pc_manager_call(fx, "SignalGroup", g_variant_new("(oi)", group, SIGKILL),
                                                G_VARIANT_TYPE_UNIT, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, group, "killed", SIGKILL);
        assert_dead_soon(grandchild);

        /* Stop. */
        g_autofree char *stopped = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL);
        g_autofree char *reason = NULL;
        gint32 status = -1;
        g_assert_true(pc_stop(fx, stopped, &reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
}

static void test_signal_after_exit_is_not_running(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL);
        pc_assert_wait_result(fx, path, "exited", 0);

        g_assert_false(pc_signal(fx, path, 0, &error));
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
        g_clear_error(&error);
        g_assert_false(pc_signal(fx, path, SIGTERM, &error));
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
        g_clear_error(&error);
        g_autoptr(GVariant) r = pc_manager_call(fx, "SignalGroup", g_variant_new("(oi)", path, SIGTERM),
                                                G_VARIANT_TYPE_UNIT, &error);
        g_assert_null(r);
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
}

static void test_pidfd_methods_are_not_supported(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &pid);

        /* The test itself is not under the filter: it has a real pidfd to offer. */
        int pidfd = pc_pidfd_open((pid_t) pid);

        int fd = pc_get_pidfd(fx, path, &error);
        g_assert_cmpint(fd, ==, -1);
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
        g_clear_error(&error);

        g_autofree char *found = pc_get_process_by_pidfd(fx, pidfd, &error);
        g_assert_null(found);
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
        g_clear_error(&error);

        pid_t own = pc_start_child(PC_ARGV("/bin/sleep", "60"), -1, FALSE);
        int own_pidfd = pc_pidfd_open(own);
        g_autofree char *adopted = pc_adopt(fx, own_pidfd, NULL, &error);
        g_assert_null(adopted);
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
        g_clear_error(&error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);

        close(own_pidfd);
        pc_kill_and_reap(own);
        close(pidfd);
}

/* With pidfds, the same methods answer. */
static void test_pidfd_methods_are_available(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL);
        int fd = pc_get_pidfd(fx, path, &error);
        g_assert_no_error(error);
        g_autofree char *found = pc_get_process_by_pidfd(fx, fd, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(found, ==, path);
        close(fd);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        mode = g_getenv("PROCCTL_SECCOMP_MODE");
        if (!mode || !g_strv_contains((const char *const[]) { "none", "enosys", "eperm", NULL }, mode)) {
                fprintf(stderr, "PROCCTL_SECCOMP_MODE must be none, enosys or eperm: run through `meson test`\n");
                return 1;
        }

        if (!fallback_mode())
                g_test_add_func("/seccomp/filter-takes-away-exactly-the-pidfd-calls",
                                test_seccomp_filter_takes_away_exactly_pidfds);
        pc_test_add("/probe/features-name-what-the-kernel-allows", PC_FIXTURE_DEFAULT,
                    test_features_name_what_the_kernel_allows);
        pc_test_add("/probe/spawn-signal-signal-group-wait-stop-work", PC_FIXTURE_DEFAULT,
                    test_spawn_signal_wait_stop_work);
        pc_test_add("/probe/signal-after-exit-is-not-running", PC_FIXTURE_DEFAULT,
                    test_signal_after_exit_is_not_running);
        if (fallback_mode()) {
                pc_test_add("/fallback/daemon-runs-under-the-seccomp-filter", PC_FIXTURE_DEFAULT,
                            test_fallback_daemon_runs_under_the_filter);
                pc_test_add("/fallback/adopt-getpidfd-getprocessbypidfd-are-not-supported", PC_FIXTURE_DEFAULT,
                            test_pidfd_methods_are_not_supported);
        } else
                pc_test_add("/probe/getpidfd-and-getprocessbypidfd-answer", PC_FIXTURE_DEFAULT,
                            test_pidfd_methods_are_available);

        return g_test_run();
}
