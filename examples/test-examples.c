/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The caller examples, run as a user would run them against the test daemon
 * (tests/fixture.h: a private system-type bus with procctld on it), with
 * DBUS_SYSTEM_BUS_ADDRESS pointing at that bus.  Each must exit 0, print
 * exactly the expected lines, and leave the daemon as it found it: every
 * process it started ended the way it says, seen independently through the
 * ProcessExited signals, and released.
 *
 * Arguments (given by examples/meson.build): the C program, then the Python
 * script; the fixture's environment variables as for every integration test.
 */

#include <string.h>

#include "fixture.h"

static gboolean three_signals(gpointer user_data) {
        GPtrArray *signals = user_data;
        return signals->len >= 3;
}

static void run_example(PcFixture *fx, const char *program) {
        g_autoptr(GError) error = NULL;
        g_autoptr(PcSignalRecorder) exits =
                pc_signal_recorder_new(fx, PC_MANAGER_IFACE, "ProcessExited", PC_MANAGER_PATH);

        if (!g_file_test(program, G_FILE_TEST_IS_EXECUTABLE))
                pc_fail("%s is not an executable file", program);

        /* Only what a user's session would give it: the bus, PATH, a locale. */
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", fx->bus_address);
        const char *const envp[] = { bus_env, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL };

        g_autoptr(GSubprocessLauncher) launcher =
                g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_subprocess_launcher_set_environ(launcher, (char **) envp);
        g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawn(launcher, &error, program, NULL);
        g_assert_no_error(error);

        g_autofree char *out = NULL, *err = NULL;
        g_subprocess_communicate_utf8(proc, NULL, NULL, &out, &err, &error);
        g_assert_no_error(error);

        g_test_message("%s printed:\n%s%s", program, out, err);
        if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != 0)
                pc_fail("%s did not exit with 0 (wait status 0x%x); stderr:\n%s", program,
                        (unsigned) g_subprocess_get_status(proc), err);
        g_assert_cmpstr(err, ==, "");

        /* The daemon was fresh, so the example's processes are 1, 2 and 3. */
        static const char *const expected[] = {
                "^procctld " PROCCTL_EXPECTED_VERSION " \\((clone3-pidfd|fallback-pid)( [a-z0-9-]+)*\\)$",
                "^spawned 1 \\(pid [0-9]+\\): echo hello from procctl$",
                "^hello from procctl$",
                "^1: exited 0$",
                "^spawned 2 \\(pid [0-9]+\\): sleep 60$",
                "^2: sent SIGTERM$",
                "^2: killed 15$",
                "^spawned 3 \\(pid [0-9]+\\): sh -c exit 3$",
                "^3: exited 3$",
                "^cannot spawn /nonexistent/program: org\\.procctl\\.Error\\.ExecFailed: "
                        "ENOENT: execve\\(\"/nonexistent/program\"\\): No such file or directory$",
        };
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        guint n_lines = g_strv_length(lines);
        /* The last line ends with a newline: one empty string after it. */
        g_assert_cmpuint(n_lines, ==, G_N_ELEMENTS(expected) + 1);
        g_assert_cmpstr(lines[n_lines - 1], ==, "");
        /* echo writes to the example's stdout as soon as it runs, which can be
         * before the example, answered by Spawn, prints "spawned 1". */
        if (g_regex_match_simple(expected[2], lines[1], 0, 0)) {
                char *t = lines[1];
                lines[1] = lines[2];
                lines[2] = t;
        }
        for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
                if (!g_regex_match_simple(expected[i], lines[i], 0, 0))
                        pc_fail("line %u of the output is \"%s\", expected to match %s", i + 1, lines[i], expected[i]);

        /* What the example printed is what happened. */
        GPtrArray *signals = pc_signal_recorder_signals(exits);
        if (!pc_poll_until(three_signals, signals, PC_TIMEOUT_MS))
                pc_fail("saw %u ProcessExited signals, expected 3", signals->len);
        g_assert_cmpuint(signals->len, ==, 3);
        static const struct {
                const char *path, *reason;
                gint32 status;
        } ends[] = {
                { PC_PROCESS_PREFIX "1", "exited", 0 },
                { PC_PROCESS_PREFIX "2", "killed", 15 },
                { PC_PROCESS_PREFIX "3", "exited", 3 },
        };
        for (guint i = 0; i < G_N_ELEMENTS(ends); i++) {
                const PcRecordedSignal *s = g_ptr_array_index(signals, i);
                const char *path, *reason;
                gint32 status;

                g_variant_get(s->params, "(&o&si)", &path, &reason, &status);
                g_assert_cmpstr(path, ==, ends[i].path);
                g_assert_cmpstr(reason, ==, ends[i].reason);
                g_assert_cmpint(status, ==, ends[i].status);
        }

        /* Everything released: nothing left behind, and no failed spawn left an object. */
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

static const char *example_c, *example_python;

static void test_c(PcFixture *fx) {
        run_example(fx, example_c);
}

static void test_python(PcFixture *fx) {
        run_example(fx, example_python);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        if (argc != 3) {
                g_printerr("usage: %s C-EXAMPLE PYTHON-EXAMPLE (run through `meson test`)\n", argv[0]);
                return 1;
        }
        example_c = argv[1];
        example_python = argv[2];
        pc_test_add("/examples/c-gdbus-codegen/spawn-wait-signal-release", PC_FIXTURE_DEFAULT, test_c);
        pc_test_add("/examples/python-gi/spawn-wait-signal-release", PC_FIXTURE_DEFAULT, test_python);
        return g_test_run();
}
