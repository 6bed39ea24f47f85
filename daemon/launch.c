/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "bus-error.h"
#include "env.h"
#include "identity.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "process.h"
#include "procctl-bus.h"
#include "restart.h"
#include "spawn.h"

struct Launch {
        Manager *manager;
        Peer *peer;
        SpawnOptions options; /* what the process is, handed on to it; its descriptors are not kept */
        uid_t uid;
        gid_t gid;
        uint64_t id;     /* the process's, taken before its cgroup is made; 0: the next one */
        Cgroup *cgroup;  /* its cgroup, until the process holds it */
        pid_t pid;
        int pidfd;
        sd_event_source *status_source; /* owns the status pipe */
        sd_event_source *child_source;  /* after a failure: the child's end, which the error reply waits for */
        char *error_text;
        sd_bus_message *reply;          /* prepared: the call itself is let go */
        sd_bus_message *exec_failed;    /* prepared ExecFailed, its message appended when known */
        sd_bus_message *failed;         /* prepared Failed, likewise */
        Charge running;                 /* one of the caller's running processes, until the process holds it */
        Charge bytes;                   /* the record's size (MaxBytesPerUser), until the process holds it */
        Output *output;                 /* `output: capture`, until the process holds it */
        uint64_t listed;                /* its share of the listings' size (quota.h), likewise */
        RunRequest *kept;               /* with a restart policy: the request of the later runs, likewise */
        LIST_FIELDS(Launch, peer);
        LIST_FIELDS(Launch, manager);
};

/* Who the child runs as.  The caller's own identity (no user or group
 * option) comes from the uid cache (identity.h); anything else is resolved
 * anew. */
static int resolve_identity(Manager *m, Peer *peer, const SpawnOptions *o, Identity *buf, const Identity **ret,
                            sd_bus_error *error) {
        const char *missing = NULL;
        int r;

        if (!o->user && !o->group)
                r = identity_cache_get(&m->identities, peer->uid, ret, &missing);
        else {
                r = identity_resolve(o->user, peer->uid, o->group, buf, &missing);
                *ret = buf;
        }
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PROCCTL_ERROR_NO_SUCH_USER, "No such %s: %s",
                                         missing == o->group ? "group" : "user", missing);
        if (r == -EINVAL || r == -ERANGE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Not a valid %s name or id: \"%.64s\"",
                                         missing == o->group ? "group" : "user", missing);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to look up the user in the user database");
        return 0;
}

static int fd_compare(const void *a, const void *b) {
        return ((const SpawnFd *) a)->target - ((const SpawnFd *) b)->target;
}

/* The child's descriptor table: 0, 1 and 2 (default /dev/null; stdout and
 * stderr the capture's pipes, when given), then `fds`, by target. */
static int build_fd_map(Manager *m, const RunRequest *o, const int capture[3], SpawnFd **ret, size_t *ret_n) {
        SpawnFd *l = calloc(3 + o->n_fds, sizeof(SpawnFd));

        if (!l)
                return -ENOMEM;
        for (int i = 0; i < 3; i++)
                l[i] = (SpawnFd) { .source = o->stdio[i] >= 0 ? o->stdio[i] : capture[i] >= 0 ? capture[i] : m->devnull_fd,
                                   .target = i };
        if (o->n_fds > 0) {
                memcpy(l + 3, o->fds, o->n_fds * sizeof(SpawnFd));
                qsort(l + 3, o->n_fds, sizeof(SpawnFd), fd_compare);
        }
        *ret = l;
        *ret_n = 3 + o->n_fds;
        return 0;
}

static bool fds_below_floor(const SpawnFd *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i].source >= SPAWN_HIGH_FD_FLOOR)
                        return false;
        return true;
}

/* No file to run: the error the child's execvp would have given. */
static int bus_error_not_found(Launch *l, int r, sd_bus_error *error) {
        SpawnFailure f = { .stage = SPAWN_STAGE_EXEC, .error = -r };
        const char *file = l->options.executable ?: l->options.argv[0];

        if (r == -ENOMEM)
                return r;
        snprintf(f.file, sizeof(f.file), "%s", file);
        return bus_error_from_spawn_failure(error, &f, file, l->options.working_directory ?: "/", l->uid, l->gid);
}

