/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What procctld remembers of polkit's answers, with Debian's real polkitd
 * (see test-auth-polkitd.c) reading rules the test writes, and a bus
 * monitor counting the CheckAuthorization calls procctld makes.
 *
 * procctld keeps a yes for 300 s here, far longer than any case runs: what
 * is asked again is asked because something made procctld forget (polkit's
 * Changed signal) or because it was never remembered (a no, another
 * connection), never because the time ran out.
 *
 * Needs root and polkitd (skipped otherwise, with the reason).
 */

#include "auth-harness.h"

#include <string.h>

static AuthBus *bus;
static const char *skip_reason;
static uid_t nobody_uid;
static gid_t nobody_gid;

#define SKIP_IF_NEEDED() AUTH_SKIP_IF(skip_reason)

#define RULES(result)                                                                         \
        "polkit.addRule(function(action, subject) {\n"                                        \
        "    if (action.id == \"" AUTH_ACTION_SPAWN "\" && subject.user == \"nobody\")\n"      \
        "        return polkit.Result." result ";\n"                                          \
        "});\n"

/* Spawn of /bin/true with arg (to make its details the case's own) as
 * nobody; CALLER_OWN: from a connection of its own rather than nobody's
 * agent. */
static AuthCaller *start_spawn(const char *arg, CallerFlags flags) {
        return auth_caller_start(bus, nobody_uid, nobody_gid, flags, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                 g_variant_new_parsed("(['/bin/true', %s], @a{sv} {})", arg));
}

static gboolean spawn_true(const char *arg, CallerFlags flags, GError **error) {
        return auth_caller_finish_spawn(bus, start_spawn(arg, flags), error);
}

static void assert_spawn_allowed(const char *arg, CallerFlags flags) {
        g_autoptr(GError) error = NULL;
        spawn_true(arg, flags, &error);
        g_assert_no_error(error);
}

static void assert_spawn_denied(const char *arg, CallerFlags flags) {
        g_autoptr(GError) error = NULL;
        g_assert_false(spawn_true(arg, flags, &error));
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_nonnull(strstr(error->message, AUTH_ACTION_SPAWN));
}

static void test_a_changed_rule_is_obeyed_at_once(void) {
        SKIP_IF_NEEDED();
        auth_bus_set_polkit_rules(bus, RULES("YES"));
        guint before = auth_bus_count_checks(bus);

        assert_spawn_allowed("changed-rule", 0);
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 1);
        assert_spawn_allowed("changed-rule", 0); /* remembered */
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 1);

        /* polkitd reloads the rules and says Changed: no longer yes. */
        auth_bus_set_polkit_rules(bus, RULES("NO"));
        assert_spawn_denied("changed-rule", 0);
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 2);
        auth_bus_set_polkit_rules(bus, RULES("YES"));
}

static void test_a_no_is_never_remembered(void) {
        SKIP_IF_NEEDED();
        auth_bus_set_polkit_rules(bus, RULES("NO"));
        guint before = auth_bus_count_checks(bus);

        for (guint i = 1; i <= 3; i++) {
                assert_spawn_denied("denied", 0);
                g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + i);
        }
        auth_bus_set_polkit_rules(bus, RULES("YES"));
}

/* Another connection of the same uid, and the same program reconnecting,
 * is another caller: each asks for itself. */
static void test_each_connection_asks_for_itself(void) {
        SKIP_IF_NEEDED();
        auth_bus_set_polkit_rules(bus, RULES("YES"));
        guint before = auth_bus_count_checks(bus);

        assert_spawn_allowed("per-connection", 0); /* nobody's agent */
        assert_spawn_allowed("per-connection", 0);
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 1);
        assert_spawn_allowed("per-connection", CALLER_OWN); /* a second connection */
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 2);
        assert_spawn_allowed("per-connection", CALLER_OWN); /* and a third: one that reconnected */
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 3);
}

static void test_concurrent_spawns_ask_once(void) {
        SKIP_IF_NEEDED();
        AuthCaller *callers[12];

        auth_bus_set_polkit_rules(bus, RULES("YES"));
        guint before = auth_bus_count_checks(bus);
        for (guint i = 0; i < G_N_ELEMENTS(callers); i++)
                callers[i] = start_spawn("burst", 0);
        for (guint i = 0; i < G_N_ELEMENTS(callers); i++) {
                g_autoptr(GError) error = NULL;
                g_assert_true(auth_caller_finish_spawn(bus, callers[i], &error));
                g_assert_no_error(error);
        }
        g_assert_cmpuint(auth_bus_count_checks(bus), ==, before + 1);
}

int main(int argc, char **argv) {
        static const char *const daemon_args[] = { "--remember-authorization-sec=300", NULL };

        g_test_init(&argc, &argv, NULL);
        auth_lookup_user("nobody", &nobody_uid, &nobody_gid);

        g_test_add_func("/auth/remember/a-changed-rule-is-obeyed-at-once", test_a_changed_rule_is_obeyed_at_once);
        g_test_add_func("/auth/remember/a-no-is-never-remembered", test_a_no_is_never_remembered);
        g_test_add_func("/auth/remember/each-connection-asks-for-itself", test_each_connection_asks_for_itself);
        g_test_add_func("/auth/remember/concurrent-spawns-of-one-caller-ask-once", test_concurrent_spawns_ask_once);

        skip_reason = auth_polkitd_missing();
        if (skip_reason)
                g_printerr("# skipping: %s\n", skip_reason);
        else {
                bus = auth_bus_start_polkitd_with(daemon_args);
                auth_bus_monitor_checks(bus);
        }
        int r = g_test_run();
        if (bus)
                auth_bus_stop(bus);
        return r;
}
