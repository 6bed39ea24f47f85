/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The integration-test fixture: a private system-type bus (dbus-daemon, or
 * dbus-broker with PROCCTL_TEST_BUS=dbus-broker) with procctld on it, and the helpers tests use to talk to the daemon as an
 * outside client would.
 *
 * Each test gets its own temporary directory, its own bus (configured
 * like Debian's system bus: deny by default, then the project's own policy
 * file included) and its own procctld, started with a clean environment and
 * waited for through NOTIFY_SOCKET (READY=1).  Nothing here touches the
 * host's buses: the daemon, its children and every helper are pointed at the
 * private bus only, and pc_test_init() points DBUS_SYSTEM_BUS_ADDRESS and
 * DBUS_SESSION_BUS_ADDRESS of the test process at a path that does not exist.
 *
 * Not as root, the private bus additionally lets the test's own uid own
 * org.procctl.Manager1, so procctld runs as that user and every test that
 * needs no other identity still runs; the others (PC_FIXTURE_NEEDS_ROOT,
 * PC_FIXTURE_DAEMON_IN_PIDNS) are skipped with a message.
 *
 * Environment variables the test programs need (set by tests/meson.build):
 *   PROCCTLD              the built daemon
 *   PROCCTL_BUS_POLICY    policy/org.procctl.Manager1.conf in the source tree
 *   PROCCTL_TEST_CHILD    tests/helpers/pc-child (see its header comment)
 *   PROCCTL_TEST_CALL     tests/helpers/pc-call
 *   PROCCTL_TEST_BUS      which bus: dbus-daemon (the default, Debian's system
 *                         bus) or dbus-broker (Fedora's and Arch's), see
 *                         pc_bus_program()
 *   PROCCTL_TEST_BROKER   tests/helpers/pc-broker (for dbus-broker)
 * and, for debugging:
 *   PROCCTL_TEST_LOG_LEVEL    procctld's --log-level (default info)
 *   PROCCTL_TEST_KEEP_TMPDIR  if set, the temporary directories are kept
 *
 * Typical use:
 *
 *   static void test_x(PcFixture *fx) {
 *           g_autoptr(GError) error = NULL;
 *           g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL, &error);
 *           g_assert_no_error(error);
 *           …
 *   }
 *   int main(int argc, char **argv) {
 *           pc_test_init(&argc, &argv);
 *           pc_test_add("/area/behaviour", PC_FIXTURE_DEFAULT, test_x);
 *           return g_test_run();
 *   }
 *
 * All waiting is polling with a deadline (never a fixed sleep); every wait
 * takes a timeout in milliseconds and fails the test when it passes.
 */

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <sys/types.h>

#define PC_BUS_NAME          "org.procctl.Manager1"
#define PC_MANAGER_PATH      "/org/procctl/Manager1"
#define PC_PROCESS_PREFIX    "/org/procctl/Manager1/process/"
#define PC_MANAGER_IFACE     "org.procctl.Manager1"
#define PC_PROCESS_IFACE     "org.procctl.Process1"

#define PC_ERROR_EXEC_FAILED    "org.procctl.Error.ExecFailed"
#define PC_ERROR_NOT_RUNNING    "org.procctl.Error.NotRunning"
#define PC_ERROR_STILL_RUNNING  "org.procctl.Error.StillRunning"
#define PC_ERROR_NO_SUCH_USER   "org.procctl.Error.NoSuchUser"
#define PC_ERROR_LIMIT_EXCEEDED "org.procctl.Error.LimitExceeded"
#define PC_ERROR_INVALID_ARGS   "org.freedesktop.DBus.Error.InvalidArgs"
#define PC_ERROR_ACCESS_DENIED  "org.freedesktop.DBus.Error.AccessDenied"
#define PC_ERROR_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"
#define PC_ERROR_NOT_SUPPORTED  "org.freedesktop.DBus.Error.NotSupported"
#define PC_ERROR_INTERACTIVE    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"

/* Default timeout of every wait and call, in milliseconds. */
#define PC_TIMEOUT_MS 10000

/* How the daemon of a test is started. */
typedef enum {
        PC_FIXTURE_DEFAULT = 0,
        /* The test only makes sense as root (other identities, namespaces):
         * skipped with a message otherwise. */
        PC_FIXTURE_NEEDS_ROOT = 1 << 0,
        /* procctld is started the way a careless parent would: SIGINT and
         * SIGQUIT ignored and SIGUSR1 blocked, all of which survive exec.
         * Proves that children do not inherit such state. */
        PC_FIXTURE_DAEMON_HOSTILE_SIGNALS = 1 << 1,
        /* procctld runs in a new PID namespace with its own /proc, as its
         * PID 1 (`unshare --pid --fork --kill-child --mount-proc`), the way a
         * container runs it.  Implies PC_FIXTURE_NEEDS_ROOT. */
        PC_FIXTURE_DAEMON_IN_PIDNS = 1 << 2,
} PcFixtureFlags;

