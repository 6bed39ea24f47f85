/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a caller's records cost the daemon, and what the listings of them
 * cost everyone.  Long command lines once made
 * ListProcesses and GetManagedObjects pass the bus's 32 MiB message limit:
 * the bus dropped the daemon, which exited.  Now the listings carry a cut
 * command line and no Argv, and each uid's records are paid from a byte
 * budget (MaxBytesPerUser), which Release gives back.
 *
 * The daemons here run with a small budget (BUDGET), so that a caller can
 * reach it through pc-call, whose arguments the kernel bounds.
 */
#include <string.h>

#include "fixture.h"

#define NOBODY_UID 65534
#define NOBODY_GID 65534

#define BUDGET 200000
#define BUDGET_OPTION "--max-bytes-per-user=200000"

/* The kernel's bound on one argument (MAX_ARG_STRLEN) is 128 KiB: a long
 * command line is many long arguments. */
#define LONG_ARG_BYTES 120000
#define LONG_ARGS 15 /* 1.8 MB a command line */
/* More than the bus's 32 MiB in command lines. */
#define LONG_SPAWNS 20

/* ListProcesses: at most PROCESS_COMMAND_LINE_MAX (daemon/process.h) and the marker. */
#define COMMAND_LINE_MAX 256
#define CUT_MARKER "…"

/* "/bin/true" and n arguments of bytes each; the first is "x" and then
 * two-byte characters, so that a cut at an even offset falls inside one. */
static GStrv long_argv(guint n, gsize bytes) {
        GStrv argv = g_new0(char *, n + 2);

        argv[0] = g_strdup("/bin/true");
        for (guint i = 1; i <= n; i++) {
                GString *s = g_string_sized_new(bytes + 1);
                if (i == 1) {
                        g_string_append_c(s, 'x');
                        while (s->len + 2 <= bytes)
                                g_string_append(s, "é");
                } else
                        while (s->len < bytes)
                                g_string_append_c(s, 'x');
                argv[i] = g_string_free(s, FALSE);
        }
        return argv;
}

static char *spawn_and_wait(PcFixture *fx, GStrv argv) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, (const char *const *) argv, NULL, NULL, NULL, &error);

        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "exited", 0);
        return path;
}

static gboolean has_key(GVariant *dict, const char *key) {
        g_autoptr(GVariant) v = g_variant_lookup_value(dict, key, NULL);
        return v != NULL;
}

static void test_long_command_lines_keep_listings_under_the_bus_limit(PcFixture *fx) {
        g_auto(GStrv) argv = long_argv(LONG_ARGS, LONG_ARG_BYTES);
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;

        for (int i = 0; i < LONG_SPAWNS; i++)
                g_ptr_array_add(paths, spawn_and_wait(fx, argv));

        /* ListProcesses answers, each command line cut at a character boundary. */
        g_autoptr(GVariant) list = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) entries = g_variant_get_child_value(list, 0);
        g_assert_cmpuint(g_variant_n_children(entries), ==, LONG_SPAWNS);
        for (gsize i = 0; i < g_variant_n_children(entries); i++) {
                const char *line;
                g_variant_get_child(entries, i, "(&ouu&s&s)", NULL, NULL, NULL, NULL, &line);
                g_assert_cmpuint(strlen(line), <=, COMMAND_LINE_MAX + strlen(CUT_MARKER));
                g_assert_true(g_str_has_prefix(line, "/bin/true xé"));
                g_assert_true(g_str_has_suffix(line, CUT_MARKER));
                g_assert_true(g_utf8_validate(line, -1, NULL));
        }

        /* GetManagedObjects answers, without Argv. */
        g_autoptr(GVariant) objects = pc_call(fx, NULL, PC_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), NULL, NULL,
                                              &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) by_path = g_variant_get_child_value(objects, 0);
        g_assert_cmpuint(g_variant_n_children(by_path), ==, LONG_SPAWNS);
        for (gsize i = 0; i < g_variant_n_children(by_path); i++) {
                g_autoptr(GVariant) ifaces = NULL;
                g_variant_get_child(by_path, i, "{&o@a{sa{sv}}}", NULL, &ifaces);
                g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, PC_PROCESS_IFACE, G_VARIANT_TYPE("a{sv}"));
                g_assert_nonnull(props);
                g_assert_true(has_key(props, "Pid"));
                g_assert_false(has_key(props, "Argv"));
        }

        /* The whole Argv stays readable, per process. */
        g_autoptr(GVariant) full = pc_get_property_checked(fx, g_ptr_array_index(paths, 0), PC_PROCESS_IFACE, "Argv",
                                                           G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **got = g_variant_get_strv(full, NULL);
        g_assert_cmpstrv(got, argv);
}

