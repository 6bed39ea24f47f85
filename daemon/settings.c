/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "settings.h"
#include "log.h"
#include "macro.h"

static const struct {
        const char *key;
        const char *option;
        size_t offset;
        unsigned min;
} limit_table[] = {
        { "MaxRunningPerUser", "max-running-per-user", offsetof(Limits, running_per_user), 1 },
        { "MaxRetainedPerUser", "max-retained-per-user", offsetof(Limits, retained_per_user), 1 },
        { "MaxPendingWaitsPerUser", "max-waits-per-user", offsetof(Limits, waits_per_user), 1 },
        { "MaxPendingAuthPerUser", "max-auth-per-user", offsetof(Limits, auth_per_user), 1 },
        { "MaxPendingAuthDescriptorsPerUser", "max-auth-descriptors-per-user", offsetof(Limits, auth_fds_per_user), 1 },
        { "MaxBytesPerUser", "max-bytes-per-user", offsetof(Limits, bytes_per_user), 1 },
        { "MaxProcesses", "max-processes", offsetof(Limits, processes_total), 1 },
        { "RememberAuthorizationSec", "remember-authorization-sec", offsetof(Limits, remember_auth_sec), 0 },
        { "MaxOutputBytes", "max-output-bytes", offsetof(Limits, output_bytes_max), 1 },
        { "DefaultOutputBytes", "default-output-bytes", offsetof(Limits, output_bytes_default), 1 },
};

/* The cgroup limits' settings, a Default… and a Max… for each Spawn option. */
typedef enum LimitUnit {
        UNIT_BYTES,   /* 512M: K, M, G, T (1024-based) */
        UNIT_COUNT,   /* at least 1 */
        UNIT_WEIGHT,  /* 1-10000 */
        UNIT_PERCENT, /* 20%: of one CPU, stored as µs per second */
} LimitUnit;

static const struct {
        const char *option;
        const char *default_key;
        const char *max_key;
        size_t offset;         /* in CgroupLimits */
        LimitUnit unit;
        CgroupController controller;
        uint64_t unset;        /* what "none" is in CgroupLimits */
        uint64_t kernel;       /* what a cgroup has without the limit */
} cgroup_limit_table[] = {
        { "memory-max", "DefaultMemoryMax", "MaxMemoryMax", offsetof(CgroupLimits, memory_max), UNIT_BYTES,
          CGROUP_CONTROLLER_MEMORY, UINT64_MAX, UINT64_MAX },
        { "tasks-max", "DefaultTasksMax", "MaxTasksMax", offsetof(CgroupLimits, tasks_max), UNIT_COUNT,
          CGROUP_CONTROLLER_PIDS, UINT64_MAX, UINT64_MAX },
        { "cpu-weight", "DefaultCPUWeight", "MaxCPUWeight", offsetof(CgroupLimits, cpu_weight), UNIT_WEIGHT,
          CGROUP_CONTROLLER_CPU, 0, 100 },
        { "cpu-quota", "DefaultCPUQuota", "MaxCPUQuota", offsetof(CgroupLimits, cpu_quota), UNIT_PERCENT,
          CGROUP_CONTROLLER_CPU, UINT64_MAX, UINT64_MAX },
};

#define CGROUP_LIMIT(l, i) (*(uint64_t *) ((char *) (l) + cgroup_limit_table[i].offset))

