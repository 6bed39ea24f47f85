/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Deny paths, as a real unprivileged user (nobody, 65534), against procctld
 * started with --max-auth-per-user=2 --max-auth-descriptors-per-user=1:
 *
 *  - without polkit on the bus, nobody may spawn as itself and act on its own
 *    processes, and gets AccessDenied for everything else: every act method,
 *    through Manager1 and through the process object, on another user's
 *    process; Adopt of it; spawning as another user;
 *  - a caller that leaves the bus while polkit is deciding leaves nothing
 *    behind: procctld keeps answering, holds no more descriptors than
 *    before, and does not act on polkit's late answer;
 *  - MaxPendingAuthPerUser: a third pending check of one uid is
 *    LimitExceeded at once, another uid is not held up by it, and the slots
 *    come back when the callers leave;
 *  - a check whose call cannot go on once polkit says yes (the process was
 *    released, the process to adopt exited) gives its slot and descriptors
 *    back at once: more such calls than the limit on one connection, and
 *    that connection still reaches polkit;
 *  - MaxPendingAuthDescriptorsPerUser: a call kept while polkit decides
 *    keeps its descriptors; once they fill nobody's budget, every further
 *    call that carries one (Adopt's pidfd, Spawn's stdin) is LimitExceeded
 *    at once and the daemon holds no more of them, while a call without
 *    descriptors still reaches polkit; polkit's answer gives them all back.
 *
 * After each case, procctld is asked something and its descriptor count is
 * compared with the count before the case.
 */

#include "auth-harness.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static AuthBus *bus;
static uid_t nobody_uid, daemon_uid;
static gid_t nobody_gid, daemon_gid;

#define NEEDS_BUS() AUTH_NEEDS_BUS(bus)

typedef struct {
        const char *name;
        const char *iface;   /* Manager1: the path is the first argument */
        const char *method;
        gboolean exited;     /* acts on a process that has exited */
        gboolean with_signal;
} Act;

static const Act acts[] = {
        { "manager/signal", PC_MANAGER_IFACE, "Signal", FALSE, TRUE },
        { "manager/signal-group", PC_MANAGER_IFACE, "SignalGroup", FALSE, TRUE },
        { "manager/wait", PC_MANAGER_IFACE, "Wait", TRUE, FALSE },
        { "manager/stop", PC_MANAGER_IFACE, "Stop", FALSE, FALSE },
        { "manager/release", PC_MANAGER_IFACE, "Release", TRUE, FALSE },
        { "manager/get-pidfd", PC_MANAGER_IFACE, "GetPidfd", FALSE, FALSE },
        { "process/signal", PC_PROCESS_IFACE, "Signal", FALSE, TRUE },
        { "process/signal-group", PC_PROCESS_IFACE, "SignalGroup", FALSE, TRUE },
        { "process/wait", PC_PROCESS_IFACE, "Wait", TRUE, FALSE },
        { "process/stop", PC_PROCESS_IFACE, "Stop", FALSE, FALSE },
        { "process/release", PC_PROCESS_IFACE, "Release", TRUE, FALSE },
};

static char *spawn_as_root(const char *const *argv, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_bus_call(bus, "Spawn", g_variant_new("(^as@a{sv})", argv, g_variant_new("a{sv}", NULL)),
                                                  &error);
        g_assert_no_error(error);
        char *path;
        g_variant_get(reply, "(ou)", &path, pid);
        return path;
}

static GVariant *call_as_nobody(CallerFlags flags, pid_t adopt_pid, const char *path, const char *iface,
                                const char *method, GVariant *params, GArray **fd_pids, GError **error) {
        return auth_call_as(bus, nobody_uid, nobody_gid, flags, adopt_pid, path, iface, method, params, NULL, fd_pids,
                            error);
}

static void assert_daemon_unchanged(guint fds_before) {
        g_assert_true(auth_bus_daemon_running(bus));
        (void) auth_bus_process_count(bus); /* it answers */
        g_assert_cmpuint(auth_bus_daemon_fd_count(bus), ==, fds_before);
}

/* --- Without polkit --------------------------------------------------- */

