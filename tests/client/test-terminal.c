/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl on a terminal, with a real one: the test opens a pseudo-terminal
 * (openpty), makes it procctl's controlling terminal and its stdin, stdout
 * and stderr, types into its master side and reads what appears there.
 *
 *   /terminal/pty/...     `procctl run --pty`: input, window size, exit
 *                         codes, the terminal's modes restored on every way
 *                         out, another user's child on a fresh pty; and the
 *                         daemon's rule that an in-use terminal may not go
 *                         to another user's process (through libprocctl).
 *   /terminal/output/...  color only on a terminal and never with NO_COLOR
 *                         or TERM=dumb; the pager only on a terminal, never
 *                         with --no-pager.
 */

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "fixture.h"
#include "procctl.h"

/* ------------------------------------------------------------- helpers */

static const char *cli_path(void) {
        const char *p = g_getenv("PROCCTL");
        if (!p)
                g_error("PROCCTL is not set (run through meson test)");
        return p;
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* procctl running on a terminal of the test's. */
typedef struct PtyCli {
        int master;
        int slave;            /* kept open, so that the terminal outlives procctl for comparing */
        pid_t pid;
        GString *out;         /* everything read from the master so far */
        struct termios before;
        int code;             /* once exited: the code, or 128 + signal */
} PtyCli;

/* Starts procctl with argv (without "procctl") as the session leader of a
 * new session whose controlling terminal is a new pty of rows x cols, with
 * env ("K=V" entries; "K" alone unsets) on top of the test's environment,
 * which has TERM=xterm and neither NO_COLOR, COLUMNS nor pager variables. */
static void pty_cli_start(PtyCli *c, PcFixture *fx, unsigned short rows, unsigned short cols,
                          const char *const *env, const char *const *argv) {
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        g_auto(GStrv) envp = g_get_environ();
        g_autoptr(GPtrArray) args = g_ptr_array_new();

        *c = (PtyCli) { .out = g_string_new(NULL), .code = -1 };

        envp = g_environ_setenv(envp, "DBUS_SYSTEM_BUS_ADDRESS", fx->bus_address, TRUE);
        envp = g_environ_setenv(envp, "TERM", "xterm", TRUE);
        for (const char *name = "NO_COLOR\0COLUMNS\0PAGER\0SYSTEMD_PAGER\0SYSTEMD_LESS\0LESS\0"; *name;
             name += strlen(name) + 1)
                envp = g_environ_unsetenv(envp, name);
        for (const char *const *e = env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                if (eq) {
                        g_autofree char *k = g_strndup(*e, (gsize) (eq - *e));
                        envp = g_environ_setenv(envp, k, eq + 1, TRUE);
                } else
                        envp = g_environ_unsetenv(envp, *e);
        }
        /* ARGS("!sh", SCRIPT): a shell runs SCRIPT, with $PROCCTL, for redirections. */
        if (g_strcmp0(argv[0], "!sh") == 0) {
                g_ptr_array_add(args, (gpointer) "/bin/sh");
                g_ptr_array_add(args, (gpointer) "-c");
                argv++;
        } else
                g_ptr_array_add(args, (gpointer) cli_path());
        for (const char *const *a = argv; *a; a++)
                g_ptr_array_add(args, (gpointer) *a);
        g_ptr_array_add(args, NULL);

        g_assert_cmpint(openpty(&c->master, &c->slave, NULL, NULL, &ws), ==, 0);
        g_assert_cmpint(fcntl(c->master, F_SETFD, FD_CLOEXEC), ==, 0);
        g_assert_cmpint(fcntl(c->slave, F_SETFD, FD_CLOEXEC), ==, 0);
        g_assert_cmpint(fcntl(c->master, F_SETFL, O_NONBLOCK), ==, 0);
        g_assert_cmpint(tcgetattr(c->master, &c->before), ==, 0);

        c->pid = fork();
        g_assert_cmpint(c->pid, >=, 0);
        if (c->pid == 0) {
                /* Only async-signal-safe calls from here: the test has threads. */
                sigset_t none;

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                if (setsid() < 0 || ioctl(c->slave, TIOCSCTTY, 0) < 0 ||
                    dup2(c->slave, 0) < 0 || dup2(c->slave, 1) < 0 || dup2(c->slave, 2) < 0)
                        _exit(121);
                /* `run` passes its working directory on: the fixture's, which
                 * every user can enter, unlike a checkout in /root. */
                if (chdir(fx->tmpdir) < 0)
                        _exit(123);
                execve(args->pdata[0], (char *const *) args->pdata, envp);
                _exit(122);
        }
}

static void pty_cli_read_some(PtyCli *c, int timeout_ms) {
        struct pollfd p = { .fd = c->master, .events = POLLIN };
        char buf[4096];
        ssize_t n;

        if (poll(&p, 1, timeout_ms) <= 0)
                return;
        while ((n = read(c->master, buf, sizeof(buf))) > 0)
                g_string_append_len(c->out, buf, n);
}

/* Reads until the output has needle; fails the test after PC_TIMEOUT_MS. */
static void pty_cli_expect(PtyCli *c, const char *needle) {
        gint64 deadline = g_get_monotonic_time() + PC_TIMEOUT_MS * G_GINT64_CONSTANT(1000);

        while (!strstr(c->out->str, needle)) {
                if (g_get_monotonic_time() > deadline)
                        pc_fail("'%s' did not appear on the terminal; it shows: '%s'", needle, c->out->str);
                pty_cli_read_some(c, 50);
        }
}

static void pty_cli_type(PtyCli *c, const char *text) {
        g_assert_cmpint(write(c->master, text, strlen(text)), ==, (ssize_t) strlen(text));
}

/* Waits for procctl to exit, reading all it wrote; returns its exit code
 * (128 + N if signal N killed it). */
static int pty_cli_wait(PtyCli *c) {
        gint64 deadline = g_get_monotonic_time() + PC_TIMEOUT_MS * G_GINT64_CONSTANT(1000);
        int status;

        for (;;) {
                pid_t r = waitpid(c->pid, &status, WNOHANG);

                g_assert_cmpint(r, >=, 0);
                if (r == c->pid)
                        break;
                if (g_get_monotonic_time() > deadline)
                        pc_fail("procctl did not exit; the terminal shows: '%s'", c->out->str);
                pty_cli_read_some(c, 20);
        }
        /* A non-blocking read of the master hands over all that was written. */
        pty_cli_read_some(c, 0);
        c->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return c->code;
}

/* The modes of the test's terminal are what they were before procctl ran. */
static void pty_cli_assert_modes_restored(PtyCli *c) {
        struct termios now;

        g_assert_cmpint(tcgetattr(c->master, &now), ==, 0);
        g_assert_cmphex(now.c_iflag, ==, c->before.c_iflag);
        g_assert_cmphex(now.c_oflag, ==, c->before.c_oflag);
        g_assert_cmphex(now.c_cflag, ==, c->before.c_cflag);
        g_assert_cmphex(now.c_lflag, ==, c->before.c_lflag);
        g_assert_cmpmem(now.c_cc, sizeof(now.c_cc), c->before.c_cc, sizeof(c->before.c_cc));
}

static gboolean pty_cli_is_raw(gpointer data) {
        PtyCli *c = data;
        struct termios t;

        pty_cli_read_some(c, 0);
        return tcgetattr(c->master, &t) == 0 && !(t.c_lflag & (ICANON | ECHO | ISIG));
}

static void pty_cli_clear(PtyCli *c) {
        if (c->pid > 0 && c->code < 0) {
                (void) kill(c->pid, SIGKILL);
                (void) waitpid(c->pid, NULL, 0);
        }
        if (c->out)
                g_string_free(c->out, TRUE);
        if (c->master >= 0)
                close(c->master);
        if (c->slave >= 0)
                close(c->slave);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PtyCli, pty_cli_clear)

/* ---------------------------------------------------------- run --pty */

static void test_pty_answers_typed_input(PcFixture *fx) {
        g_auto(PtyCli) c = {};

        pty_cli_start(&c, fx, 24, 80, NULL,
                      ARGS("run", "--pty", "--", "sh", "-c", "echo ready; read x; echo got:$x"));
        pty_cli_expect(&c, "ready");
        /* Our terminal is raw now: the Enter key is a "\r", which the child's
         * terminal turns into the end of a line. */
        g_assert_true(pty_cli_is_raw(&c));
        pty_cli_type(&c, "hello\r");
        pty_cli_expect(&c, "got:hello\r\n");
        g_assert_cmpint(pty_cli_wait(&c), ==, 0);
        pty_cli_assert_modes_restored(&c);
}

static void test_pty_size_follows_resize(PcFixture *fx) {
        struct winsize ws = { .ws_row = 40, .ws_col = 120 };
        g_auto(PtyCli) c = {};

        pty_cli_start(&c, fx, 30, 100, NULL,
                      ARGS("run", "-t", "--", "sh", "-c",
                           "trap 'echo size:$(stty size)' WINCH; echo init:$(stty size); "
                           "while :; do sleep 0.05; done"));
        pty_cli_expect(&c, "init:30 100\r\n");

        /* The kernel sends SIGWINCH to procctl, the foreground process of
         * the resized terminal; once more by hand does no harm. */
        g_assert_cmpint(ioctl(c.master, TIOCSWINSZ, &ws), ==, 0);
        g_assert_cmpint(kill(c.pid, SIGWINCH), ==, 0);
        pty_cli_expect(&c, "size:40 120\r\n");

        /* Ctrl-C is a byte in raw mode: the child's terminal makes it SIGINT. */
        pty_cli_type(&c, "\003");
        g_assert_cmpint(pty_cli_wait(&c), ==, 128 + SIGINT);
        pty_cli_assert_modes_restored(&c);
}

typedef struct {
        const char *name;
        const char *const *argv;
        int code;
} PtyExitCase;

static const PtyExitCase pty_exit_cases[] = {
        { "exited-7",         ARGS("run", "--pty", "--", "sh", "-c", "exit 7"),          7 },
        { "killed-by-SIGTERM", ARGS("run", "--pty", "--", "sh", "-c", "kill -TERM $$"), 128 + SIGTERM },
        { "not-found",        ARGS("run", "--pty", "--", "/nonexistent/program"),        127 },
        { "drains-output",    ARGS("run", "--pty", "--", "sh", "-c", "seq 1 20000; echo the-end; exit 3"), 3 },
};

static void test_pty_exit_code(PcFixture *fx, gconstpointer data) {
        const PtyExitCase *e = data;
        g_auto(PtyCli) c = {};

        pty_cli_start(&c, fx, 24, 80, NULL, e->argv);
        g_assert_cmpint(pty_cli_wait(&c), ==, e->code);
        pty_cli_assert_modes_restored(&c);
        if (e->code == 127)
                g_assert_nonnull(strstr(c.out->str, "No such file or directory"));
        if (e->code == 3) {
                /* Everything the child wrote before it exited, in order. */
                g_assert_nonnull(strstr(c.out->str, "\r\n19999\r\n20000\r\nthe-end\r\n"));
        }
}

/* SIGTERM is forwarded to the child (which dies of it); SIGALRM, which
 * procctl does not forward, kills procctl itself; either way the terminal
 * is restored. */
static void test_pty_restored_after_signals(PcFixture *fx) {
        for (int i = 0; i < 2; i++) {
                int sig = i == 0 ? SIGTERM : SIGALRM;
                g_auto(PtyCli) c = {};

                pty_cli_start(&c, fx, 24, 80, NULL, ARGS("run", "--pty", "--", "sh", "-c", "echo ready; exec sleep 100"));
                pty_cli_expect(&c, "ready");
                if (!pc_poll_until(pty_cli_is_raw, &c, PC_TIMEOUT_MS))
                        pc_fail("procctl did not make its terminal raw");
                g_assert_cmpint(kill(c.pid, sig), ==, 0);
                g_assert_cmpint(pty_cli_wait(&c), ==, 128 + sig);
                pty_cli_assert_modes_restored(&c);
        }
}

static void test_pty_as_another_user(PcFixture *fx) {
        g_auto(PtyCli) c = {};

        /* Writing to /dev/tty works only with a controlling terminal. */
        pty_cli_start(&c, fx, 24, 80, NULL,
                      ARGS("run", "--pty", "-u", "nobody", "--", "sh", "-c",
                           "echo user:$(id -un); echo ctty-ok >/dev/tty; read x; echo got:$x"));
        pty_cli_expect(&c, "user:nobody\r\n");
        pty_cli_expect(&c, "ctty-ok\r\n");
        pty_cli_type(&c, "typed\r");
        pty_cli_expect(&c, "got:typed\r\n");
        g_assert_cmpint(pty_cli_wait(&c), ==, 0);
        g_assert_null(strstr(c.out->str, "procctl:"));
        pty_cli_assert_modes_restored(&c);
}

/* A child holding a pty as its controlling terminal: the terminal is in use. */
static pid_t hold_as_controlling_terminal(int slave) {
        pid_t pid = fork();

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                /* Gone with the test, even one that fails half-way. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                        _exit(1);
                for (;;)
                        pause();
        }
        return pid;
}

/* Asked of the master: asked of the slave, TIOCGSID answers only the
 * terminal's own session. */
static gboolean has_session(gpointer data) {
        pid_t sid;
        return ioctl(GPOINTER_TO_INT(data), TIOCGSID, &sid) == 0;
}

static int spawn_with_stdin(procctl_client *client, int fd, const char *user, procctl_error *error) {
        procctl_spawn_options *o = NULL;
        procctl_process *p = NULL;
        procctl_exit x;
        int r;

        g_assert_cmpint(procctl_spawn_options_new(&o), ==, 0);
        g_assert_cmpint(procctl_spawn_options_set_stdin(o, fd), ==, 0);
        if (user)
                g_assert_cmpint(procctl_spawn_options_set_user(o, user), ==, 0);
        r = procctl_spawn(client, (char *const *) ARGS("/bin/true"), o, &p, error);
        if (r >= 0) {
                g_assert_cmpint(procctl_process_wait(p, &x, NULL), ==, 0);
                g_assert_cmpint(x.reason, ==, PROCCTL_EXIT_EXITED);
                g_assert_cmpint(x.status, ==, 0);
        }
        procctl_process_unref(p);
        procctl_spawn_options_free(o);
        return r;
}

static void test_in_use_terminal_refused_across_users(PcFixture *fx) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_client *client = NULL;
        int master, slave, fresh_master, fresh_slave, status;
        pid_t holder;

        pc_fixture_export_bus_address(fx);
        g_assert_cmpint(procctl_client_new_system(&client), ==, 0);
        g_assert_cmpint(openpty(&master, &slave, NULL, NULL, NULL), ==, 0);
        g_assert_cmpint(openpty(&fresh_master, &fresh_slave, NULL, NULL, NULL), ==, 0);

        holder = hold_as_controlling_terminal(slave);
        if (!pc_poll_until(has_session, GINT_TO_POINTER(master), PC_TIMEOUT_MS))
                pc_fail("the helper did not take the terminal");

        /* In use, to another user: refused. */
        g_assert_cmpint(spawn_with_stdin(client, slave, "nobody", &error), ==, -EACCES);
        g_assert_true(procctl_error_has_name(&error, "org.freedesktop.DBus.Error.AccessDenied"));
        g_assert_nonnull(strstr(error.message, "stdin"));
        procctl_error_clear(&error);

        /* In use, to the caller's own process: fine (it is the caller's terminal). */
        g_assert_cmpint(spawn_with_stdin(client, slave, NULL, &error), ==, 0);
        /* Fresh, to another user: fine (what `procctl run --pty -u` does). */
        g_assert_cmpint(spawn_with_stdin(client, fresh_slave, "nobody", &error), ==, 0);
        g_assert_false(procctl_error_is_set(&error));

        g_assert_cmpint(kill(holder, SIGKILL), ==, 0);
        g_assert_cmpint(waitpid(holder, &status, 0), ==, holder);
        procctl_client_unref(client);
        close(master);
        close(slave);
        close(fresh_master);
        close(fresh_slave);
}

/* ------------------------------------------------ as a person meets it */

/* The README's example, typed at a terminal: another user never gets this
 * terminal, so procctl relays it through pipes, and it works. */
static void test_readme_run_as_another_user(PcFixture *fx) {
        g_auto(PtyCli) c = {};

        pty_cli_start(&c, fx, 24, 80, NULL, ARGS("run", "-u", "nobody", "-C", "/tmp", "-E", "LANG=C", "--", "id"));
        g_assert_cmpint(pty_cli_wait(&c), ==, 0);
        g_assert_nonnull(strstr(c.out->str, "uid=65534(nobody)"));
        g_assert_null(strstr(c.out->str, "procctl:"));
        pty_cli_assert_modes_restored(&c);
}

static void test_another_user_reads_typed_input(PcFixture *fx) {
        g_auto(PtyCli) c = {};

        /* The child sees pipes, not a terminal; what is typed (a line, as our
         * terminal is not raw) reaches it, and its output and errors come back. */
        pty_cli_start(&c, fx, 24, 80, NULL,
                      ARGS("run", "-u", "nobody", "--", "sh", "-c",
                           "test -t 0 || echo stdin-not-a-tty; echo ready; read x; echo got:$x; echo err:$x >&2; exit 6"));
        pty_cli_expect(&c, "ready");
        pty_cli_type(&c, "hello\n");
        g_assert_cmpint(pty_cli_wait(&c), ==, 6);
        g_assert_nonnull(strstr(c.out->str, "stdin-not-a-tty"));
        g_assert_nonnull(strstr(c.out->str, "got:hello"));
        g_assert_nonnull(strstr(c.out->str, "err:hello"));

        /* Stdin a file and stdout the terminal: only the terminal is relayed. */
        g_auto(PtyCli) d = {};
        pty_cli_start(&d, fx, 24, 80, NULL,
                      ARGS("!sh", "exec \"$PROCCTL\" run -u nobody -- sh -c 'cat; test -t 1 || echo out-is-a-pipe' </etc/hostname"));
        g_assert_cmpint(pty_cli_wait(&d), ==, 0);
        g_assert_nonnull(strstr(d.out->str, "out-is-a-pipe"));
}

static void test_pty_passes_term(PcFixture *fx) {
        g_auto(PtyCli) c = {};

        pty_cli_start(&c, fx, 24, 80, ARGS("COLORTERM=truecolor"),
                      ARGS("run", "--pty", "--", "sh", "-c", "echo term:$TERM/$COLORTERM"));
        g_assert_cmpint(pty_cli_wait(&c), ==, 0);
        g_assert_nonnull(strstr(c.out->str, "term:xterm/truecolor"));

        /* -E says otherwise: it wins. */
        g_auto(PtyCli) d = {};
        pty_cli_start(&d, fx, 24, 80, NULL, ARGS("run", "-t", "-E", "TERM=vt100", "--", "sh", "-c", "echo term:$TERM"));
        g_assert_cmpint(pty_cli_wait(&d), ==, 0);
        g_assert_nonnull(strstr(d.out->str, "term:vt100"));
}

static void test_pty_appends_to_redirected_output(PcFixture *fx) {
        g_autofree char *log = pc_fixture_out_path(fx, "log");
        g_autofree char *script = g_strdup_printf("exec \"$PROCCTL\" run --pty -- echo hello </dev/null >>'%s'", log);
        g_autofree char *contents = NULL;
        g_auto(PtyCli) c = {};

        g_assert_true(g_file_set_contents(log, "first line, kept\n", -1, NULL));
        pty_cli_start(&c, fx, 24, 80, NULL, ARGS("!sh", script));
        g_assert_cmpint(pty_cli_wait(&c), ==, 0);
        g_assert_true(g_file_get_contents(log, &contents, NULL, NULL));
        g_assert_true(g_str_has_prefix(contents, "first line, kept\nhello"));
}

/* ------------------------------------------------------- color and pager */

/* One running and one failed process, so both colors would show. */
static char *make_processes(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *running = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "100"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        g_autofree char *failed = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "exit 3"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, failed, "exited", 3);
        return g_strdup(failed + strlen(PC_PROCESS_PREFIX));
}

