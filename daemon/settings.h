/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's settings: its limits, what one uid may hold at once, and the total; and how
 * long a yes from polkit is remembered.  Read
 * from the configuration file, then overridden from the command line.
 * Going past one is LimitExceeded naming the limit (quota.c).
 */

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

typedef struct Limits {
        unsigned running_per_user;  /* running processes a uid owns (root: exempt) */
        unsigned retained_per_user; /* exited records a uid owns, oldest dropped past it */
        unsigned waits_per_user;    /* pending Wait and Stop calls of a uid (root: exempt) */
        unsigned auth_per_user;     /* pending polkit checks of a uid */
        unsigned auth_fds_per_user; /* descriptors in the calls of a uid waiting for polkit */
        unsigned bytes_per_user;    /* bytes of the records a uid owns (root: exempt) */
        unsigned processes_total;   /* processes tracked, all uids */
        unsigned remember_auth_sec; /* seconds a caller's yes from polkit is remembered (polkit.c); 0: never */
        unsigned output_bytes_max;  /* the largest `output-max` a Spawn may ask for (output.h) */
        unsigned output_bytes_default; /* `output-max` when a Spawn names none (cut down to the largest) */
        /* The cgroup limits of the processes of callers other than root: what
         * they get when they ask for none (DefaultMemoryMax=, …) and the most
         * they may ask for (MaxMemoryMax=, …); CGROUP_LIMITS_NONE: none. */
        CgroupLimits process_defaults;
        CgroupLimits process_maxima;
} Limits;

#define LIMITS_DEFAULT                                                                     \
        (Limits) {                                                                         \
                .running_per_user = 1024, .retained_per_user = 1024, .waits_per_user = 4096, \
                .auth_per_user = 16, .auth_fds_per_user = 64, .bytes_per_user = 16777216,  \
                .processes_total = 65536, .remember_auth_sec = 5,                          \
                .output_bytes_max = 16777216, .output_bytes_default = 1048576,             \
                .process_defaults = CGROUP_LIMITS_NONE, .process_maxima = CGROUP_LIMITS_NONE, \
        }

/* Sets the setting named key (as in the file: MaxRunningPerUser, …) from a
 * decimal value: at least 1 for a limit, any for RememberAuthorizationSec
 * (0 turns it off).  -ENOENT: no such key; -EINVAL: bad value. */
int limits_set(Limits *l, const char *key, const char *value);

/* The cgroup limits of a Spawn by a caller other than root (root is
 * exempt), given the controllers there are: each limit it asked for must be
 * at most the maximum, else -E2BIG with the option (*ret_option,
 * "memory-max"), the setting (*ret_key, "MaxMemoryMax") and its value
 * (*ret_max); a limit it did not ask for is the default, else the maximum
 * (where that is below what the kernel gives without one).  A default or
 * maximum whose controller is missing is left out: Spawn works as without
 * it (the caller's own request for it is NotSupported, launch.c). */
int limits_apply_to_spawn(const Limits *conf, unsigned controllers, CgroupLimits *l, const char **ret_option,
                          const char **ret_key, uint64_t *ret_max);

/* The least value key takes: 1, or 0 for RememberAuthorizationSec. */
unsigned limits_min(const char *key);

/* Reads "Key=Value" lines ('#' comments, an optional [Limits] header).
 * A missing file is fine; a bad line is an error naming file and line. */
int limits_load_file(Limits *l, const char *path);

/* The file's key for a command-line option such as "max-running-per-user", or NULL. */
const char *limits_key_for_option(const char *option);
