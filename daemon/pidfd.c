/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "missing.h"
#include "pidfd.h"
#include "procfs.h"

/* PIDFD_GET_INFO arrived in Linux 6.13, after the headers Debian 12 ships;
 * the layout is the kernel's ABI (include/uapi/linux/pidfd.h). */
#define PIDFS_IOCTL_MAGIC 0xFF
#define PIDFD_INFO_PID (1ULL << 0)
#define PIDFD_INFO_CREDS (1ULL << 1)
#define PIDFD_INFO_EXIT (1ULL << 3)
#define PIDFS_MAGIC 0x50494446
#define ANON_INODE_FS_MAGIC 0x09041934
struct procctl_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
        uint32_t coredump_mask;
        uint32_t spare1;
};
#define PIDFD_GET_INFO _IOWR(PIDFS_IOCTL_MAGIC, 11, struct procctl_pidfd_info)

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

/* Whether fd is a pidfd, before any ioctl is tried on it: an ioctl number
 * means something else to another driver, and a caller chooses what the fd
 * is.  On pidfs (Linux 6.9) its file system says so; before, a pidfd is the
 * anonymous inode the kernel names "[pidfd]". */
static bool is_pidfd(int fd) {
        _cleanup_free_ char *target = NULL;
        char name[32];
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return false;
        if ((uint32_t) sfs.f_type == PIDFS_MAGIC)
                return true;
        if ((uint32_t) sfs.f_type != ANON_INODE_FS_MAGIC)
                return false;
        snprintf(name, sizeof(name), "fd/%d", fd);
        target = procfs_readlink(0, name);
        return target && strcmp(target, "anon_inode:[pidfd]") == 0;
}

/* Before PIDFD_GET_INFO (Linux 6.13) the kernel tells a pidfd's PID only in
 * our own fdinfo; credentials then come from /proc and are trusted only if
 * the pidfd shows the process still alive afterwards (a live process keeps
 * its PID). */
static int pidfd_get_info_fallback(int pidfd, PidfdInfo *ret) {
        char name[32], buf[1024];
        const char *line;
        PidfdInfo info = {};
        int pid = 0, dirfd, r;
        ssize_t n;

        snprintf(name, sizeof(name), "fdinfo/%d", pidfd);
        n = procfs_read(0, name, buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        line = strstr(buf, "\nPid:\t");
        if (!line || sscanf(line, "\nPid:\t%d", &pid) != 1)
                return -EBADF;
        if (pid <= 0)
                return -ESRCH;

        dirfd = procfs_open_dir(pid);
        if (dirfd < 0)
                return -ESRCH;
        r = procfs_read_ids_at(dirfd, &info);
        safe_close(dirfd);
        if (r < 0 || pidfd_has_exited(pidfd))
                return -ESRCH;
        info.pid = pid;
        *ret = info;
        return 0;
}

int pidfd_get_info(int pidfd, PidfdInfo *ret) {
        struct procctl_pidfd_info info = { .mask = PIDFD_INFO_PID | PIDFD_INFO_CREDS };

        if (!is_pidfd(pidfd))
                return -EBADF;
        if (ioctl(pidfd, PIDFD_GET_INFO, &info) < 0) {
                if (errno == ESRCH)
                        return -ESRCH;
                if (errno == ENOTTY || errno == EINVAL || errno == ENOSYS)
                        return pidfd_get_info_fallback(pidfd, ret);
                return -EBADF;
        }
        if (!(info.mask & PIDFD_INFO_PID) || info.pid == 0)
                return -ESRCH;
        *ret = (PidfdInfo) {
                .pid = (pid_t) info.pid,
                .ruid = info.ruid,
                .euid = info.euid,
                .suid = info.suid,
                .egid = info.egid,
        };
        return 0;
}

int pidfd_get_inode(int pidfd, uint64_t *ret) {
        struct stat st;

        if (fstat(pidfd, &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_ino;
        return 0;
}

/* A seccomp policy may answer a syscall with SIGSYS (SECCOMP_RET_TRAP) instead
 * of an errno.  While probing we catch it, so that a policy which forbids
 * pidfds costs us the feature, not the daemon. */
static volatile sig_atomic_t probe_got_sigsys;

/* A trapped syscall returns with its registers rolled back (the result
 * register holds the syscall number); make it return -ENOSYS instead, so the
 * caller sees an ordinary "not supported". */
static void probe_sigsys(int sig, siginfo_t *si, void *context) {
        ucontext_t *uc = context;

        probe_got_sigsys = 1;
#if defined(__x86_64__)
        uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
        uc->uc_mcontext.regs[0] = (unsigned long long) -ENOSYS;
#else
        (void) uc;
#endif
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
        struct sigaction sa = { .sa_sigaction = probe_sigsys, .sa_flags = SA_SIGINFO }, old_sa;
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
                if (s.usable) {
                        struct statfs sfs;
                        s.unique_inodes = fstatfs(fd, &sfs) >= 0 && (uint32_t) sfs.f_type == PIDFS_MAGIC;
                }
                safe_close(fd);
        }
        if (!s.usable)
                s = (PidfdSupport) {};

        /* Under a policy that traps pidfd syscalls, keep catching SIGSYS: libsystemd
         * may try pidfd_open() itself (sd_event_add_child()), and a caught trap
         * makes the call fail with ENOSYS instead of killing the daemon. */
        if (!probe_got_sigsys) {
                (void) sigprocmask(SIG_SETMASK, &old_mask, NULL);
                (void) sigaction(SIGSYS, &old_sa, NULL);
        } else
                log_notice("A seccomp policy traps pidfd system calls; running on PIDs");
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
