/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl kill|signal, stop, wait, release: one action on each ID given,
 * one call per ID, an error for one ID does not stop the others.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum {
        ARG_GROUP = ARG_FIRST_COMMAND_OPTION,
};

/* Parses the options of a command that takes only IDs (and the globals).
 * Returns 0 to go on, > 0 for --help, < 0 for a usage error. */
static int parse_id_args(int argc, char *argv[], const char *command, void (*help)(void)) {
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
        return 0;
}

/* Runs action on every ID in argv[optind..]; returns the number of failures
 * or < 0 if the connection could not be made. */
static int for_each_id(int argc, char *argv[],
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

        r = for_each_id(argc, argv, kill_one, &k);
        return r == 0 ? 0 : 1;
}

/* -------------------------------------------------------------- stop, wait */

typedef struct WaitState {
        bool stop;
        int last_code;
} WaitState;

static int wait_one(procctl_process *p, const char *id, void *userdata) {
        procctl_error error = PROCCTL_ERROR_INIT;
        WaitState *w = userdata;
        procctl_exit x;
        char buf[64];
        int r;

        r = w->stop ? procctl_process_stop(p, &x, &error) : procctl_process_wait(p, &x, &error);
        if (r < 0) {
                cli_call_error(id, r, &error);
                procctl_error_clear(&error);
                return r;
        }
        w->last_code = cli_exit_code(&x);
        if (!arg.quiet)
                printf("%s: %s\n", id, cli_format_exit(&x, buf, sizeof(buf)));
        return 0;
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
        WaitState w = { .stop = true };
        int r;

        r = parse_id_args(argc, argv, "stop", stop_help);
        if (r != 0)
                return r > 0 ? 0 : EXIT_USAGE;
        r = for_each_id(argc, argv, wait_one, &w);
        return r == 0 ? 0 : 1;
}

int verb_wait(int argc, char *argv[]) {
        WaitState w = {};
        int r;

        r = parse_id_args(argc, argv, "wait", wait_help);
        if (r != 0)
                return r > 0 ? 0 : EXIT_USAGE;
        r = for_each_id(argc, argv, wait_one, &w);
        return r == 0 ? w.last_code : 1;
}

/* ----------------------------------------------------------------- release */

static void release_help(void) {
        printf("Usage: procctl release [OPTIONS...] ID...\n"
               "\n"
               "Forget processes that have ended (their exit status is kept until then).\n"
               "\n"
               "Options:\n"
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

int verb_release(int argc, char *argv[]) {
        int r;

        r = parse_id_args(argc, argv, "release", release_help);
        if (r != 0)
                return r > 0 ? 0 : EXIT_USAGE;
        r = for_each_id(argc, argv, release_one, NULL);
        return r == 0 ? 0 : 1;
}
