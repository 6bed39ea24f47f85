/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One managed process: what it is (argv, identity, owner), its pidfd while it
 * runs, its exit status once it has exited, and the callers waiting for it.
 * Every verb on a process (signal, wait, stop, release) is here, called both
 * from Manager1 (by object path) and from Process1 (on the object).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cgroup.h"
#include "list.h"
#include "manager.h"
#include "output.h"
#include "quota.h"
#include "restart.h"

typedef struct Peer Peer;

typedef enum WaiterKind {
        WAITER_WAIT,
        WAITER_STOP,    /* in kill-mode control-group, answered once the cgroup is empty */
        WAITER_RESTART, /* answered with the pid of the next run once it has started */
} WaiterKind;

typedef struct Waiter {
        Process *process;
        Peer *peer;
        WaiterKind kind;
        sd_bus_message *reply; /* to the call: a Wait's or Stop's end at exit, a Restart's new pid */
        /* A Restart's errors, prepared with the reply (the call is not kept),
         * their text appended when one is sent. */
        sd_bus_message *not_running, *exec_failed;
        Charge charge;
        LIST_FIELDS(struct Waiter, process);
        LIST_FIELDS(struct Waiter, peer);
} Waiter;

struct Process {
        Manager *manager;
        uint64_t id;
        char *path;

        pid_t pid;
        int pidfd; /* -1 once exited, or without pidfd support */
        uint64_t inode; /* of the pidfd, when pidfs makes it unique; else 0 */
        bool is_child;  /* spawned by this daemon instance: reaped here */
        bool group_leader;

        char **argv;
        char *executable;
        char *working_directory;
        char *description;
        char *command_line;
        uid_t uid;
        gid_t gid;
        uid_t owner_uid;

        bool exited;
        const char *exit_reason; /* "" while running */
        int32_t exit_status;
        uint64_t start_usec; /* CLOCK_REALTIME */
        uint64_t exit_usec;

        uint64_t stop_timeout_usec;
        uint64_t timeout_deadline; /* CLOCK_MONOTONIC µs of the `timeout` option; 0: none */
        bool stopping;
        int state_fd; /* memfd in the service manager's fd store, see fdstore.c; -1: none */
        unsigned fdstore_kept; /* bit per FdStoreKind kept in the store (fdstore.c) */
        Output *output; /* spawned with `output: capture`; else NULL */
        sd_event_source *watch_source; /* child source, or pidfd readiness for a non-child */
        sd_event_source *exit_info_source; /* a non-child exited: waiting for its parent to reap it */
        unsigned exit_info_tries;
        sd_event_source *timeout_source;
        sd_event_source *kill_source;
        uint64_t kill_deadline; /* CLOCK_MONOTONIC µs of a stop's SIGKILL (kill_source); 0: none */

        Cgroup *cgroup;          /* its own cgroup (cgroup.h); NULL: none (adopted, or no cgroup support) */
        bool kill_process_only;  /* kill-mode `process`: stops reach the main process alone while it runs */
        Restart *restart;        /* a restart policy (restart.h); NULL: `restart` "no" */

        Peer *kill_peer; /* stopped when this caller leaves the bus */
        LIST_FIELDS(Process, kill_on_disconnect);

        LIST_HEAD(Waiter, waiters);
        LIST_FIELDS(Process, processes); /* the manager's list, id order */
        LIST_FIELDS(Process, retained);  /* its owner's exited processes, exit order */
        Quota *quota;    /* while exited: the owner's Quota it is retained in */
        Charge running;  /* while running: one of its owner's running processes */
        Charge bytes;    /* the record's size, for its owner's MaxBytesPerUser */
        uint64_t listed; /* its share of the listings' size (quota.h) */
        bool registered; /* in the manager's registry */
};

extern const sd_bus_vtable process_vtable[];

/* Fills in what a process is, for process_track(): argv, executable,
 * identity, owner, options (process_set_timeout(), kill-on-disconnect), or a
 * whole record restored from the fd store, which may have exited already. */
typedef int (*ProcessDescribe)(Process *p, void *userdata);

/*
 * The one way a process comes to be tracked, whether spawned (launch.c),
 * adopted (adopt.c) or restored after a restart (fdstore.c).  It owns pidfd
 * from its first line, whatever happens: on failure the pidfd is closed, and
 * a child of this daemon (is_child) is killed and reaped from the event loop.
 * id 0 takes the next id.  describe fills the process in; then its exit is
 * watched (a child through sd-event's child source, which reaps it, any other
 * process through pidfd readiness and the exit status the kernel keeps for
 * pidfd holders) and it is registered, not yet announced.
 */
int process_track(Manager *m, uint64_t id, pid_t pid, int pidfd, bool is_child, ProcessDescribe describe, void *userdata,
                  Process **ret);
