/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Per-uid accounting, charged at the moment an object is created (a running
 * process, a pending Wait, a pending polkit check) and released when it goes,
 * so that no uid can exhaust the daemon for the others.  A Quota also keeps
 * the uid's exited processes in exit order, for the retention cap.
 */

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "list.h"
#include "manager.h"

typedef enum QuotaKind {
        QUOTA_RUNNING,
        QUOTA_WAITS,
        QUOTA_AUTH,
        _QUOTA_KIND_MAX,
} QuotaKind;

struct Quota {
        Manager *manager;
        uid_t uid;
        unsigned n[_QUOTA_KIND_MAX];
        unsigned n_retained;
        LIST_HEAD(Process, retained);
};

/* 1 when uid may hold one more of kind; else LimitExceeded naming the limit. */
int quota_check(Manager *m, uid_t uid, QuotaKind kind, sd_bus_error *error);

/* The global cap on tracked processes. */
int quota_check_total(Manager *m, sd_bus_error *error);

/*
 * The descriptor budget.  A message can bring up to SCM_MAX_FD (253)
 * descriptors, and the kernel hands them over as part of reading it: a daemon
 * with fewer free slots gets the message truncated, and sd-bus drops the
 * whole connection, which ends the daemon.  So procctld keeps a reserve of
 * descriptors free, refusing new processes (each holds its pidfd and, with
 * --fd-store, a memfd of its state) rather than hold them.  The reserve is
 * room for a message's worth and the copies a Spawn makes of them, at least;
 * and an eighth of the limit, so that where the limit is high (the usual
 * case) even the calls that queue up while the daemon waits on the bus for
 * a new caller's credentials find room.
 */
#define QUOTA_DESCRIPTOR_RESERVE_MIN 512u

/* The reserve kept under the current limit. */
unsigned long long quota_descriptor_reserve(void);

/* 1 when one more process leaves the reserve free; else LimitExceeded. */
int quota_check_descriptors(Manager *m, sd_bus_error *error);

/* The descriptors open now (from /proc/self/fd), or UINT_MAX if unknown. */
unsigned quota_descriptors_in_use(void);

/* How many processes the descriptor limit leaves room for, beside the
 * descriptors held when the daemon started. */
unsigned long long quota_descriptor_capacity(const Manager *m);

/* One unit of a uid's quota, held by the object it pays for (a Process, a
 * Waiter, an authorization check, a Spawn under way) and released by that
 * object's free function.  An empty Charge (quota NULL) holds nothing. */
typedef struct Charge {
        Quota *quota;
        QuotaKind kind;
} Charge;

/* Charges one of kind to uid into c, which must be empty. */
int quota_charge(Manager *m, uid_t uid, QuotaKind kind, Charge *c);
/* Releases what c holds, if anything; c is empty afterwards. */
void charge_release(Charge *c);

/* The retention of exited records: p (exited) joins its owner's retained
 * records, and the owner's oldest are freed past the cap; retained records
 * leave again when freed. */
void quota_retain(Manager *m, Process *p);
void quota_unretain(Process *p);

/* The uid's Quota, created when create is set; NULL if none (or out of memory). */
Quota *quota_get(Manager *m, uid_t uid, bool create);

/* Frees q once it counts nothing. */
void quota_gc(Manager *m, Quota *q);
