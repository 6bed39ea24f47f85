/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * spawn-busy: how soon does Spawn answer when the new program computes?
 *
 * The Spawn reply goes out once the program runs (its exec has happened).
 * The exec wakes procctld on the CPU the program runs on; a program that
 * never blocks holds that CPU, and the reply waits for the scheduler to let
 * the daemon run.  Each iteration starts `sh -c 'while :; do :; done'`
 * twice: through the daemon (the Spawn call is timed; Stop and Release are
 * not) and locally (posix_spawn, which returns after the exec too, is timed;
 * kill and waitpid are not), alternating as spawn-wait does.
 *
 * Prints the medians and 90th percentiles of both and the ratio of the
 * medians.  Printed, never asserted.  libsystemd only, like spawn-wait
 * (through bench/scale's helpers).
 *
 *   spawn-busy [--address=ADDR] [-n N]
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "scale/scale-common.h"

#define BUS_NAME          "org.procctl.Manager1"
#define MANAGER_PATH      "/org/procctl/Manager1"
#define MANAGER_INTERFACE "org.procctl.Manager1"

extern char **environ;

static const char *const busy_argv[] = { "/bin/sh", "-c", "while :; do :; done", NULL };

static int call(sd_bus *bus, const char *method, sd_bus_message **reply, const char *types, ...) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, method);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, reply);
        if (r < 0)
                fprintf(stderr, "%s failed: %s\n", method, error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        return r;
}

/* Spawn timed; Stop and Release after. */
static int run_daemon(sd_bus *bus, uint64_t *ret) {
        sd_bus_message *reply = NULL;
        const char *p;
        char path[256];
        uint32_t pid;
        uint64_t t0 = now_ns();
        int r;

        r = call(bus, "Spawn", &reply, "asa{sv}", 3, busy_argv[0], busy_argv[1], busy_argv[2], 0);
        if (r < 0)
                return r;
        *ret = now_ns() - t0;
        r = sd_bus_message_read(reply, "ou", &p, &pid);
        if (r >= 0)
                snprintf(path, sizeof(path), "%s", p);
        sd_bus_message_unref(reply);
        if (r < 0)
                return r;
        reply = NULL;
        r = call(bus, "Stop", &reply, "o", path);
        sd_bus_message_unref(reply);
        if (r >= 0)
                r = call(bus, "Release", NULL, "o", path);
        return r;
}

/* posix_spawn timed; kill and waitpid after. */
static int run_local(uint64_t *ret) {
        uint64_t t0 = now_ns();
        pid_t pid;
        int r;

        r = posix_spawn(&pid, busy_argv[0], NULL, NULL, (char **) busy_argv, environ);
        if (r != 0) {
                fprintf(stderr, "posix_spawn failed: %s\n", strerror(r));
                return -r;
        }
        *ret = now_ns() - t0;
        (void) kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "address",    required_argument, NULL, 'a' },
                { "iterations", required_argument, NULL, 'n' },
                {}
        };
        const char *address = NULL;
        unsigned n = 200;
        sd_bus *bus = NULL;
        uint64_t *d, *l;
        int c;

        while ((c = getopt_long(argc, argv, "n:", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        address = optarg;
                        break;
                case 'n':
                        n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "Usage: spawn-busy [--address=ADDR] [-n N]\n");
                        return EXIT_FAILURE;
                }
        if (n == 0 || n > 100000) {
                fprintf(stderr, "Invalid number of iterations\n");
                return EXIT_FAILURE;
        }
        if (bench_connect(address, false, &bus) < 0)
                return EXIT_FAILURE;
        d = calloc(n, sizeof(*d));
        l = calloc(n, sizeof(*l));
        if (!d || !l)
                return EXIT_FAILURE;
        for (unsigned i = 0; i < n + 10; i++) {
                uint64_t td = 0, tl = 0;
                bool daemon_first = i % 2 == 0;
                if ((daemon_first && run_daemon(bus, &td) < 0) || run_local(&tl) < 0 ||
                    (!daemon_first && run_daemon(bus, &td) < 0))
                        return EXIT_FAILURE;
                if (i >= 10) {
                        d[i - 10] = td;
                        l[i - 10] = tl;
                }
        }
        /* median_us() sorts: the 90th percentile is read after it. */
        double dm = median_us(d, n) / 1e3, d90 = (double) d[(n - 1) * 9 / 10] / 1e6;
        double lm = median_us(l, n) / 1e3, l90 = (double) l[(n - 1) * 9 / 10] / 1e6;
        printf("%u iterations of each, interleaved, after 10 warm-up iterations\n", n);
        printf("local  posix_spawn returns      median %.3f ms, 90%% %.3f ms\n", lm, l90);
        printf("daemon Spawn replies            median %.3f ms, 90%% %.3f ms\n", dm, d90);
        printf("ratio daemon/local (medians): %.2f\n", dm / lm);
        sd_bus_flush_close_unref(bus);
        return EXIT_SUCCESS;
}
