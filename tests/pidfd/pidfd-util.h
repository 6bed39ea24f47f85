/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the pidfd tests share on top of the fixture (../fixture.h): pidfds of
 * the test's own processes, children the test starts and reaps itself (to
 * adopt them), and the pidfd methods of Manager1, which pass descriptors.
 */

#include "fixture.h"

#include <sys/types.h>

#define PC_ERROR_NOT_SUPPORTED "org.freedesktop.DBus.Error.NotSupported"

/* The inode number of a descriptor (pidfs: one per process). */
guint64 pt_inode(int fd);

/* Whether fd lives on pidfs (Linux 6.9+): pidfds of one process then share
 * one inode number. */
gboolean pt_is_on_pidfs(int fd);

/* Forks and execs argv (argv[0] an absolute path) as a child of the test,
 * with stdin from stdin_fd (or /dev/null when -1), stdout/stderr to
 * /dev/null, killed if the test dies.  ignore_term leaves SIGTERM ignored
 * across exec.  Returns its PID. */
pid_t pt_start_child(const char *const *argv, int stdin_fd, gboolean ignore_term);

/* Waits until pid runs a program whose path ends with exe_suffix (after
 * fork, before exec, it still is a copy of the test). */
void pt_wait_exec(pid_t pid, const char *exe_suffix);

/* Reaps a child of the test in a thread of its own, as a parent that does
 * its duty would, so that the test can make blocking calls meanwhile. */
typedef struct PtReaper PtReaper;
PtReaper *pt_reaper_new(pid_t pid);
/* Waits for the reaper; returns the wait status. */
int pt_reaper_join(PtReaper *r);

/* Kills (SIGKILL) and reaps a child of the test, if it still exists. */
void pt_kill_and_reap(pid_t pid);

/* Adopt(pidfd, options) on conn (fx->conn when NULL); options NULL for none.
 * Returns the object path or NULL with error set. */
char *pt_adopt_on(PcFixture *fx, GDBusConnection *conn, int pidfd, GVariant *options, GError **error);
char *pt_adopt(PcFixture *fx, int pidfd, GVariant *options, GError **error);

/* GetPidfd(path): returns the received descriptor (owned by the caller) or -1
 * with error set. */
int pt_get_pidfd(PcFixture *fx, const char *path, GError **error);

/* GetProcessByPidfd(pidfd): the object path or NULL with error set. */
char *pt_get_process_by_pidfd(PcFixture *fx, int pidfd, GError **error);

/* Runs pc-pidfd-call as uid:gid (setpriv) with call ("adopt", "find",
 * "get-pidfd") and its argument; returns the result line, or NULL with the
 * remote error set. */
char *pt_pidfd_call_as(PcFixture *fx, uid_t uid, gid_t gid, const char *call, const char *arg, GError **error);

/* Spawn, asserting success. */
char *pt_spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, guint32 *pid);

/* The Features property. */
char **pt_features(PcFixture *fx);
