/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's life: watched through its pidfd (or, without pidfd support, its
 * PID, which is safe because the daemon is the only reaper of its children
 * and reaps only in the event loop), its exit recorded once and kept until
 * Release, and the verbs callers use on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/param.h>
#include <sys/wait.h>
#include <time.h>

#include "auth.h"
#include "bus-error.h"
#include "fdstore.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "peer.h"
#include "process.h"
#include "procctl-bus.h"
#include "quota.h"

static int process_watch(Process *p);

int process_watch_child(sd_event *e, sd_event_source **ret, pid_t pid, int pidfd, sd_event_child_handler_t handler,
                        void *userdata) {
        int r;

        if (pidfd < 0)
                return sd_event_add_child(e, ret, pid, WEXITED, handler, userdata);
        r = sd_event_add_child_pidfd(e, ret, pidfd, WEXITED, handler, userdata);
        if (r < 0)
                return r;
        r = sd_event_source_set_child_pidfd_own(*ret, true);
        if (r < 0)
                *ret = sd_event_source_disable_unref(*ret); /* the pidfd is still the caller's */
        return r;
}

static int on_abandoned_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        /* Reaped by sd-event as this returns; the source (and its pidfd) goes with it. */
        sd_event_source_disable_unref(s);
        return 0;
}

void process_kill_abandoned(Manager *m, pid_t pid, int pidfd) {
        sd_event_source *s = NULL;
        int r;

        if (pidfd >= 0)
                (void) pidfd_signal(pidfd, SIGKILL, false);
        else
                (void) kill(pid, SIGKILL); /* our child, not reaped yet: the PID is still its own */

        /* Reaped from the event loop, never waited for here. */
        r = process_watch_child(m->event, &s, pid, pidfd, on_abandoned_exit, NULL);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch an abandoned child (pid %d); it stays a zombie: %m", (int) pid);
                safe_close(pidfd);
        }
}

int process_track(Manager *m, uint64_t id, pid_t pid, int pidfd, bool is_child, ProcessDescribe describe, void *userdata,
                  Process **ret) {
        Process *p = calloc(1, sizeof(Process));
        int r;

        if (!p) {
                r = -ENOMEM;
                goto fail_unowned;
        }
        p->manager = m;
        p->id = id ?: ids_next(&m->ids);
        p->state_fd = -1;
        p->pid = pid;
        p->pidfd = pidfd; /* p owns it from here on, through its watch once it has one */
        p->is_child = is_child;
        p->exit_reason = "";
        p->start_usec = now_usec(CLOCK_REALTIME);
        if (asprintf(&p->path, PROCCTL_PROCESS_PATH_PREFIX "/%" PRIu64, p->id) < 0) {
                p->path = NULL;
                r = -ENOMEM;
                goto fail;
        }

        r = describe(p, userdata);
        if (r >= 0 && !p->command_line)
                r = process_set_command_line(p);
        if (r >= 0 && !p->bytes.quota)
                /* A record restored after a restart: held already, so counted, never refused. */
                r = quota_charge_n(m, p->owner_uid, QUOTA_BYTES,
                                   process_record_bytes(p->argv, p->executable, p->working_directory, p->description),
                                   &p->bytes);
        if (r >= 0 && !p->listed)
                r = quota_charge_listed(m, quota_listed_bytes(p->executable, p->working_directory, p->description), false,
                                        &p->listed, NULL);
        if (r >= 0 && restart_pending(p)) {
                /* Restored between two runs: no pid to watch, the next run's timer. */
                p->pidfd = safe_close(p->pidfd);
                r = restart_arm(p);
        }
        else if (r >= 0 && !p->exited && p->pidfd < 0 && !p->is_child) {
                /* A non-child is watched through its pidfd alone. */
                log_warning("Process %" PRIu64 " has no pidfd (the fd store dropped it?); its end is unknown", p->id);
                p->exited = true;
                p->exit_reason = PROCCTL_REASON_UNKNOWN;
        }
        if (r >= 0 && p->exited)
                p->pidfd = safe_close(p->pidfd); /* a record restored after its end */
        if (r >= 0 && !p->exited && !restart_pending(p))
                r = process_watch(p);
        if (r >= 0)
                r = manager_register_process(m, p);
        if (r < 0)
                goto fail;
        ids_seen(&m->ids, p->id);
        *ret = p;
        return 0;

fail:
        if (p->is_child && !p->exited) {
                /* Ours and running: it must not run on untracked.  Its pidfd
                 * goes from the watch to the reaper, never closed in between. */
                if (p->watch_source && p->pidfd >= 0)
                        (void) sd_event_source_set_child_pidfd_own(p->watch_source, false);
                p->watch_source = sd_event_source_disable_unref(p->watch_source);
                process_kill_abandoned(m, p->pid, p->pidfd);
                p->pidfd = -1;
        }
        process_free(p);
        return r;
fail_unowned:
        if (is_child)
                process_kill_abandoned(m, pid, pidfd);
        else
                safe_close(pidfd);
        return r;
}

/* CLOCK_MONOTONIC µs usec from now; 0 (none) beyond the clock's range,
 * never a deadline that wraps to one at once. */
static uint64_t deadline_after(uint64_t usec) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        return usec > UINT64_MAX - 1 - now ? 0 : now + usec;
}

