/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * bus-floor: the least a process service on D-Bus can cost, to measure
 * procctld against (bench/floor.sh).  It answers Spawn, Wait and Release
 * of org.procctl.Manager1 with the same signatures and does only what no
 * such service can leave out: it reads the call, starts the program with
 * posix_spawn (vfork-style, in a new session as the contract asks, with
 * /dev/null as 0, 1 and 2), learns of its exit from sd-event, and answers.
 * No authorization, no identity, no limits, no pidfd of its own, no
 * cgroup, no objects or properties, no signals, no record kept past
 * Release.  It is a benchmark's yardstick, not a service: it trusts every
 * caller and is never installed.
 *
 *   bus-floor [--user] [--short-slice]     (the bus from the environment;
 *                                           other arguments are ignored)
 *
 * --user: the session bus, not the system bus.  --short-slice: ask the
 * scheduler for the 0.1 ms slice procctld asks for (daemon/main.c), so that
 * it is woken at its child's exec as procctld is; without it the Spawn reply
 * waits until the program blocks or its slice runs out.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define BUS_NAME       "org.procctl.Manager1"
#define MANAGER_PATH   "/org/procctl/Manager1"
#define PROCESS_PREFIX "/org/procctl/Manager1/process/"
#define MAX_PROCESSES  1024

extern char **environ;

/* The kernel's struct sched_attr (glibc 2.36 has no wrapper, and
 * <linux/sched/types.h> clashes with <sched.h>). */
struct floor_sched_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};
#define FLOOR_SCHED_FLAG_RESET_ON_FORK 0x01

typedef struct Child {
        uint64_t id; /* 0: a free slot */
        pid_t pid;
        bool exited;
        const char *reason;
        int status;
        sd_event_source *source;
        sd_bus_message *waiting[8]; /* Waits to answer at the exit */
        size_t n_waiting;
} Child;

static Child children[MAX_PROCESSES];
static uint64_t next_id = 1;
static int devnull = -1;

/* The child the call's object path names: 0, or a negative errno with error set. */
static int child_from_call(sd_bus_message *m, sd_bus_error *error, Child **ret) {
        const char *path;
        uint64_t id;
        char *end;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        if (strncmp(path, PROCESS_PREFIX, strlen(PROCESS_PREFIX)) != 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no such process");
        id = strtoull(path + strlen(PROCESS_PREFIX), &end, 10);
        if (*end || id == 0 || children[id % MAX_PROCESSES].id != id)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no such process");
        *ret = &children[id % MAX_PROCESSES];
        return 0;
}

static int reply_status(sd_bus_message *m, const Child *c) {
        return sd_bus_reply_method_return(m, "si", c->reason, c->status);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Child *c = userdata;

        c->exited = true;
        c->reason = si->si_code == CLD_EXITED ? "exited" : si->si_code == CLD_DUMPED ? "dumped" : "killed";
        c->status = si->si_status;
        for (size_t i = 0; i < c->n_waiting; i++) {
                (void) reply_status(c->waiting[i], c);
                sd_bus_message_unref(c->waiting[i]);
        }
        c->n_waiting = 0;
        c->source = sd_event_source_unref(c->source);
        return 0;
}

static int method_spawn(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        char **argv = NULL;
        char path[64];
        pid_t pid;
        int r;

        r = sd_bus_message_read_strv(m, &argv);
        if (r < 0)
                return r;
        if (!argv || !argv[0]) {
                free(argv);
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "argv is empty");
        }
        Child *c = &children[next_id % MAX_PROCESSES];
        if (c->id != 0) {
                for (char **a = argv; *a; a++)
                        free(*a);
                free(argv);
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED, "too many processes");
        }

        posix_spawn_file_actions_init(&actions);
        for (int fd = 0; fd < 3; fd++)
                posix_spawn_file_actions_adddup2(&actions, devnull, fd);
        posix_spawnattr_init(&attr);
        sigset_t empty;
        sigemptyset(&empty);
        posix_spawnattr_setsigmask(&attr, &empty); /* SIGCHLD is blocked here */
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
        r = posix_spawn(&pid, argv[0], &actions, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
        for (char **a = argv; *a; a++)
                free(*a);
        free(argv);
        if (r != 0)
                return sd_bus_error_set_errnof(error, r, "posix_spawn: %s", strerror(r));

        *c = (Child) { .id = next_id++, .pid = pid };
        r = sd_event_add_child(sd_bus_get_event(sd_bus_message_get_bus(m)), &c->source, pid, WEXITED, on_child_exit, c);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), PROCESS_PREFIX "%" PRIu64, c->id);
        return sd_bus_reply_method_return(m, "ou", path, (uint32_t) pid);
}

static int method_wait(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Child *c;
        int r = child_from_call(m, error, &c);

        if (r < 0)
                return r;
        if (c->exited)
                return reply_status(m, c);
        if (c->n_waiting == sizeof(c->waiting) / sizeof(c->waiting[0]))
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED, "too many waiters");
        c->waiting[c->n_waiting++] = sd_bus_message_ref(m);
        return 1;
}

static int method_release(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Child *c;
        int r = child_from_call(m, error, &c);

        if (r < 0)
                return r;
        if (!c->exited)
                return sd_bus_error_set(error, "org.procctl.Error.StillRunning", "still running");
        c->id = 0;
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Spawn", "asa{sv}", "ou", method_spawn, 0),
        SD_BUS_METHOD("Wait", "o", "si", method_wait, 0),
        SD_BUS_METHOD("Release", "o", "", method_release, 0),
        SD_BUS_VTABLE_END,
};

int main(int argc, char *argv[]) {
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        bool user = false;
        sigset_t mask;
        int r;

        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--user") == 0)
                        user = true;
                else if (strcmp(argv[i], "--short-slice") == 0) {
                        struct floor_sched_attr attr = { .size = sizeof(attr), .sched_policy = 0 /* SCHED_OTHER */,
                                                         .sched_flags = FLOOR_SCHED_FLAG_RESET_ON_FORK,
                                                         .sched_runtime = 100 * 1000 };
                        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                                fprintf(stderr, "bus-floor: sched_setattr: %s\n", strerror(errno));
                }

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL); /* sd-event's child sources want it blocked */

        r = sd_event_default(&event);
        if (r >= 0)
                r = user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, MANAGER_PATH, BUS_NAME, manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, BUS_NAME, 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_loop(event);
        if (r < 0)
                fprintf(stderr, "bus-floor: %s\n", strerror(-r));
        sd_bus_unref(bus);
        sd_event_unref(event);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
