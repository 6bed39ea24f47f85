/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Whose groups a child gets, and whose processes the owner may signal,
 * with real unprivileged callers and the mock
 * polkit (or none):
 *
 *  - an alias account (useradd -o: the caller's uid, another primary group)
 *    is not the caller: Spawn as it asks org.procctl.spawn-as-user, and so
 *    does naming a group the caller's own credentials lack;
 *  - a Spawn as oneself gives the child only the groups the caller has
 *    (its credentials from the bus), not every group the account database
 *    lists for the user;
 *  - once a process of the owner's has turned fully root (a setuid program),
 *    the owner's kill(2) fails, and so do Signal, SignalGroup and Stop
 *    through procctld unless org.procctl.manage says yes; SignalGroup asks
 *    when any member of the group is not the owner's to signal.
 *
 * The accounts are made for the test (useradd, groupadd) and removed after;
 * without useradd the group cases are skipped with a message.
 */

#include "auth-harness.h"
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static AuthBus *bus;
static uid_t nobody_uid;
static gid_t nobody_gid;

/* The test's accounts: user (own group, member of extra), alias (user's uid, primary group aliasgroup). */
static char *user_name, *alias_name, *extra_group, *alias_group;
static uid_t user_uid;
static gid_t user_gid, extra_gid, alias_gid;
#define ACCOUNTS_MISSING "needs useradd and groupadd to make an alias account"

static char *setuid_dir, *setuid_program;

#define NEEDS_BUS()                                                               \
        do {                                                                      \
                if (!bus) {                                                       \
                        g_test_skip("needs root: runs callers as other users");  \
                        return;                                                   \
                }                                                                 \
        } while (0)

#define NEEDS_ACCOUNTS()                                                          \
        do {                                                                      \
                NEEDS_BUS();                                                      \
                if (!user_name) {                                                 \
                        g_test_skip(ACCOUNTS_MISSING);                            \
                        return;                                                   \
                }                                                                 \
        } while (0)

static gboolean run(const char *const *argv) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                          NULL, &status, &error) ||
            !g_spawn_check_wait_status(status, &error)) {
                g_printerr("# %s: %s\n", argv[0], error->message);
                return FALSE;
        }
        return TRUE;
}

static void remove_accounts(void);
static void remove_made(void);

/* What the test made (accounts, the setuid program) is removed at its end,
 * or else by a process of its own once the test process is gone, however it
 * ended (a failed assertion aborts): that process waits for a byte saying
 * all is done, or for the end of the pipe. */
static int guardian_fd = -1;
static pid_t guardian;

static void start_guardian(void) {
        int fds[2];
        char c;

        g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
        guardian = fork();
        g_assert_cmpint(guardian, >=, 0);
        if (guardian == 0) {
                ssize_t n;

                close(fds[1]);
                while ((n = read(fds[0], &c, 1)) < 0 && errno == EINTR)
                        ;
                if (n == 1)
                        _exit(0);
                remove_made();
                _exit(0);
        }
        close(fds[0]);
        guardian_fd = fds[1];
}

static void remove_made(void) {
        if (user_name)
                remove_accounts();
        if (setuid_dir) {
                (void) g_unlink(setuid_program);
                (void) g_rmdir(setuid_dir);
        }
}

/* Not waited for: processes forked since (GTestDBus's watcher) hold the
 * pipe too, until the test process is gone. */
static void release_guardian(void) {
        remove_made();
        if (guardian > 0)
                g_assert_cmpint(write(guardian_fd, "x", 1), ==, 1);
}

static void name_accounts(void) {
        user_name = g_strdup_printf("pcid%d", (int) getpid());
        alias_name = g_strdup_printf("pcida%d", (int) getpid());
        extra_group = g_strdup_printf("pcidx%d", (int) getpid());
        alias_group = g_strdup_printf("pcidy%d", (int) getpid());
}

