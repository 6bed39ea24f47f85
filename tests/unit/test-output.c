/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The captured output's ring (daemon/output.c), without a bus: appends of
 * every size against a plain copy of everything written, the newest bytes
 * kept and the rest counted, cursors, wrapping, reads bounded in bytes and
 * entries, and the pipes read from the event loop. */
#include <glib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fcntl.h>
#include <stdlib.h>

#include "fdstore.h"
#include "output.h"
#include "process.h"
#include "quota.h"

typedef struct {
        GByteArray *bytes;
        GArray *streams; /* per entry */
        guint64 last_usec;
} Collected;

static int collect(void *userdata, uint64_t usec, int stream, const void *data, size_t size) {
        Collected *c = userdata;

        g_assert_cmpuint(size, >, 0);
        g_assert_cmpuint(usec, >=, c->last_usec);
        c->last_usec = usec;
        g_byte_array_append(c->bytes, data, (guint) size);
        g_array_append_val(c->streams, stream);
        return 0;
}

static Collected *read_from(Output *o, uint64_t cursor, uint64_t max_bytes, unsigned max_entries, uint64_t *next) {
        Collected *c = g_new0(Collected, 1);

        c->bytes = g_byte_array_new();
        c->streams = g_array_new(FALSE, FALSE, sizeof(int));
        g_assert_cmpint(output_read_entries(o, cursor, max_bytes, max_entries, collect, c, next), ==, 0);
        return c;
}

static void collected_free(Collected *c) {
        g_byte_array_unref(c->bytes);
        g_array_unref(c->streams);
        g_free(c);
}

static Output *new_output(Manager *m, uint64_t max) {
        Output *o;
        int w1, w2;

        g_assert_cmpint(output_new(m, 0, max, &o, &w1, &w2), ==, 0);
        close(w1);
        close(w2);
        return o;
}

/* The buffer holds exactly the newest bytes of all written, at most max. */
static void assert_holds_tail(Output *o, GByteArray *all, uint64_t max) {
        uint64_t next;
        Collected *c = read_from(o, 0, UINT64_MAX, UINT_MAX, &next);

        g_assert_cmpuint(output_end_cursor(o), ==, all->len);
        g_assert_cmpuint(next, ==, all->len);
        g_assert_cmpuint(c->bytes->len, <=, max);
        g_assert_cmpuint(output_start_cursor(o) + c->bytes->len, ==, all->len);
        g_assert_true(memcmp(c->bytes->data, all->data + output_start_cursor(o), c->bytes->len) == 0);
        collected_free(c);
}

static void test_appends_of_every_size_keep_the_newest_bytes(void) {
        Manager m = { .limits = LIMITS_DEFAULT };
        g_assert_cmpint(sd_event_new(&m.event), >=, 0);
        g_autoptr(GByteArray) all = g_byte_array_new();
        GRand *rand = g_rand_new_with_seed(13);
        const uint64_t max = 10000;
        Output *o = new_output(&m, max);
        uint8_t buf[16000];

        for (int i = 0; i < 5000; i++) {
                /* Mostly small, some near and past max. */
                size_t size = g_rand_int_range(rand, 0, 10) == 0 ? (size_t) g_rand_int_range(rand, 1, 16000)
                                                                  : (size_t) g_rand_int_range(rand, 1, 300);
                for (size_t j = 0; j < size; j++)
                        buf[j] = (uint8_t) g_rand_int(rand);
                g_assert_cmpint(output_append(o, 1 + (i & 1), buf, size), ==, 0);
                g_byte_array_append(all, buf, (guint) size);
                assert_holds_tail(o, all, max);
                /* Kept close to max: only headers of entries are not output. */
                if (all->len >= max)
                        g_assert_cmpuint(all->len - output_start_cursor(o), >=, max / 2);
        }
        g_rand_free(rand);
        output_free(o);
        sd_event_unref(m.event);
}

static void test_reads_are_bounded_and_resume_at_the_next_cursor(void) {
        Manager m = { .limits = LIMITS_DEFAULT };
        g_assert_cmpint(sd_event_new(&m.event), >=, 0);
        Output *o = new_output(&m, 1000);
        uint64_t next;

        g_assert_cmpint(output_append(o, 1, "hello ", 6), ==, 0);
        g_assert_cmpint(output_append(o, 2, "world", 5), ==, 0);
        g_assert_cmpint(output_append(o, 1, "!", 1), ==, 0);

        /* Part of an entry, then the rest from the next cursor. */
        Collected *c = read_from(o, 0, 3, UINT_MAX, &next);
        g_assert_cmpuint(next, ==, 3);
        g_assert_cmpmem(c->bytes->data, c->bytes->len, "hel", 3);
        collected_free(c);
        c = read_from(o, next, 100, 2, &next);
        g_assert_cmpuint(next, ==, 11);
        g_assert_cmpmem(c->bytes->data, c->bytes->len, "lo world", 8);
        g_assert_cmpint(g_array_index(c->streams, int, 0), ==, 1);
        g_assert_cmpint(g_array_index(c->streams, int, 1), ==, 2);
        collected_free(c);
        /* Past the end: nothing, the end. */
        c = read_from(o, 5000, 100, UINT_MAX, &next);
        g_assert_cmpuint(c->bytes->len, ==, 0);
        g_assert_cmpuint(next, ==, 12);
        collected_free(c);

        /* One write larger than the buffer keeps its newest bytes. */
        char big[2500];
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (char) ('a' + i % 26);
        g_assert_cmpint(output_append(o, 1, big, sizeof(big)), ==, 0);
        g_assert_cmpuint(output_start_cursor(o), ==, 12 + 1500);
        c = read_from(o, 0, UINT64_MAX, UINT_MAX, &next);
        g_assert_cmpmem(c->bytes->data, c->bytes->len, big + 1500, 1000);
        collected_free(c);
        output_free(o);
        sd_event_unref(m.event);
}

