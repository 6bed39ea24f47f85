/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The integration-test fixture (see fixture.h): a private system-type
 * bus, procctld on it, and the client-side helpers of the tests.
 *
 * Processes are started with fork+execve rather than GSubprocess so that the
 * fixture controls exactly what the daemon inherits (environment, signal
 * state, descriptors, limits); between fork and exec the child makes only
 * async-signal-safe calls, since GDBus threads may be running.
 */

#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* What procctld's own environment holds: all of it must stay out of the
 * children's environment. */
#define DAEMON_ENV_MARKER "PROCCTL_TEST_MARKER=daemon-environment-must-not-leak"

static const char *nowhere_bus = "unix:path=/nonexistent/procctl-tests-never-use-a-host-bus";

/* --- Life cycle ------------------------------------------------------- */

void pc_test_init(int *argc, char ***argv) {
        g_test_init(argc, argv, NULL);
        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", nowhere_bus, TRUE);
        g_setenv("DBUS_SESSION_BUS_ADDRESS", nowhere_bus, TRUE);
        g_unsetenv("DBUS_STARTER_ADDRESS");
        g_unsetenv("DBUS_STARTER_BUS_TYPE");
        /* A child that dies with its pipe's read end must not kill the test. */
        signal(SIGPIPE, SIG_IGN);
}

typedef struct {
        PcFixtureFlags flags;
        void (*func)(PcFixture *fx);
        void (*data_func)(PcFixture *fx, gconstpointer data);
        gconstpointer data;
} TestCase;

static gboolean flags_need_root(PcFixtureFlags flags) {
        return (flags & (PC_FIXTURE_NEEDS_ROOT | PC_FIXTURE_DAEMON_IN_PIDNS)) != 0;
}

static void run_test_case(gconstpointer data) {
        const TestCase *tc = data;

        if (flags_need_root(tc->flags) && geteuid() != 0) {
                g_test_skip(tc->flags & PC_FIXTURE_DAEMON_IN_PIDNS
                            ? "needs root: creates a PID namespace for procctld"
                            : "needs root: acts as other users");
                return;
        }

        PcFixture fx = { 0 };
        pc_fixture_setup(&fx, GUINT_TO_POINTER(tc->flags));
        if (tc->func)
                tc->func(&fx);
        else
                tc->data_func(&fx, tc->data);
        pc_fixture_teardown(&fx, GUINT_TO_POINTER(tc->flags));
}

void pc_test_add(const char *path, PcFixtureFlags flags, void (*func)(PcFixture *fx)) {
        TestCase *tc = g_new0(TestCase, 1);
        tc->flags = flags;
        tc->func = func;
        g_test_add_data_func_full(path, tc, run_test_case, g_free);
}

void pc_test_add_data(const char *path, PcFixtureFlags flags,
                      void (*func)(PcFixture *fx, gconstpointer data), gconstpointer data) {
        TestCase *tc = g_new0(TestCase, 1);
        tc->flags = flags;
        tc->data_func = func;
        tc->data = data;
        g_test_add_data_func_full(path, tc, run_test_case, g_free);
}

static const char *require_env(const char *name) {
        const char *v = g_getenv(name);
        if (!v || !*v)
                pc_fail("%s is not set: run the tests through `meson test`", name);
        return v;
}

static char *child_copy_dir, *child_copy;

static void remove_child_copy(void) {
        if (child_copy)
                (void) unlink(child_copy);
        if (child_copy_dir)
                (void) rmdir(child_copy_dir);
}

/* Children run as other users too (nobody, daemon), and the build tree may
 * sit where they cannot reach it (a checkout in /root, a 0700 temporary
 * directory): they get a copy of the program in a directory anyone may enter. */
const char *pc_child_path(void) {
        g_autofree char *contents = NULL;
        g_autoptr(GError) error = NULL;
        gsize size;

        if (child_copy)
                return child_copy;
        if (!g_file_get_contents(require_env("PROCCTL_TEST_CHILD"), &contents, &size, &error))
                pc_fail("cannot read the test child: %s", error->message);
        child_copy_dir = g_dir_make_tmp("procctl-child-XXXXXX", &error);
        if (!child_copy_dir || chmod(child_copy_dir, 0755) < 0)
                pc_fail("cannot make a directory for the test child: %s", error ? error->message : g_strerror(errno));
        child_copy = g_build_filename(child_copy_dir, "pc-child", NULL);
        atexit(remove_child_copy);
        if (!g_file_set_contents(child_copy, contents, (gssize) size, &error) || chmod(child_copy, 0755) < 0)
                pc_fail("cannot copy the test child: %s", error ? error->message : g_strerror(errno));
        return child_copy;
}

const char *pc_call_path(void) {
        return require_env("PROCCTL_TEST_CALL");
}

/* Forks and execs argv with envp.  keep_fd, if >= 0, becomes descriptor 3;
 * every other descriptor but 0-2 is closed, stdin is /dev/null.  With
 * cgroup_procs_fd >= 0 (a cgroup.procs open for writing), the child joins
 * that cgroup first. */
static pid_t start_process(const char *const *argv, const char *const *envp,
                           int keep_fd, PcFixtureFlags flags, int cgroup_procs_fd) {
        pid_t parent = getpid();
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(devnull, >=, 0);

        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                /* If the test process dies, so does what it started. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                if (cgroup_procs_fd >= 0 && write(cgroup_procs_fd, "0", 1) < 0)
                        _exit(127);

                if (dup2(devnull, STDIN_FILENO) < 0)
                        _exit(127);
                if (keep_fd >= 0) {
                        if (keep_fd == 3) {
                                if (fcntl(3, F_SETFD, 0) < 0)
                                        _exit(127);
                        } else if (dup2(keep_fd, 3) < 0)
                                _exit(127);
                }
                syscall(SYS_close_range, keep_fd >= 0 ? 4 : 3, ~0U, 0);

                /* Start from a clean signal state, then spoil it on request. */
                sigset_t none;
                sigemptyset(&none);
                for (int s = 1; s < NSIG; s++)
                        signal(s, SIG_DFL);
                if (flags & PC_FIXTURE_DAEMON_HOSTILE_SIGNALS) {
                        signal(SIGINT, SIG_IGN);
                        signal(SIGQUIT, SIG_IGN);
                        sigaddset(&none, SIGUSR1);
                }
                sigprocmask(SIG_SETMASK, &none, NULL);

                /* A known descriptor limit, so children can be checked
                 * against what a login gets (1024). */
                struct rlimit rl;
                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max >= 1024) {
                        rl.rlim_cur = 1024;
                        setrlimit(RLIMIT_NOFILE, &rl);
                }

                execve(argv[0], (char *const *) argv, (char *const *) envp);
                _exit(127);
        }
        close(devnull);
        return pid;
}

int pc_pidfd_open(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                pc_fail("pidfd_open(%d): %s", (int) pid, g_strerror(errno));
        return fd;
}

gboolean pc_pidfd_wait_readable(int pidfd, int timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        return r > 0;
}

/* Waits for our child pid to exit; returns its wait status, or -1 after
 * timeout_ms (the child is then left running). */
