/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fdstore.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "peer.h"
#include "pidfd.h"
#include "procctl-bus.h"
#include "spawn.h"

#define STATE_MAX_SIZE (4U * 1024U * 1024U)

/* A growing buffer of "key=value\0" records. Strings from the bus hold no NUL. */
typedef struct Writer {
        FILE *f;
        char *buf;
        size_t size;
} Writer;

static void put(Writer *w, const char *key, const char *value) {
        fprintf(w->f, "%s=%s", key, value);
        fputc('\0', w->f);
}

static void put_u64(Writer *w, const char *key, uint64_t v) {
        fprintf(w->f, "%s=%" PRIu64, key, v);
        fputc('\0', w->f);
}

/* A restart policy (restart.h): the policy in one record, which comes first
 * so that the others find it; then the state, and the request its later runs
 * are started from, its descriptors as their targets (in the order they are
 * in flight in the FDSTORE_RUN_FDS socket). */
static void put_restart(Writer *w, const Process *p) {
        const Restart *r = p->restart;
        const RunRequest *run = r->request;

        fprintf(w->f, "restart=%s %" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRIu64, restart_mode_to_string(r->policy.mode),
                r->policy.delay_usec, r->policy.delay_max_usec, r->policy.limit, r->policy.interval_usec);
        fputc('\0', w->f);
        put_u64(w, "restart-count", r->count);
        put_u64(w, "restart-delay", r->delay_usec);
        for (uint32_t i = 0; i < r->n_window; i++)
                put_u64(w, "restart-window", r->window[i]);
        put_u64(w, "restart-run-start", r->run_start);
        put_u64(w, "restart-timed-out", r->timed_out);
        if (r->requested)
                put_u64(w, "restart-requested", 1);
        if (r->pending) {
                put_u64(w, "restart-next", r->next_monotonic);
                put_u64(w, "restart-next-realtime", r->next_realtime);
                put(w, "restart-last-reason", p->exit_reason);
                put_u64(w, "restart-last-status", (uint32_t) p->exit_status);
                put_u64(w, "restart-last-exit", p->exit_usec);
        }
        if (!run)
                return;
        STRV_FOREACH(e, run->envp)
                put(w, "run-env", *e);
        for (size_t i = 0; i < run->n_groups; i++)
                put_u64(w, "run-group", run->groups[i]);
        put_u64(w, "run-tty", run->tty);
        put_u64(w, "run-umask", run->umask);
        put_u64(w, "run-timeout", run->timeout_usec);
        if (run->exec_bound) {
                put_u64(w, "run-exec-dev", run->exec_dev);
                put_u64(w, "run-exec-ino", run->exec_ino);
        }
        for (int i = 0; i < 3; i++)
                if (run->stdio[i] >= 0)
                        put_u64(w, "run-fd", (uint64_t) i);
        for (size_t i = 0; i < run->n_fds; i++)
                put_u64(w, "run-fd", (uint64_t) run->fds[i].target);
}

static const char *known_reason(const char *s);

/* Appends a copy of value to *l, which has *n entries. */
static int strv_append_at(char ***l, size_t *n, const char *value) {
        char **a = reallocarray(*l, *n + 2, sizeof(char *));
        if (!a)
                return -ENOMEM;
        *l = a;
        if (!(a[*n] = strdup(value)))
                return -ENOMEM;
        a[++*n] = NULL;
        return 0;
}

/* A descriptor awaited from the FDSTORE_RUN_FDS socket (restore_run_fds()). */
#define RUN_FD_AWAITED (-2)

