/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl run and procctl spawn.  `run` is the hot path (its start-up cost
 * is measured by bench/cli): one connection, Spawn, then Wait sent the
 * moment Spawn's reply arrives, with the terminal's signals forwarded in
 * between, and a fire-and-forget Release at the end.  It drives the client
 * from a plain poll() loop next to a signalfd.  With --pty the same loop
 * also copies between this terminal and the child's pseudo-terminal
 * (cli-pty.c), which a plain `run` never touches.
 */

#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pwd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli-property.h"
#include "cli-pty.h"
#include "cli-relay.h"
#include "cli-restart.h"

typedef struct SpawnArgs {
        procctl_spawn_options *options;
        bool working_directory_set;
        bool pty;
        bool pipe;
        bool term_set;        /* -E gave TERM or COLORTERM itself */
        const char *user;     /* -u, or NULL */
        bool output_capture;  /* --output=capture */
        uint64_t output_max;  /* --output-max, or 0 */
        RestartArgs restart;  /* --restart and its timings (cli-restart.h) */
        char **argv;
} SpawnArgs;

enum {
        ARG_TIMEOUT = ARG_FIRST_COMMAND_OPTION,
        ARG_STOP_TIMEOUT,
        ARG_DESCRIPTION,
        ARG_UMASK,
        ARG_WORKING_DIRECTORY,
        ARG_OUTPUT,
        ARG_OUTPUT_MAX,
        ARG_KILL_MODE,
        ARG_RESTART,
        ARG_RESTART_LAST = ARG_RESTART + _RESTART_ARG_MAX - 1,
};

static void spawn_help(bool run) {
        if (run)
                printf("Usage: procctl run [OPTIONS...] [--] CMD [ARGS...]\n"
                       "\n"
                       "Run CMD through procctld with this terminal's stdin, stdout, stderr and\n"
                       "working directory, forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and\n"
                       "SIGUSR2 to it, and exit like a shell would: with its exit code, 128+N if\n"
                       "signal N killed it, 127 if CMD was not found, 126 if it could not be\n"
                       "executed, 125 if procctl itself failed.  If procctl goes away, so does CMD.\n"
                       "With --pty, CMD gets a new pseudo-terminal of its own, with this terminal\n"
                       "put through to it (in raw mode, so keys such as Ctrl-C and Ctrl-Z reach\n"
                       "CMD's terminal), its size following this one's, and TERM and COLORTERM.\n"
                       "Run as another user (-u), CMD never gets this terminal: what of stdin,\n"
                       "stdout and stderr is a terminal reaches it through pipes procctl copies.\n");
        else
                printf("Usage: procctl spawn [OPTIONS...] [--] CMD [ARGS...]\n"
                       "\n"
                       "Start CMD through procctld in the background (stdio on /dev/null, working\n"
                       "directory this one) and print its ID, object path and PID.\n");
        printf("\n"
               "Options:\n");
        if (run)
                printf("  -t, --pty                Run CMD on a new pseudo-terminal\n"
                       "  -P, --pipe               Hand CMD this stdin, stdout and stderr (the default;\n"
                       "                           with --pty: a pty only if both are terminals)\n");
        printf("  -u, --uid=USER           Run as USER (name or number)\n"
               "  -g, --gid=GROUP          Run with primary group GROUP (name or number)\n"
               "  -C, --chdir=DIR, --working-directory=DIR\n"
               "                           Working directory, relative to the current one\n"
               "  -d, --same-dir           Run in the current working directory (the default)\n"
               "  -E, --setenv=KEY[=VALUE] Set an environment variable (repeatable); KEY alone\n"
               "                           passes this one's value, if it has one\n"
               "      --timeout=T          Stop CMD after T (e.g. 30s, 5min)\n"
               "      --stop-timeout=T     Time between SIGTERM and SIGKILL when stopping\n"
               "      --description=TEXT   Shown in 'procctl list' and 'procctl status'\n"
               "      --umask=MASK         File mode creation mask (octal)\n"
               "      --kill-mode=MODE     control-group (default: stopping reaches everything\n"
               "                           CMD started) or process (only CMD itself)\n"
               "  -p, --property=NAME=VALUE\n"
               "                           Set a property, as systemd-run does (repeatable):\n"
               "                           MemoryMax=BYTES, TasksMax=N, CPUWeight=1..10000,\n"
               "                           CPUQuota=PERCENT, KillMode=control-group|process\n");
        if (!run)
                printf("      --output=capture     Keep what CMD writes to stdout and stderr, for\n"
                       "                           'procctl logs'\n"
                       "      --output-max=BYTES   How much of it to keep, the newest (default: 1M)\n"
                       RESTART_OPTIONS_HELP);
        printf(GLOBAL_OPTIONS_HELP);
}

