/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Bus activation and service life of procctld: the daemon is started on
 * demand by the bus through its activation file, tells the service manager
 * READY, STATUS and STOPPING, and with --exit-idle-after leaves when nothing
 * is tracked (giving up its name first, so the next call starts a new one),
 * never while it tracks a process, running or exited.
 *
 * Which bus.  On a real system the system bus hands activation to systemd
 * (SystemdService=procctld.service), and without systemd it runs Exec= as
 * root through the setuid helper dbus-daemon-launch-helper, which only reads
 * the fixed system service directories.  Neither can run here, so each test
 * starts a private dbus-daemon with a system-type configuration (the same
 * default-deny policy as Debian's system bus, plus the project's own policy
 * file) and a <servicedir> holding the activation file built from
 * data/org.procctl.Manager1.service.in.  With no <servicehelper> and without
 * --systemd-activation, dbus-daemon runs Exec= itself, so the built file is
 * used with two changes, and nothing else: Exec= names the built daemon with
 * --exit-idle-after, and SystemdService= is dropped (no systemd to ask).
 * Name= and the rest are the built file's, so a wrong bus name or a broken
 * file fails here.  A session-type bus would prove the same, but the daemon
 * serves the system bus, whose policy is part of what is being tested.
 *
 * dbus-daemon gives the services it starts DBUS_SYSTEM_BUS_ADDRESS (the
 * private bus, for a system-type bus) but never a NOTIFY_SOCKET, which
 * systemd would give the unit; so Exec= runs the daemon through env(1) with
 * NOTIFY_SOCKET set to a datagram socket of the test, which stands in for
 * the service manager.
 *
 * Environment (set by tests/activation/meson.build): PROCCTLD, the built
 * daemon; PROCCTL_ACTIVATION_FILE and PROCCTL_UNIT_FILE, the built
 * data/org.procctl.Manager1.service and data/procctld.service;
 * PROCCTL_LIBEXECDIR, where the unit expects the daemon; PROCCTL_BUS_POLICY.
 */

#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define BUS_NAME      "org.procctl.Manager1"
#define MANAGER_PATH  "/org/procctl/Manager1"
#define MANAGER_IFACE "org.procctl.Manager1"

/* The daemon's idle time, and how long anything may take beyond it. */
#define IDLE_SEC 1
#define IDLE_MS (IDLE_SEC * 1000)
#define TIMEOUT_MS 10000

static const char *nowhere_bus = "unix:path=/nonexistent/procctl-tests-never-use-a-host-bus";

typedef struct {
        pid_t pid;  /* the sender, from SCM_CREDENTIALS */
        char *text; /* the whole datagram, "KEY=VALUE\n..." */
} Notification;

typedef struct {
        char *tmpdir;
        char *bus_address;
        GSubprocess *bus;
        GDBusConnection *conn;
        int notify_fd;
        GPtrArray *notifications; /* of Notification */
        GArray *daemon_pids;      /* every procctld seen ... */
        GArray *daemon_pidfds;    /* ... and its pidfd, to kill it at teardown without a PID race */
} Fixture;

static const char *require_env(const char *name) {
        const char *v = g_getenv(name);
        if (!v || !*v)
                g_error("%s is not set: run the tests through `meson test`", name);
        return v;
}

static void notification_free(gpointer p) {
        Notification *n = p;
        g_free(n->text);
        g_free(n);
}

/* --- Files ------------------------------------------------------------ */

static GKeyFile *load_key_file(const char *path) {
        g_autoptr(GError) error = NULL;
        GKeyFile *k = g_key_file_new();

        if (!g_key_file_load_from_file(k, path, G_KEY_FILE_NONE, &error))
                g_error("cannot parse %s: %s", path, error->message);
        return k;
}

