/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Manager1 interface and the registry of processes.  Spawn's pipeline is
 * launch.c, Adopt's adopt.c, the verbs on one process process.c; this file
 * finds processes, registers them and answers the listings.  The vtable at
 * the bottom is the table of contents.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "auth.h"
#include "bus-error.h"
#include "config.h"
#include "fdstore.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "peer.h"
#include "polkit.h"
#include "process.h"
#include "procctl-bus.h"
#include "quota.h"
#include "service.h"

static int process_compare(const void *a, const void *b) {
        uint64_t x = ((const Process *) a)->id, y = ((const Process *) b)->id;
        return x < y ? -1 : x > y;
}

static int pid_compare(const void *a, const void *b) {
        pid_t x = ((const Process *) a)->pid, y = ((const Process *) b)->pid;
        return x < y ? -1 : x > y;
}

static int inode_compare(const void *a, const void *b) {
        uint64_t x = ((const Process *) a)->inode, y = ((const Process *) b)->inode;
        return x < y ? -1 : x > y;
}

Process *manager_find_process(Manager *m, uint64_t id) {
        Process key = { .id = id };
        void **found = tfind(&key, &m->processes_by_id, process_compare);
        return found ? *found : NULL;
}

/* "/org/procctl/Manager1/process/<id>": decimal, no sign, no leading zero. */
Process *manager_find_process_by_path(Manager *m, const char *path) {
        const char *prefix = PROCCTL_PROCESS_PATH_PREFIX "/", *s;
        uint64_t id = 0;

        if (strncmp(path, prefix, strlen(prefix)) != 0)
                return NULL;
        s = path + strlen(prefix);
        if (!*s || *s == '0')
                return NULL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9' || id > (UINT64_MAX - 9) / 10)
                        return NULL;
                id = id * 10 + (uint64_t) (*s - '0');
        }
        return manager_find_process(m, id);
}

Process *manager_find_running_by_pid(Manager *m, pid_t pid) {
        Process key = { .pid = pid };
        void **found = tfind(&key, &m->running_by_pid, pid_compare);
        return found ? *found : NULL;
}

static Process *find_by_inode(Manager *m, uint64_t inode) {
        Process key = { .inode = inode };
        void **found = tfind(&key, &m->processes_by_inode, inode_compare);
        return found ? *found : NULL;
}

void manager_announce_process(Manager *m, Process *p) {
        (void) sd_bus_emit_object_added(m->bus, p->path);
}

int manager_register_process(Manager *m, Process *p) {
        int r;

        if (m->pidfd.unique_inodes && p->pidfd >= 0 && pidfd_get_inode(p->pidfd, &p->inode) < 0)
                p->inode = 0;
        bool running = !p->exited && !restart_pending(p); /* restored between two runs: not running */

        /* Between two runs it still counts as one of its owner's running
         * processes (manager_process_paused()). */
        if (!p->exited) {
                r = quota_charge(m, p->owner_uid, QUOTA_RUNNING, &p->running);
                if (r < 0)
                        return r;
        }
        if (!tsearch(p, &m->processes_by_id, process_compare) ||
            (running && !tsearch(p, &m->running_by_pid, pid_compare)) ||
            (p->inode != 0 && !tsearch(p, &m->processes_by_inode, inode_compare))) {
                (void) tdelete(p, &m->processes_by_id, process_compare);
                if (manager_find_running_by_pid(m, p->pid) == p)
                        (void) tdelete(p, &m->running_by_pid, pid_compare);
                charge_release(&p->running);
                return -ENOMEM;
        }
        LIST_APPEND(processes, m->processes, p);
        m->n_processes++;
        p->registered = true;
        if (p->exited)
                quota_retain(m, p); /* came back from the fd store already exited */
        service_process_count_changed(m);
        fdstore_save(m, p);
        return 0;
}

