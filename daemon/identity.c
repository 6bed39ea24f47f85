/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <search.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "macro.h"

void identity_done(Identity *id) {
        free(id->name);
        free(id->home);
        free(id->shell);
        free(id->groups);
        *id = (Identity) {};
}

int parse_id(const char *s, unsigned *ret) {
        unsigned long v = 0;

        if (!s || !*s || (s[0] == '0' && s[1]))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*p - '0');
                if (v >= (unsigned long) UINT_MAX) /* (uid_t) -1 means "no change" to set*id: never an id */
                        return -ERANGE;
        }
        *ret = (unsigned) v;
        return 0;
}

bool valid_user_group_name(const char *s) {
        size_t n = strlen(s);

        /* The portable rules of useradd, relaxed as Debian allows: no leading
         * digit or dash, no all-digit names, letters, digits, '_', '-', '.',
         * and a trailing '$' for machine accounts. */
        if (n == 0 || n > 32)
                return false;
        if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.')
                        continue;
                if (c == '$' && i == n - 1)
                        continue;
                return false;
        }
        return true;
}

/* getpw*_r and getgr*_r report "not found" as 0 with a NULL result, or, for
 * some NSS modules, as ENOENT/ESRCH/EBADF/EPERM. */
static int nss_result(int r, const void *result) {
        if (r == 0)
                return result ? 0 : -ENOENT;
        if (r == ENOENT || r == ESRCH || r == EBADF || r == EPERM)
                return -ENOENT;
        return -r;
}

static int lookup_user(const char *spec, Identity *id) {
        struct passwd pw, *result = NULL;
        char buf[16384];
        unsigned uid;
        int r;

        if (parse_id(spec, &uid) == 0)
                r = getpwuid_r((uid_t) uid, &pw, buf, sizeof(buf), &result);
        else if (valid_user_group_name(spec))
                r = getpwnam_r(spec, &pw, buf, sizeof(buf), &result);
        else
                return -EINVAL;
        r = nss_result(r, result);
        if (r < 0)
                return r;

        id->uid = pw.pw_uid;
        id->gid = id->user_gid = pw.pw_gid;
        id->name = strdup(pw.pw_name);
        id->home = strdup(pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/");
        id->shell = strdup(pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh");
        if (!id->name || !id->home || !id->shell)
                return -ENOMEM;
        return 0;
}

static int lookup_group(const char *spec, gid_t *ret) {
        struct group gr, *result = NULL;
        char buf[16384];
        unsigned gid;
        int r;

        if (parse_id(spec, &gid) == 0) {
                /* A numeric gid need not have a name, as with chown/setpriv. */
                *ret = (gid_t) gid;
                return 0;
        }
        if (!valid_user_group_name(spec))
                return -EINVAL;
        r = getgrnam_r(spec, &gr, buf, sizeof(buf), &result);
        r = nss_result(r, result);
        if (r < 0)
                return r;
        *ret = gr.gr_gid;
        return 0;
}

static int lookup_groups(Identity *id) {
        int n = 32;

        for (;;) {
                gid_t *l = reallocarray(NULL, (size_t) n, sizeof(gid_t));
                int k = n;

                if (!l)
                        return -ENOMEM;
                if (getgrouplist(id->name, id->user_gid, l, &k) >= 0) {
                        id->groups = l;
                        id->n_groups = (size_t) k;
                        return 0;
                }
                free(l);
                if (k <= n || k > 65536)
                        return -EIO;
                n = k;
        }
}

int identity_resolve(const char *user, uid_t default_uid, const char *group, Identity *ret, const char **ret_missing) {
        Identity id = {};
        char uidbuf[16];
        int r;

        if (!user) {
                snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned) default_uid);
                user = uidbuf;
        }

        *ret_missing = user;
        r = lookup_user(user, &id);
        if (r < 0)
                goto fail;
        if (group) {
                *ret_missing = group;
                r = lookup_group(group, &id.gid);
                if (r < 0)
                        goto fail;
        }
        *ret_missing = NULL;
        r = lookup_groups(&id);
        if (r < 0)
                goto fail;

        *ret = id;
        return 0;
fail:
        identity_done(&id);
        return r;
}

bool identity_has_group(const Identity *id, gid_t gid) {
        for (size_t i = 0; i < id->n_groups; i++)
                if (id->groups[i] == gid)
                        return true;
        return false;
}

typedef struct CachedIdentity {
        Identity identity;
        struct timespec passwd_mtime, group_mtime;
        uint64_t resolved_usec; /* CLOCK_MONOTONIC */
} CachedIdentity;

static int cached_compare(const void *a, const void *b) {
        uid_t x = ((const CachedIdentity *) a)->identity.uid, y = ((const CachedIdentity *) b)->identity.uid;
        return x < y ? -1 : x > y;
}

static struct timespec file_mtime(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? (struct timespec) {} : st.st_mtim;
}

static bool same_time(struct timespec a, struct timespec b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void cached_free(void *p) {
        CachedIdentity *c = p;
        identity_done(&c->identity);
        free(c);
}

int identity_cache_get(IdentityCache *cache, uid_t uid, const Identity **ret, const char **ret_missing) {
        CachedIdentity key = { .identity.uid = uid }, *c;
        struct timespec passwd = file_mtime("/etc/passwd"), group = file_mtime("/etc/group");
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        void **found = tfind(&key, &cache->by_uid, cached_compare);
        int r;

        if (found) {
                c = *found;
                if (same_time(c->passwd_mtime, passwd) && same_time(c->group_mtime, group) &&
                    now - c->resolved_usec < IDENTITY_CACHE_USEC) {
                        *ret = &c->identity;
                        return 0;
                }
                (void) tdelete(c, &cache->by_uid, cached_compare);
                cached_free(c);
        }

        c = calloc(1, sizeof(CachedIdentity));
        if (!c)
                return -ENOMEM;
        r = identity_resolve(NULL, uid, NULL, &c->identity, ret_missing);
        if (r < 0) {
                free(c);
                return r;
        }
        c->passwd_mtime = passwd;
        c->group_mtime = group;
        c->resolved_usec = now;
        if (!tsearch(c, &cache->by_uid, cached_compare)) {
                cached_free(c);
                return -ENOMEM;
        }
        *ret = &c->identity;
        return 0;
}

void identity_cache_clear(IdentityCache *cache) {
        tdestroy(cache->by_uid, cached_free);
        cache->by_uid = NULL;
}
