/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's one state object: the bus and event loop, the registry of
 * processes (by id, in id order, and per owner uid), the callers it knows,
 * and the Manager1 interface.  Every Manager1 method is in manager.c; the
 * work on one process is in process.c, shared with Process1.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cgroup.h"
#include "settings.h"
#include "identity.h"
#include "ids.h"
#include "list.h"
#include "pidfd.h"

typedef struct Peer Peer;
typedef struct Process Process;
typedef struct Quota Quota;
typedef struct Launch Launch;
typedef struct AuthAnswer AuthAnswer;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        bool user_mode;  /* serving the session bus, as the user who runs the daemon */
        bool privileged; /* running as root: children get the identity they ask for */
        bool exiting;
        bool fd_store; /* keep processes in the service manager's fd store (fdstore.c) */
        bool notify;   /* a service manager listens on NOTIFY_SOCKET (service.c) */
        uint64_t exit_idle_usec;
        sd_event_source *idle_source;
        sd_event_source *status_source;

        PidfdSupport pidfd;
        CgroupSupport cgroup;
        sd_event_source *spare_cgroup_source; /* makes the next Spawn's cgroup while idle */
        sd_event_source *spare_cgroup_timer;  /* removes it when no Spawn came */
        Limits limits;
        int devnull_fd;
        bool reset_child_nofile;
        struct rlimit child_nofile;

        unsigned fds_base; /* descriptors open before any process was tracked (quota.h) */

        IdAllocator ids;
        unsigned n_processes;
        void *processes_by_id;    /* tsearch tree of Process */
        void *running_by_pid;     /* tsearch tree of running Process, by PID */
        void *processes_by_inode; /* tsearch tree of Process, by pidfd inode (pidfs only) */
        LIST_HEAD(Process, processes); /* in id order */
        LIST_HEAD(Launch, launches);   /* Spawns whose child has not reported yet (launch.c) */
        unsigned n_launches;
        uint64_t listed_bytes; /* what processes and launches add to GetManagedObjects (quota.h) */
        void *quotas;          /* tsearch tree of Quota, by uid */
        void *peers;           /* tsearch tree of Peer, by unique name */
        IdentityCache identities;
        void *auth_queries;    /* tsearch tree of AuthQuery, by request message (polkit.c) */
        uint64_t polkit_absent_until; /* CLOCK_MONOTONIC µs: till then polkit is known not to be on the bus */
        unsigned long long auth_fds; /* descriptors in the calls those queries keep */
        unsigned long long output_fds; /* capture pipes and followers of captured output (output.c) */
        unsigned long long run_fds; /* the callers' descriptors kept for later runs (launch.h, RunRequest) */
        LIST_HEAD(AuthAnswer, auth_answers); /* remembered yeses of all callers, oldest first (polkit.c) */
        sd_event_source *auth_expiry;        /* forgets the oldest when its time runs out */
        uint64_t auth_generation;            /* counts the times all were forgotten: an answer to a
                                              * check asked before is not remembered */
} Manager;

/* runtime_dir: where process ids are recorded (ids.h); NULL: nowhere. */
int manager_new(sd_event *event, sd_bus *bus, bool user_mode, const char *runtime_dir, Manager **ret);
Manager *manager_free(Manager *m);

/* Registers the objects, then takes the bus name. */
int manager_start(Manager *m);

/* The Features property: the pidfd support's words (pidfd.h), what every
 * daemon of this version has, and "cgroup" with a subtree of its own. */
void manager_feature_names(const PidfdSupport *s, const CgroupSupport *cg, const char *ret[static 10]);

Process *manager_find_process(Manager *m, uint64_t id);
Process *manager_find_process_by_path(Manager *m, const char *path);
Process *manager_find_running_by_pid(Manager *m, pid_t pid);
int manager_register_process(Manager *m, Process *p);

/* InterfacesAdded for a registered process: after the reply to its caller. */
void manager_announce_process(Manager *m, Process *p);
void manager_unregister_process(Manager *m, Process *p);

/* The global and the caller's cap on processes, and the descriptor budget,
 * before one is created. */
int manager_check_new_process(Manager *m, Peer *peer, sd_bus_error *error);

/* p has exited: it leaves the PID index, is charged to its owner's retained
 * records, and the owner's oldest record is dropped past the cap. */
void manager_process_exited(Manager *m, Process *p);

/* Between two runs of a restart policy (restart.h), p leaves the PID index
 * and no longer counts as running (its owner's charge is released); its
 * next run comes back into the index, charged again beforehand. */
void manager_process_paused(Manager *m, Process *p);
int manager_process_resumed(Manager *m, Process *p);