/* procctl with argv on a terminal of the test's; returns what it showed. */
static char *on_terminal(PcFixture *fx, const char *const *env, const char *const *argv, int expect_code) {
        g_auto(PtyCli) c = {};

        pty_cli_start(&c, fx, 24, 200, env, argv);
        g_assert_cmpint(pty_cli_wait(&c), ==, expect_code);
        return g_strdup(c.out->str);
}

/* procctl with argv, stdout a pipe. */
static char *piped(PcFixture *fx, const char *const *env, const char *const *argv) {
        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_autoptr(GSubprocess) p = NULL;
        g_autoptr(GError) error = NULL;
        char *out = NULL;

        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", fx->bus_address, TRUE);
        g_subprocess_launcher_setenv(l, "TERM", "xterm", TRUE);
        g_subprocess_launcher_unsetenv(l, "NO_COLOR");
        g_subprocess_launcher_unsetenv(l, "SYSTEMD_PAGER");
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
        g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_subprocess_get_if_exited(p));
        g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
        return out;
}

#define ESC "\033["

static void test_color_only_on_a_terminal(PcFixture *fx) {
        g_autofree char *failed = make_processes(fx);

        /* On a terminal: the header in bold, running green, the failure red. */
        g_autofree char *list = on_terminal(fx, NULL, ARGS("--no-pager", "list"), 0);
        g_assert_nonnull(strstr(list, ESC "0;1;39mID"));
        g_assert_nonnull(strstr(list, ESC "0;1;32mrunning"));
        g_assert_nonnull(strstr(list, ESC "0;1;31mexited 3"));
        g_autofree char *status = on_terminal(fx, NULL, ARGS("--no-pager", "status", failed), 0);
        g_assert_nonnull(strstr(status, ESC "0;1;31mexited with 3" ESC "0m"));

        /* Never in a pipe, with NO_COLOR, or on a dumb terminal. */
        const char *const *no_color_envs[] = { ARGS("NO_COLOR=1"), ARGS("TERM=dumb") };
        for (size_t i = 0; i < G_N_ELEMENTS(no_color_envs); i++) {
                g_autofree char *l = on_terminal(fx, no_color_envs[i], ARGS("--no-pager", "list"), 0);
                g_autofree char *s = on_terminal(fx, no_color_envs[i], ARGS("--no-pager", "status", failed), 0);
                g_assert_null(strchr(l, '\033'));
                g_assert_null(strchr(s, '\033'));
                g_assert_nonnull(strstr(l, "exited 3"));
                g_assert_nonnull(strstr(s, "exited with 3"));
        }
        g_autofree char *pl = piped(fx, NULL, ARGS("list"));
        g_autofree char *ps = piped(fx, NULL, ARGS("status", failed));
        g_assert_null(strchr(pl, '\033'));
        g_assert_null(strchr(ps, '\033'));
        g_assert_nonnull(strstr(pl, "exited 3"));
        g_assert_nonnull(strstr(ps, "exited with 3"));
}

