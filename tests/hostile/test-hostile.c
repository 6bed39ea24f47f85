/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hostile-input catalogue: every request a careless or malicious caller
 * can make, each against a fresh procctld on a private bus.  Every case
 * asserts three things:
 *
 *   1. the D-Bus error name the caller gets (and, where the contract or the
 *      daemon's documented messages fix it, part of the message);
 *   2. that the daemon still answers afterwards (Properties.Get Version);
 *   3. that the daemon holds exactly as many descriptors (/proc/PID/fd) as
 *      before the hostile request, and started no child it does not track.
 *
 * Cases that need another identity, a directory root owns or a cgroup run
 * only as root and are skipped with a message otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fixture.h"

#define NOBODY_UID 65534
#define NOBODY_GID 65534

#define POLKIT_NAME "org.freedesktop.PolicyKit1"

/* How long refusing a bad Spawn may take, generous for a sanitized daemon on
 * a loaded machine; a well-behaved daemon needs milliseconds. */
#define REFUSAL_MAX_USEC (5 * G_USEC_PER_SEC)

/* --- What every case checks ------------------------------------------- */

typedef struct {
        guint fds;      /* the daemon's open descriptors */
        guint children; /* the daemon's children, zombies included */
        guint32 count;  /* ProcessCount */
} Baseline;

static guint daemon_child_count(PcFixture *fx) {
        g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, TRUE);
        return children->len;
}

static void assert_daemon_answers(PcFixture *fx) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Version",
                                                        G_VARIANT_TYPE_STRING);
        g_assert_cmpstr(g_variant_get_string(v, NULL), ==, PROCCTL_EXPECTED_VERSION);
}

static Baseline baseline_take(PcFixture *fx) {
        /* A round trip first, so that nothing of an earlier call is still in flight. */
        assert_daemon_answers(fx);
        return (Baseline) {
                .fds = pc_fixture_daemon_fd_count(fx),
                .children = daemon_child_count(fx),
                .count = pc_get_process_count(fx),
        };
}

/* The daemon holds fds descriptors, at the latest by the deadline: a child's
 * pidfd goes when the child is reaped, an event of its own that may come
 * after the reply to the call that made the child exit or fail (and, on a
 * fast bus such as dbus-broker, after the answer to the caller's next call). */
static void assert_daemon_fd_count_becomes(PcFixture *fx, guint fds) {
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        while (pc_fixture_daemon_fd_count(fx) != fds && g_get_monotonic_time() < deadline)
                g_usleep(10 * 1000);
        g_assert_cmpuint(pc_fixture_daemon_fd_count(fx), ==, fds);
}

/* The daemon answers, holds the descriptors it held and runs no child it does
 * not know of.  The Get goes first: the daemon handles messages in order, so
 * once it answers, the hostile message and its descriptors have been freed.
 * A refused Spawn for another user is answered when procctl-exec reports its
 * failed exec, and that child's pidfd goes when the daemon reaps it, a
 * moment later: the count must come back, within the deadline. */
static void assert_daemon_unharmed(PcFixture *fx, const Baseline *b) {
        assert_daemon_answers(fx);
        assert_daemon_fd_count_becomes(fx, b->fds);
        g_assert_cmpuint(pc_get_process_count(fx), ==, b->count);
        g_assert_cmpuint(daemon_child_count(fx), ==, b->children);
}

static void assert_error_message_contains(const GError *error, const char *part) {
        if (part && !strstr(error->message, part))
                pc_fail("error message \"%s\" does not contain \"%s\"", error->message, part);
}

/* Spawn must fail with error_name (message containing message_part, if set),
 * leaving the daemon as it was. */
static void assert_spawn_refused_with(PcFixture *fx, const char *const *argv, GVariant *options, GUnixFDList *fds,
                                      const char *error_name, const char *message_part) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) opts = options ? g_variant_ref_sink(options) : NULL;
        Baseline b = baseline_take(fx);

        gint64 t0 = g_get_monotonic_time();
        g_autofree char *path = pc_fixture_spawn(fx, argv, opts, fds, NULL, &error);
        gint64 elapsed = g_get_monotonic_time() - t0;
        if (path)
                pc_fail("Spawn succeeded (%s), expected %s", path, error_name);
        pc_assert_dbus_error(error, error_name);
        g_test_message("refused in %.3f s: %s", elapsed / 1e6, error->message);
        /* Refusing is cheap: the daemon serves every caller from one thread,
         * so a slow refusal is time taken from all of them. */
        if (elapsed > REFUSAL_MAX_USEC)
                pc_fail("refusing took %.1f s (at most %.1f s): the daemon was busy with one bad request",
                        elapsed / 1e6, REFUSAL_MAX_USEC / 1e6);
        assert_error_message_contains(error, message_part);
        assert_daemon_unharmed(fx, &b);
}

static char *spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, GUnixFDList *fds, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, options, fds, pid, &error);
        g_assert_no_error(error);
        g_assert_nonnull(path);
        return path;
}

/* --- argv and the program --------------------------------------------- */

static void test_empty_argv(PcFixture *fx) {
        const char *const empty[] = { NULL };
        assert_spawn_refused_with(fx, empty, NULL, NULL, PC_ERROR_INVALID_ARGS, "argv must not be empty");
}

static void test_empty_argv0(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("", "x"), NULL, NULL, PC_ERROR_INVALID_ARGS, "argv[0] must not be empty");
}

static void test_nonexistent_program(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/nonexistent/procctl-no-such-program"), NULL, NULL, PC_ERROR_EXEC_FAILED,
                                  "execve(\"/nonexistent/procctl-no-such-program\"): No such file or directory");
}

static void test_nonexistent_program_in_path(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("procctl-no-such-program"), NULL, NULL, PC_ERROR_EXEC_FAILED,
                                  "execvp(\"procctl-no-such-program\"): No such file or directory");
}

static void test_directory_as_program(PcFixture *fx) {
        g_autofree char *msg = g_strdup_printf("execve(\"%s\"): Permission denied", fx->outdir);
        assert_spawn_refused_with(fx, PC_ARGV(fx->outdir), NULL, NULL, PC_ERROR_EXEC_FAILED, msg);
}

static void test_file_without_exec_bit(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "not-executable", "#!/bin/sh\nexit 0\n", 0644);
        g_autofree char *msg = g_strdup_printf("execve(\"%s\"): Permission denied", file);
        assert_spawn_refused_with(fx, PC_ARGV(file), NULL, NULL, PC_ERROR_EXEC_FAILED, msg);
}

/* execvp() would retry such a file through /bin/sh; the daemon must not. */
static void test_non_elf_without_shebang(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "not-elf", "touch should-never-exist\n", 0755);
        g_autofree char *msg = g_strdup_printf("execve(\"%s\"): Exec format error", file);
        assert_spawn_refused_with(fx, PC_ARGV(file), NULL, NULL, PC_ERROR_EXEC_FAILED, msg);
}