static int wait_child_exit(pid_t pid, int timeout_ms) {
        int pidfd = pc_pidfd_open(pid);
        gboolean ended = pc_pidfd_wait_readable(pidfd, timeout_ms);
        close(pidfd);
        if (!ended)
                return -1;

        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        pc_fail("waitpid(%d): %s", (int) pid, g_strerror(errno));
        }
        return status;
}

static char *describe_wait_status(int status) {
        if (WIFEXITED(status))
                return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
        if (WIFSIGNALED(status))
                return g_strdup_printf("killed by signal %d (%s)%s", WTERMSIG(status),
                                       strsignal(WTERMSIG(status)),
                                       WCOREDUMP(status) ? ", core dumped" : "");
        return g_strdup_printf("wait status 0x%x", status);
}

/* --- A private system-type bus ---------------------------------------- */

char *pc_bus_config_new(const char *listen, const char *policy_file, const char *extra) {
        /* Not root: let the test's own uid own the name too, so the tests
         * that need no other identity can still run. */
        g_autofree char *own_policy = geteuid() == 0 ? g_strdup("") :
                g_strdup_printf("  <policy user=\"%u\">\n"
                                "    <allow own=\"" PC_BUS_NAME "\"/>\n"
                                "  </policy>\n", (unsigned) geteuid());

        return g_strdup_printf(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<!-- A private system-type bus for procctl's tests, with the\n"
                "     default policy of Debian's system.conf. -->\n"
                "<busconfig>\n"
                "  <type>system</type>\n"
                "  <listen>%s</listen>\n"
                "  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow user=\"*\"/>\n"
                "    <deny own=\"*\"/>\n"
                "    <deny send_type=\"method_call\"/>\n"
                "    <allow send_type=\"signal\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                "    <allow receive_type=\"method_call\"/>\n"
                "    <allow receive_type=\"method_return\"/>\n"
                "    <allow receive_type=\"error\"/>\n"
                "    <allow receive_type=\"signal\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.DBus\"\n"
                "          send_member=\"UpdateActivationEnvironment\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.DBus.Debug.Stats\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.systemd1.Activator\"/>\n"
                "  </policy>\n"
                "  <policy user=\"root\">\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Monitoring\"/>\n"
                "  </policy>\n"
                "  <include>%s</include>\n"
                "%s"
                "%s"
                "</busconfig>\n",
                listen, policy_file, own_policy, extra ? extra : "");
}

const char *pc_bus_name(void) {
        const char *bus = g_getenv("PROCCTL_TEST_BUS");
        if (!bus || !*bus || strcmp(bus, "dbus-daemon") == 0)
                return "dbus-daemon";
        if (strcmp(bus, "dbus-broker") == 0)
                return "dbus-broker";
        pc_fail("PROCCTL_TEST_BUS=%s: expected dbus-daemon or dbus-broker", bus);
        g_assert_not_reached();
}

const char *pc_bus_program(void) {
        gboolean broker = strcmp(pc_bus_name(), "dbus-broker") == 0;
        const char *program = broker ? require_env("PROCCTL_TEST_BROKER") : "/usr/bin/dbus-daemon";
        if (!g_file_test(program, G_FILE_TEST_IS_EXECUTABLE))
                pc_fail("%s is missing (%s)", program, broker ? "not built" : "apt-get install dbus-daemon");
        return program;
}

static void die_with_parent(gpointer user_data) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *pc_bus_daemon_spawn(const char *config, const char *const *envp, char **address) {
        g_autoptr(GError) error = NULL;
        g_autofree char *config_arg = g_strdup_printf("--config-file=%s", config);
        g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);

        if (envp)
                g_subprocess_launcher_set_environ(launcher, (char **) envp);
        g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
        GSubprocess *bus = g_subprocess_launcher_spawn(launcher, &error, pc_bus_program(), config_arg,
                                                       "--nofork", "--print-address=1", NULL);
        g_assert_no_error(error);

        /* The address is printed once the bus listens. */
        g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(bus));
        *address = g_data_input_stream_read_line(out, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(*address);
        g_assert_true(g_str_has_prefix(*address, "unix:"));
        return bus;
}

static char *write_bus_config(PcFixture *fx) {
        const char *policy = require_env("PROCCTL_BUS_POLICY");
        if (!g_file_test(policy, G_FILE_TEST_IS_REGULAR))
                pc_fail("bus policy file %s does not exist", policy);

        g_autofree char *listen = g_strdup_printf("unix:path=%s/bus", fx->tmpdir);
        g_autofree char *config = pc_bus_config_new(listen, policy, NULL);

        char *path = g_build_filename(fx->tmpdir, "bus.conf", NULL);
        g_autoptr(GError) error = NULL;
        g_file_set_contents(path, config, -1, &error);
        g_assert_no_error(error);
        return path;
}

static char *read_line_from(int fd, int timeout_ms, const char *what) {
        g_autoptr(GString) s = g_string_new(NULL);
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                gint64 left = (deadline - g_get_monotonic_time()) / 1000;
                if (left <= 0)
                        pc_fail("timed out reading %s", what);
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, (int) left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        continue;
                char c;
                ssize_t n = read(fd, &c, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        g_autofree char *got = g_strescape(s->str, NULL);
                        pc_fail("end of file reading %s (got \"%s\")", what, got);
                }
                if (c == '\n')
                        return g_string_free(g_steal_pointer(&s), FALSE);
                g_string_append_c(s, c);
        }
}

static void start_bus(PcFixture *fx) {
        g_autofree char *config = write_bus_config(fx);
        g_autofree char *config_arg = g_strdup_printf("--config-file=%s", config);
        int p[2];
        pc_pipe(p);
        const char *const argv[] = { pc_bus_program(), config_arg, "--nofork", "--print-address=3", NULL };
        const char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        fx->bus_pid = start_process(argv, envp, p[1], PC_FIXTURE_DEFAULT, -1);
        close(p[1]);

        fx->bus_address = read_line_from(p[0], PC_TIMEOUT_MS, "the bus's address");
        close(p[0]);
        g_assert_true(g_str_has_prefix(fx->bus_address, "unix:"));
}

static int open_notify_socket(PcFixture *fx, char **path) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);

        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        *path = g_build_filename(fx->tmpdir, "notify", NULL);
        g_assert_cmpuint(strlen(*path), <, sizeof sa.sun_path);
        strcpy(sa.sun_path, *path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                pc_fail("bind(%s): %s", *path, g_strerror(errno));
        int one = 1;
        g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), ==, 0);
        return fd;
}

/* Waits for READY=1 on the notify socket and returns the sender's PID (in
 * our namespace, as the kernel translates credentials). */
static pid_t wait_ready(PcFixture *fx, int notify_fd) {
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;

        for (;;) {
                int status;
                if (waitpid(fx->launcher_pid, &status, WNOHANG) == fx->launcher_pid) {
                        g_autofree char *how = describe_wait_status(status);
                        fx->launcher_pid = 0;
                        pc_fail("procctld %s before sending READY=1", how);
                }
                if (g_get_monotonic_time() > deadline)
                        pc_fail("procctld did not send READY=1 within %d ms", PC_TIMEOUT_MS);

                struct pollfd p = { .fd = notify_fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;

                char buf[4096];
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } control;
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof control,
                };
                ssize_t n = recvmsg(notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0)
                        continue;
                buf[n] = '\0';

                pid_t sender = 0;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                                struct ucred uc;
                                memcpy(&uc, CMSG_DATA(c), sizeof uc);
                                sender = uc.pid;
                        }

                g_auto(GStrv) lines = g_strsplit(buf, "\n", -1);
                for (char **l = lines; *l; l++)
                        if (strcmp(*l, "READY=1") == 0) {
                                if (sender <= 0)
                                        pc_fail("READY=1 came without sender credentials");
                                return sender;
                        }
        }
}

