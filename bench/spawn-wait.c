/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * spawn-wait: what does it cost to start a process through procctld?
 *
 * Each iteration runs /bin/true twice: once through the daemon
 * (Spawn + Wait + Release, three synchronous bus calls, as a client that
 * wants the exit status and leaves nothing behind would do) and once
 * locally (posix_spawn + waitpid). The two alternate, and which one goes
 * first alternates too, so that drift of the machine (frequency scaling,
 * other load, a growing page cache) hits both sides alike. Both children
 * get /dev/null as stdin, stdout and stderr.
 *
 * Prints both medians and their ratio, and the connection's first
 * Spawn+Wait+Release, timed apart before the others (with polkit on the bus,
 * the call that asks it). The target is a ratio of at most 1.3;
 * it is printed, never asserted: timings belong to a report, not to a test.
 *
 * Links libsystemd only, and spells the bus names itself, so it measures the
 * bus contract as any outside client would use it.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define BUS_NAME          "org.procctl.Manager1"
#define MANAGER_PATH      "/org/procctl/Manager1"
#define MANAGER_INTERFACE "org.procctl.Manager1"
#define PROGRAM           "/bin/true"

extern char **environ;

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)

static void freep(void *p) {
        free(*(void **) p);
}

struct options {
        unsigned iterations;
        unsigned warmup;
        const char *address;
        bool user;
        const char *spawn_user; /* Spawn's `user` option, or NULL */
};

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Sorts @v in place. */
static double median_ms(uint64_t *v, size_t n) {
        qsort(v, n, sizeof(*v), compare_u64);
        if (n % 2 == 1)
                return v[n / 2] / 1e6;
        return (v[n / 2 - 1] + v[n / 2]) / 2 / 1e6;
}

/* Spawn + Wait + Release of /bin/true through the daemon; @phases gets the
 * time each of the three calls took. Returns 0, or a negative errno after
 * printing what went wrong. */
static int run_daemon(sd_bus *bus, const char *spawn_user, uint64_t phases[3]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *p, *reason;
        uint32_t pid;
        int32_t status;
        uint64_t t0 = now_ns();
        int r;

        if (spawn_user)
                r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Spawn", &error, &reply,
                                       "asa{sv}", 1, PROGRAM, 1, "user", "s", spawn_user);
        else
                r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Spawn", &error, &reply,
                                       "asa{sv}", 1, PROGRAM, 0);
        if (r < 0) {
                fprintf(stderr, "Spawn(%s) failed: %s: %s\n", PROGRAM,
                        error.name ?: "?", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_read(reply, "ou", &p, &pid);
        if (r < 0) {
                fprintf(stderr, "Spawn returned an unexpected reply: %s\n", strerror(-r));
                return r;
        }
        path = strdup(p);
        if (!path)
                return -ENOMEM;
        reply = sd_bus_message_unref(reply);
        phases[0] = now_ns() - t0;

        t0 = now_ns();
        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Wait",
                               &error, &reply, "o", path);
        if (r < 0) {
                fprintf(stderr, "Wait(%s) failed: %s: %s\n", path,
                        error.name ?: "?", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_read(reply, "si", &reason, &status);
        if (r < 0) {
                fprintf(stderr, "Wait returned an unexpected reply: %s\n", strerror(-r));
                return r;
        }
        if (strcmp(reason, "exited") != 0 || status != 0) {
                fprintf(stderr, "%s ended with %s %d through the daemon, expected exited 0\n",
                        PROGRAM, reason, status);
                return -EPROTO;
        }
        reply = sd_bus_message_unref(reply);
        phases[1] = now_ns() - t0;

        t0 = now_ns();
        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Release",
                               &error, NULL, "o", path);
        if (r < 0) {
                fprintf(stderr, "Release(%s) failed: %s: %s\n", path,
                        error.name ?: "?", error.message ?: strerror(-r));
                return r;
        }
        phases[2] = now_ns() - t0;
        return 0;
}

/* posix_spawn + waitpid of /bin/true, stdio on /dev/null. */
static int run_local(int devnull) {
        posix_spawn_file_actions_t actions;
        char *argv[] = { (char *) PROGRAM, NULL };
        pid_t pid;
        int r, status;

        posix_spawn_file_actions_init(&actions);
        for (int fd = 0; fd < 3; fd++)
                posix_spawn_file_actions_adddup2(&actions, devnull, fd);
        r = posix_spawn(&pid, PROGRAM, &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (r != 0) {
                fprintf(stderr, "posix_spawn(%s) failed: %s\n", PROGRAM, strerror(r));
                return -r;
        }

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        fprintf(stderr, "waitpid() failed: %m\n");
                        return -errno;
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "%s did not exit 0 locally (wait status 0x%x)\n", PROGRAM, status);
                return -EPROTO;
        }
        return 0;
}

static int connect_bus(const struct options *o, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!o->address) {
                /* sd-bus honours DBUS_SYSTEM_BUS_ADDRESS / DBUS_SESSION_BUS_ADDRESS. */
                r = o->user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
        } else {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, o->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the %s bus%s%s: %s\n",
                        o->address ? "given" : o->user ? "session" : "system",
                        o->address ? " " : "", o->address ?: "", strerror(-r));
                return r;
        }
        *ret = bus;
        bus = NULL;
        return 0;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: spawn-wait [OPTION...]\n"
                "Times Spawn+Wait+Release of " PROGRAM " through procctld against a local\n"
                "posix_spawn+waitpid, interleaved, and prints both medians and their ratio.\n\n"
                "  -n, --iterations=N  measured iterations of each (default 2000)\n"
                "  -w, --warmup=N      unmeasured iterations first (default 100)\n"
                "      --address=ADDR  bus address of the daemon (default: the system bus)\n"
                "      --user          use the session bus (procctld --user)\n"
                "      --spawn-user=U  ask the daemon to run " PROGRAM " as user U (Spawn's `user`)\n"
                "  -h, --help          show this help\n");
}

