/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The CLI's restart options without a bus: --restart-limit=N/TIME, and
 * systemd's spelling through cli_restart_property(), which the -p parser
 * calls and which leaves every other name to it (-ENOENT).
 */

#include <errno.h>
#include <glib.h>

#include "cli.h"
#include "cli-restart.h"

#define MS UINT64_C(1000)
#define S UINT64_C(1000000)

static void test_property_names(void) {
        RestartArgs a = {};

        g_assert_cmpint(cli_restart_property("Restart", "on-failure", &a), ==, 0);
        g_assert_cmpstr(a.policy, ==, "on-failure");
        g_assert_cmpint(cli_restart_property("Restart", "always", &a), ==, 0);
        g_assert_cmpstr(a.policy, ==, "always");
        g_assert_cmpint(cli_restart_property("RestartSec", "500ms", &a), ==, 0);
        g_assert_true(a.delay_set);
        g_assert_cmpuint(a.delay, ==, 500 * MS);
        g_assert_cmpint(cli_restart_property("RestartMaxDelaySec", "1min", &a), ==, 0);
        g_assert_cmpuint(a.delay_max, ==, 60 * S);
        g_assert_cmpint(cli_restart_property("StartLimitBurst", "3", &a), ==, 0);
        g_assert_true(a.limit_set);
        g_assert_cmpuint(a.limit, ==, 3);
        g_assert_cmpint(cli_restart_property("StartLimitIntervalSec", "30s", &a), ==, 0);
        g_assert_true(a.interval_set);
        g_assert_cmpuint(a.interval, ==, 30 * S);

        /* Not ours: left to the caller, nothing changed. */
        g_assert_cmpint(cli_restart_property("MemoryMax", "1G", &a), ==, -ENOENT);
        g_assert_cmpint(cli_restart_property("restart", "always", &a), ==, -ENOENT);
        g_assert_cmpint(cli_restart_property("", "", &a), ==, -ENOENT);
}

static void test_property_values_refused(void) {
        RestartArgs a = {};

        g_assert_cmpint(cli_restart_property("Restart", "on-abnormal", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_property("Restart", "", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_property("RestartSec", "soon", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_property("StartLimitBurst", "0", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_property("StartLimitBurst", "-1", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_property("StartLimitBurst", "1001", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_property("StartLimitIntervalSec", "0", &a), ==, -EINVAL);
        g_assert_null(a.policy);
}

static void test_limit_option(void) {
        RestartArgs a = {};

        g_assert_cmpint(cli_restart_option(RESTART_ARG_LIMIT, "4/20s", &a), ==, 0);
        g_assert_cmpuint(a.limit, ==, 4);
        g_assert_cmpuint(a.interval, ==, 20 * S);
        a = (RestartArgs) {};
        g_assert_cmpint(cli_restart_option(RESTART_ARG_LIMIT, "7", &a), ==, 0);
        g_assert_cmpuint(a.limit, ==, 7);
        g_assert_false(a.interval_set);
        g_assert_cmpint(cli_restart_option(RESTART_ARG_LIMIT, "x/1s", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_option(RESTART_ARG_LIMIT, "3/", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_option(RESTART_ARG_LIMIT, "3/0", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_option(RESTART_ARG_POLICY, "sometimes", &a), ==, -EINVAL);
        g_assert_cmpint(cli_restart_option(RESTART_ARG_DELAY, "2s", &a), ==, 0);
        g_assert_cmpuint(a.delay, ==, 2 * S);
}

static void test_apply_needs_a_policy(void) {
        procctl_spawn_options *o = NULL;
        RestartArgs a = { .delay = S, .delay_set = true };

        g_assert_cmpint(procctl_spawn_options_new(&o), ==, 0);
        g_assert_cmpint(cli_restart_apply(&a, o), ==, -EINVAL);
        a.policy = "on-failure";
        g_assert_cmpint(cli_restart_apply(&a, o), ==, 0);
        /* A delay longer than its maximum. */
        a.delay_max = 10 * MS;
        a.delay_max_set = true;
        g_assert_cmpint(cli_restart_apply(&a, o), ==, -EINVAL);
        procctl_spawn_options_free(o);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/cli-restart/property-names", test_property_names);
        g_test_add_func("/cli-restart/property-values-refused", test_property_values_refused);
        g_test_add_func("/cli-restart/limit-option", test_limit_option);
        g_test_add_func("/cli-restart/apply-needs-a-policy", test_apply_needs_a_policy);
        return g_test_run();
}
