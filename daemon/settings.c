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
        return -ENOENT;
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
                if (r < 0) {
                        r = log_error_errno(EINVAL, "%s:%u: \"%s\" needs a whole number of at least %u", path, n, strip(s),
                                            limits_min(strip(s)));
                        break;
                }
        }
        fclose(f);
        return r;
}
