/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Captured output (Spawn's `output: capture`): entries with their stream and
 * time, a bounded buffer that keeps the newest bytes and counts the rest,
 * ReadOutput's paging, FollowOutput until every writer has gone, followers
 * that are slow or leave, who may read it, and what it costs its owner.
 */

#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY_UID 65534
#define NOBODY_GID 65534
/* For nobody's captures: 2 MB of records and output held (root is exempt). */
#define BUDGET_OPTION "--max-bytes-per-user=2000000"

static GVariant *capture(guint64 max) {
        if (max == 0)
                return pc_options("output", g_variant_new_string("capture"), NULL);
        return pc_options("output", g_variant_new_string("capture"), "output-max", g_variant_new_uint64(max), NULL);
}

typedef struct {
        GString *out;    /* stdout's bytes */
        GString *err;    /* stderr's bytes */
        GString *all;    /* both, in the order of the entries */
        guint n_entries;
        guint64 next;
        guint64 dropped;
} Read;

static void read_clear(Read *r) {
        if (r->out)
                g_string_free(r->out, TRUE);
        if (r->err)
                g_string_free(r->err, TRUE);
        if (r->all)
                g_string_free(r->all, TRUE);
        *r = (Read) {};
}

/* One ReadOutput, its entries checked (stream 1 or 2, realtime between since and now, in order). */
static gboolean read_output(PcFixture *fx, const char *path, guint64 cursor, guint32 max, guint64 since, Read *r,
                            GError **error) {
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "ReadOutput",
                                            g_variant_new("(tu)", cursor, max), G_VARIANT_TYPE("(a(tuay)tt)"), NULL, NULL,
                                            error);
        if (!reply)
                return FALSE;
        g_autoptr(GVariant) entries = g_variant_get_child_value(reply, 0);
        g_variant_get_child(reply, 1, "t", &r->next);
        g_variant_get_child(reply, 2, "t", &r->dropped);
        if (!r->out) {
                r->out = g_string_new(NULL);
                r->err = g_string_new(NULL);
                r->all = g_string_new(NULL);
        }
        guint64 last = since, now = (guint64) g_get_real_time();
        for (gsize i = 0; i < g_variant_n_children(entries); i++) {
                guint64 usec;
                guint32 stream;
                g_autoptr(GVariant) bytes = NULL;
                g_variant_get_child(entries, i, "(tu@ay)", &usec, &stream, &bytes);
                gsize n;
                const char *data = g_variant_get_fixed_array(bytes, &n, 1);
                g_assert_cmpuint(n, >, 0);
                g_assert_true(stream == 1 || stream == 2);
                g_assert_cmpuint(usec, >=, last);
                g_assert_cmpuint(usec, <=, now);
                last = usec;
                g_string_append_len(stream == 1 ? r->out : r->err, data, (gssize) n);
                g_string_append_len(r->all, data, (gssize) n);
                r->n_entries++;
        }
        return TRUE;
}

static void read_all(PcFixture *fx, const char *path, guint64 since, Read *r) {
        g_autoptr(GError) error = NULL;
        g_assert_true(read_output(fx, path, 0, G_MAXUINT32, since, r, &error));
        g_assert_no_error(error);
}

static int follow(PcFixture *fx, const char *path, guint64 cursor, GError **error) {
        g_autoptr(GUnixFDList) fds = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "FollowOutput", g_variant_new("(t)", cursor),
                                            G_VARIANT_TYPE("(h)"), NULL, &fds, error);
        if (!reply)
                return -1;
        gint32 idx;
        g_variant_get(reply, "(h)", &idx);
        return g_unix_fd_list_get(fds, idx, error);
}

static char *spawn_with_fds(PcFixture *fx, const char *const *argv, GVariant *options, GUnixFDList *fds) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, options, fds, NULL, &error);
        g_assert_no_error(error);
        return path;
}

/* Spawns argv capturing its output, with one end of a new pipe as its
 * `stream` ("stdin": the read end; "stdout": the write end); the other end
 * is the test's, in *ret_fd.  extra: one more option (key, value) or NULL. */
