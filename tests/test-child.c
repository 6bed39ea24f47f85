/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What a child gets from the daemon: a clean signal state, only the
 * descriptors it was given, an environment built for its user, its working
 * directory and umask, its own session; and data flowing through the
 * descriptors passed to it.
 */

#include "fixture.h"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs pc-child report with the given options and returns its report. */
static PcReport *spawn_report(PcFixture *fx, GVariant *options, GUnixFDList *fds, guint32 *pid) {
        static int n;
        g_autoptr(GError) error = NULL;
        g_autofree char *name = g_strdup_printf("report-%d", ++n);
        g_autofree char *file = pc_fixture_out_path(fx, name);
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV(pc_child_path(), "report", file),
                                                 options, fds, pid, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "exited", 0);
        return pc_report_load(file, PC_TIMEOUT_MS);
}

static void assert_signal_state_clean(PcReport *r) {
        g_assert_cmpstr(pc_report_get(r, "blocked"), ==, "");
        g_assert_cmpstr(pc_report_get(r, "ignored"), ==, "");
        g_assert_cmpstr(pc_report_get(r, "handled"), ==, "");
}

static void test_signal_mask_is_empty(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        g_assert_cmpstr(pc_report_get(r, "blocked"), ==, "");
}

static void test_signal_dispositions_are_default(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        g_assert_cmpstr(pc_report_get(r, "ignored"), ==, "");
        g_assert_cmpstr(pc_report_get(r, "handled"), ==, "");
}

/* The daemon itself was started with SIGINT and SIGQUIT ignored and SIGUSR1
 * blocked (see PC_FIXTURE_DAEMON_HOSTILE_SIGNALS); none of it reaches the
 * child. */
static void test_signal_state_clean_despite_daemon(PcFixture *fx) {
        /* The premise: the daemon really runs with SIGQUIT ignored. */
        g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int) fx->daemon_pid);
        g_autofree char *status = NULL;
        g_assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
        const char *ign = strstr(status, "SigIgn:");
        g_assert_nonnull(ign);
        guint64 mask = g_ascii_strtoull(ign + strlen("SigIgn:"), NULL, 16);
        g_assert_true(mask & (G_GUINT64_CONSTANT(1) << (SIGQUIT - 1)));

        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        assert_signal_state_clean(r);
}

static void test_only_stdio_and_fds_are_open(PcFixture *fx) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int a[2], b[2];
        pc_pipe(a);
        pc_pipe(b);
        GVariantBuilder m;
        g_variant_builder_init(&m, G_VARIANT_TYPE("a{uh}"));
        g_variant_builder_add(&m, "{uh}", 5, g_unix_fd_list_append(fds, a[1], NULL));
        g_variant_builder_add(&m, "{uh}", 9, g_unix_fd_list_append(fds, b[0], NULL));

        g_autoptr(PcReport) r = spawn_report(fx, pc_options("fds", g_variant_builder_end(&m), NULL), fds, NULL);

        g_autofree char *pipe_a = g_strdup_printf("/proc/self/fd/%d", a[1]);
        g_autofree char *pipe_b = g_strdup_printf("/proc/self/fd/%d", b[0]);
        g_autofree char *target_a = g_file_read_link(pipe_a, NULL);
        g_autofree char *target_b = g_file_read_link(pipe_b, NULL);
        g_autofree char *fd5 = g_strdup_printf("5 %s", target_a);
        g_autofree char *fd9 = g_strdup_printf("9 %s", target_b);
        const char *const expected[] = { "0 /dev/null", "1 /dev/null", "2 /dev/null", fd5, fd9, NULL };

        const char *const *got = pc_report_get_all(r, "fd");
        g_autofree char *joined = g_strjoinv(", ", (char **) got);
        g_test_message("child descriptors: %s", joined);
        g_assert_cmpstrv(got, expected);

        for (int i = 0; i < 2; i++) {
                close(a[i]);
                close(b[i]);
        }
}

