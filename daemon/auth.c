/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

#include "auth.h"
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
        size_t size;    /* what it takes of the caller's AUTH_REMEMBER_MAX_BYTES_PER_PEER */
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

void auth_cancel_peer(Peer *peer) {
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
            size > AUTH_REMEMBER_MAX_BYTES_PER_PEER)
                return;
        a = calloc(1, sizeof(AuthAnswer));
        if (!a)
                return;
        a->details = strdup(q->details);
        if (!a->details) {
                free(a);
                return;
        }
        while (peer->auth_answers.head && (peer->n_auth_answers >= AUTH_REMEMBER_MAX_PER_PEER ||
                                           peer->auth_answer_bytes + size > AUTH_REMEMBER_MAX_BYTES_PER_PEER))
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

int auth_watch_polkit(Manager *m) {
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
                q->manager->polkit_absent_until = now_usec(CLOCK_MONOTONIC) + AUTH_POLKIT_ABSENT_USEC;
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
static int polkit_check(Manager *m, sd_bus_message *msg, Peer *peer, const char *action, const char *const *details,
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
                              interactive ? AUTH_POLKIT_INTERACTIVE_TIMEOUT_USEC : AUTH_POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 0;
}

/* Joins l with sep, for a polkit detail. */
static char *strv_join(char *const *l, const char *sep) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (char *const *s = l; s && *s; s++)
                fprintf(f, "%s%s", s == l ? "" : sep, *s);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* Whether a Spawn needs org.procctl.spawn-as-user: another uid, or a primary
 * group the caller's own credentials (from the bus, peer.h) lack.  An account
 * that shares the caller's uid (useradd -o) is the caller, but its groups are
 * not the caller's. */
static bool spawn_as_other(const Peer *peer, const Identity *target) {
        return target->uid != peer->uid || !peer_has_group(peer, target->gid);
}

int auth_check_spawn(Manager *m, sd_bus_message *msg, Peer *peer, const Identity *target, const char *program,
                     int program_fd, char *const *argv, char *const *environment, sd_bus_error *error) {
        _cleanup_free_ char *command_line = NULL, *env = NULL;
        char uid[16], gid[16], binding[64];
        bool as_other;

        if (peer->uid == 0)
                return 1;

        as_other = spawn_as_other(peer, target);

        /* What the loader and libc honour only for trusted programs would run
         * the caller's code as the target, whatever program polkit allowed. */
        if (as_other)
                for (char *const *e = environment; e && *e; e++)
                        if (env_entry_unsecure(*e))
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option 'environment': %.*s may not be set for a process of another "
                                                         "user, except by root",
                                                         (int) strcspn(*e, "="), *e);

        command_line = strv_join(argv, " ");
        env = strv_join(environment, "\n");
        if (!command_line || !env)
                return -ENOMEM;
        snprintf(uid, sizeof(uid), "%u", (unsigned) target->uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned) target->gid);
        const char *details[] = { "user", target->name, "uid", uid, "gid", gid, "program", program,
                                  "command_line", command_line, "environment", env, NULL };

        /* The file as it is now: a file put in its place while polkit decides is another request. */
        if (program_fd >= 0) {
                struct stat st;
                if (fstat(program_fd, &st) < 0)
                        return -errno;
                snprintf(binding, sizeof(binding), "%llu:%llu", (unsigned long long) st.st_dev,
                         (unsigned long long) st.st_ino);
        }

        return polkit_check(m, msg, peer, as_other ? PROCCTL_ACTION_SPAWN_AS_USER : PROCCTL_ACTION_SPAWN, details,
                            program_fd >= 0 ? binding : NULL, error);
}

/* A same-uid Spawn that needed no spawn-as-user gives the child only the
 * target's supplementary groups the caller has itself: never more than the
 * caller's own fork and exec would have.  Asking spawn-as-user instead would
 * make every user an administrator's question whenever their session is
 * older than a group they were added to, or was started with fewer groups
 * (a service's SupplementaryGroups=, setpriv, newgrp): the caller keeps what
 * it has and gets a group it lacks only by naming it (`group`), which asks. */