void manager_unregister_process(Manager *m, Process *p) {
        if (!p->registered)
                return;
        p->registered = false;
        if (!m->exiting) {
                (void) sd_bus_emit_object_removed(m->bus, p->path);
                fdstore_forget(m, p);
        }
        (void) tdelete(p, &m->processes_by_id, process_compare);
        if (manager_find_running_by_pid(m, p->pid) == p)
                (void) tdelete(p, &m->running_by_pid, pid_compare);
        if (p->inode != 0)
                (void) tdelete(p, &m->processes_by_inode, inode_compare);
        LIST_REMOVE(processes, m->processes, p);
        m->n_processes--;
        charge_release(&p->running);
        quota_unretain(p);
        service_process_count_changed(m);
}

/* How long a cgroup made ahead waits for its Spawn before it is removed:
 * a daemon that starts nothing leaves no empty cgroup behind for long. */
#define SPARE_CGROUP_USEC (2 * 1000 * 1000)

static int on_spare_cgroup_unused(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        cgroup_drop_spare(&m->cgroup);
        return 0;
}

static int on_spare_cgroup(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        int r;

        if (cgroup_prepare(&m->cgroup, m->event, ids_peek(&m->ids)) < 0)
                return 0;
        r = sd_event_source_set_time_relative(m->spare_cgroup_timer, SPARE_CGROUP_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->spare_cgroup_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                cgroup_drop_spare(&m->cgroup); /* nothing would remove it */
        return 0;
}

/* The sources that make and remove the cgroup made ahead, both off until a
 * process ends.  Made at start, so that the descriptors the daemon holds
 * (sd-event's timerfd for the clock) are the same from its start: a caller
 * sees no descriptor come and go with its calls.  None (no cgroups, or no
 * memory): Spawn makes each cgroup itself. */
static void manager_setup_spare_cgroup(Manager *m) {
        int r;

        if (!m->cgroup.usable)
                return;
        r = sd_event_add_defer(m->event, &m->spare_cgroup_source, on_spare_cgroup, m);
        if (r >= 0)
                r = sd_event_source_set_priority(m->spare_cgroup_source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->spare_cgroup_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->spare_cgroup_timer, CLOCK_MONOTONIC, SPARE_CGROUP_USEC,
                                               100 * 1000, on_spare_cgroup_unused, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->spare_cgroup_timer, SD_EVENT_OFF);
        if (r < 0) {
                log_debug_errno(r, "Cannot make cgroups ahead: %m");
                m->spare_cgroup_source = sd_event_source_disable_unref(m->spare_cgroup_source);
                m->spare_cgroup_timer = sd_event_source_disable_unref(m->spare_cgroup_timer);
        }
}

/* The next Spawn's cgroup is made once nothing else is pending: after a
 * process has ended and its replies have gone out (the next Spawn's, or
 * while a child runs), not in the Spawn itself. */
static void manager_prepare_cgroup(Manager *m) {
        if (m->spare_cgroup_source && !m->exiting)
                (void) sd_event_source_set_enabled(m->spare_cgroup_source, SD_EVENT_ONESHOT);
}

void manager_process_exited(Manager *m, Process *p) {
        if (manager_find_running_by_pid(m, p->pid) == p)
                (void) tdelete(p, &m->running_by_pid, pid_compare);
        charge_release(&p->running);
        quota_retain(m, p);
        manager_prepare_cgroup(m);
}

/* It keeps its charge of a running process: one that waits for its next
 * run is not a free slot, or a user could hold any number of them (and the
 * descriptors kept for their runs) past MaxRunningPerUser. */
void manager_process_paused(Manager *m, Process *p) {
        if (manager_find_running_by_pid(m, p->pid) == p)
                (void) tdelete(p, &m->running_by_pid, pid_compare);
}

int manager_process_resumed(Manager *m, Process *p) {
        if (p->inode != 0)
                (void) tdelete(p, &m->processes_by_inode, inode_compare);
        if (!m->pidfd.unique_inodes || p->pidfd < 0 || pidfd_get_inode(p->pidfd, &p->inode) < 0)
                p->inode = 0;
        if (!tsearch(p, &m->running_by_pid, pid_compare) ||
            (p->inode != 0 && !tsearch(p, &m->processes_by_inode, inode_compare)))
                return -ENOMEM;
        return 0;
}

int manager_check_new_process(Manager *m, Peer *peer, sd_bus_error *error) {
        int r = quota_check_total(m, error);
        if (r >= 0)
                r = quota_check(m, peer->uid, QUOTA_RUNNING, error);
        return r < 0 ? r : quota_check_descriptors(m, error);
}

static int method_spawn(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return launch_spawn(userdata, msg, error);
}

/* The verbs on a process named by path; the work is in process.c. */

static int read_process(sd_bus_message *msg, Manager *m, Process **ret, sd_bus_error *error) {
        const char *path;
        int r;

        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0)
                return r;
        *ret = manager_find_process_by_path(m, path);
        if (!*ret)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No process %s", path);
        return 0;
}