static void test_default_stdio_is_dev_null(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        const char *const expected[] = { "0 /dev/null", "1 /dev/null", "2 /dev/null", NULL };
        g_assert_cmpstrv(pc_report_get_all(r, "fd"), expected);
}

static const char *env_value(const char *const *env, const char *name) {
        const char *found = NULL;
        gsize n = strlen(name);
        for (const char *const *e = env; *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
                        if (found)
                                pc_fail("%s appears twice in the child environment", name);
                        found = *e + n + 1;
                }
        return found;
}

static int compare_string_ptrs(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void assert_env_names(const char *const *env, const char *const *names) {
        g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
        for (const char *const *e = env; *e; e++)
                g_ptr_array_add(got, g_strndup(*e, strcspn(*e, "=")));
        g_ptr_array_sort(got, compare_string_ptrs);
        g_ptr_array_add(got, NULL);
        g_autofree char *joined = g_strjoinv(" ", (char **) got->pdata);
        g_autofree char *want = g_strjoinv(" ", (char **) names);
        g_assert_cmpstr(joined, ==, want);
}

static void test_environment_is_built_for_the_user(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        const char *const *env = pc_report_get_all(r, "env");

        /* Exactly the base environment, sorted. */
        assert_env_names(env, (const char *const[]) { "HOME", "LOGNAME", "PATH", "SHELL", "USER", NULL });

        struct passwd *pw = getpwuid(geteuid());
        g_assert_nonnull(pw);
        g_assert_cmpstr(env_value(env, "HOME"), ==, pw->pw_dir);
        g_assert_cmpstr(env_value(env, "USER"), ==, pw->pw_name);
        g_assert_cmpstr(env_value(env, "LOGNAME"), ==, pw->pw_name);
        g_assert_cmpstr(env_value(env, "SHELL"), ==, pw->pw_shell);
        const char *path = env_value(env, "PATH");
        g_assert_nonnull(path);
        g_assert_cmpstr(path, !=, "");
        /* Nothing from the daemon's own environment (see fixture.c). */
        g_assert_null(strstr(path, "daemon-path-must-not-leak"));
        g_assert_null(env_value(env, "PROCCTL_TEST_MARKER"));
        g_assert_null(env_value(env, "NOTIFY_SOCKET"));
        g_assert_null(env_value(env, "DBUS_SYSTEM_BUS_ADDRESS"));
}

static void test_environment_option_on_top(PcFixture *fx) {
        const char *const extra[] = { "FOO=bar", "PATH=/custom/bin", "EMPTY=", "WITH_EQUALS=a=b", NULL };
        g_autoptr(PcReport) r = spawn_report(fx, pc_options("environment", g_variant_new_strv(extra, -1), NULL),
                                             NULL, NULL);
        const char *const *env = pc_report_get_all(r, "env");

        assert_env_names(env, (const char *const[]) {
                "EMPTY", "FOO", "HOME", "LOGNAME", "PATH", "SHELL", "USER", "WITH_EQUALS", NULL });
        g_assert_cmpstr(env_value(env, "FOO"), ==, "bar");
        g_assert_cmpstr(env_value(env, "PATH"), ==, "/custom/bin");
        g_assert_cmpstr(env_value(env, "EMPTY"), ==, "");
        g_assert_cmpstr(env_value(env, "WITH_EQUALS"), ==, "a=b");
        g_assert_null(env_value(env, "PROCCTL_TEST_MARKER"));
}

static void test_working_directory_defaults_to_root(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        g_assert_cmpstr(pc_report_get(r, "cwd"), ==, "/");
}

static void test_working_directory_option(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, pc_options("working-directory", g_variant_new_string(fx->outdir), NULL),
                                             NULL, NULL);
        g_assert_cmpstr(pc_report_get(r, "cwd"), ==, fx->outdir);
}

static void test_umask_defaults_to_0022(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        g_assert_cmpstr(pc_report_get(r, "umask"), ==, "0022");
}