static void test_script_with_missing_interpreter(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "bad-script", "#!/nonexistent/procctl-interpreter -x\nexit 0\n",
                                                      0755);
        assert_spawn_refused_with(fx, PC_ARGV(file), NULL, NULL, PC_ERROR_EXEC_FAILED,
                                  "interpreter \"/nonexistent/procctl-interpreter\"");
}

static void test_path_through_regular_file(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "plain", "plain\n", 0755);
        g_autofree char *through = g_strdup_printf("%s/program", file);
        g_autofree char *msg = g_strdup_printf("execve(\"%s\"): Not a directory", through);
        assert_spawn_refused_with(fx, PC_ARGV(through), NULL, NULL, PC_ERROR_EXEC_FAILED, msg);
}

/* --- The working directory -------------------------------------------- */

static void test_nonexistent_cwd(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"),
                                  pc_options("working-directory", g_variant_new_string("/nonexistent/procctl-dir"), NULL),
                                  NULL, PC_ERROR_EXEC_FAILED,
                                  "chdir(\"/nonexistent/procctl-dir\"): No such file or directory");
}

static void test_non_directory_cwd(PcFixture *fx) {
        g_autofree char *file = pc_fixture_write_file(fx, "plain", "plain\n", 0644);
        g_autofree char *msg = g_strdup_printf("chdir(\"%s\"): Not a directory", file);
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("working-directory", g_variant_new_string(file), NULL),
                                  NULL, PC_ERROR_EXEC_FAILED, msg);
}

/* The directory is entered as the target user, not as the daemon (root). */
static void test_cwd_target_user_cannot_enter(PcFixture *fx) {
        g_autofree char *dir = g_build_filename(fx->tmpdir, "root-only", NULL);
        g_assert_cmpint(mkdir(dir, 0700), ==, 0);
        g_assert_cmpint(chown(dir, 0, 0), ==, 0);
        g_autofree char *msg = g_strdup_printf("chdir(\"%s\"): Permission denied", dir);
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"),
                                  pc_options("working-directory", g_variant_new_string(dir),
                                             "user", g_variant_new_string("nobody"), NULL),
                                  NULL, PC_ERROR_EXEC_FAILED, msg);
}

static void test_relative_cwd(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("working-directory", g_variant_new_string("tmp"), NULL),
                                  NULL, PC_ERROR_INVALID_ARGS, "absolute");
}

/* --- Identity ----------------------------------------------------------- */

static void test_unknown_user(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"),
                                  pc_options("user", g_variant_new_string("procctl-no-such-user"), NULL), NULL,
                                  PC_ERROR_NO_SUCH_USER, "procctl-no-such-user");
}

static void test_unknown_group(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"),
                                  pc_options("group", g_variant_new_string("procctl-no-such-group"), NULL), NULL,
                                  PC_ERROR_NO_SUCH_USER, "procctl-no-such-group");
}

/* --- Signals ------------------------------------------------------------ */

static void signal_both_ways(PcFixture *fx, const char *path, gint32 sig, const char *error_name) {
        static const char *const methods[] = { "Signal", "SignalGroup" };

        for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
                g_autoptr(GError) e1 = NULL, e2 = NULL;
                g_autoptr(GVariant) r1 = pc_manager_call(fx, methods[i], g_variant_new("(oi)", path, sig), NULL, &e1);
                g_autoptr(GVariant) r2 = pc_call(fx, NULL, path, PC_PROCESS_IFACE, methods[i], g_variant_new("(i)", sig), NULL,
                                                 NULL, NULL, &e2);
                if (error_name) {
                        pc_assert_dbus_error(e1, error_name);
                        pc_assert_dbus_error(e2, error_name);
                } else {
                        g_assert_no_error(e1);
                        g_assert_no_error(e2);
                }
        }
}

static void test_invalid_signal_numbers(PcFixture *fx) {
        static const gint32 invalid[] = { -1, 65, 1000, G_MININT32, G_MAXINT32 };
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        Baseline b = baseline_take(fx);

        for (guint i = 0; i < G_N_ELEMENTS(invalid); i++)
                signal_both_ways(fx, path, invalid[i], PC_ERROR_INVALID_ARGS);
        assert_daemon_unharmed(fx, &b);

        /* None of them reached the process. */
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
}

static void test_signal_zero_on_live_process(PcFixture *fx) {
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        Baseline b = baseline_take(fx);

        signal_both_ways(fx, path, 0, NULL);
        assert_daemon_unharmed(fx, &b);
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
}

static void test_signal_zero_on_exited_process(PcFixture *fx) {
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL);
        pc_assert_wait_result(fx, path, "exited", 0);
        Baseline b = baseline_take(fx);

        signal_both_ways(fx, path, 0, PC_ERROR_NOT_RUNNING);
        signal_both_ways(fx, path, SIGTERM, PC_ERROR_NOT_RUNNING);
        assert_daemon_unharmed(fx, &b);
}

/* --- Objects ------------------------------------------------------------ */

static void test_unknown_object(PcFixture *fx) {
        static const char *const paths[] = {
                PC_PROCESS_PREFIX "999",
                PC_PROCESS_PREFIX "0",
                PC_PROCESS_PREFIX "01",
                PC_PROCESS_PREFIX "18446744073709551616", /* 2^64 */
                PC_PROCESS_PREFIX "1/2",
                "/org/procctl/Manager1/processes",
                "/",
        };
        static const char *const methods[] = { "Wait", "Stop", "Release", "GetPidfd" };
        g_autofree char *live = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        Baseline b = baseline_take(fx);

        for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
                for (guint j = 0; j < G_N_ELEMENTS(methods); j++) {
                        g_autoptr(GError) error = NULL;
                        g_autoptr(GVariant) r = pc_manager_call(fx, methods[j], g_variant_new("(o)", paths[i]), NULL, &error);
                        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
                }
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = pc_manager_call(fx, "Signal", g_variant_new("(oi)", paths[i], 0), NULL, &error);
                pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        }
        /* Process1 on a path with no process behind it. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = pc_call(fx, NULL, PC_PROCESS_PREFIX "999", PC_PROCESS_IFACE, "Wait", NULL, NULL, NULL, NULL,
                                        &error);
        pc_assert_dbus_error(error, PC_ERROR_UNKNOWN_OBJECT);
        assert_daemon_unharmed(fx, &b);
}

/* Without polkit on the bus, a non-root caller may not act on root's process. */
static void test_another_users_object(PcFixture *fx) {
        static const char *const methods[] = { "Wait", "Stop", "Release", "GetPidfd" };
        guint32 pid;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, &pid);
        Baseline b = baseline_take(fx);

        for (guint j = 0; j < G_N_ELEMENTS(methods); j++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, methods[j],
                                                   g_variant_new("(o)", path), &error);
                pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        }
        for (gint32 sig = 0; sig <= SIGKILL; sig += SIGKILL) {
                g_autoptr(GError) e1 = NULL, e2 = NULL;
                g_autoptr(GVariant) r1 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Signal",
                                                    g_variant_new("(oi)", path, sig), &e1);
                pc_assert_dbus_error(e1, PC_ERROR_ACCESS_DENIED);
                g_autoptr(GVariant) r2 = pc_call_as(fx, NOBODY_UID, NOBODY_GID, path, PC_PROCESS_IFACE, "SignalGroup",
                                                    g_variant_new("(i)", sig), &e2);
                pc_assert_dbus_error(e2, PC_ERROR_ACCESS_DENIED);
        }
        assert_daemon_unharmed(fx, &b);
        g_assert_true(pc_process_is_alive((pid_t) pid));
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
}

