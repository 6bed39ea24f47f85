/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's limits (daemon/settings.c): each key of the configuration
 * file and its command-line option, and how the file is read. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stddef.h>

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
        Limits l = LIMITS_DEFAULT;

        g_assert_cmpint(limits_load_file(&l, "/nonexistent/procctl/procctld.conf"), ==, 0);
        g_assert_cmpmem(&l, sizeof(l), &LIMITS_DEFAULT, sizeof(l));
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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/settings/each-key-sets-its-limit-only", test_each_key_sets_its_limit_only);
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