/* -C: a relative path is taken from our working directory, as a shell would. */
static int set_working_directory(SpawnArgs *a, const char *dir) {
        _cleanup_free_ char *cwd = NULL, *path = NULL;
        int r;

        if (dir[0] != '/') {
                cwd = getcwd(NULL, 0);
                if (!cwd) {
                        cli_error("cannot resolve the relative directory '%s': %m", dir);
                        return -EINVAL;
                }
                if (asprintf(&path, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, dir) < 0)
                        return -ENOMEM;
                dir = path;
        }
        r = procctl_spawn_options_set_working_directory(a->options, dir);
        if (r >= 0)
                a->working_directory_set = true;
        return r;
}

static bool is_term_variable(const char *assignment) {
        size_t l = strcspn(assignment, "=");

        return (l == 4 && strncmp(assignment, "TERM", 4) == 0) || (l == 9 && strncmp(assignment, "COLORTERM", 9) == 0);
}

/* -E KEY=VALUE, or -E KEY for our own value of KEY (nothing if we have none),
 * as systemd-run and flatpak-spawn read it. */
static int add_environment(SpawnArgs *a, const char *assignment) {
        _cleanup_free_ char *copy = NULL;

        if (!*assignment || *assignment == '=')
                return -EINVAL;
        if (is_term_variable(assignment))
                a->term_set = true;
        if (!strchr(assignment, '=')) {
                const char *value = getenv(assignment);

                if (!value)
                        return 0;
                if (asprintf(&copy, "%s=%s", assignment, value) < 0)
                        return -ENOMEM;
                assignment = copy;
        }
        return procctl_spawn_options_add_environment(a->options, assignment);
}

/* Whether -u names someone other than us (an unknown name counts as other). */
static bool user_is_other(const char *user) {
        struct passwd *pw;
        unsigned long uid;
        char *end;

        if (!user)
                return false;
        errno = 0;
        uid = strtoul(user, &end, 10);
        if (errno == 0 && end != user && !*end)
                return uid != (unsigned long) getuid();
        pw = getpwnam(user);
        return !pw || pw->pw_uid != getuid();
}