/* --- Options ------------------------------------------------------------ */

static void test_unknown_option_key(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("procctl-no-such-option", g_variant_new_string("x"), NULL),
                                  NULL, PC_ERROR_INVALID_ARGS, "procctl-no-such-option");
        /* A key that differs from a real one only in case is just as unknown. */
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("UMASK", g_variant_new_uint32(077), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, "UMASK");
}

static void test_wrong_option_type(PcFixture *fx) {
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("umask", g_variant_new_string("022"), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, "umask");
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("timeout", g_variant_new_uint32(5), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, "timeout");
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("environment", g_variant_new_string("A=1"), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, "environment");
        /* A variant inside the variant is not the string it holds. */
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"),
                                  pc_options("description", g_variant_new_variant(g_variant_new_string("x")), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, "description");
        /* stdin as an integer rather than a handle: no descriptor by number. */
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("stdin", g_variant_new_int32(0), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, "stdin");
}

static void test_duplicate_option_key(PcFixture *fx) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "umask", g_variant_new_uint32(022));
        g_variant_builder_add(&b, "{sv}", "umask", g_variant_new_uint32(077));
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), g_variant_builder_end(&b), NULL, PC_ERROR_INVALID_ARGS,
                                  "given twice");

        /* Twice with different types is still twice (or a wrong type). */
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "description", g_variant_new_string("a"));
        g_variant_builder_add(&b, "{sv}", "description", g_variant_new_uint32(1));
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), g_variant_builder_end(&b), NULL, PC_ERROR_INVALID_ARGS,
                                  "description");
}

/* A closed descriptor cannot be sent over D-Bus at all: SCM_RIGHTS takes
 * descriptors by number from the sender's table, so the sender's kernel (and
 * before it the client library) refuses a closed one with EBADF, and the
 * daemon can never receive one.  What the daemon can receive is a message
 * whose handle names a descriptor that is not attached (index past the
 * message's descriptors), and an O_PATH descriptor, which can be passed but
 * not read or written: both are tested. */
static void test_closed_fd_cannot_be_sent(PcFixture *fx) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_autoptr(GError) error = NULL;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(close(fd), ==, 0);
        g_assert_cmpint(g_unix_fd_list_append(fds, fd, &error), ==, -1);
        g_assert_error(error, G_IO_ERROR, (gint) g_io_error_from_errno(EBADF));
        g_assert_cmpint(g_unix_fd_list_get_length(fds), ==, 0);
        assert_daemon_answers(fx);
}

static void test_handle_without_descriptor(PcFixture *fx) {
        /* Handle 0 and 5 with no descriptor attached to the message. */
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("stdout", g_variant_new_handle(0), NULL), NULL,
                                  PC_ERROR_INVALID_ARGS, NULL);

        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(g_unix_fd_list_append(fds, fd, NULL), ==, 0);
        close(fd);
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("stdout", g_variant_new_handle(5), NULL), fds,
                                  PC_ERROR_INVALID_ARGS, NULL);
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("stdout", g_variant_new_handle(-1), NULL), fds,
                                  PC_ERROR_INVALID_ARGS, NULL);
}

static GUnixFDList *o_path_fd_list(void) {
        GUnixFDList *fds = g_unix_fd_list_new();
        int fd = open("/dev/null", O_PATH | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(g_unix_fd_list_append(fds, fd, NULL), ==, 0);
        close(fd);
        return fds;
}

static void test_o_path_fd(PcFixture *fx) {
        static const char *const stdio[] = { "stdin", "stdout", "stderr" };

        for (guint i = 0; i < G_N_ELEMENTS(stdio); i++) {
                g_autoptr(GUnixFDList) fds = o_path_fd_list();
                assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options(stdio[i], g_variant_new_handle(0), NULL), fds,
                                          PC_ERROR_INVALID_ARGS, "O_PATH");
        }
        g_autoptr(GUnixFDList) fds = o_path_fd_list();
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("fds", g_variant_new_parsed("{uint32 5: handle 0}"), NULL), fds,
                                  PC_ERROR_INVALID_ARGS, "O_PATH");
}

static void test_fds_target_below_3(PcFixture *fx) {
        for (guint32 target = 0; target < 3; target++) {
                g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                g_assert_cmpint(g_unix_fd_list_append(fds, fd, NULL), ==, 0);
                close(fd);
                g_autoptr(GVariant) map = g_variant_ref_sink(g_variant_new_parsed("{%u: handle 0}", target));
                assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("fds", g_variant_ref(map), NULL), fds,
                                          PC_ERROR_INVALID_ARGS, "out of range");
        }
        /* And the far end: 1024 and beyond. */
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        g_assert_cmpint(g_unix_fd_list_append(fds, fd, NULL), ==, 0);
        close(fd);
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("fds", g_variant_new_parsed("{uint32 4294967295: handle 0}"), NULL),
                                  fds, PC_ERROR_INVALID_ARGS, "out of range");
}

/* A terminal becomes the controlling one (`tty`) only from a descriptor open
 * for reading and writing: a write-only one (what write(1) and wall get of
 * another user's terminal) made the child's /dev/tty readable. */
static void test_tty_stdin_not_read_write(PcFixture *fx) {
        const int modes[] = { O_WRONLY, O_RDONLY };
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

        g_assert_cmpint(master, >=, 0);
        g_assert_cmpint(grantpt(master), ==, 0);
        g_assert_cmpint(unlockpt(master), ==, 0);
        for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
                g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
                int slave = open(ptsname(master), modes[i] | O_NOCTTY | O_CLOEXEC);
                g_assert_cmpint(slave, >=, 0);
                g_assert_cmpint(g_unix_fd_list_append(fds, slave, NULL), ==, 0);
                close(slave);
                assert_spawn_refused_with(fx, PC_ARGV("/bin/sh", "-c", "cat /dev/tty"),
                                          pc_options("stdin", g_variant_new_handle(0), "tty", g_variant_new_boolean(TRUE), NULL),
                                          fds, PC_ERROR_INVALID_ARGS, "reading and writing");
        }
        close(master);
}