/* GetManagedObjects' size for n records of "/bin/true" in "/" without a
 * description, against what the daemon reckons a record's fixed cost
 * (PROCESS_LISTED_FIXED_BYTES, daemon/process.h). */
#define LISTED_FIXED_BYTES 672
#define MEASURED 50

static void test_managed_objects_cost_what_the_daemon_reckons(PcFixture *fx) {
        g_autoptr(GError) error = NULL;

        for (int i = 0; i < MEASURED; i++)
                g_free(spawn_and_wait(fx, (GStrv) PC_ARGV("/bin/true")));
        g_autoptr(GVariant) objects = pc_call(fx, NULL, PC_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), NULL, NULL,
                                              &error);
        g_assert_no_error(error);
        gsize per_record = g_variant_get_size(objects) / MEASURED;
        g_test_message("GetManagedObjects: %zu bytes a record", per_record);
        /* The paths here have 2 digits, at most 20 in the worst case: 18 more
         * bytes; the strings "/bin/true" and "/" 11. */
        g_assert_cmpuint(per_record + 18, <=, LISTED_FIXED_BYTES + 11);
}

static gboolean is_interfaces_added(const PcRecordedSignal *s, gpointer user_data) {
        return TRUE;
}

static void test_interfaces_added_leaves_argv_out(PcFixture *fx) {
        g_autoptr(PcSignalRecorder) rec = pc_signal_recorder_new(fx, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                                                 NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);

        const PcRecordedSignal *s = pc_signal_recorder_wait(rec, is_interfaces_added, NULL, PC_TIMEOUT_MS);
        g_assert_nonnull(s);
        g_autoptr(GVariant) ifaces = g_variant_get_child_value(s->params, 1);
        g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, PC_PROCESS_IFACE, G_VARIANT_TYPE("a{sv}"));
        g_assert_nonnull(props);
        g_assert_true(has_key(props, "Pid"));
        g_assert_false(has_key(props, "Argv"));
        g_assert_true(pc_stop(fx, path, NULL, NULL, NULL));
}

static GVariant *spawn_as_nobody(PcFixture *fx, GStrv argv, GError **error) {
        return pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                          g_variant_new("(^as@a{sv})", argv, pc_options(NULL, NULL)), error);
}

static void call_as_nobody_ok(PcFixture *fx, const char *path, const char *method) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, PC_PROCESS_IFACE, method, NULL, &error);
        g_assert_no_error(error);
}

static void test_bytes_past_the_budget_are_limit_exceeded_and_release_frees_them(PcFixture *fx) {
        /* About 60 kB a record: three fit in BUDGET, a fourth does not. */
        g_auto(GStrv) argv = long_argv(2, 30000);
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;

        for (int i = 0; i < 3; i++) {
                g_autoptr(GVariant) v = spawn_as_nobody(fx, argv, &error);
                g_assert_no_error(error);
                const char *path;
                g_variant_get(v, "(&ou)", &path, NULL);
                g_ptr_array_add(paths, g_strdup(path));
        }
        g_autoptr(GVariant) refused = spawn_as_nobody(fx, argv, &error);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "MaxBytesPerUser"));
        g_clear_error(&error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 3);

        /* Releasing a record gives its bytes back. */
        call_as_nobody_ok(fx, g_ptr_array_index(paths, 0), "Wait");
        call_as_nobody_ok(fx, g_ptr_array_index(paths, 0), "Release");
        g_autoptr(GVariant) again = spawn_as_nobody(fx, argv, &error);
        g_assert_no_error(error);

        /* Root is exempt, as from the caps on running processes. */
        for (int i = 0; i < 4; i++)
                g_free(spawn_and_wait(fx, argv));
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_fixture_daemon_option = BUDGET_OPTION;
        pc_test_add("/hostile/budget/long-command-lines-keep-listings-under-the-bus-limit", PC_FIXTURE_DEFAULT,
                    test_long_command_lines_keep_listings_under_the_bus_limit);
        pc_test_add("/hostile/budget/managed-objects-cost-what-the-daemon-reckons", PC_FIXTURE_DEFAULT,
                    test_managed_objects_cost_what_the_daemon_reckons);
        pc_test_add("/hostile/budget/interfaces-added-leaves-argv-out", PC_FIXTURE_DEFAULT,
                    test_interfaces_added_leaves_argv_out);
        pc_test_add("/hostile/budget/bytes-past-the-budget-are-limit-exceeded-and-release-frees-them",
                    PC_FIXTURE_NEEDS_ROOT, test_bytes_past_the_budget_are_limit_exceeded_and_release_frees_them);
        return g_test_run();
}
