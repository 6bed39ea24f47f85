/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <search.h>
#include <stdlib.h>

#include "procctl-bus.h"
#include "quota.h"

static int quota_compare(const void *a, const void *b) {
        uid_t x = ((const Quota *) a)->uid, y = ((const Quota *) b)->uid;
        return x < y ? -1 : x > y;
}

Quota *quota_get(Manager *m, uid_t uid, bool create) {
        Quota key = { .uid = uid }, *q;
        void **found = tfind(&key, &m->quotas, quota_compare);

        if (found)
                return *found;
        if (!create)
                return NULL;
        q = calloc(1, sizeof(Quota));
        if (!q)
                return NULL;
        q->uid = uid;
        if (!tsearch(q, &m->quotas, quota_compare)) {
                free(q);
                return NULL;
        }
        return q;
}

void quota_gc(Manager *m, Quota *q) {
        if (!q || q->n_retained > 0)
                return;
        for (int k = 0; k < _QUOTA_KIND_MAX; k++)
                if (q->n[k] > 0)
                        return;
        (void) tdelete(q, &m->quotas, quota_compare);
        free(q);
}

static const struct {
        const char *name;
        size_t offset;
        bool root_exempt;
} quota_limits[_QUOTA_KIND_MAX] = {
        [QUOTA_RUNNING] = { "MaxRunningPerUser (running processes)", offsetof(Limits, running_per_user), true },
        [QUOTA_WAITS] = { "MaxPendingWaitsPerUser (pending Wait and Stop calls)", offsetof(Limits, waits_per_user), true },
        [QUOTA_AUTH] = { "MaxPendingAuthPerUser (pending authorization checks)", offsetof(Limits, auth_per_user), false },
};

int quota_check(Manager *m, uid_t uid, QuotaKind kind, sd_bus_error *error) {
        unsigned limit = *(const unsigned *) ((const char *) &m->limits + quota_limits[kind].offset);
        Quota *q = quota_get(m, uid, false);

        if (uid == 0 && quota_limits[kind].root_exempt)
                return 1;
        if (q && q->n[kind] >= limit)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED, "uid %u has reached the limit %s of %u",
                                         (unsigned) uid, quota_limits[kind].name, limit);
        return 1;
}

int quota_check_total(Manager *m, sd_bus_error *error) {
        if (m->n_processes >= m->limits.processes_total)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "The daemon tracks %u processes, its limit MaxProcesses; release exited ones",
                                         m->n_processes);
        return 1;
}

int quota_charge(Manager *m, uid_t uid, QuotaKind kind) {
        Quota *q = quota_get(m, uid, true);

        if (!q)
                return -ENOMEM;
        q->n[kind]++;
        return 0;
}

void quota_release(Manager *m, uid_t uid, QuotaKind kind) {
        Quota *q = quota_get(m, uid, false);

        if (!q || q->n[kind] == 0)
                return;
        q->n[kind]--;
        quota_gc(m, q);
}
