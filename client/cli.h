/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The procctl command: what its commands share.  The global options
 * (which bus: --system, --user, --address, -H host over ssh, -M container;
 * -q, --no-ask-password, --no-pager) are accepted before the command and
 * among each command's own options; every command is a verb_*() function
 * that gets its own argv (argv[0] is the command name) and returns the
 * process exit code.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "procctl.h"

/* Exit codes besides a command's own (run passes the child's on). */
#define EXIT_USAGE 2
#define EXIT_RUN_FAILED 125      /* `run`: procctl itself failed, like env(1) */
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

typedef enum BusKind {
        BUS_SYSTEM,
        BUS_USER,
        BUS_ADDRESS,
        BUS_REMOTE,   /* -H: the system bus of another host, over ssh */
        BUS_MACHINE,  /* -M: the system bus of a local container */
} BusKind;

typedef enum JsonMode {
        JSON_OFF,
        JSON_PRETTY,
        JSON_SHORT,
} JsonMode;

typedef struct CliArgs {
        BusKind bus_kind;
        const char *address;  /* --address, -H or -M */
        bool quiet;
        bool ask_password;
        bool pager;
} CliArgs;

extern CliArgs arg;

/* getopt_long ids of the global options, beyond the ASCII range. */
enum {
        ARG_VERSION = 0x100,
        ARG_SYSTEM,
        ARG_USER,
        ARG_ADDRESS,
        ARG_NO_ASK_PASSWORD,
        ARG_NO_PAGER,
        ARG_FIRST_COMMAND_OPTION,  /* commands number their own long options from here */
};

#define GLOBAL_LONG_OPTIONS                                                   \
        { "help",            no_argument,       NULL, 'h'                 }, \
        { "version",         no_argument,       NULL, ARG_VERSION         }, \
        { "system",          no_argument,       NULL, ARG_SYSTEM          }, \
        { "user",            no_argument,       NULL, ARG_USER            }, \
        { "address",         required_argument, NULL, ARG_ADDRESS         }, \
        { "quiet",           no_argument,       NULL, 'q'                 }, \
        { "no-ask-password", no_argument,       NULL, ARG_NO_ASK_PASSWORD }, \
        { "no-pager",        no_argument,       NULL, ARG_NO_PAGER        }, \
        { "host",            required_argument, NULL, 'H'                 }, \
        { "machine",         required_argument, NULL, 'M'                 }

/* The short global options, for each command's getopt string. */
#define GLOBAL_SHORT_OPTIONS "hqH:M:"

#define GLOBAL_OPTIONS_HELP                                                   \
        "      --system             Talk to procctld on the system bus (default)\n" \
        "      --user               Talk to procctld on the user's session bus\n" \
        "      --address=ADDR       Talk to procctld on the bus at ADDR\n"    \
        "  -H, --host=[USER@]HOST   Talk to procctld on HOST's system bus, over ssh\n" \
        "  -M, --machine=CONTAINER  Talk to procctld on a local container's system bus\n" \
        "  -q, --quiet              Print less\n"                             \
        "      --no-ask-password    Do not ask for authorization interactively\n" \
        "      --no-pager           Do not pipe long output into a pager\n"   \
        "  -h, --help               Show this help\n"                         \
        "      --version            Show the version\n"

/* Handles a global option getopt returned (not 'h').  Returns 1 if it was
 * one, 0 if not, exits for --version. */
int cli_global_option(int c, const char *optarg);

/* Reports an unknown option or a missing argument that getopt_long()
 * returned as c ('?' or ':'); returns EXIT_USAGE. */
int cli_option_error(int c, char *argv[], const char *command);

/* Prints "procctl: ..." to stderr. */
void cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prints the error of a failed call: "procctl: <what>: <message>". */
void cli_call_error(const char *what, int r, const procctl_error *error);

/* Connects as the global options say; prints the error itself. */
int cli_connect(procctl_client **ret);

/* Process handle from a number or object path; prints the error itself. */
int cli_process_from_id(procctl_client *client, const char *id, procctl_process **ret);

/* Every ID in argv[optind..] reads as one, before anything is asked of the
 * daemon (a usage error otherwise); prints the error itself. */
int cli_check_ids(int argc, char *argv[]);

/* "HUP", "SIGHUP", "sighup", "1", "RTMIN+2" -> number; -EINVAL if none. */
int cli_parse_signal(const char *s);
/* "SIGTERM", "SIGRTMIN+2" or the number, in buf. */
const char *cli_signal_to_string(int sig, char *buf, size_t size);

