/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "bus-error.h"
#include "log.h"
#include "macro.h"
#include "peer.h"
#include "process.h"

static int peer_compare(const void *a, const void *b) {
        return strcmp(((const Peer *) a)->name, ((const Peer *) b)->name);
}

static int on_peer_gone(sd_bus_track *track, void *userdata) {
        Peer *p = userdata;

        log_debug("Caller %s left the bus", p->name);
        peer_free(p);
        return 0;
}

void peer_free(Peer *p) {
        if (!p)
                return;

        (void) tdelete(p, &p->manager->peers, peer_compare);

        /* A waiter that left costs nothing: there is nobody to answer. */
        while (p->waiters.head)
                waiter_free(p->waiters.head);
        auth_cancel_peer(p);

        while (p->kill_on_disconnect.head) {
                Process *proc = p->kill_on_disconnect.head;
                process_set_kill_on_disconnect(proc, NULL);
                if (p->manager->exiting)
                        continue; /* the daemon is going, not the caller: processes outlive a restart */
                log_info("Caller %s left the bus, stopping process %" PRIu64 " (pid %d)", p->name, proc->id, (int) proc->pid);
                process_stop(proc);
        }

        if (p->identity) {
                identity_done(p->identity);
                free(p->identity);
        }
        sd_bus_track_unref(p->track);
        free(p->name);
        free(p);
}

void peer_free_all(Manager *m) {
        while (m->peers) {
                Peer *p = *(Peer **) m->peers;
                peer_free(p);
        }
}

int peer_from_message(Manager *m, sd_bus_message *msg, Peer **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        Peer key, *p;
        void **found;
        uid_t uid;
        int r;

        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller has no bus name");

        key.name = (char *) sender;
        found = tfind(&key, &m->peers, peer_compare);
        if (found) {
                *ret = *found;
                return 0;
        }

        p = calloc(1, sizeof(Peer));
        if (!p)
                return -ENOMEM;
        p->manager = m;
        p->name = strdup(sender);
        if (!p->name) {
                free(p);
                return -ENOMEM;
        }

        /* Watch for the name to leave first, then ask for its credentials: the
         * bus answers in order, so if the name was already gone the question
         * fails, and otherwise we will hear of it leaving. */
        r = sd_bus_track_new(m->bus, &p->track, on_peer_gone, p);
        if (r >= 0)
                r = sd_bus_track_add_sender(p->track, msg);
        if (r >= 0)
                r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0) {
                sd_bus_track_unref(p->track);
                free(p->name);
                free(p);
                return bus_error_from_errno(error, r, "Failed to determine the caller's identity");
        }
        p->uid = uid;

        if (!tsearch(p, &m->peers, peer_compare)) {
                peer_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}
