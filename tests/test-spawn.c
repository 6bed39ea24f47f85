/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Spawn: what it returns, how it finds the program, and every way it refuses
 * to start one (exec failures, invalid arguments, limits), each an error reply
 * with no object left behind and no descriptor leaked by the daemon.
 */

#include "fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

/* No process object, no listing entry, no child of the daemon (not even a
 * zombie: a failed child must be reaped). */
static gboolean daemon_has_no_children(gpointer user_data) {
        PcFixture *fx = user_data;
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, TRUE);
        return children->len == 0;
}

static void assert_nothing_tracked(PcFixture *fx) {
        g_autoptr(GError) error = NULL;

        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);

        g_autoptr(GVariant) list = pc_manager_call(fx, "ListProcesses", NULL,
                                                   G_VARIANT_TYPE("(a(ouuss))"), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) entries = g_variant_get_child_value(list, 0);
        g_assert_cmpuint(g_variant_n_children(entries), ==, 0);

        g_autoptr(GVariant) objects = pc_call(fx, NULL, PC_MANAGER_PATH,
                                              "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                              NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), NULL, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) dict = g_variant_get_child_value(objects, 0);
        g_assert_cmpuint(g_variant_n_children(dict), ==, 0);

        if (!pc_poll_until(daemon_has_no_children, fx, PC_TIMEOUT_MS))
                pc_fail("the daemon still has a child (or an unreaped zombie) after a failed spawn");
}

/* Spawn must fail with ExecFailed whose message contains every needle. */
static void assert_exec_failed(PcFixture *fx, const char *const *argv, GVariant *options,
                               const char *const *needles) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, argv, options, NULL, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, PC_ERROR_EXEC_FAILED);

        g_autofree char *message = g_strdup(error->message);
        g_dbus_error_strip_remote_error(error);
        g_test_message("ExecFailed: %s", error->message);
        for (const char *const *n = needles; *n; n++)
                if (!strstr(error->message, *n))
                        pc_fail("ExecFailed message \"%s\" does not contain \"%s\"", error->message, *n);

        assert_nothing_tracked(fx);
}

#define NEEDLES(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* --- What a spawn returns --------------------------------------------- */

static void test_returns_object_and_pid(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint32 pid = 0;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid, &error);
        g_assert_no_error(error);

        g_assert_true(g_str_has_prefix(path, PC_PROCESS_PREFIX));
        const char *id_text = path + strlen(PC_PROCESS_PREFIX);
        guint64 id = 0;
        g_assert_true(g_ascii_string_to_unsigned(id_text, 10, 1, G_MAXUINT64, &id, NULL));
        g_assert_cmpuint(id, ==, 1);

        g_assert_cmpuint(pid, >, 0);
        g_assert_true(pc_process_is_alive((pid_t) pid));
        g_autofree char *comm_path = g_strdup_printf("/proc/%u/comm", pid);
        g_autofree char *comm = NULL;
        g_assert_true(g_file_get_contents(comm_path, &comm, NULL, NULL));
        g_assert_cmpstr(g_strstrip(comm), ==, "sleep");

        g_assert_cmpuint(pc_get_process_u32(fx, path, "Pid"), ==, pid);
        g_autoptr(GVariant) idv = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Id", G_VARIANT_TYPE_UINT64);
        g_assert_cmpuint(g_variant_get_uint64(idv), ==, id);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 1);

        /* The daemon is the parent: it reaps. */
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, FALSE);
        g_assert_cmpuint(children->len, ==, 1);
        g_assert_cmpint(g_array_index(children, pid_t, 0), ==, (pid_t) pid);

        g_autofree char *reason = NULL;
        gint32 status;
        pc_stop(fx, path, &reason, &status, &error);
        g_assert_no_error(error);
}

static void test_ids_are_never_reused(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        guint64 last = 0;

        for (int i = 0; i < 3; i++) {
                g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL, &error);
                g_assert_no_error(error);
                guint64 id = g_ascii_strtoull(path + strlen(PC_PROCESS_PREFIX), NULL, 10);
                g_assert_cmpuint(id, >, last);
                last = id;
                pc_assert_wait_result(fx, path, "exited", 0);
                pc_release(fx, path, &error);
                g_assert_no_error(error);
        }
        g_assert_cmpuint(last, ==, 3);
}

