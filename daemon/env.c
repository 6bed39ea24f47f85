/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "macro.h"

bool env_entry_valid(const char *s) {
        const char *eq = strchr(s, '=');
        return eq && eq != s;
}

static size_t key_length(const char *entry) {
        return strcspn(entry, "=");
}

const char *env_get(char *const *env, const char *key) {
        size_t n = strlen(key);

        for (char *const *e = env; e && *e; e++)
                if (key_length(*e) == n && strncmp(*e, key, n) == 0)
                        return *e + n + 1;
        return NULL;
}

typedef struct EnvEntry {
        const char *entry;
        size_t seq; /* later entries win */
} EnvEntry;

static int env_entry_compare(const void *a, const void *b) {
        const EnvEntry *x = a, *y = b;
        size_t kx = key_length(x->entry), ky = key_length(y->entry);
        int c = strncmp(x->entry, y->entry, kx < ky ? kx : ky);

        if (c != 0)
                return c;
        if (kx != ky)
                return kx < ky ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorting by key, then by order given, keeps this O(n log n) for the
 * thousands of entries a caller may send. */
int env_build(const Identity *id, char *const *overrides, char ***ret) {
        const char *path = id->uid == 0 ? ENV_DEFAULT_PATH_ROOT : ENV_DEFAULT_PATH_USER;
        char *base[5] = {};
        size_t n_over = strv_length(overrides), n = 0, k = 0;
        _cleanup_free_ EnvEntry *all = NULL;
        char **env = NULL;
        int r = -ENOMEM;

        if (asprintf(&base[0], "PATH=%s", path) < 0 || asprintf(&base[1], "HOME=%s", id->home) < 0 ||
            asprintf(&base[2], "USER=%s", id->name) < 0 || asprintf(&base[3], "LOGNAME=%s", id->name) < 0 ||
            asprintf(&base[4], "SHELL=%s", id->shell) < 0)
                goto finish;
        all = calloc(ELEMENTSOF(base) + n_over, sizeof(EnvEntry));
        if (!all)
                goto finish;
        for (size_t i = 0; i < ELEMENTSOF(base); i++, n++)
                all[n] = (EnvEntry) { base[i], n };
        for (size_t i = 0; i < n_over; i++, n++)
                all[n] = (EnvEntry) { overrides[i], n };
        qsort(all, n, sizeof(EnvEntry), env_entry_compare);

        env = calloc(n + 1, sizeof(char *));
        if (!env)
                goto finish;
        for (size_t i = 0; i < n; i++) {
                /* The last of a run of equal keys is the one set last. */
                if (i + 1 < n && key_length(all[i].entry) == key_length(all[i + 1].entry) &&
                    strncmp(all[i].entry, all[i + 1].entry, key_length(all[i].entry)) == 0)
                        continue;
                if (!(env[k++] = strdup(all[i].entry))) {
                        env = strv_free(env);
                        goto finish;
                }
        }
        *ret = TAKE_PTR(env);
        r = 0;
finish:
        for (size_t i = 0; i < ELEMENTSOF(base); i++)
                free(base[i]);
        return r;
}

int exec_candidates(const char *file, const char *path, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        const char *p;

        if (strchr(file, '/') || !path) {
                /* execvp uses a default search path when PATH is unset;
                 * the base environment always sets PATH, so an unset one
                 * means a caller removed it on purpose: take file as is. */
                l = calloc(2, sizeof(char *));
                if (!l || !(l[0] = strdup(file)))
                        return -ENOMEM;
                *ret = TAKE_PTR(l);
                return 0;
        }

        p = path;
        for (;;) {
                size_t len = strcspn(p, ":");
                char **nl = reallocarray(l, n + 2, sizeof(char *));
                char *c;

                if (!nl)
                        return -ENOMEM;
                l = nl;
                if (len == 0)
                        c = strdup(file);
                else if (asprintf(&c, "%.*s/%s", (int) len, p, file) < 0)
                        c = NULL;
                if (!c)
                        return -ENOMEM;
                l[n++] = c;
                l[n] = NULL;

                if (p[len] == '\0')
                        break;
                p += len + 1;
        }

        *ret = TAKE_PTR(l);
        return 0;
}
