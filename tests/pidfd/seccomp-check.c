/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * seccomp-check: tries each system call the seccomp-exec filter is about and
 * prints one line per call: its name and "ok" or the errno name it failed
 * with.  test-probe runs it with and without the filter, to prove the filter
 * takes away exactly what it says (and nothing the daemon needs besides).
 *
 *   pidfd_open            pidfd_open(getpid(), 0)
 *   pidfd_send_signal     pidfd_send_signal(-1, 0, NULL, 0)    (EBADF unfiltered)
 *   pidfd_getfd           pidfd_getfd(-1, 0, 0)                (EBADF unfiltered)
 *   waitid_pidfd          waitid(P_PIDFD, /dev/null, ...)      (EBADF unfiltered)
 *   waitid_pid            waitid(P_PID, child, ...) of a forked child
 *   clone_pidfd           clone(CLONE_PIDFD | SIGCHLD) fork-style
 *   clone                 clone(SIGCHLD) fork-style
 *   clone3                clone3({ .exit_signal = SIGCHLD })
 *   posix_spawn           posix_spawn of /bin/true, waited for
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

static void report(const char *name, long r, int error) {
        if (r >= 0)
                printf("%s ok\n", name);
        else
                printf("%s %s\n", name, strerrorname_np(error) ?: "unknown");
}

/* Reaps a fork-style child that exits at once. */
static void reap(pid_t pid) {
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
}

int main(void) {
        siginfo_t si;
        long r;
        int pidfd = -1;

        r = syscall(SYS_pidfd_open, getpid(), 0);
        report("pidfd_open", r, errno);
        if (r >= 0)
                close((int) r);

        r = syscall(SYS_pidfd_send_signal, -1, 0, NULL, 0);
        report("pidfd_send_signal", r, errno);

        r = syscall(SYS_pidfd_getfd, -1, 0, 0);
        report("pidfd_getfd", r, errno);

        int not_a_pidfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        r = syscall(SYS_waitid, P_PIDFD, not_a_pidfd, &si, WEXITED | WNOHANG, NULL);
        report("waitid_pidfd", r, errno);
        close(not_a_pidfd);

        pid_t child = fork();
        if (child == 0)
                _exit(0);
        r = child < 0 ? -1 : syscall(SYS_waitid, P_PID, child, &si, WEXITED, NULL);
        report("waitid_pid", r, errno);

        r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, NULL);
        if (r == 0)
                _exit(0);
        report("clone_pidfd", r, errno);
        reap((pid_t) r);
        if (pidfd >= 0)
                close(pidfd);

        r = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
        if (r == 0)
                _exit(0);
        report("clone", r, errno);
        reap((pid_t) r);

        struct clone_args ca = { .exit_signal = SIGCHLD };
        r = syscall(SYS_clone3, &ca, sizeof ca);
        if (r == 0)
                _exit(0);
        report("clone3", r, errno);
        reap((pid_t) r);

        char *const true_argv[] = { (char *) "true", NULL };
        pid_t spawned;
        int e = posix_spawn(&spawned, "/bin/true", NULL, NULL, true_argv, environ);
        int status = 0;
        if (e == 0 && (waitpid(spawned, &status, 0) != spawned || !WIFEXITED(status) || WEXITSTATUS(status) != 0))
                e = ECHILD;
        report("posix_spawn", e == 0 ? 0 : -1, e);

        return fflush(stdout) == 0 ? 0 : 1;
}
