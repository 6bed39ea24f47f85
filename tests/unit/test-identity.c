/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User and group parsing and resolution (daemon/identity.c), without a bus. */
#include <errno.h>
#include <glib.h>

#include "identity.h"

static void test_ids_are_plain_decimal(void) {
        unsigned v;

        g_assert_cmpint(parse_id("0", &v), ==, 0);
        g_assert_cmpuint(v, ==, 0);
        g_assert_cmpint(parse_id("65534", &v), ==, 0);
        g_assert_cmpuint(v, ==, 65534);
        g_assert_cmpint(parse_id("00", &v), ==, -EINVAL);
        g_assert_cmpint(parse_id("0day", &v), ==, -EINVAL);
        g_assert_cmpint(parse_id("-1", &v), ==, -EINVAL);
        g_assert_cmpint(parse_id("+1", &v), ==, -EINVAL);
        g_assert_cmpint(parse_id(" 1", &v), ==, -EINVAL);
        g_assert_cmpint(parse_id("", &v), ==, -EINVAL);
        g_assert_cmpint(parse_id("4294967295", &v), ==, -ERANGE);
        g_assert_cmpint(parse_id("99999999999", &v), ==, -ERANGE);
}

static void test_names_follow_useradd_rules(void) {
        g_assert_true(valid_user_group_name("root"));
        g_assert_true(valid_user_group_name("_apt"));
        g_assert_true(valid_user_group_name("systemd-network"));
        g_assert_true(valid_user_group_name("host$"));
        g_assert_false(valid_user_group_name("0day"));
        g_assert_false(valid_user_group_name("-x"));
        g_assert_false(valid_user_group_name("a b"));
        g_assert_false(valid_user_group_name("a/b"));
        g_assert_false(valid_user_group_name("a$b"));
        g_assert_false(valid_user_group_name(""));
        g_assert_false(valid_user_group_name("abcdefghijabcdefghijabcdefghijabc"));
}

static void test_root_resolves_by_name_and_number(void) {
        const char *missing;
        Identity id = {};

        g_assert_cmpint(identity_resolve("root", 1000, NULL, &id, &missing), ==, 0);
        g_assert_cmpuint(id.uid, ==, 0);
        g_assert_cmpuint(id.gid, ==, 0);
        g_assert_cmpstr(id.name, ==, "root");
        g_assert_true(identity_has_group(&id, 0));
        identity_done(&id);

        g_assert_cmpint(identity_resolve(NULL, 0, NULL, &id, &missing), ==, 0);
        g_assert_cmpstr(id.name, ==, "root");
        identity_done(&id);
}

static void test_group_option_sets_the_primary_group(void) {
        const char *missing;
        Identity id = {};

        g_assert_cmpint(identity_resolve("nobody", 0, "root", &id, &missing), ==, 0);
        g_assert_cmpuint(id.gid, ==, 0);
        identity_done(&id);

        g_assert_cmpint(identity_resolve("nobody", 0, "0", &id, &missing), ==, 0);
        g_assert_cmpuint(id.uid, ==, 65534);
        g_assert_cmpuint(id.gid, ==, 0);
        /* The user's own groups stay what login gives: root's group is not among them. */
        g_assert_false(identity_has_group(&id, 0));
        identity_done(&id);
}

static void test_unknown_and_invalid_names_differ(void) {
        const char *missing;
        Identity id = {};

        g_assert_cmpint(identity_resolve("procctl-no-such-user", 0, NULL, &id, &missing), ==, -ENOENT);
        g_assert_cmpstr(missing, ==, "procctl-no-such-user");
        g_assert_cmpint(identity_resolve("0day", 0, NULL, &id, &missing), ==, -EINVAL);
        g_assert_cmpint(identity_resolve("root", 0, "procctl-no-such-group", &id, &missing), ==, -ENOENT);
        g_assert_cmpstr(missing, ==, "procctl-no-such-group");
        g_assert_cmpint(identity_resolve("4000000000", 0, NULL, &id, &missing), ==, -ENOENT);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/identity/ids-are-plain-decimal", test_ids_are_plain_decimal);
        g_test_add_func("/identity/names-follow-useradd-rules", test_names_follow_useradd_rules);
        g_test_add_func("/identity/root-resolves-by-name-and-number", test_root_resolves_by_name_and_number);
        g_test_add_func("/identity/group-option-sets-the-primary-group", test_group_option_sets_the_primary_group);
        g_test_add_func("/identity/unknown-and-invalid-names-differ", test_unknown_and_invalid_names_differ);
        return g_test_run();
}
