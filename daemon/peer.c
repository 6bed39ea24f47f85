/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "bus-error.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "peer.h"
#include "polkit.h"
#include "process.h"

static int peer_compare(const void *a, const void *b) {
        return strcmp(((const Peer *) a)->name, ((const Peer *) b)->name);
}

/* One match for every caller: NameOwnerChanged with an empty new owner, a
 * unique name leaving.  One rule per caller would run into dbus-daemon's cap
 * on match rules per connection (512), and a failed AddMatch closes ours. */
static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;
        Peer key, *p;
        void **found;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner || name[0] != ':')
                return 0;
        key.name = (char *) name;
        found = tfind(&key, &m->peers, peer_compare);
        if (!found)
                return 0;
        p = *found;
        log_debug("Caller %s left the bus", p->name);
        peer_free(p);
        return 0;
}

int peer_watch_departures(Manager *m) {
        return sd_bus_add_match(m->bus, NULL,
                                "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg2=''",
                                on_name_owner_changed, m);
}

void peer_free(Peer *p) {
        if (!p)
                return;

        (void) tdelete(p, &p->manager->peers, peer_compare);

        /* A waiter that left costs nothing: there is nobody to answer. */
        while (p->waiters.head)
                waiter_free(p->waiters.head);
        polkit_cancel_peer(p);
        /* A Spawn nobody will hear the answer to: its child must not run on. */
        while (p->launches.head)
                launch_free(p->launches.head);

        while (p->kill_on_disconnect.head) {
                Process *proc = p->kill_on_disconnect.head;
                process_set_kill_on_disconnect(proc, NULL);
                if (p->manager->exiting)
                        continue; /* the daemon is going, not the caller: processes outlive a restart */
                log_info("Caller %s left the bus, stopping process %" PRIu64 " (pid %d)", p->name, proc->id, (int) proc->pid);
                process_stop(proc);
        }

        free(p->groups);
        free(p->name);
        free(p);
}

void peer_free_all(Manager *m) {
        while (m->peers) {
                Peer *p = *(Peer **) m->peers;
                peer_free(p);
        }
}

/* The caller's uid and groups from the bus driver, in one round trip.  The
 * groups are those of the caller's process when it connected (SO_PEERCRED and
 * SO_PEERGROUPS), never the account database's: a process started with fewer
 * groups than its user has, or before the user was added to one, has fewer. */
static int peer_read_credentials(Manager *m, Peer *p, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool have_uid = false;
        const char *key;
        int r;

        r = sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionCredentials", error, &reply, "s", p->name);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && strcmp(key, "UnixUserID") == 0) {
                        uint32_t uid;
                        r = sd_bus_message_read(reply, "v", "u", &uid);
                        p->uid = (uid_t) uid;
                        have_uid = r >= 0;
                } else if (r >= 0 && strcmp(key, "UnixGroupIDs") == 0) {
                        const void *gids;
                        size_t size;
                        r = sd_bus_message_enter_container(reply, 'v', "au");
                        if (r >= 0)
                                r = sd_bus_message_read_array(reply, 'u', &gids, &size);
                        if (r >= 0 && size > 0) {
                                free(p->groups);
                                p->groups = malloc(size);
                                if (p->groups)
                                        memcpy(p->groups, gids, size);
                                p->n_groups = p->groups ? size / sizeof(gid_t) : 0;
                                r = p->groups ? 0 : -ENOMEM;
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to read the caller's credentials");
        if (!have_uid)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "The bus does not know the caller's uid");
        return 0;
}

bool peer_has_group(const Peer *p, gid_t gid) {
        for (size_t i = 0; i < p->n_groups; i++)
                if (p->groups[i] == gid)
                        return true;
        return false;
}

int peer_from_message(Manager *m, sd_bus_message *msg, Peer **ret, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(msg);
        Peer key, *p;
        void **found;
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

        /* Departures are watched from the start (peer_watch_departures()), and
         * the bus answers in order: if the name has left already, asking for
         * its credentials fails; otherwise we will hear of it leaving. */
        r = peer_read_credentials(m, p, error);
        if (r < 0) {
                free(p->groups);
                free(p->name);
                free(p);
                if (!sd_bus_error_is_set(error))
                        return bus_error_from_errno(error, r, "Failed to determine the caller's identity");
                return r;
        }

        if (!tsearch(p, &m->peers, peer_compare)) {
                peer_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}
