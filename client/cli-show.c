/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl list and procctl status: showing processes to people (an aligned
 * table fitted to the terminal; every property with dates, durations and
 * the end spelled out, in color on a terminal, through a pager when long:
 * cli-output.c) and to programs (--json, through json-c loaded on demand:
 * cli-json.h).  The list is GetManagedObjects and ListProcesses (for the
 * command lines, cut); a status is GetAll and a Get of Argv.
 */

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-restart.h"
#include "cli-json.h"

enum {
        ARG_JSON = ARG_FIRST_COMMAND_OPTION,
        ARG_NO_LEGEND,
        ARG_STATE,
        ARG_LIST_USER,
};

static bool arg_legend = true;

/* list's filters: which processes to show. */
typedef struct ListFilter {
        const char *state;  /* "running", "exited" or NULL for both */
        bool by_uid;
        uid_t uid;
} ListFilter;

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

/* One process as JSON: every property, plus the decoded end and runtime.
 * In a listing, command_line (cut, as ListProcesses gives it) stands for argv,
 * which listings do not carry. */
static json_object *info_to_json(const procctl_process_info *info, const char *command_line) {
        json_object *o = JSONC(json_object_new_object)(), *argv = JSONC(json_object_new_array)();
        procctl_exit x;
        char buf[256];

        JSONC(json_object_object_add)(o, "id", JSONC(json_object_new_uint64)(procctl_process_info_get_id(info)));
        JSONC(json_object_object_add)(o, "path", json_string(procctl_process_info_get_path(info)));
        JSONC(json_object_object_add)(o, "pid", JSONC(json_object_new_int64)(procctl_process_info_get_pid(info)));
        if (command_line) {
                JSONC(json_object_put)(argv);
                JSONC(json_object_object_add)(o, "command_line", json_string(command_line));
        } else {
                STRV_FOREACH(a, procctl_process_info_get_argv(info))
                        JSONC(json_object_array_add)(argv, json_string(*a));
                JSONC(json_object_object_add)(o, "argv", argv);
        }
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

static int parse_user(const char *s, uid_t *ret) {
        struct passwd *pw = getpwnam(s);
        unsigned long v;
        char *end;

        if (pw) {
                *ret = pw->pw_uid;
                return 0;
        }
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end || v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

/* Parses --json and the globals, and for list (filter non-NULL) its
 * filters; for list (no IDs) and status (IDs).
 * Returns 0 to go on, > 0 for --help, < 0 for a usage error. */
static int parse_show_args(int argc, char *argv[], const char *command, void (*help)(void), JsonMode *json,
                           ListFilter *filter) {
        static const struct option options[] = {
                /* list's --user=NAME, before the global --user (the session bus), which
                 * it still is without a value. */
                { "user",      optional_argument, NULL, ARG_LIST_USER },
                GLOBAL_LONG_OPTIONS,
                { "json",      optional_argument, NULL, ARG_JSON      },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "state",     required_argument, NULL, ARG_STATE     },
                { "all",       no_argument,       NULL, 'a'           },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, filter ? ":a" GLOBAL_SHORT_OPTIONS : ":" GLOBAL_SHORT_OPTIONS,
                                options, NULL)) >= 0) {
                if (!filter && (c == ARG_STATE || c == 'a' || (c == ARG_LIST_USER && optarg)))
                        c = '?';
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_LIST_USER:
                        if (!optarg) {
                                (void) cli_global_option(ARG_USER, NULL);
                                break;
                        }
                        if (parse_user(optarg, &filter->uid) < 0) {
                                cli_error("unknown user '%s'", optarg);
                                return -EINVAL;
                        }
                        filter->by_uid = true;
                        break;
                case ARG_STATE:
                        if (strcmp(optarg, "running") != 0 && strcmp(optarg, "exited") != 0 &&
                            strcmp(optarg, "restarting") != 0) {
                                cli_error("invalid state '%s' (expected 'running', 'exited' or 'restarting')", optarg);
                                return -EINVAL;
                        }
                        filter->state = optarg;
                        break;
                case 'a':
                        *filter = (ListFilter) {};
                        break;
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
               "List the processes procctld tracks, running and ended, whoever started them.\n"
               "\n"
               "Options:\n"
               "      --state=running|exited|restarting\n"
               "                             Only the running, the ended, or those waiting\n"
               "                             for their next run\n"
               "      --user=USER            Only the processes running as USER (--user alone\n"
               "                             still means the session bus)\n"
               "  -a, --all                  Every process: drops the filters given before it\n"
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

static bool list_selected(const procctl_process_list *list, size_t i, const ListFilter *filter) {
        if (filter->state && strcmp(procctl_process_list_get_state(list, i), filter->state) != 0)
                return false;
        return !filter->by_uid || procctl_process_list_get_uid(list, i) == filter->uid;
}

static const char *list_description(const procctl_process_list *list, size_t i) {
        procctl_process_info *info = procctl_process_list_get_info(list, i);

        return info ? strempty(procctl_process_info_get_description(info)) : "";
}

enum { COL_ID, COL_PID, COL_USER, COL_STATE, COL_RESTARTS, COL_RUNTIME, COL_DESCRIPTION, COL_COMMAND, _COL_MAX };

static unsigned list_restarts(const procctl_process_list *list, size_t i) {
        return procctl_process_info_get_restart_count(procctl_process_list_get_info(list, i));
}

/* The processes filter selects, indices into list; their number in *ret_n. */
static size_t *list_select(const procctl_process_list *list, const ListFilter *filter, size_t *ret_n) {
        size_t *selected = calloc(procctl_process_list_get_size(list) + 1, sizeof(size_t)), n = 0;

        if (!selected)
                return NULL;
        for (size_t i = 0; i < procctl_process_list_get_size(list); i++)
                if (list_selected(list, i, filter))
                        selected[n++] = i;
        *ret_n = n;
        return selected;
}

static void list_print_table(const procctl_process_list *list, const size_t *selected, size_t n) {
        static const char *const headers[_COL_MAX] = { "ID", "PID", "USER", "STATE", "RESTARTS", "RUNTIME", "DESCRIPTION",
                                                       "COMMAND" };
        char *(*cells)[_COL_MAX];
        const char **state_color;
        size_t width[_COL_MAX];
        int columns = cli_columns();
        bool descriptions = false, restarts = false;

        /* A DESCRIPTION column only when some process has one, RESTARTS when one restarted. */
        for (size_t k = 0; k < n; k++) {
                if (*list_description(list, selected[k]))
                        descriptions = true;
                if (list_restarts(list, selected[k]) > 0)
                        restarts = true;
        }

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

        for (size_t k = 0; k < n; k++) {
                size_t i = selected[k];
                procctl_process_info *info = procctl_process_list_get_info(list, i);
                const char *state = procctl_process_list_get_state(list, i);
                char user[64], runtime[32];
                procctl_exit x;

                state_color[k] = state_color_of(info);
                /* An ended process shows how it ended in STATE: "exited 3", "killed SIGTERM". */
                if (info && procctl_process_info_get_exit(info, &x) >= 0) {
                        char sig[32];
                        if (x.reason == PROCCTL_EXIT_EXITED)
                                asprintf(&cells[k][COL_STATE], "exited %d", x.status);
                        else if (x.reason == PROCCTL_EXIT_UNKNOWN)
                                asprintf(&cells[k][COL_STATE], "exited");
                        else
                                asprintf(&cells[k][COL_STATE], "%s %s", procctl_exit_reason_to_string(x.reason),
                                         cli_signal_to_string(x.status, sig, sizeof(sig)));
                } else
                        cells[k][COL_STATE] = strdup(state);

                asprintf(&cells[k][COL_ID], "%" PRIu64, procctl_process_list_get_id(list, i));
                asprintf(&cells[k][COL_PID], "%u", (unsigned) procctl_process_list_get_pid(list, i));
                cells[k][COL_USER] = strdup(cli_user_name(procctl_process_list_get_uid(list, i), user, sizeof(user)));
                cells[k][COL_RUNTIME] = strdup(info ? cli_format_duration(info_runtime(info), runtime, sizeof(runtime)) : "-");
                cells[k][COL_DESCRIPTION] = cli_escape(list_description(list, i));
                asprintf(&cells[k][COL_RESTARTS], "%u", list_restarts(list, i));
                cells[k][COL_COMMAND] = cli_escape(procctl_process_list_get_command_line(list, i));

                for (int c = 0; c < _COL_MAX; c++) {
                        if (!cells[k][c])
                                cells[k][c] = strdup("?");
                        if (cells[k][c] && strlen(cells[k][c]) > width[c])
                                width[c] = strlen(cells[k][c]);
                }
        }

        for (size_t i = arg_legend ? 0 : 1; i <= n; i++) {
                /* Color codes go around the padded cell: they take no columns. */
                const char *on = i == 0 ? cli_color(ANSI_HIGHLIGHT) : "";
                const char *off = *on ? ANSI_NORMAL : "";
                size_t used = 0;

                for (int c = 0; c < _COL_MAX; c++) {
                        if ((c == COL_DESCRIPTION && !descriptions) || (c == COL_RESTARTS && !restarts))
                                continue;
                        const char *cell = i == 0 ? headers[c] : strempty(cells[i - 1][c]);
                        bool right = c == COL_ID || c == COL_PID || c == COL_RESTARTS;
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
        ListFilter filter = {};
        size_t *selected, n = 0;
        int r;

        r = parse_show_args(argc, argv, "list", list_help, &json, &filter);
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
        selected = list_select(list, &filter, &n);
        if (!selected) {
                cli_error("%s", strerror(ENOMEM));
                procctl_process_list_unref(list);
                procctl_client_unref(client);
                return 1;
        }

        cli_pager_open();
        if (json != JSON_OFF) {
                json_object *a = JSONC(json_object_new_array)();

                for (size_t k = 0; k < n; k++)
                        JSONC(json_object_array_add)(a, info_to_json(procctl_process_list_get_info(list, selected[k]),
                                                              procctl_process_list_get_command_line(list, selected[k])));
                json_print(a, json);
                JSONC(json_object_put)(a);
        } else
                list_print_table(list, selected, n);

        free(selected);
        procctl_process_list_unref(list);
        procctl_client_unref(client);
        return 0;
}

/* --------------------------------------------------------------- status */

static void status_help(void) {
        printf("Usage: procctl status [OPTIONS...] ID...\n"
               "\n"
               "Show every property of processes: command, identity, state, times, and how\n"
               "each ended.\n"
               "\n"
               "Options:\n"
               "      --json[=pretty|short]  Print JSON (an array for several IDs)\n"
               GLOBAL_OPTIONS_HELP);
}

/* A string a caller gave, escaped (cli_escape()). */
static void print_escaped(const char *before, const char *s, const char *after) {
        _cleanup_free_ char *e = cli_escape(s);
        printf("%s%s%s", before, e ?: "?", after);
}

static void status_print(const procctl_process_info *info) {
        char buf[256], buf2[64], when[64];
        uint64_t start = procctl_process_info_get_start_timestamp(info);
        uint64_t end = procctl_process_info_get_exit_timestamp(info);
        const char *description = procctl_process_info_get_description(info);
        procctl_exit x;

        const char *on = state_color_of(info), *off = *on ? ANSI_NORMAL : "";

        printf("%s%s%s %" PRIu64 "%s", on, procctl_process_info_is_running(info) ? "●" : "○", off,
               procctl_process_info_get_id(info), *description ? " - " : "");
        print_escaped("", description, "\n");
        printf("         Path: %s\n", procctl_process_info_get_path(info));
        printf("      Command:");
        STRV_FOREACH(a, procctl_process_info_get_argv(info))
                print_escaped(" ", *a, "");
        printf("\n");
        print_escaped("   Executable: ", procctl_process_info_get_executable(info), "\n");
        print_escaped("    Directory: ", procctl_process_info_get_working_directory(info), "\n");
        printf("          PID: %u\n", (unsigned) procctl_process_info_get_pid(info));
        printf("         User: %s (%u)\n", cli_user_name(procctl_process_info_get_uid(info), buf, sizeof(buf)),
               (unsigned) procctl_process_info_get_uid(info));
        printf("        Group: %s (%u)\n", cli_group_name(procctl_process_info_get_gid(info), buf, sizeof(buf)),
               (unsigned) procctl_process_info_get_gid(info));
        printf("        Owner: %s (%u)\n", cli_user_name(procctl_process_info_get_owner_uid(info), buf, sizeof(buf)),
               (unsigned) procctl_process_info_get_owner_uid(info));

        /* An ended process's state is how it ended: "exited with 9", "killed by SIGTERM". */
        if (procctl_process_info_get_exit(info, &x) >= 0)
                printf("        State: %s%s%s\n", on, cli_format_exit(&x, buf, sizeof(buf)), off);
        else
                printf("        State: %s%s%s\n", on, procctl_process_info_get_state(info), off);
        cli_restart_status_print(info);

        if (start > 0 && !cli_restart_pending(info)) {
                uint64_t now = cli_now_realtime();
                printf("      Started: %s; %s ago\n", cli_format_timestamp(start, when, sizeof(when)),
                       cli_format_duration(now > start ? now - start : 0, buf2, sizeof(buf2)));
        }
        /* Between two runs "Last end" and "Next start" say it all. */
        if (cli_restart_pending(info))
                return;
        if (end > 0)
                printf("        Ended: %s\n", cli_format_timestamp(end, when, sizeof(when)));
        printf("      Runtime: %s\n", cli_format_duration(info_runtime(info), buf2, sizeof(buf2)));
}

int verb_status(int argc, char *argv[]) {
        procctl_client *client = NULL;
        JsonMode json = JSON_OFF;
        json_object *array = NULL;
        int r, failed = 0;

        r = parse_show_args(argc, argv, "status", status_help, &json, NULL);
        if (r != 0)
                return r > 0 ? 0 : r == -EOPNOTSUPP ? 1 : EXIT_USAGE;
        if (optind >= argc) {
                cli_error("no process ID given (see 'procctl status --help')");
                return EXIT_USAGE;
        }
        if (cli_check_ids(argc, argv) < 0)
                return EXIT_USAGE;
        if (cli_connect(&client) < 0)
                return 1;

        /* Several IDs in JSON are one array; one ID is one object. */
        if (json != JSON_OFF && argc - optind > 1)
                array = JSONC(json_object_new_array)();
        for (int i = optind; i < argc; i++) {
                procctl_error error = PROCCTL_ERROR_INIT;
                procctl_process_info *info = NULL;
                procctl_process *p = NULL;

                if (cli_process_from_id(client, argv[i], &p) < 0)
                        r = -EINVAL;
                else {
                        r = procctl_process_get_info(p, &info, &error);
                        if (r < 0)
                                cli_call_error(argv[i], r, &error);
                }
                if (r < 0)
                        failed++;
                else if (array)
                        JSONC(json_object_array_add)(array, info_to_json(info, NULL));
                else if (json != JSON_OFF) {
                        json_object *o = info_to_json(info, NULL);
                        json_print(o, json);
                        JSONC(json_object_put)(o);
                } else {
                        cli_pager_open();
                        /* A blank line between processes, as systemctl status does. */
                        if (i > optind)
                                printf("\n");
                        status_print(info);
                        cli_status_print_tree(client, procctl_process_info_get_path(info));
                        cli_logs_show_tail(p, 10);
                }
                procctl_error_clear(&error);
                procctl_process_info_unref(info);
                procctl_process_unref(p);
        }
        if (array) {
                json_print(array, json);
                JSONC(json_object_put)(array);
        }
        procctl_client_unref(client);
        return failed > 0 ? 1 : 0;
}
