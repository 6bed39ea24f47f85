/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Kernel constants newer than the C library headers the daemon may be built
 * against (Debian 12's glibc, musl).  The values are the kernel's ABI; the
 * start-up probe (pidfd.c) decides at run time whether the kernel honours them.
 */

#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* sched_setattr(2)'s argument (uapi linux/sched/types.h, whose header clashes
 * with glibc's <sched.h>); glibc 2.36 has no wrapper. */
struct procctl_sched_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime; /* SCHED_OTHER: the slice asked for (Linux 6.12, EEVDF) */
        uint64_t sched_deadline;
        uint64_t sched_period;
};
#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK 0x01
#endif