static char *spawn_with_pipe(PcFixture *fx, const char *const *argv, const char *stream, const char *extra_key,
                             GVariant *extra_value, int *ret_fd) {
        int p[2];
        gboolean in = g_str_equal(stream, "stdin");
        pc_pipe(p);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx = g_unix_fd_list_append(fds, p[in ? 0 : 1], NULL);
        close(p[in ? 0 : 1]);
        *ret_fd = p[in ? 1 : 0];
        GVariant *options = pc_options("output", g_variant_new_string("capture"), stream, g_variant_new_handle(idx),
                                       extra_key, extra_value, NULL);
        return spawn_with_fds(fx, argv, options, fds);
}

static void test_features_name_output(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        g_assert_true(g_strv_contains((const char *const *) features, "output"));
}

static void test_entries_keep_each_stream_in_order_with_timestamps(PcFixture *fx) {
        guint64 since = (guint64) g_get_real_time();
        g_autofree char *path = pc_spawn_ok(
                fx, PC_ARGV("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do echo out$i; echo err$i >&2; done"), capture(0),
                NULL);
        pc_assert_wait_result(fx, path, "exited", 0);

        Read r = {};
        read_all(fx, path, since, &r);
        g_assert_cmpstr(r.out->str, ==, "out1\nout2\nout3\nout4\nout5\nout6\nout7\nout8\nout9\n");
        g_assert_cmpstr(r.err->str, ==, "err1\nerr2\nerr3\nerr4\nerr5\nerr6\nerr7\nerr8\nerr9\n");
        g_assert_cmpuint(r.next, ==, r.out->len + r.err->len);
        g_assert_cmpuint(r.dropped, ==, 0);
        g_assert_cmpuint(r.n_entries, >=, 2);
        read_clear(&r);
}

static void test_everything_written_before_exit_is_there_when_wait_returns(PcFixture *fx) {
        /* More than the pipe holds, so the daemon reads while it runs, and
         * then the rest once it exited, each time. */
        for (int i = 0; i < 10; i++) {
                g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/usr/bin/head", "-c", "300001", "/dev/zero"), capture(0),
                                                    NULL);
                pc_assert_wait_result(fx, path, "exited", 0);
                Read r = {};
                read_all(fx, path, 0, &r);
                g_assert_cmpuint(r.next, ==, 300001);
                g_assert_cmpuint(r.out->len, ==, 300001);
                read_clear(&r);
                g_assert_true(pc_release(fx, path, NULL));

                path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "printf x; printf y >&2"), capture(0), NULL);
                pc_assert_wait_result(fx, path, "exited", 0);
                read_all(fx, path, 0, &r);
                g_assert_cmpstr(r.out->str, ==, "x");
                g_assert_cmpstr(r.err->str, ==, "y");
                read_clear(&r);
        }
}

static void test_a_bounded_buffer_keeps_the_newest_bytes_and_counts_the_rest(PcFixture *fx) {
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/usr/bin/seq", "1", "3000"), capture(4096), NULL);
        pc_assert_wait_result(fx, path, "exited", 0);

        g_autoptr(GString) expected = g_string_new(NULL);
        for (int i = 1; i <= 3000; i++)
                g_string_append_printf(expected, "%d\n", i);

        Read r = {};
        read_all(fx, path, 0, &r);
        g_assert_cmpuint(r.next, ==, expected->len);
        g_assert_cmpuint(r.out->len, <=, 4096);
        g_assert_cmpuint(r.out->len, >=, 4096 - 64); /* only the headers of small entries may cost some */
        g_assert_cmpuint(r.dropped + r.out->len, ==, expected->len);
        g_assert_cmpstr(r.out->str, ==, expected->str + r.dropped);
        read_clear(&r);

        /* Paging with a small max_bytes from an old cursor gives the same bytes. */
        Read paged = {};
        guint64 cursor = 1; /* older than the start: reads from the start */
        g_autoptr(GError) error = NULL;
        for (int i = 0; i < 1000; i++) {
                guint64 before = paged.all ? paged.all->len : 0;
                g_assert_true(read_output(fx, path, cursor, 100, 0, &paged, &error));
                g_assert_no_error(error);
                g_assert_cmpuint(paged.all->len - before, <=, 100);
                if (paged.next == cursor)
                        break;
                cursor = paged.next;
        }
        g_assert_cmpuint(cursor, ==, expected->len);
        g_assert_cmpstr(paged.all->str, ==, expected->str + paged.dropped);
        read_clear(&paged);

        /* A cursor past the end reads nothing. */
        Read past = {};
        g_assert_true(read_output(fx, path, G_MAXUINT64, 100, 0, &past, &error));
        g_assert_cmpuint(past.n_entries, ==, 0);
        g_assert_cmpuint(past.next, ==, expected->len);
        read_clear(&past);
}

