/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What cgroup.c writes for each limit and what it makes of the paths
 * /proc/PID/cgroup names, against a temporary directory laid out like a
 * cgroup of cgroupfs (the development machines have no memory, pids or cpu
 * controller to write to for real).
 */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

#include "cgroup.h"

static char *read_file(const char *dir, const char *name) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        char *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

/* A cgroup directory: the limit files exist (as the kernel makes them), empty here. */
static char *make_cgroup_dir(void) {
        g_autoptr(GError) error = NULL;
        char *dir = g_dir_make_tmp("procctl-cgroup-XXXXXX", &error);
        g_assert_no_error(error);
        for (const char *const *f = (const char *const[]) { "memory.max", "pids.max", "cpu.weight", "cpu.max", NULL }; *f; f++) {
                g_autofree char *path = g_build_filename(dir, *f, NULL);
                g_assert_true(g_file_set_contents(path, "untouched", -1, NULL));
        }
        return dir;
}

static void remove_cgroup_dir(const char *dir) {
        for (const char *const *f = (const char *const[]) { "memory.max", "pids.max", "cpu.weight", "cpu.max", NULL }; *f; f++) {
                g_autofree char *path = g_build_filename(dir, *f, NULL);
                g_unlink(path);
        }
        g_rmdir(dir);
}

static void assert_files(const char *dir, const char *memory, const char *pids, const char *weight, const char *max) {
        g_autofree char *m = read_file(dir, "memory.max");
        g_autofree char *p = read_file(dir, "pids.max");
        g_autofree char *w = read_file(dir, "cpu.weight");
        g_autofree char *c = read_file(dir, "cpu.max");
        g_assert_cmpstr(m, ==, memory);
        g_assert_cmpstr(p, ==, pids);
        g_assert_cmpstr(w, ==, weight);
        g_assert_cmpstr(c, ==, max);
}

static void test_limits_written(void) {
        g_autofree char *dir = make_cgroup_dir();
        int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        CgroupLimits l = { .memory_max = 512 * 1024 * 1024, .tasks_max = 64, .cpu_weight = 50, .cpu_quota = 200000 };

        g_assert_cmpint(cgroup_limits_write(fd, &l), ==, 0);
        /* cpu.max: 20% of a CPU is 200 ms in every period of 1 s. */
        assert_files(dir, "536870912", "64", "50", "200000 1000000");
        close(fd);
        remove_cgroup_dir(dir);
}

static void test_unset_limits_untouched(void) {
        g_autofree char *dir = make_cgroup_dir();
        int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        CgroupLimits l = CGROUP_LIMITS_NONE;

        l.tasks_max = 1;
        g_assert_cmpint(cgroup_limits_write(fd, &l), ==, 0);
        assert_files(dir, "untouched", "1", "untouched", "untouched");
        close(fd);
        remove_cgroup_dir(dir);
}

static void test_missing_file_is_an_error(void) {
        g_autofree char *dir = make_cgroup_dir();
        g_autofree char *path = g_build_filename(dir, "memory.max", NULL);
        int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        CgroupLimits l = CGROUP_LIMITS_NONE;

        g_unlink(path);
        l.memory_max = 4096;
        g_assert_cmpint(cgroup_limits_write(fd, &l), ==, -ENOENT);
        close(fd);
        remove_cgroup_dir(dir);
}

static void test_missing_controller_named(void) {
        CgroupSupport s = { .usable = true, .controllers = CGROUP_CONTROLLER_CPU };
        CgroupLimits l = CGROUP_LIMITS_NONE;

        g_assert_null(cgroup_limits_missing_controller(&s, &l));
        l.cpu_weight = 10;
        g_assert_null(cgroup_limits_missing_controller(&s, &l));
        l.memory_max = 1;
        g_assert_cmpstr(cgroup_limits_missing_controller(&s, &l), ==, "memory");
        l = CGROUP_LIMITS_NONE;
        l.tasks_max = 1;
        g_assert_cmpstr(cgroup_limits_missing_controller(&s, &l), ==, "pids");
        s.controllers = CGROUP_CONTROLLER_PIDS | CGROUP_CONTROLLER_MEMORY;
        l = CGROUP_LIMITS_NONE;
        l.cpu_quota = 1000;
        g_assert_cmpstr(cgroup_limits_missing_controller(&s, &l), ==, "cpu");
}

static void test_process_id_of_path(void) {
        CgroupSupport s = { .usable = true, .subtree = (char *) "/system.slice/procctld.service" };

        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/process-7"), ==, 7);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/process-12/sub"), ==, 12);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/daemon"), ==, 0);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/process-07"), ==, 0);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/process-7x"), ==, 0);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/process-"), ==, 0);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.serviceX/process-7"), ==, 0);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/other.service/process-7"), ==, 0);
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/system.slice/procctld.service/process-99999999999999999999"), ==, 0);
        s.subtree = (char *) "/";
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/process-3"), ==, 3);
        s.usable = false;
        g_assert_cmpuint(cgroup_process_id_of_path(&s, "/process-3"), ==, 0);
}

/* A record from the fd store comes back only as the cgroup cgroup_new()
 * would have made for its id: anything else is refused before it is opened.
 * The directory stands in for the subtree (the cgroup is not there: kept as
 * removed, with its CPU time). */
static void test_reattach_only_own_cgroup(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("procctl-subtree-XXXXXX", &error);
        g_assert_no_error(error);
        CgroupSupport s = { .usable = true, .subtree = (char *) "/procctl.service", .subtree_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC),
                            .inotify_fd = -1 };
        const char *const forged[] = { "/procctl.service/process-8", "/procctl.service/../x/process-7",
                                       "/procctl.service/process-7/..", "/other/process-7", "/procctl.service/process-7/sub",
                                       "/procctl.service/daemon", "process-7", "" };

        for (gsize i = 0; i < G_N_ELEMENTS(forged); i++) {
                Cgroup *cg = cgroup_record_new(forged[i], false, 5);
                g_assert_nonnull(cg);
                g_assert_cmpint(cgroup_reattach(&s, NULL, 7, cg), ==, -EINVAL);
                cgroup_free(cg);
        }
        Cgroup *cg = cgroup_record_new("/procctl.service/process-7", false, 5000);
        g_assert_cmpint(cgroup_reattach(&s, NULL, 7, cg), ==, 0);
        g_assert_true(cg->removed);
        g_assert_cmpuint(cgroup_cpu_usage_nsec(cg), ==, 5000);
        cgroup_free(cg);
        s.usable = false;
        cg = cgroup_record_new("/procctl.service/process-7", false, 5000);
        g_assert_cmpint(cgroup_reattach(&s, NULL, 7, cg), ==, -EOPNOTSUPP);
        cgroup_free(cg);
        close(s.subtree_fd);
        g_rmdir(dir);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/cgroup/limits-are-written-as-cgroupfs-takes-them", test_limits_written);
        g_test_add_func("/cgroup/unset-limits-are-not-written", test_unset_limits_untouched);
        g_test_add_func("/cgroup/a-missing-limit-file-is-an-error", test_missing_file_is_an_error);
        g_test_add_func("/cgroup/a-missing-controller-is-named", test_missing_controller_named);
        g_test_add_func("/cgroup/process-id-of-a-cgroup-path", test_process_id_of_path);
        g_test_add_func("/cgroup/a-restored-record-reattaches-only-its-own-cgroup", test_reattach_only_own_cgroup);
        return g_test_run();
}
