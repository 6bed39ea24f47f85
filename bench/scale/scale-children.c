/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * scale-children: does procctld stay as fast and as small with 10,000
 * children as with a handful?
 *
 * One daemon, one run, three comparisons, each against a baseline taken in
 * the same run on the same daemon:
 *
 *   rss      VmRSS of the daemon with 10 children and with N (10,000);
 *            the growth divided by the N - 10 children added (KiB/child).
 *   signal   round trip of Signal(process, 0), a synchronous call on a
 *            child picked at random each time, with 10 children alive and
 *            with N; medians.
 *   spawn    Spawn + Wait + Release of /bin/true (three synchronous calls),
 *            with no other child and with N alive; medians.  Twice: as
 *            the caller (root: the child execs the program directly) and,
 *            with --spawn-user (default nobody when root on the system bus),
 *            as that user (the child execs procctl-exec, which switches
 *            identity, and the daemon reads the result from the event loop),
 *            so that both of Spawn's paths are shown not to grow with the
 *            daemon's memory.
 *
 * Order: spawn baseline (none alive), 10 children, signal baseline, RSS,
 * N - 10 more children, RSS, signal, spawn; then back to 10 children for
 * the signal baseline again, and to none for the spawn baseline again.
 * Each baseline is the mean of its two medians, so that a machine drifting
 * during the minutes this takes biases neither side; the drift is printed.
 *
 * Prints figures and ratios, never a verdict: timings belong to a report.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scale-common.h"

#define TRUE_PROGRAM "/bin/true"

static const char *arg_address;
static bool arg_user;
static const char *arg_idle = "/bin/sleep";
static size_t arg_children = 10000;
static unsigned arg_signal_calls = 5000;
static unsigned arg_spawn_calls = 500;
static const char *arg_spawn_user; /* NULL: chosen in main(); "": none */

static void help(void) {
        printf("Usage: scale-children [OPTIONS]\n\n"
               "Measures procctld with many children alive against a baseline with few.\n\n"
               "  -h --help              Show this help\n"
               "     --address=ADDRESS   Bus to use (default: the system bus, or with --user the session bus)\n"
               "     --user              Use the session bus\n"
               "     --idle=PROGRAM      Long-running child to keep alive (default /bin/sleep); gets one\n"
               "                         argument, 900 (seconds)\n"
               "  -n --children=N        Children alive in the measured case (default 10000)\n"
               "     --signal-calls=N    Signal calls per case (default 5000)\n"
               "     --spawn-calls=N     Spawn+Wait+Release cycles per case (default 500)\n"
               "     --spawn-user=USER   Also measure Spawn+Wait+Release as USER (default nobody when\n"
               "                         run as root on the system bus; empty: do not)\n");
}

static int parse_argv(int argc, char **argv) {
        enum { ARG_ADDRESS = 0x100, ARG_USER, ARG_IDLE, ARG_SIGNAL_CALLS, ARG_SPAWN_CALLS, ARG_SPAWN_USER };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "user", no_argument, NULL, ARG_USER },
                { "idle", required_argument, NULL, ARG_IDLE },
                { "children", required_argument, NULL, 'n' },
                { "signal-calls", required_argument, NULL, ARG_SIGNAL_CALLS },
                { "spawn-calls", required_argument, NULL, ARG_SPAWN_CALLS },
                { "spawn-user", required_argument, NULL, ARG_SPAWN_USER },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hn:", options, NULL)) >= 0)
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
                case ARG_IDLE:
                        arg_idle = optarg;
                        break;
                case 'n':
                        arg_children = strtoul(optarg, NULL, 10);
                        break;
                case ARG_SIGNAL_CALLS:
                        arg_signal_calls = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_SPAWN_CALLS:
                        arg_spawn_calls = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case ARG_SPAWN_USER:
                        arg_spawn_user = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (!arg_spawn_user)
                arg_spawn_user = !arg_user && geteuid() == 0 ? "nobody" : "";
        if (arg_children < 20 || arg_signal_calls < 1 || arg_spawn_calls < 1) {
                fprintf(stderr, "--children must be at least 20, the call counts at least 1\n");
                return -EINVAL;
        }
        return 1;
}

