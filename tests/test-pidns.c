/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctld in its own PID namespace (as a container's PID 1 would be), and
 * the reason for pidfds: once a managed process has exited, no signal sent
 * through its object may reach another process that got the same PID.  The
 * test recycles the PID on purpose through /proc/sys/kernel/ns_last_pid of
 * that namespace.
 */

#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *spawn_ok(PcFixture *fx, const char *const *argv, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, NULL, NULL, pid, &error);
        g_assert_no_error(error);
        return path;
}

static void test_pids_are_of_the_daemons_namespace(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_assert_cmpint(pc_process_inner_pid(fx->daemon_pid), ==, 1);

        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), &pid);
        pid_t outer = pc_find_outer_pid(fx->daemon_pid, (pid_t) pid);
        g_assert_cmpint(outer, >, 0);
        g_assert_cmpint(outer, !=, (pid_t) pid);
        g_assert_cmpint(pc_process_inner_pid(outer), ==, (pid_t) pid);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid);

        g_autofree char *reason = NULL;
        gint32 status;
        pc_stop(fx, path, &reason, &status, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
}

/* Starts, inside the PID namespace of ns_pid, a `sleep` that gets PID
 * wanted there.  Returns its PID as seen from here; *helper is our child
 * that waits for it.  Only async-signal-safe calls after fork. */
static pid_t recycle_pid(pid_t ns_pid, pid_t wanted, pid_t *helper) {
        g_autofree char *ns_path = g_strdup_printf("/proc/%d/ns/pid", (int) ns_pid);
        int nsfd = open(ns_path, O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(nsfd, >=, 0);
        char last[32];
        int last_len = snprintf(last, sizeof last, "%d", (int) wanted - 1);
        const char *const sleep_argv[] = { "sleep", "60", NULL };
        const char *const sleep_env[] = { "PATH=/usr/bin:/bin", NULL };
        int report[2];
        pc_pipe(report);

        pid_t a = fork();
        g_assert_cmpint(a, >=, 0);
        if (a == 0) {
                /* Our children are born in the daemon's namespace. */
                if (setns(nsfd, CLONE_NEWPID) < 0)
                        _exit(10);

                /* One of them, being inside, sets the namespace's last PID. */
                pid_t b = fork();
                if (b < 0)
                        _exit(11);
                if (b == 0) {
                        int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
                        if (fd < 0 || write(fd, last, last_len) != last_len)
                                _exit(1);
                        _exit(0);
                }
                int st;
                if (waitpid(b, &st, 0) != b || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                        _exit(12);

                /* The next one gets the PID after it. */
                pid_t c = fork();
                if (c < 0)
                        _exit(13);
                if (c == 0) {
                        execve("/bin/sleep", (char *const *) sleep_argv, (char *const *) sleep_env);
                        _exit(127);
                }
                if (write(report[1], &c, sizeof c) != sizeof c)
                        _exit(14);
                waitpid(c, &st, 0);
                _exit(0);
        }

        close(nsfd);
        close(report[1]);
        pid_t c = 0;
        ssize_t n = read(report[0], &c, sizeof c);
        close(report[0]);
        if (n != sizeof c) {
                int st = 0;
                waitpid(a, &st, 0);
                pc_fail("recycling PID %d failed (helper exit status %d)", (int) wanted,
                        WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
        *helper = a;
        return c;
}

static gboolean pid_gone(gpointer user_data) {
        return pc_process_state(GPOINTER_TO_INT(user_data)) == 0;
}

static void test_signal_never_reaches_recycled_pid(PcFixture *fx) {
        g_autoptr(GError) error = NULL;

        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), &pid);
        pid_t outer = pc_find_outer_pid(fx->daemon_pid, (pid_t) pid);
        g_assert_cmpint(outer, >, 0);

        /* Killed from outside the daemon; the daemon sees the exit. */
        g_assert_cmpint(kill(outer, SIGKILL), ==, 0);
        pc_assert_wait_result(fx, path, "killed", SIGKILL);
        /* Wait may be answered before the zombie is reaped (sd-event reaps
         * once the exit has been handled): the PID is free only after that. */
        g_assert_true(pc_poll_until(pid_gone, GINT_TO_POINTER(outer), PC_TIMEOUT_MS));

        /* Someone else gets the same PID in that namespace. */
        pid_t helper;
        pid_t recycled = recycle_pid(fx->daemon_pid, (pid_t) pid, &helper);
        g_assert_cmpint(pc_process_inner_pid(recycled), ==, (pid_t) pid);
        g_test_message("PID %u recycled: outer %d before, outer %d now", pid, (int) outer, (int) recycled);

        /* Nothing sent through the old object reaches it. */
        const struct {
                const char *object, *iface, *method;
                GVariant *params;
        } calls[] = {
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, 0) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal", g_variant_new("(oi)", path, SIGKILL) },
                { PC_MANAGER_PATH, PC_MANAGER_IFACE, "SignalGroup", g_variant_new("(oi)", path, SIGKILL) },
                { path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", SIGTERM) },
                { path, PC_PROCESS_IFACE, "SignalGroup", g_variant_new("(i)", SIGTERM) },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
                g_autoptr(GVariant) reply = pc_call(fx, NULL, calls[i].object, calls[i].iface, calls[i].method,
                                                    calls[i].params, NULL, NULL, NULL, &error);
                g_assert_null(reply);
                pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
                g_clear_error(&error);
        }

        /* Stop on the exited process must not reach it either, whatever it
         * answers. */
        g_autoptr(GVariant) stop = pc_call(fx, NULL, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Stop",
                                           g_variant_new("(o)", path), NULL, NULL, NULL, &error);
        g_clear_error(&error);

        /* A round trip, then the recycled process must still be alive. */
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);
        g_assert_true(pc_process_is_alive(recycled));
        g_assert_cmpint(pc_process_inner_pid(recycled), ==, (pid_t) pid);

        /* And the record of the old one is unchanged. */
        g_autofree char *reason = pc_get_process_string(fx, path, "ExitReason");
        g_assert_cmpstr(reason, ==, "killed");
        g_autoptr(GVariant) es = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "ExitStatus", G_VARIANT_TYPE_INT32);
        g_assert_cmpint(g_variant_get_int32(es), ==, SIGKILL);

        kill(recycled, SIGKILL);
        int st;
        g_assert_cmpint(waitpid(helper, &st, 0), ==, helper);
        g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/pidns/pids-are-those-of-the-daemons-namespace", PC_FIXTURE_DAEMON_IN_PIDNS,
                    test_pids_are_of_the_daemons_namespace);
        pc_test_add("/pidns/signal-never-reaches-a-recycled-pid", PC_FIXTURE_DAEMON_IN_PIDNS,
                    test_signal_never_reaches_recycled_pid);

        return g_test_run();
}
