/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The authorization tests' harness (see auth-harness.h).
 *
 * The mock polkit is a GtDBusQueue that owns org.freedesktop.PolicyKit1 and
 * exports the Authority's CheckAuthorization.  A server function runs in
 * GtDBusQueue's server thread for the whole program: it pops each call,
 * records it, and answers as the test last said (auth_bus_set_answer()),
 * so the test's main thread only runs callers and looks at the records.
 * GtDBusQueue's assert-pop helpers cannot be used: they insist that calls
 * come from the queue's own client connection, and here procctld calls.
 */

#include "auth-harness.h"
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLKIT_NAME  "org.freedesktop.PolicyKit1"
#define POLKIT_PATH  "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"

#define POLKITD            "/usr/lib/polkit-1/polkitd"
#define POLKIT_ACTIONS_DIR "/usr/share/polkit-1/actions"
#define POLKIT_RULES_DIR   "/etc/polkit-1/rules.d"
#define POLKIT_BUS_POLICY  "/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf"

typedef struct AuthAgent AuthAgent;
static void agent_free(AuthAgent *a);

struct AuthBus {
        char *tmpdir;
        char *address;
        GDBusConnection *conn;   /* the test's own, as root */
        GSubprocess *daemon;
        pid_t daemon_pid;
        char *daemon_name;

        /* The mock (NULL with the real polkitd). */
        GtDBusQueue *queue;
        GDBusNodeInfo *polkit_info;
        guint polkit_name_id;
        guint polkit_object_id;
        GMutex lock;
        MockAnswer answer;          /* locked */
        GPtrArray *requests;        /* locked; PolkitRequest */
        GPtrArray *held;            /* locked; GDBusMethodInvocation */
        GMainContext *server_context; /* locked */
        gint stop;                  /* atomic */

        GHashTable *agents;         /* uid → AuthAgent */

        /* The real polkitd and the bus it is on. */
        GSubprocess *bus;
        GSubprocess *polkitd;
        char *rules_dir;            /* polkitd's /etc/polkit-1/rules.d */
        GDBusConnection *monitor;   /* counts procctld's CheckAuthorization calls */
        gint n_checks;              /* atomic */
        gint n_sentinels;           /* atomic: the test's own CheckAuthorization calls seen */
        char *test_name;            /* conn's unique name */
};

static const char polkit_xml[] =
        "<node>"
        "  <interface name='" POLKIT_IFACE "'>"
        "    <method name='CheckAuthorization'>"
        "      <arg type='(sa{sv})' name='subject' direction='in'/>"
        "      <arg type='s' name='action_id' direction='in'/>"
        "      <arg type='a{ss}' name='details' direction='in'/>"
        "      <arg type='u' name='flags' direction='in'/>"
        "      <arg type='s' name='cancellation_id' direction='in'/>"
        "      <arg type='(bba{ss})' name='result' direction='out'/>"
        "    </method>"
        "    <method name='CancelCheckAuthorization'>"
        "      <arg type='s' name='cancellation_id' direction='in'/>"
        "    </method>"
        "  </interface>"
        "</node>";

static const char *require_env(const char *name) {
        const char *v = g_getenv(name);
        if (!v || !*v)
                g_error("%s is not set: run the tests through `meson test`", name);
        return v;
}

void polkit_request_free(PolkitRequest *r) {
        if (!r)
                return;
        g_free(r->sender);
        g_free(r->subject_kind);
        g_clear_pointer(&r->subject, g_variant_unref);
        g_free(r->action);
        g_clear_pointer(&r->details, g_variant_unref);
        g_free(r->cancellation_id);
        g_free(r);
}

/* --- The mock polkit (server thread) ------------------------------------ */

static void mock_answer(GDBusMethodInvocation *inv, MockAnswer answer) {
        switch (answer) {
        case MOCK_YES:
        case MOCK_NO:
        case MOCK_CHALLENGE:
                g_dbus_method_invocation_return_value(
                        inv, g_variant_new_parsed("((%b, %b, @a{ss} {}),)", answer == MOCK_YES, answer == MOCK_CHALLENGE));
                break;
        case MOCK_ERROR:
        case MOCK_NO_REPLY: /* only when answering held calls: "no" in the end */
                g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.PolicyKit1.Error.Failed",
                                                           "The mock polkit fails on purpose");
                break;
        }
}

static void mock_handle(AuthBus *b, GDBusMethodInvocation *inv) {
        if (g_strcmp0(g_dbus_method_invocation_get_method_name(inv), "CheckAuthorization") != 0) {
                /* procctld never cancels (its cancellation id is ""). */
                g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.NotSupported",
                                                           "The mock polkit only checks");
                g_object_unref(inv);
                return;
        }

        PolkitRequest *r = g_new0(PolkitRequest, 1);
        r->sender = g_strdup(g_dbus_method_invocation_get_sender(inv));
        g_variant_get(g_dbus_method_invocation_get_parameters(inv), "((s@a{sv})s@a{ss}us)", &r->subject_kind,
                      &r->subject, &r->action, &r->details, &r->flags, &r->cancellation_id);

        g_mutex_lock(&b->lock);
        MockAnswer answer = b->answer;
        g_ptr_array_add(b->requests, r);
        if (answer == MOCK_NO_REPLY)
                g_ptr_array_add(b->held, inv);
        g_mutex_unlock(&b->lock);

        if (answer != MOCK_NO_REPLY) {
                mock_answer(inv, answer);
                g_object_unref(inv);
        }
}

