/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Spawn, from the call to the tracked process, in one place: the request
 * (options.c), who the child runs as (identity.c), whether the caller may
 * (auth.c), what the child gets (env.c and the descriptor map here), the
 * child itself (spawn.c), and the process object (process.c).
 *
 * A child that will run as root is known to have exec'd when clone()
 * returns, and the call is answered at once.  A child that will run as
 * another user reports from its own memory (spawn.h): the call is then a
 * Launch, answered from the event loop when the child's status pipe hangs
 * up.  The Launch keeps only the prepared replies, not the call and the
 * descriptors it carried; a caller that leaves the bus meanwhile takes its
 * child with it.
 */

#include <systemd/sd-bus.h>

#include "list.h"
#include "manager.h"
#include "options.h"
#include "peer.h"
#include "quota.h"

typedef struct Launch Launch;

/* What each run of a process is started from, beside what the Process
 * holds (argv, executable, working directory, identity, output, cgroup):
 * kept from its Spawn, already authorized, for the runs of a restart policy
 * (restart.h).  It owns copies of the caller's descriptors (counted in the
 * daemon's descriptor budget) and charges its environment to the owner's
 * MaxBytesPerUser. */
typedef struct RunRequest {
        char **envp;
        gid_t *groups;
        size_t n_groups;
        bool tty;
        mode_t umask;
        uint64_t timeout_usec; /* each run's `timeout`; 0: none */
        int stdio[3];          /* -1: /dev/null, or the captured output */
        SpawnFd *fds;          /* the `fds` option */
        size_t n_fds;
        /* For a caller other than root: the file polkit was asked about at
         * Spawn (device and inode).  Each run looks the program up again and
         * runs it only if it is still that file. */
        bool exec_bound;
        uint64_t exec_dev, exec_ino;
        Charge bytes;
        Manager *manager;      /* whose run_fds counts held_fds (run_request_hold_fds()) */
        unsigned held_fds;
} RunRequest;

RunRequest *run_request_free(RunRequest *r);
/* Counts r's open descriptors in m's, against the descriptor reserve (quota.h),
 * until r is freed. */
void run_request_hold_fds(Manager *m, RunRequest *r);
/* What a kept request costs its owner, for MaxBytesPerUser: its environment
 * and groups. */
uint64_t run_request_bytes(const RunRequest *r);

/* Manager1.Spawn. */
int launch_spawn(Manager *m, sd_bus_message *msg, sd_bus_error *error);

/* Starts the next run of p (between runs, restart.h) from its kept request:
 * a new pidfd, new write ends of the same captured output, the same cgroup.
 * Returns 0 when it runs (or procctl-exec will report on it); a negative
 * errno when it could not start, logged, with p->restart->exec_error set
 * when its exec failed. */
int launch_rerun(Process *p);

/* Kills the child of a Spawn not yet answered, and forgets the call. */
Launch *launch_free(Launch *l);
