/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Process trees: each spawned process in a cgroup of its own (the "Process
 * trees" section of the bus contract).  The fixture puts each test's daemon
 * in a fresh cgroup below the cgroup2 root, which the daemon divides as it
 * would a subtree systemd delegates to it.  Tests that need cgroups skip
 * with a message where none can be made (not root, or the rerun with
 * PROCCTL_TEST_CGROUP=no, where the options are checked to be NotSupported).
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

/* The cgroup's directory in cgroupfs, from ControlGroup. */
#define NOBODY_UID 65534
#define NOBODY_GID 65534

static char *cgroup_dir(PcFixture *fx, const char *path) {
        g_autofree char *mount = pc_cgroup2_mount();
        g_autofree char *cg = pc_get_process_string(fx, path, "ControlGroup");
        g_assert_nonnull(mount);
        g_assert_true(g_str_has_prefix(cg, "/"));
        return g_strconcat(mount, cg, NULL);
}


/* Spawns argv with its stdout on a pipe whose read end goes to *ret_out
 * (only the child holds the write end), and one more option if given. */
static char *spawn_to_pipe(PcFixture *fx, const char *const *argv, GVariant *extra_key_value_or_null, guint32 *pid,
                           int *ret_out) {
        int out[2];
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int idx = g_unix_fd_list_append(fds, out[1], NULL);
        close(out[1]);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "stdout", g_variant_new_handle(idx));
        if (extra_key_value_or_null)
                g_variant_builder_add_value(&b, extra_key_value_or_null);
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, g_variant_builder_end(&b), fds, pid, &error);
        g_assert_no_error(error);
        *ret_out = out[0];
        return path;
}

/* Spawns `sh -c SCRIPT` whose first line of output is a PID: the grandchild. */
static char *spawn_with_grandchild(PcFixture *fx, const char *script, GVariant *extra_key_value_or_null,
                                   guint32 *pid, pid_t *grandchild) {
        int out;
        char *path = spawn_to_pipe(fx, PC_ARGV("/bin/sh", "-c", script), extra_key_value_or_null, pid, &out);
        g_autofree char *line = pc_read_line(out, PC_TIMEOUT_MS);
        close(out);
        *grandchild = atoi(line);
        g_assert_cmpint(*grandchild, >, 1);
        return path;
}