static void mock_serve(GtDBusQueue *queue, gpointer user_data) {
        AuthBus *b = user_data;

        GMainContext *context = g_main_context_ref_thread_default();

        g_mutex_lock(&b->lock);
        b->server_context = context;
        g_mutex_unlock(&b->lock);

        /* The server connection's calls are dispatched in this context,
         * which queues them for the popping below.  Not
         * gt_dbus_queue_try_pop_message(): in libglib-testing 0.1.1 it never
         * pops anything (its loop only runs when told to wait).  Only this
         * thread pops, so with a message queued, pop_message() does not
         * block. */
        while (!g_atomic_int_get(&b->stop)) {
                GDBusMethodInvocation *inv = NULL;
                if (gt_dbus_queue_get_n_messages(queue) > 0 && gt_dbus_queue_pop_message(queue, &inv))
                        mock_handle(b, inv);
                else
                        g_main_context_iteration(context, TRUE);
        }
}

/* --- Main-thread side of the mock --------------------------------------- */

void auth_bus_set_answer(AuthBus *b, MockAnswer answer) {
        g_mutex_lock(&b->lock);
        b->answer = answer;
        g_mutex_unlock(&b->lock);
}

GPtrArray *auth_bus_take_requests(AuthBus *b) {
        GPtrArray *taken = g_ptr_array_new_with_free_func((GDestroyNotify) polkit_request_free);
        g_mutex_lock(&b->lock);
        for (guint i = 0; i < b->requests->len; i++)
                g_ptr_array_add(taken, g_ptr_array_index(b->requests, i));
        g_ptr_array_set_free_func(b->requests, NULL);
        g_ptr_array_set_size(b->requests, 0);
        g_ptr_array_set_free_func(b->requests, (GDestroyNotify) polkit_request_free);
        g_mutex_unlock(&b->lock);
        return taken;
}

static guint n_requests(AuthBus *b) {
        g_mutex_lock(&b->lock);
        guint n = b->requests->len;
        g_mutex_unlock(&b->lock);
        return n;
}

gboolean auth_bus_wait_requests(AuthBus *b, guint n, int timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        while (n_requests(b) < n) {
                if (g_get_monotonic_time() > deadline)
                        return FALSE;
                g_usleep(2000);
        }
        return TRUE;
}

void auth_bus_answer_held(AuthBus *b, MockAnswer answer) {
        g_mutex_lock(&b->lock);
        GPtrArray *held = b->held;
        b->held = g_ptr_array_new();
        g_mutex_unlock(&b->lock);

        /* Returning a value is thread-safe in GDBus. */
        for (guint i = 0; i < held->len; i++) {
                GDBusMethodInvocation *inv = g_ptr_array_index(held, i);
                mock_answer(inv, answer);
                g_object_unref(inv);
        }
        g_ptr_array_unref(held);
}

static gboolean name_has_owner(AuthBus *b, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                        b->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
                        G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
        gboolean owned;
        g_variant_get(r, "(b)", &owned);
        return owned;
}

static void wait_name(AuthBus *b, const char *name, gboolean owned) {
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        while (name_has_owner(b, name) != owned) {
                if (g_get_monotonic_time() > deadline)
                        g_error("%s was not %s within %d ms", name, owned ? "taken" : "released", PC_TIMEOUT_MS);
                g_usleep(5000);
        }
}

void auth_bus_wait_caller_gone(AuthBus *b, const char *name) {
        wait_name(b, name, FALSE);
        /* procctld hears of it before it answers a call sent after this. */
        (void) auth_bus_process_count(b);
}

void auth_bus_polkit_leave(AuthBus *b) {
        g_assert_nonnull(b->queue);
        if (!b->polkit_name_id)
                return;
        gt_dbus_queue_unown_name(b->queue, b->polkit_name_id);
        b->polkit_name_id = 0;
        wait_name(b, POLKIT_NAME, FALSE);
}

void auth_bus_polkit_return(AuthBus *b) {
        g_assert_nonnull(b->queue);
        if (b->polkit_name_id)
                return;
        b->polkit_name_id = gt_dbus_queue_own_name(b->queue, POLKIT_NAME);
        wait_name(b, POLKIT_NAME, TRUE);
}

static gboolean same_details(GVariant *got, GVariant *want) {
        /* A dictionary: the order of the entries does not matter. */
        gboolean same = g_variant_n_children(got) == g_variant_n_children(want);
        GVariantIter it;
        const char *key, *value;
        g_variant_iter_init(&it, want);
        while (same && g_variant_iter_next(&it, "{&s&s}", &key, &value)) {
                g_autofree char *v = NULL;
                same = g_variant_lookup(got, key, "s", &v) && g_str_equal(v, value);
        }
        return same;
}

/* NULL if r is as expected, else what differs. */
static char *request_mismatch(AuthBus *b, const PolkitRequest *r, const char *action, const char *caller_name,
                              GVariant *details, guint32 flags) {
        g_autoptr(GVariant) subject = g_variant_ref_sink(g_variant_new_parsed("{'name': <%s>}", caller_name));
        g_autofree char *got_subject = g_variant_print(r->subject, TRUE);
        g_autofree char *got_details = g_variant_print(r->details, TRUE);
        g_autofree char *want_details = g_variant_print(details, TRUE);

        if (g_strcmp0(r->sender, b->daemon_name) != 0)
                return g_strdup_printf("asked by %s, not procctld (%s)", r->sender, b->daemon_name);
        if (g_strcmp0(r->action, action) != 0)
                return g_strdup_printf("action %s, expected %s", r->action, action);
        if (g_strcmp0(r->subject_kind, "system-bus-name") != 0 || !g_variant_equal(r->subject, subject))
                return g_strdup_printf("subject (%s, %s), expected ('system-bus-name', {'name': <'%s'>})",
                                       r->subject_kind, got_subject, caller_name);
        if (!same_details(r->details, details))
                return g_strdup_printf("details %s, expected %s", got_details, want_details);
        if (r->flags != flags)
                return g_strdup_printf("flags %u, expected %u", r->flags, flags);
        if (g_strcmp0(r->cancellation_id, "") != 0)
                return g_strdup_printf("cancellation id \"%s\", expected \"\"", r->cancellation_id);
        return NULL;
}

