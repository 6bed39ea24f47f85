/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl kill|signal, stop, wait, release: one action on each ID given,
 * one call per ID, an error for one ID does not stop the others; every ID
 * is checked before any is acted on.  stop and wait send their calls all at
 * once and wait for them together.  And procctl adopt, which names a process
 * by its PID.
 */

#include <inttypes.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum {
        ARG_GROUP = ARG_FIRST_COMMAND_OPTION,
};

/* Parses the options of a command that takes only IDs (and the globals).
 * Returns 0 to go on, > 0 for --help, < 0 for a usage error. */
int cli_parse_id_args(int argc, char *argv[], const char *command, void (*help)(void)) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (c == 'h') {
                        help();
                        return 1;
                }
                if (!cli_global_option(c, optarg)) {
                        cli_option_error(c, argv, command);
                        return -EINVAL;
                }
        }
        if (optind >= argc) {
                cli_error("no process ID given (see 'procctl %s --help')", command);
                return -EINVAL;
        }
        return cli_check_ids(argc, argv);
}

/* Runs action on every ID in argv[optind..]; returns the number of failures
 * or < 0 if the connection could not be made. */
int cli_for_each_id(int argc, char *argv[],
                    int (*action)(procctl_process *p, const char *id, void *userdata), void *userdata) {
        _cleanup_(procctl_client_unrefp) procctl_client *client = NULL;
        int failed = 0;

        if (cli_connect(&client) < 0)
                return -ENOTCONN;
        for (int i = optind; i < argc; i++) {
                _cleanup_(procctl_process_unrefp) procctl_process *p = NULL;

                if (cli_process_from_id(client, argv[i], &p) < 0 || action(p, argv[i], userdata) < 0)
                        failed++;
        }
        return failed;
}

/* ------------------------------------------------------------ kill|signal */

typedef struct KillArgs {
        int signal;
        bool group;
} KillArgs;

static void kill_help(void) {
        printf("Usage: procctl kill|signal [OPTIONS...] ID...\n"
               "\n"
               "Send a signal (default SIGTERM) to processes.\n"
               "\n"
               "Options:\n"
               "  -s, --signal=SIG         Signal by name (HUP, SIGHUP) or number; 0 only checks\n"
               "                           that the process runs\n"
               "      --group              Signal the process's whole process group\n"
               GLOBAL_OPTIONS_HELP);
}

static int kill_one(procctl_process *p, const char *id, void *userdata) {
        procctl_error error = PROCCTL_ERROR_INIT;
        KillArgs *k = userdata;
        int r;

        r = k->group ? procctl_process_signal_group(p, k->signal, &error)
                     : procctl_process_signal(p, k->signal, &error);
        if (r < 0)
                cli_call_error(id, r, &error);
        procctl_error_clear(&error);
        return r;
}

int verb_kill(int argc, char *argv[]) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "signal", required_argument, NULL, 's'       },
                { "group",  no_argument,       NULL, ARG_GROUP },
                {}
        };
        const char *command = argv[0];
        KillArgs k = { .signal = SIGTERM };
        int c, r;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS "s:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        kill_help();
                        return 0;
                case 's':
                        k.signal = cli_parse_signal(optarg);
                        if (k.signal < 0) {
                                cli_error("unknown signal '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_GROUP:
                        k.group = true;
                        break;
                default:
                        if (!cli_global_option(c, optarg))
                                return cli_option_error(c, argv, command);
                }
        }
        if (optind >= argc) {
                cli_error("no process ID given (see 'procctl %s --help')", command);
                return EXIT_USAGE;
        }
        if (cli_check_ids(argc, argv) < 0)
                return EXIT_USAGE;

        r = cli_for_each_id(argc, argv, kill_one, &k);
        return r == 0 ? 0 : 1;
}

/* -------------------------------------------------------------- stop, wait */

/* stop and wait send every call at once and wait for the replies together:
 * three processes with a 10 s stop timeout take 10 s, not 30.  How each
 * ended is printed in the order the IDs were given, each as soon as it and
 * those before it are known. */
typedef struct WaitState WaitState;

typedef struct WaitCall {
        WaitState *state;
        bool done;
        bool reported;          /* a bad ID: its error is printed already */
        int r;
        procctl_exit exit;
        procctl_error error;    /* a copy: a callback's error is borrowed */
} WaitCall;

struct WaitState {
        char **ids;
        WaitCall *calls;
        size_t n_calls, n_printed, n_pending;
};

static void wait_print_ready(WaitState *w) {
        for (; w->n_printed < w->n_calls && w->calls[w->n_printed].done; w->n_printed++) {
                WaitCall *c = &w->calls[w->n_printed];
                char buf[64];

                if (c->reported)
                        continue;
                if (c->r < 0)
                        cli_call_error(w->ids[w->n_printed], c->r, &c->error);
                else if (!arg.quiet)
                        printf("%s: %s\n", w->ids[w->n_printed], cli_format_exit(&c->exit, buf, sizeof(buf)));
        }
        fflush(stdout);
}

