/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Starting a child: one clone() that gives the child and its pidfd together,
 * in the vfork style (CLONE_VM|CLONE_VFORK), so the cost does not grow with
 * the daemon's memory and the daemon learns the outcome of exec before clone
 * returns.  Everything the child needs is prepared by the caller in a
 * SpawnRequest; between clone and exec the child only makes async-signal-safe
 * calls, in the order spawn.c lists them.
 */

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

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
        char **candidates; /* files to try, in order (execvp rules, see env.h) */
        const char *file;  /* what the caller named, for messages */
        char **argv;
        char **envp;
        const char *working_directory;

        bool switch_identity;
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

        bool use_pidfd;
        bool share_files; /* clone with CLONE_FILES and unshare below the floor (spawn_init() decides) */
} SpawnRequest;

typedef enum SpawnStage {
        SPAWN_STAGE_NONE,
        SPAWN_STAGE_SIGNALS,
        SPAWN_STAGE_SETSID,
        SPAWN_STAGE_FDS,
        SPAWN_STAGE_TTY,
        SPAWN_STAGE_UMASK,
        SPAWN_STAGE_RLIMIT,
        SPAWN_STAGE_SETGROUPS,
        SPAWN_STAGE_SETRESGID,
        SPAWN_STAGE_SETRESUID,
        SPAWN_STAGE_VERIFY_IDENTITY,
        SPAWN_STAGE_CHDIR,
        SPAWN_STAGE_EXEC,
} SpawnStage;

/* What the child reports when it cannot exec: written by the child into
 * memory it shares with the daemon, read after clone() returns. */
typedef struct SpawnFailure {
        SpawnStage stage;
        int error;                 /* positive errno */
        int candidate;             /* with SPAWN_STAGE_EXEC: index of the file that gave error */
        bool exists;               /* with ENOENT: the file exists (its interpreter does not) */
        char interpreter[256];     /* with ENOENT and a "#!" file: the interpreter named */
} SpawnFailure;

/* Reserves the child's stack (one is enough: clone() returns only after the
 * child has exec'd or exited) and probes close_range(CLOSE_RANGE_UNSHARE). */
int spawn_init(void);

/* Whether children can unshare their descriptor table below the floor. */
bool spawn_can_share_files(void);

/* Returns 0 with the child's pid and pidfd (-1 when !use_pidfd); 1 when the
 * child could not exec, with *ret_failure filled in and the child reaped;
 * a negative errno when no child was created. */
int spawn_child(const SpawnRequest *req, pid_t *ret_pid, int *ret_pidfd, SpawnFailure *ret_failure);

/* "execve(\"/nope\"): No such file or directory" and the like. */
int spawn_failure_message(const SpawnRequest *req, const SpawnFailure *f, char *buf, size_t size);
