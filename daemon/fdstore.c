/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fdstore.h"
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
        size_t n_argv = 0;
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
                else if (strcmp(key, "executable") == 0)
                        r = set_string(&p->executable, value);
                else if (strcmp(key, "working-directory") == 0)
                        r = set_string(&p->working_directory, value);
                else if (strcmp(key, "description") == 0)
                        r = set_string(&p->description, value);
                else if (strcmp(key, "argv") == 0) {
                        char **l = reallocarray(p->argv, n_argv + 2, sizeof(char *));
                        if (!l)
                                return -ENOMEM;
                        p->argv = l;
                        if (!(l[n_argv] = strdup(value)))
                                return -ENOMEM;
                        l[++n_argv] = NULL;
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
        return 0;
}

static const char *const fdstore_kind_names[_FDSTORE_KIND_MAX] = {
        [FDSTORE_STATE] = "state",
        [FDSTORE_PIDFD] = "pidfd",
        [FDSTORE_OUTPUT] = "output",
        [FDSTORE_OUTPUT_STDOUT] = "stdout",
        [FDSTORE_OUTPUT_STDERR] = "stderr",
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
        if (ftruncate(p->state_fd, 0) < 0 || pwrite(p->state_fd, buf, size, 0) != (ssize_t) size) {
                r = -errno;
                goto fail;
        }
        if (!is_new)
                return; /* the store has it already; the memfd's content is now current */

        fdstore_keep(m, p, FDSTORE_PIDFD, p->pidfd);
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

static int read_state(int fd, char **ret, size_t *ret_size) {
        struct stat st;
        char *buf;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0 || (uint64_t) st.st_size > STATE_MAX_SIZE)
                return -EBADMSG;
        buf = malloc((size_t) st.st_size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t) st.st_size, 0) != st.st_size) {
                free(buf);
                return -EIO;
        }
        *ret = buf;
        *ret_size = (size_t) st.st_size;
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
                r = read_state(set->fds[FDSTORE_STATE], &buf, &st.size);
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