static void test_the_pipes_are_read_in_order_until_eof(void) {
        Manager m = { .limits = LIMITS_DEFAULT };
        g_assert_cmpint(sd_event_new(&m.event), >=, 0);
        Output *o;
        int out, err;
        uint64_t next;

        g_assert_cmpint(output_new(&m, 0, 4096, &o, &out, &err), ==, 0);
        g_assert_cmpint(write(out, "one\n", 4), ==, 4);
        g_assert_cmpint(write(err, "two\n", 4), ==, 4);
        output_drain(o); /* as at the process's exit: no event loop needed */
        g_assert_cmpuint(output_end_cursor(o), ==, 8);
        g_assert_cmpint(write(out, "three\n", 6), ==, 6);
        close(out);
        close(err);
        while (output_end_cursor(o) < 14)
                g_assert_cmpint(sd_event_run(m.event, 1000000), >, 0);
        Collected *c = read_from(o, 0, UINT64_MAX, UINT_MAX, &next);
        g_assert_cmpmem(c->bytes->data, c->bytes->len, "one\ntwo\nthree\n", 14);
        collected_free(c);
        /* Both EOFs close the capture's descriptors; the memfd stays. */
        while (m.output_fds > 1)
                g_assert_cmpint(sd_event_run(m.event, 1000000), >, 0);
        output_free(o);
        g_assert_cmpuint(m.output_fds, ==, 0);
        sd_event_unref(m.event);
}

/* An owner pays for what its buffer holds, as it fills: past the owner's
 * MaxBytesPerUser the buffer keeps what is paid for, drops (and counts) the
 * oldest, and the writer is never refused. */
static void test_the_owner_pays_as_the_buffer_fills(void) {
        Manager m = { .limits = LIMITS_DEFAULT };
        m.limits.bytes_per_user = 3000;
        g_assert_cmpint(sd_event_new(&m.event), >=, 0);
        Output *o;
        int w1, w2;
        uint64_t next;
        char buf[1000];

        g_assert_cmpint(output_new(&m, 1000, 10000, &o, &w1, &w2), ==, 0);
        close(w1);
        close(w2);
        Quota *q = quota_get(&m, 1000, false);
        g_assert_null(q); /* empty: nothing held yet */
        memset(buf, 'x', sizeof(buf));
        g_assert_cmpint(output_append(o, 1, buf, 500), ==, 0);
        q = quota_get(&m, 1000, false);
        g_assert_nonnull(q);
        g_assert_cmpuint(q->n[QUOTA_BYTES], ==, 500);

        /* Up to the budget, then the oldest bytes go. */
        for (int i = 0; i < 10; i++) {
                memset(buf, 'a' + i, sizeof(buf));
                g_assert_cmpint(output_append(o, 1, buf, sizeof(buf)), ==, 0);
        }
        g_assert_cmpuint(q->n[QUOTA_BYTES], ==, 3000);
        g_assert_cmpuint(output_end_cursor(o), ==, 10500);
        g_assert_cmpuint(output_start_cursor(o), ==, 7500);
        Collected *c = read_from(o, 0, UINT64_MAX, UINT_MAX, &next);
        g_assert_cmpuint(c->bytes->len, ==, 3000);
        g_assert_cmpint(c->bytes->data[0], ==, 'h');
        g_assert_cmpint(c->bytes->data[2999], ==, 'j');
        collected_free(c);

        /* Another buffer of the same owner gets nothing: all of it dropped, counted. */
        Output *o2;
        g_assert_cmpint(output_new(&m, 1000, 10000, &o2, &w1, &w2), ==, 0);
        close(w1);
        close(w2);
        g_assert_cmpint(output_append(o2, 2, buf, 10), ==, 0);
        g_assert_cmpuint(output_start_cursor(o2), ==, 10);
        g_assert_cmpuint(output_end_cursor(o2), ==, 10);

        /* Freed, the buffer pays nothing any more. */
        output_free(o);
        output_free(o2);
        g_assert_null(quota_get(&m, 1000, false));
        sd_event_unref(m.event);
}