/* n_env: the entries of the request's environment read so far. */
static int read_restart_key(Process *p, const char *key, const char *value, bool numeric, uint64_t v, size_t *n_env) {
        Restart *r = p->restart;
        RunRequest *run;

        if (strcmp(key, "restart") == 0) {
                RestartPolicy policy = RESTART_POLICY_DEFAULT;
                char mode[16];

                if (r || sscanf(value, "%15s %" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNu64, mode, &policy.delay_usec,
                                &policy.delay_max_usec, &policy.limit, &policy.interval_usec) != 5)
                        return -EBADMSG;
                policy.mode = restart_mode_from_string(mode);
                if (policy.mode <= RESTART_NO || policy.limit < 1 || policy.limit > RESTART_LIMIT_MAX)
                        return -EBADMSG;
                p->restart = restart_new(&policy);
                return p->restart ? 0 : -ENOMEM;
        }
        if (!r)
                return 0; /* restart state without a policy: skipped */
        if (strncmp(key, "run-", 4) == 0 && !r->request) {
                r->request = calloc(1, sizeof(RunRequest));
                if (!r->request)
                        return -ENOMEM;
                *r->request = (RunRequest) { .stdio = { -1, -1, -1 }, .umask = 0022 };
        }
        run = r->request;
        if (strcmp(key, "restart-count") == 0 && numeric)
                r->count = (uint32_t) v;
        else if (strcmp(key, "restart-delay") == 0 && numeric)
                r->delay_usec = v;
        else if (strcmp(key, "restart-window") == 0 && numeric) {
                if (r->n_window < r->policy.limit)
                        r->window[r->n_window++] = v;
        } else if (strcmp(key, "restart-run-start") == 0 && numeric)
                r->run_start = v;
        else if (strcmp(key, "restart-timed-out") == 0 && numeric)
                r->timed_out = v != 0;
        else if (strcmp(key, "restart-requested") == 0 && numeric)
                r->requested = v != 0;
        else if (strcmp(key, "restart-next") == 0 && numeric) {
                r->next_monotonic = v;
                r->pending = true;
        } else if (strcmp(key, "restart-next-realtime") == 0 && numeric)
                r->next_realtime = v;
        else if (strcmp(key, "restart-last-reason") == 0) {
                if (!(p->exit_reason = known_reason(value)))
                        return -EBADMSG;
        } else if (strcmp(key, "restart-last-status") == 0 && numeric)
                p->exit_status = (int32_t) (uint32_t) v;
        else if (strcmp(key, "restart-last-exit") == 0 && numeric)
                p->exit_usec = v;
        else if (strcmp(key, "run-env") == 0)
                return strv_append_at(&run->envp, n_env, value);
        else if (strcmp(key, "run-group") == 0 && numeric) {
                gid_t *g = reallocarray(run->groups, run->n_groups + 1, sizeof(gid_t));
                if (!g)
                        return -ENOMEM;
                run->groups = g;
                g[run->n_groups++] = (gid_t) v;
        } else if (strcmp(key, "run-tty") == 0 && numeric)
                run->tty = v != 0;
        else if (strcmp(key, "run-umask") == 0 && numeric)
                run->umask = (mode_t) (v & 0777);
        else if (strcmp(key, "run-timeout") == 0 && numeric)
                run->timeout_usec = v;
        else if (strcmp(key, "run-exec-dev") == 0 && numeric) {
                run->exec_bound = true;
                run->exec_dev = v;
        } else if (strcmp(key, "run-exec-ino") == 0 && numeric) {
                run->exec_bound = true;
                run->exec_ino = v;
        } else if (strcmp(key, "run-fd") == 0 && numeric && v < INT32_MAX) {
                if (v < 3)
                        run->stdio[v] = RUN_FD_AWAITED;
                else {
                        SpawnFd *f = reallocarray(run->fds, run->n_fds + 1, sizeof(SpawnFd));
                        if (!f)
                                return -ENOMEM;
                        run->fds = f;
                        f[run->n_fds++] = (SpawnFd) { .source = RUN_FD_AWAITED, .target = (int) v };
                }
        }
        return 0;
}