/* Stop, asserting its result. */
static void assert_stop_result(PcFixture *fx, const char *path, const char *reason, gint32 status) {
        g_autoptr(GError) error = NULL;
        g_autofree char *got = NULL;
        gint32 got_status = -1;
        g_assert_true(pc_stop(fx, path, &got, &got_status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(got, ==, reason);
        g_assert_cmpint(got_status, ==, status);
}

/* A process in a session of its own, started in the background: what
 * `setsid` leaves behind escapes any process group. */
#define SETSID_THEN_SLEEP "setsid sleep 1000 >/dev/null & echo $!; exec sleep 1000"
#define SETSID_THEN_EXIT "setsid sleep 1000 >/dev/null & echo $!"

static gboolean leads_its_session(gpointer pid) {
        return getsid(GPOINTER_TO_INT(pid)) == GPOINTER_TO_INT(pid);
}

static void test_stop_reaches_setsid_grandchild(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        guint32 pid;
        pid_t grandchild;
        g_autofree char *path = spawn_with_grandchild(fx, SETSID_THEN_SLEEP, NULL, &pid, &grandchild);
        int gfd = pc_pidfd_open(grandchild);
        /* Out of the process's session and process group. */
        g_assert_true(pc_poll_until(leads_its_session, GINT_TO_POINTER(grandchild), PC_TIMEOUT_MS));

        assert_stop_result(fx, path, "killed", SIGTERM);
        /* Stop returns once every process of the cgroup has ended. */
        g_assert_true(pc_pidfd_wait_readable(gfd, 0));
        close(gfd);
}

static gboolean dir_gone(gpointer dir) {
        return !g_file_test(dir, G_FILE_TEST_EXISTS);
}

static void test_leftovers_end_with_main_process(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        guint32 pid;
        pid_t grandchild;
        g_autofree char *path = spawn_with_grandchild(fx, SETSID_THEN_EXIT, NULL, &pid, &grandchild);
        int gfd = pc_pidfd_open(grandchild);
        g_autofree char *dir = cgroup_dir(fx, path);

        pc_assert_wait_result(fx, path, "exited", 0);
        g_assert_true(pc_pidfd_wait_readable(gfd, PC_TIMEOUT_MS));
        close(gfd);
        /* Empty, the cgroup is removed; the record stays until released. */
        g_assert_true(pc_poll_until(dir_gone, dir, PC_TIMEOUT_MS));
        g_autoptr(GError) error = NULL;
        g_assert_true(pc_release(fx, path, &error));
        g_assert_no_error(error);
}

static void test_kill_mode_process_keeps_leftovers(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        guint32 pid;
        pid_t grandchild;
        g_autofree char *path = spawn_with_grandchild(
                        fx, SETSID_THEN_EXIT, g_variant_new("{sv}", "kill-mode", g_variant_new_string("process")), &pid,
                        &grandchild);
        int gfd = pc_pidfd_open(grandchild);
        g_autofree char *dir = cgroup_dir(fx, path);

        pc_assert_wait_result(fx, path, "exited", 0);
        g_assert_false(pc_pidfd_wait_readable(gfd, 200));
        g_assert_cmpuint(pc_get_process_u64(fx, path, "TasksCurrent"), >=, 1);
        g_autofree char *procs = pc_cgroup_read(dir, "cgroup.procs");
        g_autofree char *gpid = g_strdup_printf("%d\n", (int) grandchild);
        g_assert_nonnull(strstr(procs, gpid));

        /* Not released while its cgroup holds what it left. */
        g_autoptr(GError) error = NULL;
        g_assert_false(pc_release(fx, path, &error));
        pc_assert_dbus_error(error, PC_ERROR_STILL_RUNNING);
        g_clear_error(&error);

        /* A Stop now acts on what is left, and returns once it has ended. */
        assert_stop_result(fx, path, "exited", 0);
        g_assert_true(pc_pidfd_wait_readable(gfd, 0));
        close(gfd);
        g_assert_cmpuint(pc_get_process_u64(fx, path, "TasksCurrent"), ==, 0);
        g_assert_true(pc_release(fx, path, &error));
        g_assert_no_error(error);
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void test_pid_in_control_group(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "1000"), NULL, &pid);
        g_autofree char *cg = pc_get_process_string(fx, path, "ControlGroup");
        g_autofree char *id = g_strdup(path + strlen(PC_PROCESS_PREFIX));
        g_autofree char *leaf = g_strconcat("/process-", id, NULL);
        g_assert_true(g_str_has_suffix(cg, leaf));
        /* Beside the daemon's own leaf, in the daemon's cgroup. */
        g_autofree char *mount = pc_cgroup2_mount();
        g_autofree char *own = g_path_get_dirname(cg);
        g_autofree char *own_dir = g_strconcat(mount, own, NULL);
        g_assert_cmpstr(own_dir, ==, fx->cgroup);

        g_autofree char *dir = cgroup_dir(fx, path);
        g_autofree char *procs = pc_cgroup_read(dir, "cgroup.procs");
        g_autofree char *want = g_strdup_printf("%u\n", pid);
        g_assert_cmpstr(procs, ==, want);
        g_assert_cmpuint(pc_get_process_u64(fx, path, "TasksCurrent"), ==, 1);
        g_assert_cmpuint(pc_get_process_u64(fx, path, "MemoryCurrent"), ==, G_MAXUINT64); /* no memory controller here */

        assert_stop_result(fx, path, "killed", SIGTERM);
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* The program, as user (NULL: root), prints the cgroup it finds itself in
 * when it starts (cat's /proc/self/cgroup): its own, on either path into it
 * (born there by clone3's CLONE_INTO_CGROUP, or, with
 * --clone-into-cgroup=no, moved there before exec). */
static void assert_program_starts_in_its_cgroup(PcFixture *fx, const char *user) {
        int out;
        g_autofree char *path = spawn_to_pipe(fx, PC_ARGV("/bin/cat", "/proc/self/cgroup"),
                                              user ? g_variant_new("{sv}", "user", g_variant_new_string(user)) : NULL,
                                              NULL, &out);
        g_autofree char *text = pc_read_to_eof(out, PC_TIMEOUT_MS);
        close(out);
        pc_assert_wait_result(fx, path, "exited", 0);

        g_autofree char *cg = pc_get_process_string(fx, path, "ControlGroup");
        g_autofree char *want = g_strdup_printf("0::%s\n", cg);
        g_assert_true(g_str_has_prefix(cg, "/"));
        g_assert_nonnull(text);
        /* The cgroup v2 line (on a hybrid system, after the v1 ones). */
        const char *line = g_str_has_prefix(text, "0::") ? text : strstr(text, "\n0::");
        g_assert_nonnull(line);
        g_assert_true(g_str_has_prefix(line + (line[0] == '\n'), want));
        g_autoptr(GError) release_error = NULL;
        g_assert_true(pc_release(fx, path, &release_error));
        g_assert_no_error(release_error);
}

static void test_program_starts_in_its_cgroup(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        assert_program_starts_in_its_cgroup(fx, NULL);
        /* Through procctl-exec, which the child execs first. */
        assert_program_starts_in_its_cgroup(fx, "nobody");
}

static void test_cpu_usage_grows(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "while :; do :; done"), NULL, NULL);
        guint64 first = pc_get_process_u64(fx, path, "CPUUsageNSec"), now = first;
        for (int i = 0; i < 1000 && now < first + 20 * 1000 * 1000; i++) {
                g_usleep(10 * 1000);
                now = pc_get_process_u64(fx, path, "CPUUsageNSec");
        }
        g_assert_cmpuint(now, >=, first + 20 * 1000 * 1000);

        assert_stop_result(fx, path, "killed", SIGTERM);
        /* Kept after the cgroup is gone. */
        g_assert_cmpuint(pc_get_process_u64(fx, path, "CPUUsageNSec"), >=, now);
}

static gboolean cgroup_frozen_is(const char *dir, gboolean frozen) {
        g_autofree char *events = pc_cgroup_read(dir, "cgroup.events");
        return events && strstr(events, frozen ? "frozen 1" : "frozen 0") != NULL;
}

static gboolean is_frozen(gpointer dir) {
        return cgroup_frozen_is(dir, TRUE);
}

static gboolean is_thawed(gpointer dir) {
        return cgroup_frozen_is(dir, FALSE);
}

static gboolean frozen_signal(const PcRecordedSignal *s, gpointer want) {
        g_autoptr(GVariant) changed = g_variant_get_child_value(s->params, 1);
        gboolean frozen;
        return g_variant_lookup(changed, "Frozen", "b", &frozen) && frozen == GPOINTER_TO_INT(want);
}

static void test_freeze_thaw(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "1000"), NULL, &pid);
        g_autofree char *dir = cgroup_dir(fx, path);
        g_autoptr(PcSignalRecorder) rec = pc_signal_recorder_new(fx, "org.freedesktop.DBus.Properties", "PropertiesChanged", path);
        g_autoptr(GError) error = NULL;

        g_autoptr(GVariant) r1 = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Freeze", NULL, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(is_frozen, dir, PC_TIMEOUT_MS));
        g_assert_nonnull(pc_signal_recorder_wait(rec, frozen_signal, GINT_TO_POINTER(TRUE), PC_TIMEOUT_MS));
        PcBoolProperty f = { fx, path, "Frozen", TRUE };
        g_assert_true(pc_poll_until(pc_process_bool_is, &f, PC_TIMEOUT_MS));

        g_autoptr(GVariant) r2 = pc_manager_call(fx, "ThawProcess", g_variant_new("(o)", path), NULL, &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(is_thawed, dir, PC_TIMEOUT_MS));
        g_assert_nonnull(pc_signal_recorder_wait(rec, frozen_signal, GINT_TO_POINTER(FALSE), PC_TIMEOUT_MS));

        /* A frozen process can still be stopped. */
        g_autoptr(GVariant) r3 = pc_manager_call(fx, "FreezeProcess", g_variant_new("(o)", path), NULL, &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(is_frozen, dir, PC_TIMEOUT_MS));
        assert_stop_result(fx, path, "killed", SIGTERM);

        /* Nothing left to freeze. */
        g_autoptr(GVariant) r4 = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Freeze", NULL, NULL, NULL, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_NOT_RUNNING);
}