static void test_path_lookup_of_bare_name(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("sh", "-c", "exit 7"), NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "exited", 7);

        g_autoptr(GVariant) argv = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Argv", G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **a = g_variant_get_strv(argv, NULL);
        g_assert_cmpstr(a[0], ==, "sh");
}

static void test_path_lookup_uses_child_path(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *bindir = g_build_filename(fx->tmpdir, "bin", NULL);
        g_assert_cmpint(mkdir(bindir, 0755), ==, 0);
        g_autofree char *tool = pc_fixture_write_file(fx, "bin/procctl-test-tool", "#!/bin/sh\nexit 5\n", 0755);

        g_autofree char *path_env = g_strdup_printf("PATH=%s", bindir);
        const char *const env[] = { path_env, NULL };
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("procctl-test-tool"),
                                                 pc_options("environment", g_variant_new_strv(env, -1), NULL),
                                                 NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "exited", 5);
}

static void test_executable_option(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *file = pc_fixture_out_path(fx, "report");
        const char *const *argv = PC_ARGV("renamed-child", "report", file);

        g_autofree char *path = pc_fixture_spawn(fx, argv,
                                                 pc_options("executable", g_variant_new_string(pc_child_path()), NULL),
                                                 NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "exited", 0);

        g_autoptr(PcReport) r = pc_report_load(file, PC_TIMEOUT_MS);
        g_assert_cmpstr(pc_report_get(r, "argv0"), ==, "renamed-child");
        g_assert_cmpstr(pc_report_get(r, "exe"), ==, pc_child_path());

        g_autofree char *exe = pc_get_process_string(fx, path, "Executable");
        g_assert_cmpstr(exe, ==, pc_child_path());
        g_autoptr(GVariant) argv_prop = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, "Argv",
                                                                G_VARIANT_TYPE_STRING_ARRAY);
        g_autofree const char **a = g_variant_get_strv(argv_prop, NULL);
        g_assert_cmpstrv(a, argv);
}

/* --- Exec failures: error replies, never a child exiting 127 ------------ */

static void test_exec_enoent(PcFixture *fx) {
        assert_exec_failed(fx, PC_ARGV("/nonexistent/program"), NULL,
                           NEEDLES("execve(\"/nonexistent/program\")", "No such file or directory"));
}

static void test_exec_eacces_no_exec_bit(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "not-executable", "#!/bin/sh\nexit 0\n", 0644);
        g_autofree char *needle = g_strdup_printf("execve(\"%s\")", file);
        assert_exec_failed(fx, PC_ARGV(file), NULL, NEEDLES(needle, "Permission denied"));
}

static void test_exec_directory(PcFixture *fx) {
        assert_exec_failed(fx, PC_ARGV(fx->tmpdir), NULL,
                           NEEDLES(fx->tmpdir, "Permission denied"));
}

static void test_exec_enoexec_not_run_by_sh(PcFixture *fx) {
        /* Executable, but neither ELF nor "#!": execvp() would hand it to
         * /bin/sh, which would create the marker. */
        g_autofree char *marker = pc_fixture_out_path(fx, "ran-through-sh");
        g_autofree char *script = g_strdup_printf("touch %s\nexit 0\n", marker);
        g_autofree char *file = pc_fixture_write_file(fx, "no-shebang", script, 0755);
        g_autofree char *needle = g_strdup_printf("execve(\"%s\")", file);

        assert_exec_failed(fx, PC_ARGV(file), NULL, NEEDLES(needle, "Exec format error"));
        g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));

        /* The same through a PATH lookup (where execvp would retry via sh). */
        g_autofree char *path_env = g_strdup_printf("PATH=%s", fx->tmpdir);
        const char *const env[] = { path_env, NULL };
        assert_exec_failed(fx, PC_ARGV("no-shebang"),
                           pc_options("environment", g_variant_new_strv(env, -1), NULL),
                           NEEDLES("no-shebang", "Exec format error"));
        g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
}