gboolean auth_request_matches(AuthBus *b, const PolkitRequest *r, const char *action, const char *caller_name,
                              GVariant *details, guint32 flags) {
        g_autoptr(GVariant) d = g_variant_ref_sink(details);
        g_autofree char *mismatch = request_mismatch(b, r, action, caller_name, d, flags);
        return mismatch == NULL;
}

void auth_assert_request(AuthBus *b, const PolkitRequest *r, const char *action, const char *caller_name,
                         GVariant *details, guint32 flags) {
        g_autoptr(GVariant) d = g_variant_ref_sink(details);
        g_autofree char *mismatch = request_mismatch(b, r, action, caller_name, d, flags);
        if (mismatch)
                g_error("CheckAuthorization not as expected: %s", mismatch);
}

/* --- Processes ---------------------------------------------------------- */

static void child_die_with_parent(gpointer user_data) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static int open_notify_socket(const char *path) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        g_assert_cmpuint(strlen(path), <, sizeof sa.sun_path);
        strcpy(sa.sun_path, path);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
        return fd;
}

static void start_procctld(AuthBus *b, const char *const *extra_args) {
        const char *procctld = require_env("PROCCTLD");
        g_autofree char *notify_path = g_build_filename(b->tmpdir, "notify", NULL);
        int notify_fd = open_notify_socket(notify_path);

        const char *log_level = g_getenv("PROCCTL_TEST_LOG_LEVEL");
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(argv, g_strdup(procctld));
        g_ptr_array_add(argv, g_strdup_printf("--log-level=%s", log_level ? log_level : "info"));
        /* Not the installed configuration file: only what the test says. */
        g_ptr_array_add(argv, g_strdup_printf("--config=%s/no-such-procctld.conf", b->tmpdir));
        for (const char *const *a = extra_args; a && *a; a++)
                g_ptr_array_add(argv, g_strdup(*a));
        g_ptr_array_add(argv, NULL);

        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", b->address);
        g_autofree char *notify_env = g_strdup_printf("NOTIFY_SOCKET=%s", notify_path);
        const char *const envp[] = { bus_env, notify_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL };
        g_subprocess_launcher_set_environ(l, (char **) envp);
        g_subprocess_launcher_set_child_setup(l, child_die_with_parent, NULL, NULL);
        g_autoptr(GError) error = NULL;
        b->daemon = g_subprocess_launcher_spawnv(l, (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);
        b->daemon_pid = atoi(g_subprocess_get_identifier(b->daemon));

        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        for (;;) {
                if (g_get_monotonic_time() > deadline)
                        g_error("procctld did not send READY=1 within %d ms", PC_TIMEOUT_MS);
                if (!auth_bus_daemon_running(b))
                        g_error("procctld exited before sending READY=1");
                struct pollfd p = { .fd = notify_fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                char buf[4096];
                ssize_t n = recv(notify_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                if (strstr(buf, "READY=1"))
                        break;
        }
        close(notify_fd);

        g_autoptr(GVariant) owner = g_dbus_connection_call_sync(
                        b->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "GetNameOwner", g_variant_new("(s)", "org.procctl.Manager1"), G_VARIANT_TYPE("(s)"),
                        G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(owner, "(s)", &b->daemon_name);
}

gboolean auth_bus_daemon_running(AuthBus *b) {
        if (!b->daemon)
                return FALSE;
        /* A zombie counts as exited. */
        g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) b->daemon_pid);
        g_autofree char *stat = NULL;
        if (!g_file_get_contents(path, &stat, NULL, NULL))
                return FALSE;
        const char *p = strrchr(stat, ')');
        return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static AuthBus *auth_bus_new(void) {
        AuthBus *b = g_new0(AuthBus, 1);
        g_mutex_init(&b->lock);
        b->requests = g_ptr_array_new_with_free_func((GDestroyNotify) polkit_request_free);
        b->held = g_ptr_array_new();
        b->agents = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) agent_free);
        b->tmpdir = pc_make_tmpdir("procctl-auth-XXXXXX");
        /* Callers of other uids reach sockets here. */
        g_assert_cmpint(chmod(b->tmpdir, 0755), ==, 0);
        return b;
}

static GDBusConnection *connect_bus(AuthBus *b) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *conn = g_dbus_connection_new_for_address_sync(
                        b->address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
        g_assert_no_error(error);
        g_dbus_connection_set_exit_on_close(conn, FALSE);
        return conn;
}

static void connect_test(AuthBus *b) {
        b->conn = connect_bus(b);
}

static void drop_log(const char *domain, GLogLevelFlags level, const char *message, gpointer user_data) {
}

AuthBus *auth_bus_start_mock(const char *const *daemon_args) {
        g_autoptr(GError) error = NULL;
        AuthBus *b = auth_bus_new();

        /* GtDBusQueue logs every message its server sees; set
         * PROCCTL_TEST_MOCK_DEBUG=1 to have that in the test log. */
        if (!g_getenv("PROCCTL_TEST_MOCK_DEBUG"))
                g_log_set_handler(NULL, G_LOG_LEVEL_DEBUG, drop_log, NULL); /* it has no log domain */

        /* See auth-bus-daemon.c: a system bus instead of GTestDBus's session
         * bus, so that callers of other uids may connect. */
        g_setenv("G_TEST_DBUS_DAEMON", require_env("PROCCTL_AUTH_BUS_DAEMON"), TRUE);
        require_env("PROCCTL_BUS_POLICY");

        b->queue = gt_dbus_queue_new();
        gt_dbus_queue_connect(b->queue, &error);
        g_assert_no_error(error);
        /* The bus's address, as GTestDBus put it in the environment. */
        b->address = g_strdup(g_getenv("DBUS_SESSION_BUS_ADDRESS"));
        g_assert_nonnull(b->address);
        connect_test(b);

        b->polkit_info = g_dbus_node_info_new_for_xml(polkit_xml, &error);
        g_assert_no_error(error);
        b->polkit_object_id = gt_dbus_queue_export_object(b->queue, POLKIT_PATH, b->polkit_info->interfaces[0], &error);
        g_assert_no_error(error);
        gt_dbus_queue_set_server_func(b->queue, mock_serve, b);
        auth_bus_polkit_return(b);

        /* The mock's tests look at what each call asks: nothing is
         * remembered unless the test's own arguments (which come later on
         * the command line, and win) say so. */
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_ptr_array_add(args, (gpointer) "--remember-authorization-sec=0");
        for (const char *const *a = daemon_args; a && *a; a++)
                g_ptr_array_add(args, (gpointer) *a);
        g_ptr_array_add(args, NULL);
        start_procctld(b, (const char *const *) args->pdata);
        return b;
}

/* The real polkitd's bus: a system bus with polkit's bus policy too. */
static void write_polkitd_bus_config(AuthBus *b, const char *path) {
        g_autofree char *listen = g_strdup_printf("unix:path=%s/bus", b->tmpdir);
        g_autofree char *config = pc_bus_config_new(listen, require_env("PROCCTL_BUS_POLICY"),
                                                    "  <include>" POLKIT_BUS_POLICY "</include>\n");
        g_autoptr(GError) error = NULL;
        g_file_set_contents(path, config, -1, &error);
        g_assert_no_error(error);
}

/* Runs in polkitd's child between fork and exec: only system calls.  polkitd
 * reads its actions from a fixed directory only (no option, no environment
 * variable); rather than writing into the host's /usr/share, the child gets a
 * mount namespace of its own in which the test's directory, holding nothing
 * but the project's actions file, is bind-mounted over it.  Nothing outside
 * the test's polkitd sees it, and nothing is left behind. */
typedef struct {
        const char *actions;
        const char *rules;
} PolkitdDirs;

/* The same for the rules: the test's directory (empty at first, see
 * auth_bus_set_polkit_rules()) over /etc/polkit-1/rules.d, which polkitd
 * watches and reloads. */
static void polkitd_setup(gpointer user_data) {
        const PolkitdDirs *dirs = user_data;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNS) < 0)
                _exit(126);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                _exit(126);
        if (mount(dirs->actions, POLKIT_ACTIONS_DIR, NULL, MS_BIND, NULL) < 0)
                _exit(126);
        if (mount(dirs->rules, POLKIT_RULES_DIR, NULL, MS_BIND, NULL) < 0)
                _exit(126);
}