/* "10" (seconds), "1.5s", "500ms", "2min", "1h", "3d", "1min 30s" -> µs. */
int cli_parse_duration(const char *s, uint64_t *ret);
/* Bytes: a whole number, optionally with K, M or G (powers of 1024). */
int cli_parse_size(const char *s, uint64_t *ret);

/* "5.003s", "3min 2s", "2h 5min", "4d 3h" */
char *cli_format_duration(uint64_t usec, char *buf, size_t size);
/* "Thu 2024-11-28 10:00:01 CET" */
char *cli_format_timestamp(uint64_t realtime_usec, char *buf, size_t size);
uint64_t cli_now_realtime(void);
/* "2026-12-06T13:55:57.123456+01:00", local time (journalctl -o short-iso-precise). */
char *cli_format_timestamp_iso(uint64_t realtime_usec, char *buf, size_t size);
/* A point in time as journalctl --since reads it, local time: "YYYY-MM-DD
 * [HH:MM[:SS]]" (also with a T), "HH:MM[:SS]" (today), "now", "today",
 * "yesterday", "tomorrow", "@SECONDS" (since the epoch), or relative to
 * now: "-5min", "+1h", "5 min ago", "1h 30min ago".  -EINVAL if none. */
int cli_parse_timestamp(const char *s, uint64_t now, uint64_t *ret);

/* "exited with 3", "killed by SIGTERM", "dumped core on SIGSEGV". */
char *cli_format_exit(const procctl_exit *exit, char *buf, size_t size);
/* The shell code for an end; 1 for an unknown one. */
int cli_exit_code(const procctl_exit *exit);

/* s as it may be printed on a terminal: control characters (C0, DEL, C1)
 * and bytes that are not UTF-8 as \n, \t, \xNN..., so that no string a
 * user gave the daemon (a description, a command line) can move the
 * cursor, retitle the terminal or answer for it.  NULL only without memory. */
char *cli_escape(const char *s);

/* User / group name for an id, or the number. */
const char *cli_user_name(uid_t uid, char *buf, size_t size);
const char *cli_group_name(gid_t gid, char *buf, size_t size);

/* Parse --json[=pretty|short]; NULL means the default for stdout. */
int cli_parse_json(const char *s, JsonMode *ret);

/* cli-output.c: color only on a terminal, without NO_COLOR and TERM=dumb. */
#define ANSI_NORMAL    "\033[0m"
#define ANSI_HIGHLIGHT "\033[0;1;39m"
#define ANSI_GREEN     "\033[0;1;32m"
#define ANSI_RED       "\033[0;1;31m"
bool cli_colors(void);
/* ansi if coloring, else "". */
const char *cli_color(const char *ansi);
/* Width of the terminal (or $COLUMNS), 0 if not a terminal; decided once. */
int cli_columns(void);
/* Pipes our stdout into a pager if it is a terminal and --no-pager was
 * not given; the pager is waited for at exit (or by cli_pager_close()). */
void cli_pager_open(void);
void cli_pager_close(void);

/* cli-manage.c: the options of a command that takes only IDs (and the
 * globals): 0 to go on, > 0 for --help, < 0 for a usage error; and action
 * on every ID in argv[optind..]: the number of failures, < 0 without a
 * connection. */
int cli_parse_id_args(int argc, char *argv[], const char *command, void (*help)(void));
int cli_for_each_id(int argc, char *argv[], int (*action)(procctl_process *p, const char *id, void *userdata),
                    void *userdata);

/* cli-cgroup.c: a process's tree for procctl status (its cgroup and each
 * member's PID and command line, CPU time, tasks and memory); nothing for a
 * process without a cgroup. */
void cli_status_print_tree(procctl_client *client, const char *path);

int verb_run(int argc, char *argv[]);
int verb_spawn(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_wait(int argc, char *argv[]);
int verb_release(int argc, char *argv[]);
int verb_adopt(int argc, char *argv[]);
int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);
/* After a blank line, the last `lines` lines of p's captured output with
 * their times (procctl status); nothing without output to show. */
void cli_logs_show_tail(procctl_process *p, unsigned lines);
int verb_freeze(int argc, char *argv[]);
int verb_thaw(int argc, char *argv[]);
int verb_top(int argc, char *argv[]);