static void make_accounts(void) {
        struct passwd *pw;
        struct group *gr;
        g_autofree char *uid = NULL;


        g_assert_true(run((const char *[]) { "groupadd", extra_group, NULL }));
        g_assert_true(run((const char *[]) { "groupadd", alias_group, NULL }));
        g_assert_true(run((const char *[]) { "useradd", "-M", "-U", "-G", extra_group, "-s", "/usr/sbin/nologin", user_name, NULL }));
        pw = getpwnam(user_name);
        g_assert_nonnull(pw);
        user_uid = pw->pw_uid;
        user_gid = pw->pw_gid;
        uid = g_strdup_printf("%u", (unsigned) user_uid);
        g_assert_true(run((const char *[]) { "useradd", "-M", "-o", "-u", uid, "-g", alias_group, "-s", "/usr/sbin/nologin",
                                             alias_name, NULL }));
        gr = getgrnam(extra_group);
        g_assert_nonnull(gr);
        extra_gid = gr->gr_gid;
        gr = getgrnam(alias_group);
        g_assert_nonnull(gr);
        alias_gid = gr->gr_gid;
}

static void remove_accounts(void) {
        /* -f: the alias shares the user's uid, so "in use" would speak of either. */
        (void) run((const char *[]) { "userdel", "-f", alias_name, NULL });
        (void) run((const char *[]) { "userdel", "-f", user_name, NULL });
        if (getgrnam(user_name)) /* userdel removes a user's own group, unless USERGROUPS_ENAB is off */
                (void) run((const char *[]) { "groupdel", user_name, NULL });
        (void) run((const char *[]) { "groupdel", extra_group, NULL });
        (void) run((const char *[]) { "groupdel", alias_group, NULL });
}

/* The value of a line of /proc/PID/status, or NULL once the process is gone. */
static char *status_field(pid_t pid, const char *key) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *text = NULL;
        g_autofree char *prefix = g_strdup_printf("%s:", key);

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++)
                if (g_str_has_prefix(*l, prefix))
                        return g_strstrip(g_strdup(*l + strlen(prefix)));
        return NULL;
}

static char *spawn_as(uid_t uid, gid_t gid, const char *const *argv, GVariant *options, guint32 *pid, GError **error) {
        g_autoptr(GVariant) reply = auth_call_as(bus, uid, gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                 g_variant_new("(^as@a{sv})", argv, options ?: g_variant_new("a{sv}", NULL)),
                                                 NULL, NULL, error);
        if (!reply)
                return NULL;
        char *path;
        g_variant_get(reply, "(ou)", &path, pid);
        return path;
}

/* The requests polkit got since the last look: exactly one, for action. */
static void assert_asked_once(const char *action) {
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 1);
        g_assert_cmpstr(((PolkitRequest *) requests->pdata[0])->action, ==, action);
}

/* --- Section 5: groups ------------------------------------------------- */

/* Without polkit, Spawn with the option named by data is refused: as the
 * alias account, or with a group the account database gives the user but
 * the caller's process lacks. */