const char *auth_polkitd_missing(void) {
        if (geteuid() != 0)
                return "needs root: runs polkitd and callers of other uids";
        if (!g_file_test(POLKITD, G_FILE_TEST_IS_EXECUTABLE))
                return POLKITD " is missing (apt-get install polkitd)";
        if (!g_file_test(POLKIT_BUS_POLICY, G_FILE_TEST_IS_REGULAR))
                return POLKIT_BUS_POLICY " is missing (apt-get install polkitd)";
        if (!g_file_test(POLKIT_ACTIONS_DIR, G_FILE_TEST_IS_DIR))
                return POLKIT_ACTIONS_DIR " is missing (apt-get install polkitd)";
        if (!g_file_test(POLKIT_RULES_DIR, G_FILE_TEST_IS_DIR))
                return POLKIT_RULES_DIR " is missing (apt-get install polkitd)";
        return NULL;
}

AuthBus *auth_bus_start_polkitd(void) {
        return auth_bus_start_polkitd_with(NULL);
}

AuthBus *auth_bus_start_polkitd_with(const char *const *daemon_args) {
        g_autoptr(GError) error = NULL;
        AuthBus *b = auth_bus_new();

        /* The actions directory polkitd will see: the project's file only. */
        g_autofree char *actions = g_build_filename(b->tmpdir, "actions", NULL);
        g_assert_cmpint(mkdir(actions, 0755), ==, 0);
        g_autofree char *policy = NULL;
        gsize len;
        g_file_get_contents(require_env("PROCCTL_POLKIT_ACTIONS"), &policy, &len, &error);
        g_assert_no_error(error);
        g_autofree char *copy = g_build_filename(actions, "org.procctl.policy", NULL);
        g_file_set_contents(copy, policy, (gssize) len, &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(copy, 0644), ==, 0);
        b->rules_dir = g_build_filename(b->tmpdir, "rules.d", NULL);
        g_assert_cmpint(mkdir(b->rules_dir, 0755), ==, 0);
        PolkitdDirs dirs = { .actions = actions, .rules = b->rules_dir };

        g_autofree char *config = g_build_filename(b->tmpdir, "bus.conf", NULL);
        write_polkitd_bus_config(b, config);
        b->bus = pc_bus_daemon_spawn(config, NULL, &b->address);
        connect_test(b);

        g_autoptr(GSubprocessLauncher) pl = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", b->address);
        const char *const envp[] = { bus_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL };
        g_subprocess_launcher_set_environ(pl, (char **) envp);
        g_subprocess_launcher_set_child_setup(pl, polkitd_setup, &dirs, NULL);
        b->polkitd = g_subprocess_launcher_spawn(pl, &error, POLKITD, "--no-debug", NULL);
        g_assert_no_error(error);
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        while (!name_has_owner(b, POLKIT_NAME)) {
                if (g_subprocess_get_identifier(b->polkitd) == NULL)
                        g_error("polkitd exited before taking %s", POLKIT_NAME);
                if (g_get_monotonic_time() > deadline)
                        g_error("polkitd did not take %s within %d ms", POLKIT_NAME, PC_TIMEOUT_MS);
                g_usleep(10000);
        }

        start_procctld(b, daemon_args);
        return b;
}