/* --- Sizes -------------------------------------------------------------- */

/* Within the daemon's totals, so it reaches execve, which refuses a single
 * string over MAX_ARG_STRLEN (32 pages). */
static void test_argument_over_128k(PcFixture *fx) {
        g_autofree char *big = g_malloc(129 * 1024 + 1);
        memset(big, 'a', 129 * 1024);
        big[129 * 1024] = '\0';
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true", big), NULL, NULL, PC_ERROR_EXEC_FAILED,
                                  "execve(\"/bin/true\"): Argument list too long");
}

static void test_100000_arguments(PcFixture *fx) {
        const guint n = 100000;
        g_autofree const char **argv = g_new0(const char *, n + 1);
        argv[0] = "/bin/true";
        for (guint i = 1; i < n; i++)
                argv[i] = "x";
        assert_spawn_refused_with(fx, argv, NULL, NULL, PC_ERROR_LIMIT_EXCEEDED, "Too many arguments");
}

/* The limit is a count: going past it must cost the daemon no more than the
 * count, however far past it a caller goes.  400,000 empty strings are a
 * 3 MiB message, which the bus lets through. */
static void test_argument_flood(PcFixture *fx) {
        const guint n = 400000;
        g_autofree const char **argv = g_new0(const char *, n + 1);
        argv[0] = "/bin/true";
        for (guint i = 1; i < n; i++)
                argv[i] = "";
        assert_spawn_refused_with(fx, argv, NULL, NULL, PC_ERROR_LIMIT_EXCEEDED, "Too many arguments");

        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
        for (guint i = 0; i < n; i++)
                g_variant_builder_add(&b, "s", "A=");
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), pc_options("environment", g_variant_builder_end(&b), NULL), NULL,
                                  PC_ERROR_LIMIT_EXCEEDED, "Too many environment entries");
}

static GVariant *environment_option(guint n, gsize value_size) {
        GVariantBuilder b;
        g_autofree char *value = g_malloc(value_size + 1);
        memset(value, 'v', value_size);
        value[value_size] = '\0';
        g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
        for (guint i = 0; i < n; i++) {
                g_autofree char *e = g_strdup_printf("PROCCTL_HOSTILE_%u=%s", i, value);
                g_variant_builder_add(&b, "s", e);
        }
        return pc_options("environment", g_variant_builder_end(&b), NULL);
}

static void test_huge_environment(PcFixture *fx) {
        /* Too many entries. */
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), environment_option(20000, 1), NULL, PC_ERROR_LIMIT_EXCEEDED,
                                  "Too many environment entries");
        /* Few entries, too many bytes: 48 × 64 KiB = 3 MiB. */
        assert_spawn_refused_with(fx, PC_ARGV("/bin/true"), environment_option(48, 64 * 1024), NULL, PC_ERROR_LIMIT_EXCEEDED,
                                  "bytes");
        /* Arguments and environment count together. */
        const guint n = 8000;
        g_autofree const char **argv = g_new0(const char *, n + 1);
        g_autofree char *arg = g_strnfill(127, 'a');
        argv[0] = "/bin/true";
        for (guint i = 1; i < n; i++)
                argv[i] = arg;
        assert_spawn_refused_with(fx, argv, environment_option(8000, 128), NULL, PC_ERROR_LIMIT_EXCEEDED, "bytes");
}

/* --- Callers that leave ---------------------------------------------------- */

/* A caller that asks through both interfaces (Manager1's method with the
 * process, Process1's without), then makes a round trip on the same
 * connection (once the daemon answers it, it holds both calls), and leaves. */
