/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl-exec, run by hand as procctld runs it.
 *
 * It gives the program every supplementary group it is handed, however many
 * (the kernel allows 65536; musl, which builds procctl-exec where it is
 * installed, says 32 in its <limits.h>).
 *
 * It takes the controlling terminal (`tty`) with the target user's
 * credentials, after its identity switch.
 *
 * Through the bus this cannot be seen: Spawn refuses a `tty` stdin not open
 * for reading and writing (tests/hostile), and on a descriptor open for both
 * the kernel's TIOCSCTTY (argument 0, never stealing) asks nothing of the
 * caller's credentials, whatever the terminal's owner and mode.  The one
 * check that does depend on them is the one that matters here: a terminal
 * open write-only becomes the controlling terminal only for CAP_SYS_ADMIN.
 * So procctl-exec is run by hand, as procctld runs it (a session leader,
 * stdin a write-only pty slave, a status pipe), once as root and once to
 * become nobody: as root the terminal is taken, as nobody TIOCSCTTY fails
 * with EPERM and procctl-exec reports it, which it would not were the ioctl
 * made before the switch.
 *
 * Needs root; PROCCTL_EXEC names the built procctl-exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "spawn.h"

#define NOBODY 65534

typedef struct {
        int status;      /* waitpid's */
        int report;      /* spawn_read_status's: 0 (exec done) or 1 (failed) */
        SpawnFailure failure;
} ExecResult;

/* procctl-exec "/bin/true" with stdin a write-only slave of a fresh pty. */
static ExecResult run_exec(gboolean as_nobody) {
        const char *helper = g_getenv("PROCCTL_EXEC");
        unsigned flags = EXEC_FLAG_CONTROLLING_TTY | (as_nobody ? EXEC_FLAG_SWITCH_IDENTITY : 0);
        g_autofree char *numbers = g_strdup_printf("%u %u 22 %u 3 -1 1024 1024 0 1 0", as_nobody ? NOBODY : 0,
                                                   as_nobody ? NOBODY : 0, flags);
        char *const argv[] = { "procctl-exec", numbers, "/", "/bin/true", "true", "", NULL };
        char *const envp[] = { NULL };
        ExecResult res = {};
        int status[2];

        g_assert_nonnull(helper);
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        g_assert_cmpint(master, >=, 0);
        g_assert_cmpint(grantpt(master), ==, 0);
        g_assert_cmpint(unlockpt(master), ==, 0);
        int slave = open(ptsname(master), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        g_assert_cmpint(slave, >=, 0);
        g_assert_cmpint(pipe2(status, O_CLOEXEC), ==, 0);

        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                /* What procctld's child has done before it execs procctl-exec. */
                if (setsid() < 0 || dup2(slave, 0) != 0 || dup2(status[1], 3) != 3)
                        _exit(126);
                execve(helper, argv, envp);
                _exit(126);
        }
        close(status[1]);
        close(slave);
        g_assert_cmpint(waitpid(pid, &res.status, 0), ==, pid);
        res.report = spawn_read_status(status[0], &res.failure);
        close(status[0]);
        close(master);
        return res;
}

static gboolean have_root(void) {
        if (geteuid() == 0)
                return TRUE;
        g_test_skip("needs root: switches to nobody");
        return FALSE;
}

static void test_root_takes_write_only_terminal(void) {
        if (!have_root())
                return;
        /* The kernel lets root make a write-only terminal its controlling one. */
        ExecResult res = run_exec(FALSE);
        g_assert_cmpint(res.report, ==, 0);
        g_assert_true(WIFEXITED(res.status));
        g_assert_cmpint(WEXITSTATUS(res.status), ==, 0);
}

static void test_nobody_cannot_take_write_only_terminal(void) {
        if (!have_root())
                return;
        ExecResult res = run_exec(TRUE);
        g_assert_cmpint(res.report, ==, 1);
        g_assert_cmpint(res.failure.stage, ==, SPAWN_STAGE_TTY);
        g_assert_cmpint(res.failure.error, ==, EPERM);
        g_assert_true(WIFEXITED(res.status));
        g_assert_cmpint(WEXITSTATUS(res.status), ==, 127);
}

/* As nobody with 100 supplementary groups: the program has them all. */
#define MANY_GROUPS 100
static void test_every_group_reaches_the_program(void) {
        if (!have_root())
                return;
        const char *helper = g_getenv("PROCCTL_EXEC");
        g_autofree char *numbers = g_strdup_printf("%u %u 22 %u 3 -1 1024 1024 %d 2 0", NOBODY, NOBODY,
                                                   EXEC_FLAG_SWITCH_IDENTITY, MANY_GROUPS);
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) want = g_string_new(NULL);
        int out[2], status[2], wstatus;

        g_ptr_array_add(args, g_strdup("procctl-exec"));
        g_ptr_array_add(args, g_strdup(numbers));
        g_ptr_array_add(args, g_strdup("/"));
        g_ptr_array_add(args, g_strdup("/bin/cat"));
        for (int i = 0; i < MANY_GROUPS; i++) {
                g_ptr_array_add(args, g_strdup_printf("%d", 40000 + i));
                g_string_append_printf(want, "%s%d", i ? " " : "", 40000 + i);
        }
        g_ptr_array_add(args, g_strdup("cat"));
        g_ptr_array_add(args, g_strdup("/proc/self/status"));
        g_ptr_array_add(args, g_strdup("")); /* the end of the program's arguments */
        g_ptr_array_add(args, NULL);

        g_assert_nonnull(helper);
        g_assert_cmpint(pipe2(out, O_CLOEXEC), ==, 0);
        g_assert_cmpint(pipe2(status, O_CLOEXEC), ==, 0);
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                if (setsid() < 0 || dup2(out[1], 1) != 1 || dup2(status[1], 3) != 3)
                        _exit(126);
                execve(helper, (char **) args->pdata, (char *[]) { NULL });
                _exit(126);
        }
        close(out[1]);
        close(status[1]);
        g_autoptr(GString) text = g_string_new(NULL);
        char buf[4096];
        ssize_t n;
        while ((n = read(out[0], buf, sizeof(buf))) > 0)
                g_string_append_len(text, buf, n);
        close(out[0]);
        g_assert_cmpint(waitpid(pid, &wstatus, 0), ==, pid);
        SpawnFailure failure = {};
        int report = spawn_read_status(status[0], &failure);
        close(status[0]);
        if (report != 0)
                g_error("procctl-exec reported a failure at stage %d: %s", (int) failure.stage, g_strerror(failure.error));
        g_assert_true(WIFEXITED(wstatus));
        g_assert_cmpint(WEXITSTATUS(wstatus), ==, 0);

        const char *line = strstr(text->str, "\nGroups:");
        g_assert_nonnull(line);
        g_autofree char *groups = g_strndup(line + strlen("\nGroups:"), strcspn(line + 1, "\n") - strlen("Groups:"));
        g_assert_cmpstr(g_strstrip(groups), ==, want->str);
        g_autofree char *uid_line = g_strdup_printf("\nUid:\t%u\t%u\t%u\t%u\n", NOBODY, NOBODY, NOBODY, NOBODY);
        g_assert_nonnull(strstr(text->str, uid_line));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/exec/tty/root-takes-a-write-only-terminal", test_root_takes_write_only_terminal);
        g_test_add_func("/exec/tty/as-nobody-a-write-only-terminal-is-eperm", test_nobody_cannot_take_write_only_terminal);
        g_test_add_func("/exec/groups/every-group-reaches-the-program", test_every_group_reaches_the_program);
        return g_test_run();
}