static int method_signal_common(sd_bus_message *msg, Manager *m, bool group, sd_bus_error *error) {
        Process *p;
        int32_t sig;
        int r;

        r = read_process(msg, m, &p, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "i", &sig);
        if (r < 0)
                return r;
        return process_act_signal(msg, p, sig, group, error);
}

static int method_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_signal_common(msg, userdata, false, error);
}

static int method_signal_group(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_signal_common(msg, userdata, true, error);
}

static int method_wait(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Process *p;
        int r = read_process(msg, userdata, &p, error);
        return r < 0 ? r : process_act_wait(msg, p, error);
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Process *p;
        int r = read_process(msg, userdata, &p, error);
        return r < 0 ? r : process_act_stop(msg, p, error);
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Process *p;
        int r = read_process(msg, userdata, &p, error);
        return r < 0 ? r : process_act_release(msg, p, error);
}

static int method_restart_process(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Process *p;
        int r = read_process(msg, userdata, &p, error);
        return r < 0 ? r : process_act_restart(msg, p, error);
}

static int method_freeze_common(sd_bus_message *msg, Manager *m, bool freeze, sd_bus_error *error) {
        Process *p;
        int r = read_process(msg, m, &p, error);
        return r < 0 ? r : process_act_freeze(msg, p, freeze, error);
}

static int method_freeze_process(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_freeze_common(msg, userdata, true, error);
}

static int method_thaw_process(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_freeze_common(msg, userdata, false, error);
}

/* The tracked process whose cgroup holds pid (any process in it, not only
 * the main one); without a cgroup, the process whose main PID it is. */
static int method_get_process_by_pid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        Manager *m = userdata;
        Process *p = NULL;
        uint32_t pid;
        int r;

        r = sd_bus_message_read(msg, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Not a process id: %u", pid);
        if (m->cgroup.usable && cgroup_of_pid((pid_t) pid, &path) >= 0) {
                p = manager_find_process(m, cgroup_process_id_of_path(&m->cgroup, path));
                if (p && (!p->cgroup || p->cgroup->removed))
                        p = NULL;
        }
        if (!p)
                p = manager_find_running_by_pid(m, (pid_t) pid);
        if (!p)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No tracked process holds PID %u", pid);
        return sd_bus_reply_method_return(msg, "o", p->path);
}

static int pidfds_not_supported(sd_bus_error *error) {
        return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                "pidfds are not usable on this system (procctld runs on PIDs)");
}

static int method_get_pidfd(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Process *p;
        int r = read_process(msg, userdata, &p, error);
        return r < 0 ? r : process_act_get_pidfd(msg, p, error);
}

