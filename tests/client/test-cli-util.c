/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The procctl CLI's helpers, without a bus: what a user types (signals,
 * durations) is read right, and what a user sees (how a process ended,
 * durations) reads right.
 */

#include <glib.h>
#include <signal.h>

#include "cli.h"

#define USEC UINT64_C(1000000)

static void test_parse_signal(void) {
        g_assert_cmpint(cli_parse_signal("HUP"), ==, SIGHUP);
        g_assert_cmpint(cli_parse_signal("SIGHUP"), ==, SIGHUP);
        g_assert_cmpint(cli_parse_signal("sigterm"), ==, SIGTERM);
        g_assert_cmpint(cli_parse_signal("kill"), ==, SIGKILL);
        g_assert_cmpint(cli_parse_signal("9"), ==, 9);
        g_assert_cmpint(cli_parse_signal("0"), ==, 0);
        g_assert_cmpint(cli_parse_signal("RTMIN"), ==, SIGRTMIN);
        g_assert_cmpint(cli_parse_signal("SIGRTMIN+2"), ==, SIGRTMIN + 2);
        g_assert_cmpint(cli_parse_signal("RTMAX-1"), ==, SIGRTMAX - 1);
        g_assert_cmpint(cli_parse_signal("FOO"), <, 0);
        g_assert_cmpint(cli_parse_signal(""), <, 0);
        g_assert_cmpint(cli_parse_signal("SIG"), <, 0);
        g_assert_cmpint(cli_parse_signal("-1"), <, 0);
        g_assert_cmpint(cli_parse_signal("100"), <, 0);
        g_assert_cmpint(cli_parse_signal("RTMIN-1"), <, 0);
}

static void test_signal_to_string(void) {
        char buf[32];

        g_assert_cmpstr(cli_signal_to_string(SIGTERM, buf, sizeof(buf)), ==, "SIGTERM");
        g_assert_cmpstr(cli_signal_to_string(SIGSEGV, buf, sizeof(buf)), ==, "SIGSEGV");
        g_assert_cmpstr(cli_signal_to_string(SIGRTMIN + 3, buf, sizeof(buf)), ==, "SIGRTMIN+3");
        g_assert_cmpstr(cli_signal_to_string(200, buf, sizeof(buf)), ==, "signal 200");
}

static void test_parse_duration(void) {
        uint64_t u;

        g_assert_cmpint(cli_parse_duration("10", &u), ==, 0);
        g_assert_cmpuint(u, ==, 10 * USEC);
        g_assert_cmpint(cli_parse_duration("1.5s", &u), ==, 0);
        g_assert_cmpuint(u, ==, 1500000);
        g_assert_cmpint(cli_parse_duration("500ms", &u), ==, 0);
        g_assert_cmpuint(u, ==, 500000);
        g_assert_cmpint(cli_parse_duration("2min", &u), ==, 0);
        g_assert_cmpuint(u, ==, 120 * USEC);
        g_assert_cmpint(cli_parse_duration("1min 30s", &u), ==, 0);
        g_assert_cmpuint(u, ==, 90 * USEC);
        g_assert_cmpint(cli_parse_duration("1h", &u), ==, 0);
        g_assert_cmpuint(u, ==, 3600 * USEC);
        g_assert_cmpint(cli_parse_duration("3d", &u), ==, 0);
        g_assert_cmpuint(u, ==, 3 * 86400 * USEC);
        g_assert_cmpint(cli_parse_duration("250us", &u), ==, 0);
        g_assert_cmpuint(u, ==, 250);
        g_assert_cmpint(cli_parse_duration("", &u), <, 0);
        g_assert_cmpint(cli_parse_duration("abc", &u), <, 0);
        g_assert_cmpint(cli_parse_duration("5x", &u), <, 0);
        g_assert_cmpint(cli_parse_duration("-1s", &u), <, 0);
        g_assert_cmpint(cli_parse_duration("5seconds", &u), <, 0);
}

static void test_format_duration(void) {
        char buf[64];

        g_assert_cmpstr(cli_format_duration(250, buf, sizeof(buf)), ==, "250us");
        g_assert_cmpstr(cli_format_duration(12000, buf, sizeof(buf)), ==, "12ms");
        g_assert_cmpstr(cli_format_duration(5003000, buf, sizeof(buf)), ==, "5.003s");
        g_assert_cmpstr(cli_format_duration(182 * USEC, buf, sizeof(buf)), ==, "3min 2s");
        g_assert_cmpstr(cli_format_duration((2 * 3600 + 5 * 60) * USEC, buf, sizeof(buf)), ==, "2h 5min");
        g_assert_cmpstr(cli_format_duration((4 * 86400 + 3 * 3600) * USEC, buf, sizeof(buf)), ==, "4d 3h");
}

static void test_format_timestamp(void) {
        char buf[64];

        g_setenv("TZ", "UTC", TRUE);
        tzset();
        g_assert_cmpstr(cli_format_timestamp(UINT64_C(1700000000) * USEC, buf, sizeof(buf)), ==,
                        "Tue 2023-11-14 22:13:20 UTC");
        g_assert_cmpstr(cli_format_timestamp(0, buf, sizeof(buf)), ==, "n/a");
}