static void test_umask_option(PcFixture *fx) {
        g_autoptr(PcReport) r = spawn_report(fx, pc_options("umask", g_variant_new_uint32(0077), NULL), NULL, NULL);
        g_assert_cmpstr(pc_report_get(r, "umask"), ==, "0077");
        g_autoptr(PcReport) r2 = spawn_report(fx, pc_options("umask", g_variant_new_uint32(0), NULL), NULL, NULL);
        g_assert_cmpstr(pc_report_get(r2, "umask"), ==, "0000");
}

static void test_session_and_group_leader(PcFixture *fx) {
        guint32 pid = 0;
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, &pid);
        g_autofree char *pid_text = g_strdup_printf("%u", pid);
        g_assert_cmpstr(pc_report_get(r, "pid"), ==, pid_text);
        g_assert_cmpstr(pc_report_get(r, "sid"), ==, pid_text);
        g_assert_cmpstr(pc_report_get(r, "pgid"), ==, pid_text);
}

static void test_descriptor_limit_is_a_logins(PcFixture *fx) {
        /* The fixture starts the daemon with a soft limit of 1024, so the
         * child has 1024 whether or not the daemon raised its own. */
        struct rlimit rl;
        g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
        g_autoptr(PcReport) r = spawn_report(fx, NULL, NULL, NULL);
        g_autofree char *expected = g_strdup_printf("1024 %llu", (unsigned long long) rl.rlim_max);
        if (rl.rlim_max < 1024)
                g_test_skip("the hard descriptor limit is below 1024 here");
        else
                g_assert_cmpstr(pc_report_get(r, "rlimit-nofile"), ==, expected);
}

/* pc-child's report when the test starts it itself: what a child of the
 * process that started the daemon gets. */
static PcReport *local_report(PcFixture *fx) {
        g_autofree char *file = pc_fixture_out_path(fx, "report-local");
        pid_t pid = pc_start_child(PC_ARGV(pc_child_path(), "report", file), -1, FALSE);
        int status;

        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return pc_report_load(file, PC_TIMEOUT_MS);
}

static void assert_scheduling_is_not_the_daemons(PcFixture *fx, const char *user) {
        /* The daemon was started from this process: what it had then is
         * what a child gets, whatever the daemon asked for itself (a short
         * slice, main.c). */
        g_autoptr(PcReport) local = local_report(fx);
        cpu_set_t own, daemon;
        g_assert_cmpint(sched_getaffinity(0, sizeof(own), &own), ==, 0);
        for (int i = 0; i < 20; i++) {
                g_autoptr(PcReport) r = spawn_report(fx, user ? pc_options("user", g_variant_new_string(user), NULL) : NULL,
                                                     NULL, NULL);
                g_assert_cmpstr(pc_report_get(r, "cpus-allowed"), ==, pc_report_get(local, "cpus-allowed"));
                g_assert_cmpstr(pc_report_get(r, "slice"), ==, pc_report_get(local, "slice"));
                /* And the daemon may run where it could at its start. */
                g_assert_cmpint(sched_getaffinity(fx->daemon_pid, sizeof(daemon), &daemon), ==, 0);
                g_assert_true(CPU_EQUAL(&daemon, &own));
        }
}

static void test_scheduling_is_not_the_daemons(PcFixture *fx) {
        assert_scheduling_is_not_the_daemons(fx, NULL);
}

static void test_scheduling_is_not_the_daemons_for_another_user(PcFixture *fx) {
        assert_scheduling_is_not_the_daemons(fx, "nobody");
}

/* --- Data through passed descriptors ------------------------------------ */

