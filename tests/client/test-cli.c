/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The procctl command, end to end: the built CLI ($PROCCTL) against a real
 * procctld on a private bus (tests/fixture.h).  Each test runs procctl the
 * way a user or a script would and checks what it prints and how it exits.
 */

#include <json-c/json.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fixture.h"

/* ------------------------------------------------------------- helpers */

static const char *cli_path(void) {
        const char *p = g_getenv("PROCCTL");
        if (!p)
                g_error("PROCCTL is not set (run through meson test)");
        return p;
}

typedef struct CliResult {
        int code;        /* exit code, or 128 + signal if procctl itself died */
        char *out;
        char *err;
} CliResult;

static void cli_result_clear(CliResult *r) {
        g_free(r->out);
        g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliResult, cli_result_clear)

static GSubprocessLauncher *launcher_new(PcFixture *fx, GSubprocessFlags flags) {
        GSubprocessLauncher *l = g_subprocess_launcher_new(flags);
        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", fx->bus_address, TRUE);
        /* `run` passes its working directory on: by default the fixture's,
         * which every user can enter, unlike a checkout in /root. */
        g_subprocess_launcher_set_cwd(l, fx->tmpdir);
        g_subprocess_launcher_unsetenv(l, "COLUMNS");
        return l;
}

static int exit_code_of(GSubprocess *p) {
        if (g_subprocess_get_if_exited(p))
                return g_subprocess_get_exit_status(p);
        g_assert_true(g_subprocess_get_if_signaled(p));
        return 128 + g_subprocess_get_term_sig(p);
}

/* A sanitized build (.ci/sanitize) may note things of its own on stderr
 * ("==PID==WARNING: ASan ..."): not the CLI's output, so not judged here. */
static void drop_sanitizer_notes(char *err) {
        char *line = err, *out = err;

        while (line && *line) {
                char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line + 1) : strlen(line);
                gboolean note = (line[0] == '=' && line[1] == '=' && strstr(line, "==WARNING: ASan")) ||
                            g_str_has_prefix(line, "False positive error reports may follow") ||
                            g_str_has_prefix(line, "For details see https://github.com/google/sanitizers/issues/189");
                if (!note) {
                        memmove(out, line, len);
                        out += len;
                }
                line += len;
        }
        *out = '\0';
}

/* Starts procctl with argv (NULL-terminated, without "procctl"), with a pipe
 * on its stdin if with_stdin (else /dev/null), in cwd (NULL: the test's),
 * with extra environment entries env (NULL or "K=V" list). */
static GSubprocess *cli_start_full(PcFixture *fx, gboolean with_stdin, const char *cwd,
                                   const char *const *env, const char *const *argv) {
        g_autoptr(GSubprocessLauncher) l = launcher_new(fx,
                (with_stdin ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) |
                G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        GSubprocess *p;

        if (cwd)
                g_subprocess_launcher_set_cwd(l, cwd);
        for (const char *const *e = env; e && *e; e++) {
                g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
                g_subprocess_launcher_setenv(l, kv[0], kv[1], TRUE);
        }
        g_ptr_array_add(args, (gpointer) cli_path());
        for (const char *const *a = argv; *a; a++)
                g_ptr_array_add(args, (gpointer) *a);
        g_ptr_array_add(args, NULL);

        p = g_subprocess_launcher_spawnv(l, (const char *const *) args->pdata, &error);
        g_assert_no_error(error);
        return p;
}

/* Feeds stdin_data to a started procctl and collects what it printed. */
static CliResult cli_finish(GSubprocess *p, const char *stdin_data) {
        g_autoptr(GError) error = NULL;
        CliResult r = {};

        g_subprocess_communicate_utf8(p, stdin_data, NULL, &r.out, &r.err, &error);
        g_assert_no_error(error);
        r.code = exit_code_of(p);
        drop_sanitizer_notes(r.err);
        return r;
}

static CliResult run_cli_full(PcFixture *fx, const char *stdin_data, const char *cwd,
                              const char *const *env, const char *const *argv) {
        g_autoptr(GSubprocess) p = cli_start_full(fx, stdin_data != NULL, cwd, env, argv);

        return cli_finish(p, stdin_data);
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define run_cli(fx, ...) run_cli_full((fx), NULL, NULL, NULL, ARGS(__VA_ARGS__))
#define cli_start(fx, ...) cli_start_full((fx), FALSE, NULL, NULL, ARGS(__VA_ARGS__))

/* Asserts that stderr is exactly one "procctl: ..." line containing what. */
static void assert_one_error_line(const CliResult *r, const char *what) {
        if (!g_str_has_prefix(r->err, "procctl: ") || !g_str_has_suffix(r->err, "\n") ||
            strchr(r->err, '\n') != r->err + strlen(r->err) - 1)
                pc_fail("expected one 'procctl: ' line on stderr, got: '%s'", r->err);
        if (what && !strstr(r->err, what))
                pc_fail("expected '%s' in stderr, got: '%s'", what, r->err);
}

/* The (path, pid, state) of the only process the daemon tracks, once there
 * is one; fails the test otherwise. */
typedef struct {
        PcFixture *fx;
        char *path;
        guint32 pid;
        char *state;
} OnlyProcess;

static gboolean only_process_found(gpointer data) {
        OnlyProcess *o = data;
        g_autoptr(GVariant) v = pc_manager_call(o->fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), NULL);
        g_autoptr(GVariantIter) it = NULL;
        const char *path, *state, *cmd;
        guint32 pid, uid;

        if (!v)
                return FALSE;
        g_variant_get(v, "(a(ouuss))", &it);
        if (g_variant_iter_n_children(it) != 1)
                return FALSE;
        g_assert_true(g_variant_iter_next(it, "(&ouu&s&s)", &path, &pid, &uid, &state, &cmd));
        g_free(o->path);
        g_free(o->state);
        o->path = g_strdup(path);
        o->pid = pid;
        o->state = g_strdup(state);
        return TRUE;
}

static void only_process(PcFixture *fx, OnlyProcess *o) {
        *o = (OnlyProcess) { .fx = fx };
        if (!pc_poll_until(only_process_found, o, PC_TIMEOUT_MS))
                pc_fail("the daemon did not get exactly one process");
}

static gboolean pid_gone(gpointer data) {
        return !pc_process_is_alive(GPOINTER_TO_INT(data));
}

/* Starts `procctl run -- argv...` in the background, its stdio on /dev/null
 * (stdout piped when out is set). */
static GSubprocess *start_cli_run(PcFixture *fx, const char *const *argv) {
        g_autoptr(GSubprocessLauncher) l = launcher_new(fx, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        GSubprocess *p;

        g_ptr_array_add(args, (gpointer) cli_path());
        g_ptr_array_add(args, (gpointer) "run");
        g_ptr_array_add(args, (gpointer) "--");
        for (const char *const *a = argv; *a; a++)
                g_ptr_array_add(args, (gpointer) *a);
        g_ptr_array_add(args, NULL);
        p = g_subprocess_launcher_spawnv(l, (const char *const *) args->pdata, &error);
        g_assert_no_error(error);
        return p;
}

static int wait_cli(GSubprocess *p) {
        g_autoptr(GError) error = NULL;
        g_subprocess_wait(p, NULL, &error);
        g_assert_no_error(error);
        return exit_code_of(p);
}

/* Spawns through the CLI and returns the ID it printed. */
static char *cli_spawn(PcFixture *fx, const char *const *argv) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_auto(GStrv) fields = NULL;

        g_ptr_array_add(args, (gpointer) "spawn");
        if (argv[0][0] != '-')  /* else: options of spawn, then "--" of the caller's */
                g_ptr_array_add(args, (gpointer) "--");
        for (const char *const *a = argv; *a; a++)
                g_ptr_array_add(args, (gpointer) *a);
        g_ptr_array_add(args, NULL);
        g_auto(CliResult) r = run_cli_full(fx, NULL, NULL, NULL, (const char *const *) args->pdata);
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        /* "ID PATH PID\n" */
        g_strchomp(r.out);
        fields = g_strsplit(r.out, " ", -1);
        g_assert_cmpuint(g_strv_length(fields), ==, 3);
        g_assert_cmpstr(fields[1] + strlen(PC_PROCESS_PREFIX), ==, fields[0]);
        g_assert_true(g_str_has_prefix(fields[1], PC_PROCESS_PREFIX));
        g_assert_cmpuint(pc_get_process_u32(fx, fields[1], "Pid"), ==, (guint32) atoi(fields[2]));
        return g_strdup(fields[0]);
}

/* ------------------------------------------------------------------- run */

static void test_run_stdio_passes_through(PcFixture *fx) {
        g_auto(CliResult) r = run_cli_full(fx, "hello\n", NULL, NULL,
                                           ARGS("run", "--", "/bin/sh", "-c",
                                                "read x; echo out:$x; echo err:$x >&2"));
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.out, ==, "out:hello\n");
        g_assert_cmpstr(r.err, ==, "err:hello\n");
}

typedef struct {
        const char *name;
        const char *const *argv;
        int code;
        const char *stderr_has;  /* NULL: stderr empty */
} ExitCase;

static void test_run_exit_code(PcFixture *fx, gconstpointer data) {
        const ExitCase *c = data;
        g_autofree char *plain = pc_fixture_write_file(fx, "plain", "not a program\n", 0644);
        g_autofree char *script = pc_fixture_write_file(fx, "script", "#!/nonexistent/interpreter\n", 0755);
        g_autoptr(GPtrArray) args = g_ptr_array_new();

        g_ptr_array_add(args, (gpointer) "run");
        g_ptr_array_add(args, (gpointer) "--");
        for (const char *const *a = c->argv; *a; a++)
                g_ptr_array_add(args, (gpointer) (strcmp(*a, "@plain") == 0 ? plain :
                                                  strcmp(*a, "@script") == 0 ? script : *a));
        g_ptr_array_add(args, NULL);

        g_auto(CliResult) r = run_cli_full(fx, NULL, NULL, NULL, (const char *const *) args->pdata);
        g_assert_cmpint(r.code, ==, c->code);
        if (c->stderr_has)
                assert_one_error_line(&r, c->stderr_has);
        else
                g_assert_cmpstr(r.err, ==, "");
}

