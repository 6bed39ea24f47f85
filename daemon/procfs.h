/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every reading of /proc by the daemon, in one place: a process's files
 * (pid 0 is the daemon itself, /proc/self), a walk over every process, and
 * the ids a process runs with.  What /proc says of another process is a
 * snapshot: a PID may be reused as soon as its process is reaped, so callers
 * check the process is still alive through its pidfd, or read through a
 * directory descriptor of /proc/PID they opened once (which keeps pointing
 * at that process, or at nothing).
 */

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pidfd.h"

/* /proc/PID (or /proc/self) as an O_DIRECTORY descriptor, or -errno. */
int procfs_open_dir(pid_t pid);

/* Reads up to size - 1 bytes of /proc/PID/NAME (or NAME under dirfd) and
 * terminates them; returns the length, or -errno (the process is gone). */
ssize_t procfs_read(pid_t pid, const char *name, char *buf, size_t size);
ssize_t procfs_read_at(int dirfd, const char *name, char *buf, size_t size);

/* /proc/PID/NAME opened for reading line by line (mountinfo, cgroup, ...),
 * or NULL with errno set. */
FILE *procfs_fopen(pid_t pid, const char *name);

/* The target of the link /proc/PID/NAME (free it), or NULL with errno set. */
char *procfs_readlink(pid_t pid, const char *name);

/* lstat() of /proc/PID/NAME: a link itself, such as exe, whose owner says
 * who may follow it. */
int procfs_lstat(pid_t pid, const char *name, struct stat *ret);

/* Calls f for every process, with a descriptor of its /proc directory and
 * its stat line after the command name; stops when f returns false. */
void procfs_foreach_process(bool (*f)(int dirfd, pid_t pid, const char *stat, void *userdata), void *userdata);

/* The daemon's open descriptors, or UINT_MAX if /proc cannot tell. */
unsigned procfs_count_fds(void);

/* The real, effective and saved uid and the effective gid of the process
 * whose /proc directory dirfd is; -ESRCH once it has exited. */
int procfs_read_ids_at(int dirfd, PidfdInfo *ret);
