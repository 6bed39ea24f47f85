/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adopt.h"
#include "auth.h"
#include "bus-error.h"
#include "macro.h"
#include "pidfd.h"
#include "process.h"
#include "procfs.h"
#include "spawn.h"
#include "procctl-bus.h"

/* A link of /proc/PID, or "" when it cannot be read. */
static char *read_link(pid_t pid, const char *what) {
        char *s = procfs_readlink(pid, what);
        return s ?: strdup("");
}

static char **read_cmdline(pid_t pid) {
        char buf[65536];
        char **l;
        size_t n = 0, k = 0;
        ssize_t len = procfs_read(pid, "cmdline", buf, sizeof(buf));

        if (len < 0)
                len = 0; /* gone: an empty command line */

        for (ssize_t i = 0; i < len; i++)
                if (buf[i] == '\0')
                        n++;
        if (len > 0 && buf[len - 1] != '\0')
                n++;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return NULL;
        for (ssize_t i = 0; i < len && k < n; i += (ssize_t) strlen(buf + i) + 1)
                if (!(l[k++] = strdup(buf + i)))
                        return strv_free(l);
        return l;
}

/* The start time in /proc/PID/stat counts clock ticks since boot. */
static uint64_t read_start_usec(pid_t pid) {
        char buf[1024], *p;
        unsigned long long ticks;
        uint64_t boot_usec;

        if (procfs_read(pid, "stat", buf, sizeof(buf)) <= 0)
                return 0;
        p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
                return 0;
        boot_usec = now_usec(CLOCK_REALTIME) - now_usec(CLOCK_BOOTTIME);
        return boot_usec + (uint64_t) ticks * 1000000ULL / (uint64_t) sysconf(_SC_CLK_TCK);
}

int adopt_describe(Process *p, bool paths_readable) {
        char **argv = read_cmdline(p->pid);

        /* A process in the middle of execve() shows an empty command line
         * until its new stack is set up: look again, briefly. */
        for (int i = 0; i < 5 && argv && !argv[0]; i++) {
                strv_free(argv);
                (void) nanosleep(&(struct timespec) { .tv_nsec = 1000000 }, NULL);
                argv = read_cmdline(p->pid);
        }
        if (!argv)
                return -ENOMEM;
        strv_free(p->argv);
        p->argv = argv;
        free(p->executable);
        p->executable = paths_readable ? read_link(p->pid, "exe") : strdup("");
        free(p->working_directory);
        p->working_directory = paths_readable ? read_link(p->pid, "cwd") : strdup("");
        p->start_usec = read_start_usec(p->pid) ?: p->start_usec;
        if (!p->executable || !p->working_directory)
                return -ENOMEM;
        return process_set_command_line(p);
}

typedef struct Adoption {
        const PidfdInfo *info;
        Peer *peer;
        SpawnOptions *options;
        sd_bus_error *error;
} Adoption;

static int describe_adopted(Process *p, void *userdata) {
        Adoption *a = userdata;
        int r;

        p->uid = a->info->euid;
        p->gid = a->info->egid;
        p->owner_uid = a->peer->uid;
        p->stop_timeout_usec = a->options->stop_timeout_usec;
        p->description = TAKE_PTR(a->options->description);
        p->group_leader = getpgid(p->pid) == p->pid;
        r = adopt_describe(p, auth_may_read_process(a->peer, p->pid, a->info));
        if (r < 0)
                return r;
        r = quota_charge_amount(p->manager, p->owner_uid, QUOTA_BYTES,
                                process_record_bytes(p->argv, p->executable, p->working_directory, p->description), &p->bytes,
                                a->error);
        if (r >= 0)
                r = quota_charge_listed(p->manager, quota_listed_bytes(p->executable, p->working_directory, p->description),
                                        true, &p->listed, a->error);
        if (r < 0)
                return r;
        /* What /proc said may be of a process that exited meanwhile: its PID
         * could be another's now.  Alive after the reading, it was this one. */
        if (pidfd_has_exited(p->pidfd))
                return -ESRCH;
        process_set_timeout(p, a->options->timeout_usec);
        if (a->options->kill_on_disconnect)
                process_set_kill_on_disconnect(p, a->peer);
        return 0;
}

int adopt_process(Manager *m, sd_bus_message *msg, Peer *peer, int fd, SpawnOptions *o, Process **ret, sd_bus_error *error) {
        PidfdInfo info;
        int pidfd, r;

        r = pidfd_get_info(fd, &info);
        if (r == -ESRCH)
                return sd_bus_error_set(error, PROCCTL_ERROR_NOT_RUNNING, "The process of this pidfd has exited");
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The descriptor is not a pidfd");
        if (info.pid == getpid())
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "procctld does not adopt itself");

        r = auth_check_adopt(m, msg, peer, &info, error);
        if (r <= 0)
                return r;

        /* Both alive with one PID: the same process. */
        Process *tracked = manager_find_running_by_pid(m, info.pid);
        if (tracked && tracked->pidfd >= 0 && !pidfd_has_exited(tracked->pidfd))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Process %d is tracked already as %s",
                                         (int) info.pid, tracked->path);

        pidfd = fcntl(fd, F_DUPFD_CLOEXEC, SPAWN_HIGH_FD_FLOOR);
        if (pidfd < 0)
                pidfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (pidfd < 0)
                return bus_error_from_errno(error, -errno, "Failed to keep the pidfd");

        r = process_track(m, 0, info.pid, pidfd, false, describe_adopted, &(Adoption) { &info, peer, o, error }, ret);
        if (r == -ESRCH)
                return sd_bus_error_set(error, PROCCTL_ERROR_NOT_RUNNING, "The process of this pidfd has exited");
        if (r < 0 && sd_bus_error_is_set(error))
                return r; /* past MaxBytesPerUser */
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to track the process");
        return 1;
}