/* What the new process is: the Launch's options, taken over. */
static int describe_spawned(Process *p, void *userdata) {
        Launch *l = userdata;
        SpawnOptions *o = &l->options;

        p->group_leader = true;
        p->uid = l->uid;
        p->gid = l->gid;
        p->owner_uid = l->peer->uid;
        p->stop_timeout_usec = o->stop_timeout_usec;
        p->argv = TAKE_PTR(o->argv);
        p->executable = o->executable ? TAKE_PTR(o->executable) : strdup(p->argv[0]);
        p->working_directory = o->working_directory ? TAKE_PTR(o->working_directory) : strdup("/");
        p->description = TAKE_PTR(o->description);
        p->kill_process_only = o->kill_process_only;
        if (l->cgroup)
                process_attach_cgroup(p, TAKE_PTR(l->cgroup));
        charge_move(&p->bytes, &l->bytes);
        p->output = TAKE_PTR(l->output);
        p->listed = l->listed;
        l->listed = 0;
        if (!p->executable || !p->working_directory)
                return -ENOMEM;
        process_set_timeout(p, o->timeout_usec);
        if (o->restart.mode != RESTART_NO) {
                p->restart = restart_new(&o->restart);
                if (!p->restart)
                        return -ENOMEM;
                p->restart->request = TAKE_PTR(l->kept);
        }
        if (o->kill_on_disconnect)
                process_set_kill_on_disconnect(p, l->peer);
        return 0;
}

static int track(Launch *l, Process **ret) {
        int pidfd = TAKE_FD(l->pidfd);

        return process_track(l->manager, l->id, l->pid, spawn_move_fd_high(pidfd), true, describe_spawned, l, ret);
}

Launch *launch_free(Launch *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->child_source);
        if (l->pid > 0)
                process_kill_abandoned(l->manager, l->pid, l->pidfd);
        cgroup_abandon(l->cgroup);
        sd_event_source_disable_unref(l->status_source);
        free(l->error_text);
        sd_bus_message_unref(l->reply);
        sd_bus_message_unref(l->exec_failed);
        sd_bus_message_unref(l->failed);
        spawn_options_done(&l->options);
        output_free(l->output);
        run_request_free(l->kept);
        charge_release(&l->running);
        charge_release(&l->bytes);
        quota_release_listed(l->manager, &l->listed);
        LIST_REMOVE(peer, l->peer->launches, l);
        LIST_REMOVE(manager, l->manager->launches, l);
        l->manager->n_launches--;
        free(l);
        return NULL;
}

static void send_error(sd_bus_message *reply, const char *text) {
        int r;

        if (!reply)
                return; /* no reply expected */
        r = sd_bus_message_append(reply, "s", text);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to answer a Spawn: %m");
}

/* The child that reported a failure is gone and reaped: only now is the
 * caller told, so that nothing of its Spawn is left when it hears. */
static int on_failed_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Launch *l = userdata;

        l->pid = 0; /* reaped by sd-event as this returns */
        send_error(l->exec_failed, l->error_text);
        launch_free(l);
        return 0;
}

static int wait_for_failed_child(Launch *l, const char *text) {
        int r;

        l->error_text = strdup(text);
        if (!l->error_text)
                return -ENOMEM;
        l->status_source = sd_event_source_disable_unref(l->status_source);
        r = process_watch_child(l->manager->event, &l->child_source, l->pid, l->pidfd, on_failed_child_exit, l);
        if (r >= 0)
                l->pidfd = -1; /* the source's now */
        return r;
}