static int method_get_process_by_pidfd(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Process *p = NULL;
        PidfdInfo info;
        uint64_t inode;
        int fd, r;

        if (!m->pidfd.usable)
                return pidfds_not_supported(error);
        r = sd_bus_message_read(msg, "h", &fd);
        if (r < 0)
                return r;

        r = pidfd_get_info(fd, &info);
        if (r < 0 && r != -ESRCH)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The descriptor is not a pidfd");
        if (m->pidfd.unique_inodes) {
                /* pidfs gives each process one inode: exact, even after it exited. */
                if (pidfd_get_inode(fd, &inode) >= 0)
                        p = find_by_inode(m, inode);
        } else if (r >= 0) {
                p = manager_find_running_by_pid(m, info.pid);
                if (p && (p->pidfd < 0 || pidfd_has_exited(p->pidfd) || pidfd_has_exited(fd)))
                        p = NULL; /* cannot tell whether they were the same process */
        }
        if (!p)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No tracked process has this pidfd");
        return sd_bus_reply_method_return(msg, "o", p->path);
}

static int method_adopt(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(spawn_options_done) SpawnOptions o = {};
        Manager *m = userdata;
        Process *p;
        Peer *peer;
        int fd, r;

        if (!m->pidfd.usable)
                return pidfds_not_supported(error);
        r = peer_from_message(m, msg, &peer, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "h", &fd);
        if (r < 0)
                return r;
        r = manager_check_new_process(m, peer, error);
        if (r < 0)
                return r;
        r = adopt_options_parse(msg, &o, error);
        if (r < 0)
                return r;
        r = adopt_process(m, msg, peer, fd, &o, &p, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: polkit was asked, this call runs again when it answers */
        r = sd_bus_reply_method_return(msg, "o", p->path);
        manager_announce_process(m, p);
        return r;
}

static int method_list_processes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ouuss)");
        if (r < 0)
                return r;
        LIST_FOREACH(processes, p, m->processes) {
                r = sd_bus_message_append(reply, "(ouuss)", p->path, (uint32_t) p->pid, (uint32_t) p->uid,
                                          process_state(p), p->command_line);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PROCCTL_VERSION);
}

static int property_get_process_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) m->n_processes);
}

void manager_feature_names(const PidfdSupport *s, const CgroupSupport *cg, const char *ret[static 10]) {
        size_t n = 0;

        pidfd_feature_names(s, ret);
        while (ret[n])
                n++;
        ret[n++] = "output"; /* captured output, output.h */
        ret[n++] = "restart"; /* restart policies, restart.h */
        ret[n] = cgroup_feature_name(cg); /* "cgroup", or NULL without a subtree of our own */
        if (ret[n])
                n++;
        ret[n] = NULL;
}