static const ExitCase exit_cases[] = {
        { "success",            ARGS("/bin/true"),                          0,   NULL },
        { "exit-code",          ARGS("/bin/sh", "-c", "exit 3"),            3,   NULL },
        { "killed-by-sigterm",  ARGS("/bin/sh", "-c", "kill -TERM $$"),     143, NULL },
        { "killed-by-sigkill",  ARGS("/bin/sh", "-c", "kill -KILL $$"),     137, NULL },
        { "not-found-path",     ARGS("/nonexistent/program"),               127, "execve(\"/nonexistent/program\"): No such file or directory" },
        { "not-found-in-path",  ARGS("procctl-no-such-command"),            127, "procctl-no-such-command" },
        { "not-executable",     ARGS("@plain"),                             126, "Permission denied" },
        { "missing-interpreter", ARGS("@script"),                           126, "interpreter" },
};

static void test_run_working_directory(PcFixture *fx) {
        g_auto(CliResult) r = run_cli_full(fx, NULL, fx->outdir, NULL, ARGS("run", "--", "/bin/pwd"));
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(g_strchomp(r.out), ==, fx->outdir);

        g_auto(CliResult) r2 = run_cli_full(fx, NULL, fx->outdir, NULL, ARGS("run", "-C", "/", "--", "/bin/pwd"));
        g_assert_cmpint(r2.code, ==, 0);
        g_assert_cmpstr(r2.out, ==, "/\n");

        g_auto(CliResult) r3 = run_cli(fx, "run", "-C", "/nonexistent/dir", "--", "/bin/true");
        g_assert_cmpint(r3.code, ==, 126);
        assert_one_error_line(&r3, "/nonexistent/dir");

        /* systemd-run's spellings: a relative directory is ours, -d our own, --working-directory. */
        g_auto(CliResult) r4 = run_cli_full(fx, NULL, fx->tmpdir, NULL, ARGS("run", "-C", "out", "--", "/bin/pwd"));
        g_assert_cmpint(r4.code, ==, 0);
        g_assert_cmpstr(g_strchomp(r4.out), ==, fx->outdir);
        g_auto(CliResult) r5 = run_cli_full(fx, NULL, fx->outdir, NULL, ARGS("run", "-C", "/", "-d", "--", "/bin/pwd"));
        g_assert_cmpstr(g_strchomp(r5.out), ==, fx->outdir);
        g_auto(CliResult) r6 = run_cli_full(fx, NULL, fx->outdir, NULL,
                                            ARGS("run", "-P", "--working-directory=..", "--", "/bin/pwd"));
        g_assert_cmpint(r6.code, ==, 0);
        g_assert_cmpstr(g_strchomp(r6.out), ==, fx->tmpdir);
}

static void test_run_setenv_name_alone(PcFixture *fx) {
        /* -E NAME passes our value; nothing when we have none. */
        g_auto(CliResult) r = run_cli_full(fx, NULL, NULL, ARGS("PROCCTL_TEST_VAR=from caller"),
                                           ARGS("run", "-E", "PROCCTL_TEST_VAR", "-E", "PROCCTL_UNSET_VAR", "--",
                                                "/bin/sh", "-c", "echo \"$PROCCTL_TEST_VAR/${PROCCTL_UNSET_VAR-unset}\""));
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.out, ==, "from caller/unset\n");
}

static void test_run_user_daemon_cannot_switch_user(PcFixture *fx) {
        /* Refused before any bus is asked: a per-user daemon runs as its user. */
        g_auto(CliResult) r = run_cli_full(fx, NULL, NULL, ARGS("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"),
                                           ARGS("--user", "run", "--uid=nobody", "--", "/bin/true"));
        g_assert_cmpint(r.code, ==, 125);
        assert_one_error_line(&r, "per-user procctld (--user) runs as you and cannot start processes as another user");
        g_auto(CliResult) s = run_cli_full(fx, NULL, NULL, ARGS("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"),
                                           ARGS("--user", "spawn", "-u", "nobody", "--", "/bin/true"));
        g_assert_cmpint(s.code, ==, 1);
        assert_one_error_line(&s, "cannot start processes as another user");
}

static void test_run_options(PcFixture *fx) {
        g_auto(CliResult) r = run_cli(fx, "run", "-E", "FOO=bar", "--setenv=BAZ=a b", "--umask=077",
                                      "--", "/bin/sh", "-c", "echo \"$FOO/$BAZ/$(umask)\"");
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.out, ==, "bar/a b/0077\n");

        /* Options of the command itself are its own, with or without "--". */
        g_auto(CliResult) r2 = run_cli(fx, "run", "/bin/echo", "-n", "--help");
        g_assert_cmpint(r2.code, ==, 0);
        g_assert_cmpstr(r2.out, ==, "--help");

        g_auto(CliResult) r3 = run_cli(fx, "run", "--timeout=200ms", "--", "/bin/sleep", "100");
        g_assert_cmpint(r3.code, ==, 128 + SIGTERM);

        g_auto(CliResult) r4 = run_cli(fx, "run", "-u", "procctl-no-such-user", "--", "/bin/true");
        g_assert_cmpint(r4.code, ==, 125);
        assert_one_error_line(&r4, "procctl-no-such-user");
}

static void test_run_as_user(PcFixture *fx) {
        g_auto(CliResult) r = run_cli(fx, "run", "-u", "nobody", "--", "/usr/bin/id", "-u");
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.out, ==, "65534\n");
}

typedef struct {
        const char *name;
        int sig;
        int code;
} SignalCase;

static void test_run_forwards_signal(PcFixture *fx, gconstpointer data) {
        const SignalCase *c = data;
        g_autoptr(GSubprocess) p = start_cli_run(fx, ARGS("/bin/sleep", "100"));
        OnlyProcess o;

        only_process(fx, &o);
        g_assert_cmpstr(o.state, ==, "running");
        g_subprocess_send_signal(p, c->sig);
        /* The child got that very signal: it died of it, and procctl says so. */
        g_assert_cmpint(wait_cli(p), ==, c->code);
        g_assert_true(pc_poll_until(pid_gone, GINT_TO_POINTER(o.pid), PC_TIMEOUT_MS));
        g_free(o.path);
        g_free(o.state);
}

static const SignalCase signal_cases[] = {
        { "sigint-exits-130", SIGINT,  130 },
        { "sigterm",          SIGTERM, 128 + SIGTERM },
        { "sighup",           SIGHUP,  128 + SIGHUP },
        { "sigquit",          SIGQUIT, 128 + SIGQUIT },
        { "sigusr1",          SIGUSR1, 128 + SIGUSR1 },
        { "sigusr2",          SIGUSR2, 128 + SIGUSR2 },
};

static void test_run_sigint_to_a_child_that_handles_it(PcFixture *fx) {
        /* A child that catches SIGINT and exits 0: procctl exits 0 too, like a shell. */
        g_autofree char *marker = pc_fixture_out_path(fx, "trapped");
        g_autofree char *script = g_strdup_printf("trap 'touch %s; exit 0' INT; "
                                                  "touch %s.ready; while :; do sleep 0.05; done",
                                                  marker, marker);
        g_autofree char *ready = g_strdup_printf("%s.ready", marker);
        g_autoptr(GSubprocess) p = start_cli_run(fx, ARGS("/bin/sh", "-c", script));

        while (!g_file_test(ready, G_FILE_TEST_EXISTS))
                g_usleep(10000);
        g_subprocess_send_signal(p, SIGINT);
        g_assert_cmpint(wait_cli(p), ==, 0);
        g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
}

