/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The authorization matrix of the contract ("Who may do what"), with a mock
 * polkit (GtDBusQueue) on the bus procctld uses:
 *
 *   method  Spawn as self, Spawn as another user, Signal, SignalGroup, Wait,
 *           Stop, Release, GetPidfd, Adopt of another uid's process
 *   caller  root; the owner (the uid that spawned the process, or the uid the
 *           adopted process runs as; for Spawn, a plain user); another user
 *   answer  yes, no, challenge (each with and without the caller allowing
 *           interactive authorization), an error reply, no reply at all
 *
 * Each case asserts the reply (or error name) the caller gets, what it did or
 * did not change, and exactly what procctld asked polkit: nothing for root
 * and for an owner acting on its own process; otherwise one
 * CheckAuthorization with the action, the system-bus-name subject of the
 * caller, the details, flags 1 exactly when the caller allowed interaction,
 * and an empty cancellation id.
 *
 * The owner is nobody (65534), the other user daemon (1).  The cases where
 * polkit never answers all run at once in one test, since each waits for
 * procctld's 25 s polkit timeout.
 */

#include "auth-harness.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum {
        M_SPAWN_SELF,
        M_SPAWN_OTHER,
        M_SIGNAL,
        M_SIGNAL_GROUP,
        M_WAIT,
        M_STOP,
        M_RELEASE,
        M_GET_PIDFD,
        M_ADOPT,
        N_METHODS,
} Method;

static const struct {
        const char *test_name;
        const char *dbus_name;
        gboolean exited_target; /* acts on a process that has exited */
} methods[N_METHODS] = {
        [M_SPAWN_SELF] = { "spawn-as-self", "Spawn", FALSE },
        [M_SPAWN_OTHER] = { "spawn-as-other-user", "Spawn", FALSE },
        [M_SIGNAL] = { "signal", "Signal", FALSE },
        [M_SIGNAL_GROUP] = { "signal-group", "SignalGroup", FALSE },
        [M_WAIT] = { "wait", "Wait", TRUE },
        [M_STOP] = { "stop", "Stop", FALSE },
        [M_RELEASE] = { "release", "Release", TRUE },
        [M_GET_PIDFD] = { "get-pidfd", "GetPidfd", FALSE },
        [M_ADOPT] = { "adopt", "Adopt", FALSE },
};

typedef enum { C_ROOT, C_OWNER, C_OTHER, N_CALLERS } Caller;
static const char *const caller_names[N_CALLERS] = { "root", "owner", "other-user" };
static const char *const user_names[N_CALLERS] = { "root", "nobody", "daemon" };
static uid_t uids[N_CALLERS];
static gid_t gids[N_CALLERS];

typedef enum {
        A_YES,
        A_YES_INTERACTIVE,
        A_NO,
        A_CHALLENGE,
        A_CHALLENGE_INTERACTIVE,
        A_ERROR,
        A_NO_REPLY,
        N_ANSWERS,
} Answer;

static const struct {
        const char *test_name;
        MockAnswer mock;
        gboolean interactive;
} answers[N_ANSWERS] = {
        [A_YES] = { "polkit-yes", MOCK_YES, FALSE },
        [A_YES_INTERACTIVE] = { "polkit-yes-interactive", MOCK_YES, TRUE },
        [A_NO] = { "polkit-no", MOCK_NO, FALSE },
        [A_CHALLENGE] = { "polkit-challenge", MOCK_CHALLENGE, FALSE },
        [A_CHALLENGE_INTERACTIVE] = { "polkit-challenge-interactive", MOCK_CHALLENGE, TRUE },
        [A_ERROR] = { "polkit-error", MOCK_ERROR, FALSE },
        [A_NO_REPLY] = { "polkit-no-reply", MOCK_NO_REPLY, FALSE },
};

typedef struct {
        Method method;
        Caller caller;
        Answer answer;
} Case;

static AuthBus *bus;

