/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * No user can freeze procctld through a child it starts for them.
 *
 * A child that will run as another user is that user's to signal from its
 * identity switch on.  If the daemon waited for such a child to exec (a
 * vfork-style child on the daemon's memory), one SIGSTOP from that user would
 * stop the daemon for everyone.  These tests stop the child as the user at
 * that moment and then ask the daemon for other work.  The window is widened
 * with a long PATH search (a bare name and PATH of empty entries); a child
 * that gets through it before it is caught is tried again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define NOBODY 65534
#define TRIES 20

typedef struct {
        GVariant *reply;
        GError *error;
        gboolean done;
} AsyncCall;

static void on_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        AsyncCall *c = user_data;
        c->reply = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), NULL, res, &c->error);
        c->done = TRUE;
}

static gboolean call_done(gpointer user_data) {
        return ((AsyncCall *) user_data)->done;
}

/* A Spawn as nobody of a program that is not there, searched through a PATH
 * of ~128k empty entries: the child spends a while in its PATH search. */
static void spawn_slow_search_async(PcFixture *fx, GDBusConnection *conn, AsyncCall *c) {
        GString *path = g_string_new("PATH=");
        for (int i = 0; i < 120000; i++)
                g_string_append_c(path, ':');
        const char *env[] = { path->str, NULL };
        GVariant *opts = pc_options("user", g_variant_new_string("nobody"), "working-directory", g_variant_new_string("/"),
                                    "environment", g_variant_new_strv(env, -1), NULL);
        g_dbus_connection_call_with_unix_fd_list(conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                 g_variant_new("(^as@a{sv})", PC_ARGV("procctl-no-such-program"), opts),
                                                 G_VARIANT_TYPE("(ou)"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL, NULL,
                                                 on_reply, c);
        g_string_free(path, TRUE);
}

static uid_t process_uid(pid_t pid) {
        g_autofree char *file = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(file, &text, NULL, NULL))
                return (uid_t) -1;
        const char *line = strstr(text, "\nUid:");
        unsigned ruid;
        if (!line || sscanf(line, "\nUid: %u", &ruid) != 1)
                return (uid_t) -1;
        return ruid;
}

/* Stops pid as nobody would: from a process of uid nobody.  TRUE if kill() took. */
static gboolean stop_as_nobody(pid_t pid) {
        pid_t attacker = fork();
        g_assert_cmpint(attacker, >=, 0);
        if (attacker == 0) {
                if (setresgid(NOBODY, NOBODY, NOBODY) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0)
                        _exit(2);
                _exit(kill(pid, SIGSTOP) == 0 ? 0 : 1);
        }
        int status;
        g_assert_cmpint(waitpid(attacker, &status, 0), ==, attacker);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 2);
        return WEXITSTATUS(status) == 0;
}

/* Looks for the daemon's child running as nobody while the Spawn is still
 * unanswered, and stops it as nobody.  Returns its PID, or 0 if the child got
 * through (the Spawn was answered) first. */
static pid_t catch_and_stop_child(PcFixture *fx, AsyncCall *c) {
        while (!c->done) {
                g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, FALSE);
                for (guint i = 0; i < children->len; i++) {
                        pid_t pid = g_array_index(children, pid_t, i);
                        if (process_uid(pid) == NOBODY && stop_as_nobody(pid))
                                return pid;
                }
                g_main_context_iteration(NULL, FALSE);
        }
        return 0;
}

static gboolean stopped(gpointer user_data) {
        return pc_process_state(GPOINTER_TO_INT(user_data)) == 'T';
}

/* Runs a slow Spawn on conn until its child is caught and stopped as nobody. */
static pid_t start_and_stop(PcFixture *fx, GDBusConnection *conn, AsyncCall *c) {
        for (int i = 0; i < TRIES; i++) {
                *c = (AsyncCall) {};
                spawn_slow_search_async(fx, conn, c);
                pid_t pid = catch_and_stop_child(fx, c);
                if (pid > 0) {
                        g_assert_true(pc_poll_until(stopped, GINT_TO_POINTER(pid), PC_TIMEOUT_MS));
                        return pid;
                }
                g_clear_pointer(&c->reply, g_variant_unref);
                g_clear_error(&c->error);
        }
        g_test_skip("the child always finished its PATH search before it could be stopped");
        return 0;
}

static void test_stopped_child_delays_only_its_caller(PcFixture *fx) {
        AsyncCall slow = {};
        pid_t pid = start_and_stop(fx, fx->conn, &slow);
        if (pid == 0)
                return;

        /* The daemon serves everyone else meanwhile: a listing, and a Spawn
         * as root and as nobody, each answered within the usual timeout. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) list = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autofree char *root = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, root, "exited", 0);
        g_autofree char *other = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                                                  pc_options("user", g_variant_new_string("nobody"), NULL), NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, other, "exited", 0);
        g_assert_false(slow.done);

        /* Continued, the stopped child finishes its search, and its caller hears how it went. */
        g_assert_cmpint(kill(pid, SIGCONT), ==, 0);
        g_assert_true(pc_poll_until(call_done, &slow, 60000));
        pc_assert_dbus_error(slow.error, PC_ERROR_EXEC_FAILED);
        g_assert_nonnull(strstr(slow.error->message, "execvp(\"procctl-no-such-program\")"));
        g_clear_error(&slow.error);
}

static gboolean gone(gpointer user_data) {
        return !pc_process_is_alive(GPOINTER_TO_INT(user_data));
}

static void test_abandoned_spawn_kills_its_child(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Version", G_VARIANT_TYPE_STRING);
        guint fds = pc_fixture_daemon_fd_count(fx);
        g_autoptr(GDBusConnection) conn = pc_fixture_new_connection(fx);
        AsyncCall slow = {};

        pid_t pid = start_and_stop(fx, conn, &slow);
        if (pid == 0)
                return;
        /* The caller leaves without its answer: the child goes with it. */
        g_assert_true(g_dbus_connection_close_sync(conn, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(gone, GINT_TO_POINTER(pid), PC_TIMEOUT_MS));
        g_assert_true(pc_poll_until(call_done, &slow, PC_TIMEOUT_MS));
        g_clear_error(&slow.error);

        /* Nothing of the call is kept: no object, no descriptor. */
        g_clear_pointer(&v, g_variant_unref);
        v = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Version", G_VARIANT_TYPE_STRING);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        g_assert_cmpuint(pc_fixture_daemon_fd_count(fx), ==, fds);
}

int main(int argc, char *argv[]) {
        pc_test_init(&argc, &argv);
        pc_test_add("/hostile/freeze/stopped-child-delays-only-its-caller", PC_FIXTURE_NEEDS_ROOT,
                    test_stopped_child_delays_only_its_caller);
        pc_test_add("/hostile/freeze/abandoned-spawn-kills-its-child", PC_FIXTURE_NEEDS_ROOT,
                    test_abandoned_spawn_kills_its_child);
        return g_test_run();
}