static void test_run_kill_on_disconnect(PcFixture *fx) {
        g_autoptr(GSubprocess) p = start_cli_run(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *reason = NULL;
        gint32 status;
        OnlyProcess o;

        only_process(fx, &o);
        g_subprocess_force_exit(p);  /* SIGKILL: procctl cannot forward or clean up */
        g_assert_cmpint(wait_cli(p), ==, 128 + SIGKILL);

        /* The daemon stopped the child when procctl's connection went away. */
        g_assert_true(pc_poll_until(pid_gone, GINT_TO_POINTER(o.pid), PC_TIMEOUT_MS));
        g_autoptr(GError) error = NULL;
        g_assert_true(pc_wait(fx, o.path, &reason, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        g_free(o.path);
        g_free(o.state);
}

static void test_run_releases_the_record(PcFixture *fx) {
        g_auto(CliResult) r = run_cli(fx, "run", "--", "/bin/true");
        g_assert_cmpint(r.code, ==, 0);
        /* The Release is sent as procctl exits; give the daemon a moment. */
        for (int i = 0; i < 200 && pc_get_process_count(fx) > 0; i++)
                g_usleep(10000);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

/* ------------------------------------------- spawn, kill, wait, stop, release */

static void test_spawn_kill_wait_status_release(PcFixture *fx) {
        g_autofree char *id = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *path = g_strconcat(PC_PROCESS_PREFIX, id, NULL);
        g_autofree char *waited = g_strdup_printf("%s: killed by SIGHUP\n", id);

        g_auto(CliResult) k = run_cli(fx, "kill", "-s", "HUP", id);
        g_assert_cmpint(k.code, ==, 0);
        g_assert_cmpstr(k.out, ==, "");
        g_assert_cmpstr(k.err, ==, "");

        g_auto(CliResult) w = run_cli(fx, "wait", id);
        g_assert_cmpint(w.code, ==, 128 + SIGHUP);
        g_assert_cmpstr(w.out, ==, waited);

        /* An object path is an ID too. */
        g_auto(CliResult) s = run_cli(fx, "status", path);
        g_assert_cmpint(s.code, ==, 0);
        g_assert_nonnull(strstr(s.out, "killed by SIGHUP"));
        g_assert_nonnull(strstr(s.out, "/bin/sleep 100"));
        g_assert_nonnull(strstr(s.out, "Started: "));
        g_assert_nonnull(strstr(s.out, "Ended: "));
        g_assert_nonnull(strstr(s.out, "Runtime: "));

        g_auto(CliResult) rel = run_cli(fx, "release", id);
        g_assert_cmpint(rel.code, ==, 0);

        g_auto(CliResult) s2 = run_cli(fx, "status", id);
        g_assert_cmpint(s2.code, ==, 1);
        assert_one_error_line(&s2, "no such process");
}

static void test_kill_signals_and_errors(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *pa = g_strconcat(PC_PROCESS_PREFIX, a, NULL);
        g_autofree char *pb = g_strconcat(PC_PROCESS_PREFIX, b, NULL);

        /* Default SIGTERM, several IDs at once. */
        g_auto(CliResult) k = run_cli(fx, "kill", a, b);
        g_assert_cmpint(k.code, ==, 0);
        pc_assert_wait_result(fx, pa, "killed", SIGTERM);
        pc_assert_wait_result(fx, pb, "killed", SIGTERM);

        /* An ended process and an unknown one: each reported, exit 1. */
        g_auto(CliResult) k2 = run_cli(fx, "signal", "-s", "SIGUSR1", a, "999999");
        g_assert_cmpint(k2.code, ==, 1);
        g_assert_nonnull(strstr(k2.err, "procctl: 999999: no such process\n"));
        g_assert_nonnull(strstr(k2.err, g_strdup_printf("procctl: %s: ", a)));

        /* A bad ID among them is a usage error, before any is signalled. */
        g_autofree char *d = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *pd = g_strconcat(PC_PROCESS_PREFIX, d, NULL);
        g_auto(CliResult) k4 = run_cli(fx, "kill", d, "x1");
        g_assert_cmpint(k4.code, ==, 2);
        assert_one_error_line(&k4, "invalid process ID 'x1'");
        g_assert_cmpstr(pc_get_process_string(fx, pd, "State"), ==, "running");

        /* Numbers and --group. */
        g_autofree char *c = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *pcp = g_strconcat(PC_PROCESS_PREFIX, c, NULL);
        g_auto(CliResult) k3 = run_cli(fx, "kill", "--group", "-s", "10", c);
        g_assert_cmpint(k3.code, ==, 0);
        pc_assert_wait_result(fx, pcp, "killed", SIGUSR1);
}

static void test_wait_exits_with_the_last_code(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 3"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sh", "-c", "sleep 0.2; exit 5"));
        g_autofree char *expected = g_strdup_printf("%s: exited with 3\n%s: exited with 5\n", a, b);

        g_auto(CliResult) w = run_cli(fx, "wait", a, b);
        g_assert_cmpint(w.code, ==, 5);
        g_assert_cmpstr(w.out, ==, expected);

        g_auto(CliResult) q = run_cli(fx, "-q", "wait", a);
        g_assert_cmpint(q.code, ==, 3);
        g_assert_cmpstr(q.out, ==, "");
}

static void test_stop(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *expected = g_strdup_printf("%s: killed by SIGTERM\n", a);

        g_auto(CliResult) s = run_cli(fx, "stop", a);
        g_assert_cmpint(s.code, ==, 0);
        g_assert_cmpstr(s.out, ==, expected);

        g_auto(CliResult) s2 = run_cli(fx, "stop", "424242");
        g_assert_cmpint(s2.code, ==, 1);
        assert_one_error_line(&s2, "no such process");
}

/* Whether the process ignores SIGTERM yet (its shell has run `trap '' TERM`). */
static gboolean ignores_sigterm(gpointer user_data) {
        g_autofree char *file = g_strdup_printf("/proc/%u/status", GPOINTER_TO_UINT(user_data));
        g_autofree char *text = NULL;
        const char *line;
        unsigned long long ignored;

        if (!g_file_get_contents(file, &text, NULL, NULL) || !(line = strstr(text, "\nSigIgn:\t")) ||
            sscanf(line, "\nSigIgn:\t%llx", &ignored) != 1)
                return FALSE;
        return (ignored & (1ULL << (SIGTERM - 1))) != 0;
}

/* stop sends every Stop at once: b ends on SIGTERM while a, which ignores
 * it and has a long stop timeout, still runs; one after another, b would
 * only be stopped after a's five minutes.  Lines come in the IDs' order. */
static void test_stop_several_together(PcFixture *fx) {
        g_auto(CliResult) sa = run_cli(fx, "spawn", "--stop-timeout=5min", "--",
                                       "/bin/sh", "-c", "trap '' TERM; exec sleep 100");
        g_assert_cmpint(sa.code, ==, 0);
        g_autofree char *a = g_strndup(sa.out, strcspn(sa.out, " "));
        g_autofree char *pa = g_strconcat(PC_PROCESS_PREFIX, a, NULL);
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *pb = g_strconcat(PC_PROCESS_PREFIX, b, NULL);
        g_autofree char *expected = g_strdup_printf("%s: killed by SIGKILL\n%s: killed by SIGTERM\n", a, b);
        /* Stopped before its shell ran the trap, a would end on SIGTERM too. */
        g_assert_true(pc_poll_until(ignores_sigterm, GUINT_TO_POINTER(pc_get_process_u32(fx, pa, "Pid")), PC_TIMEOUT_MS));
        g_autoptr(GSubprocess) stop = cli_start(fx, "stop", a, b);
        g_autofree char *state = NULL;

        pc_assert_wait_result(fx, pb, "killed", SIGTERM);
        state = pc_get_process_string(fx, pa, "State");
        g_assert_cmpstr(state, ==, "running");

        g_auto(CliResult) k = run_cli(fx, "kill", "-s", "KILL", a);
        g_assert_cmpint(k.code, ==, 0);
        g_auto(CliResult) r = cli_finish(stop, NULL);
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.out, ==, expected);
        g_assert_cmpstr(r.err, ==, "");
}

/* wait reports in the IDs' order, whichever ends first, and exits with the
 * last one's status.  (A bad ID among them is a usage error before anything
 * is waited for: the *-bad-id cases.) */
static void test_wait_several_in_order(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 4"));
        g_autofree char *expected = g_strdup_printf("%s: killed by SIGTERM\n%s: exited with 4\n", a, b);
        g_autoptr(GSubprocess) wait = cli_start(fx, "wait", a, b);

        g_auto(CliResult) k = run_cli(fx, "kill", a);
        g_assert_cmpint(k.code, ==, 0);
        g_auto(CliResult) r = cli_finish(wait, NULL);
        g_assert_cmpint(r.code, ==, 4);
        g_assert_cmpstr(r.out, ==, expected);
        g_assert_cmpstr(r.err, ==, "");
}

static void test_release_running_is_refused(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sleep", "100"));

        g_auto(CliResult) r = run_cli(fx, "release", a);
        g_assert_cmpint(r.code, ==, 1);
        assert_one_error_line(&r, a);
}

/* ------------------------------------------------------------ list, status */

static void test_list_table(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sh", "-c",
                "exit 3; this is a long command line that will not fit in forty columns"));
        g_autofree char *pb = g_strconcat(PC_PROCESS_PREFIX, b, NULL);
        g_auto(GStrv) lines = NULL;

        pc_assert_wait_result(fx, pb, "exited", 3);

        g_auto(CliResult) r = run_cli(fx, "list");
        g_assert_cmpint(r.code, ==, 0);
        lines = g_strsplit(r.out, "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, 4);  /* header, 2 rows, "" */
        g_assert_true(g_regex_match_simple("^ *ID +PID +USER +STATE +RUNTIME +COMMAND$", lines[0], 0, 0));
        g_assert_true(g_regex_match_simple(g_strdup_printf("^ *%s +[0-9]+ +root +running +\\S+ +/bin/sleep 100$", a),
                                           lines[1], 0, 0));
        g_assert_true(g_regex_match_simple(g_strdup_printf("^ *%s +[0-9]+ +root +exited 3 +\\S+ +/bin/sh -c exit 3; this is a long command line that will not fit in forty columns$", b),
                                           lines[2], 0, 0));
        /* Columns line up: COMMAND starts at the same place on every line. */
        const char *c0 = strstr(lines[0], "COMMAND");
        g_assert_cmpint(strstr(lines[1], "/bin/sleep") - lines[1], ==, c0 - lines[0]);
        g_assert_cmpint(strstr(lines[2], "/bin/sh") - lines[2], ==, c0 - lines[0]);

        /* Fitted to the terminal's width. */
        g_auto(CliResult) n = run_cli_full(fx, NULL, NULL, ARGS("COLUMNS=40"), ARGS("list"));
        g_assert_cmpint(n.code, ==, 0);
        g_auto(GStrv) narrow = g_strsplit(n.out, "\n", -1);
        g_assert_cmpuint(g_strv_length(narrow), ==, 4);
        for (char **l = narrow; *l; l++)
                g_assert_cmpint(g_utf8_strlen(*l, -1), <=, 40);
        g_assert_true(g_str_has_suffix(narrow[2], "…"));
}

static void test_list_empty(PcFixture *fx) {
        g_auto(CliResult) r = run_cli(fx, "list");
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.out, ==, "No processes.\n");

        g_auto(CliResult) j = run_cli(fx, "list", "--json");
        g_assert_cmpint(j.code, ==, 0);
        g_assert_cmpstr(g_strstrip(j.out), ==, "[]");
}

static json_object *parse_json(const char *text) {
        json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, text, (int) strlen(text));
        if (json_tokener_get_error(tok) != json_tokener_success)
                pc_fail("output is not JSON (%s): %s", json_tokener_error_desc(json_tokener_get_error(tok)), text);
        json_tokener_free(tok);
        return o;
}

static json_object *member(json_object *o, const char *key) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v))
                pc_fail("JSON has no '%s': %s", key, json_object_to_json_string(o));
        return v;
}

