/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl logs: the output procctld captured for a process spawned with
 * --output=capture (both streams, as the daemon read them), the last -n
 * lines of it, and with -f what comes after, until every writer has gone.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define PAGE_BYTES (4u * 1024u * 1024u)

static void logs_help(void) {
        printf("Usage: procctl logs [OPTIONS...] ID\n"
               "\n"
               "Print what a process spawned with --output=capture wrote to stdout and stderr.\n"
               "\n"
               "Options:\n"
               "  -f, --follow             Then print its output as it comes, until the process\n"
               "                           and every process that inherited its output are done\n"
               "  -n, --lines=N            Only the last N lines kept (default: all)\n"
               GLOBAL_OPTIONS_HELP);
}

static int write_all(const void *data, size_t size) {
        const char *p = data;

        while (size > 0) {
                ssize_t n = write(STDOUT_FILENO, p, size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

/* Everything kept from *cursor on, into buf; *cursor moves past it. */
static int read_kept(procctl_process *p, const char *id, uint64_t *cursor, char **buf, size_t *size) {
        for (;;) {
                _cleanup_(procctl_output_unrefp) procctl_output *o = NULL;
                procctl_error error = PROCCTL_ERROR_INIT;
                int r;

                r = procctl_process_read_output(p, *cursor, PAGE_BYTES, &o, &error);
                if (r < 0) {
                        cli_call_error(id, r, &error);
                        procctl_error_clear(&error);
                        return r;
                }
                if (procctl_output_get_n_entries(o) == 0)
                        return 0;
                for (size_t i = 0; i < procctl_output_get_n_entries(o); i++) {
                        const void *data;
                        size_t n;
                        char *b;

                        (void) procctl_output_get_entry(o, i, NULL, NULL, &data, &n);
                        b = realloc(*buf, *size + n);
                        if (!b)
                                return -ENOMEM;
                        memcpy(b + *size, data, n);
                        *buf = b;
                        *size += n;
                }
                *cursor = procctl_output_get_next_cursor(o);
        }
}

/* Where the last `lines` lines of buf start (a last line without its newline counts). */
static size_t tail_start(const char *buf, size_t size, uint64_t lines) {
        size_t i = size;

        if (i > 0 && buf[i - 1] == '\n')
                i--;
        while (i > 0) {
                if (buf[i - 1] == '\n' && lines-- <= 1)
                        return i;
                i--;
        }
        return 0;
}

/* Follows from cursor until every writer has gone.  A follower that fell
 * behind what the daemon keeps is cut off early: what it missed is said on
 * stderr, and it follows again from the buffer's start. */
static int follow(procctl_process *p, const char *id, uint64_t cursor) {
        for (;;) {
                procctl_error error = PROCCTL_ERROR_INIT;
                _cleanup_close_ int fd = -1;
                char buf[65536];
                int r;

                r = procctl_process_follow_output(p, cursor, &fd, &error);
                if (r < 0) {
                        cli_call_error(id, r, &error);
                        procctl_error_clear(&error);
                        return r;
                }
                for (;;) {
                        ssize_t n = read(fd, buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return -errno;
                        if (n == 0)
                                break;
                        r = write_all(buf, (size_t) n);
                        if (r < 0)
                                return r;
                        cursor += (uint64_t) n;
                }

                /* EOF: the end, or cut off? */
                _cleanup_(procctl_output_unrefp) procctl_output *o = NULL;
                r = procctl_process_read_output(p, cursor, 1, &o, &error);
                if (r < 0) {
                        cli_call_error(id, r, &error);
                        procctl_error_clear(&error);
                        return r;
                }
                if (procctl_output_get_n_entries(o) == 0 && procctl_output_get_dropped_bytes(o) <= cursor)
                        return 0;
                if (procctl_output_get_dropped_bytes(o) > cursor) {
                        if (!arg.quiet)
                                fprintf(stderr, "procctl: -- %" PRIu64 " bytes dropped, too far behind --\n",
                                        procctl_output_get_dropped_bytes(o) - cursor);
                        cursor = procctl_output_get_dropped_bytes(o);
                }
        }
}

int verb_logs(int argc, char *argv[]) {
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "follow", no_argument,       NULL, 'f' },
                { "lines",  required_argument, NULL, 'n' },
                {}
        };
        _cleanup_(procctl_client_unrefp) procctl_client *client = NULL;
        _cleanup_(procctl_process_unrefp) procctl_process *p = NULL;
        _cleanup_free_ char *buf = NULL;
        bool follow_output = false;
        uint64_t lines = UINT64_MAX, cursor = 0;
        size_t size = 0, start;
        const char *id;
        int c, r;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS "fn:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        logs_help();
                        return 0;
                case 'f':
                        follow_output = true;
                        break;
                case 'n': {
                        char *end;

                        errno = 0;
                        lines = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || optarg[0] == '-') {
                                cli_error("invalid number of lines '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                }
                default:
                        if (!cli_global_option(c, optarg)) {
                                cli_option_error(c, argv, "logs");
                                return EXIT_USAGE;
                        }
                }
        if (optind != argc - 1) {
                cli_error(optind >= argc ? "no process ID given (see 'procctl logs --help')"
                                         : "one process ID only (see 'procctl logs --help')");
                return EXIT_USAGE;
        }
        id = argv[optind];
        if (cli_check_ids(argc, argv) < 0)
                return EXIT_USAGE;
        if (cli_connect(&client) < 0)
                return 1;
        r = cli_process_from_id(client, id, &p);
        if (r < 0)
                return 1;

        r = read_kept(p, id, &cursor, &buf, &size);
        if (r < 0)
                return 1;
        start = lines == UINT64_MAX ? 0 : lines == 0 ? size : tail_start(buf, size, lines);
        if (write_all(buf + start, size - start) < 0)
                return 1;
        if (follow_output && follow(p, id, cursor) < 0)
                return 1;
        return 0;
}
