/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The child's environment and the files exec tries, both computed in the
 * daemon before clone, so that the child only walks ready-made arrays.
 * Nothing here reads the daemon's own environment.
 */

#include <stdbool.h>

#include "identity.h"

#define ENV_DEFAULT_PATH_ROOT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ENV_DEFAULT_PATH_USER "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"

/* Whether s is a KEY=VALUE entry with a non-empty KEY. */
bool env_entry_valid(const char *s);

/* PATH, HOME, USER, LOGNAME and SHELL for the user, then each of overrides
 * (KEY=VALUE) set on top, a later one replacing an earlier one of the same key. */
int env_build(const Identity *id, char *const *overrides, char ***ret);

/* The value of key in env, or NULL. */
const char *env_get(char *const *env, const char *key);

/* The files execvp would try for file: file itself when it contains a '/',
 * else file in each PATH directory in order (an empty one meaning the working
 * directory, so plain file). */
int exec_candidates(const char *file, const char *path, char ***ret);

/* The file exec would run for file, found in the daemon before anything is
 * started, for the caller's authorization to name it: each of
 * exec_candidates() in turn, relative ones under working_directory, opened
 * O_PATH as root (a user's FUSE mount refuses root at once, so a caller
 * cannot make this wait) and taken when it is a regular file with an
 * execute bit.  Returns 0 with the descriptor and its absolute path without
 * symbolic links, or the
 * negative errno execvp would give: EACCES if a candidate was found but not
 * executable, else the last candidate's. */
int exec_resolve(const char *file, const char *path, const char *working_directory, int *ret_fd, char **ret_path);

/* Whether key=value is one of the variables that glibc's dynamic loader and
 * libc ignore in a setuid program (its list of unsecure variables:
 * LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH, ...). */
bool env_entry_unsecure(const char *entry);
