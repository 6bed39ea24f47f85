/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Who a child runs as, and who may act on it: root may spawn as anyone and
 * act on anything; an unprivileged client (uid 65534, "nobody", run through
 * setpriv) gets children of its own uid, may act on those only, and may not
 * ask for another identity.
 */

#include "fixture.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define NOBODY_UID 65534
#define NOBODY_GID 65534
/* Another unprivileged user; it needs a passwd entry for the bus to accept it. */
#define STRANGER_UID 1 /* daemon */

static char *spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, options, NULL, pid, &error);
        g_assert_no_error(error);
        return path;
}

/* The supplementary groups a login of name would get, as pc-child prints
 * them (getgroups order is the kernel's: sorted). */
static char *expected_groups(const char *name, gid_t gid) {
        gid_t groups[256];
        int n = G_N_ELEMENTS(groups);
        g_assert_cmpint(getgrouplist(name, gid, groups, &n), >=, 0);
        /* getgrouplist adds the primary group; setgroups gets the list as is. */
        for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
                        gid_t t = groups[j];
                        groups[j] = groups[j - 1];
                        groups[j - 1] = t;
                }
        GString *s = g_string_new(NULL);
        for (int i = 0; i < n; i++)
                g_string_append_printf(s, "%s%u", i ? " " : "", (unsigned) groups[i]);
        return g_string_free(s, FALSE);
}

/* pc-child's "groups" line, sorted. */
static char *sorted_groups(const char *line) {
        g_auto(GStrv) parts = g_strsplit(line, " ", -1);
        guint n = g_strv_length(parts);
        gid_t *g = g_new0(gid_t, n + 1);
        guint k = 0;
        for (guint i = 0; i < n; i++)
                if (*parts[i])
                        g[k++] = (gid_t) atoi(parts[i]);
        for (guint i = 1; i < k; i++)
                for (guint j = i; j > 0 && g[j - 1] > g[j]; j--) {
                        gid_t t = g[j];
                        g[j] = g[j - 1];
                        g[j - 1] = t;
                }
        GString *s = g_string_new(NULL);
        for (guint i = 0; i < k; i++)
                g_string_append_printf(s, "%s%u", i ? " " : "", (unsigned) g[i]);
        g_free(g);
        return g_string_free(s, FALSE);
}

static PcReport *report_of(PcFixture *fx, const char *path, const char *file) {
        pc_assert_wait_result(fx, path, "exited", 0);
        return pc_report_load(file, PC_TIMEOUT_MS);
}

static const char *env_of(PcReport *r, const char *name) {
        gsize n = strlen(name);
        for (const char *const *e = pc_report_get_all(r, "env"); *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

static void assert_runs_as(PcReport *r, uid_t uid, gid_t gid, const char *groups) {
        g_autofree char *u = g_strdup_printf("%u %u %u", (unsigned) uid, (unsigned) uid, (unsigned) uid);
        g_autofree char *g = g_strdup_printf("%u %u %u", (unsigned) gid, (unsigned) gid, (unsigned) gid);
        g_assert_cmpstr(pc_report_get(r, "uid"), ==, u);
        g_assert_cmpstr(pc_report_get(r, "gid"), ==, g);
        g_autofree char *got = sorted_groups(pc_report_get(r, "groups"));
        g_assert_cmpstr(got, ==, groups);
}

/* --- Root --------------------------------------------------------------- */

static void test_root_child_runs_as_root(PcFixture *fx) {
        g_autofree char *file = pc_fixture_out_path(fx, "report");
        g_autofree char *path = spawn_ok(fx, PC_ARGV(pc_child_path(), "report", file), NULL, NULL);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, 0);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Gid"), ==, 0);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, 0);
        g_autoptr(PcReport) r = report_of(fx, path, file);
        g_autofree char *groups = expected_groups("root", 0);
        assert_runs_as(r, 0, 0, groups);
}

static void check_spawn_as_nobody(PcFixture *fx, const char *user) {
        g_autofree char *name = g_strdup_printf("report-%s", user);
        g_autofree char *file = pc_fixture_out_path(fx, name);
        g_autofree char *path = spawn_ok(fx, PC_ARGV(pc_child_path(), "report", file),
                                         pc_options("user", g_variant_new_string(user), NULL), NULL);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, NOBODY_UID);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Gid"), ==, NOBODY_GID);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, 0);

        g_autoptr(PcReport) r = report_of(fx, path, file);
        g_autofree char *groups = expected_groups("nobody", NOBODY_GID);
        assert_runs_as(r, NOBODY_UID, NOBODY_GID, groups);

        struct passwd *pw = getpwnam("nobody");
        g_assert_nonnull(pw);
        g_assert_cmpstr(env_of(r, "USER"), ==, "nobody");
        g_assert_cmpstr(env_of(r, "LOGNAME"), ==, "nobody");
        g_assert_cmpstr(env_of(r, "HOME"), ==, pw->pw_dir);
        g_assert_cmpstr(env_of(r, "SHELL"), ==, pw->pw_shell);
}

