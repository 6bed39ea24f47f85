/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's restarts: the policy (pure, see restart.h) and the delay
 * between two runs.  The next run is started by launch_rerun() from the
 * request kept at Spawn, already authorized, without a bus message.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdstore.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "process.h"
#include "procctl-bus.h"
#include "quota.h"
#include "restart.h"

static const char *const restart_mode_names[_RESTART_MODE_MAX] = {
        [RESTART_NO] = PROCCTL_RESTART_NO,
        [RESTART_ON_FAILURE] = PROCCTL_RESTART_ON_FAILURE,
        [RESTART_ALWAYS] = PROCCTL_RESTART_ALWAYS,
};

const char *restart_mode_to_string(RestartMode m) {
        return m >= 0 && m < _RESTART_MODE_MAX ? restart_mode_names[m] : NULL;
}

RestartMode restart_mode_from_string(const char *s) {
        for (RestartMode m = 0; m < _RESTART_MODE_MAX; m++)
                if (s && strcmp(s, restart_mode_names[m]) == 0)
                        return m;
        return _RESTART_MODE_INVALID;
}

uint64_t usec_add(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

bool restart_wanted(const RestartPolicy *policy, const char *reason, int status, bool stopped, bool timed_out) {
        if (stopped)
                return false;
        switch (policy->mode) {
        case RESTART_ALWAYS:
                return true;
        case RESTART_ON_FAILURE:
                return timed_out || strcmp(reason, PROCCTL_REASON_EXITED) != 0 || status != 0;
        default:
                return false;
        }
}

uint64_t restart_next_delay(const Restart *r, uint64_t now) {
        const RestartPolicy *p = &r->policy;
        uint64_t d;

        if (r->delay_usec == 0 || now - r->run_start > p->interval_usec)
                d = p->delay_usec;
        else
                d = usec_add(r->delay_usec, r->delay_usec);
        return d < p->delay_max_usec ? d : p->delay_max_usec;
}

bool restart_admit(Restart *r, uint64_t now) {
        uint32_t keep = 0;

        /* Forget the restarts that left the window. */
        while (keep < r->n_window && now - r->window[keep] >= r->policy.interval_usec)
                keep++;
        memmove(r->window, r->window + keep, (r->n_window - keep) * sizeof(uint64_t));
        r->n_window -= keep;
        if (r->n_window >= r->policy.limit)
                return false;
        r->window[r->n_window++] = now;
        return true;
}

Restart *restart_new(const RestartPolicy *policy) {
        Restart *r = calloc(1, sizeof(Restart));

        if (!r)
                return NULL;
        r->policy = *policy;
        r->window = calloc(policy->limit ?: 1, sizeof(uint64_t));
        if (!r->window) {
                free(r);
                return NULL;
        }
        r->run_start = now_usec(CLOCK_MONOTONIC);
        return r;
}

Restart *restart_free(Restart *r) {
        if (!r)
                return NULL;
        sd_event_source_disable_unref(r->timer);
        sd_event_source_disable_unref(r->status_source);
        run_request_free(r->request);
        free(r->window);
        free(r);
        return NULL;
}

bool restart_pending(const Process *p) {
        return p->restart && p->restart->pending;
}

void restart_cancel(Process *p) {
        if (!p->restart)
                return;
        p->restart->timer = sd_event_source_disable_unref(p->restart->timer);
        p->restart->pending = false;
}

/* The exit status a shell gives a command it cannot run. */
static int exec_error_status(int error) {
        return error == ENOENT ? 127 : 126;
}

void restart_ended(Process *p) {
        if (!p->restart)
                return;
        restart_cancel(p);
        p->restart->status_source = sd_event_source_disable_unref(p->restart->status_source);
        p->restart->request = run_request_free(p->restart->request);
        fdstore_drop(p->manager, p, FDSTORE_RUN_FDS);
}

static void restart_run(Process *p) {
        Restart *r = p->restart;
        int e;

        r->timer = sd_event_source_disable_unref(r->timer);
        /* Its charge of a running process was kept between runs
         * (manager_process_paused()), so a run passes MaxRunningPerUser only
         * where the limit went down meanwhile (a daemon restarted with a
         * lower one takes its processes back whatever their number): then
         * it ends for good with its last status. */
        sd_bus_error error = SD_BUS_ERROR_NULL;
        if (quota_check_amount(p->manager, p->owner_uid, QUOTA_RUNNING, 0, &error) < 0) {
                log_warning("Process %" PRIu64 " is not restarted, it ends for good: %s: %s", p->id, error.name,
                            error.message);
                sd_bus_error_free(&error);
                process_end_for_good(p);
                return;
        }
        e = launch_rerun(p);
        if (e >= 0)
                return;
        /* launch_rerun() logged why. */
        p->exit_reason = PROCCTL_REASON_EXITED;
        p->exit_status = exec_error_status(r->exec_error ?: -e);
        p->exit_usec = now_usec(CLOCK_REALTIME);
        process_end_for_good(p);
}

void restart_now(Process *p) {
        p->restart->delay_usec = 0;
        restart_run(p);
}

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        restart_run(userdata);
        return 0;
}

int restart_arm(Process *p) {
        Restart *r = p->restart;

        r->timer = sd_event_source_disable_unref(r->timer);
        /* Accuracy 1 ms: sd-event's default of 250 ms would swallow a 100 ms delay. */
        return sd_event_add_time(p->manager->event, &r->timer, CLOCK_MONOTONIC,
                                 r->next_monotonic == UINT64_MAX ? UINT64_MAX - 1 : r->next_monotonic, 1000,
                                 on_restart_timer, p);
}

bool restart_after_exit(Process *p, const char **reason, int *status) {
        Restart *r = p->restart;
        uint64_t now;

        if (!r)
                return false;
        r->status_source = sd_event_source_disable_unref(r->status_source);
        if (r->exec_error) {
                /* A missing program does not become a loop. */
                log_warning("Process %" PRIu64 ": run %" PRIu32 " could not execute %s (%s); it ends for good", p->id,
                            r->count + 1, p->executable, strerror(r->exec_error));
                *reason = PROCCTL_REASON_EXITED;
                *status = exec_error_status(r->exec_error);
                return false;
        }
        now = now_usec(CLOCK_MONOTONIC);
        if (r->requested) {
                /* Restart (the verb): whatever the policy, at once, not counted. */
                r->requested = false;
                r->delay_usec = 0;
                r->next_monotonic = now;
                r->next_realtime = now_usec(CLOCK_REALTIME);
                goto schedule;
        }
        if (!restart_wanted(&r->policy, *reason, *status, p->stopping && !r->timed_out, r->timed_out))
                return false;
        if (!restart_admit(r, now)) {
                log_info("Process %" PRIu64 " restarted %" PRIu32 " times within %" PRIu64 " ms; it ends for good", p->id,
                         r->policy.limit, r->policy.interval_usec / 1000);
                return false;
        }
        r->delay_usec = restart_next_delay(r, now);
        r->next_monotonic = usec_add(now, r->delay_usec);
        r->next_realtime = usec_add(now_usec(CLOCK_REALTIME), r->delay_usec);
schedule:
        if (restart_arm(p) < 0) {
                log_warning("Process %" PRIu64 ": cannot arm its restart; it ends for good", p->id);
                return false;
        }
        r->pending = true;
        log_debug("Process %" PRIu64 " (pid %d) %s with %d; next run in %" PRIu64 " ms", p->id, (int) p->pid, *reason,
                  *status, r->delay_usec / 1000);
        process_pause(p, *reason, *status);
        return true;
}