static void test_format_exit(void) {
        char buf[64];
        procctl_exit x;

        x = (procctl_exit) { PROCCTL_EXIT_EXITED, 3 };
        g_assert_cmpstr(cli_format_exit(&x, buf, sizeof(buf)), ==, "exited with 3");
        g_assert_cmpint(cli_exit_code(&x), ==, 3);
        x = (procctl_exit) { PROCCTL_EXIT_KILLED, SIGTERM };
        g_assert_cmpstr(cli_format_exit(&x, buf, sizeof(buf)), ==, "killed by SIGTERM");
        g_assert_cmpint(cli_exit_code(&x), ==, 143);
        x = (procctl_exit) { PROCCTL_EXIT_DUMPED, SIGSEGV };
        g_assert_cmpstr(cli_format_exit(&x, buf, sizeof(buf)), ==, "dumped core on SIGSEGV");
        g_assert_cmpint(cli_exit_code(&x), ==, 139);
        x = (procctl_exit) { PROCCTL_EXIT_UNKNOWN, 0 };
        g_assert_cmpstr(cli_format_exit(&x, buf, sizeof(buf)), ==, "ended, exit status unknown");
        g_assert_cmpint(cli_exit_code(&x), ==, 1);
}

static void test_parse_timestamp(void) {
        /* Noon, 2026-06-15, UTC. */
        const uint64_t now = UINT64_C(1781524800) * USEC;
        uint64_t u;

        g_setenv("TZ", "UTC", TRUE);
        tzset();

        g_assert_cmpint(cli_parse_timestamp("now", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now);
        g_assert_cmpint(cli_parse_timestamp("-5min", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 300 * USEC);
        g_assert_cmpint(cli_parse_timestamp("5 min ago", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 300 * USEC);
        g_assert_cmpint(cli_parse_timestamp("1h 30min ago", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 5400 * USEC);
        g_assert_cmpint(cli_parse_timestamp("+2s", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now + 2 * USEC);
        g_assert_cmpint(cli_parse_timestamp("@1781524800", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now);
        g_assert_cmpint(cli_parse_timestamp("2026-06-15 12:00:00", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now);
        g_assert_cmpint(cli_parse_timestamp("2026-06-15T12:00:00", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now);
        g_assert_cmpint(cli_parse_timestamp("2026-06-15 11:59", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 60 * USEC);
        g_assert_cmpint(cli_parse_timestamp("2026-06-15", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 12 * 3600 * USEC);
        g_assert_cmpint(cli_parse_timestamp("11:00", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 3600 * USEC);
        g_assert_cmpint(cli_parse_timestamp("11:00:30", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 3570 * USEC);
        g_assert_cmpint(cli_parse_timestamp("today", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 12 * 3600 * USEC);
        g_assert_cmpint(cli_parse_timestamp("yesterday", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now - 36 * 3600 * USEC);
        g_assert_cmpint(cli_parse_timestamp("tomorrow", now, &u), ==, 0);
        g_assert_cmpuint(u, ==, now + 12 * 3600 * USEC);

        g_assert_cmpint(cli_parse_timestamp("", now, &u), <, 0);
        g_assert_cmpint(cli_parse_timestamp("5min", now, &u), <, 0);
        g_assert_cmpint(cli_parse_timestamp("-5 lightyears", now, &u), <, 0);
        g_assert_cmpint(cli_parse_timestamp("2026-06-15 12", now, &u), <, 0);
        g_assert_cmpint(cli_parse_timestamp("@", now, &u), <, 0);
        g_assert_cmpint(cli_parse_timestamp("@-1", now, &u), <, 0);
        g_assert_cmpint(cli_parse_timestamp("-1000000d", now, &u), <, 0);
}

static void test_format_timestamp_iso(void) {
        char buf[64];

        g_setenv("TZ", "UTC", TRUE);
        tzset();
        g_assert_cmpstr(cli_format_timestamp_iso(UINT64_C(1781524800) * USEC + 42, buf, sizeof(buf)), ==,
                        "2026-06-15T12:00:00.000042+00:00");
}

static void test_escape(void) {
        const struct {
                const char *in, *out;
        } cases[] = {
                { "plain text, ünïcödé €", "plain text, ünïcödé €" },
                { "\033]0;title\007", "\\x1b]0;title\\a" },
                { "a\tb\nc\rd\x7f", "a\\tb\\nc\\rd\\x7f" },
                { "\xc2\x9b" "2J", "\\xc2\\x9b2J" },         /* C1 CSI, as UTF-8 */
                { "\x9b" "2J", "\\x9b2J" },                   /* C1 CSI, a lone byte */
                { "\xc0\xaf \xed\xa0\x80 \xe2\x82", "\\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82" }, /* overlong, surrogate, cut */
                { "", "" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *e = cli_escape(cases[i].in);
                g_assert_cmpstr(e, ==, cases[i].out);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/cli-util/parse-signal", test_parse_signal);
        g_test_add_func("/cli-util/signal-to-string", test_signal_to_string);
        g_test_add_func("/cli-util/parse-duration", test_parse_duration);
        g_test_add_func("/cli-util/format-duration", test_format_duration);
        g_test_add_func("/cli-util/format-timestamp", test_format_timestamp);
        g_test_add_func("/cli-util/format-exit", test_format_exit);
        g_test_add_func("/cli-util/parse-timestamp", test_parse_timestamp);
        g_test_add_func("/cli-util/format-timestamp-iso", test_format_timestamp_iso);
        g_test_add_func("/cli-util/escape-control-characters", test_escape);
        return g_test_run();
}
