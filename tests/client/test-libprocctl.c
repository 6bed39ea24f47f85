/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * libprocctl against a real procctld on a private bus (tests/fixture.h):
 * every call synchronously and asynchronously, every error path, and the
 * three ways of driving asynchronous calls (a poll loop, sd-event, and
 * fire-and-forget).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "procctl.h"

#define PROCESS_PREFIX "/org/procctl/Manager1/process/"

/* ------------------------------------------------------------- helpers */

static procctl_client *connect_client(PcFixture *fx) {
        procctl_client *c = NULL;
        g_assert_cmpint(procctl_client_new_address(&c, fx->bus_address), ==, 0);
        g_assert_nonnull(c);
        return c;
}

static procctl_spawn_options *options_new(void) {
        procctl_spawn_options *o = NULL;
        g_assert_cmpint(procctl_spawn_options_new(&o), ==, 0);
        return o;
}

static procctl_process *spawn_ok(procctl_client *c, char *const *argv, const procctl_spawn_options *o) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process *p = NULL;
        int r;

        r = procctl_spawn(c, argv, o, &p, &error);
        if (r < 0)
                pc_fail("spawn %s: %d %s %s", argv[0], r, error.name, error.message);
        g_assert_false(procctl_error_is_set(&error));
        g_assert_nonnull(p);
        return p;
}

#define ARGV(...) ((char *const[]) { __VA_ARGS__, NULL })

static void assert_exit(const procctl_exit *x, procctl_exit_reason reason, int status) {
        g_assert_cmpstr(procctl_exit_reason_to_string(x->reason), ==, procctl_exit_reason_to_string(reason));
        g_assert_cmpint(x->status, ==, status);
}

static void wait_ok(procctl_process *p, procctl_exit_reason reason, int status) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_exit x = {};

        g_assert_cmpint(procctl_process_wait(p, &x, &error), ==, 0);
        assert_exit(&x, reason, status);
}