/* The child's status pipe hung up: it exec'd the program, or it reported why not. */
static int on_status(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Launch *l = userdata;
        SpawnFailure failure;
        char text[1024];
        Process *p;
        int r;

        r = spawn_read_status(fd, &failure);
        if (r == -EAGAIN)
                return 0; /* woken for nothing */
        if (r != 0) {
                if (r > 0)
                        spawn_failure_message(&failure, l->options.executable ?: l->options.argv[0],
                                              l->options.working_directory ?: "/", l->uid, l->gid, text, sizeof(text));
                else
                        snprintf(text, sizeof(text), "The child of %s sent a report that is not one",
                                 l->options.argv[0]);
                if (wait_for_failed_child(l, text) < 0) {
                        send_error(l->exec_failed, text);
                        launch_free(l); /* kills the child, reaped from the event loop */
                }
                return 0;
        }

        l->status_source = sd_event_source_disable_unref(l->status_source);
        charge_release(&l->running); /* the process holds it from here */
        r = track(l, &p);
        l->pid = 0; /* process_track() owns the child now, whatever it returned */
        if (r < 0) {
                snprintf(text, sizeof(text), "Failed to track the process: %s", strerror(-r));
                send_error(l->failed, text);
                launch_free(l);
                return 0;
        }
        if (l->reply) {
                r = sd_bus_message_append(l->reply, "ou", p->path, (uint32_t) p->pid);
                if (r >= 0)
                        r = sd_bus_send(NULL, l->reply, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a Spawn: %m");
        }
        manager_announce_process(l->manager, p);
        launch_free(l);
        return 0;
}

/* A Spawn whose child reports later: the call is let go, its replies prepared. */
static int launch_defer(Launch *l, sd_bus_message *msg, const SpawnResult *child) {
        Manager *m = l->manager;
        Launch *d;
        int r;

        d = calloc(1, sizeof(Launch));
        if (!d)
                return -ENOMEM;
        *d = *l;
        d->options = l->options;
        l->options = (SpawnOptions) { .stdio = { -1, -1, -1 } };
        d->pid = child->pid;
        d->pidfd = child->pidfd;
        d->running = (Charge) {};
        l->bytes = (Charge) {}; /* d holds them now */
        l->output = NULL;
        l->cgroup = NULL;
        l->kept = NULL;
        l->listed = 0;
        LIST_APPEND(peer, d->peer->launches, d);
        LIST_APPEND(manager, m->launches, d);
        m->n_launches++;
        /* The options' descriptors belong to the call, which is let go now. */
        d->options.stdio[0] = d->options.stdio[1] = d->options.stdio[2] = -1;
        free(d->options.fds);
        d->options.fds = NULL;
        d->options.n_fds = 0;

        r = sd_event_add_io(m->event, &d->status_source, child->status_fd, EPOLLIN, on_status, d);
        if (r < 0) {
                safe_close(child->status_fd);
                goto fail;
        }
        (void) sd_event_source_set_io_fd_own(d->status_source, true);
        r = quota_charge(m, d->peer->uid, QUOTA_RUNNING, &d->running);
        if (r < 0)
                goto fail;

        r = sd_bus_message_new_method_return(msg, &d->reply);
        if (r == -EPERM)
                return 0; /* no reply expected: the child is started all the same */
        if (r >= 0)
                r = sd_bus_message_new_method_error(msg, &d->exec_failed,
                                                    &SD_BUS_ERROR_MAKE_CONST(PROCCTL_ERROR_EXEC_FAILED, NULL));
        if (r >= 0)
                r = sd_bus_message_new_method_error(msg, &d->failed, &SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_FAILED, NULL));
        if (r < 0)
                goto fail;
        return 0;
fail:
        launch_free(d);
        return r;
}

static void close_capture(int (*fds)[3]) {
        for (int i = 0; i < 3; i++)
                safe_close((*fds)[i]);
}

/* `output-max` within MaxOutputBytes (the default, DefaultOutputBytes, cut
 * down to it), and room for the capture's descriptors. */
