/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "procctl-bus.h"
#include "service.h"

#define STATUS_INTERVAL_USEC (1000ULL * 1000ULL)

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->status_source = sd_event_source_disable_unref(m->status_source);
        (void) sd_notifyf(false, "STATUS=Tracking %u process%s", m->n_processes, m->n_processes == 1 ? "" : "es");
        return 0;
}

static void update_idle(Manager *m);

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->idle_source = sd_event_source_disable_unref(m->idle_source);
        if (m->n_processes > 0)
                return 0; /* re-armed when the count drops to zero again */
        if (m->auth_queries) {
                update_idle(m); /* a caller waits on polkit: look again later */
                return 0;
        }
        log_info("Idle with no process tracked, exiting");
        /* Give the name up first: a call from now on starts a new instance. */
        (void) sd_bus_release_name(m->bus, PROCCTL_BUS_NAME);
        return sd_event_exit(m->event, 0);
}

static void update_idle(Manager *m) {
        if (m->exit_idle_usec == 0)
                return;
        if (m->n_processes > 0) {
                m->idle_source = sd_event_source_disable_unref(m->idle_source);
                return;
        }
        if (!m->idle_source &&
            sd_event_add_time_relative(m->event, &m->idle_source, CLOCK_MONOTONIC, m->exit_idle_usec, 0, on_idle_timer, m) < 0)
                log_warning("Failed to arm the idle timer; staying up");
}

void service_process_count_changed(Manager *m) {
        if (m->exiting)
                return;
        update_idle(m);
        /* At most one STATUS a second, however many processes come and go. */
        if (m->notify && !m->status_source)
                (void) sd_event_add_time_relative(m->event, &m->status_source, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC, 0,
                                                  on_status_timer, m);
}

int service_start(Manager *m, uint64_t exit_idle_usec) {
        m->exit_idle_usec = exit_idle_usec;
        m->notify = getenv("NOTIFY_SOCKET") != NULL;
        update_idle(m);
        return sd_notifyf(false, "READY=1\nSTATUS=Tracking %u process%s", m->n_processes, m->n_processes == 1 ? "" : "es");
}

void service_stop(Manager *m) {
        m->idle_source = sd_event_source_disable_unref(m->idle_source);
        m->status_source = sd_event_source_disable_unref(m->status_source);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
}
