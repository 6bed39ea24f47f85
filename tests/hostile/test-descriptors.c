/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's descriptor limit, lowered from outside (prlimit): processes
 * are spawned until Spawn refuses.  The refusal names the reason, leaves no
 * process behind that the daemon does not track, and comes while enough
 * descriptors are still free to read any message: a burst of requests that
 * each carry as many descriptors as the bus allows is answered, not fatal.
 * (A daemon with fewer free descriptors than a message brings has the
 * message truncated by the kernel, and sd-bus then drops its connection.)
 */
#include <fcntl.h>
#include <sys/resource.h>

#include "fixture.h"

/* Room for the daemon's reserve and some dozens of processes. */
#define HEADROOM 600
/* The kernel's cap on descriptors in one message (SCM_MAX_FD): what the
 * daemon must always be able to take in. */
#define MESSAGE_FDS_MAX 253
/* The most a system bus lets one message carry (dbus-daemon's
 * max_message_unix_fds), and how many such requests arrive at once. */
#define BUS_MESSAGE_FDS 16
#define BURST 30

typedef struct {
        GError *error;
        gboolean done;
} Reply;

static void on_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        Reply *reply = user_data;
        g_autoptr(GVariant) v = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), NULL, res,
                                                                                 &reply->error);
        reply->done = TRUE;
}

static gboolean all_done(gpointer user_data) {
        Reply *replies = user_data;
        for (int i = 0; i < BURST; i++)
                if (!replies[i].done)
                        return FALSE;
        return TRUE;
}

/* Spawn of /bin/true passing BUS_MESSAGE_FDS descriptors as fds 3... */
static void send_spawn_with_descriptors(GDBusConnection *conn, Reply *reply) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        GVariantBuilder map;
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

        g_assert_cmpint(devnull, >=, 0);
        g_variant_builder_init(&map, G_VARIANT_TYPE("a{uh}"));
        for (int i = 0; i < BUS_MESSAGE_FDS; i++) {
                int h = g_unix_fd_list_append(fds, devnull, NULL);
                g_assert_cmpint(h, >=, 0);
                g_variant_builder_add(&map, "{uh}", (guint32) (3 + i), h);
        }
        close(devnull);
        g_dbus_connection_call_with_unix_fd_list(
                conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                g_variant_new("(^as@a{sv})", PC_ARGV("/bin/true"), pc_options("fds", g_variant_builder_end(&map), NULL)),
                G_VARIANT_TYPE("(ou)"), G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, fds, NULL, on_reply, reply);
}

static void test_out_of_descriptors_is_limit_exceeded_and_never_fatal(PcFixture *fx) {
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDBusConnection) other = pc_fixture_new_connection(fx);
        g_autoptr(GError) error = NULL;
        struct rlimit rl;
        guint spawned = 0, held;
        Reply replies[BURST] = { { 0 } };

        rl.rlim_cur = rl.rlim_max = pc_fixture_daemon_fd_count(fx) + HEADROOM;
        g_assert_cmpint(prlimit(fx->daemon_pid, RLIMIT_NOFILE, &rl, NULL), ==, 0);

        for (int i = 0; i < HEADROOM; i++) {
                char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL, &error);
                if (!path)
                        break;
                g_ptr_array_add(paths, path);
                spawned++;
        }
        /* Some processes started, then Spawn refused with a message an operator understands. */
        if (spawned == 0)
                g_printerr("first Spawn: %s\n", error ? error->message : "?");
        g_assert_cmpuint(spawned, >, 0);
        g_assert_cmpuint(spawned, <, HEADROOM);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "file descriptors"));

        /* It refused while a message's worth of descriptors was still free. */
        held = pc_fixture_daemon_fd_count(fx);
        g_assert_cmpuint(rl.rlim_cur - held, >=, MESSAGE_FDS_MAX);

        /* Every process the daemon started is one it tracks. */
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, FALSE);
        g_assert_cmpuint(children->len, ==, spawned);
        g_assert_cmpuint(pc_get_process_count(fx), ==, spawned);

        /* A burst of requests full of descriptors, from two connections: each
         * is answered with the same refusal, and the daemon stays. */
        for (int i = 0; i < BURST; i++)
                send_spawn_with_descriptors(i % 2 ? other : fx->conn, &replies[i]);
        g_assert_true(pc_poll_until(all_done, replies, PC_TIMEOUT_MS));
        for (int i = 0; i < BURST; i++) {
                pc_assert_dbus_error(replies[i].error, PC_ERROR_LIMIT_EXCEEDED);
                g_clear_error(&replies[i].error);
        }
        g_assert_cmpuint(pc_get_process_count(fx), ==, spawned);
        g_assert_cmpuint(pc_fixture_daemon_fd_count(fx), ==, held);

        /* It recovers once descriptors are free again. */
        for (guint i = 0; i < paths->len; i++) {
                g_autofree char *reason = NULL;
                gint32 status;
                g_assert_true(pc_stop(fx, g_ptr_array_index(paths, i), &reason, &status, NULL));
                g_assert_true(pc_release(fx, g_ptr_array_index(paths, i), NULL));
        }
        g_clear_error(&error);
        g_autofree char *again = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(again);
        g_dbus_connection_close_sync(other, NULL, NULL);
}

