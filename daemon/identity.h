/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who a child runs as: a user and group named by a Spawn caller, resolved in
 * the daemon (never between clone and exec) into the uid, gid, supplementary
 * groups and the account fields the base environment is built from.
 * Numbers are ids; names must be valid names, so "0day" is neither.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Identity {
        uid_t uid;
        gid_t gid;      /* the primary group the child gets */
        gid_t user_gid; /* the user's own primary group */
        char *name;
        char *home;
        char *shell;
        gid_t *groups; /* the user's groups (from user_gid), as login gives them */
        size_t n_groups;
} Identity;

void identity_done(Identity *id);

/* Parses a decimal id without sign, spaces or leading zeros; -EINVAL otherwise. */
int parse_id(const char *s, unsigned *ret);
bool valid_user_group_name(const char *s);

/* Resolves the user (NULL: the uid given) and the group (NULL: the user's
 * primary group).  -ENOENT/-ESRCH: no such user/group; -EINVAL: not a valid
 * name or number; any other negative errno: the user database failed. */
int identity_resolve(const char *user, uid_t default_uid, const char *group, Identity *ret, const char **ret_missing);

bool identity_has_group(const Identity *id, gid_t gid);

/* The user records last resolved by uid, kept while /etc/passwd and
 * /etc/group are unchanged and for at most IDENTITY_CACHE_USEC (other NSS
 * sources cannot be watched), so that a caller starting one process per
 * connection does not cost a user-database read each time. */
#define IDENTITY_CACHE_USEC (10ULL * 1000000ULL)

typedef struct IdentityCache {
        void *by_uid; /* tsearch tree */
} IdentityCache;

/* The record of uid, from the cache or resolved now; owned by the cache. */
int identity_cache_get(IdentityCache *c, uid_t uid, const Identity **ret, const char **ret_missing);
void identity_cache_clear(IdentityCache *c);
