/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl list and procctl status: showing processes to people (an aligned
 * table fitted to the terminal; every property with dates, durations and
 * the end spelled out, in color on a terminal, through a pager when long:
 * cli-output.c) and to programs (--json, through json-c loaded on demand:
 * cli-json.h).  Each is one call: GetManagedObjects for the list, GetAll
 * for a status.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-json.h"

enum {
        ARG_JSON = ARG_FIRST_COMMAND_OPTION,
        ARG_NO_LEGEND,
};

static bool arg_legend = true;

static uint64_t info_runtime(const procctl_process_info *info) {
        uint64_t start = procctl_process_info_get_start_timestamp(info);
        uint64_t end = procctl_process_info_is_running(info) ? cli_now_realtime()
                                                             : procctl_process_info_get_exit_timestamp(info);

        return start > 0 && end > start ? end - start : 0;
}

static void json_print(json_object *o, JsonMode mode) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (mode == JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);

        puts(JSONC(json_object_to_json_string_ext)(o, flags));
}

static json_object *json_string(const char *s) {
        return JSONC(json_object_new_string)(strempty(s));
}

/* One process as JSON: every property, plus the decoded end and runtime. */
static json_object *info_to_json(const procctl_process_info *info) {
        json_object *o = JSONC(json_object_new_object)(), *argv = JSONC(json_object_new_array)();
        procctl_exit x;
        char buf[256];

        JSONC(json_object_object_add)(o, "id", JSONC(json_object_new_uint64)(procctl_process_info_get_id(info)));
        JSONC(json_object_object_add)(o, "path", json_string(procctl_process_info_get_path(info)));
        JSONC(json_object_object_add)(o, "pid", JSONC(json_object_new_int64)(procctl_process_info_get_pid(info)));
        STRV_FOREACH(a, procctl_process_info_get_argv(info))
                JSONC(json_object_array_add)(argv, json_string(*a));
        JSONC(json_object_object_add)(o, "argv", argv);
        JSONC(json_object_object_add)(o, "executable", json_string(procctl_process_info_get_executable(info)));
        JSONC(json_object_object_add)(o, "working_directory",
                               json_string(procctl_process_info_get_working_directory(info)));
        JSONC(json_object_object_add)(o, "description", json_string(procctl_process_info_get_description(info)));
        JSONC(json_object_object_add)(o, "uid", JSONC(json_object_new_int64)(procctl_process_info_get_uid(info)));
        JSONC(json_object_object_add)(o, "user", json_string(cli_user_name(procctl_process_info_get_uid(info), buf, sizeof(buf))));
        JSONC(json_object_object_add)(o, "gid", JSONC(json_object_new_int64)(procctl_process_info_get_gid(info)));
        JSONC(json_object_object_add)(o, "group", json_string(cli_group_name(procctl_process_info_get_gid(info), buf, sizeof(buf))));
        JSONC(json_object_object_add)(o, "owner_uid", JSONC(json_object_new_int64)(procctl_process_info_get_owner_uid(info)));
        JSONC(json_object_object_add)(o, "state", json_string(procctl_process_info_get_state(info)));
        if (procctl_process_info_get_exit(info, &x) >= 0) {
                JSONC(json_object_object_add)(o, "exit_reason", json_string(procctl_exit_reason_to_string(x.reason)));
                JSONC(json_object_object_add)(o, "exit_status", JSONC(json_object_new_int)(x.status));
                JSONC(json_object_object_add)(o, "exit", json_string(cli_format_exit(&x, buf, sizeof(buf))));
        } else {
                JSONC(json_object_object_add)(o, "exit_reason", NULL);
                JSONC(json_object_object_add)(o, "exit_status", NULL);
                JSONC(json_object_object_add)(o, "exit", NULL);
        }
        JSONC(json_object_object_add)(o, "start_timestamp_usec",
                               JSONC(json_object_new_uint64)(procctl_process_info_get_start_timestamp(info)));
        JSONC(json_object_object_add)(o, "exit_timestamp_usec",
                               JSONC(json_object_new_uint64)(procctl_process_info_get_exit_timestamp(info)));
        JSONC(json_object_object_add)(o, "runtime_usec", JSONC(json_object_new_uint64)(info_runtime(info)));
        return o;
}

