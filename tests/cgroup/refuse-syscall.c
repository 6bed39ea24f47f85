/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * refuse-syscall ARGS...: runs procctld (PROCCTLD_PATH) with ARGS where one
 * system call (REFUSED_NR) fails with REFUSED_ERRNO, through a seccomp
 * filter that the daemon and its children inherit.  Built twice:
 *
 * - without-clone3: clone3() fails with ENOSYS, as on a kernel before 5.3 or
 *   under a seccomp policy such as a container runtime's: the daemon must
 *   find that out at its first Spawn and start every child with clone(),
 *   joining it to its cgroup before exec.
 * - without-inotify: inotify_add_watch() fails with ENOSPC, as when the
 *   user's fs.inotify.max_user_watches is reached: the daemon must still
 *   hear when a cgroup empties or freezes (it reads cgroup.events instead).
 */

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* the numbers below are x86-64's */
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, REFUSED_NR, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | REFUSED_ERRNO),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

        (void) argc;
        /* As root no no_new_privs is needed, and none is set: the daemon's
         * children keep setuid programs working. */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
                perror("refuse-syscall: seccomp");
                return 1;
        }
        argv[0] = PROCCTLD_PATH;
        execv(PROCCTLD_PATH, argv);
        perror("refuse-syscall: " PROCCTLD_PATH);
        return 1;
}
