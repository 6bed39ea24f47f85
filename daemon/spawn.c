/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a child is started.  spawn_child() blocks every signal, clones with
 * CLONE_VM|CLONE_VFORK|CLONE_PIDFD (clone3() with CLONE_INTO_CGROUP when the
 * process has a cgroup, see spawn_clone3() below), and the child runs
 * child_main(): read it top to bottom as the list of what a child gets.  The
 * child shares the daemon's memory until its first exec, so it calls nothing
 * that allocates, locks or touches the daemon's state: raw syscalls and
 * async-signal-safe libc only.  It stays root all that time; a child that is
 * to run as another user becomes procctl-exec first (spawn.h says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "missing.h"
#include "spawn.h"

#define CHILD_STACK_SIZE (256 * 1024)

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static void *child_stack;
static bool can_share_files;
/* clone3() with CLONE_INTO_CGROUP: tried until the kernel (or a seccomp
 * policy) refuses it once, and not offered where there is no trampoline. */
static bool can_clone_into_cgroup;
static int exec_helper_fd = -1; /* O_PATH of procctl-exec */

/* The signals whose disposition in the daemon is not the default: ignored
 * (which survives exec) or caught (whose handler must not run in the child
 * on the daemon's memory).  Taken once, after main() has set them up. */
static int non_default_signals[_NSIG];
static size_t n_non_default_signals;

typedef struct ChildContext {
        const SpawnRequest *req;
        const SpawnFd *fds; /* req->fds, plus procctl-exec's two (three with exec_fd) with through_helper */
        size_t n_fds;
        int exec_helper_target; /* with through_helper: where procctl-exec's descriptor lands */
        int exec_fd_target;     /* with exec_fd, in-daemon: where the file to run lands */
        char **helper_argv;
        struct rlimit nofile; /* req->nofile's soft limit, under the hard limit in force now */
        SpawnFailure *failure;
        int cgroup_procs_fd; /* without CLONE_INTO_CGROUP: the cgroup.procs the child writes itself into; -1: none */
        int moved[SPAWN_MAX_FD + 3]; /* source descriptors, moved above every target */
} ChildContext;

/*
 * clone3() for a vfork-style child.  clone3() has no wrapper in glibc 2.36
 * and, unlike clone(), takes no function to run: both processes return from
 * the system call at the same instruction.  A CLONE_VM child that returned
 * into a C frame would run on the daemon's memory in code the compiler
 * believes only one process executes: with the parent's stack it would
 * overwrite the frames the suspended parent returns into (libc's syscall()
 * return address first), and even on a stack of its own the frame it
 * returns into is addressed relative to the parent's stack pointer.  So the
 * system call is made here, in a few instructions of assembly that keep the
 * function and its argument in registers the kernel copies to the child
 * (r8, r9): the parent returns the result as a C function would, the child,
 * which starts on child_stack (the kernel sets its stack pointer to
 * stack + stack_size), calls fn(arg) and exits with what fn returns,
 * never returning anywhere.  The child then runs exactly as with clone():
 * child_main() on its own stack, on the daemon's memory until exec, as root
 * all that time (a child for another user execs procctl-exec, spawn.h).
 * Without CLONE_VM (a fork-style clone3() the C code could return from) the
 * cost would grow with the daemon's memory again, as plain fork does.
 *
 * Elsewhere than on x86-64 there is no trampoline and children join their
 * cgroup before exec (child_main(), step 0).
 *
 * Returns the child's PID to the parent, or -errno.
 */
typedef struct Clone3Args { /* the kernel's struct clone_args, up to cgroup (Linux 5.7) */
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
} Clone3Args;

#if defined(__x86_64__)
#define HAVE_CLONE3_TRAMPOLINE 1
long spawn_clone3(Clone3Args *args, size_t size, int (*fn)(void *), void *arg) __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl spawn_clone3\n"
        ".hidden spawn_clone3\n"
        ".type spawn_clone3, @function\n"
        "spawn_clone3:\n"
        ".cfi_startproc\n"
        "        endbr64\n"
        "        movq %rdx, %r8\n"               /* fn and arg survive the system call, in both processes */
        "        movq %rcx, %r9\n"
        "        movl $" STRINGIFY(SYS_clone3) ", %eax\n"
        "        syscall\n"                      /* args and size are already in rdi and rsi */
        "        testq %rax, %rax\n"
        "        jz 1f\n"
        "        ret\n"                          /* the parent: the PID, or -errno */
        "1:\n"
        ".cfi_undefined %rip\n"                  /* the child: nothing to unwind into */
        "        xorl %ebp, %ebp\n"
        "        movq %r9, %rdi\n"
        "        callq *%r8\n"
        "        movl %eax, %edi\n"
        "        movl $" STRINGIFY(SYS_exit) ", %eax\n"
        "        syscall\n"
        "        hlt\n"
        ".cfi_endproc\n"
        ".size spawn_clone3, .-spawn_clone3\n");
