/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's limits (daemon/settings.c): each key of the configuration
 * file and its command-line option, and how the file is read. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"

static const struct {
        const char *key;
        const char *option;
        size_t offset;
} limits[] = {
        { "MaxRunningPerUser", "max-running-per-user", offsetof(Limits, running_per_user) },
        { "MaxRetainedPerUser", "max-retained-per-user", offsetof(Limits, retained_per_user) },
        { "MaxPendingWaitsPerUser", "max-waits-per-user", offsetof(Limits, waits_per_user) },
        { "MaxPendingAuthPerUser", "max-auth-per-user", offsetof(Limits, auth_per_user) },
        { "MaxProcesses", "max-processes", offsetof(Limits, processes_total) },
        { "RememberAuthorizationSec", "remember-authorization-sec", offsetof(Limits, remember_auth_sec) },
};

static unsigned limit_at(const Limits *l, size_t offset) {
        return *(const unsigned *) ((const char *) l + offset);
}

static void test_each_key_sets_its_limit_only(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
                Limits l = LIMITS_DEFAULT, defaults = LIMITS_DEFAULT;

                g_assert_cmpint(limits_set(&l, limits[i].key, "7"), ==, 0);
                for (size_t j = 0; j < G_N_ELEMENTS(limits); j++)
                        g_assert_cmpuint(limit_at(&l, limits[j].offset), ==,
                                         i == j ? 7 : limit_at(&defaults, limits[j].offset));
        }
}

static void test_a_limit_is_a_whole_number_of_at_least_one(void) {
        static const char *const bad[] = { "0", "", "-1", "1.5", "12abc", " 3", "007", "4294967295", "99999999999" };
        Limits l = LIMITS_DEFAULT;

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_test_message("value \"%s\"", bad[i]);
                g_assert_cmpint(limits_set(&l, "MaxProcesses", bad[i]), ==, -EINVAL);
        }
        g_assert_cmpuint(l.processes_total, ==, LIMITS_DEFAULT.processes_total);
        g_assert_cmpint(limits_set(&l, "MaxProcesses", "4294967294"), ==, 0);
        g_assert_cmpuint(l.processes_total, ==, 4294967294u);
        g_assert_cmpint(limits_set(&l, "MaxProcesses", "1"), ==, 0);
        g_assert_cmpuint(l.processes_total, ==, 1);
}

/* 0 turns remembering polkit's answers off; it is no limit. */
static void test_remembering_may_be_turned_off(void) {
        Limits l = LIMITS_DEFAULT;

        g_assert_cmpuint(l.remember_auth_sec, >, 0);
        g_assert_cmpint(limits_set(&l, "RememberAuthorizationSec", "0"), ==, 0);
        g_assert_cmpuint(l.remember_auth_sec, ==, 0);
        g_assert_cmpint(limits_set(&l, "RememberAuthorizationSec", "-1"), ==, -EINVAL);
        g_assert_cmpuint(limits_min("RememberAuthorizationSec"), ==, 0);
        g_assert_cmpuint(limits_min("MaxProcesses"), ==, 1);
}

static void test_unknown_keys_are_not_found(void) {
        Limits l = LIMITS_DEFAULT;

        g_assert_cmpint(limits_set(&l, "MaxSomething", "3"), ==, -ENOENT);
        g_assert_cmpint(limits_set(&l, "maxprocesses", "3"), ==, -ENOENT);
        g_assert_cmpint(limits_set(&l, "max-processes", "3"), ==, -ENOENT);
}

static void test_each_option_names_its_key(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(limits); i++)
                g_assert_cmpstr(limits_key_for_option(limits[i].option), ==, limits[i].key);
        g_assert_null(limits_key_for_option("MaxProcesses"));
        g_assert_null(limits_key_for_option("max-something"));
        g_assert_null(limits_key_for_option(""));
}

/* Writes contents to a new file and loads it into *l; returns the result. */
static int load(const char *contents, Limits *l) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = NULL;
        int fd, r;

        fd = g_file_open_tmp("procctl-settings-XXXXXX", &path, &error);
        g_assert_no_error(error);
        g_close(fd, NULL);
        g_assert_true(g_file_set_contents(path, contents, -1, &error));
        g_assert_no_error(error);
        r = limits_load_file(l, path);
        g_assert_cmpint(g_unlink(path), ==, 0);
        return r;
}