static void test_a_read_stays_bounded(PcFixture *fx) {
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/usr/bin/head", "-c", "6000000", "/dev/zero"), capture(8000000),
                                            NULL);
        pc_assert_wait_result(fx, path, "exited", 0);
        Read r = {};
        read_all(fx, path, 0, &r);
        g_assert_cmpuint(r.out->len, ==, 4 * 1024 * 1024);
        g_assert_cmpuint(r.next, ==, 4 * 1024 * 1024);
        read_clear(&r);
}

static void test_follow_goes_on_until_every_writer_has_gone(PcFixture *fx) {
        g_autofree char *fifo = pc_fixture_out_path(fx, "go");
        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_autofree char *script = g_strdup_printf("echo one; (read x < %s; echo three; echo four) & echo two", fifo);
        g_auto(GStrv) features = pc_features(fx);
        /* With a cgroup per process, what the main process leaves is stopped
         * with it unless kill-mode says otherwise. */
        GVariant *options = g_strv_contains((const char *const *) features, "cgroup")
                                    ? pc_options("output", g_variant_new_string("capture"), "kill-mode",
                                                 g_variant_new_string("process"), NULL)
                                    : capture(0);
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", script), options, NULL);
        /* The main process is gone; its child still holds both streams.
         * (One stream: the two are interleaved as the daemon reads them.) */
        pc_assert_wait_result(fx, path, "exited", 0);

        g_autoptr(GError) error = NULL;
        int from_start = follow(fx, path, 0, &error);
        g_assert_no_error(error);
        int from_four = follow(fx, path, 4, &error); /* after "one\n" */
        g_assert_no_error(error);
        g_autofree char *line = pc_read_line(from_start, PC_TIMEOUT_MS);
        g_assert_cmpstr(line, ==, "one");

        int go = open(fifo, O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(go, >=, 0);
        g_assert_cmpint(write(go, "\n", 1), ==, 1);
        close(go);

        g_autofree char *rest = pc_read_to_eof(from_start, PC_TIMEOUT_MS);
        g_assert_cmpstr(rest, ==, "two\nthree\nfour\n");
        g_autofree char *later = pc_read_to_eof(from_four, PC_TIMEOUT_MS);
        g_assert_cmpstr(later, ==, "two\nthree\nfour\n");
        close(from_start);
        close(from_four);

        /* Once it has all ended, a new follower gets it all, then EOF. */
        int again = follow(fx, path, 0, &error);
        g_assert_no_error(error);
        g_autofree char *all = pc_read_to_eof(again, PC_TIMEOUT_MS);
        g_assert_cmpstr(all, ==, "one\ntwo\nthree\nfour\n");
        close(again);
}

static void test_a_slow_follower_never_blocks_the_writer(PcFixture *fx) {
        /* 64 MiB through a 64 KiB buffer, with a follower that reads nothing.
         * It starts writing once the test lets it (its stdin closes). */
        int hold;
        g_autofree char *path = spawn_with_pipe(fx, PC_ARGV("/bin/sh", "-c", "cat >/dev/null; yes | head -c 67108864"),
                                                "stdin", "output-max", g_variant_new_uint64(65536), &hold);
        g_autoptr(GError) error = NULL;
        int slow = follow(fx, path, 0, &error);
        g_assert_no_error(error);
        close(hold);

        pc_assert_wait_result(fx, path, "exited", 0);
        Read r = {};
        read_all(fx, path, 0, &r);
        g_assert_cmpuint(r.next, ==, 67108864);
        read_clear(&r);

        /* It fell behind what the buffer keeps: its pipe ends early. */
        g_autofree char *got = pc_read_to_eof(slow, PC_TIMEOUT_MS);
        g_assert_cmpuint(strlen(got), <, 67108864);
        close(slow);
}

/* The pipes the daemon holds but the one of fd (its other descriptors come
 * and go with sd-event's timers, and a call's with the call). */
static guint daemon_pipes(PcFixture *fx, int fd) {
        g_autofree char *other = g_strdup_printf("pipe:[%" G_GUINT64_FORMAT "]", pc_inode(fd));
        g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int) fx->daemon_pid);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;
        guint n = 0;

        g_assert_nonnull(d);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *link = g_strdup_printf("%s/%s", dir, name);
                g_autofree char *target = g_file_read_link(link, NULL);
                if (target && g_str_has_prefix(target, "pipe:") && !g_str_equal(target, other))
                        n++;
        }
        return n;
}

