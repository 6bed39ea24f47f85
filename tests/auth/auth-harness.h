/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The harness of the authorization tests: a system-type bus with procctld
 * on it and a polkit, either a mock that answers as the test says and
 * records what it was asked (GtDBusQueue from libglib-testing), or Debian's
 * real polkitd; plus callers, each one auth-call process with its own bus
 * connection, run as any uid (setpriv).
 *
 * All of it needs root: callers of other uids, and a daemon that may switch
 * identities.  One AuthBus serves a whole test program (starting a bus per
 * case would make the matrix minutes long); every case leaves the daemon as
 * it found it (its processes stopped and released).
 *
 * Environment (set by tests/auth/meson.build):
 *   PROCCTLD               the built daemon
 *   PROCCTL_BUS_POLICY     policy/org.procctl.Manager1.conf
 *   PROCCTL_POLKIT_ACTIONS policy/org.procctl.policy
 *   PROCCTL_AUTH_CALL      tests/auth/auth-call
 *   PROCCTL_AUTH_BUS_DAEMON tests/auth/auth-bus-daemon (see its comment)
 */

#include "fixture.h"

#include <gio/gio.h>
#include <libglib-testing/dbus-queue.h>
#include <sys/types.h>

#define AUTH_ACTION_SPAWN         "org.procctl.spawn"
#define AUTH_ACTION_SPAWN_AS_USER "org.procctl.spawn-as-user"
#define AUTH_ACTION_MANAGE        "org.procctl.manage"




/* What the mock polkit answers to CheckAuthorization. */
typedef enum {
        MOCK_YES,        /* (true, false, {}) */
        MOCK_NO,         /* (false, false, {}) */
        MOCK_CHALLENGE,  /* (false, true, {}) */
        MOCK_ERROR,      /* org.freedesktop.PolicyKit1.Error.Failed */
        MOCK_NO_REPLY,   /* kept unanswered (see auth_bus_answer_held()) */
} MockAnswer;

/* One CheckAuthorization the mock received. */
typedef struct {
        char *sender;          /* who asked: procctld's unique name */
        char *subject_kind;
        GVariant *subject;     /* a{sv} */
        char *action;
        GVariant *details;     /* a{ss} */
        guint32 flags;
        char *cancellation_id;
} PolkitRequest;

typedef struct AuthBus AuthBus;

/* A bus with the mock polkit on it and procctld started with the extra
 * arguments (NULL-terminated, may be NULL).  Fails the test on error. */
AuthBus *auth_bus_start_mock(const char *const *daemon_args);
/* A bus with Debian's polkitd on it (reading the project's actions file,
 * see auth-harness.c) and procctld. */
AuthBus *auth_bus_start_polkitd(void);
/* The same, procctld started with the extra arguments (may be NULL). */
AuthBus *auth_bus_start_polkitd_with(const char *const *daemon_args);
/* Replaces the real polkitd's rules (its /etc/polkit-1/rules.d, empty at
 * first, holds one file with rules) and waits until polkitd has announced
 * the change (the Authority's Changed signal, on the test's connection:
 * procctld, which the bus told before, has it too). */
void auth_bus_set_polkit_rules(AuthBus *b, const char *rules);
/* Starts counting procctld's CheckAuthorization calls with a bus monitor
 * (BecomeMonitor); auth_bus_count_checks() says how many it has seen so
 * far, every call the bus passed on before it was called included. */
void auth_bus_monitor_checks(AuthBus *b);
guint auth_bus_count_checks(AuthBus *b);
/* Why the real polkitd cannot be run here (not root, not installed), or
 * NULL if it can. */
const char *auth_polkitd_missing(void);
/* Stops procctld (asserting that it exits 0 on SIGTERM), polkit and the
 * bus; removes what was created. */
void auth_bus_stop(AuthBus *b);

const char *auth_bus_address(AuthBus *b);
const char *auth_bus_daemon_name(AuthBus *b);
guint auth_bus_daemon_fd_count(AuthBus *b);
/* TRUE if procctld has not exited. */
gboolean auth_bus_daemon_running(AuthBus *b);

/* --- The mock polkit ---------------------------------------------------- */

void auth_bus_set_answer(AuthBus *b, MockAnswer answer);
/* The requests received since the last call (free with g_ptr_array_unref). */
GPtrArray *auth_bus_take_requests(AuthBus *b);
/* Waits until n requests are recorded (not taken); FALSE after timeout_ms. */
gboolean auth_bus_wait_requests(AuthBus *b, guint n, int timeout_ms);
/* Answers every request kept by MOCK_NO_REPLY so far. */
void auth_bus_answer_held(AuthBus *b, MockAnswer answer);
/* The mock polkit gives up its name (polkit not running) or takes it back. */
void auth_bus_polkit_leave(AuthBus *b);
void auth_bus_polkit_return(AuthBus *b);