static void test_exec_enotdir(PcFixture *fx) {
        assert_exec_failed(fx, PC_ARGV("/etc/passwd/program"), NULL,
                           NEEDLES("execve(\"/etc/passwd/program\")", "Not a directory"));
}

static void test_exec_missing_interpreter(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "script", "#!/nonexistent/interpreter -x\nexit 0\n", 0755);
        assert_exec_failed(fx, PC_ARGV(file), NULL,
                           NEEDLES(file, "interpreter \"/nonexistent/interpreter\""));
}

static void test_exec_e2big(PcFixture *fx) {
        /* One argument above the kernel's MAX_ARG_STRLEN (128 KiB) but well
         * within the daemon's totals: execve itself says E2BIG. */
        g_autofree char *big = g_malloc(200 * 1024 + 1);
        memset(big, 'x', 200 * 1024);
        big[200 * 1024] = '\0';
        assert_exec_failed(fx, PC_ARGV("/bin/true", big), NULL,
                           NEEDLES("/bin/true", "Argument list too long"));
}

static void test_exec_bare_name_not_in_path(PcFixture *fx) {
        assert_exec_failed(fx, PC_ARGV("procctl-no-such-program"), NULL,
                           NEEDLES("execvp(\"procctl-no-such-program\")", "No such file or directory"));
}

static void test_exec_missing_working_directory(PcFixture *fx) {
        assert_exec_failed(fx, PC_ARGV("/bin/true"),
                           pc_options("working-directory", g_variant_new_string("/nonexistent/dir"), NULL),
                           NEEDLES("chdir(\"/nonexistent/dir\")", "No such file or directory"));
}

/* --- Invalid arguments -------------------------------------------------- */

typedef struct {
        const char *name;
        const char *error;               /* expected D-Bus error */
        const char *const *argv;         /* NULL: /bin/true */
        GVariant *(*options)(GUnixFDList *fds); /* NULL: none */
} BadSpawn;

static int append_fd(GUnixFDList *fds, int fd) {
        g_autoptr(GError) error = NULL;
        int idx = g_unix_fd_list_append(fds, fd, &error);
        g_assert_no_error(error);
        return idx;
}

static int append_pipe_end(GUnixFDList *fds) {
        int p[2];
        pc_pipe(p);
        int idx = append_fd(fds, p[1]);
        close(p[0]);
        close(p[1]);
        return idx;
}