static int property_get_features(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *names[10];

        manager_feature_names(&m->pidfd, &m->cgroup, names);
        return sd_bus_message_append_strv(reply, (char **) names);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        /* No change signal: two more broadcasts per process would cost every spawn; read it when needed. */
        SD_BUS_PROPERTY("ProcessCount", "u", property_get_process_count, 0, 0),
        SD_BUS_PROPERTY("Features", "as", property_get_features, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Spawn", SD_BUS_ARGS("as", argv, "a{sv}", options), SD_BUS_RESULT("o", process, "u", pid),
                                method_spawn, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Signal", SD_BUS_ARGS("o", process, "i", signal), SD_BUS_NO_RESULT, method_signal,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SignalGroup", SD_BUS_ARGS("o", process, "i", signal), SD_BUS_NO_RESULT,
                                method_signal_group, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Wait", SD_BUS_ARGS("o", process), SD_BUS_RESULT("s", reason, "i", status), method_wait,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("o", process), SD_BUS_RESULT("s", reason, "i", status), method_stop,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_ARGS("o", process), SD_BUS_NO_RESULT, method_release,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProcesses", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ouuss)", processes),
                                method_list_processes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPidfd", SD_BUS_ARGS("o", process), SD_BUS_RESULT("h", pidfd), method_get_pidfd,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetProcessByPidfd", SD_BUS_ARGS("h", pidfd), SD_BUS_RESULT("o", process),
                                method_get_process_by_pidfd, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Adopt", SD_BUS_ARGS("h", pidfd, "a{sv}", options), SD_BUS_RESULT("o", process),
                                method_adopt, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("FreezeProcess", SD_BUS_ARGS("o", process), SD_BUS_NO_RESULT, method_freeze_process,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ThawProcess", SD_BUS_ARGS("o", process), SD_BUS_NO_RESULT, method_thaw_process,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RestartProcess", SD_BUS_ARGS("o", process), SD_BUS_RESULT("u", new_pid),
                                method_restart_process, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetProcessByPid", SD_BUS_ARGS("u", pid), SD_BUS_RESULT("o", process),
                                method_get_process_by_pid, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("ProcessExited", SD_BUS_ARGS("o", process, "s", reason, "i", status), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ProcessRestarted", SD_BUS_ARGS("o", process, "s", reason, "i", status, "u", new_pid), 0),
        SD_BUS_VTABLE_END,
};

int manager_new(sd_event *event, sd_bus *bus, bool user_mode, const char *runtime_dir, Manager **ret) {
        Manager *m = calloc(1, sizeof(Manager));

        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        m->user_mode = user_mode;
        m->privileged = geteuid() == 0;
        m->devnull_fd = -1;
        m->cgroup.subtree_fd = m->cgroup.inotify_fd = -1;
        if (ids_init(&m->ids, runtime_dir) < 0) {
                manager_free(m);
                return -ENOMEM;
        }
        m->limits = LIMITS_DEFAULT;
        m->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (m->devnull_fd < 0) {
                int r = -errno;
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->exiting = true;
        service_stop(m);
        peer_free_all(m); /* and with the callers, their Spawns under way */
        sd_event_source_disable_unref(m->auth_expiry);
        while (m->processes.head)
                process_free(m->processes.head);
        sd_event_source_disable_unref(m->spare_cgroup_source);
        sd_event_source_disable_unref(m->spare_cgroup_timer);
        cgroup_support_done(&m->cgroup);
        safe_close(m->devnull_fd);
        identity_cache_clear(&m->identities);
        ids_done(&m->ids);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static bool process_id_tracked(uint64_t id, void *userdata) {
        return manager_find_process(userdata, id) != NULL;
}

int manager_start(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, PROCCTL_MANAGER_PATH, PROCCTL_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager object: %m");
        r = sd_bus_add_fallback_vtable(m->bus, NULL, PROCCTL_PROCESS_PATH_PREFIX, PROCCTL_PROCESS_INTERFACE, process_vtable,
                                       process_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the process objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, PROCCTL_PROCESS_PATH_PREFIX, process_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the process enumerator: %m");
        r = sd_bus_add_object_manager(m->bus, NULL, PROCCTL_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object manager: %m");
        r = peer_watch_departures(m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for callers leaving the bus: %m");
        r = polkit_watch(m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for polkit on the bus: %m");

        m->fds_base = quota_descriptors_in_use();
        if (m->fds_base == UINT_MAX)
                m->fds_base = 64; /* no /proc: a guess, and quota_check_descriptors() refuses near the limit */
        if (quota_descriptor_capacity(m) < m->limits.processes_total)
                log_warning("RLIMIT_NOFILE leaves room for about %llu processes, fewer than MaxProcesses (%u): "
                            "%llu descriptors are kept free for incoming requests; raise LimitNOFILE= to track more",
                            quota_descriptor_capacity(m), m->limits.processes_total, quota_descriptor_reserve());

        if (m->fd_store && m->pidfd.usable)
                (void) fdstore_restore(m);
        cgroup_sweep(&m->cgroup, process_id_tracked, m);
        manager_setup_spare_cgroup(m);

        r = sd_bus_request_name(m->bus, PROCCTL_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to take the bus name " PROCCTL_BUS_NAME ": %m");
        return 0;
}
