/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Surviving a restart: with --fd-store, every process's pidfd and a small
 * memfd with its state (argv, owner, options, times, exit status) are handed
 * to the service manager's file descriptor store (FDSTORE=1, one FDNAME per
 * descriptor).  On start the daemon takes them back (LISTEN_FDS and
 * LISTEN_FDNAMES) and re-creates each process under its old id; it is no
 * longer their parent, so it sees their exit through pidfd readiness and
 * PIDFD_INFO_EXIT, like an adopted process.
 */

#include "manager.h"
#include "process.h"

/* The descriptors a process may keep in the store, each named
 * "<kind>-<id>" (fdstore_kind_names in fdstore.c).  STATE is always there;
 * the others are kept by whoever owns the descriptor. */
typedef enum FdStoreKind {
        FDSTORE_STATE,
        FDSTORE_PIDFD,
        FDSTORE_OUTPUT,        /* captured output's memfd (output.h) */
        FDSTORE_OUTPUT_STDOUT, /* the read end of its stdout pipe */
        FDSTORE_OUTPUT_STDERR, /* of its stderr pipe */
        FDSTORE_RUN_FDS, /* a socket with the descriptors of a restart policy's request in flight (launch.h) */
        _FDSTORE_KIND_MAX,
} FdStoreKind;

/* What came back from the store for one process, handed to the modules
 * that restore their part (fdstore_take()); what nobody took is closed. */
typedef struct FdStoreSet {
        uint64_t id;
        int fds[_FDSTORE_KIND_MAX];
} FdStoreSet;

/* Takes the descriptor of kind out of set (-1: none came back). */
int fdstore_take(FdStoreSet *set, FdStoreKind kind);

/* Keeps fd (not taken; the store gets its own copy) as p's descriptor of
 * kind, replacing one kept before.  Nothing without the fd store. */
void fdstore_keep(Manager *m, Process *p, FdStoreKind kind, int fd);

/* Drops p's descriptor of kind from the store. */
void fdstore_drop(Manager *m, Process *p, FdStoreKind kind);

/* Records p (new, or its state changed) in the store. */
void fdstore_save(Manager *m, Process *p);

/* Removes all of p's descriptors from the store: it was released. */
void fdstore_forget(Manager *m, Process *p);

/* Re-creates the processes handed back at start; returns how many. */
int fdstore_restore(Manager *m);

/* Serialization of a process's state, "key=value\0" records. Exposed for tests. */
int fdstore_serialize(const Process *p, char **ret, size_t *ret_size);
int fdstore_deserialize(Process *p, const char *buf, size_t size);

/* The state's memfd, rewritten in place so that a daemon killed at any
 * moment leaves the old state or the new one readable (fdstore.c says how).
 * Reading also takes an older daemon's memfd.  Exposed for tests. */
int fdstore_write_state(int fd, const char *buf, size_t size);
int fdstore_read_state(int fd, char **ret, size_t *ret_size);