/* 600 Wait calls, each with BUS_MESSAGE_FDS descriptors it has no use for,
 * once made the daemon hold 9,600 of the caller's descriptors.  A pending
 * Wait keeps a prepared reply, not the call. */
#define PENDING_WAITS 600
/* The bus lets a connection wait for at most 128 replies (Debian's
 * max_replies_per_connection): the Waits come from several. */
#define WAIT_CONNECTIONS 8

typedef struct {
        guint done, failed;
} WaitReplies;

static void on_wait_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        WaitReplies *w = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), NULL, res,
                                                                                 &error);
        w->done++;
        if (!v)
                w->failed++;
}

static gboolean all_waits_done(gpointer user_data) {
        WaitReplies *w = user_data;
        return w->done == PENDING_WAITS;
}

static void test_pending_waits_hold_none_of_the_calls_descriptors(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL, &error);
        GDBusConnection *conns[WAIT_CONNECTIONS];
        WaitReplies replies = { 0 };
        struct rlimit rl;
        guint before;

        g_assert_no_error(error);
        if (g_strcmp0(g_getenv("PROCCTL_TEST_BUS"), "dbus-broker") == 0) {
                /* dbus-broker caps a user's descriptors in flight itself and
                 * disconnects the sender: the attack never reaches procctld. */
                g_test_skip("dbus-broker refuses this many descriptors in flight; the attack needs dbus-daemon");
                return;
        }
        /* The test holds the descriptors of the calls not yet sent. */
        g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
        rl.rlim_cur = rl.rlim_max;
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);

        for (int c = 0; c < WAIT_CONNECTIONS; c++)
                conns[c] = pc_fixture_new_connection(fx);
        /* Each connection known to the daemon before counting. */
        for (int c = 0; c < WAIT_CONNECTIONS; c++) {
                g_autoptr(GVariant) v = pc_call(fx, conns[c], path, PC_PROCESS_IFACE, "Signal", g_variant_new("(i)", 0),
                                                NULL, NULL, NULL, &error);
                g_assert_no_error(error);
        }
        before = pc_fixture_daemon_fd_count(fx);
        for (int i = 0; i < PENDING_WAITS; i++) {
                g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                g_assert_cmpint(devnull, >=, 0);
                for (int k = 0; k < BUS_MESSAGE_FDS; k++)
                        g_assert_cmpint(g_unix_fd_list_append(fds, devnull, NULL), >=, 0);
                close(devnull);
                g_dbus_connection_call_with_unix_fd_list(conns[i % WAIT_CONNECTIONS], PC_BUS_NAME, path, PC_PROCESS_IFACE,
                                                         "Wait", NULL,
                                                         G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL,
                                                         on_wait_reply, &replies);
        }
        /* Answered in order: once these are, every Wait has been taken in. */
        for (int c = 0; c < WAIT_CONNECTIONS; c++) {
                g_autoptr(GVariant) v = pc_call(fx, conns[c], PC_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                                                g_variant_new("(ss)", PC_MANAGER_IFACE, "ProcessCount"), NULL, NULL, NULL,
                                                &error);
                g_assert_no_error(error);
        }
        g_assert_cmpuint(replies.done, ==, 0);
        /* A few for the event loop's own use, never the calls' 9,600. */
        g_assert_cmpuint(pc_fixture_daemon_fd_count(fx), <=, before + 8);

        g_assert_true(pc_stop(fx, path, NULL, NULL, NULL));
        g_assert_true(pc_poll_until(all_waits_done, &replies, PC_TIMEOUT_MS));
        g_assert_cmpuint(replies.failed, ==, 0);
        for (int c = 0; c < WAIT_CONNECTIONS; c++) {
                g_dbus_connection_close_sync(conns[c], NULL, NULL);
                g_object_unref(conns[c]);
        }
}