const char *pc_fixture_daemon_option;
const char *pc_fixture_daemon_option2;

void pc_set_abort_cgroup(const char *dir);
void write_cgroup_file(const char *file, const char *value);

/* --- A cgroup of its own for each test's daemon -------------------------- */

char *pc_cgroup2_mount(void) {
        g_autofree char *text = NULL;
        char *found = NULL;

        if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL))
                return NULL;
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                const char *sep = strstr(*l, " - ");
                g_auto(GStrv) f = g_strsplit(*l, " ", 6);
                if (!sep || !g_str_has_prefix(sep + 3, "cgroup2 ") || g_strv_length(f) < 5)
                        continue;
                if (!found || strcmp(f[4], "/sys/fs/cgroup") == 0) {
                        g_free(found);
                        found = g_strdup(f[4]);
                }
        }
        return found;
}

char *pc_cgroup_read(const char *dir, const char *file) {
        g_autofree char *path = g_build_filename(dir, file, NULL);
        char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return text;
}

gboolean pc_cgroup_populated(const char *dir) {
        g_autofree char *events = pc_cgroup_read(dir, "cgroup.events");
        return events && strstr(events, "populated 1") != NULL;
}

/* cgroupfs takes a write in place, not g_file_set_contents()'s rename. */
void write_cgroup_file(const char *file, const char *value) {
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) !write(fd, value, strlen(value));
                close(fd);
        }
}

static gboolean cgroup_empty(gpointer dir) {
        return !pc_cgroup_populated(dir);
}

/* Removes dir and the cgroups below it, deepest first (cgroupfs has no
 * files to unlink, only directories to remove). */
static void remove_cgroup_tree(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *sub = g_build_filename(dir, name, NULL);
                if (g_file_test(sub, G_FILE_TEST_IS_DIR))
                        remove_cgroup_tree(sub);
        }
        if (rmdir(dir) < 0 && errno != ENOENT)
                g_printerr("# could not remove the cgroup %s: %s\n", dir, g_strerror(errno));
}

/* A fresh cgroup below the cgroup2 root for the daemon of one test
 * (PROCCTL_TEST_CGROUP=no: none, and the daemon runs with --cgroup=no). */
static void make_daemon_cgroup(PcFixture *fx) {
        g_autofree char *mount = NULL;

        if (g_strcmp0(g_getenv("PROCCTL_TEST_CGROUP"), "no") == 0 || geteuid() != 0)
                return;
        mount = pc_cgroup2_mount();
        if (!mount)
                return;
        g_autofree char *dir = g_build_filename(mount, "procctl-test-XXXXXX", NULL);
        if (!g_mkdtemp_full(dir, 0755))
                return; /* not writable: the daemon runs without cgroups */
        fx->cgroup = g_steal_pointer(&dir);
        pc_set_abort_cgroup(fx->cgroup);
}

/* Kills whatever the test left in its cgroup and removes it. */
static void remove_daemon_cgroup(PcFixture *fx) {
        g_autofree char *kill_file = NULL;

        if (!fx->cgroup)
                return;
        kill_file = g_build_filename(fx->cgroup, "cgroup.kill", NULL);
        write_cgroup_file(kill_file, "1");
        if (!pc_poll_until(cgroup_empty, fx->cgroup, PC_TIMEOUT_MS))
                g_printerr("# the cgroup %s did not empty\n", fx->cgroup);
        remove_cgroup_tree(fx->cgroup);
        pc_set_abort_cgroup(NULL);
        g_clear_pointer(&fx->cgroup, g_free);
}

static void start_daemon(PcFixture *fx) {
        const char *procctld = require_env("PROCCTLD");
        if (!g_file_test(procctld, G_FILE_TEST_IS_EXECUTABLE))
                pc_fail("procctld %s is not built", procctld);

        g_autofree char *notify_path = NULL;
        int notify_fd = open_notify_socket(fx, &notify_path);

        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", fx->bus_address);
        g_autofree char *notify_env = g_strdup_printf("NOTIFY_SOCKET=%s", notify_path);
        g_autofree char *session_env = g_strdup_printf("DBUS_SESSION_BUS_ADDRESS=%s", nowhere_bus);
        const char *log_level = g_getenv("PROCCTL_TEST_LOG_LEVEL");
        g_autofree char *log_arg = g_strdup_printf("--log-level=%s", log_level ? log_level : "info");
        /* The test's own record of process ids, not the machine's /run/procctl. */
        g_autofree char *runtime_env = g_strdup_printf("RUNTIME_DIRECTORY=%s/run", fx->tmpdir);
        /* In a cgroup of its own, which it divides as under systemd's Delegate=yes. */
        g_autofree char *procs_file = fx->cgroup ? g_build_filename(fx->cgroup, "cgroup.procs", NULL) : NULL;
        int procs_fd = procs_file ? open(procs_file, O_WRONLY | O_CLOEXEC) : -1;
        const char *cgroup_arg = g_strcmp0(g_getenv("PROCCTL_TEST_CGROUP"), "no") == 0 ? "--cgroup=no" : NULL;

        /* Everything below but the addresses and the runtime directory is
         * there to be *not* inherited by the daemon's children. */
        const char *const envp[] = {
                bus_env,
                notify_env,
                session_env,
                runtime_env,
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin:/daemon-path-must-not-leak",
                "HOME=/daemon-home-must-not-leak",
                "USER=daemon-user-must-not-leak",
                "LOGNAME=daemon-logname-must-not-leak",
                "SHELL=/daemon-shell-must-not-leak",
                "LANG=C.UTF-8",
                DAEMON_ENV_MARKER,
                NULL,
        };

        if (fx->flags & PC_FIXTURE_DAEMON_IN_PIDNS) {
                const char *unshare = "/usr/bin/unshare";
                if (!g_file_test(unshare, G_FILE_TEST_IS_EXECUTABLE))
                        pc_fail("%s is missing (apt-get install util-linux)", unshare);
                const char *const argv[] = {
                        /* With its own /proc, as in a container: PIDs the
                         * daemon reads there (pidfd fdinfo) are its own. */
                        unshare, "--pid", "--fork", "--kill-child", "--mount-proc", "--",
                        procctld, log_arg, cgroup_arg, NULL,
                };
                fx->launcher_pid = start_process(argv, envp, -1, fx->flags, procs_fd);
        } else {
                const char *argv[6] = { procctld, log_arg };
                size_t n = 2;
                /* The options given, in order, each only if set. */
                const char *options[] = { cgroup_arg, pc_fixture_daemon_option, pc_fixture_daemon_option2 };
                for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
                        if (options[i])
                                argv[n++] = options[i];
                fx->launcher_pid = start_process((const char *const *) argv, envp, -1, fx->flags, procs_fd);
        }

        if (procs_fd >= 0)
                close(procs_fd);
        fx->daemon_pid = wait_ready(fx, notify_fd);
        close(notify_fd);

        if (!(fx->flags & PC_FIXTURE_DAEMON_IN_PIDNS))
                g_assert_cmpint(fx->daemon_pid, ==, fx->launcher_pid);
        else
                g_assert_cmpint(fx->daemon_pid, !=, fx->launcher_pid);
}