static void wait_for_daemon_pipes(PcFixture *fx, int fd, guint n) {
        gint64 deadline = g_get_monotonic_time() + PC_TIMEOUT_MS * 1000;
        while (daemon_pipes(fx, fd) != n && g_get_monotonic_time() < deadline)
                g_usleep(10000);
        g_assert_cmpuint(daemon_pipes(fx, fd), ==, n);
}

static void test_a_follower_that_leaves_costs_nothing(PcFixture *fx) {
        /* A line for each line the test sends. */
        int hold[2] = { -1, -1 };
        g_autofree char *path = spawn_with_pipe(fx, PC_ARGV("/bin/sh", "-c", "while read x; do echo $x; done"), "stdin",
                                                NULL, NULL, &hold[1]);
        guint before = daemon_pipes(fx, hold[1]);

        g_autoptr(GError) error = NULL;
        int idle = follow(fx, path, 0, &error);
        g_assert_no_error(error);
        int busy = follow(fx, path, 0, &error);
        g_assert_no_error(error);
        /* (Polled: a copy of a descriptor sent in a reply goes a moment after the reply.) */
        wait_for_daemon_pipes(fx, hold[1], before + 2);

        /* One leaves while nothing is written, the other after a line. */
        close(idle);
        g_assert_cmpint(write(hold[1], "a\n", 2), ==, 2);
        g_autofree char *line = pc_read_line(busy, PC_TIMEOUT_MS);
        g_assert_cmpstr(line, ==, "a");
        close(busy);
        g_assert_cmpint(write(hold[1], "b\n", 2), ==, 2);

        wait_for_daemon_pipes(fx, hold[1], before);

        close(hold[1]);
        pc_assert_wait_result(fx, path, "exited", 0);
        Read r = {};
        read_all(fx, path, 0, &r);
        g_assert_cmpstr(r.out->str, ==, "a\nb\n");
        read_clear(&r);
}

static void test_without_capture_there_is_no_output(PcFixture *fx) {
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL);
        g_autoptr(GError) error = NULL;
        Read r = {};
        g_assert_false(read_output(fx, path, 0, 100, 0, &r, &error));
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
        g_clear_error(&error);
        g_assert_cmpint(follow(fx, path, 0, &error), ==, -1);
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
}

static void test_output_options_are_checked(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *p1 = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                                               pc_options("output", g_variant_new_string("journal"), NULL), NULL, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_INVALID_ARGS);
        g_clear_error(&error);
        g_autofree char *p2 = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                                               pc_options("output-max", g_variant_new_uint64(4096), NULL), NULL, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_INVALID_ARGS);
        g_clear_error(&error);
        g_autofree char *p3 = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), capture(G_MAXUINT64), NULL, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "MaxOutputBytes"));
}