static void test_list_json(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 3"));
        g_autofree char *pb = g_strconcat(PC_PROCESS_PREFIX, b, NULL);

        pc_assert_wait_result(fx, pb, "exited", 3);

        for (int pretty = 0; pretty <= 1; pretty++) {
                g_auto(CliResult) r = run_cli(fx, "list", pretty ? "--json=pretty" : "--json=short");
                g_assert_cmpint(r.code, ==, 0);
                json_object *root = parse_json(r.out);
                g_assert_true(json_object_is_type(root, json_type_array));
                g_assert_cmpuint(json_object_array_length(root), ==, 2);

                json_object *x = json_object_array_get_idx(root, 0), *y = json_object_array_get_idx(root, 1);
                g_assert_cmpint(json_object_get_int64(member(x, "id")), ==, atoi(a));
                g_assert_cmpstr(json_object_get_string(member(x, "state")), ==, "running");
                g_assert_cmpint(json_object_get_int64(member(x, "pid")), >, 0);
                g_assert_cmpstr(json_object_get_string(member(x, "user")), ==, "root");
                g_assert_true(json_object_is_type(member(x, "exit_reason"), json_type_null));
                /* A listing carries the command line, cut to a bounded length; argv is status's. */
                g_assert_cmpstr(json_object_get_string(member(x, "command_line")), ==, "/bin/sleep 100");

                g_assert_cmpint(json_object_get_int64(member(y, "id")), ==, atoi(b));
                g_assert_cmpstr(json_object_get_string(member(y, "state")), ==, "exited");
                g_assert_cmpstr(json_object_get_string(member(y, "exit_reason")), ==, "exited");
                g_assert_cmpint(json_object_get_int(member(y, "exit_status")), ==, 3);
                g_assert_cmpstr(json_object_get_string(member(y, "exit")), ==, "exited with 3");
                g_assert_cmpint(json_object_get_int64(member(y, "exit_timestamp_usec")), >=,
                                json_object_get_int64(member(y, "start_timestamp_usec")));
                json_object_put(root);

                /* Pretty means several lines, short one. */
                g_assert_cmpint(strchr(r.out, '\n') != r.out + strlen(r.out) - 1, ==, pretty);
        }
}

static void test_status_json_and_text(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 3"));
        g_autofree char *pa = g_strconcat(PC_PROCESS_PREFIX, a, NULL);

        pc_assert_wait_result(fx, pa, "exited", 3);

        g_auto(CliResult) t = run_cli(fx, "status", a);
        g_assert_cmpint(t.code, ==, 0);
        g_assert_nonnull(strstr(t.out, "State: exited with 3\n"));
        g_assert_nonnull(strstr(t.out, "Path: /org/procctl/Manager1/process/"));
        g_assert_nonnull(strstr(t.out, "User: root (0)\n"));
        g_assert_true(g_regex_match_simple("Started: \\w{3} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\S+; \\S+ ago\n",
                                           t.out, 0, 0));

        g_auto(CliResult) j = run_cli(fx, "status", "--json", pa);
        g_assert_cmpint(j.code, ==, 0);
        json_object *o = parse_json(j.out);
        g_assert_cmpstr(json_object_get_string(member(o, "path")), ==, pa);
        g_assert_cmpstr(json_object_get_string(member(o, "exit")), ==, "exited with 3");
        g_assert_cmpint(json_object_get_int(member(o, "uid")), ==, 0);
        g_assert_cmpint(json_object_get_int(member(o, "owner_uid")), ==, 0);
        g_assert_cmpstr(json_object_get_string(member(o, "working_directory")), !=, "");
        json_object_put(o);

        g_autofree char *k = cli_spawn(fx, ARGS("/bin/sh", "-c", "kill -TERM $$"));
        g_autofree char *pk = g_strconcat(PC_PROCESS_PREFIX, k, NULL);
        pc_assert_wait_result(fx, pk, "killed", SIGTERM);
        g_auto(CliResult) t2 = run_cli(fx, "status", k);
        g_assert_nonnull(strstr(t2.out, "killed by SIGTERM"));
}

static void test_status_several_ids(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 9"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_autofree char *pa = g_strconcat(PC_PROCESS_PREFIX, a, NULL);

        pc_assert_wait_result(fx, pa, "exited", 9);
        g_auto(CliResult) t = run_cli(fx, "status", a, b);
        g_assert_cmpint(t.code, ==, 0);
        g_assert_nonnull(strstr(t.out, "State: exited with 9\n"));
        g_assert_nonnull(strstr(t.out, "State: running\n"));
        g_assert_nonnull(strstr(t.out, "\n\n"));  /* a blank line between them */

        g_auto(CliResult) j = run_cli(fx, "status", "--json=short", a, b);
        json_object *o = parse_json(j.out);
        g_assert_true(json_object_is_type(o, json_type_array));
        g_assert_cmpint(json_object_array_length(o), ==, 2);
        json_object_put(o);

        /* An unknown one among them: the others still shown, exit 1. */
        g_auto(CliResult) u = run_cli(fx, "status", "999999", a);
        g_assert_cmpint(u.code, ==, 1);
        g_assert_nonnull(strstr(u.out, "State: exited with 9\n"));
        assert_one_error_line(&u, "999999: no such process");
}

/* What a user gave the daemon (a description, a command line, here as
 * nobody would) reaches another user's terminal escaped, as systemctl
 * does: no escape sequence, C1 control or newline of it is printed as is. */
static void assert_no_control_characters(const char *what, const char *out) {
        for (const char *c = out; *c; c++)
                if ((*c != '\n' && (unsigned char) *c < 0x20) || *c == 0x7f ||
                    ((unsigned char) c[0] == 0xc2 && (unsigned char) c[1] >= 0x80 && (unsigned char) c[1] < 0xa0))
                        pc_fail("%s prints a control character (0x%02x) of a user's string:\n%s", what, (unsigned char) *c,
                                out);
}

static void test_user_strings_are_escaped(PcFixture *fx) {
        gboolean cgroups = pc_have_cgroups(fx);
        g_autofree char *id = cli_spawn(fx, ARGS("--description", "web\033[8m\r\033]52;c;cGF5bG9hZA==\007", "--",
                                                 "/bin/sh", "-c", "sleep 100", "\033[2J\033]0;owned\007", "\xc2\x9b" "31m",
                                                 "tab\tand\nline", "ünïcödé"));

        g_auto(CliResult) l = run_cli(fx, "list");
        g_assert_cmpint(l.code, ==, 0);
        assert_no_control_characters("list", l.out);
        g_assert_nonnull(strstr(l.out, "web\\x1b[8m\\r\\x1b]52;c;cGF5bG9hZA==\\a"));
        g_assert_nonnull(strstr(l.out, "\\x1b[2J\\x1b]0;owned\\a \\xc2\\x9b31m tab\\tand\\nline ünïcödé"));

        g_auto(CliResult) st = run_cli(fx, "status", id);
        g_assert_cmpint(st.code, ==, 0);
        assert_no_control_characters("status", st.out);
        g_assert_nonnull(strstr(st.out, " - web\\x1b[8m\\r"));
        g_assert_nonnull(strstr(st.out, "Command: /bin/sh -c sleep 100 \\x1b[2J\\x1b]0;owned\\a \\xc2\\x9b31m tab\\tand\\nline ünïcödé\n"));

        if (cgroups) {
                g_auto(CliResult) t = run_cli(fx, "top", "-b", "-n", "1");
                g_assert_cmpint(t.code, ==, 0);
                assert_no_control_characters("top", t.out);
                g_assert_nonnull(strstr(t.out, "/bin/sh -c sleep 100 \\x1b[2J"));
        }
        g_auto(CliResult) s = run_cli(fx, "stop", id);
        g_assert_cmpint(s.code, ==, 0);
}

static void test_list_description_and_filters(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("--description", "web server", "--", "/bin/sleep", "100"));
        g_autofree char *b = cli_spawn(fx, ARGS("-u", "nobody", "--", "/bin/sh", "-c", "exit 4"));
        g_autofree char *pb = g_strconcat(PC_PROCESS_PREFIX, b, NULL);

        pc_assert_wait_result(fx, pb, "exited", 4);
        g_auto(CliResult) l = run_cli(fx, "list");
        g_assert_cmpint(l.code, ==, 0);
        g_assert_true(g_regex_match_simple("^ID +PID +USER +STATE +RUNTIME +DESCRIPTION +COMMAND$", l.out, G_REGEX_MULTILINE, 0));
        g_assert_true(g_regex_match_simple("running .* web server +/bin/sleep 100$", l.out, G_REGEX_MULTILINE, 0));

        g_auto(CliResult) r = run_cli(fx, "list", "--state=running", "--no-legend");
        g_assert_true(g_str_has_prefix(g_strchug(r.out), a));
        g_assert_null(strstr(r.out, "exited"));
        g_auto(CliResult) e = run_cli(fx, "list", "--state=exited", "--no-legend");
        g_assert_true(g_str_has_prefix(g_strchug(e.out), b));
        g_assert_null(strstr(e.out, "running"));
        g_auto(CliResult) u = run_cli(fx, "list", "--user=nobody", "--no-legend");
        g_assert_true(g_str_has_prefix(g_strchug(u.out), b));
        g_assert_null(strstr(u.out, "sleep"));
        g_auto(CliResult) all = run_cli(fx, "list", "--user=nobody", "-a", "--no-legend");
        g_assert_nonnull(strstr(all.out, "sleep"));
        g_assert_nonnull(strstr(all.out, "exited 4"));

        /* Without a description anywhere, no DESCRIPTION column. */
        g_auto(CliResult) n = run_cli(fx, "list", "--state=exited");
        g_assert_null(strstr(n.out, "DESCRIPTION"));
}

static void test_release_all(PcFixture *fx) {
        g_autofree char *a = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 1"));
        g_autofree char *b = cli_spawn(fx, ARGS("/bin/sh", "-c", "exit 2"));
        g_autofree char *c = cli_spawn(fx, ARGS("/bin/sleep", "100"));

        pc_assert_wait_result(fx, g_strconcat(PC_PROCESS_PREFIX, a, NULL), "exited", 1);
        pc_assert_wait_result(fx, g_strconcat(PC_PROCESS_PREFIX, b, NULL), "exited", 2);
        g_auto(CliResult) r = run_cli(fx, "release", "--all");
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        g_auto(CliResult) l = run_cli(fx, "list", "--no-legend");
        g_assert_true(g_str_has_prefix(g_strchug(l.out), c));
        g_assert_null(strstr(l.out, "exited"));
}

