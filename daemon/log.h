/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Logging for an operator: to stderr, with a syslog priority prefix when
 * stderr is the journal (JOURNAL_STREAM), so that journald keeps the level.
 * The log_*_errno() helpers return the negative errno they were given, so a
 * failure is logged and returned in one statement.
 */

#include <syslog.h>

void log_set_max_level(int level);
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_internal(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