/* Parses --json and the globals; for list (no IDs) and status (one ID).
 * Returns 0 to go on, > 0 for --help, < 0 for a usage error. */
static int parse_show_args(int argc, char *argv[], const char *command, void (*help)(void), JsonMode *json) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "json",      optional_argument, NULL, ARG_JSON      },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS, options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_JSON:
                        if (cli_parse_json(optarg, json) < 0)
                                return -EINVAL;
                        if (cli_json_load() < 0)
                                return -EOPNOTSUPP;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                default:
                        if (!cli_global_option(c, optarg)) {
                                cli_option_error(c, argv, command);
                                return -EINVAL;
                        }
                }
        }
        return 0;
}

/* ---------------------------------------------------------------- list */

static void list_help(void) {
        printf("Usage: procctl list [OPTIONS...]\n"
               "\n"
               "List the processes procctld tracks, running and ended.\n"
               "\n"
               "Options:\n"
               "      --json[=pretty|short]  Print JSON\n"
               "      --no-legend            No column headers, nothing when there is nothing\n"
               GLOBAL_OPTIONS_HELP);
}

/* Green while running, red once it failed (a code other than 0, a signal). */
static const char *state_color_of(const procctl_process_info *info) {
        procctl_exit x;

        if (!info)
                return "";
        if (procctl_process_info_is_running(info))
                return cli_color(ANSI_GREEN);
        if (procctl_process_info_get_exit(info, &x) >= 0 && (x.reason != PROCCTL_EXIT_EXITED || x.status != 0))
                return cli_color(ANSI_RED);
        return "";
}

enum { COL_ID, COL_PID, COL_USER, COL_STATE, COL_RUNTIME, COL_COMMAND, _COL_MAX };