static void on_polkit_changed(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                              const char *member, GVariant *params, gpointer user_data) {
        *(gboolean *) user_data = TRUE;
}

void auth_bus_set_polkit_rules(AuthBus *b, const char *rules) {
        g_autoptr(GError) error = NULL;
        gboolean changed = FALSE;
        guint id = g_dbus_connection_signal_subscribe(b->conn, POLKIT_NAME, POLKIT_IFACE, "Changed", POLKIT_PATH, NULL,
                                                      G_DBUS_SIGNAL_FLAGS_NONE, on_polkit_changed, &changed, NULL);
        /* The bus has the match once it answered a later call. */
        (void) name_has_owner(b, POLKIT_NAME);

        /* Written beside, then renamed in: polkitd sees one new file. */
        g_autofree char *tmp = g_build_filename(b->tmpdir, "50-test.rules.tmp", NULL);
        g_autofree char *path = g_build_filename(b->rules_dir, "50-test.rules", NULL);
        g_file_set_contents(tmp, rules, -1, &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(tmp, 0644), ==, 0);
        g_assert_cmpint(rename(tmp, path), ==, 0);

        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        while (!changed) {
                if (g_get_monotonic_time() > deadline)
                        g_error("polkitd did not announce Changed within %d ms of new rules", PC_TIMEOUT_MS);
                if (!g_main_context_iteration(NULL, FALSE))
                        g_usleep(2000);
        }
        g_dbus_connection_signal_unsubscribe(b->conn, id);
}

/* In the monitor's worker thread. */
static GDBusMessage *count_checks(GDBusConnection *conn, GDBusMessage *msg, gboolean incoming, gpointer user_data) {
        AuthBus *b = user_data;

        if (!incoming || g_strcmp0(g_dbus_message_get_member(msg), "CheckAuthorization") != 0)
                return msg; /* the reply to BecomeMonitor */
        if (g_strcmp0(g_dbus_message_get_sender(msg), b->daemon_name) == 0)
                g_atomic_int_inc(&b->n_checks);
        else if (g_strcmp0(g_dbus_message_get_sender(msg), b->test_name) == 0)
                g_atomic_int_inc(&b->n_sentinels);
        /* Not for this connection to answer: a monitor may send nothing. */
        g_object_unref(msg);
        return NULL;
}

void auth_bus_monitor_checks(AuthBus *b) {
        g_autoptr(GError) error = NULL;

        g_assert_null(b->monitor);
        b->test_name = g_strdup(g_dbus_connection_get_unique_name(b->conn));
        b->monitor = connect_bus(b);
        g_dbus_connection_add_filter(b->monitor, count_checks, b, NULL);
        const char *rules[] = { "type='method_call',interface='" POLKIT_IFACE "',member='CheckAuthorization'", NULL };
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                        b->monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
                        "BecomeMonitor", g_variant_new("(^asu)", rules, 0u), NULL, G_DBUS_CALL_FLAGS_NONE,
                        PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
}

guint auth_bus_count_checks(AuthBus *b) {
        g_autoptr(GError) error = NULL;
        gint sentinels = g_atomic_int_get(&b->n_sentinels);

        g_assert_nonnull(b->monitor);
        /* A check of the test's own: the monitor sees it after every
         * check the bus passed on before. */
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                        b->conn, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization",
                        g_variant_new_parsed("(('system-bus-name', {'name': <%s>}), %s, @a{ss} {}, @u 0, '')",
                                             b->test_name, AUTH_ACTION_SPAWN),
                        NULL, G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, &error);
        g_assert_no_error(error);
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        while (g_atomic_int_get(&b->n_sentinels) == sentinels) {
                if (g_get_monotonic_time() > deadline)
                        g_error("the bus monitor did not see the test's own CheckAuthorization");
                g_usleep(2000);
        }
        return (guint) g_atomic_int_get(&b->n_checks);
}


static void stop_subprocess(GSubprocess *sp) {
        if (!sp || g_subprocess_get_identifier(sp) == NULL)
                return;
        g_subprocess_send_signal(sp, SIGTERM);
        g_subprocess_wait(sp, NULL, NULL);
}

