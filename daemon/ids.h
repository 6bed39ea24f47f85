/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Process ids never repeat for the life of the system, so that an object path
 * a caller kept can never name another process: not within one daemon, and
 * not after it restarts, with or without the service manager's fd store (a
 * crash outside systemd, or procctld started again by hand).  The daemon
 * takes ids in blocks and records the end of each block in its runtime
 * directory (/run/procctl, a tmpfs that lives as long as the system) before
 * it hands out the block's first id; a daemon starting again begins after
 * the last block any earlier one took.
 */

#include <stdbool.h>
#include <stdint.h>

#define IDS_BLOCK 4096

typedef struct IdAllocator {
        uint64_t next;
        uint64_t reserved_until; /* ids below this are recorded as taken */
        char *file;              /* DIR/next-id; NULL: nothing is recorded */
        bool warned;
} IdAllocator;

/* Reads what earlier daemons took from dir (created if missing); dir NULL:
 * ids start at 1 and nothing is recorded.  Fails only for lack of memory. */
int ids_init(IdAllocator *a, const char *dir);
void ids_done(IdAllocator *a);

/* The next id; records a new block first when the last one is used up. */
uint64_t ids_next(IdAllocator *a);

/* The id ids_next() will give, not taken. */
uint64_t ids_peek(const IdAllocator *a);

/* An id that came back from the fd store: later ones are above it. */
void ids_seen(IdAllocator *a, uint64_t id);
