/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Asking polkit, for auth.c: the queries in flight (one per call, found
 * again by the call's message when it is dispatched a second time), the
 * yeses remembered for a while, and what is known of polkit's presence.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "polkit.h"
#include "env.h"
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
        char *details;           /* as asked, "key=value\n…": a second pass must ask the same */
        bool done;
        int result;              /* once done: 1, or a negative errno with error set */
        sd_bus_error error;
        sd_event_source *defer;  /* frees the query once its call has run again */
        Charge charge;           /* one of the caller's pending checks */
        Charge fds;              /* the descriptors request carries, to the caller's budget */
        bool interactive;        /* asked allowing polkit to authenticate the user */
        AuthQuery *leader;       /* the same caller's check in flight this one waits on, or NULL */
        uint64_t generation;     /* manager->auth_generation when asked */
        LIST_FIELDS(AuthQuery, peer);
};

/* A yes polkit gave without interaction, remembered for its caller (auth.h). */
struct AuthAnswer {
        Peer *peer;
        const char *action;
        char *details;  /* exactly as asked, binding included */
        size_t size;    /* what it takes of the caller's POLKIT_REMEMBER_MAX_BYTES_PER_PEER */
        uint64_t until; /* CLOCK_MONOTONIC µs */
        LIST_FIELDS(AuthAnswer, peer);
        LIST_FIELDS(AuthAnswer, manager);
};

static int query_compare(const void *a, const void *b) {
        const sd_bus_message *x = ((const AuthQuery *) a)->request, *y = ((const AuthQuery *) b)->request;
        return x < y ? -1 : x > y;
}

static void query_free(AuthQuery *q) {
        (void) tdelete(q, &q->manager->auth_queries, query_compare);
        LIST_REMOVE(peer, q->peer->auth_queries, q);
        /* A check in flight ends with its waiters answered, or with its
         * caller gone and all of them freed together: none is left waiting. */
        LIST_FOREACH(peer, f, q->peer->auth_queries)
                if (f->leader == q)
                        f->leader = NULL;
        charge_release(&q->charge);
        q->manager->auth_fds -= q->fds.amount;
        charge_release(&q->fds);
        sd_event_source_disable_unref(q->defer);
        free(q->details);
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q);
}

static void answer_free(AuthAnswer *a) {
        Peer *peer = a->peer;

        LIST_REMOVE(peer, peer->auth_answers, a);
        LIST_REMOVE(manager, peer->manager->auth_answers, a);
        peer->n_auth_answers--;
        peer->auth_answer_bytes -= a->size;
        free(a->details);
        free(a);
}

void polkit_cancel_peer(Peer *peer) {
        while (peer->auth_queries.head)
                query_free(peer->auth_queries.head);
        while (peer->auth_answers.head)
                answer_free(peer->auth_answers.head);
}

/* Every caller's, and what is being asked now is not to be remembered either. */
static void forget_all(Manager *m) {
        while (m->auth_answers.head)
                answer_free(m->auth_answers.head);
        m->auth_generation++;
}

static int arm_expiry(Manager *m);

static int on_answers_expired(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        while (m->auth_answers.head && m->auth_answers.head->until <= now)
                answer_free(m->auth_answers.head);
        (void) arm_expiry(m); /* failing, the lookup still ignores what is past its time */
        return 0;
}

/* The answers are kept for the same time, so the first to expire is the oldest. */
static int arm_expiry(Manager *m) {
        int r;

        if (!m->auth_answers.head)
                return m->auth_expiry ? sd_event_source_set_enabled(m->auth_expiry, SD_EVENT_OFF) : 0;
        if (!m->auth_expiry)
                return sd_event_add_time(m->event, &m->auth_expiry, CLOCK_MONOTONIC, m->auth_answers.head->until, 0,
                                         on_answers_expired, m);
        r = sd_event_source_set_time(m->auth_expiry, m->auth_answers.head->until);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->auth_expiry, SD_EVENT_ONESHOT);
        return r;
}