/* Asserts a request's action, subject (system-bus-name of caller_name, and
 * nothing else), details (exactly the given a{ss}, floating is fine),
 * flags and an empty cancellation id, and that procctld sent it. */
void auth_assert_request(AuthBus *b, const PolkitRequest *r, const char *action, const char *caller_name,
                         GVariant *details, guint32 flags);

/* The same as a test: TRUE if r is as described. */
gboolean auth_request_matches(AuthBus *b, const PolkitRequest *r, const char *action, const char *caller_name,
                              GVariant *details, guint32 flags);

/* --- Calls as root on the test's own connection --------------------------- */

GVariant *auth_bus_call(AuthBus *b, const char *method, GVariant *params, GError **error);
GVariant *auth_bus_get_property(AuthBus *b, const char *path, const char *name, GError **error);
char *auth_bus_process_state(AuthBus *b, const char *path);
guint32 auth_bus_process_count(AuthBus *b);
/* Stops (if running) and releases a process, as root. */
void auth_bus_forget_process(AuthBus *b, const char *path);
/* Waits until the process's State is "exited". */
void auth_bus_wait_exited(AuthBus *b, const char *path);

/* Waits until a caller's bus name has left, and procctld has seen it leave. */
void auth_bus_wait_caller_gone(AuthBus *b, const char *name);

/* --- Callers ----------------------------------------------------------- */

typedef enum {
        CALLER_INTERACTIVE = 1 << 0, /* allow interactive authorization */
        CALLER_HOLD = 1 << 1,        /* send and stay until auth_caller_leave() */
        CALLER_OWN = 1 << 2,         /* a connection of its own for this one call, not the uid's agent's */
} CallerFlags;

typedef struct AuthCaller AuthCaller;

/* Starts auth-call as uid:gid (no supplementary groups); params may be
 * floating; adopt_pid > 0 passes a pidfd of it as handle 0.  Returns once the
 * caller is connected (auth_caller_name() is known). */
AuthCaller *auth_caller_start(AuthBus *b, uid_t uid, gid_t gid, CallerFlags flags, pid_t adopt_pid,
                              const char *path, const char *iface, const char *method, GVariant *params);
const char *auth_caller_name(AuthCaller *c);
/* Waits for the result: the reply, or NULL with a D-Bus error.  fd_pids (may
 * be NULL) gets the PIDs of the pidfds in the reply. */
GVariant *auth_caller_finish(AuthCaller *c, GArray **fd_pids, GError **error);
/* CALLER_HOLD: waits until the call has been sent. */
void auth_caller_wait_sent(AuthCaller *c);
/* CALLER_HOLD: makes the caller exit (leaving the bus) and waits for it. */
void auth_caller_leave(AuthCaller *c);
void auth_caller_free(AuthCaller *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AuthCaller, auth_caller_free)

/* Finishes and frees a caller of a Spawn of a program that exits by itself:
 * TRUE if it was allowed, the process then waited for and released. */
gboolean auth_caller_finish_spawn(AuthBus *b, AuthCaller *c, GError **error);

/* Start, finish, free; the caller's bus name goes to *name if not NULL. */
GVariant *auth_call_as(AuthBus *b, uid_t uid, gid_t gid, CallerFlags flags, pid_t adopt_pid, const char *path,
                       const char *iface, const char *method, GVariant *params, char **name, GArray **fd_pids,
                       GError **error);

/* --- Misc -------------------------------------------------------------- */

/* At the top of a test case: skips it when the program could not start its
 * bus (not root). */
#define AUTH_NEEDS_BUS(bus)                                                       \
        do {                                                                      \
                if (!(bus)) {                                                     \
                        g_test_skip("needs root: runs callers as other users");  \
                        return;                                                   \
                }                                                                 \
        } while (0)

/* At the top of a test case: skips it, saying why, when reason is not NULL. */
#define AUTH_SKIP_IF(reason)                      \
        do {                                      \
                if (reason) {                     \
                        g_test_skip(reason);      \
                        return;                   \
                }                                 \
        } while (0)

/* A test program's end of main(): as root, starts the mock (procctld with
 * daemon_args) into *bus, runs the cases, stops it; returns g_test_run()'s
 * result. */
int auth_run_with_mock(AuthBus **bus, const char *const *daemon_args);


/* A process running `sleep 1000` as uid:gid in a session of its own, not
 * started through procctld (for Adopt).  Kill it with auth_kill_process(). */
pid_t auth_start_foreign_sleep(uid_t uid, gid_t gid);
void auth_kill_process(pid_t pid);


/* Looks up a user that must exist; fails the test otherwise. */
void auth_lookup_user(const char *name, uid_t *uid, gid_t *gid);

void polkit_request_free(PolkitRequest *r);
