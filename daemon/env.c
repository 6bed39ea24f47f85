/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "macro.h"
#include "procfs.h"

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

int exec_resolve(const char *file, const char *path, const char *working_directory, int *ret_fd, char **ret_path) {
        _cleanup_strv_free_ char **candidates = NULL;
        int r, error = -ENOENT;
        bool seen_eacces = false;

        r = exec_candidates(file, path, &candidates);
        if (r < 0)
                return r;
        STRV_FOREACH(c, candidates) {
                _cleanup_free_ char *joined = NULL;
                const char *name = *c;
                struct stat st;
                int fd;

                if (name[0] != '/') {
                        if (asprintf(&joined, "%s%s%s", working_directory,
                                     working_directory[strlen(working_directory) - 1] == '/' ? "" : "/", name) < 0)
                                return -ENOMEM;
                        name = joined;
                }
                fd = open(name, O_PATH | O_CLOEXEC);
                if (fd < 0) {
                        if (!seen_eacces)
                                error = -errno;
                        continue;
                }
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                        close(fd);
                        seen_eacces = true;
                        error = -EACCES;
                        continue;
                }
                /* The path of the file itself, without symbolic links: what an
                 * administrator's rule names ("/usr/bin/id", not "/bin/id"). */
                char link[32];
                snprintf(link, sizeof(link), "fd/%d", fd);
                *ret_path = procfs_readlink(0, link);
                if (*ret_path && (*ret_path)[0] != '/') {
                        free(*ret_path);
                        *ret_path = NULL;
                }
                if (!*ret_path)
                        *ret_path = strdup(name);
                if (!*ret_path) {
                        close(fd);
                        return -ENOMEM;
                }
                *ret_fd = fd;
                return 0;
        }
        return error;
}

bool env_entry_unsecure(const char *entry) {
        /* glibc's list of variables it drops for a secure (setuid) exec. */
        static const char *const unsecure[] = {
                "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LD_AUDIT", "LD_DEBUG", "LD_DEBUG_OUTPUT",
                "LD_DYNAMIC_WEAK", "LD_HWCAP_MASK", "LD_LIBRARY_PATH", "LD_ORIGIN_PATH", "LD_PRELOAD", "LD_PROFILE",
                "LD_SHOW_AUXV", "LD_USE_LOAD_BIAS", "LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH",
                "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR",
        };
        size_t n = key_length(entry);

        for (size_t i = 0; i < ELEMENTSOF(unsecure); i++)
                if (strlen(unsecure[i]) == n && strncmp(entry, unsecure[i], n) == 0)
                        return true;
        return false;
}