static void test_no_polkit_act_on_another(gconstpointer data) {
        NEEDS_BUS();
        const Act *a = data;
        auth_bus_polkit_leave(bus);

        guint32 pid;
        g_autofree char *path = spawn_as_root(a->exited ? (const char *[]) { "/bin/true", NULL }
                                                        : (const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
        if (a->exited)
                auth_bus_wait_exited(bus, path);
        guint fds = auth_bus_daemon_fd_count(bus);

        gboolean on_manager = g_str_equal(a->iface, PC_MANAGER_IFACE);
        GVariant *params;
        if (on_manager)
                params = a->with_signal ? g_variant_new("(oi)", path, SIGKILL) : g_variant_new("(o)", path);
        else
                params = a->with_signal ? g_variant_new("(i)", SIGKILL) : NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) fd_pids = NULL;
        g_autoptr(GVariant) reply = call_as_nobody(0, 0, on_manager ? PC_MANAGER_PATH : path, a->iface, a->method,
                                                   params, &fd_pids, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_null(fd_pids);

        g_autofree char *state = auth_bus_process_state(bus, path);
        g_assert_cmpstr(state, ==, a->exited ? "exited" : "running");
        if (!a->exited)
                g_assert_true(pc_process_is_alive(pid));
        assert_daemon_unchanged(fds);
        auth_bus_forget_process(bus, path);
}

static void test_no_polkit_adopt_another(void) {
        NEEDS_BUS();
        auth_bus_polkit_leave(bus);
        pid_t foreign = auth_start_foreign_sleep(daemon_uid, daemon_gid);
        guint fds = auth_bus_daemon_fd_count(bus);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_as_nobody(0, foreign, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Adopt",
                                                   g_variant_new_parsed("(@h 0, @a{sv} {})"), NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
        assert_daemon_unchanged(fds);
        auth_kill_process(foreign);
}

static void test_no_polkit_spawn_as_other_user(void) {
        NEEDS_BUS();
        auth_bus_polkit_leave(bus);
        guint fds = auth_bus_daemon_fd_count(bus);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_as_nobody(0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                   g_variant_new_parsed("(['/bin/true'], {'user': <'daemon'>})"),
                                                   NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_nonnull(strstr(error->message, AUTH_ACTION_SPAWN_AS_USER));
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
        assert_daemon_unchanged(fds);
}

/* What needs no authorization still works without polkit. */
static void test_no_polkit_own_process(void) {
        NEEDS_BUS();
        auth_bus_polkit_leave(bus);
        guint fds = auth_bus_daemon_fd_count(bus);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) spawned = call_as_nobody(0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                     g_variant_new_parsed("(['/bin/sleep', '1000'], @a{sv} {})"), NULL,
                                                     &error);
        g_assert_no_error(error);
        const char *path;
        guint32 pid;
        g_variant_get(spawned, "(&ou)", &path, &pid);

        g_autoptr(GVariant) signalled = call_as_nobody(0, 0, path, PC_PROCESS_IFACE, "Signal",
                                                       g_variant_new("(i)", 0), NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) stopped = call_as_nobody(0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Stop",
                                                     g_variant_new("(o)", path), NULL, &error);
        g_assert_no_error(error);
        g_autofree char *text = g_variant_print(stopped, FALSE);
        g_assert_cmpstr(text, ==, "('killed', 15)");
        g_autoptr(GVariant) released = call_as_nobody(0, 0, path, PC_PROCESS_IFACE, "Release", NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
        assert_daemon_unchanged(fds);
}

/* --- With a polkit that does not answer -------------------------------- */

static void test_caller_leaves_while_pending(void) {
        NEEDS_BUS();
        auth_bus_polkit_return(bus);
        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        g_ptr_array_unref(auth_bus_take_requests(bus));

        guint32 pid;
        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
        guint fds = auth_bus_daemon_fd_count(bus);

        /* SIGKILL: were the call carried out after all, it would show. */
        g_autoptr(AuthCaller) c = auth_caller_start(bus, nobody_uid, nobody_gid, CALLER_HOLD, 0, PC_MANAGER_PATH,
                                                    PC_MANAGER_IFACE, "Signal",
                                                    g_variant_new("(oi)", path, SIGKILL));
        auth_caller_wait_sent(c);
        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        PolkitRequest *q = g_ptr_array_index(requests, 0);
        g_assert_cmpstr(q->action, ==, AUTH_ACTION_MANAGE);

        auth_caller_leave(c);
        auth_bus_wait_caller_gone(bus, auth_caller_name(c));
        assert_daemon_unchanged(fds);

        /* polkit says yes, too late: nobody is there to act for. */
        auth_bus_answer_held(bus, MOCK_YES);
        assert_daemon_unchanged(fds);
        g_autofree char *state = auth_bus_process_state(bus, path);
        g_assert_cmpstr(state, ==, "running");
        g_assert_true(pc_process_is_alive(pid));

        auth_bus_forget_process(bus, path);
        auth_bus_set_answer(bus, MOCK_YES);
}

/* The process goes while polkit decides; polkit then says yes.  The call,
 * run again, finds no such process any more and is answered UnknownObject;
 * its polkit query is freed all the same.  A query left behind would keep
 * one of nobody's MaxPendingAuthPerUser (2) slots: the third round would be
 * LimitExceeded, and hold_two_pending() below would fail. */
static void released_while_pending(gboolean on_manager) {
        guint32 pid;
        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);

        g_autoptr(AuthCaller) c = auth_caller_start(bus, nobody_uid, nobody_gid, 0, 0,
                                                    on_manager ? PC_MANAGER_PATH : path,
                                                    on_manager ? PC_MANAGER_IFACE : PC_PROCESS_IFACE, "Signal",
                                                    on_manager ? g_variant_new("(oi)", path, SIGKILL)
                                                               : g_variant_new("(i)", SIGKILL));
        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
        g_ptr_array_unref(auth_bus_take_requests(bus));
        auth_bus_forget_process(bus, path);
        auth_bus_answer_held(bus, MOCK_YES);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
}

static AuthCaller *hold_signal(uid_t uid, gid_t gid, const char *path);

/* Both of nobody's pending-check slots are free: two held checks reach
 * polkit, neither is LimitExceeded. */
static void assert_two_pending_checks_allowed(void) {
        guint32 pid;
        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
        g_autoptr(AuthCaller) first = hold_signal(nobody_uid, nobody_gid, path);
        g_autoptr(AuthCaller) second = hold_signal(nobody_uid, nobody_gid, path);
        g_assert_true(auth_bus_wait_requests(bus, 2, PC_TIMEOUT_MS));
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 2);

        auth_caller_leave(first);
        auth_bus_wait_caller_gone(bus, auth_caller_name(first));
        auth_caller_leave(second);
        auth_bus_wait_caller_gone(bus, auth_caller_name(second));
        auth_bus_answer_held(bus, MOCK_YES);
        auth_bus_forget_process(bus, path);
}

static void test_process_gone_while_pending(gconstpointer data) {
        NEEDS_BUS();
        gboolean on_manager = GPOINTER_TO_INT(data);
        auth_bus_polkit_return(bus);
        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        g_ptr_array_unref(auth_bus_take_requests(bus));

        /* Before the processes: their pidfds go with them. */
        guint fds = auth_bus_daemon_fd_count(bus);
        for (int i = 0; i < 3; i++) /* one more round than nobody has slots */
                released_while_pending(on_manager);
        assert_two_pending_checks_allowed();

        assert_daemon_unchanged(fds);
        auth_bus_set_answer(bus, MOCK_YES);
}

/* Calls that waited for polkit and cannot go on once it says yes (the
 * process was released, the process to adopt exited), all on one connection
 * (nobody's agent): each finished check must be freed with its call, request,
 * descriptors and MaxPendingAuthPerUser slot.  More of them than the limit
 * (2), then a call that must still reach polkit, not LimitExceeded. */
static void test_checks_freed_when_call_cannot_go_on(void) {
        NEEDS_BUS();
        auth_bus_polkit_return(bus);
        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        g_ptr_array_unref(auth_bus_take_requests(bus));
        guint fds = auth_bus_daemon_fd_count(bus);
        const char *agent_name = NULL;

        for (guint round = 0; round < 4; round++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(AuthCaller) c = NULL;
                if (round % 2 == 0) {
                        guint32 pid;
                        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
                        c = auth_caller_start(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                              "Signal", g_variant_new("(oi)", path, SIGKILL));
                        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
                        auth_bus_forget_process(bus, path);
                        auth_bus_answer_held(bus, MOCK_YES);
                        g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
                        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
                } else {
                        /* Adopt carries a pidfd: the check held it. */
                        pid_t foreign = auth_start_foreign_sleep(daemon_uid, daemon_gid);
                        c = auth_caller_start(bus, nobody_uid, nobody_gid, 0, foreign, PC_MANAGER_PATH,
                                              PC_MANAGER_IFACE, "Adopt", g_variant_new_parsed("(@h 0, @a{sv} {})"));
                        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
                        auth_kill_process(foreign);
                        auth_bus_answer_held(bus, MOCK_YES);
                        g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
                        pc_assert_dbus_error(error, "org.procctl.Error.NotRunning");
                        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
                }
                g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
                g_assert_cmpuint(requests->len, ==, 1);
                g_assert_cmpstr(((PolkitRequest *) g_ptr_array_index(requests, 0))->action, ==, AUTH_ACTION_MANAGE);
                /* One connection throughout. */
                if (!agent_name)
                        agent_name = g_strdup(auth_caller_name(c));
                g_assert_cmpstr(auth_caller_name(c), ==, agent_name);
                assert_daemon_unchanged(fds);
        }

        /* The same connection still reaches polkit, and is answered. */
        auth_bus_set_answer(bus, MOCK_YES);
        guint32 pid;
        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
        g_autoptr(GError) error = NULL;
        g_autofree char *name = NULL;
        g_autoptr(GVariant) reply = auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                                 "Signal", g_variant_new("(oi)", path, 0), &name, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(name, ==, agent_name);
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 1);
        auth_bus_forget_process(bus, path);
        assert_daemon_unchanged(fds);
        g_free((char *) agent_name);
}

/* The budget procctld is started with (main()): one descriptor. */
#define AUTH_DESCRIPTOR_BUDGET 1

/* A call of nobody's that carries one descriptor, a pidfd of pid as handle 0. */
static AuthCaller *start_with_descriptor(gboolean spawn, pid_t pid) {
        if (spawn)
                return auth_caller_start(bus, nobody_uid, nobody_gid, 0, pid, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                         g_variant_new_parsed("(['/bin/true'], {'user': <'daemon'>, 'stdin': <@h 0>})"));
        return auth_caller_start(bus, nobody_uid, nobody_gid, 0, pid, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Adopt",
                                 g_variant_new_parsed("(@h 0, @a{sv} {})"));
}

/* The daemon's descriptors once it has dealt with every call answered so far
 * (a round trip first: a refused call's message is freed after its reply). */
static guint daemon_fd_count_settled(void) {
        (void) auth_bus_process_count(bus);
        return auth_bus_daemon_fd_count(bus);
}

static void test_descriptors_while_pending_are_bounded(void) {
        NEEDS_BUS();
        auth_bus_polkit_return(bus);
        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        g_ptr_array_unref(auth_bus_take_requests(bus));

        pid_t foreign = auth_start_foreign_sleep(daemon_uid, daemon_gid);
        guint32 pid;
        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
        guint fds = auth_bus_daemon_fd_count(bus);

        /* An Adopt waits for polkit; its pidfd fills nobody's budget. */
        g_autoptr(AuthCaller) held = start_with_descriptor(FALSE, foreign);
        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
        g_assert_cmpuint(daemon_fd_count_settled(), <=, fds + AUTH_DESCRIPTOR_BUDGET);

        /* Every further call with a descriptor is refused before polkit is
         * asked, though nobody still has a MaxPendingAuthPerUser slot. */
        for (int i = 0; i < 6; i++) {
                g_autoptr(AuthCaller) c = start_with_descriptor(i % 2 == 0, foreign);
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
                pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
                g_assert_nonnull(strstr(error->message, "MaxPendingAuthDescriptorsPerUser"));
                g_assert_cmpuint(daemon_fd_count_settled(), <=, fds + AUTH_DESCRIPTOR_BUDGET);
        }

        /* A call without descriptors takes the second slot. */
        g_autoptr(AuthCaller) plain = auth_caller_start(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH,
                                                        PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, 0));
        g_assert_true(auth_bus_wait_requests(bus, 2, PC_TIMEOUT_MS));
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 2);

        /* polkit says no: both calls are answered, and all they kept is given back. */
        auth_bus_answer_held(bus, MOCK_NO);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) adopted = auth_caller_finish(held, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_clear_error(&error);
        g_autoptr(GVariant) signalled = auth_caller_finish(plain, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_clear_error(&error);
        assert_daemon_unchanged(fds);

        /* The budget is free again: a call with a descriptor reaches polkit. */
        auth_bus_set_answer(bus, MOCK_NO);
        for (int i = 0; i < 2; i++) {
                g_autoptr(AuthCaller) c = start_with_descriptor(i == 0, foreign);
                g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
                pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
                g_clear_error(&error);
        }
        g_ptr_array_unref(requests);
        requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 2);
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 1);
        assert_daemon_unchanged(fds);

        auth_kill_process(foreign);
        auth_bus_forget_process(bus, path);
        auth_bus_set_answer(bus, MOCK_YES);
}