static gboolean restart_count_is_one(gpointer data) {
        PcBoolProperty *f = data;
        return pc_get_process_u32(f->fx, f->path, "RestartCount") == 1;
}

/* A frozen process is restarted all the same, in kill-mode process too (its
 * SIGTERM is acted on at once, no stop-timeout: thawed first), and a next
 * run never starts frozen, also after a run killed while frozen. */
static void test_frozen_process_restarts_thawed(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        GVariant *o = pc_options("restart", g_variant_new_string("always"), "restart-delay", g_variant_new_uint64(10000),
                                 "kill-mode", g_variant_new_string("process"), "stop-timeout",
                                 g_variant_new_uint64(G_MAXUINT64), NULL);
        guint32 pid;
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "1000"), o, &pid);
        g_autofree char *dir = cgroup_dir(fx, path);
        g_autoptr(GError) error = NULL;
        PcAsyncCall c = {};

        pc_wait_comm((pid_t) pid, "sleep");
        g_autoptr(GVariant) r1 = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Freeze", NULL, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(is_frozen, dir, PC_TIMEOUT_MS));
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Restart", NULL, G_VARIANT_TYPE("(u)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done, &c);
        pc_async_call_wait(&c);
        g_assert_no_error(c.error);
        g_clear_pointer(&c.reply, g_variant_unref);
        g_assert_true(pc_poll_until(is_thawed, dir, PC_TIMEOUT_MS));
        pc_wait_comm((pid_t) pc_get_process_u32(fx, path, "Pid"), "sleep");
        g_assert_true(pc_stop(fx, path, NULL, NULL, &error));
        g_assert_no_error(error);

        /* A user's run killed while frozen: the policy's next run starts
         * thawed (a child cloned into a frozen cgroup would hold the daemon,
         * which waits for its exec, for everyone). */
        o = pc_options("restart", g_variant_new_string("always"), "restart-delay", g_variant_new_uint64(10000), NULL);
        g_autoptr(GVariant) spawned = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                                 g_variant_new("(^as@a{sv})", PC_ARGV("/bin/sleep", "1000"), o), &error);
        g_assert_no_error(error);
        const char *two;
        g_variant_get(spawned, "(&ou)", &two, &pid);
        g_autofree char *dir2 = cgroup_dir(fx, two);
        pc_wait_comm((pid_t) pid, "sleep");
        g_autoptr(GVariant) r2 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, two, PC_PROCESS_IFACE, "Freeze", NULL, &error);
        g_assert_no_error(error);
        g_assert_true(pc_poll_until(is_frozen, dir2, PC_TIMEOUT_MS));
        g_autoptr(GVariant) r3 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, two, PC_PROCESS_IFACE, "Signal",
                                            g_variant_new("(i)", SIGKILL), &error);
        g_assert_no_error(error);
        PcBoolProperty f = { fx, two, "RestartCount", TRUE };
        g_assert_true(pc_poll_until(restart_count_is_one, &f, PC_TIMEOUT_MS));
        g_assert_true(pc_poll_until(is_thawed, dir2, PC_TIMEOUT_MS));
        pc_wait_comm((pid_t) pc_get_process_u32(fx, two, "Pid"), "sleep");
        g_assert_true(pc_stop(fx, two, NULL, NULL, &error));
}

