/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * procctl run|spawn -p/--property NAME=VALUE, in systemd-run's spelling
 * (-p MemoryMax=512M, -p CPUQuota=20%).  Each family of properties is a
 * handler that knows its names: it returns -ENOENT for a name it does not
 * know, -EINVAL for a bad value (printed), 0 once the value is in the spawn
 * options.  cli_property_apply() asks the handlers of cli-property.c's
 * list in turn; a new family is one more line there.
 */

#include <stdint.h>

#include "cli-restart.h"
#include "procctl.h"

/* What the properties set: the spawn options, and the restart policy's
 * arguments (NULL for `procctl run`, which has none). */
typedef struct CliPropertyTarget {
        procctl_spawn_options *options;
        RestartArgs *restart;
} CliPropertyTarget;

typedef int (*CliPropertyHandler)(const char *name, const char *value, CliPropertyTarget *target);

/* The process tree's: MemoryMax=, TasksMax=, CPUWeight=, CPUQuota=, KillMode=. */
int cli_cgroup_property(const char *name, const char *value, procctl_spawn_options *options);

/* A cgroup limit's value as the Spawn option takes it: *ret_option is
 * "memory-max", … ; -ENOENT: not a limit's name; -EINVAL: a bad value. */
int cli_cgroup_limit_value(const char *name, const char *value, const char **ret_option, uint64_t *ret);

/* NAME=VALUE into options, by the first handler that knows NAME; prints
 * what is wrong ("unknown property"), and returns -EINVAL then. */
int cli_property_apply(const char *assignment, CliPropertyTarget *target);
