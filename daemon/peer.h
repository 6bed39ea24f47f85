/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A caller on the bus, known by its unique name.  Its uid and groups are asked
 * of the bus once (GetConnectionCredentials: what the kernel told the bus when
 * the caller connected, never the account database), when the name first
 * calls, and cached until the name leaves the bus
 * (one NameOwnerChanged match for all callers tells us); leaving also ends what the caller left behind:
 * its pending Waits, authorization checks and remembered answers, and its processes spawned
 * with kill-on-disconnect.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "identity.h"
#include "list.h"
#include "manager.h"

typedef struct Waiter Waiter;
typedef struct AuthQuery AuthQuery;
typedef struct AuthAnswer AuthAnswer;
typedef struct Launch Launch;

struct Peer {
        Manager *manager;
        char *name;
        uid_t uid;
        gid_t *groups;    /* its gid and supplementary groups, as the bus reports them */
        size_t n_groups;  /* 0 when the bus does not report them: the caller then has none */
        LIST_HEAD(Waiter, waiters);
        LIST_HEAD(Process, kill_on_disconnect);
        LIST_HEAD(AuthQuery, auth_queries);
        LIST_HEAD(AuthAnswer, auth_answers); /* what polkit said yes to, for a short while (polkit.c) */
        unsigned n_auth_answers;
        size_t auth_answer_bytes;
        LIST_HEAD(Launch, launches); /* its Spawns whose child has not reported yet */
};

/* The Peer that sent msg; created (one bus round trip) on its first call. */
int peer_from_message(Manager *m, sd_bus_message *msg, Peer **ret, sd_bus_error *error);

void peer_free(Peer *p);

/* Whether the caller's own credentials hold gid. */
bool peer_has_group(const Peer *p, gid_t gid);

/* Installs the match that tells of callers leaving; before the name is taken. */
int peer_watch_departures(Manager *m);
void peer_free_all(Manager *m);
