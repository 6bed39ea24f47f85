/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Taking on a process the daemon did not start, from a pidfd the caller
 * holds: the kernel says through the pidfd who the process is and whether
 * the caller may signal it; the daemon then tracks it like a spawned one,
 * seeing its exit through pidfd readiness.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "manager.h"
#include "options.h"
#include "peer.h"

/* 1: adopted; 0: polkit was asked (see auth.h); <0: error set. */
int adopt_process(Manager *m, sd_bus_message *msg, Peer *peer, int pidfd, SpawnOptions *o, Process **ret, sd_bus_error *error);

/* Fills argv, executable, working directory and start time of a process from
 * /proc; descriptive only, and re-checked against the pidfd afterwards.  The
 * executable and working directory stay empty unless paths_readable
 * (auth_may_read_process()). */
int adopt_describe(Process *p, bool paths_readable);
