/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state record a process leaves in the fd store across a restart
 * (daemon/fdstore.c: fdstore_serialize and fdstore_deserialize), without a
 * bus or a service manager: what is written is what is read back, and a
 * damaged or foreign record is refused rather than half read. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdstore.h"
#include "peer.h"
#include "procctl-bus.h"

/* Only for process_free(): no bus, no event loop. */
static Manager manager;

/* A process object as process_track() starts one, before anything is filled in. */
static Process *process_empty(uint64_t id) {
        Process *p = g_new0(Process, 1);

        p->manager = &manager;
        p->id = id;
        p->pidfd = -1;
        p->state_fd = -1;
        p->exit_reason = "";
        p->path = g_strdup_printf(PROCCTL_PROCESS_PATH_PREFIX "/%" G_GUINT64_FORMAT, id);
        return p;
}

static Process *process_example(void) {
        Process *p = process_empty(42);

        p->pid = 4242;
        p->uid = 1000;
        p->gid = 100;
        p->owner_uid = 1001;
        p->group_leader = true;
        p->start_usec = UINT64_C(1733480000123456);
        p->stop_timeout_usec = 10 * UINT64_C(1000000);
        p->timeout_deadline = UINT64_MAX - 1;
        p->argv = g_strdupv((char *[]) { "/bin/sh", "-c", "echo a=b; exit 3", "", NULL });
        p->executable = g_strdup("/bin/sh");
        p->working_directory = g_strdup("/home/alice/dir with spaces");
        p->description = g_strdup("line one\nline two");
        return p;
}

static void serialize(const Process *p, char **ret, size_t *ret_size) {
        g_assert_cmpint(fdstore_serialize(p, ret, ret_size), ==, 0);
        g_assert_nonnull(*ret);
        g_assert_cmpuint(*ret_size, >, 0);
        g_assert_cmpint((*ret)[*ret_size - 1], ==, '\0');
}

/* Deserializes buf into a fresh process; returns its result. */
static int deserialize(const char *buf, size_t size, Process **ret) {
        Process *p = process_empty(0);
        int r = fdstore_deserialize(p, buf, size);

        if (ret)
                *ret = p;
        else
                process_free(p);
        return r;
}

static void assert_same_state(const Process *a, const Process *b) {
        g_assert_cmpuint(a->id, ==, b->id);
        g_assert_cmpint(a->pid, ==, b->pid);
        g_assert_cmpuint(a->uid, ==, b->uid);
        g_assert_cmpuint(a->gid, ==, b->gid);
        g_assert_cmpuint(a->owner_uid, ==, b->owner_uid);
        g_assert_cmpint(a->group_leader, ==, b->group_leader);
        g_assert_cmpuint(a->start_usec, ==, b->start_usec);
        g_assert_cmpuint(a->stop_timeout_usec, ==, b->stop_timeout_usec);
        g_assert_cmpuint(a->timeout_deadline, ==, b->timeout_deadline);
        g_assert_true(g_strv_equal((const char *const *) a->argv, (const char *const *) b->argv));
        g_assert_cmpstr(a->executable, ==, b->executable);
        g_assert_cmpstr(a->working_directory, ==, b->working_directory);
        g_assert_cmpstr(a->description, ==, b->description);
        g_assert_cmpint(a->exited, ==, b->exited);
        g_assert_cmpstr(a->exit_reason, ==, b->exit_reason);
        g_assert_cmpint(a->exit_status, ==, b->exit_status);
        g_assert_cmpuint(a->exit_usec, ==, b->exit_usec);
}

static void test_a_running_process_comes_back_whole(void) {
        Process *p = process_example(), *q = NULL;
        g_autofree char *buf = NULL;
        size_t size;

        serialize(p, &buf, &size);
        g_assert_cmpint(deserialize(buf, size, &q), ==, 0);
        assert_same_state(p, q);
        g_assert_false(q->exited);
        g_assert_cmpstr(q->exit_reason, ==, "");
        process_free(p);
        process_free(q);
}

static void test_an_exit_status_comes_back(void) {
        static const struct {
                const char *reason;
                int32_t status;
        } ends[] = {
                { PROCCTL_REASON_EXITED, 0 },
                { PROCCTL_REASON_EXITED, 255 },
                { PROCCTL_REASON_KILLED, 9 },
                { PROCCTL_REASON_DUMPED, 11 },
                { PROCCTL_REASON_UNKNOWN, -1 },
                { PROCCTL_REASON_EXITED, INT32_MIN },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(ends); i++) {
                Process *p = process_example(), *q = NULL;
                g_autofree char *buf = NULL;
                size_t size;

                p->exited = true;
                p->exit_reason = ends[i].reason;
                p->exit_status = ends[i].status;
                p->exit_usec = p->start_usec + 5;
                serialize(p, &buf, &size);
                g_assert_cmpint(deserialize(buf, size, &q), ==, 0);
                assert_same_state(p, q);
                g_assert_true(q->exited);
                process_free(p);
                process_free(q);
        }
}

