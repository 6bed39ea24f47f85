/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * One procctld, 10,000 children at once: every one is tracked, counted and
 * listed, lookups by object path still find the first and the last, and
 * stopping them all answers every Stop, and the Wait pending on each, with
 * the status the child really ended with; then nothing is left.  Behaviour only: how fast is bench/scale's
 * business, as figures, not assertions.
 *
 * Calls are pipelined, PC_WINDOW in flight at a time on the test's one
 * connection (the bus allows 128 pending replies per connection by default).
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

#include "fixture.h"

#define PC_CHILDREN 10000
#define PC_WINDOW 64
/* Per call; the daemon may be busy with the other calls in flight. */
#define PC_BATCH_CALL_TIMEOUT_MS 60000
/* For a whole batch of PC_CHILDREN calls (spawning them took up to 90 s on
 * a busy 2-core VM). */
#define PC_BATCH_TIMEOUT_MS 240000
/* pc-idle exits by itself after this, should the test die half-way. */
#define PC_IDLE_SECONDS "300"

/* --- Pipelined calls ------------------------------------------------- */

typedef struct Batch Batch;

typedef struct {
        Batch *batch;
        guint index;
} BatchSlot;

struct Batch {
        PcFixture *fx;
        const char *method;
        const GVariantType *reply_type;
        guint n, next, done;
        /* The parameters of call i (floating is fine). */
        GVariant *(*params)(Batch *b, guint i);
        /* Checks reply i; returns a message describing what is wrong, or NULL. */
        char *(*check)(Batch *b, guint i, GVariant *reply);
        BatchSlot *slots;
        char *first_failure;
        guint n_failures;

        /* The children, filled by the Spawn batch. */
        char **paths;
        guint32 *pids;
};

static void batch_send(Batch *b);

static void batch_reply(GObject *source, GAsyncResult *result, gpointer user_data) {
        BatchSlot *slot = user_data;
        Batch *b = slot->batch;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        char *failure = NULL;

        b->done++;
        if (!reply)
                failure = g_strdup_printf("%s %u failed: %s", b->method, slot->index, error->message);
        else
                failure = b->check(b, slot->index, reply);
        if (failure) {
                b->n_failures++;
                if (!b->first_failure)
                        b->first_failure = failure;
                else
                        g_free(failure);
        }
        batch_send(b);
}

static void batch_send(Batch *b) {
        /* After a failure, only what is in flight is collected. */
        while (b->n_failures == 0 && b->next < b->n && b->next - b->done < PC_WINDOW) {
                guint i = b->next++;
                g_dbus_connection_call(b->fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, b->method,
                                       b->params(b, i), b->reply_type, G_DBUS_CALL_FLAGS_NONE,
                                       PC_BATCH_CALL_TIMEOUT_MS, NULL, batch_reply, &b->slots[i]);
        }
}

static gboolean batch_finished(gpointer user_data) {
        Batch *b = user_data;
        return b->done == b->next && (b->next == b->n || b->n_failures > 0);
}

/* Kills every child of the daemon (and its group), so that a failing test
 * does not leave ten thousand processes behind, then fails. */
#define fail_killing_children(fx, ...)                                                     \
        do {                                                                               \
                kill_daemon_children(fx);                                                  \
                pc_fail(__VA_ARGS__);                                                      \
        } while (0)

static void kill_daemon_children(PcFixture *fx) {
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, FALSE);
        for (guint i = 0; i < children->len; i++) {
                pid_t c = g_array_index(children, pid_t, i);
                kill(-c, SIGKILL);
                kill(c, SIGKILL);
        }
}

/* Runs the batch to its end; fails the test with the first failure. */
static void batch_run(Batch *b, const char *method, const GVariantType *reply_type,
                      GVariant *(*params)(Batch *, guint), char *(*check)(Batch *, guint, GVariant *)) {
        b->method = method;
        b->reply_type = reply_type;
        b->params = params;
        b->check = check;
        b->next = b->done = b->n_failures = 0;
        g_clear_pointer(&b->first_failure, g_free);
        if (!b->slots) {
                b->slots = g_new0(BatchSlot, b->n);
                for (guint i = 0; i < b->n; i++)
                        b->slots[i] = (BatchSlot) { .batch = b, .index = i };
        }

        batch_send(b);
        if (!pc_poll_until(batch_finished, b, PC_BATCH_TIMEOUT_MS))
                fail_killing_children(b->fx, "%s: only %u of %u calls answered within %d ms", method, b->done, b->n,
                                      PC_BATCH_TIMEOUT_MS);
        if (b->n_failures > 0)
                fail_killing_children(b->fx, "%u of %u %s calls failed; the first: %s", b->n_failures, b->n, method,
                                      b->first_failure);
}