int auth_spawn_groups(const Peer *peer, const Identity *target, gid_t **ret, size_t *ret_n) {
        gid_t *l = calloc(target->n_groups ?: 1, sizeof(gid_t));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < target->n_groups; i++)
                if (peer->uid == 0 || spawn_as_other(peer, target) || peer_has_group(peer, target->groups[i]))
                        l[n++] = target->groups[i];
        *ret = l;
        *ret_n = n;
        return 0;
}

/* What polkit is told of a process acted on, for org.procctl.manage. */
static int check_manage(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error) {
        char pid[16], owner[16], uid[16];

        snprintf(pid, sizeof(pid), "%d", (int) p->pid);
        snprintf(owner, sizeof(owner), "%u", (unsigned) p->owner_uid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) p->uid);
        const char *details[] = { "process", p->path, "pid", pid, "owner_uid", owner, "uid", uid, "program", p->executable, NULL };

        return polkit_check(m, msg, peer, PROCCTL_ACTION_MANAGE, details, NULL, error);
}

int auth_check_act(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error) {
        if (peer->uid == 0 || peer->uid == p->owner_uid)
                return 1;
        return check_manage(m, msg, peer, p, error);
}

/* The kernel's rule for kill(2): the caller's uid is the target's real or saved uid. */
static bool may_kill(uid_t caller, const PidfdInfo *target) {
        return caller == target->ruid || caller == target->suid;
}

/* Calls f for each process in /proc, with a descriptor of its directory
 * (which names that one process, whatever becomes of its PID) and its stat
 * line after the command name; stops when f returns false. */
static void proc_foreach(bool (*f)(int dirfd, pid_t pid, const char *stat, void *userdata), void *userdata) {
        struct dirent *de;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        while ((de = readdir(d))) {
                char buf[1024], *p;
                ssize_t n;
                int pfd, fd;
                bool go_on;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        continue;
                fd = openat(pfd, "stat", O_RDONLY | O_CLOEXEC);
                n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
                safe_close(fd);
                p = n > 0 ? (buf[n] = '\0', strrchr(buf, ')')) : NULL; /* the command name may hold anything */
                go_on = !p || f(pfd, (pid_t) atoi(de->d_name), p + 1, userdata);
                safe_close(pfd);
                if (!go_on)
                        break;
        }
        closedir(d);
}

typedef struct GroupCheck {
        pid_t pgid;
        uid_t caller;
        pid_t denied; /* a member the caller may not signal, or 0 */
} GroupCheck;

static bool check_group_member(int dirfd, pid_t pid, const char *stat, void *userdata) {
        GroupCheck *c = userdata;
        PidfdInfo ids;
        char state;
        int pgrp;

        if (sscanf(stat, " %c %*d %d", &state, &pgrp) != 2 || pgrp != c->pgid || state == 'Z')
                return true; /* not a member, or one that signals no longer reach */
        if (proc_read_ids_at(dirfd, &ids) < 0 || may_kill(c->caller, &ids))
                return true;
        c->denied = pid;
        return false;
}

/* The owner signals only where its own kill(2) would: a process that turned
 * another user's since it was started (a setuid program that became fully
 * root) is no longer the owner's to signal.  The ids are read now, at
 * delivery; one that changes between this check and the signal is a race the
 * caller's own kill(2) would have had too. */
int auth_check_signal(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, bool group, sd_bus_error *error) {
        char path[64];
        PidfdInfo ids;
        int r, dirfd;

        if (peer->uid == 0 || peer->uid != p->owner_uid)
                return 1; /* root, or authorized for org.procctl.manage by auth_check_act() */

        if (group && p->group_leader) {
                GroupCheck c = { .pgid = p->pid, .caller = peer->uid };
                proc_foreach(check_group_member, &c);
                if (c.denied == 0)
                        return 1;
                log_debug("Process %d of the group of process %" PRIu64 " is not its owner's to signal", (int) c.denied, p->id);
                return check_manage(m, msg, peer, p, error);
        }

        if (p->pidfd >= 0)
                r = pidfd_get_info(p->pidfd, &ids);
        else {
                /* A child of ours not reaped yet: its PID is its own. */
                snprintf(path, sizeof(path), "/proc/%d", (int) p->pid);
                dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = dirfd < 0 ? -ESRCH : proc_read_ids_at(dirfd, &ids);
                safe_close(dirfd);
        }
        if (r < 0)
                return 1; /* exited: the signal finds nothing, and says so */
        if (may_kill(peer->uid, &ids))
                return 1;
        return check_manage(m, msg, peer, p, error);
}