/* The connection is not the new daemon's to find again: recorded for the
 * record, never restored. */
static void test_kill_on_disconnect_is_not_restored(void) {
        Process *p = process_example(), *q = NULL;
        Peer peer = { .name = (char *) ":1.42" };
        g_autofree char *buf = NULL;
        size_t size;

        p->kill_peer = &peer;
        serialize(p, &buf, &size);
        p->kill_peer = NULL;
        g_assert_nonnull(memmem(buf, size, "kill-on-disconnect=:1.42", strlen("kill-on-disconnect=:1.42") + 1));
        g_assert_cmpint(deserialize(buf, size, &q), ==, 0);
        g_assert_null(q->kill_peer);
        assert_same_state(p, q);
        process_free(p);
        process_free(q);
}

/* Its cgroup (a record, opened again by the restore), the CPU time it keeps
 * once removed, and its kill-mode. */
static void test_a_cgroup_comes_back(void) {
        Process *p = process_example(), *q = NULL;
        g_autofree char *buf = NULL;
        size_t size;

        p->kill_process_only = true;
        p->cgroup = cgroup_record_new("/procctl.service/process-42", true, UINT64_C(123456789));
        serialize(p, &buf, &size);
        g_assert_cmpint(deserialize(buf, size, &q), ==, 0);
        g_assert_nonnull(q->cgroup);
        g_assert_cmpstr(q->cgroup->path, ==, "/procctl.service/process-42");
        g_assert_true(q->cgroup->removed);
        g_assert_cmpuint(q->cgroup->cpu_usage_nsec, ==, UINT64_C(123456789));
        g_assert_true(q->kill_process_only);
        process_free(p);
        process_free(q);

        /* Without one: none, and kill-mode control-group. */
        p = process_example();
        g_clear_pointer(&buf, g_free);
        serialize(p, &buf, &size);
        g_assert_cmpint(deserialize(buf, size, &q), ==, 0);
        g_assert_null(q->cgroup);
        g_assert_false(q->kill_process_only);
        process_free(p);
        process_free(q);
}

/* An older daemon reads what a newer one wrote: keys it does not know are skipped. */
static void test_unknown_keys_are_skipped(void) {
        static const char record[] = "id=7\0pid=70\0future-option=yes\0argv=/bin/true\0"
                                     "executable=/bin/true\0working-directory=/\0x=\0";
        Process *q = NULL;

        g_assert_cmpint(deserialize(record, sizeof(record) - 1, &q), ==, 0);
        g_assert_cmpuint(q->id, ==, 7);
        g_assert_cmpint(q->pid, ==, 70);
        g_assert_cmpstr(q->argv[0], ==, "/bin/true");
        g_assert_null(q->argv[1]);
        process_free(q);
}

#define RECORD(s) s, sizeof(s) - 1

static void test_damaged_records_are_refused(void) {
        /* Nothing, or a record cut off before its end. */
        g_assert_cmpint(deserialize("", 0, NULL), ==, -EBADMSG);
        g_assert_cmpint(deserialize(RECORD("id=1\0pid=2"), NULL), ==, -EBADMSG);
        /* A record without '=', or with a key longer than any the daemon writes. */
        g_assert_cmpint(deserialize(RECORD("id=1\0pid\0"), NULL), ==, -EBADMSG);
        g_assert_cmpint(deserialize(RECORD("a-key-far-longer-than-any-real-key=1\0"), NULL), ==, -EBADMSG);
        /* An exit reason the bus contract does not have. */
        g_assert_cmpint(deserialize(RECORD("id=1\0pid=2\0argv=x\0executable=x\0working-directory=/\0"
                                           "exit-reason=vanished\0"), NULL), ==, -EBADMSG);
}