static void test_root_spawns_as_nobody(PcFixture *fx) {
        check_spawn_as_nobody(fx, "nobody");
}

static void test_user_option_takes_numeric_uid(PcFixture *fx) {
        check_spawn_as_nobody(fx, "65534");
}

static void test_group_option_sets_primary_group(PcFixture *fx) {
        struct group *gr = getgrgid(1);
        g_assert_nonnull(gr);
        g_autofree char *gname = g_strdup(gr->gr_name);
        g_autofree char *groups = expected_groups("nobody", NOBODY_GID);

        g_autofree char *file = pc_fixture_out_path(fx, "by-name");
        g_autofree char *path = spawn_ok(fx, PC_ARGV(pc_child_path(), "report", file),
                                         pc_options("user", g_variant_new_string("nobody"),
                                                    "group", g_variant_new_string(gname), NULL), NULL);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Gid"), ==, 1);
        g_autoptr(PcReport) r = report_of(fx, path, file);
        /* The user's supplementary groups stay; the primary one is replaced. */
        assert_runs_as(r, NOBODY_UID, 1, groups);

        g_autofree char *file2 = pc_fixture_out_path(fx, "by-number");
        g_autofree char *path2 = spawn_ok(fx, PC_ARGV(pc_child_path(), "report", file2),
                                          pc_options("group", g_variant_new_string("1"), NULL), NULL);
        g_assert_cmpuint(pc_get_process_u32(fx, path2, "Uid"), ==, 0);
        g_assert_cmpuint(pc_get_process_u32(fx, path2, "Gid"), ==, 1);
        g_autoptr(PcReport) r2 = report_of(fx, path2, file2);
        g_autofree char *u = g_strdup_printf("1 1 1");
        g_assert_cmpstr(pc_report_get(r2, "gid"), ==, u);
}

static void test_unknown_user_or_group(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *p1 = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                                               pc_options("user", g_variant_new_string("procctl-no-such-user"), NULL),
                                               NULL, NULL, &error);
        g_assert_null(p1);
        pc_assert_dbus_error(error, PC_ERROR_NO_SUCH_USER);
        g_clear_error(&error);
        g_autofree char *p2 = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                                               pc_options("group", g_variant_new_string("procctl-no-such-group"), NULL),
                                               NULL, NULL, &error);
        g_assert_null(p2);
        pc_assert_dbus_error(error, PC_ERROR_NO_SUCH_USER);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

/* --- An unprivileged client ---------------------------------------------- */