static GVariant *opt_unknown_key(GUnixFDList *fds) {
        return pc_options("no-such-option", g_variant_new_string("x"), NULL);
}
static GVariant *opt_umask_wrong_type(GUnixFDList *fds) {
        return pc_options("umask", g_variant_new_int32(022), NULL);
}
static GVariant *opt_cwd_wrong_type(GUnixFDList *fds) {
        return pc_options("working-directory", g_variant_new_uint32(0), NULL);
}
static GVariant *opt_env_wrong_type(GUnixFDList *fds) {
        return pc_options("environment", g_variant_new_string("FOO=bar"), NULL);
}
static GVariant *opt_stdin_wrong_type(GUnixFDList *fds) {
        return pc_options("stdin", g_variant_new_int32(0), NULL);
}
static GVariant *opt_fds_wrong_type(GUnixFDList *fds) {
        return pc_options("fds", g_variant_new_parsed("@a{uu} {5: 0}"), NULL);
}
static GVariant *opt_timeout_wrong_type(GUnixFDList *fds) {
        return pc_options("timeout", g_variant_new_uint32(1000), NULL);
}
static GVariant *opt_stop_timeout_wrong_type(GUnixFDList *fds) {
        return pc_options("stop-timeout", g_variant_new_int64(1000), NULL);
}
static GVariant *opt_kill_on_disconnect_wrong_type(GUnixFDList *fds) {
        return pc_options("kill-on-disconnect", g_variant_new_string("true"), NULL);
}
static GVariant *opt_description_wrong_type(GUnixFDList *fds) {
        return pc_options("description", g_variant_new_object_path("/x"), NULL);
}
static GVariant *opt_user_wrong_type(GUnixFDList *fds) {
        return pc_options("user", g_variant_new_uint32(0), NULL);
}
static GVariant *opt_relative_cwd(GUnixFDList *fds) {
        return pc_options("working-directory", g_variant_new_string("tmp"), NULL);
}
static GVariant *opt_env_without_equals(GUnixFDList *fds) {
        const char *const env[] = { "GOOD=1", "NOEQUALS", NULL };
        return pc_options("environment", g_variant_new_strv(env, -1), NULL);
}
static GVariant *opt_env_empty_key(GUnixFDList *fds) {
        const char *const env[] = { "=value", NULL };
        return pc_options("environment", g_variant_new_strv(env, -1), NULL);
}
static GVariant *fds_with(guint32 k1, int i1, guint32 k2, int i2) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{uh}"));
        g_variant_builder_add(&b, "{uh}", k1, i1);
        if (i2 >= 0)
                g_variant_builder_add(&b, "{uh}", k2, i2);
        return pc_options("fds", g_variant_builder_end(&b), NULL);
}
static GVariant *opt_fds_target_2(GUnixFDList *fds) {
        return fds_with(2, append_pipe_end(fds), 0, -1);
}
static GVariant *opt_fds_target_0(GUnixFDList *fds) {
        return fds_with(0, append_pipe_end(fds), 0, -1);
}
static GVariant *opt_fds_target_1024(GUnixFDList *fds) {
        return fds_with(1024, append_pipe_end(fds), 0, -1);
}
static GVariant *opt_fds_duplicate_target(GUnixFDList *fds) {
        return fds_with(5, append_pipe_end(fds), 5, append_pipe_end(fds));
}
static GVariant *opt_fds_o_path(GUnixFDList *fds) {
        int fd = open("/", O_PATH | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        int idx = append_fd(fds, fd);
        close(fd);
        return fds_with(5, idx, 0, -1);
}
static GVariant *opt_stdout_o_path(GUnixFDList *fds) {
        int fd = open("/dev/null", O_PATH | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        int idx = append_fd(fds, fd);
        close(fd);
        return pc_options("stdout", g_variant_new_handle(idx), NULL);
}
static GVariant *opt_duplicate_key(GUnixFDList *fds) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "umask", g_variant_new_uint32(022));
        g_variant_builder_add(&b, "{sv}", "umask", g_variant_new_uint32(077));
        return g_variant_builder_end(&b);
}
static GVariant *opt_valid_fds_then_unknown_key(GUnixFDList *fds) {
        /* Descriptors the daemon received for a call it refuses must be
         * closed all the same. */
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "stdin", g_variant_new_handle(append_pipe_end(fds)));
        g_variant_builder_add(&b, "{sv}", "stdout", g_variant_new_handle(append_pipe_end(fds)));
        g_variant_builder_add(&b, "{sv}", "no-such-option", g_variant_new_boolean(TRUE));
        return g_variant_builder_end(&b);
}