static int check_output(Manager *m, SpawnOptions *o, sd_bus_error *error) {
        uint64_t limit = m->limits.output_bytes_max;

        if (!o->capture_output)
                return 0;
        if (o->output_max == 0)
                o->output_max = output_default_max(m);
        if (o->output_max > limit)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "Option 'output-max' asks for %" PRIu64 " bytes, above MaxOutputBytes (%" PRIu64 ")",
                                         o->output_max, limit);
        return quota_check_descriptors_for(m, OUTPUT_DESCRIPTORS, error);
}

/* procctld.conf's defaults and maxima of the cgroup limits, for callers other than root. */
static int apply_limit_settings(Manager *m, const Peer *peer, SpawnOptions *o, sd_bus_error *error) {
        const char *option, *key;
        uint64_t max;

        if (peer->uid == 0)
                return 0;
        if (limits_apply_to_spawn(&m->limits, m->cgroup.usable ? m->cgroup.controllers : 0, &o->limits, &option, &key,
                                  &max) < 0)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "Option '%s' asks for more than procctld's configuration allows callers other "
                                         "than root (%s=%" PRIu64 ")", option, key, max);
        return 0;
}

/* The options of a process tree need a cgroup, and a limit its controller. */
static int check_cgroup_options(Manager *m, const SpawnOptions *o, sd_bus_error *error) {
        const char *missing;

        if (!o->cgroup_option)
                return 0;
        if (!m->cgroup.usable)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "Option '%s' needs a cgroup per process, which procctld cannot make here "
                                         "(Features lacks \"cgroup\")", o->cgroup_option);
        missing = cgroup_limits_missing_controller(&m->cgroup, &o->limits);
        if (missing)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "The %s controller is not enabled for procctld's cgroup %s: a limit that needs "
                                         "it cannot be set", missing, m->cgroup.subtree);
        return 0;
}

/* The process's cgroup, made before its child: the child joins it first thing. */
static int make_cgroup(Launch *l, sd_bus_error *error) {
        Manager *m = l->manager;
        int r;

        if (!m->cgroup.usable)
                return 0;
        l->id = ids_next(&m->ids);
        r = cgroup_new(&m->cgroup, m->event, l->id, &l->options.limits, &l->cgroup);
        if (r == -ENOSPC || r == -EAGAIN)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "The system refused a new cgroup (cgroup.max.descendants?): %s", strerror(-r));
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to make the process's cgroup");
        return 0;
}

RunRequest *run_request_free(RunRequest *r) {
        if (!r)
                return NULL;
        strv_free(r->envp);
        free(r->groups);
        for (int i = 0; i < 3; i++)
                safe_close(r->stdio[i]);
        for (size_t i = 0; i < r->n_fds; i++)
                safe_close(r->fds[i].source);
        free(r->fds);
        charge_release(&r->bytes);
        if (r->manager)
                r->manager->run_fds -= r->held_fds;
        free(r);
        return NULL;
}

void run_request_hold_fds(Manager *m, RunRequest *r) {
        unsigned n = 0;

        for (int i = 0; i < 3; i++)
                n += r->stdio[i] >= 0;
        for (size_t i = 0; i < r->n_fds; i++)
                n += r->fds[i].source >= 0;
        if (r->manager)
                r->manager->run_fds -= r->held_fds;
        r->manager = m;
        r->held_fds = n;
        m->run_fds += n;
}

static char **strv_copy(char **l) {
        size_t n = strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));

        for (size_t i = 0; c && i < n; i++)
                if (!(c[i] = strdup(l[i]))) {
                        strv_free(c);
                        return NULL;
                }
        return c;
}

uint64_t run_request_bytes(const RunRequest *r) {
        uint64_t n = r->n_groups * sizeof(gid_t);

        STRV_FOREACH(s, r->envp)
                n += strlen(*s) + 1;
        return n;
}

/* A copy of run that owns its strings and descriptors, for the later runs
 * of a restart policy: refused past the descriptor budget and the owner's
 * MaxBytesPerUser, like anything else the daemon holds for a caller. */