/* Processes with a restart policy keep the descriptors they were given
 * (here BUS_MESSAGE_FDS each) for their later runs, also while they wait
 * for the next one.  Those count against the reserve like every other
 * descriptor the daemon holds: Spawn is refused while a message's worth is
 * still free, and the daemon stays. */
static void test_descriptors_kept_for_restarts_count_against_the_reserve(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        struct rlimit rl;
        guint spawned = 0;

        rl.rlim_cur = rl.rlim_max = pc_fixture_daemon_fd_count(fx) + HEADROOM;
        g_assert_cmpint(prlimit(fx->daemon_pid, RLIMIT_NOFILE, &rl, NULL), ==, 0);

        for (; spawned < HEADROOM; spawned++) {
                g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
                GVariantBuilder map;
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

                g_assert_cmpint(devnull, >=, 0);
                g_variant_builder_init(&map, G_VARIANT_TYPE("a{uh}"));
                for (int i = 0; i < BUS_MESSAGE_FDS; i++)
                        g_variant_builder_add(&map, "{uh}", (guint32) (3 + i), g_unix_fd_list_append(fds, devnull, NULL));
                close(devnull);
                /* It ends at once and waits an hour for its next run. */
                g_autofree char *path = pc_fixture_spawn(
                        fx, PC_ARGV("/bin/true"),
                        pc_options("fds", g_variant_builder_end(&map), "restart", g_variant_new_string("always"),
                                   "restart-delay", g_variant_new_uint64(3600ULL * 1000000ULL), NULL),
                        fds, NULL, &error);
                if (!path)
                        break;
        }
        g_assert_cmpuint(spawned, >, 0);
        g_assert_cmpuint(spawned, <, HEADROOM);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "file descriptors"));
        g_assert_cmpuint(rl.rlim_cur - pc_fixture_daemon_fd_count(fx), >=, MESSAGE_FDS_MAX);
        g_assert_cmpuint(pc_get_process_count(fx), ==, spawned);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_test_add("/hostile/limits/out-of-descriptors-is-limit-exceeded-and-never-fatal", PC_FIXTURE_NEEDS_ROOT,
                    test_out_of_descriptors_is_limit_exceeded_and_never_fatal);
        pc_test_add("/hostile/limits/pending-waits-hold-none-of-the-calls-descriptors", PC_FIXTURE_DEFAULT,
                    test_pending_waits_hold_none_of_the_calls_descriptors);
        pc_test_add("/hostile/limits/descriptors-kept-for-restarts-count-against-the-reserve", PC_FIXTURE_NEEDS_ROOT,
                    test_descriptors_kept_for_restarts_count_against_the_reserve);
        return g_test_run();
}