static void call_and_leave(PcFixture *fx, const char *path, const char *manager_method, const char *process_method) {
        g_autoptr(GDBusConnection) conn = pc_fixture_new_connection(fx);
        g_autoptr(GError) error = NULL;

        g_dbus_connection_call(conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, manager_method,
                               g_variant_new("(o)", path), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
        g_dbus_connection_call(conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, process_method, NULL, NULL,
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
        g_autoptr(GVariant) v = g_dbus_connection_call_sync(
                        conn, PC_BUS_NAME, PC_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                        g_variant_new("(ss)", PC_MANAGER_IFACE, "Version"), NULL, G_DBUS_CALL_FLAGS_NONE,
                        PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
        g_dbus_connection_close_sync(conn, NULL, &error);
        g_assert_no_error(error);
}

static void test_caller_leaves_mid_wait(PcFixture *fx) {
        const guint n_callers = 20;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL);
        Baseline b = baseline_take(fx);

        for (guint i = 0; i < n_callers; i++)
                call_and_leave(fx, path, "Wait", "Wait");
        assert_daemon_unharmed(fx, &b);

        /* The process is untouched, and a Wait that stays still gets its answer. */
        g_autofree char *state = pc_get_process_string(fx, path, "State");
        g_assert_cmpstr(state, ==, "running");
        PcAsyncCall wait = {};
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", path),
                               G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, pc_async_call_done, &wait);
        g_autoptr(GError) error = NULL;
        g_assert_true(pc_signal(fx, path, SIGTERM, &error));
        g_assert_no_error(error);
        pc_async_call_wait(&wait);
        g_assert_no_error(wait.error);
        const char *reason;
        gint32 status;
        g_variant_get(wait.reply, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);
        g_variant_unref(wait.reply);
        /* The exited process has given up its pidfd. */
        assert_daemon_fd_count_becomes(fx, b.fds - 1);
}

/* Restarts whose callers leave while the run is being stopped: the restart
 * completes, and nothing of theirs is left (their prepared replies go with
 * them); a Restart that stays gets its answer. */
static void test_caller_leaves_mid_restart(PcFixture *fx) {
        const guint n_callers = 10;
        guint32 pid1;
        g_autofree char *path = spawn_ok(fx, PC_ARGV("/bin/sh", "-c", "trap '' TERM; exec sleep 60"),
                                         pc_options("restart", g_variant_new_string("always"), "stop-timeout",
                                                    g_variant_new_uint64(500 * 1000), NULL),
                                         NULL, &pid1);
        pc_wait_comm((pid_t) pid1, "sleep");
        Baseline b = baseline_take(fx);

        for (guint i = 0; i < n_callers; i++)
                call_and_leave(fx, path, "RestartProcess", "Restart");
        PcAsyncCall stays = {};
        g_dbus_connection_call(fx->conn, PC_BUS_NAME, path, PC_PROCESS_IFACE, "Restart", NULL, G_VARIANT_TYPE("(u)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, pc_async_call_done, &stays);
        pc_async_call_wait(&stays);
        g_assert_no_error(stays.error);
        guint32 pid2;
        g_variant_get(stays.reply, "(u)", &pid2);
        g_variant_unref(stays.reply);
        g_assert_cmpuint(pid2, !=, pid1);
        g_assert_cmpuint(pc_get_process_u32(fx, path, "RestartCount"), ==, 1);
        assert_daemon_unharmed(fx, &b);
}

/* A fake polkit on the test bus that takes CheckAuthorization calls and never
 * answers them.  The bus policy of this test lets root own polkit's name and
 * send to it (see run_with_polkit_policy()). */
typedef struct {
        GDBusConnection *conn;
        GMutex lock;
        GPtrArray *calls; /* GDBusMessage, CheckAuthorization calls received */
} FakePolkit;

static GDBusMessage *fake_polkit_filter(GDBusConnection *conn, GDBusMessage *msg, gboolean incoming, gpointer user_data) {
        FakePolkit *p = user_data;

        if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
            g_strcmp0(g_dbus_message_get_member(msg), "CheckAuthorization") != 0)
                return msg;
        g_mutex_lock(&p->lock);
        g_ptr_array_add(p->calls, msg); /* keeps the reference the filter was given */
        g_mutex_unlock(&p->lock);
        return NULL;
}

static guint fake_polkit_calls(FakePolkit *p) {
        g_mutex_lock(&p->lock);
        guint n = p->calls->len;
        g_mutex_unlock(&p->lock);
        return n;
}

static void fake_polkit_start(PcFixture *fx, FakePolkit *p) {
        g_autoptr(GError) error = NULL;

        g_mutex_init(&p->lock);
        p->calls = g_ptr_array_new_with_free_func(g_object_unref);
        p->conn = pc_fixture_new_connection(fx);
        g_dbus_connection_add_filter(p->conn, fake_polkit_filter, p, NULL);
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(p->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "RequestName",
                                                            g_variant_new("(su)", POLKIT_NAME, 4 /* DO_NOT_QUEUE */),
                                                            G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL,
                                                            &error);
        g_assert_no_error(error);
        guint32 result;
        g_variant_get(r, "(u)", &result);
        g_assert_cmpuint(result, ==, 1 /* PRIMARY_OWNER */);
}

static void fake_polkit_stop(FakePolkit *p) {
        g_dbus_connection_close_sync(p->conn, NULL, NULL);
        g_clear_object(&p->conn);
        g_clear_pointer(&p->calls, g_ptr_array_unref);
        g_mutex_clear(&p->lock);
}

static gboolean polkit_calls_reached(gpointer user_data) {
        gpointer *args = user_data;
        return fake_polkit_calls(args[0]) >= GPOINTER_TO_UINT(args[1]);
}

/* pc-call as nobody, asking to spawn as root: that needs polkit's
 * org.procctl.spawn-as-user, which the fake polkit never decides. */
static GSubprocess *start_spawn_as_root_by_nobody(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *marker = pc_fixture_out_path(fx, "must-not-exist");
        g_autofree char *script = g_strdup_printf("touch %s", marker);
        g_autoptr(GVariant) params = g_variant_ref_sink(
                        g_variant_new("(^as@a{sv})", PC_ARGV("/bin/sh", "-c", script),
                                      pc_options("user", g_variant_new_string("root"), NULL)));
        g_autofree char *text = g_variant_print(params, TRUE);
        const char *argv[] = {
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                pc_call_path(), fx->bus_address, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn", text, NULL,
        };
        GSubprocess *sp = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
        g_assert_no_error(error);
        return sp;
}

typedef struct {
        GDBusConnection *conn;
        const char *name;
} NameOnBus;

/* Whether the bus says the unique name has no owner any more. */
static gboolean name_gone(gpointer user_data) {
        NameOnBus *n = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = g_dbus_connection_call_sync(n->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "GetNameOwner", g_variant_new("(s)", n->name),
                                                            NULL, G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        return v == NULL;
}

static void test_caller_leaves_mid_authorization(PcFixture *fx) {
        /* More rounds than MaxPendingAuthPerUser (16): if a departed caller's
         * pending check were not released, a later round would be refused
         * with LimitExceeded instead of reaching polkit. */
        const guint rounds = 20;
        FakePolkit polkit = {};
        fake_polkit_start(fx, &polkit);
        Baseline b = baseline_take(fx);

        for (guint i = 1; i <= rounds; i++) {
                g_autoptr(GSubprocess) sp = start_spawn_as_root_by_nobody(fx);
                gpointer args[] = { &polkit, GUINT_TO_POINTER(i) };
                if (!pc_poll_until(polkit_calls_reached, args, PC_TIMEOUT_MS)) {
                        g_autofree char *out = NULL;
                        g_subprocess_communicate_utf8(sp, NULL, NULL, &out, NULL, NULL);
                        pc_fail("round %u: the daemon did not ask polkit; the caller got: %s", i, out ? out : "(nothing)");
                }
                /* The daemon serves others while the check is pending. */
                assert_daemon_answers(fx);

                g_subprocess_send_signal(sp, SIGKILL);
                g_autoptr(GError) error = NULL;
                g_assert_true(g_subprocess_wait(sp, NULL, &error));
                g_assert_no_error(error);
        }

        /* The callers are gone from the bus before polkit answers: the bus has
         * then queued their departure to the daemon ahead of the answers (which
         * come from another connection, so no bus orders them otherwise; a call
         * whose caller the daemon still believes present is a call it serves). */
        for (guint i = 0; i < polkit.calls->len; i++) {
                GDBusMessage *call = g_ptr_array_index(polkit.calls, i);
                const char *caller = NULL;
                g_autoptr(GVariant) subject = g_variant_get_child_value(g_dbus_message_get_body(call), 0);
                g_autoptr(GVariant) subject_details = g_variant_get_child_value(subject, 1);
                g_assert_true(g_variant_lookup(subject_details, "name", "&s", &caller));
                g_assert_true(pc_poll_until(name_gone, &(NameOnBus) { fx->conn, caller }, PC_TIMEOUT_MS));
        }

        /* polkit now says yes to every question, late: nobody is there to be
         * answered any more, so nothing may be started. */
        for (guint i = 0; i < polkit.calls->len; i++) {
                GDBusMessage *call = g_ptr_array_index(polkit.calls, i);
                g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_reply(call);
                g_dbus_message_set_body(reply, g_variant_new_parsed("((true, false, @a{ss} {}),)"));
                g_autoptr(GError) error = NULL;
                g_dbus_connection_send_message(polkit.conn, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
                g_assert_no_error(error);
        }
        g_dbus_connection_flush_sync(polkit.conn, NULL, NULL);

        assert_daemon_unharmed(fx, &b);
        g_autofree char *marker = pc_fixture_out_path(fx, "must-not-exist");
        g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
        fake_polkit_stop(&polkit);
        assert_daemon_unharmed(fx, &b);
}

/* Runs test_caller_leaves_mid_authorization() on a bus whose policy is the project's own plus: root
 * may own polkit's name, and anyone may send to it. */
static void run_with_polkit_policy(gconstpointer data) {
        const char *project = g_getenv("PROCCTL_BUS_POLICY");
        g_autoptr(GError) error = NULL;
        PcFixture fx = { 0 };

        if (geteuid() != 0) {
                g_test_skip("needs root: acts as other users and owns polkit's name");
                return;
        }
        g_assert_nonnull(project);
        g_autofree char *saved = g_strdup(project);
        g_autofree char *dir = g_dir_make_tmp("procctl-hostile-policy-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(dir, 0755), ==, 0);
        g_autofree char *policy = g_build_filename(dir, "policy.conf", NULL);
        g_autofree char *xml = g_strdup_printf(
                        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                        "<busconfig>\n"
                        "  <include>%s</include>\n"
                        "  <policy user=\"root\">\n"
                        "    <allow own=\"" POLKIT_NAME "\"/>\n"
                        "  </policy>\n"
                        "  <policy context=\"default\">\n"
                        "    <allow send_destination=\"" POLKIT_NAME "\"/>\n"
                        "  </policy>\n"
                        "</busconfig>\n",
                        saved);
        g_file_set_contents(policy, xml, -1, &error);
        g_assert_no_error(error);

        /* The fixture reads the variable while it writes the bus's configuration. */
        g_setenv("PROCCTL_BUS_POLICY", policy, TRUE);
        pc_fixture_setup(&fx, GUINT_TO_POINTER(PC_FIXTURE_NEEDS_ROOT));
        g_setenv("PROCCTL_BUS_POLICY", saved, TRUE);

        test_caller_leaves_mid_authorization(&fx);
        pc_fixture_teardown(&fx, GUINT_TO_POINTER(PC_FIXTURE_NEEDS_ROOT));
        (void) unlink(policy);
        (void) rmdir(dir);
}

/* --- Load ------------------------------------------------------------------- */

#define N_CLIENTS 200

typedef struct {
        guint index;
        GDBusConnection *conn;
        char *path;
        guint32 pid;
        char *reason;
        gint32 status;
        char *error;
        gboolean done;
        guint *n_done;
} Client;

static void client_finish(Client *c, const char *error) {
        if (error)
                c->error = g_strdup(error);
        c->done = TRUE;
        (*c->n_done)++;
}

static void on_client_wait(GObject *source, GAsyncResult *res, gpointer user_data) {
        Client *c = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!r)
                return client_finish(c, error->message);
        g_variant_get(r, "(si)", &c->reason, &c->status);
        client_finish(c, NULL);
}

static void on_client_spawn(GObject *source, GAsyncResult *res, gpointer user_data) {
        Client *c = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!r)
                return client_finish(c, error->message);
        g_variant_get(r, "(ou)", &c->path, &c->pid);
        g_dbus_connection_call(c->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Wait", g_variant_new("(o)", c->path),
                               G_VARIANT_TYPE("(si)"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_client_wait, c);
}

static gboolean all_clients_done(gpointer user_data) {
        return *(guint *) user_data == N_CLIENTS;
}

/* Each client runs `sh -c 'exit N'` with its own N and must get N back for the
 * process it spawned, whatever order the children end in. */
static void test_concurrent_clients(PcFixture *fx) {
        g_autofree Client *clients = g_new0(Client, N_CLIENTS);
        guint n_done = 0;
        Baseline b = baseline_take(fx);

        for (guint i = 0; i < N_CLIENTS; i++) {
                Client *c = &clients[i];
                c->index = i;
                c->n_done = &n_done;
                c->conn = pc_fixture_new_connection(fx);
        }
        for (guint i = 0; i < N_CLIENTS; i++) {
                Client *c = &clients[i];
                /* Sleep a little, longer for lower N, so exits come in another order than spawns. */
                g_autofree char *script = g_strdup_printf("sleep 0.%03u; exit %u", (N_CLIENTS - i) * 2, i);
                g_dbus_connection_call(c->conn, PC_BUS_NAME, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                                       g_variant_new("(^as@a{sv})", PC_ARGV("/bin/sh", "-c", script), pc_options(NULL, NULL)),
                                       G_VARIANT_TYPE("(ou)"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_client_spawn, c);
        }
        if (!pc_poll_until(all_clients_done, &n_done, 90000))
                pc_fail("only %u of %u clients finished", n_done, N_CLIENTS);

        g_autoptr(GHashTable) paths = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < N_CLIENTS; i++) {
                Client *c = &clients[i];
                if (c->error)
                        pc_fail("client %u: %s", i, c->error);
                g_assert_cmpstr(c->reason, ==, "exited");
                g_assert_cmpint(c->status, ==, (gint32) i);
                g_assert_true(g_hash_table_add(paths, c->path)); /* every object distinct */
                /* The object is the one this client started. */
                g_assert_cmpuint(pc_get_process_u32(fx, c->path, "Pid"), ==, c->pid);
                g_autoptr(GVariant) st = pc_get_property_checked(fx, c->path, PC_PROCESS_IFACE, "ExitStatus",
                                                                 G_VARIANT_TYPE_INT32);
                g_assert_cmpint(g_variant_get_int32(st), ==, (gint32) i);
        }

        for (guint i = 0; i < N_CLIENTS; i++) {
                Client *c = &clients[i];
                g_autoptr(GError) error = NULL;
                g_assert_true(pc_release(fx, c->path, &error));
                g_assert_no_error(error);
                g_dbus_connection_close_sync(c->conn, NULL, NULL);
                g_clear_object(&c->conn);
                g_free(c->path);
                g_free(c->reason);
                g_free(c->error);
        }
        assert_daemon_unharmed(fx, &b);
}

/* --- Children that resist ------------------------------------------------- */

static void test_stop_escalates_on_child_ignoring_term(PcFixture *fx) {
        int out[2];
        pc_pipe(out);
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_assert_cmpint(g_unix_fd_list_append(fds, out[1], NULL), ==, 0);
        close(out[1]);
        Baseline b = baseline_take(fx);

        g_autofree char *path = spawn_ok(fx, PC_ARGV(pc_child_path(), "ignore-term"),
                                         pc_options("stdout", g_variant_new_handle(0),
                                                    "stop-timeout", g_variant_new_uint64(300000), NULL),
                                         fds, NULL);
        g_autofree char *ready = pc_read_line(out[0], PC_TIMEOUT_MS);
        g_assert_cmpstr(ready, ==, "ready");

        g_autoptr(GError) error = NULL;
        g_autofree char *reason = NULL;
        gint32 status = 0;
        gint64 t0 = g_get_monotonic_time();
        g_assert_true(pc_stop(fx, path, &reason, &status, &error));
        gint64 elapsed = g_get_monotonic_time() - t0;
        g_assert_no_error(error);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGKILL);
        g_assert_cmpint(elapsed, >=, 250000);
        g_assert_cmpint(elapsed, <, 5000000);
        close(out[0]);

        g_assert_true(pc_release(fx, path, &error));
        g_assert_no_error(error);
        assert_daemon_unharmed(fx, &b);
}

/* --- Fork refused by a pids cgroup limit ---------------------------------- */

typedef struct {
        char *dir;       /* the test's cgroup */
        char *home;      /* the daemon's cgroup before, to move it back */
} PidsCgroup;

/* The daemon's cgroup in a hierarchy: "0::/x" for v2, "N:pids:/x" for v1. */
static char *cgroup_of(pid_t pid, gboolean v2) {
        g_autofree char *file = g_strdup_printf("/proc/%d/cgroup", (int) pid);
        g_autofree char *contents = NULL;
        if (!g_file_get_contents(file, &contents, NULL, NULL))
                return NULL;
        g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = g_strsplit(*l, ":", 3);
                if (g_strv_length(f) != 3)
                        continue;
                g_auto(GStrv) controllers = g_strsplit(f[1], ",", -1);
                if (v2 ? (strcmp(f[0], "0") == 0 && f[1][0] == '\0')
                       : g_strv_contains((const char *const *) controllers, "pids"))
                        return g_strdup(f[2]);
        }
        return NULL;
}

static gboolean write_file(const char *dir, const char *name, const char *value, GError **error) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, strlen(value)) < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", path, g_strerror(e));
                if (fd >= 0)
                        close(fd);
                return FALSE;
        }
        close(fd);
        return TRUE;
}