static int run_request_keep(Manager *m, uid_t owner, const RunRequest *run, RunRequest **ret, sd_bus_error *error) {
        RunRequest *k;
        int r;

        r = quota_check_descriptors_for(m, 3 + run->n_fds, error);
        if (r < 0)
                return r;
        k = calloc(1, sizeof(RunRequest));
        if (!k)
                return -ENOMEM;
        *k = (RunRequest) { .tty = run->tty, .umask = run->umask, .timeout_usec = run->timeout_usec,
                            .stdio = { -1, -1, -1 }, .n_groups = run->n_groups };
        r = quota_charge_amount(m, owner, QUOTA_BYTES, run_request_bytes(run), &k->bytes, error);
        if (r < 0)
                goto fail;
        r = -ENOMEM;
        k->envp = strv_copy(run->envp);
        if (!k->envp)
                goto fail;
        if (run->n_groups > 0) {
                k->groups = malloc(run->n_groups * sizeof(gid_t));
                if (!k->groups)
                        goto fail;
                memcpy(k->groups, run->groups, run->n_groups * sizeof(gid_t));
        }
        if (run->n_fds > 0) {
                k->fds = calloc(run->n_fds, sizeof(SpawnFd));
                if (!k->fds)
                        goto fail;
        }
        for (size_t i = 0; i < run->n_fds; i++)
                k->fds[k->n_fds++] = (SpawnFd) { .source = -1, .target = run->fds[i].target };
        r = -errno;
        for (int i = 0; i < 3; i++)
                if (run->stdio[i] >= 0 && (k->stdio[i] = spawn_move_fd_high(fcntl(run->stdio[i], F_DUPFD_CLOEXEC, 3))) < 0)
                        goto fail_fd;
        for (size_t i = 0; i < run->n_fds; i++)
                if ((k->fds[i].source = spawn_move_fd_high(fcntl(run->fds[i].source, F_DUPFD_CLOEXEC, 3))) < 0)
                        goto fail_fd;
        run_request_hold_fds(m, k);
        *ret = k;
        return 0;
fail_fd:
        r = errno == EMFILE || errno == ENFILE ? bus_error_out_of_descriptors(error) : -errno;
fail:
        run_request_free(k);
        return r;
}

/* One run's child: its descriptor map, the request, clone and exec.  The
 * write ends of the capture and the cgroup's directory are closed once the
 * child has its copies.  >0: the child reported a failure (*failure). */
static int run_child(Manager *m, const RunRequest *run, const char *file, int exec_fd, const char *exec_path, char **argv,
                     const char *working_directory, uid_t uid, gid_t gid, int capture[3], Cgroup *cgroup,
                     SpawnResult *child, SpawnFailure *failure) {
        _cleanup_strv_free_ char **candidates = NULL;
        _cleanup_free_ SpawnFd *fds = NULL;
        SpawnRequest req;
        size_t n_fds;
        int r;

        r = build_fd_map(m, run, capture, &fds, &n_fds);
        if (r < 0)
                goto finish;
        req = (SpawnRequest) {
                .file = file,
                .exec_fd = exec_fd,
                .exec_path = exec_path,
                .argv = argv,
                .envp = run->envp,
                .working_directory = working_directory,
                .switch_identity = m->privileged,
                .through_helper = m->privileged && uid != 0,
                .uid = uid,
                .gid = gid,
                .groups = run->groups,
                .n_groups = run->n_groups,
                .controlling_tty = run->tty,
                .umask = run->umask,
                .reset_nofile = m->reset_child_nofile,
                .nofile = m->child_nofile,
                .fds = fds,
                .n_fds = n_fds,
                .cgroup_fd = cgroup ? cgroup->dir_fd : -1,
                .cgroup_join = cgroup && cgroup->killed,
                .use_pidfd = m->pidfd.usable,
                .share_files = spawn_can_share_files() && fds_below_floor(fds, n_fds),
        };
        if (!req.through_helper) {
                /* The daemon's own child walks ready-made candidates: the file
                 * found already, or execvp's list. */
                r = exec_candidates(exec_path ?: req.file, env_get(run->envp, "PATH"), &candidates);
                if (r < 0)
                        goto finish;
                req.candidates = candidates;
        }
        r = spawn_child(&req, child, failure);
finish:
        /* The child has its copies, or there is no child. */
        capture[1] = safe_close(capture[1]);
        capture[2] = safe_close(capture[2]);
        if (cgroup)
                cgroup->dir_fd = safe_close(cgroup->dir_fd); /* the child is in it, or there is none */
        return r;
}

