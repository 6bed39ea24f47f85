/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The child's half of starting a program, shared by the two places it runs:
 * the daemon's own vfork-style child (a program that runs as root, see
 * spawn.c) and procctl-exec, the small program that a child which will run as
 * another user becomes before it switches identity (exec-main.c).  Everything
 * here is async-signal-safe: no allocation, no locks, raw syscalls where
 * glibc's wrappers would reach other threads.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum SpawnStage {
        SPAWN_STAGE_NONE,
        SPAWN_STAGE_SIGNALS,
        SPAWN_STAGE_SETSID,
        SPAWN_STAGE_FDS,
        SPAWN_STAGE_RLIMIT,
        SPAWN_STAGE_SETGROUPS,
        SPAWN_STAGE_SETRESGID,
        SPAWN_STAGE_SETRESUID,
        SPAWN_STAGE_VERIFY_IDENTITY,
        SPAWN_STAGE_TTY,
        SPAWN_STAGE_CHDIR,
        SPAWN_STAGE_EXEC,
        SPAWN_STAGE_HELPER, /* procctl-exec could not be started or was handed a bad request */
        SPAWN_STAGE_CGROUP, /* joining the process's cgroup */
        _SPAWN_STAGE_MAX,
} SpawnStage;

/* What a child reports when it cannot exec: written into memory shared with
 * the daemon (vfork style), or onto the status pipe (procctl-exec).  The
 * daemon checks every field of one read from a pipe: the child then runs as
 * the caller, who may have written anything into it. */
typedef struct SpawnFailure {
        SpawnStage stage;
        int error;             /* positive errno */
        bool exists;           /* with ENOENT: the file exists (its interpreter does not) */
        char interpreter[256]; /* with ENOENT and a "#!" file: the interpreter named */
        char file[3584];       /* with SPAWN_STAGE_EXEC: the file that gave error (cut short if longer) */
} SpawnFailure;

/* Written to a pipe in one piece: the pipe then delivers it whole. */
_Static_assert(sizeof(SpawnFailure) < 4096, "a SpawnFailure must fit in PIPE_BUF");

/* Groups, then gid, then uid, each real, effective and saved; then checks
 * that all took.  0, or the stage that failed with errno set. */
SpawnStage child_switch_identity(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups);

/* Tries each candidate with execvp's rules (without its retry through
 * /bin/sh); returns only when none could be executed, with f filled in. */
void child_exec(char *const *candidates, char *const *argv, char *const *envp, SpawnFailure *f);
