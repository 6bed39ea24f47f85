/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * -p/--property NAME=VALUE of procctl run and spawn: the table of names in
 * systemd-run's spelling and the handlers that read their values
 * (cli-property.h says how the handlers chain).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-property.h"

/* Digits only, at least min, at most max. */
static int parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_memory(const char *s, uint64_t *ret) {
        if (strcmp(s, "infinity") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        return cli_parse_size(s, ret) < 0 || *ret == UINT64_MAX ? -EINVAL : 0;
}

static int parse_tasks(const char *s, uint64_t *ret) {
        if (strcmp(s, "infinity") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_number(s, 1, UINT64_MAX - 1, ret);
}

static int parse_weight(const char *s, uint64_t *ret) {
        return parse_number(s, 1, 10000, ret);
}

/* "20%" of one CPU: 200000 µs of CPU time per second. */
static int parse_quota(const char *s, uint64_t *ret) {
        _cleanup_free_ char *digits = NULL;
        size_t n = strlen(s);

        if (n < 2 || s[n - 1] != '%')
                return -EINVAL;
        digits = strndup(s, n - 1);
        if (!digits || parse_number(digits, 1, UINT64_MAX / 10000, ret) < 0)
                return -EINVAL;
        *ret *= 10000;
        return 0;
}

static const struct {
        const char *name;      /* systemd's */
        const char *option;    /* Spawn's */
        int (*parse)(const char *value, uint64_t *ret);
        const char *expected;
} cgroup_limits[] = {
        { "MemoryMax", "memory-max", parse_memory, "bytes, such as 512M, or infinity" },
        { "TasksMax", "tasks-max", parse_tasks, "a number of tasks, at least 1, or infinity" },
        { "CPUWeight", "cpu-weight", parse_weight, "a weight from 1 to 10000" },
        { "CPUQuota", "cpu-quota", parse_quota, "a percentage of one CPU, such as 20%" },
};

int cli_cgroup_limit_value(const char *name, const char *value, const char **ret_option, uint64_t *ret) {
        for (size_t i = 0; i < ELEMENTSOF(cgroup_limits); i++)
                if (strcmp(name, cgroup_limits[i].name) == 0) {
                        *ret_option = cgroup_limits[i].option;
                        return cgroup_limits[i].parse(value, ret) < 0 ? -EINVAL : 0;
                }
        return -ENOENT;
}

int cli_cgroup_property(const char *name, const char *value, procctl_spawn_options *options) {
        const char *option;
        uint64_t v;
        int r;

        if (strcmp(name, "KillMode") == 0) {
                r = procctl_spawn_options_set_kill_mode(options, value);
                if (r == -EINVAL)
                        cli_error("invalid KillMode=%s (procctld knows control-group and process)", value);
                return r;
        }
        r = cli_cgroup_limit_value(name, value, &option, &v);
        if (r == -EINVAL)
                for (size_t i = 0; i < ELEMENTSOF(cgroup_limits); i++)
                        if (strcmp(name, cgroup_limits[i].name) == 0)
                                cli_error("invalid %s=%s (expected %s)", name, value, cgroup_limits[i].expected);
        if (r < 0)
                return r;
        return procctl_spawn_options_set_limit(options, option, v);
}

static int cgroup_property(const char *name, const char *value, CliPropertyTarget *t) {
        return cli_cgroup_property(name, value, t->options);
}

static int restart_property(const char *name, const char *value, CliPropertyTarget *t) {
        if (!t->restart) {
                int r = cli_restart_property(name, value, &(RestartArgs) {});
                if (r == -ENOENT)
                        return r;
                cli_error("%s= is for 'procctl spawn' ('procctl run' waits for its command)", name);
                return -EINVAL;
        }
        return cli_restart_property(name, value, t->restart);
}

/* Each family of properties; the first that knows a name takes it. */
static const CliPropertyHandler property_handlers[] = {
        cgroup_property,
        restart_property,
};

int cli_property_apply(const char *assignment, CliPropertyTarget *target) {
        _cleanup_free_ char *name = NULL;
        const char *eq = strchr(assignment, '=');
        int r = -ENOENT;

        if (!eq || eq == assignment) {
                cli_error("invalid property '%s' (expected NAME=VALUE, such as MemoryMax=512M)", assignment);
                return -EINVAL;
        }
        name = strndup(assignment, (size_t) (eq - assignment));
        if (!name)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(property_handlers) && r == -ENOENT; i++)
                r = property_handlers[i](name, eq + 1, target);
        if (r == -ENOENT) {
                cli_error("unknown property '%s' (see 'procctl run --help' for those there are)", name);
                return -EINVAL;
        }
        return r;
}