static char *get_process_by_pid(PcFixture *fx, guint32 pid, GError **error) {
        g_autoptr(GVariant) r = pc_manager_call(fx, "GetProcessByPid", g_variant_new("(u)", pid), G_VARIANT_TYPE("(o)"), error);
        char *path = NULL;
        if (r)
                g_variant_get(r, "(o)", &path);
        return path;
}

static void test_get_process_by_pid_finds_grandchild(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        guint32 pid;
        pid_t grandchild;
        g_autofree char *path = spawn_with_grandchild(fx, SETSID_THEN_SLEEP, NULL, &pid, &grandchild);
        g_autofree char *other = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "1000"), NULL, NULL);
        g_autoptr(GError) error = NULL;

        g_autofree char *by_main = get_process_by_pid(fx, pid, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(by_main, ==, path);
        g_autofree char *by_grandchild = get_process_by_pid(fx, (guint32) grandchild, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(by_grandchild, ==, path);

        /* Not tracked: the test itself, the daemon. */
        g_autofree char *none = get_process_by_pid(fx, (guint32) getpid(), &error);
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        g_clear_error(&error);
        g_autofree char *daemon = get_process_by_pid(fx, (guint32) fx->daemon_pid, &error);
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        g_clear_error(&error);
        g_autofree char *zero = get_process_by_pid(fx, 0, &error);
        pc_assert_dbus_error(error, PC_ERROR_INVALID_ARGS);
}

static gboolean only_daemon_leaf(gpointer dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;
        while ((name = g_dir_read_name(d))) {
                g_autofree char *sub = g_build_filename(dir, name, NULL);
                if (g_file_test(sub, G_FILE_TEST_IS_DIR) && strcmp(name, "daemon") != 0)
                        return FALSE;
        }
        return TRUE;
}

static void test_cycles_leave_no_cgroup(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        for (int i = 0; i < 100; i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = pc_spawn_ok(fx, i % 2 ? PC_ARGV("/bin/true") : PC_ARGV("/bin/sh", "-c", "sleep 1000 & exit 3"),
                                                    NULL, NULL);
                pc_assert_wait_result(fx, path, "exited", i % 2 ? 0 : 3);
                g_assert_true(pc_release(fx, path, &error));
                g_assert_no_error(error);
        }
        g_assert_true(pc_poll_until(only_daemon_leaf, fx->cgroup, PC_TIMEOUT_MS));
}

static void assert_spawn_error(PcFixture *fx, GVariant *options, const char *name, const char *in_message) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), options, NULL, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, name);
        g_test_message("%s", error->message);
        if (in_message && !strstr(error->message, in_message))
                pc_fail("\"%s\" does not name %s", error->message, in_message);
}