static GVariant *spawn_params(const char *const *argv, GVariant *options) {
        return g_variant_new("(^as@a{sv})", argv, options ? options : g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

static char *spawn_as(PcFixture *fx, uid_t uid, gid_t gid, const char *const *argv, GVariant *options,
                      guint32 *pid, GError **error) {
        g_autoptr(GVariant) reply = pc_call_as(fx, uid, gid, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                               spawn_params(argv, options), error);
        if (!reply)
                return NULL;
        char *path;
        guint32 p;
        g_variant_get(reply, "(ou)", &path, &p);
        if (pid)
                *pid = p;
        return path;
}

static void test_unprivileged_client_gets_own_uid(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *file = pc_fixture_out_path(fx, "report");
        g_autofree char *path = spawn_as(fx, NOBODY_UID, NOBODY_GID, PC_ARGV(pc_child_path(), "report", file),
                                         NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, NOBODY_UID);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Gid"), ==, NOBODY_GID);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "OwnerUid"), ==, NOBODY_UID);

        g_autoptr(PcReport) r = report_of(fx, path, file);
        g_autofree char *groups = expected_groups("nobody", NOBODY_GID);
        assert_runs_as(r, NOBODY_UID, NOBODY_GID, groups);
        g_assert_cmpstr(env_of(r, "USER"), ==, "nobody");
}

static void test_unprivileged_client_may_ask_for_itself(PcFixture *fx) {
        const char *const selves[][2] = {
                { "user", "nobody" }, { "user", "65534" }, { "group", "65534" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(selves); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = spawn_as(fx, NOBODY_UID, NOBODY_GID, PC_ARGV("/bin/true"),
                                                 pc_options(selves[i][0], g_variant_new_string(selves[i][1]), NULL),
                                                 NULL, &error);
                g_assert_no_error(error);
                g_assert_cmpuint(pc_get_process_u32(fx, path, "Uid"), ==, NOBODY_UID);
                pc_assert_wait_result(fx, path, "exited", 0);
        }
}

static void test_unprivileged_client_may_not_ask_for_root(PcFixture *fx) {
        const char *const others[][2] = {
                { "user", "root" }, { "user", "0" }, { "group", "root" }, { "group", "0" }, { "user", "daemon" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = spawn_as(fx, NOBODY_UID, NOBODY_GID, PC_ARGV("/bin/true"),
                                                 pc_options(others[i][0], g_variant_new_string(others[i][1]), NULL),
                                                 NULL, &error);
                g_assert_null(path);
                g_test_message("%s=%s: %s", others[i][0], others[i][1], error ? error->message : "(none)");
                pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        }
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

static void assert_as_denied(PcFixture *fx, uid_t uid, gid_t gid, const char *path) {
        struct {
                const char *object, *iface, *method;
                GVariant *params;
        } calls[] = {
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, 0) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, SIGKILL) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, SIGKILL) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", path) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Stop", g_variant_new("(o)", path) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Release", g_variant_new("(o)", path) },
                { path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", SIGKILL) },
                { path, PC_PROCESS_IFACE, "SignalGroup", g_variant_new("(i)", SIGKILL) },
                { path, PC_PROCESS_IFACE, "Wait", NULL },
                { path, PC_PROCESS_IFACE, "Stop", NULL },
                { path, PC_PROCESS_IFACE, "Release", NULL },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = pc_call_as(fx, uid, gid, calls[i].object, calls[i].iface,
                                                       calls[i].method, calls[i].params, &error);
                g_test_message("%s.%s as %u", calls[i].iface, calls[i].method, (unsigned) uid);
                g_assert_null(reply);
                pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        }
}

static void test_unprivileged_client_may_not_act_on_roots_process(PcFixture *fx) {
        guint32 pid;
        g_autofree char *running = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &pid);
        g_autofree char *exited = spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL);
        pc_assert_wait_result(fx, exited, "exited", 0);

        assert_as_denied(fx, NOBODY_UID, NOBODY_GID, running);
        assert_as_denied(fx, NOBODY_UID, NOBODY_GID, exited);

        /* Untouched. */
        g_assert_true(pc_process_is_alive((pid_t) pid));
        g_autofree char *state = pc_get_process_string(fx, running, "State");
        g_assert_cmpstr(state, ==, "running");
        g_assert_cmpuint(pc_get_process_count(fx), ==, 2);
}

static void test_unprivileged_client_may_read(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, &pid);

        g_autoptr(GVariant) prop = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, "org.freedesktop.DBus.Properties",
                                              "Get", g_variant_new("(ss)", PC_PROCESS_IFACE, "Pid"), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(prop, "(v)", &v);
        g_assert_cmpuint(g_variant_get_uint32(v), ==, pid);

        g_autoptr(GVariant) list = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                              "ListProcesses", NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) entries = g_variant_get_child_value(list, 0);
        g_assert_cmpuint(g_variant_n_children(entries), ==, 1);
        g_autofree char *object = NULL;
        g_variant_get_child(entries, 0, "(ouuss)", &object, NULL, NULL, NULL, NULL);
        g_assert_cmpstr(object, ==, path);
}