int fdstore_serialize(const Process *p, char **ret, size_t *ret_size) {
        Writer w = {};

        w.f = open_memstream(&w.buf, &w.size);
        if (!w.f)
                return -ENOMEM;
        put_u64(&w, "id", p->id);
        put_u64(&w, "pid", (uint64_t) p->pid);
        put_u64(&w, "uid", p->uid);
        put_u64(&w, "gid", p->gid);
        put_u64(&w, "owner", p->owner_uid);
        put_u64(&w, "group-leader", p->group_leader);
        put_u64(&w, "start", p->start_usec);
        put_u64(&w, "stop-timeout", p->stop_timeout_usec);
        put_u64(&w, "timeout-deadline", p->timeout_deadline);
        if (p->stopping && !p->exited) {
                /* A Stop (or timeout, or disconnect) under way goes on after a restart. */
                put_u64(&w, "stopping", 1);
                put_u64(&w, "kill-deadline", p->kill_deadline);
        }
        put(&w, "executable", p->executable);
        put(&w, "working-directory", p->working_directory);
        put(&w, "description", p->description);
        STRV_FOREACH(a, p->argv)
                put(&w, "argv", *a);
        if (p->kill_peer)
                put(&w, "kill-on-disconnect", p->kill_peer->name);
        if (p->kill_process_only)
                put(&w, "kill-mode", "process");
        if (p->cgroup) {
                /* Found again after a restart (cgroup_reattach()); once removed, its CPU time is all that is left. */
                put(&w, "cgroup", p->cgroup->path);
                put_u64(&w, "cgroup-cpu-usage-nsec", cgroup_cpu_usage_nsec(p->cgroup));
                if (p->cgroup->removed)
                        put_u64(&w, "cgroup-removed", 1);
        }
        if (p->restart)
                put_restart(&w, p);
        if (p->exited) {
                put(&w, "exit-reason", p->exit_reason);
                put_u64(&w, "exit-status", (uint32_t) p->exit_status);
                put_u64(&w, "exit", p->exit_usec);
        }
        if (fclose(w.f) != 0) {
                free(w.buf);
                return -ENOMEM;
        }
        *ret = w.buf;
        *ret_size = w.size;
        return 0;
}