static void batch_done(Batch *b) {
        if (b->paths)
                for (guint i = 0; i < b->n; i++)
                        g_free(b->paths[i]);
        g_free(b->paths);
        g_free(b->pids);
        g_free(b->slots);
        g_free(b->first_failure);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Batch, batch_done)

/* Spawn */

static GVariant *spawn_params(Batch *b, guint i) {
        const char *argv[] = { PC_IDLE_PATH, PC_IDLE_SECONDS, NULL };
        return g_variant_new("(^as@a{sv})", argv, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

static char *spawn_check(Batch *b, guint i, GVariant *reply) {
        const char *path;
        guint32 pid;

        g_variant_get(reply, "(&ou)", &path, &pid);
        if (!g_str_has_prefix(path, PC_PROCESS_PREFIX) || pid == 0)
                return g_strdup_printf("Spawn %u answered %s, pid %u", i, path, pid);
        b->paths[i] = g_strdup(path);
        b->pids[i] = pid;
        return NULL;
}

/* The end: Wait, Stop, Release of each child.
 *
 * A Wait is pending when the child is stopped, and both must answer with
 * SIGTERM; then the record is released.  Child by child, PC_WINDOW / 2 in
 * flight: the daemon keeps only so many exited records per user (the
 * oldest beyond that are forgotten, as the contract allows), so 10,000
 * stopped children cannot all be waited for afterwards. */

typedef struct {
        Batch *batch;
        guint index;
        guint answers; /* of Wait and Stop */
} Ending;

static void ending_failed(Batch *b, char *failure) {
        b->n_failures++;
        if (!b->first_failure)
                b->first_failure = failure;
        else
                g_free(failure);
}

static void ending_send(Batch *b);

static void ending_released(GObject *source, GAsyncResult *result, gpointer user_data) {
        Ending *e = user_data;
        Batch *b = e->batch;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);

        b->done++;
        if (!reply)
                ending_failed(b, g_strdup_printf("Release of %s failed: %s", b->paths[e->index], error->message));
        g_free(e);
        ending_send(b);
}

static void ending_answered(GObject *source, GAsyncResult *result, gpointer user_data) {
        Ending *e = user_data;
        Batch *b = e->batch;
        const char *method = e->answers == 0 ? "Wait" : "Stop"; /* one connection: answers come in order */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        const char *reason;
        gint32 status;

        if (!reply) {
                ending_failed(b, g_strdup_printf("%s of %s failed: %s", method, b->paths[e->index], error->message));
        } else {
                g_variant_get(reply, "(&si)", &reason, &status);
                if (g_strcmp0(reason, "killed") != 0 || status != SIGTERM)
                        ending_failed(b, g_strdup_printf("%s of %s (pid %u) answered %s %d, expected killed %d", method,
                                                         b->paths[e->index], b->pids[e->index], reason, status, SIGTERM));
        }
        if (++e->answers < 2)
                return;
        g_dbus_connection_call(b->fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Release",
                               g_variant_new("(o)", b->paths[e->index]), G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE,
                               PC_BATCH_CALL_TIMEOUT_MS, NULL, ending_released, e);
}

static void ending_send(Batch *b) {
        while (b->n_failures == 0 && b->next < b->n && b->next - b->done < PC_WINDOW / 2) {
                Ending *e = g_new0(Ending, 1);
                e->batch = b;
                e->index = b->next++;
                g_dbus_connection_call(b->fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait",
                                       g_variant_new("(o)", b->paths[e->index]), G_VARIANT_TYPE("(si)"),
                                       G_DBUS_CALL_FLAGS_NONE, PC_BATCH_CALL_TIMEOUT_MS, NULL, ending_answered, e);
                g_dbus_connection_call(b->fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Stop",
                                       g_variant_new("(o)", b->paths[e->index]), G_VARIANT_TYPE("(si)"),
                                       G_DBUS_CALL_FLAGS_NONE, PC_BATCH_CALL_TIMEOUT_MS, NULL, ending_answered, e);
        }
}

/* Waits for, stops and releases every child; fails with the first failure. */
static void end_all(Batch *b) {
        b->method = "Wait+Stop+Release";
        b->next = b->done = b->n_failures = 0;
        g_clear_pointer(&b->first_failure, g_free);

        ending_send(b);
        if (!pc_poll_until(batch_finished, b, PC_BATCH_TIMEOUT_MS))
                fail_killing_children(b->fx, "only %u of %u children were waited for, stopped and released within %d ms",
                                      b->done, b->n, PC_BATCH_TIMEOUT_MS);
        if (b->n_failures > 0)
                fail_killing_children(b->fx, "ending %u of %u children failed; the first: %s", b->n_failures, b->n,
                                      b->first_failure);
}

/* --- The test ---------------------------------------------------------- */

/* Seconds since *t, which is then reset to now: for the log, never asserted. */
static double seconds_since(gint64 *t) {
        gint64 now = g_get_monotonic_time();
        double s = (now - *t) / 1e6;
        *t = now;
        return s;
}

/* What the machine must allow for 10,000 more processes, and the daemon
 * for 10,000 more pidfds; NULL if it does. */
static char *missing_capacity(void) {
        g_autofree char *pid_max = NULL;
        struct rlimit rl;

        if (g_file_get_contents("/proc/sys/kernel/pid_max", &pid_max, NULL, NULL) &&
            g_ascii_strtoull(pid_max, NULL, 10) < PC_CHILDREN + 2048)
                return g_strdup_printf("kernel.pid_max is %s too low for %d more processes", g_strstrip(pid_max),
                                       PC_CHILDREN);
        /* procctld raises its soft limit to the hard one it inherits from here,
         * and keeps an eighth of it (at least 512) free, besides a pidfd per child. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
            rl.rlim_max < PC_CHILDREN + PC_CHILDREN / 4 + 1024)
                return g_strdup_printf("the hard RLIMIT_NOFILE (%llu) is too low for procctld to hold %d pidfds",
                                       (unsigned long long) rl.rlim_max, PC_CHILDREN);
        if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            rl.rlim_cur < PC_CHILDREN + 1024)
                return g_strdup_printf("RLIMIT_NPROC (%llu) is too low for %d more processes",
                                       (unsigned long long) rl.rlim_cur, PC_CHILDREN);
        return NULL;
}

static void test_ten_thousand_children(PcFixture *fx) {
        g_auto(Batch) b = { .fx = fx, .n = PC_CHILDREN };
        g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GError) error = NULL;
        g_autofree char *missing = missing_capacity();
        g_autofree char *command_line = g_strdup_printf("%s %s", PC_IDLE_PATH, PC_IDLE_SECONDS);
        g_autofree char *past_last = NULL;
        guint64 last_id;
        gint64 t = g_get_monotonic_time();

        if (missing) {
                g_test_skip(missing);
                return;
        }

        /* Every child is tracked... */
        b.paths = g_new0(char *, PC_CHILDREN);
        b.pids = g_new0(guint32, PC_CHILDREN);
        batch_run(&b, "Spawn", G_VARIANT_TYPE("(ou)"), spawn_params, spawn_check);
        g_test_message("spawned %d children in %.1f s", PC_CHILDREN, seconds_since(&t));
        for (guint i = 0; i < PC_CHILDREN; i++)
                if (!g_hash_table_insert(index, b.paths[i], GUINT_TO_POINTER(i + 1)))
                        fail_killing_children(fx, "Spawn gave %s twice", b.paths[i]);

        /* ...counted... */
        if (pc_get_process_count(fx) != PC_CHILDREN)
                fail_killing_children(fx, "ProcessCount is %u with %d children running", pc_get_process_count(fx),
                                      PC_CHILDREN);

        /* ...and listed, each once, running, with its pid and command line. */
        {
                g_autoptr(GVariant) list = pc_manager_call(fx, "ListProcesses", NULL, G_VARIANT_TYPE("(a(ouuss))"), &error);
                g_autoptr(GVariantIter) iter = NULL;
                g_autofree gboolean *seen = g_new0(gboolean, PC_CHILDREN);
                const char *path, *state, *cmdline;
                guint32 pid, uid;
                guint n = 0;

                if (!list)
                        fail_killing_children(fx, "ListProcesses failed: %s", error->message);
                g_variant_get(list, "(a(ouuss))", &iter);
                while (g_variant_iter_next(iter, "(&ouu&s&s)", &path, &pid, &uid, &state, &cmdline)) {
                        guint i = GPOINTER_TO_UINT(g_hash_table_lookup(index, path));
                        n++;
                        if (i == 0)
                                fail_killing_children(fx, "ListProcesses lists %s, which the test did not spawn", path);
                        i--;
                        if (seen[i])
                                fail_killing_children(fx, "ListProcesses lists %s twice", path);
                        seen[i] = TRUE;
                        if (pid != b.pids[i] || uid != geteuid() || g_strcmp0(state, "running") != 0 ||
                            g_strcmp0(cmdline, command_line) != 0)
                                fail_killing_children(fx, "ListProcesses lists %s as (pid %u, uid %u, %s, \"%s\"), "
                                                      "expected (pid %u, uid %u, running, \"%s\")", path, pid, uid,
                                                      state, cmdline, b.pids[i], (unsigned) geteuid(), command_line);
                }
                if (n != PC_CHILDREN)
                        fail_killing_children(fx, "ListProcesses lists %u processes, expected %d", n, PC_CHILDREN);
                g_test_message("listed %d processes in %.1f s", PC_CHILDREN, seconds_since(&t));
        }

        /* Lookups still find the first and the last, through Manager1 and on
         * the objects, and an id past the last is no process. */
        for (guint k = 0; k < 2; k++) {
                guint i = k == 0 ? 0 : PC_CHILDREN - 1;
                g_autoptr(GVariant) reply = NULL;

                if (!pc_signal(fx, b.paths[i], 0, &error))
                        fail_killing_children(fx, "Signal(%s, 0) failed: %s", b.paths[i], error->message);
                reply = pc_call(fx, NULL, b.paths[i], PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", 0), NULL, NULL,
                                NULL, &error);
                if (!reply)
                        fail_killing_children(fx, "Process1.Signal(0) on %s failed: %s", b.paths[i], error->message);
                if (pc_get_process_u32(fx, b.paths[i], "Pid") != b.pids[i])
                        fail_killing_children(fx, "%s has Pid %u, Spawn said %u", b.paths[i],
                                              pc_get_process_u32(fx, b.paths[i], "Pid"), b.pids[i]);
        }
        last_id = g_ascii_strtoull(b.paths[PC_CHILDREN - 1] + strlen(PC_PROCESS_PREFIX), NULL, 10);
        past_last = g_strdup_printf(PC_PROCESS_PREFIX "%" G_GUINT64_FORMAT, last_id + 1);
        if (pc_signal(fx, past_last, 0, &error))
                fail_killing_children(fx, "Signal(%s, 0) succeeded, but no such process was spawned", past_last);
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        g_clear_error(&error);

        /* Stopping each answers its Stop and the Wait pending on it with the
         * real end, SIGTERM... */
        end_all(&b);
        g_test_message("waited for, stopped and released %d children in %.1f s", PC_CHILDREN, seconds_since(&t));
        /* ...and once all are released, nothing is left: no record, no child, no zombie. */
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);
        {
                g_autoptr(GArray) left = pc_process_children(fx->daemon_pid, TRUE);
                if (left->len > 0)
                        fail_killing_children(fx, "procctld still has %u children (pid %d first) after all were released",
                                              left->len, g_array_index(left, pid_t, 0));
        }
}

int main(int argc, char **argv) {
        struct rlimit rl;

        pc_test_init(&argc, &argv);

        /* procctld inherits the hard descriptor limit from here and raises its
         * soft one to it: as root, make room for 10,000 pidfds. */
        if (geteuid() == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
            rl.rlim_max < PC_CHILDREN + 4096) {
                rl.rlim_max = PC_CHILDREN + 4096;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        g_printerr("# could not raise RLIMIT_NOFILE to %llu: %s\n", (unsigned long long) rl.rlim_max,
                                   g_strerror(errno));
        }

        pc_test_add("/scale/ten-thousand-children-are-tracked-listed-and-stopped", PC_FIXTURE_DEFAULT,
                    test_ten_thousand_children);
        return g_test_run();
}
