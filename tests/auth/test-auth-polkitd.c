/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctld with Debian's real polkitd, on a private system bus configured
 * with the project's bus policy and polkit's own, and polkitd reading the
 * project's actions file (policy/org.procctl.policy; see auth-harness.c for
 * how polkitd is shown it without touching /usr/share).
 *
 * There is no logind session and no authentication agent here, as for a
 * service or a cron job: polkit goes by the actions' allow_any defaults.
 * org.procctl.spawn is "yes", so the user nobody (65534) may spawn as itself;
 * org.procctl.spawn-as-user and org.procctl.manage are "auth_admin_keep",
 * which polkit answers with a challenge (is_authorized false, is_challenge
 * true).  procctld turns that into InteractiveAuthorizationRequired for a
 * caller that did not allow interaction, and into AccessDenied for one that
 * did, since polkit found no agent to ask and so did not authorize.
 *
 * Needs root and polkitd (skipped otherwise, with the reason).
 */

#include "auth-harness.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static AuthBus *bus;
static const char *skip_reason;
static uid_t nobody_uid;
static gid_t nobody_gid;

#define SKIP_IF_NEEDED() AUTH_SKIP_IF(skip_reason)

/* `pkaction --verbose` asks polkitd itself what it read from the file. */
static void test_actions_installed(void) {
        SKIP_IF_NEEDED();
        static const struct {
                const char *action;
                const char *implicit;
        } expected[] = {
                { AUTH_ACTION_SPAWN, "yes" },
                { AUTH_ACTION_SPAWN_AS_USER, "auth_admin_keep" },
                { AUTH_ACTION_MANAGE, "auth_admin_keep" },
        };
        if (!g_file_test("/usr/bin/pkaction", G_FILE_TEST_IS_EXECUTABLE)) {
                g_test_skip("/usr/bin/pkaction is missing (apt-get install polkitd)");
                return;
        }

        for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
                g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
                g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", auth_bus_address(bus), TRUE);
                g_subprocess_launcher_setenv(l, "LC_ALL", "C", TRUE);
                g_autoptr(GError) error = NULL;
                g_autoptr(GSubprocess) sp = g_subprocess_launcher_spawn(l, &error, "/usr/bin/pkaction", "--verbose",
                                                                       "--action-id", expected[i].action, NULL);
                g_assert_no_error(error);
                g_autofree char *out = NULL;
                g_subprocess_communicate_utf8(sp, NULL, NULL, &out, NULL, &error);
                g_assert_no_error(error);
                g_assert_true(g_subprocess_get_if_exited(sp));
                g_assert_cmpint(g_subprocess_get_exit_status(sp), ==, 0);

                guint seen = 0;
                g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
                for (char **ln = lines; *ln; ln++) {
                        g_autofree char *line = g_strstrip(g_strdup(*ln));
                        if (!g_str_has_prefix(line, "implicit "))
                                continue;
                        const char *colon = strchr(line, ':');
                        g_assert_nonnull(colon);
                        g_autofree char *value = g_strstrip(g_strdup(colon + 1));
                        g_assert_cmpstr(value, ==, expected[i].implicit);
                        seen++;
                }
                if (seen != 3)
                        g_error("pkaction did not show the three defaults of %s:\n%s", expected[i].action, out);
                g_assert_nonnull(strstr(out, "vendor:            procctl"));
        }
}

static void test_spawn_as_self_allowed(void) {
        SKIP_IF_NEEDED();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                                 "Spawn", g_variant_new_parsed("(['/bin/true'], @a{sv} {})"), NULL,
                                                 NULL, &error);
        g_assert_no_error(error);
        const char *path;
        guint32 pid;
        g_variant_get(reply, "(&ou)", &path, &pid);
        g_autoptr(GVariant) uid = auth_bus_get_property(bus, path, "Uid", &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_variant_get_uint32(uid), ==, nobody_uid);

        /* Its own process: no polkit needed for Wait and Release. */
        g_autoptr(GVariant) waited = auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH,
                                                  PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", path), NULL, NULL,
                                                  &error);
        g_assert_no_error(error);
        g_autofree char *text = g_variant_print(waited, FALSE);
        g_assert_cmpstr(text, ==, "('exited', 0)");
        g_autoptr(GVariant) released = auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH,
                                                    PC_MANAGER_IFACE, "Release", g_variant_new("(o)", path), NULL,
                                                    NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
}

static void test_spawn_as_user_refused(gconstpointer data) {
        SKIP_IF_NEEDED();
        gboolean interactive = GPOINTER_TO_INT(data);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_call_as(bus, nobody_uid, nobody_gid, interactive ? CALLER_INTERACTIVE : 0, 0,
                                                 PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                 g_variant_new_parsed("(['/bin/true'], {'user': <'root'>})"), NULL,
                                                 NULL, &error);
        pc_assert_dbus_error(error, interactive ? PC_ERROR_ACCESS_DENIED : PC_ERROR_INTERACTIVE);
        g_assert_nonnull(strstr(error->message, AUTH_ACTION_SPAWN_AS_USER));
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
}

static void test_manage_refused(void) {
        SKIP_IF_NEEDED();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) spawned = auth_bus_call(bus, "Spawn", g_variant_new_parsed("(['/bin/sleep', '1000'], @a{sv} {})"),
                                                    &error);
        g_assert_no_error(error);
        const char *path;
        guint32 pid;
        g_variant_get(spawned, "(&ou)", &path, &pid);

        g_autoptr(GVariant) reply = auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                                 "Signal", g_variant_new("(oi)", path, SIGTERM), NULL, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_INTERACTIVE);
        g_assert_nonnull(strstr(error->message, AUTH_ACTION_MANAGE));
        g_autofree char *state = auth_bus_process_state(bus, path);
        g_assert_cmpstr(state, ==, "running");
        g_assert_true(pc_process_is_alive(pid));
        auth_bus_forget_process(bus, path);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        auth_lookup_user("nobody", &nobody_uid, &nobody_gid);

        g_test_add_func("/auth/polkitd/actions-are-installed-with-the-contracts-defaults", test_actions_installed);
        g_test_add_func("/auth/polkitd/spawn-as-self-is-allowed", test_spawn_as_self_allowed);
        g_test_add_data_func("/auth/polkitd/spawn-as-user-without-interaction-needs-authentication",
                             GINT_TO_POINTER(FALSE), test_spawn_as_user_refused);
        g_test_add_data_func("/auth/polkitd/spawn-as-user-with-interaction-but-no-agent-is-denied",
                             GINT_TO_POINTER(TRUE), test_spawn_as_user_refused);
        g_test_add_func("/auth/polkitd/signal-on-another-users-process-needs-authentication", test_manage_refused);

        skip_reason = auth_polkitd_missing();
        if (skip_reason)
                g_printerr("# skipping: %s\n", skip_reason);
        else
                bus = auth_bus_start_polkitd();
        int r = g_test_run();
        if (bus)
                auth_bus_stop(bus);
        return r;
}