static void test_a_stream_given_as_a_descriptor_is_not_captured(PcFixture *fx) {
        int out;
        g_autofree char *path = spawn_with_pipe(fx, PC_ARGV("/bin/sh", "-c", "echo mine; echo kept >&2"), "stdout", NULL, NULL,
                                                &out);
        g_autofree char *mine = pc_read_to_eof(out, PC_TIMEOUT_MS);
        close(out);
        g_assert_cmpstr(mine, ==, "mine\n");
        pc_assert_wait_result(fx, path, "exited", 0);
        Read r = {};
        read_all(fx, path, 0, &r);
        g_assert_cmpstr(r.out->str, ==, "");
        g_assert_cmpstr(r.err->str, ==, "kept\n");
        read_clear(&r);
}

static GVariant *call_as_nobody(PcFixture *fx, const char *path, const char *method, GVariant *params, GError **error) {
        return pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, path == NULL ? PC_MANAGER_IFACE : PC_PROCESS_IFACE, method,
                          params, error);
}

static void test_another_user_may_not_read_output(PcFixture *fx) {
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/echo", "secret"), capture(0), NULL);
        pc_assert_wait_result(fx, path, "exited", 0);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r1 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, PC_PROCESS_IFACE, "ReadOutput",
                                            g_variant_new("(tu)", (guint64) 0, (guint32) 4096), &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_clear_error(&error);
        g_autoptr(GVariant) r2 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, PC_PROCESS_IFACE, "FollowOutput",
                                            g_variant_new("(t)", (guint64) 0), &error);
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
}

static GVariant *spawn_as_nobody(PcFixture *fx, const char *const *argv, guint64 max, GError **error) {
        return pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                          g_variant_new("(^as@a{sv})", argv, capture(max)), error);
}

/* A capture must fit in the owner's budget at its full output-max when it
 * is spawned; it is paid for as it fills. */
static void test_the_byte_budget_refuses_a_capture_past_it(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        const char *const *echo = PC_ARGV("/bin/echo", "mine");
        g_autoptr(GVariant) refused = spawn_as_nobody(fx, echo, 3000000, &error);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "MaxBytesPerUser"));
        g_clear_error(&error);

        /* 1.2 MB held of its 1.5 MB ... */
        g_autoptr(GVariant) first = spawn_as_nobody(fx, PC_ARGV("/usr/bin/head", "-c", "1200000", "/dev/zero"), 1500000,
                                                    &error);
        g_assert_no_error(error);
        const char *path;
        g_variant_get(first, "(&ou)", &path, NULL);
        g_autoptr(GVariant) w = call_as_nobody(fx, path, "Wait", NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) read = call_as_nobody(fx, path, "ReadOutput", g_variant_new("(tu)", (guint64) 1199999, (guint32) 100),
                                                  &error);
        g_assert_no_error(error);
        guint64 next, dropped;
        g_variant_get(read, "(@a(tuay)tt)", NULL, &next, &dropped);
        g_assert_cmpuint(next, ==, 1200000);
        g_assert_cmpuint(dropped, ==, 0);

        /* ... leave room for one of 0.5 MB, not another of 1.5 MB. */
        g_autoptr(GVariant) second = spawn_as_nobody(fx, echo, 1500000, &error);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "MaxBytesPerUser"));
        g_clear_error(&error);
        g_autoptr(GVariant) small = spawn_as_nobody(fx, echo, 500000, &error);
        g_assert_no_error(error);

        /* Releasing it gives the bytes back. */
        g_autoptr(GVariant) rel = call_as_nobody(fx, path, "Release", NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) third = spawn_as_nobody(fx, echo, 1500000, &error);
        g_assert_no_error(error);
}

/* A capture that fills past what its owner has left keeps what is paid
 * for: the oldest bytes go, counted, and the writer is never held up. */
