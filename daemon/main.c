/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctld: parses the command line, prepares the process (signals,
 * descriptor limit, pidfd probe), connects to the bus and runs the loop.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "missing.h"
#include "pidfd.h"
#include "procctl-bus.h"
#include "procfs.h"
#include "service.h"
#include "settings.h"
#include "spawn.h"

/* The soft descriptor limit children get, as a login would: select() breaks above it. */
#define CHILD_NOFILE_SOFT 1024

static bool arg_user;
static const char *arg_runtime_directory;
static bool arg_fd_store;
static const char *arg_cgroup;
static bool arg_clone_into_cgroup = true;
static uint64_t arg_exit_idle_usec;
static const char *arg_config = PROCCTL_SYSCONFDIR "/procctl/procctld.conf";
static struct {
        const char *key, *value;
} arg_limits[16];
static size_t arg_n_limits;

static void help(void) {
        printf("Usage: procctld [OPTIONS]\n\n"
               "Spawns and tracks processes for callers on the D-Bus system bus.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --user               Serve the session bus, as this user\n"
               "     --exit-idle-after=SEC  Exit after SEC seconds with no process tracked\n"
               "                          (for bus activation; default: never)\n"
               "     --fd-store           Keep processes in the service manager's file descriptor\n"
               "                          store, to take them back after a restart\n"
               "     --log-level=LEVEL    debug, info, notice, warning or err (default: info)\n"
               "     --runtime-directory=DIR  Record the process ids handed out in DIR, so that\n"
               "                          none repeats after a restart (default: $RUNTIME_DIRECTORY,\n"
               "                          else /run/procctl; with --user $XDG_RUNTIME_DIR/procctl)\n"
               "     --cgroup=PATH|no     Give each process a cgroup below PATH (below the cgroup2\n"
               "                          mount) instead of below procctld's own; no: none\n"
               "     --clone-into-cgroup=no  Let each child join its cgroup before exec, as on\n"
               "                          kernels without clone3's CLONE_INTO_CGROUP (for tests)\n"
               "     --config=FILE        Read limits from FILE (default: %s)\n"
               "     --max-running-per-user=N   Running processes one uid may own (default: %u)\n"
               "     --max-retained-per-user=N  Exited records kept per uid, oldest dropped (default: %u)\n"
               "     --max-waits-per-user=N     Pending Wait/Stop calls per uid (default: %u)\n"
               "     --max-auth-per-user=N      Pending authorization checks per uid (default: %u)\n"
               "     --max-auth-descriptors-per-user=N\n"
               "                                Descriptors in a uid's calls awaiting authorization (default: %u)\n"
               "     --max-bytes-per-user=N     Bytes of a uid's process records (default: %u)\n"
               "     --max-processes=N          Processes tracked in all (default: %u)\n"
               "     --remember-authorization-sec=N\n"
               "                                How long a caller's yes from polkit is remembered;\n"
               "                                0: never (default: %u)\n"
               "     --max-output-bytes=N       Largest output-max a Spawn may ask for (default: %u)\n"
               "     --default-output-bytes=N   output-max of a Spawn that names none (default: %u)\n",
               PROCCTL_SYSCONFDIR "/procctl/procctld.conf", LIMITS_DEFAULT.running_per_user, LIMITS_DEFAULT.retained_per_user,
               LIMITS_DEFAULT.waits_per_user, LIMITS_DEFAULT.auth_per_user, LIMITS_DEFAULT.auth_fds_per_user,
               LIMITS_DEFAULT.bytes_per_user, LIMITS_DEFAULT.processes_total, LIMITS_DEFAULT.remember_auth_sec,
               LIMITS_DEFAULT.output_bytes_max, LIMITS_DEFAULT.output_bytes_default);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_USER, ARG_FD_STORE, ARG_LOG_LEVEL, ARG_CONFIG, ARG_LIMIT, ARG_EXIT_IDLE,
               ARG_RUNTIME_DIRECTORY, ARG_CGROUP, ARG_CLONE_INTO_CGROUP };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "user", no_argument, NULL, ARG_USER },
                { "fd-store", no_argument, NULL, ARG_FD_STORE },
                { "runtime-directory", required_argument, NULL, ARG_RUNTIME_DIRECTORY },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "cgroup", required_argument, NULL, ARG_CGROUP },
                { "clone-into-cgroup", required_argument, NULL, ARG_CLONE_INTO_CGROUP },
                { "exit-idle-after", required_argument, NULL, ARG_EXIT_IDLE },
                { "max-running-per-user", required_argument, NULL, ARG_LIMIT },
                { "max-retained-per-user", required_argument, NULL, ARG_LIMIT },
                { "max-waits-per-user", required_argument, NULL, ARG_LIMIT },
                { "max-auth-per-user", required_argument, NULL, ARG_LIMIT },
                { "max-auth-descriptors-per-user", required_argument, NULL, ARG_LIMIT },
                { "max-bytes-per-user", required_argument, NULL, ARG_LIMIT },
                { "max-processes", required_argument, NULL, ARG_LIMIT },
                { "remember-authorization-sec", required_argument, NULL, ARG_LIMIT },
                { "max-output-bytes", required_argument, NULL, ARG_LIMIT },
                { "default-output-bytes", required_argument, NULL, ARG_LIMIT },
                {}
        };
        int c, level, index;
        Limits check = LIMITS_DEFAULT;

        while ((c = getopt_long(argc, argv, "h", options, &index)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("procctld %s\n", PROCCTL_VERSION);
                        return 0;
                case ARG_RUNTIME_DIRECTORY:
                        if (optarg[0] != '/') {
                                log_error("--runtime-directory needs an absolute path: %s", optarg);
                                return -EINVAL;
                        }
                        arg_runtime_directory = optarg;
                        break;
                case ARG_USER:
                        arg_user = true;
                        break;
                case ARG_FD_STORE:
                        arg_fd_store = true;
                        break;
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "procctld: unknown log level \"%s\"\n", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(level);
                        break;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
                case ARG_CGROUP:
                        if (strcmp(optarg, "no") != 0 && optarg[0] != '/') {
                                fprintf(stderr, "procctld: --cgroup needs \"no\" or a path below the cgroup2 mount\n");
                                return -EINVAL;
                        }
                        arg_cgroup = optarg;
                        break;
                case ARG_CLONE_INTO_CGROUP:
                        if (strcmp(optarg, "yes") != 0 && strcmp(optarg, "no") != 0) {
                                fprintf(stderr, "procctld: --clone-into-cgroup needs \"yes\" or \"no\"\n");
                                return -EINVAL;
                        }
                        arg_clone_into_cgroup = strcmp(optarg, "yes") == 0;
                        break;
                case ARG_EXIT_IDLE: {
                        char *end;
                        double sec = strtod(optarg, &end);
                        if (end == optarg || *end || sec <= 0 || sec > 1e9) {
                                fprintf(stderr, "procctld: --exit-idle-after needs a positive number of seconds\n");
                                return -EINVAL;
                        }
                        arg_exit_idle_usec = (uint64_t) (sec * 1e6);
                        break;
                }
                case ARG_LIMIT: {
                        const char *key = limits_key_for_option(options[index].name);
                        if (!key || arg_n_limits >= ELEMENTSOF(arg_limits) || limits_set(&check, key, optarg) < 0) {
                                fprintf(stderr, "procctld: --%s needs a whole number of at least %u\n", options[index].name,
                                        key ? limits_min(key) : 1);
                                return -EINVAL;
                        }
                        arg_limits[arg_n_limits].key = key;
                        arg_limits[arg_n_limits++].value = optarg;
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "procctld: unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* Raise our own descriptor limit (we hold a pidfd per child), remembering what
 * children get back. */
static void setup_nofile(Manager *m) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        m->child_nofile = (struct rlimit) {
                .rlim_cur = rl.rlim_max < CHILD_NOFILE_SOFT ? rl.rlim_max : CHILD_NOFILE_SOFT,
                .rlim_max = rl.rlim_max,
        };
        if (rl.rlim_cur != rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_warning_errno(errno, "Failed to raise the descriptor limit: %m");
        }
        m->reset_child_nofile = true;
}

/* A short scheduling slice (sched_attr's sched_runtime, which the EEVDF
 * scheduler of Linux 6.12 and later takes as the slice asked for; older
 * kernels ignore it): a task with a shorter slice than the one running may
 * preempt it when woken.  The exec of a new child wakes the daemon, and the
 * scheduler puts it on the child's CPU: with the default slice the daemon
 * then waited there until the program blocked or its slice ran out, which
 * for a program that computes delayed the Spawn reply by a whole slice
 * (3.5 ms rather than 0.3, bench/spawn-busy).  The daemon's work per
 * event is tens of µs.  Its weight, its share of the CPU, stays what it was
 * (nice is kept).  The reset on fork gives children the default slice again,
 * and nice 0 if the daemon runs below it: the daemon's scheduling is nothing
 * a child inherits. */
static void setup_scheduling(void) {
        struct procctl_sched_attr attr = {};

        if (syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) < 0)
                return (void) log_debug_errno(errno, "sched_getattr() failed, scheduling left as it is: %m");
        if (attr.sched_policy != SCHED_OTHER)
                return; /* an administrator's choice (Nice= is not one): kept */
        attr.size = sizeof(attr);
        attr.sched_runtime = 100 * 1000; /* ns: the shortest the kernel allows */
        attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                log_debug_errno(errno, "sched_setattr() failed, scheduling left as it is: %m");
}

/* Where process ids are recorded (ids.h); NULL when there is nowhere. */
static char *runtime_directory(void) {
        const char *e = getenv("RUNTIME_DIRECTORY"); /* systemd's RuntimeDirectory=, colon-separated */
        char *dir = NULL;

        if (arg_runtime_directory)
                return strdup(arg_runtime_directory);
        if (e && e[0] == '/')
                return strndup(e, strcspn(e, ":"));
        if (!arg_user)
                return strdup("/run/procctl");
        e = getenv("XDG_RUNTIME_DIR");
        if (e && e[0] == '/' && asprintf(&dir, "%s/procctl", e) < 0)
                return NULL;
        return dir;
}

/* procctl-exec lives beside procctld, installed or in the build tree. */
static int spawn_init_beside_daemon(void) {
        _cleanup_free_ char *self = procfs_readlink(0, "exe"), *helper = NULL;
        char *slash;
        int r;

        if (!self)
                return log_error_errno(errno, "Failed to find procctld's own file: %m");
        slash = strrchr(self, '/');
        if (!slash || asprintf(&helper, "%.*s/procctl-exec", (int) (slash - self), self) < 0)
                return log_error_errno(ENOMEM, "Failed to find procctl-exec: %m");
        r = spawn_init(helper, arg_clone_into_cgroup);
        if (r < 0)
                return log_error_errno(r, "Failed to prepare for starting children (%s): %m", helper);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *runtime_dir = NULL;
        Manager *m = NULL;
        PidfdSupport pidfd;
        CgroupSupport cgroup;
        const char *features[10];
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* SIGCHLD for sd-event's child sources, SIGTERM/SIGINT for the loop's
         * signal sources; children get an empty mask and default dispositions
         * (spawn.c), whatever we block or ignore here. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        pidfd_probe(&pidfd);
        /* Before any thread or child exists: the daemon may move itself into a leaf cgroup. */
        cgroup_probe(&cgroup, arg_cgroup);
        manager_feature_names(&pidfd, &cgroup, features);

        r = spawn_init_beside_daemon();
        if (r < 0)
                return 1;

        r = sd_event_default(&event);
        if (r < 0)
                goto fail;
        r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                goto fail;
        r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                goto fail;

        r = arg_user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the %s bus: %m", arg_user ? "session" : "system");
                return 1;
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        (void) sd_bus_set_exit_on_disconnect(bus, true);

        runtime_dir = runtime_directory();
        r = manager_new(event, bus, arg_user, runtime_dir, &m);
        if (r < 0) {
                cgroup_support_done(&cgroup);
                goto fail;
        }
        m->pidfd = pidfd;
        m->cgroup = cgroup;
        r = limits_load_file(&m->limits, arg_config);
        if (r < 0) {
                manager_free(m);
                return 1;
        }
        for (size_t i = 0; i < arg_n_limits; i++)
                (void) limits_set(&m->limits, arg_limits[i].key, arg_limits[i].value);
        /* systemd 254 and later announce the store in $FDSTORE; 252 does not, hence the option.
         * Without pidfds a stored PID could name another process after a restart: no store. */
        m->fd_store = (arg_fd_store || (getenv("FDSTORE") && atoi(getenv("FDSTORE")) > 0)) && pidfd.usable;
        setup_nofile(m);
        setup_scheduling();

        r = manager_start(m);
        if (r < 0) {
                manager_free(m);
                return 1;
        }

        char joined[256] = "";
        for (size_t i = 0; features[i]; i++) {
                strncat(joined, " ", sizeof(joined) - strlen(joined) - 1);
                strncat(joined, features[i], sizeof(joined) - strlen(joined) - 1);
        }
        log_info("procctld %s on the %s bus; features:%s", PROCCTL_VERSION, arg_user ? "session" : "system", joined);
        (void) service_start(m, arg_exit_idle_usec);

        r = sd_event_loop(event);
        manager_free(m); /* says STOPPING=1 */
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return 1;
        }
        /* Only sd-bus leaves with a non-zero code: the connection closed
         * (sd_bus_set_exit_on_disconnect()).  Processes keep running. */
        if (r > 0) {
                log_error("Lost the connection to the %s bus, exiting", arg_user ? "session" : "system");
                return 1;
        }
        return 0;

fail:
        log_error_errno(r, "Failed to start: %m");
        manager_free(m);
        return 1;
}