static void wait_call_finish(WaitCall *c, int r, const procctl_exit *x, const procctl_error *error) {
        c->done = true;
        c->r = r;
        if (r >= 0)
                c->exit = *x;
        else if (error) {
                c->error.error = error->error;
                c->error.name = error->name ? strdup(error->name) : NULL;
                c->error.message = error->message ? strdup(error->message) : NULL;
        }
}

static void wait_done(procctl_process *p, int r, const procctl_exit *x, const procctl_error *error, void *userdata) {
        WaitCall *c = userdata;

        wait_call_finish(c, r, x, error);
        c->state->n_pending--;
        wait_print_ready(c->state);
}

/* Stops or waits for every ID in argv[optind..] at once.  Returns the
 * number of failures, or < 0 if the connection could not be made; *ret_code
 * is the shell code of the last ID's end. */
static int wait_all(int argc, char *argv[], bool stop, int *ret_code) {
        _cleanup_(procctl_client_unrefp) procctl_client *client = NULL;
        _cleanup_free_ WaitCall *calls = NULL;
        WaitState w = { .ids = argv + optind, .n_calls = (size_t) (argc - optind) };
        int failed = 0, r = 0;

        if (cli_connect(&client) < 0)
                return -ENOTCONN;
        calls = calloc(w.n_calls, sizeof(WaitCall));
        if (!calls) {
                cli_error("%s", strerror(ENOMEM));
                return -ENOMEM;
        }
        w.calls = calls;

        for (size_t i = 0; i < w.n_calls; i++) {
                _cleanup_(procctl_process_unrefp) procctl_process *p = NULL;
                WaitCall *c = &calls[i];

                c->state = &w;
                if (cli_process_from_id(client, w.ids[i], &p) < 0) {
                        c->done = c->reported = true;
                        c->r = -EINVAL;
                        continue;
                }
                r = stop ? procctl_process_stop_async(p, wait_done, c, NULL)
                         : procctl_process_wait_async(p, wait_done, c, NULL);
                if (r < 0)
                        wait_call_finish(c, r, NULL, NULL);
                else
                        w.n_pending++;
        }
        wait_print_ready(&w);

        while (w.n_pending > 0) {
                r = procctl_client_process(client);
                if (r == 0)
                        r = procctl_client_wait(client, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        break;
        }
        /* Only if the connection failed in a way that left calls unanswered. */
        for (size_t i = 0; i < w.n_calls; i++)
                if (!calls[i].done)
                        wait_call_finish(&calls[i], r, NULL, NULL);
        wait_print_ready(&w);

        for (size_t i = 0; i < w.n_calls; i++) {
                if (calls[i].r < 0)
                        failed++;
                procctl_error_clear(&calls[i].error);
        }
        if (failed == 0)
                *ret_code = cli_exit_code(&calls[w.n_calls - 1].exit);
        return failed;
}

static void stop_help(void) {
        printf("Usage: procctl stop [OPTIONS...] ID...\n"
               "\n"
               "Stop processes: SIGTERM, then SIGKILL after their stop timeout. Prints how\n"
               "each ended.\n"
               "\n"
               "Options:\n"
               GLOBAL_OPTIONS_HELP);
}

static void wait_help(void) {
        printf("Usage: procctl wait [OPTIONS...] ID...\n"
               "\n"
               "Wait until processes have ended and print how each did. Exits with the last\n"
               "one's code, as a shell would give it (128+N if signal N killed it).\n"
               "\n"
               "Options:\n"
               GLOBAL_OPTIONS_HELP);
}

int verb_stop(int argc, char *argv[]) {
        int r, code;

        r = cli_parse_id_args(argc, argv, "stop", stop_help);
        if (r != 0)
                return r > 0 ? 0 : EXIT_USAGE;
        r = wait_all(argc, argv, true, &code);
        return r == 0 ? 0 : 1;
}

int verb_wait(int argc, char *argv[]) {
        int r, code = 0;

        r = cli_parse_id_args(argc, argv, "wait", wait_help);
        if (r != 0)
                return r > 0 ? 0 : EXIT_USAGE;
        r = wait_all(argc, argv, false, &code);
        return r == 0 ? code : 1;
}

/* ----------------------------------------------------------------- release */

enum {
        ARG_ALL = ARG_FIRST_COMMAND_OPTION,
};

static void release_help(void) {
        printf("Usage: procctl release [OPTIONS...] ID...\n"
               "       procctl release [OPTIONS...] --all\n"
               "\n"
               "Forget processes that have ended (their exit status is kept until then).\n"
               "\n"
               "Options:\n"
               "      --all                Every ended process the caller may release: all of\n"
               "                           them for root, the caller's own otherwise\n"
               GLOBAL_OPTIONS_HELP);
}

static int release_one(procctl_process *p, const char *id, void *userdata) {
        procctl_error error = PROCCTL_ERROR_INIT;
        int r;

        r = procctl_process_release(p, &error);
        if (r < 0)
                cli_call_error(id, r, &error);
        procctl_error_clear(&error);
        return r;
}

/* --all: one ListProcesses, then a Release for each ended process of ours
 * (any, for root); returns the number of failures, < 0 if none could be
 * tried. */
static int release_all(void) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_list *list = NULL;
        procctl_client *client = NULL;
        uid_t me = getuid();
        int r, failed = 0;

        if (cli_connect(&client) < 0)
                return -ENOTCONN;
        r = procctl_list_with_info(client, &list, &error);
        if (r < 0) {
                cli_call_error("cannot list processes", r, &error);
                procctl_error_clear(&error);
                procctl_client_unref(client);
                return r;
        }
        for (size_t i = 0; i < procctl_process_list_get_size(list); i++) {
                procctl_process_info *info = procctl_process_list_get_info(list, i);
                procctl_process *p = NULL;
                char id[32];

                if (!info || procctl_process_info_is_running(info) ||
                    (me != 0 && procctl_process_info_get_owner_uid(info) != me))
                        continue;
                snprintf(id, sizeof(id), "%" PRIu64, procctl_process_list_get_id(list, i));
                if (procctl_process_new_from_id(client, procctl_process_list_get_id(list, i), &p) < 0 ||
                    release_one(p, id, NULL) < 0)
                        failed++;
                procctl_process_unref(p);
        }
        procctl_process_list_unref(list);
        procctl_client_unref(client);
        return failed;
}