/* procctl-exec's report on a later run: a failure ends the process for
 * good once the child has exited (restart_after_exit()). */
static int on_rerun_status(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Process *p = userdata;
        SpawnFailure failure;
        char text[1024];
        int r;

        r = spawn_read_status(fd, &failure);
        if (r == -EAGAIN)
                return 0;
        if (r != 0) {
                p->restart->exec_error = r > 0 && failure.error > 0 ? failure.error : EPROTO;
                if (r > 0) {
                        spawn_failure_message(&failure, p->executable, p->working_directory, p->uid, p->gid, text,
                                              sizeof(text));
                        log_warning("Process %" PRIu64 ": %s", p->id, text);
                }
        }
        p->restart->status_source = sd_event_source_disable_unref(p->restart->status_source);
        if (!p->restart->exec_error)
                process_run_started(p);
        return 0;
}

/* Whether the file a run found (exec_fd) is the one authorized at Spawn:
 * a file put in its place later was never asked about, and must not run
 * as a process polkit allowed for another. */
static bool exec_still_bound(const RunRequest *run, int exec_fd) {
        struct stat st;

        if (!run->exec_bound)
                return true;
        return exec_fd >= 0 && fstat(exec_fd, &st) >= 0 && (uint64_t) st.st_dev == run->exec_dev &&
               (uint64_t) st.st_ino == run->exec_ino;
}

int launch_rerun(Process *p) {
        Manager *m = p->manager;
        RunRequest *run = p->restart->request;
        _cleanup_(close_capture) int capture[3] = { -1, -1, -1 };
        _cleanup_free_ char *exec_path = NULL;
        _cleanup_close_ int exec_fd = -1;
        SpawnFailure failure = {};
        SpawnResult child;
        char text[1024];
        int r;

        if (!run)
                return log_warning_errno(-ENODATA, "Process %" PRIu64 " has no request to run again", p->id);
        if (p->owner_uid != 0) {
                /* As its first run: the file looked up again, run by descriptor. */
                r = exec_resolve(p->executable, env_get(run->envp, "PATH"), p->working_directory, &exec_fd, &exec_path);
                if (r >= 0 && !exec_still_bound(run, exec_fd))
                        r = -EPERM;
                if (r < 0) {
                        failure = (SpawnFailure) { .stage = SPAWN_STAGE_EXEC, .error = -r };
                        snprintf(failure.file, sizeof(failure.file), "%s", p->executable);
                        if (r == -EPERM)
                                log_warning("Process %" PRIu64 ": %s is no longer the file authorized at Spawn", p->id,
                                            exec_path ?: p->executable);
                        goto failed;
                }
        }
        if (p->output) {
                r = output_reopen(p->output, &capture[1], &capture[2]);
                if (r < 0)
                        return log_warning_errno(r, "Process %" PRIu64 ": failed to reopen its output's capture: %m", p->id);
        }
        if (p->cgroup) {
                r = cgroup_reopen(p->cgroup);
                if (r < 0)
                        return log_warning_errno(r, "Process %" PRIu64 ": failed to reopen its cgroup %s: %m", p->id,
                                                 p->cgroup->path);
                /* A run that ended frozen (killed so) leaves its cgroup frozen:
                 * a child cloned into it would never exec. */
                r = cgroup_set_frozen(p->cgroup, false);
                if (r < 0)
                        return log_warning_errno(r, "Process %" PRIu64 ": failed to thaw its cgroup %s: %m", p->id,
                                                 p->cgroup->path);
        }
        r = run_child(m, run, p->executable, exec_fd, exec_path, p->argv, p->working_directory, p->uid, p->gid, capture,
                      p->cgroup, &child, &failure);
        if (r > 0)
                goto failed;
        if (r < 0)
                return log_warning_errno(r, "Process %" PRIu64 ": failed to start its next run: %m", p->id);
        if (child.status_fd >= 0) {
                r = sd_event_add_io(m->event, &p->restart->status_source, child.status_fd, EPOLLIN, on_rerun_status, p);
                if (r < 0)
                        safe_close(child.status_fd);
                else
                        (void) sd_event_source_set_io_fd_own(p->restart->status_source, true);
        }
        return process_run_again(p, child.pid, child.pidfd < 0 ? -1 : spawn_move_fd_high(child.pidfd));
failed:
        p->restart->exec_error = failure.error > 0 ? failure.error : EIO;
        spawn_failure_message(&failure, p->executable, p->working_directory, p->uid, p->gid, text, sizeof(text));
        log_warning("Process %" PRIu64 ": run %" PRIu32 " failed to start, it ends for good: %s", p->id,
                    p->restart->count + 2, text);
        return -p->restart->exec_error;
}

