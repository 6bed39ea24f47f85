/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `procctl run` for another user at a terminal: the daemon rightly refuses
 * to hand a terminal a session already uses to another user's process, so
 * each of our stdin, stdout and stderr that is a terminal reaches the child
 * through a pipe instead, and procctl copies between the two, as
 * systemd-run does.  Descriptors that are not terminals (files, pipes) are
 * passed as they are.  Our own descriptors are never reopened and never
 * made non-blocking: they are read or written only once poll() says they
 * are ready.  Only the pipe ends procctl keeps are non-blocking.
 *
 * The life of a StdioRelay, driven from run's poll() loop:
 *   stdio_relay_new()            a pipe for each terminal among 0, 1, 2
 *   stdio_relay_fill_pollfds() / stdio_relay_handle()   every loop turn
 *   stdio_relay_drain()          after the child has exited: the rest of its output
 *   stdio_relay_free()
 */

#include <poll.h>
#include <stdbool.h>

typedef struct StdioRelay StdioRelay;

/* The most pollfds stdio_relay_fill_pollfds() fills. */
#define STDIO_RELAY_MAX_POLLFDS 6

/* Makes a pipe for each of 0, 1 and 2 that is a terminal (one for both 1
 * and 2 when they are the same terminal).  child_fds[i] is what the child
 * gets as descriptor i: the pipe's end, or i itself when it is not relayed
 * (-1 if i is not open); close the pipe ends with stdio_relay_close_child()
 * once the Spawn request holds its copies.  *ret is NULL when nothing is a
 * terminal. */
int stdio_relay_new(StdioRelay **ret, int child_fds[3]);
void stdio_relay_close_child(StdioRelay *r);

int stdio_relay_fill_pollfds(StdioRelay *r, struct pollfd *pfd);
void stdio_relay_handle(StdioRelay *r, const struct pollfd *pfd, int n);

/* Copies what the child wrote before it exited to our stdout and stderr. */
void stdio_relay_drain(StdioRelay *r);

StdioRelay *stdio_relay_free(StdioRelay *r);