static void test_limit_refused_by_name(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autofree char *controllers = pc_cgroup_read(fx->cgroup, "cgroup.subtree_control");
        const struct {
                const char *key, *controller;
        } limits[] = { { "memory-max", "memory" }, { "tasks-max", "pids" }, { "cpu-weight", "cpu" }, { "cpu-quota", "cpu" } };
        for (gsize i = 0; i < G_N_ELEMENTS(limits); i++) {
                if (controllers && strstr(controllers, limits[i].controller)) {
                        g_test_message("the %s controller is there: %s not refused", limits[i].controller, limits[i].key);
                        continue;
                }
                assert_spawn_error(fx, pc_options(limits[i].key, g_variant_new_uint64(100), NULL), PC_ERROR_NOT_SUPPORTED,
                                   limits[i].controller);
        }
        assert_spawn_error(fx, pc_options("kill-mode", g_variant_new_string("mixed"), NULL), PC_ERROR_INVALID_ARGS, "kill-mode");
        assert_spawn_error(fx, pc_options("cpu-weight", g_variant_new_uint64(0), NULL), PC_ERROR_INVALID_ARGS, "cpu-weight");
        assert_spawn_error(fx, pc_options("cpu-weight", g_variant_new_uint64(10001), NULL), PC_ERROR_INVALID_ARGS, "cpu-weight");
        /* Nothing was left behind by the refusals. */
        g_assert_true(only_daemon_leaf(fx->cgroup));
}