static void test_no_polkit_refuses(gconstpointer data) {
        NEEDS_ACCOUNTS();
        const char *key = data;
        auth_bus_polkit_leave(bus);
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_as(user_uid, user_gid, (const char *[]) { "/bin/true", NULL },
                                         g_variant_new_parsed("{%s: <%s>}", key,
                                                              g_str_equal(key, "user") ? alias_name : extra_group),
                                         &pid, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_nonnull(strstr(error->message, AUTH_ACTION_SPAWN_AS_USER));
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
        auth_bus_polkit_return(bus);
}

static void test_alias_asks_spawn_as_user(void) {
        NEEDS_ACCOUNTS();
        g_ptr_array_unref(auth_bus_take_requests(bus));
        auth_bus_set_answer(bus, MOCK_NO);
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_as(user_uid, user_gid, (const char *[]) { "/bin/true", NULL },
                                         g_variant_new_parsed("{'user': <%s>}", alias_name), &pid, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        assert_asked_once(AUTH_ACTION_SPAWN_AS_USER);
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);

        /* Authorized, the child is the alias, with its group. */
        auth_bus_set_answer(bus, MOCK_YES);
        g_clear_error(&error);
        g_autofree char *allowed = spawn_as(user_uid, user_gid, (const char *[]) { "/bin/sleep", "1000", NULL },
                                            g_variant_new_parsed("{'user': <%s>}", alias_name), &pid, &error);
        g_assert_no_error(error);
        assert_asked_once(AUTH_ACTION_SPAWN_AS_USER);
        g_autofree char *gids = status_field((pid_t) pid, "Gid");
        g_autofree char *want = g_strdup_printf("%u\t%u\t%u\t%u", alias_gid, alias_gid, alias_gid, alias_gid);
        g_assert_cmpstr(gids, ==, want);
        auth_bus_forget_process(bus, allowed);
}

static void test_spawn_as_self_gets_only_the_callers_groups(void) {
        NEEDS_ACCOUNTS();
        auth_bus_polkit_leave(bus); /* nothing to authorize: spawning as oneself */
        g_autoptr(GError) error = NULL;
        guint32 pid;
        g_autofree char *path = spawn_as(user_uid, user_gid, (const char *[]) { "/bin/sleep", "1000", NULL }, NULL, &pid,
                                         &error);
        g_assert_no_error(error);
        g_autofree char *groups = status_field((pid_t) pid, "Groups");
        g_autofree char *gids = status_field((pid_t) pid, "Gid");
        g_autofree char *want_groups = g_strdup_printf("%u", (unsigned) user_gid);
        g_autofree char *want_gids = g_strdup_printf("%u\t%u\t%u\t%u", user_gid, user_gid, user_gid, user_gid);
        g_assert_cmpstr(gids, ==, want_gids);
        g_assert_cmpstr(groups, ==, want_groups); /* not extra_gid, which the caller lacks */
        auth_bus_polkit_return(bus);
        auth_bus_forget_process(bus, path);
}

/* --- Section 7: signals ------------------------------------------------- */

/* Whether uid may signal pid with its own kill(2). */
static gboolean kill_allowed_as(uid_t uid, gid_t gid, pid_t pid) {
        pid_t child = fork();
        int status;

        g_assert_cmpint(child, >=, 0);
        if (child == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                        _exit(2);
                _exit(kill(pid, 0) == 0 ? 0 : errno == EPERM ? 1 : 3);
        }
        g_assert_cmpint(waitpid(child, &status, 0), ==, child);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
        return WEXITSTATUS(status) == 0;
}

static gboolean is_root_now(gpointer data) {
        g_autofree char *uids = status_field(GPOINTER_TO_INT(data), "Uid");
        return g_strcmp0(uids, "0\t0\t0\t0") == 0;
}

/* The PID of a member of pgid whose uids are all 0, or 0. */
static pid_t root_member(pid_t pgid) {
        g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                pid_t pid = (pid_t) atoi(name);
                g_autofree char *path = g_strdup_printf("/proc/%s/stat", name);
                g_autofree char *stat = NULL;
                char *p;
                int pgrp;

                if (pid <= 0 || !g_file_get_contents(path, &stat, NULL, NULL) || !(p = strrchr(stat, ')')))
                        continue;
                if (sscanf(p + 1, " %*c %*d %d", &pgrp) == 1 && pgrp == pgid && is_root_now(GINT_TO_POINTER(pid)))
                        return pid;
        }
        return 0;
}

static gboolean group_has_root_member(gpointer data) {
        return root_member(GPOINTER_TO_INT(data)) != 0;
}

static gboolean member_gone(gpointer data) {
        return !pc_process_is_alive(GPOINTER_TO_INT(data));
}

static GVariant *act_as_nobody(const char *method, const char *path, GError **error) {
        GVariant *params = g_str_equal(method, "Stop") ? g_variant_new("(o)", path) : g_variant_new("(oi)", path, 0);
        return auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, method, params, NULL,
                            NULL, error);
}

