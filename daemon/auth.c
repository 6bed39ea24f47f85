/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "macro.h"
#include "procctl-bus.h"
#include "quota.h"

struct AuthQuery {
        Manager *manager;
        Peer *peer;
        sd_bus_message *request; /* the call to dispatch again once polkit has answered */
        sd_bus_slot *slot;       /* the pending CheckAuthorization */
        const char *action;
        bool done;
        int result;              /* once done: 1, or a negative errno with error set */
        sd_bus_error error;
        LIST_FIELDS(AuthQuery, peer);
};

static int query_compare(const void *a, const void *b) {
        const sd_bus_message *x = ((const AuthQuery *) a)->request, *y = ((const AuthQuery *) b)->request;
        return x < y ? -1 : x > y;
}

static void query_free(AuthQuery *q) {
        (void) tdelete(q, &q->manager->auth_queries, query_compare);
        LIST_REMOVE(peer, q->peer->auth_queries, q);
        quota_release(q->manager, q->peer->uid, QUOTA_AUTH);
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q);
}

void auth_cancel_peer(Peer *peer) {
        while (peer->auth_queries.head)
                query_free(peer->auth_queries.head);
}

static bool polkit_absent(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->done = true;

        if (e && polkit_absent(e)) {
                /* Only what needs no authorization: spawning as oneself. */
                if (strcmp(q->action, PROCCTL_ACTION_SPAWN) == 0)
                        q->result = 1;
                else
                        q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                                      "This needs authorization (%s) and polkit is not running", q->action);
        } else if (e) {
                log_warning("polkit failed to answer for %s: %s", q->action, e->message ?: e->name);
                q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "Authorization check (%s) failed: %s",
                                              q->action, e->message ?: e->name);
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                                      "Authorization check (%s) failed: bad reply from polkit", q->action);
                else if (authorized)
                        q->result = 1;
                else if (challenge && !sd_bus_message_get_allow_interactive_authorization(q->request))
                        q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                                      "Authorization (%s) needs interactive authentication; "
                                                      "allow interactive authorization to be asked",
                                                      q->action);
                else
                        q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized: %s", q->action);
        }

        /* Run the method again, now with the answer waiting for it. */
        r = sd_bus_enqueue_for_read(q->manager->bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to dispatch a call again after authorization: %m");
                (void) sd_bus_reply_method_errno(q->request, r, NULL);
                query_free(q);
        }
        return 0;
}

/* details: NULL-terminated key, value, key, value, … */
static int polkit_check(Manager *m, sd_bus_message *msg, Peer *peer, const char *action, const char *const *details,
                        sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        AuthQuery key = { .request = msg }, *q;
        void **found;
        bool interactive;
        int r;

        found = tfind(&key, &m->auth_queries, query_compare);
        if (found) {
                q = *found;
                if (!q->done)
                        return 0;
                r = q->result;
                if (r < 0)
                        sd_bus_error_move(error, &q->error);
                query_free(q);
                return r;
        }

        r = quota_check(m, peer->uid, QUOTA_AUTH, error);
        if (r < 0)
                return r;

        interactive = sd_bus_message_get_allow_interactive_authorization(msg);
        r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(msg),
                                          action);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "{ss}");
        for (const char *const *d = details; r >= 0 && d && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(call, "{ss}", d[0], d[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_append(call, "us", (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        r = quota_charge(m, peer->uid, QUOTA_AUTH);
        if (r < 0)
                return r;
        q = calloc(1, sizeof(AuthQuery));
        if (q)
                *q = (AuthQuery) { .manager = m, .peer = peer, .request = msg, .action = action, .error = SD_BUS_ERROR_NULL };
        if (!q || !tsearch(q, &m->auth_queries, query_compare)) {
                free(q);
                quota_release(m, peer->uid, QUOTA_AUTH);
                return -ENOMEM;
        }
        sd_bus_message_ref(msg);
        LIST_APPEND(peer, peer->auth_queries, q);

        r = sd_bus_call_async(m->bus, &q->slot, call, on_polkit_reply, q,
                              interactive ? AUTH_POLKIT_INTERACTIVE_TIMEOUT_USEC : AUTH_POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 0;
}

int auth_check_spawn(Manager *m, sd_bus_message *msg, Peer *peer, const Identity *target, const char *program,
                     sd_bus_error *error) {
        char uid[16], gid[16];
        bool as_other;

        if (peer->uid == 0)
                return 1;

        /* Another user, or a group the user is not in (the user's own groups are fine, as with newgrp). */
        as_other = target->uid != peer->uid || !identity_has_group(target, target->gid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) target->uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned) target->gid);
        const char *details[] = { "user", target->name, "uid", uid, "gid", gid, "program", program, NULL };

        return polkit_check(m, msg, peer, as_other ? PROCCTL_ACTION_SPAWN_AS_USER : PROCCTL_ACTION_SPAWN, details, error);
}

int auth_check_act(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error) {
        char pid[16], owner[16], uid[16];

        if (peer->uid == 0 || peer->uid == p->owner_uid)
                return 1;
        snprintf(pid, sizeof(pid), "%d", (int) p->pid);
        snprintf(owner, sizeof(owner), "%u", (unsigned) p->owner_uid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) p->uid);
        const char *details[] = { "process", p->path, "pid", pid, "owner_uid", owner, "uid", uid, "program", p->executable, NULL };

        return polkit_check(m, msg, peer, PROCCTL_ACTION_MANAGE, details, error);
}

int auth_check_adopt(Manager *m, sd_bus_message *msg, Peer *peer, pid_t pid, uid_t process_uid, sd_bus_error *error) {
        char spid[16], uid[16];

        if (peer->uid == 0)
                return 1;
        snprintf(spid, sizeof(spid), "%d", (int) pid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) process_uid);
        const char *details[] = { "pid", spid, "uid", uid, NULL };

        return polkit_check(m, msg, peer, PROCCTL_ACTION_MANAGE, details, error);
}