static void test_adopt(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSubprocess) child = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, "/bin/sleep", "100", NULL);
        g_assert_no_error(error);
        const char *pid = g_subprocess_get_identifier(child);

        g_auto(CliResult) a = run_cli(fx, "adopt", "--description=adopted", pid);
        g_assert_cmpint(a.code, ==, 0);
        g_auto(GStrv) words = g_strsplit(g_strchomp(a.out), " ", 0);
        g_assert_cmpint(g_strv_length(words), ==, 3);
        g_assert_cmpstr(words[2], ==, pid);

        g_auto(CliResult) l = run_cli(fx, "list");
        g_assert_nonnull(strstr(l.out, "adopted"));
        g_auto(CliResult) k = run_cli(fx, "kill", words[0]);
        g_assert_cmpint(k.code, ==, 0);
        g_subprocess_wait(child, NULL, &error);
        g_assert_no_error(error);

        g_auto(CliResult) gone = run_cli(fx, "adopt", "999999999");
        g_assert_cmpint(gone.code, ==, 1);
        assert_one_error_line(&gone, "cannot open process 999999999: No such process");
}

/* --------------------------------------------------------- usage and help */

typedef struct {
        const char *name;
        const char *const *argv;
        int code;
        const char *stderr_has;
} UsageCase;

static void test_usage_error(PcFixture *fx, gconstpointer data) {
        const UsageCase *c = data;
        g_auto(CliResult) r = run_cli_full(fx, NULL, NULL, NULL, c->argv);

        g_assert_cmpint(r.code, ==, c->code);
        assert_one_error_line(&r, c->stderr_has);
        g_assert_cmpstr(r.out, ==, "");
}

static const UsageCase usage_cases[] = {
        { "no-command",          ARGS(NULL),                          2,   "no command" },
        { "unknown-command",     ARGS("frobnicate"),                  2,   "unknown command 'frobnicate'" },
        { "unknown-option",      ARGS("--frobnicate"),                2,   "unknown option '--frobnicate'" },
        { "unknown-short-option", ARGS("-Z", "list"),                 2,   "unknown option '-Z'" },
        { "missing-argument",    ARGS("list", "--address"),           2,   "needs an argument" },
        { "run-no-command",      ARGS("run"),                         125, "no command to run" },
        { "run-bad-option",      ARGS("run", "--frobnicate", "--", "true"), 125, "unknown option '--frobnicate'" },
        { "run-bad-timeout",     ARGS("run", "--timeout=soon", "--", "true"), 125, "invalid time span" },
        { "run-bad-setenv",      ARGS("run", "-E", "=x", "--", "true"), 125, "KEY=VALUE" },
        { "spawn-no-command",    ARGS("spawn"),                       2,   "no command to spawn" },
        { "kill-no-id",          ARGS("kill"),                        2,   "no process ID" },
        { "kill-bad-signal",     ARGS("kill", "-s", "FOO", "1"),      2,   "unknown signal 'FOO'" },
        { "wait-no-id",          ARGS("wait"),                        2,   "no process ID" },
        { "stop-no-id",          ARGS("stop"),                        2,   "no process ID" },
        { "release-no-id",       ARGS("release"),                     2,   "no process ID" },
        { "status-no-id",        ARGS("status"),                      2,   "no process ID" },
        { "status-bad-id",       ARGS("status", "/not/a/process"),    2,   "invalid process ID" },
        { "kill-bad-id",         ARGS("kill", "abc"),                 2,   "invalid process ID 'abc'" },
        { "stop-bad-id",         ARGS("stop", "abc"),                 2,   "invalid process ID 'abc'" },
        { "wait-bad-id",         ARGS("wait", "1", "abc"),            2,   "invalid process ID 'abc'" },
        { "release-bad-id",      ARGS("release", "abc"),              2,   "invalid process ID 'abc'" },
        { "release-ids-and-all", ARGS("release", "--all", "1"),       2,   "either IDs or --all" },
        { "list-bad-state",      ARGS("list", "--state=dead"),        2,   "invalid state 'dead'" },
        { "adopt-no-pid",        ARGS("adopt"),                       2,   "exactly one PID" },
        { "adopt-bad-pid",       ARGS("adopt", "12x"),                2,   "invalid PID '12x'" },
        { "list-argument",       ARGS("list", "extra"),               2,   "no arguments" },
        { "list-bad-json",       ARGS("list", "--json=xml"),          2,   "--json" },
        { "connect-failure",     ARGS("--address=unix:path=/nonexistent/socket", "list"), 1, "cannot connect" },
        { "run-connect-failure", ARGS("--address=unix:path=/nonexistent/socket", "run", "true"), 125, "cannot connect" },
};

/* ------------------------------------------------------------------ logs */

