/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * scale-fdtable: what does a large descriptor table cost each spawn?
 *
 * procctld holds one pidfd per running child, so with 10,000 children its
 * descriptor table has 10,000 entries.  Started with
 * clone(CLONE_VM|CLONE_VFORK) without CLONE_FILES (as procctld did before
 * commit b104f33), the kernel copies the whole table into the child (taking
 * a reference on every file), and the child's close_range() drops them all
 * again before exec, while the parent is suspended (vfork).  This measures
 * that cost without a bus, in three cases, each starting /bin/true and
 * reaping it:
 *
 *   empty    clone(CLONE_VM|CLONE_VFORK), a table with 0-2 only;
 *   full     the same with N (10,000) more open files;
 *   unshare  N more open files, but clone(CLONE_VM|CLONE_VFORK|CLONE_FILES)
 *            and close_range(3, ~0U, CLOSE_RANGE_UNSHARE) in the child: the
 *            kernel then copies only the descriptors below 3 (what procctld
 *            does since b104f33, with its pidfds kept above a floor).
 *
 * For each, the median time the parent is suspended in clone() (what the
 * daemon's event loop loses per Spawn) and of the whole spawn + wait.
 * Rounds of the three cases alternate.  Figures, never a verdict.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scale-common.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

#define PROGRAM "/bin/true"
#define STACK_SIZE (64 * 1024)

extern char **environ;

static unsigned arg_fds = 10000;
static unsigned arg_iterations = 500;
static unsigned arg_rounds = 4;

enum { CASE_EMPTY, CASE_FULL, CASE_UNSHARE, _CASE_MAX };
static const char *const case_name[_CASE_MAX] = { "empty", "full", "unshare" };

static void help(void) {
        printf("Usage: scale-fdtable [OPTIONS]\n\n"
               "Cost of a large descriptor table to clone()+exec, without a bus.\n\n"
               "  -h --help              Show this help\n"
               "  -n --fds=N             Extra open descriptors in the full cases (default 10000)\n"
               "     --iterations=N      Spawns per case and round (default 500)\n"
               "     --rounds=N          Rounds (default 4)\n");
}

static int parse_argv(int argc, char **argv) {
        enum { ARG_ITERATIONS = 0x100, ARG_ROUNDS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "fds", required_argument, NULL, 'n' },
                { "iterations", required_argument, NULL, ARG_ITERATIONS },
                { "rounds", required_argument, NULL, ARG_ROUNDS },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hn:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'n':
                        arg_fds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_ITERATIONS:
                        arg_iterations = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_ROUNDS:
                        arg_rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return -EINVAL;
                }
        if (arg_fds < 1 || arg_iterations < 1 || arg_rounds < 1) {
                fprintf(stderr, "Every count must be at least 1\n");
                return -EINVAL;
        }
        return 1;
}

static int child_main(void *userdata) {
        bool unshare_table = *(bool *) userdata;
        char *argv[] = { (char *) PROGRAM, NULL };

        if (syscall(SYS_close_range, 3, ~0U, unshare_table ? CLOSE_RANGE_UNSHARE : 0) < 0)
                _exit(126);
        execve(PROGRAM, argv, environ);
        _exit(127);
}

/* One spawn; the times the parent spent in clone() and in all, in ns. */
static int spawn_once(void *stack, bool unshare_table, uint64_t *ret_clone, uint64_t *ret_total) {
        int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (unshare_table ? CLONE_FILES : 0);
        uint64_t start, cloned;
        int status;
        pid_t pid;

        start = now_ns();
        pid = clone(child_main, stack, flags, &unshare_table);
        cloned = now_ns();
        if (pid < 0)
                return -errno;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "%s did not exit 0 (status 0x%x)\n", PROGRAM, status);
                return -EPROTO;
        }
        *ret_clone = cloned - start;
        *ret_total = now_ns() - start;
        return 0;
}

/* n distinct open files (each open() its own struct file, as each pidfd is). */
static int open_many(int *fds, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                        int e = errno;
                        fprintf(stderr, "Opening descriptor %u of %u failed: %s\n", i + 1, n, strerror(e));
                        while (i > 0)
                                close(fds[--i]);
                        return -e;
                }
        }
        return 0;
}

static void close_many(int *fds, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                close(fds[i]);
}

int main(int argc, char **argv) {
        size_t per_case = 0;
        uint64_t *clone_ns[_CASE_MAX], *total_ns[_CASE_MAX];
        double clone_med[_CASE_MAX], total_med[_CASE_MAX];
        _cleanup_free_ int *fds = NULL;
        struct rlimit rl;
        char *stack;
        char b[64], m[64], metric[96];
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows through run.sh's pipe */

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < arg_fds + 64) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
                if (rl.rlim_cur < arg_fds + 64) {
                        fprintf(stderr, "RLIMIT_NOFILE (%llu) is too low for %u descriptors\n",
                                (unsigned long long) rl.rlim_cur, arg_fds);
                        return 1;
                }
        }
        stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        fds = calloc(arg_fds, sizeof(int));
        if (stack == MAP_FAILED || !fds)
                return 1;
        stack += STACK_SIZE;
        for (int c = 0; c < _CASE_MAX; c++) {
                clone_ns[c] = calloc((size_t) arg_iterations * arg_rounds, sizeof(uint64_t));
                total_ns[c] = calloc((size_t) arg_iterations * arg_rounds, sizeof(uint64_t));
                if (!clone_ns[c] || !total_ns[c])
                        return 1;
        }

        printf("scale-fdtable: %s by clone()+exec, %u extra descriptors in the full cases, %u rounds of %u spawns per case\n",
               PROGRAM, arg_fds, arg_rounds, arg_iterations);
        for (unsigned round = 0; round < arg_rounds; round++) {
                for (int c = 0; c < _CASE_MAX; c++) {
                        if (c == CASE_FULL && open_many(fds, arg_fds) < 0)
                                return 1;
                        for (unsigned i = 0; i < arg_iterations; i++) {
                                r = spawn_once(stack, c == CASE_UNSHARE, &clone_ns[c][per_case + i], &total_ns[c][per_case + i]);
                                if (r < 0) {
                                        fprintf(stderr, "Spawning %s failed: %s\n", PROGRAM, strerror(-r));
                                        return 1;
                                }
                        }
                        if (c == CASE_UNSHARE)
                                close_many(fds, arg_fds);
                }
                per_case += arg_iterations;
        }

        for (int c = 0; c < _CASE_MAX; c++) {
                clone_med[c] = median_us(clone_ns[c], per_case);
                total_med[c] = median_us(total_ns[c], per_case);
                printf("  %-8s parent suspended in clone() median %7.1f us, clone+exec+wait median %7.1f us\n", case_name[c],
                       clone_med[c], total_med[c]);
        }

        snprintf(metric, sizeof(metric), "clone()+exec with %u fds, no CLONE_FILES (no bus)", arg_fds);
        snprintf(b, sizeof(b), "%.1f us @0 fds", total_med[CASE_EMPTY]);
        snprintf(m, sizeof(m), "%.1f us", total_med[CASE_FULL]);
        print_row(metric, b, m, total_med[CASE_FULL] / total_med[CASE_EMPTY], "(analysis)");
        snprintf(metric, sizeof(metric), "clone()+exec with %u fds, CLONE_FILES+unshare", arg_fds);
        snprintf(m, sizeof(m), "%.1f us", total_med[CASE_UNSHARE]);
        print_row(metric, b, m, total_med[CASE_UNSHARE] / total_med[CASE_EMPTY], "(analysis)");
        return 0;
}
