/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl run|spawn -p NAME=VALUE (client/cli-property.c), without a bus:
 * each name in systemd-run's spelling reads its value as the Spawn option
 * takes it, and what is not a property or not a value is refused.
 */

#include <errno.h>
#include <glib.h>

#include "cli.h"
#include "cli-property.h"

static void test_limit_values(void) {
        const struct {
                const char *name, *value, *option;
                uint64_t want;
        } good[] = {
                { "MemoryMax", "512M", "memory-max", UINT64_C(512) * 1024 * 1024 },
                { "MemoryMax", "1G", "memory-max", UINT64_C(1) << 30 },
                { "MemoryMax", "4096", "memory-max", 4096 },
                { "MemoryMax", "infinity", "memory-max", UINT64_MAX },
                { "TasksMax", "64", "tasks-max", 64 },
                { "TasksMax", "infinity", "tasks-max", UINT64_MAX },
                { "CPUWeight", "1", "cpu-weight", 1 },
                { "CPUWeight", "10000", "cpu-weight", 10000 },
                { "CPUQuota", "20%", "cpu-quota", 200000 },
                { "CPUQuota", "150%", "cpu-quota", 1500000 },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
                const char *option = NULL;
                uint64_t v = 0;
                g_assert_cmpint(cli_cgroup_limit_value(good[i].name, good[i].value, &option, &v), ==, 0);
                g_assert_cmpstr(option, ==, good[i].option);
                g_assert_cmpuint(v, ==, good[i].want);
        }

        const struct {
                const char *name, *value;
        } bad[] = {
                { "MemoryMax", "" }, { "MemoryMax", "lots" }, { "MemoryMax", "-1" }, { "MemoryMax", "5X" },
                { "TasksMax", "0" }, { "TasksMax", "1.5" }, { "CPUWeight", "0" }, { "CPUWeight", "10001" },
                { "CPUWeight", "infinity" }, { "CPUQuota", "20" }, { "CPUQuota", "%" }, { "CPUQuota", "0%" },
                { "CPUQuota", "-5%" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                const char *option;
                uint64_t v;
                g_test_message("%s=%s", bad[i].name, bad[i].value);
                g_assert_cmpint(cli_cgroup_limit_value(bad[i].name, bad[i].value, &option, &v), ==, -EINVAL);
        }
        const char *option;
        uint64_t v;
        g_assert_cmpint(cli_cgroup_limit_value("memorymax", "1", &option, &v), ==, -ENOENT);
        g_assert_cmpint(cli_cgroup_limit_value("KillMode", "process", &option, &v), ==, -ENOENT);
}

static void test_apply(void) {
        __attribute__((cleanup(procctl_spawn_options_freep))) procctl_spawn_options *o = NULL;

        RestartArgs restart = {};
        CliPropertyTarget t = { NULL, &restart }, run = { NULL, NULL };

        g_assert_cmpint(procctl_spawn_options_new(&o), ==, 0);
        t.options = run.options = o;
        g_assert_cmpint(cli_property_apply("MemoryMax=512M", &t), ==, 0);
        g_assert_cmpint(cli_property_apply("KillMode=process", &t), ==, 0);
        g_assert_cmpint(cli_property_apply("KillMode=control-group", &t), ==, 0);
        /* Unknown, unreadable, or no NAME=VALUE: refused (and said on stderr). */
        g_assert_cmpint(cli_property_apply("KillMode=mixed", &t), ==, -EINVAL);
        g_assert_cmpint(cli_property_apply("Nice=5", &t), ==, -EINVAL);
        g_assert_cmpint(cli_property_apply("MemoryMax", &t), ==, -EINVAL);
        g_assert_cmpint(cli_property_apply("=5", &t), ==, -EINVAL);
        g_assert_cmpint(cli_property_apply("CPUWeight=", &t), ==, -EINVAL);
        /* A handler of the chain sees each name; -ENOENT is "not mine". */
        g_assert_cmpint(cli_cgroup_property("RestartSec", "1", o), ==, -ENOENT);
        /* systemd's restart properties, chained after the cgroup's; not for run. */
        g_assert_cmpint(cli_property_apply("Restart=on-failure", &t), ==, 0);
        g_assert_cmpstr(restart.policy, ==, "on-failure");
        g_assert_cmpint(cli_property_apply("RestartSec=2s", &t), ==, 0);
        g_assert_true(restart.delay_set);
        g_assert_cmpuint(restart.delay, ==, 2000000);
        g_assert_cmpint(cli_property_apply("Restart=sometimes", &t), ==, -EINVAL);
        g_assert_cmpint(cli_property_apply("Restart=always", &run), ==, -EINVAL);
        g_assert_cmpint(cli_property_apply("MemoryMax=1G", &run), ==, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/cli-property/limit-values-as-spawn-takes-them", test_limit_values);
        g_test_add_func("/cli-property/apply-refuses-what-it-cannot-read", test_apply);
        return g_test_run();
}
