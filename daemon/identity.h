/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who a child runs as: a user and group named by a Spawn caller, resolved in
 * the daemon (never between clone and exec) into the uid, gid, supplementary
 * groups and the account fields the base environment is built from.
 * Numbers are ids; names must be valid names, so "0day" is neither.
 */

#include <stdbool.h>
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