static void list_print_table(const procctl_process_list *list) {
        static const char *const headers[_COL_MAX] = { "ID", "PID", "USER", "STATE", "RUNTIME", "COMMAND" };
        size_t n = procctl_process_list_get_size(list);
        char *(*cells)[_COL_MAX];
        const char **state_color;
        size_t width[_COL_MAX];
        int columns = cli_columns();

        if (n == 0) {
                if (!arg.quiet && arg_legend)
                        printf("No processes.\n");
                return;
        }

        cells = calloc(n, sizeof(*cells));
        state_color = calloc(n, sizeof(*state_color));
        if (!cells || !state_color) {
                free(cells);
                free(state_color);
                cli_error("%s", strerror(ENOMEM));
                return;
        }
        for (int c = 0; c < _COL_MAX; c++)
                width[c] = strlen(headers[c]);

        for (size_t i = 0; i < n; i++) {
                procctl_process_info *info = procctl_process_list_get_info(list, i);
                const char *state = procctl_process_list_get_state(list, i);
                char user[64], runtime[32];
                procctl_exit x;

                state_color[i] = state_color_of(info);
                /* An ended process shows how it ended in STATE: "exited 3", "killed SIGTERM". */
                if (info && procctl_process_info_get_exit(info, &x) >= 0) {
                        char sig[32];
                        if (x.reason == PROCCTL_EXIT_EXITED)
                                asprintf(&cells[i][COL_STATE], "exited %d", x.status);
                        else if (x.reason == PROCCTL_EXIT_UNKNOWN)
                                asprintf(&cells[i][COL_STATE], "exited");
                        else
                                asprintf(&cells[i][COL_STATE], "%s %s", procctl_exit_reason_to_string(x.reason),
                                         cli_signal_to_string(x.status, sig, sizeof(sig)));
                } else
                        cells[i][COL_STATE] = strdup(state);

                asprintf(&cells[i][COL_ID], "%" PRIu64, procctl_process_list_get_id(list, i));
                asprintf(&cells[i][COL_PID], "%u", (unsigned) procctl_process_list_get_pid(list, i));
                cells[i][COL_USER] = strdup(cli_user_name(procctl_process_list_get_uid(list, i), user, sizeof(user)));
                cells[i][COL_RUNTIME] = strdup(info ? cli_format_duration(info_runtime(info), runtime, sizeof(runtime)) : "-");
                cells[i][COL_COMMAND] = strdup(procctl_process_list_get_command_line(list, i));

                for (int c = 0; c < _COL_MAX; c++) {
                        if (!cells[i][c])
                                cells[i][c] = strdup("?");
                        if (cells[i][c] && strlen(cells[i][c]) > width[c])
                                width[c] = strlen(cells[i][c]);
                }
        }

        for (size_t i = arg_legend ? 0 : 1; i <= n; i++) {
                /* Color codes go around the padded cell: they take no columns. */
                const char *on = i == 0 ? cli_color(ANSI_HIGHLIGHT) : "";
                const char *off = *on ? ANSI_NORMAL : "";
                size_t used = 0;

                for (int c = 0; c < _COL_MAX; c++) {
                        const char *cell = i == 0 ? headers[c] : strempty(cells[i - 1][c]);
                        bool right = c == COL_ID || c == COL_PID;
                        const char *cell_on = on, *cell_off = off;

                        if (i > 0 && c == COL_STATE && *state_color[i - 1]) {
                                cell_on = state_color[i - 1];
                                cell_off = ANSI_NORMAL;
                        }
                        if (c == COL_COMMAND) {
                                size_t l = strlen(cell);
                                /* The command takes what is left of the line; cut it, never wrap. */
                                if (columns > 0 && used + l > (size_t) columns) {
                                        size_t room = (size_t) columns > used + 1 ? (size_t) columns - used - 1 : 0;
                                        printf("%s%.*s…%s\n", on, (int) room, cell, off);
                                } else
                                        printf("%s%s%s\n", on, cell, off);
                                break;
                        }
                        printf(right ? "%s%*s%s " : "%s%-*s%s ", cell_on, (int) width[c], cell, cell_off);
                        used += width[c] + 1;
                }
        }

        for (size_t i = 0; i < n; i++)
                for (int c = 0; c < _COL_MAX; c++)
                        free(cells[i][c]);
        free(cells);
        free(state_color);
}

int verb_list(int argc, char *argv[]) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_list *list = NULL;
        procctl_client *client = NULL;
        JsonMode json = JSON_OFF;
        int r;

        r = parse_show_args(argc, argv, "list", list_help, &json);
        if (r != 0)
                return r > 0 ? 0 : r == -EOPNOTSUPP ? 1 : EXIT_USAGE;
        if (optind < argc) {
                cli_error("list takes no arguments (see 'procctl list --help')");
                return EXIT_USAGE;
        }
        if (cli_connect(&client) < 0)
                return 1;

        r = procctl_list_with_info(client, &list, &error);
        if (r < 0) {
                cli_call_error("cannot list processes", r, &error);
                procctl_error_clear(&error);
                procctl_client_unref(client);
                return 1;
        }

        cli_pager_open();
        if (json != JSON_OFF) {
                json_object *a = JSONC(json_object_new_array)();

                for (size_t i = 0; i < procctl_process_list_get_size(list); i++)
                        JSONC(json_object_array_add)(a, info_to_json(procctl_process_list_get_info(list, i)));
                json_print(a, json);
                JSONC(json_object_put)(a);
        } else
                list_print_table(list);

        procctl_process_list_unref(list);
        procctl_client_unref(client);
        return 0;
}

/* --------------------------------------------------------------- status */