static bool remembered(Peer *peer, const char *action, const char *details) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        LIST_FOREACH(peer, a, peer->auth_answers)
                if (a->until > now && strcmp(a->action, action) == 0 && strcmp(a->details, details) == 0)
                        return true;
        return false;
}

/* q's yes, for its caller, action and details.  Not remembering is always
 * safe: a failure here only means asking again. */
static void remember(AuthQuery *q) {
        Manager *m = q->manager;
        Peer *peer = q->peer;
        size_t size = strlen(q->details) + 1;
        AuthAnswer *a;

        if (m->limits.remember_auth_sec == 0 || q->generation != m->auth_generation ||
            size > POLKIT_REMEMBER_MAX_BYTES_PER_PEER)
                return;
        a = calloc(1, sizeof(AuthAnswer));
        if (!a)
                return;
        a->details = strdup(q->details);
        if (!a->details) {
                free(a);
                return;
        }
        while (peer->auth_answers.head && (peer->n_auth_answers >= POLKIT_REMEMBER_MAX_PER_PEER ||
                                           peer->auth_answer_bytes + size > POLKIT_REMEMBER_MAX_BYTES_PER_PEER))
                answer_free(peer->auth_answers.head);
        a->peer = peer;
        a->action = q->action;
        a->size = size;
        a->until = now_usec(CLOCK_MONOTONIC) + (uint64_t) m->limits.remember_auth_sec * 1000000ULL;
        LIST_APPEND(peer, peer->auth_answers, a);
        LIST_APPEND(manager, m->auth_answers, a);
        peer->n_auth_answers++;
        peer->auth_answer_bytes += size;
        (void) arm_expiry(m);
}

/* Skips the value of type (with contents, for a container) at m's position. */
static int skip_one(sd_bus_message *m, char type, const char *contents) {
        char signature[SD_BUS_MAXIMUM_SIGNATURE_LENGTH + 3];

        if (type == SD_BUS_TYPE_ARRAY)
                snprintf(signature, sizeof(signature), "a%s", contents);
        else if (type == SD_BUS_TYPE_STRUCT)
                snprintf(signature, sizeof(signature), "(%s)", contents);
        else if (type == SD_BUS_TYPE_DICT_ENTRY)
                snprintf(signature, sizeof(signature), "{%s}", contents);
        else
                snprintf(signature, sizeof(signature), "%c", type);
        return sd_bus_message_skip(m, signature);
}

/* The descriptors a call carries, as its arguments name them: what keeping
 * the call until polkit answers keeps open.  Reads m from the start; the
 * method that asks has read what it needs. */
static int message_count_fds(sd_bus_message *m, unsigned *ret) {
        unsigned n = 0, depth = 0;
        const char *contents;
        char type;
        int fd, r;

        r = sd_bus_message_rewind(m, true);
        while (r >= 0) {
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0 || (r == 0 && depth == 0))
                        break;
                if (r == 0) {
                        r = sd_bus_message_exit_container(m);
                        depth--;
                } else if (type == SD_BUS_TYPE_UNIX_FD) {
                        r = sd_bus_message_read_basic(m, type, &fd);
                        n++;
                } else if (contents && strpbrk(contents, "hv")) {
                        r = sd_bus_message_enter_container(m, type, contents);
                        depth++;
                } else
                        r = skip_one(m, type, contents); /* holds no descriptor */
        }
        if (r < 0)
                return r;
        *ret = n;
        return sd_bus_message_rewind(m, true);
}

static bool polkit_absent(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* Without polkit on the bus: only what needs no authorization, spawning as oneself. */
static int answer_without_polkit(const char *action, sd_bus_error *error) {
        if (strcmp(action, PROCCTL_ACTION_SPAWN) == 0)
                return 1;
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "This needs authorization (%s) and polkit is not running",
                                 action);
}

static int on_polkit_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        m->polkit_absent_until = 0; /* it came (or went): ask it next time */
        forget_all(m);              /* and whatever it said is no longer its word */
        return 0;
}

/* Rules, actions or sessions changed: a yes of a moment ago may be a no now. */
static int on_polkit_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        forget_all(userdata);
        return 0;
}