static const BadSpawn bad_spawns[] = {
        { "empty-argv", PC_ERROR_INVALID_ARGS, (const char *const[]) { NULL }, NULL },
        { "empty-argv0", PC_ERROR_INVALID_ARGS, (const char *const[]) { "", "x", NULL }, NULL },
        { "unknown-option-key", PC_ERROR_INVALID_ARGS, NULL, opt_unknown_key },
        { "duplicate-option-key", PC_ERROR_INVALID_ARGS, NULL, opt_duplicate_key },
        { "wrong-type/umask", PC_ERROR_INVALID_ARGS, NULL, opt_umask_wrong_type },
        { "wrong-type/working-directory", PC_ERROR_INVALID_ARGS, NULL, opt_cwd_wrong_type },
        { "wrong-type/environment", PC_ERROR_INVALID_ARGS, NULL, opt_env_wrong_type },
        { "wrong-type/stdin", PC_ERROR_INVALID_ARGS, NULL, opt_stdin_wrong_type },
        { "wrong-type/fds", PC_ERROR_INVALID_ARGS, NULL, opt_fds_wrong_type },
        { "wrong-type/timeout", PC_ERROR_INVALID_ARGS, NULL, opt_timeout_wrong_type },
        { "wrong-type/stop-timeout", PC_ERROR_INVALID_ARGS, NULL, opt_stop_timeout_wrong_type },
        { "wrong-type/kill-on-disconnect", PC_ERROR_INVALID_ARGS, NULL, opt_kill_on_disconnect_wrong_type },
        { "wrong-type/description", PC_ERROR_INVALID_ARGS, NULL, opt_description_wrong_type },
        { "wrong-type/user", PC_ERROR_INVALID_ARGS, NULL, opt_user_wrong_type },
        { "relative-working-directory", PC_ERROR_INVALID_ARGS, NULL, opt_relative_cwd },
        { "environment-entry-without-equals", PC_ERROR_INVALID_ARGS, NULL, opt_env_without_equals },
        { "environment-entry-with-empty-name", PC_ERROR_INVALID_ARGS, NULL, opt_env_empty_key },
        { "fds-target-below-3/2", PC_ERROR_INVALID_ARGS, NULL, opt_fds_target_2 },
        { "fds-target-below-3/0", PC_ERROR_INVALID_ARGS, NULL, opt_fds_target_0 },
        { "fds-target-above-1023", PC_ERROR_INVALID_ARGS, NULL, opt_fds_target_1024 },
        { "fds-duplicate-target", PC_ERROR_INVALID_ARGS, NULL, opt_fds_duplicate_target },
        { "fds-o-path-descriptor", PC_ERROR_INVALID_ARGS, NULL, opt_fds_o_path },
        { "stdout-o-path-descriptor", PC_ERROR_INVALID_ARGS, NULL, opt_stdout_o_path },
        { "received-fds-with-unknown-key", PC_ERROR_INVALID_ARGS, NULL, opt_valid_fds_then_unknown_key },
};

static void run_bad_spawn(PcFixture *fx, const BadSpawn *bad) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        GVariant *options = bad->options ? bad->options(fds) : NULL;
        const char *const *argv = bad->argv ? bad->argv : PC_ARGV("/bin/true");

        g_autofree char *path = pc_fixture_spawn(fx, argv, options, fds, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, bad->error);
        g_test_message("%s: %s", bad->name, error->message);
}

static void test_bad_spawn(PcFixture *fx, gconstpointer data) {
        run_bad_spawn(fx, data);
        assert_nothing_tracked(fx);
}

/* --- Limits ------------------------------------------------------------- */

static void test_limit_too_many_args(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) "/bin/true");
        for (int i = 0; i < 16384; i++)
                g_ptr_array_add(argv, (char *) "x");
        g_ptr_array_add(argv, NULL);

        g_autofree char *path = pc_fixture_spawn(fx, (const char *const *) argv->pdata, NULL, NULL, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        assert_nothing_tracked(fx);

        /* Exactly at the limit (16384 entries) is fine. */
        g_clear_error(&error);
        g_ptr_array_remove_index(argv, argv->len - 2);
        g_autofree char *ok = pc_fixture_spawn(fx, (const char *const *) argv->pdata, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, ok, "exited", 0);
}

static void test_limit_too_many_environment_entries(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
        for (int i = 0; i < 16385; i++)
                g_ptr_array_add(env, g_strdup_printf("V%d=x", i));
        g_ptr_array_add(env, NULL);

        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                        pc_options("environment", g_variant_new_strv((const char *const *) env->pdata, -1), NULL),
                        NULL, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        assert_nothing_tracked(fx);
}

static void test_limit_total_size(PcFixture *fx) {
        /* 17 arguments of 127 KiB: each below MAX_ARG_STRLEN, together over
         * the 2 MiB the daemon accepts. */
        g_autoptr(GError) error = NULL;
        g_autofree char *chunk = g_malloc(127 * 1024 + 1);
        memset(chunk, 'y', 127 * 1024);
        chunk[127 * 1024] = '\0';
        const char *argv[19] = { "/bin/true" };
        for (int i = 1; i <= 17; i++)
                argv[i] = chunk;
        argv[18] = NULL;

        g_autofree char *path = pc_fixture_spawn(fx, argv, NULL, NULL, NULL, &error);
        g_assert_null(path);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        assert_nothing_tracked(fx);

        /* The environment counts towards the same total. */
        g_clear_error(&error);
        g_autofree char *env_entry = g_strdup_printf("BIG=%s", chunk);
        const char *env[18];
        for (int i = 0; i < 17; i++)
                env[i] = env_entry;
        env[17] = NULL;
        g_autofree char *path2 = pc_fixture_spawn(fx, PC_ARGV("/bin/true"),
                                                  pc_options("environment", g_variant_new_strv(env, -1), NULL),
                                                  NULL, NULL, &error);
        g_assert_null(path2);
        pc_assert_dbus_error(error, PC_ERROR_LIMIT_EXCEEDED);
        assert_nothing_tracked(fx);
}

