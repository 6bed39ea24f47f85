/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A daemon that runs out of descriptors says so and leaves no process behind
 * that it does not track: its descriptor limit is lowered from outside
 * (prlimit), then processes are spawned until Spawn refuses.
 */
#include <sys/resource.h>

#include "fixture.h"

#define LOW_LIMIT 40

static void test_out_of_descriptors_is_limit_exceeded_with_no_untracked_child(PcFixture *fx) {
        struct rlimit rl = { LOW_LIMIT, LOW_LIMIT };
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        guint spawned = 0;

        g_assert_cmpint(prlimit(fx->daemon_pid, RLIMIT_NOFILE, &rl, NULL), ==, 0);

        for (int i = 0; i < 2 * LOW_LIMIT; i++) {
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
        g_assert_cmpuint(spawned, <, 2 * LOW_LIMIT);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error->message, "file descriptors"));

        /* Every process the daemon started is one it tracks. */
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, FALSE);
        g_assert_cmpuint(children->len, ==, spawned);
        g_assert_cmpuint(pc_get_process_count(fx), ==, spawned);

        /* It still answers, and recovers once descriptors are free again. */
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
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_test_add("/hostile/limits/out-of-descriptors-is-limit-exceeded-with-no-untracked-child", PC_FIXTURE_NEEDS_ROOT,
                    test_out_of_descriptors_is_limit_exceeded_with_no_untracked_child);
        return g_test_run();
}
