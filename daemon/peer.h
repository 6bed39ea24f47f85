/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A caller on the bus, known by its unique name.  Its uid is asked of the bus
 * once, when the name first calls, and cached until the name leaves the bus
 * (one NameOwnerChanged match for all callers tells us); leaving also ends what the caller left behind:
 * its pending Waits and authorization checks, and its processes spawned
 * with kill-on-disconnect.
 */

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "identity.h"
#include "list.h"
#include "manager.h"

typedef struct Waiter Waiter;
typedef struct AuthQuery AuthQuery;
typedef struct Launch Launch;

struct Peer {
        Manager *manager;
        char *name;
        uid_t uid;
        LIST_HEAD(Waiter, waiters);
        LIST_HEAD(Process, kill_on_disconnect);
        LIST_HEAD(AuthQuery, auth_queries);
        LIST_HEAD(Launch, launches); /* its Spawns whose child has not reported yet */
};

/* The Peer that sent msg; created (one bus round trip) on its first call. */
int peer_from_message(Manager *m, sd_bus_message *msg, Peer **ret, sd_bus_error *error);

void peer_free(Peer *p);

/* Installs the match that tells of callers leaving; before the name is taken. */
int peer_watch_departures(Manager *m);
void peer_free_all(Manager *m);
