/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every cgroup decision of the daemon lives here, as every pidfd decision
 * lives in pidfd.c.  cgroup_probe() runs once at start: it finds the cgroup
 * v2 hierarchy (/proc/self/mountinfo) and the daemon's own cgroup
 * (/proc/self/cgroup), moves the daemon into a leaf of it ("<own>/daemon",
 * cgroup v2's "no internal processes" rule, as systemd documents for
 * Delegate=yes) and proves by doing it that a cgroup can be made, joined and
 * removed there.  Each spawned process then gets "<own>/process-<id>" beside
 * the daemon's leaf.  The daemon never touches a cgroup outside that subtree.
 * Without a usable subtree CgroupSupport.usable is false and everything works
 * on process groups, as before.
 *
 * A Cgroup is one process's cgroup: made before the child is cloned (which
 * starts in it, spawn.c), its cgroup.events watched through the kernel's
 * notification (inotify, one descriptor for all; no polling) once there is
 * something to hear (cgroup_watch()), so its owner hears when it empties or
 * its frozen state changes, and removed once empty.  An owner
 * that lets go of a populated cgroup abandons it: everything in it is killed
 * and the cgroup removed when the kernel says it is empty.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "list.h"

typedef enum CgroupController {
        CGROUP_CONTROLLER_MEMORY = 1 << 0,
        CGROUP_CONTROLLER_PIDS = 1 << 1,
        CGROUP_CONTROLLER_CPU = 1 << 2,
} CgroupController;

typedef struct Cgroup Cgroup;

typedef struct CgroupSupport {
        bool usable;
        bool kill;            /* cgroup.kill (Linux 5.14): one write kills the whole cgroup */
        unsigned controllers; /* CgroupController bits enabled for the processes' cgroups */
        char *mount;          /* where cgroup2 is mounted: "/sys/fs/cgroup" */
        char *subtree;        /* the daemon's subtree below the mount: "/system.slice/procctld.service" */
        int subtree_fd;       /* its directory */
        int inotify_fd;       /* watches each process's cgroup.events, made at start */
        sd_event *event;      /* the loop the watches are read from (cgroup_new()'s) */
        sd_event_source *inotify_source;
        void *watches;        /* tsearch tree of Cgroup, by watch descriptor */
        LIST_HEAD(Cgroup, abandoned); /* let go of while populated: removed once empty */
        bool warned_polling;  /* said once that a watch was refused (cgroup_watch()) */
        Cgroup *spare;        /* made ahead for the process id spare_id (cgroup_prepare()) */
        uint64_t spare_id;
} CgroupSupport;

/* setting: NULL (find the daemon's own cgroup), "no" (do without), or the
 * path of a subtree below the cgroup2 mount to use instead of its own.
 * Never fails: *ret says what works. */
void cgroup_probe(CgroupSupport *ret, const char *setting);
void cgroup_support_done(CgroupSupport *s);

/* The limits of the Spawn options; UINT64_MAX (cpu_weight 0): not set. */
typedef struct CgroupLimits {
        uint64_t memory_max;  /* memory.max, bytes */
        uint64_t tasks_max;   /* pids.max */
        uint64_t cpu_weight;  /* cpu.weight, 1-10000 */
        uint64_t cpu_quota;   /* cpu.max, µs per second */
} CgroupLimits;

#define CGROUP_LIMITS_NONE ((CgroupLimits) { UINT64_MAX, UINT64_MAX, 0, UINT64_MAX })

/* The controller (its name) a limit in l needs and s lacks; NULL: all there. */
const char *cgroup_limits_missing_controller(const CgroupSupport *s, const CgroupLimits *l);
/* Writes memory.max, pids.max, cpu.weight and cpu.max of the cgroup whose
 * directory is dir_fd, each only when set. */
int cgroup_limits_write(int dir_fd, const CgroupLimits *l);

/* What the owner of a Cgroup hears: it emptied, or its frozen state changed. */
typedef void (*CgroupChanged)(Cgroup *cg, bool emptied, bool frozen_changed, void *userdata);

