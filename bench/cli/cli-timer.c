/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * cli-timer: times commands run in turn, many times, and prints the median
 * wall-clock time of each and its difference from the first's.
 *
 *   cli-timer [-n RUNS] [-w WARMUP] CMD_1... :: CMD_2... [:: CMD_3...]...
 *
 * Each run is posix_spawn() + waitpid(), timed with CLOCK_MONOTONIC, so all
 * commands pay the same launching cost; their stdout goes to /dev/null.  The
 * order rotates from round to round (1 2 3, 2 3 1, 3 1 2, ...) so that none
 * always runs on a warmer cache.  A run that does not exit 0 is an error: a
 * benchmark of a failing command measures nothing.
 *
 * Output, after a header line, one line per command:
 *   MEDIAN_MS P10_MS P90_MS DIFF_MS  CMD...
 * where DIFF_MS is the median minus the first command's median.
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

#define MAX_COMMANDS 8

static void usage(FILE *f) {
        fprintf(f, "Usage: cli-timer [-n RUNS] [-w WARMUP] CMD_1... :: CMD_2... [:: CMD_3...]...\n");
}

int main(int argc, char *argv[]) {
        size_t runs = 1000, warmup = 50, n = 0;
        char **cmd[MAX_COMMANDS];
        uint64_t *t[MAX_COMMANDS];
        double median[MAX_COMMANDS];
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
                        usage(c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : 2;
                }

        cmd[n++] = argv + optind;
        for (int i = optind; i < argc; i++)
                if (strcmp(argv[i], "::") == 0) {
                        if (n == MAX_COMMANDS) {
                                fprintf(stderr, "cli-timer: at most %d commands\n", MAX_COMMANDS);
                                return 2;
                        }
                        argv[i] = NULL;
                        cmd[n++] = argv + i + 1;
                }
        for (size_t k = 0; k < n; k++)
                if (!cmd[k][0])
                        n = 0;
        if (runs < 1 || n < 2) {
                usage(stderr);
                return 2;
        }

        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);

        for (size_t k = 0; k < n; k++) {
                t[k] = calloc(runs, sizeof(*t[k]));
                if (!t[k])
                        return 1;
        }

        for (size_t i = 0; i < warmup; i++)
                for (size_t k = 0; k < n; k++)
                        (void) run_once(cmd[k]);
        for (size_t i = 0; i < runs; i++)
                for (size_t j = 0; j < n; j++) {
                        size_t k = (i + j) % n;

                        t[k][i] = run_once(cmd[k]);
                }

        printf("runs: %zu each, in turn (after %zu warm-up runs each); median p10 p90 (ms), "
               "difference from the first\n", runs, warmup);
        for (size_t k = 0; k < n; k++) {
                median[k] = median_ms(t[k], runs);  /* sorts t[k] */
                printf("%.3f %.3f %.3f %+.3f ", median[k], percentile_ms(t[k], runs, 0.1),
                       percentile_ms(t[k], runs, 0.9), median[k] - median[0]);
                for (char **a = cmd[k]; *a; a++)
                        printf(" %s", *a);
                printf("\n");
        }
        return 0;
}