int polkit_watch(Manager *m) {
        int r;

        r = sd_bus_add_match(m->bus, NULL,
                             "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                             "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                             "arg0='org.freedesktop.PolicyKit1'",
                             on_polkit_owner_changed, m);
        if (r < 0)
                return r;
        return sd_bus_add_match(m->bus, NULL,
                                "type='signal',sender='org.freedesktop.PolicyKit1',"
                                "path='/org/freedesktop/PolicyKit1/Authority',"
                                "interface='org.freedesktop.PolicyKit1.Authority',member='Changed'",
                                on_polkit_changed, m);
}

static int on_query_answered(sd_event_source *s, void *userdata) {
        query_free(userdata);
        return 0;
}

static char *details_join(const char *const *details) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (const char *const *d = details; d && d[0] && d[1]; d += 2)
                fprintf(f, "%s=%s\n", d[0], d[1]);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* Whether polkit's yes rests on a temporary authorization (one an
 * authentication earlier left, which its user may revoke): polkit's to keep. */
static bool reply_is_temporary(sd_bus_message *reply) {
        const char *key, *value;
        bool temporary = false;

        if (sd_bus_message_enter_container(reply, 'a', "{ss}") < 0)
                return true;
        while (sd_bus_message_read(reply, "{ss}", &key, &value) > 0)
                if (strcmp(key, "polkit.temporary_authorization_id") == 0)
                        temporary = true;
        return temporary;
}

/* Runs q's method again, now with the answer waiting for it.  The method may
 * not reach its check this time (the process it named was released
 * meanwhile, a quota is now full): the query is freed all the same once the
 * bus has nothing more to dispatch, at idle priority. */
static void query_dispatch_again(AuthQuery *q) {
        int r;

        q->done = true;
        r = sd_bus_enqueue_for_read(q->manager->bus, q->request);
        if (r >= 0)
                r = sd_event_add_defer(q->manager->event, &q->defer, on_query_answered, q);
        if (r >= 0)
                r = sd_event_source_set_priority(q->defer, SD_EVENT_PRIORITY_IDLE);
        if (r < 0) {
                log_error_errno(r, "Failed to dispatch a call again after authorization: %m");
                (void) sd_bus_reply_method_errno(q->request, r, NULL);
                query_free(q);
        }
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);

        if (e && polkit_absent(e)) {
                /* Neither running nor activatable: remember it for a while
                 * rather than ask the bus again for every call (polkit
                 * appearing ends it at once, auth_watch_polkit()). */
                q->manager->polkit_absent_until = now_usec(CLOCK_MONOTONIC) + POLKIT_ABSENT_USEC;
                q->result = answer_without_polkit(q->action, &q->error);
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
                else if (authorized) {
                        q->result = 1;
                        /* Only a yes no authentication went into: one that
                         * did was for this call (auth_admin), not a while. */
                        if (!q->interactive && !reply_is_temporary(reply))
                                remember(q);
                } else if (challenge && !sd_bus_message_get_allow_interactive_authorization(q->request))
                        q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                                      "Authorization (%s) needs interactive authentication; "
                                                      "allow interactive authorization to be asked",
                                                      q->action);
                else
                        q->result = sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized: %s", q->action);
        }

        /* The same caller's calls that waited on this check get its answer. */
        for (AuthQuery *f = q->peer->auth_queries.head, *next; f; f = next) {
                next = f->peer_next;
                if (f->leader != q)
                        continue;
                f->leader = NULL;
                f->result = q->result;
                if (q->result < 0)
                        f->result = sd_bus_error_copy(&f->error, &q->error);
                query_dispatch_again(f);
        }
        query_dispatch_again(q);
        return 0;
}

/* The same caller's non-interactive check for the same action and details,
 * in flight, or NULL. */
static AuthQuery *find_leader(Peer *peer, const char *action, const char *details) {
        LIST_FOREACH(peer, q, peer->auth_queries)
                if (q->slot && !q->interactive && strcmp(q->action, action) == 0 && strcmp(q->details, details) == 0)
                        return q;
        return NULL;
}