/* --- The daemon leaks no descriptors ------------------------------------ */

static void spawn_wait_release(PcFixture *fx, GUnixFDList *fds, GVariant *options) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "echo hi; exit 3"),
                                                 options, fds, NULL, &error);
        g_assert_no_error(error);
        pc_assert_wait_result(fx, path, "exited", 3);
        pc_release(fx, path, &error);
        g_assert_no_error(error);
}

static void warm_up(PcFixture *fx) {
        /* Whatever the daemon opens once, lazily, is opened now. */
        spawn_wait_release(fx, NULL, NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/nonexistent"), NULL, NULL, NULL, &error);
        g_assert_null(path);
}

typedef struct {
        PcFixture *fx;
        guint expected;
        guint last;
} FdCount;

static gboolean fd_count_is(gpointer user_data) {
        FdCount *c = user_data;
        c->last = pc_fixture_daemon_fd_count(c->fx);
        return c->last == c->expected;
}

static void assert_daemon_fd_count(PcFixture *fx, guint expected) {
        /* Replies are sent before some clean-ups finish: allow a moment. */
        FdCount c = { fx, expected, 0 };
        if (!pc_poll_until(fd_count_is, &c, 2000)) {
                g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int) fx->daemon_pid);
                g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
                const char *n;
                while (d && (n = g_dir_read_name(d))) {
                        g_autofree char *link = g_build_filename(dir, n, NULL);
                        g_autofree char *target = g_file_read_link(link, NULL);
                        g_test_message("daemon fd %s -> %s", n, target);
                }
                pc_fail("the daemon has %u descriptors open, %u before", c.last, expected);
        }
}

static void test_no_fd_leak_after_bad_input(PcFixture *fx) {
        warm_up(fx);
        guint before = pc_fixture_daemon_fd_count(fx);

        for (gsize i = 0; i < G_N_ELEMENTS(bad_spawns); i++)
                run_bad_spawn(fx, &bad_spawns[i]);

        /* Exec failures, with descriptors passed along. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{uh}"));
        g_variant_builder_add(&b, "{uh}", 5, append_pipe_end(fds));
        g_variant_builder_add(&b, "{uh}", 9, append_pipe_end(fds));
        g_autofree char *p1 = pc_fixture_spawn(fx, PC_ARGV("/nonexistent"),
                        pc_options("stdout", g_variant_new_handle(append_pipe_end(fds)),
                                   "fds", g_variant_builder_end(&b), NULL),
                        fds, NULL, &error);
        g_assert_null(p1);
        pc_assert_dbus_error(error, PC_ERROR_EXEC_FAILED);
        g_clear_error(&error);
        g_autofree char *p2 = pc_fixture_spawn(fx, PC_ARGV("/etc/passwd/x"), NULL, NULL, NULL, &error);
        g_assert_null(p2);
        g_clear_error(&error);

        /* Calls on objects that do not exist, or with bad signals. */
        g_assert_false(pc_signal(fx, PC_PROCESS_PREFIX "999", 0, &error));
        g_clear_error(&error);
        g_assert_false(pc_release(fx, PC_PROCESS_PREFIX "999", &error));
        g_clear_error(&error);

        assert_daemon_fd_count(fx, before);
        assert_nothing_tracked(fx);
}