/* xorshift64: the same pseudo-random sequence of children in every case. */
static uint64_t next_random(uint64_t *state) {
        uint64_t x = *state;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return *state = x;
}

/* What one case measured: the median round trip, and the CPU time procctld
 * spent per call, from /proc/<pid>/schedstat: far less sensitive to other
 * load on the machine than a round trip through three processes is. */
typedef struct Figure {
        double median_us;
        double daemon_cpu_us;
} Figure;

static pid_t daemon_process; /* procctld */

/* Median round trip of Signal(paths[random % n], 0), after a warm-up. */
static int measure_signal(sd_bus *bus, char **paths, size_t n, unsigned calls, Figure *ret) {
        _cleanup_free_ uint64_t *t = calloc(calls, sizeof(uint64_t));
        uint64_t state = 0x9e3779b97f4a7c15u, cpu0 = 0;

        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < calls + calls / 10; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                const char *path = paths[next_random(&state) % n];
                uint64_t start;
                int r;

                if (i == calls / 10) /* the first tenth warms up */
                        cpu0 = process_cpu_ns(daemon_process);
                start = now_ns();
                r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Signal", &error, NULL, "oi", path, 0);
                if (r < 0) {
                        fprintf(stderr, "Signal(%s, 0) failed: %s\n", path, error.message ?: strerror(-r));
                        return r;
                }
                if (i >= calls / 10)
                        t[i - calls / 10] = now_ns() - start;
        }
        ret->daemon_cpu_us = (process_cpu_ns(daemon_process) - cpu0) / 1e3 / calls;
        ret->median_us = median_us(t, calls);
        return 0;
}

/* Median of Spawn+Wait+Release of /bin/true, as user (NULL: as the caller). */
static int measure_spawn(sd_bus *bus, const char *user, unsigned calls, Figure *ret) {
        _cleanup_free_ uint64_t *t = calloc(calls, sizeof(uint64_t));
        uint64_t cpu0 = 0;
        int r;

        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < calls + calls / 10; i++) {
                uint64_t start;

                if (i == calls / 10)
                        cpu0 = process_cpu_ns(daemon_process);
                start = now_ns();
                r = spawn_wait_release(bus, TRUE_PROGRAM, user);
                if (r < 0)
                        return r;
                if (i >= calls / 10)
                        t[i - calls / 10] = now_ns() - start;
        }
        ret->daemon_cpu_us = (process_cpu_ns(daemon_process) - cpu0) / 1e3 / calls;
        ret->median_us = median_us(t, calls);
        return 0;
}

static void print_figure(const char *what, const Figure *f) {
        printf("  %-52s median %8.1f us, procctld CPU %7.1f us/call\n", what, f->median_us, f->daemon_cpu_us);
}

/* Spawn's two paths: a child of the caller's (root's) own, and one of
 * another user's, which goes through procctl-exec. */
typedef struct SpawnFigures {
        Figure caller;
        Figure other_user;
} SpawnFigures;

static int measure_spawns(sd_bus *bus, const char *when, SpawnFigures *ret) {
        char what[128];
        int r;

        r = measure_spawn(bus, NULL, arg_spawn_calls, &ret->caller);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "Spawn+Wait+Release, %s:", when);
        print_figure(what, &ret->caller);
        if (!*arg_spawn_user)
                return 0;
        r = measure_spawn(bus, arg_spawn_user, arg_spawn_calls, &ret->other_user);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "Spawn+Wait+Release as %s, %s:", arg_spawn_user, when);
        print_figure(what, &ret->other_user);
        return 0;
}

static int report_daemon(const char *when, pid_t pid, uint64_t *ret_rss) {
        uint64_t rss, anon;
        int r;

        r = process_rss_kib(pid, &rss, &anon);
        if (r < 0) {
                fprintf(stderr, "Failed to read the memory of procctld (pid %d): %s\n", (int) pid, strerror(-r));
                return r;
        }
        printf("  procctld %-34s VmRSS %7" PRIu64 " KiB, RssAnon %7" PRIu64 " KiB, %6d descriptors\n", when, rss, anon,
               process_fd_count(pid));
        if (ret_rss)
                *ret_rss = rss;
        return 0;
}