static void test_pager_only_on_a_terminal(PcFixture *fx) {
        g_autofree char *failed = make_processes(fx);
        g_autofree char *mark = pc_fixture_out_path(fx, "pager-ran");
        g_autofree char *pager = g_strdup_printf("PAGER=echo \"$LESS\" >%s; sed 's/^/paged: /'", mark);
        const char *const env[] = { pager, NULL };

        /* Piped: no pager. */
        g_autofree char *pl = piped(fx, env, ARGS("list"));
        g_autofree char *ps = piped(fx, env, ARGS("status", failed));
        g_assert_false(g_file_test(mark, G_FILE_TEST_EXISTS));
        g_assert_null(strstr(pl, "paged: "));
        g_assert_nonnull(strstr(pl, "exited 3"));
        g_assert_nonnull(strstr(ps, "exited with 3"));

        /* On a terminal with --no-pager: none either. */
        g_autofree char *np = on_terminal(fx, env, ARGS("list", "--no-pager"), 0);
        g_assert_false(g_file_test(mark, G_FILE_TEST_EXISTS));
        g_assert_nonnull(strstr(np, "exited 3"));

        /* On a terminal: every line through $PAGER, with LESS set as systemctl does. */
        g_autofree char *t = on_terminal(fx, env, ARGS("list"), 0);
        g_assert_true(g_file_test(mark, G_FILE_TEST_EXISTS));
        g_assert_true(g_regex_match_simple("^paged: .*ID.*PID", t, G_REGEX_MULTILINE, 0));
        g_assert_nonnull(strstr(t, "paged: "));
        g_assert_nonnull(strstr(t, "exited 3"));
        g_autofree char *less = NULL;
        g_assert_true(g_file_get_contents(mark, &less, NULL, NULL));
        g_assert_cmpstr(less, ==, "FRSXMK\n");
        g_assert_cmpint(unlink(mark), ==, 0);

        /* SYSTEMD_PAGER first; "cat" or "" means none. */
        const char *const cat_env[] = { pager, "SYSTEMD_PAGER=cat", NULL };
        g_autofree char *c = on_terminal(fx, cat_env, ARGS("status", failed), 0);
        g_assert_false(g_file_test(mark, G_FILE_TEST_EXISTS));
        g_assert_nonnull(strstr(c, "exited with 3"));

        /* The default pager, less, quits at once on output that fits (-F). */
        if (g_find_program_in_path("less")) {
                g_autofree char *d = on_terminal(fx, ARGS("PAGER"), ARGS("list"), 0);
                g_assert_nonnull(strstr(d, "exited 3"));
        }
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/terminal/pty/answers-typed-input", 0, test_pty_answers_typed_input);
        pc_test_add("/terminal/pty/size-follows-resize", 0, test_pty_size_follows_resize);
        for (size_t i = 0; i < G_N_ELEMENTS(pty_exit_cases); i++) {
                g_autofree char *name = g_strdup_printf("/terminal/pty/exit-code/%s", pty_exit_cases[i].name);
                pc_test_add_data(name, 0, test_pty_exit_code, &pty_exit_cases[i]);
        }
        pc_test_add("/terminal/pty/restored-after-signals", 0, test_pty_restored_after_signals);
        pc_test_add("/terminal/pty/as-another-user", PC_FIXTURE_NEEDS_ROOT, test_pty_as_another_user);
        pc_test_add("/terminal/in-use-terminal-refused-across-users", PC_FIXTURE_NEEDS_ROOT,
                    test_in_use_terminal_refused_across_users);
        pc_test_add("/terminal/readme-run-as-another-user", PC_FIXTURE_NEEDS_ROOT, test_readme_run_as_another_user);
        pc_test_add("/terminal/another-user-through-pipes", PC_FIXTURE_NEEDS_ROOT, test_another_user_reads_typed_input);
        pc_test_add("/terminal/pty/passes-term", 0, test_pty_passes_term);
        pc_test_add("/terminal/pty/appends-to-redirected-output", 0, test_pty_appends_to_redirected_output);
        pc_test_add("/terminal/output/color-only-on-a-terminal", 0, test_color_only_on_a_terminal);
        pc_test_add("/terminal/output/pager-only-on-a-terminal", 0, test_pager_only_on_a_terminal);

        return g_test_run();
}
