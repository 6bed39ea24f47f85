/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * cli-timer: times two commands run alternately, many times, and prints
 * the median wall-clock time of each and the difference of the medians.
 *
 *   cli-timer [-n RUNS] [-w WARMUP] CMD_A... :: CMD_B...
 *
 * Each run is posix_spawn() + waitpid(), timed with CLOCK_MONOTONIC, so both
 * commands pay the same launching cost; their stdout goes to /dev/null.  The order alternates (A B, B A, ...)
 * so that neither always runs on a warmer cache.  A run that does not exit 0
 * is an error: a benchmark of a failing command measures nothing.
 */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static posix_spawn_file_actions_t actions;

static uint64_t run_once(char **argv) {
        uint64_t start, end;
        pid_t pid;
        int r, status;

        start = now_ns();
        r = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
        if (r != 0) {
                fprintf(stderr, "cli-timer: cannot run %s: %s\n", argv[0], strerror(r));
                exit(1);
        }
        if (waitpid(pid, &status, 0) < 0) {
                perror("cli-timer: waitpid");
                exit(1);
        }
        end = now_ns();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "cli-timer: %s did not exit 0 (status 0x%x)\n", argv[0], status);
                exit(1);
        }
        return end - start;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static double median_ms(uint64_t *v, size_t n) {
        qsort(v, n, sizeof(*v), cmp_u64);
        if (n % 2)
                return (double) v[n / 2] / 1e6;
        return ((double) v[n / 2 - 1] + (double) v[n / 2]) / 2e6;
}

static double percentile_ms(const uint64_t *sorted, size_t n, double p) {
        return (double) sorted[(size_t) (p * (double) (n - 1))] / 1e6;
}

int main(int argc, char *argv[]) {
        size_t runs = 1000, warmup = 50;
        char **a, **b = NULL;
        uint64_t *ta, *tb;
        double ma, mb;
        int c;

        while ((c = getopt(argc, argv, "+n:w:h")) >= 0)
                switch (c) {
                case 'n':
                        runs = strtoul(optarg, NULL, 10);
                        break;
                case 'w':
                        warmup = strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "Usage: cli-timer [-n RUNS] [-w WARMUP] CMD_A... :: CMD_B...\n");
                        return c == 'h' ? 0 : 2;
                }

        a = argv + optind;
        for (int i = optind; i < argc; i++)
                if (strcmp(argv[i], "::") == 0) {
                        argv[i] = NULL;
                        b = argv + i + 1;
                        break;
                }
        if (runs < 1 || !a[0] || !b || !b[0]) {
                fprintf(stderr, "Usage: cli-timer [-n RUNS] [-w WARMUP] CMD_A... :: CMD_B...\n");
                return 2;
        }

        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);

        ta = calloc(runs, sizeof(*ta));
        tb = calloc(runs, sizeof(*tb));
        if (!ta || !tb)
                return 1;

        for (size_t i = 0; i < warmup; i++) {
                (void) run_once(a);
                (void) run_once(b);
        }
        for (size_t i = 0; i < runs; i++) {
                if (i % 2 == 0) {
                        ta[i] = run_once(a);
                        tb[i] = run_once(b);
                } else {
                        tb[i] = run_once(b);
                        ta[i] = run_once(a);
                }
        }

        ma = median_ms(ta, runs);
        mb = median_ms(tb, runs);
        printf("runs: %zu each, interleaved (after %zu warm-up runs each)\n", runs, warmup);
        printf("A  median %.3f ms  (p10 %.3f, p90 %.3f)  %s\n", ma,
               percentile_ms(ta, runs, 0.1), percentile_ms(ta, runs, 0.9), a[0]);
        printf("B  median %.3f ms  (p10 %.3f, p90 %.3f)  %s\n", mb,
               percentile_ms(tb, runs, 0.1), percentile_ms(tb, runs, 0.9), b[0]);
        printf("B - A: %+.3f ms (difference of the medians)\n", mb - ma);
        return 0;
}
