/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * From what went wrong inside the daemon to the D-Bus error a caller sees.
 * Every reply error is set through these, so the mapping is in one place.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "procctl-bus.h"
#include "spawn.h"

/* Maps a negative errno to a standard error name, with "context: strerror"
 * as the message.  Returns the negative errno it was given. */
int bus_error_from_errno(sd_bus_error *error, int r, const char *context);

/* LimitExceeded for a daemon out of descriptors, logged the first time. */
int bus_error_out_of_descriptors(sd_bus_error *error);

/* The error of a child that could not exec: always ExecFailed, with a message
 * naming the file or call and the reason. */
int bus_error_from_spawn_failure(sd_bus_error *error, const SpawnFailure *f, const char *file, const char *working_directory,
                                 uid_t uid, gid_t gid);
