/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Process trees in the CLI: the tree procctl status shows (the cgroup and
 * its members, as systemctl status does), procctl freeze and thaw, and
 * procctl top, a live view like systemd-cgtop.  What a process uses comes
 * from the daemon's properties (TasksCurrent, CPUUsageNSec, MemoryCurrent),
 * never from /proc; only the members' command lines of the status tree are
 * read from this machine's cgroupfs and /proc, as systemctl reads them.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "procctl-bus.h"

/* --- The daemon's accounting properties -------------------------------------- */

typedef struct Usage {
        uint64_t tasks;
        uint64_t cpu_nsec;   /* UINT64_MAX: unknown */
        uint64_t memory;     /* UINT64_MAX: unknown */
} Usage;

static const struct {
        const char *name;
        size_t offset;
} usage_properties[] = {
        { "TasksCurrent", offsetof(Usage, tasks) },
        { "CPUUsageNSec", offsetof(Usage, cpu_nsec) },
        { "MemoryCurrent", offsetof(Usage, memory) },
};

/* Calls in flight at once: well below the bus's limit on replies a
 * connection may await (dbus-daemon's system bus: 128). */
#define USAGE_CALLS_IN_FLIGHT 64

typedef struct UsageCall {
        sd_bus_slot *slot;  /* held until get_usages() returns: no reply comes after */
        Usage *usage;
        size_t property;    /* in usage_properties */
        int *result;        /* the process's: 0, or the first error */
        size_t *in_flight;
} UsageCall;

static int on_usage_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UsageCall *c = userdata;
        int r;

        (*c->in_flight)--;
        r = -sd_bus_message_get_errno(reply); /* EIO for an error sd-bus has no errno for */
        if (r == 0)
                r = sd_bus_message_read(reply, "v", "t", (char *) c->usage + usage_properties[c->property].offset);
        if (r < 0 && *c->result == 0)
                *c->result = r;
        return 0;
}

/*
 * The accounting of n processes: a Properties.Get per property (the daemon
 * reads them from cgroupfs only when asked), all of them in flight together
 * rather than one round trip after the other.  results[i] is 0, or why the
 * process's could not be read (it was released meanwhile).  Returns 0, or a
 * negative errno when the connection failed.
 */
static int get_usages(sd_bus *bus, const char *const *paths, size_t n, Usage *usages, int *results) {
        size_t n_calls = n * ELEMENTSOF(usage_properties), next = 0, in_flight = 0;
        UsageCall *calls = calloc(n_calls ?: 1, sizeof(UsageCall));
        int r = 0;

        if (!calls)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                results[i] = 0;
        while (r >= 0 && (next < n_calls || in_flight > 0)) {
                for (; next < n_calls && in_flight < USAGE_CALLS_IN_FLIGHT; next++) {
                        size_t i = next / ELEMENTSOF(usage_properties);
                        UsageCall *c = &calls[next];

                        *c = (UsageCall) { NULL, &usages[i], next % ELEMENTSOF(usage_properties), &results[i], &in_flight };
                        r = sd_bus_call_method_async(bus, &c->slot, PROCCTL_BUS_NAME, paths[i],
                                                     "org.freedesktop.DBus.Properties", "Get", on_usage_reply, c, "ss",
                                                     PROCCTL_PROCESS_INTERFACE, usage_properties[c->property].name);
                        if (r < 0)
                                break;
                        in_flight++;
                }
                if (r >= 0)
                        r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        /* Calls still in flight after a failure are dropped with their slots. */
        for (size_t k = 0; k < next; k++)
                sd_bus_slot_unref(calls[k].slot);
        free(calls);
        return r < 0 ? r : 0;
}

static int get_usage(sd_bus *bus, const char *path, Usage *ret) {
        int result, r;

        r = get_usages(bus, &path, 1, ret, &result);
        return r < 0 ? r : result;
}

/* "512B", "1.5K", "20.0M", as systemd prints bytes. */
static char *format_bytes(uint64_t n, char *buf, size_t size) {
        static const char units[] = "KMGTPE";
        double v = (double) n;
        int u = -1;

        if (n == UINT64_MAX) {
                snprintf(buf, size, "-");
                return buf;
        }
        while (v >= 1024 && u < (int) sizeof(units) - 2) {
                v /= 1024;
                u++;
        }
        if (u < 0)
                snprintf(buf, size, "%" PRIu64 "B", n);
        else
                snprintf(buf, size, "%.1f%c", v, units[u]);
        return buf;
}

/* --- The tree in procctl status ------------------------------------------------ */

/* "/proc/PID/cmdline" with spaces for NULs; "[comm]" for a process without one. */
static char *command_line_of(pid_t pid) {
        char file[64], buf[4096];
        ssize_t n = 0;
        int fd;

        snprintf(file, sizeof(file), "/proc/%d/cmdline", (int) pid);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
        }
        if (n > 0) {
                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\0' || buf[i] == '\n')
                                buf[i] = ' ';
                while (n > 0 && buf[n - 1] == ' ')
                        n--;
                buf[n] = '\0';
                return strdup(buf);
        }
        snprintf(file, sizeof(file), "/proc/%d/comm", (int) pid);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return strdup("?");
        buf[strcspn(buf, "\n") < (size_t) n ? strcspn(buf, "\n") : (size_t) n] = '\0';
        char *s = NULL;
        return asprintf(&s, "[%s]", buf) < 0 ? NULL : s;
}