static int parse_unsigned(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > 10000000)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_argv(int argc, char *argv[], struct options *o) {
        enum { ARG_ADDRESS = 0x100, ARG_USER, ARG_SPAWN_USER };
        static const struct option long_options[] = {
                { "iterations", required_argument, NULL, 'n'         },
                { "warmup",     required_argument, NULL, 'w'         },
                { "address",    required_argument, NULL, ARG_ADDRESS },
                { "user",       no_argument,       NULL, ARG_USER    },
                { "spawn-user", required_argument, NULL, ARG_SPAWN_USER },
                { "help",       no_argument,       NULL, 'h'         },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "n:w:h", long_options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        if (parse_unsigned(optarg, &o->iterations) < 0 || o->iterations == 0) {
                                fprintf(stderr, "Invalid number of iterations: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_unsigned(optarg, &o->warmup) < 0) {
                                fprintf(stderr, "Invalid number of warm-up iterations: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_ADDRESS:
                        o->address = optarg;
                        break;
                case ARG_USER:
                        o->user = true;
                        break;
                case ARG_SPAWN_USER:
                        o->spawn_user = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_SUCCESS);
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        struct options o = { .iterations = 2000, .warmup = 100 };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *t_daemon = NULL, *t_local = NULL, *t_phases = NULL;
        static const char *const phase_name[3] = { "Spawn", "Wait", "Release" };
        double m_daemon, m_local;
        int devnull, r;

        if (parse_argv(argc, argv, &o) < 0)
                return EXIT_FAILURE;

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                fprintf(stderr, "Failed to open /dev/null: %m\n");
                return EXIT_FAILURE;
        }
        if (connect_bus(&o, &bus) < 0)
                return EXIT_FAILURE;

        t_daemon = calloc(o.iterations, sizeof(*t_daemon));
        t_local = calloc(o.iterations, sizeof(*t_local));
        t_phases = calloc(3 * (size_t) o.iterations, sizeof(*t_phases)); /* [phase][iteration] */
        if (!t_daemon || !t_local || !t_phases) {
                fprintf(stderr, "Out of memory\n");
                return EXIT_FAILURE;
        }

        /* The connection's first call, on its own: with polkit on the bus,
         * the one that asks it (procctld remembers the answer for the
         * connection a few seconds, procctld(8)). */
        uint64_t first_start = now_ns(), first_phases[3];
        if (run_daemon(bus, o.spawn_user, first_phases) < 0)
                return EXIT_FAILURE;
        double m_first = (double) (now_ns() - first_start) / 1e6;

        for (unsigned i = 0; i < o.warmup + o.iterations; i++) {
                bool measured = i >= o.warmup;
                unsigned k = measured ? i - o.warmup : 0;
                uint64_t t0, t1, phases[3];

                for (unsigned side = 0; side < 2; side++) {
                        /* Even iterations start with the daemon, odd ones locally. */
                        bool daemon_turn = (side == 0) == (i % 2 == 0);

                        t0 = now_ns();
                        r = daemon_turn ? run_daemon(bus, o.spawn_user, phases) : run_local(devnull);
                        t1 = now_ns();
                        if (r < 0)
                                return EXIT_FAILURE;
                        if (!measured)
                                continue;
                        if (!daemon_turn) {
                                t_local[k] = t1 - t0;
                                continue;
                        }
                        t_daemon[k] = t1 - t0;
                        for (unsigned p = 0; p < 3; p++)
                                t_phases[p * o.iterations + k] = phases[p];
                }
        }

        m_local = median_ms(t_local, o.iterations);
        m_daemon = median_ms(t_daemon, o.iterations);
        /* Spawn+Wait alone, per iteration, before the phases are sorted below:
         * what a caller that wants the exit status waits for. */
        for (unsigned k = 0; k < o.iterations; k++)
                t_daemon[k] = t_phases[k] + t_phases[o.iterations + k];
        double m_spawn_wait = median_ms(t_daemon, o.iterations);

        printf("%u iterations of each, interleaved, after %u warm-up iterations\n",
               o.iterations, o.warmup);
        printf("local  posix_spawn+waitpid     median %.3f ms\n", m_local);
        printf("daemon Spawn+Wait+Release      median %.3f ms  (", m_daemon);
        for (unsigned p = 0; p < 3; p++)
                printf("%s%s %.3f", p > 0 ? ", " : "", phase_name[p], median_ms(t_phases + p * o.iterations, o.iterations));
        printf(" ms)\n");
        printf("daemon first call of the connection %.3f ms  (Spawn %.3f ms)\n", m_first, (double) first_phases[0] / 1e6);
        printf("ratio daemon/local: %.2f; Spawn+Wait alone %.3f ms, ratio %.2f\n", m_daemon / m_local, m_spawn_wait,
               m_spawn_wait / m_local);
        return EXIT_SUCCESS;
}