static void test_a_record_without_what_a_process_needs_is_refused(void) {
        static const char *const required[] = { "id=", "pid=", "argv=", "executable=", "working-directory=" };
        const char *all[] = { "id=1", "pid=2", "argv=/bin/true", "executable=/bin/true", "working-directory=/" };

        for (size_t skip = 0; skip < G_N_ELEMENTS(required); skip++) {
                g_autoptr(GByteArray) b = g_byte_array_new();

                for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
                        if (i != skip)
                                g_byte_array_append(b, (const guint8 *) all[i], strlen(all[i]) + 1);
                g_assert_true(g_str_has_prefix(all[skip], required[skip]));
                g_assert_cmpint(deserialize((const char *) b->data, b->len, NULL), ==, -EBADMSG);
        }
        /* A number that is not one counts as missing. */
        g_assert_cmpint(deserialize(RECORD("id=1\0pid=many\0argv=x\0executable=x\0working-directory=/\0"), NULL),
                        ==, -EBADMSG);
}

/* --- The state's memfd, rewritten in place ------------------------------------ */

#define STATE_HEADER_SIZE 64

static int state_memfd(void) {
        int fd = memfd_create("test-state", MFD_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        return fd;
}

/* A state of n bytes: records, each byte telling which state it is. */
static char *state_text(char tag, size_t n) {
        char *b = g_malloc(n);

        memset(b, tag, n);
        for (size_t i = 15; i < n; i += 16)
                b[i] = '\0'; /* "tttt...\0" records */
        b[n - 1] = '\0';
        return b;
}

static void assert_state_is(int fd, const char *want, size_t want_size) {
        g_autofree char *got = NULL;
        size_t size = 0;

        g_assert_cmpint(fdstore_read_state(fd, &got, &size), ==, 0);
        g_assert_cmpmem(got, size, want, want_size);
}

/* Where the header says the current state is. */
static void state_range(int fd, uint64_t *offset, uint64_t *size) {
        char header[STATE_HEADER_SIZE + 1] = {};

        g_assert_cmpint(pread(fd, header, STATE_HEADER_SIZE, 0), ==, STATE_HEADER_SIZE);
        g_assert_cmpint(sscanf(header, "procctl-state 2 %" SCNu64 " %" SCNu64, offset, size), ==, 2);
        g_assert_cmpint(header[STATE_HEADER_SIZE - 1], ==, '\n');
}

static uint64_t file_size(int fd) {
        struct stat st;

        g_assert_cmpint(fstat(fd, &st), ==, 0);
        return (uint64_t) st.st_size;
}

/* Whatever lies outside the header and the current state (what a rewrite
 * killed before its header write leaves: the new state half written) does
 * not change what is read. */
static void scribble_outside_current(int fd) {
        uint64_t offset, size, end = file_size(fd) + 4096;

        state_range(fd, &offset, &size);
        for (uint64_t at = STATE_HEADER_SIZE; at < end; at++)
                if (at < offset || at >= offset + size)
                        g_assert_cmpint(pwrite(fd, "x", 1, (off_t) at), ==, 1);
}

/* Rewrites of every size, growing and shrinking: each reads back, a new
 * state never overlaps the one it replaces (until the header points to it,
 * the old one is what a restarted daemon reads), and the file stays small. */
static void test_state_rewrites_never_touch_the_current_state(void) {
        static const size_t sizes[] = { 200, 200, 5000, 100, 100, 9000, 9000, 64, 70000, 300, 70000, 150 };
        int fd = state_memfd();
        uint64_t offset = 0, size = 0;

        for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
                g_autofree char *text = state_text((char) ('a' + i), sizes[i]);
                uint64_t old_offset = offset, old_size = size;

                g_assert_cmpint(fdstore_write_state(fd, text, sizes[i]), ==, 0);
                assert_state_is(fd, text, sizes[i]);
                state_range(fd, &offset, &size);
                g_assert_cmpuint(size, ==, sizes[i]);
                g_assert_cmpuint(offset, >=, STATE_HEADER_SIZE);
                if (i > 0)
                        g_assert_true(offset + size <= old_offset || offset >= old_offset + old_size);
                g_assert_cmpuint(file_size(fd), ==, offset + size);
                g_assert_cmpuint(file_size(fd), <=, STATE_HEADER_SIZE + 8 + 2 * 70000);

                scribble_outside_current(fd);
                assert_state_is(fd, text, sizes[i]);
        }
        close(fd);
}

/* The memfd of an older daemon: the records alone, from 0.  It reads as they
 * are, also with a new state written after them but no header yet (a daemon
 * killed in its first rewrite), and its first rewrite is read after. */
