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

/* Manager1.Spawn. */
int launch_spawn(Manager *m, sd_bus_message *msg, sd_bus_error *error);

/* Kills the child of a Spawn not yet answered, and forgets the call. */
Launch *launch_free(Launch *l);
