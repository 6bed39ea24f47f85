/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Captured output (Spawn's `output: capture`): the pipes a process writes its
 * stdout and stderr to, the bounded buffer the daemon keeps what it read in,
 * and the callers following it (FollowOutput).
 *
 * The buffer lives in a memfd mapped twice, back to back, so that a ring of
 * entries reads and writes as one piece of memory and nothing of it is on
 * the daemon's heap.  An entry is a 16-byte header (CLOCK_REALTIME µs, length,
 * stream) and its bytes.  The buffer keeps at most `max` bytes of output, the
 * newest: to make room the oldest entry loses its first bytes or goes, and
 * what goes is counted (dropped).  The ring is twice `max` (plus a page), so
 * headers share it: only output written a few bytes at a time keeps less.
 *
 * The first page of the memfd holds where the ring starts and ends, so the
 * ring survives a daemon restart in the fd store (output_keep(),
 * output_restore()), as do the pipes' read ends: the writers go on writing
 * into the pipes while the daemon is away, and it reads on from there.
 *
 * Budget: an Output's owner pays (MaxBytesPerUser) for the most output it
 * has held, growing with it up to max.  When the owner's budget has no
 * more, the buffer keeps what it is paid for: its oldest bytes go to make
 * room, counted as dropped; the writer is never refused or blocked.
 *
 * Cursors count bytes of output (both streams) from the process's first:
 * `start` is the cursor of the oldest byte kept, `end` the one after the
 * newest, so dropped == start.
 *
 * A follower is a pipe whose read end the caller got; the daemon writes to
 * its non-blocking write end from the follower's cursor, waiting for room in
 * the pipe while the bytes are still in the buffer.  A follower whose cursor
 * the buffer has dropped (it fell more than `max` bytes behind) loses its
 * place: its pipe is closed early, so that the writer and the daemon never
 * wait for a reader.  A follower whose reader has gone (EPIPE, or EPOLLERR
 * while idle) is dropped at once.  Once every writer has gone (EOF on both
 * pipes), a follower's pipe is closed when it has had everything.
 */

#include <stdint.h>
#include <sys/uio.h>
#include <systemd/sd-bus.h>

#include "manager.h"
#include "quota.h"

#define OUTPUT_STREAM_STDOUT 1
#define OUTPUT_STREAM_STDERR 2
/* What one ReadOutput returns at most: bytes of output, and entries (each
 * costs 24 bytes more in the reply), far below the bus's 32 MiB. */
#define OUTPUT_READ_MAX_BYTES (4u * 1024u * 1024u)
#define OUTPUT_READ_MAX_ENTRIES 65536u
/* Descriptors an Output holds: its memfd and the read ends of its two pipes. */
#define OUTPUT_DESCRIPTORS 3u

typedef struct Output Output;
typedef struct FdStoreSet FdStoreSet;

/* A buffer of max bytes (at least 1) with its two pipes, paid for by uid;
 * *ret_stdout and *ret_stderr are the write ends for the child, the
 * caller's to close once the child has them.  Reading starts at once, from
 * the event loop. */
/* `output-max` when a Spawn names none: DefaultOutputBytes within MaxOutputBytes. */
uint64_t output_default_max(const Manager *m);

int output_new(Manager *m, uid_t uid, uint64_t max, Output **ret, int *ret_stdout, int *ret_stderr);
Output *output_free(Output *o);

/* Puts o's memfd and the pipes' read ends in the fd store as p's (o is
 * p's output); a pipe leaves it when its writers have gone. */
void output_keep(Output *o, Process *p);

/* Sets p->output up again from the descriptors the store gave back (taken
 * from set), if any: the ring as far as it checks out (else a new empty
 * one), and the pipes, which the writers never stopped writing to.  A
 * failure leaves p without output (logged): its writers then get EPIPE. */
void output_restore(Process *p, FdStoreSet *set);
/* New write ends of the same two captures, for the next run of a process
 * with a restart policy (restart.h): what every run writes is one output. */
int output_reopen(Output *o, int *ret_stdout, int *ret_stderr);

/* Reads what the pipes hold now, and no more: called when the process
 * exits, before its end is recorded, so that what it wrote is in the buffer
 * when Wait returns.  A writer it left behind may go on writing. */
void output_drain(Output *o);

/* Appends (a(tuay) entries, t next_cursor, t dropped_bytes) to reply: from
 * cursor (clamped to what the buffer holds), at most max_bytes of output
 * (bounded by OUTPUT_READ_MAX_BYTES). */
int output_append_read(Output *o, uint64_t cursor, uint32_t max_bytes, sd_bus_message *reply);

/* A new follower from cursor (clamped likewise), charged to uid as a
 * pending call; *ret_fd is the read end to hand out (the caller closes it). */
int output_follow(Output *o, uid_t uid, uint64_t cursor, int *ret_fd, sd_bus_error *error);

/* Calls f for each entry (or the part of it) from cursor (clamped), at
 * most max_bytes of output in at most max_entries; *ret_next is the cursor
 * after the last byte given.  A negative return of f ends it. */
typedef int (*OutputEntryFunc)(void *userdata, uint64_t usec, int stream, const void *data, size_t size);
int output_read_entries(Output *o, uint64_t cursor, uint64_t max_bytes, unsigned max_entries, OutputEntryFunc f,
                        void *userdata, uint64_t *ret_next);

/* For the unit tests: an entry appended as if read from a pipe. */
int output_append(Output *o, int stream, const void *data, size_t size);
uint64_t output_start_cursor(const Output *o);
int output_ring_fd(const Output *o);
uint64_t output_end_cursor(const Output *o);