GDBusConnection *pc_fixture_new_connection(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *conn = g_dbus_connection_new_for_address_sync(
                        fx->bus_address,
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
        g_assert_no_error(error);
        g_dbus_connection_set_exit_on_close(conn, FALSE);
        return conn;
}

void pc_fixture_setup(PcFixture *fx, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        fx->flags = GPOINTER_TO_UINT(data);
        if (flags_need_root(fx->flags) && geteuid() != 0) {
                g_test_skip("needs root");
                return;
        }

        fx->tmpdir = pc_make_tmpdir("procctl-test-XXXXXX");
        /* Others (uid 65534 in the identity tests) must reach the socket. */
        g_assert_cmpint(chmod(fx->tmpdir, 0755), ==, 0);
        fx->outdir = g_build_filename(fx->tmpdir, "out", NULL);
        g_assert_cmpint(mkdir(fx->outdir, 0755), ==, 0);
        g_assert_cmpint(chmod(fx->outdir, 01777), ==, 0);

        start_bus(fx);
        make_daemon_cgroup(fx);
        start_daemon(fx);

        fx->conn = pc_fixture_new_connection(fx);

        /* READY=1 means the name is taken. */
        g_autoptr(GVariant) owner = g_dbus_connection_call_sync(
                        fx->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "GetNameOwner",
                        g_variant_new("(s)", PC_BUS_NAME), G_VARIANT_TYPE("(s)"),
                        G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        if (!owner)
                pc_fail("procctld sent READY=1 but does not own %s: %s", PC_BUS_NAME, error->message);
        g_variant_get(owner, "(s)", &fx->daemon_name);
}

void pc_fixture_export_bus_address(PcFixture *fx) {
        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", fx->bus_address, TRUE);
}

void pc_fixture_teardown(PcFixture *fx, gconstpointer data) {
        if (fx->conn) {
                g_dbus_connection_close_sync(fx->conn, NULL, NULL);
                g_clear_object(&fx->conn);
        }

        if (fx->launcher_pid > 0) {
                int status;
                if (waitpid(fx->launcher_pid, &status, WNOHANG) == fx->launcher_pid) {
                        g_autofree char *how = describe_wait_status(status);
                        fx->launcher_pid = 0;
                        pc_fail("procctld %s during the test", how);
                }

                /* Whatever the test left running goes first, with its
                 * process group (every child leads one). */
                g_autoptr(GArray) children = pc_process_children(fx->daemon_pid, FALSE);
                for (guint i = 0; i < children->len; i++) {
                        pid_t c = g_array_index(children, pid_t, i);
                        kill(-c, SIGKILL);
                        kill(c, SIGKILL);
                }

                g_assert_cmpint(kill(fx->daemon_pid, SIGTERM), ==, 0);
                status = wait_child_exit(fx->launcher_pid, PC_TIMEOUT_MS);
                if (status == -1) {
                        kill(fx->launcher_pid, SIGKILL);
                        kill(fx->daemon_pid, SIGKILL);
                        wait_child_exit(fx->launcher_pid, PC_TIMEOUT_MS);
                        fx->launcher_pid = 0;
                        pc_fail("procctld did not exit within %d ms of SIGTERM", PC_TIMEOUT_MS);
                }
                fx->launcher_pid = 0;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        g_autofree char *how = describe_wait_status(status);
                        pc_fail("procctld %s on SIGTERM, expected exit status 0", how);
                }
        }

        remove_daemon_cgroup(fx);

        if (fx->bus_pid > 0) {
                kill(fx->bus_pid, SIGTERM);
                if (wait_child_exit(fx->bus_pid, PC_TIMEOUT_MS) == -1) {
                        kill(fx->bus_pid, SIGKILL);
                        wait_child_exit(fx->bus_pid, PC_TIMEOUT_MS);
                }
                fx->bus_pid = 0;
        }

        if (fx->tmpdir)
                pc_remove_tmpdir(fx->tmpdir);
        g_clear_pointer(&fx->tmpdir, g_free);
        g_clear_pointer(&fx->outdir, g_free);
        g_clear_pointer(&fx->bus_address, g_free);
        g_clear_pointer(&fx->daemon_name, g_free);
}

/* --- Calls ------------------------------------------------------------ */

GVariant *pc_call(PcFixture *fx, GDBusConnection *conn,
                  const char *path, const char *iface, const char *method,
                  GVariant *params, const GVariantType *reply_type,
                  GUnixFDList *fds_in, GUnixFDList **fds_out, GError **error) {
        return g_dbus_connection_call_with_unix_fd_list_sync(
                        conn ? conn : fx->conn, PC_BUS_NAME, path, iface, method,
                        params, reply_type, G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS,
                        fds_in, fds_out, NULL, error);
}

GVariant *pc_manager_call(PcFixture *fx, const char *method, GVariant *params,
                          const GVariantType *reply_type, GError **error) {
        return pc_call(fx, NULL, PC_MANAGER_PATH, PC_MANAGER_IFACE, method, params,
                       reply_type, NULL, NULL, error);
}

GVariant *pc_options(const char *first_key, ...) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        va_list ap;
        va_start(ap, first_key);
        for (const char *key = first_key; key; key = va_arg(ap, const char *)) {
                GVariant *value = va_arg(ap, GVariant *);
                g_variant_builder_add(&b, "{sv}", key, value);
        }
        va_end(ap);
        return g_variant_builder_end(&b);
}

char *pc_spawn_on(PcFixture *fx, GDBusConnection *conn, const char *const *argv,
                  GVariant *options, GUnixFDList *fds, guint32 *pid, GError **error) {
        g_autoptr(GVariant) opts = options ? g_variant_ref_sink(options)
                                           : g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
        g_autoptr(GVariant) reply = pc_call(
                        fx, conn, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                        g_variant_new("(^as@a{sv})", argv, opts), G_VARIANT_TYPE("(ou)"),
                        fds, NULL, error);
        if (!reply)
                return NULL;

        char *path;
        guint32 p;
        g_variant_get(reply, "(ou)", &path, &p);
        if (pid)
                *pid = p;
        return path;
}

char *pc_fixture_spawn(PcFixture *fx, const char *const *argv, GVariant *options,
                       GUnixFDList *fds, guint32 *pid, GError **error) {
        return pc_spawn_on(fx, NULL, argv, options, fds, pid, error);
}

static gboolean wait_or_stop(PcFixture *fx, const char *method, const char *path,
                             char **reason, gint32 *status, GError **error) {
        g_autoptr(GVariant) reply = pc_manager_call(fx, method, g_variant_new("(o)", path),
                                                    G_VARIANT_TYPE("(si)"), error);
        if (!reply)
                return FALSE;
        const char *r;
        gint32 s;
        g_variant_get(reply, "(&si)", &r, &s);
        if (reason)
                *reason = g_strdup(r);
        if (status)
                *status = s;
        return TRUE;
}

