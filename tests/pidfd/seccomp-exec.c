/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * seccomp-exec: runs a program under a seccomp filter that takes pidfds
 * away, the way a container runtime's or a hardened unit's policy can.
 *
 *   seccomp-exec enosys|eperm|sigsys PROGRAM [ARGUMENT...]
 *
 * Fails with ENOSYS (mode enosys) or EPERM (mode eperm), or raises SIGSYS
 * (mode sigsys, SECCOMP_RET_TRAP):
 *   pidfd_open, pidfd_send_signal, pidfd_getfd,
 *   waitid(P_PIDFD, ...)                  (idtype, argument 0, == 3),
 *   clone(CLONE_PIDFD | ...)              (flags, argument 0, & 0x1000).
 * Everything else works as before: waitid on PIDs, clone without
 * CLONE_PIDFD, fork.
 *
 * clone3 fails with ENOSYS in both modes: its flags sit in a struct in
 * memory, out of a filter's reach, and only ENOSYS makes glibc (posix_spawn,
 * pthread_create) and everyone else fall back to clone, whose flags the filter
 * can see.  That is what real policies do (Docker's default profile, systemd's
 * SystemCallFilter= handling of clone3) for the same reason.
 *
 * Built a second way, with SECCOMP_EXEC_MODE and SECCOMP_EXEC_PROGRAM
 * defined, it is a fixed wrapper: `procctld-enosys ARGUMENT...` runs the
 * built procctld under the enosys filter.  The test fixture starts $PROCCTLD
 * with a clean environment and its own arguments, so the mode and the
 * program cannot come from there.
 *
 * The filter is inherited by the program's children.  no_new_privs is set
 * only when the caller lacks CAP_SYS_ADMIN, so that a privileged program (the
 * daemon, running as root) keeps the ability to start set-uid programs.
 */

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLONE_PIDFD_FLAG 0x00001000ULL
#define P_PIDFD_IDTYPE 3ULL

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n_cmp, const struct scmp_arg_cmp *cmp) {
        int nr = seccomp_syscall_resolve_name(name);
        int r;

        if (nr == __NR_SCMP_ERROR) {
                fprintf(stderr, "seccomp-exec: unknown system call %s\n", name);
                return -ENOENT;
        }
        r = seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp);
        if (r < 0)
                fprintf(stderr, "seccomp-exec: cannot add a rule for %s: %s\n", name, strerror(-r));
        return r;
}

/* error 0: SIGSYS instead of an errno. */
static int install_filter(int error, int set_nnp) {
        uint32_t deny = error > 0 ? SCMP_ACT_ERRNO(error) : SCMP_ACT_TRAP;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        /* Compared as 32-bit values: int arguments may carry garbage above. */
        const struct scmp_arg_cmp waitid_pidfd = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, P_PIDFD_IDTYPE);
        const struct scmp_arg_cmp clone_pidfd = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_PIDFD_FLAG, CLONE_PIDFD_FLAG);
        int r;

        if (!ctx) {
                fprintf(stderr, "seccomp-exec: seccomp_init failed\n");
                return -ENOMEM;
        }
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, set_nnp);
        if (r >= 0)
                r = add_rule(ctx, deny, "pidfd_open", 0, NULL);
        if (r >= 0)
                r = add_rule(ctx, deny, "pidfd_send_signal", 0, NULL);
        if (r >= 0)
                r = add_rule(ctx, deny, "pidfd_getfd", 0, NULL);
        if (r >= 0)
                r = add_rule(ctx, deny, "waitid", 1, &waitid_pidfd);
        if (r >= 0)
                r = add_rule(ctx, deny, "clone", 1, &clone_pidfd);
        if (r >= 0)
                r = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
        if (r >= 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r;
}

int main(int argc, char *argv[]) {
        const char *mode;
        char **command;
        int error, r;

#if defined(SECCOMP_EXEC_MODE) && defined(SECCOMP_EXEC_PROGRAM)
        mode = SECCOMP_EXEC_MODE;
        command = argv;
        command[0] = (char *) SECCOMP_EXEC_PROGRAM;
#else
        if (argc < 3) {
                fprintf(stderr, "usage: %s enosys|eperm|sigsys PROGRAM [ARGUMENT...]\n", argv[0]);
                return 2;
        }
        mode = argv[1];
        command = argv + 2;
#endif
        if (strcmp(mode, "enosys") == 0)
                error = ENOSYS;
        else if (strcmp(mode, "eperm") == 0)
                error = EPERM;
        else if (strcmp(mode, "sigsys") == 0)
                error = 0;
        else {
                fprintf(stderr, "seccomp-exec: unknown mode \"%s\" (enosys, eperm or sigsys)\n", mode);
                return 2;
        }

        /* Without CAP_SYS_ADMIN the kernel insists on no_new_privs. */
        r = install_filter(error, 0);
        if (r == -EACCES || r == -EPERM)
                r = install_filter(error, 1);
        if (r < 0) {
                fprintf(stderr, "seccomp-exec: cannot load the filter: %s\n", strerror(-r));
                return 1;
        }

        execv(command[0], command);
        fprintf(stderr, "seccomp-exec: execv(\"%s\"): %s\n", command[0], strerror(errno));
        return 127;
}
