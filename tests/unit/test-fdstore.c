/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state record a process leaves in the fd store across a restart
 * (daemon/fdstore.c: fdstore_serialize and fdstore_deserialize), without a
 * bus or a service manager: what is written is what is read back, and a
 * damaged or foreign record is refused rather than half read. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/fdstore/a-running-process-comes-back-whole", test_a_running_process_comes_back_whole);
        g_test_add_func("/fdstore/a-cgroup-comes-back", test_a_cgroup_comes_back);
        g_test_add_func("/fdstore/an-exit-status-comes-back", test_an_exit_status_comes_back);
        g_test_add_func("/fdstore/kill-on-disconnect-is-not-restored", test_kill_on_disconnect_is_not_restored);
        g_test_add_func("/fdstore/unknown-keys-are-skipped", test_unknown_keys_are_skipped);
        g_test_add_func("/fdstore/damaged-records-are-refused", test_damaged_records_are_refused);
        g_test_add_func("/fdstore/a-record-without-what-a-process-needs-is-refused",
                        test_a_record_without_what_a_process_needs_is_refused);
        return g_test_run();
}