int auth_check_adopt(Manager *m, sd_bus_message *msg, Peer *peer, const PidfdInfo *info, sd_bus_error *error) {
        char spid[16], uid[16];

        if (peer->uid == 0 || may_kill(peer->uid, info))
                return 1;
        snprintf(spid, sizeof(spid), "%d", (int) info->pid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) info->ruid);
        const char *details[] = { "pid", spid, "uid", uid, NULL };

        return polkit_check(m, msg, peer, PROCCTL_ACTION_MANAGE, details, NULL, error);
}

bool auth_may_read_process(const Peer *peer, pid_t pid, const PidfdInfo *info) {
        char path[64];
        struct stat st;

        if (peer->uid == 0)
                return true;
        if (info->ruid != peer->uid || info->euid != peer->uid || info->suid != peer->uid)
                return false;
        /* The kernel gives a process that is not dumpable (it changed
         * credentials, or said so with prctl) to root in /proc, and refuses
         * its exe and cwd links to their own user. */
        snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        return lstat(path, &st) == 0 && st.st_uid == peer->uid;
}

typedef struct TerminalSearch {
        unsigned tty_nr;
        bool found;
} TerminalSearch;

static bool check_terminal(int dirfd, pid_t pid, const char *stat, void *userdata) {
        TerminalSearch *t = userdata;
        unsigned tty_nr;

        if (sscanf(stat, " %*c %*d %*d %*d %u", &tty_nr) == 1 && tty_nr == t->tty_nr)
                t->found = true;
        return !t->found;
}

/* Whether some process has the terminal rdev as its controlling terminal.
 * TIOCGSID cannot tell: it answers only for the caller's own terminal, so the
 * sessions are looked up in /proc (tty_nr, field 7 of stat, in the kernel's
 * new_encode_dev() form).  Only cross-user spawns with a terminal pay this. */
static bool terminal_in_use(dev_t rdev) {
        TerminalSearch t = { .tty_nr = (minor(rdev) & 0xffu) | (major(rdev) << 8) | ((minor(rdev) & ~0xffu) << 12) };

        if (access("/proc/self", F_OK) < 0)
                return true; /* cannot tell: not fresh */
        proc_foreach(check_terminal, &t);
        return t.found;
}

static bool is_fresh_pty(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
                return false; /* not a /dev/pts slave (UNIX98_PTY_SLAVE_MAJOR, 136 to 143) */
        return !terminal_in_use(st.st_rdev);
}

static int refuse_terminals(const SpawnOptions *o, const Identity *id, sd_bus_error *error) {
        static const char *const stdio_names[] = { "stdin", "stdout", "stderr" };

        for (int i = 0; i < 3; i++)
                if (o->stdio[i] >= 0 && isatty(o->stdio[i]) && !is_fresh_pty(o->stdio[i]))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Option '%s' is a terminal in use, which a process of user %s may not get "
                                                 "(only a fresh pseudo-terminal)",
                                                 stdio_names[i], id->name);
        for (size_t i = 0; i < o->n_fds; i++)
                if (isatty(o->fds[i].source) && !is_fresh_pty(o->fds[i].source))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Option 'fds': descriptor %d is a terminal in use, which a process of user %s "
                                                 "may not get (only a fresh pseudo-terminal)",
                                                 o->fds[i].target, id->name);
        return 0;
}

int auth_check_spawn_identity(Manager *m, Peer *peer, const SpawnOptions *o, const Identity *id, sd_bus_error *error) {
        /* A daemon not running as root starts processes as itself only. */
        if (!m->privileged && (id->uid != geteuid() || id->gid != getegid()))
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "This procctld runs as uid %u (a per-user daemon) and can only start processes "
                                         "as itself",
                                         (unsigned) geteuid());
        /* Another user's process gets no terminal of the caller's but a fresh one. */
        if (id->uid != peer->uid)
                return refuse_terminals(o, id, error);
        return 0;
}
