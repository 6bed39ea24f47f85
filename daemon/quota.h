/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Per-uid accounting, charged at the moment an object is created (a running
 * process, a pending Wait, a pending polkit check) and released when it goes,
 * so that no uid can exhaust the daemon for the others.  A Quota also keeps
 * the uid's exited processes in exit order, for the retention cap.
 */

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "list.h"
#include "manager.h"

typedef enum QuotaKind {
        QUOTA_RUNNING,
        QUOTA_WAITS,
        QUOTA_AUTH,
        QUOTA_BYTES,     /* bytes of the records a uid owns: argv, executable, directories, description */
        QUOTA_AUTH_FDS,  /* descriptors in the calls a uid has waiting for polkit */
        _QUOTA_KIND_MAX,
} QuotaKind;

struct Quota {
        Manager *manager;
        uid_t uid;
        uint64_t n[_QUOTA_KIND_MAX];
        unsigned n_retained;
        LIST_HEAD(Process, retained);
};

/* 1 when uid may hold one more of kind; else LimitExceeded naming the limit. */
int quota_check(Manager *m, uid_t uid, QuotaKind kind, sd_bus_error *error);
/* The same for amount more (bytes, descriptors). */
int quota_check_amount(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, sd_bus_error *error);

/* The global cap on tracked processes. */
int quota_check_total(Manager *m, sd_bus_error *error);

/*
 * The listings' size.  A reply the bus will not carry (dbus-daemon's
 * max_message_size, 32 MiB on a system bus) makes the bus drop the daemon,
 * which then exits; so every reply listing all processes stays under it,
 * whatever callers spawned:
 *
 *  - ListProcesses: per process at most 8 (alignment) + 4+50+1 (an object
 *    path with a 20-digit id) + 3 (alignment) + 4+4 (pid, uid) + 4+7+1
 *    ("running") + 4+256+3+1 (the command line, cut, and "…") = 349 bytes;
 *    65536 processes (MaxProcesses' default) are 22.9 MB.
 *  - GetManagedObjects: Argv is left out (SD_BUS_VTABLE_PROPERTY_EXPLICIT; it
 *    may be 2 MiB a process), and a process costs QUOTA_LISTED_FIXED_BYTES
 *    (measured: 584 with "/bin/true" in "/", ids of 2 digits; see
 *    tests/hostile/test-budget.c) plus its executable, working directory and
 *    description (each at most 4 KiB).  That is 44.0 MB for 65536 minimal
 *    processes already, 850 MB at the most: too much for any fixed
 *    MaxProcesses.  So the daemon adds up what its processes cost there and
 *    refuses a new one (LimitExceeded) past QUOTA_LISTED_MAX_BYTES, 30 MiB,
 *    which leaves 2 MiB for the message's header and the manager's own
 *    objects.  Like MaxProcesses this is one cap for all uids.
 *  - GetAll and InterfacesAdded, of one process: at most 672 + 3 × 4 KiB.
 */
#define QUOTA_LISTED_FIXED_BYTES 672u
#define QUOTA_LISTED_MAX_BYTES (30u * 1024u * 1024u)

/* What a process with these strings adds to GetManagedObjects. */
uint64_t quota_listed_bytes(const char *executable, const char *working_directory, const char *description);

/* Adds amount to the listings' size into *held (0 before), refusing past
 * QUOTA_LISTED_MAX_BYTES when check is set; *held goes back with
 * quota_release_listed(). */
int quota_charge_listed(Manager *m, uint64_t amount, bool check, uint64_t *held, sd_bus_error *error);
void quota_release_listed(Manager *m, uint64_t *held);

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

/* 1 when one more process leaves the reserve free; else LimitExceeded.
 * Every descriptor the daemon holds counts: processes', those of Spawns
 * under way and those of calls kept while polkit is asked. */
int quota_check_descriptors(Manager *m, sd_bus_error *error);
/* The same for n more descriptors (a call to keep). */
int quota_check_descriptors_for(Manager *m, unsigned long long n, sd_bus_error *error);

/* A Spawn whose child reports later holds its status pipe and pidfd. */
#define QUOTA_DESCRIPTORS_PER_LAUNCH 2u

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
        uint64_t amount;
} Charge;

/* Charges one of kind to uid into c, which must be empty. */
int quota_charge(Manager *m, uid_t uid, QuotaKind kind, Charge *c);
/* Charges amount of kind to uid into c (empty), whatever the limit: for what
 * the daemon holds already (a record restored after a restart). */
int quota_charge_n(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, Charge *c);
/* (An amount of 0 charges nothing: c stays empty.) */
/* Charges amount of kind to uid into c (empty), if the limit allows: else
 * LimitExceeded naming it, and c stays empty. */
int quota_charge_amount(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, Charge *c, sd_bus_error *error);
/* Adds up to amount of kind to c (empty, or uid's of kind), as much as
 * uid's limit leaves (root: all of it where root is exempt); returns what
 * it added.  For what grows as it is used (captured output, output.h). */
uint64_t charge_grow(Manager *m, uid_t uid, QuotaKind kind, uint64_t amount, Charge *c);
/* Moves the charge in from to to (empty): the object it pays for changed hands. */
void charge_move(Charge *to, Charge *from);
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