static void test_stdin_stdout_carry_data(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int in[2], out[2];
        pc_pipe(in);
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int i_in = g_unix_fd_list_append(fds, in[0], NULL);
        int i_out = g_unix_fd_list_append(fds, out[1], NULL);
        close(in[0]);
        close(out[1]);

        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/cat"),
                        pc_options("stdin", g_variant_new_handle(i_in),
                                   "stdout", g_variant_new_handle(i_out), NULL),
                        fds, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&fds);

        const char msg[] = "hello through procctld\nsecond line\n";
        g_assert_cmpint(write(in[1], msg, strlen(msg)), ==, (gssize) strlen(msg));
        close(in[1]);
        g_autofree char *got = pc_read_to_eof(out[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(got, ==, msg);
        close(out[0]);
        pc_assert_wait_result(fx, path, "exited", 0);
}

static void test_stderr_carries_data(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int err[2];
        pc_pipe(err);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx = g_unix_fd_list_append(fds, err[1], NULL);
        close(err[1]);

        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2"),
                                                 pc_options("stderr", g_variant_new_handle(idx), NULL),
                                                 fds, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&fds);
        g_autofree char *got = pc_read_to_eof(err[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(got, ==, "to-stderr\n");
        close(err[0]);
        pc_assert_wait_result(fx, path, "exited", 0);
}

static void test_fds_option_passes_descriptors(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int to_child[2], from_child[2];
        pc_pipe(to_child);
        pc_pipe(from_child);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        GVariantBuilder m;
        g_variant_builder_init(&m, G_VARIANT_TYPE("a{uh}"));
        g_variant_builder_add(&m, "{uh}", 7, g_unix_fd_list_append(fds, to_child[0], NULL));
        g_variant_builder_add(&m, "{uh}", 5, g_unix_fd_list_append(fds, from_child[1], NULL));
        close(to_child[0]);
        close(from_child[1]);

        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "read line <&7; echo \"got $line\" >&5"),
                                                 pc_options("fds", g_variant_builder_end(&m), NULL),
                                                 fds, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&fds);
        g_assert_cmpint(write(to_child[1], "ping\n", 5), ==, 5);
        close(to_child[1]);
        g_autofree char *got = pc_read_to_eof(from_child[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(got, ==, "got ping\n");
        close(from_child[0]);
        pc_assert_wait_result(fx, path, "exited", 0);
}

/* Nine pipes for descriptors 1-9, handed over in an order where the
 * daemon's received descriptor numbers are likely to collide with the
 * targets; each must end up where it was asked for. */
static void test_fds_mapping_is_collision_safe(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        enum { N = 9 };
        int p[N + 1][2];
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx[N + 1];
        for (int t = N; t >= 1; t--) {
                pc_pipe(p[t]);
                idx[t] = g_unix_fd_list_append(fds, p[t][1], NULL);
                close(p[t][1]);
        }

        GVariantBuilder m;
        g_variant_builder_init(&m, G_VARIANT_TYPE("a{uh}"));
        for (int t = 3; t <= N; t++)
                g_variant_builder_add(&m, "{uh}", (guint32) t, idx[t]);
        int in[2];
        pc_pipe(in);
        int i_in = g_unix_fd_list_append(fds, in[0], NULL);
        close(in[0]);
        close(in[1]);

        g_autofree char *path = pc_fixture_spawn(
                        fx, PC_ARGV("/bin/sh", "-c", "for n in 1 2 3 4 5 6 7 8 9; do echo $n >&$n; done"),
                        pc_options("stdin", g_variant_new_handle(i_in),
                                   "stdout", g_variant_new_handle(idx[1]),
                                   "stderr", g_variant_new_handle(idx[2]),
                                   "fds", g_variant_builder_end(&m), NULL),
                        fds, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&fds);

        for (int t = 1; t <= N; t++) {
                g_autofree char *got = pc_read_to_eof(p[t][0], PC_TIMEOUT_MS);
                g_autofree char *want = g_strdup_printf("%d\n", t);
                g_assert_cmpstr(got, ==, want);
                close(p[t][0]);
        }
        pc_assert_wait_result(fx, path, "exited", 0);
}

static void test_same_descriptor_in_several_places(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        int out[2];
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int i = g_unix_fd_list_append(fds, out[1], NULL);
        close(out[1]);
        GVariantBuilder m;
        g_variant_builder_init(&m, G_VARIANT_TYPE("a{uh}"));
        g_variant_builder_add(&m, "{uh}", 3, i);
        g_variant_builder_add(&m, "{uh}", 4, i);

        g_autofree char *path = pc_fixture_spawn(
                        fx, PC_ARGV("/bin/sh", "-c", "echo a; echo b >&2; echo c >&3; echo d >&4"),
                        pc_options("stdout", g_variant_new_handle(i), "stderr", g_variant_new_handle(i),
                                   "fds", g_variant_builder_end(&m), NULL),
                        fds, NULL, &error);
        g_assert_no_error(error);
        g_clear_object(&fds);
        g_autofree char *got = pc_read_to_eof(out[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(got, ==, "a\nb\nc\nd\n");
        close(out[0]);
        pc_assert_wait_result(fx, path, "exited", 0);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/child/signal-mask-is-empty", PC_FIXTURE_DEFAULT, test_signal_mask_is_empty);
        pc_test_add("/child/signal-dispositions-are-default", PC_FIXTURE_DEFAULT, test_signal_dispositions_are_default);
        pc_test_add("/child/signal-state-is-clean-when-daemon-ignores-sigint-sigquit",
                    PC_FIXTURE_DAEMON_HOSTILE_SIGNALS, test_signal_state_clean_despite_daemon);
        pc_test_add("/child/only-stdio-and-fds-option-descriptors-are-open", PC_FIXTURE_DEFAULT, test_only_stdio_and_fds_are_open);
        pc_test_add("/child/default-stdio-is-dev-null", PC_FIXTURE_DEFAULT, test_default_stdio_is_dev_null);
        pc_test_add("/child/environment-is-built-for-the-user-not-inherited", PC_FIXTURE_DEFAULT, test_environment_is_built_for_the_user);
        pc_test_add("/child/environment-option-is-set-on-top", PC_FIXTURE_DEFAULT, test_environment_option_on_top);
        pc_test_add("/child/working-directory-defaults-to-root", PC_FIXTURE_DEFAULT, test_working_directory_defaults_to_root);
        pc_test_add("/child/working-directory-option", PC_FIXTURE_DEFAULT, test_working_directory_option);
        pc_test_add("/child/umask-defaults-to-0022", PC_FIXTURE_DEFAULT, test_umask_defaults_to_0022);
        pc_test_add("/child/umask-option", PC_FIXTURE_DEFAULT, test_umask_option);
        pc_test_add("/child/is-session-and-process-group-leader", PC_FIXTURE_DEFAULT, test_session_and_group_leader);
        pc_test_add("/child/descriptor-limit-is-a-logins", PC_FIXTURE_DEFAULT, test_descriptor_limit_is_a_logins);
        pc_test_add("/child/scheduling-is-not-the-daemons", PC_FIXTURE_DEFAULT, test_scheduling_is_not_the_daemons);
        pc_test_add("/child/scheduling-is-not-the-daemons-for-another-user", PC_FIXTURE_NEEDS_ROOT,
                    test_scheduling_is_not_the_daemons_for_another_user);

        pc_test_add("/io/stdin-and-stdout-carry-data", PC_FIXTURE_DEFAULT, test_stdin_stdout_carry_data);
        pc_test_add("/io/stderr-carries-data", PC_FIXTURE_DEFAULT, test_stderr_carries_data);
        pc_test_add("/io/fds-option-passes-descriptors", PC_FIXTURE_DEFAULT, test_fds_option_passes_descriptors);
        pc_test_add("/io/fds-mapping-is-collision-safe", PC_FIXTURE_DEFAULT, test_fds_mapping_is_collision_safe);
        pc_test_add("/io/same-descriptor-in-several-places", PC_FIXTURE_DEFAULT, test_same_descriptor_in_several_places);

        return g_test_run();
}
