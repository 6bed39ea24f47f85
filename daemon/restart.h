/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Restart policies (Spawn's `restart` options): whether a run that ended is
 * followed by another, after which delay, and when the process gives up.
 * One Process object lives through all its runs; between two runs it is
 * `restarting`: no pid, no pidfd, a timer for the next run.  The policy
 * itself (restart_wanted(), restart_next_delay(), restart_admit()) is pure
 * and tested without a bus (tests/unit/test-restart.c); the transitions of
 * a Process are restart_after_exit() and the timer, which starts the next
 * run through launch_rerun() (launch.h).
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct Process Process;
typedef struct RunRequest RunRequest;

typedef enum RestartMode {
        RESTART_NO,
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
        _RESTART_MODE_MAX,
        _RESTART_MODE_INVALID = -1,
} RestartMode;

#define RESTART_DEFAULT_DELAY_USEC (100ULL * 1000ULL)
#define RESTART_DEFAULT_DELAY_MAX_USEC (30ULL * 1000000ULL)
#define RESTART_DEFAULT_LIMIT 5u
#define RESTART_DEFAULT_INTERVAL_USEC (10ULL * 1000000ULL)
/* restart-limit is 1..RESTART_LIMIT_MAX: the window keeps one time per restart. */
#define RESTART_LIMIT_MAX 1000u
/* restart-limit restarts within restart-interval are at most 10 a second on
 * average: a process that ends at once, with no delay, costs the daemon a
 * bounded share of its time, whoever spawned it. */
#define RESTART_MIN_SPACING_USEC (100ULL * 1000ULL)
/* The longest delay or interval taken: a year; more is InvalidArgs. */
#define RESTART_TIME_MAX_USEC (366ULL * 24ULL * 3600ULL * 1000000ULL)

typedef struct RestartPolicy {
        RestartMode mode;
        uint64_t delay_usec;
        uint64_t delay_max_usec;
        uint32_t limit;
        uint64_t interval_usec;
} RestartPolicy;

#define RESTART_POLICY_DEFAULT                                                                                 \
        ((RestartPolicy) { RESTART_NO, RESTART_DEFAULT_DELAY_USEC, RESTART_DEFAULT_DELAY_MAX_USEC,             \
                           RESTART_DEFAULT_LIMIT, RESTART_DEFAULT_INTERVAL_USEC })

typedef struct Restart {
        RestartPolicy policy;
        uint32_t count;           /* runs after the first (RestartCount) */
        uint64_t delay_usec;      /* the delay before the current (or next) run; 0: none yet */
        uint64_t *window;         /* CLOCK_MONOTONIC µs of the restarts within the interval, oldest first */
        uint32_t n_window;
        uint64_t run_start;       /* CLOCK_MONOTONIC µs the current (or last) run started */
        bool pending;             /* in the delay: State "restarting" */
        uint64_t next_monotonic;  /* while pending: when the next run starts */
        uint64_t next_realtime;   /* the same, CLOCK_REALTIME (StartTimestamp while pending) */
        bool timed_out;           /* the current run reached its `timeout` */
        bool requested;           /* Restart (the verb): the current run is being stopped, the next follows at once */
        int exec_error;           /* a run's exec failed (errno): the process ends for good */
        sd_event_source *timer;
        sd_event_source *status_source; /* procctl-exec's report on the current run */
        RunRequest *request;      /* what each run is started from (launch.h) */
} Restart;

const char *restart_mode_to_string(RestartMode m);
RestartMode restart_mode_from_string(const char *s);

/* Saturating: never wraps, UINT64_MAX at most. */
uint64_t usec_add(uint64_t a, uint64_t b);

/* Whether policy restarts after a run that ended with reason and status;
 * stopped: it ended on a Stop (or kill-on-disconnect), which is for good. */
bool restart_wanted(const RestartPolicy *policy, const char *reason, int status, bool stopped, bool timed_out);

/* The delay before the next run, a run that ended at now having started
 * at r->run_start: restart-delay at first, and after a run that lived
 * longer than restart-interval; else twice the last, up to restart-delay-max. */
uint64_t restart_next_delay(const Restart *r, uint64_t now);

/* Whether one more restart at now stays within restart-limit restarts per
 * restart-interval (a sliding window); if so, it is counted in the window. */
bool restart_admit(Restart *r, uint64_t now);

Restart *restart_new(const RestartPolicy *policy);
Restart *restart_free(Restart *r);

/* The run of p (with a restart policy) ended with reason and status, its
 * output drained: true when another run is scheduled (p is `restarting`, its
 * end recorded as the last run's); false when p ends for good now, with
 * *reason and *status (an exec failure of this run makes them 127 or 126). */
bool restart_after_exit(Process *p, const char **reason, int *status);

/* p is between runs. */
bool restart_pending(const Process *p);

/* Stops the delay's timer: p ends for good. */
void restart_cancel(Process *p);

/* p has ended for good: the kept request (and the caller's descriptors in
 * it) goes. */
void restart_ended(Process *p);

/* Restart (the verb) of p between two runs: the delay is cut short, the
 * next run starts now, not counted against restart-limit, and the delay
 * starts again from restart-delay.  As any run, it may end p for good
 * (restart-limit aside). */
void restart_now(Process *p);

/* Arms the timer for p->restart->next_monotonic (after a daemon restart too). */
int restart_arm(Process *p);
