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

/* Sets entry (owned) in the NULL-terminated array *env of *n entries. */
static int env_set(char ***env, size_t *n, char *entry) {
        size_t k = key_length(entry);
        char **l;

        for (size_t i = 0; i < *n; i++)
                if (key_length((*env)[i]) == k && strncmp((*env)[i], entry, k) == 0) {
                        free((*env)[i]);
                        (*env)[i] = entry;
                        return 0;
                }

        l = reallocarray(*env, *n + 2, sizeof(char *));
        if (!l) {
                free(entry);
                return -ENOMEM;
        }
        l[(*n)++] = entry;
        l[*n] = NULL;
        *env = l;
        return 0;
}

int env_build(const Identity *id, char *const *overrides, char ***ret) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
        size_t n = 0;
        const struct {
                const char *key, *value;
        } base[] = {
                { "PATH", id->uid == 0 ? ENV_DEFAULT_PATH_ROOT : ENV_DEFAULT_PATH_USER },
                { "HOME", id->home },
                { "USER", id->name },
                { "LOGNAME", id->name },
                { "SHELL", id->shell },
        };

        if (!env)
                return -ENOMEM;

        for (size_t i = 0; i < ELEMENTSOF(base); i++) {
                char *e;
                if (asprintf(&e, "%s=%s", base[i].key, base[i].value) < 0)
                        return -ENOMEM;
                if (env_set(&env, &n, e) < 0)
                        return -ENOMEM;
        }

        STRV_FOREACH(o, (char **) overrides) {
                char *e = strdup(*o);
                if (!e || env_set(&env, &n, e) < 0)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(env);
        return 0;
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