gboolean pc_wait(PcFixture *fx, const char *path, char **reason, gint32 *status, GError **error) {
        return wait_or_stop(fx, "Wait", path, reason, status, error);
}

gboolean pc_stop(PcFixture *fx, const char *path, char **reason, gint32 *status, GError **error) {
        return wait_or_stop(fx, "Stop", path, reason, status, error);
}

void pc_assert_wait_result(PcFixture *fx, const char *path, const char *reason, gint32 status) {
        g_autoptr(GError) error = NULL;
        g_autofree char *r = NULL;
        gint32 s = -1;
        pc_wait(fx, path, &r, &s, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(r, ==, reason);
        g_assert_cmpint(s, ==, status);
}

gboolean pc_signal(PcFixture *fx, const char *path, gint32 sig, GError **error) {
        g_autoptr(GVariant) reply = pc_manager_call(fx, "Signal", g_variant_new("(oi)", path, sig),
                                                    G_VARIANT_TYPE_UNIT, error);
        return reply != NULL;
}

gboolean pc_release(PcFixture *fx, const char *path, GError **error) {
        g_autoptr(GVariant) reply = pc_manager_call(fx, "Release", g_variant_new("(o)", path),
                                                    G_VARIANT_TYPE_UNIT, error);
        return reply != NULL;
}

GVariant *pc_get_property(PcFixture *fx, const char *path, const char *iface,
                          const char *name, GError **error) {
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, "org.freedesktop.DBus.Properties", "Get",
                                            g_variant_new("(ss)", iface, name),
                                            G_VARIANT_TYPE("(v)"), NULL, NULL, error);
        if (!reply)
                return NULL;
        GVariant *value;
        g_variant_get(reply, "(v)", &value);
        return value;
}

GVariant *pc_get_property_checked(PcFixture *fx, const char *path, const char *iface,
                                  const char *name, const GVariantType *type) {
        g_autoptr(GError) error = NULL;
        GVariant *v = pc_get_property(fx, path, iface, name, &error);
        if (!v)
                pc_fail("Get(%s, %s) on %s failed: %s", iface, name, path, error->message);
        if (!g_variant_is_of_type(v, type))
                pc_fail("property %s.%s has type %s, expected %.*s", iface, name,
                        g_variant_get_type_string(v), (int) g_variant_type_get_string_length(type),
                        g_variant_type_peek_string(type));
        return v;
}

char *pc_get_process_string(PcFixture *fx, const char *path, const char *name) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, name, G_VARIANT_TYPE_STRING);
        return g_variant_dup_string(v, NULL);
}

guint32 pc_get_process_u32(PcFixture *fx, const char *path, const char *name) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, name, G_VARIANT_TYPE_UINT32);
        return g_variant_get_uint32(v);
}

guint64 pc_get_process_u64(PcFixture *fx, const char *path, const char *name) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, path, PC_PROCESS_IFACE, name, G_VARIANT_TYPE_UINT64);
        return g_variant_get_uint64(v);
}

gboolean pc_have_cgroups(PcFixture *fx) {
        g_auto(GStrv) features = pc_features(fx);
        if (g_strv_contains((const char *const *) features, "cgroup"))
                return TRUE;
        g_test_skip("procctld has no cgroup per process here (Features lacks \"cgroup\")");
        return FALSE;
}

gboolean pc_process_bool_is(gpointer data) {
        PcBoolProperty *b = data;
        g_autoptr(GVariant) v = pc_get_property_checked(b->fx, b->path, PC_PROCESS_IFACE, b->name, G_VARIANT_TYPE_BOOLEAN);
        return g_variant_get_boolean(v) == b->want;
}

guint32 pc_get_process_count(PcFixture *fx) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                                        "ProcessCount", G_VARIANT_TYPE_UINT32);
        return g_variant_get_uint32(v);
}

GVariant *pc_call_as(PcFixture *fx, uid_t uid, gid_t gid,
                     const char *path, const char *iface, const char *method,
                     GVariant *params, GError **error) {
        g_autoptr(GVariant) p = params ? g_variant_ref_sink(params) : NULL;
        g_autofree char *text = p ? g_variant_print(p, TRUE) : NULL;
        g_autofree char *reuid = g_strdup_printf("--reuid=%u", (unsigned) uid);
        g_autofree char *regid = g_strdup_printf("--regid=%u", (unsigned) gid);
        const char *argv[] = {
                "/usr/bin/setpriv", reuid, regid, "--clear-groups",
                pc_call_path(), fx->bus_address, path, iface, method, text, NULL,
        };

        g_autoptr(GError) local = NULL;
        g_autoptr(GSubprocess) sp = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &local);
        g_assert_no_error(local);
        g_autofree char *out = NULL, *err = NULL;
        g_subprocess_communicate_utf8(sp, NULL, NULL, &out, &err, &local);
        g_assert_no_error(local);
        if (!g_subprocess_get_if_exited(sp) || g_subprocess_get_exit_status(sp) != 0)
                pc_fail("pc-call as %u:%u failed: %s", (unsigned) uid, (unsigned) gid, err);

        g_auto(GStrv) lines = g_strsplit(out, "\n", 4);
        if (g_strcmp0(lines[0], "OK") == 0 && lines[1]) {
                GVariant *reply = g_variant_parse(NULL, lines[1], NULL, NULL, &local);
                g_assert_no_error(local);
                return reply;
        }
        if (g_strcmp0(lines[0], "ERROR") == 0 && lines[1] && lines[2]) {
                g_propagate_error(error, g_dbus_error_new_for_dbus_error(lines[1], lines[2]));
                return NULL;
        }
        pc_fail("unexpected output of pc-call: %s", out);
        return NULL;
}

void pc_assert_dbus_error_impl(const char *file, int line, const char *func,
                               const GError *error, const char *name) {
        if (!error) {
                g_autofree char *m = g_strdup_printf("expected D-Bus error %s, the call succeeded", name);
                g_assertion_message(G_LOG_DOMAIN, file, line, func, m);
                return;
        }
        g_autofree char *remote = g_dbus_error_get_remote_error(error);
        if (g_strcmp0(remote, name) != 0) {
                g_autofree char *m = g_strdup_printf("expected D-Bus error %s, got %s: %s",
                                                     name, remote ? remote : "(not a D-Bus error)",
                                                     error->message);
                g_assertion_message(G_LOG_DOMAIN, file, line, func, m);
        }
}

/* --- Signals ---------------------------------------------------------- */

struct PcSignalRecorder {
        GDBusConnection *conn;
        guint subscription;
        GPtrArray *signals;
};

static void recorded_signal_free(gpointer p) {
        PcRecordedSignal *s = p;
        g_free(s->path);
        g_free(s->iface);
        g_free(s->member);
        g_variant_unref(s->params);
        g_free(s);
}

static void on_recorded_signal(GDBusConnection *conn, const char *sender, const char *path,
                               const char *iface, const char *member, GVariant *params,
                               gpointer user_data) {
        PcSignalRecorder *r = user_data;
        PcRecordedSignal *s = g_new0(PcRecordedSignal, 1);
        s->path = g_strdup(path);
        s->iface = g_strdup(iface);
        s->member = g_strdup(member);
        s->params = g_variant_ref(params);
        g_ptr_array_add(r->signals, s);
}