/* details: NULL-terminated key, value, key, value, … */
/* binding: what else the answer holds for, compared on the second pass but
 * not shown to polkit (the identity of the file details name), or NULL. */
int polkit_check(Manager *m, sd_bus_message *msg, Peer *peer, const char *action, const char *const *details,
                        const char *binding, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        AuthQuery key = { .request = msg }, *q, *leader;
        void **found;
        unsigned n_fds;
        bool interactive;
        int r;

        _cleanup_free_ char *joined = details_join(details);
        if (!joined)
                return -ENOMEM;
        if (binding) {
                char *b = NULL;
                if (asprintf(&b, "%s\x01%s", joined, binding) < 0)
                        return -ENOMEM;
                free(joined);
                joined = b;
        }

        found = tfind(&key, &m->auth_queries, query_compare);
        if (found) {
                q = *found;
                if (!q->done)
                        return 0;
                /* The answer was for this action and these details, nothing else. */
                if (strcmp(q->action, action) != 0 || strcmp(q->details, joined) != 0)
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                              "The request changed while it was being authorized (%s)", action);
                else {
                        r = q->result;
                        if (r < 0)
                                sd_bus_error_move(error, &q->error);
                }
                query_free(q);
                return r;
        }

        /* Nothing is logged here: this is every call's path. */
        if (remembered(peer, action, joined))
                return 1;

        if (m->polkit_absent_until > now_usec(CLOCK_MONOTONIC))
                return answer_without_polkit(action, error);

        /* A waiter is one of the caller's pending checks too: it keeps its
         * call and the call's descriptors as long as the one it waits on. */
        r = quota_check(m, peer->uid, QUOTA_AUTH, error);
        if (r < 0)
                return r;
        /* The call is kept, with its descriptors, until polkit answers: they
         * count against the caller's budget and the daemon's reserve. */
        r = message_count_fds(msg, &n_fds);
        if (r < 0)
                return r;
        r = quota_check_amount(m, peer->uid, QUOTA_AUTH_FDS, n_fds, error);
        if (r >= 0 && n_fds > 0)
                r = quota_check_descriptors_for(m, n_fds, error);
        if (r < 0)
                return r;

        interactive = sd_bus_message_get_allow_interactive_authorization(msg) > 0;
        /* Asked with interaction, polkit may authenticate the user for this
         * call alone: such a check is neither shared nor remembered. */
        leader = !interactive && m->limits.remember_auth_sec > 0 ? find_leader(peer, action, joined) : NULL;
        if (!leader)
                r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (!leader && r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(msg),
                                          action);
        if (!leader && r >= 0)
                r = sd_bus_message_open_container(call, 'a', "{ss}");
        for (const char *const *d = details; !leader && r >= 0 && d && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(call, "{ss}", d[0], d[1]);
        if (!leader && r >= 0)
                r = sd_bus_message_close_container(call);
        if (!leader && r >= 0)
                r = sd_bus_message_append(call, "us", (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(AuthQuery));
        if (!q)
                return -ENOMEM;
        *q = (AuthQuery) { .manager = m, .peer = peer, .request = msg, .action = action, .details = TAKE_PTR(joined),
                           .error = SD_BUS_ERROR_NULL, .interactive = interactive, .leader = leader,
                           .generation = m->auth_generation };
        r = quota_charge(m, peer->uid, QUOTA_AUTH, &q->charge);
        if (r >= 0)
                r = quota_charge_n(m, peer->uid, QUOTA_AUTH_FDS, n_fds, &q->fds);
        if (r < 0 || !tsearch(q, &m->auth_queries, query_compare)) {
                charge_release(&q->charge);
                charge_release(&q->fds);
                free(q->details);
                free(q);
                return r < 0 ? r : -ENOMEM;
        }
        sd_bus_message_ref(msg);
        m->auth_fds += q->fds.amount;
        LIST_APPEND(peer, peer->auth_queries, q);
        if (leader)
                return 0; /* answered with it (on_polkit_reply()) */

        r = sd_bus_call_async(m->bus, &q->slot, call, on_polkit_reply, q,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 0;
}