/* Without cgroups (the rerun with --cgroup=no): every option of a tree is NotSupported. */
static void test_options_without_cgroups(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        /* --cgroup=no must take the feature away. */
        g_assert_false(g_strv_contains((const char *const *) features, "cgroup"));
        const char *keys[] = { "memory-max", "tasks-max", "cpu-weight", "cpu-quota" };
        for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
                assert_spawn_error(fx, pc_options(keys[i], g_variant_new_uint64(100), NULL), PC_ERROR_NOT_SUPPORTED, keys[i]);
        assert_spawn_error(fx, pc_options("kill-mode", g_variant_new_string("process"), NULL), PC_ERROR_NOT_SUPPORTED,
                           "kill-mode");
        g_autofree char *path = pc_spawn_ok(fx, PC_ARGV("/bin/sleep", "1000"), NULL, NULL);
        g_autofree char *cg = pc_get_process_string(fx, path, "ControlGroup");
        g_assert_cmpstr(cg, ==, "");
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = pc_call(fx, NULL, path, PC_PROCESS_IFACE, "Freeze", NULL, NULL, NULL, NULL, &error);
        pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
}

/* --- procctld.conf's defaults and maxima ------------------------------------ */

/* Every daemon of this program reads these (main()); they bind callers other than root. */
#define CONF "[Limits]\nDefaultMemoryMax=512M\nMaxMemoryMax=1G\nMaxCPUWeight=50\n"
#define NOBODY_UID 65534
#define NOBODY_GID 65534

static GVariant *spawn_as_nobody(PcFixture *fx, const char *const *argv, GVariant *options, GError **error) {
        return pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                          g_variant_new("(^as@a{sv})", argv, options ? options : pc_options(NULL, NULL)), error);
}

static gboolean has_controller(PcFixture *fx, const char *name) {
        g_autofree char *controllers = pc_cgroup_read(fx->cgroup, "cgroup.subtree_control");
        return controllers && strstr(controllers, name);
}

/* A default is what a process gets where its controller is there; where it
 * is not, the Spawn works all the same.  Asking for the limit there is
 * NotSupported, as always. */
static void test_conf_default_without_its_controller(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = spawn_as_nobody(fx, PC_ARGV("/bin/sleep", "1000"), NULL, &error);
        g_assert_no_error(error);
        const char *path;
        g_variant_get(reply, "(&ou)", &path, NULL);
        g_autofree char *dir = cgroup_dir(fx, path);
        g_autofree char *memory_max = pc_cgroup_read(dir, "memory.max");
        if (has_controller(fx, "memory"))
                g_assert_cmpstr(memory_max, ==, "536870912\n");
        else
                g_assert_null(memory_max);
        assert_stop_result(fx, path, "killed", SIGTERM);

        if (!has_controller(fx, "memory")) {
                g_autoptr(GVariant) r = spawn_as_nobody(fx, PC_ARGV("/bin/true"),
                                                        pc_options("memory-max", g_variant_new_uint64(1024 * 1024), NULL), &error);
                pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
                g_assert_nonnull(strstr(error->message, "memory"));
        }
}

/* No caller but root may lift a limit past the configured maximum: refused
 * by name, whether the controller is there or not. */
