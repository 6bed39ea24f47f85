/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "pidfd.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif

/* PIDFD_GET_INFO arrived in Linux 6.13, after the headers Debian 12 ships;
 * the layout is the kernel's ABI (include/uapi/linux/pidfd.h). */
#define PIDFS_IOCTL_MAGIC 0xFF
#define PIDFD_INFO_EXIT (1ULL << 3)
struct procctl_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
        uint32_t coredump_mask;
        uint32_t spare1;
};
#define PIDFD_GET_INFO _IOWR(PIDFS_IOCTL_MAGIC, 11, struct procctl_pidfd_info)

int pidfd_open_pid(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
}

int pidfd_signal(int pidfd, int sig, bool process_group) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, process_group ? PIDFD_SIGNAL_PROCESS_GROUP : 0) < 0)
                return -errno;
        return 0;
}

bool pidfd_has_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

int pidfd_get_exit_status(int pidfd, int *ret_wait_status) {
        struct procctl_pidfd_info info = { .mask = PIDFD_INFO_EXIT };

        if (ioctl(pidfd, PIDFD_GET_INFO, &info) < 0)
                return errno == ESRCH ? 0 : -errno;
        if (!(info.mask & PIDFD_INFO_EXIT))
                return 0;
        *ret_wait_status = info.exit_code;
        return 1;
}

/* A seccomp policy may answer a syscall with SIGSYS (SECCOMP_RET_TRAP) instead
 * of an errno.  While probing we catch it, so that a policy which forbids
 * pidfds costs us the feature, not the daemon. */
static volatile sig_atomic_t probe_got_sigsys;

static void probe_sigsys(int sig) {
        probe_got_sigsys = 1;
}

static bool probe_ok(long r) {
        return r >= 0 && !probe_got_sigsys;
}

#define PROBE_EXIT_CODE 42

static void probe_clone_and_wait(PidfdSupport *s) {
        int pidfd = -1; /* sentinel: a kernel that ignores CLONE_PIDFD leaves it alone */
        siginfo_t si = {};
        int status;
        pid_t pid;

        /* A real fork-style clone, exactly as the daemon will use the flag. */
        pid = (pid_t) syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, NULL);
        if (pid == 0)
                _exit(PROBE_EXIT_CODE);
        if (pid < 0 || probe_got_sigsys)
                return;
        if (pidfd < 0) {
                (void) waitpid(pid, NULL, 0);
                return;
        }

        if (!probe_ok(syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED, NULL)) || si.si_pid != pid ||
            si.si_code != CLD_EXITED || si.si_status != PROBE_EXIT_CODE) {
                (void) waitpid(pid, NULL, 0);
                safe_close(pidfd);
                return;
        }

        /* The process is reaped now, which is when the kernel records its exit for pidfd holders. */
        if (pidfd_get_exit_status(pidfd, &status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == PROBE_EXIT_CODE)
                s->exit_info = true;

        s->usable = true;
        safe_close(pidfd);
}

void pidfd_probe(PidfdSupport *ret) {
        struct sigaction sa = { .sa_handler = probe_sigsys }, old_sa;
        sigset_t sigsys, old_mask;
        PidfdSupport s = {};
        int fd;

        sigemptyset(&sigsys);
        sigaddset(&sigsys, SIGSYS);
        (void) sigaction(SIGSYS, &sa, &old_sa);
        (void) sigprocmask(SIG_UNBLOCK, &sigsys, &old_mask);
        probe_got_sigsys = 0;

        fd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (probe_ok(fd)) {
                if (probe_ok(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0))) {
                        probe_clone_and_wait(&s);
                        /* Signal 0 to the group our PID would lead: delivers nothing.  ESRCH
                         * (we lead no group) still shows the kernel knows the flag; an old
                         * kernel says EINVAL. */
                        if (s.usable) {
                                long r = syscall(SYS_pidfd_send_signal, fd, 0, NULL, PIDFD_SIGNAL_PROCESS_GROUP);
                                s.process_group = !probe_got_sigsys && (r >= 0 || errno == ESRCH);
                        }
                }
                safe_close(fd);
        }
        if (!s.usable)
                s = (PidfdSupport) {};

        (void) sigprocmask(SIG_SETMASK, &old_mask, NULL);
        (void) sigaction(SIGSYS, &old_sa, NULL);
        *ret = s;
}

void pidfd_feature_names(const PidfdSupport *s, const char *ret[static 8]) {
        size_t n = 0;

        if (s->usable) {
                ret[n++] = "clone3-pidfd";
                ret[n++] = "pidfd-send-signal";
                ret[n++] = "waitid-pidfd";
                if (s->process_group)
                        ret[n++] = "pidfd-process-group";
                if (s->exit_info)
                        ret[n++] = "pidfd-exit-info";
        } else
                ret[n++] = "fallback-pid";
        ret[n] = NULL;
}
