/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What procctl's commands share: the global options, connecting, error
 * messages, and reading and writing the things a user types and sees
 * (process IDs, signal names, durations, dates, how a process ended).
 */

#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "config.h"

CliArgs arg = {
        .bus_kind = BUS_SYSTEM,
        .ask_password = true,
        .pager = true,
};

int cli_global_option(int c, const char *optarg) {
        switch (c) {
        case ARG_VERSION:
                printf("procctl %s\n", PROCCTL_VERSION);
                exit(0);
        case ARG_SYSTEM:
                arg.bus_kind = BUS_SYSTEM;
                return 1;
        case ARG_USER:
                arg.bus_kind = BUS_USER;
                return 1;
        case ARG_ADDRESS:
                arg.bus_kind = BUS_ADDRESS;
                arg.address = optarg;
                return 1;
        case 'q':
                arg.quiet = true;
                return 1;
        case ARG_NO_ASK_PASSWORD:
                arg.ask_password = false;
                return 1;
        case ARG_NO_PAGER:
                arg.pager = false;
                return 1;
        case 'H':
                arg.bus_kind = BUS_REMOTE;
                arg.address = optarg;
                return 1;
        case 'M':
                arg.bus_kind = BUS_MACHINE;
                arg.address = optarg;
                return 1;
        default:
                return 0;
        }
}

int cli_option_error(int c, char *argv[], const char *command) {
        const char *see = command ? command : "";
        const char *space = command ? " " : "";

        if (c == ':')
                cli_error("option '%s' needs an argument", argv[optind - 1]);
        else if (optopt > 0 && optopt < 0x100)
                cli_error("unknown option '-%c' (see 'procctl %s%s--help')", optopt, see, space);
        else
                cli_error("unknown option '%s' (see 'procctl %s%s--help')", argv[optind - 1], see, space);
        return EXIT_USAGE;
}

