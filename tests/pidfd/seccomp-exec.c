/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * seccomp-exec: runs a program under a seccomp filter that takes pidfds
 * away, the way a container runtime's or a hardened unit's policy can.
 *
 *   seccomp-exec enosys|eperm|sigsys|notify PROGRAM [ARGUMENT...]
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
 *
 * Mode notify takes nothing away: it stops the program at each of its bus
 * writes (sendmsg with flags MSG_DONTWAIT|MSG_NOSIGNAL, which is how sd-bus
 * writes to a bus socket, and nothing else of procctld's sends) until a
 * supervisor lets it go on, as SECCOMP_RET_USER_NOTIF does.  The listener
 * descriptor goes to the AF_UNIX stream socket named by
 * $PROCCTL_TEST_NOTIFY_SOCKET before the program starts; the supervisor (a
 * test) then sees the program's state at the moment of each send, before
 * anyone can have read what it sends.
 */

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

/* Loads the notify filter and hands its listener to the supervisor's socket
 * (error: unused, as install_filter() takes it). */
static int install_notify_filter(int error, int set_nnp) {
        const struct scmp_arg_cmp bus_write = SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
                                                      (uint64_t) (MSG_DONTWAIT | MSG_NOSIGNAL));
        const char *path = getenv("PROCCTL_TEST_NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        scmp_filter_ctx ctx;
        int r, listener, sock;

        if (!path || strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "seccomp-exec: PROCCTL_TEST_NOTIFY_SOCKET is not set, or too long\n");
                return -EINVAL;
        }
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, set_nnp);
        if (r >= 0)
                r = add_rule(ctx, SCMP_ACT_NOTIFY, "sendmsg", 1, &bus_write);
        if (r >= 0)
                r = seccomp_load(ctx);
        listener = r >= 0 ? seccomp_notify_fd(ctx) : -1;
        seccomp_release(ctx);
        if (r < 0)
                return r;
        if (listener < 0)
                return -EBADF;

        /* This sendmsg has flags 0: the filter lets it through. */
        strcpy(sa.sun_path, path);
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0 || connect(sock, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "seccomp-exec: cannot reach %s: %s\n", path, strerror(errno));
                return -errno;
        }
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (char[]) { 'n' }, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &listener, sizeof(int));
        if (sendmsg(sock, &mh, 0) != 1) {
                fprintf(stderr, "seccomp-exec: cannot send the listener: %s\n", strerror(errno));
                return -errno;
        }
        close(sock);
        close(listener); /* the supervisor holds it; the program must not */
        return 0;
}

int main(int argc, char *argv[]) {
        int (*install)(int error, int set_nnp) = install_filter;
        const char *mode;
        char **command;
        int error, r;

#if defined(SECCOMP_EXEC_MODE) && defined(SECCOMP_EXEC_PROGRAM)
        mode = SECCOMP_EXEC_MODE;
        command = argv;
        command[0] = (char *) SECCOMP_EXEC_PROGRAM;
#else
        if (argc < 3) {
                fprintf(stderr, "usage: %s enosys|eperm|sigsys|notify PROGRAM [ARGUMENT...]\n", argv[0]);
                return 2;
        }
        mode = argv[1];
        command = argv + 2;
#endif
        if (strcmp(mode, "notify") == 0) {
                install = install_notify_filter;
                error = 0;
        } else if (strcmp(mode, "enosys") == 0)
                error = ENOSYS;
        else if (strcmp(mode, "eperm") == 0)
                error = EPERM;
        else if (strcmp(mode, "sigsys") == 0)
                error = 0;
        else {
                fprintf(stderr, "seccomp-exec: unknown mode \"%s\" (enosys, eperm, sigsys or notify)\n", mode);
                return 2;
        }

        /* Without CAP_SYS_ADMIN the kernel insists on no_new_privs. */
        r = install(error, 0);
        if (r == -EACCES || r == -EPERM)
                r = install(error, 1);
        if (r < 0) {
                fprintf(stderr, "seccomp-exec: cannot load the filter: %s\n", strerror(-r));
                return 1;
        }

        execv(command[0], command);
        fprintf(stderr, "seccomp-exec: execv(\"%s\"): %s\n", command[0], strerror(errno));
        return 127;
}
