/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child's environment and exec search list (daemon/env.c), without a bus. */
#include <glib.h>

#include "env.h"
#include "macro.h"

static Identity test_identity(uid_t uid) {
        return (Identity) { .uid = uid, .gid = uid, .name = (char *) "alice", .home = (char *) "/home/alice", .shell = (char *) "/bin/zsh" };
}

static void test_base_environment_is_built_for_the_user(void) {
        Identity id = test_identity(1000);
        _cleanup_strv_free_ char **env = NULL;

        g_assert_cmpint(env_build(&id, NULL, &env), ==, 0);
        g_assert_cmpuint(strv_length(env), ==, 5);
        g_assert_cmpstr(env_get(env, "PATH"), ==, ENV_DEFAULT_PATH_USER);
        g_assert_cmpstr(env_get(env, "HOME"), ==, "/home/alice");
        g_assert_cmpstr(env_get(env, "USER"), ==, "alice");
        g_assert_cmpstr(env_get(env, "LOGNAME"), ==, "alice");
        g_assert_cmpstr(env_get(env, "SHELL"), ==, "/bin/zsh");
}

static void test_root_gets_the_sbin_path(void) {
        Identity id = test_identity(0);
        _cleanup_strv_free_ char **env = NULL;

        g_assert_cmpint(env_build(&id, NULL, &env), ==, 0);
        g_assert_cmpstr(env_get(env, "PATH"), ==, ENV_DEFAULT_PATH_ROOT);
}

static void test_overrides_replace_and_add(void) {
        Identity id = test_identity(1000);
        char *overrides[] = { (char *) "PATH=/opt/bin", (char *) "FOO=1", (char *) "FOO=2", (char *) "EMPTY=", NULL };
        _cleanup_strv_free_ char **env = NULL;

        g_assert_cmpint(env_build(&id, overrides, &env), ==, 0);
        g_assert_cmpuint(strv_length(env), ==, 7);
        g_assert_cmpstr(env_get(env, "PATH"), ==, "/opt/bin");
        g_assert_cmpstr(env_get(env, "FOO"), ==, "2");
        g_assert_cmpstr(env_get(env, "EMPTY"), ==, "");
        g_assert_null(env_get(env, "FO"));
}

static void test_entries_must_be_key_value(void) {
        g_assert_true(env_entry_valid("A=b"));
        g_assert_true(env_entry_valid("A="));
        g_assert_true(env_entry_valid("A=b=c"));
        g_assert_false(env_entry_valid("A"));
        g_assert_false(env_entry_valid("=b"));
        g_assert_false(env_entry_valid(""));
}

static void test_a_path_is_tried_as_is(void) {
        _cleanup_strv_free_ char **l = NULL;

        g_assert_cmpint(exec_candidates("./x", "/a:/b", &l), ==, 0);
        g_assert_cmpuint(strv_length(l), ==, 1);
        g_assert_cmpstr(l[0], ==, "./x");
}

static void test_a_name_is_searched_in_path_order(void) {
        _cleanup_strv_free_ char **l = NULL;

        g_assert_cmpint(exec_candidates("ls", "/a::/b/", &l), ==, 0);
        g_assert_cmpuint(strv_length(l), ==, 3);
        g_assert_cmpstr(l[0], ==, "/a/ls");
        g_assert_cmpstr(l[1], ==, "ls"); /* empty entry: the working directory */
        g_assert_cmpstr(l[2], ==, "/b//ls");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/env/base-environment-is-built-for-the-user", test_base_environment_is_built_for_the_user);
        g_test_add_func("/env/root-gets-the-sbin-path", test_root_gets_the_sbin_path);
        g_test_add_func("/env/overrides-replace-and-add", test_overrides_replace_and_add);
        g_test_add_func("/env/entries-must-be-key-value", test_entries_must_be_key_value);
        g_test_add_func("/env/a-path-is-tried-as-is", test_a_path_is_tried_as_is);
        g_test_add_func("/env/a-name-is-searched-in-path-order", test_a_name_is_searched_in_path_order);
        return g_test_run();
}