typedef struct {
        PcFixtureFlags flags;
        char *tmpdir;          /* mode 0755: the bus socket lives here */
        char *outdir;          /* tmpdir/out, mode 01777: files children write */
        char *bus_address;     /* of the private bus */
        char *daemon_name;     /* procctld's unique bus name */
        GPid bus_pid;          /* the dbus-daemon */
        GPid launcher_pid;     /* what the fixture forked: procctld, or unshare */
        GPid daemon_pid;       /* procctld itself, as seen from the test (outer PID) */
        GDBusConnection *conn; /* a client connection, as the test's own uid */
        char *cgroup;          /* the daemon's own cgroup (a directory in cgroupfs), made for
                                * the test and removed with all below it; NULL: none */
} PcFixture;

/* --- Life cycle ------------------------------------------------------- */

/* One more option for every procctld the fixture starts (not in a PID
 * namespace), e.g. "--max-bytes-per-user=300000"; NULL: none.  A test
 * program sets it in main(), before g_test_run(). */
extern const char *pc_fixture_daemon_option;
/* A second one, after it (NULL: none). */
extern const char *pc_fixture_daemon_option2;

/* g_test_init() plus: the test process's own bus addresses point nowhere. */
void pc_test_init(int *argc, char ***argv);

/* Registers a test that runs func between pc_fixture_setup() and
 * pc_fixture_teardown(), skipped (with a message) when flags ask for root
 * and the test does not run as root. */
void pc_test_add(const char *path, PcFixtureFlags flags, void (*func)(PcFixture *fx));
/* The same, for a table-driven test: func gets data (owned by the caller,
 * which must outlive g_test_run()). */
void pc_test_add_data(const char *path, PcFixtureFlags flags,
                      void (*func)(PcFixture *fx, gconstpointer data), gconstpointer data);

/* For g_test_add() users; data is GUINT_TO_POINTER(PcFixtureFlags).  Setup
 * fails the test if the bus or the daemon does not come up.  When it skips
 * (root needed), GTest still runs the test function: fx->conn is then NULL
 * and the function must return at once (pc_test_add() does not have this
 * problem).  Teardown kills
 * whatever the daemon still runs, stops procctld with SIGTERM and asserts that
 * it exits 0, stops the bus and removes the temporary directory. */
void pc_fixture_setup(PcFixture *fx, gconstpointer data);
void pc_fixture_teardown(PcFixture *fx, gconstpointer data);

/* Sets DBUS_SYSTEM_BUS_ADDRESS of the test process to the private bus, for
 * code under test that connects on its own (the client library). */
void pc_fixture_export_bus_address(PcFixture *fx);

/* A new, separate client connection to the private bus (to close it on
 * purpose, e.g. for kill-on-disconnect). */
GDBusConnection *pc_fixture_new_connection(PcFixture *fx);

/* --- A private system-type bus (also for tests with their own set-up) -- */

/* The text (free it) of a dbus-daemon configuration for a private
 * system-type bus listening on the D-Bus address listen (e.g.
 * "unix:path=DIR/bus"): the default policy of Debian's system.conf (method
 * calls denied unless a service's policy allows them), an <include> of
 * policy_file (policy/org.procctl.Manager1.conf), then, not as root, a
 * policy letting the caller's uid own org.procctl.Manager1 (so procctld can
 * run as that user), then extra (XML elements, or NULL) as it is: e.g. a
 * <servicedir> (activation tests) or polkit's bus policy (authorization
 * tests).  The fixture's own bus is this with extra NULL. */
char *pc_bus_config_new(const char *listen, const char *policy_file, const char *extra);

/* The bus program the tests run, chosen by PROCCTL_TEST_BUS: dbus-daemon
 * (unset or "dbus-daemon") or tests/helpers/pc-broker ("dbus-broker"), which
 * takes dbus-daemon's command line (--config-file=F --nofork
 * --print-address[=FD]) and configuration and runs dbus-broker-launch. */
const char *pc_bus_program(void);

/* The name of that bus, "dbus-daemon" or "dbus-broker", for messages. */
const char *pc_bus_name(void);