int process_set_timeout(Process *p, uint64_t timeout_usec) {
        if (timeout_usec == 0 || timeout_usec == UINT64_MAX)
                return 0;
        p->timeout_deadline = deadline_after(timeout_usec);
        return 0;
}

void waiter_free(Waiter *w) {
        if (!w)
                return;
        LIST_REMOVE(process, w->process->waiters, w);
        LIST_REMOVE(peer, w->peer->waiters, w);
        charge_release(&w->charge);
        sd_bus_message_unref(w->reply);
        sd_bus_message_unref(w->not_running);
        sd_bus_message_unref(w->exec_failed);
        free(w);
}

void process_set_kill_on_disconnect(Process *p, Peer *peer) {
        if (p->kill_peer)
                LIST_REMOVE(kill_on_disconnect, p->kill_peer->kill_on_disconnect, p);
        p->kill_peer = peer;
        if (peer)
                LIST_APPEND(kill_on_disconnect, peer->kill_on_disconnect, p);
}

int process_set_command_line(Process *p) {
        size_t n = 0, cut;
        char *s, *e;

        STRV_FOREACH(a, p->argv)
                n += strlen(*a) + 1;
        s = e = malloc(MIN(n, (size_t) PROCESS_COMMAND_LINE_MAX) + sizeof(PROCESS_COMMAND_LINE_CUT));
        if (!s)
                return -ENOMEM;
        *s = '\0';
        STRV_FOREACH(a, p->argv) {
                if (e != s)
                        *e++ = ' ';
                cut = MIN(strlen(*a), (size_t) (s + PROCESS_COMMAND_LINE_MAX - e));
                if (cut < strlen(*a)) {
                        /* Not inside a UTF-8 sequence: the bus carries valid UTF-8 only. */
                        while (cut > 0 && ((unsigned char) (*a)[cut] & 0xc0) == 0x80)
                                cut--;
                        e = stpcpy(mempcpy(e, *a, cut), PROCESS_COMMAND_LINE_CUT);
                        break;
                }
                e = mempcpy(e, *a, cut);
                *e = '\0';
                if (e >= s + PROCESS_COMMAND_LINE_MAX && a[1]) {
                        e = stpcpy(e, PROCESS_COMMAND_LINE_CUT);
                        break;
                }
        }
        free(p->command_line);
        p->command_line = s;
        return 0;
}

uint64_t process_record_bytes(char **argv, const char *executable, const char *working_directory,
                              const char *description) {
        uint64_t n = PROCESS_COMMAND_LINE_MAX + sizeof(PROCESS_COMMAND_LINE_CUT);

        STRV_FOREACH(a, argv)
                n += strlen(*a) + 1;
        n += strlen(executable ?: argv && argv[0] ? argv[0] : "") + 1;
        n += strlen(working_directory ?: "/") + 1;
        n += strlen(description ?: "") + 1;
        return n;
}

static void process_stop_timers(Process *p) {
        p->timeout_source = sd_event_source_disable_unref(p->timeout_source);
        p->kill_source = sd_event_source_disable_unref(p->kill_source);
}

Process *process_free(Process *p) {
        if (!p)
                return NULL;

        while (p->waiters.head)
                waiter_free(p->waiters.head);
        process_set_kill_on_disconnect(p, NULL);
        process_stop_timers(p);
        p->exit_info_source = sd_event_source_disable_unref(p->exit_info_source);
        /* The watch source owns the pidfd; freeing it leaves a running child
         * running (the daemon may be restarting: the fd store keeps it). */
        if (p->watch_source)
                p->watch_source = sd_event_source_disable_unref(p->watch_source);
        else
                safe_close(p->pidfd);
        p->pidfd = -1;
        /* A record let go of while its cgroup still holds processes: they are
         * killed and the cgroup removed once empty.  A daemon on its way out
         * leaves them running (a restart). */
        if (p->manager->exiting)
                cgroup_free(p->cgroup);
        else
                cgroup_abandon(p->cgroup);
        p->cgroup = NULL;
        manager_unregister_process(p->manager, p);
        safe_close(p->state_fd);
        restart_free(p->restart);
        output_free(p->output);
        charge_release(&p->bytes);
        quota_release_listed(p->manager, &p->listed);

        strv_free(p->argv);
        free(p->executable);
        free(p->working_directory);
        free(p->description);
        free(p->command_line);
        free(p->path);
        free(p);
        return NULL;
}