/* The built activation file, with the two changes described at the top. */
static char *activation_file_for_test(const char *tmpdir) {
        g_autofree char *built = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GString) out = g_string_new(NULL);
        gboolean exec_seen = FALSE;

        g_file_get_contents(require_env("PROCCTL_ACTIVATION_FILE"), &built, NULL, &error);
        g_assert_no_error(error);

        g_auto(GStrv) lines = g_strsplit(built, "\n", -1);
        for (char **l = lines; *l; l++) {
                if (g_str_has_prefix(*l, "Exec=")) {
                        g_string_append_printf(out, "Exec=/usr/bin/env NOTIFY_SOCKET=%s/notify %s --exit-idle-after=%d\n",
                                               tmpdir, require_env("PROCCTLD"), IDLE_SEC);
                        exec_seen = TRUE;
                } else if (g_str_has_prefix(*l, "SystemdService=")) {
                        g_string_append_printf(out, "# %s (no systemd in this test)\n", *l);
                } else
                        g_string_append_printf(out, "%s\n", *l);
        }
        g_assert_true(exec_seen);
        return g_string_free(g_steal_pointer(&out), FALSE);
}

/* --- The notify socket -------------------------------------------------- */

static int open_notify_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpuint(strlen(path), <, sizeof sa.sun_path);
        strcpy(sa.sun_path, path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                g_error("bind(%s): %s", path, g_strerror(errno));
        g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), ==, 0);
        return fd;
}

/* Reads every datagram waiting on the socket into fx->notifications. */
static void notify_drain(Fixture *fx) {
        for (;;) {
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
                ssize_t n = recvmsg(fx->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0)
                        return;
                buf[n] = '\0';

                Notification *note = g_new0(Notification, 1);
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                                struct ucred uc;
                                memcpy(&uc, CMSG_DATA(c), sizeof uc);
                                note->pid = uc.pid;
                        }
                note->text = g_strdup(buf);
                g_autofree char *escaped = g_strescape(buf, NULL);
                g_test_message("notify from %d: %s", (int) note->pid, escaped);
                g_ptr_array_add(fx->notifications, note);
        }
}

/* The index of the first notification from pid, at or after index from,
 * that has line as one of its lines; -1 if none (yet). */
static int notify_find(Fixture *fx, pid_t pid, const char *line, guint from) {
        notify_drain(fx);
        for (guint i = from; i < fx->notifications->len; i++) {
                Notification *n = g_ptr_array_index(fx->notifications, i);
                if (n->pid != pid)
                        continue;
                g_auto(GStrv) lines = g_strsplit(n->text, "\n", -1);
                if (g_strv_contains((const char *const *) lines, line))
                        return (int) i;
        }
        return -1;
}

/* Waits for line from pid (at or after index from); returns its index. */
static guint notify_wait(Fixture *fx, pid_t pid, const char *line, guint from) {
        gint64 deadline = g_get_monotonic_time() + (gint64) TIMEOUT_MS * 1000;

        for (;;) {
                int i = notify_find(fx, pid, line, from);
                if (i >= 0)
                        return (guint) i;
                if (g_get_monotonic_time() > deadline)
                        g_error("procctld (pid %d) did not send \"%s\" within %d ms", (int) pid, line, TIMEOUT_MS);
                struct pollfd p = { .fd = fx->notify_fd, .events = POLLIN };
                (void) poll(&p, 1, 50);
        }
}

/* --- Setup and teardown ----------------------------------------------- */