static int set_string(char **field, const char *value) {
        char *s = strdup(value);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static const char *known_reason(const char *s) {
        const char *reasons[] = { PROCCTL_REASON_EXITED, PROCCTL_REASON_KILLED, PROCCTL_REASON_DUMPED, PROCCTL_REASON_UNKNOWN };
        for (size_t i = 0; i < ELEMENTSOF(reasons); i++)
                if (strcmp(s, reasons[i]) == 0)
                        return reasons[i];
        return NULL;
}

int fdstore_deserialize(Process *p, const char *buf, size_t size) {
        _cleanup_free_ char *cgroup = NULL;
        uint64_t cgroup_cpu = 0;
        bool cgroup_removed = false;
        size_t n_argv = 0, n_env = 0;
        int r = 0;

        if (size == 0 || buf[size - 1] != '\0')
                return -EBADMSG;
        for (const char *rec = buf; rec < buf + size && r >= 0; rec += strlen(rec) + 1) {
                const char *eq = strchr(rec, '=');
                char key[32];
                uint64_t v = 0;

                if (!eq || (size_t) (eq - rec) >= sizeof(key))
                        return -EBADMSG;
                memcpy(key, rec, (size_t) (eq - rec));
                key[eq - rec] = '\0';
                const char *value = eq + 1;
                bool numeric = sscanf(value, "%" SCNu64, &v) == 1;

                if (strcmp(key, "id") == 0 && numeric)
                        p->id = v;
                else if (strcmp(key, "pid") == 0 && numeric)
                        p->pid = (pid_t) v;
                else if (strcmp(key, "uid") == 0 && numeric)
                        p->uid = (uid_t) v;
                else if (strcmp(key, "gid") == 0 && numeric)
                        p->gid = (gid_t) v;
                else if (strcmp(key, "owner") == 0 && numeric)
                        p->owner_uid = (uid_t) v;
                else if (strcmp(key, "group-leader") == 0 && numeric)
                        p->group_leader = v != 0;
                else if (strcmp(key, "start") == 0 && numeric)
                        p->start_usec = v;
                else if (strcmp(key, "stop-timeout") == 0 && numeric)
                        p->stop_timeout_usec = v;
                else if (strcmp(key, "timeout-deadline") == 0 && numeric)
                        p->timeout_deadline = v;
                else if (strcmp(key, "stopping") == 0 && numeric)
                        p->stopping = v != 0;
                else if (strcmp(key, "kill-deadline") == 0 && numeric)
                        p->kill_deadline = v;
                else if (strcmp(key, "executable") == 0)
                        r = set_string(&p->executable, value);
                else if (strcmp(key, "working-directory") == 0)
                        r = set_string(&p->working_directory, value);
                else if (strcmp(key, "description") == 0)
                        r = set_string(&p->description, value);
                else if (strcmp(key, "argv") == 0) {
                        if (strv_append_at(&p->argv, &n_argv, value) < 0)
                                return -ENOMEM;
                } else if (strcmp(key, "exit-reason") == 0) {
                        if (!(p->exit_reason = known_reason(value)))
                                return -EBADMSG;
                        p->exited = true;
                } else if (strcmp(key, "exit-status") == 0 && numeric)
                        p->exit_status = (int32_t) (uint32_t) v;
                else if (strcmp(key, "exit") == 0 && numeric)
                        p->exit_usec = v;
                else if (strcmp(key, "kill-mode") == 0)
                        p->kill_process_only = strcmp(value, "process") == 0;
                else if (strcmp(key, "cgroup") == 0)
                        r = set_string(&cgroup, value);
                else if (strcmp(key, "cgroup-cpu-usage-nsec") == 0 && numeric)
                        cgroup_cpu = v;
                else if (strcmp(key, "cgroup-removed") == 0 && numeric)
                        cgroup_removed = v != 0;
                else if (strncmp(key, "restart", 7) == 0 || strncmp(key, "run-", 4) == 0)
                        r = read_restart_key(p, key, value, numeric, v, &n_env);
                /* Unknown keys (and kill-on-disconnect: the connection is not ours to
                 * find again) are skipped, so an older daemon reads a newer state. */
        }
        if (r < 0)
                return r;
        if (p->id == 0 || p->pid <= 0 || !p->argv || !p->executable || !p->working_directory)
                return -EBADMSG;
        /* Only a record: the restore checks the path and opens it (cgroup_reattach()). */
        if (cgroup && !p->cgroup && !(p->cgroup = cgroup_record_new(cgroup, cgroup_removed, cgroup_cpu)))
                return -ENOMEM;
        if (p->restart && !p->restart->request && !p->exited)
                return -EBADMSG; /* nothing to run again from */
        if (p->exited)
                restart_cancel(p);
        return 0;
}

static const char *const fdstore_kind_names[_FDSTORE_KIND_MAX] = {
        [FDSTORE_STATE] = "state",
        [FDSTORE_PIDFD] = "pidfd",
        [FDSTORE_OUTPUT] = "output",
        [FDSTORE_OUTPUT_STDOUT] = "stdout",
        [FDSTORE_OUTPUT_STDERR] = "stderr",
        [FDSTORE_RUN_FDS] = "run-fds",
};

void fdstore_drop(Manager *m, Process *p, FdStoreKind kind) {
        char msg[128];

        if (!m->fd_store || !(p->fdstore_kept & (1U << kind)))
                return;
        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s-%" PRIu64, fdstore_kind_names[kind], p->id);
        (void) sd_notify(false, msg);
        p->fdstore_kept &= ~(1U << kind);
}

void fdstore_keep(Manager *m, Process *p, FdStoreKind kind, int fd) {
        char msg[128];
        int r;

        if (!m->fd_store || fd < 0)
                return;
        fdstore_drop(m, p, kind);
        /* FDPOLL=0: a pidfd hangs up once its process is reaped, a pipe once
         * its writers are gone, and the store would drop them; what they
         * stand for must survive just the same. */
        snprintf(msg, sizeof(msg), "FDSTORE=1\nFDPOLL=0\nFDNAME=%s-%" PRIu64, fdstore_kind_names[kind], p->id);
        r = sd_pid_notify_with_fds(0, false, msg, &fd, 1);
        if (r < 0) {
                log_warning_errno(r, "Failed to keep %s of process %" PRIu64 " in the file descriptor store: %m",
                                  fdstore_kind_names[kind], p->id);
                return;
        }
        p->fdstore_kept |= 1U << kind;
}

/* The descriptors of a restart policy's request, in the order of their
 * "run-fd" records: the caller's stdin, stdout, stderr (those given), then
 * `fds`. */
static size_t run_fds_list(const RunRequest *run, int *ret) {
        size_t n = 0;

        for (int i = 0; i < 3; i++)
                if (run->stdio[i] >= 0)
                        ret[n++] = run->stdio[i];
        for (size_t i = 0; i < run->n_fds; i++)
                ret[n++] = run->fds[i].source;
        return n;
}

#define RUN_FDS_PER_MESSAGE 250 /* below SCM_MAX_FD */

/* The store keeps descriptors, not what they are for: the request's ride in
 * a socket, in flight (SCM_RIGHTS), whose reading end the store keeps. */
static void keep_run_fds(Manager *m, Process *p) {
        const RunRequest *run = p->restart ? p->restart->request : NULL;
        _cleanup_free_ int *fds = NULL;
        int sp[2] = { -1, -1 };
        size_t n;

        if (!m->fd_store || !run)
                return;
        fds = calloc(3 + run->n_fds, sizeof(int));
        if (!fds)
                goto fail;
        n = run_fds_list(run, fds);
        if (n == 0)
                return;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                goto fail;
        for (size_t i = 0; i < n; i += RUN_FDS_PER_MESSAGE) {
                size_t k = n - i < RUN_FDS_PER_MESSAGE ? n - i : RUN_FDS_PER_MESSAGE;
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * RUN_FDS_PER_MESSAGE)];
                } control = {};
                char byte = 0;
                struct iovec iov = { &byte, 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = CMSG_SPACE(sizeof(int) * k) };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * k);
                memcpy(CMSG_DATA(c), fds + i, sizeof(int) * k);
                if (sendmsg(sp[1], &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                        goto fail;
        }
        fdstore_keep(m, p, FDSTORE_RUN_FDS, sp[0]);
        safe_close(sp[0]);
        safe_close(sp[1]);
        return;
fail:
        log_warning_errno(errno, "Failed to keep the descriptors of process %" PRIu64 " in the file descriptor store: %m",
                          p->id);
        safe_close(sp[0]);
        safe_close(sp[1]);
}