PcSignalRecorder *pc_signal_recorder_new(PcFixture *fx, const char *iface,
                                         const char *member, const char *path) {
        PcSignalRecorder *r = g_new0(PcSignalRecorder, 1);
        r->conn = g_object_ref(fx->conn);
        r->signals = g_ptr_array_new_with_free_func(recorded_signal_free);
        r->subscription = g_dbus_connection_signal_subscribe(
                        fx->conn, fx->daemon_name, iface, member, path, NULL,
                        G_DBUS_SIGNAL_FLAGS_NONE, on_recorded_signal, r, NULL);

        /* A round trip to the bus, so the match rule is in place before the
         * test goes on. */
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
                        fx->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "GetId", NULL, NULL,
                        G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
        return r;
}

void pc_signal_recorder_free(PcSignalRecorder *r) {
        if (!r)
                return;
        g_dbus_connection_signal_unsubscribe(r->conn, r->subscription);
        g_object_unref(r->conn);
        g_ptr_array_unref(r->signals);
        g_free(r);
}

GPtrArray *pc_signal_recorder_signals(PcSignalRecorder *r) {
        return r->signals;
}

typedef struct {
        PcSignalRecorder *r;
        PcSignalMatch match;
        gpointer user_data;
        const PcRecordedSignal *found;
} SignalWait;

static gboolean signal_wait_done(gpointer user_data) {
        SignalWait *w = user_data;
        for (guint i = 0; i < w->r->signals->len; i++) {
                const PcRecordedSignal *s = g_ptr_array_index(w->r->signals, i);
                if (!w->match || w->match(s, w->user_data)) {
                        w->found = s;
                        return TRUE;
                }
        }
        return FALSE;
}

const PcRecordedSignal *pc_signal_recorder_wait(PcSignalRecorder *r, PcSignalMatch match,
                                                gpointer user_data, int timeout_ms) {
        SignalWait w = { r, match, user_data, NULL };
        pc_poll_until(signal_wait_done, &w, timeout_ms);
        return w.found;
}

/* --- Waiting ---------------------------------------------------------- */

static gboolean stop_iteration(gpointer user_data) {
        return G_SOURCE_REMOVE;
}

gboolean pc_poll_until(gboolean (*cond)(gpointer user_data), gpointer user_data, int timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                while (g_main_context_iteration(NULL, FALSE))
                        ;
                if (cond(user_data))
                        return TRUE;
                if (g_get_monotonic_time() >= deadline)
                        return FALSE;

                /* Block until something happens, or for a few ms at most. */
                GSource *t = g_timeout_source_new(5);
                g_source_set_callback(t, stop_iteration, NULL, NULL);
                g_source_attach(t, NULL);
                g_main_context_iteration(NULL, TRUE);
                g_source_destroy(t);
                g_source_unref(t);
        }
}

void pc_async_call_done(GObject *source, GAsyncResult *res, gpointer call) {
        PcAsyncCall *c = call;
        c->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &c->error);
        c->done = TRUE;
}

static gboolean async_call_is_done(gpointer call) {
        return ((PcAsyncCall *) call)->done;
}

void pc_async_call_wait(PcAsyncCall *call) {
        if (!pc_poll_until(async_call_is_done, call, PC_TIMEOUT_MS))
                pc_fail("no reply to an asynchronous call within %d ms", PC_TIMEOUT_MS);
}

/* --- Processes and descriptors ---------------------------------------- */

guint pc_fixture_daemon_fd_count(PcFixture *fx) {
        return pc_fd_count(fx->daemon_pid);
}

guint pc_fd_count(pid_t pid) {
        g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int) pid);
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
        g_assert_no_error(error);
        guint n = 0;
        while (g_dir_read_name(d))
                n++;
        return n;
}

/* Parses /proc/<pid>/stat: the state letter and the parent. */
static gboolean read_stat(pid_t pid, char *state, pid_t *ppid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) pid);
        g_autofree char *contents = NULL;
        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return FALSE;
        const char *p = strrchr(contents, ')');
        if (!p)
                return FALSE;
        char st;
        int pp;
        if (sscanf(p + 1, " %c %d", &st, &pp) != 2)
                return FALSE;
        if (state)
                *state = st;
        if (ppid)
                *ppid = pp;
        return TRUE;
}

GArray *pc_process_children(pid_t parent, gboolean include_zombies) {
        GArray *a = g_array_new(FALSE, FALSE, sizeof(pid_t));
        g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
        g_assert_nonnull(d);
        const char *name;
        while ((name = g_dir_read_name(d))) {
                if (!g_ascii_isdigit(name[0]))
                        continue;
                pid_t pid = atoi(name);
                char state;
                pid_t ppid;
                if (!read_stat(pid, &state, &ppid) || ppid != parent)
                        continue;
                if (state == 'Z' && !include_zombies)
                        continue;
                g_array_append_val(a, pid);
        }
        return a;
}

char pc_process_state(pid_t pid) {
        char state;
        return read_stat(pid, &state, NULL) ? state : 0;
}

gboolean pc_process_is_alive(pid_t pid) {
        char s = pc_process_state(pid);
        return s != 0 && s != 'Z' && s != 'X';
}

pid_t pc_process_inner_pid(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *contents = NULL;
        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return 0;
        g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
        for (char **l = lines; *l; l++)
                if (g_str_has_prefix(*l, "NSpid:")) {
                        g_auto(GStrv) f = g_strsplit_set(*l + strlen("NSpid:"), " \t", -1);
                        pid_t last = 0;
                        for (char **x = f; *x; x++)
                                if (**x)
                                        last = atoi(*x);
                        return last;
                }
        return 0;
}

static char *pid_ns_of(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/ns/pid", (int) pid);
        return g_file_read_link(path, NULL);
}

pid_t pc_find_outer_pid(pid_t ns_of, pid_t inner_pid) {
        g_autofree char *ns = pid_ns_of(ns_of);
        g_assert_nonnull(ns);
        g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
        g_assert_nonnull(d);
        const char *name;
        while ((name = g_dir_read_name(d))) {
                if (!g_ascii_isdigit(name[0]))
                        continue;
                pid_t pid = atoi(name);
                g_autofree char *other = pid_ns_of(pid);
                if (g_strcmp0(ns, other) == 0 && pc_process_inner_pid(pid) == inner_pid)
                        return pid;
        }
        return 0;
}

typedef struct {
        pid_t pid;
        const char *comm;
} CommWanted;

static gboolean has_comm(gpointer data) {
        CommWanted *c = data;
        g_autofree char *file = g_strdup_printf("/proc/%d/comm", (int) c->pid);
        g_autofree char *text = NULL;
        return g_file_get_contents(file, &text, NULL, NULL) && strcmp(g_strchomp(text), c->comm) == 0;
}

void pc_wait_comm(pid_t pid, const char *comm) {
        CommWanted c = { pid, comm };
        if (!pc_poll_until(has_comm, &c, PC_TIMEOUT_MS))
                pc_fail("process %d never became %s", (int) pid, comm);
}

/* --- Files and pipes -------------------------------------------------- */

