/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Restart policies in the CLI: `procctl spawn --restart=…`, systemd's
 * spelling (-p Restart=… and friends, through cli_restart_property()),
 * what list and status show of them, and `procctl restart`.
 */

#include <stdbool.h>
#include <stdint.h>

#include "procctl.h"

typedef struct RestartArgs {
        const char *policy;      /* "no", "on-failure", "always"; NULL: not given */
        uint64_t delay;          /* --restart-delay, RestartSec */
        uint64_t delay_max;      /* --restart-delay-max, RestartMaxDelaySec */
        unsigned limit;          /* --restart-limit=N/…, StartLimitBurst */
        uint64_t interval;       /* --restart-limit=…/TIME, StartLimitIntervalSec */
        bool delay_set, delay_max_set, limit_set, interval_set;
} RestartArgs;

/* getopt_long ids of the spawn options below, from base on. */
enum { RESTART_ARG_POLICY, RESTART_ARG_DELAY, RESTART_ARG_DELAY_MAX, RESTART_ARG_LIMIT, _RESTART_ARG_MAX };

#define RESTART_LONG_OPTIONS(base)                                                         \
        { "restart",           required_argument, NULL, (base) + RESTART_ARG_POLICY    }, \
        { "restart-delay",     required_argument, NULL, (base) + RESTART_ARG_DELAY     }, \
        { "restart-delay-max", required_argument, NULL, (base) + RESTART_ARG_DELAY_MAX }, \
        { "restart-limit",     required_argument, NULL, (base) + RESTART_ARG_LIMIT     }

#define RESTART_OPTIONS_HELP                                                                 \
        "      --restart=POLICY     Run CMD again when it ends: on-failure (a non-zero\n"    \
        "                           exit, a signal, a timeout), always, or no\n"             \
        "      --restart-delay=T    Before the first restart (default 100ms); doubles\n"     \
        "                           after each one, up to --restart-delay-max (30s)\n"       \
        "      --restart-delay-max=T\n"                                                      \
        "      --restart-limit=N/T  At most N restarts within T (default 5/10s)\n"

/* One of RESTART_LONG_OPTIONS (which = c - base): 0, or -EINVAL with the
 * error printed. */
int cli_restart_option(int which, const char *value, RestartArgs *a);

/* systemd's properties: Restart=, RestartSec=, RestartMaxDelaySec=,
 * StartLimitBurst=, StartLimitIntervalSec=.  0, -EINVAL (printed) for a bad
 * value, -ENOENT for a name that is not one of them (not printed). */
int cli_restart_property(const char *name, const char *value, RestartArgs *a);

/* The restart options onto options: 0, or -EINVAL (printed). */
int cli_restart_apply(const RestartArgs *a, procctl_spawn_options *options);

/* Between two runs (State "restarting"). */
bool cli_restart_pending(const procctl_process_info *info);

/* status: the runs after the first, and during the delay how the last one
 * ended and when the next starts. */
void cli_restart_status_print(const procctl_process_info *info);

int verb_restart(int argc, char *argv[]);