static void *mfree(void *p) {
        free(p);
        return NULL;
}

static void free_paths(char **paths, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
}

/* The mean of the two baselines, taken before and after the many. */
static Figure mean(const Figure *a, const Figure *b) {
        return (Figure) {
                .median_us = (a->median_us + b->median_us) / 2,
                .daemon_cpu_us = (a->daemon_cpu_us + b->daemon_cpu_us) / 2,
        };
}

static void print_rows(const char *metric, const Figure *base, const Figure *many, const char *base_at,
                       const char *target) {
        char b[64], m[64], cpu_metric[96];

        snprintf(b, sizeof(b), "%.1f us @%s", base->median_us, base_at);
        snprintf(m, sizeof(m), "%.1f us @%zu", many->median_us, arg_children);
        print_row(metric, b, m, many->median_us / base->median_us, target);
        snprintf(cpu_metric, sizeof(cpu_metric), "  procctld CPU per %s", metric);
        snprintf(b, sizeof(b), "%.1f us @%s", base->daemon_cpu_us, base_at);
        snprintf(m, sizeof(m), "%.1f us @%zu", many->daemon_cpu_us, arg_children);
        print_row(cpu_metric, b, m, many->daemon_cpu_us / base->daemon_cpu_us, "(analysis)");
}

int main(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        char *idle_argv[3];
        char **paths = NULL;
        _cleanup_free_ uint32_t *pids = NULL;
        SpawnFigures spawn_base = {}, spawn_base2 = {}, spawn_many_fig = {};
        Figure signal_base, signal_base2, signal_many;
        uint64_t rss_few, rss_many, t0, t1;
        uint32_t count;
        char b[64], m[64];
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows through run.sh's pipe */
        idle_argv[0] = (char *) arg_idle;
        idle_argv[1] = (char *) "900";
        idle_argv[2] = NULL;

        paths = calloc(arg_children, sizeof(char *));
        pids = calloc(arg_children, sizeof(uint32_t));
        if (!paths || !pids)
                return 1;

        r = bench_connect(arg_address, arg_user, &bus);
        if (r < 0)
                return 1;
        r = daemon_pid(bus, &daemon_process);
        if (r < 0)
                return 1;
        r = process_count(bus, &count);
        if (r < 0)
                return 1;
        if (count != 0)
                printf("  note: procctld already tracks %" PRIu32 " processes\n", count);

        printf("scale-children: %zu children of %s; %u Signal calls and %u Spawn+Wait+Release cycles per case\n",
               arg_children, arg_idle, arg_signal_calls, arg_spawn_calls);
        r = report_daemon("at start", daemon_process, NULL);
        if (r < 0)
                goto fail;

        /* Spawn+Wait+Release with nothing else alive (also warms the daemon's allocator up). */
        r = measure_spawns(bus, "no other child", &spawn_base);
        if (r < 0)
                goto fail;

        /* 10 children: the Signal baseline, and the RSS before the many. */
        r = spawn_many(bus, idle_argv, 10, paths, pids);
        if (r != 0)
                goto fail_children;
        r = measure_signal(bus, paths, 10, arg_signal_calls, &signal_base);
        if (r < 0)
                goto fail_children;
        print_figure("Signal 0, 10 children:", &signal_base);
        r = report_daemon("with 10 children", daemon_process, &rss_few);
        if (r < 0)
                goto fail_children;

        t0 = now_ns();
        r = spawn_many(bus, idle_argv, arg_children - 10, paths + 10, pids + 10);
        t1 = now_ns();
        if (r != 0)
                goto fail_children;
        printf("  started %zu more children in %.1f s (%.0f/s, 64 Spawn calls in flight)\n", arg_children - 10,
               (t1 - t0) / 1e9, (arg_children - 10) / ((t1 - t0) / 1e9));
        r = process_count(bus, &count);
        if (r < 0)
                goto fail_children;
        printf("  ProcessCount %" PRIu32 "\n", count);
        snprintf(b, sizeof(b), "with %zu children", arg_children);
        r = report_daemon(b, daemon_process, &rss_many);
        if (r < 0)
                goto fail_children;

        r = measure_signal(bus, paths, arg_children, arg_signal_calls, &signal_many);
        if (r < 0)
                goto fail_children;
        snprintf(b, sizeof(b), "Signal 0, %zu children:", arg_children);
        print_figure(b, &signal_many);
        snprintf(b, sizeof(b), "%zu alive", arg_children);
        r = measure_spawns(bus, b, &spawn_many_fig);
        if (r < 0)
                goto fail_children;

        /* Back to 10 children, and both baselines once more: the machine may
         * have drifted (other load, frequency) during the minutes this took,
         * so each baseline is the mean of its two measurements. */
        t0 = now_ns();
        r = stop_and_release_many(bus, paths + 10, arg_children - 10);
        t1 = now_ns();
        if (r != 0) {
                fprintf(stderr, "Stopping and releasing the children failed (%d)\n", r);
                goto fail_children;
        }
        printf("  stopped and released %zu children in %.1f s\n", arg_children - 10, (t1 - t0) / 1e9);
        for (size_t i = 10; i < arg_children; i++)
                paths[i] = mfree(paths[i]);
        r = report_daemon("with 10 children again", daemon_process, NULL);
        if (r < 0)
                goto fail_children;
        r = measure_signal(bus, paths, 10, arg_signal_calls, &signal_base2);
        if (r < 0)
                goto fail_children;
        print_figure("Signal 0, 10 children, again:", &signal_base2);
        r = stop_and_release_many(bus, paths, 10);
        if (r != 0)
                goto fail_children;
        r = measure_spawns(bus, "no other child, again", &spawn_base2);
        if (r < 0)
                goto fail;
        (void) report_daemon("at the end", daemon_process, NULL);
        printf("  drift of the baselines between start and end: Signal %+.1f%%, Spawn+Wait+Release %+.1f%%\n",
               (signal_base2.median_us / signal_base.median_us - 1) * 100,
               (spawn_base2.caller.median_us / spawn_base.caller.median_us - 1) * 100);
        if (*arg_spawn_user)
                printf("  drift of the Spawn+Wait+Release baseline as %s: %+.1f%%\n", arg_spawn_user,
                       (spawn_base2.other_user.median_us / spawn_base.other_user.median_us - 1) * 100);
        signal_base = mean(&signal_base, &signal_base2);
        spawn_base.caller = mean(&spawn_base.caller, &spawn_base2.caller);
        spawn_base.other_user = mean(&spawn_base.other_user, &spawn_base2.other_user);

        snprintf(b, sizeof(b), "%" PRIu64 " KiB @10", rss_few);
        snprintf(m, sizeof(m), "%" PRIu64 " KiB @%zu", rss_many, arg_children);
        print_row("daemon RSS growth per child (KiB/child)", b, m,
                  ((double) rss_many - (double) rss_few) / (double) (arg_children - 10), "<= 2 KiB");
        print_rows("Signal(0) round trip", &signal_base, &signal_many, "10", "<= 1.5x");
        print_rows("Spawn+Wait+Release /bin/true", &spawn_base.caller, &spawn_many_fig.caller, "0", "<= 1.2x");
        if (*arg_spawn_user) {
                snprintf(b, sizeof(b), "Spawn+Wait+Release /bin/true as %s", arg_spawn_user);
                print_rows(b, &spawn_base.other_user, &spawn_many_fig.other_user, "0", "<= 1.2x");
        }

        free_paths(paths, arg_children);
        return 0;

fail_children:
        fprintf(stderr, "Measurement failed; stopping the children started so far\n");
        {
                /* Those that started, wherever a failure left a hole. */
                size_t n = 0;
                for (size_t i = 0; i < arg_children; i++)
                        if (paths[i])
                                paths[n++] = paths[i];
                for (size_t i = n; i < arg_children; i++)
                        paths[i] = NULL;
                (void) stop_and_release_many(bus, paths, n);
        }
fail:
        free_paths(paths, arg_children);
        return 1;
}