/* The action procctld must ask for, or NULL when it must not ask. */
static const char *expected_action(Method m, Caller c) {
        if (c == C_ROOT)
                return NULL;
        switch (m) {
        case M_SPAWN_SELF:
                return AUTH_ACTION_SPAWN;
        case M_SPAWN_OTHER:
                return AUTH_ACTION_SPAWN_AS_USER;
        default:
                return c == C_OWNER ? NULL : AUTH_ACTION_MANAGE;
        }
}

/* NULL: the call succeeds; else the error name the caller gets. */
static const char *expected_error(const Case *k) {
        if (!expected_action(k->method, k->caller))
                return NULL;
        switch (k->answer) {
        case A_YES:
        case A_YES_INTERACTIVE:
                return NULL;
        case A_CHALLENGE:
                return PC_ERROR_INTERACTIVE;
        default:
                return PC_ERROR_ACCESS_DENIED;
        }
}

/* Who Spawn-as-another-user starts the process as. */
static Caller spawn_target(const Case *k) {
        if (k->method == M_SPAWN_SELF)
                return k->caller;
        return k->caller == C_OWNER ? C_OTHER : C_OWNER;
}

typedef struct {
        Case k;
        char *path;          /* the process acted on (or spawned, or adopted) */
        guint32 pid;
        char *program;       /* its Executable */
        pid_t foreign;       /* Adopt: the process, not started by procctld */
        guint32 count_before;
        AuthCaller *caller;
        char *caller_name;
        GVariant *reply;
        GError *error;
        GArray *fd_pids;
} Run;

static void run_free(Run *r) {
        g_free(r->path);
        g_free(r->program);
        auth_caller_free(r->caller);
        g_free(r->caller_name);
        g_clear_pointer(&r->reply, g_variant_unref);
        g_clear_error(&r->error);
        g_clear_pointer(&r->fd_pids, g_array_unref);
        g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Run, run_free)

static char *spawn_as_owner(const char *const *argv, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        auth_bus_set_answer(bus, MOCK_YES);
        g_autoptr(GVariant) reply = auth_call_as(bus, uids[C_OWNER], gids[C_OWNER], 0, 0, PC_MANAGER_PATH,
                                                 PC_MANAGER_IFACE, "Spawn",
                                                 g_variant_new("(^as@a{sv})", argv, g_variant_new("a{sv}", NULL)), NULL, NULL, &error);
        g_assert_no_error(error);
        char *path;
        g_variant_get(reply, "(ou)", &path, pid);
        return path;
}

/* Sets up what the call acts on; polkit answers as the case says from here. */
static Run *run_prepare(const Case *k) {
        Run *r = g_new0(Run, 1);
        r->k = *k;

        if (k->method == M_ADOPT) {
                r->foreign = auth_start_foreign_sleep(uids[C_OWNER], gids[C_OWNER]);
        } else if (k->method != M_SPAWN_SELF && k->method != M_SPAWN_OTHER) {
                gboolean exited = methods[k->method].exited_target;
                r->path = spawn_as_owner(exited ? (const char *[]) { "/bin/true", NULL }
                                                : (const char *[]) { "/bin/sleep", "1000", NULL },
                                         &r->pid);
                if (exited)
                        auth_bus_wait_exited(bus, r->path);
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) exe = auth_bus_get_property(bus, r->path, "Executable", &error);
                g_assert_no_error(error);
                r->program = g_variant_dup_string(exe, NULL);
        }
        r->count_before = auth_bus_process_count(bus);
        g_ptr_array_unref(auth_bus_take_requests(bus));
        auth_bus_set_answer(bus, answers[k->answer].mock);
        return r;
}