static void test_no_fd_leak_after_spawn_cycles(PcFixture *fx) {
        warm_up(fx);
        guint before = pc_fixture_daemon_fd_count(fx);

        for (int i = 0; i < 20; i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
                int out[2];
                pc_pipe(out);
                int idx = append_fd(fds, out[1]);
                close(out[1]);
                GVariantBuilder b;
                g_variant_builder_init(&b, G_VARIANT_TYPE("a{uh}"));
                g_variant_builder_add(&b, "{uh}", 7, append_pipe_end(fds));
                g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sh", "-c", "echo hi; exit 3"),
                                                         pc_options("stdout", g_variant_new_handle(idx),
                                                                    "fds", g_variant_builder_end(&b), NULL),
                                                         fds, NULL, &error);
                g_assert_no_error(error);
                /* Our copies go, so the pipe sees EOF when the child exits. */
                g_clear_object(&fds);
                pc_assert_wait_result(fx, path, "exited", 3);
                pc_release(fx, path, &error);
                g_assert_no_error(error);
                g_autofree char *data = pc_read_to_eof(out[0], PC_TIMEOUT_MS);
                g_assert_cmpstr(data, ==, "hi\n");
                close(out[0]);
        }

        /* And processes stopped rather than exiting on their own. */
        for (int i = 0; i < 5; i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL, &error);
                g_assert_no_error(error);
                g_autofree char *reason = NULL;
                gint32 status;
                pc_stop(fx, path, &reason, &status, &error);
                g_assert_no_error(error);
                g_assert_cmpstr(reason, ==, "killed");
                pc_release(fx, path, &error);
                g_assert_no_error(error);
        }

        assert_daemon_fd_count(fx, before);
        assert_nothing_tracked(fx);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/spawn/returns-object-and-pid", PC_FIXTURE_DEFAULT, test_returns_object_and_pid);
        pc_test_add("/spawn/ids-are-never-reused", PC_FIXTURE_DEFAULT, test_ids_are_never_reused);
        pc_test_add("/spawn/bare-name-is-looked-up-in-path", PC_FIXTURE_DEFAULT, test_path_lookup_of_bare_name);
        pc_test_add("/spawn/path-lookup-uses-the-child-path", PC_FIXTURE_DEFAULT, test_path_lookup_uses_child_path);
        pc_test_add("/spawn/executable-option-runs-file-argv0-is-only-a-name", PC_FIXTURE_DEFAULT, test_executable_option);

        pc_test_add("/spawn/exec-failure-is-an-error-reply/enoent", PC_FIXTURE_DEFAULT, test_exec_enoent);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/eacces-no-exec-bit", PC_FIXTURE_DEFAULT, test_exec_eacces_no_exec_bit);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/directory", PC_FIXTURE_DEFAULT, test_exec_directory);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/enoexec-never-run-by-sh", PC_FIXTURE_DEFAULT, test_exec_enoexec_not_run_by_sh);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/enotdir", PC_FIXTURE_DEFAULT, test_exec_enotdir);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/missing-interpreter", PC_FIXTURE_DEFAULT, test_exec_missing_interpreter);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/e2big", PC_FIXTURE_DEFAULT, test_exec_e2big);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/bare-name-not-in-path", PC_FIXTURE_DEFAULT, test_exec_bare_name_not_in_path);
        pc_test_add("/spawn/exec-failure-is-an-error-reply/missing-working-directory", PC_FIXTURE_DEFAULT, test_exec_missing_working_directory);

        for (gsize i = 0; i < G_N_ELEMENTS(bad_spawns); i++) {
                g_autofree char *path = g_strdup_printf("/spawn/invalid-args/%s", bad_spawns[i].name);
                pc_test_add_data(path, PC_FIXTURE_DEFAULT, test_bad_spawn, &bad_spawns[i]);
        }

        pc_test_add("/spawn/limit-exceeded/too-many-arguments", PC_FIXTURE_DEFAULT, test_limit_too_many_args);
        pc_test_add("/spawn/limit-exceeded/too-many-environment-entries", PC_FIXTURE_DEFAULT, test_limit_too_many_environment_entries);
        pc_test_add("/spawn/limit-exceeded/total-size-of-argv-and-environment", PC_FIXTURE_DEFAULT, test_limit_total_size);

        pc_test_add("/spawn/no-descriptor-leak-after-bad-input", PC_FIXTURE_DEFAULT, test_no_fd_leak_after_bad_input);
        pc_test_add("/spawn/no-descriptor-leak-after-spawn-wait-release-cycles", PC_FIXTURE_DEFAULT, test_no_fd_leak_after_spawn_cycles);

        return g_test_run();
}