static void test_an_older_daemons_state_is_read_and_rewritten(void) {
        Process *p = process_example();
        g_autofree char *old = NULL, *got = NULL;
        size_t old_size, size;
        int fd = state_memfd();

        serialize(p, &old, &old_size);
        process_free(p);
        g_assert_cmpint(pwrite(fd, old, old_size, 0), ==, (ssize_t) old_size);
        assert_state_is(fd, old, old_size);

        /* Killed after writing the new state, before the header. */
        g_autofree char *text = state_text('n', 300);
        uint64_t after = (old_size + 1 + 7) & ~(uint64_t) 7;
        g_assert_cmpint(pwrite(fd, text, 300, (off_t) after), ==, 300);
        assert_state_is(fd, old, old_size);
        g_assert_cmpint(ftruncate(fd, (off_t) old_size), ==, 0);

        g_assert_cmpint(fdstore_write_state(fd, text, 300), ==, 0);
        assert_state_is(fd, text, 300);
        uint64_t offset, range_size;
        state_range(fd, &offset, &range_size);
        g_assert_cmpuint(offset, >, old_size); /* past at least one NUL after the old records */

        /* An older daemon's file shorter than the header: the new state still goes after it. */
        int small = state_memfd();
        g_assert_cmpint(pwrite(small, "id=1\0", 5, 0), ==, 5);
        g_assert_cmpint(fdstore_write_state(small, text, 300), ==, 0);
        assert_state_is(small, text, 300);
        close(small);

        /* An older daemon's file with records past the most a state may hold is refused. */
        int big = state_memfd();
        size_t big_size = 4 * 1024 * 1024 + 16;
        g_autofree char *records = state_text('r', big_size);
        g_assert_cmpint(pwrite(big, records, big_size, 0), ==, (ssize_t) big_size);
        g_assert_cmpint(fdstore_read_state(big, &got, &size), ==, -EBADMSG);
        close(big);
        close(fd);
}

/* A header that points outside the file, or is not one, is refused; the
 * next save writes a good one. */
static void test_a_damaged_state_header_is_refused(void) {
        static const char *const headers[] = {
                "procctl-state 2 64 999999",     /* past the end */
                "procctl-state 2 10 20",         /* over the header */
                "procctl-state 2 64 0",          /* empty */
                "procctl-state 2 64 20 junk",    /* more than two numbers */
        };
        g_autofree char *text = state_text('s', 200);
        g_autofree char *got = NULL;
        size_t size;

        for (size_t i = 0; i < G_N_ELEMENTS(headers); i++) {
                char header[STATE_HEADER_SIZE];
                int fd = state_memfd();

                g_assert_cmpint(fdstore_write_state(fd, text, 200), ==, 0);
                memset(header, ' ', sizeof(header));
                memcpy(header, headers[i], strlen(headers[i]));
                header[STATE_HEADER_SIZE - 1] = '\n';
                g_assert_cmpint(pwrite(fd, header, sizeof(header), 0), ==, sizeof(header));
                g_assert_cmpint(fdstore_read_state(fd, &got, &size), ==, -EBADMSG);
                /* The next save repairs it. */
                g_assert_cmpint(fdstore_write_state(fd, text, 200), ==, 0);
                assert_state_is(fd, text, 200);
                close(fd);
        }
        /* An empty file: nothing stored. */
        int fd = state_memfd();
        g_assert_cmpint(fdstore_read_state(fd, &got, &size), ==, -EBADMSG);
        close(fd);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/fdstore/a-running-process-comes-back-whole", test_a_running_process_comes_back_whole);
        g_test_add_func("/fdstore/a-cgroup-comes-back", test_a_cgroup_comes_back);
        g_test_add_func("/fdstore/an-exit-status-comes-back", test_an_exit_status_comes_back);
        g_test_add_func("/fdstore/kill-on-disconnect-is-not-restored", test_kill_on_disconnect_is_not_restored);
        g_test_add_func("/fdstore/unknown-keys-are-skipped", test_unknown_keys_are_skipped);
        g_test_add_func("/fdstore/damaged-records-are-refused", test_damaged_records_are_refused);
        g_test_add_func("/fdstore/state-rewrites-never-touch-the-current-state",
                        test_state_rewrites_never_touch_the_current_state);
        g_test_add_func("/fdstore/an-older-daemons-state-is-read-and-rewritten",
                        test_an_older_daemons_state_is_read_and_rewritten);
        g_test_add_func("/fdstore/a-damaged-state-header-is-refused", test_a_damaged_state_header_is_refused);
        g_test_add_func("/fdstore/a-record-without-what-a-process-needs-is-refused",
                        test_a_record_without_what_a_process_needs_is_refused);
        return g_test_run();
}