char *pc_fixture_write_file(PcFixture *fx, const char *name, const char *contents, mode_t mode) {
        char *path = g_build_filename(fx->tmpdir, name, NULL);
        g_autoptr(GError) error = NULL;
        g_file_set_contents(path, contents, -1, &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(path, mode), ==, 0);
        return path;
}

char *pc_fixture_out_path(PcFixture *fx, const char *name) {
        return g_build_filename(fx->outdir, name, NULL);
}

void pc_pipe(int fds[2]) {
        if (pipe2(fds, O_CLOEXEC) < 0)
                pc_fail("pipe2: %s", g_strerror(errno));
}

char *pc_read_to_eof(int fd, int timeout_ms) {
        g_autoptr(GString) s = g_string_new(NULL);
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                gint64 left = (deadline - g_get_monotonic_time()) / 1000;
                if (left <= 0) {
                        g_autofree char *got = g_strescape(s->str, NULL);
                        pc_fail("no end of file within %d ms (got \"%s\")", timeout_ms, got);
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, (int) left);
                if (r <= 0)
                        continue;
                char buf[4096];
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        pc_fail("read: %s", g_strerror(errno));
                if (n == 0)
                        return g_string_free(g_steal_pointer(&s), FALSE);
                g_string_append_len(s, buf, n);
        }
}

char *pc_read_line(int fd, int timeout_ms) {
        return read_line_from(fd, timeout_ms, "a line");
}

/* --- Child reports ---------------------------------------------------- */

struct PcReport {
        GHashTable *values; /* key -> GPtrArray of char* (NULL-terminated) */
};

static gboolean file_exists(gpointer path) {
        return g_file_test(path, G_FILE_TEST_EXISTS);
}

PcReport *pc_report_load(const char *file, int timeout_ms) {
        if (!pc_poll_until(file_exists, (gpointer) file, timeout_ms))
                pc_fail("the child did not write its report %s within %d ms", file, timeout_ms);

        g_autofree char *contents = NULL;
        g_autoptr(GError) error = NULL;
        g_file_get_contents(file, &contents, NULL, &error);
        g_assert_no_error(error);

        PcReport *r = g_new0(PcReport, 1);
        r->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
        gboolean complete = FALSE;
        g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
        for (char **l = lines; *l; l++) {
                if (!**l)
                        continue;
                if (strcmp(*l, "end") == 0) {
                        complete = TRUE;
                        break;
                }
                const char *sp = strchr(*l, ' ');
                g_autofree char *key = sp ? g_strndup(*l, sp - *l) : g_strdup(*l);
                const char *value = sp ? sp + 1 : "";
                GPtrArray *a = g_hash_table_lookup(r->values, key);
                if (!a) {
                        a = g_ptr_array_new_with_free_func(g_free);
                        g_ptr_array_add(a, NULL);
                        g_hash_table_insert(r->values, g_steal_pointer(&key), a);
                }
                /* Keep the array NULL-terminated. */
                a->pdata[a->len - 1] = g_strdup(value);
                g_ptr_array_add(a, NULL);
        }
        if (!complete)
                pc_fail("report %s is incomplete:\n%s", file, contents);
        return r;
}

void pc_report_free(PcReport *r) {
        if (!r)
                return;
        g_hash_table_unref(r->values);
        g_free(r);
}

const char *pc_report_get(PcReport *r, const char *key) {
        GPtrArray *a = g_hash_table_lookup(r->values, key);
        return a ? g_ptr_array_index(a, 0) : NULL;
}

const char *const *pc_report_get_all(PcReport *r, const char *key) {
        static const char *const none[] = { NULL };
        GPtrArray *a = g_hash_table_lookup(r->values, key);
        return a ? (const char *const *) a->pdata : none;
}

/* --- Processes the test starts itself, and the pidfd methods ---------- */

#define PIDFS_MAGIC 0x50494446

guint64 pc_inode(int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                pc_fail("fstat(%d): %s", fd, g_strerror(errno));
        return (guint64) st.st_ino;
}

gboolean pc_is_on_pidfs(int fd) {
        struct statfs sfs;
        return fstatfs(fd, &sfs) == 0 && (guint32) sfs.f_type == PIDFS_MAGIC;
}

pid_t pc_start_child_full(const char *const *argv, const PcChildOptions *o) {
        const char *const default_envp[] = { "PATH=/usr/bin:/bin", NULL };
        const char *const *envp = o->envp ? o->envp : default_envp;
        pid_t parent = getpid();
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        g_assert_cmpint(devnull, >=, 0);

        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                /* Async-signal-safe only: GDBus threads run in the parent. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                if (dup2(o->stdin_fd >= 0 ? o->stdin_fd : devnull, 0) < 0 ||
                    dup2(o->stdout_fd >= 0 ? o->stdout_fd : devnull, 1) < 0 ||
                    (!o->keep_stderr && dup2(devnull, 2) < 0))
                        _exit(127);
                syscall(SYS_close_range, 3, ~0U, 0);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                for (int s = 1; s < NSIG; s++)
                        signal(s, SIG_DFL);
                if (o->ignore_term)
                        signal(SIGTERM, SIG_IGN);
                if (o->as_user) {
                        if (setsid() < 0 || setgroups(0, NULL) < 0 || setresgid(o->gid, o->gid, o->gid) < 0 ||
                            setresuid(o->uid, o->uid, o->uid) < 0)
                                _exit(127);
                        /* Changing credentials cleared it. */
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != parent)
                                _exit(127);
                }
                execve(argv[0], (char *const *) argv, (char *const *) envp);
                _exit(127);
        }
        close(devnull);
        return pid;
}

pid_t pc_start_child(const char *const *argv, int stdin_fd, gboolean ignore_term) {
        return pc_start_child_full(argv, &(PcChildOptions) { .stdin_fd = stdin_fd, .stdout_fd = -1,
                                                            .ignore_term = ignore_term });
}

pid_t pc_start_child_as(const char *const *argv, uid_t uid, gid_t gid) {
        return pc_start_child_full(argv, &(PcChildOptions) { .stdin_fd = -1, .stdout_fd = -1, .as_user = TRUE,
                                                            .uid = uid, .gid = gid });
}

void pc_wait_exec(pid_t pid, const char *exe_suffix) {
        g_autofree char *link = g_strdup_printf("/proc/%d/exe", (int) pid);
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        for (;;) {
                g_autofree char *exe = g_file_read_link(link, NULL);
                if (exe && g_str_has_suffix(exe, exe_suffix))
                        return;
                if (g_get_monotonic_time() > deadline)
                        pc_fail("process %d did not exec *%s within %d ms", (int) pid, exe_suffix, PC_TIMEOUT_MS);
                g_usleep(2 * 1000);
        }
}

struct PcReaper {
        pid_t pid;
        GThread *thread;
};

static gpointer reaper_thread(gpointer data) {
        PcReaper *r = data;
        int status;
        while (waitpid(r->pid, &status, 0) < 0)
                if (errno != EINTR)
                        return GINT_TO_POINTER(-1);
        return GINT_TO_POINTER(status);
}

PcReaper *pc_reaper_new(pid_t pid) {
        PcReaper *r = g_new0(PcReaper, 1);
        r->pid = pid;
        r->thread = g_thread_new("reaper", reaper_thread, r);
        return r;
}

