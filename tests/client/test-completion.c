/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The bash completion of procctl (data/completion/procctl), run by bash
 * against a real procctld: what a user gets after pressing Tab.  With
 * bash-completion's own functions loaded when installed, and without.
 */

#include <signal.h>
#include <sys/wait.h>

#include "fixture.h"

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* The sorted, de-duplicated words bash offers for the command line words
 * (the last one being completed). */
static char *complete(PcFixture *fx, gboolean with_bash_completion, const char *const *words) {
        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                     G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_autoptr(GSubprocess) p = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_path_get_dirname(g_getenv("PROCCTL"));
        g_autofree char *path = g_strdup_printf("%s:%s", dir, g_getenv("PATH"));
        g_autofree char *err = NULL;
        char *out = NULL;

        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", fx->bus_address, TRUE);
        g_subprocess_launcher_setenv(l, "PATH", path, TRUE);
        g_subprocess_launcher_setenv(l, "COMPLETION", g_getenv("PROCCTL_COMPLETION"), TRUE);
        g_subprocess_launcher_setenv(l, "WITH_BC", with_bash_completion ? "1" : "", TRUE);
        g_ptr_array_add(args, (gpointer) "bash");
        g_ptr_array_add(args, (gpointer) "-c");
        g_ptr_array_add(args, (gpointer)
                "if [ -n \"$WITH_BC\" ]; then . /usr/share/bash-completion/bash_completion; fi; "
                ". \"$COMPLETION\"; "
                "COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; "
                "compopt() { :; }; "  /* outside a real completion, compopt complains */
                "_procctl; printf '%s\\n' \"${COMPREPLY[@]}\" | sort -u");
        g_ptr_array_add(args, (gpointer) "bash");
        for (const char *const *w = words; *w; w++)
                g_ptr_array_add(args, (gpointer) *w);
        g_ptr_array_add(args, NULL);

        p = g_subprocess_launcher_spawnv(l, (const char *const *) args->pdata, &error);
        g_assert_no_error(error);
        g_subprocess_communicate_utf8(p, NULL, NULL, &out, &err, &error);
        g_assert_no_error(error);
        g_assert_true(g_subprocess_get_if_exited(p));
        if (g_subprocess_get_exit_status(p) != 0 || *err)
                pc_fail("bash failed: %s", err);
        return out;
}

static void check(PcFixture *fx, const char *const *words, const char *expected) {
        for (int bc = 0; bc <= 1; bc++) {
                if (bc && !g_file_test("/usr/share/bash-completion/bash_completion", G_FILE_TEST_EXISTS))
                        continue;
                g_autofree char *got = complete(fx, bc, words);
                g_autofree char *line = g_strjoinv(" ", (char **) words);
                if (g_strcmp0(got, expected) != 0)
                        pc_fail("'%s|' (bash-completion %s) offered:\n%s\nexpected:\n%s", line, bc ? "loaded" : "not loaded",
                                got, expected);
        }
}

static char *spawn(PcFixture *fx, const char *const *argv) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, argv, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        return g_strdup(path + strlen(PC_PROCESS_PREFIX));
}

static void test_commands_and_options(PcFixture *fx) {
        check(fx, ARGS("procctl", ""),
              "adopt\nfreeze\nkill\nlist\nlogs\nrelease\nrestart\nrun\nsignal\nspawn\nstatus\nstop\nthaw\ntop\nwait\n");
        check(fx, ARGS("procctl", "spawn", "--restart-d"), "--restart-delay-max=\n--restart-delay=\n");
        check(fx, ARGS("procctl", "logs", "--f"), "--follow\n");
        check(fx, ARGS("procctl", "spawn", "--out"), "--output-max=\n--output=capture\n");
        check(fx, ARGS("procctl", "--no-"), "--no-ask-password\n--no-pager\n");
        check(fx, ARGS("procctl", "list", "--no-"), "--no-ask-password\n--no-legend\n--no-pager\n");
        check(fx, ARGS("procctl", "run", "--p"), "--pipe\n--property=\n--pty\n");
        check(fx, ARGS("procctl", "run", "--w"), "--working-directory=\n");
        check(fx, ARGS("procctl", "spawn", "--sa"), "--same-dir\n");
        check(fx, ARGS("procctl", "list", "--state="), "exited\nrunning\n");
        check(fx, ARGS("procctl", "list", "--st"), "--state=\n");
        check(fx, ARGS("procctl", "list", "--user=roo"), "root\n");
        check(fx, ARGS("procctl", "release", "--al"), "--all\n");
        check(fx, ARGS("procctl", "adopt", "--d"), "--description=\n");
        check(fx, ARGS("procctl", "spawn", "--p"), "--property=\n");
        check(fx, ARGS("procctl", "spawn", "-p", "CPU"), "CPUQuota=\nCPUWeight=\n");
        check(fx, ARGS("procctl", "run", "--property=KillMode=p"), "KillMode=process\n");
        check(fx, ARGS("procctl", "top", "--"), "--address=\n--batch\n--delay=\n--help\n--host=\n--iterations=\n--machine=\n"
                                             "--no-ask-password\n--no-pager\n--quiet\n--system\n--user\n--version\n");
        check(fx, ARGS("procctl", "list", "--json="), "pretty\nshort\n");
        check(fx, ARGS("procctl", "run", "-u", "roo"), "root\n");
}

