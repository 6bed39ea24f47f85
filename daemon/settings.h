/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's settings: its limits, what one uid may hold at once, and the total; and how
 * long a yes from polkit is remembered.  Read
 * from the configuration file, then overridden from the command line.
 * Going past one is LimitExceeded naming the limit (quota.c).
 */

#include <stdbool.h>

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
} Limits;

#define LIMITS_DEFAULT                                                                     \
        (Limits) {                                                                         \
                .running_per_user = 1024, .retained_per_user = 1024, .waits_per_user = 4096, \
                .auth_per_user = 16, .auth_fds_per_user = 64, .bytes_per_user = 16777216,  \
                .processes_total = 65536, .remember_auth_sec = 5,                          \
                .output_bytes_max = 16777216, .output_bytes_default = 1048576,             \
        }

/* Sets the setting named key (as in the file: MaxRunningPerUser, …) from a
 * decimal value: at least 1 for a limit, any for RememberAuthorizationSec
 * (0 turns it off).  -ENOENT: no such key; -EINVAL: bad value. */
int limits_set(Limits *l, const char *key, const char *value);

/* The least value key takes: 1, or 0 for RememberAuthorizationSec. */
unsigned limits_min(const char *key);

/* Reads "Key=Value" lines ('#' comments, an optional [Limits] header).
 * A missing file is fine; a bad line is an error naming file and line. */
int limits_load_file(Limits *l, const char *path);

/* The file's key for a command-line option such as "max-running-per-user", or NULL. */
const char *limits_key_for_option(const char *option);