static void test_past_the_budget_the_oldest_bytes_go(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *go = pc_fixture_out_path(fx, "budget-go");
        g_autofree char *script = g_strdup_printf("while [ ! -e %s ]; do sleep 0.01; done; head -c 1200000 /dev/zero", go);
        /* Admitted while nothing is held: B waits for the word, A fills first. */
        g_autoptr(GVariant) b = spawn_as_nobody(fx, PC_ARGV("/bin/sh", "-c", script), 1500000, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) a = spawn_as_nobody(fx, PC_ARGV("/usr/bin/head", "-c", "1200000", "/dev/zero"), 1500000, &error);
        g_assert_no_error(error);
        const char *a_path, *b_path;
        g_variant_get(a, "(&ou)", &a_path, NULL);
        g_variant_get(b, "(&ou)", &b_path, NULL);
        g_autoptr(GVariant) wa = call_as_nobody(fx, a_path, "Wait", NULL, &error);
        g_assert_no_error(error);

        g_assert_true(g_file_set_contents(go, "", 0, NULL));
        g_autoptr(GVariant) wb = call_as_nobody(fx, b_path, "Wait", NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(g_variant_get_type_string(wb), ==, "(si)");
        const char *reason;
        gint32 status;
        g_variant_get(wb, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "exited");
        g_assert_cmpint(status, ==, 0);

        /* B holds what A left of the 2 MB (less the records), the newest bytes. */
        Read r = {};
        read_all(fx, b_path, 0, &r);
        g_assert_cmpuint(r.next, ==, 1200000);
        g_assert_cmpuint(r.dropped, >, 0);
        g_assert_cmpuint(r.dropped + r.all->len, ==, 1200000);
        g_assert_cmpuint(r.all->len, <=, 2000000 - 1200000);
        g_assert_cmpuint(r.all->len, >, 2000000 - 1200000 - 4096);
        read_clear(&r);
        (void) unlink(go);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_fixture_daemon_option = BUDGET_OPTION;
        pc_test_add("/output/features-name-output", PC_FIXTURE_DEFAULT, test_features_name_output);
        pc_test_add("/output/entries-keep-each-stream-in-order-with-timestamps", PC_FIXTURE_DEFAULT,
                    test_entries_keep_each_stream_in_order_with_timestamps);
        pc_test_add("/output/everything-written-before-exit-is-there-when-wait-returns", PC_FIXTURE_DEFAULT,
                    test_everything_written_before_exit_is_there_when_wait_returns);
        pc_test_add("/output/a-bounded-buffer-keeps-the-newest-bytes-and-counts-the-rest", PC_FIXTURE_DEFAULT,
                    test_a_bounded_buffer_keeps_the_newest_bytes_and_counts_the_rest);
        pc_test_add("/output/a-read-stays-bounded", PC_FIXTURE_DEFAULT, test_a_read_stays_bounded);
        pc_test_add("/output/follow-goes-on-until-every-writer-has-gone", PC_FIXTURE_DEFAULT,
                    test_follow_goes_on_until_every_writer_has_gone);
        pc_test_add("/output/a-slow-follower-never-blocks-the-writer", PC_FIXTURE_DEFAULT,
                    test_a_slow_follower_never_blocks_the_writer);
        pc_test_add("/output/a-follower-that-leaves-costs-nothing", PC_FIXTURE_DEFAULT,
                    test_a_follower_that_leaves_costs_nothing);
        pc_test_add("/output/without-capture-there-is-no-output", PC_FIXTURE_DEFAULT, test_without_capture_there_is_no_output);
        pc_test_add("/output/options-are-checked", PC_FIXTURE_DEFAULT, test_output_options_are_checked);
        pc_test_add("/output/a-stream-given-as-a-descriptor-is-not-captured", PC_FIXTURE_DEFAULT,
                    test_a_stream_given_as_a_descriptor_is_not_captured);
        pc_test_add("/output/another-user-may-not-read-output", PC_FIXTURE_NEEDS_ROOT, test_another_user_may_not_read_output);
        pc_test_add("/output/the-byte-budget-refuses-a-capture-past-it", PC_FIXTURE_NEEDS_ROOT,
                    test_the_byte_budget_refuses_a_capture_past_it);
        pc_test_add("/output/past-the-budget-the-oldest-bytes-go", PC_FIXTURE_NEEDS_ROOT,
                    test_past_the_budget_the_oldest_bytes_go);
        return g_test_run();
}