int launch_spawn(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(identity_done) Identity resolved = {};
        const Identity *id = NULL;
        _cleanup_strv_free_ char **envp = NULL;
        _cleanup_free_ char *exec_path = NULL;
        _cleanup_close_ int exec_fd = -1;
        _cleanup_free_ gid_t *groups = NULL;
        size_t n_groups;
        Launch l = { .manager = m, .pidfd = -1 };
        _cleanup_(close_capture) int capture[3] = { -1, -1, -1 };
        RunRequest run;
        SpawnResult child;
        SpawnFailure failure;
        Process *p = NULL;
        int r;

        r = peer_from_message(m, msg, &l.peer, error);
        if (r < 0)
                return r;
        r = manager_check_new_process(m, l.peer, error);
        if (r < 0)
                return r;
        r = spawn_options_parse(msg, &l.options, error);
        if (r < 0)
                return r;
        SpawnOptions *o = &l.options;
        r = check_output(m, o, error);
        if (r < 0)
                goto finish;
        r = apply_limit_settings(m, l.peer, o, error);
        if (r < 0)
                goto finish;
        r = check_cgroup_options(m, o, error);
        if (r < 0)
                goto finish;
        /* Before anything is started: refused past the budget, nothing to undo.
         * A capture must fit in full now, what it may come to; it is paid
         * for as it fills (output.h). */
        uint64_t record = process_record_bytes(o->argv, o->executable, o->working_directory, o->description);
        r = quota_check_amount(m, l.peer->uid, QUOTA_BYTES, record + (o->capture_output ? o->output_max : 0), error);
        if (r >= 0)
                r = quota_charge_amount(m, l.peer->uid, QUOTA_BYTES, record, &l.bytes, error);
        if (r >= 0)
                r = quota_charge_listed(m, quota_listed_bytes(o->executable ?: o->argv[0], o->working_directory ?: "/",
                                                              o->description),
                                        true, &l.listed, error);
        if (r < 0)
                goto finish;

        r = resolve_identity(m, l.peer, o, &resolved, &id, error);
        if (r < 0)
                goto finish;
        r = env_build(id, o->environment, &envp);
        if (r < 0)
                goto finish;
        l.uid = id->uid;
        l.gid = id->gid;
        /* What no authorization can grant (a per-user daemon starts
         * processes only as itself), before polkit is asked. */
        r = auth_check_spawn_identity(m, l.peer, o, id, error);
        if (r < 0)
                goto finish;
        if (l.peer->uid != 0) {
                /* polkit is asked about the file that will run, found now and
                 * executed by descriptor, so that no PATH or later swap can
                 * make it another. */
                r = exec_resolve(o->executable ?: o->argv[0], env_get(envp, "PATH"), o->working_directory ?: "/",
                                 &exec_fd, &exec_path);
                if (r < 0) {
                        r = bus_error_not_found(&l, r, error);
                        goto finish;
                }
        }
        r = auth_check_spawn(m, msg, l.peer, id, exec_path ?: o->executable ?: o->argv[0], exec_fd, o->argv,
                             o->environment, error);
        if (r <= 0) {
                r = r < 0 ? r : 1; /* polkit was asked: this call runs again when it answers */
                goto finish;
        }
        r = auth_spawn_groups(l.peer, id, &groups, &n_groups);
        if (r < 0)
                goto finish;

        if (o->capture_output) {
                r = output_new(m, l.peer->uid, o->output_max, &l.output, &capture[1], &capture[2]);
                if (r < 0) {
                        r = r == -EMFILE || r == -ENFILE ? bus_error_out_of_descriptors(error)
                                                         : bus_error_from_errno(error, r, "Failed to set up the output's capture");
                        goto finish;
                }
        }
        r = make_cgroup(&l, error);
        if (r < 0)
                goto finish;
        run = (RunRequest) {
                .envp = envp,
                .groups = groups,
                .n_groups = n_groups,
                .tty = o->tty,
                .umask = o->umask,
                .timeout_usec = o->timeout_usec,
                .stdio = { o->stdio[0], o->stdio[1], o->stdio[2] },
                .fds = o->fds,
                .n_fds = o->n_fds,
        };
        if (o->restart.mode != RESTART_NO) {
                r = run_request_keep(m, l.peer->uid, &run, &l.kept, error);
                if (r < 0)
                        goto finish;
                if (exec_fd >= 0) {
                        /* Unreadable, it binds to no file: no later run. */
                        struct stat st = {};
                        (void) fstat(exec_fd, &st);
                        l.kept->exec_bound = true;
                        l.kept->exec_dev = st.st_dev;
                        l.kept->exec_ino = st.st_ino;
                }
        }
        r = run_child(m, &run, o->executable ?: o->argv[0], exec_fd, exec_path, o->argv, o->working_directory ?: "/", id->uid,
                      id->gid, capture, l.cgroup, &child, &failure);
        if (r > 0) {
                r = bus_error_from_spawn_failure(error, &failure, o->executable ?: o->argv[0], o->working_directory ?: "/",
                                                 id->uid, id->gid);
                goto finish;
        }
        if (r == -EMFILE || r == -ENFILE)
                r = bus_error_out_of_descriptors(error);
        else if (r == -EAGAIN)
                r = sd_bus_error_set(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                     "The system refused a new process (a pids cgroup limit or RLIMIT_NPROC was reached)");
        else if (r == -ENOEXEC)
                r = sd_bus_error_set(error, PROCCTL_ERROR_EXEC_FAILED,
                                     "procctl-exec is missing: processes of other users cannot be started");
        else if (r < 0)
                r = bus_error_from_errno(error, r, "Failed to create the process");
        if (r < 0)
                goto finish;

        if (child.status_fd >= 0) {
                r = launch_defer(&l, msg, &child);
                if (r < 0)
                        r = bus_error_from_errno(error, r, "Failed to wait for the new process");
                else
                        r = 1;
                goto finish;
        }

        l.pid = child.pid;
        l.pidfd = child.pidfd;
        r = track(&l, &p);
        if (r < 0) {
                r = bus_error_from_errno(error, r, "Failed to track the process");
                goto finish;
        }
        /* The caller first, then the ObjectManager's listeners: InterfacesAdded
         * is the costlier message, and nobody waits on it. */
        r = sd_bus_reply_method_return(msg, "ou", p->path, (uint32_t) p->pid);
        manager_announce_process(m, p);
finish:
        output_free(l.output);
        run_request_free(l.kept);
        cgroup_abandon(l.cgroup); /* no process holds it: removed, and whatever is in it killed */
        charge_release(&l.bytes);
        quota_release_listed(m, &l.listed);
        spawn_options_done(&l.options);
        return r;
}