static void test_unprivileged_client_acts_on_own_process(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = spawn_as(fx, NOBODY_UID, NOBODY_GID, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &error);
        g_assert_no_error(error);

        g_autoptr(GVariant) r1 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal",
                                            g_variant_new("(oi)", path, 0), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) r2 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, PC_PROCESS_IFACE, "Stop", NULL, &error);
        g_assert_no_error(error);
        const char *reason;
        gint32 status;
        g_variant_get(r2, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        g_autoptr(GVariant) r3 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait",
                                            g_variant_new("(o)", path), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) r4 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Release",
                                            g_variant_new("(o)", path), &error);
        g_assert_no_error(error);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
}

static void test_others_and_root_on_unprivileged_process(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_as(fx, NOBODY_UID, NOBODY_GID, PC_ARGV("/bin/sleep", "60"), NULL, &pid, &error);
        g_assert_no_error(error);

        /* Another unprivileged uid may not touch it. */
        assert_as_denied(fx, STRANGER_UID, 1, path);
        g_assert_true(pc_process_is_alive((pid_t) pid));

        /* Root may. */
        g_autofree char *reason = NULL;
        gint32 status;
        pc_stop(fx, path, &reason, &status, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        pc_release(fx, path, &error);
        g_assert_no_error(error);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/identity/root-caller-child-runs-as-root", PC_FIXTURE_NEEDS_ROOT, test_root_child_runs_as_root);
        pc_test_add("/identity/root-spawns-as-nobody-with-its-groups", PC_FIXTURE_NEEDS_ROOT, test_root_spawns_as_nobody);
        pc_test_add("/identity/user-option-takes-numeric-uid", PC_FIXTURE_NEEDS_ROOT, test_user_option_takes_numeric_uid);
        pc_test_add("/identity/group-option-sets-primary-group", PC_FIXTURE_NEEDS_ROOT, test_group_option_sets_primary_group);
        pc_test_add("/identity/unknown-user-or-group-is-no-such-user", PC_FIXTURE_NEEDS_ROOT, test_unknown_user_or_group);
        pc_test_add("/identity/unprivileged-client-gets-child-of-its-uid", PC_FIXTURE_NEEDS_ROOT, test_unprivileged_client_gets_own_uid);
        pc_test_add("/identity/unprivileged-client-may-name-itself", PC_FIXTURE_NEEDS_ROOT, test_unprivileged_client_may_ask_for_itself);
        pc_test_add("/identity/unprivileged-client-asking-for-another-identity-is-access-denied", PC_FIXTURE_NEEDS_ROOT, test_unprivileged_client_may_not_ask_for_root);
        pc_test_add("/identity/unprivileged-client-acting-on-roots-process-is-access-denied", PC_FIXTURE_NEEDS_ROOT, test_unprivileged_client_may_not_act_on_roots_process);
        pc_test_add("/identity/unprivileged-client-may-read-properties-and-list", PC_FIXTURE_NEEDS_ROOT, test_unprivileged_client_may_read);
        pc_test_add("/identity/unprivileged-client-acts-on-own-process", PC_FIXTURE_NEEDS_ROOT, test_unprivileged_client_acts_on_own_process);
        pc_test_add("/identity/only-owner-or-root-act-on-unprivileged-process", PC_FIXTURE_NEEDS_ROOT, test_others_and_root_on_unprivileged_process);

        return g_test_run();
}
