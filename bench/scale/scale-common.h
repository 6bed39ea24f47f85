/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the scale benchmarks share: a bus connection to a given address,
 * clocks and medians, the daemon's memory and descriptors from /proc, and
 * pipelined calls (many method calls in flight on one connection, so that
 * setting up 10,000 children takes seconds, not a round trip each).
 *
 * Libsystemd only, bus names spelled here: the benchmarks use the bus
 * contract the way any outside client would.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define BUS_NAME          "org.procctl.Manager1"
#define MANAGER_PATH      "/org/procctl/Manager1"
#define MANAGER_INTERFACE "org.procctl.Manager1"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)

static inline void freep(void *p) {
        free(*(void **) p);
}

/* The output of every benchmark ends in rows of the summary table, one per
 * line, tab-separated: "row", metric, baseline, measured, ratio, target.
 * run.sh collects them; everything else printed is detail. */
void print_row(const char *metric, const char *baseline, const char *measured, double ratio, const char *target);

/* A client connection to the bus at address (NULL: the system bus, or the
 * session bus when user is set).  Prints why on failure. */
int bench_connect(const char *address, bool user, sd_bus **ret);

uint64_t now_ns(void);
/* Sorts v in place; the median in microseconds. */
double median_us(uint64_t *v, size_t n);

/* The PID of the owner of org.procctl.Manager1, from the bus. */
int daemon_pid(sd_bus *bus, pid_t *ret);
/* VmRSS and RssAnon of pid in KiB, from /proc/<pid>/status. */
int process_rss_kib(pid_t pid, uint64_t *ret_rss, uint64_t *ret_anon);
/* CPU time pid's main thread has used, in ns (/proc/<pid>/schedstat); 0 if unknown. */
uint64_t process_cpu_ns(pid_t pid);
/* Open descriptors of pid, counted in /proc/<pid>/fd. */
int process_fd_count(pid_t pid);
/* Manager1.ProcessCount. */
int process_count(sd_bus *bus, uint32_t *ret);

/* Pipelined calls: items 0..n-1 are started with send(), at most `window`
 * in flight (the bus caps pending replies per connection, dbus-daemon's
 * default is 128).  Each reply goes to reply() with the item's step (0 for
 * the reply to send(), 1 for the next call, ...), which returns < 0 to
 * count the item as failed, 0 when the item is done, or > 0 after sending
 * the item's next call (with pipeline_reply and pipeline_slot(p, i) again).
 * Returns the number of failed items, or a negative errno when the
 * connection itself fails. */
typedef struct Pipeline Pipeline;
struct Pipeline {
        sd_bus *bus;
        size_t n;
        unsigned window;
        /* Sends call i with sd_bus_call_method_async(…, pipeline_reply, pipeline_slot(p, i), …). */
        int (*send)(Pipeline *p, size_t i);
        int (*reply)(Pipeline *p, size_t i, unsigned step, sd_bus_message *m);
        void *userdata;

        /* private */
        size_t next, done, failed;
        struct PipelineSlot *slots;
};
void *pipeline_slot(Pipeline *p, size_t i);
int pipeline_reply(sd_bus_message *m, void *userdata, sd_bus_error *error);
int pipeline_run(Pipeline *p);

/* Spawn of argv with no options, pipelined: paths[i] and pids[i] of every
 * child started (paths are malloc'ed). Returns failures as pipeline_run(). */
int spawn_many(sd_bus *bus, char **argv, size_t n, char **paths, uint32_t *pids);
/* Stop (expecting reason "killed"/SIGTERM) then Release of each of
 * paths[0..n-1], child by child: the daemon keeps only so many exited
 * records per user, so stopping all first would lose the oldest. */
int stop_and_release_many(sd_bus *bus, char **paths, size_t n);

/* One whole life of a child: Spawn of program (no arguments; as user when
 * not NULL, else no options), Wait, expecting "exited" 0, then Release.
 * Prints what failed. */
int spawn_wait_release(sd_bus *bus, const char *program, const char *user);