static guint read_uint(const char *dir, const char *name) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *s = NULL;
        g_autoptr(GError) error = NULL;
        g_file_get_contents(path, &s, NULL, &error);
        g_assert_no_error(error);
        return (guint) g_ascii_strtoull(s, NULL, 10);
}

/* A new cgroup with the pids controller, or NULL and why not. */
static gboolean pids_cgroup_create(PcFixture *fx, PidsCgroup *cg, char **why) {
        g_autofree char *name = g_strdup_printf("procctl-hostile-%d", (int) getpid());
        g_autoptr(GError) error = NULL;
        g_autofree char *controllers = NULL;

        /* cgroup v2, mounted at /sys/fs/cgroup (pure) or /sys/fs/cgroup/unified (hybrid). */
        static const char *const v2_roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        for (guint i = 0; i < G_N_ELEMENTS(v2_roots); i++) {
                g_autofree char *file = g_build_filename(v2_roots[i], "cgroup.controllers", NULL);
                g_autofree char *own = cgroup_of(fx->daemon_pid, TRUE);
                g_clear_pointer(&controllers, g_free);
                if (!own || !g_file_get_contents(file, &controllers, NULL, NULL))
                        continue;
                g_auto(GStrv) list = g_strsplit_set(g_strstrip(controllers), " ", -1);
                if (!g_strv_contains((const char *const *) list, "pids"))
                        continue;
                /* Below the root, next to the daemon's cgroup would need its
                 * parent's subtree_control; the root's is always usable by root. */
                if (!write_file(v2_roots[i], "cgroup.subtree_control", "+pids", &error)) {
                        *why = g_strdup_printf("cannot enable the pids controller: %s", error->message);
                        return FALSE;
                }
                cg->dir = g_build_filename(v2_roots[i], name, NULL);
                cg->home = g_build_filename(v2_roots[i], own, NULL);
                break;
        }
        /* cgroup v1's pids hierarchy. */
        if (!cg->dir && g_file_test("/sys/fs/cgroup/pids/cgroup.procs", G_FILE_TEST_EXISTS)) {
                g_autofree char *own = cgroup_of(fx->daemon_pid, FALSE);
                if (own) {
                        cg->dir = g_build_filename("/sys/fs/cgroup/pids", name, NULL);
                        cg->home = g_build_filename("/sys/fs/cgroup/pids", own, NULL);
                }
        }
        if (!cg->dir) {
                *why = g_strdup("no cgroup hierarchy with the pids controller");
                return FALSE;
        }
        /* What an earlier run that failed half-way left behind (empty by now:
         * its daemon is gone). */
        g_autofree char *base = g_path_get_dirname(cg->dir);
        g_autoptr(GDir) d = g_dir_open(base, 0, NULL);
        for (const char *e; d && (e = g_dir_read_name(d));)
                if (g_str_has_prefix(e, "procctl-hostile-")) {
                        g_autofree char *stale = g_build_filename(base, e, NULL);
                        (void) rmdir(stale);
                }
        if (mkdir(cg->dir, 0755) < 0) {
                *why = g_strdup_printf("cannot create %s: %s", cg->dir, g_strerror(errno));
                g_clear_pointer(&cg->dir, g_free);
                g_clear_pointer(&cg->home, g_free);
                return FALSE;
        }
        return TRUE;
}

