/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every pidfd decision of the daemon lives here.  pidfd_probe() runs once at
 * start and proves, by doing it, that each operation the daemon relies on
 * works on this kernel under this seccomp policy; the rest of the daemon asks
 * PidfdSupport instead of trying a syscall and guessing from its failure.
 * Without a usable pidfd the daemon falls back to PIDs, which stays race-free
 * for its own children because it is their only reaper (see process.c).
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct PidfdSupport {
        bool usable;         /* pidfd_open + waitid(P_PIDFD) + pidfd_send_signal + CLONE_PIDFD all work */
        bool process_group;  /* pidfd_send_signal(…, PIDFD_SIGNAL_PROCESS_GROUP) */
        bool exit_info;      /* ioctl(PIDFD_GET_INFO) reports PIDFD_INFO_EXIT */
        bool unique_inodes;  /* pidfds live on pidfs: one inode number per process, ever */
} PidfdSupport;

void pidfd_probe(PidfdSupport *ret);

/* The names of the Features property, NULL-terminated, static strings. */
void pidfd_feature_names(const PidfdSupport *s, const char *ret[static 8]);

int pidfd_signal(int pidfd, int sig, bool process_group);

/* Whether the process behind the pidfd has exited (it may still be a zombie). */
bool pidfd_has_exited(int pidfd);

/* What the kernel says of the process behind a pidfd. */
typedef struct PidfdInfo {
        pid_t pid;     /* in our PID namespace; 0 once exited */
        uid_t ruid, euid, suid;
        gid_t egid;
} PidfdInfo;

/* -EBADF: not a pidfd (no ioctl is tried on any other descriptor);
 * -ESRCH: the process has exited. */
int pidfd_get_info(int pidfd, PidfdInfo *ret);

/* The pidfs inode number, the same for every pidfd of one process. */
int pidfd_get_inode(int pidfd, uint64_t *ret);

/* Reads the wait status of an exited and reaped process from its pidfd:
 * returns 1 and the raw status, 0 when the kernel has none (yet), <0 on error. */
int pidfd_get_exit_status(int pidfd, int *ret_wait_status);
