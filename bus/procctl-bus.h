/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The names of the procctl bus contract (org.procctl.Manager1(5) and the
 * interface XML beside this file), shared by the daemon and the client
 * library.  Nothing here has behaviour: it is the one place where a bus name,
 * path, interface or error name is spelled.
 */

#define PROCCTL_BUS_NAME            "org.procctl.Manager1"
#define PROCCTL_MANAGER_PATH        "/org/procctl/Manager1"
#define PROCCTL_PROCESS_PATH_PREFIX "/org/procctl/Manager1/process"
#define PROCCTL_MANAGER_INTERFACE   "org.procctl.Manager1"
#define PROCCTL_PROCESS_INTERFACE   "org.procctl.Process1"

#define PROCCTL_ERROR_EXEC_FAILED     "org.procctl.Error.ExecFailed"
#define PROCCTL_ERROR_NOT_RUNNING     "org.procctl.Error.NotRunning"
#define PROCCTL_ERROR_STILL_RUNNING   "org.procctl.Error.StillRunning"
#define PROCCTL_ERROR_NO_SUCH_USER    "org.procctl.Error.NoSuchUser"
#define PROCCTL_ERROR_LIMIT_EXCEEDED  "org.procctl.Error.LimitExceeded"

#define PROCCTL_ACTION_SPAWN          "org.procctl.spawn"
#define PROCCTL_ACTION_SPAWN_AS_USER  "org.procctl.spawn-as-user"
#define PROCCTL_ACTION_MANAGE         "org.procctl.manage"

/* Exit reasons, as in Wait, ProcessExited and the ExitReason property. */
#define PROCCTL_REASON_EXITED  "exited"
#define PROCCTL_REASON_KILLED  "killed"
#define PROCCTL_REASON_DUMPED  "dumped"
#define PROCCTL_REASON_UNKNOWN "unknown"

/* Process states, as in ListProcesses and the State property. */
#define PROCCTL_STATE_RUNNING "running"
#define PROCCTL_STATE_EXITED  "exited"
#define PROCCTL_STATE_RESTARTING "restarting" /* between runs, Features word "restart" */

/* Restart policies, the Spawn option `restart`. */
#define PROCCTL_RESTART_NO         "no"
#define PROCCTL_RESTART_ON_FAILURE "on-failure"
#define PROCCTL_RESTART_ALWAYS     "always"
