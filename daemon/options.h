/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Spawn's arguments, read from the message and checked: argv and the a{sv}
 * options of the contract.  Every key has exactly one type; an unknown key, a
 * key given twice or a value of another type is InvalidArgs, never ignored.
 * Sizes are bounded here (LimitExceeded), before anything is resolved.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "cgroup.h"
#include "restart.h"
#include "spawn.h"

#define SPAWN_MAX_ARGS 16384
#define SPAWN_MAX_ENV 16384
#define SPAWN_MAX_STRING_BYTES (2U * 1024U * 1024U) /* argv + environment, as the kernel's default */
#define SPAWN_MAX_DESCRIPTION 4096
#define SPAWN_DEFAULT_UMASK 0022
#define SPAWN_DEFAULT_STOP_TIMEOUT_USEC (10ULL * 1000000ULL)

typedef struct SpawnOptions {
        char **argv;
        char *executable;
        char *working_directory;
        char **environment;
        int stdio[3]; /* borrowed from the message; -1: /dev/null */
        SpawnFd *fds; /* the `fds` option; descriptors borrowed from the message */
        size_t n_fds;
        char *user;
        char *group;
        mode_t umask;
        bool kill_on_disconnect;
        bool tty; /* stdin is a terminal the child takes as its controlling terminal */
        uint64_t timeout_usec; /* 0: none */
        uint64_t stop_timeout_usec;
        char *description;
        bool capture_output; /* `output: capture` (output.h) */
        uint64_t output_max; /* 0: the default */
        bool kill_process_only; /* kill-mode `process` */
        CgroupLimits limits;
        const char *cgroup_option; /* the first option given that needs a cgroup; NULL: none */
        RestartPolicy restart;     /* `restart` and its timings (restart.h) */
        const char *restart_option; /* the first `restart-*` timing given; NULL: none */
        bool restart_delay_max_given;
} SpawnOptions;

void spawn_options_done(SpawnOptions *o);

/* Reads "as a{sv}" from m.  Returns 0, or a negative errno with error set. */
int spawn_options_parse(sd_bus_message *m, SpawnOptions *ret, sd_bus_error *error);

/* Reads Adopt's "a{sv}": description, kill-on-disconnect, timeout, stop-timeout. */
int adopt_options_parse(sd_bus_message *m, SpawnOptions *ret, sd_bus_error *error);