static int pid_compare(const void *a, const void *b) {
        return *(const pid_t *) a - *(const pid_t *) b;
}

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A cgroup's members, sorted: PIDs of cgroup.procs, then the cgroups below it. */
typedef struct Members {
        pid_t *pids;
        size_t n_pids;
        char **subs;
        size_t n_subs;
} Members;

static void members_done(Members *m) {
        free(m->pids);
        for (size_t i = 0; i < m->n_subs; i++)
                free(m->subs[i]);
        free(m->subs);
}

static void members_read(int dir_fd, Members *ret) {
        int fd = openat(dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
        DIR *d;
        int pid;

        *ret = (Members) {};
        if (f) {
                while (fscanf(f, "%d", &pid) == 1) {
                        pid_t *l = reallocarray(ret->pids, ret->n_pids + 1, sizeof(pid_t));
                        if (!l)
                                break;
                        ret->pids = l;
                        ret->pids[ret->n_pids++] = pid;
                }
                fclose(f);
        } else if (fd >= 0)
                close(fd);
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = fd >= 0 ? fdopendir(fd) : NULL;
        if (d) {
                for (struct dirent *e; (e = readdir(d));) {
                        char **l;
                        if (e->d_type != DT_DIR || e->d_name[0] == '.')
                                continue;
                        l = reallocarray(ret->subs, ret->n_subs + 1, sizeof(char *));
                        if (!l)
                                break;
                        ret->subs = l;
                        if ((ret->subs[ret->n_subs] = strdup(e->d_name)))
                                ret->n_subs++;
                }
                closedir(d);
        } else if (fd >= 0)
                close(fd);
        if (ret->n_pids > 1)
                qsort(ret->pids, ret->n_pids, sizeof(pid_t), pid_compare);
        if (ret->n_subs > 1)
                qsort(ret->subs, ret->n_subs, sizeof(char *), name_compare);
}

/* Each member on a line of its own, "├─" before all but the last ("└─"),
 * the members of a cgroup below indented under its name. */
static void print_members(int dir_fd, const char *prefix, unsigned depth) {
        Members m;
        size_t n;

        members_read(dir_fd, &m);
        n = m.n_pids + m.n_subs;
        for (size_t i = 0; i < n; i++) {
                bool last = i + 1 == n;
                const char *branch = last ? "└─" : "├─";

                if (i < m.n_pids) {
                        _cleanup_free_ char *cmd = command_line_of(m.pids[i]);
                        _cleanup_free_ char *shown = cmd ? cli_escape(cmd) : NULL;
                        printf("%s%s%d %s\n", prefix, branch, (int) m.pids[i], shown ?: "?");
                        continue;
                }
                const char *sub = m.subs[i - m.n_pids];
                _cleanup_free_ char *sub_prefix = NULL;
                int fd = openat(dir_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                printf("%s%s%s\n", prefix, branch, sub);
                if (fd < 0)
                        continue;
                if (depth < 16 && asprintf(&sub_prefix, "%s%s", prefix, last ? "  " : "│ ") >= 0)
                        print_members(fd, sub_prefix, depth + 1);
                close(fd);
        }
        members_done(&m);
}

/* The cgroup's directory here: cgroup2 at /sys/fs/cgroup, or at
 * /sys/fs/cgroup/unified on a hybrid system; -1 when it is not on this
 * machine (procctl -H) or gone. */
static int open_cgroup(const char *cgroup) {
        static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

        for (size_t i = 0; i < ELEMENTSOF(mounts); i++) {
                _cleanup_free_ char *dir = NULL;
                int fd;

                if (asprintf(&dir, "%s%s", mounts[i], cgroup) < 0)
                        return -1;
                fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && faccessat(fd, "cgroup.procs", R_OK, 0) == 0)
                        return fd;
                if (fd >= 0)
                        close(fd);
        }
        return -1;
}

void cli_status_print_tree(procctl_client *client, const char *path) {
        sd_bus *bus = procctl_client_get_bus(client);
        _cleanup_free_ char *cgroup = NULL;
        char buf[64];
        Usage u;
        int fd;

        if (sd_bus_get_property_string(bus, PROCCTL_BUS_NAME, path, PROCCTL_PROCESS_INTERFACE, "ControlGroup", NULL,
                                       &cgroup) < 0 || !cgroup || !*cgroup)
                return; /* an older daemon, or no cgroup: nothing to show */
        if (get_usage(bus, path, &u) >= 0) {
                printf("        Tasks: %" PRIu64 "\n", u.tasks);
                if (u.cpu_nsec != UINT64_MAX)
                        printf("          CPU: %s\n", cli_format_duration(u.cpu_nsec / 1000, buf, sizeof(buf)));
                if (u.memory != UINT64_MAX)
                        printf("       Memory: %s\n", format_bytes(u.memory, buf, sizeof(buf)));
        }
        printf("       CGroup: %s\n", cgroup);
        fd = open_cgroup(cgroup);
        if (fd < 0)
                return;
        print_members(fd, "               ", 0);
        close(fd);
}

/* --- freeze, thaw ------------------------------------------------------------------ */

static void freeze_help(void) {
        printf("Usage: procctl freeze|thaw [OPTIONS...] ID...\n"
               "\n"
               "Freeze every process of each process's tree (its cgroup: cgroup.freeze), or\n"
               "thaw it. A frozen process can still be stopped.\n"
               "\n"
               "Options:\n"
               GLOBAL_OPTIONS_HELP);
}

static int freeze_one(procctl_process *p, const char *id, void *userdata) {
        const char *method = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(procctl_client_get_bus(procctl_process_get_client(p)), PROCCTL_BUS_NAME,
                               procctl_process_get_path(p), PROCCTL_PROCESS_INTERFACE, method, &error, NULL, NULL);
        if (r < 0)
                cli_error("%s: %s", id, error.message ?: strerror(-r));
        return r;
}

static int freeze_or_thaw(int argc, char *argv[], const char *method) {
        int r = cli_parse_id_args(argc, argv, argv[0], freeze_help);

        if (r != 0)
                return r > 0 ? 0 : EXIT_USAGE;
        r = cli_for_each_id(argc, argv, freeze_one, (void *) method);
        return r == 0 ? 0 : 1;
}

int verb_freeze(int argc, char *argv[]) {
        return freeze_or_thaw(argc, argv, "Freeze");
}

int verb_thaw(int argc, char *argv[]) {
        return freeze_or_thaw(argc, argv, "Thaw");
}

/* --- top --------------------------------------------------------------------------- */

static void top_help(void) {
        printf("Usage: procctl top [OPTIONS...]\n"
               "\n"
               "Show the processes procctld tracks whose trees have tasks, by CPU use (then\n"
               "memory), refreshed every second, like systemd-cgtop: the daemon's\n"
               "TasksCurrent, CPUUsageNSec and MemoryCurrent. %%CPU is of one CPU, over the\n"
               "last interval (\"-\" on the first).\n"
               "\n"
               "Options:\n"
               "  -b, --batch              Print each refresh after the last, for scripts\n"
               "  -n, --iterations=N       Stop after N refreshes\n"
               "  -d, --delay=SECONDS      Time between refreshes (default: 1)\n"
               GLOBAL_OPTIONS_HELP);
}

typedef struct TopRow {
        uint64_t id;
        pid_t pid;
        uid_t uid;
        Usage usage;
        double cpu_percent;  /* < 0: not known yet */
        const char *command;
} TopRow;

typedef struct TopSample {
        uint64_t id;
        uint64_t cpu_nsec;
} TopSample;

static int sample_compare(const void *a, const void *b) {
        uint64_t x = ((const TopSample *) a)->id, y = ((const TopSample *) b)->id;
        return x < y ? -1 : x > y;
}

/* By CPU, then memory, then id. */
static int row_compare(const void *a, const void *b) {
        const TopRow *x = a, *y = b;
        uint64_t mx = x->usage.memory == UINT64_MAX ? 0 : x->usage.memory;
        uint64_t my = y->usage.memory == UINT64_MAX ? 0 : y->usage.memory;

        if (x->cpu_percent != y->cpu_percent)
                return x->cpu_percent > y->cpu_percent ? -1 : 1;
        if (mx != my)
                return mx > my ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static uint64_t now_nsec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

typedef struct TopState {
        TopSample *samples;  /* the last refresh's, by id */
        size_t n_samples;
        uint64_t sampled_nsec;
} TopState;

/* One refresh: ListProcesses, then each process's accounting. */
static int top_refresh(procctl_client *client, TopState *st, bool clear) {
        _cleanup_(procctl_process_list_unrefp) procctl_process_list *list = NULL;
        procctl_error error = PROCCTL_ERROR_INIT;
        sd_bus *bus = procctl_client_get_bus(client);
        TopRow *rows = NULL;
        TopSample *samples = NULL;
        size_t n = 0, size;
        uint64_t now;
        int r;

        r = procctl_list(client, &list, &error);
        if (r < 0) {
                cli_call_error("list", r, &error);
                procctl_error_clear(&error);
                return r;
        }
        size = procctl_process_list_get_size(list);
        rows = calloc(size ?: 1, sizeof(TopRow));
        samples = calloc(size ?: 1, sizeof(TopSample));
        _cleanup_free_ const char **paths = calloc(size ?: 1, sizeof(char *));
        _cleanup_free_ Usage *usages = calloc(size ?: 1, sizeof(Usage));
        _cleanup_free_ int *results = calloc(size ?: 1, sizeof(int));
        if (!rows || !samples || !paths || !usages || !results) {
                free(rows);
                free(samples);
                return -ENOMEM;
        }
        for (size_t i = 0; i < size; i++)
                paths[i] = procctl_process_list_get_path(list, i);
        r = get_usages(bus, paths, size, usages, results);
        now = now_nsec();
        if (r < 0) {
                cli_error("cannot read the processes' accounting: %s", strerror(-r));
                free(rows);
                free(samples);
                return r;
        }
        for (size_t i = 0; i < size; i++) {
                TopRow *row = &rows[n];

                /* Released in between: not shown. */
                if (results[i] < 0 || usages[i].tasks == 0)
                        continue;
                row->usage = usages[i];
                row->id = procctl_process_list_get_id(list, i);
                row->pid = procctl_process_list_get_pid(list, i);
                row->uid = procctl_process_list_get_uid(list, i);
                row->command = procctl_process_list_get_command_line(list, i);
                row->cpu_percent = -1;
                samples[n] = (TopSample) { row->id, row->usage.cpu_nsec };
                TopSample key = { .id = row->id }, *prev = st->samples ? bsearch(&key, st->samples, st->n_samples,
                                                                                   sizeof(TopSample), sample_compare)
                                                                         : NULL;
                if (prev && row->usage.cpu_nsec != UINT64_MAX && prev->cpu_nsec != UINT64_MAX &&
                    row->usage.cpu_nsec >= prev->cpu_nsec && now > st->sampled_nsec)
                        row->cpu_percent = 100.0 * (double) (row->usage.cpu_nsec - prev->cpu_nsec) /
                                           (double) (now - st->sampled_nsec);
                n++;
        }
        free(st->samples);
        st->samples = samples; /* by id, as the list is */
        st->n_samples = n;
        st->sampled_nsec = now;
        qsort(rows, n, sizeof(TopRow), row_compare);

        if (clear)
                fputs("\033[H\033[2J", stdout);
        int columns = cli_columns();
        printf("%s%-8s %8s %-10s %6s %6s %8s %10s %s%s\n", cli_color(ANSI_HIGHLIGHT), "ID", "PID", "USER", "TASKS", "%CPU",
               "MEMORY", "CPU-TIME", "COMMAND", cli_color(ANSI_NORMAL));
        for (size_t i = 0; i < n; i++) {
                char cpu[16], mem[16], time[32], user[64];
                _cleanup_free_ char *command = cli_escape(rows[i].command);
                int width;

                if (rows[i].cpu_percent < 0)
                        snprintf(cpu, sizeof(cpu), "-");
                else
                        snprintf(cpu, sizeof(cpu), "%.1f", rows[i].cpu_percent);
                if (rows[i].usage.cpu_nsec == UINT64_MAX)
                        snprintf(time, sizeof(time), "-");
                else
                        cli_format_duration(rows[i].usage.cpu_nsec / 1000, time, sizeof(time));
                width = printf("%-8" PRIu64 " %8d %-10.10s %6" PRIu64 " %6s %8s %10s ", rows[i].id, (int) rows[i].pid,
                               cli_user_name(rows[i].uid, user, sizeof(user)), rows[i].usage.tasks, cpu,
                               format_bytes(rows[i].usage.memory, mem, sizeof(mem)), time);
                /* On a terminal, one line each. */
                if (columns > width)
                        printf("%.*s\n", columns - width, command ?: "?");
                else
                        printf("%s\n", command ?: "?");
        }
        fflush(stdout);
        free(rows);
        return 0;
}

int verb_top(int argc, char *argv[]) {
        enum { ARG_BATCH = ARG_FIRST_COMMAND_OPTION };
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "batch",      no_argument,       NULL, 'b' },
                { "iterations", required_argument, NULL, 'n' },
                { "delay",      required_argument, NULL, 'd' },
                {}
        };
        _cleanup_(procctl_client_unrefp) procctl_client *client = NULL;
        TopState st = {};
        bool batch = false;
        uint64_t iterations = 0, delay_nsec = 1000000000;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS "bn:d:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        top_help();
                        return 0;
                case 'b':
                        batch = true;
                        break;
                case 'n': {
                        char *end;
                        errno = 0;
                        iterations = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || iterations == 0 || optarg[0] == '-') {
                                cli_error("invalid --iterations '%s' (expected a number of at least 1)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                }
                case 'd': {
                        char *end;
                        double s;
                        errno = 0;
                        s = strtod(optarg, &end);
                        if (errno != 0 || end == optarg || *end || !(s > 0) || s > 86400) {
                                cli_error("invalid --delay '%s' (expected seconds, such as 1 or 0.5)", optarg);
                                return EXIT_USAGE;
                        }
                        delay_nsec = (uint64_t) (s * 1e9 + 0.5);
                        break;
                }
                default:
                        if (!cli_global_option(c, optarg))
                                return cli_option_error(c, argv, argv[0]);
                }
        }
        if (optind < argc) {
                cli_error("'procctl top' takes no arguments (see 'procctl top --help')");
                return EXIT_USAGE;
        }
        if (cli_connect(&client) < 0)
                return 1;

        /* A live view on a terminal; each refresh after the last otherwise. */
        bool clear = !batch && isatty(STDOUT_FILENO);
        for (uint64_t i = 0; iterations == 0 || i < iterations; i++) {
                if (i > 0) {
                        struct timespec ts = { (time_t) (delay_nsec / 1000000000), (long) (delay_nsec % 1000000000) };
                        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                                ;
                        if (!clear)
                                printf("\n");
                }
                r = top_refresh(client, &st, clear);
                if (r < 0)
                        break;
        }
        free(st.samples);
        return r < 0 ? 1 : 0;
}