void cli_error(const char *format, ...) {
        va_list ap;

        fputs("procctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void cli_call_error(const char *what, int r, const procctl_error *error) {
        const char *message = error && error->message ? error->message : strerror(-r);

        if (arg.bus_kind == BUS_REMOTE && (r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE))
                /* ssh said why on stderr, just before. */
                cli_error("%s: no connection to procctld on host %s (through ssh and systemd-stdio-bridge)",
                          what, arg.address);
        else if (procctl_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                cli_error("%s: no such process", what);
        else if (r == -EHOSTUNREACH && error && error->name)
                cli_error("%s: procctld is not running (%s)", what, message);
        else if (error && procctl_error_has_name(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                cli_error("%s: %s (authorization needed: run from a terminal, without --no-ask-password)",
                          what, message);
        else
                cli_error("%s: %s", what, message);
}

int cli_connect(procctl_client **ret) {
        int r;

        switch (arg.bus_kind) {
        case BUS_USER:
                r = procctl_client_new_user(ret);
                break;
        case BUS_ADDRESS:
                r = procctl_client_new_address(ret, arg.address);
                break;
        case BUS_REMOTE:
                r = procctl_client_new_remote(ret, arg.address);
                break;
        case BUS_MACHINE:
                r = procctl_client_new_machine(ret, arg.address);
                break;
        default:
                r = procctl_client_new_system(ret);
        }
        if (r < 0) {
                switch (arg.bus_kind) {
                case BUS_USER:
                        cli_error("cannot connect to the user bus: %s", strerror(-r));
                        break;
                case BUS_ADDRESS:
                        cli_error("cannot connect to the bus at %s: %s", arg.address, strerror(-r));
                        break;
                case BUS_REMOTE:
                        cli_error("cannot connect to the system bus of host %s: %s", arg.address, strerror(-r));
                        break;
                case BUS_MACHINE:
                        cli_error("cannot connect to the system bus of container %s: %s", arg.address,
                                  r == -EHOSTDOWN ? "no such container is running" : strerror(-r));
                        break;
                default:
                        cli_error("cannot connect to the system bus: %s", strerror(-r));
                }
                return r;
        }
        if (arg.ask_password && isatty(STDIN_FILENO))
                (void) procctl_client_set_allow_interactive_authorization(*ret, true);
        return 0;
}

int cli_process_from_id(procctl_client *client, const char *id, procctl_process **ret) {
        int r;

        r = procctl_process_new(client, id, ret);
        if (r == -EINVAL || r == -ERANGE)
                cli_error("invalid process ID '%s' (expected a number or an object path)", id);
        else if (r < 0)
                cli_error("%s: %s", id, strerror(-r));
        return r;
}

int cli_check_ids(int argc, char *argv[]) {
        for (int i = optind; i < argc; i++) {
                uint64_t id;

                if (procctl_parse_process_id(argv[i], &id) < 0) {
                        cli_error("invalid process ID '%s' (expected a number or an object path)", argv[i]);
                        return -EINVAL;
                }
        }
        return 0;
}

/* ---------------------------------------------------------------- signals */

static int parse_uint(const char *s, unsigned max, unsigned *ret) {
        unsigned v = 0;

        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*s - '0');
                if (v > max)
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

int cli_parse_signal(const char *s) {
        unsigned n;

        if (!s || !*s)
                return -EINVAL;
        if (parse_uint(s, SIGRTMAX, &n) >= 0)
                return (int) n;

        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
                bool min = strncasecmp(s, "RTMIN", 5) == 0;
                int base = min ? SIGRTMIN : SIGRTMAX;

                s += 5;
                if (!*s)
                        return base;
                if (*s != (min ? '+' : '-') || parse_uint(s + 1, SIGRTMAX - SIGRTMIN, &n) < 0)
                        return -EINVAL;
                return min ? base + (int) n : base - (int) n;
        }
        for (int i = 1; i < SIGRTMIN; i++) {
                const char *name = sigabbrev_np(i);
                if (name && strcasecmp(s, name) == 0)
                        return i;
        }
        /* glibc calls 29 POLL; kill -l and bash call it IO. */
        if (strcasecmp(s, "IO") == 0)
                return SIGIO;
        return -EINVAL;
}

const char *cli_signal_to_string(int sig, char *buf, size_t size) {
        const char *name = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

        if (name)
                snprintf(buf, size, "SIG%s", name);
        else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
                snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
        else
                snprintf(buf, size, "signal %d", sig);
        return buf;
}

/* ------------------------------------------------------- times and dates */

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MIN  (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY  (24 * USEC_PER_HOUR)

int cli_parse_size(const char *s, uint64_t *ret) {
        static const char suffixes[] = "KMG";
        unsigned long long v;
        char *end;

        if (!s || !(*s >= '0' && *s <= '9'))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        if (*end) {
                const char *p = strchr(suffixes, *end);

                if (!p || end[1])
                        return -EINVAL;
                for (const char *q = suffixes; q <= p; q++) {
                        if (v > UINT64_MAX / 1024)
                                return -ERANGE;
                        v *= 1024;
                }
        }
        *ret = v;
        return 0;
}

int cli_parse_duration(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                /* longest first, so "ms" is not read as "m" + "s" */
                { "usec", 1 }, { "us", 1 },
                { "msec", USEC_PER_MSEC }, { "ms", USEC_PER_MSEC },
                { "sec", USEC_PER_SEC }, { "s", USEC_PER_SEC },
                { "min", USEC_PER_MIN }, { "m", USEC_PER_MIN },
                { "hour", USEC_PER_HOUR }, { "h", USEC_PER_HOUR },
                { "day", USEC_PER_DAY }, { "d", USEC_PER_DAY },
        };
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        while (*s) {
                double v;
                char *end;
                uint64_t unit = USEC_PER_SEC;
                size_t i;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                if (!(*s >= '0' && *s <= '9') && *s != '.')
                        return -EINVAL;
                errno = 0;
                v = strtod(s, &end);
                if (errno != 0 || end == s || v < 0)
                        return -EINVAL;
                s = end;
                for (i = 0; i < ELEMENTSOF(units); i++) {
                        size_t l = strlen(units[i].suffix);
                        if (strncmp(s, units[i].suffix, l) == 0 && !(s[l] >= 'a' && s[l] <= 'z')) {
                                unit = units[i].usec;
                                s += l;
                                break;
                        }
                }
                if (i == ELEMENTSOF(units) && *s && *s != ' ')
                        return -EINVAL;
                if (v * (double) unit > (double) (UINT64_MAX / 2))
                        return -ERANGE;
                total += (uint64_t) (v * (double) unit + 0.5);
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

char *cli_format_duration(uint64_t usec, char *buf, size_t size) {
        if (usec < USEC_PER_MSEC)
                snprintf(buf, size, "%" PRIu64 "us", usec);
        else if (usec < USEC_PER_SEC)
                snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else if (usec < USEC_PER_MIN)
                snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "s",
                         usec / USEC_PER_SEC, usec % USEC_PER_SEC / USEC_PER_MSEC);
        else if (usec < USEC_PER_HOUR)
                snprintf(buf, size, "%" PRIu64 "min %" PRIu64 "s",
                         usec / USEC_PER_MIN, usec % USEC_PER_MIN / USEC_PER_SEC);
        else if (usec < USEC_PER_DAY)
                snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "min",
                         usec / USEC_PER_HOUR, usec % USEC_PER_HOUR / USEC_PER_MIN);
        else
                snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h",
                         usec / USEC_PER_DAY, usec % USEC_PER_DAY / USEC_PER_HOUR);
        return buf;
}

char *cli_format_timestamp(uint64_t realtime_usec, char *buf, size_t size) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        struct tm tm;

        if (realtime_usec == 0 || !localtime_r(&t, &tm) ||
            strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "n/a");
        return buf;
}

char *cli_format_timestamp_iso(uint64_t realtime_usec, char *buf, size_t size) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        char date[32], zone[8];
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
            strftime(zone, sizeof(zone), "%z", &tm) != 5)
                snprintf(buf, size, "n/a");
        else /* "+0100" as "+01:00" */
                snprintf(buf, size, "%s.%06u%.3s:%s", date, (unsigned) (realtime_usec % USEC_PER_SEC), zone, zone + 3);
        return buf;
}