Process *process_free(Process *p);

/* Watches a child of this daemon for its end, through its pidfd, which the
 * source then owns, or its PID (pidfd -1); sd-event reaps it after handler
 * runs.  On failure the pidfd is still the caller's. */
int process_watch_child(sd_event *e, sd_event_source **ret, pid_t pid, int pidfd, sd_event_child_handler_t handler,
                        void *userdata);

/* Kills a child of this daemon that will not be tracked, and reaps it from the
 * event loop; takes the pidfd (-1: by PID). */
void process_kill_abandoned(Manager *m, pid_t pid, int pidfd);

/* The `timeout` option, from now; a value beyond the clock's range is none. */
int process_set_timeout(Process *p, uint64_t timeout_usec);

/* The command line ListProcesses shows: argv joined with single spaces, cut
 * at a character boundary to at most PROCESS_COMMAND_LINE_MAX bytes, with
 * PROCESS_COMMAND_LINE_CUT appended where it was cut.  The whole argv is the
 * Argv property, read per process (Properties.Get). */
#define PROCESS_COMMAND_LINE_MAX 256
#define PROCESS_COMMAND_LINE_CUT "…"
int process_set_command_line(Process *p);

/* What a record of argv, executable (NULL: argv[0]), working directory and
 * description costs its owner, for MaxBytesPerUser: the strings and the
 * command line ListProcesses shows.  Spawn charges it before the child
 * starts, Adopt once it has read /proc, and the Process holds the charge. */
uint64_t process_record_bytes(char **argv, const char *executable, const char *working_directory,
                              const char *description);

/* The end of a process from a wait(2) status. */
void process_exited_with_wait_status(Process *p, int wait_status);
void process_set_kill_on_disconnect(Process *p, Peer *peer);

/* Verbs; each replies to or fails msg.  act_* check authorization first. */
int process_act_signal(sd_bus_message *msg, Process *p, int sig, bool group, sd_bus_error *error);
int process_act_wait(sd_bus_message *msg, Process *p, sd_bus_error *error);
int process_act_stop(sd_bus_message *msg, Process *p, sd_bus_error *error);
int process_act_release(sd_bus_message *msg, Process *p, sd_bus_error *error);
int process_act_get_pidfd(sd_bus_message *msg, Process *p, sd_bus_error *error);
int process_act_read_output(sd_bus_message *msg, Process *p, uint64_t cursor, uint32_t max_bytes, sd_bus_error *error);
int process_act_follow_output(sd_bus_message *msg, Process *p, uint64_t cursor, sd_bus_error *error);
int process_act_freeze(sd_bus_message *msg, Process *p, bool freeze, sd_bus_error *error);
/* Restart (the verb): the current run is stopped as Stop does, the next
 * starts at once; during the delay, at once.  Answered with the new pid. */
int process_act_restart(sd_bus_message *msg, Process *p, sd_bus_error *error);

/* The State property: "running", "restarting" (between runs) or "exited". */
const char *process_state(const Process *p);

/* Restarts (restart.h).  A run of p ended and the next follows after the
 * delay: its end is recorded as the last run's, it leaves the running. */
void process_pause(Process *p, const char *reason, int status);
/* The next run of p started as pid (pidfd, -1 without pidfd support), a
 * child of this daemon: watched, announced (ProcessRestarted).  On failure
 * the child is killed and p ends for good. */
int process_run_again(Process *p, pid_t pid, int pidfd);
/* The current run of p has exec'd (at once, or as procctl-exec reported):
 * the Restart calls waiting for it are answered with its pid. */
void process_run_started(Process *p);
/* p ends for good with the end recorded last (Stop during the delay, or
 * no next run). */
void process_end_for_good(Process *p);

/* Gives p its cgroup (launch.c, from describe): p hears when it empties. */
void process_attach_cgroup(Process *p, Cgroup *cg);

/* After a restart, for an exited process whose cgroup came back: what is
 * left in it is stopped (kill-mode control-group), an empty one removed. */
void process_settle_cgroup(Process *p);

/* TERM, then KILL after the stop timeout, to the whole cgroup in kill-mode
 * control-group; without a message for timeouts and disconnects. */
void process_stop(Process *p);
/* Restart's stop of the current run (also after a daemon restart, from
 * the fd store): the same signals and stop timeout, the next run follows. */
void process_stop_for_restart(Process *p);

/* After a restart of the daemon: a stop that was under way (p->stopping,
 * restored) goes on, its SIGKILL at the deadline the old daemon set. */
void process_resume_stop(Process *p);

void waiter_free(Waiter *w);

int process_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found, sd_bus_error *error);
int process_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