void auth_bus_stop(AuthBus *b) {
        g_autoptr(GError) error = NULL;

        g_clear_pointer(&b->agents, g_hash_table_unref);
        if (b->daemon) {
                g_assert_true(auth_bus_daemon_running(b));
                g_subprocess_send_signal(b->daemon, SIGTERM);
                g_subprocess_wait(b->daemon, NULL, &error);
                g_assert_no_error(error);
                if (!g_subprocess_get_if_exited(b->daemon) || g_subprocess_get_exit_status(b->daemon) != 0)
                        g_error("procctld did not exit 0 on SIGTERM (wait status 0x%x)", g_subprocess_get_status(b->daemon));
                g_clear_object(&b->daemon);
        }
        if (b->conn) {
                g_dbus_connection_close_sync(b->conn, NULL, NULL);
                g_clear_object(&b->conn);
        }
        if (b->queue) {
                auth_bus_answer_held(b, MOCK_ERROR);
                g_atomic_int_set(&b->stop, 1);
                g_mutex_lock(&b->lock);
                if (b->server_context)
                        g_main_context_wakeup(b->server_context);
                g_mutex_unlock(&b->lock);
                gt_dbus_queue_disconnect(b->queue, TRUE);
                g_clear_pointer(&b->queue, gt_dbus_queue_free);
                g_clear_pointer(&b->server_context, g_main_context_unref);
                g_clear_pointer(&b->polkit_info, g_dbus_node_info_unref);
        }
        if (b->monitor) {
                g_dbus_connection_close_sync(b->monitor, NULL, NULL);
                g_clear_object(&b->monitor);
        }
        g_free(b->test_name);
        g_free(b->rules_dir);
        stop_subprocess(b->polkitd);
        g_clear_object(&b->polkitd);
        stop_subprocess(b->bus);
        g_clear_object(&b->bus);

        pc_remove_tmpdir(b->tmpdir);
        g_free(b->tmpdir);
        g_free(b->address);
        g_free(b->daemon_name);
        g_ptr_array_unref(b->requests);
        g_ptr_array_unref(b->held);
        g_mutex_clear(&b->lock);
        g_free(b);
}

const char *auth_bus_address(AuthBus *b) {
        return b->address;
}

const char *auth_bus_daemon_name(AuthBus *b) {
        return b->daemon_name;
}

guint auth_bus_daemon_fd_count(AuthBus *b) {
        return pc_fd_count(b->daemon_pid);
}

/* --- Calls as root ------------------------------------------------------ */

GVariant *auth_bus_call(AuthBus *b, const char *method, GVariant *params, GError **error) {
        return g_dbus_connection_call_sync(b->conn, "org.procctl.Manager1", PC_MANAGER_PATH, PC_MANAGER_IFACE,
                                           method, params, NULL, G_DBUS_CALL_FLAGS_NONE, PC_TIMEOUT_MS, NULL, error);
}

GVariant *auth_bus_get_property(AuthBus *b, const char *path, const char *name, GError **error) {
        const char *iface = g_str_equal(path, PC_MANAGER_PATH) ? PC_MANAGER_IFACE : PC_PROCESS_IFACE;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                        b->conn, "org.procctl.Manager1", path, "org.freedesktop.DBus.Properties", "Get",
                        g_variant_new("(ss)", iface, name), G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE,
                        PC_TIMEOUT_MS, NULL, error);
        if (!r)
                return NULL;
        GVariant *v;
        g_variant_get(r, "(v)", &v);
        return v;
}

char *auth_bus_process_state(AuthBus *b, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = auth_bus_get_property(b, path, "State", &error);
        g_assert_no_error(error);
        return g_variant_dup_string(v, NULL);
}

guint32 auth_bus_process_count(AuthBus *b) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = auth_bus_get_property(b, PC_MANAGER_PATH, "ProcessCount", &error);
        g_assert_no_error(error);
        return g_variant_get_uint32(v);
}

void auth_bus_wait_exited(AuthBus *b, const char *path) {
        gint64 deadline = g_get_monotonic_time() + (gint64) PC_TIMEOUT_MS * 1000;
        for (;;) {
                g_autofree char *state = auth_bus_process_state(b, path);
                if (g_str_equal(state, "exited"))
                        return;
                if (g_get_monotonic_time() > deadline)
                        g_error("%s did not exit within %d ms", path, PC_TIMEOUT_MS);
                g_usleep(5000);
        }
}

void auth_bus_forget_process(AuthBus *b, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) stopped = auth_bus_call(b, "Stop", g_variant_new("(o)", path), &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) released = auth_bus_call(b, "Release", g_variant_new("(o)", path), &error);
        g_assert_no_error(error);
}

/* --- Callers ------------------------------------------------------------ */

/* A caller without CALLER_HOLD is a request to its uid's agent, one
 * long-lived `auth-call --serve` per uid: far quicker than a process per
 * call, and the results are the same (the subject polkit sees is the
 * agent's bus name).  A CALLER_HOLD caller is a process of its own, so it
 * can leave the bus on its own. */

struct AuthAgent {
        GSubprocess *sp;
        GDataInputStream *out;
        char *name;
        guint next_id;
        GHashTable *lines;  /* id → GPtrArray of its result's lines so far */
        GHashTable *done;   /* ids whose result is complete */
};

struct AuthCaller {
        GSubprocess *sp;        /* CALLER_HOLD, CALLER_OWN */
        GDataInputStream *out;  /* CALLER_HOLD, CALLER_OWN */
        AuthAgent *agent;       /* otherwise */
        char *id;
        char *name;
        CallerFlags flags;
};

static char *read_line_or_fail(GDataInputStream *out, const char *who) {
        g_autoptr(GError) error = NULL;
        char *line = g_data_input_stream_read_line(out, NULL, NULL, &error);
        g_assert_no_error(error);
        if (!line)
                g_error("%s ended its output early", who);
        return line;
}

static gboolean result_complete(const char *line) {
        return g_str_equal(line, "END") || g_str_has_prefix(line, "ERROR ");
}

