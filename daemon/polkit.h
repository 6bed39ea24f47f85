/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Asking polkit, asynchronously, with the caller's bus name as the subject
 * (never a PID).  polkit_check() returns 1 when the call may go on, a
 * negative errno with the D-Bus error set when it may not, or 0 when polkit
 * has been asked: the method then returns and is dispatched again, with the
 * same message, once polkit answers (as systemd's bus_verify_polkit_async()
 * does); each query is freed once its call has run again, whatever the call
 * did, and a second pass that asks for another action or other details is
 * refused.
 *
 * A yes polkit gave without interaction is remembered for the caller (its
 * unique bus name), the action and the exact details asked, for
 * RememberAuthorizationSec (settings.h); polkit's Changed signal, polkit
 * leaving or coming, and the caller leaving forget it at once.  While such a
 * check is in flight, the same caller's calls for the same action and
 * details wait on it rather than ask again (each is still dispatched again
 * and answered on its own, and counts as one of the caller's pending checks).
 *
 * Without polkit on the bus, a non-root caller gets only what needs no
 * authorization: spawning as itself (the action's default is "yes") and
 * acting on its own processes.  polkit present but failing or not answering
 * means deny.
 */

#include <systemd/sd-bus.h>

#include "manager.h"
#include "peer.h"

#define POLKIT_TIMEOUT_USEC (25ULL * 1000000ULL)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300ULL * 1000000ULL)
/* How long the bus's word that polkit is neither running nor activatable is
 * taken without asking again; polkit taking its name ends it at once. */
#define POLKIT_ABSENT_USEC (5ULL * 1000000ULL)
/* What one caller's remembered answers may hold: the oldest goes first. */
#define POLKIT_REMEMBER_MAX_PER_PEER 16U
#define POLKIT_REMEMBER_MAX_BYTES_PER_PEER (64U * 1024U)

typedef struct AuthQuery AuthQuery;

/* Asks polkit whether the caller of msg may do action (see above).  details:
 * NULL-terminated key, value, key, value, …; binding: what else the answer
 * holds for, compared on the second pass but not shown to polkit (the
 * identity of the file the details name), or NULL. */
int polkit_check(Manager *m, sd_bus_message *msg, Peer *peer, const char *action, const char *const *details,
                 const char *binding, sd_bus_error *error);

/* Listens for polkit taking (or dropping) its bus name, and for its
 * Authority's Changed signal; before the name is taken. */
int polkit_watch(Manager *m);

/* Forgets the caller's pending checks and remembered answers (it left the bus). */
void polkit_cancel_peer(Peer *peer);
