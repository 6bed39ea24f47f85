/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * scale-throughput: how many short processes per second can callers start
 * through procctld, against what the machine does locally?
 *
 *   bus    --clients threads (default 8), each with its own bus connection,
 *          each looping Spawn + Wait + Release of /bin/true (synchronous
 *          calls: a client that wants the status and leaves nothing behind).
 *   local  --workers threads (default 2, one per core here), each looping
 *          posix_spawn + waitpid of /bin/true.
 *
 * Both children get /dev/null as stdin, stdout and stderr.  Each round runs
 * for --seconds; local and bus rounds alternate (--rounds of each), so drift
 * of the machine hits both; the rates are averaged over the rounds and their
 * ratio printed.  A figure, never a verdict.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scale-common.h"

#define PROGRAM "/bin/true"

extern char **environ;

static const char *arg_address;
static bool arg_user;
static unsigned arg_clients = 8;
static unsigned arg_workers = 2;
static unsigned arg_seconds = 3;
static unsigned arg_rounds = 2;

static atomic_bool stop_flag;
static atomic_bool failed;

typedef struct Worker {
        pthread_t thread;
        sd_bus *bus; /* bus workers only, connected before the round starts */
        int devnull;
        uint64_t count;
} Worker;

static void help(void) {
        printf("Usage: scale-throughput [OPTIONS]\n\n"
               "Spawn+Wait+Release throughput through procctld against local posix_spawn+waitpid.\n\n"
               "  -h --help              Show this help\n"
               "     --address=ADDRESS   Bus to use (default: the system bus, or with --user the session bus)\n"
               "     --user              Use the session bus\n"
               "     --clients=N         Parallel bus clients (default 8)\n"
               "     --workers=N         Parallel local workers (default 2)\n"
               "     --seconds=N         Length of each round (default 3)\n"
               "     --rounds=N          Rounds of each kind, alternating (default 2)\n");
}

static int parse_argv(int argc, char **argv) {
        enum { ARG_ADDRESS = 0x100, ARG_USER, ARG_CLIENTS, ARG_WORKERS, ARG_SECONDS, ARG_ROUNDS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "user", no_argument, NULL, ARG_USER },
                { "clients", required_argument, NULL, ARG_CLIENTS },
                { "workers", required_argument, NULL, ARG_WORKERS },
                { "seconds", required_argument, NULL, ARG_SECONDS },
                { "rounds", required_argument, NULL, ARG_ROUNDS },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_ADDRESS:
                        arg_address = optarg;
                        break;
                case ARG_USER:
                        arg_user = true;
                        break;
                case ARG_CLIENTS:
                        arg_clients = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_WORKERS:
                        arg_workers = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_SECONDS:
                        arg_seconds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_ROUNDS:
                        arg_rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return -EINVAL;
                }
        if (arg_clients < 1 || arg_workers < 1 || arg_seconds < 1 || arg_rounds < 1) {
                fprintf(stderr, "Every count must be at least 1\n");
                return -EINVAL;
        }
        return 1;
}

static void *bus_worker(void *userdata) {
        Worker *w = userdata;

        while (!atomic_load(&stop_flag) && !atomic_load(&failed)) {
                if (spawn_wait_release(w->bus, PROGRAM, NULL) < 0) {
                        atomic_store(&failed, true);
                        break;
                }
                w->count++;
        }
        return NULL;
}

static void *local_worker(void *userdata) {
        Worker *w = userdata;
        char *argv[] = { (char *) PROGRAM, NULL };
        posix_spawn_file_actions_t actions;

        posix_spawn_file_actions_init(&actions);
        for (int fd = 0; fd < 3; fd++)
                posix_spawn_file_actions_adddup2(&actions, w->devnull, fd);

        while (!atomic_load(&stop_flag) && !atomic_load(&failed)) {
                pid_t pid;
                int r, status;

                r = posix_spawn(&pid, PROGRAM, &actions, NULL, argv, environ);
                if (r != 0) {
                        fprintf(stderr, "posix_spawn(%s) failed: %s\n", PROGRAM, strerror(r));
                        atomic_store(&failed, true);
                        break;
                }
                if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "%s did not exit 0\n", PROGRAM);
                        atomic_store(&failed, true);
                        break;
                }
                w->count++;
        }
        posix_spawn_file_actions_destroy(&actions);
        return NULL;
}

/* One round: n workers for arg_seconds; returns processes per second, or < 0. */
static double run_round(bool bus, unsigned n, int devnull) {
        _cleanup_free_ Worker *w = calloc(n, sizeof(Worker));
        uint64_t start, total = 0;
        double rate = -1;
        unsigned started = 0;

        if (!w)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                w[i].devnull = devnull;
                if (bus && bench_connect(arg_address, arg_user, &w[i].bus) < 0)
                        goto finish;
        }

        atomic_store(&stop_flag, false);
        start = now_ns();
        for (; started < n; started++)
                if (pthread_create(&w[started].thread, NULL, bus ? bus_worker : local_worker, &w[started]) != 0) {
                        atomic_store(&failed, true);
                        break;
                }
        sleep(arg_seconds);
        atomic_store(&stop_flag, true);
        for (unsigned i = 0; i < started; i++) {
                pthread_join(w[i].thread, NULL);
                total += w[i].count;
        }
        if (!atomic_load(&failed))
                rate = total / ((now_ns() - start) / 1e9);
finish:
        for (unsigned i = 0; i < n; i++)
                sd_bus_flush_close_unref(w[i].bus);
        return rate;
}

int main(int argc, char **argv) {
        double local = 0, bus = 0;
        char b[64], m[64];
        int devnull, r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows through run.sh's pipe */
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                perror("open /dev/null");
                return 1;
        }

        printf("scale-throughput: %s through procctld with %u clients against posix_spawn with %u workers, "
               "%u rounds of %u s each\n", PROGRAM, arg_clients, arg_workers, arg_rounds, arg_seconds);
        for (unsigned round = 0; round < arg_rounds; round++) {
                double l, d;

                l = run_round(false, arg_workers, devnull);
                d = l < 0 ? -1 : run_round(true, arg_clients, devnull);
                if (l < 0 || d < 0) {
                        fprintf(stderr, "Round %u failed\n", round + 1);
                        return 1;
                }
                printf("  round %u: local %7.0f/s, procctld %7.0f/s (%.0f%%)\n", round + 1, l, d, d / l * 100);
                local += l / arg_rounds;
                bus += d / arg_rounds;
        }

        snprintf(b, sizeof(b), "%.0f/s local x%u", local, arg_workers);
        snprintf(m, sizeof(m), "%.0f/s bus x%u", bus, arg_clients);
        print_row("throughput /bin/true, bus vs local", b, m, bus / local, ">= 0.80");
        return 0;
}
