/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's life as a service: what it tells the service manager
 * (READY, STATUS, STOPPING) and exiting when idle after bus activation,
 * never while it tracks a process or has a caller waiting on polkit.
 */

#include <stdint.h>

#include "manager.h"

/* exit_idle_usec 0: never exit when idle. */
int service_start(Manager *m, uint64_t exit_idle_usec);
void service_stop(Manager *m);

/* The number of tracked processes changed. */
void service_process_count_changed(Manager *m);
