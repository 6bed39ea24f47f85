/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Kernel constants newer than the C library headers the daemon may be built
 * against (Debian 12's glibc, musl).  The values are the kernel's ABI; the
 * start-up probe (pidfd.c) decides at run time whether the kernel honours them.
 */

#include <sched.h>
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