static void test_signal_names(PcFixture *fx) {
        check(fx, ARGS("procctl", "kill", "-s", "USR"), "USR1\nUSR2\n");
        check(fx, ARGS("procctl", "kill", "--signal=SIGTE"), "SIGTERM\n");

        /* Every name offered is one procctl takes (exit 1: it got as far as
         * connecting; 2 would be "unknown signal"), and bash's pseudo-signals
         * are not offered. */
        g_autofree char *all = complete(fx, FALSE, ARGS("procctl", "kill", "-s", ""));
        g_auto(GStrv) names = g_strsplit(g_strchomp(all), "\n", 0);
        g_assert_cmpint(g_strv_length(names), >, 60);
        for (char **n = names; *n; n++) {
                g_autofree char *err = NULL;
                int status;

                g_assert_null(strstr(*n, "JUNK"));
                g_assert_false(g_str_equal(*n, "EXIT") || g_str_equal(*n, "DEBUG") || g_str_equal(*n, "ERR") ||
                               g_str_equal(*n, "RETURN"));
                const char *argv[] = { g_getenv("PROCCTL"), "--address=unix:path=/nonexistent", "kill", "-s", *n, "1", NULL };
                g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                                           &err, &status, NULL));
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
                        pc_fail("completion offered signal '%s', which procctl refused: %s", *n, err);
        }
}

static void test_command_line_of_run(PcFixture *fx) {
        /* After "--", the command to run; then its arguments, files here. */
        g_autofree char *cmds = complete(fx, FALSE, ARGS("procctl", "run", "-t", "--", "procct"));
        g_assert_nonnull(strstr(cmds, "procctl\n"));
        check(fx, ARGS("procctl", "spawn", "--", "ls", "/proc/self/fdinf"), "/proc/self/fdinfo\n");
}

static void test_process_ids(PcFixture *fx) {
        g_autofree char *running = spawn(fx, PC_ARGV("/bin/sleep", "100"));
        g_autofree char *ended = spawn(fx, PC_ARGV("/bin/sh", "-c", "exit 3"));
        g_autofree char *ended_path = g_strconcat(PC_PROCESS_PREFIX, ended, NULL);
        g_autofree char *r = g_strdup_printf("%s\n", running);
        g_autofree char *e = g_strdup_printf("%s\n", ended);
        g_autofree char *all = g_strdup_printf("%s\n%s\n", running, ended);

        pc_assert_wait_result(fx, ended_path, "exited", 3);
        check(fx, ARGS("procctl", "kill", ""), r);
        check(fx, ARGS("procctl", "stop", ""), r);
        check(fx, ARGS("procctl", "wait", ""), r);
        check(fx, ARGS("procctl", "release", ""), e);
        check(fx, ARGS("procctl", "status", ""), all);
        /* The bus the command line names: nothing is on this one. */
        check(fx, ARGS("procctl", "--address=unix:path=/nonexistent", "status", ""), "\n");
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/completion/commands-and-options", 0, test_commands_and_options);
        pc_test_add("/completion/signal-names", 0, test_signal_names);
        pc_test_add("/completion/command-line-of-run", 0, test_command_line_of_run);
        pc_test_add("/completion/process-ids", 0, test_process_ids);

        return g_test_run();
}
