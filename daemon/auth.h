/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who may do what: the contract's table, one check per method.  Each check
 * returns 1 when the call may go on, or a negative errno with the D-Bus error
 * set.  (0 is reserved for "asked polkit, the method runs again when it
 * answers", once polkit is spoken.)
 */

#include <systemd/sd-bus.h>

#include "identity.h"
#include "manager.h"
#include "peer.h"
#include "process.h"

/* Spawning as `target`: anyone as themselves; only root as another user or
 * with a group the user is not a member of. */
int auth_check_spawn(Manager *m, sd_bus_message *msg, Peer *peer, const Identity *target, sd_bus_error *error);

/* Signal, SignalGroup, Wait, Stop, Release: the owner and root. */
int auth_check_act(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error);