static void status_help(void) {
        printf("Usage: procctl status [OPTIONS...] ID\n"
               "\n"
               "Show every property of a process: command, identity, state, times, and how\n"
               "it ended.\n"
               "\n"
               "Options:\n"
               "      --json[=pretty|short]  Print JSON\n"
               GLOBAL_OPTIONS_HELP);
}

static void status_print(const procctl_process_info *info) {
        char buf[256], buf2[64], when[64];
        uint64_t start = procctl_process_info_get_start_timestamp(info);
        uint64_t end = procctl_process_info_get_exit_timestamp(info);
        const char *description = procctl_process_info_get_description(info);
        procctl_exit x;

        const char *on = state_color_of(info), *off = *on ? ANSI_NORMAL : "";

        printf("%s%s%s %" PRIu64 "%s%s\n", on, procctl_process_info_is_running(info) ? "●" : "○", off,
               procctl_process_info_get_id(info), *description ? " - " : "", description);
        printf("         Path: %s\n", procctl_process_info_get_path(info));
        printf("      Command:");
        STRV_FOREACH(a, procctl_process_info_get_argv(info))
                printf(" %s", *a);
        printf("\n");
        printf("   Executable: %s\n", procctl_process_info_get_executable(info));
        printf("    Directory: %s\n", procctl_process_info_get_working_directory(info));
        printf("          PID: %u\n", (unsigned) procctl_process_info_get_pid(info));
        printf("         User: %s (%u)\n", cli_user_name(procctl_process_info_get_uid(info), buf, sizeof(buf)),
               (unsigned) procctl_process_info_get_uid(info));
        printf("        Group: %s (%u)\n", cli_group_name(procctl_process_info_get_gid(info), buf, sizeof(buf)),
               (unsigned) procctl_process_info_get_gid(info));
        printf("        Owner: %s (%u)\n", cli_user_name(procctl_process_info_get_owner_uid(info), buf, sizeof(buf)),
               (unsigned) procctl_process_info_get_owner_uid(info));

        if (procctl_process_info_get_exit(info, &x) >= 0)
                printf("        State: %s, %s%s%s\n", procctl_process_info_get_state(info),
                       on, cli_format_exit(&x, buf, sizeof(buf)), off);
        else
                printf("        State: %s%s%s\n", on, procctl_process_info_get_state(info), off);

        if (start > 0) {
                uint64_t now = cli_now_realtime();
                printf("      Started: %s; %s ago\n", cli_format_timestamp(start, when, sizeof(when)),
                       cli_format_duration(now > start ? now - start : 0, buf2, sizeof(buf2)));
        }
        if (end > 0)
                printf("        Ended: %s\n", cli_format_timestamp(end, when, sizeof(when)));
        printf("      Runtime: %s\n", cli_format_duration(info_runtime(info), buf2, sizeof(buf2)));
}

int verb_status(int argc, char *argv[]) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_info *info = NULL;
        procctl_client *client = NULL;
        procctl_process *p = NULL;
        JsonMode json = JSON_OFF;
        int r, ret = 1;

        r = parse_show_args(argc, argv, "status", status_help, &json);
        if (r != 0)
                return r > 0 ? 0 : r == -EOPNOTSUPP ? 1 : EXIT_USAGE;
        if (optind + 1 != argc) {
                cli_error("status takes exactly one process ID (see 'procctl status --help')");
                return EXIT_USAGE;
        }
        if (cli_connect(&client) < 0)
                return 1;
        if (cli_process_from_id(client, argv[optind], &p) < 0)
                goto finish;

        r = procctl_process_get_info(p, &info, &error);
        if (r < 0) {
                cli_call_error(argv[optind], r, &error);
                goto finish;
        }
        cli_pager_open();
        if (json != JSON_OFF) {
                json_object *o = info_to_json(info);
                json_print(o, json);
                JSONC(json_object_put)(o);
        } else
                status_print(info);
        ret = 0;

finish:
        procctl_error_clear(&error);
        procctl_process_info_unref(info);
        procctl_process_unref(p);
        procctl_client_unref(client);
        return ret;
}
