/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Restart policies in the CLI (cli-restart.h): the options of spawn, the
 * lines of status, and `procctl restart`, which calls Process1.Restart: the
 * current run stopped and the next started at once on the same object, the
 * way systemctl restart keeps the unit.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli-restart.h"

static bool policy_valid(const char *s) {
        return strcmp(s, "no") == 0 || strcmp(s, "on-failure") == 0 || strcmp(s, "always") == 0;
}

static int parse_time(const char *what, const char *value, uint64_t *ret) {
        if (cli_parse_duration(value, ret) < 0) {
                cli_error("invalid %s '%s' (expected a time span such as 500ms or 2s)", what, value);
                return -EINVAL;
        }
        return 0;
}

static int parse_burst(const char *what, const char *value, unsigned *ret) {
        char *end;
        unsigned long n;

        errno = 0;
        n = strtoul(value, &end, 10);
        if (errno != 0 || end == value || *end || n < 1 || n > 1000 || value[0] == '-') {
                cli_error("invalid %s '%s' (expected a number of restarts, 1-1000)", what, value);
                return -EINVAL;
        }
        *ret = (unsigned) n;
        return 0;
}

static int set_policy(const char *what, const char *value, RestartArgs *a) {
        if (!policy_valid(value)) {
                cli_error("invalid %s '%s' (expected 'no', 'on-failure' or 'always')", what, value);
                return -EINVAL;
        }
        a->policy = value;
        return 0;
}

int cli_restart_option(int which, const char *value, RestartArgs *a) {
        switch (which) {
        case RESTART_ARG_POLICY:
                return set_policy("--restart", value, a);
        case RESTART_ARG_DELAY:
                a->delay_set = true;
                return parse_time("--restart-delay", value, &a->delay);
        case RESTART_ARG_DELAY_MAX:
                a->delay_max_set = true;
                return parse_time("--restart-delay-max", value, &a->delay_max);
        case RESTART_ARG_LIMIT: {
                /* N/TIME, as supervisord's startretries within startsecs, or N alone. */
                const char *slash = strchr(value, '/');
                _cleanup_free_ char *n = slash ? strndup(value, (size_t) (slash - value)) : strdup(value);

                if (!n)
                        return -ENOMEM;
                if (parse_burst("--restart-limit", n, &a->limit) < 0)
                        return -EINVAL;
                a->limit_set = true;
                if (slash) {
                        a->interval_set = true;
                        if (parse_time("--restart-limit interval", slash + 1, &a->interval) < 0 || a->interval == 0) {
                                cli_error("invalid --restart-limit '%s' (expected N/TIME, such as 5/10s)", value);
                                return -EINVAL;
                        }
                }
                return 0;
        }
        default:
                return -EINVAL;
        }
}

int cli_restart_property(const char *name, const char *value, RestartArgs *a) {
        if (strcmp(name, "Restart") == 0) {
                /* systemd's finer policies have no counterpart here. */
                return set_policy("Restart=", value, a);
        }
        if (strcmp(name, "RestartSec") == 0) {
                a->delay_set = true;
                return parse_time("RestartSec=", value, &a->delay);
        }
        if (strcmp(name, "RestartMaxDelaySec") == 0) {
                a->delay_max_set = true;
                return parse_time("RestartMaxDelaySec=", value, &a->delay_max);
        }
        if (strcmp(name, "StartLimitBurst") == 0) {
                a->limit_set = true;
                return parse_burst("StartLimitBurst=", value, &a->limit);
        }
        if (strcmp(name, "StartLimitIntervalSec") == 0) {
                a->interval_set = true;
                if (parse_time("StartLimitIntervalSec=", value, &a->interval) < 0)
                        return -EINVAL;
                if (a->interval == 0) {
                        cli_error("invalid StartLimitIntervalSec= '%s' (must be more than 0)", value);
                        return -EINVAL;
                }
                return 0;
        }
        return -ENOENT;
}

/* The daemon's defaults, for what was not given beside what was. */
#define DEFAULT_LIMIT 5u
#define DEFAULT_INTERVAL_USEC (10ULL * 1000000ULL)