static void test_the_file_sets_what_it_names(void) {
        Limits l = LIMITS_DEFAULT;

        g_assert_cmpint(load("# procctld.conf\n"
                             "; another comment\n"
                             "\n"
                             "[Limits]\n"
                             "MaxRunningPerUser=5\n"
                             "  MaxRetainedPerUser \t=\t 6  \n"
                             "MaxPendingWaitsPerUser=7\r\n"
                             "MaxProcesses=9",
                             &l), ==, 0);
        g_assert_cmpuint(l.running_per_user, ==, 5);
        g_assert_cmpuint(l.retained_per_user, ==, 6);
        g_assert_cmpuint(l.waits_per_user, ==, 7);
        g_assert_cmpuint(l.auth_per_user, ==, LIMITS_DEFAULT.auth_per_user);
        g_assert_cmpuint(l.processes_total, ==, 9);
}

static void test_a_missing_file_changes_nothing(void) {
        Limits l = LIMITS_DEFAULT, before;

        /* Byte for byte, padding included. */
        memcpy(&before, &l, sizeof(l));
        g_assert_cmpint(limits_load_file(&l, "/nonexistent/procctl/procctld.conf"), ==, 0);
        g_assert_cmpmem(&l, sizeof(l), &before, sizeof(l));
}

static void test_a_bad_line_is_an_error(void) {
        static const char *const bad[] = {
                "MaxProcesses\n",               /* no '=' */
                "MaxProcesses 5\n",
                "MaxSomething=5\n",             /* no such limit */
                "MaxProcesses=0\n",             /* not at least 1 */
                "MaxProcesses=five\n",
                "MaxProcesses=\n",
                "[Other]\n",                    /* only [Limits] */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                Limits l = LIMITS_DEFAULT;

                g_test_message("line \"%s\"", bad[i]);
                g_assert_cmpint(load(bad[i], &l), ==, -EINVAL);
        }
}

/* Reading stops at the bad line: what comes after it is not applied. */
static void test_reading_stops_at_a_bad_line(void) {
        Limits l = LIMITS_DEFAULT;

        g_assert_cmpint(load("MaxRunningPerUser=5\nMaxWhatever=1\nMaxProcesses=9\n", &l), ==, -EINVAL);
        g_assert_cmpuint(l.running_per_user, ==, 5);
        g_assert_cmpuint(l.processes_total, ==, LIMITS_DEFAULT.processes_total);
}

/* --- The cgroup limits' defaults and maxima -------------------------------- */

static void test_cgroup_limit_settings_are_read(void) {
        Limits l = LIMITS_DEFAULT;

        g_assert_cmpint(load("DefaultMemoryMax=512M\nMaxMemoryMax=1G\nDefaultTasksMax=64\nMaxTasksMax=infinity\n"
                             "DefaultCPUWeight=50\nMaxCPUWeight=100\nDefaultCPUQuota=20%\nMaxCPUQuota=150%\n",
                             &l), ==, 0);
        g_assert_cmpuint(l.process_defaults.memory_max, ==, 512 * 1024 * 1024);
        g_assert_cmpuint(l.process_maxima.memory_max, ==, 1024 * 1024 * 1024);
        g_assert_cmpuint(l.process_defaults.tasks_max, ==, 64);
        g_assert_cmpuint(l.process_maxima.tasks_max, ==, UINT64_MAX);
        g_assert_cmpuint(l.process_defaults.cpu_weight, ==, 50);
        g_assert_cmpuint(l.process_maxima.cpu_weight, ==, 100);
        g_assert_cmpuint(l.process_defaults.cpu_quota, ==, 200000);
        g_assert_cmpuint(l.process_maxima.cpu_quota, ==, 1500000);
        /* Nothing else changed. */
        g_assert_cmpuint(l.running_per_user, ==, LIMITS_DEFAULT.running_per_user);

        static const char *const bad[] = {
                "DefaultMemoryMax=0\n", "DefaultMemoryMax=512X\n", "DefaultMemoryMax=5MB\n", "DefaultMemoryMax=-1\n",
                "DefaultMemoryMax=\n", "MaxMemoryMax=99999999999T\n", "DefaultTasksMax=1.5\n", "MaxCPUWeight=0\n",
                "MaxCPUWeight=10001\n", "MaxCPUWeight=infinity\n", "DefaultCPUQuota=20\n", "DefaultCPUQuota=%\n",
                /* A default above its maximum would lift the limit. */
                "DefaultMemoryMax=2G\nMaxMemoryMax=1G\n", "MaxTasksMax=10\n", "MaxCPUWeight=10\nDefaultCPUWeight=20\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                Limits b = LIMITS_DEFAULT;
                if (strcmp(bad[i], "MaxTasksMax=10\n") == 0)
                        b.process_defaults.tasks_max = 20; /* as an earlier line would have set it */
                g_test_message("file \"%s\"", bad[i]);
                g_assert_cmpint(load(bad[i], &b), ==, -EINVAL);
        }
}