/* Returns 0 to go on, > 0 for "exit 0" (--help), < 0 for a usage error. */
static int parse_spawn_args(int argc, char *argv[], bool run, SpawnArgs *a) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "uid",          required_argument, NULL, 'u'              },
                { "gid",          required_argument, NULL, 'g'              },
                { "chdir",        required_argument, NULL, 'C'              },
                { "setenv",       required_argument, NULL, 'E'              },
                { "timeout",      required_argument, NULL, ARG_TIMEOUT      },
                { "stop-timeout", required_argument, NULL, ARG_STOP_TIMEOUT },
                { "description",  required_argument, NULL, ARG_DESCRIPTION  },
                { "umask",        required_argument, NULL, ARG_UMASK        },
                { "pty",          no_argument,       NULL, 't'              },
                { "pipe",         no_argument,       NULL, 'P'              },
                { "same-dir",     no_argument,       NULL, 'd'              },
                { "working-directory", required_argument, NULL, ARG_WORKING_DIRECTORY },
                { "output",       required_argument, NULL, ARG_OUTPUT       },
                { "output-max",   required_argument, NULL, ARG_OUTPUT_MAX   },
                { "kill-mode",    required_argument, NULL, ARG_KILL_MODE    },
                { "property",     required_argument, NULL, 'p'              },
                RESTART_LONG_OPTIONS(ARG_RESTART),
                {}
        };
        const char *command = run ? "run" : "spawn";
        uint64_t usec;
        int c, r;

        r = procctl_spawn_options_new(&a->options);
        if (r < 0)
                return r;

        /* '+': the command's own options come after it, untouched. */
        while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORT_OPTIONS "tPdu:g:C:E:p:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        spawn_help(run);
                        return 1;
                case 't':
                        if (!run) {
                                cli_error("--pty is for 'procctl run' (a spawned process outlives procctl)");
                                return -EINVAL;
                        }
                        a->pty = true;
                        r = 0;
                        break;
                case 'P':
                        if (!run) {
                                cli_error("--pipe is for 'procctl run' (a spawned process gets /dev/null)");
                                return -EINVAL;
                        }
                        a->pipe = true;
                        r = 0;
                        break;
                case 'd':
                        /* systemd-run's --same-dir: what procctl does anyway. */
                        a->working_directory_set = false;
                        r = procctl_spawn_options_set_working_directory(a->options, NULL);
                        break;
                case 'u':
                        a->user = optarg;
                        r = procctl_spawn_options_set_user(a->options, optarg);
                        break;
                case 'g':
                        r = procctl_spawn_options_set_group(a->options, optarg);
                        break;
                case 'C':
                case ARG_WORKING_DIRECTORY:
                        r = set_working_directory(a, optarg);
                        break;
                case 'E':
                        r = add_environment(a, optarg);
                        if (r == -EINVAL) {
                                cli_error("invalid environment assignment '%s' (expected KEY=VALUE or KEY)", optarg);
                                return r;
                        }
                        break;
                case ARG_TIMEOUT:
                case ARG_STOP_TIMEOUT:
                        if (cli_parse_duration(optarg, &usec) < 0) {
                                cli_error("invalid time span '%s'", optarg);
                                return -EINVAL;
                        }
                        r = c == ARG_TIMEOUT ? procctl_spawn_options_set_timeout(a->options, usec)
                                             : procctl_spawn_options_set_stop_timeout(a->options, usec);
                        break;
                case ARG_DESCRIPTION:
                        r = procctl_spawn_options_set_description(a->options, optarg);
                        break;
                case ARG_UMASK: {
                        char *end;
                        unsigned long m;

                        errno = 0;
                        m = strtoul(optarg, &end, 8);
                        if (errno != 0 || end == optarg || *end || m > 0777) {
                                cli_error("invalid umask '%s' (expected an octal mode such as 022)", optarg);
                                return -EINVAL;
                        }
                        r = procctl_spawn_options_set_umask(a->options, (mode_t) m);
                        break;
                }
                case ARG_OUTPUT:
                        if (run || strcmp(optarg, "capture") != 0) {
                                cli_error(run ? "--output is for 'procctl spawn' ('procctl run' passes its own stdio)"
                                              : "invalid --output '%s' (expected 'capture')", optarg);
                                return -EINVAL;
                        }
                        a->output_capture = true;
                        r = 0;
                        break;
                case ARG_KILL_MODE:
                        r = procctl_spawn_options_set_kill_mode(a->options, optarg);
                        if (r < 0) {
                                cli_error("invalid --kill-mode '%s' (expected 'control-group' or 'process')", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'p':
                        r = cli_property_apply(optarg, &(CliPropertyTarget) { a->options, run ? NULL : &a->restart });
                        if (r == -EINVAL)
                                return r; /* said what is wrong */
                        break;
                case ARG_OUTPUT_MAX:
                        if (run || cli_parse_size(optarg, &a->output_max) < 0 || a->output_max == 0) {
                                cli_error(run ? "--output-max is for 'procctl spawn'"
                                              : "invalid --output-max '%s' (expected bytes, such as 65536, 64K or 4M)", optarg);
                                return -EINVAL;
                        }
                        r = 0;
                        break;
                case ARG_RESTART ... ARG_RESTART_LAST:
                        if (run) {
                                cli_error("--restart is for 'procctl spawn' ('procctl run' waits for its command)");
                                return -EINVAL;
                        }
                        if (cli_restart_option(c - ARG_RESTART, optarg, &a->restart) < 0)
                                return -EINVAL;
                        r = 0;
                        break;
                default:
                        if (!cli_global_option(c, optarg)) {
                                cli_option_error(c, argv, command);
                                return -EINVAL;
                        }
                        r = 0;
                }
                if (r < 0) {
                        cli_error("%s", strerror(-r));
                        return r;
                }
        }

        if (optind >= argc) {
                cli_error("no command to %s given (see 'procctl %s --help')", command, command);
                return -EINVAL;
        }
        a->argv = argv + optind;
        if (a->output_max > 0 && !a->output_capture) {
                cli_error("--output-max needs --output=capture");
                return -EINVAL;
        }
        if (a->output_capture) {
                r = procctl_spawn_options_set_output_capture(a->options, a->output_max);
                if (r < 0)
                        return r;
        }
        if (cli_restart_apply(&a->restart, a->options) < 0)
                return -EINVAL;

        /* systemd-run's --pty --pipe: a pty only when there is a terminal to put through. */
        if (a->pty && a->pipe && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
                a->pty = false;
        if (arg.bus_kind == BUS_USER && user_is_other(a->user)) {
                cli_error("a per-user procctld (--user) runs as you and cannot start processes as "
                          "another user ('%s'): use the system one", a->user);
                return -EPERM;
        }

        if (!a->working_directory_set) {
                char *cwd = getcwd(NULL, 0);

                /* A directory that has gone away is no reason to fail: the daemon's default applies. */
                if (cwd) {
                        r = procctl_spawn_options_set_working_directory(a->options, cwd);
                        free(cwd);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static void spawn_args_done(SpawnArgs *a) {
        procctl_spawn_options_free(a->options);
}

/* How a failed Spawn reads to a user, and the code a shell would give. */
static int spawn_failed(const char *what, int r, const procctl_error *error, bool run) {
        /* The daemon's message names the file and the reason already. */
        if (procctl_error_is_exec_failed(error)) {
                cli_error("%s", error->message);
                return procctl_error_is_exec_not_found(error) ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
        }
        _cleanup_free_ char *s = NULL;
        if (asprintf(&s, "cannot start %s", what) < 0)
                s = NULL;
        cli_call_error(s ?: what, r, error);
        return run ? EXIT_RUN_FAILED : 1;
}

int verb_spawn(int argc, char *argv[]) {
        _cleanup_(spawn_args_done) SpawnArgs a = {};
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_client *client = NULL;
        procctl_process *p = NULL;
        int r, ret;

        r = parse_spawn_args(argc, argv, false, &a);
        if (r != 0)
                return r > 0 ? 0 : r == -EPERM ? 1 : EXIT_USAGE;
        if (cli_connect(&client) < 0)
                return 1;

        r = procctl_spawn(client, a.argv, a.options, &p, &error);
        if (r < 0)
                ret = spawn_failed(a.argv[0], r, &error, false);
        else {
                printf("%" PRIu64 " %s %u\n", procctl_process_get_id(p), procctl_process_get_path(p),
                       (unsigned) procctl_process_get_pid(p));
                ret = 0;
        }

        procctl_error_clear(&error);
        procctl_process_unref(p);
        procctl_client_unref(client);
        return ret;
}

/* ------------------------------------------------------------------- run */

typedef struct RunState {
        const char *program;
        procctl_process *process;
        PtyForward *pty;           /* --pty only */
        StdioRelay *relay;         /* another user at a terminal only */
        sigset_t pending;          /* signals caught before the process existed */
        bool done;
        int exit_code;
} RunState;

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void run_forward_signal(RunState *s, int sig) {
        int r;

        if (!s->process) {
                sigaddset(&s->pending, sig);
                return;
        }
        /* Fire and forget: if the process has just exited, NotRunning is fine. */
        r = procctl_process_signal_async(s->process, sig, NULL, NULL, NULL);
        if (r < 0 && !arg.quiet) {
                pty_forward_restore(s->pty);
                cli_error("cannot forward signal %d: %s", sig, strerror(-r));
        }
}

static void run_on_exit(procctl_process *p, int r, const procctl_exit *exit, const procctl_error *error,
                        void *userdata) {
        RunState *s = userdata;

        s->done = true;
        if (r < 0) {
                /* Our terminal as it was before we print anything. */
                pty_forward_restore(s->pty);
                if (procctl_error_has_name(error, SD_BUS_ERROR_NO_REPLY) || r == -ECONNRESET || r == -ENOTCONN)
                        /* The daemon left the bus (or we lost it) while the process ran. */
                        cli_error("lost the connection to procctld: %s", error && error->message ? error->message : strerror(-r));
                else
                        cli_call_error("waiting for the process", r, error);
                s->exit_code = EXIT_RUN_FAILED;
                return;
        }
        s->exit_code = cli_exit_code(exit);
        /* The record is no use to anyone once we have the status. */
        (void) procctl_process_release_async(p, NULL, NULL, NULL);
}

static void run_on_spawned(procctl_client *client, int r, procctl_process *p, const procctl_error *error,
                           void *userdata) {
        RunState *s = userdata;

        if (r < 0) {
                s->done = true;
                s->exit_code = spawn_failed(s->program, r, error, true);
                return;
        }
        s->process = procctl_process_ref(p);

        r = procctl_process_wait_async(p, run_on_exit, s, NULL);
        if (r < 0) {
                cli_error("cannot wait for the process: %s", strerror(-r));
                s->done = true;
                s->exit_code = EXIT_RUN_FAILED;
                return;
        }
        /* The child runs: from now on keys go to its terminal. */
        if (s->pty)
                (void) pty_forward_start(s->pty);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                if (sigismember(&s->pending, forwarded_signals[i]))
                        run_forward_signal(s, forwarded_signals[i]);
}

static int poll_timeout_ms(uint64_t deadline) {
        struct timespec ts;
        uint64_t now;

        if (deadline == UINT64_MAX)
                return -1;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        if (deadline <= now)
                return 0;
        return (int) ((deadline - now + 999) / 1000);
}

static void run_handle_signal(RunState *s, int sig) {
        if (s->pty && sig == SIGWINCH)
                pty_forward_resize(s->pty);
        else if (s->pty && sig == SIGTSTP)
                pty_forward_suspend(s->pty);
        else
                run_forward_signal(s, sig);
}

static int run_loop(procctl_client *client, int signal_fd, RunState *s) {
        for (;;) {
                struct pollfd pfd[2 + PTY_FORWARD_MAX_POLLFDS + STDIO_RELAY_MAX_POLLFDS];
                int n_pty = 0;
                uint64_t deadline;
                int n = 2, r;

                /* Dispatch everything that is ready before sleeping. */
                do {
                        r = procctl_client_process(client);
                        if (r < 0)
                                return r;
                } while (r > 0 && !s->done);
                if (s->done)
                        return 0;

                r = procctl_client_get_events(client);
                if (r < 0)
                        return r;
                pfd[0] = (struct pollfd) { .fd = procctl_client_get_fd(client), .events = (short) r };
                pfd[1] = (struct pollfd) { .fd = signal_fd, .events = POLLIN };
                if (s->pty)
                        n += n_pty = pty_forward_fill_pollfds(s->pty, pfd + 2);
                if (s->relay)
                        n += stdio_relay_fill_pollfds(s->relay, pfd + n);
                r = procctl_client_get_timeout(client, &deadline);
                if (r < 0)
                        return r;

                r = poll(pfd, n, poll_timeout_ms(deadline));
                if (r < 0 && errno != EINTR)
                        return -errno;

                if (pfd[1].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        while (read(signal_fd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                                run_handle_signal(s, (int) si.ssi_signo);
                }
                if (s->pty && r > 0)
                        (void) pty_forward_handle(s->pty, pfd + 2, n_pty);
                if (s->relay && r > 0)
                        stdio_relay_handle(s->relay, pfd + 2 + n_pty, n - 2 - n_pty);
        }
}

static bool fd_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

/* --pty: the child's stdio is a new pseudo-terminal, which it takes as its
 * controlling terminal. */
static int run_setup_pty(RunState *s, procctl_spawn_options *options, int *ret_slave) {
        int r;

        r = pty_forward_new(&s->pty, ret_slave);
        if (r < 0) {
                cli_error("cannot open a pseudo-terminal: %s", strerror(-r));
                return r;
        }
        (void) procctl_spawn_options_set_stdin(options, *ret_slave);
        (void) procctl_spawn_options_set_stdout(options, *ret_slave);
        (void) procctl_spawn_options_set_stderr(options, *ret_slave);
        return procctl_spawn_options_set_tty(options, true);
}

/* --pty: the child's terminal is of the kind ours is, as systemd-run says (unless -E did). */
static void run_pass_term(SpawnArgs *a) {
        const char *names[] = { "TERM", "COLORTERM" };

        if (a->term_set)
                return;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (getenv(names[i]))
                        (void) add_environment(a, names[i]);
}

/* Without --pty: our stdio as it is, but for another user each terminal
 * among them goes through a pipe (the daemon would refuse it). */
static int run_setup_stdio(RunState *s, SpawnArgs *a) {
        int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
        int r;

        if (user_is_other(a->user)) {
                r = stdio_relay_new(&s->relay, fds);
                if (r < 0) {
                        cli_error("cannot make pipes for the terminal: %s", strerror(-r));
                        return r;
                }
        }
        for (int i = 0; i < 3; i++)
                if (!s->relay && !fd_is_open(i))
                        fds[i] = -1;
        (void) procctl_spawn_options_set_stdin(a->options, fds[0]);
        (void) procctl_spawn_options_set_stdout(a->options, fds[1]);
        (void) procctl_spawn_options_set_stderr(a->options, fds[2]);
        return 0;
}

int verb_run(int argc, char *argv[]) {
        _cleanup_(spawn_args_done) SpawnArgs a = {};
        _cleanup_close_ int signal_fd = -1, pty_slave = -1;
        procctl_client *client = NULL;
        RunState s = { .exit_code = EXIT_RUN_FAILED };
        sigset_t mask;
        int r;

        r = parse_spawn_args(argc, argv, true, &a);
        if (r != 0)
                return r > 0 ? 0 : EXIT_RUN_FAILED;
        if (arg.bus_kind == BUS_REMOTE) {
                cli_error("run passes this terminal to the command, which a connection to another host "
                          "cannot carry: use 'procctl -H %s spawn'", arg.address);
                return EXIT_RUN_FAILED;
        }

        s.program = a.argv[0];
        sigemptyset(&s.pending);

        /* Caught from now on, so that none is lost before the process exists. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        if (a.pty) {
                sigaddset(&mask, SIGWINCH);
                sigaddset(&mask, SIGTSTP);
        }
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                cli_error("cannot block signals: %m");
                return EXIT_RUN_FAILED;
        }
        signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (signal_fd < 0) {
                cli_error("cannot create signalfd: %m");
                return EXIT_RUN_FAILED;
        }

        if (a.pty) {
                if (run_setup_pty(&s, a.options, &pty_slave) < 0)
                        goto finish;
                run_pass_term(&a);
        } else if (run_setup_stdio(&s, &a) < 0)
                goto finish;
        (void) procctl_spawn_options_set_kill_on_disconnect(a.options, true);

        if (cli_connect(&client) < 0)
                goto finish;

        r = procctl_spawn_async(client, a.argv, a.options, run_on_spawned, &s, NULL);
        /* The request holds its own copy: the child must be the slave's only holder,
         * so that the master sees the end once the child (and what it started) is gone. */
        pty_slave = safe_close(pty_slave);
        stdio_relay_close_child(s.relay);
        if (r < 0)
                cli_error("cannot send Spawn request: %s", strerror(-r));
        else {
                r = run_loop(client, signal_fd, &s);
                if (r < 0 && !s.done) {
                        pty_forward_restore(s.pty);
                        cli_error("lost the connection to procctld: %s", strerror(-r));
                } else if (s.pty)
                        pty_forward_drain(s.pty);
                else
                        stdio_relay_drain(s.relay);
        }

finish:
        pty_forward_free(s.pty);
        stdio_relay_free(s.relay);
        procctl_process_unref(s.process);
        procctl_client_unref(client);  /* flushes the Release */
        return s.exit_code;
}