/* Lets the process waiting on fifo go on, then collects what the started procctl printed. */
static CliResult finish_after_go(GSubprocess *p, const char *fifo) {
        int go = open(fifo, O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(go, >=, 0);
        g_assert_cmpint(write(go, "\n", 1), ==, 1);
        close(go);
        return cli_finish(p, NULL);
}

static void test_logs_print_and_follow_captured_output(PcFixture *fx) {
        g_autofree char *fifo = pc_fixture_out_path(fx, "go");
        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        /* Three lines, then one more from a child once the test says so. */
        g_autofree char *script = g_strdup_printf("echo one; echo two >&2; echo three; (read x < %s; echo four) &", fifo);
        g_auto(GStrv) features = pc_features(fx);
        /* With a cgroup per process, the child would be stopped with the shell. */
        g_autofree char *id = NULL;
        if (g_strv_contains((const char *const *) features, "cgroup"))
                id = cli_spawn(fx, ARGS("--output=capture", "--output-max=64K", "--kill-mode=process", "--", "/bin/sh", "-c",
                                        script));
        else
                id = cli_spawn(fx, ARGS("--output=capture", "--output-max=64K", "--", "/bin/sh", "-c", script));
        g_auto(CliResult) w = run_cli(fx, "wait", id);
        g_assert_cmpint(w.code, ==, 0);

        g_auto(CliResult) all = run_cli(fx, "logs", id);
        /* The shell is gone, its child still holds the output: more may come. */
        g_assert_cmpint(all.code, ==, 3);
        /* Each stream in order; the two as the daemon read them. */
        g_assert_nonnull(strstr(all.out, "one\nthree\n") ?: strstr(all.out, "one\ntwo\nthree\n"));
        g_assert_cmpuint(strlen(all.out), ==, 14);
        g_auto(CliResult) last = run_cli(fx, "logs", "-n", "1", id);
        g_assert_cmpint(last.code, ==, 3);
        g_assert_true(g_str_equal(last.out, "three\n") || g_str_equal(last.out, "two\n"));
        g_assert_true(g_str_has_suffix(all.out, last.out));
        g_auto(CliResult) none = run_cli(fx, "logs", "-n", "0", id);
        g_assert_cmpstr(none.out, ==, "");

        /* -f ends once the child that holds the output has gone (whether it
         * wrote before procctl began to follow or after). */
        g_autoptr(GSubprocess) f = cli_start(fx, "logs", "-f", id);
        g_auto(CliResult) followed = finish_after_go(g_steal_pointer(&f), fifo);
        g_assert_cmpint(followed.code, ==, 0);
        g_autofree char *expected = g_strconcat(all.out, "four\n", NULL);
        g_assert_cmpstr(followed.out, ==, expected);

        /* Without capture, and bad options. */
        g_autofree char *plain = cli_spawn(fx, ARGS("/bin/true"));
        g_auto(CliResult) ns = run_cli(fx, "logs", plain);
        g_assert_cmpint(ns.code, ==, 1);
        g_assert_nonnull(strstr(ns.err, "not started with output captured"));
        g_auto(CliResult) bad = run_cli(fx, "spawn", "--output=journal", "--", "/bin/true");
        g_assert_cmpint(bad.code, ==, 2);
        g_auto(CliResult) max_alone = run_cli(fx, "spawn", "--output-max=1M", "--", "/bin/true");
        g_assert_cmpint(max_alone.code, ==, 2);
}

#define ISO_TIME "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}"

typedef struct {
        PcFixture *fx;
        const char *id;
        const char *out; /* all of `procctl logs ID`'s output */
} LogsShow;

static gboolean logs_show(gpointer data) {
        LogsShow *l = data;
        g_auto(CliResult) r = run_cli(l->fx, "logs", l->id);
        return g_strcmp0(r.out, l->out) == 0;
}

/* --since, --timestamps, --stream, stderr in red, and the exit status. */
static void test_logs_filter_mark_and_say_whether_more_may_come(PcFixture *fx) {
        g_autofree char *id = cli_spawn(fx, ARGS("--output=capture", "--", "/bin/sh", "-c", "echo a; echo b >&2; echo c"));
        g_auto(CliResult) w = run_cli(fx, "wait", id);
        g_assert_cmpint(w.code, ==, 0);

        g_auto(CliResult) out = run_cli(fx, "logs", "--stream=stdout", id);
        g_assert_cmpint(out.code, ==, 0);
        g_assert_cmpstr(out.out, ==, "a\nc\n");
        g_auto(CliResult) err = run_cli(fx, "logs", "--stream", "stderr", id);
        g_assert_cmpstr(err.out, ==, "b\n");

        /* Each line with the time it was read, ISO 8601 to the microsecond. */
        g_auto(CliResult) t = run_cli(fx, "logs", "--timestamps", "--stream=stdout", id);
        g_assert_cmpint(t.code, ==, 0);
        g_assert_true(g_regex_match_simple("^" ISO_TIME " a\n" ISO_TIME " c\n$", t.out, 0, 0));

        /* --since: relative, absolute, in words. */
        g_auto(CliResult) future = run_cli(fx, "logs", "--since=+1h", id);
        g_assert_cmpint(future.code, ==, 0);
        g_assert_cmpstr(future.out, ==, "");
        g_auto(CliResult) recent = run_cli(fx, "logs", "--since", "5 min ago", "--stream=stderr", id);
        g_assert_cmpstr(recent.out, ==, "b\n");
        g_auto(CliResult) minus = run_cli(fx, "logs", "-S", "-5min", "--stream=stderr", id);
        g_assert_cmpstr(minus.out, ==, "b\n");
        g_auto(CliResult) old = run_cli(fx, "logs", "--since=2000-01-01 00:00:00", "-n", "1", "--stream=stdout", id);
        g_assert_cmpstr(old.out, ==, "c\n");
        g_auto(CliResult) bad_since = run_cli(fx, "logs", "--since=whenever", id);
        g_assert_cmpint(bad_since.code, ==, 2);
        g_auto(CliResult) bad_stream = run_cli(fx, "logs", "--stream=stdin", id);
        g_assert_cmpint(bad_stream.code, ==, 2);

        /* stderr's lines in red where color is asked for, never with NO_COLOR. */
        g_auto(CliResult) red = run_cli_full(fx, NULL, NULL, ARGS("SYSTEMD_COLORS=1"), ARGS("logs", id));
        g_assert_nonnull(strstr(red.out, "\033[0;1;31mb\033[0m\n"));
        g_assert_nonnull(strstr(red.out, "a\n"));
        g_assert_null(strstr(red.out, "\033[0;1;31ma"));
        g_auto(CliResult) plain = run_cli_full(fx, NULL, NULL, ARGS("SYSTEMD_COLORS=1", "NO_COLOR=1"), ARGS("logs", id));
        g_assert_cmpuint(strlen(plain.out), ==, 6);
        g_auto(CliResult) off = run_cli_full(fx, NULL, NULL, ARGS("SYSTEMD_COLORS=0"), ARGS("logs", id));
        g_assert_cmpuint(strlen(off.out), ==, 6);

        /* A process still running (so more may come): 3; once it is gone: 0.
         * Stopped only once its line is out: a slow machine may not have run
         * the echo yet when the Spawn returns. */
        g_autofree char *running = cli_spawn(fx, ARGS("--output=capture", "--", "/bin/sh", "-c", "echo up; exec sleep 100"));
        LogsShow up = { fx, running, "up\n" };
        g_assert_true(pc_poll_until(logs_show, &up, PC_TIMEOUT_MS));
        g_auto(CliResult) more = run_cli(fx, "logs", running);
        g_assert_cmpint(more.code, ==, 3);
        g_auto(CliResult) stopped = run_cli(fx, "stop", running);
        g_assert_cmpint(stopped.code, ==, 0);
        g_auto(CliResult) done = run_cli(fx, "logs", running);
        g_assert_cmpint(done.code, ==, 0);
        g_assert_cmpstr(done.out, ==, "up\n");
}

/* logs -f with filters, and Ctrl-C stops following, not the process. */
static void test_logs_follow_filters_and_ctrl_c_leaves_the_process(PcFixture *fx) {
        g_autofree char *fifo = pc_fixture_out_path(fx, "go-filtered");
        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_autofree char *script = g_strdup_printf("echo early; read x < %s; echo late; echo oops >&2", fifo);
        g_autofree char *id = cli_spawn(fx, ARGS("--output=capture", "--", "/bin/sh", "-c", script));
        g_autoptr(GSubprocess) f = cli_start(fx, "logs", "-f", "--timestamps", "--stream=stderr", id);
        g_auto(CliResult) followed = finish_after_go(g_steal_pointer(&f), fifo);
        g_assert_cmpint(followed.code, ==, 0);
        g_assert_true(g_regex_match_simple("^" ISO_TIME " oops\n$", followed.out, 0, 0));

        /* Ctrl-C: procctl stops, the process runs on. */
        g_autofree char *sleeper = cli_spawn(fx, ARGS("--output=capture", "--", "/bin/sh", "-c", "echo hi; exec sleep 100"));
        g_autoptr(GSubprocess) g = cli_start(fx, "logs", "-f", sleeper);
        GInputStream *gout = g_subprocess_get_stdout_pipe(g);
        char buf[3];
        g_assert_cmpint(g_input_stream_read(gout, buf, 3, NULL, NULL), ==, 3);
        g_assert_cmpmem(buf, 3, "hi\n", 3);
        g_subprocess_send_signal(g, SIGINT);
        g_auto(CliResult) interrupted = cli_finish(g_steal_pointer(&g), NULL);
        g_assert_cmpint(interrupted.code, ==, 128 + SIGINT);
        g_auto(CliResult) st = run_cli(fx, "status", sleeper);
        g_assert_nonnull(strstr(st.out, "State: running"));
        g_auto(CliResult) stopped = run_cli(fx, "stop", sleeper);
        g_assert_cmpint(stopped.code, ==, 0);
}

/* status ends with the last 10 lines of output, as systemctl status ends with the journal's. */
static void test_status_ends_with_recent_output(PcFixture *fx) {
        g_autofree char *id = cli_spawn(fx, ARGS("--output=capture", "--", "/usr/bin/seq", "12"));
        g_auto(CliResult) w = run_cli(fx, "wait", id);
        g_auto(CliResult) st = run_cli(fx, "status", id);
        g_assert_cmpint(st.code, ==, 0);
        const char *tail = strstr(st.out, "\n\n");
        g_assert_nonnull(tail);
        GString *expected = g_string_new("^\n\n");
        for (int i = 3; i <= 12; i++)
                g_string_append_printf(expected, ISO_TIME " %d\n", i);
        g_string_append(expected, "$");
        g_assert_true(g_regex_match_simple(expected->str, tail, 0, 0));
        g_string_free(expected, TRUE);

        /* Without output: nothing more. */
        g_autofree char *plain = cli_spawn(fx, ARGS("/bin/true"));
        g_auto(CliResult) st2 = run_cli(fx, "status", plain);
        g_assert_cmpint(st2.code, ==, 0);
        g_assert_null(strstr(st2.out, "\n\n"));
        g_assert_cmpstr(st2.err, ==, "");
}

static void test_help_and_version(PcFixture *fx) {
        static const char *const commands[] = { "run", "spawn", "kill", "signal", "stop", "wait",
                                                "release", "list", "status", "adopt", "logs" };

        g_auto(CliResult) h = run_cli(fx, "--help");
        g_assert_cmpint(h.code, ==, 0);
        g_assert_true(g_str_has_prefix(h.out, "Usage: procctl "));
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                g_assert_nonnull(strstr(h.out, commands[i]));

        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
                g_auto(CliResult) r = run_cli(fx, commands[i], "--help");
                g_autofree char *prefix = g_strdup_printf("Usage: procctl %s", commands[i]);
                g_assert_cmpint(r.code, ==, 0);
                g_assert_cmpstr(r.err, ==, "");
                if (!g_str_has_prefix(r.out, prefix) && !g_str_has_prefix(r.out, "Usage: procctl kill|signal"))
                        pc_fail("procctl %s --help: %s", commands[i], r.out);
        }

        g_auto(CliResult) v = run_cli(fx, "--version");
        g_assert_cmpint(v.code, ==, 0);
        g_assert_true(g_str_has_prefix(v.out, "procctl "));
}

static void test_bus_selection(PcFixture *fx) {
        g_autofree char *address = g_strdup_printf("--address=%s", fx->bus_address);

        /* --address works with the system bus pointing nowhere. */
        g_auto(CliResult) r = run_cli_full(fx, NULL, NULL,
                                           ARGS("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/socket"),
                                           ARGS(address, "run", "--", "/bin/true"));
        g_assert_cmpint(r.code, ==, 0);

        /* Global options go after the command too. */
        g_auto(CliResult) r2 = run_cli_full(fx, NULL, NULL,
                                            ARGS("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/socket"),
                                            ARGS("list", address, "-q"));
        g_assert_cmpint(r2.code, ==, 0);
        g_assert_cmpstr(r2.out, ==, "");

        /* --user is the session bus: here, nowhere. */
        g_auto(CliResult) r3 = run_cli_full(fx, NULL, NULL,
                                            ARGS("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/socket"),
                                            ARGS("--user", "list"));
        g_assert_cmpint(r3.code, ==, 1);
        assert_one_error_line(&r3, "cannot connect to the user bus");
}

/* ------------------------------------------------------- process trees */

static gboolean has_controller(PcFixture *fx, const char *name) {
        g_autofree char *controllers = fx->cgroup ? pc_cgroup_read(fx->cgroup, "cgroup.subtree_control") : NULL;
        return controllers && strstr(controllers, name);
}

typedef struct {
        PcFixture *fx;
        const char *path;
        guint64 want;
} TasksAre;

static gboolean tasks_are(gpointer data) {
        TasksAre *t = data;
        return pc_get_process_u64(t->fx, t->path, "TasksCurrent") == t->want;
}

/* -p in systemd-run's spelling: a limit applied, or refused by name where
 * its controller is missing (as on the development machines); KillMode. */