/* What the daemon needs of a process to restore its output into. */
static Process *restored_process(Manager *m) {
        Process *p = g_new0(Process, 1);
        p->manager = m;
        p->id = 1;
        p->owner_uid = 0;
        return p;
}

static FdStoreSet set_with_ring(int fd) {
        FdStoreSet set = { .id = 1 };
        for (FdStoreKind k = 0; k < _FDSTORE_KIND_MAX; k++)
                set.fds[k] = -1;
        set.fds[FDSTORE_OUTPUT] = fd;
        return set;
}

/* The ring (and where it starts and ends) comes back whole from its memfd,
 * and goes on from there; a damaged one is checked and not trusted. */
static void test_the_ring_comes_back_from_its_memfd(void) {
        Manager m = { .limits = LIMITS_DEFAULT };
        g_assert_cmpint(sd_event_new(&m.event), >=, 0);
        g_autoptr(GByteArray) all = g_byte_array_new();
        uint8_t buf[700];
        Output *o = new_output(&m, 2000);

        for (int i = 0; i < 40; i++) {
                for (size_t j = 0; j < sizeof(buf); j++)
                        buf[j] = (uint8_t) (i * 7 + j);
                size_t size = 1 + (size_t) (i * 37) % sizeof(buf);
                g_assert_cmpint(output_append(o, 1 + (i & 1), buf, size), ==, 0);
                g_byte_array_append(all, buf, (guint) size);
        }
        int fd = fcntl(output_ring_fd(o), F_DUPFD_CLOEXEC, 3);
        g_assert_cmpint(fd, >=, 0);
        uint64_t start = output_start_cursor(o);
        output_free(o);
        g_assert_cmpuint(m.output_fds, ==, 0);

        Process *p = restored_process(&m);
        FdStoreSet set = set_with_ring(fd);
        output_restore(p, &set);
        g_assert_cmpint(set.fds[FDSTORE_OUTPUT], ==, -1); /* taken */
        g_assert_nonnull(p->output);
        g_assert_cmpuint(output_start_cursor(p->output), ==, start);
        assert_holds_tail(p->output, all, 2000);
        g_assert_cmpint(output_append(p->output, 1, "more", 4), ==, 0);
        g_byte_array_append(all, (const guint8 *) "more", 4);
        assert_holds_tail(p->output, all, 2000);

        /* Damaged entries: dropped and counted, the cursors go on. */
        fd = fcntl(output_ring_fd(p->output), F_DUPFD_CLOEXEC, 3);
        p->output = output_free(p->output);
        long page = sysconf(_SC_PAGESIZE);
        uint8_t junk[4096];
        memset(junk, 0xff, sizeof(junk));
        g_assert_cmpint(pwrite(fd, junk, sizeof(junk), page), ==, (ssize_t) sizeof(junk));
        set = set_with_ring(fd);
        output_restore(p, &set);
        g_assert_nonnull(p->output);
        g_assert_cmpuint(output_start_cursor(p->output), ==, all->len);
        g_assert_cmpuint(output_end_cursor(p->output), ==, all->len);
        g_assert_cmpint(output_append(p->output, 2, "after", 5), ==, 0);
        uint64_t next;
        Collected *c = read_from(p->output, 0, UINT64_MAX, UINT_MAX, &next);
        g_assert_cmpmem(c->bytes->data, c->bytes->len, "after", 5);
        collected_free(c);

        /* A file that is no ring at all: a new, empty one. */
        p->output = output_free(p->output);
        fd = memfd_create("not-a-ring", MFD_CLOEXEC);
        g_assert_cmpint(ftruncate(fd, 3 * page), ==, 0);
        set = set_with_ring(fd);
        output_restore(p, &set);
        g_assert_nonnull(p->output);
        g_assert_cmpuint(output_end_cursor(p->output), ==, 0);
        g_assert_cmpint(output_append(p->output, 1, "new", 3), ==, 0);
        g_assert_cmpuint(output_end_cursor(p->output), ==, 3);
        p->output = output_free(p->output);
        g_assert_cmpuint(m.output_fds, ==, 0);
        g_free(p);
        sd_event_unref(m.event);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/output/appends-of-every-size-keep-the-newest-bytes", test_appends_of_every_size_keep_the_newest_bytes);
        g_test_add_func("/output/reads-are-bounded-and-resume-at-the-next-cursor",
                        test_reads_are_bounded_and_resume_at_the_next_cursor);
        g_test_add_func("/output/the-pipes-are-read-in-order-until-eof", test_the_pipes_are_read_in_order_until_eof);
        g_test_add_func("/output/the-owner-pays-as-the-buffer-fills", test_the_owner_pays_as_the_buffer_fills);
        g_test_add_func("/output/the-ring-comes-back-from-its-memfd", test_the_ring_comes_back_from_its_memfd);
        return g_test_run();
}