static GPtrArray *caller_argv(uid_t uid, gid_t gid) {
        GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(argv, g_strdup("/usr/bin/setpriv"));
        g_ptr_array_add(argv, g_strdup_printf("--reuid=%u", (unsigned) uid));
        g_ptr_array_add(argv, g_strdup_printf("--regid=%u", (unsigned) gid));
        g_ptr_array_add(argv, g_strdup("--clear-groups"));
        g_ptr_array_add(argv, g_strdup(require_env("PROCCTL_AUTH_CALL")));
        return argv;
}

static GSubprocess *spawn_caller(GPtrArray *argv, GDataInputStream **out, char **name) {
        g_autoptr(GError) error = NULL;
        g_ptr_array_add(argv, NULL);
        GSubprocess *sp = g_subprocess_newv((const char *const *) argv->pdata,
                                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
        g_assert_no_error(error);
        *out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(sp));
        g_autofree char *line = read_line_or_fail(*out, "auth-call");
        if (!g_str_has_prefix(line, "NAME :"))
                g_error("auth-call did not connect (said \"%s\")", line);
        *name = g_strdup(line + strlen("NAME "));
        return sp;
}

static AuthAgent *agent_get(AuthBus *b, uid_t uid, gid_t gid) {
        AuthAgent *a = g_hash_table_lookup(b->agents, GUINT_TO_POINTER(uid));
        if (a)
                return a;
        a = g_new0(AuthAgent, 1);
        g_autoptr(GPtrArray) argv = caller_argv(uid, gid);
        g_ptr_array_add(argv, g_strdup("--serve"));
        g_ptr_array_add(argv, g_strdup(b->address));
        a->sp = spawn_caller(argv, &a->out, &a->name);
        a->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
        a->done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(b->agents, GUINT_TO_POINTER(uid), a);
        return a;
}

static void agent_free(AuthAgent *a) {
        g_autoptr(GError) error = NULL;
        g_output_stream_close(g_subprocess_get_stdin_pipe(a->sp), NULL, &error);
        g_assert_no_error(error);
        g_subprocess_wait_check(a->sp, NULL, &error);
        g_assert_no_error(error);
        g_object_unref(a->out);
        g_object_unref(a->sp);
        g_hash_table_unref(a->lines);
        g_hash_table_unref(a->done);
        g_free(a->name);
        g_free(a);
}

/* Reads the agent's output until the result of id is complete. */
static GPtrArray *agent_take_result(AuthAgent *a, const char *id) {
        while (!g_hash_table_contains(a->done, id)) {
                g_autofree char *line = read_line_or_fail(a->out, "auth-call --serve");
                const char *sp = strchr(line, ' ');
                g_assert_nonnull(sp);
                g_autofree char *line_id = g_strndup(line, sp - line);
                GPtrArray *l = g_hash_table_lookup(a->lines, line_id);
                if (!l) {
                        l = g_ptr_array_new_with_free_func(g_free);
                        g_hash_table_insert(a->lines, g_strdup(line_id), l);
                }
                g_ptr_array_add(l, g_strdup(sp + 1));
                if (result_complete(sp + 1))
                        g_hash_table_add(a->done, g_steal_pointer(&line_id));
        }
        GPtrArray *l = NULL;
        g_hash_table_steal_extended(a->lines, id, NULL, (gpointer *) &l);
        g_hash_table_remove(a->done, id);
        return l;
}

AuthCaller *auth_caller_start(AuthBus *b, uid_t uid, gid_t gid, CallerFlags flags, pid_t adopt_pid,
                              const char *path, const char *iface, const char *method, GVariant *params) {
        g_autoptr(GVariant) p = g_variant_ref_sink(params ? params : g_variant_new("()"));
        g_autofree char *text = g_variant_print(p, TRUE);
        AuthCaller *c = g_new0(AuthCaller, 1);
        c->flags = flags;

        if (flags & (CALLER_HOLD | CALLER_OWN)) {
                g_autoptr(GPtrArray) argv = caller_argv(uid, gid);
                if (flags & CALLER_INTERACTIVE)
                        g_ptr_array_add(argv, g_strdup("--interactive"));
                if (flags & CALLER_HOLD)
                        g_ptr_array_add(argv, g_strdup("--hold"));
                if (adopt_pid > 0)
                        g_ptr_array_add(argv, g_strdup_printf("--pidfd=%d", (int) adopt_pid));
                g_ptr_array_add(argv, g_strdup(b->address));
                g_ptr_array_add(argv, g_strdup(path));
                g_ptr_array_add(argv, g_strdup(iface));
                g_ptr_array_add(argv, g_strdup(method));
                g_ptr_array_add(argv, g_strdup(text));
                c->sp = spawn_caller(argv, &c->out, &c->name);
                return c;
        }

        c->agent = agent_get(b, uid, gid);
        c->name = g_strdup(c->agent->name);
        c->id = g_strdup_printf("%u", ++c->agent->next_id);
        g_autofree char *request = g_strdup_printf("%s %s %d %s %s %s %s\n", c->id,
                                                   (flags & CALLER_INTERACTIVE) ? "i" : "-", (int) MAX(adopt_pid, 0),
                                                   path, iface, method, text);
        g_autoptr(GError) error = NULL;
        g_output_stream_write_all(g_subprocess_get_stdin_pipe(c->agent->sp), request, strlen(request), NULL, NULL,
                                  &error);
        g_assert_no_error(error);
        g_output_stream_flush(g_subprocess_get_stdin_pipe(c->agent->sp), NULL, &error);
        g_assert_no_error(error);
        return c;
}

const char *auth_caller_name(AuthCaller *c) {
        return c->name;
}