#define ALL_CONTROLLERS (CGROUP_CONTROLLER_MEMORY | CGROUP_CONTROLLER_PIDS | CGROUP_CONTROLLER_CPU)

static void test_defaults_fill_what_was_not_asked(void) {
        Limits conf = LIMITS_DEFAULT;
        CgroupLimits l = CGROUP_LIMITS_NONE;
        const char *option = NULL, *key = NULL;
        uint64_t max = 0;

        /* Nothing configured: nothing changes. */
        g_assert_cmpint(limits_apply_to_spawn(&conf, ALL_CONTROLLERS, &l, &option, &key, &max), ==, 0);
        g_assert_cmpmem(&l, sizeof(l), &CGROUP_LIMITS_NONE, sizeof(l));

        conf.process_defaults.memory_max = 1000;
        conf.process_maxima.tasks_max = 64;     /* no default: the maximum is the limit */
        conf.process_maxima.cpu_weight = 500;   /* above the kernel's 100: nothing to apply */
        conf.process_defaults.cpu_quota = 200000;
        l = CGROUP_LIMITS_NONE;
        l.cpu_quota = 50000; /* asked for: kept */
        g_assert_cmpint(limits_apply_to_spawn(&conf, ALL_CONTROLLERS, &l, &option, &key, &max), ==, 0);
        g_assert_cmpuint(l.memory_max, ==, 1000);
        g_assert_cmpuint(l.tasks_max, ==, 64);
        g_assert_cmpuint(l.cpu_weight, ==, 0);
        g_assert_cmpuint(l.cpu_quota, ==, 50000);

        conf.process_maxima.cpu_weight = 50;    /* below the kernel's 100: applied */
        l = CGROUP_LIMITS_NONE;
        g_assert_cmpint(limits_apply_to_spawn(&conf, ALL_CONTROLLERS, &l, &option, &key, &max), ==, 0);
        g_assert_cmpuint(l.cpu_weight, ==, 50);

        /* A default whose controller is missing is left out, never an error. */
        l = CGROUP_LIMITS_NONE;
        g_assert_cmpint(limits_apply_to_spawn(&conf, CGROUP_CONTROLLER_PIDS, &l, &option, &key, &max), ==, 0);
        g_assert_cmpuint(l.memory_max, ==, UINT64_MAX);
        g_assert_cmpuint(l.tasks_max, ==, 64);
        g_assert_cmpuint(l.cpu_weight, ==, 0);
        g_assert_cmpuint(l.cpu_quota, ==, UINT64_MAX);
}