int pc_reaper_join(PcReaper *r) {
        int status = GPOINTER_TO_INT(g_thread_join(r->thread));
        g_free(r);
        return status;
}

void pc_kill_and_reap(pid_t pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

char *pc_adopt_on(PcFixture *fx, GDBusConnection *conn, int pidfd, GVariant *options, GError **error) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_autoptr(GError) local = NULL;
        int handle = g_unix_fd_list_append(fds, pidfd, &local);
        g_assert_no_error(local);
        GVariant *opts = options ? options : g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
        g_autoptr(GVariant) reply = pc_call(fx, conn, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Adopt",
                                            g_variant_new("(h@a{sv})", handle, opts), G_VARIANT_TYPE("(o)"),
                                            fds, NULL, error);
        if (!reply)
                return NULL;
        char *path;
        g_variant_get(reply, "(o)", &path);
        return path;
}

char *pc_adopt(PcFixture *fx, int pidfd, GVariant *options, GError **error) {
        return pc_adopt_on(fx, NULL, pidfd, options, error);
}

int pc_get_pidfd(PcFixture *fx, const char *path, GError **error) {
        g_autoptr(GUnixFDList) out = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, PC_MANAGER_PATH, PC_MANAGER_IFACE, "GetPidfd",
                                            g_variant_new("(o)", path), G_VARIANT_TYPE("(h)"), NULL, &out, error);
        if (!reply)
                return -1;
        gint32 handle;
        g_variant_get(reply, "(h)", &handle);
        g_assert_nonnull(out);
        g_assert_cmpint(g_unix_fd_list_get_length(out), ==, 1);
        g_autoptr(GError) local = NULL;
        int fd = g_unix_fd_list_get(out, handle, &local);
        g_assert_no_error(local);
        return fd;
}

char *pc_get_process_by_pidfd(PcFixture *fx, int pidfd, GError **error) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_autoptr(GError) local = NULL;
        int handle = g_unix_fd_list_append(fds, pidfd, &local);
        g_assert_no_error(local);
        g_autoptr(GVariant) reply = pc_call(fx, NULL, PC_MANAGER_PATH, PC_MANAGER_IFACE, "GetProcessByPidfd",
                                            g_variant_new("(h)", handle), G_VARIANT_TYPE("(o)"), fds, NULL, error);
        if (!reply)
                return NULL;
        char *path;
        g_variant_get(reply, "(o)", &path);
        return path;
}

char *pc_pidfd_call_as(PcFixture *fx, uid_t uid, gid_t gid, const char *call, const char *arg, GError **error) {
        const char *helper = g_getenv("PROCCTL_TEST_PIDFD_CALL");
        if (!helper)
                pc_fail("PROCCTL_TEST_PIDFD_CALL is not set: run the tests through `meson test`");
        g_autofree char *reuid = g_strdup_printf("--reuid=%u", (unsigned) uid);
        g_autofree char *regid = g_strdup_printf("--regid=%u", (unsigned) gid);
        const char *argv[] = {
                "/usr/bin/setpriv", reuid, regid, "--clear-groups", helper, fx->bus_address, call, arg, NULL,
        };
        g_autoptr(GError) local = NULL;
        g_autoptr(GSubprocess) sp = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                      &local);
        g_assert_no_error(local);
        g_autofree char *out = NULL, *err = NULL;
        g_subprocess_communicate_utf8(sp, NULL, NULL, &out, &err, &local);
        g_assert_no_error(local);
        if (!g_subprocess_get_if_exited(sp) || g_subprocess_get_exit_status(sp) != 0)
                pc_fail("pc-pidfd-call %s as %u:%u failed: %s", call, (unsigned) uid, (unsigned) gid, err);

        g_auto(GStrv) lines = g_strsplit(out, "\n", 4);
        if (g_strcmp0(lines[0], "OK") == 0 && lines[1])
                return g_strdup(lines[1]);
        if (g_strcmp0(lines[0], "ERROR") == 0 && lines[1] && lines[2]) {
                g_propagate_error(error, g_dbus_error_new_for_dbus_error(lines[1], lines[2]));
                return NULL;
        }
        pc_fail("unexpected output of pc-pidfd-call: %s", out);
        return NULL;
}

char *pc_spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, options, NULL, pid, &error);
        g_assert_no_error(error);
        return path;
}

char **pc_features(PcFixture *fx) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Features",
                                                        G_VARIANT_TYPE_STRING_ARRAY);
        return g_variant_dup_strv(v, NULL);
}

/* --- Temporary directories ---------------------------------------------- */

/* The directories to remove should the test abort: a failed assertion
 * ends the program with abort(), and no teardown runs. */
#define MAX_TMPDIRS 16
static char *tmpdirs[MAX_TMPDIRS];

static int rm_rf_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static void rm_rf(const char *dir) {
        if (!g_getenv("PROCCTL_TEST_KEEP_TMPDIR"))
                nftw(dir, rm_rf_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The daemon's cgroup (fixture), killed and removed should the test abort. */
static char *abort_cgroup;

static void remove_cgroup_on_abort(void) {
        g_autofree char *kill_file = NULL;

        if (!abort_cgroup)
                return;
        kill_file = g_build_filename(abort_cgroup, "cgroup.kill", NULL);
        write_cgroup_file(kill_file, "1");
        /* The kill is asynchronous: a few tries, then give up. */
        for (int i = 0; i < 200; i++) {
                nftw(abort_cgroup, rm_rf_entry, 16, FTW_DEPTH | FTW_PHYS);
                if (access(abort_cgroup, F_OK) < 0)
                        break;
                g_usleep(10 * 1000);
        }
}

static void remove_tmpdirs_on_abort(int sig) {
        /* Not async-signal-safe in general, but abort() here comes from the
         * test's own failed assertion, not from inside malloc. */
        remove_cgroup_on_abort();
        for (size_t i = 0; i < MAX_TMPDIRS; i++)
                if (tmpdirs[i])
                        rm_rf(tmpdirs[i]);
        signal(sig, SIG_DFL);
        raise(sig);
}

void pc_set_abort_cgroup(const char *dir) {
        g_free(abort_cgroup);
        abort_cgroup = g_strdup(dir);
}

char *pc_make_tmpdir(const char *template) {
        static gboolean handler_installed;
        g_autoptr(GError) error = NULL;
        char *dir = g_dir_make_tmp(template, &error);
        g_assert_no_error(error);

        if (!handler_installed) {
                struct sigaction sa = { .sa_handler = remove_tmpdirs_on_abort };
                g_assert_cmpint(sigaction(SIGABRT, &sa, NULL), ==, 0);
                handler_installed = TRUE;
        }
        for (size_t i = 0; i < MAX_TMPDIRS; i++)
                if (!tmpdirs[i]) {
                        tmpdirs[i] = g_strdup(dir);
                        return dir;
                }
        pc_fail("more than %d temporary directories at once", MAX_TMPDIRS);
        return dir;
}

void pc_remove_tmpdir(const char *dir) {
        rm_rf(dir);
        for (size_t i = 0; i < MAX_TMPDIRS; i++)
                if (g_strcmp0(tmpdirs[i], dir) == 0)
                        g_clear_pointer(&tmpdirs[i], g_free);
}