static void pids_cgroup_remove(PidsCgroup *cg) {
        g_autoptr(GError) error = NULL;
        g_autofree char *procs = NULL;
        g_autofree char *file = g_build_filename(cg->dir, "cgroup.procs", NULL);

        /* Every process has been moved back or has exited; rmdir may still
         * race with the last exit for a moment. */
        for (int i = 0; i < 500 && rmdir(cg->dir) < 0 && errno == EBUSY; i++)
                g_usleep(10000);
        if (g_file_test(cg->dir, G_FILE_TEST_EXISTS)) {
                g_file_get_contents(file, &procs, NULL, NULL);
                pc_fail("cannot remove %s (processes: %s)", cg->dir, procs ? procs : "?");
        }
        g_clear_pointer(&cg->dir, g_free);
        g_clear_pointer(&cg->home, g_free);
}

static void test_fork_refused_by_pids_limit(PcFixture *fx) {
        PidsCgroup cg = {};
        g_autofree char *why = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *daemon_pid = g_strdup_printf("%d", (int) fx->daemon_pid);
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        const guint room = 3;

        if (!pids_cgroup_create(fx, &cg, &why)) {
                g_test_skip(why);
                return;
        }
        if (!write_file(cg.dir, "cgroup.procs", daemon_pid, &error)) {
                g_autofree char *msg = g_strdup_printf("cannot move the daemon into %s: %s", cg.dir, error->message);
                (void) rmdir(cg.dir);
                g_test_skip(msg);
                return;
        }
        /* The daemon itself (and any thread of it), plus room for three children. */
        g_autofree char *max = g_strdup_printf("%u", read_uint(cg.dir, "pids.current") + room);
        g_assert_true(write_file(cg.dir, "pids.max", max, &error));
        g_assert_no_error(error);

        for (guint i = 0; i < room; i++)
                g_ptr_array_add(paths, spawn_ok(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, NULL));

        /* Past the limit: an error reply, no object, no child, no descriptor left. */
        for (int i = 0; i < 3; i++)
                assert_spawn_refused_with(fx, PC_ARGV("/bin/sleep", "60"), NULL, NULL, PC_ERROR_LIMIT_EXCEEDED, NULL);
        g_assert_cmpuint(pc_get_process_count(fx), ==, room);
        g_assert_cmpuint(daemon_child_count(fx), ==, room);

        /* Room again once one has gone. */
        g_autofree char *reason = NULL;
        gint32 status;
        g_assert_true(pc_stop(fx, g_ptr_array_index(paths, 0), &reason, &status, &error));
        g_assert_no_error(error);
        g_ptr_array_add(paths, spawn_ok(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL));
        pc_assert_wait_result(fx, g_ptr_array_index(paths, paths->len - 1), "exited", 0);

        /* Clean up: every child gone, the daemon back where it was. */
        for (guint i = 1; i < room; i++) {
                g_autofree char *r = NULL;
                g_assert_true(pc_stop(fx, g_ptr_array_index(paths, i), &r, &status, &error));
                g_assert_no_error(error);
        }
        g_assert_true(write_file(cg.home, "cgroup.procs", daemon_pid, &error));
        g_assert_no_error(error);
        pids_cgroup_remove(&cg);
        assert_daemon_answers(fx);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/hostile/spawn/empty-argv-is-invalid-args", PC_FIXTURE_DEFAULT, test_empty_argv);
        pc_test_add("/hostile/spawn/empty-argv0-is-invalid-args", PC_FIXTURE_DEFAULT, test_empty_argv0);
        pc_test_add("/hostile/spawn/nonexistent-program-is-exec-failed", PC_FIXTURE_DEFAULT, test_nonexistent_program);
        pc_test_add("/hostile/spawn/nonexistent-program-in-path-is-exec-failed", PC_FIXTURE_DEFAULT,
                    test_nonexistent_program_in_path);
        pc_test_add("/hostile/spawn/directory-is-exec-failed", PC_FIXTURE_DEFAULT, test_directory_as_program);
        pc_test_add("/hostile/spawn/file-without-exec-bit-is-exec-failed", PC_FIXTURE_DEFAULT, test_file_without_exec_bit);
        pc_test_add("/hostile/spawn/non-elf-without-shebang-is-exec-failed", PC_FIXTURE_DEFAULT, test_non_elf_without_shebang);
        pc_test_add("/hostile/spawn/script-with-missing-interpreter-names-it", PC_FIXTURE_DEFAULT,
                    test_script_with_missing_interpreter);
        pc_test_add("/hostile/spawn/path-through-regular-file-is-exec-failed", PC_FIXTURE_DEFAULT, test_path_through_regular_file);
        pc_test_add("/hostile/cwd/nonexistent-is-exec-failed", PC_FIXTURE_DEFAULT, test_nonexistent_cwd);
        pc_test_add("/hostile/cwd/non-directory-is-exec-failed", PC_FIXTURE_DEFAULT, test_non_directory_cwd);
        pc_test_add("/hostile/cwd/target-user-cannot-enter-is-exec-failed", PC_FIXTURE_NEEDS_ROOT,
                    test_cwd_target_user_cannot_enter);
        pc_test_add("/hostile/cwd/relative-is-invalid-args", PC_FIXTURE_DEFAULT, test_relative_cwd);
        pc_test_add("/hostile/identity/unknown-user-is-no-such-user", PC_FIXTURE_DEFAULT, test_unknown_user);
        pc_test_add("/hostile/identity/unknown-group-is-no-such-user", PC_FIXTURE_DEFAULT, test_unknown_group);
        pc_test_add("/hostile/signal/invalid-numbers-are-invalid-args", PC_FIXTURE_DEFAULT, test_invalid_signal_numbers);
        pc_test_add("/hostile/signal/zero-on-live-process-succeeds", PC_FIXTURE_DEFAULT, test_signal_zero_on_live_process);
        pc_test_add("/hostile/signal/zero-on-exited-process-is-not-running", PC_FIXTURE_DEFAULT,
                    test_signal_zero_on_exited_process);
        pc_test_add("/hostile/object/unknown-is-unknown-object", PC_FIXTURE_DEFAULT, test_unknown_object);
        pc_test_add("/hostile/object/another-users-is-access-denied", PC_FIXTURE_NEEDS_ROOT, test_another_users_object);
        pc_test_add("/hostile/options/unknown-key-is-invalid-args", PC_FIXTURE_DEFAULT, test_unknown_option_key);
        pc_test_add("/hostile/options/wrong-type-is-invalid-args", PC_FIXTURE_DEFAULT, test_wrong_option_type);
        pc_test_add("/hostile/options/duplicate-key-is-invalid-args", PC_FIXTURE_DEFAULT, test_duplicate_option_key);
        pc_test_add("/hostile/fds/closed-fd-cannot-be-sent", PC_FIXTURE_DEFAULT, test_closed_fd_cannot_be_sent);
        pc_test_add("/hostile/fds/handle-without-descriptor-is-invalid-args", PC_FIXTURE_DEFAULT,
                    test_handle_without_descriptor);
        pc_test_add("/hostile/fds/o-path-is-invalid-args", PC_FIXTURE_DEFAULT, test_o_path_fd);
        pc_test_add("/hostile/fds/target-below-3-is-invalid-args", PC_FIXTURE_DEFAULT, test_fds_target_below_3);
        pc_test_add("/hostile/fds/tty-stdin-not-open-read-write-is-invalid-args", PC_FIXTURE_DEFAULT,
                    test_tty_stdin_not_read_write);
        pc_test_add("/hostile/size/argument-over-128k-is-exec-failed-e2big", PC_FIXTURE_DEFAULT, test_argument_over_128k);
        pc_test_add("/hostile/size/100000-arguments-is-limit-exceeded", PC_FIXTURE_DEFAULT, test_100000_arguments);
        pc_test_add("/hostile/size/huge-environment-is-limit-exceeded", PC_FIXTURE_DEFAULT, test_huge_environment);
        pc_test_add("/hostile/size/400000-arguments-are-refused-promptly", PC_FIXTURE_DEFAULT, test_argument_flood);
        pc_test_add("/hostile/caller/leaving-mid-wait-leaves-nothing", PC_FIXTURE_DEFAULT, test_caller_leaves_mid_wait);
        pc_test_add("/hostile/caller/leaving-mid-restart-leaves-nothing", PC_FIXTURE_DEFAULT,
                    test_caller_leaves_mid_restart);
        g_test_add_data_func("/hostile/caller/leaving-mid-authorization-leaves-nothing",
                             NULL, run_with_polkit_policy);
        pc_test_add("/hostile/load/200-concurrent-clients-get-their-own-status", PC_FIXTURE_DEFAULT, test_concurrent_clients);
        pc_test_add("/hostile/stop/escalates-when-child-ignores-sigterm", PC_FIXTURE_DEFAULT,
                    test_stop_escalates_on_child_ignoring_term);
        pc_test_add("/hostile/limits/fork-refused-by-pids-cgroup-is-limit-exceeded", PC_FIXTURE_NEEDS_ROOT,
                    test_fork_refused_by_pids_limit);

        return g_test_run();
}