/* The request's descriptors back from their socket, in the order sent;
 * what did not come back is /dev/null (stdio) or left out (`fds`). */
static void restore_run_fds(Process *p, int sock) {
        RunRequest *run = p->restart && p->restart->request ? p->restart->request : NULL;
        size_t got = 0, missing = 0, j = 0;
        int *slots[3 + 1024];
        size_t n_slots = 0;

        if (!run) {
                safe_close(sock);
                return;
        }
        for (int i = 0; i < 3; i++)
                if (run->stdio[i] == RUN_FD_AWAITED && n_slots < ELEMENTSOF(slots))
                        slots[n_slots++] = &run->stdio[i];
        for (size_t i = 0; i < run->n_fds; i++)
                if (run->fds[i].source == RUN_FD_AWAITED && n_slots < ELEMENTSOF(slots))
                        slots[n_slots++] = &run->fds[i].source;
        while (sock >= 0) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * RUN_FDS_PER_MESSAGE)];
                } control;
                char byte;
                struct iovec iov = { &byte, 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof(control) };
                ssize_t k = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

                if (k <= 0)
                        break;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                                continue;
                        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        int *in = (int *) CMSG_DATA(c);
                        for (size_t i = 0; i < n; i++) {
                                int fd = spawn_move_fd_high(in[i]);
                                if (got < n_slots)
                                        *slots[got++] = fd;
                                else
                                        safe_close(fd);
                        }
                }
        }
        safe_close(sock);
        for (int i = 0; i < 3; i++)
                if (run->stdio[i] == RUN_FD_AWAITED) {
                        run->stdio[i] = -1;
                        missing++;
                }
        for (size_t i = 0; i < run->n_fds; i++)
                if (run->fds[i].source != RUN_FD_AWAITED)
                        run->fds[j++] = run->fds[i];
                else
                        missing++;
        run->n_fds = j;
        if (missing > 0)
                log_warning("Process %" PRIu64 ": %zu descriptors of its request did not come back from the fd store", p->id,
                            missing);
}