static void test_a_request_past_the_maximum_is_refused_by_name(void) {
        Limits conf = LIMITS_DEFAULT;
        const char *option = NULL, *key = NULL;
        uint64_t max = 0;

        conf.process_maxima = (CgroupLimits) { .memory_max = 1 << 30, .tasks_max = 64, .cpu_weight = 50, .cpu_quota = 500000 };
        const struct {
                CgroupLimits asked;
                const char *option, *key;
                uint64_t max;
        } cases[] = {
                { { (1 << 30) + 1, UINT64_MAX, 0, UINT64_MAX }, "memory-max", "MaxMemoryMax", 1 << 30 },
                { { UINT64_MAX, 65, 0, UINT64_MAX }, "tasks-max", "MaxTasksMax", 64 },
                { { UINT64_MAX, UINT64_MAX, 51, UINT64_MAX }, "cpu-weight", "MaxCPUWeight", 50 },
                { { UINT64_MAX, UINT64_MAX, 0, 500001 }, "cpu-quota", "MaxCPUQuota", 500000 },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                CgroupLimits l = cases[i].asked;
                /* Refused whatever the controllers: asking is what is not allowed. */
                g_assert_cmpint(limits_apply_to_spawn(&conf, 0, &l, &option, &key, &max), ==, -E2BIG);
                g_assert_cmpstr(option, ==, cases[i].option);
                g_assert_cmpstr(key, ==, cases[i].key);
                g_assert_cmpuint(max, ==, cases[i].max);
        }
        /* At the maximum is fine. */
        CgroupLimits l = conf.process_maxima;
        g_assert_cmpint(limits_apply_to_spawn(&conf, ALL_CONTROLLERS, &l, &option, &key, &max), ==, 0);
        g_assert_cmpmem(&l, sizeof(l), &conf.process_maxima, sizeof(l));
}

/* What the configuration gives a process reaches the files of a directory
 * laid out like its cgroup in cgroupfs. */
static void test_defaults_are_written_to_the_cgroup(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("procctl-cgroup-XXXXXX", &error);
        const char *const files[] = { "memory.max", "pids.max", "cpu.weight", "cpu.max" };
        Limits conf = LIMITS_DEFAULT;
        CgroupLimits l = CGROUP_LIMITS_NONE;
        const char *option, *key;
        uint64_t max;
        int fd;

        g_assert_no_error(error);
        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
                g_autofree char *path = g_build_filename(dir, files[i], NULL);
                g_assert_true(g_file_set_contents(path, "max", -1, NULL));
        }
        g_assert_cmpint(load("DefaultMemoryMax=512M\nMaxTasksMax=64\nDefaultCPUWeight=50\nDefaultCPUQuota=20%\n", &conf), ==, 0);
        l.tasks_max = 10;
        g_assert_cmpint(limits_apply_to_spawn(&conf, ALL_CONTROLLERS, &l, &option, &key, &max), ==, 0);
        fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(cgroup_limits_write(fd, &l), ==, 0);
        close(fd);
        const char *const want[] = { "536870912", "10", "50", "200000 1000000" };
        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
                g_autofree char *path = g_build_filename(dir, files[i], NULL);
                g_autofree char *text = NULL;
                g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
                g_assert_cmpstr(text, ==, want[i]);
                g_unlink(path);
        }
        g_rmdir(dir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/settings/each-key-sets-its-limit-only", test_each_key_sets_its_limit_only);
        g_test_add_func("/settings/cgroup-limit-defaults-and-maxima-are-read", test_cgroup_limit_settings_are_read);
        g_test_add_func("/settings/defaults-fill-what-a-spawn-did-not-ask", test_defaults_fill_what_was_not_asked);
        g_test_add_func("/settings/a-request-past-the-maximum-is-refused-by-name",
                        test_a_request_past_the_maximum_is_refused_by_name);
        g_test_add_func("/settings/defaults-are-written-to-the-cgroup", test_defaults_are_written_to_the_cgroup);
        g_test_add_func("/settings/a-limit-is-a-whole-number-of-at-least-one", test_a_limit_is_a_whole_number_of_at_least_one);
        g_test_add_func("/settings/remembering-authorization-may-be-turned-off", test_remembering_may_be_turned_off);
        g_test_add_func("/settings/unknown-keys-are-not-found", test_unknown_keys_are_not_found);
        g_test_add_func("/settings/each-option-names-its-key", test_each_option_names_its_key);
        g_test_add_func("/settings/the-file-sets-what-it-names", test_the_file_sets_what_it_names);
        g_test_add_func("/settings/a-missing-file-changes-nothing", test_a_missing_file_changes_nothing);
        g_test_add_func("/settings/a-bad-line-is-an-error", test_a_bad_line_is_an_error);
        g_test_add_func("/settings/reading-stops-at-a-bad-line", test_reading_stops_at_a_bad_line);
        return g_test_run();
}