static void fixture_setup(Fixture *fx, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        fx->tmpdir = g_dir_make_tmp("procctl-activation-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(fx->tmpdir, 0755), ==, 0);
        fx->notifications = g_ptr_array_new_with_free_func(notification_free);
        fx->daemon_pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
        fx->daemon_pidfds = g_array_new(FALSE, FALSE, sizeof(int));

        g_autofree char *servicedir = g_build_filename(fx->tmpdir, "services", NULL);
        g_assert_cmpint(g_mkdir(servicedir, 0755), ==, 0);
        g_autofree char *service = g_build_filename(servicedir, BUS_NAME ".service", NULL);
        g_autofree char *service_text = activation_file_for_test(fx->tmpdir);
        g_file_set_contents(service, service_text, -1, &error);
        g_assert_no_error(error);

        g_autofree char *config = g_build_filename(fx->tmpdir, "bus.conf", NULL);
        fx->bus_address = g_strdup_printf("unix:path=%s/bus", fx->tmpdir);
        g_autofree char *servicedir_xml = g_strdup_printf("  <servicedir>%s</servicedir>\n", servicedir);
        g_autofree char *config_text = pc_bus_config_new(fx->bus_address, require_env("PROCCTL_BUS_POLICY"),
                                                         servicedir_xml);
        g_file_set_contents(config, config_text, -1, &error);
        g_assert_no_error(error);

        g_autofree char *notify_path = g_build_filename(fx->tmpdir, "notify", NULL);
        fx->notify_fd = open_notify_socket(notify_path);

        g_autofree char *session_env = g_strdup_printf("DBUS_SESSION_BUS_ADDRESS=%s", nowhere_bus);
        /* What dbus-daemon passes on to the services it starts, besides
         * DBUS_SYSTEM_BUS_ADDRESS, which it sets itself. */
        const char *const envp[] = { session_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL };
        /* Killed if the test dies, and with it the daemon. */
        g_autofree char *printed = NULL;
        fx->bus = pc_bus_daemon_spawn(config, envp, &printed);

        fx->conn = g_dbus_connection_new_for_address_sync(
                fx->bus_address,
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        g_assert_no_error(error);
}

static void fixture_teardown(Fixture *fx, gconstpointer data) {
        g_clear_object(&fx->conn);
        /* Without its bus the daemon exits on its own; make sure of it. */
        for (guint i = 0; i < fx->daemon_pidfds->len; i++) {
                int pidfd = g_array_index(fx->daemon_pidfds, int, i);
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                close(pidfd);
        }
        if (fx->bus) {
                g_subprocess_send_signal(fx->bus, SIGTERM);
                (void) g_subprocess_wait(fx->bus, NULL, NULL);
                g_clear_object(&fx->bus);
        }
        close(fx->notify_fd);
        if (!g_getenv("PROCCTL_TEST_KEEP_TMPDIR")) {
                /* What setup created, and the bus's socket. */
                const char *names[] = { "services/" BUS_NAME ".service", "services", "bus.conf", "notify", "bus", NULL };
                for (const char **n = names; *n; n++) {
                        g_autofree char *p = g_build_filename(fx->tmpdir, *n, NULL);
                        (void) g_remove(p);
                }
                (void) g_rmdir(fx->tmpdir);
        }
        g_free(fx->tmpdir);
        g_free(fx->bus_address);
        g_ptr_array_unref(fx->notifications);
        g_array_unref(fx->daemon_pids);
        g_array_unref(fx->daemon_pidfds);
}

/* --- Bus helpers ------------------------------------------------------- */

static GVariant *bus_driver_call(Fixture *fx, const char *method, GVariant *params, const char *reply_type,
                                 GError **error) {
        return g_dbus_connection_call_sync(fx->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", method, params, G_VARIANT_TYPE(reply_type),
                                           G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, error);
}

static gboolean name_has_owner(Fixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = bus_driver_call(fx, "NameHasOwner", g_variant_new("(s)", BUS_NAME), "(b)", &error);
        gboolean owned;

        g_assert_no_error(error);
        g_variant_get(r, "(b)", &owned);
        return owned;
}

/* The PID of the name's owner (0 if none), remembered for teardown. */
static pid_t owner_pid(Fixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r =
                bus_driver_call(fx, "GetConnectionUnixProcessID", g_variant_new("(s)", BUS_NAME), "(u)", &error);
        guint32 pid;

        if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
                return 0;
        g_assert_no_error(error);
        g_variant_get(r, "(u)", &pid);
        for (guint i = 0; i < fx->daemon_pids->len; i++)
                if (g_array_index(fx->daemon_pids, pid_t, i) == (pid_t) pid)
                        return (pid_t) pid;
        /* New: hold it by a pidfd (it owns the name, so it is this daemon). */
        int pidfd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
        g_array_append_val(fx->daemon_pids, pid);
        if (pidfd >= 0)
                g_array_append_val(fx->daemon_pidfds, pidfd);
        return (pid_t) pid;
}

/* A call to procctld, which the bus may have to start first. */
static GVariant *manager_call(Fixture *fx, const char *method, GVariant *params, const char *reply_type) {
        g_autoptr(GError) error = NULL;
        GVariant *r = g_dbus_connection_call_sync(fx->conn, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, method, params,
                                                  G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
                                                  NULL, &error);
        g_assert_no_error(error);
        return r;
}

static char *get_version(Fixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                fx->conn, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                g_variant_new("(ss)", MANAGER_IFACE, "Version"), G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE,
                TIMEOUT_MS, NULL, &error);
        g_autoptr(GVariant) v = NULL;

        g_assert_no_error(error);
        g_variant_get(r, "(v)", &v);
        return g_variant_dup_string(v, NULL);
}

static char *spawn(Fixture *fx, const char *const *argv) {
        g_autoptr(GVariant) r = manager_call(fx, "Spawn", g_variant_new("(^asa{sv})", argv, NULL), "(ou)");
        char *path;

        g_variant_get(r, "(ou)", &path, NULL);
        return path;
}

/* Asserts that pid keeps owning the name for ms milliseconds. */
static void assert_stays_up(Fixture *fx, pid_t pid, int ms, const char *why) {
        gint64 end = g_get_monotonic_time() + (gint64) ms * 1000;

        while (g_get_monotonic_time() < end) {
                pid_t now = owner_pid(fx);
                if (now != pid)
                        g_error("procctld (pid %d) left the bus while %s (owner now: %d)", (int) pid, why, (int) now);
                g_usleep(100 * 1000);
        }
}

/* Waits until the name has no owner; returns how long that took, in ms. */
static gint64 wait_name_released(Fixture *fx, int timeout_ms) {
        gint64 start = g_get_monotonic_time();

        while (name_has_owner(fx)) {
                if (g_get_monotonic_time() - start > (gint64) timeout_ms * 1000)
                        g_error("procctld still owns %s after %d ms", BUS_NAME, timeout_ms);
                g_usleep(20 * 1000);
        }
        return (g_get_monotonic_time() - start) / 1000;
}

/* --- Tests --------------------------------------------------------------- */

static void test_files_name_the_daemon(void) {
        g_autoptr(GKeyFile) service = load_key_file(require_env("PROCCTL_ACTIVATION_FILE"));
        g_autoptr(GKeyFile) unit = load_key_file(require_env("PROCCTL_UNIT_FILE"));
        g_autofree char *name = g_key_file_get_string(service, "D-BUS Service", "Name", NULL);
        g_autofree char *systemd_service = g_key_file_get_string(service, "D-BUS Service", "SystemdService", NULL);
        g_autofree char *user = g_key_file_get_string(service, "D-BUS Service", "User", NULL);
        g_autofree char *type = g_key_file_get_string(unit, "Service", "Type", NULL);
        g_autofree char *bus_name = g_key_file_get_string(unit, "Service", "BusName", NULL);
        g_autofree char *exec_start = g_key_file_get_string(unit, "Service", "ExecStart", NULL);
        g_autofree char *daemon = g_build_filename(require_env("PROCCTL_LIBEXECDIR"), "procctld", NULL);

        /* The bus starts the unit for the name, the unit waits for the name. */
        g_assert_cmpstr(name, ==, BUS_NAME);
        g_assert_cmpstr(systemd_service, ==, "procctld.service");
        g_assert_cmpstr(user, ==, "root");
        g_assert_cmpstr(bus_name, ==, BUS_NAME);
        /* READY=1 is sent (tested below), so the unit says so. */
        g_assert_cmpstr(type, ==, "notify");
        g_assert_nonnull(exec_start);
        g_auto(GStrv) words = g_strsplit(exec_start, " ", -1);
        g_assert_cmpstr(words[0], ==, daemon);
}

static void test_first_call_starts_the_daemon(Fixture *fx, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        g_assert_false(name_has_owner(fx));
        g_autoptr(GVariant) names = bus_driver_call(fx, "ListActivatableNames", NULL, "(as)", &error);
        g_assert_no_error(error);
        g_autofree const char **list = NULL;
        g_variant_get(names, "(^a&s)", &list);
        g_assert_true(g_strv_contains(list, BUS_NAME));

        /* Any call to the name starts it: here, reading a property. */
        g_autofree char *version = get_version(fx);
        g_assert_cmpstr(version, ==, PROCCTL_EXPECTED_VERSION);

        pid_t pid = owner_pid(fx);
        g_assert_cmpint(pid, >, 0);

        /* It is the built daemon, started by the bus with the Exec= line. */
        g_autofree char *exe_link = g_strdup_printf("/proc/%d/exe", (int) pid);
        g_autofree char *exe = g_file_read_link(exe_link, &error);
        g_assert_no_error(error);
        g_autofree char *expected_exe = realpath(require_env("PROCCTLD"), NULL);
        g_assert_cmpstr(exe, ==, expected_exe);
        g_autofree char *cmdline_path = g_strdup_printf("/proc/%d/cmdline", (int) pid);
        g_autofree char *cmdline = NULL;
        gsize len;
        g_file_get_contents(cmdline_path, &cmdline, &len, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(cmdline + strlen(cmdline) + 1, ==, "--exit-idle-after=1");

        /* And it told the service manager it is ready, with a status. */
        guint i = notify_wait(fx, pid, "READY=1", 0);
        g_assert_cmpint(notify_find(fx, pid, "STATUS=Tracking 0 processes", i), ==, (int) i);

        /* It serves calls. */
        g_autofree char *path = spawn(fx, (const char *const[]) { "/bin/true", NULL });
        g_autoptr(GVariant) r = manager_call(fx, "Wait", g_variant_new("(o)", path), "(si)");
        g_assert_cmpstr(g_variant_get_type_string(r), ==, "(si)");
        g_autoptr(GVariant) released = manager_call(fx, "Release", g_variant_new("(o)", path), "()");
}

static void test_idle_exit_then_restart(Fixture *fx, gconstpointer data) {
        g_autofree char *version = get_version(fx);
        gint64 started = g_get_monotonic_time();
        pid_t first = owner_pid(fx);
        g_assert_cmpint(first, >, 0);
        int pidfd = pc_pidfd_open(first);
        notify_wait(fx, first, "READY=1", 0);

        /* Nothing tracked: it leaves after the idle time, not before. */
        wait_name_released(fx, IDLE_MS + TIMEOUT_MS);
        gint64 idle_ms = (g_get_monotonic_time() - started) / 1000;
        g_test_message("name released %" G_GINT64_FORMAT " ms after the first call", idle_ms);
        /* The timer runs from the daemon's start, a little before our call returned. */
        g_assert_cmpint(idle_ms, >=, IDLE_MS - 300);

        /* It says so, and exits. */
        notify_wait(fx, first, "STOPPING=1", 0);
        if (!pc_pidfd_wait_readable(pidfd, TIMEOUT_MS))
                g_error("procctld (pid %d) gave up its name but did not exit", (int) first);
        close(pidfd);

        /* The next call starts a new instance, which works. */
        g_autofree char *path = spawn(fx, (const char *const[]) { "/bin/sh", "-c", "exit 7", NULL });
        pid_t second = owner_pid(fx);
        g_assert_cmpint(second, >, 0);
        g_assert_cmpint(second, !=, first);
        g_autoptr(GVariant) r = manager_call(fx, "Wait", g_variant_new("(o)", path), "(si)");
        const char *reason;
        gint32 status;
        g_variant_get(r, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "exited");
        g_assert_cmpint(status, ==, 7);
        g_autoptr(GVariant) released = manager_call(fx, "Release", g_variant_new("(o)", path), "()");

        /* And that one leaves when idle as well. */
        pidfd = pc_pidfd_open(second);
        wait_name_released(fx, IDLE_MS + TIMEOUT_MS);
        g_assert_true(pc_pidfd_wait_readable(pidfd, TIMEOUT_MS));
        close(pidfd);
}

static void test_stays_while_tracking(Fixture *fx, gconstpointer data) {
        /* Spawn itself is what starts the daemon here. */
        g_autofree char *path = spawn(fx, (const char *const[]) { "sleep", "30", NULL });
        pid_t pid = owner_pid(fx);
        g_assert_cmpint(pid, >, 0);
        int pidfd = pc_pidfd_open(pid);
        guint ready = notify_wait(fx, pid, "READY=1", 0);
        const char *reason;
        gint32 status;

        /* STATUS follows the number of processes, up and down (at most once a second). */
        g_autofree char *other = spawn(fx, (const char *const[]) { "/bin/true", NULL });
        guint two = notify_wait(fx, pid, "STATUS=Tracking 2 processes", ready);
        g_autoptr(GVariant) r = manager_call(fx, "Wait", g_variant_new("(o)", other), "(si)");
        g_autoptr(GVariant) released_other = manager_call(fx, "Release", g_variant_new("(o)", other), "()");
        notify_wait(fx, pid, "STATUS=Tracking 1 process", two);

        /* A running process keeps it up, many idle times long. */
        assert_stays_up(fx, pid, 3 * IDLE_MS, "a process was running");

        g_autoptr(GVariant) stopped = manager_call(fx, "Stop", g_variant_new("(o)", path), "(si)");
        g_variant_get(stopped, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "killed");
        g_assert_cmpint(status, ==, SIGTERM);

        /* An exit status nobody has released yet keeps it up too. */
        assert_stays_up(fx, pid, 2 * IDLE_MS, "an exit status was kept");
        g_autoptr(GVariant) again = manager_call(fx, "Wait", g_variant_new("(o)", path), "(si)");
        g_variant_get(again, "(&si)", &reason, &status);
        g_assert_cmpstr(reason, ==, "killed");

        /* Released: nothing left, so it gives up its name, says STOPPING=1 and exits. */
        guint before_release = fx->notifications->len;
        g_autoptr(GVariant) released = manager_call(fx, "Release", g_variant_new("(o)", path), "()");
        gint64 idle_ms = wait_name_released(fx, IDLE_MS + TIMEOUT_MS);
        g_assert_cmpint(idle_ms, >=, IDLE_MS - 300);
        notify_wait(fx, pid, "STOPPING=1", before_release);
        g_assert_true(pc_pidfd_wait_readable(pidfd, TIMEOUT_MS));
        close(pidfd);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        /* Nothing here may reach a host bus. */
        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", nowhere_bus, TRUE);
        g_setenv("DBUS_SESSION_BUS_ADDRESS", nowhere_bus, TRUE);
        /* dbus-broker starts services only as systemd units, never by running
         * Exec= itself, so this test always runs on dbus-daemon. */
        g_setenv("PROCCTL_TEST_BUS", "dbus-daemon", TRUE);
        signal(SIGPIPE, SIG_IGN);

        g_test_add_func("/activation/files/name-the-bus-name-the-unit-and-the-daemon", test_files_name_the_daemon);
        g_test_add("/activation/first-call-starts-the-daemon", Fixture, NULL, fixture_setup,
                   test_first_call_starts_the_daemon, fixture_teardown);
        g_test_add("/activation/idle-daemon-gives-up-its-name-exits-and-is-started-again", Fixture, NULL,
                   fixture_setup, test_idle_exit_then_restart, fixture_teardown);
        g_test_add("/activation/daemon-stays-while-it-tracks-a-process-running-or-exited", Fixture, NULL,
                   fixture_setup, test_stays_while_tracking, fixture_teardown);
        return g_test_run();
}
