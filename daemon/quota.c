/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bus-error.h"
#include "log.h"
#include "process.h"
#include "procfs.h"
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
        q->manager = m;
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
        [QUOTA_BYTES] = { "MaxBytesPerUser (bytes of argument vectors, paths, descriptions and captured output held)",
                          offsetof(Limits, bytes_per_user), true },
        [QUOTA_AUTH_FDS] = { "MaxPendingAuthDescriptorsPerUser (descriptors in calls waiting for authorization)",
                             offsetof(Limits, auth_fds_per_user), false },
};

int quota_check_amount(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, sd_bus_error *error) {
        unsigned limit = *(const unsigned *) ((const char *) &m->limits + quota_limits[kind].offset);
        Quota *q = quota_get(m, uid, false);
        uint64_t held = q ? q->n[kind] : 0;

        if (uid == 0 && quota_limits[kind].root_exempt)
                return 1;
        if (held + amount > limit)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "uid %u would pass the limit %s of %u (holds %" PRIu64 ", asks for %" PRIu64 ")",
                                         (unsigned) uid, quota_limits[kind].name, limit, held, amount);
        return 1;
}

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
        if (m->n_processes + m->n_launches >= m->limits.processes_total)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "The daemon tracks %u processes, its limit MaxProcesses; release exited ones",
                                         m->n_processes);
        return 1;
}

uint64_t quota_listed_bytes(const char *executable, const char *working_directory, const char *description) {
        return QUOTA_LISTED_FIXED_BYTES + strlen(executable ?: "") + strlen(working_directory ?: "") +
                strlen(description ?: "");
}

int quota_charge_listed(Manager *m, uint64_t amount, bool check, uint64_t *held, sd_bus_error *error) {
        assert(*held == 0);
        if (check && m->listed_bytes + amount > QUOTA_LISTED_MAX_BYTES)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "The daemon's %u processes would no longer fit in one message of the bus "
                                         "(their listing would pass %u bytes); release exited ones",
                                         m->n_processes, QUOTA_LISTED_MAX_BYTES);
        m->listed_bytes += amount;
        *held = amount;
        return 0;
}

void quota_release_listed(Manager *m, uint64_t *held) {
        assert(m->listed_bytes >= *held);
        m->listed_bytes -= *held;
        *held = 0;
}

/* Descriptors the daemon may open after start besides its processes' (the
 * event loop's timer descriptors, created on first use, and the like). */
#define DESCRIPTORS_LATER 32u

unsigned quota_descriptors_in_use(void) {
        return procfs_count_fds();
}

static unsigned long long descriptor_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return ULLONG_MAX;
        return rl.rlim_cur;
}

/* At most: the pidfd, and the state memfd with --fd-store (fdstore.c). */
static unsigned descriptors_per_process(const Manager *m) {
        return m->fd_store ? 2 : 1;
}

static unsigned long long reserve_under(unsigned long long limit) {
        return limit / 8 > QUOTA_DESCRIPTOR_RESERVE_MIN ? limit / 8 : QUOTA_DESCRIPTOR_RESERVE_MIN;
}

unsigned long long quota_descriptor_reserve(void) {
        return reserve_under(descriptor_limit());
}

static unsigned long long capacity_under(const Manager *m, unsigned long long limit) {
        unsigned long long held = m->fds_base + DESCRIPTORS_LATER + reserve_under(limit);

        return limit <= held ? 0 : (limit - held) / descriptors_per_process(m);
}

unsigned long long quota_descriptor_capacity(const Manager *m) {
        return capacity_under(m, descriptor_limit());
}

/* What the daemon holds besides its start-up descriptors: each process's,
 * each Spawn under way's status pipe and pidfd, the descriptors of the
 * calls kept while polkit is asked, captured output's pipes, and the
 * callers' descriptors kept for the later runs of restart policies. */
static unsigned long long descriptors_held(const Manager *m) {
        return (unsigned long long) m->n_processes * descriptors_per_process(m) +
                (unsigned long long) m->n_launches * QUOTA_DESCRIPTORS_PER_LAUNCH + m->auth_fds + m->output_fds + m->run_fds;
}

