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

/* Records p (new, or its state changed) in the store. */
void fdstore_save(Manager *m, Process *p);

/* Removes p's descriptors from the store: it was released. */
void fdstore_forget(Manager *m, Process *p);

/* Re-creates the processes handed back at start; returns how many. */
int fdstore_restore(Manager *m);

/* Serialization of a process's state, "key=value\0" records. Exposed for tests. */
int fdstore_serialize(const Process *p, char **ret, size_t *ret_size);
int fdstore_deserialize(Process *p, const char *buf, size_t size);
