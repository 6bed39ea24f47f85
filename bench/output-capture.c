/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * output-capture: what does captured output cost?
 *
 * Each round moves the same bytes (200 MiB by default) twice: once written
 * by `head -c N /dev/zero` spawned through procctld with `output: capture`
 * (Spawn, then Wait: the daemon reads it all into the process's buffer,
 * dropping the oldest past output-max), and once locally, head's stdout a
 * pipe to `cat >/dev/null` (posix_spawn both, waitpid both).  The two
 * alternate, and which goes first alternates too.  Prints both medians,
 * their ratio (the target is at most 3) and the daemon's CPU time (user +
 * system, from /proc/PID/stat) per MiB captured.  Printed, never asserted.
 *
 * Links libsystemd only and spells the bus names itself, as an outside
 * client would.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
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
#define HEAD              "/usr/bin/head"
#define CAT               "/bin/cat"

extern char **environ;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void die(const char *what, int r) {
        fprintf(stderr, "output-capture: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(1);
}

/* The daemon's user + system time, in clock ticks. */
static uint64_t cpu_ticks(pid_t pid) {
        char path[64], buf[4096];
        unsigned long utime, stime;
        FILE *f;
        char *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                die(path, errno);
        if (!fgets(buf, sizeof(buf), f))
                die(path, EIO);
        fclose(f);
        p = strrchr(buf, ')'); /* after the command name, which may hold spaces */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
                die(path, EINVAL);
        return utime + stime;
}

static pid_t daemon_pid(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionUnixProcessID", &error, &reply, "s", BUS_NAME);
        if (r < 0)
                die(error.message ?: "GetConnectionUnixProcessID", r);
        r = sd_bus_message_read(reply, "u", &pid);
        if (r < 0)
                die("GetConnectionUnixProcessID reply", r);
        sd_bus_message_unref(reply);
        return (pid_t) pid;
}

/* Spawn with capture, Wait, Release: nanoseconds from Spawn to Wait's reply. */
static uint64_t through_daemon(sd_bus *bus, const char *size) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        uint64_t start, ns;
        int r;

        start = now_ns();
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Spawn");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 4, HEAD, "-c", size, "/dev/zero");
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "output", "s", "capture");
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                die(error.message ?: "Spawn", r);
        m = sd_bus_message_unref(m);
        r = sd_bus_message_read(reply, "ou", &path, NULL);
        if (r < 0)
                die("Spawn reply", r);
        char *p = strdup(path);
        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Wait", &error, &reply, "o", p);
        if (r < 0)
                die(error.message ?: "Wait", r);
        ns = now_ns() - start;
        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Release", &error, NULL, "o", p);
        if (r < 0)
                die(error.message ?: "Release", r);
        free(p);
        return ns;
}

static pid_t spawn_with(char *const argv[], int in, int out) {
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out, 1);
        r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                die("posix_spawn", r);
        return pid;
}

/* head | cat >/dev/null: nanoseconds until both have exited. */
static uint64_t through_pipe(const char *size, int devnull) {
        int p[2];
        uint64_t start = now_ns();

        if (pipe2(p, O_CLOEXEC) < 0)
                die("pipe", errno);
        pid_t head = spawn_with((char *const[]) { HEAD, "-c", (char *) size, "/dev/zero", NULL }, devnull, p[1]);
        pid_t cat = spawn_with((char *const[]) { CAT, NULL }, p[0], devnull);
        close(p[0]);
        close(p[1]);
        if (waitpid(head, NULL, 0) < 0 || waitpid(cat, NULL, 0) < 0)
                die("waitpid", errno);
        return now_ns() - start;
}

static int compare(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "address", required_argument, NULL, 'a' },
                { "mib", required_argument, NULL, 'm' },
                { "rounds", required_argument, NULL, 'n' },
                {}
        };
        const char *address = NULL;
        unsigned mib = 200, rounds = 5;
        sd_bus *bus = NULL;
        char size[32];
        int c, r;

        while ((c = getopt_long(argc, argv, "a:m:n:", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        address = optarg;
                        break;
                case 'm':
                        mib = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'n':
                        rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "Usage: output-capture [--address=ADDRESS] [--mib=N] [--rounds=N]\n");
                        return 2;
                }
        if (mib == 0 || rounds == 0)
                die("--mib and --rounds must be at least 1", EINVAL);

        if (address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                die("connecting to the bus", r);
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                die("/dev/null", errno);
        snprintf(size, sizeof(size), "%llu", (unsigned long long) mib * 1024 * 1024);
        pid_t daemon = daemon_pid(bus);
        uint64_t *captured = calloc(rounds, sizeof(uint64_t)), *piped = calloc(rounds, sizeof(uint64_t));
        if (!captured || !piped)
                die("calloc", ENOMEM);

        uint64_t ticks = 0;
        (void) through_daemon(bus, "1"); /* warm-up: the connection's first call */
        for (unsigned i = 0; i < rounds; i++) {
                if (i % 2 == 0)
                        piped[i] = through_pipe(size, devnull);
                uint64_t before = cpu_ticks(daemon);
                captured[i] = through_daemon(bus, size);
                ticks += cpu_ticks(daemon) - before;
                if (i % 2 == 1)
                        piped[i] = through_pipe(size, devnull);
        }
        qsort(captured, rounds, sizeof(uint64_t), compare);
        qsort(piped, rounds, sizeof(uint64_t), compare);
        double cap_ms = (double) captured[rounds / 2] / 1e6, pipe_ms = (double) piped[rounds / 2] / 1e6;
        double cpu_ms = (double) ticks * 1000.0 / (double) sysconf(_SC_CLK_TCK);

        printf("%u MiB, %u rounds (medians)\n", mib, rounds);
        printf("  through procctld, output: capture  %9.1f ms  (%.0f MiB/s)\n", cap_ms, mib / (cap_ms / 1000.0));
        printf("  local pipe to cat >/dev/null       %9.1f ms  (%.0f MiB/s)\n", pipe_ms, mib / (pipe_ms / 1000.0));
        printf("  ratio                              %9.2f    (target: at most 3)\n", cap_ms / pipe_ms);
        printf("  procctld CPU per MiB captured      %9.3f ms  (%.0f ms for %u MiB x %u)\n",
               cpu_ms / ((double) mib * rounds), cpu_ms, mib, rounds);
        free(captured);
        free(piped);
        sd_bus_flush_close_unref(bus);
        return 0;
}