int quota_check_descriptors_for(Manager *m, unsigned long long n, sd_bus_error *error) {
        unsigned long long limit = descriptor_limit(), base, in_use;

        if (limit == ULLONG_MAX)
                return 1;
        /* Far from the limit, an upper bound settles it without counting. */
        base = m->fds_base + DESCRIPTORS_LATER + reserve_under(limit);
        if (limit > base && descriptors_held(m) + n <= limit - base)
                return 1;
        /* Near it (the limit may also have been lowered from outside, with
         * prlimit): count.  The request's own descriptors count too. */
        in_use = quota_descriptors_in_use();
        if (in_use != UINT_MAX && in_use + n + reserve_under(limit) <= limit)
                return 1;
        return bus_error_out_of_descriptors(error);
}

int quota_check_descriptors(Manager *m, sd_bus_error *error) {
        return quota_check_descriptors_for(m, descriptors_per_process(m), error);
}

int quota_charge_n(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, Charge *c) {
        Quota *q;

        assert(!c->quota);
        if (amount == 0)
                return 0; /* nothing held, nothing to keep the Quota for */
        q = quota_get(m, uid, true);
        if (!q)
                return -ENOMEM;
        q->n[kind] += amount;
        *c = (Charge) { .quota = q, .kind = kind, .amount = amount };
        return 0;
}

int quota_charge(Manager *m, uid_t uid, QuotaKind kind, Charge *c) {
        return quota_charge_n(m, uid, kind, 1, c);
}

int quota_charge_amount(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, Charge *c, sd_bus_error *error) {
        int r;

        r = quota_check_amount(m, uid, kind, amount, error);
        if (r < 0)
                return r;
        return quota_charge_n(m, uid, kind, amount, c);
}

uint64_t charge_grow(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, Charge *c) {
        unsigned limit = *(const unsigned *) ((const char *) &m->limits + quota_limits[kind].offset);
        Quota *q = c->quota ?: quota_get(m, uid, true);

        if (!q || amount == 0)
                return 0;
        assert(c->quota ? c->kind == kind : c->amount == 0);
        if (!(uid == 0 && quota_limits[kind].root_exempt))
                amount = q->n[kind] >= limit ? 0 : amount < limit - q->n[kind] ? amount : limit - q->n[kind];
        if (amount == 0) {
                quota_gc(m, q);
                return 0;
        }
        q->n[kind] += amount;
        *c = (Charge) { .quota = q, .kind = kind, .amount = c->amount + amount };
        return amount;
}

void charge_move(Charge *to, Charge *from) {
        assert(!to->quota);
        *to = *from;
        *from = (Charge) {};
}

void charge_release(Charge *c) {
        Quota *q = c->quota;

        if (!q)
                return;
        assert(q->n[c->kind] >= c->amount); /* a charge released twice is a bug, never clamped */
        q->n[c->kind] -= c->amount;
        *c = (Charge) {};
        quota_gc(q->manager, q);
}

void quota_retain(Manager *m, Process *p) {
        Quota *q = quota_get(m, p->owner_uid, true);

        if (!q)
                return; /* kept, just not counted */
        LIST_APPEND(retained, q->retained, p);
        q->n_retained++;
        p->quota = q;

        /* Statuses are dropped only here, oldest first, past the owner's cap. */
        while (q->n_retained > m->limits.retained_per_user) {
                Process *oldest = q->retained.head;
                log_debug("uid %u has more than %u exited processes, forgetting process %" PRIu64, (unsigned) q->uid,
                          m->limits.retained_per_user, oldest->id);
                process_free(oldest); /* the cap is at least 1, so q stays */
        }
}

void quota_unretain(Process *p) {
        Quota *q = p->quota;

        if (!q)
                return;
        LIST_REMOVE(retained, q->retained, p);
        q->n_retained--;
        p->quota = NULL;
        quota_gc(q->manager, q);
}