static GVariant *call_params(Run *r) {
        switch (r->k.method) {
        case M_SPAWN_SELF:
                return g_variant_new_parsed("(['/bin/sleep', '1000'], @a{sv} {})");
        case M_SPAWN_OTHER:
                return g_variant_new_parsed("(['/bin/sleep', '1000'], {'user': <%s>})", user_names[spawn_target(&r->k)]);
        case M_SIGNAL:
        case M_SIGNAL_GROUP:
                return g_variant_new("(oi)", r->path, 0);
        case M_ADOPT:
                return g_variant_new_parsed("(@h 0, @a{sv} {})");
        default:
                return g_variant_new("(o)", r->path);
        }
}

static void run_start(Run *r) {
        const Case *k = &r->k;
        r->caller = auth_caller_start(bus, uids[k->caller], gids[k->caller],
                                      answers[k->answer].interactive ? CALLER_INTERACTIVE : 0,
                                      k->method == M_ADOPT ? r->foreign : 0, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                      methods[k->method].dbus_name, call_params(r));
        r->caller_name = g_strdup(auth_caller_name(r->caller));
}

static void run_finish(Run *r) {
        r->reply = auth_caller_finish(r->caller, &r->fd_pids, &r->error);
}

static GVariant *expected_details(Run *r) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
        Caller t = spawn_target(&r->k);
        g_autofree char *uid_owner = g_strdup_printf("%u", (unsigned) uids[C_OWNER]);

        switch (r->k.method) {
        case M_SPAWN_SELF:
        case M_SPAWN_OTHER: {
                g_autofree char *uid = g_strdup_printf("%u", (unsigned) uids[t]);
                g_autofree char *gid = g_strdup_printf("%u", (unsigned) gids[t]);
                g_variant_builder_add(&b, "{ss}", "user", user_names[t]);
                g_variant_builder_add(&b, "{ss}", "uid", uid);
                g_variant_builder_add(&b, "{ss}", "gid", gid);
                /* What will really run: the resolved file, the command line,
                 * the environment the caller set (none here). */
                g_autofree char *program = realpath("/bin/sleep", NULL);
                g_variant_builder_add(&b, "{ss}", "program", program);
                g_variant_builder_add(&b, "{ss}", "command_line", "/bin/sleep 1000");
                g_variant_builder_add(&b, "{ss}", "environment", "");
                break;
        }
        case M_ADOPT: {
                g_autofree char *pid = g_strdup_printf("%d", (int) r->foreign);
                g_variant_builder_add(&b, "{ss}", "pid", pid);
                g_variant_builder_add(&b, "{ss}", "uid", uid_owner);
                break;
        }
        default: {
                g_autofree char *pid = g_strdup_printf("%u", r->pid);
                g_variant_builder_add(&b, "{ss}", "process", r->path);
                g_variant_builder_add(&b, "{ss}", "pid", pid);
                g_variant_builder_add(&b, "{ss}", "owner_uid", uid_owner);
                g_variant_builder_add(&b, "{ss}", "uid", uid_owner);
                g_variant_builder_add(&b, "{ss}", "program", r->program);
                break;
        }
        }
        return g_variant_builder_end(&b);
}

static void check_requests(Run *r, GPtrArray *requests) {
        const char *action = expected_action(r->k.method, r->k.caller);
        if (!action) {
                if (requests->len > 0)
                        g_error("procctld asked polkit for %s, and must not have",
                                ((PolkitRequest *) g_ptr_array_index(requests, 0))->action);
                return;
        }
        g_assert_cmpuint(requests->len, ==, 1);
        auth_assert_request(bus, g_ptr_array_index(requests, 0), action, r->caller_name, expected_details(r),
                            answers[r->k.answer].interactive ? 1 : 0);
}

static guint32 process_u32(const char *path, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = auth_bus_get_property(bus, path, name, &error);
        g_assert_no_error(error);
        return g_variant_get_uint32(v);
}

static void assert_state(const char *path, const char *state) {
        g_autofree char *s = auth_bus_process_state(bus, path);
        g_assert_cmpstr(s, ==, state);
}