void fdstore_save(Manager *m, Process *p) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        if (!m->fd_store)
                return;
        r = fdstore_serialize(p, &buf, &size);
        if (r < 0)
                goto fail;

        bool is_new = p->state_fd < 0;
        if (is_new) {
                p->state_fd = spawn_move_fd_high(memfd_create("procctl-state", MFD_CLOEXEC));
                if (p->state_fd < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        /* The store holds the same open file: rewriting it in place updates what is stored. */
        r = fdstore_write_state(p->state_fd, buf, size);
        if (r < 0)
                goto fail;
        if (!is_new)
                return; /* the store has it already; the memfd's content is now current */

        fdstore_keep(m, p, FDSTORE_PIDFD, p->pidfd);
        keep_run_fds(m, p);
        fdstore_keep(m, p, FDSTORE_STATE, p->state_fd);
        output_keep(p->output, p);
        return;
fail:
        log_warning_errno(r, "Failed to keep process %" PRIu64 " in the file descriptor store: %m", p->id);
}

void fdstore_forget(Manager *m, Process *p) {
        for (FdStoreKind k = 0; k < _FDSTORE_KIND_MAX; k++)
                fdstore_drop(m, p, k);
}

int fdstore_take(FdStoreSet *set, FdStoreKind kind) {
        return TAKE_FD(set->fds[kind]);
}

/*
 * The state's memfd.  The store holds the same open file as the daemon, so a
 * state is rewritten in place, and a daemon killed at any moment (SIGKILL, a
 * crash) must leave a file that reads as the old state or as the new one,
 * never as neither:
 *
 *   [0, 64)           a header, "procctl-state 2 OFFSET SIZE", space-padded, '\n'
 *   [OFFSET, +SIZE)   the state's records
 *
 * A new state is written where it overlaps neither the header nor the
 * current state, and only then does one write of the header point to it: a
 * write within one page is not cut by a signal (the kernel checks for a
 * fatal one between pages).  Then the file is cut after the new state.
 *
 * The memfd of an older daemon holds the records alone, from offset 0; they
 * end at the first empty record (a NUL where a record would start) or at the
 * end of the file.  Its first rewrite puts the new state after them, past at
 * least one NUL, and then the header over their first bytes.
 */
#define STATE_HEADER_SIZE 64
#define STATE_MAGIC "procctl-state 2 "
#define STATE_FILE_MAX (4 * (uint64_t) STATE_MAX_SIZE) /* two states and what lay between them */

typedef struct StateRange {
        uint64_t offset;
        uint64_t size;
        bool headed; /* else an older daemon's records, from 0 */
} StateRange;

/* Where the current state is, in a file of file_size bytes. */
static int state_locate(int fd, uint64_t file_size, StateRange *ret) {
        char header[STATE_HEADER_SIZE + 1] = {};
        uint64_t offset, size;
        int consumed = 0;

        if (file_size == 0 || file_size > STATE_FILE_MAX)
                return -EBADMSG;
        if (file_size < STATE_HEADER_SIZE || pread(fd, header, STATE_HEADER_SIZE, 0) != STATE_HEADER_SIZE ||
            memcmp(header, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
                *ret = (StateRange) { 0, MIN(file_size, (uint64_t) STATE_MAX_SIZE), false };
                return 0;
        }
        if (header[STATE_HEADER_SIZE - 1] != '\n' ||
            sscanf(header + strlen(STATE_MAGIC), "%" SCNu64 " %" SCNu64 "%n", &offset, &size, &consumed) != 2 ||
            strspn(header + strlen(STATE_MAGIC) + consumed, " ") != STATE_HEADER_SIZE - 1 - strlen(STATE_MAGIC) - consumed ||
            offset < STATE_HEADER_SIZE || size == 0 || size > STATE_MAX_SIZE || size > file_size ||
            offset > file_size - size)
                return -EBADMSG;
        *ret = (StateRange) { offset, size, true };
        return 0;
}

int fdstore_read_state(int fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        StateRange cur;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        r = state_locate(fd, (uint64_t) st.st_size, &cur);
        if (r < 0)
                return r;
        buf = malloc(cur.size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, cur.size, (off_t) cur.offset) != (ssize_t) cur.size)
                return -EIO;
        if (!cur.headed) {
                /* An older daemon's: up to the first empty record. */
                size_t end = 0;
                while (end < cur.size && buf[end] != '\0')
                        end += strnlen(buf + end, cur.size - end) + 1;
                if (end < cur.size)
                        cur.size = end;
                else if ((uint64_t) st.st_size > cur.size)
                        return -EBADMSG; /* records past the most a state may hold */
                if (cur.size == 0)
                        return -EBADMSG;
        }
        *ret_size = cur.size;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int pwrite_all(int fd, const char *buf, size_t size, uint64_t offset) {
        while (size > 0) {
                ssize_t n = pwrite(fd, buf, size, (off_t) offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                buf += n;
                size -= (size_t) n;
                offset += (uint64_t) n;
        }
        return 0;
}

int fdstore_write_state(int fd, const char *buf, size_t size) {
        char header[STATE_HEADER_SIZE + 1];
        StateRange cur = {};
        uint64_t offset;
        struct stat st;
        int r, n;

        if (size == 0 || size > STATE_MAX_SIZE)
                return -EMSGSIZE;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size == 0)
                offset = STATE_HEADER_SIZE; /* a new memfd */
        else {
                r = state_locate(fd, (uint64_t) st.st_size, &cur);
                if (r < 0 || !cur.headed)
                        /* All of an older daemon's file, whatever of it is records;
                         * or all of a damaged one, which this write repairs. */
                        cur = (StateRange) { 0, (uint64_t) st.st_size, false };
                if (!cur.headed && cur.size > STATE_FILE_MAX - STATE_MAX_SIZE - 16) {
                        /* No room after it, and nothing in it any reader takes: from scratch. */
                        if (ftruncate(fd, 0) < 0)
                                return -errno;
                        cur = (StateRange) {};
                }
                if (cur.size == 0 || (cur.headed && STATE_HEADER_SIZE + size <= cur.offset))
                        offset = STATE_HEADER_SIZE; /* before the current one, or none */
                else {
                        /* After it; after an older daemon's records, past a NUL that ends them. */
                        offset = roundup(cur.offset + cur.size + !cur.headed, 8);
                        if (offset < STATE_HEADER_SIZE)
                                offset = STATE_HEADER_SIZE; /* the file grows with NULs up to it */
                }
        }
        r = pwrite_all(fd, buf, size, offset);
        if (r < 0)
                return r;
        n = snprintf(header, sizeof(header), STATE_MAGIC "%" PRIu64 " %zu", offset, size);
        if (n < 0 || n >= STATE_HEADER_SIZE)
                return -EINVAL;
        memset(header + n, ' ', STATE_HEADER_SIZE - 1 - (size_t) n);
        header[STATE_HEADER_SIZE - 1] = '\n';
        if (pwrite(fd, header, STATE_HEADER_SIZE, 0) != STATE_HEADER_SIZE)
                return errno > 0 ? -errno : -EIO;
        /* The new state is current: what lay after it goes. */
        if (ftruncate(fd, (off_t) (offset + size)) < 0)
                return -errno;
        return 0;
}

typedef struct Stored {
        FdStoreSet *set;
        const char *buf;
        size_t size;
} Stored;

/* Its cgroup found again, or, where that cannot be (another subtree now, a
 * forged path), none: the process is still tracked by its pidfd. */
static void restore_cgroup(Process *p) {
        Manager *m = p->manager;
        int r;

        if (!p->cgroup)
                return;
        r = cgroup_reattach(&m->cgroup, m->event, p->id, p->cgroup);
        if (r < 0) {
                log_warning_errno(r, "Process %" PRIu64 " comes back without its cgroup %s: %m", p->id, p->cgroup->path);
                p->cgroup = cgroup_free(p->cgroup);
                return;
        }
        process_attach_cgroup(p, p->cgroup);
}

static int describe_restored(Process *p, void *userdata) {
        Stored *st = userdata;
        int r;

        p->state_fd = fdstore_take(st->set, FDSTORE_STATE);
        p->fdstore_kept |= 1U << FDSTORE_STATE;
        r = fdstore_deserialize(p, st->buf, st->size);
        if (r >= 0 && p->id != st->set->id)
                r = -EBADMSG;
        if (r >= 0) {
                output_restore(p, st->set);
                restore_cgroup(p);
        }
        /* A policy that is done (the process ended for good) has no request. */
        if (r >= 0 && p->restart && p->restart->request) {
                RunRequest *run = p->restart->request;

                r = quota_charge_n(p->manager, p->owner_uid, QUOTA_BYTES, run_request_bytes(run), &run->bytes);
                restore_run_fds(p, fdstore_take(st->set, FDSTORE_RUN_FDS));
                run_request_hold_fds(p->manager, run);
                /* The socket came back empty: the store gets a new one. */
                p->fdstore_kept |= 1U << FDSTORE_RUN_FDS;
                keep_run_fds(p->manager, p);
        }
        /* Not our child any more: a running one is watched through its pidfd
         * (a process that exited while we were down shows up readable at
         * once), like an adopted one. */
        return r;
}

static void fdstore_set_close(FdStoreSet *set) {
        for (FdStoreKind k = 0; k < _FDSTORE_KIND_MAX; k++)
                set->fds[k] = safe_close(set->fds[k]);
}

/* Takes every descriptor of set, whatever happens. */
static int restore_one(Manager *m, FdStoreSet *set) {
        _cleanup_free_ char *buf = NULL;
        Stored st = { .set = set };
        Process *p;
        int r;

        for (FdStoreKind k = 0; k < _FDSTORE_KIND_MAX; k++)
                set->fds[k] = spawn_move_fd_high(set->fds[k]);
        if (set->fds[FDSTORE_STATE] < 0)
                r = -EBADMSG; /* descriptors without their state */
        else
                r = fdstore_read_state(set->fds[FDSTORE_STATE], &buf, &st.size);
        if (r < 0) {
                fdstore_set_close(set);
                return r;
        }
        st.buf = buf;
        int pidfd = fdstore_take(set, FDSTORE_PIDFD);
        r = process_track(m, set->id, 0, pidfd, false, describe_restored, &st, &p);
        if (r >= 0)
                p->fdstore_kept |= pidfd >= 0 ? 1U << FDSTORE_PIDFD : 0;
        fdstore_set_close(set); /* what nobody took */
        if (r < 0)
                return r;
        manager_announce_process(m, p);
        process_settle_cgroup(p);
        /* A Restart was stopping its run: stopped again (its stop timeout
         * from now), and the next run follows at once.  Any other stop
         * under way goes on: SIGKILL at its deadline, and under a restart
         * policy no next run. */
        if (p->restart && p->restart->requested && !p->exited && !restart_pending(p)) {
                p->stopping = false;
                process_stop_for_restart(p);
        } else
                process_resume_stop(p);
        return 0;
}

typedef struct StoredFd {
        uint64_t id;
        FdStoreKind kind;
        int fd;
} StoredFd;

static int stored_fd_compare(const void *a, const void *b) {
        const StoredFd *x = a, *y = b;
        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return (int) x->kind - (int) y->kind;
}

static bool parse_name(const char *name, uint64_t *ret_id, FdStoreKind *ret_kind) {
        if (!name)
                return false;
        for (FdStoreKind k = 0; k < _FDSTORE_KIND_MAX; k++) {
                size_t n = strlen(fdstore_kind_names[k]);
                char tail;

                if (strncmp(name, fdstore_kind_names[k], n) == 0 && name[n] == '-' &&
                    sscanf(name + n + 1, "%" SCNu64 "%c", ret_id, &tail) == 1 && *ret_id > 0) {
                        *ret_kind = k;
                        return true;
                }
        }
        return false;
}

int fdstore_restore(Manager *m) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ StoredFd *stored = NULL;
        size_t n_stored = 0;
        int n, restored = 0;

        n = sd_listen_fds_with_names(true, &names);
        if (n <= 0)
                return n;

        /* Each process comes back as "state-<id>" and the other kinds it
         * kept (a pidfd unless the store dropped it); anything else is closed.
         * Sorted by id, those of a process stand side by side: linear in the
         * (many) descriptors. */
        stored = calloc((size_t) n, sizeof(StoredFd));
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                uint64_t id;
                FdStoreKind kind;

                if (stored && names && parse_name(names[i], &id, &kind))
                        stored[n_stored++] = (StoredFd) { id, kind, fd };
                else
                        close(fd);
        }
        if (n_stored > 0)
                qsort(stored, n_stored, sizeof(StoredFd), stored_fd_compare);

        for (size_t i = 0; i < n_stored;) {
                FdStoreSet set = { .id = stored[i].id };
                int r;

                for (FdStoreKind k = 0; k < _FDSTORE_KIND_MAX; k++)
                        set.fds[k] = -1;
                for (; i < n_stored && stored[i].id == set.id; i++) {
                        if (set.fds[stored[i].kind] >= 0)
                                close(stored[i].fd); /* a second one of a kind */
                        else
                                set.fds[stored[i].kind] = stored[i].fd;
                }
                r = restore_one(m, &set);
                if (r < 0) {
                        log_warning_errno(r, "Failed to restore process %" PRIu64 ": %m", set.id);
                        continue;
                }
                restored++;
        }
        if (restored > 0)
                log_info("Restored %d processes from the file descriptor store", restored);
        return restored;
}