/* "5 min ago", "-1h 30min", "+2d": now and a duration apart; "5 min" as "5min" for cli_parse_duration(). */
static int parse_relative(const char *s, uint64_t now, uint64_t *ret) {
        char buf[128], *q = buf;
        bool before = false;
        size_t n = strlen(s);
        uint64_t d;
        int r;

        if (*s == '-' || *s == '+')
                before = *s++ == '-', n--;
        else if (n > 4 && strcmp(s + n - 4, " ago") == 0)
                before = true, n -= 4;
        else
                return -EINVAL;
        if (n >= sizeof(buf))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!(s[i] == ' ' && q > buf && q[-1] >= '0' && q[-1] <= '9'))
                        *q++ = s[i];
        *q = '\0';
        r = cli_parse_duration(buf, &d);
        if (r < 0)
                return r;
        if (before ? d > now : d > UINT64_MAX - now)
                return -ERANGE;
        *ret = before ? now - d : now + d;
        return 0;
}

int cli_parse_timestamp(const char *s, uint64_t now, uint64_t *ret) {
        static const struct {
                const char *format;
                bool date;
        } formats[] = {
                { "%Y-%m-%d %H:%M:%S", true }, { "%Y-%m-%dT%H:%M:%S", true }, { "%Y-%m-%d %H:%M", true },
                { "%Y-%m-%d", true },          { "%H:%M:%S", false },         { "%H:%M", false },
        };
        time_t t = (time_t) (now / USEC_PER_SEC), parsed;
        struct tm today, tm;
        int days = 0;

        if (!s || !*s)
                return -EINVAL;
        if (strcmp(s, "now") == 0) {
                *ret = now;
                return 0;
        }
        if (*s == '@') {
                uint64_t sec;
                char *end;

                errno = 0;
                sec = strtoull(s + 1, &end, 10);
                if (errno != 0 || end == s + 1 || *end || !(s[1] >= '0' && s[1] <= '9') || sec > UINT64_MAX / USEC_PER_SEC)
                        return -EINVAL;
                *ret = sec * USEC_PER_SEC;
                return 0;
        }
        if (parse_relative(s, now, ret) >= 0)
                return 0;
        if (!localtime_r(&t, &today))
                return -EINVAL;
        if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0 || strcmp(s, "tomorrow") == 0) {
                tm = today;
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                days = s[0] == 'y' ? -1 : s[1] == 'o' && s[2] == 'm' ? 1 : 0;
        } else {
                size_t i;

                for (i = 0; i < ELEMENTSOF(formats); i++) {
                        const char *end;

                        tm = (struct tm) {};
                        end = strptime(s, formats[i].format, &tm);
                        if (end && !*end)
                                break;
                }
                if (i == ELEMENTSOF(formats))
                        return -EINVAL;
                if (!formats[i].date) {
                        tm.tm_year = today.tm_year;
                        tm.tm_mon = today.tm_mon;
                        tm.tm_mday = today.tm_mday;
                }
        }
        tm.tm_mday += days;
        tm.tm_isdst = -1;
        parsed = mktime(&tm);
        if (parsed == (time_t) -1 || parsed < 0)
                return -EINVAL;
        *ret = (uint64_t) parsed * USEC_PER_SEC;
        return 0;
}