GVariant *auth_caller_finish(AuthCaller *c, GArray **fd_pids, GError **error) {
        g_assert_false(c->flags & CALLER_HOLD);
        g_autoptr(GPtrArray) lines = NULL;
        if (c->flags & CALLER_OWN) {
                lines = g_ptr_array_new_with_free_func(g_free);
                do
                        g_ptr_array_add(lines, read_line_or_fail(c->out, "auth-call"));
                while (!result_complete(g_ptr_array_index(lines, lines->len - 1)));
        } else
                lines = agent_take_result(c->agent, c->id);
        g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(int));
        GVariant *reply = NULL;

        for (guint i = 0; i < lines->len; i++) {
                const char *line = g_ptr_array_index(lines, i);
                int index, pid;
                if (g_str_has_prefix(line, "OK ")) {
                        g_autoptr(GError) local = NULL;
                        reply = g_variant_parse(NULL, line + 3, NULL, NULL, &local);
                        g_assert_no_error(local);
                } else if (sscanf(line, "FD %d %d", &index, &pid) == 2) {
                        g_array_append_val(pids, pid);
                } else if (g_str_has_prefix(line, "ERROR ")) {
                        g_auto(GStrv) f = g_strsplit(line, " ", 3);
                        g_autofree char *message = g_strcompress(f[2] ? f[2] : "");
                        g_dbus_error_set_dbus_error(error, f[1], message, NULL);
                }
        }
        if (fd_pids)
                *fd_pids = reply ? g_steal_pointer(&pids) : NULL;
        return reply;
}

void auth_caller_wait_sent(AuthCaller *c) {
        g_assert_true(c->flags & CALLER_HOLD);
        g_autofree char *line = read_line_or_fail(c->out, "auth-call --hold");
        g_assert_cmpstr(line, ==, "SENT");
}

void auth_caller_leave(AuthCaller *c) {
        g_assert_true(c->flags & CALLER_HOLD);
        g_autoptr(GError) error = NULL;
        g_output_stream_close(g_subprocess_get_stdin_pipe(c->sp), NULL, &error);
        g_assert_no_error(error);
        g_subprocess_wait_check(c->sp, NULL, &error);
        g_assert_no_error(error);
}

void auth_caller_free(AuthCaller *c) {
        if (!c)
                return;
        if (c->sp) {
                if (g_subprocess_get_identifier(c->sp)) {
                        g_subprocess_force_exit(c->sp);
                        g_subprocess_wait(c->sp, NULL, NULL);
                }
                g_object_unref(c->out);
                g_object_unref(c->sp);
        }
        g_free(c->id);
        g_free(c->name);
        g_free(c);
}

gboolean auth_caller_finish_spawn(AuthBus *b, AuthCaller *c, GError **error) {
        g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, error);
        auth_caller_free(c);
        if (!reply)
                return FALSE;
        const char *path;
        guint32 pid;
        g_variant_get(reply, "(&ou)", &path, &pid);
        auth_bus_wait_exited(b, path);
        auth_bus_forget_process(b, path);
        return TRUE;
}

GVariant *auth_call_as(AuthBus *b, uid_t uid, gid_t gid, CallerFlags flags, pid_t adopt_pid, const char *path,
                       const char *iface, const char *method, GVariant *params, char **name, GArray **fd_pids,
                       GError **error) {
        g_autoptr(AuthCaller) c = auth_caller_start(b, uid, gid, flags, adopt_pid, path, iface, method, params);
        if (name)
                *name = g_strdup(c->name);
        return auth_caller_finish(c, fd_pids, error);
}

/* --- Misc --------------------------------------------------------------- */

int auth_run_with_mock(AuthBus **bus, const char *const *daemon_args) {
        if (geteuid() == 0)
                *bus = auth_bus_start_mock(daemon_args);
        int r = g_test_run();
        if (*bus)
                auth_bus_stop(*bus);
        return r;
}

typedef struct {
        PcReaper *reaper;
        int pidfd;
} Foreign;

static GMutex foreign_lock;
static GHashTable *foreign_reapers; /* pid → Foreign */

pid_t auth_start_foreign_sleep(uid_t uid, gid_t gid) {
        pid_t pid = pc_start_child_as((const char *const[]) { "/bin/sleep", "1000", NULL }, uid, gid);

        /* Reaped as soon as it exits, as a parent should: procctld learns an
         * adopted process's exit status only once its parent has reaped it. */
        Foreign *f = g_new0(Foreign, 1);
        f->pidfd = pc_pidfd_open(pid);
        f->reaper = pc_reaper_new(pid);
        g_mutex_lock(&foreign_lock);
        if (!foreign_reapers)
                foreign_reapers = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(foreign_reapers, GINT_TO_POINTER(pid), f);
        g_mutex_unlock(&foreign_lock);

        /* Wait for the exec, so that the process is what it will be. */
        pc_wait_exec(pid, "/sleep");
        return pid;
}

void auth_kill_process(pid_t pid) {
        g_mutex_lock(&foreign_lock);
        Foreign *f = foreign_reapers ? g_hash_table_lookup(foreign_reapers, GINT_TO_POINTER(pid)) : NULL;
        if (f)
                g_hash_table_remove(foreign_reapers, GINT_TO_POINTER(pid));
        g_mutex_unlock(&foreign_lock);
        g_assert_nonnull(f);

        /* Through the pidfd: the reaper may have reaped it already. */
        (void) syscall(SYS_pidfd_send_signal, f->pidfd, SIGKILL, NULL, 0);
        (void) pc_reaper_join(f->reaper);
        close(f->pidfd);
        g_free(f);
}

void auth_lookup_user(const char *name, uid_t *uid, gid_t *gid) {
        struct passwd *pw = getpwnam(name);
        if (!pw)
                g_error("user %s does not exist", name);
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
}