#else
#define HAVE_CLONE3_TRAMPOLINE 0
static long spawn_clone3(Clone3Args *args, size_t size, int (*fn)(void *), void *arg) {
        return -ENOSYS;
}
#endif

int spawn_init(const char *exec_helper, bool clone_into_cgroup) {
        long page = sysconf(_SC_PAGESIZE);
        char *p;

        if (!child_stack) {
                p = mmap(NULL, CHILD_STACK_SIZE + (size_t) page, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                if (p == MAP_FAILED)
                        return -errno;
                /* A guard page below the stack turns an overflow into a crash of the child, not of the daemon's heap. */
                if (mprotect(p, (size_t) page, PROT_NONE) < 0)
                        return -errno;
                child_stack = p + page + CHILD_STACK_SIZE;
        }

        if (exec_helper && exec_helper_fd < 0) {
                exec_helper_fd = open(exec_helper, O_PATH | O_CLOEXEC);
                if (exec_helper_fd < 0)
                        return -errno;
        }

        /* CLOSE_RANGE_UNSHARE (Linux 5.9) on a range holding nothing: for a
         * single-threaded process a no-op that shows whether the flag is known
         * (and not refused by a seccomp policy). */
        can_share_files = syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) == 0;
        can_clone_into_cgroup = clone_into_cgroup && HAVE_CLONE3_TRAMPOLINE;

        n_non_default_signals = 0;
        for (int sig = 1; sig < _NSIG; sig++) {
                struct sigaction sa;
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                /* Unknown to libc (its own, 32 and 33): reset it anyway. */
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

static int child_setup_fds(ChildContext *c) {
        int above = c->fds[c->n_fds - 1].target + 1;
        int next = 0;

        /* First move every source above the highest target, so that no dup2()
         * below can overwrite a source another mapping still needs. */
        for (size_t i = 0; i < c->n_fds; i++) {
                c->moved[i] = fcntl(c->fds[i].source, F_DUPFD_CLOEXEC, above);
                if (c->moved[i] < 0)
                        return -errno;
        }
        /* dup2() clears FD_CLOEXEC on the target: these are what the child keeps. */
        for (size_t i = 0; i < c->n_fds; i++)
                if (dup2(c->moved[i], c->fds[i].target) < 0)
                        return -errno;

        /* Close everything else: the gaps between targets and all above the last. */
        for (size_t i = 0; i < c->n_fds; i++) {
                if (c->fds[i].target > next && syscall(SYS_close_range, next, c->fds[i].target - 1, 0) < 0)
                        return -errno;
                next = c->fds[i].target + 1;
        }
        if (syscall(SYS_close_range, next, ~0U, 0) < 0)
                return -errno;
        return 0;
}

static int child_main(void *userdata) {
        ChildContext *c = userdata;
        const SpawnRequest *r = c->req;
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        SpawnStage stage;
        sigset_t empty;
        int e;

        /* 0. In the process's cgroup before anything else, so that nothing the
         *    program ever starts is outside it: born there (clone3() with
         *    CLONE_INTO_CGROUP), or, where the kernel cannot do that, moved
         *    there now, as root, by writing its cgroup.procs. */
        if (c->cgroup_procs_fd >= 0 && write(c->cgroup_procs_fd, "0", 1) < 0)
                return child_fail(c, SPAWN_STAGE_CGROUP, errno);

        /* 1. With CLONE_FILES the child shares the daemon's descriptor table: take a
         *    private copy of what lies below the floor, leaving the daemon's pidfds
         *    behind uncopied.  Nothing may change a descriptor before this. */
        if (r->share_files && syscall(SYS_close_range, SPAWN_HIGH_FD_FLOOR, ~0U, CLOSE_RANGE_UNSHARE) < 0)
                return child_fail(c, SPAWN_STAGE_FDS, errno);

        /* 2. Default dispositions for every signal the daemon does not leave at
         *    its default (an ignored one would survive exec), then an empty
         *    mask.  The daemon blocked all signals before clone, so no handler
         *    of the daemon can run here on the shared memory. */
        for (size_t i = 0; i < n_non_default_signals; i++)
                (void) sigaction(non_default_signals[i], &dfl, NULL);
        sigemptyset(&empty);
        if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
                return child_fail(c, SPAWN_STAGE_SIGNALS, errno);

        /* 3. A new session: the child leads its own session and process group. */
        if (setsid() < 0)
                return child_fail(c, SPAWN_STAGE_SETSID, errno);

        /* 4. Descriptors: 0, 1, 2 and the requested ones, nothing else (and,
         *    for procctl-exec, its status pipe and its own file). */
        e = child_setup_fds(c);
        if (e < 0)
                return child_fail(c, SPAWN_STAGE_FDS, -e);

        /* 5. Another user's program: the rest is procctl-exec's, on its own memory. */
        if (r->through_helper) {
                if (fcntl(c->exec_helper_target, F_SETFD, FD_CLOEXEC) < 0)
                        return child_fail(c, SPAWN_STAGE_HELPER, errno);
                syscall(SYS_execveat, c->exec_helper_target, "", c->helper_argv, (char *[]) { NULL }, AT_EMPTY_PATH);
                return child_fail(c, SPAWN_STAGE_HELPER, errno);
        }

        /* 6. Root's program.  With `tty`, stdin becomes the session's controlling terminal. */
        if (r->controlling_tty && ioctl(0, TIOCSCTTY, 0) < 0)
                return child_fail(c, SPAWN_STAGE_TTY, errno);

        /* 7. File mode creation mask, and the descriptor limit a login gets, not the daemon's raised one. */
        umask(r->umask);
        if (r->reset_nofile && setrlimit(RLIMIT_NOFILE, &c->nofile) < 0)
                return child_fail(c, SPAWN_STAGE_RLIMIT, errno);

        /* 8. Identity: root's groups and the group asked for (the daemon may have others). */
        if (r->switch_identity) {
                stage = child_switch_identity(r->uid, r->gid, r->groups, r->n_groups);
                if (stage != SPAWN_STAGE_NONE)
                        return child_fail(c, stage, errno);
        }

        /* 9. Working directory, then exec: the file the caller was authorized
         *    for by its descriptor (a #! script by its path, which its
         *    interpreter opens anyway), else execvp's candidates.
         *    child_exec() only returns on failure. */
        if (chdir(r->working_directory) < 0)
                return child_fail(c, SPAWN_STAGE_CHDIR, errno);
        if (r->exec_fd >= 0) {
                if (fcntl(c->exec_fd_target, F_SETFD, FD_CLOEXEC) < 0)
                        return child_fail(c, SPAWN_STAGE_FDS, errno);
                syscall(SYS_execveat, c->exec_fd_target, "", r->argv, r->envp, AT_EMPTY_PATH);
                if (errno != ENOENT)
                        return child_fail(c, SPAWN_STAGE_EXEC, errno);
        }
        child_exec(r->candidates, r->argv, r->envp, c->failure);
        _exit(127);
}

/* What helper_argv_new() allocated: its numbers and the groups (the rest is borrowed). */
static void helper_argv_free(const SpawnRequest *req, char **l) {
        if (!l)
                return;
        free(l[1]);
        for (size_t i = 0; i < req->n_groups; i++)
                free(l[4 + i]);
        free(l);
}

/* procctl-exec's arguments (spawn.h): its numbers, the working directory,
 * the file, the groups, the program's arguments, "" and its environment (it
 * starts with an empty environment of its own). */
static char **helper_argv_new(const SpawnRequest *req, int status_target, int exec_target, struct rlimit nofile) {
        size_t n_argv = strv_length(req->argv), n_env = strv_length(req->envp);
        size_t n = 4 + req->n_groups + n_argv + 1 + n_env + 1, k = 0;
        unsigned flags = (req->controlling_tty ? EXEC_FLAG_CONTROLLING_TTY : 0) |
                         (req->reset_nofile ? EXEC_FLAG_RESET_NOFILE : 0) |
                         (req->switch_identity ? EXEC_FLAG_SWITCH_IDENTITY : 0);
        char **l = calloc(n, sizeof(char *));

        if (!l)
                return NULL;
        l[k++] = "procctl-exec";
        if (asprintf(&l[k++], "%u %u %o %u %d %d %llu %llu %zu %zu %zu", (unsigned) req->uid, (unsigned) req->gid,
                     (unsigned) req->umask, flags, status_target, exec_target, (unsigned long long) nofile.rlim_cur,
                     (unsigned long long) nofile.rlim_max, req->n_groups, n_argv, n_env) < 0) {
                l[1] = NULL;
                goto fail;
        }
        l[k++] = (char *) req->working_directory;
        l[k++] = (char *) (req->exec_fd >= 0 ? req->exec_path : req->file);
        for (size_t i = 0; i < req->n_groups; i++)
                if (asprintf(&l[k++], "%u", (unsigned) req->groups[i]) < 0) {
                        l[--k] = NULL;
                        goto fail;
                }
        for (size_t i = 0; i < n_argv; i++)
                l[k++] = req->argv[i];
        l[k++] = ""; /* the end of the arguments, NULL in procctl-exec */
        for (size_t i = 0; i < n_env; i++)
                l[k++] = req->envp[i];
        return l;
fail:
        helper_argv_free(req, l); /* what is not filled in yet is NULL */
        return NULL;
}

/* The clone itself, with all signals blocked: into req->cgroup_fd at birth
 * where the kernel can, otherwise clone() and the child joins it (step 0).
 * Returns the PID, or -1 with *ret_error set. */
static pid_t clone_child(const SpawnRequest *req, int flags, ChildContext *ctx, int *pidfd, int *ret_error) {
        pid_t pid;

        if (req->cgroup_fd >= 0 && can_clone_into_cgroup && !req->cgroup_join) {
                Clone3Args args = {
                        .flags = (uint64_t) (flags & ~CSIGNAL) | CLONE_INTO_CGROUP,
                        .pidfd = (uint64_t) (uintptr_t) pidfd,
                        .exit_signal = (uint64_t) (flags & CSIGNAL),
                        .stack = (uint64_t) (uintptr_t) ((char *) child_stack - CHILD_STACK_SIZE),
                        .stack_size = CHILD_STACK_SIZE,
                        .cgroup = (uint64_t) req->cgroup_fd,
                };
                long r = spawn_clone3(&args, sizeof(args), child_main, ctx);

                if (r >= 0)
                        return (pid_t) r;
                /* No clone3 (Linux < 5.3, or seccomp: ENOSYS, EPERM), no
                 * CLONE_INTO_CGROUP (< 5.7: E2BIG for the larger struct, EINVAL):
                 * no child was made; clone() from now on. */
                if (r != -ENOSYS && r != -E2BIG && r != -EINVAL && r != -EPERM) {
                        *ret_error = (int) -r;
                        return -1;
                }
                log_info_errno((int) -r, "clone3() with CLONE_INTO_CGROUP is not available (%m): "
                                         "children join their cgroup before exec");
                can_clone_into_cgroup = false;
        }
        if (req->cgroup_fd >= 0) {
                ctx->cgroup_procs_fd = openat(req->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                if (ctx->cgroup_procs_fd < 0) {
                        *ret_error = errno;
                        return -1;
                }
        }
        pid = clone(child_main, child_stack, flags, ctx, pidfd);
        *ret_error = errno;
        return pid;
}

int spawn_child(const SpawnRequest *req, SpawnResult *ret, SpawnFailure *ret_failure) {
        ChildContext ctx = { .req = req, .failure = ret_failure, .fds = req->fds, .n_fds = req->n_fds, .cgroup_procs_fd = -1 };
        SpawnFd fds[SPAWN_MAX_FD + 3];
        int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
        int status[2] = { -1, -1 };
        sigset_t all, saved;
        int pidfd = -1, error = 0;
        pid_t pid;

        if (!child_stack)
                return -ENOMEM;
        if (req->n_fds < 3 || req->n_fds > SPAWN_MAX_FD)
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

        if (req->through_helper) {
                int top = req->fds[req->n_fds - 1].target;

                if (exec_helper_fd < 0)
                        return -ENOEXEC;
                /* The status pipe: its write end goes to procctl-exec (close-on-exec
                 * there), the read end stays here, where it hangs up once the
                 * program runs or the child is gone. */
                if (pipe2(status, O_CLOEXEC | O_NONBLOCK) < 0)
                        return -errno;
                memcpy(fds, req->fds, req->n_fds * sizeof(SpawnFd));
                fds[req->n_fds] = (SpawnFd) { .source = status[1], .target = top + 1 };
                fds[req->n_fds + 1] = (SpawnFd) { .source = exec_helper_fd, .target = top + 2 };
                ctx.fds = fds;
                ctx.n_fds = req->n_fds + 2;
                if (req->exec_fd >= 0)
                        fds[ctx.n_fds++] = (SpawnFd) { .source = req->exec_fd, .target = top + 3 };
                ctx.exec_helper_target = top + 2;
                ctx.helper_argv = helper_argv_new(req, top + 1, req->exec_fd >= 0 ? top + 3 : -1, ctx.nofile);
                if (!ctx.helper_argv) {
                        safe_close(status[0]);
                        safe_close(status[1]);
                        return -ENOMEM;
                }
        } else if (req->exec_fd >= 0) {
                /* The file to run goes along, above the caller's descriptors. */
                int top = req->fds[req->n_fds - 1].target;
                memcpy(fds, req->fds, req->n_fds * sizeof(SpawnFd));
                fds[req->n_fds] = (SpawnFd) { .source = req->exec_fd, .target = top + 1 };
                ctx.fds = fds;
                ctx.n_fds = req->n_fds + 1;
                ctx.exec_fd_target = top + 1;
        }
        if (req->use_pidfd)
                flags |= CLONE_PIDFD;
        if (req->share_files)
                flags |= CLONE_FILES;

        sigfillset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, &saved);
        pid = clone_child(req, flags, &ctx, &pidfd, &error);
        (void) sigprocmask(SIG_SETMASK, &saved, NULL);
        safe_close(ctx.cgroup_procs_fd);

        helper_argv_free(req, ctx.helper_argv);
        safe_close(status[1]);
        if (pid < 0) {
                safe_close(status[0]);
                return -error;
        }

        if (ret_failure->stage != SPAWN_STAGE_NONE) {
                /* The child has exited already (vfork semantics): reap it now. */
                siginfo_t si;
                if (pidfd >= 0)
                        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
                else
                        (void) waitid(P_PID, (id_t) pid, &si, WEXITED);
                safe_close(pidfd);
                safe_close(status[0]);
                return 1;
        }

        *ret = (SpawnResult) { .pid = pid, .pidfd = pidfd, .status_fd = status[0] };
        return 0;
}

int spawn_read_status(int status_fd, SpawnFailure *ret) {
        SpawnFailure f;
        ssize_t n;

        do
                n = read(status_fd, &f, sizeof(f));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        /* Written by a child that ran as the caller from its identity switch on:
         * anything may be in it.  Take only what is well-formed. */
        if ((size_t) n != sizeof(f) || f.stage <= SPAWN_STAGE_NONE || f.stage >= _SPAWN_STAGE_MAX || f.error <= 0 ||
            f.error >= 4096 || !memchr(f.interpreter, '\0', sizeof(f.interpreter)) || !memchr(f.file, '\0', sizeof(f.file)))
                return -EBADMSG;
        f.exists = f.exists != 0;
        *ret = f;
        return 1;
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
        case SPAWN_STAGE_HELPER:
                return "procctl-exec";
        case SPAWN_STAGE_CGROUP:
                return "joining the cgroup (cgroup.procs)";
        default:
                return "execve";
        }
}

static int spawn_failure_reason(const SpawnFailure *f, const char *file, const char *working_directory, uid_t uid,
                                gid_t gid, char *buf, size_t size) {
        const char *why = strerror(f->error);

        switch (f->stage) {
        case SPAWN_STAGE_CHDIR:
                return snprintf(buf, size, "chdir(\"%s\"): %s", working_directory, why);
        case SPAWN_STAGE_SETGROUPS:
        case SPAWN_STAGE_SETRESGID:
                return snprintf(buf, size, "%s(%u): %s", stage_call(f->stage), (unsigned) gid, why);
        case SPAWN_STAGE_SETRESUID:
        case SPAWN_STAGE_VERIFY_IDENTITY:
                return snprintf(buf, size, "%s(%u): %s", stage_call(f->stage), (unsigned) uid, why);
        case SPAWN_STAGE_EXEC:
                break;
        default:
                return snprintf(buf, size, "%s: %s", stage_call(f->stage), why);
        }

        bool searched = !strchr(file, '/');

        if (f->error == ENOENT && f->exists && f->interpreter[0])
                return snprintf(buf, size, "execve(\"%s\"): interpreter \"%s\" not found: %s", f->file, f->interpreter, why);
        if (f->error == ENOENT && f->exists)
                return snprintf(buf, size, "execve(\"%s\"): %s (the file exists: its ELF interpreter is missing)", f->file,
                                why);
        if (searched && (f->error == ENOENT || f->error == EACCES))
                return snprintf(buf, size, "execvp(\"%s\"): %s", file, why);
        return snprintf(buf, size, "execve(\"%s\"): %s", f->file, why);
}

/* The errno's name comes first ("ENOENT: execve(...): ..."; the number for an
 * errno without a name), so that a client can tell the reason without
 * reading strerror()'s English: org.procctl.Manager1(5) documents the form. */
int spawn_failure_message(const SpawnFailure *f, const char *file, const char *working_directory, uid_t uid, gid_t gid,
                          char *buf, size_t size) {
        const char *name = strerrorname_np(f->error);
        int n, m;

        n = name ? snprintf(buf, size, "%s: ", name) : snprintf(buf, size, "%d: ", f->error);
        if (n < 0)
                return n;
        if ((size_t) n < size)
                m = spawn_failure_reason(f, file, working_directory, uid, gid, buf + n, size - (size_t) n);
        else
                m = spawn_failure_reason(f, file, working_directory, uid, gid, NULL, 0);
        return m < 0 ? m : n + m;
}