/* Answers the Waits (and with stops, the Stops too) with the main process's end. */
static void process_answer_waiters(Process *p, bool stops) {
        Waiter *next;
        int r;

        for (Waiter *w = p->waiters.head; w; w = next) {
                next = w->process_next;
                if (w->kind == WAITER_RESTART || (w->kind == WAITER_STOP && !stops))
                        continue;
                r = sd_bus_message_append(w->reply, "si", p->exit_reason, p->exit_status);
                if (r >= 0)
                        r = sd_bus_send(NULL, w->reply, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a Wait on %s: %m", p->path);
                waiter_free(w);
        }
}

/* The text of a prepared error reply. */
__attribute__((format(printf, 2, 3))) static int error_append_text(sd_bus_message *m, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return sd_bus_message_append(m, "s", text);
}

/* Answers the Restarts: with the new run's pid, or (p ended for good
 * first) with why there is none. */
static void process_answer_restarts(Process *p) {
        sd_bus_message *reply;
        Waiter *next;
        int r;

        for (Waiter *w = p->waiters.head; w; w = next) {
                next = w->process_next;
                if (w->kind != WAITER_RESTART)
                        continue;
                if (!p->exited) {
                        reply = w->reply;
                        r = sd_bus_message_append(reply, "u", (uint32_t) p->pid);
                } else if (p->restart && p->restart->exec_error) {
                        reply = w->exec_failed;
                        r = error_append_text(reply, "Process %" PRIu64 " ended for good: execve(\"%s\"): %s", p->id,
                                                        p->executable, strerror(p->restart->exec_error));
                } else {
                        reply = w->not_running;
                        r = error_append_text(reply, "Process %" PRIu64 " ended for good before its next run started",
                                                        p->id);
                }
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a Restart of %s: %m", p->path);
                waiter_free(w);
        }
}

void process_run_started(Process *p) {
        process_answer_restarts(p);
}

/* Whether processes are left in p's cgroup, read now. */
static bool process_tree_populated(Process *p) {
        return p->cgroup && cgroup_is_populated(p->cgroup);
}

static void process_record_end(Process *p, const char *reason, int status) {
        Manager *m = p->manager;
        bool populated, stop_leftovers;
        int r;

        p->exited = true;
        p->exit_reason = reason;
        p->exit_status = status;
        restart_ended(p);
        if (p->exit_usec == 0) /* else the last run's end, which it ends with */
                p->exit_usec = now_usec(CLOCK_REALTIME);
        process_set_kill_on_disconnect(p, NULL);
        /* In the fd store before anyone hears of the end: a caller told the
         * exit status finds it again after a crash of the daemon. */
        fdstore_save(m, p);
        /* Wait is about the main process alone: its callers hear first, before
         * any work on the cgroup.  The daemon reads no call before this function
         * is done, so nothing a caller can ask next sees the record half-ended. */
        process_answer_waiters(p, false);

        /* In kill-mode control-group what the main process left behind is
         * stopped now, and a Stop returns once all of it has ended. */
        /* Empty, it goes now, before anyone else hears of the end (its CPU time is
         * kept): a removal refused is what says that processes are left. */
        populated = p->cgroup && !p->cgroup->removed && cgroup_remove(p->cgroup) < 0;
        if (populated) {
                /* The kernel says when what it left has ended (on_cgroup_changed). */
                r = cgroup_watch(p->cgroup);
                if (r < 0)
                        log_warning_errno(r, "Cannot watch the cgroup %s: its end goes unnoticed: %m", p->cgroup->path);
                else
                        populated = p->cgroup->populated; /* may have emptied meanwhile */
        }
        stop_leftovers = !p->kill_process_only && populated;
        p->timeout_source = sd_event_source_disable_unref(p->timeout_source);
        if (!stop_leftovers) {
                p->kill_source = sd_event_source_disable_unref(p->kill_source);
                p->stopping = false; /* kill-mode process: a later Stop acts on what is left */
        }

        log_debug("Process %" PRIu64 " (pid %d) %s with %d", p->id, (int) p->pid, reason, status);

        /* The Stops (unless leftovers are to be stopped first), then the broadcasts. */
        if (!stop_leftovers)
                process_answer_waiters(p, true);
        process_answer_restarts(p);

        r = sd_bus_emit_properties_changed(m->bus, p->path, PROCCTL_PROCESS_INTERFACE, "State", "ExitReason", "ExitStatus",
                                           "ExitTimestamp", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s: %m", p->path);
        r = sd_bus_emit_signal(m->bus, PROCCTL_MANAGER_PATH, PROCCTL_MANAGER_INTERFACE, "ProcessExited", "osi", p->path,
                               reason, status);
        if (r < 0)
                log_warning_errno(r, "Failed to emit ProcessExited for %s: %m", p->path);

        if (p->cgroup)
                fdstore_save(m, p); /* its removal and last CPU time: all the record gained since */
        if (stop_leftovers)
                process_stop(p);
        /* Last: this may drop the owner's oldest record. */
        manager_process_exited(m, p);
}

static void process_exited(Process *p, const char *reason, int status) {
        /* What it wrote before it exited, before anyone hears of its end. */
        output_drain(p->output);
        if (restart_after_exit(p, &reason, &status))
                return; /* another run follows */
        process_record_end(p, reason, status);
}

void process_end_for_good(Process *p) {
        process_record_end(p, p->exit_reason, p->exit_status);
}

void process_pause(Process *p, const char *reason, int status) {
        Manager *m = p->manager;
        int r;

        p->exit_reason = reason;
        p->exit_status = status;
        p->exit_usec = now_usec(CLOCK_REALTIME);
        p->start_usec = p->restart->next_realtime;
        process_stop_timers(p);
        p->stopping = false;
        /* What the last run left behind does not live on beside the next. */
        if (!p->kill_process_only && process_tree_populated(p))
                (void) cgroup_signal(p->cgroup, SIGKILL);
        manager_process_paused(m, p);
        fdstore_drop(m, p, FDSTORE_PIDFD);
        r = sd_bus_emit_properties_changed(m->bus, p->path, PROCCTL_PROCESS_INTERFACE, "State", "ExitReason", "ExitStatus",
                                           "ExitTimestamp", "StartTimestamp", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s: %m", p->path);
        fdstore_save(m, p);
}

int process_run_again(Process *p, pid_t pid, int pidfd) {
        Manager *m = p->manager;
        const char *last_reason = p->exit_reason;
        int last_status = p->exit_status, r;

        p->pid = pid;
        p->pidfd = pidfd;
        p->is_child = true;
        p->restart->pending = false;
        p->restart->timed_out = false;
        p->restart->count++;
        p->restart->run_start = now_usec(CLOCK_MONOTONIC);
        p->start_usec = now_usec(CLOCK_REALTIME);
        p->exit_reason = "";
        p->exit_status = 0;
        p->exit_usec = 0;
        p->exit_info_tries = 0;
        process_set_timeout(p, p->restart->request->timeout_usec);
        r = process_watch(p);
        if (r >= 0)
                r = manager_process_resumed(m, p);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch the new run of process %" PRIu64 ", it ends for good: %m", p->id);
                if (p->watch_source && p->pidfd >= 0)
                        (void) sd_event_source_set_child_pidfd_own(p->watch_source, false);
                p->watch_source = sd_event_source_disable_unref(p->watch_source);
                process_stop_timers(p);
                process_kill_abandoned(m, p->pid, p->pidfd);
                p->pidfd = -1;
                p->exit_reason = last_reason;
                p->exit_status = last_status;
                process_end_for_good(p);
                return r;
        }
        r = sd_bus_emit_properties_changed(m->bus, p->path, PROCCTL_PROCESS_INTERFACE, "Pid", "State", "ExitReason",
                                           "ExitStatus", "ExitTimestamp", "StartTimestamp", "RestartCount", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s: %m", p->path);
        r = sd_bus_emit_signal(m->bus, PROCCTL_MANAGER_PATH, PROCCTL_MANAGER_INTERFACE, "ProcessRestarted", "osiu", p->path,
                               last_reason, last_status, (uint32_t) p->pid);
        if (r < 0)
                log_warning_errno(r, "Failed to emit ProcessRestarted for %s: %m", p->path);
        fdstore_keep(m, p, FDSTORE_PIDFD, p->pidfd);
        fdstore_save(m, p);
        if (!p->restart->status_source)
                process_run_started(p); /* else once procctl-exec reports (launch.c) */
        return 0;
}

static void on_cgroup_changed(Cgroup *cg, bool emptied, bool frozen_changed, void *userdata) {
        Process *p = userdata;
        int r;

        if (frozen_changed) {
                r = sd_bus_emit_properties_changed(p->manager->bus, p->path, PROCCTL_PROCESS_INTERFACE, "Frozen", NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to emit PropertiesChanged for %s: %m", p->path);
        }
        /* Before the main process's end is seen, its exit does all this. */
        if (!emptied || !p->exited)
                return;
        p->kill_source = sd_event_source_disable_unref(p->kill_source);
        p->stopping = false;
        (void) cgroup_remove(cg);
        fdstore_save(p->manager, p); /* removed: its CPU time is kept from now on */
        process_answer_waiters(p, true);
}

/* Watched only once its main process leaves it populated, or it is frozen. */
void process_attach_cgroup(Process *p, Cgroup *cg) {
        p->cgroup = cg;
        cg->changed = on_cgroup_changed;
        cg->userdata = p;
}

void process_settle_cgroup(Process *p) {
        if (!p->cgroup || p->cgroup->removed || !p->exited)
                return;
        if (!process_tree_populated(p)) {
                /* What it left ended while we were down. */
                (void) cgroup_remove(p->cgroup);
                fdstore_save(p->manager, p);
        } else if (!p->kill_process_only)
                process_stop(p); /* its leftovers were being stopped, or would have been */
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Process *p = userdata;
        const char *reason;

        switch (si->si_code) {
        case CLD_EXITED:
                reason = PROCCTL_REASON_EXITED;
                break;
        case CLD_KILLED:
                reason = PROCCTL_REASON_KILLED;
                break;
        case CLD_DUMPED:
                reason = PROCCTL_REASON_DUMPED;
                break;
        default:
                return 0; /* stopped or continued: still running */
        }

        /* sd-event reaps the child when this returns; dropping the source
         * closes the pidfd, which is no longer needed. */
        p->watch_source = sd_event_source_unref(p->watch_source);
        p->pidfd = -1;
        process_exited(p, reason, si->si_status);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Process *p = userdata;

        log_info("Process %" PRIu64 " (pid %d) reached its timeout, stopping it", p->id, (int) p->pid);
        p->timeout_source = sd_event_source_disable_unref(p->timeout_source);
        if (p->restart)
                p->restart->timed_out = true; /* a failure, for `restart` on-failure */
        process_stop(p);
        return 0;
}

void process_exited_with_wait_status(Process *p, int wait_status) {
        p->watch_source = sd_event_source_disable_unref(p->watch_source); /* closes the pidfd */
        p->exit_info_source = sd_event_source_disable_unref(p->exit_info_source);
        p->pidfd = -1;
        if (WIFEXITED(wait_status))
                process_exited(p, PROCCTL_REASON_EXITED, WEXITSTATUS(wait_status));
        else if (WIFSIGNALED(wait_status))
                process_exited(p, WCOREDUMP(wait_status) ? PROCCTL_REASON_DUMPED : PROCCTL_REASON_KILLED, WTERMSIG(wait_status));
        else
                process_exited(p, PROCCTL_REASON_UNKNOWN, 0);
}

/* A process we are not the parent of has exited; the kernel records its
 * status for pidfd holders once its parent reaps it, which a well-behaved
 * parent does at once.  Ask a few times, then say "unknown". */
#define EXIT_INFO_RETRY_USEC (20 * 1000)
#define EXIT_INFO_TRIES 100

static int on_exit_info_retry(sd_event_source *s, uint64_t usec, void *userdata);

static void process_collect_exit_info(Process *p) {
        int status, r;

        r = p->manager->pidfd.exit_info ? pidfd_get_exit_status(p->pidfd, &status) : -EOPNOTSUPP;
        if (r > 0) {
                process_exited_with_wait_status(p, status);
                return;
        }
        if (r == 0 && ++p->exit_info_tries < EXIT_INFO_TRIES) {
                p->exit_info_source = sd_event_source_disable_unref(p->exit_info_source);
                /* Accuracy 1 µs: sd-event's default of 250 ms would stretch the tries to half a minute. */
                if (sd_event_add_time_relative(p->manager->event, &p->exit_info_source, CLOCK_MONOTONIC,
                                               EXIT_INFO_RETRY_USEC, 1, on_exit_info_retry, p) >= 0)
                        return;
        }
        p->watch_source = sd_event_source_disable_unref(p->watch_source);
        p->exit_info_source = sd_event_source_disable_unref(p->exit_info_source);
        p->pidfd = -1;
        process_exited(p, PROCCTL_REASON_UNKNOWN, 0);
}

static int on_exit_info_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        process_collect_exit_info(userdata);
        return 0;
}

static int on_pidfd_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Process *p = userdata;

        /* Readable stays readable: stop listening, keep the source (it owns the pidfd). */
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        process_collect_exit_info(p);
        return 0;
}

static int process_watch(Process *p) {
        Manager *m = p->manager;
        int r;

        if (p->is_child)
                r = process_watch_child(m->event, &p->watch_source, p->pid, p->pidfd, on_child_exit, p);
        else {
                r = sd_event_add_io(m->event, &p->watch_source, p->pidfd, EPOLLIN, on_pidfd_readable, p);
                if (r >= 0)
                        r = sd_event_source_set_io_fd_own(p->watch_source, true);
        }
        if (r < 0)
                return r;

        if (p->timeout_deadline > 0) {
                r = sd_event_add_time(m->event, &p->timeout_source, CLOCK_MONOTONIC, p->timeout_deadline, 0, on_timeout, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether the process has exited, even if the event loop has not seen it yet.
 * Until then it is a zombie, so its PID cannot have been reused. */
static bool process_gone(Process *p) {
        siginfo_t si = {};

        if (p->exited || restart_pending(p))
                return true;
        if (p->pidfd >= 0)
                return pidfd_has_exited(p->pidfd);
        return waitid(P_PID, (id_t) p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid;
}

static int process_kill(Process *p, int sig, bool group) {
        if (group && !p->group_leader)
                return -EOPNOTSUPP;
        if (p->pidfd >= 0 && (!group || p->manager->pidfd.process_group))
                return pidfd_signal(p->pidfd, sig, group);
        /* PIDs: safe because the process (the group's leader) is not reaped
         * yet, and only the event loop reaps. */
        if (kill(group ? -p->pid : p->pid, sig) < 0)
                return -errno;
        return 0;
}

/* Whether a stop reaches the whole cgroup: in kill-mode control-group, and
 * in kill-mode process once the main process has gone (what is left). */
static bool process_stops_tree(Process *p) {
        return p->cgroup && (!p->kill_process_only || p->exited);
}

static void process_kill_for_stop(Process *p, int sig) {
        int r;

        if (process_stops_tree(p))
                r = cgroup_signal(p->cgroup, sig);
        else if (p->exited)
                return;
        else
                r = process_kill(p, sig, p->group_leader);
        if (r < 0 && r != -ESRCH)
                log_warning_errno(r, "Failed to send signal %d to process %" PRIu64 ": %m", sig, p->id);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Process *p = userdata;

        p->kill_source = sd_event_source_disable_unref(p->kill_source);
        if (!process_gone(p) || (process_stops_tree(p) && process_tree_populated(p))) {
                log_info("Process %" PRIu64 " (pid %d) did not stop in time, killing it", p->id, (int) p->pid);
                process_kill_for_stop(p, SIGKILL);
        }
        return 0;
}

/* The SIGKILL of a stop, at p->kill_deadline (none: 0). */
static void process_arm_stop_timeout(Process *p) {
        int r;

        if (p->kill_deadline == 0)
                return;
        p->kill_source = sd_event_source_disable_unref(p->kill_source);
        r = sd_event_add_time(p->manager->event, &p->kill_source, CLOCK_MONOTONIC, p->kill_deadline, 0, on_stop_timeout,
                              p);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the stop timeout of process %" PRIu64 ", killing it now: %m", p->id);
                process_kill_for_stop(p, SIGKILL);
        }
}

/* TERM, then KILL after the stop timeout, to the current run. */
static void process_stop_run(Process *p) {
        if (p->stopping || (p->exited && !process_tree_populated(p)))
                return;
        p->stopping = true;
        /* A frozen process is stopped all the same: thawed to act on SIGTERM
         * (in kill-mode process too, whose main process is in the cgroup). */
        if (p->cgroup)
                (void) cgroup_set_frozen(p->cgroup, false);

        /* Its whole process group, as the child leads one: a stop that leaves
         * the helpers it started running is not a stop.  SIGCONT so that a
         * stopped process can act on the SIGTERM. */
        process_kill_for_stop(p, SIGTERM);
        process_kill_for_stop(p, SIGCONT);

        p->kill_deadline = p->stop_timeout_usec == UINT64_MAX ? 0 : deadline_after(p->stop_timeout_usec);
        process_arm_stop_timeout(p);
        fdstore_save(p->manager, p); /* a daemon restart meanwhile finishes the stop */
}

void process_resume_stop(Process *p) {
        if (!p->stopping || p->exited || restart_pending(p))
                return;
        process_arm_stop_timeout(p);
}

void process_stop(Process *p) {
        if (p->restart && p->restart->requested) {
                /* A Stop wins over a Restart, also for a daemon restarted meanwhile. */
                p->restart->requested = false;
                fdstore_save(p->manager, p);
        }
        if (restart_pending(p)) {
                process_end_for_good(p); /* between two runs: at once */
                return;
        }
        process_stop_run(p);
}

void process_stop_for_restart(Process *p) {
        p->restart->requested = true;
        /* Kept in the fd store, so that a daemon restart meanwhile finishes
         * it: by the stop it starts, or now where one is under way. */
        if (p->stopping)
                fdstore_save(p->manager, p);
        else
                process_stop_run(p);
}

/* 1: go on; 0: polkit was asked and the call runs again later, so the
 * method returns 1 (handled); <0: refused, error set. */
static int process_authorize(sd_bus_message *msg, Process *p, Peer **ret_peer, sd_bus_error *error) {
        Peer *peer;
        int r;

        r = peer_from_message(p->manager, msg, &peer, error);
        if (r < 0)
                return r;
        r = auth_check_act(p->manager, msg, peer, p, error);
        if (r <= 0)
                return r;
        if (ret_peer)
                *ret_peer = peer;
        return 1;
}

#define AUTHORIZE_OR_RETURN(msg, p, ret_peer, error)                            \
        do {                                                                    \
                int _r = process_authorize((msg), (p), (ret_peer), (error));    \
                if (_r <= 0)                                                    \
                        return _r < 0 ? _r : 1;                                 \
        } while (0)

static int not_running(sd_bus_error *error, Process *p) {
        return sd_bus_error_setf(error, PROCCTL_ERROR_NOT_RUNNING, "Process %" PRIu64 " (pid %d) is not running", p->id,
                                 (int) p->pid);
}

int process_act_signal(sd_bus_message *msg, Process *p, int sig, bool group, sd_bus_error *error) {
        Peer *peer;
        int r;

        AUTHORIZE_OR_RETURN(msg, p, &peer, error);
        if (sig < 0 || sig >= _NSIG)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid signal number %d", sig);
        if (process_gone(p))
                return not_running(error, p);
        r = auth_check_signal(p->manager, msg, peer, p, group, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = process_kill(p, sig, group);
        if (r == -ESRCH)
                return not_running(error, p);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "Process %" PRIu64 " does not lead a process group", p->id);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to send the signal");
        return sd_bus_reply_method_return(msg, NULL);
}

/* A pending Wait or Stop keeps only its prepared reply: the call, and any
 * descriptors a caller attached to it, are let go at once. */
static int process_add_waiter(sd_bus_message *msg, Process *p, Peer *peer, WaiterKind kind, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *not_running = NULL, *exec_failed = NULL;
        Waiter *w;
        int r;

        r = quota_check(p->manager, peer->uid, QUOTA_WAITS, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r == -EPERM)
                return 1; /* no reply expected: nothing to wait for */
        if (r < 0)
                return r;
        if (kind == WAITER_RESTART) {
                r = sd_bus_message_new_method_error(msg, &not_running, &SD_BUS_ERROR_MAKE_CONST(PROCCTL_ERROR_NOT_RUNNING, NULL));
                if (r >= 0)
                        r = sd_bus_message_new_method_error(msg, &exec_failed,
                                                            &SD_BUS_ERROR_MAKE_CONST(PROCCTL_ERROR_EXEC_FAILED, NULL));
                if (r < 0)
                        return r;
        }
        w = calloc(1, sizeof(Waiter));
        if (!w)
                return -ENOMEM;
        r = quota_charge(p->manager, peer->uid, QUOTA_WAITS, &w->charge);
        if (r < 0) {
                free(w);
                return r;
        }
        w->process = p;
        w->peer = peer;
        w->reply = TAKE_PTR(reply);
        w->not_running = TAKE_PTR(not_running);
        w->exec_failed = TAKE_PTR(exec_failed);
        w->kind = kind;
        LIST_APPEND(process, p->waiters, w);
        LIST_APPEND(peer, peer->waiters, w);
        return 1;
}

int process_act_wait(sd_bus_message *msg, Process *p, sd_bus_error *error) {
        Peer *peer;

        AUTHORIZE_OR_RETURN(msg, p, &peer, error);
        if (p->exited)
                return sd_bus_reply_method_return(msg, "si", p->exit_reason, p->exit_status);
        return process_add_waiter(msg, p, peer, WAITER_WAIT, error);
}

int process_act_stop(sd_bus_message *msg, Process *p, sd_bus_error *error) {
        Peer *peer;
        int r;

        AUTHORIZE_OR_RETURN(msg, p, &peer, error);
        if (p->exited && !process_tree_populated(p))
                return sd_bus_reply_method_return(msg, "si", p->exit_reason, p->exit_status);
        /* Stop is a signal the caller asks for now, so it follows Signal's
         * rule; a `timeout` and kill-on-disconnect are the terms the process
         * was started on, kept by the daemon whatever it became since. */
        r = auth_check_signal(p->manager, msg, peer, p, p->group_leader, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = process_add_waiter(msg, p, peer, WAITER_STOP, error);
        if (r < 0)
                return r;
        process_stop(p);
        return 1;
}

int process_act_restart(sd_bus_message *msg, Process *p, sd_bus_error *error) {
        Peer *peer;
        int r;

        AUTHORIZE_OR_RETURN(msg, p, &peer, error);
        if (!p->restart)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "Process %" PRIu64 " has no restart policy: Restart keeps a process's request "
                                         "only with one",
                                         p->id);
        if (p->exited)
                return sd_bus_error_setf(error, PROCCTL_ERROR_NOT_RUNNING, "Process %" PRIu64 " has ended for good", p->id);
        /* A Stop (or its caller's disconnect) under way ends it for good. */
        if (p->stopping && !p->restart->requested && !p->restart->timed_out)
                return sd_bus_error_setf(error, PROCCTL_ERROR_NOT_RUNNING, "Process %" PRIu64 " is being stopped", p->id);
        /* Stopping the current run is Stop's signal: its rule. */
        if (!restart_pending(p)) {
                r = auth_check_signal(p->manager, msg, peer, p, p->group_leader, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        r = process_add_waiter(msg, p, peer, WAITER_RESTART, error);
        if (r < 0)
                return r;
        if (restart_pending(p))
                restart_now(p);
        else
                process_stop_for_restart(p);
        return 1;
}

int process_act_release(sd_bus_message *msg, Process *p, sd_bus_error *error) {
        int r;

        AUTHORIZE_OR_RETURN(msg, p, NULL, error);
        if (!p->exited)
                return sd_bus_error_setf(error, PROCCTL_ERROR_STILL_RUNNING, "Process %" PRIu64 " (pid %d) is still running",
                                         p->id, (int) p->pid);
        /* kill-mode process: what it left behind is its owner's to stop first. */
        if (p->kill_process_only && process_tree_populated(p))
                return sd_bus_error_setf(error, PROCCTL_ERROR_STILL_RUNNING,
                                         "Process %" PRIu64 " has exited, but its cgroup %s still holds processes", p->id,
                                         p->cgroup->path);
        r = sd_bus_reply_method_return(msg, NULL);
        process_free(p);
        return r;
}

int process_act_get_pidfd(sd_bus_message *msg, Process *p, sd_bus_error *error) {
        if (!p->manager->pidfd.usable)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED, "pidfds are not usable on this system");
        AUTHORIZE_OR_RETURN(msg, p, NULL, error);
        if (process_gone(p) || p->pidfd < 0)
                return not_running(error, p);
        /* sd-bus sends a duplicate: the daemon's own descriptor never leaves. */
        return sd_bus_reply_method_return(msg, "h", p->pidfd);
}

static int no_output(sd_bus_error *error, Process *p) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED, "Process %" PRIu64 " was not started with output captured",
                                 p->id);
}

int process_act_read_output(sd_bus_message *msg, Process *p, uint64_t cursor, uint32_t max_bytes, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        AUTHORIZE_OR_RETURN(msg, p, NULL, error);
        if (!p->output)
                return no_output(error, p);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = output_append_read(p->output, cursor, max_bytes, reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

int process_act_follow_output(sd_bus_message *msg, Process *p, uint64_t cursor, sd_bus_error *error) {
        _cleanup_close_ int fd = -1;
        Peer *peer;
        int r;

        AUTHORIZE_OR_RETURN(msg, p, &peer, error);
        if (!p->output)
                return no_output(error, p);
        r = output_follow(p->output, peer->uid, cursor, &fd, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "h", fd);
}

int process_act_freeze(sd_bus_message *msg, Process *p, bool freeze, sd_bus_error *error) {
        Peer *peer;
        int r;

        AUTHORIZE_OR_RETURN(msg, p, &peer, error);
        if (!p->cgroup)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED, "Process %" PRIu64 " has no cgroup to %s", p->id,
                                         freeze ? "freeze" : "thaw");
        if (!process_tree_populated(p) || restart_pending(p))
                return not_running(error, p);
        /* What is frozen cannot act on a signal: the rule of signalling the
         * whole tree, as Stop. */
        r = auth_check_signal(p->manager, msg, peer, p, p->group_leader, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* Frozen is announced when the kernel has done it (on_cgroup_changed). */
        r = cgroup_watch(p->cgroup);
        if (r >= 0)
                r = cgroup_set_frozen(p->cgroup, freeze);
        if (r < 0)
                return bus_error_from_errno(error, r, freeze ? "Failed to freeze the cgroup" : "Failed to thaw the cgroup");
        return sd_bus_reply_method_return(msg, NULL);
}

/* Process1: the same verbs, on the object. */

static int method_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int32_t sig;
        int r = sd_bus_message_read(msg, "i", &sig);
        return r < 0 ? r : process_act_signal(msg, userdata, sig, false, error);
}

static int method_signal_group(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int32_t sig;
        int r = sd_bus_message_read(msg, "i", &sig);
        return r < 0 ? r : process_act_signal(msg, userdata, sig, true, error);
}

static int method_wait(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return process_act_wait(msg, userdata, error);
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return process_act_stop(msg, userdata, error);
}

static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return process_act_restart(msg, userdata, error);
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return process_act_release(msg, userdata, error);
}

static int method_read_output(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint64_t cursor;
        uint32_t max_bytes;
        int r = sd_bus_message_read(msg, "tu", &cursor, &max_bytes);
        return r < 0 ? r : process_act_read_output(msg, userdata, cursor, max_bytes, error);
}

static int method_follow_output(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint64_t cursor;
        int r = sd_bus_message_read(msg, "t", &cursor);
        return r < 0 ? r : process_act_follow_output(msg, userdata, cursor, error);
}

static int method_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return process_act_freeze(msg, userdata, true, error);
}

static int method_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return process_act_freeze(msg, userdata, false, error);
}

static int property_get_control_group(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Process *p = userdata;
        return sd_bus_message_append(reply, "s", p->cgroup ? p->cgroup->path : "");
}

static int property_get_frozen(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Process *p = userdata;
        return sd_bus_message_append(reply, "b", p->cgroup && !p->cgroup->removed && p->cgroup->frozen);
}

/* Read from cgroupfs when asked. */
static int property_get_accounting(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Process *p = userdata;
        uint64_t v;

        if (strcmp(property, "TasksCurrent") == 0)
                v = p->cgroup ? cgroup_tasks_current(p->cgroup) : p->exited ? 0 : 1;
        else if (strcmp(property, "CPUUsageNSec") == 0)
                v = p->cgroup ? cgroup_cpu_usage_nsec(p->cgroup) : UINT64_MAX;
        else
                v = p->cgroup ? cgroup_memory_current(p->cgroup) : UINT64_MAX;
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_argv(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Process *p = userdata;
        return sd_bus_message_append_strv(reply, p->argv);
}

const char *process_state(const Process *p) {
        return p->exited ? PROCCTL_STATE_EXITED : restart_pending(p) ? PROCCTL_STATE_RESTARTING : PROCCTL_STATE_RUNNING;
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", process_state(userdata));
}

static int property_get_restart_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Process *p = userdata;
        return sd_bus_message_append(reply, "u", p->restart ? p->restart->count : 0);
}

const sd_bus_vtable process_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "t", NULL, offsetof(Process, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Pid", "u", NULL, offsetof(Process, pid), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE), /* each run's */
        /* Up to 2 MiB each: only by Get, never in GetAll, GetManagedObjects or
         * InterfacesAdded, whose replies must stay under the bus's message limit. */
        SD_BUS_PROPERTY("Argv", "as", property_get_argv, 0, SD_BUS_VTABLE_PROPERTY_CONST | SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_PROPERTY("Executable", "s", NULL, offsetof(Process, executable), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("WorkingDirectory", "s", NULL, offsetof(Process, working_directory), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Description", "s", NULL, offsetof(Process, description), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Uid", "u", NULL, offsetof(Process, uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Gid", "u", NULL, offsetof(Process, gid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("OwnerUid", "u", NULL, offsetof(Process, owner_uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitReason", "s", NULL, offsetof(Process, exit_reason), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitStatus", "i", NULL, offsetof(Process, exit_status), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StartTimestamp", "t", NULL, offsetof(Process, start_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RestartCount", "u", property_get_restart_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitTimestamp", "t", NULL, offsetof(Process, exit_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Signal", SD_BUS_ARGS("i", signal), SD_BUS_NO_RESULT, method_signal, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SignalGroup", SD_BUS_ARGS("i", signal), SD_BUS_NO_RESULT, method_signal_group,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Wait", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", reason, "i", status), method_wait,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", reason, "i", status), method_stop,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", new_pid), method_restart,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReadOutput", SD_BUS_ARGS("t", cursor, "u", max_bytes),
                                SD_BUS_RESULT("a(tuay)", entries, "t", next_cursor, "t", dropped_bytes), method_read_output,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("FollowOutput", SD_BUS_ARGS("t", cursor), SD_BUS_RESULT("h", stream), method_follow_output,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("ControlGroup", "s", property_get_control_group, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        /* Read from cgroupfs on every Get: only by Get, so that a spawn's
         * InterfacesAdded and GetManagedObjects read no files. */
        SD_BUS_PROPERTY("TasksCurrent", "t", property_get_accounting, 0, SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", property_get_accounting, 0, SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_get_accounting, 0, SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_PROPERTY("Frozen", "b", property_get_frozen, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_freeze, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_thaw, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int process_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error) {
        Process *p = manager_find_process_by_path(userdata, path);

        if (!p)
                return 0;
        *found = p;
        return 1;
}

int process_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        char **l = calloc(m->n_processes + 1, sizeof(char *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        LIST_FOREACH(processes, p, m->processes) {
                if (n >= m->n_processes)
                        break;
                if (!(l[n++] = strdup(p->path))) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *nodes = l;
        return 0;
}