static void test_owner_may_not_signal_what_turned_root(gconstpointer data) {
        NEEDS_BUS();
        const char *method = data;
        g_autoptr(GError) error = NULL;
        guint32 pid;

        auth_bus_set_answer(bus, MOCK_YES);
        g_autofree char *path = spawn_as(nobody_uid, nobody_gid, (const char *[]) { setuid_program, NULL }, NULL, &pid,
                                         &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(is_root_now, GINT_TO_POINTER(pid), PC_TIMEOUT_MS));
        g_assert_false(kill_allowed_as(nobody_uid, nobody_gid, (pid_t) pid));

        /* Without polkit: refused. */
        auth_bus_polkit_leave(bus);
        g_autoptr(GVariant) refused = act_as_nobody(method, path, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_nonnull(strstr(error->message, AUTH_ACTION_MANAGE));
        auth_bus_polkit_return(bus);
        g_assert_true(pc_process_is_alive((pid_t) pid));

        /* With polkit: org.procctl.manage decides. */
        g_ptr_array_unref(auth_bus_take_requests(bus));
        auth_bus_set_answer(bus, MOCK_NO);
        g_clear_error(&error);
        g_autoptr(GVariant) denied = act_as_nobody(method, path, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        assert_asked_once(AUTH_ACTION_MANAGE);
        g_assert_true(pc_process_is_alive((pid_t) pid));

        auth_bus_set_answer(bus, MOCK_YES);
        g_clear_error(&error);
        g_autoptr(GVariant) allowed = act_as_nobody(method, path, &error);
        g_assert_no_error(error);
        assert_asked_once(AUTH_ACTION_MANAGE);
        auth_bus_forget_process(bus, path);
}

static void test_signal_group_needs_every_member(void) {
        NEEDS_BUS();
        g_autoptr(GError) error = NULL;
        guint32 pid;

        auth_bus_set_answer(bus, MOCK_YES);
        g_autofree char *script = g_strdup_printf("'%s' & exec /bin/sleep 1000", setuid_program);
        g_autofree char *path = spawn_as(nobody_uid, nobody_gid, (const char *[]) { "/bin/sh", "-c", script, NULL }, NULL,
                                         &pid, &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(group_has_root_member, GINT_TO_POINTER(pid), PC_TIMEOUT_MS));
        pid_t member = root_member((pid_t) pid);

        g_ptr_array_unref(auth_bus_take_requests(bus));
        auth_bus_set_answer(bus, MOCK_NO);
        /* The leader is still the owner's own. */
        g_autoptr(GVariant) signalled = act_as_nobody("Signal", path, &error);
        g_assert_no_error(error);
        g_autoptr(GPtrArray) none = auth_bus_take_requests(bus);
        g_assert_cmpuint(none->len, ==, 0);
        /* Its group holds a process that is not. */
        g_autoptr(GVariant) denied = act_as_nobody("SignalGroup", path, &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        assert_asked_once(AUTH_ACTION_MANAGE);
        g_assert_true(pc_process_is_alive(member));

        auth_bus_forget_process(bus, path); /* as root: the whole group */
        g_assert_true(pc_poll_until(member_gone, GINT_TO_POINTER(member), PC_TIMEOUT_MS));
        auth_bus_set_answer(bus, MOCK_YES);
}

static void make_setuid_program(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *contents = NULL;
        gsize length;
        const char *built = g_getenv("PROCCTL_SETUID_PAUSE");

        g_assert_nonnull(built);
        setuid_dir = g_dir_make_tmp("procctl-setuid-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(setuid_dir, 0755), ==, 0);
        setuid_program = g_build_filename(setuid_dir, "setuid-pause", NULL);
        g_assert_true(g_file_get_contents(built, &contents, &length, &error));
        g_assert_true(g_file_set_contents(setuid_program, contents, (gssize) length, &error));
        g_assert_cmpint(chown(setuid_program, 0, 0), ==, 0);
        g_assert_cmpint(chmod(setuid_program, 04755), ==, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        auth_lookup_user("nobody", &nobody_uid, &nobody_gid);

        g_test_add_data_func("/auth/identity/alias-account/needs-spawn-as-user-without-polkit", "user",
                             test_no_polkit_refuses);
        g_test_add_func("/auth/identity/alias-account/asks-spawn-as-user-and-gets-its-group-only-if-authorized",
                        test_alias_asks_spawn_as_user);
        g_test_add_data_func("/auth/identity/group-the-callers-process-lacks-needs-spawn-as-user", "group",
                             test_no_polkit_refuses);
        g_test_add_func("/auth/identity/spawn-as-self-gets-only-the-callers-own-groups",
                        test_spawn_as_self_gets_only_the_callers_groups);
        static const char *const methods[] = { "Signal", "SignalGroup", "Stop" };
        for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
                g_autofree char *name = g_strdup_printf("/auth/signal/owner-may-not-signal-what-turned-root/%s", methods[i]);
                g_test_add_data_func(name, methods[i], test_owner_may_not_signal_what_turned_root);
        }
        g_test_add_func("/auth/signal/signal-group-asks-when-a-member-is-not-the-owners",
                        test_signal_group_needs_every_member);

        if (geteuid() == 0) {
                if (g_find_program_in_path("useradd") && g_find_program_in_path("groupadd"))
                        name_accounts();
                make_setuid_program();
                start_guardian();
                if (user_name)
                        make_accounts();
                bus = auth_bus_start_mock(NULL);
        }
        int r = g_test_run();
        if (bus)
                auth_bus_stop(bus);
        release_guardian();
        return r;
}