/* Starts `BUS --config-file=config --nofork` (BUS: pc_bus_program()), killed if the test
 * process dies, with envp as its environment (NULL: the test's), and waits
 * for it to print its address, which it stores in *address (free it).
 * Asserts success.  (The fixture itself starts its bus with fork+exec, to
 * control every descriptor and signal the bus and the daemon inherit.) */
GSubprocess *pc_bus_daemon_spawn(const char *config, const char *const *envp, char **address);

/* --- cgroups ------------------------------------------------------------ */

/* Where cgroup2 is mounted, or NULL. */
char *pc_cgroup2_mount(void);
/* The text of a file in a cgroup directory, or NULL. */
char *pc_cgroup_read(const char *dir, const char *file);
/* "populated 1" in the cgroup's cgroup.events. */
gboolean pc_cgroup_populated(const char *dir);

/* --- Calls ------------------------------------------------------------ */

/* A method call to procctld on conn (fx->conn when conn is NULL).
 * params may be floating; fds_in/fds_out may be NULL; reply_type may be NULL.
 * Returns the reply or NULL with error set. */
GVariant *pc_call(PcFixture *fx, GDBusConnection *conn,
                  const char *path, const char *iface, const char *method,
                  GVariant *params, const GVariantType *reply_type,
                  GUnixFDList *fds_in, GUnixFDList **fds_out, GError **error);

/* A Manager1 method on fx->conn. */
GVariant *pc_manager_call(PcFixture *fx, const char *method, GVariant *params,
                          const GVariantType *reply_type, GError **error);

/* Spawn(argv, options) on conn (fx->conn when NULL).  options is an a{sv}
 * (floating is fine) or NULL for none; fds holds the descriptors its "h"
 * values index.  Returns the object path and stores the pid, or NULL. */
char *pc_spawn_on(PcFixture *fx, GDBusConnection *conn, const char *const *argv,
                  GVariant *options, GUnixFDList *fds, guint32 *pid, GError **error);
char *pc_fixture_spawn(PcFixture *fx, const char *const *argv, GVariant *options,
                       GUnixFDList *fds, guint32 *pid, GError **error);
#define PC_ARGV(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Builds a floating a{sv} from key, value pairs ending with NULL; the values
 * may be floating: pc_options("umask", g_variant_new_uint32(0077), NULL). */
GVariant *pc_options(const char *first_key, ...) G_GNUC_NULL_TERMINATED;

/* Manager1.Wait / Stop on fx->conn; return TRUE and the result, or FALSE
 * with error set.  reason may be NULL. */
gboolean pc_wait(PcFixture *fx, const char *path, char **reason, gint32 *status, GError **error);
gboolean pc_stop(PcFixture *fx, const char *path, char **reason, gint32 *status, GError **error);
/* Waits and asserts the result. */
void pc_assert_wait_result(PcFixture *fx, const char *path, const char *reason, gint32 status);

/* Signal/Release on fx->conn through Manager1. */
gboolean pc_signal(PcFixture *fx, const char *path, gint32 sig, GError **error);
gboolean pc_release(PcFixture *fx, const char *path, GError **error);

/* org.freedesktop.DBus.Properties.Get on procctld; returns the unboxed value
 * or NULL with error set. */
GVariant *pc_get_property(PcFixture *fx, const char *path, const char *iface,
                          const char *name, GError **error);
/* Same, asserting success and the value's type. */
GVariant *pc_get_property_checked(PcFixture *fx, const char *path, const char *iface,
                                  const char *name, const GVariantType *type);
char *pc_get_process_string(PcFixture *fx, const char *path, const char *name);
guint32 pc_get_process_u32(PcFixture *fx, const char *path, const char *name);
guint64 pc_get_process_u64(PcFixture *fx, const char *path, const char *name);
guint32 pc_get_process_count(PcFixture *fx);
/* Whether procctld gives each process a cgroup (Features has "cgroup");
 * if not, the test is marked skipped, with a message. */
gboolean pc_have_cgroups(PcFixture *fx);
/* For pc_poll_until(): whether the boolean property name of the process at
 * path is want now. */
typedef struct {
        PcFixture *fx;
        const char *path;
        const char *name;
        gboolean want;
} PcBoolProperty;
gboolean pc_process_bool_is(gpointer data);

/* Runs pc-call as uid:gid with no supplementary groups (setpriv), making one
 * call to procctld; the reply is parsed back into a GVariant.  Errors come
 * back as GErrors carrying the remote error name. */
GVariant *pc_call_as(PcFixture *fx, uid_t uid, gid_t gid,
                     const char *path, const char *iface, const char *method,
                     GVariant *params, GError **error);

/* Fails the test with a printf-style message. */
#define pc_fail(...)                                                                    \
        do {                                                                            \
                g_autofree char *_pc_msg = g_strdup_printf(__VA_ARGS__);                \
                g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, _pc_msg); \
        } while (0)

