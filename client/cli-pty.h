/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `procctl run --pty`: a pseudo-terminal for the child, and this terminal
 * put through to it.  The child gets the pty's slave as stdin, stdout and
 * stderr (and as its controlling terminal, through the `tty` spawn option);
 * procctl keeps the master and copies our stdin to it and its output to our
 * stdout, with our own terminal in raw mode, so that the child's terminal
 * does the line editing, echo and Ctrl-C.  Only `run --pty` gets here: a
 * plain `procctl run` never calls anything in this file.
 *
 * The life of a PtyForward, driven from run's poll() loop:
 *   pty_forward_new()       opens the pty (our terminal's modes and size copied)
 *   pty_forward_start()     once the child runs: our terminal raw, copying on
 *   pty_forward_fill_pollfds() / pty_forward_handle()   every loop turn
 *   pty_forward_resize()    on SIGWINCH
 *   pty_forward_drain()     after the child has exited: the rest of its output
 *   pty_forward_free()      our terminal as it was, descriptors as they were
 * Our terminal is restored on every way out: pty_forward_free(), an error
 * (pty_forward_restore()), SIGTSTP (restored while stopped, raw again after),
 * and a fatal signal (a handler restores it and dies of the same signal).
 */

#include <poll.h>
#include <stdbool.h>

typedef struct PtyForward PtyForward;

/* The most pollfds pty_forward_fill_pollfds() fills. */
#define PTY_FORWARD_MAX_POLLFDS 3

/* Opens the pty; *ret_slave is the slave to pass to the child (close it
 * once the Spawn request holds its copy). */
int pty_forward_new(PtyForward **ret, int *ret_slave);

/* Puts our terminal in raw mode and starts copying. */
int pty_forward_start(PtyForward *f);

/* Fills up to PTY_FORWARD_MAX_POLLFDS entries; returns how many.  After
 * poll(), pty_forward_handle() gets the same entries back.  Returns < 0
 * only on an unexpected failure. */
int pty_forward_fill_pollfds(PtyForward *f, struct pollfd *pfd);
int pty_forward_handle(PtyForward *f, const struct pollfd *pfd, int n);

/* Our terminal's size, given to the child's. */
void pty_forward_resize(PtyForward *f);

/* SIGTSTP: our terminal as it was while we are stopped, raw again after. */
void pty_forward_suspend(PtyForward *f);

/* Copies what the child wrote before it exited to our stdout. */
void pty_forward_drain(PtyForward *f);

/* Our terminal back as it was (idempotent); before printing an error. */
void pty_forward_restore(PtyForward *f);

PtyForward *pty_forward_free(PtyForward *f);