/* The caller's result, and what it did (or, refused, did not) change. */
static void check_result(Run *r) {
        const Case *k = &r->k;
        const char *error_name = expected_error(k);

        if (error_name) {
                pc_assert_dbus_error(r->error, error_name);
                /* The message names the action an administrator would grant. */
                g_assert_nonnull(strstr(r->error->message, expected_action(k->method, k->caller)));
                g_assert_null(r->reply);
                switch (k->method) {
                case M_SPAWN_SELF:
                case M_SPAWN_OTHER:
                case M_ADOPT:
                        g_assert_cmpuint(auth_bus_process_count(bus), ==, r->count_before);
                        break;
                case M_SIGNAL:
                case M_SIGNAL_GROUP:
                case M_STOP:
                case M_GET_PIDFD:
                        assert_state(r->path, "running");
                        g_assert_true(pc_process_is_alive(r->pid));
                        g_assert_cmpuint(r->fd_pids ? r->fd_pids->len : 0, ==, 0);
                        break;
                case M_WAIT:
                case M_RELEASE:
                        assert_state(r->path, "exited");
                        break;
                default:
                        g_assert_not_reached();
                }
                return;
        }

        g_assert_no_error(r->error);
        g_assert_nonnull(r->reply);
        switch (k->method) {
        case M_SPAWN_SELF:
        case M_SPAWN_OTHER: {
                g_assert_true(g_variant_is_of_type(r->reply, G_VARIANT_TYPE("(ou)")));
                g_variant_get(r->reply, "(ou)", &r->path, &r->pid);
                g_assert_cmpuint(process_u32(r->path, "Uid"), ==, uids[spawn_target(k)]);
                g_assert_cmpuint(process_u32(r->path, "OwnerUid"), ==, uids[k->caller]);
                break;
        }
        case M_SIGNAL:
        case M_SIGNAL_GROUP:
                g_assert_cmpstr(g_variant_get_type_string(r->reply), ==, "()");
                assert_state(r->path, "running");
                break;
        case M_WAIT: {
                const char *reason;
                gint32 status;
                g_variant_get(r->reply, "(&si)", &reason, &status);
                g_assert_cmpstr(reason, ==, "exited");
                g_assert_cmpint(status, ==, 0);
                break;
        }
        case M_STOP: {
                const char *reason;
                gint32 status;
                g_variant_get(r->reply, "(&si)", &reason, &status);
                g_assert_cmpstr(reason, ==, "killed");
                g_assert_cmpint(status, ==, SIGTERM);
                break;
        }
        case M_RELEASE: {
                g_assert_cmpstr(g_variant_get_type_string(r->reply), ==, "()");
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) v = auth_bus_get_property(bus, r->path, "State", &error);
                pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
                g_assert_cmpuint(auth_bus_process_count(bus), ==, r->count_before - 1);
                g_clear_pointer(&r->path, g_free);
                break;
        }
        case M_GET_PIDFD:
                g_assert_true(g_variant_is_of_type(r->reply, G_VARIANT_TYPE("(h)")));
                g_assert_cmpuint(r->fd_pids->len, ==, 1);
                g_assert_cmpint(g_array_index(r->fd_pids, int, 0), ==, (int) r->pid);
                break;
        case M_ADOPT:
                g_assert_true(g_variant_is_of_type(r->reply, G_VARIANT_TYPE("(o)")));
                g_variant_get(r->reply, "(o)", &r->path);
                g_assert_cmpuint(process_u32(r->path, "Pid"), ==, (guint32) r->foreign);
                g_assert_cmpuint(process_u32(r->path, "OwnerUid"), ==, uids[k->caller]);
                g_assert_cmpuint(auth_bus_process_count(bus), ==, r->count_before + 1);
                break;
        default:
                g_assert_not_reached();
        }
}

/* Leaves the daemon tracking nothing of this case. */
static void run_cleanup(Run *r) {
        if (r->path)
                auth_bus_forget_process(bus, r->path);
        if (r->foreign > 0)
                auth_kill_process(r->foreign);
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
}

