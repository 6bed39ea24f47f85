/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What procctld remembers of polkit's answers, with the mock polkit, which
 * can hold its answers and say no, yes or "challenge" as the test wants:
 * what is remembered, what never is, and that calls waiting on one check
 * still count as their uid's pending checks.  procctld keeps a yes for 300 s
 * (nothing here depends on the time running out) and allows 4 pending
 * checks per uid.
 */

#include "auth-harness.h"

#include <string.h>

static AuthBus *bus;
static uid_t nobody_uid;
static gid_t nobody_gid;

static AuthCaller *start_spawn(const char *arg, CallerFlags flags) {
        return auth_caller_start(bus, nobody_uid, nobody_gid, flags, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                 g_variant_new_parsed("(['/bin/true', %s], @a{sv} {})", arg));
}

static gboolean finish_spawn(AuthCaller *c, GError **error) {
        return auth_caller_finish_spawn(bus, c, error);
}

static void assert_spawn(const char *arg, CallerFlags flags, const char *error_name) {
        g_autoptr(GError) error = NULL;
        gboolean allowed = finish_spawn(start_spawn(arg, flags), &error);
        if (!error_name) {
                g_assert_no_error(error);
                g_assert_true(allowed);
        } else
                pc_assert_dbus_error(error, error_name);
}

/* The requests the mock had since the last call: every call finished by
 * now that was asked has been answered, so it is counted. */
static guint take_requests(void) {
        g_autoptr(GPtrArray) r = auth_bus_take_requests(bus);
        return r->len;
}

static void test_a_no_or_a_challenge_is_asked_again(void) {
        AUTH_NEEDS_BUS(bus);
        (void) take_requests();

        auth_bus_set_answer(bus, MOCK_NO);
        assert_spawn("no-then-yes", 0, PC_ERROR_ACCESS_DENIED);
        auth_bus_set_answer(bus, MOCK_CHALLENGE);
        assert_spawn("no-then-yes", 0, PC_ERROR_INTERACTIVE);
        assert_spawn("no-then-yes", 0, PC_ERROR_INTERACTIVE);
        auth_bus_set_answer(bus, MOCK_YES);
        assert_spawn("no-then-yes", 0, NULL);
        g_assert_cmpuint(take_requests(), ==, 4);
        assert_spawn("no-then-yes", 0, NULL); /* this yes is remembered */
        g_assert_cmpuint(take_requests(), ==, 0);

        /* For that program with those arguments only. */
        assert_spawn("other-arguments", 0, NULL);
        g_assert_cmpuint(take_requests(), ==, 1);
}

/* Asked allowing interaction, polkit may have authenticated the user for
 * that one call (auth_admin): such a yes is not kept. */
static void test_an_interactive_yes_is_not_remembered(void) {
        AUTH_NEEDS_BUS(bus);
        (void) take_requests();

        auth_bus_set_answer(bus, MOCK_YES);
        assert_spawn("interactive", CALLER_INTERACTIVE, NULL);
        assert_spawn("interactive", CALLER_INTERACTIVE, NULL);
        assert_spawn("interactive", 0, NULL);
        g_assert_cmpuint(take_requests(), ==, 3);
        assert_spawn("interactive", CALLER_INTERACTIVE, NULL); /* a yes without interaction serves it */
        g_assert_cmpuint(take_requests(), ==, 0);
}

/* Four Spawns wait on one check, and are four of the uid's four pending
 * checks: a fifth is refused rather than waiting for free. */
static void test_waiting_calls_count_as_pending_checks(void) {
        AUTH_NEEDS_BUS(bus);
        AuthCaller *callers[4];
        (void) take_requests();

        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        for (guint i = 0; i < G_N_ELEMENTS(callers); i++)
                callers[i] = start_spawn("waiters", 0);
        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
        /* Sent after the four on the same connection: procctld has them. */
        assert_spawn("waiters", 0, PC_ERROR_LIMIT_EXCEEDED);

        auth_bus_set_answer(bus, MOCK_YES);
        auth_bus_answer_held(bus, MOCK_YES);
        for (guint i = 0; i < G_N_ELEMENTS(callers); i++) {
                g_autoptr(GError) error = NULL;
                g_assert_true(finish_spawn(callers[i], &error));
                g_assert_no_error(error);
        }
        g_assert_cmpuint(take_requests(), ==, 1);
}

/* A held check that says no answers every call waiting on it with that no. */
static void test_waiting_calls_share_a_no(void) {
        AUTH_NEEDS_BUS(bus);
        AuthCaller *callers[3];
        (void) take_requests();

        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        for (guint i = 0; i < G_N_ELEMENTS(callers); i++)
                callers[i] = start_spawn("shared-no", 0);
        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
        auth_bus_set_answer(bus, MOCK_NO);
        auth_bus_answer_held(bus, MOCK_NO);
        for (guint i = 0; i < G_N_ELEMENTS(callers); i++) {
                g_autoptr(GError) error = NULL;
                g_assert_false(finish_spawn(callers[i], &error));
                pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        }
        g_assert_cmpuint(take_requests(), ==, 1);
        assert_spawn("shared-no", 0, PC_ERROR_ACCESS_DENIED); /* and it is not remembered */
        g_assert_cmpuint(take_requests(), ==, 1);
}

int main(int argc, char **argv) {
        static const char *const daemon_args[] = { "--remember-authorization-sec=300", "--max-auth-per-user=4", NULL };

        g_test_init(&argc, &argv, NULL);
        auth_lookup_user("nobody", &nobody_uid, &nobody_gid);

        g_test_add_func("/auth/remember-mock/a-no-or-a-challenge-is-asked-again", test_a_no_or_a_challenge_is_asked_again);
        g_test_add_func("/auth/remember-mock/an-interactive-yes-is-not-remembered", test_an_interactive_yes_is_not_remembered);
        g_test_add_func("/auth/remember-mock/waiting-calls-count-as-pending-checks", test_waiting_calls_count_as_pending_checks);
        g_test_add_func("/auth/remember-mock/waiting-calls-share-a-no", test_waiting_calls_share_a_no);

        return auth_run_with_mock(&bus, daemon_args);
}