static AuthCaller *hold_signal(uid_t uid, gid_t gid, const char *path) {
        AuthCaller *c = auth_caller_start(bus, uid, gid, CALLER_HOLD, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal",
                                          g_variant_new("(oi)", path, 0));
        auth_caller_wait_sent(c);
        return c;
}

static void test_max_pending_auth_per_user(void) {
        NEEDS_BUS();
        auth_bus_polkit_return(bus);
        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        g_ptr_array_unref(auth_bus_take_requests(bus));

        guint32 pid;
        g_autofree char *path = spawn_as_root((const char *[]) { "/bin/sleep", "1000", NULL }, &pid);
        guint fds = auth_bus_daemon_fd_count(bus);

        /* Two checks of nobody's pending: the limit (--max-auth-per-user=2). */
        g_autoptr(AuthCaller) first = hold_signal(nobody_uid, nobody_gid, path);
        g_autoptr(AuthCaller) second = hold_signal(nobody_uid, nobody_gid, path);
        g_assert_true(auth_bus_wait_requests(bus, 2, PC_TIMEOUT_MS));

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_as_nobody(0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal",
                                                   g_variant_new("(oi)", path, 0), NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "MaxPendingAuthPerUser"));
        g_clear_error(&error);

        /* Another uid is not held up by nobody's limit. */
        g_autoptr(AuthCaller) other = hold_signal(daemon_uid, daemon_gid, path);
        g_assert_true(auth_bus_wait_requests(bus, 3, PC_TIMEOUT_MS));

        /* Leaving gives the slots back. */
        auth_caller_leave(first);
        auth_bus_wait_caller_gone(bus, auth_caller_name(first));
        auth_caller_leave(second);
        auth_bus_wait_caller_gone(bus, auth_caller_name(second));
        g_autoptr(AuthCaller) again = hold_signal(nobody_uid, nobody_gid, path);
        g_assert_true(auth_bus_wait_requests(bus, 4, PC_TIMEOUT_MS));

        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 4);
        const char *from[] = { auth_caller_name(first), auth_caller_name(second), auth_caller_name(other),
                               auth_caller_name(again) };
        for (guint i = 0; i < requests->len; i++) {
                PolkitRequest *q = g_ptr_array_index(requests, i);
                g_autoptr(GVariant) name = g_variant_lookup_value(q->subject, "name", G_VARIANT_TYPE_STRING);
                g_assert_cmpstr(g_variant_get_string(name, NULL), ==, from[i]);
        }

        auth_caller_leave(other);
        auth_bus_wait_caller_gone(bus, auth_caller_name(other));
        auth_caller_leave(again);
        auth_bus_wait_caller_gone(bus, auth_caller_name(again));
        auth_bus_answer_held(bus, MOCK_YES);
        assert_daemon_unchanged(fds);
        auth_bus_forget_process(bus, path);
        auth_bus_set_answer(bus, MOCK_YES);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        auth_lookup_user("nobody", &nobody_uid, &nobody_gid);
        auth_lookup_user("daemon", &daemon_uid, &daemon_gid);

        for (gsize i = 0; i < G_N_ELEMENTS(acts); i++) {
                g_autofree char *name = g_strdup_printf("/auth/deny/no-polkit/another-users-process/%s", acts[i].name);
                g_test_add_data_func(name, &acts[i], test_no_polkit_act_on_another);
        }
        g_test_add_func("/auth/deny/no-polkit/adopt-of-another-users-process", test_no_polkit_adopt_another);
        g_test_add_func("/auth/deny/no-polkit/spawn-as-another-user", test_no_polkit_spawn_as_other_user);
        g_test_add_func("/auth/deny/no-polkit/own-process-needs-no-authorization", test_no_polkit_own_process);
        g_test_add_func("/auth/deny/caller-leaving-while-polkit-decides-leaves-nothing-behind",
                        test_caller_leaves_while_pending);
        g_test_add_data_func("/auth/deny/process-released-while-polkit-decides/manager", GINT_TO_POINTER(TRUE),
                             test_process_gone_while_pending);
        g_test_add_data_func("/auth/deny/process-released-while-polkit-decides/process", GINT_TO_POINTER(FALSE),
                             test_process_gone_while_pending);
        g_test_add_func("/auth/deny/max-pending-auth-per-user-is-limit-exceeded", test_max_pending_auth_per_user);
        g_test_add_func("/auth/deny/checks-are-freed-when-their-call-cannot-go-on",
                        test_checks_freed_when_call_cannot_go_on);
        g_test_add_func("/auth/deny/descriptors-kept-while-polkit-decides-are-bounded-per-user",
                        test_descriptors_while_pending_are_bounded);

        return auth_run_with_mock(&bus, (const char *const[]) { "--max-auth-per-user=2",
                                                               "--max-auth-descriptors-per-user=1", NULL });
}
