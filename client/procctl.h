/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libprocctl — client library for procctld, the process-management service
 * (bus name org.procctl.Manager1).
 *
 * Handles
 *   procctl_client         one connection to the bus the daemon is on
 *   procctl_process        one process the daemon tracks (object path, id, pid)
 *   procctl_spawn_options  everything Spawn takes besides argv
 *   procctl_exit           how a process ended (a plain struct)
 *   procctl_process_info   a snapshot of a process's properties
 *   procctl_process_list   the result of a listing
 *   procctl_call           a pending asynchronous call
 *   procctl_error          the D-Bus error behind a failure (a plain struct)
 *
 * Conventions
 *   - Every function that can fail returns a negative errno-style value on
 *     failure and >= 0 on success.  Functions that talk to the daemon take a
 *     `procctl_error *error` (may be NULL) that receives the D-Bus error name
 *     and message; it must be initialized with PROCCTL_ERROR_INIT (or cleared
 *     with procctl_error_clear()) before the call.
 *   - The daemon's errors map to these errno values:
 *       org.procctl.Error.ExecFailed        -ENOEXEC  (and nothing else does:
 *                                                       see procctl_error_is_exec_failed())
 *       org.procctl.Error.NotRunning        -ESRCH
 *       org.procctl.Error.StillRunning      -EBUSY
 *       org.procctl.Error.NoSuchUser        -ENXIO
 *       org.procctl.Error.LimitExceeded     -E2BIG
 *       ...DBus.Error.UnknownObject         -ENOENT   (no such process record)
 *       ...DBus.Error.InvalidArgs           -EINVAL
 *       ...DBus.Error.AccessDenied          -EACCES
 *       ...DBus.Error.InteractiveAuthorizationRequired  -EACCES
 *       ...DBus.Error.NotSupported          -EOPNOTSUPP
 *       ...DBus.Error.ServiceUnknown        -EHOSTUNREACH (daemon not running)
 *     Other bus errors follow sd-bus's mapping; local failures (no memory,
 *     connection lost) return their own errno with error->name NULL.
 *   - Every call costs exactly one round trip to the daemon (connecting
 *     costs the bus's own handshake once).  Spawn returns the object path
 *     and the pid in its reply, so a new procctl_process needs no further
 *     call.
 *   - A procctl_client, and everything made from it, is used from one
 *     thread at a time.
 *   - Strings returned by getters belong to the object they came from and
 *     stay valid as long as it does.
 *
 * Asynchronous calls
 *   Every daemon call has an _async variant that sends the request at once
 *   and returns; the callback runs later, from procctl_client_process() (or
 *   from the sd-event loop the client is attached to), exactly once, unless
 *   the call is cancelled or the client freed first.  Objects passed to a
 *   callback are borrowed: take a reference to keep them.  For spawn,
 *   signal, wait, stop and release the callback may be NULL: the request is
 *   then sent with "no reply expected" (fire and forget) and *ret_call is set
 *   to NULL; for info and list calls it is required (-EINVAL otherwise).
 *   Descriptors in spawn options may be closed once the _async call has
 *   returned: the request holds copies.
 *
 *   To drive a client from any poll loop: poll procctl_client_get_fd() for
 *   procctl_client_get_events(), with the deadline procctl_client_get_timeout()
 *   gives, then call procctl_client_process() until it returns 0.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct procctl_client procctl_client;
typedef struct procctl_process procctl_process;
typedef struct procctl_spawn_options procctl_spawn_options;
typedef struct procctl_process_info procctl_process_info;
typedef struct procctl_process_list procctl_process_list;
typedef struct procctl_call procctl_call;

/* ---------------------------------------------------------------- errors */

typedef struct procctl_error {
        char *name;     /* D-Bus error name, NULL for a local failure or no error */
        char *message;  /* human-readable message, NULL when no error is set */
        int error;      /* positive errno the failure maps to, 0 if none */
        void *reserved[2];
} procctl_error;

#define PROCCTL_ERROR_INIT { NULL, NULL, 0, { NULL, NULL } }

/* Frees what *error holds and resets it to PROCCTL_ERROR_INIT. */
void procctl_error_clear(procctl_error *error);

/* True if error holds a failure. */
bool procctl_error_is_set(const procctl_error *error);

/* True if error holds the D-Bus error called name. */
bool procctl_error_has_name(const procctl_error *error, const char *name);

/* True if error is org.procctl.Error.ExecFailed: the program could not be
 * started (not found, not executable, bad interpreter, missing working
 * directory, ...).  No other failure is reported this way. */
bool procctl_error_is_exec_failed(const procctl_error *error);

/* For an exec failure: the errno that made it fail (e.g. ENOENT for a
 * missing program), read from the errno name that begins the daemon's
 * message ("ENOENT: execve(...): ..."); 0 when error is not an exec failure
 * or its message lacks that name. */
int procctl_error_exec_errno(const procctl_error *error);

/* For an exec failure: true if it was the program itself that was not
 * found (what a shell reports as 127), as opposed to a program that exists
 * but could not be executed, a missing interpreter or a missing working
 * directory (126). */
bool procctl_error_is_exec_not_found(const procctl_error *error);

/* ---------------------------------------------------------------- client */

/* Connect to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), to the
 * user's session bus (DBUS_SESSION_BUS_ADDRESS), or to a bus address.  The
 * connection is set up without blocking; the first call completes it. */
int procctl_client_new_system(procctl_client **ret);
int procctl_client_new_user(procctl_client **ret);
int procctl_client_new_address(procctl_client **ret, const char *address);

/* The system bus of another host, through ssh as `systemctl -H` does:
 * host is "[USER@]HOST[:PORT]" (sd_bus_open_system_remote()).  Such a
 * connection cannot pass file descriptors: stdin/stdout/stderr/fds spawn
 * options fail with -EOPNOTSUPP.  And the system bus of a local container
 * (sd_bus_open_system_machine(); root only). */
int procctl_client_new_remote(procctl_client **ret, const char *host);
int procctl_client_new_machine(procctl_client **ret, const char *machine);

/* Use an existing sd-bus connection (the client takes a reference). */
int procctl_client_new_from_bus(procctl_client **ret, sd_bus *bus);

procctl_client *procctl_client_ref(procctl_client *client);

/* Only the caller's references keep a client alive.  Dropping the last one
 * flushes queued requests (so fire-and-forget calls reach the daemon),
 * cancels pending calls without running their callbacks, and closes the
 * connection (unless it came from procctl_client_new_from_bus()).  Process
 * handles made from the client stay valid, but calls on them then fail
 * with -ENOTCONN and procctl_process_get_client() returns NULL. */
procctl_client *procctl_client_unref(procctl_client *client);

/* The sd-bus connection underneath (borrowed). */
sd_bus *procctl_client_get_bus(procctl_client *client);

/* Ask for interactive authorization (polkit may prompt the user) on every
 * call made from now on.  Off by default. */
int procctl_client_set_allow_interactive_authorization(procctl_client *client, bool allow);

/* Timeout in µs for calls other than Wait and Stop (which never time out);
 * 0 restores the default (25 s), UINT64_MAX means none. */
int procctl_client_set_call_timeout(procctl_client *client, uint64_t usec);

/* Attach the client to an sd-event loop (NULL: the thread's default loop).
 * Async callbacks then run from that loop. */
int procctl_client_attach_event(procctl_client *client, sd_event *event, int64_t priority);
int procctl_client_detach_event(procctl_client *client);

/* Poll-loop integration.  get_fd: the descriptor to poll.  get_events: the
 * poll() events to wait for (they change: ask before every poll).
 * get_timeout: absolute CLOCK_MONOTONIC deadline in µs, UINT64_MAX if none.
 * process: handles what is ready, runs callbacks; returns > 0 if it did
 * something (call again), 0 if there is nothing to do, < 0 on failure (a
 * lost connection gives -ECONNRESET and fails every pending call).
 * wait: blocks until there is something to process or timeout µs pass
 * (UINT64_MAX: no limit).  flush: writes out every queued request. */
int procctl_client_get_fd(procctl_client *client);
int procctl_client_get_events(procctl_client *client);
int procctl_client_get_timeout(procctl_client *client, uint64_t *ret_usec);
int procctl_client_process(procctl_client *client);
int procctl_client_wait(procctl_client *client, uint64_t timeout_usec);
int procctl_client_flush(procctl_client *client);

/* --------------------------------------------------------- spawn options */

int procctl_spawn_options_new(procctl_spawn_options **ret);
procctl_spawn_options *procctl_spawn_options_free(procctl_spawn_options *options);

/* Each setter copies its strings; a NULL string unsets the option.
 * Descriptors are NOT duplicated: they must stay open until procctl_spawn()
 * or procctl_spawn_async() has returned (the request carries copies then).
 * A negative fd unsets stdin/stdout/stderr (the child gets /dev/null). */
int procctl_spawn_options_set_executable(procctl_spawn_options *options, const char *path);
int procctl_spawn_options_set_working_directory(procctl_spawn_options *options, const char *path);
/* Adds one "KEY=VALUE" entry to set on top of the base environment. */
int procctl_spawn_options_add_environment(procctl_spawn_options *options, const char *assignment);
int procctl_spawn_options_set_stdin(procctl_spawn_options *options, int fd);
int procctl_spawn_options_set_stdout(procctl_spawn_options *options, int fd);
int procctl_spawn_options_set_stderr(procctl_spawn_options *options, int fd);
/* Passes fd as descriptor number target (>= 3) of the child. Adding the
 * same target again replaces the fd. */
int procctl_spawn_options_add_fd(procctl_spawn_options *options, unsigned target, int fd);
/* stdin is a terminal the child takes as its controlling terminal. */
int procctl_spawn_options_set_tty(procctl_spawn_options *options, bool tty);
/* User and group: names or numeric ids, as strings. */
int procctl_spawn_options_set_user(procctl_spawn_options *options, const char *user);
int procctl_spawn_options_set_group(procctl_spawn_options *options, const char *group);
int procctl_spawn_options_set_umask(procctl_spawn_options *options, mode_t mask);
int procctl_spawn_options_set_kill_on_disconnect(procctl_spawn_options *options, bool b);
/* Run time limit and SIGTERM-to-SIGKILL delay, in µs (0: no limit). */
int procctl_spawn_options_set_timeout(procctl_spawn_options *options, uint64_t usec);
int procctl_spawn_options_set_stop_timeout(procctl_spawn_options *options, uint64_t usec);
int procctl_spawn_options_set_description(procctl_spawn_options *options, const char *description);
/* Keep what the process writes to the stdout and stderr not given as
 * descriptors (Spawn's output: capture), at most max_bytes of it, the
 * newest (0: the daemon's default, 1 MiB); read it with
 * procctl_process_read_output() and procctl_process_follow_output(). */
int procctl_spawn_options_set_output_capture(procctl_spawn_options *options, uint64_t max_bytes);
/* Spawn's kill-mode: "control-group" (the default: Stop, timeout and
 * kill-on-disconnect reach the process's whole cgroup, and what it leaves
 * behind is stopped when it exits) or "process" (only the main process; what
 * it leaves runs on).  Needs a daemon whose Features has "cgroup". */
int procctl_spawn_options_set_kill_mode(procctl_spawn_options *options, const char *mode);
/* A limit of the process's cgroup, by its Spawn option: "memory-max"
 * (bytes), "tasks-max", "cpu-weight" (1-10000) or "cpu-quota" (µs of CPU
 * time per second); -EINVAL for another key.  Needs a daemon whose Features
 * has "cgroup" and the controller enabled (NotSupported otherwise). */
int procctl_spawn_options_set_limit(procctl_spawn_options *options, const char *key, uint64_t value);
/* Spawn's restart policy (a daemon whose Features has "restart"): "no",
 * "on-failure" (run again after a non-zero exit, a signal other than Stop's,
 * or a timeout) or "always" (after any end but a Stop); NULL: the daemon's
 * default, "no".  The same object, id and output live through every run. */
int procctl_spawn_options_set_restart(procctl_spawn_options *options, const char *policy);
/* The delay before the first restart and the most it doubles to, in µs
 * (max_usec UINT64_MAX: the daemon's default, 30 s). */
int procctl_spawn_options_set_restart_delay(procctl_spawn_options *options, uint64_t usec, uint64_t max_usec);
/* At most burst restarts within any interval_usec; one more ends it for good. */
int procctl_spawn_options_set_restart_limit(procctl_spawn_options *options, unsigned burst, uint64_t interval_usec);

/* --------------------------------------------------------------- spawning */

/* Start argv (NULL-terminated, at least one entry; argv[0] is looked up in
 * PATH if it has no '/') with options (may be NULL).  On success *ret is a
 * new process handle with path, id and pid filled in. */
int procctl_spawn(procctl_client *client, char *const argv[],
                  const procctl_spawn_options *options,
                  procctl_process **ret, procctl_error *error);

typedef void (*procctl_spawn_callback_t)(procctl_client *client, int r, procctl_process *process,
                                         const procctl_error *error, void *userdata);

/* ret_call (may be NULL) receives a reference to the pending call. */
int procctl_spawn_async(procctl_client *client, char *const argv[],
                        const procctl_spawn_options *options,
                        procctl_spawn_callback_t callback, void *userdata,
                        procctl_call **ret_call);

/* Adopt: track a running process the daemon did not start, from a pidfd of
 * it the caller holds (pidfd_open(2)), with the description (may be NULL)
 * shown in listings.  *ret (may be NULL) is the new process handle, with the
 * pid filled in when given (0: unknown). */
int procctl_adopt(procctl_client *client, int pidfd, pid_t pid, const char *description,
                  procctl_process **ret, procctl_error *error);

/* -------------------------------------------------------- process handles */

/* A handle for an existing process from a decimal id ("3") or an object
 * path ("/org/procctl/Manager1/process/3"), without asking the daemon (the
 * pid is 0 until known).  -EINVAL if id is neither. */
int procctl_process_new(procctl_client *client, const char *id, procctl_process **ret);
/* The id of a decimal id or an object path, as procctl_process_new() reads
 * them: -EINVAL if id is neither, -ERANGE if the number is too large. */
int procctl_parse_process_id(const char *id, uint64_t *ret_id);
int procctl_process_new_from_id(procctl_client *client, uint64_t id, procctl_process **ret);

procctl_process *procctl_process_ref(procctl_process *process);
procctl_process *procctl_process_unref(procctl_process *process);

/* The client the handle was made from (borrowed), NULL once it is gone. */
procctl_client *procctl_process_get_client(procctl_process *process);
const char *procctl_process_get_path(procctl_process *process);
uint64_t procctl_process_get_id(procctl_process *process);
/* The pid as the daemon reported it at spawn time or in a later info call; 0 if unknown. */
pid_t procctl_process_get_pid(procctl_process *process);

/* ------------------------------------------------------------ exit status */

typedef enum procctl_exit_reason {
        PROCCTL_EXIT_UNKNOWN = 0,  /* adopted process whose status the kernel did not report */
        PROCCTL_EXIT_EXITED,       /* status is the exit code */
        PROCCTL_EXIT_KILLED,       /* status is the signal number */
        PROCCTL_EXIT_DUMPED,       /* status is the signal number; core dumped */
} procctl_exit_reason;

typedef struct procctl_exit {
        procctl_exit_reason reason;
        int status;
} procctl_exit;

/* "exited", "killed", "dumped", "unknown" (the bus spelling), and back;
 * from_string returns -EINVAL for anything else. */
const char *procctl_exit_reason_to_string(procctl_exit_reason reason);
int procctl_exit_reason_from_string(const char *s);

/* The code a shell would give: the exit code, 128 + signal for a killed or
 * dumped process, -1 for an unknown end. */
int procctl_exit_to_shell_code(const procctl_exit *exit);

/* ------------------------------------------------------- process actions */

/* Send signal (0: liveness check) to the process / its process group. */
int procctl_process_signal(procctl_process *process, int signal, procctl_error *error);
int procctl_process_signal_group(procctl_process *process, int signal, procctl_error *error);

/* Block until the process has exited (no timeout) and tell how it ended. */
int procctl_process_wait(procctl_process *process, procctl_exit *ret, procctl_error *error);

/* SIGTERM, SIGKILL after the stop timeout; returns like wait. */
int procctl_process_stop(procctl_process *process, procctl_exit *ret, procctl_error *error);

/* Forget an exited process (-EBUSY while it runs). */
int procctl_process_release(procctl_process *process, procctl_error *error);

typedef void (*procctl_done_callback_t)(procctl_process *process, int r,
                                        const procctl_error *error, void *userdata);
typedef void (*procctl_exit_callback_t)(procctl_process *process, int r, const procctl_exit *exit,
                                        const procctl_error *error, void *userdata);

int procctl_process_signal_async(procctl_process *process, int signal,
                                 procctl_done_callback_t callback, void *userdata,
                                 procctl_call **ret_call);
int procctl_process_signal_group_async(procctl_process *process, int signal,
                                       procctl_done_callback_t callback, void *userdata,
                                       procctl_call **ret_call);
int procctl_process_wait_async(procctl_process *process,
                               procctl_exit_callback_t callback, void *userdata,
                               procctl_call **ret_call);
int procctl_process_stop_async(procctl_process *process,
                               procctl_exit_callback_t callback, void *userdata,
                               procctl_call **ret_call);
int procctl_process_release_async(procctl_process *process,
                                  procctl_done_callback_t callback, void *userdata,
                                  procctl_call **ret_call);

/* Restart (Features word "restart"), for a process spawned with a restart
 * policy: its current run is stopped as by procctl_process_stop(), and the
 * next starts at once on the same object (during the delay between two
 * runs: at once); *ret_pid (may be NULL) is the new run's pid, which
 * procctl_process_get_pid() returns from then on.  No deadline, as Stop.
 * Errors: NotSupported without a restart policy; NotRunning once the process
 * has ended for good, or when a Stop ends it first; ExecFailed when the next
 * run cannot execute its program (it has then ended for good). */
int procctl_process_restart(procctl_process *process, pid_t *ret_pid, procctl_error *error);

typedef void (*procctl_pid_callback_t)(procctl_process *process, int r, pid_t pid, const procctl_error *error,
                                       void *userdata);
int procctl_process_restart_async(procctl_process *process,
                                  procctl_pid_callback_t callback, void *userdata,
                                  procctl_call **ret_call);

/* -------------------------------------------------------- captured output */

/* A page of a process's captured output (ReadOutput): entries of (time in
 * CLOCK_REALTIME µs, stream 1 for stdout or 2 for stderr, bytes), each
 * stream's bytes in order, the two interleaved as the daemon read them. */
typedef struct procctl_output procctl_output;

/* Up to max_bytes of output from cursor (a count of bytes of output, both
 * streams, from the process's first; 0 for all the daemon still keeps).
 * procctl_output_get_next_cursor() is where the next page starts; fewer
 * bytes than asked (or none) at the end.  For a process spawned without
 * capture, the error is org.freedesktop.DBus.Error.NotSupported. */
int procctl_process_read_output(procctl_process *process, uint64_t cursor, uint32_t max_bytes,
                                procctl_output **ret, procctl_error *error);

typedef void (*procctl_output_callback_t)(procctl_process *process, int r, procctl_output *output,
                                          const procctl_error *error, void *userdata);

int procctl_process_read_output_async(procctl_process *process, uint64_t cursor, uint32_t max_bytes,
                                      procctl_output_callback_t callback, void *userdata,
                                      procctl_call **ret_call);

procctl_output *procctl_output_ref(procctl_output *output);
procctl_output *procctl_output_unref(procctl_output *output);
size_t procctl_output_get_n_entries(const procctl_output *output);
/* Entry i; the bytes belong to output.  Any ret may be NULL; -EINVAL past the end. */
int procctl_output_get_entry(const procctl_output *output, size_t i, uint64_t *ret_usec, int *ret_stream,
                             const void **ret_data, size_t *ret_size);
uint64_t procctl_output_get_next_cursor(const procctl_output *output);
/* Bytes the daemon has dropped from this process's buffer so far. */
uint64_t procctl_output_get_dropped_bytes(const procctl_output *output);

/* A pipe (*ret_fd, the caller's to close) carrying the output from cursor
 * (UINT64_MAX: from now on) and then as it is written, both streams as
 * the daemon read them, until end of file once every writer has gone.  A
 * reader further behind than the daemon keeps gets end of file early: its
 * position (cursor plus bytes read) is then short of
 * procctl_output_get_next_cursor(), and it may go on from there. */
int procctl_process_follow_output(procctl_process *process, uint64_t cursor, int *ret_fd, procctl_error *error);

/* fd is the callback's to close (-1 on failure). */
typedef void (*procctl_fd_callback_t)(procctl_process *process, int r, int fd, const procctl_error *error,
                                      void *userdata);

int procctl_process_follow_output_async(procctl_process *process, uint64_t cursor,
                                        procctl_fd_callback_t callback, void *userdata,
                                        procctl_call **ret_call);

/* ------------------------------------------------------ process properties */

/* Every property of the process, in two calls: GetAll, and a Get of Argv,
 * which GetAll leaves out (it may be megabytes).  The handle's pid is
 * updated from it. */
int procctl_process_get_info(procctl_process *process, procctl_process_info **ret,
                             procctl_error *error);

typedef void (*procctl_info_callback_t)(procctl_process *process, int r, procctl_process_info *info,
                                        const procctl_error *error, void *userdata);

int procctl_process_get_info_async(procctl_process *process,
                                   procctl_info_callback_t callback, void *userdata,
                                   procctl_call **ret_call);

procctl_process_info *procctl_process_info_ref(procctl_process_info *info);
procctl_process_info *procctl_process_info_unref(procctl_process_info *info);

/* Getters for the properties of org.procctl.Process1.  Strings are never
 * NULL ("" when absent); argv is NULL-terminated.  get_path gives the object
 * path the info is about. */
const char *procctl_process_info_get_path(const procctl_process_info *info);
uint64_t procctl_process_info_get_id(const procctl_process_info *info);
pid_t procctl_process_info_get_pid(const procctl_process_info *info);
char *const *procctl_process_info_get_argv(const procctl_process_info *info);
const char *procctl_process_info_get_executable(const procctl_process_info *info);
const char *procctl_process_info_get_working_directory(const procctl_process_info *info);
const char *procctl_process_info_get_description(const procctl_process_info *info);
uid_t procctl_process_info_get_uid(const procctl_process_info *info);
gid_t procctl_process_info_get_gid(const procctl_process_info *info);
uid_t procctl_process_info_get_owner_uid(const procctl_process_info *info);
/* True while the process runs (State "running"). */
bool procctl_process_info_is_running(const procctl_process_info *info);
const char *procctl_process_info_get_state(const procctl_process_info *info);
/* How it ended; -ESRCH (and *ret untouched) while it still runs. */
int procctl_process_info_get_exit(const procctl_process_info *info, procctl_exit *ret);
/* How the last run ended: the end, or between two runs of a restart policy
 * (State "restarting") the run before; -ESRCH while a run goes on. */
int procctl_process_info_get_last_exit(const procctl_process_info *info, procctl_exit *ret);
/* Runs after the first, under a restart policy (RestartCount); 0 without. */
unsigned procctl_process_info_get_restart_count(const procctl_process_info *info);
/* CLOCK_REALTIME µs; the exit timestamp is 0 while running.  Under a
 * restart policy the start is the current run's, or while "restarting"
 * when the next is due. */
uint64_t procctl_process_info_get_start_timestamp(const procctl_process_info *info);
uint64_t procctl_process_info_get_exit_timestamp(const procctl_process_info *info);

/* ----------------------------------------------------------------- listing */

/* Every process the daemon tracks (ListProcesses): path, id, pid, uid,
 * state and command line of each, the command line cut to 256 bytes
 * ("…" marks the cut). */
int procctl_list(procctl_client *client, procctl_process_list **ret, procctl_error *error);

/* Every process with its properties, in two calls (GetManagedObjects, the
 * manager being an ObjectManager, and ListProcesses for the command lines).
 * Listings leave Argv out: the infos' argv is empty; read it per process
 * with procctl_process_get_info().  Use procctl_process_list_get_info(). */
int procctl_list_with_info(procctl_client *client, procctl_process_list **ret, procctl_error *error);

typedef void (*procctl_list_callback_t)(procctl_client *client, int r, procctl_process_list *list,
                                        const procctl_error *error, void *userdata);

int procctl_list_async(procctl_client *client, procctl_list_callback_t callback, void *userdata,
                       procctl_call **ret_call);
int procctl_list_with_info_async(procctl_client *client, procctl_list_callback_t callback,
                                 void *userdata, procctl_call **ret_call);

procctl_process_list *procctl_process_list_ref(procctl_process_list *list);
procctl_process_list *procctl_process_list_unref(procctl_process_list *list);

/* Entries are sorted by id.  index must be < get_size(). */
size_t procctl_process_list_get_size(const procctl_process_list *list);
const char *procctl_process_list_get_path(const procctl_process_list *list, size_t index);
uint64_t procctl_process_list_get_id(const procctl_process_list *list, size_t index);
pid_t procctl_process_list_get_pid(const procctl_process_list *list, size_t index);
uid_t procctl_process_list_get_uid(const procctl_process_list *list, size_t index);
const char *procctl_process_list_get_state(const procctl_process_list *list, size_t index);
const char *procctl_process_list_get_command_line(const procctl_process_list *list, size_t index);
/* Only for a list from procctl_list_with_info(); NULL otherwise (borrowed). */
procctl_process_info *procctl_process_list_get_info(const procctl_process_list *list, size_t index);

/* ------------------------------------------------------- manager properties */

/* The daemon's Version, ProcessCount and Features properties (one call each).
 * *ret strings/arrays are newly allocated: free() them (Features: each entry
 * and the NULL-terminated array). */
int procctl_get_version(procctl_client *client, char **ret, procctl_error *error);
int procctl_get_process_count(procctl_client *client, uint32_t *ret, procctl_error *error);
int procctl_get_features(procctl_client *client, char ***ret, procctl_error *error);

/* ---------------------------------------------------------- pending calls */

/* Cancel a pending call: its callback will not run.  No effect once the
 * call has completed. */
void procctl_call_cancel(procctl_call *call);

/* True until the call's callback has run or it was cancelled. */
bool procctl_call_is_pending(const procctl_call *call);

/* Drop the reference procctl_*_async() gave; does not cancel. */
procctl_call *procctl_call_unref(procctl_call *call);

/* ------------------------------------------------------- cleanup helpers */

/* For __attribute__((cleanup)), as sd-bus has them: each takes a pointer to
 * a handle variable and drops the handle if it is not NULL, e.g.
 *
 *     __attribute__((cleanup(procctl_client_unrefp))) procctl_client *client = NULL;
 *
 * A procctl_error is cleared the same way with procctl_error_clear. */
#define _PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(type, func)        \
        static __inline__ void func##p(type **p) {              \
                if (*p)                                         \
                        func(*p);                               \
        }

_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_client, procctl_client_unref)
_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_process, procctl_process_unref)
_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_spawn_options, procctl_spawn_options_free)
_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_process_info, procctl_process_info_unref)
_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_process_list, procctl_process_list_unref)
_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_call, procctl_call_unref)
_PROCCTL_DEFINE_POINTER_CLEANUP_FUNC(procctl_output, procctl_output_unref)

#undef _PROCCTL_DEFINE_POINTER_CLEANUP_FUNC

#ifdef __cplusplus
}
#endif