static void test_case(gconstpointer data) {
        AUTH_NEEDS_BUS(bus);
        g_autoptr(Run) r = run_prepare(data);
        run_start(r);
        run_finish(r);
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        check_requests(r, requests);
        check_result(r);
        run_cleanup(r);
}

/* Every case in which polkit is asked and never answers, at once: each
 * caller gets AccessDenied once procctld's 25 s polkit timeout passes, and a
 * "yes" that arrives after that changes nothing. */
static void test_no_reply(gconstpointer data) {
        AUTH_NEEDS_BUS(bus);
        g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify) run_free);
        for (Method m = 0; m < N_METHODS; m++)
                for (Caller c = 0; c < N_CALLERS; c++)
                        if (expected_action(m, c)) {
                                Case k = { m, c, A_NO_REPLY };
                                g_ptr_array_add(runs, run_prepare(&k));
                        }

        guint32 count = auth_bus_process_count(bus);
        for (guint i = 0; i < runs->len; i++)
                ((Run *) g_ptr_array_index(runs, i))->count_before = count;

        gint64 start = g_get_monotonic_time();
        for (guint i = 0; i < runs->len; i++)
                run_start(g_ptr_array_index(runs, i));
        if (!auth_bus_wait_requests(bus, runs->len, PC_TIMEOUT_MS))
                g_error("polkit was not asked %u times", runs->len);
        for (guint i = 0; i < runs->len; i++)
                run_finish(g_ptr_array_index(runs, i));
        gint64 waited_ms = (g_get_monotonic_time() - start) / 1000;
        g_test_message("%u callers denied after %" G_GINT64_FORMAT " ms", runs->len, waited_ms);
        g_assert_cmpint(waited_ms, >=, 24000);

        /* The late answer, then a round trip so procctld has seen it. */
        auth_bus_answer_held(bus, MOCK_YES);
        auth_bus_process_count(bus);

        /* One request per call; the callers of one uid share a connection
         * (the harness's agent), so the details tell them apart. */
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, runs->len);
        for (guint i = 0; i < runs->len; i++) {
                Run *r = g_ptr_array_index(runs, i);
                guint matches = 0;
                for (guint j = 0; j < requests->len; j++)
                        if (auth_request_matches(bus, g_ptr_array_index(requests, j),
                                                 expected_action(r->k.method, r->k.caller), r->caller_name,
                                                 expected_details(r), 0))
                                matches++;
                if (matches != 1)
                        g_error("%u CheckAuthorization calls match %s by %s, expected 1", matches,
                                methods[r->k.method].test_name, caller_names[r->k.caller]);
                check_result(r);
        }
        for (guint i = 0; i < runs->len; i++) {
                Run *r = g_ptr_array_index(runs, i);
                if (r->path)
                        auth_bus_forget_process(bus, r->path);
                g_clear_pointer(&r->path, g_free);
        }
        for (guint i = 0; i < runs->len; i++)
                run_cleanup(g_ptr_array_index(runs, i));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        for (Caller c = 0; c < N_CALLERS; c++)
                auth_lookup_user(user_names[c], &uids[c], &gids[c]);

        for (Method m = 0; m < N_METHODS; m++)
                for (Caller c = 0; c < N_CALLERS; c++)
                        for (Answer a = 0; a < N_ANSWERS; a++) {
                                if (a == A_NO_REPLY && expected_action(m, c))
                                        continue; /* in test_no_reply() */
                                Case *k = g_new0(Case, 1);
                                *k = (Case) { m, c, a };
                                g_autofree char *path = g_strdup_printf("/auth/matrix/%s/%s/%s", methods[m].test_name,
                                                                        caller_names[c], answers[a].test_name);
                                g_test_add_data_func_full(path, k, test_case, g_free);
                        }
        g_test_add_data_func("/auth/matrix/polkit-no-reply/asked-calls-denied-after-timeout", NULL, test_no_reply);

        return auth_run_with_mock(&bus, NULL);
}
