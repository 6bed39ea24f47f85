/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who may do what: the contract's table, one check at the top of each method.
 * Root may do anything; a caller may act on its own processes; the rest is
 * polkit's to decide (polkit.h).  Each check returns 1 when the call may go
 * on, a negative errno with the D-Bus error set when it may not, or 0 when
 * polkit has been asked: the method then returns and is dispatched again,
 * with the same message, once polkit answers (as systemd's
 * bus_verify_polkit_async() does).
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "identity.h"
#include "manager.h"
#include "peer.h"
#include "pidfd.h"
#include "options.h"
#include "process.h"

/* Spawn as target: org.procctl.spawn as oneself, org.procctl.spawn-as-user
 * for another user, or for a primary group the caller's own credentials lack
 * (also through another account with its uid).  polkit is asked with the
 * details of what will really run: program (the resolved absolute file, which
 * the child then executes by descriptor), command_line (argv joined by
 * spaces), environment (the entries the caller set, one per line), user, uid
 * and gid; program_fd (-1: none) is that file, which must still be the same
 * file when the call runs again with polkit's answer.  For another user, the
 * variables glibc honours only for trusted programs (LD_PRELOAD, ...) are
 * InvalidArgs unless the caller is root. */
int auth_check_spawn(Manager *m, sd_bus_message *msg, Peer *peer, const Identity *target, const char *program,
                     int program_fd, char *const *argv, char *const *environment, sd_bus_error *error);

/* The supplementary groups the child of an authorized Spawn gets (free
 * *ret): the target's, but for a non-root caller spawning as itself without
 * spawn-as-user only those its own credentials hold. */
int auth_spawn_groups(const Peer *peer, const Identity *target, gid_t **ret, size_t *ret_n);

/* Signal, SignalGroup, Wait, Stop, Release, GetPidfd: the owner, root, or org.procctl.manage. */
int auth_check_act(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error);

/* Signal, SignalGroup (group) and Stop (group if it leads one), once
 * auth_check_act() passed: an owner that is not root signals only what its
 * own kill(2) could (its uid is the real or saved uid of the process, of each
 * member of the group, now), else org.procctl.manage is asked. */
int auth_check_signal(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, bool group, sd_bus_error *error);

/* Adopt: a process the caller may signal itself (kill(2)'s rule), else org.procctl.manage. */
int auth_check_adopt(Manager *m, sd_bus_message *msg, Peer *peer, const PidfdInfo *info, sd_bus_error *error);

/* Whether the caller could read the process's /proc/PID/exe and cwd itself
 * (ptrace's read rule): root, or its uid is the process's real, effective and
 * saved uid and the process is dumpable.  Adopt publishes them only then. */
bool auth_may_read_process(const Peer *peer, pid_t pid, const PidfdInfo *info);

/* What a Spawn may ask for once authorized: a daemon not running as root
 * starts processes only as itself, and another user's process gets none of
 * the caller's terminals (only a fresh pseudo-terminal no session has). */
int auth_check_spawn_identity(Manager *m, Peer *peer, const SpawnOptions *o, const Identity *id, sd_bus_error *error);