uint64_t cli_now_realtime(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- endings */

char *cli_format_exit(const procctl_exit *exit, char *buf, size_t size) {
        char sig[32];

        switch (exit->reason) {
        case PROCCTL_EXIT_EXITED:
                snprintf(buf, size, "exited with %d", exit->status);
                break;
        case PROCCTL_EXIT_KILLED:
                snprintf(buf, size, "killed by %s", cli_signal_to_string(exit->status, sig, sizeof(sig)));
                break;
        case PROCCTL_EXIT_DUMPED:
                snprintf(buf, size, "dumped core on %s", cli_signal_to_string(exit->status, sig, sizeof(sig)));
                break;
        default:
                snprintf(buf, size, "ended, exit status unknown");
        }
        return buf;
}

int cli_exit_code(const procctl_exit *exit) {
        int code = procctl_exit_to_shell_code(exit);
        return code < 0 ? 1 : code;
}

/* ----------------------------------------------------------- users, groups */

/* The length of the UTF-8 sequence at s, if valid and not a C1 control
 * character; else 0. */
static size_t utf8_printable_length(const unsigned char *s) {
        size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
        uint32_t c = n == 2 ? s[0] & 0x1f : n == 3 ? s[0] & 0x0f : s[0] & 0x07;

        if (n == 0)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        /* Overlong, surrogates, past U+10FFFF, and C1 (U+0080..U+009F). */
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff) ||
            c < 0xa0)
                return 0;
        return n;
}

char *cli_escape(const char *s) {
        const unsigned char *u = (const unsigned char *) (s ?: "");
        size_t len = strlen((const char *) u);
        char *out = malloc(len * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                static const char named[] = "\a\b\t\n\v\f\r", letters[] = "abtnvfr";
                const char *k = u[i] != 0 ? strchr(named, u[i]) : NULL;
                size_t n;

                if (u[i] >= 0x20 && u[i] < 0x7f)
                        *o++ = (char) u[i++];
                else if (u[i] >= 0x80 && (n = utf8_printable_length(u + i)) > 0) {
                        memcpy(o, u + i, n);
                        o += n;
                        i += n;
                } else if (k) {
                        *o++ = '\\';
                        *o++ = letters[k - named];
                        i++;
                } else
                        o += sprintf(o, "\\x%02x", u[i++]);
        }
        *o = '\0';
        return out;
}

const char *cli_user_name(uid_t uid, char *buf, size_t size) {
        struct passwd *pw = getpwuid(uid);

        if (pw)
                snprintf(buf, size, "%s", pw->pw_name);
        else
                snprintf(buf, size, "%u", (unsigned) uid);
        return buf;
}

const char *cli_group_name(gid_t gid, char *buf, size_t size) {
        struct group *gr = getgrgid(gid);

        if (gr)
                snprintf(buf, size, "%s", gr->gr_name);
        else
                snprintf(buf, size, "%u", (unsigned) gid);
        return buf;
}

int cli_parse_json(const char *s, JsonMode *ret) {
        if (!s)
                *ret = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
        else if (strcmp(s, "pretty") == 0)
                *ret = JSON_PRETTY;
        else if (strcmp(s, "short") == 0)
                *ret = JSON_SHORT;
        else {
                cli_error("invalid --json mode '%s' (expected 'pretty' or 'short')", s);
                return -EINVAL;
        }
        return 0;
}