static void test_property_applied_or_refused(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        const struct {
                const char *property, *controller, *file, *written;
        } limits[] = {
                { "MemoryMax=512M", "memory", "memory.max", "536870912\n" },
                { "TasksMax=64", "pids", "pids.max", "64\n" },
                { "CPUWeight=50", "cpu", "cpu.weight", "50\n" },
                { "CPUQuota=20%", "cpu", "cpu.max", "200000 1000000\n" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(limits); i++) {
                if (has_controller(fx, limits[i].controller)) {
                        g_autofree char *id = cli_spawn(fx, ARGS("-p", limits[i].property, "--", "/bin/sleep", "1000"));
                        g_autofree char *path = g_strconcat(PC_PROCESS_PREFIX, id, NULL);
                        g_autofree char *cg = pc_get_process_string(fx, path, "ControlGroup");
                        g_autofree char *mount = pc_cgroup2_mount();
                        g_autofree char *dir = g_strconcat(mount, cg, NULL);
                        g_autofree char *text = pc_cgroup_read(dir, limits[i].file);
                        g_assert_cmpstr(text, ==, limits[i].written);
                        g_auto(CliResult) s = run_cli(fx, "stop", id);
                        continue;
                }
                g_auto(CliResult) r = run_cli(fx, "spawn", "-p", limits[i].property, "--", "/bin/true");
                g_assert_cmpint(r.code, ==, 1);
                assert_one_error_line(&r, limits[i].controller);
                g_assert_nonnull(strstr(r.err, "controller"));
                g_auto(CliResult) run = run_cli(fx, "run", "--property", limits[i].property, "--", "/bin/true");
                g_assert_cmpint(run.code, !=, 0);
                assert_one_error_line(&run, limits[i].controller);
        }

        /* KillMode=process: what the main process leaves keeps running, in its tree. */
        g_autofree char *id = cli_spawn(fx, ARGS("-p", "KillMode=process", "--", "/bin/sh", "-c",
                                                 "setsid sleep 1000 </dev/null >/dev/null 2>&1 &"));
        g_autofree char *path = g_strconcat(PC_PROCESS_PREFIX, id, NULL);
        pc_assert_wait_result(fx, path, "exited", 0);
        g_assert_cmpuint(pc_get_process_u64(fx, path, "TasksCurrent"), ==, 1);
        g_auto(CliResult) stop = run_cli(fx, "stop", id);
        g_assert_cmpint(stop.code, ==, 0);
        g_assert_cmpuint(pc_get_process_u64(fx, path, "TasksCurrent"), ==, 0);

        /* What procctl cannot know or read is a usage error, named. */
        const struct {
                const char *property, *message;
        } bad[] = {
                { "Foo=1", "unknown property 'Foo'" },
                { "MemoryMax=lots", "invalid MemoryMax=lots" },
                { "CPUWeight=0", "invalid CPUWeight=0" },
                { "CPUQuota=20", "invalid CPUQuota=20" },
                { "KillMode=mixed", "invalid KillMode=mixed" },
                { "MemoryMax", "expected NAME=VALUE" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_auto(CliResult) r = run_cli(fx, "spawn", "-p", bad[i].property, "--", "/bin/true");
                g_assert_cmpint(r.code, ==, 2);
                assert_one_error_line(&r, bad[i].message);
        }
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);
}

typedef struct {
        PcFixture *fx;
        const char *id;
        const char *text; /* a regular expression */
} StatusShows;

static gboolean status_shows(gpointer data) {
        StatusShows *s = data;
        g_auto(CliResult) r = run_cli(s->fx, "status", s->id);
        return r.code == 0 && g_regex_match_simple(s->text, r.out, 0, 0);
}

/* status shows the tree as systemctl status does: a setsid grandchild too. */
static void test_status_shows_the_tree(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autofree char *id = cli_spawn(fx, ARGS("/bin/sh", "-c", "setsid sleep 1001 </dev/null >/dev/null 2>&1 & exec sleep 1000"));
        g_autofree char *path = g_strconcat(PC_PROCESS_PREFIX, id, NULL);
        TasksAre two = { fx, path, 2 };
        g_assert_true(pc_poll_until(tasks_are, &two, PC_TIMEOUT_MS));
        guint32 pid = pc_get_process_u32(fx, path, "Pid");
        g_autofree char *cg = pc_get_process_string(fx, path, "ControlGroup");

        /* Once the grandchild has become sleep (setsid execs it after the fork). */
        StatusShows shows = { fx, id, "\\d sleep 1001\n" };
        g_assert_true(pc_poll_until(status_shows, &shows, PC_TIMEOUT_MS));
        g_auto(CliResult) r = run_cli(fx, "status", id);
        g_assert_cmpint(r.code, ==, 0);
        g_test_message("%s", r.out);
        g_autofree char *cgroup_line = g_strdup_printf("       CGroup: %s\n", cg);
        g_assert_nonnull(strstr(r.out, cgroup_line));
        g_assert_nonnull(strstr(r.out, "        Tasks: 2\n"));
        g_assert_nonnull(strstr(r.out, "          CPU: "));
        /* The main process and the grandchild in its own session, by PID, in order. */
        g_autofree char *main_line = g_strdup_printf("%u sleep 1000\n", pid);
        g_assert_nonnull(strstr(r.out, main_line));
        g_assert_true(g_regex_match_simple("               ├─\\d+ sleep 100[01]\n               └─\\d+ sleep 100[01]\n",
                                           r.out, 0, 0));
        g_assert_nonnull(strstr(r.out, "sleep 1001\n"));

        g_auto(CliResult) s = run_cli(fx, "stop", id);
        g_assert_cmpint(s.code, ==, 0);
}

static void test_freeze_thaw(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autofree char *id = cli_spawn(fx, ARGS("/bin/sleep", "1000"));
        g_autofree char *path = g_strconcat(PC_PROCESS_PREFIX, id, NULL);

        g_auto(CliResult) f = run_cli(fx, "freeze", id);
        g_assert_cmpint(f.code, ==, 0);
        g_assert_cmpstr(f.err, ==, "");
        PcBoolProperty frozen = { fx, path, "Frozen", TRUE };
        g_assert_true(pc_poll_until(pc_process_bool_is, &frozen, PC_TIMEOUT_MS));

        g_auto(CliResult) t = run_cli(fx, "thaw", id);
        g_assert_cmpint(t.code, ==, 0);
        PcBoolProperty thawed = { fx, path, "Frozen", FALSE };
        g_assert_true(pc_poll_until(pc_process_bool_is, &thawed, PC_TIMEOUT_MS));

        g_auto(CliResult) s = run_cli(fx, "stop", id);
        g_assert_cmpint(s.code, ==, 0);
        /* Nothing left to freeze: the daemon's error, by ID. */
        g_auto(CliResult) again = run_cli(fx, "freeze", id);
        g_assert_cmpint(again.code, ==, 1);
        assert_one_error_line(&again, id);
        g_auto(CliResult) none = run_cli(fx, "thaw");
        g_assert_cmpint(none.code, ==, 2);
}

/* top -b -n 2: two refreshes, each a header and a line for the busy process,
 * %CPU known from the second on (a CPUUsageNSec delta). */
static void test_top_batch(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autofree char *busy = cli_spawn(fx, ARGS("/bin/sh", "-c", "while :; do :; done"));
        g_autofree char *idle = cli_spawn(fx, ARGS("/bin/sleep", "1000"));
        g_autofree char *busy_path = g_strconcat(PC_PROCESS_PREFIX, busy, NULL);
        guint32 busy_pid = pc_get_process_u32(fx, busy_path, "Pid");

        g_auto(CliResult) r = run_cli(fx, "top", "-b", "-n", "2", "-d", "0.3");
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        g_test_message("%s", r.out);
        g_auto(GStrv) blocks = g_strsplit(r.out, "\n\n", -1);
        g_assert_cmpuint(g_strv_length(blocks), ==, 2);
        for (int b = 0; b < 2; b++) {
                g_auto(GStrv) lines = g_strsplit(g_strchomp(blocks[b]), "\n", -1);
                g_assert_cmpuint(g_strv_length(lines), ==, 3);
                g_assert_true(g_regex_match_simple("^ID +PID +USER +TASKS +%CPU +MEMORY +CPU-TIME +COMMAND$", lines[0], 0, 0));
                /* The busy one first once %CPU is known. */
                g_autofree char *want = g_strdup_printf("^%s +%u +root +1 +%s +\\S+ +\\S+ +/bin/sh -c while :; do :; done$", busy,
                                                        busy_pid, b == 0 ? "-" : "\\d+\\.\\d");
                gboolean found = g_regex_match_simple(want, lines[1], 0, 0) || (b == 0 && g_regex_match_simple(want, lines[2], 0, 0));
                if (!found)
                        pc_fail("no line like '%s' in refresh %d:\n%s", want, b + 1, blocks[b]);
                g_autofree char *idle_start = g_strdup_printf("%s ", idle);
                g_assert_true(g_str_has_prefix(lines[2], idle_start) || (b == 0 && g_str_has_prefix(lines[1], idle_start)));
        }

        g_auto(CliResult) usage = run_cli(fx, "top", "-n", "0");
        g_assert_cmpint(usage.code, ==, 2);
        assert_one_error_line(&usage, "--iterations");
        g_auto(CliResult) s = run_cli(fx, "stop", busy, idle);
        g_assert_cmpint(s.code, ==, 0);
}

/* One refresh reads every process's accounting, however many: here more
 * than the calls top keeps in flight at once.  A process that has exited
 * (no tasks) is not shown. */
#define TOP_MANY 120
static void test_top_lists_every_process(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        for (int i = 0; i < TOP_MANY; i++)
                g_ptr_array_add(paths, pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "1000"), NULL, NULL));
        g_autofree char *ended = pc_spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL);
        pc_assert_wait_result(fx, ended, "exited", 0);

        g_auto(CliResult) r = run_cli(fx, "top", "-b", "-n", "1");
        g_assert_cmpint(r.code, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        g_auto(GStrv) lines = g_strsplit(g_strchomp(r.out), "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, 1 + TOP_MANY);
        g_autoptr(GHashTable) shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (int i = 1; i <= TOP_MANY; i++) {
                g_assert_true(g_regex_match_simple("^\\d+ +\\d+ +root +1 +- +\\S+ +\\S+ +/bin/sleep 1000$", lines[i], 0, 0));
                g_hash_table_add(shown, g_strndup(lines[i], strcspn(lines[i], " ")));
        }
        for (guint i = 0; i < paths->len; i++) {
                const char *id = (const char *) paths->pdata[i] + strlen(PC_PROCESS_PREFIX);
                if (!g_hash_table_contains(shown, id))
                        pc_fail("process %s is not in top's refresh:\n%s", id, r.out);
        }

        g_autoptr(GError) error = NULL;
        g_assert_true(pc_release(fx, ended, &error));
        g_assert_no_error(error);
        for (guint i = 0; i < paths->len; i++) {
                g_autofree char *reason = NULL;
                g_assert_true(pc_stop(fx, paths->pdata[i], &reason, NULL, &error));
                g_assert_no_error(error);
                g_assert_true(pc_release(fx, paths->pdata[i], &error));
                g_assert_no_error(error);
        }
}

/* ----------------------------------------------------------------- restart */

typedef struct {
        PcFixture *fx;
        const char *path;
} RestartingProcess;

static gboolean is_restarting(gpointer data) {
        RestartingProcess *p = data;
        g_autofree char *state = pc_get_process_string(p->fx, p->path, "State");
        return strcmp(state, "restarting") == 0;
}

/* spawn --restart, list's RESTARTS column, status during a delay and after,
 * restart ID, and the errors a user can make. */
static void test_restart_policy_end_to_end(PcFixture *fx) {
        g_autofree char *crash = cli_spawn(fx, ARGS("--restart=on-failure", "--restart-delay=20ms", "--restart-limit=2/1min",
                                                    "--", "/bin/sh", "-c", "exit 3"));
        g_auto(CliResult) w = run_cli(fx, "wait", crash);
        g_assert_cmpint(w.code, ==, 3);
        g_auto(CliResult) st = run_cli(fx, "status", crash);
        g_assert_cmpint(st.code, ==, 0);
        g_assert_nonnull(strstr(st.out, "Restarts: 2\n"));
        g_assert_nonnull(strstr(st.out, "exited with 3"));
        g_auto(CliResult) l = run_cli(fx, "list");
        g_assert_cmpint(l.code, ==, 0);
        g_assert_nonnull(strstr(l.out, "RESTARTS"));
        g_auto(CliResult) rel = run_cli(fx, "release", crash);
        g_assert_cmpint(rel.code, ==, 0);

        /* No process restarted: no column. */
        g_autofree char *plain = cli_spawn(fx, ARGS("/bin/sleep", "100"));
        g_auto(CliResult) l2 = run_cli(fx, "list");
        g_assert_null(strstr(l2.out, "RESTARTS"));

        /* During a delay: the last end and the next start. */
        g_autofree char *waiting = cli_spawn(fx, ARGS("--restart=always", "--restart-delay=10min", "--", "/bin/sh", "-c",
                                                      "exit 4"));
        g_autofree char *waiting_path = g_strconcat(PC_PROCESS_PREFIX, waiting, NULL);
        RestartingProcess rp = { fx, waiting_path };
        g_assert_true(pc_poll_until(is_restarting, &rp, PC_TIMEOUT_MS));
        g_auto(CliResult) st2 = run_cli(fx, "status", waiting);
        g_assert_cmpint(st2.code, ==, 0);
        g_assert_nonnull(strstr(st2.out, "State: restarting"));
        g_assert_nonnull(strstr(st2.out, "Last end: exited with 4"));
        g_assert_nonnull(strstr(st2.out, "Next start: "));
        g_assert_null(strstr(st2.out, "Runtime: ")); /* nothing runs between two runs */
        g_auto(CliResult) l3 = run_cli(fx, "list", "--state=restarting", "--no-legend");
        g_assert_cmpint(l3.code, ==, 0);
        g_assert_nonnull(strstr(l3.out, "restarting"));
        /* restart ID during the delay: the next run now, not in ten minutes. */
        g_auto(CliResult) now = run_cli(fx, "restart", waiting);
        g_assert_cmpstr(now.err, ==, "");
        g_assert_cmpint(now.code, ==, 0);
        g_assert_true(g_str_has_prefix(now.out, waiting));
        g_assert_cmpuint(pc_get_process_u32(fx, waiting_path, "RestartCount"), ==, 1);
        g_auto(CliResult) stop = run_cli(fx, "stop", waiting);
        g_assert_cmpint(stop.code, ==, 0);
        /* ... and once it has ended for good, there is none. */
        g_auto(CliResult) ended = run_cli(fx, "restart", waiting);
        g_assert_cmpint(ended.code, ==, 1);
        assert_one_error_line(&ended, "ended for good");

        /* restart ID: the current run ends, the next runs at once on the same
         * object (a ten-minute delay is not waited), even under on-failure for
         * a program that exits 0 on SIGTERM. */
        g_autofree char *kept = cli_spawn(fx, ARGS("--restart=on-failure", "--restart-delay=10min", "--", "/bin/sh", "-c",
                                                   "trap 'exit 0' TERM; sleep 100 & wait"));
        g_autofree char *kept_path = g_strconcat(PC_PROCESS_PREFIX, kept, NULL);
        guint32 pid1 = pc_get_process_u32(fx, kept_path, "Pid");
        g_auto(CliResult) re = run_cli(fx, "restart", kept);
        g_assert_cmpint(re.code, ==, 0);
        g_assert_cmpstr(re.err, ==, "");
        g_assert_true(g_str_has_prefix(re.out, kept));
        g_assert_cmpuint(pc_get_process_u32(fx, kept_path, "RestartCount"), ==, 1);
        guint32 pid2 = pc_get_process_u32(fx, kept_path, "Pid");
        g_assert_cmpuint(pid2, !=, pid1);
        g_autofree char *shown = g_strdup_printf(" %u\n", pid2);
        g_assert_true(g_str_has_suffix(re.out, shown));

        g_autofree char *state = pc_get_process_string(fx, kept_path, "State");
        g_assert_cmpstr(state, ==, "running");

        /* Without a policy there is no next run. */
        g_auto(CliResult) re2 = run_cli(fx, "restart", plain);
        g_assert_cmpint(re2.code, ==, 1);
        assert_one_error_line(&re2, "no restart policy");

        g_auto(CliResult) bad = run_cli(fx, "spawn", "--restart=sometimes", "--", "/bin/true");
        g_assert_cmpint(bad.code, ==, 2);
        g_auto(CliResult) bad2 = run_cli(fx, "spawn", "--restart-delay=1s", "--", "/bin/true");
        g_assert_cmpint(bad2.code, ==, 2);
        g_auto(CliResult) bad3 = run_cli(fx, "run", "--restart=always", "--", "/bin/true");
        g_assert_cmpint(bad3.code, ==, 125); /* run: procctl itself failed */
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/cli/run/stdio-passes-through", 0, test_run_stdio_passes_through);
        pc_test_add("/cli/restart/policy-end-to-end", 0, test_restart_policy_end_to_end);
        for (size_t i = 0; i < G_N_ELEMENTS(exit_cases); i++) {
                g_autofree char *name = g_strdup_printf("/cli/run/exit-code/%s", exit_cases[i].name);
                pc_test_add_data(name, 0, test_run_exit_code, &exit_cases[i]);
        }
        pc_test_add("/cli/run/working-directory-is-ours-by-default", 0, test_run_working_directory);
        pc_test_add("/cli/run/options", 0, test_run_options);
        pc_test_add("/cli/run/setenv-name-alone-passes-our-value", 0, test_run_setenv_name_alone);
        pc_test_add("/cli/run/user-daemon-cannot-switch-user", 0, test_run_user_daemon_cannot_switch_user);
        pc_test_add("/cli/run/as-another-user", PC_FIXTURE_NEEDS_ROOT, test_run_as_user);
        for (size_t i = 0; i < G_N_ELEMENTS(signal_cases); i++) {
                g_autofree char *name = g_strdup_printf("/cli/run/forwards-signal/%s", signal_cases[i].name);
                pc_test_add_data(name, 0, test_run_forwards_signal, &signal_cases[i]);
        }
        pc_test_add("/cli/run/sigint-to-a-child-that-handles-it", 0, test_run_sigint_to_a_child_that_handles_it);
        pc_test_add("/cli/run/kill-on-disconnect", 0, test_run_kill_on_disconnect);
        pc_test_add("/cli/run/releases-the-record", 0, test_run_releases_the_record);
        pc_test_add("/cli/spawn-kill-wait-status-release", 0, test_spawn_kill_wait_status_release);
        pc_test_add("/cli/logs-print-and-follow-captured-output", 0, test_logs_print_and_follow_captured_output);
        pc_test_add("/cli/logs-filter-mark-and-say-whether-more-may-come", 0,
                    test_logs_filter_mark_and_say_whether_more_may_come);
        pc_test_add("/cli/logs-follow-filters-and-ctrl-c-leaves-the-process", 0,
                    test_logs_follow_filters_and_ctrl_c_leaves_the_process);
        pc_test_add("/cli/status-ends-with-recent-output", 0, test_status_ends_with_recent_output);
        pc_test_add("/cli/kill/signals-and-errors", 0, test_kill_signals_and_errors);
        pc_test_add("/cli/wait/exits-with-the-last-code", 0, test_wait_exits_with_the_last_code);
        pc_test_add("/cli/stop", 0, test_stop);
        pc_test_add("/cli/stop/several-together", 0, test_stop_several_together);
        pc_test_add("/cli/wait/several-in-order", 0, test_wait_several_in_order);
        pc_test_add("/cli/release/running-is-refused", 0, test_release_running_is_refused);
        pc_test_add("/cli/list/table", 0, test_list_table);
        pc_test_add("/cli/list/empty", 0, test_list_empty);
        pc_test_add("/cli/list/json-parses", 0, test_list_json);
        pc_test_add("/cli/status/text-and-json", 0, test_status_json_and_text);
        pc_test_add("/cli/status/several-ids", 0, test_status_several_ids);
        pc_test_add("/cli/user-strings-are-escaped-in-list-status-and-top", 0, test_user_strings_are_escaped);
        pc_test_add("/cli/list/description-and-filters", PC_FIXTURE_NEEDS_ROOT, test_list_description_and_filters);
        pc_test_add("/cli/release/all", 0, test_release_all);
        pc_test_add("/cli/adopt", 0, test_adopt);
        for (size_t i = 0; i < G_N_ELEMENTS(usage_cases); i++) {
                g_autofree char *name = g_strdup_printf("/cli/usage-error/%s", usage_cases[i].name);
                pc_test_add_data(name, 0, test_usage_error, &usage_cases[i]);
        }
        pc_test_add("/cli/help-and-version", 0, test_help_and_version);
        pc_test_add("/cli/bus-selection", 0, test_bus_selection);
        pc_test_add("/cli/tree/property-applied-or-refused-by-name", 0, test_property_applied_or_refused);
        pc_test_add("/cli/tree/status-shows-the-tree", 0, test_status_shows_the_tree);
        pc_test_add("/cli/tree/freeze-and-thaw", 0, test_freeze_thaw);
        pc_test_add("/cli/tree/top-batch", 0, test_top_batch);
        pc_test_add("/cli/tree/top-lists-every-process", 0, test_top_lists_every_process);

        return g_test_run();
}