static int parse_cgroup_limit(const char *value, LimitUnit unit, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (strcmp(value, "infinity") == 0 && unit != UNIT_WEIGHT) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (value[0] < '1' || value[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno != 0)
                return -EINVAL;
        if (unit == UNIT_BYTES && *end) {
                const char *suffixes = "KMGT", *at = strchr(suffixes, *end);
                if (!at || end[1])
                        return -EINVAL;
                for (const char *s = suffixes; s <= at; s++) {
                        if (v > UINT64_MAX / 1024)
                                return -EINVAL;
                        v *= 1024;
                }
                end++;
        } else if (unit == UNIT_PERCENT) {
                if (strcmp(end, "%") != 0 || v > UINT64_MAX / 10000)
                        return -EINVAL;
                v *= 10000; /* µs per second */
                end++;
        }
        if (*end || (unit == UNIT_WEIGHT && v > 10000) || v == UINT64_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int cgroup_limit_set(Limits *l, const char *key, const char *value) {
        for (size_t i = 0; i < ELEMENTSOF(cgroup_limit_table); i++) {
                bool is_default = strcmp(key, cgroup_limit_table[i].default_key) == 0;
                uint64_t v;

                if (!is_default && strcmp(key, cgroup_limit_table[i].max_key) != 0)
                        continue;
                if (parse_cgroup_limit(value, cgroup_limit_table[i].unit, &v) < 0)
                        return -EINVAL;
                if (v == UINT64_MAX)
                        v = cgroup_limit_table[i].unset;
                CGROUP_LIMIT(is_default ? &l->process_defaults : &l->process_maxima, i) = v;
                return 0;
        }
        return -ENOENT;
}

/* Whether a is more than b allows; b unset allows anything. */
static bool cgroup_limit_above(size_t i, uint64_t a, uint64_t b) {
        uint64_t unset = cgroup_limit_table[i].unset;
        return b != unset && (a == unset || a > b);
}

int limits_apply_to_spawn(const Limits *conf, unsigned controllers, CgroupLimits *l, const char **ret_option,
                          const char **ret_key, uint64_t *ret_max) {
        for (size_t i = 0; i < ELEMENTSOF(cgroup_limit_table); i++) {
                uint64_t unset = cgroup_limit_table[i].unset, max = CGROUP_LIMIT(&conf->process_maxima, i);
                uint64_t *v = &CGROUP_LIMIT(l, i);

                if (*v != unset) {
                        if (cgroup_limit_above(i, *v, max)) {
                                *ret_option = cgroup_limit_table[i].option;
                                *ret_key = cgroup_limit_table[i].max_key;
                                *ret_max = max;
                                return -E2BIG;
                        }
                        continue;
                }
                if (!(controllers & cgroup_limit_table[i].controller))
                        continue;
                *v = CGROUP_LIMIT(&conf->process_defaults, i);
                if (*v == unset && cgroup_limit_above(i, cgroup_limit_table[i].kernel, max))
                        *v = max;
        }
        return 0;
}

/* A default above its maximum would let the default lift the limit. */
static const char *limits_inconsistent(const Limits *l) {
        for (size_t i = 0; i < ELEMENTSOF(cgroup_limit_table); i++) {
                uint64_t d = CGROUP_LIMIT(&l->process_defaults, i);
                if (d != cgroup_limit_table[i].unset && cgroup_limit_above(i, d, CGROUP_LIMIT(&l->process_maxima, i)))
                        return cgroup_limit_table[i].default_key;
        }
        return NULL;
}

static const char *cgroup_limit_syntax(const char *key) {
        static const char *const syntax[] = {
                [UNIT_BYTES] = "bytes, with an optional K, M, G or T, or infinity",
                [UNIT_COUNT] = "a whole number of at least 1, or infinity",
                [UNIT_WEIGHT] = "a weight from 1 to 10000",
                [UNIT_PERCENT] = "a percentage of one CPU such as 20%, or infinity",
        };
        for (size_t i = 0; i < ELEMENTSOF(cgroup_limit_table); i++)
                if (strcmp(key, cgroup_limit_table[i].default_key) == 0 || strcmp(key, cgroup_limit_table[i].max_key) == 0)
                        return syntax[cgroup_limit_table[i].unit];
        return NULL;
}

int limits_set(Limits *l, const char *key, const char *value) {
        unsigned v;

        for (size_t i = 0; i < ELEMENTSOF(limit_table); i++) {
                if (strcmp(key, limit_table[i].key) != 0)
                        continue;
                if (parse_id(value, &v) < 0 || v < limit_table[i].min)
                        return -EINVAL;
                *(unsigned *) ((char *) l + limit_table[i].offset) = v;
                return 0;
        }
        return cgroup_limit_set(l, key, value);
}

unsigned limits_min(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(limit_table); i++)
                if (strcmp(key, limit_table[i].key) == 0)
                        return limit_table[i].min;
        return 1;
}

const char *limits_key_for_option(const char *option) {
        for (size_t i = 0; i < ELEMENTSOF(limit_table); i++)
                if (strcmp(option, limit_table[i].option) == 0)
                        return limit_table[i].key;
        return NULL;
}

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t");
        e = s + strlen(s);
        while (e > s && strchr(" \t\r\n", e[-1]))
                *--e = '\0';
        return s;
}

int limits_load_file(Limits *l, const char *path) {
        char line[512];
        unsigned n = 0;
        FILE *f;
        int r = 0;

        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : log_error_errno(errno, "Failed to open %s: %m", path);

        while (fgets(line, sizeof(line), f)) {
                char *s = strip(line), *eq;

                n++;
                if (*s == '\0' || *s == '#' || *s == ';' || strcmp(s, "[Limits]") == 0)
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        r = log_error_errno(EINVAL, "%s:%u: expected Key=Value", path, n);
                        break;
                }
                *eq = '\0';
                r = limits_set(l, strip(s), strip(eq + 1));
                if (r == -ENOENT) {
                        r = log_error_errno(EINVAL, "%s:%u: unknown limit \"%s\"", path, n, strip(s));
                        break;
                }
                if (r < 0 && cgroup_limit_syntax(strip(s))) {
                        r = log_error_errno(EINVAL, "%s:%u: \"%s\" needs %s", path, n, strip(s), cgroup_limit_syntax(strip(s)));
                        break;
                }
                if (r < 0) {
                        r = log_error_errno(EINVAL, "%s:%u: \"%s\" needs a whole number of at least %u", path, n, strip(s),
                                            limits_min(strip(s)));
                        break;
                }
        }
        fclose(f);
        if (r >= 0 && limits_inconsistent(l))
                r = log_error_errno(EINVAL, "%s: %s is above its maximum: a default may not lift the limit", path,
                                    limits_inconsistent(l));
        return r;
}
