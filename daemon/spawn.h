/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Starting a child: one clone() that gives the child and its pidfd together,
 * in the vfork style (CLONE_VM|CLONE_VFORK), so the cost does not grow with
 * the daemon's memory; where the process has a cgroup, clone3() creates the
 * child in it (CLONE_INTO_CGROUP, Linux 5.7), so that it never runs a
 * moment elsewhere and no migration is paid for.
 *
 * A child that will run as root execs its program straight from there: the
 * daemon learns the outcome before clone() returns, and nobody but root can
 * signal or trace that child.  A child that will run as anyone else never
 * switches identity on the daemon's memory: it sets up its descriptors,
 * session and signals as root, then execs procctl-exec (exec-main.c), which
 * switches identity, enters the working directory and execs the program.
 * From the first exec on the child has memory of its own and the daemon is
 * not waiting for it; the outcome comes back on a close-on-exec status pipe
 * the daemon reads from its event loop (launch.c).  A caller who stops that
 * child stops only its own Spawn.
 */

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "child.h"

#define SPAWN_MAX_FD 1024 /* targets are below the child's RLIMIT_NOFILE soft limit */

/* Descriptors the daemon keeps for long (a pidfd per process, state memfds)
 * live at or above this floor, passed ones and the daemon's own below it: a
 * child then shares the daemon's table (CLONE_FILES) and unshares only what
 * lies below the floor, so starting one costs the same with 10 or 10,000
 * processes tracked, instead of copying and closing every pidfd. */
#define SPAWN_HIGH_FD_FLOOR 4096

/* Moves fd to SPAWN_HIGH_FD_FLOOR or above (closing the original); returns
 * the new descriptor, or fd itself when the limit leaves no room. */
int spawn_move_fd_high(int fd);

typedef struct SpawnFd {
        int source; /* descriptor in the daemon */
        int target; /* number in the child */
} SpawnFd;

typedef struct SpawnRequest {
        const char *file;  /* what the caller named: a path, or a name looked up in PATH */
        int exec_fd;           /* the file found already (env.h exec_resolve()), run by descriptor; -1: none */
        const char *exec_path; /* with exec_fd: its path */
        char **candidates; /* with the in-daemon exec: the files to try, in order (env.h) */
        char **argv;
        char **envp;
        const char *working_directory;

        bool switch_identity; /* set uid, gid and groups (a daemon not running as root cannot) */
        bool through_helper;  /* another user's program: through procctl-exec, see above */
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;

        bool controlling_tty; /* make fd 0 the controlling terminal of the new session */
        mode_t umask;
        bool reset_nofile;
        struct rlimit nofile;

        SpawnFd *fds; /* sorted by target, 0, 1 and 2 always present */
        size_t n_fds;

        int cgroup_fd; /* the process's cgroup (its directory), where the child starts; -1: none (cgroup.h) */
        bool cgroup_join; /* the child joins it (cgroup.procs) rather than being cloned into it (Cgroup.killed) */

        bool use_pidfd;
        bool share_files; /* clone with CLONE_FILES and unshare below the floor (spawn_init() decides) */
} SpawnRequest;

typedef struct SpawnResult {
        pid_t pid;
        int pidfd;     /* -1 without use_pidfd */
        int status_fd; /* procctl-exec's status pipe, to read from the event loop; -1: the program runs */
} SpawnResult;

/* Reserves the child's stack (one is enough: clone() returns only after the
 * child has exec'd or exited), opens procctl-exec (exec_helper: its path) and
 * probes close_range(CLOSE_RANGE_UNSHARE).  clone_into_cgroup false: children
 * join their cgroup before exec, as on kernels without clone3()'s
 * CLONE_INTO_CGROUP (procctld --clone-into-cgroup=no, to test that path). */
int spawn_init(const char *exec_helper, bool clone_into_cgroup);

/* Whether children can unshare their descriptor table below the floor. */
bool spawn_can_share_files(void);

/* Returns 0 with the child in *ret (its outcome still to come when
 * ret->status_fd >= 0); 1 when the child could not get as far as exec, with
 * *ret_failure filled in and the child reaped; a negative errno when no child
 * was created. */
int spawn_child(const SpawnRequest *req, SpawnResult *ret, SpawnFailure *ret_failure);

/* Reads procctl-exec's report from its (non-blocking) status pipe, once it
 * is readable: 0 when it hung up with nothing written (the program runs), 1
 * with *ret filled in when exec failed, -EAGAIN when there is nothing yet,
 * -EBADMSG when what was written is not a report.  A report is written in one
 * piece smaller than PIPE_BUF, so it arrives whole or not at all. */
int spawn_read_status(int status_fd, SpawnFailure *ret);

/* "execve(\"/nope\"): No such file or directory" and the like: file is what
 * the caller named, the others what the child was to get. */
int spawn_failure_message(const SpawnFailure *f, const char *file, const char *working_directory, uid_t uid, gid_t gid,
                          char *buf, size_t size);

/*
 * procctl-exec's arguments, written by spawn_child() and read by
 * exec-main.c: argv[1] is "UID GID UMASK(octal) FLAGS STATUS_FD EXEC_FD
 * NOFILE_CUR NOFILE_MAX N_GROUPS N_ARGV N_ENV" (EXEC_FD -1 when the file is
 * to be looked up), then the working directory, the file (with EXEC_FD, its
 * path),
 * N_GROUPS group ids, the program's N_ARGV arguments, an empty argument, and
 * its N_ENV environment entries.  procctl-exec turns the empty argument into
 * the NULL that ends the program's arguments, and runs the program with both
 * lists where the kernel put them: it allocates no memory, each page of
 * which would cost the new process a fault.
 */
/* The most supplementary groups the kernel takes (its NGROUPS_MAX; musl's
 * <limits.h>, which procctl-exec may be built with, says 32). */
#define EXEC_MAX_GROUPS 65536u
#define EXEC_FLAG_SWITCH_IDENTITY 1u
#define EXEC_FLAG_CONTROLLING_TTY 2u
#define EXEC_FLAG_RESET_NOFILE 4u