/* Asserts that error is a D-Bus error of the given name (e.g.
 * PC_ERROR_NOT_RUNNING), printing what it was otherwise. */
#define pc_assert_dbus_error(error, name) \
        pc_assert_dbus_error_impl(__FILE__, __LINE__, G_STRFUNC, (error), (name))
void pc_assert_dbus_error_impl(const char *file, int line, const char *func,
                               const GError *error, const char *name);

/* --- Signals ---------------------------------------------------------- */

/* Records every signal procctld emits on fx->conn matching iface/member
 * (path NULL for any), from the moment it is created. */
typedef struct PcSignalRecorder PcSignalRecorder;
typedef struct {
        char *path;
        char *iface;
        char *member;
        GVariant *params;
} PcRecordedSignal;

PcSignalRecorder *pc_signal_recorder_new(PcFixture *fx, const char *iface,
                                         const char *member, const char *path);
void pc_signal_recorder_free(PcSignalRecorder *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcSignalRecorder, pc_signal_recorder_free)
/* All signals recorded so far (the array is owned by the recorder). */
GPtrArray *pc_signal_recorder_signals(PcSignalRecorder *r);
/* Waits until a recorded signal satisfies match (or any signal when match is
 * NULL) and returns it (owned by the recorder), or NULL after timeout_ms. */
typedef gboolean (*PcSignalMatch)(const PcRecordedSignal *s, gpointer user_data);
const PcRecordedSignal *pc_signal_recorder_wait(PcSignalRecorder *r, PcSignalMatch match,
                                                gpointer user_data, int timeout_ms);

/* --- Waiting ---------------------------------------------------------- */

/* Iterates the default main context (so signals and async replies arrive)
 * and polls cond every few milliseconds until it is true (returns TRUE) or
 * timeout_ms passed (returns FALSE). */
gboolean pc_poll_until(gboolean (*cond)(gpointer user_data), gpointer user_data, int timeout_ms);

/* A call made with g_dbus_connection_call(..., pc_async_call_done, &call):
 * its reply or error once done. */
typedef struct {
        gboolean done;
        GVariant *reply;
        GError *error;
} PcAsyncCall;
void pc_async_call_done(GObject *source, GAsyncResult *res, gpointer call);
/* Iterates the main context until call is done; fails the test after
 * PC_TIMEOUT_MS. */
void pc_async_call_wait(PcAsyncCall *call);

/* --- Processes and descriptors ---------------------------------------- */

/* Number of open descriptors of the daemon, or of pid (/proc/<pid>/fd). */
guint pc_fixture_daemon_fd_count(PcFixture *fx);
guint pc_fd_count(pid_t pid);
/* PIDs (outer namespace) of the daemon's children; zombies only if asked. */
GArray *pc_process_children(pid_t parent, gboolean include_zombies);
/* TRUE if pid exists and is not a zombie. */
gboolean pc_process_is_alive(pid_t pid);
/* pidfd_open(pid), failing the test if it cannot be had. */
int pc_pidfd_open(pid_t pid);
/* Whether the process behind pidfd ended (the pidfd became readable)
 * within timeout_ms; it need not be our child. */
gboolean pc_pidfd_wait_readable(int pidfd, int timeout_ms);
/* Waits until /proc/<pid>/comm is comm: e.g. a shell that set a trap and
 * then exec'd comm.  Fails the test after PC_TIMEOUT_MS. */
void pc_wait_comm(pid_t pid, const char *comm);
/* The "State:" letter of /proc/<pid>/status, or 0 if the process is gone. */
char pc_process_state(pid_t pid);
/* The innermost PID (last NSpid field) of pid, or 0 if gone. */
pid_t pc_process_inner_pid(pid_t pid);
/* Finds the outer PID of the process with PID inner_pid in the PID
 * namespace of ns_of (a PID in the outer namespace); 0 if none. */
pid_t pc_find_outer_pid(pid_t ns_of, pid_t inner_pid);

/* --- Files and pipes -------------------------------------------------- */

/* Writes a file in fx->tmpdir with the given mode; returns its path. */
char *pc_fixture_write_file(PcFixture *fx, const char *name, const char *contents, mode_t mode);
/* A path in fx->outdir (not created). */
char *pc_fixture_out_path(PcFixture *fx, const char *name);
/* The helper programs (absolute paths from the environment). */
const char *pc_child_path(void);
const char *pc_call_path(void);