static void assert_error(const procctl_error *error, int r, int expected_r, const char *name) {
        g_assert_cmpint(r, ==, expected_r);
        g_assert_true(procctl_error_is_set(error));
        g_assert_cmpint(error->error, ==, -expected_r);
        g_assert_cmpstr(error->name, ==, name);
        g_assert_nonnull(error->message);
        g_assert_cmpstr(error->message, !=, "");
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Drives the client from a plain poll() loop, through the public fd,
 * events and timeout, until *flag is set; fails the test after 10 s. */
static void run_until(procctl_client *c, const bool *flag) {
        uint64_t deadline = now_usec() + PC_TIMEOUT_MS * 1000;

        while (!*flag) {
                struct pollfd pfd;
                uint64_t timeout;
                int r, ms;

                r = procctl_client_process(c);
                g_assert_cmpint(r, >=, 0);
                if (r > 0)
                        continue;
                if (now_usec() > deadline)
                        pc_fail("timed out waiting for an async call");

                pfd.fd = procctl_client_get_fd(c);
                g_assert_cmpint(pfd.fd, >=, 0);
                r = procctl_client_get_events(c);
                g_assert_cmpint(r, >=, 0);
                pfd.events = (short) r;
                g_assert_cmpint(procctl_client_get_timeout(c, &timeout), >=, 0);
                ms = 100;
                if (timeout != UINT64_MAX) {
                        uint64_t n = now_usec();
                        ms = MIN(ms, timeout > n ? (int) ((timeout - n) / 1000 + 1) : 0);
                }
                g_assert_cmpint(poll(&pfd, 1, ms), >=, 0);
        }
}

static void on_exit_noop(procctl_process *p, int r, const procctl_exit *x, const procctl_error *error, void *userdata) {
        pc_fail("callback of a call that was never sent");
}

/* For pc_poll_until(): the process with pid data is gone. */
static gboolean pid_gone(gpointer data) {
        return !pc_process_is_alive(GPOINTER_TO_INT(data));
}

/* ------------------------------------------------------- client handles */

static void test_client_connects(PcFixture *fx) {
        procctl_client *c = NULL;
        char *version = NULL;
        procctl_error error = PROCCTL_ERROR_INIT;

        /* The system bus, as DBUS_SYSTEM_BUS_ADDRESS says. */
        pc_fixture_export_bus_address(fx);
        g_assert_cmpint(procctl_client_new_system(&c), ==, 0);
        g_assert_nonnull(procctl_client_get_bus(c));
        g_assert_cmpint(procctl_get_version(c, &version, &error), ==, 0);
        g_assert_cmpstr(version, ==, PROCCTL_EXPECTED_VERSION);
        free(version);
        g_assert_true(procctl_client_ref(c) == c);
        procctl_client_unref(c);
        procctl_client_unref(c);

        /* An address. */
        c = connect_client(fx);
        g_assert_cmpint(procctl_client_set_allow_interactive_authorization(c, true), >=, 0);
        g_assert_cmpint(sd_bus_get_allow_interactive_authorization(procctl_client_get_bus(c)), >, 0);
        procctl_client_unref(c);

        /* An existing sd-bus connection. */
        sd_bus *bus = NULL;
        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_address(bus, fx->bus_address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(bus, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);
        g_assert_cmpint(procctl_client_new_from_bus(&c, bus), ==, 0);
        g_assert_true(procctl_client_get_bus(c) == bus);
        sd_bus_unref(bus);
        g_assert_cmpint(procctl_get_version(c, &version, &error), ==, 0);
        free(version);
        procctl_client_unref(c);
}

static void test_client_connect_failure(PcFixture *fx) {
        procctl_client *c = NULL;
        g_autofree char *bad = g_strdup_printf("unix:path=%s/no-such-socket", fx->tmpdir);

        g_assert_cmpint(procctl_client_new_address(&c, bad), <, 0);
        g_assert_null(c);
        g_assert_cmpint(procctl_client_new_address(&c, NULL), ==, -EINVAL);
}

static void test_client_manager_properties(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        char **features = NULL;
        uint32_t count = 99;
        procctl_process *p;

        g_assert_cmpint(procctl_get_process_count(c, &count, &error), ==, 0);
        g_assert_cmpuint(count, ==, 0);
        p = spawn_ok(c, ARGV("/bin/true"), NULL);
        g_assert_cmpint(procctl_get_process_count(c, &count, &error), ==, 0);
        g_assert_cmpuint(count, ==, 1);

        g_assert_cmpint(procctl_get_features(c, &features, &error), ==, 0);
        g_assert_nonnull(features);
        g_assert_nonnull(features[0]);
        g_strfreev(features);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

/* ------------------------------------------------------- process handles */

static void test_process_handle_from_id(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = NULL;
        static const char *const bad[] = {
                "", "0", "abc", "3x", "-3", " 3", "03", "/org/procctl/Manager1/process/",
                "/org/procctl/Manager1/process/x", "/org/procctl/Manager1/process/3/4",
                "/org/other/3", "/org/procctl/Manager1/processes/3",
                "99999999999999999999999",
        };

        g_assert_cmpint(procctl_process_new(c, "42", &p), ==, 0);
        g_assert_cmpstr(procctl_process_get_path(p), ==, PROCESS_PREFIX "42");
        g_assert_cmpuint(procctl_process_get_id(p), ==, 42);
        g_assert_cmpint(procctl_process_get_pid(p), ==, 0);
        g_assert_true(procctl_process_get_client(p) == c);
        procctl_process_unref(p);

        g_assert_cmpint(procctl_process_new(c, PROCESS_PREFIX "7", &p), ==, 0);
        g_assert_cmpuint(procctl_process_get_id(p), ==, 7);
        procctl_process_unref(p);

        g_assert_cmpint(procctl_process_new_from_id(c, 18446744073709551615u, &p), ==, 0);
        g_assert_cmpstr(procctl_process_get_path(p), ==, PROCESS_PREFIX "18446744073709551615");
        procctl_process_unref(p);
        g_assert_cmpint(procctl_process_new_from_id(c, 0, &p), ==, -EINVAL);

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                p = NULL;
                g_assert_cmpint(procctl_process_new(c, bad[i], &p), <, 0);
                g_assert_null(p);
        }

        /* The handle outlives its client as a name only. */
        g_assert_cmpint(procctl_process_new(c, "1", &p), ==, 0);
        procctl_client_unref(c);
        g_assert_null(procctl_process_get_client(p));
        g_assert_cmpstr(procctl_process_get_path(p), ==, PROCESS_PREFIX "1");
        procctl_error error = PROCCTL_ERROR_INIT;
        g_assert_cmpint(procctl_process_signal(p, 0, &error), ==, -ENOTCONN);
        g_assert_null(error.name);
        procctl_error_clear(&error);
        g_assert_cmpint(procctl_process_wait_async(p, on_exit_noop, NULL, NULL), ==, -ENOTCONN);
        procctl_process_unref(p);
}

/* ------------------------------------------------------------- spawning */

static void test_spawn_returns_path_id_and_pid(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        g_autofree char *expected = g_strdup_printf(PROCESS_PREFIX "%" G_GUINT64_FORMAT, procctl_process_get_id(p));

        g_assert_cmpuint(procctl_process_get_id(p), >, 0);
        g_assert_cmpstr(procctl_process_get_path(p), ==, expected);
        g_assert_cmpint(procctl_process_get_pid(p), >, 0);
        /* The pid is the real one. */
        g_assert_true(pc_process_is_alive(procctl_process_get_pid(p)));
        g_assert_cmpuint(pc_get_process_u32(fx, expected, "Pid"), ==, (guint32) procctl_process_get_pid(p));

        procctl_exit x;
        procctl_error error = PROCCTL_ERROR_INIT;
        g_assert_cmpint(procctl_process_stop(p, &x, &error), ==, 0);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_spawn_options_reach_the_child(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        g_autofree char *file = pc_fixture_out_path(fx, "report");
        int out[2], extra[2];
        procctl_process *p;

        pc_pipe(out);
        pc_pipe(extra);
        g_assert_cmpint(procctl_spawn_options_set_working_directory(o, fx->outdir), ==, 0);
        g_assert_cmpint(procctl_spawn_options_add_environment(o, "FOO=bar"), ==, 0);
        g_assert_cmpint(procctl_spawn_options_add_environment(o, "EMPTY="), ==, 0);
        g_assert_cmpint(procctl_spawn_options_add_environment(o, "novalue"), ==, -EINVAL);
        g_assert_cmpint(procctl_spawn_options_add_environment(o, "=x"), ==, -EINVAL);
        g_assert_cmpint(procctl_spawn_options_set_umask(o, 0027), ==, 0);
        g_assert_cmpint(procctl_spawn_options_set_umask(o, 010000), ==, -EINVAL);
        g_assert_cmpint(procctl_spawn_options_set_stdout(o, out[1]), ==, 0);
        g_assert_cmpint(procctl_spawn_options_add_fd(o, 7, extra[1]), ==, 0);
        g_assert_cmpint(procctl_spawn_options_add_fd(o, 2, extra[1]), ==, -EINVAL);
        g_assert_cmpint(procctl_spawn_options_set_description(o, "the report"), ==, 0);
        g_assert_cmpint(procctl_spawn_options_set_executable(o, pc_child_path()), ==, 0);
        g_assert_cmpint(procctl_spawn_options_set_kill_on_disconnect(o, false), ==, 0);
        g_assert_cmpint(procctl_spawn_options_set_stop_timeout(o, 5000000), ==, 0);

        p = spawn_ok(c, ARGV("child-name", "report", file), o);
        /* Descriptors were copied into the request: ours may go now. */
        close(out[1]);
        close(extra[1]);
        procctl_spawn_options_free(o);
        wait_ok(p, PROCCTL_EXIT_EXITED, 0);

        g_autoptr(PcReport) report = pc_report_load(file, PC_TIMEOUT_MS);
        g_assert_cmpstr(pc_report_get(report, "argv0"), ==, "child-name");
        g_assert_cmpstr(pc_report_get(report, "cwd"), ==, fx->outdir);
        g_assert_cmpstr(pc_report_get(report, "umask"), ==, "0027");
        g_assert_true(g_strv_contains(pc_report_get_all(report, "env"), "FOO=bar"));
        g_assert_true(g_strv_contains(pc_report_get_all(report, "env"), "EMPTY="));
        gboolean have_fd7 = FALSE;
        for (const char *const *f = pc_report_get_all(report, "fd"); f && *f; f++)
                if (g_str_has_prefix(*f, "7 pipe:"))
                        have_fd7 = TRUE;
        g_assert_true(have_fd7);

        procctl_process_info *info = NULL;
        procctl_error error = PROCCTL_ERROR_INIT;
        g_assert_cmpint(procctl_process_get_info(p, &info, &error), ==, 0);
        g_assert_cmpstr(procctl_process_info_get_description(info), ==, "the report");
        g_assert_cmpstr(procctl_process_info_get_executable(info), ==, pc_child_path());
        procctl_process_info_unref(info);

        close(out[0]);
        close(extra[0]);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_spawn_stdio_is_passed(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        int in[2], out[2], err[2];
        procctl_process *p;

        pc_pipe(in);
        pc_pipe(out);
        pc_pipe(err);
        g_assert_cmpint(write(in[1], "ping\n", 5), ==, 5);
        close(in[1]);
        procctl_spawn_options_set_stdin(o, in[0]);
        procctl_spawn_options_set_stdout(o, out[1]);
        procctl_spawn_options_set_stderr(o, err[1]);
        p = spawn_ok(c, ARGV("/bin/sh", "-c", "read x; echo out:$x; echo err:$x >&2"), o);
        close(in[0]);
        close(out[1]);
        close(err[1]);

        g_autofree char *o_text = pc_read_to_eof(out[0], PC_TIMEOUT_MS);
        g_autofree char *e_text = pc_read_to_eof(err[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(o_text, ==, "out:ping\n");
        g_assert_cmpstr(e_text, ==, "err:ping\n");
        wait_ok(p, PROCCTL_EXIT_EXITED, 0);

        close(out[0]);
        close(err[0]);
        procctl_spawn_options_free(o);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_spawn_exec_failure_not_found(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process *p = NULL;
        int r;

        r = procctl_spawn(c, ARGV("/nonexistent/program"), NULL, &p, &error);
        assert_error(&error, r, -ENOEXEC, "org.procctl.Error.ExecFailed");
        g_assert_null(p);
        g_assert_true(procctl_error_is_exec_failed(&error));
        g_assert_true(procctl_error_has_name(&error, "org.procctl.Error.ExecFailed"));
        g_assert_cmpint(procctl_error_exec_errno(&error), ==, ENOENT);
        g_assert_true(procctl_error_is_exec_not_found(&error));
        g_assert_true(g_str_has_prefix(error.message, "ENOENT: execve(\"/nonexistent/program\"): "));
        procctl_error_clear(&error);
        g_assert_false(procctl_error_is_set(&error));
        g_assert_null(error.name);

        /* Looked up in PATH. */
        r = procctl_spawn(c, ARGV("procctl-no-such-command"), NULL, &p, &error);
        assert_error(&error, r, -ENOEXEC, "org.procctl.Error.ExecFailed");
        g_assert_true(procctl_error_is_exec_not_found(&error));
        procctl_error_clear(&error);

        procctl_client_unref(c);
}

static void test_spawn_exec_failure_cannot_execute(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_spawn_options *o = options_new();
        g_autofree char *plain = pc_fixture_write_file(fx, "plain", "not a program\n", 0644);
        g_autofree char *script = pc_fixture_write_file(fx, "script", "#!/nonexistent/interpreter\n", 0755);
        procctl_process *p = NULL;
        int r;

        /* Exists, not executable. */
        r = procctl_spawn(c, ARGV(plain), NULL, &p, &error);
        assert_error(&error, r, -ENOEXEC, "org.procctl.Error.ExecFailed");
        g_assert_cmpint(procctl_error_exec_errno(&error), ==, EACCES);
        g_assert_false(procctl_error_is_exec_not_found(&error));
        procctl_error_clear(&error);

        /* A missing interpreter is not a missing program. */
        r = procctl_spawn(c, ARGV(script), NULL, &p, &error);
        assert_error(&error, r, -ENOEXEC, "org.procctl.Error.ExecFailed");
        g_assert_cmpint(procctl_error_exec_errno(&error), ==, ENOENT);
        g_assert_false(procctl_error_is_exec_not_found(&error));
        procctl_error_clear(&error);

        /* Nor is a missing working directory. */
        procctl_spawn_options_set_working_directory(o, "/nonexistent/dir");
        r = procctl_spawn(c, ARGV("/bin/true"), o, &p, &error);
        assert_error(&error, r, -ENOEXEC, "org.procctl.Error.ExecFailed");
        g_assert_false(procctl_error_is_exec_not_found(&error));
        procctl_error_clear(&error);

        g_assert_null(p);
        procctl_spawn_options_free(o);
        procctl_client_unref(c);
}

static void test_spawn_other_errors(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_spawn_options *o = options_new();
        procctl_process *p = NULL;
        int r;

        /* Empty argv: refused locally, no D-Bus error name. */
        r = procctl_spawn(c, ARGV(NULL), NULL, &p, &error);
        g_assert_cmpint(r, ==, -EINVAL);
        g_assert_null(error.name);
        g_assert_nonnull(error.message);
        g_assert_false(procctl_error_is_exec_failed(&error));
        procctl_error_clear(&error);

        /* No such user. */
        procctl_spawn_options_set_user(o, "procctl-no-such-user");
        r = procctl_spawn(c, ARGV("/bin/true"), o, &p, &error);
        assert_error(&error, r, -ENXIO, "org.procctl.Error.NoSuchUser");
        g_assert_false(procctl_error_is_exec_failed(&error));
        procctl_error_clear(&error);
        procctl_spawn_options_set_user(o, NULL);

        /* Invalid options. */
        procctl_spawn_options_set_working_directory(o, "relative/dir");
        r = procctl_spawn(c, ARGV("/bin/true"), o, &p, &error);
        assert_error(&error, r, -EINVAL, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_false(procctl_error_is_exec_failed(&error));
        procctl_error_clear(&error);
        procctl_spawn_options_free(o);

        /* Too many arguments. */
        g_autoptr(GPtrArray) many = g_ptr_array_new();
        for (int i = 0; i < 16385; i++)
                g_ptr_array_add(many, (gpointer) "x");
        g_ptr_array_add(many, NULL);
        r = procctl_spawn(c, (char *const *) many->pdata, NULL, &p, &error);
        assert_error(&error, r, -E2BIG, "org.procctl.Error.LimitExceeded");
        procctl_error_clear(&error);

        /* A NULL error pointer is fine. */
        r = procctl_spawn(c, ARGV("/nonexistent"), NULL, &p, NULL);
        g_assert_cmpint(r, ==, -ENOEXEC);

        g_assert_null(p);
        procctl_client_unref(c);
}

static void test_spawn_as_user(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_info *info = NULL;
        procctl_process *p;

        procctl_spawn_options_set_user(o, "nobody");
        procctl_spawn_options_set_group(o, "nogroup");
        p = spawn_ok(c, ARGV("/bin/true"), o);
        wait_ok(p, PROCCTL_EXIT_EXITED, 0);
        g_assert_cmpint(procctl_process_get_info(p, &info, &error), ==, 0);
        g_assert_cmpuint(procctl_process_info_get_uid(info), ==, 65534);
        g_assert_cmpuint(procctl_process_info_get_gid(info), ==, 65534);
        g_assert_cmpuint(procctl_process_info_get_owner_uid(info), ==, getuid());

        procctl_process_info_unref(info);
        procctl_spawn_options_free(o);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_spawn_timeout_stops_the_process(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        procctl_process *p;

        procctl_spawn_options_set_timeout(o, 200 * 1000);
        p = spawn_ok(c, ARGV("/bin/sleep", "100"), o);
        wait_ok(p, PROCCTL_EXIT_KILLED, SIGTERM);

        procctl_spawn_options_free(o);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_spawn_kill_on_disconnect(PcFixture *fx) {
        procctl_client *watcher = connect_client(fx), *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        procctl_process *p, *seen = NULL;
        pid_t pid;

        procctl_spawn_options_set_kill_on_disconnect(o, true);
        p = spawn_ok(c, ARGV("/bin/sleep", "100"), o);
        pid = procctl_process_get_pid(p);
        g_assert_cmpint(procctl_process_new(watcher, procctl_process_get_path(p), &seen), ==, 0);

        /* The last reference to the client closes the connection. */
        procctl_process_unref(p);
        procctl_client_unref(c);

        wait_ok(seen, PROCCTL_EXIT_KILLED, SIGTERM);
        g_assert_true(pc_poll_until(pid_gone, GINT_TO_POINTER(pid), PC_TIMEOUT_MS));

        procctl_spawn_options_free(o);
        procctl_process_unref(seen);
        procctl_client_unref(watcher);
}

/* ------------------------------------------------------ process actions */

static void test_process_wait_reports_the_end(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        g_autofree char *dir = g_strdup(fx->outdir);
        procctl_spawn_options *o = options_new();
        procctl_process *p;
        procctl_exit x;

        p = spawn_ok(c, ARGV("/bin/sh", "-c", "exit 3"), NULL);
        wait_ok(p, PROCCTL_EXIT_EXITED, 3);
        /* Again, after the fact: at once, the same. */
        wait_ok(p, PROCCTL_EXIT_EXITED, 3);
        g_assert_cmpint(procctl_process_wait(p, NULL, NULL), ==, 0);
        procctl_process_unref(p);

        p = spawn_ok(c, ARGV("/bin/sh", "-c", "kill -KILL $$"), NULL);
        wait_ok(p, PROCCTL_EXIT_KILLED, SIGKILL);
        procctl_process_unref(p);

        /* A core dump (into the world-writable outdir: core_pattern may be relative). */
        procctl_spawn_options_set_working_directory(o, dir);
        p = spawn_ok(c, ARGV("/bin/sh", "-c", "ulimit -c unlimited; kill -SEGV $$"), o);
        g_assert_cmpint(procctl_process_wait(p, &x, NULL), ==, 0);
        g_assert_cmpint(x.status, ==, SIGSEGV);
        /* "dumped" when the kernel could write the core, "killed" otherwise. */
        g_assert_true(x.reason == PROCCTL_EXIT_DUMPED || x.reason == PROCCTL_EXIT_KILLED);
        g_assert_cmpint(procctl_exit_to_shell_code(&x), ==, 128 + SIGSEGV);
        procctl_process_unref(p);

        procctl_spawn_options_free(o);
        procctl_client_unref(c);
}

static void test_process_signal(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        int r;

        g_assert_cmpint(procctl_process_signal(p, 0, &error), ==, 0);
        r = procctl_process_signal(p, 12345, &error);
        assert_error(&error, r, -EINVAL, "org.freedesktop.DBus.Error.InvalidArgs");
        procctl_error_clear(&error);

        g_assert_cmpint(procctl_process_signal(p, SIGUSR1, &error), ==, 0);
        wait_ok(p, PROCCTL_EXIT_KILLED, SIGUSR1);

        r = procctl_process_signal(p, SIGTERM, &error);
        assert_error(&error, r, -ESRCH, "org.procctl.Error.NotRunning");
        procctl_error_clear(&error);
        r = procctl_process_signal_group(p, SIGTERM, &error);
        assert_error(&error, r, -ESRCH, "org.procctl.Error.NotRunning");
        procctl_error_clear(&error);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_process_signal_group(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        int out[2];
        procctl_spawn_options *o = options_new();
        procctl_process *p;

        pc_pipe(out);
        procctl_spawn_options_set_stdout(o, out[1]);
        p = spawn_ok(c, ARGV((char *) pc_child_path(), "tree"), o);
        close(out[1]);
        g_autofree char *line = pc_read_line(out[0], PC_TIMEOUT_MS);
        g_assert_true(g_str_has_prefix(line, "ready "));

        g_assert_cmpint(procctl_process_signal_group(p, SIGUSR1, &error), ==, 0);
        g_autofree char *rest = pc_read_to_eof(out[0], PC_TIMEOUT_MS);
        g_test_message("after SIGUSR1: [%s]", rest);
        g_assert_nonnull(strstr(rest, "child got USR1"));
        g_assert_nonnull(strstr(rest, "grandchild got USR1"));
        wait_ok(p, PROCCTL_EXIT_EXITED, 0);

        close(out[0]);
        procctl_spawn_options_free(o);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_process_stop(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        procctl_exit x;
        procctl_process *p;
        int out[2];

        p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        g_assert_cmpint(procctl_process_stop(p, &x, NULL), ==, 0);
        assert_exit(&x, PROCCTL_EXIT_KILLED, SIGTERM);
        /* Stopping an ended process tells how it ended. */
        g_assert_cmpint(procctl_process_stop(p, &x, NULL), ==, 0);
        assert_exit(&x, PROCCTL_EXIT_KILLED, SIGTERM);
        procctl_process_unref(p);

        /* SIGKILL after the stop timeout for a process that ignores SIGTERM. */
        pc_pipe(out);
        procctl_spawn_options_set_stdout(o, out[1]);
        procctl_spawn_options_set_stop_timeout(o, 200 * 1000);
        p = spawn_ok(c, ARGV((char *) pc_child_path(), "ignore-term"), o);
        close(out[1]);
        g_autofree char *line = pc_read_line(out[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(line, ==, "ready");
        g_assert_cmpint(procctl_process_stop(p, &x, NULL), ==, 0);
        assert_exit(&x, PROCCTL_EXIT_KILLED, SIGKILL);

        close(out[0]);
        procctl_spawn_options_free(o);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_process_release(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        int r;

        r = procctl_process_release(p, &error);
        assert_error(&error, r, -EBUSY, "org.procctl.Error.StillRunning");
        procctl_error_clear(&error);

        g_assert_cmpint(procctl_process_stop(p, NULL, &error), ==, 0);
        g_assert_cmpint(procctl_process_release(p, &error), ==, 0);

        /* Gone: every call on it now says so. */
        r = procctl_process_release(p, &error);
        assert_error(&error, r, -ENOENT, "org.freedesktop.DBus.Error.UnknownObject");
        procctl_error_clear(&error);
        r = procctl_process_wait(p, NULL, &error);
        assert_error(&error, r, -ENOENT, "org.freedesktop.DBus.Error.UnknownObject");
        procctl_error_clear(&error);
        r = procctl_process_signal(p, 0, &error);
        assert_error(&error, r, -ENOENT, "org.freedesktop.DBus.Error.UnknownObject");
        procctl_error_clear(&error);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_process_unknown_object(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_info *info = NULL;
        procctl_process *p = NULL;
        int r;

        g_assert_cmpint(procctl_process_new(c, "999999", &p), ==, 0);
        r = procctl_process_wait(p, NULL, &error);
        assert_error(&error, r, -ENOENT, "org.freedesktop.DBus.Error.UnknownObject");
        procctl_error_clear(&error);
        r = procctl_process_stop(p, NULL, &error);
        assert_error(&error, r, -ENOENT, "org.freedesktop.DBus.Error.UnknownObject");
        procctl_error_clear(&error);
        r = procctl_process_signal_group(p, 0, &error);
        assert_error(&error, r, -ENOENT, "org.freedesktop.DBus.Error.UnknownObject");
        procctl_error_clear(&error);
        /* GetAll on a path with no object: whatever the daemon's bus library
         * answers, it is an error with a name. */
        r = procctl_process_get_info(p, &info, &error);
        g_assert_cmpint(r, <, 0);
        g_assert_nonnull(error.name);
        g_assert_null(info);
        procctl_error_clear(&error);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

/* ------------------------------------------------------------ properties */

static void test_process_info(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_spawn_options *o = options_new();
        procctl_process_info *info = NULL;
        procctl_process *p, *by_id = NULL;
        procctl_exit x;

        procctl_spawn_options_set_description(o, "sleeper");
        procctl_spawn_options_set_working_directory(o, "/tmp");
        p = spawn_ok(c, ARGV("sleep", "100"), o);

        /* A handle made from the id learns the pid from the properties. */
        g_assert_cmpint(procctl_process_new_from_id(c, procctl_process_get_id(p), &by_id), ==, 0);
        g_assert_cmpint(procctl_process_get_info(by_id, &info, &error), ==, 0);
        g_assert_cmpint(procctl_process_get_pid(by_id), ==, procctl_process_get_pid(p));

        g_assert_cmpstr(procctl_process_info_get_path(info), ==, procctl_process_get_path(p));
        g_assert_cmpuint(procctl_process_info_get_id(info), ==, procctl_process_get_id(p));
        g_assert_cmpint(procctl_process_info_get_pid(info), ==, procctl_process_get_pid(p));
        g_assert_cmpstrv((const char *const *) procctl_process_info_get_argv(info),
                         ((const char *const[]) { "sleep", "100", NULL }));
        g_assert_cmpstr(procctl_process_info_get_working_directory(info), ==, "/tmp");
        g_assert_cmpstr(procctl_process_info_get_description(info), ==, "sleeper");
        g_assert_cmpstr(procctl_process_info_get_executable(info), !=, "");
        g_assert_cmpuint(procctl_process_info_get_uid(info), ==, getuid());
        g_assert_cmpuint(procctl_process_info_get_gid(info), ==, getgid());
        g_assert_cmpuint(procctl_process_info_get_owner_uid(info), ==, getuid());
        g_assert_true(procctl_process_info_is_running(info));
        g_assert_cmpstr(procctl_process_info_get_state(info), ==, "running");
        g_assert_cmpint(procctl_process_info_get_exit(info, &x), ==, -ESRCH);
        g_assert_cmpuint(procctl_process_info_get_start_timestamp(info), >, 0);
        g_assert_cmpuint(procctl_process_info_get_exit_timestamp(info), ==, 0);
        g_assert_true(procctl_process_info_ref(info) == info);
        procctl_process_info_unref(info);
        procctl_process_info_unref(info);

        g_assert_cmpint(procctl_process_stop(p, NULL, &error), ==, 0);
        g_assert_cmpint(procctl_process_get_info(p, &info, &error), ==, 0);
        g_assert_false(procctl_process_info_is_running(info));
        g_assert_cmpstr(procctl_process_info_get_state(info), ==, "exited");
        g_assert_cmpint(procctl_process_info_get_exit(info, &x), ==, 0);
        assert_exit(&x, PROCCTL_EXIT_KILLED, SIGTERM);
        g_assert_cmpuint(procctl_process_info_get_exit_timestamp(info), >=,
                         procctl_process_info_get_start_timestamp(info));
        procctl_process_info_unref(info);

        procctl_spawn_options_free(o);
        procctl_process_unref(by_id);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_list(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_list *list = NULL;
        procctl_process *a, *b;

        g_assert_cmpint(procctl_list(c, &list, &error), ==, 0);
        g_assert_cmpuint(procctl_process_list_get_size(list), ==, 0);
        procctl_process_list_unref(list);

        a = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        b = spawn_ok(c, ARGV("/bin/sh", "-c", "exit 4"), NULL);
        wait_ok(b, PROCCTL_EXIT_EXITED, 4);

        for (int with_info = 0; with_info <= 1; with_info++) {
                if (with_info)
                        g_assert_cmpint(procctl_list_with_info(c, &list, &error), ==, 0);
                else
                        g_assert_cmpint(procctl_list(c, &list, &error), ==, 0);
                g_assert_cmpuint(procctl_process_list_get_size(list), ==, 2);
                /* Sorted by id. */
                g_assert_cmpuint(procctl_process_list_get_id(list, 0), ==, procctl_process_get_id(a));
                g_assert_cmpuint(procctl_process_list_get_id(list, 1), ==, procctl_process_get_id(b));
                g_assert_cmpstr(procctl_process_list_get_path(list, 0), ==, procctl_process_get_path(a));
                g_assert_cmpint(procctl_process_list_get_pid(list, 0), ==, procctl_process_get_pid(a));
                g_assert_cmpuint(procctl_process_list_get_uid(list, 0), ==, getuid());
                g_assert_cmpstr(procctl_process_list_get_state(list, 0), ==, "running");
                g_assert_cmpstr(procctl_process_list_get_state(list, 1), ==, "exited");
                g_assert_cmpstr(procctl_process_list_get_command_line(list, 0), ==, "/bin/sleep 100");
                g_assert_cmpstr(procctl_process_list_get_command_line(list, 1), ==, "/bin/sh -c exit 4");
                /* Out of range. */
                g_assert_null(procctl_process_list_get_path(list, 2));

                if (with_info) {
                        procctl_process_info *info = procctl_process_list_get_info(list, 1);
                        procctl_exit x;
                        g_assert_nonnull(info);
                        g_assert_cmpint(procctl_process_info_get_exit(info, &x), ==, 0);
                        assert_exit(&x, PROCCTL_EXIT_EXITED, 4);
                } else
                        g_assert_null(procctl_process_list_get_info(list, 0));
                procctl_process_list_unref(list);
        }

        procctl_process_stop(a, NULL, NULL);
        procctl_process_unref(a);
        procctl_process_unref(b);
        procctl_client_unref(c);
}

/* ------------------------------------------------------------ async calls */

typedef struct AsyncResult {
        bool done;
        int calls;
        int r;
        char *error_name;
        bool exec_failed;
        bool exec_not_found;
        procctl_process *process;
        procctl_exit exit;
        bool have_exit;
        procctl_process_info *info;
        procctl_process_list *list;
        procctl_output *output;
        int fd;
        pid_t pid;
} AsyncResult;

static void async_result_clear(AsyncResult *a) {
        g_free(a->error_name);
        procctl_process_unref(a->process);
        procctl_process_info_unref(a->info);
        procctl_process_list_unref(a->list);
        procctl_output_unref(a->output);
        *a = (AsyncResult) {};
}

static void async_record(AsyncResult *a, int r, const procctl_error *error) {
        a->done = true;
        a->calls++;
        a->r = r;
        g_assert_nonnull(error);
        g_assert_cmpint(r < 0, ==, procctl_error_is_set(error));
        a->error_name = g_strdup(error->name);
        a->exec_failed = procctl_error_is_exec_failed(error);
        a->exec_not_found = procctl_error_is_exec_not_found(error);
}

static void on_spawned(procctl_client *c, int r, procctl_process *p, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        g_assert_true(r < 0 ? p == NULL : p != NULL);
        a->process = procctl_process_ref(p);
}

static void on_done(procctl_process *p, int r, const procctl_error *error, void *userdata) {
        async_record(userdata, r, error);
}

static void on_pid(procctl_process *p, int r, pid_t pid, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        a->pid = pid;
}

static void on_exit_cb(procctl_process *p, int r, const procctl_exit *x, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        g_assert_true(r < 0 ? x == NULL : x != NULL);
        if (x) {
                a->exit = *x;
                a->have_exit = true;
        }
}

static void on_info(procctl_process *p, int r, procctl_process_info *info, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        a->info = procctl_process_info_ref(info);
}

static void on_list(procctl_client *c, int r, procctl_process_list *list, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        a->list = procctl_process_list_ref(list);
}

static void on_output(procctl_process *p, int r, procctl_output *output, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        a->output = procctl_output_ref(output);
}

static void on_follow(procctl_process *p, int r, int fd, const procctl_error *error, void *userdata) {
        AsyncResult *a = userdata;
        async_record(a, r, error);
        a->fd = fd;
}

/* stdout's and stderr's bytes of a page of output, and the cursor after it. */
static void output_split(const procctl_output *o, GString *out, GString *err) {
        for (size_t i = 0; i < procctl_output_get_n_entries(o); i++) {
                const void *data;
                size_t size;
                int stream;
                uint64_t usec;
                g_assert_cmpint(procctl_output_get_entry(o, i, &usec, &stream, &data, &size), ==, 0);
                g_assert_cmpuint(usec, >, 0);
                g_string_append_len(stream == 1 ? out : err, data, (gssize) size);
        }
        g_assert_cmpint(procctl_output_get_entry(o, procctl_output_get_n_entries(o), NULL, NULL, NULL, NULL), ==, -EINVAL);
}

static void test_output_read_and_follow(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_output *output = NULL;
        g_autoptr(GString) out = g_string_new(NULL), err = g_string_new(NULL);
        int fd = -1;

        g_assert_cmpint(procctl_spawn_options_set_output_capture(o, 4096), ==, 0);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sh", "-c", "echo out; echo err >&2"), o);
        wait_ok(p, PROCCTL_EXIT_EXITED, 0);

        g_assert_cmpint(procctl_process_read_output(p, 0, 1024, &output, &error), ==, 0);
        output_split(output, out, err);
        g_assert_cmpstr(out->str, ==, "out\n");
        g_assert_cmpstr(err->str, ==, "err\n");
        g_assert_cmpuint(procctl_output_get_next_cursor(output), ==, 8);
        g_assert_cmpuint(procctl_output_get_dropped_bytes(output), ==, 0);
        output = procctl_output_unref(output);

        g_assert_cmpint(procctl_process_follow_output(p, 0, &fd, &error), ==, 0);
        g_autofree char *all = pc_read_to_eof(fd, PC_TIMEOUT_MS);
        g_assert_cmpuint(strlen(all), ==, 8);
        close(fd);

        /* Without capture: the daemon's NotSupported. */
        procctl_process *plain = spawn_ok(c, ARGV("/bin/true"), NULL);
        g_assert_cmpint(procctl_process_read_output(plain, 0, 1024, &output, &error), <, 0);
        g_assert_true(procctl_error_has_name(&error, "org.freedesktop.DBus.Error.NotSupported"));
        procctl_error_clear(&error);
        g_assert_cmpint(procctl_process_follow_output(plain, 0, &fd, &error), <, 0);
        procctl_error_clear(&error);

        /* The same, asynchronously. */
        AsyncResult a = {};
        g_assert_cmpint(procctl_process_read_output_async(p, 4, 1024, on_output, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        g_assert_cmpuint(procctl_output_get_next_cursor(a.output), ==, 8);
        async_result_clear(&a);
        g_assert_cmpint(procctl_process_follow_output_async(p, 4, on_follow, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        g_autofree char *rest = pc_read_to_eof(a.fd, PC_TIMEOUT_MS);
        g_assert_cmpuint(strlen(rest), ==, 4);
        close(a.fd);
        async_result_clear(&a);
        g_assert_cmpint(procctl_process_read_output_async(plain, 0, 1, on_output, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, <, 0);
        g_assert_cmpstr(a.error_name, ==, "org.freedesktop.DBus.Error.NotSupported");
        g_assert_null(a.output);
        async_result_clear(&a);

        procctl_process_unref(plain);
        procctl_process_unref(p);
        procctl_spawn_options_free(o);
        procctl_client_unref(c);
}

static void test_async_spawn_wait_release(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        AsyncResult a = {};
        procctl_call *call = NULL;
        procctl_process *p;

        g_assert_cmpint(procctl_spawn_async(c, ARGV("/bin/sh", "-c", "exit 5"), NULL, on_spawned, &a, &call), ==, 0);
        g_assert_true(procctl_call_is_pending(call));
        run_until(c, &a.done);
        g_assert_false(procctl_call_is_pending(call));
        procctl_call_unref(call);
        g_assert_cmpint(a.r, ==, 0);
        g_assert_cmpint(procctl_process_get_pid(a.process), >, 0);
        p = procctl_process_ref(a.process);
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_wait_async(p, on_exit_cb, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        assert_exit(&a.exit, PROCCTL_EXIT_EXITED, 5);
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_get_info_async(p, on_info, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        g_assert_cmpstr(procctl_process_info_get_state(a.info), ==, "exited");
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_release_async(p, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        async_result_clear(&a);

        /* Released: the async calls report the errors too. */
        g_assert_cmpint(procctl_process_release_async(p, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -ENOENT);
        g_assert_cmpstr(a.error_name, ==, "org.freedesktop.DBus.Error.UnknownObject");
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_wait_async(p, on_exit_cb, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -ENOENT);
        g_assert_false(a.have_exit);
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_get_info_async(p, on_info, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, <, 0);
        g_assert_null(a.info);
        async_result_clear(&a);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_async_spawn_errors(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        AsyncResult a = {};

        g_assert_cmpint(procctl_spawn_async(c, ARGV("/nonexistent"), NULL, on_spawned, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -ENOEXEC);
        g_assert_true(a.exec_failed);
        g_assert_true(a.exec_not_found);
        g_assert_null(a.process);
        async_result_clear(&a);

        procctl_spawn_options_set_user(o, "procctl-no-such-user");
        g_assert_cmpint(procctl_spawn_async(c, ARGV("/bin/true"), o, on_spawned, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -ENXIO);
        g_assert_false(a.exec_failed);
        g_assert_cmpstr(a.error_name, ==, "org.procctl.Error.NoSuchUser");
        async_result_clear(&a);

        /* Refused before anything is sent. */
        g_assert_cmpint(procctl_spawn_async(c, ARGV(NULL), NULL, on_spawned, &a, NULL), ==, -EINVAL);
        g_assert_false(a.done);

        procctl_spawn_options_free(o);
        procctl_client_unref(c);
}

static void test_async_signal_stop(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        AsyncResult a = {}, w = {};

        /* Wait first, so that it is pending while the rest happens. */
        g_assert_cmpint(procctl_process_wait_async(p, on_exit_cb, &w, NULL), ==, 0);

        g_assert_cmpint(procctl_process_signal_async(p, 0, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_signal_async(p, -1, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -EINVAL);
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_release_async(p, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -EBUSY);
        g_assert_cmpstr(a.error_name, ==, "org.procctl.Error.StillRunning");
        async_result_clear(&a);

        g_assert_false(w.done);
        g_assert_cmpint(procctl_process_stop_async(p, on_exit_cb, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        assert_exit(&a.exit, PROCCTL_EXIT_KILLED, SIGTERM);
        async_result_clear(&a);
        run_until(c, &w.done);
        assert_exit(&w.exit, PROCCTL_EXIT_KILLED, SIGTERM);
        g_assert_cmpint(w.calls, ==, 1);
        async_result_clear(&w);

        g_assert_cmpint(procctl_process_signal_async(p, SIGTERM, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -ESRCH);
        g_assert_cmpstr(a.error_name, ==, "org.procctl.Error.NotRunning");
        async_result_clear(&a);

        g_assert_cmpint(procctl_process_signal_group_async(p, SIGTERM, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -ESRCH);
        async_result_clear(&a);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

/* Restart, sync and async: the new run's pid, which the handle reports too;
 * without a restart policy, NotSupported. */
static void test_process_restart(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_spawn_options *o = options_new();
        procctl_error error = PROCCTL_ERROR_INIT;
        AsyncResult a = {};
        pid_t pid1, pid2;

        g_assert_cmpint(procctl_spawn_options_set_restart(o, "always"), ==, 0);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), o);
        pid1 = procctl_process_get_pid(p);
        g_assert_cmpint(procctl_process_restart(p, &pid2, &error), ==, 0);
        g_assert_cmpint(pid2, !=, pid1);
        g_assert_cmpint(procctl_process_get_pid(p), ==, pid2);

        g_assert_cmpint(procctl_process_restart_async(p, on_pid, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        g_assert_cmpint(a.pid, !=, pid2);
        g_assert_cmpint(procctl_process_get_pid(p), ==, a.pid);
        async_result_clear(&a);
        g_assert_cmpint(procctl_process_stop(p, NULL, NULL), ==, 0);
        procctl_process_unref(p);

        p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        g_assert_cmpint(procctl_process_restart(p, NULL, &error), ==, -EOPNOTSUPP);
        assert_error(&error, -EOPNOTSUPP, -EOPNOTSUPP, "org.freedesktop.DBus.Error.NotSupported");
        procctl_error_clear(&error);
        g_assert_cmpint(procctl_process_restart_async(p, on_pid, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, -EOPNOTSUPP);
        g_assert_cmpstr(a.error_name, ==, "org.freedesktop.DBus.Error.NotSupported");
        async_result_clear(&a);
        g_assert_cmpint(procctl_process_stop(p, NULL, NULL), ==, 0);

        procctl_process_unref(p);
        procctl_spawn_options_free(o);
        procctl_client_unref(c);
}

static void test_async_signal_group(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        AsyncResult a = {};

        g_assert_cmpint(procctl_process_signal_group_async(p, SIGHUP, on_done, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        wait_ok(p, PROCCTL_EXIT_KILLED, SIGHUP);

        async_result_clear(&a);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_async_list(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/true"), NULL);
        AsyncResult a = {};

        g_assert_cmpint(procctl_list_async(c, on_list, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        g_assert_cmpuint(procctl_process_list_get_size(a.list), ==, 1);
        g_assert_cmpstr(procctl_process_list_get_command_line(a.list, 0), ==, "/bin/true");
        async_result_clear(&a);

        wait_ok(p, PROCCTL_EXIT_EXITED, 0);
        g_assert_cmpint(procctl_list_with_info_async(c, on_list, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        g_assert_cmpuint(procctl_process_list_get_size(a.list), ==, 1);
        g_assert_nonnull(procctl_process_list_get_info(a.list, 0));
        g_assert_cmpstr(procctl_process_list_get_state(a.list, 0), ==, "exited");
        async_result_clear(&a);

        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_async_cancel(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        AsyncResult cancelled = {}, a = {};
        procctl_call *call = NULL;

        g_assert_cmpint(procctl_process_wait_async(p, on_exit_cb, &cancelled, &call), ==, 0);
        g_assert_true(procctl_call_is_pending(call));
        procctl_call_cancel(call);
        g_assert_false(procctl_call_is_pending(call));
        procctl_call_cancel(call);  /* twice is fine */

        /* The process ends and its Wait reply arrives: nobody is called. */
        g_assert_cmpint(procctl_process_stop_async(p, on_exit_cb, &a, NULL), ==, 0);
        run_until(c, &a.done);
        g_assert_cmpint(a.r, ==, 0);
        while (procctl_client_process(c) > 0)
                ;
        g_assert_false(cancelled.done);
        procctl_call_unref(call);

        async_result_clear(&a);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void cancel_other_cb(procctl_process *p, int r, const procctl_error *error, void *userdata) {
        procctl_call **other = userdata;
        procctl_call_cancel(*other);
}

static void test_async_cancel_from_callback(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        procctl_call *first = NULL, *second = NULL;
        AsyncResult b = {}, s = {};

        /* The first reply cancels the second call, and itself: both harmless. */
        g_assert_cmpint(procctl_process_signal_async(p, 0, cancel_other_cb, &second, &first), ==, 0);
        g_assert_cmpint(procctl_process_wait_async(p, on_exit_cb, &b, &second), ==, 0);
        g_assert_cmpint(procctl_process_stop_async(p, on_exit_cb, &s, NULL), ==, 0);
        run_until(c, &s.done);
        while (procctl_client_process(c) > 0)
                ;
        g_assert_false(b.done);
        g_assert_false(procctl_call_is_pending(first));
        procctl_call_cancel(first);
        procctl_call_unref(first);
        procctl_call_unref(second);

        async_result_clear(&s);
        procctl_process_unref(p);
        procctl_client_unref(c);
}

static void test_async_fire_and_forget(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        procctl_call *call = (procctl_call *) 0x1;

        /* No callback: no reply expected, no call handle. */
        g_assert_cmpint(procctl_process_signal_async(p, SIGUSR2, NULL, NULL, &call), ==, 0);
        g_assert_null(call);
        wait_ok(p, PROCCTL_EXIT_KILLED, SIGUSR2);

        /* A Release sent as the client goes away still reaches the daemon:
         * soon, not before the next call of another connection (a bus such
         * as dbus-broker does not order messages across connections). */
        g_autofree char *path = g_strdup(procctl_process_get_path(p));
        g_assert_cmpint(procctl_process_release_async(p, NULL, NULL, NULL), ==, 0);
        procctl_process_unref(p);
        procctl_client_unref(c);

        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        for (;;) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) v = pc_get_property(fx, path, "org.procctl.Process1", "State", &error);
                if (!v) {
                        pc_assert_dbus_error(error, "org.freedesktop.DBus.Error.UnknownObject");
                        break;
                }
                if (g_get_monotonic_time() > deadline)
                        pc_fail("%s is still there %d ms after its Release", path, PC_TIMEOUT_MS);
                g_usleep(10 * 1000);
        }
}

static void test_async_pending_calls_die_with_the_client(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        procctl_process *p = spawn_ok(c, ARGV("/bin/sleep", "100"), NULL);
        g_autofree char *path = g_strdup(procctl_process_get_path(p));
        procctl_call *call = NULL;
        AsyncResult a = {};

        g_assert_cmpint(procctl_process_wait_async(p, on_exit_cb, &a, &call), ==, 0);
        procctl_process_unref(p);
        procctl_client_unref(c);  /* cancels the call: its callback never runs */
        g_assert_false(a.done);
        g_assert_false(procctl_call_is_pending(call));
        procctl_call_unref(call);

        /* The daemon is fine. */
        g_autoptr(GError) error = NULL;
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));
        g_assert_no_error(error);
}

typedef struct {
        AsyncResult spawn, exit;
        sd_event *event;
} EventLoopState;

static void on_event_exit(procctl_process *p, int r, const procctl_exit *x, const procctl_error *error, void *userdata) {
        EventLoopState *s = userdata;
        on_exit_cb(p, r, x, error, &s->exit);
        sd_event_exit(s->event, 0);
}

static void on_event_spawned(procctl_client *c, int r, procctl_process *p, const procctl_error *error, void *userdata) {
        EventLoopState *s = userdata;
        on_spawned(c, r, p, error, &s->spawn);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpint(procctl_process_wait_async(p, on_event_exit, s, NULL), ==, 0);
}

static int on_event_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        pc_fail("the sd-event loop did not finish");
        return 0;
}

static void test_async_from_sd_event(PcFixture *fx) {
        procctl_client *c = connect_client(fx);
        EventLoopState s = {};
        uint64_t now;

        g_assert_cmpint(sd_event_new(&s.event), >=, 0);
        g_assert_cmpint(procctl_client_attach_event(c, s.event, 0), >=, 0);
        g_assert_cmpint(sd_event_now(s.event, CLOCK_MONOTONIC, &now), >=, 0);
        g_assert_cmpint(sd_event_add_time(s.event, NULL, CLOCK_MONOTONIC, now + PC_TIMEOUT_MS * 1000, 0,
                                          on_event_timeout, NULL), >=, 0);

        g_assert_cmpint(procctl_spawn_async(c, ARGV("/bin/sh", "-c", "exit 9"), NULL, on_event_spawned, &s, NULL), ==, 0);
        g_assert_cmpint(sd_event_loop(s.event), ==, 0);
        assert_exit(&s.exit.exit, PROCCTL_EXIT_EXITED, 9);

        g_assert_cmpint(procctl_client_detach_event(c), >=, 0);
        async_result_clear(&s.spawn);
        async_result_clear(&s.exit);
        procctl_client_unref(c);
        sd_event_unref(s.event);
}

/* ----------------------------------------------------------- small parts */

static void test_exit_helpers(PcFixture *fx) {
        procctl_exit x;

        g_assert_cmpint(procctl_exit_reason_from_string("exited"), ==, PROCCTL_EXIT_EXITED);
        g_assert_cmpint(procctl_exit_reason_from_string("killed"), ==, PROCCTL_EXIT_KILLED);
        g_assert_cmpint(procctl_exit_reason_from_string("dumped"), ==, PROCCTL_EXIT_DUMPED);
        g_assert_cmpint(procctl_exit_reason_from_string("unknown"), ==, PROCCTL_EXIT_UNKNOWN);
        g_assert_cmpint(procctl_exit_reason_from_string("other"), ==, -EINVAL);
        g_assert_cmpint(procctl_exit_reason_from_string(NULL), ==, -EINVAL);
        g_assert_null(procctl_exit_reason_to_string(42));

        x = (procctl_exit) { PROCCTL_EXIT_EXITED, 3 };
        g_assert_cmpint(procctl_exit_to_shell_code(&x), ==, 3);
        x = (procctl_exit) { PROCCTL_EXIT_KILLED, SIGTERM };
        g_assert_cmpint(procctl_exit_to_shell_code(&x), ==, 143);
        x = (procctl_exit) { PROCCTL_EXIT_DUMPED, SIGSEGV };
        g_assert_cmpint(procctl_exit_to_shell_code(&x), ==, 139);
        x = (procctl_exit) { PROCCTL_EXIT_UNKNOWN, 0 };
        g_assert_cmpint(procctl_exit_to_shell_code(&x), ==, -1);
}

static void assert_exec_errno(const char *message, int expected, bool not_found) {
        procctl_error e = { .name = g_strdup("org.procctl.Error.ExecFailed"), .message = g_strdup(message),
                            .error = ENOEXEC };

        g_assert_cmpint(procctl_error_exec_errno(&e), ==, expected);
        g_assert_cmpint(procctl_error_is_exec_not_found(&e), ==, not_found);
        procctl_error_clear(&e);
        g_assert_false(procctl_error_is_set(&e));
}

static void test_error_helpers(PcFixture *fx) {
        procctl_error e = PROCCTL_ERROR_INIT;

        g_assert_false(procctl_error_is_set(&e));
        g_assert_false(procctl_error_is_set(NULL));
        g_assert_false(procctl_error_is_exec_failed(NULL));
        g_assert_cmpint(procctl_error_exec_errno(&e), ==, 0);
        g_assert_false(procctl_error_is_exec_not_found(&e));

        /* An exec failure's cause is the errno name that leads the daemon's
         * message, never its English text. */
        assert_exec_errno("E2BIG: execve(\"/x\"): Argument list too long", E2BIG, false);
        assert_exec_errno("ENOENT: execve(\"/x\"): No such file or directory", ENOENT, true);
        assert_exec_errno("ENOENT: execvp(\"x\"): No such file or directory", ENOENT, true);
        assert_exec_errno("ENOENT: execve(\"/interpreter/x\"): No such file or directory", ENOENT, true);
        assert_exec_errno("ENOENT: execve(\"/x\"): interpreter \"/y\" not found: No such file or directory", ENOENT, false);
        assert_exec_errno("ENOENT: execve(\"/x\"): No such file or directory "
                          "(the file exists: its ELF interpreter is missing)", ENOENT, false);
        assert_exec_errno("ENOENT: chdir(\"/x\"): No such file or directory", ENOENT, false);
        assert_exec_errno("EACCES: execve(\"/x\"): Permission denied", EACCES, false);
        assert_exec_errno("4000: execve(\"/x\"): Unknown error 4000", 4000, false);
        /* Without the name: unknown, whatever the text says. */
        assert_exec_errno("execve(\"/x\"): No such file or directory", 0, false);
        assert_exec_errno("ENOSUCHERRNO: execve(\"/x\"): No such file or directory", 0, false);
        assert_exec_errno("", 0, false);

        /* Only ExecFailed counts. */
        e.name = g_strdup("org.freedesktop.DBus.Error.InvalidArgs");
        e.message = g_strdup("ENOENT: execve(\"/x\"): No such file or directory");
        g_assert_cmpint(procctl_error_exec_errno(&e), ==, 0);
        g_assert_false(procctl_error_is_exec_not_found(&e));
        procctl_error_clear(&e);
}

static void exit_callback_never_runs(procctl_process *process, int r, const procctl_exit *exit,
                                     const procctl_error *error, void *userdata) {
        pc_fail("the callback of a cancelled call ran");
}

/* The _unrefp helpers drop what their variable holds when it leaves scope
 * (leaks show under the sanitized suite) and do nothing for NULL. */
static void test_cleanup_helpers(PcFixture *fx) {
        procctl_process *kept;

        {
                __attribute__((cleanup(procctl_client_unrefp))) procctl_client *c = NULL;
                __attribute__((cleanup(procctl_process_unrefp))) procctl_process *p = NULL;
                __attribute__((cleanup(procctl_spawn_options_freep))) procctl_spawn_options *o = NULL;
                __attribute__((cleanup(procctl_process_info_unrefp))) procctl_process_info *info = NULL;
                __attribute__((cleanup(procctl_process_list_unrefp))) procctl_process_list *list = NULL;
                __attribute__((cleanup(procctl_call_unrefp))) procctl_call *call = NULL;
        }
        {
                __attribute__((cleanup(procctl_client_unrefp))) procctl_client *c = connect_client(fx);
                __attribute__((cleanup(procctl_process_unrefp))) procctl_process *p = spawn_ok(c, ARGV("/bin/true"), NULL);
                __attribute__((cleanup(procctl_spawn_options_freep))) procctl_spawn_options *o = options_new();
                __attribute__((cleanup(procctl_process_info_unrefp))) procctl_process_info *info = NULL;
                __attribute__((cleanup(procctl_process_list_unrefp))) procctl_process_list *list = NULL;
                __attribute__((cleanup(procctl_call_unrefp))) procctl_call *call = NULL;
                __attribute__((cleanup(procctl_error_clear))) procctl_error error = PROCCTL_ERROR_INIT;

                g_assert_cmpint(procctl_process_get_info(p, &info, &error), ==, 0);
                g_assert_cmpint(procctl_list(c, &list, &error), ==, 0);
                /* Pending when the client goes: cancelled, its callback never runs. */
                g_assert_cmpint(procctl_process_wait_async(p, exit_callback_never_runs, NULL, &call), ==, 0);
                g_assert_true(procctl_call_is_pending(call));
                g_assert_cmpint(procctl_spawn_options_set_description(o, "x"), ==, 0);
                kept = procctl_process_ref(p);
                g_assert_true(procctl_process_get_client(kept) == c);
        }
        /* The client went with its scope: the handle kept outside it is detached. */
        g_assert_null(procctl_process_get_client(kept));
        procctl_process_unref(kept);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/libprocctl/client/connects-to-system-bus-address-and-sd-bus", 0, test_client_connects);
        pc_test_add("/libprocctl/client/connect-failure-is-an-error", 0, test_client_connect_failure);
        pc_test_add("/libprocctl/client/manager-properties", 0, test_client_manager_properties);
        pc_test_add("/libprocctl/process/handle-from-number-or-path", 0, test_process_handle_from_id);
        pc_test_add("/libprocctl/spawn/returns-path-id-and-pid", 0, test_spawn_returns_path_id_and_pid);
        pc_test_add("/libprocctl/spawn/options-reach-the-child", 0, test_spawn_options_reach_the_child);
        pc_test_add("/libprocctl/spawn/stdio-is-passed", 0, test_spawn_stdio_is_passed);
        pc_test_add("/libprocctl/spawn/exec-failure-not-found", 0, test_spawn_exec_failure_not_found);
        pc_test_add("/libprocctl/spawn/exec-failure-cannot-execute", 0, test_spawn_exec_failure_cannot_execute);
        pc_test_add("/libprocctl/spawn/other-errors", 0, test_spawn_other_errors);
        pc_test_add("/libprocctl/spawn/as-another-user", PC_FIXTURE_NEEDS_ROOT, test_spawn_as_user);
        pc_test_add("/libprocctl/spawn/timeout-stops-the-process", 0, test_spawn_timeout_stops_the_process);
        pc_test_add("/libprocctl/spawn/kill-on-disconnect", 0, test_spawn_kill_on_disconnect);
        pc_test_add("/libprocctl/process/wait-reports-the-end", 0, test_process_wait_reports_the_end);
        pc_test_add("/libprocctl/process/signal", 0, test_process_signal);
        pc_test_add("/libprocctl/process/signal-group", 0, test_process_signal_group);
        pc_test_add("/libprocctl/process/stop", 0, test_process_stop);
        pc_test_add("/libprocctl/process/release", 0, test_process_release);
        pc_test_add("/libprocctl/process/restart", 0, test_process_restart);
        pc_test_add("/libprocctl/process/unknown-object", 0, test_process_unknown_object);
        pc_test_add("/libprocctl/process/info", 0, test_process_info);
        pc_test_add("/libprocctl/list/sync", 0, test_list);
        pc_test_add("/libprocctl/output/read-and-follow", 0, test_output_read_and_follow);
        pc_test_add("/libprocctl/async/spawn-wait-info-release", 0, test_async_spawn_wait_release);
        pc_test_add("/libprocctl/async/spawn-errors", 0, test_async_spawn_errors);
        pc_test_add("/libprocctl/async/signal-stop-release-errors", 0, test_async_signal_stop);
        pc_test_add("/libprocctl/async/signal-group", 0, test_async_signal_group);
        pc_test_add("/libprocctl/async/list", 0, test_async_list);
        pc_test_add("/libprocctl/async/cancel", 0, test_async_cancel);
        pc_test_add("/libprocctl/async/cancel-from-a-callback", 0, test_async_cancel_from_callback);
        pc_test_add("/libprocctl/async/fire-and-forget", 0, test_async_fire_and_forget);
        pc_test_add("/libprocctl/async/pending-calls-die-with-the-client", 0, test_async_pending_calls_die_with_the_client);
        pc_test_add("/libprocctl/async/from-sd-event", 0, test_async_from_sd_event);
        pc_test_add("/libprocctl/exit-helpers", 0, test_exit_helpers);
        pc_test_add("/libprocctl/error-helpers", 0, test_error_helpers);
        pc_test_add("/libprocctl/cleanup-helpers", 0, test_cleanup_helpers);

        return g_test_run();
}
