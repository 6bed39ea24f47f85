/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl: the command line to procctld.  This file is the table of
 * contents: global options, then one verb per command (cli-run.c: run,
 * spawn, with cli-pty.c for run --pty; cli-manage.c: kill, stop, wait,
 * release, adopt; cli-show.c: list, status, with cli-output.c for color and the
 * pager; cli-logs.c: logs; cli-cgroup.c: freeze, thaw, top and the tree in
 * status, with cli-property.c for run and spawn's -p; cli-restart.c: restart
 * and the restart options).
 */

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-restart.h"
#include "config.h"

static const struct {
        const char *name;
        int (*verb)(int argc, char *argv[]);
} verbs[] = {
        { "run",     verb_run     },
        { "spawn",   verb_spawn   },
        { "kill",    verb_kill    },
        { "signal",  verb_kill    },
        { "stop",    verb_stop    },
        { "wait",    verb_wait    },
        { "release", verb_release },
        { "restart", verb_restart },
        { "adopt",   verb_adopt   },
        { "list",    verb_list    },
        { "status",  verb_status  },
        { "logs",    verb_logs    },
        { "freeze",  verb_freeze  },
        { "thaw",    verb_thaw    },
        { "top",     verb_top     },
};

static void help(void) {
        printf("Usage: procctl [OPTIONS...] COMMAND ...\n"
               "\n"
               "Start and manage processes through procctld.\n"
               "\n"
               "Commands:\n"
               "  run [OPTIONS] -- CMD...     Run a command with this terminal's stdio and wait\n"
               "  spawn [OPTIONS] -- CMD...   Start a command in the background\n"
               "  kill|signal [-s SIG] ID...  Send a signal to processes\n"
               "  stop ID...                  Stop processes (SIGTERM, then SIGKILL)\n"
               "  wait ID...                  Wait for processes to end\n"
               "  release ID...|--all         Forget processes that have ended\n"
               "  restart ID...               Stop the current run, start the next at once (--restart)\n"
               "  adopt PID                   Track a process procctld did not start\n"
               "  list                        List processes\n"
               "  status ID...                Show everything about processes\n"
               "  logs [-f] [-n N] ID         Print a process's captured output\n"
               "  freeze ID...                Freeze processes' trees (cgroup.freeze)\n"
               "  thaw ID...                  Thaw them\n"
               "  top [-b] [-n N] [-d SEC]    Show processes by CPU and memory use, live\n"
               "\n"
               "An ID is a number or an object path (/org/procctl/Manager1/process/N).\n"
               "Run 'procctl COMMAND --help' for a command's options.\n"
               "\n"
               "Options:\n"
               GLOBAL_OPTIONS_HELP);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                {}
        };
        const char *command;
        int c;

        /* '+': stop at the command, whose options are its own. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (c == 'h') {
                        help();
                        return 0;
                }
                if (!cli_global_option(c, optarg))
                        return cli_option_error(c, argv, NULL);
        }

        if (optind >= argc) {
                cli_error("no command given (see 'procctl --help')");
                return EXIT_USAGE;
        }

        command = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(command, verbs[i].name) == 0) {
                        int n = argc - optind;
                        /* Each verb parses its own argv from the start. */
                        optind = 0;
                        opterr = 0;
                        return verbs[i].verb(n, argv + (argc - n));
                }

        cli_error("unknown command '%s' (see 'procctl --help')", command);
        return EXIT_USAGE;
}