/* pipe2(O_CLOEXEC), asserting success. */
void pc_pipe(int fds[2]);
/* Reads until EOF; fails the test after timeout_ms. */
char *pc_read_to_eof(int fd, int timeout_ms);
/* Reads one line (without the newline); fails the test on EOF or timeout. */
char *pc_read_line(int fd, int timeout_ms);

/* --- Child reports (pc-child report FILE) ----------------------------- */

typedef struct PcReport PcReport;
/* Waits for the report file to appear and loads it. */
PcReport *pc_report_load(const char *file, int timeout_ms);
void pc_report_free(PcReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcReport, pc_report_free)
/* The value of a single-valued key ("cwd", "umask", ...), or NULL. */
const char *pc_report_get(PcReport *r, const char *key);
/* All values of a multi-valued key ("env", "fd"), NULL-terminated, owned by
 * the report. */
const char *const *pc_report_get_all(PcReport *r, const char *key);

/* --- Temporary directories ---------------------------------------------- */

/* g_dir_make_tmp(template), asserting success; the directory is removed
 * with everything in it by pc_remove_tmpdir(), or should the test abort (a
 * failed assertion), by then.  PROCCTL_TEST_KEEP_TMPDIR keeps them all. */
char *pc_make_tmpdir(const char *template);
void pc_remove_tmpdir(const char *dir);

/* --- Processes the test starts itself, and the pidfd methods ---------- */

/* The inode number of a descriptor (pidfs: one per process). */
guint64 pc_inode(int fd);

/* Whether fd lives on pidfs (Linux 6.9+): pidfds of one process then share
 * one inode number. */
gboolean pc_is_on_pidfs(int fd);

/* Forks and execs argv (argv[0] an absolute path) as a child of the test,
 * with stdin from stdin_fd (or /dev/null when -1), stdout/stderr to
 * /dev/null, every other descriptor closed, default signal handling, killed
 * if the test dies.  ignore_term leaves SIGTERM ignored across exec.
 * Returns its PID. */
pid_t pc_start_child(const char *const *argv, int stdin_fd, gboolean ignore_term);
/* The same, in a session of its own, as uid:gid with no supplementary
 * groups (the test runs as root). */
pid_t pc_start_child_as(const char *const *argv, uid_t uid, gid_t gid);
/* Both, and more: */
typedef struct {
        const char *const *envp; /* NULL: PATH=/usr/bin:/bin alone */
        int stdin_fd;            /* -1: /dev/null */
        int stdout_fd;           /* -1: /dev/null */
        gboolean keep_stderr;    /* the test's stderr; otherwise /dev/null */
        gboolean ignore_term;
        gboolean as_user;        /* in a session of its own, as uid:gid */
        uid_t uid;
        gid_t gid;
} PcChildOptions;
pid_t pc_start_child_full(const char *const *argv, const PcChildOptions *o);

/* Waits until pid runs a program whose path ends with exe_suffix (after
 * fork, before exec, it still is a copy of the test); fails the test after
 * PC_TIMEOUT_MS. */
void pc_wait_exec(pid_t pid, const char *exe_suffix);

/* Reaps a child of the test in a thread of its own, as a parent that does
 * its duty would, so that the test can make blocking calls meanwhile. */
typedef struct PcReaper PcReaper;
PcReaper *pc_reaper_new(pid_t pid);
/* Waits for the reaper; returns the wait status. */
int pc_reaper_join(PcReaper *r);

/* Kills (SIGKILL) and reaps a child of the test, if it still exists. */
void pc_kill_and_reap(pid_t pid);

/* Adopt(pidfd, options) on conn (fx->conn when NULL); options NULL for none.
 * Returns the object path or NULL with error set. */
char *pc_adopt_on(PcFixture *fx, GDBusConnection *conn, int pidfd, GVariant *options, GError **error);
char *pc_adopt(PcFixture *fx, int pidfd, GVariant *options, GError **error);

/* GetPidfd(path): returns the received descriptor (owned by the caller) or -1
 * with error set. */
int pc_get_pidfd(PcFixture *fx, const char *path, GError **error);

/* GetProcessByPidfd(pidfd): the object path or NULL with error set. */
char *pc_get_process_by_pidfd(PcFixture *fx, int pidfd, GError **error);

/* Runs pc-pidfd-call as uid:gid (setpriv) with call ("adopt", "find",
 * "get-pidfd") and its argument; returns the result line, or NULL with the
 * remote error set. */
char *pc_pidfd_call_as(PcFixture *fx, uid_t uid, gid_t gid, const char *call, const char *arg, GError **error);

/* Spawn, asserting success. */
char *pc_spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, guint32 *pid);

/* The Features property. */
char **pc_features(PcFixture *fx);
