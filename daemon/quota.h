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
        uid_t uid;
        unsigned n[_QUOTA_KIND_MAX];
        unsigned n_retained;
        LIST_HEAD(Process, retained);
};

/* 1 when uid may hold one more of kind; else LimitExceeded naming the limit. */
int quota_check(Manager *m, uid_t uid, QuotaKind kind, sd_bus_error *error);

/* The global cap on tracked processes. */
int quota_check_total(Manager *m, sd_bus_error *error);

int quota_charge(Manager *m, uid_t uid, QuotaKind kind);
void quota_release(Manager *m, uid_t uid, QuotaKind kind);

/* The uid's Quota, created when create is set; NULL if none (or out of memory). */
Quota *quota_get(Manager *m, uid_t uid, bool create);

/* Frees q once it counts nothing. */
void quota_gc(Manager *m, Quota *q);