static void test_conf_maximum_refuses_more(PcFixture *fx) {
        if (!pc_have_cgroups(fx))
                return;
        const struct {
                const char *option, *key;
                guint64 value;
        } asks[] = { { "memory-max", "MaxMemoryMax", (guint64) 2 << 30 }, { "cpu-weight", "MaxCPUWeight", 51 } };
        for (gsize i = 0; i < G_N_ELEMENTS(asks); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = spawn_as_nobody(fx, PC_ARGV("/bin/true"),
                                                        pc_options(asks[i].option, g_variant_new_uint64(asks[i].value), NULL),
                                                        &error);
                pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
                g_test_message("%s", error->message);
                g_assert_nonnull(strstr(error->message, asks[i].option));
                g_assert_nonnull(strstr(error->message, asks[i].key));
        }
        /* Root is exempt: only the missing controller can refuse it. */
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), pc_options("cpu-weight", g_variant_new_uint64(51), NULL),
                                                 NULL, NULL, &error);
        if (has_controller(fx, "cpu"))
                g_assert_no_error(error);
        else
                pc_assert_dbus_error(error, PC_ERROR_NOT_SUPPORTED);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        g_autofree char *conf = NULL;
        int fd = g_file_open_tmp("procctld-XXXXXX.conf", &conf, NULL);
        g_assert_cmpint(fd, >=, 0);
        close(fd);
        g_assert_true(g_file_set_contents(conf, CONF, -1, NULL));
        g_autofree char *conf_option = g_strconcat("--config=", conf, NULL);
        pc_fixture_daemon_option = conf_option;
        /* The rerun with PROCCTL_TEST_CGROUP=no tests the daemon without
         * cgroups; the ordinary run, the tree.  Each registers its own cases. */
        /* The rerun with PROCCTL_TEST_CLONE_INTO_CGROUP=no: every case again
         * with children that join their cgroup before exec, as on kernels
         * without clone3's CLONE_INTO_CGROUP. */
        if (g_strcmp0(g_getenv("PROCCTL_TEST_CLONE_INTO_CGROUP"), "no") == 0)
                pc_fixture_daemon_option2 = "--clone-into-cgroup=no";
        if (g_strcmp0(g_getenv("PROCCTL_TEST_CGROUP"), "no") == 0) {
                pc_test_add("/cgroup/without-cgroups-tree-options-are-not-supported", PC_FIXTURE_DEFAULT,
                            test_options_without_cgroups);
                int r = g_test_run();
                unlink(conf);
                return r;
        }
        pc_test_add("/cgroup/conf-default-without-its-controller-is-no-error", PC_FIXTURE_NEEDS_ROOT,
                    test_conf_default_without_its_controller);
        pc_test_add("/cgroup/conf-maximum-refuses-a-caller-asking-more", PC_FIXTURE_NEEDS_ROOT,
                    test_conf_maximum_refuses_more);
        pc_test_add("/cgroup/stop-reaches-a-setsid-grandchild", PC_FIXTURE_DEFAULT, test_stop_reaches_setsid_grandchild);
        pc_test_add("/cgroup/leftovers-end-with-the-main-process", PC_FIXTURE_DEFAULT, test_leftovers_end_with_main_process);
        pc_test_add("/cgroup/kill-mode-process-keeps-leftovers", PC_FIXTURE_DEFAULT, test_kill_mode_process_keeps_leftovers);
        pc_test_add("/cgroup/pid-is-in-the-cgroup-named-by-control-group", PC_FIXTURE_DEFAULT, test_pid_in_control_group);
        pc_test_add("/cgroup/program-starts-in-its-cgroup", PC_FIXTURE_DEFAULT, test_program_starts_in_its_cgroup);
        pc_test_add("/cgroup/cpu-usage-grows-under-a-busy-loop", PC_FIXTURE_DEFAULT, test_cpu_usage_grows);
        pc_test_add("/cgroup/freeze-and-thaw-flip-cgroup-events", PC_FIXTURE_DEFAULT, test_freeze_thaw);
        pc_test_add("/cgroup/frozen-process-restarts-thawed", PC_FIXTURE_DEFAULT, test_frozen_process_restarts_thawed);
        pc_test_add("/cgroup/get-process-by-pid-finds-a-grandchild", PC_FIXTURE_DEFAULT,
                    test_get_process_by_pid_finds_grandchild);
        pc_test_add("/cgroup/spawn-release-cycles-leave-no-cgroup", PC_FIXTURE_DEFAULT, test_cycles_leave_no_cgroup);
        pc_test_add("/cgroup/a-limit-without-its-controller-is-refused-by-name", PC_FIXTURE_DEFAULT,
                    test_limit_refused_by_name);
        int r = g_test_run();
        unlink(conf);
        return r;
}
