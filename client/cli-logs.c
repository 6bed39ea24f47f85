/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl logs: the output procctld captured for a process spawned with
 * --output=capture (both streams, as the daemon read them, or one), the
 * last -n lines of it, from --since on, and with -f what comes after, until
 * every writer has gone.  With --timestamps, or with color, output is
 * printed by lines: each line with the time its first byte was read, a
 * line of stderr in red as journalctl prints an error; a line not ended
 * yet waits for its end (or the end of the output).  Otherwise the bytes
 * are printed as they were written.
 *
 * -f is fed by FollowOutput's pipe, which says when there is more (and,
 * with EOF, that every writer has gone); what there is comes from
 * ReadOutput, with its times and streams.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define PAGE_BYTES (4u * 1024u * 1024u)
/* A line longer than this is printed in pieces. */
#define LINE_MAX_BYTES (64u * 1024u)
/* The process, or a writer it left, is still running: more output may come. */
#define EXIT_LOGS_MORE 3

static void logs_help(void) {
        printf("Usage: procctl logs [OPTIONS...] ID\n"
               "\n"
               "Print what a process spawned with --output=capture wrote to stdout and stderr.\n"
               "\n"
               "Options:\n"
               "  -f, --follow             Then print its output as it comes, until the process\n"
               "                           and every process that inherited its output are done\n"
               "  -n, --lines=N            Only the last N lines kept (default: all)\n"
               "  -S, --since=TIME         Only output read at TIME or later: \"2024-11-28 10:00\",\n"
               "                           \"10:00\", \"-5min\", \"5 min ago\", \"yesterday\", \"@EPOCH\"\n"
               "  -t, --timestamps         Begin each line with the time it was read\n"
               "      --stream=STREAM      Only stdout or stderr\n"
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

/* -------------------------------------------------------------- printing */

typedef struct Line {
        char *data;
        size_t size;
        uint64_t usec; /* of its first byte */
} Line;

typedef struct Printer {
        int stream;       /* PROCCTL_OUTPUT_STDOUT, _STDERR, or 0: both */
        uint64_t since;   /* CLOCK_REALTIME µs; entries older are left out */
        bool timestamps;
        bool color;
        Line partial[2];  /* by lines: what each stream has of a line not ended yet */
} Printer;

static bool printer_by_lines(const Printer *pr) {
        return pr->timestamps || pr->color;
}

static bool printer_wants(const Printer *pr, uint64_t usec, int stream) {
        return (pr->stream == 0 || pr->stream == stream) && usec >= pr->since;
}

static int print_line(const Printer *pr, int stream, uint64_t usec, const char *data, size_t size) {
        bool red = pr->color && stream == 2;
        char when[64];
        int r;

        if (pr->timestamps)
                printf("%s ", cli_format_timestamp_iso(usec, when, sizeof(when)));
        if (red)
                fputs(ANSI_RED, stdout);
        fflush(stdout);
        r = write_all(data, size);
        if (red)
                fputs(ANSI_NORMAL, stdout);
        putchar('\n');
        fflush(stdout);
        return r;
}

/* Prints what ends a line of stream (all of data, when by bytes). */
static int printer_feed(Printer *pr, uint64_t usec, int stream, const char *data, size_t size) {
        if (!printer_wants(pr, usec, stream))
                return 0;
        if (!printer_by_lines(pr))
                return write_all(data, size);

        Line *l = &pr->partial[stream == 2];
        while (size > 0) {
                const char *nl = memchr(data, '\n', size);
                size_t n = nl ? (size_t) (nl - data) : size;
                char *b;

                if (l->size == 0)
                        l->usec = usec;
                b = realloc(l->data, l->size + n + 1);
                if (!b)
                        return -ENOMEM;
                l->data = b;
                memcpy(l->data + l->size, data, n);
                l->size += n;
                if (nl || l->size >= LINE_MAX_BYTES) {
                        int r = print_line(pr, stream, l->usec, l->data, l->size);
                        l->size = 0;
                        if (r < 0)
                                return r;
                }
                data += n + (nl ? 1 : 0);
                size -= n + (nl ? 1 : 0);
        }
        return 0;
}

/* The lines not ended, as lines: the output has ended. */
static void printer_done(Printer *pr) {
        for (int i = 0; i < 2; i++) {
                Line *l = &pr->partial[i];
                if (l->size > 0)
                        (void) print_line(pr, i + 1, l->usec, l->data, l->size);
                free(l->data);
                *l = (Line) {};
        }
}

/* --------------------------------------------------------------- reading */

/* The output kept from a cursor on, the entries the printer wants, in one buffer. */
typedef struct Entry {
        uint64_t usec;
        int stream;
        size_t offset; /* in Kept.data */
        size_t size;
} Entry;

typedef struct Kept {
        char *data;
        size_t size;
        Entry *entries;
        size_t n_entries;
} Kept;

static void kept_done(Kept *k) {
        free(k->data);
        free(k->entries);
}

static int kept_add(Kept *k, uint64_t usec, int stream, const void *data, size_t size) {
        char *b = realloc(k->data, k->size + size);
        Entry *e;

        if (!b)
                return -ENOMEM;
        k->data = b;
        e = reallocarray(k->entries, k->n_entries + 1, sizeof(Entry));
        if (!e)
                return -ENOMEM;
        k->entries = e;
        memcpy(k->data + k->size, data, size);
        k->entries[k->n_entries++] = (Entry) { usec, stream, k->size, size };
        k->size += size;
        return 0;
}

/* Calls f for each entry from *cursor on, page by page, until there is no
 * more; *cursor moves past them.  When following (report_gap), bytes
 * dropped before they could be read are said on stderr.  An error is
 * reported as id's (NULL: not reported). */
typedef int (*EntryFunc)(void *userdata, uint64_t usec, int stream, const void *data, size_t size);

static int read_from(procctl_process *p, const char *id, uint64_t *cursor, bool report_gap, EntryFunc f, void *userdata) {
        for (;;) {
                _cleanup_(procctl_output_unrefp) procctl_output *o = NULL;
                procctl_error error = PROCCTL_ERROR_INIT;
                int r;

                r = procctl_process_read_output(p, *cursor, PAGE_BYTES, &o, &error);
                if (r < 0) {
                        if (id)
                                cli_call_error(id, r, &error);
                        procctl_error_clear(&error);
                        return r;
                }
                if (report_gap && procctl_output_get_dropped_bytes(o) > *cursor && !arg.quiet)
                        fprintf(stderr, "procctl: -- %" PRIu64 " bytes dropped, too far behind --\n",
                                procctl_output_get_dropped_bytes(o) - *cursor);
                if (procctl_output_get_n_entries(o) == 0)
                        return 0;
                for (size_t i = 0; i < procctl_output_get_n_entries(o); i++) {
                        uint64_t usec;
                        int stream;
                        const void *data;
                        size_t n;

                        (void) procctl_output_get_entry(o, i, &usec, &stream, &data, &n);
                        r = f(userdata, usec, stream, data, n);
                        if (r < 0)
                                return r;
                }
                *cursor = procctl_output_get_next_cursor(o);
        }
}

static int collect_entry(void *userdata, uint64_t usec, int stream, const void *data, size_t size) {
        void **pk = userdata;
        Printer *pr = pk[0];

        return printer_wants(pr, usec, stream) ? kept_add(pk[1], usec, stream, data, size) : 0;
}

static int print_entry(void *userdata, uint64_t usec, int stream, const void *data, size_t size) {
        return printer_feed(userdata, usec, stream, data, size);
}

/* Where the last `lines` lines of buf start (a last line without its newline counts). */
static size_t tail_start(const char *buf, size_t size, uint64_t lines) {
        size_t i = size;

        if (lines == 0)
                return size;
        if (i > 0 && buf[i - 1] == '\n')
                i--;
        while (i > 0) {
                if (buf[i - 1] == '\n' && lines-- <= 1)
                        return i;
                i--;
        }
        return 0;
}

/* Prints the last `lines` lines (UINT64_MAX: all) of what is kept from
 * *cursor on, after `before` if there are any. */
static int print_kept(procctl_process *p, const char *id, Printer *pr, uint64_t lines, const char *before,
                      uint64_t *cursor) {
        Kept k = {};
        void *pk[] = { pr, &k };
        int r;

        r = read_from(p, id, cursor, false, collect_entry, pk);
        if (r >= 0 && k.size > 0 && lines > 0 && before) {
                fputs(before, stdout);
                fflush(stdout);
        }
        if (r >= 0) {
                size_t start = lines == UINT64_MAX ? 0 : tail_start(k.data, k.size, lines);

                for (size_t i = 0; i < k.n_entries && r >= 0; i++) {
                        Entry *e = &k.entries[i];
                        size_t skip = start > e->offset ? start - e->offset : 0;

                        if (skip < e->size)
                                r = printer_feed(pr, e->usec, e->stream, k.data + e->offset + skip, e->size - skip);
                }
        }
        kept_done(&k);
        return r;
}

static int follow_output(procctl_process *p, const char *id, uint64_t cursor, int *ret_fd) {
        procctl_error error = PROCCTL_ERROR_INIT;
        int r;

        r = procctl_process_follow_output(p, cursor, ret_fd, &error);
        if (r < 0) {
                cli_call_error(id, r, &error);
                procctl_error_clear(&error);
        }
        return r;
}

/* Follows from *cursor until every writer has gone: a follow that ends
 * without having had anything new ended because no one writes any more
 * (one that fell too far behind, or a daemon that restarted, closes the
 * pipe early: it is followed again from where the printing is). */
static int follow(procctl_process *p, const char *id, Printer *pr, uint64_t *cursor) {
        for (;;) {
                _cleanup_close_ int fd = -1;
                bool any = false;
                char buf[65536];
                int r;

                r = follow_output(p, id, *cursor, &fd);
                if (r < 0)
                        return r;
                for (;;) {
                        ssize_t n = read(fd, buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return -errno;
                        if (n == 0)
                                break;
                        any = true;
                        r = read_from(p, id, cursor, true, print_entry, pr);
                        if (r < 0)
                                return r;
                }
                r = read_from(p, id, cursor, true, print_entry, pr);
                if (r < 0 || !any)
                        return r;
        }
}

/* Whether every writer of the output has gone: a follow from the end
 * closes its pipe before the daemon answers, then, and only then. */
static int writers_gone(procctl_process *p, const char *id, uint64_t cursor) {
        _cleanup_close_ int fd = -1;
        struct pollfd pfd;
        char c;
        int r;

        r = follow_output(p, id, cursor, &fd);
        if (r < 0)
                return r;
        pfd = (struct pollfd) { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 0) < 0)
                return -errno;
        return (pfd.revents & POLLHUP) && !(pfd.revents & POLLIN && read(fd, &c, 1) > 0);
}

/* Whether the process itself has ended; with wait, once it has. */
static int process_gone(procctl_process *p, const char *id, bool wait) {
        procctl_error error = PROCCTL_ERROR_INIT;
        procctl_process_info *info = NULL;
        procctl_exit x;
        int r;

        if (wait)
                r = procctl_process_wait(p, &x, &error);
        else
                r = procctl_process_get_info(p, &info, &error);
        if (r < 0) {
                cli_call_error(id, r, &error);
                procctl_error_clear(&error);
                return r;
        }
        r = wait || !procctl_process_info_is_running(info);
        procctl_process_info_unref(info);
        return r;
}

static int parse_stream(const char *s) {
        return strcmp(s, "stdout") == 0 ? 1 : strcmp(s, "stderr") == 0 ? 2 : -EINVAL;
}

int verb_logs(int argc, char *argv[]) {
        enum { ARG_STREAM = 0x100 };
        static const struct option options[] = {
                GLOBAL_LONG_OPTIONS,
                { "follow",     no_argument,       NULL, 'f' },
                { "lines",      required_argument, NULL, 'n' },
                { "since",      required_argument, NULL, 'S' },
                { "timestamps", no_argument,       NULL, 't' },
                { "stream",     required_argument, NULL, ARG_STREAM },
                {}
        };
        _cleanup_(procctl_client_unrefp) procctl_client *client = NULL;
        _cleanup_(procctl_process_unrefp) procctl_process *p = NULL;
        Printer pr = {};
        bool follow_output = false;
        uint64_t lines = UINT64_MAX, cursor = 0;
        const char *id;
        int c, r;

        while ((c = getopt_long(argc, argv, ":" GLOBAL_SHORT_OPTIONS "fn:S:t", options, NULL)) >= 0)
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
                case 'S':
                        if (cli_parse_timestamp(optarg, cli_now_realtime(), &pr.since) < 0) {
                                cli_error("invalid time '%s' (e.g. \"2024-11-28 10:00\", \"-5min\", \"5 min ago\")",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 't':
                        pr.timestamps = true;
                        break;
                case ARG_STREAM:
                        pr.stream = parse_stream(optarg);
                        if (pr.stream < 0) {
                                cli_error("invalid stream '%s' (stdout or stderr)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
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
        pr.color = cli_colors();
        if (cli_connect(&client) < 0)
                return 1;
        r = cli_process_from_id(client, id, &p);
        if (r < 0)
                return 1;

        r = print_kept(p, id, &pr, lines, NULL, &cursor);
        if (r >= 0 && follow_output)
                r = follow(p, id, &pr, &cursor);
        if (r >= 0 && !follow_output) {
                r = writers_gone(p, id, cursor);
                if (r > 0)
                        r = process_gone(p, id, false);
                if (r == 0)
                        r = EXIT_LOGS_MORE;
                else if (r > 0)
                        r = 0;
        } else if (r >= 0)
                /* Every writer has gone; the process itself may not have. */
                r = process_gone(p, id, true) < 0 ? -EIO : 0;
        printer_done(&pr);
        return r < 0 ? 1 : r;
}

void cli_logs_show_tail(procctl_process *p, unsigned lines) {
        Printer pr = { .timestamps = true, .color = cli_colors() };
        uint64_t cursor = 0;

        /* Only if it has output, and the caller may read it: else nothing is said. */
        (void) print_kept(p, NULL, &pr, lines, "\n", &cursor);
        printer_done(&pr);
}
