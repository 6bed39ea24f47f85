/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a child is started.  spawn_child() blocks every signal, clones with
 * CLONE_VM|CLONE_VFORK|CLONE_PIDFD, and the child runs child_main(): read it
 * top to bottom as the list of what a child gets.  The child shares the
 * daemon's memory until exec, so it calls nothing that allocates, locks or
 * touches the daemon's state: raw syscalls and async-signal-safe libc only.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "spawn.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_STACK_SIZE (256 * 1024)

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

static void *child_stack;
static bool can_share_files;

/* The signals whose disposition in the daemon is not the default: ignored
 * (which survives exec) or caught (whose handler must not run in the child
 * on the daemon's memory).  Taken once, after main() has set them up. */
static int non_default_signals[_NSIG];
static size_t n_non_default_signals;

typedef struct ChildContext {
        const SpawnRequest *req;
        struct rlimit nofile; /* req->nofile's soft limit, under the hard limit in force now */
        SpawnFailure *failure;
        int moved[SPAWN_MAX_FD]; /* source descriptors, moved above every target */
} ChildContext;

int spawn_init(void) {
        long page = sysconf(_SC_PAGESIZE);
        char *p;

        if (child_stack)
                return 0;
        p = mmap(NULL, CHILD_STACK_SIZE + (size_t) page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (p == MAP_FAILED)
                return -errno;
        /* A guard page below the stack turns an overflow into a crash of the child, not of the daemon's heap. */
        if (mprotect(p, (size_t) page, PROT_NONE) < 0)
                return -errno;
        child_stack = p + page + CHILD_STACK_SIZE;

        /* CLOSE_RANGE_UNSHARE (Linux 5.9) on a range holding nothing: for a
         * single-threaded process a no-op that shows whether the flag is known
         * (and not refused by a seccomp policy). */
        can_share_files = syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) == 0;

        n_non_default_signals = 0;
        for (int sig = 1; sig < _NSIG; sig++) {
                struct sigaction sa;
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                /* Unknown to libc (its own, 32 and 33): reset it anyway, as before. */
                if (sigaction(sig, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
                        non_default_signals[n_non_default_signals++] = sig;
        }
        return 0;
}

bool spawn_can_share_files(void) {
        return can_share_files;
}

int spawn_move_fd_high(int fd) {
        int high;

        if (fd < 0 || fd >= SPAWN_HIGH_FD_FLOOR)
                return fd;
        high = fcntl(fd, F_DUPFD_CLOEXEC, SPAWN_HIGH_FD_FLOOR);
        if (high < 0)
                return fd;
        close(fd);
        return high;
}

static int child_fail(ChildContext *c, SpawnStage stage, int error) {
        c->failure->stage = stage;
        c->failure->error = error > 0 ? error : EIO;
        _exit(127);
}

/* Records the "#!" interpreter of a file exec could not find, reading it as
 * the target user.  open/read/close are async-signal-safe. */
static void child_note_interpreter(ChildContext *c, const char *file) {
        char buf[sizeof(c->failure->interpreter) + 2];
        ssize_t n;
        int fd;

        fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return;
        c->failure->exists = true;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 3 || buf[0] != '#' || buf[1] != '!')
                return;

        size_t i = 2, j = 0;
        while (i < (size_t) n && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
        while (i < (size_t) n && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && j < sizeof(c->failure->interpreter) - 1)
                c->failure->interpreter[j++] = buf[i++];
        c->failure->interpreter[j] = '\0';
}

static int child_setup_fds(ChildContext *c) {
        const SpawnRequest *r = c->req;
        int above = r->fds[r->n_fds - 1].target + 1;
        int next = 0;

        /* First move every source above the highest target, so that no dup2()
         * below can overwrite a source another mapping still needs. */
        for (size_t i = 0; i < r->n_fds; i++) {
                c->moved[i] = fcntl(r->fds[i].source, F_DUPFD_CLOEXEC, above);
                if (c->moved[i] < 0)
                        return -errno;
        }
        /* dup2() clears FD_CLOEXEC on the target: these are what the child keeps. */
        for (size_t i = 0; i < r->n_fds; i++)
                if (dup2(c->moved[i], r->fds[i].target) < 0)
                        return -errno;

        /* Close everything else: the gaps between targets and all above the last. */
        for (size_t i = 0; i < r->n_fds; i++) {
                if (r->fds[i].target > next && syscall(SYS_close_range, next, r->fds[i].target - 1, 0) < 0)
                        return -errno;
                next = r->fds[i].target + 1;
        }
        if (syscall(SYS_close_range, next, ~0U, 0) < 0)
                return -errno;
        return 0;
}

static int child_exec(ChildContext *c) {
        const SpawnRequest *r = c->req;
        int error = ENOENT, error_at = 0;
        bool seen_eacces = false;

        for (int i = 0; r->candidates[i]; i++) {
                int e;

                execve(r->candidates[i], r->argv, r->envp);
                e = errno;

                /* The rules of execvp, without its retry of ENOEXEC through /bin/sh. */
                switch (e) {
                case ENOENT:
                        child_note_interpreter(c, r->candidates[i]);
                        if (c->failure->exists) {
                                c->failure->candidate = i;
                                return ENOENT;
                        }
                        break;
                case EACCES:
                        if (!seen_eacces) {
                                seen_eacces = true;
                                error = EACCES;
                                error_at = i;
                        }
                        continue;
                case ENOTDIR:
                case ESTALE:
                case ENODEV:
                case ETIMEDOUT:
                        break;
                default:
                        c->failure->candidate = i;
                        return e;
                }
                if (!seen_eacces) {
                        error = e;
                        error_at = i;
                }
        }
        c->failure->candidate = error_at;
        return error;
}

static int child_main(void *userdata) {
        ChildContext *c = userdata;
        const SpawnRequest *r = c->req;
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t empty;
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        int e;

        /* 0. With CLONE_FILES the child shares the daemon's descriptor table: take a
         *    private copy of what lies below the floor, leaving the daemon's pidfds
         *    behind uncopied.  Nothing may touch a descriptor before this. */
        if (r->share_files && syscall(SYS_close_range, SPAWN_HIGH_FD_FLOOR, ~0U, CLOSE_RANGE_UNSHARE) < 0)
                return child_fail(c, SPAWN_STAGE_FDS, errno);

        /* 1. Default dispositions for every signal the daemon does not leave at
         *    its default (an ignored one would survive exec), then an empty
         *    mask.  The daemon blocked all signals before clone, so no handler
         *    of the daemon can run here on the shared memory. */
        for (size_t i = 0; i < n_non_default_signals; i++)
                (void) sigaction(non_default_signals[i], &dfl, NULL);
        sigemptyset(&empty);
        if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
                return child_fail(c, SPAWN_STAGE_SIGNALS, errno);

        /* 2. A new session: the child leads its own session and process group. */
        if (setsid() < 0)
                return child_fail(c, SPAWN_STAGE_SETSID, errno);

        /* 3. Descriptors: 0, 1, 2 and the requested ones, nothing else. */
        e = child_setup_fds(c);
        if (e < 0)
                return child_fail(c, SPAWN_STAGE_FDS, -e);

        /* 3b. With `tty`, stdin becomes the session's controlling terminal. */
        if (r->controlling_tty && ioctl(0, TIOCSCTTY, 0) < 0)
                return child_fail(c, SPAWN_STAGE_TTY, errno);

        /* 4. File mode creation mask. */
        umask(r->umask);

        /* 5. The descriptor limit a login gets, not the daemon's raised one. */
        if (r->reset_nofile && setrlimit(RLIMIT_NOFILE, &c->nofile) < 0)
                return child_fail(c, SPAWN_STAGE_RLIMIT, errno);

        /* 6. Identity: groups first, then gid, then uid, as raw syscalls: glibc's
         *    wrappers would signal every thread of the daemon to change too. */
        if (r->switch_identity) {
                if (syscall(SYS_setgroups, r->n_groups, r->groups) < 0)
                        return child_fail(c, SPAWN_STAGE_SETGROUPS, errno);
                if (syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0)
                        return child_fail(c, SPAWN_STAGE_SETRESGID, errno);
                if (syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0)
                        return child_fail(c, SPAWN_STAGE_SETRESUID, errno);
                if (syscall(SYS_getresuid, &ru, &eu, &su) < 0 || syscall(SYS_getresgid, &rg, &eg, &sg) < 0 ||
                    ru != r->uid || eu != r->uid || su != r->uid || rg != r->gid || eg != r->gid || sg != r->gid)
                        return child_fail(c, SPAWN_STAGE_VERIFY_IDENTITY, EPERM);
        }

        /* 7. Working directory, entered as the target user. */
        if (chdir(r->working_directory) < 0)
                return child_fail(c, SPAWN_STAGE_CHDIR, errno);

        /* 8. exec. Only returns on failure. */
        return child_fail(c, SPAWN_STAGE_EXEC, child_exec(c));
}

int spawn_child(const SpawnRequest *req, pid_t *ret_pid, int *ret_pidfd, SpawnFailure *ret_failure) {
        ChildContext ctx = { .req = req, .failure = ret_failure };
        int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
        sigset_t all, saved;
        int pidfd = -1, error;
        pid_t pid;

        if (!child_stack)
                return -ENOMEM;
        if (req->n_fds == 0 || req->n_fds > SPAWN_MAX_FD)
                return -EINVAL;
        *ret_failure = (SpawnFailure) {};
        if (req->reset_nofile) {
                /* The hard limit may have been lowered since start (prlimit): the
                 * child keeps the one in force, never more. */
                struct rlimit now;
                ctx.nofile = req->nofile;
                if (getrlimit(RLIMIT_NOFILE, &now) >= 0) {
                        ctx.nofile.rlim_max = now.rlim_max;
                        if (ctx.nofile.rlim_cur > now.rlim_max)
                                ctx.nofile.rlim_cur = now.rlim_max;
                }
        }
        if (req->use_pidfd)
                flags |= CLONE_PIDFD;
        if (req->share_files)
                flags |= CLONE_FILES;

        sigfillset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, &saved);
        pid = clone(child_main, child_stack, flags, &ctx, &pidfd);
        error = errno;
        (void) sigprocmask(SIG_SETMASK, &saved, NULL);

        if (pid < 0)
                return -error;

        if (ret_failure->stage != SPAWN_STAGE_NONE) {
                /* The child has exited already (vfork semantics): reap it now. */
                siginfo_t si;
                if (pidfd >= 0)
                        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
                else
                        (void) waitid(P_PID, (id_t) pid, &si, WEXITED);
                safe_close(pidfd);
                return 1;
        }

        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

static const char *stage_call(SpawnStage s) {
        switch (s) {
        case SPAWN_STAGE_SIGNALS:
                return "sigprocmask";
        case SPAWN_STAGE_SETSID:
                return "setsid";
        case SPAWN_STAGE_FDS:
                return "dup2";
        case SPAWN_STAGE_TTY:
                return "ioctl(TIOCSCTTY)";
        case SPAWN_STAGE_UMASK:
                return "umask";
        case SPAWN_STAGE_RLIMIT:
                return "setrlimit";
        case SPAWN_STAGE_SETGROUPS:
                return "setgroups";
        case SPAWN_STAGE_SETRESGID:
                return "setresgid";
        case SPAWN_STAGE_SETRESUID:
                return "setresuid";
        case SPAWN_STAGE_VERIFY_IDENTITY:
                return "identity check";
        case SPAWN_STAGE_CHDIR:
                return "chdir";
        default:
                return "execve";
        }
}

static int spawn_failure_reason(const SpawnRequest *req, const SpawnFailure *f, char *buf, size_t size) {
        const char *why = strerror(f->error);

        switch (f->stage) {
        case SPAWN_STAGE_CHDIR:
                return snprintf(buf, size, "chdir(\"%s\"): %s", req->working_directory, why);
        case SPAWN_STAGE_SETGROUPS:
        case SPAWN_STAGE_SETRESGID:
                return snprintf(buf, size, "%s(%u): %s", stage_call(f->stage), (unsigned) req->gid, why);
        case SPAWN_STAGE_SETRESUID:
        case SPAWN_STAGE_VERIFY_IDENTITY:
                return snprintf(buf, size, "%s(%u): %s", stage_call(f->stage), (unsigned) req->uid, why);
        case SPAWN_STAGE_EXEC:
                break;
        default:
                return snprintf(buf, size, "%s: %s", stage_call(f->stage), why);
        }

        const char *file = req->candidates[f->candidate];
        bool searched = !strchr(req->file, '/');

        if (f->error == ENOENT && f->exists && f->interpreter[0])
                return snprintf(buf, size, "execve(\"%s\"): interpreter \"%s\" not found: %s", file, f->interpreter, why);
        if (f->error == ENOENT && f->exists)
                return snprintf(buf, size, "execve(\"%s\"): %s (the file exists: its ELF interpreter is missing)", file, why);
        if (searched && (f->error == ENOENT || f->error == EACCES))
                return snprintf(buf, size, "execvp(\"%s\"): %s", req->file, why);
        return snprintf(buf, size, "execve(\"%s\"): %s", file, why);
}

/* The errno's name comes first ("ENOENT: execve(...): ..."; the number for an
 * errno without a name), so that a client can tell the reason without
 * reading strerror()'s English: org.procctl.Manager1(5) documents the form. */
int spawn_failure_message(const SpawnRequest *req, const SpawnFailure *f, char *buf, size_t size) {
        const char *name = strerrorname_np(f->error);
        int n, m;

        n = name ? snprintf(buf, size, "%s: ", name) : snprintf(buf, size, "%d: ", f->error);
        if (n < 0)
                return n;
        if ((size_t) n < size)
                m = spawn_failure_reason(req, f, buf + n, size - (size_t) n);
        else
                m = spawn_failure_reason(req, f, NULL, 0);
        return m < 0 ? m : n + m;
}