struct Cgroup {
        CgroupSupport *support;
        char *path;          /* below the mount */
        const char *name;    /* its last component, in path: "process-<id>" */
        int dir_fd;          /* its directory, for the child to start in (spawn.h); -1 after */
        int wd;              /* the inotify watch of its cgroup.events; -1: none */
        sd_event_source *poll_source; /* instead, where the kernel refused the watch */
        bool populated;
        bool frozen;
        bool removed;
        /* cgroup.kill was written (or may have been: restored after a
         * restart).  Linux 6.18 kills a child cloned into such a cgroup
         * (CLONE_INTO_CGROUP compares the kill count of the parent's cgroup
         * with the target's), so a later run joins it instead (spawn.h). */
        bool killed;
        uint64_t cpu_usage_nsec; /* read last before it was removed */
        CgroupChanged changed;
        void *userdata;
        LIST_FIELDS(Cgroup, abandoned);
};

/* mkdir "process-<id>" in the subtree, opened for the child, its limits
 * written; or the one cgroup_prepare() made for id, taken. */
int cgroup_new(CgroupSupport *s, sd_event *event, uint64_t id, const CgroupLimits *limits, Cgroup **ret);
/* Makes the cgroup of the process id to come ahead of its Spawn, when the
 * daemon has nothing else to do: a mkdir in cgroupfs is the costliest step
 * of a Spawn before its clone.  No descriptor is held for it.  Removed by
 * cgroup_drop_spare() or with the CgroupSupport (empty); one left by a daemon
 * that was killed goes in cgroup_sweep(). */
int cgroup_prepare(CgroupSupport *s, sd_event *event, uint64_t id);
/* Removes the cgroup made ahead, if any: no Spawn came for a while. */
void cgroup_drop_spare(CgroupSupport *s);
/* At start, once the processes are restored: removes the empty cgroups of
 * the subtree named for a process that is not tracked (tracked() false), the
 * leftovers of a daemon that was killed.  A populated one is left as it is. */
void cgroup_sweep(CgroupSupport *s, bool (*tracked)(uint64_t id, void *userdata), void *userdata);
/* After a restart: a cgroup as the fd store recorded it (path, whether it
 * was removed already, its last CPU usage), nobody's yet and nothing open;
 * cgroup_free() lets go of it. */
Cgroup *cgroup_record_new(const char *path, bool removed, uint64_t cpu_usage_nsec);
/* Makes a recorded cgroup the live one of process id again: its path must be
 * exactly the "<subtree>/process-<id>" cgroup_new() makes (-EINVAL
 * otherwise), its cgroup.events watched again and its state read.  One that
 * is gone is kept as removed, with the CPU time recorded last. */
int cgroup_reattach(CgroupSupport *s, sd_event *event, uint64_t id, Cgroup *cg);
/* Opens the directory (dir_fd, again), for the child to start in: the
 * first run's, and each later run's of a process with a restart policy,
 * every run in the same cgroup. */
int cgroup_reopen(Cgroup *cg);
/* Watches its cgroup.events and reads it: the owner hears of changes from
 * now.  Not from the start: removing a watch after the rmdir costs ~90 µs
 * (the watch holds the deleted file's inode), and only a cgroup left
 * populated by its main process, or frozen, has changes worth hearing;
 * while the main process runs, nothing is.  Where the kernel refuses the
 * watch, the file is read every 0.5 s instead (logged once). */
int cgroup_watch(Cgroup *cg);
/* Closes and forgets; removes the cgroup only if it is empty (the daemon is
 * leaving: what runs in it keeps running). */
Cgroup *cgroup_free(Cgroup *cg);
/* The owner lets go: what is left is killed, the cgroup removed once empty. */
void cgroup_abandon(Cgroup *cg);
/* Removes an empty cgroup (its CPU time read first): 0, or -EBUSY while populated. */
int cgroup_remove(Cgroup *cg);

/* Whether any process is in it, read now from cgroup.events. */
bool cgroup_is_populated(Cgroup *cg);
/* sig to every process in it; SIGKILL through cgroup.kill where the kernel has it. */
int cgroup_signal(Cgroup *cg, int sig);
int cgroup_set_frozen(Cgroup *cg, bool frozen);

uint64_t cgroup_cpu_usage_nsec(Cgroup *cg);
uint64_t cgroup_memory_current(Cgroup *cg); /* UINT64_MAX: unknown */
uint64_t cgroup_tasks_current(Cgroup *cg);

/* The cgroup v2 path of pid (below the mount), from /proc/PID/cgroup. */
int cgroup_of_pid(pid_t pid, char **ret);
/* The id N of "<subtree>/process-N[/...]", 0 when path is not below one. */
uint64_t cgroup_process_id_of_path(const CgroupSupport *s, const char *path);

/* The Features word, or NULL. */
const char *cgroup_feature_name(const CgroupSupport *s);