int verb_release(int argc, char *argv[]) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "all", no_argument, NULL, ARG_ALL },
                {}
        };
        bool all = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (c == 'h') {
                        release_help();
                        return 0;
                }
                if (c == ARG_ALL)
                        all = true;
                else if (!cli_global_option(c, optarg))
                        return cli_option_error(c, argv, "release");
        }
        if (all && optind < argc) {
                cli_error("release takes either IDs or --all (see 'procctl release --help')");
                return EXIT_USAGE;
        }
        if (!all && optind >= argc) {
                cli_error("no process ID given (see 'procctl release --help')");
                return EXIT_USAGE;
        }
        if (cli_check_ids(argc, argv) < 0)
                return EXIT_USAGE;

        r = all ? release_all() : cli_for_each_id(argc, argv, release_one, NULL);
        return r == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------- adopt */

enum {
        ARG_DESCRIPTION = ARG_FIRST_COMMAND_OPTION,
};

static void adopt_help(void) {
        printf("Usage: procctl adopt [OPTIONS...] PID\n"
               "\n"
               "Have procctld track a running process it did not start, as if it had\n"
               "spawned it, and print its ID, object path and PID.  procctl opens the\n"
               "process's pidfd and hands it to the daemon.\n"
               "\n"
               "Options:\n"
               "      --description=TEXT   Shown in 'procctl list' and 'procctl status'\n"
               GLOBAL_OPTIONS_HELP);
}

int verb_adopt(int argc, char *argv[]) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "description", required_argument, NULL, ARG_DESCRIPTION },
                {}
        };
        procctl_error error = PROCCTL_ERROR_INIT;
        _cleanup_close_ int pidfd = -1;
        procctl_client *client = NULL;
        procctl_process *p = NULL;
        const char *description = NULL;
        unsigned long pid;
        char *end;
        int c, r;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (c == 'h') {
                        adopt_help();
                        return 0;
                }
                if (c == ARG_DESCRIPTION)
                        description = optarg;
                else if (!cli_global_option(c, optarg))
                        return cli_option_error(c, argv, "adopt");
        }
        if (optind + 1 != argc) {
                cli_error("adopt takes exactly one PID (see 'procctl adopt --help')");
                return EXIT_USAGE;
        }
        errno = 0;
        pid = strtoul(argv[optind], &end, 10);
        if (errno != 0 || end == argv[optind] || *end || pid == 0 || pid > INT32_MAX) {
                cli_error("invalid PID '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        pidfd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
        if (pidfd < 0) {
                cli_error("cannot open process %lu: %s", pid, errno == ESRCH ? "No such process" : strerror(errno));
                return 1;
        }
        if (cli_connect(&client) < 0)
                return 1;
        r = procctl_adopt(client, pidfd, (pid_t) pid, description, &p, &error);
        if (r < 0) {
                cli_call_error(argv[optind], r, &error);
                procctl_error_clear(&error);
        } else
                printf("%" PRIu64 " %s %lu\n", procctl_process_get_id(p), procctl_process_get_path(p), pid);
        procctl_process_unref(p);
        procctl_client_unref(client);
        return r < 0 ? 1 : 0;
}
