/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Spawn's arguments read from a real message (daemon/options.c), without a
 * bus daemon: the message is built and sealed on an unconnected sd_bus. */
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "options.h"
#include "procctl-bus.h"

static sd_bus *bus;

typedef void (*FillFunc)(sd_bus_message *m, gconstpointer data);

static sd_bus_message *spawn_message(char **argv, FillFunc fill, gconstpointer data) {
        sd_bus_message *m = NULL;
        static uint64_t cookie = 1;

        g_assert_cmpint(sd_bus_message_new_method_call(bus, &m, PROCCTL_BUS_NAME, PROCCTL_MANAGER_PATH,
                                                       PROCCTL_MANAGER_INTERFACE, "Spawn"), >=, 0);
        g_assert_cmpint(sd_bus_message_append_strv(m, argv), >=, 0);
        g_assert_cmpint(sd_bus_message_open_container(m, 'a', "{sv}"), >=, 0);
        if (fill)
                fill(m, data);
        g_assert_cmpint(sd_bus_message_close_container(m), >=, 0);
        g_assert_cmpint(sd_bus_message_seal(m, cookie++, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_rewind(m, true), >=, 0);
        return m;
}

/* Parses and returns the error name, or NULL on success (options then in *o). */
static char *parse(char **argv, FillFunc fill, gconstpointer data, SpawnOptions *o, char **ret_message) {
        sd_bus_message *m = spawn_message(argv, fill, data);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        SpawnOptions local;
        char *name = NULL;
        int r;

        r = spawn_options_parse(m, o ?: &local, &error);
        if (r < 0) {
                g_assert_true(sd_bus_error_is_set(&error));
                name = g_strdup(error.name);
                if (ret_message)
                        *ret_message = g_strdup(error.message);
        } else if (!o)
                spawn_options_done(&local);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        return name;
}

static char *argv_true[] = { (char *) "/bin/true", NULL };

static void assert_error(const char *expected, char **argv, FillFunc fill, gconstpointer data) {
        g_autofree char *name = parse(argv, fill, data, NULL, NULL);
        g_assert_cmpstr(name, ==, expected);
}

static void fill_string_option(sd_bus_message *m, gconstpointer data) {
        const char *const *kv = data;
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", kv[0], "s", kv[1]), >=, 0);
}

static void fill_all(sd_bus_message *m, gconstpointer data) {
        const char *env[] = { "A=1", "B=2", NULL };
        int fd = GPOINTER_TO_INT(data);

        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "executable", "s", "/bin/echo"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "working-directory", "s", "/tmp"), >=, 0);
        g_assert_cmpint(sd_bus_message_open_container(m, 'e', "sv"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "s", "environment"), >=, 0);
        g_assert_cmpint(sd_bus_message_open_container(m, 'v', "as"), >=, 0);
        g_assert_cmpint(sd_bus_message_append_strv(m, (char **) env), >=, 0);
        g_assert_cmpint(sd_bus_message_close_container(m), >=, 0);
        g_assert_cmpint(sd_bus_message_close_container(m), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "stdout", "h", fd), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "fds", "a{uh}", 2, 7, fd, 4, fd), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "user", "s", "nobody"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "group", "s", "nogroup"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "umask", "u", 077), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "kill-on-disconnect", "b", 1), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "timeout", "t", (uint64_t) 5000000), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "stop-timeout", "t", (uint64_t) 1000), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "description", "s", "web"), >=, 0);
}

static void test_every_option_is_read(void) {
        SpawnOptions o = {};
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        g_autofree char *name = parse(argv_true, fill_all, GINT_TO_POINTER(fd), &o, NULL);

        g_assert_null(name);
        g_assert_cmpstr(o.argv[0], ==, "/bin/true");
        g_assert_cmpstr(o.executable, ==, "/bin/echo");
        g_assert_cmpstr(o.working_directory, ==, "/tmp");
        g_assert_cmpstr(o.environment[1], ==, "B=2");
        g_assert_cmpint(o.stdio[0], ==, -1);
        g_assert_cmpint(o.stdio[1], >=, 0);
        g_assert_cmpint(o.stdio[2], ==, -1);
        g_assert_cmpuint(o.n_fds, ==, 2);
        g_assert_cmpint(o.fds[0].target, ==, 7);
        g_assert_cmpint(o.fds[1].target, ==, 4);
        g_assert_cmpstr(o.user, ==, "nobody");
        g_assert_cmpstr(o.group, ==, "nogroup");
        g_assert_cmpuint(o.umask, ==, 077);
        g_assert_true(o.kill_on_disconnect);
        g_assert_cmpuint(o.timeout_usec, ==, 5000000);
        g_assert_cmpuint(o.stop_timeout_usec, ==, 1000);
        g_assert_cmpstr(o.description, ==, "web");
        spawn_options_done(&o);
        close(fd);
}

static void test_defaults(void) {
        SpawnOptions o = {};
        g_autofree char *name = parse(argv_true, NULL, NULL, &o, NULL);

        g_assert_null(name);
        g_assert_null(o.executable);
        g_assert_null(o.working_directory);
        g_assert_cmpuint(o.umask, ==, 0022);
        g_assert_cmpuint(o.stop_timeout_usec, ==, 10000000);
        g_assert_cmpuint(o.timeout_usec, ==, 0);
        g_assert_false(o.kill_on_disconnect);
        g_assert_cmpstr(o.description, ==, "");
        spawn_options_done(&o);
}

static void test_argv_must_not_be_empty(void) {
        char *empty[] = { NULL };
        char *empty0[] = { (char *) "", (char *) "x", NULL };

        assert_error(SD_BUS_ERROR_INVALID_ARGS, empty, NULL, NULL);
        assert_error(SD_BUS_ERROR_INVALID_ARGS, empty0, NULL, NULL);
}