int cli_restart_apply(const RestartArgs *a, procctl_spawn_options *options) {
        bool timings = a->delay_set || a->delay_max_set || a->limit_set || a->interval_set;
        int r;

        if (!a->policy || strcmp(a->policy, "no") == 0) {
                if (timings) {
                        cli_error("the restart delay and limit need --restart=on-failure or --restart=always");
                        return -EINVAL;
                }
                return a->policy ? procctl_spawn_options_set_restart(options, a->policy) : 0;
        }
        r = procctl_spawn_options_set_restart(options, a->policy);
        if (r >= 0 && (a->delay_set || a->delay_max_set)) {
                r = procctl_spawn_options_set_restart_delay(options, a->delay_set ? a->delay : 100000,
                                                            a->delay_max_set ? a->delay_max : UINT64_MAX);
                if (r == -EINVAL) {
                        cli_error("the restart delay is longer than its maximum");
                        return r;
                }
        }
        if (r >= 0 && (a->limit_set || a->interval_set))
                r = procctl_spawn_options_set_restart_limit(options, a->limit_set ? a->limit : DEFAULT_LIMIT,
                                                            a->interval_set ? a->interval : DEFAULT_INTERVAL_USEC);
        if (r < 0)
                cli_error("%s", strerror(-r));
        return r;
}

bool cli_restart_pending(const procctl_process_info *info) {
        const char *state = procctl_process_info_get_state(info);
        return state && strcmp(state, "restarting") == 0;
}

void cli_restart_status_print(const procctl_process_info *info) {
        unsigned count = procctl_process_info_get_restart_count(info);
        char buf[128], when[64], in[32];
        procctl_exit x;

        if (count > 0)
                printf("     Restarts: %u\n", count);
        if (!cli_restart_pending(info))
                return;
        if (procctl_process_info_get_last_exit(info, &x) >= 0) {
                uint64_t end = procctl_process_info_get_exit_timestamp(info);
                printf("     Last end: %s%s%s\n", cli_format_exit(&x, buf, sizeof(buf)), end > 0 ? " at " : "",
                       end > 0 ? cli_format_timestamp(end, when, sizeof(when)) : "");
        }
        uint64_t next = procctl_process_info_get_start_timestamp(info), now = cli_now_realtime();
        printf("   Next start: %s; in %s\n", cli_format_timestamp(next, when, sizeof(when)),
               cli_format_duration(next > now ? next - now : 0, in, sizeof(in)));
}

/* ----------------------------------------------------------------- restart */

static void restart_help(void) {
        printf("Usage: procctl restart [OPTIONS...] ID...\n"
               "\n"
               "Stop the current run of processes spawned with --restart, as 'procctl stop'\n"
               "does (SIGTERM, SIGKILL after the stop timeout), and start their next run at\n"
               "once, on the same object (its ID, options and output), whatever the policy\n"
               "would say of the run's end: no restart delay, not counted against the\n"
               "restart limit.  A process waiting for its next run starts it now.  Prints\n"
               "ID, object path and the new PID.  Fails for a process without a restart\n"
               "policy, and for one that has ended for good.\n"
               "\n"
               "Options:\n"
               GLOBAL_OPTIONS_HELP);
}

static int restart_one(procctl_client *client, const char *id) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process *p = NULL;
        pid_t pid;
        int r, ret = 1;

        if (cli_process_from_id(client, id, &p) < 0)
                return 1;
        r = procctl_process_restart(p, &pid, &error);
        if (r < 0) {
                cli_call_error(id, r, &error);
                goto finish;
        }
        if (!arg.quiet)
                printf("%" PRIu64 " %s %u\n", procctl_process_get_id(p), procctl_process_get_path(p), (unsigned) pid);
        ret = 0;
finish:
        procctl_error_clear(&error);
        procctl_process_unref(p);
        return ret;
}

int verb_restart(int argc, char *argv[]) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                {}
        };
        procctl_client *client = NULL;
        int c, ret = 0;

        while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (c == 'h') {
                        restart_help();
                        return 0;
                }
                if (!cli_global_option(c, optarg))
                        return cli_option_error(c, argv, "restart");
        }
        if (optind >= argc) {
                cli_error("no process ID given (see 'procctl restart --help')");
                return EXIT_USAGE;
        }
        if (cli_check_ids(argc, argv) < 0)
                return EXIT_USAGE;
        if (cli_connect(&client) < 0)
                return 1;
        for (int i = optind; i < argc; i++)
                if (restart_one(client, argv[i]) != 0)
                        ret = 1;
        procctl_client_unref(client);
        return ret;
}