static void test_unknown_key_is_invalid(void) {
        const char *kv[] = { "tty-please", "x" };
        g_autofree char *message = NULL;
        g_autofree char *name = parse(argv_true, fill_string_option, kv, NULL, &message);

        g_assert_cmpstr(name, ==, SD_BUS_ERROR_INVALID_ARGS);
        g_assert_nonnull(strstr(message, "tty-please"));
}

static void fill_wrong_type(sd_bus_message *m, gconstpointer data) {
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "umask", "s", "022"), >=, 0);
}

static void test_wrong_type_is_invalid(void) {
        g_autofree char *message = NULL;
        g_autofree char *name = parse(argv_true, fill_wrong_type, NULL, NULL, &message);

        g_assert_cmpstr(name, ==, SD_BUS_ERROR_INVALID_ARGS);
        g_assert_nonnull(strstr(message, "umask"));
}

static void fill_duplicate(sd_bus_message *m, gconstpointer data) {
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "description", "s", "a"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "description", "s", "b"), >=, 0);
}

static void test_duplicate_key_is_invalid(void) {
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_duplicate, NULL);
}

static void test_relative_working_directory_is_invalid(void) {
        const char *kv[] = { "working-directory", "tmp" };
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_string_option, kv);
}

static void test_empty_user_is_invalid(void) {
        const char *kv[] = { "user", "" };
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_string_option, kv);
}

static void fill_bad_env(sd_bus_message *m, gconstpointer data) {
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "environment", "as", 2, "A=1", data), >=, 0);
}

static void test_environment_entries_must_be_key_value(void) {
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_bad_env, "NOEQUALS");
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_bad_env, "=value");
}

static void fill_fd_target(sd_bus_message *m, gconstpointer data) {
        const int *t = data;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (t[1] >= 0)
                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "fds", "a{uh}", 2, t[0], fd, t[1], fd), >=, 0);
        else
                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "fds", "a{uh}", 1, t[0], fd), >=, 0);
        close(fd);
}

static void test_fd_targets_are_checked(void) {
        int below[] = { 2, -1 }, above[] = { 1024, -1 }, twice[] = { 5, 5 }, ok[] = { 3, 1023 };

        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_fd_target, below);
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_fd_target, above);
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_fd_target, twice);
        assert_error(NULL, argv_true, fill_fd_target, ok);
}

static void fill_opath_stdin(sd_bus_message *m, gconstpointer data) {
        int fd = open("/", O_PATH | O_CLOEXEC);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "stdin", "h", fd), >=, 0);
        close(fd);
}

static void test_o_path_descriptor_is_invalid(void) {
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_opath_stdin, NULL);
}

static void fill_umask(sd_bus_message *m, gconstpointer data) {
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "umask", "u", GPOINTER_TO_UINT(data)), >=, 0);
}

static void test_umask_is_at_most_0777(void) {
        assert_error(SD_BUS_ERROR_INVALID_ARGS, argv_true, fill_umask, GUINT_TO_POINTER(01000));
        assert_error(NULL, argv_true, fill_umask, GUINT_TO_POINTER(0777));
}

static void test_too_many_arguments_is_a_limit(void) {
        g_auto(GStrv) argv = g_new0(char *, SPAWN_MAX_ARGS + 2);

        for (int i = 0; i < SPAWN_MAX_ARGS + 1; i++)
                argv[i] = g_strdup("x");
        assert_error(PROCCTL_ERROR_LIMIT_EXCEEDED, argv, NULL, NULL);
        g_free(argv[SPAWN_MAX_ARGS]);
        argv[SPAWN_MAX_ARGS] = NULL;
        assert_error(NULL, argv, NULL, NULL);
}

static void test_too_many_bytes_is_a_limit(void) {
        g_autofree char *big = g_strnfill(1024 * 1024, 'x');
        char *argv[] = { (char *) "/bin/true", big, big, NULL };

        assert_error(PROCCTL_ERROR_LIMIT_EXCEEDED, argv, NULL, NULL);
}

int main(int argc, char *argv[]) {
        int pair[2];

        g_test_init(&argc, &argv, NULL);

        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_fd(bus, pair[0], pair[0]), >=, 0);
        g_assert_cmpint(sd_bus_negotiate_fds(bus, true), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);

        g_test_add_func("/options/every-option-is-read", test_every_option_is_read);
        g_test_add_func("/options/defaults", test_defaults);
        g_test_add_func("/options/argv-must-not-be-empty", test_argv_must_not_be_empty);
        g_test_add_func("/options/unknown-key-is-invalid", test_unknown_key_is_invalid);
        g_test_add_func("/options/wrong-type-is-invalid", test_wrong_type_is_invalid);
        g_test_add_func("/options/duplicate-key-is-invalid", test_duplicate_key_is_invalid);
        g_test_add_func("/options/relative-working-directory-is-invalid", test_relative_working_directory_is_invalid);
        g_test_add_func("/options/empty-user-is-invalid", test_empty_user_is_invalid);
        g_test_add_func("/options/environment-entries-must-be-key-value", test_environment_entries_must_be_key_value);
        g_test_add_func("/options/fd-targets-are-checked", test_fd_targets_are_checked);
        g_test_add_func("/options/o-path-descriptor-is-invalid", test_o_path_descriptor_is_invalid);
        g_test_add_func("/options/umask-is-at-most-0777", test_umask_is_at_most_0777);
        g_test_add_func("/options/too-many-arguments-is-a-limit", test_too_many_arguments_is_a_limit);
        g_test_add_func("/options/too-many-bytes-is-a-limit", test_too_many_bytes_is_a_limit);
        return g_test_run();
}
