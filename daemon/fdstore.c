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
                /* Unknown keys (and kill-on-disconnect: the connection is not ours to
                 * find again) are skipped, so an older daemon reads a newer state. */
        }
        if (r < 0)
                return r;
        if (p->id == 0 || p->pid <= 0 || !p->argv || !p->executable || !p->working_directory)
                return -EBADMSG;
        return 0;
}

static int notify_with_fd(const char *state, int fd) {
        return sd_pid_notify_with_fds(0, false, state, &fd, 1);
}

void fdstore_save(Manager *m, Process *p) {
        _cleanup_free_ char *buf = NULL;
        char name[128];
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
        if (!is_new || p->pidfd < 0)
                return; /* the store has both already; the memfd's content is now current */

        /* FDPOLL=0: a pidfd hangs up once its process is reaped, and the
         * store would drop it; the exit status must survive just the same. */
        snprintf(name, sizeof(name), "FDSTORE=1\nFDPOLL=0\nFDNAME=pidfd-%" PRIu64, p->id);
        r = notify_with_fd(name, p->pidfd);
        if (r < 0)
                goto fail;
        snprintf(name, sizeof(name), "FDSTORE=1\nFDPOLL=0\nFDNAME=state-%" PRIu64, p->id);
        r = notify_with_fd(name, p->state_fd);
        if (r < 0)
                goto fail;
        return;
fail:
        log_warning_errno(r, "Failed to keep process %" PRIu64 " in the file descriptor store: %m", p->id);
}

void fdstore_forget(Manager *m, Process *p) {
        char msg[128];

        if (!m->fd_store || p->state_fd < 0)
                return;
        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=pidfd-%" PRIu64, p->id);
        (void) sd_notify(false, msg);
        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=state-%" PRIu64, p->id);
        (void) sd_notify(false, msg);
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
        uint64_t id;
        int state_fd;
        const char *buf;
        size_t size;
} Stored;

static int describe_restored(Process *p, void *userdata) {
        Stored *st = userdata;
        int r;

        p->state_fd = TAKE_FD(st->state_fd);
        r = fdstore_deserialize(p, st->buf, st->size);
        if (r >= 0 && p->id != st->id)
                r = -EBADMSG;
        /* Not our child any more: a running one is watched through its pidfd
         * (a process that exited while we were down shows up readable at
         * once), like an adopted one. */
        return r;
}

/* Takes ownership of both descriptors, whatever happens. */
static int restore_one(Manager *m, uint64_t id, int pidfd, int state_fd) {
        _cleanup_free_ char *buf = NULL;
        Stored st = { .id = id };
        Process *p;
        int r;

        st.state_fd = spawn_move_fd_high(state_fd);
        pidfd = spawn_move_fd_high(pidfd);
        r = read_state(st.state_fd, &buf, &st.size);
        if (r < 0) {
                safe_close(pidfd);
                safe_close(st.state_fd);
                return r;
        }
        st.buf = buf;
        r = process_track(m, id, 0, pidfd, false, describe_restored, &st, &p);
        safe_close(st.state_fd); /* unless the process took it */
        if (r < 0)
                return r;
        manager_announce_process(m, p);
        return 0;
}

typedef struct StoredFd {
        uint64_t id;
        bool is_state; /* "state-<id>", else "pidfd-<id>" */
        int fd;
} StoredFd;

static int stored_fd_compare(const void *a, const void *b) {
        const StoredFd *x = a, *y = b;
        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return (int) x->is_state - (int) y->is_state;
}

int fdstore_restore(Manager *m) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ StoredFd *stored = NULL;
        size_t n_stored = 0;
        int n, restored = 0;

        n = sd_listen_fds_with_names(true, &names);
        if (n <= 0)
                return n;

        /* Each process comes back as "state-<id>" and, unless the store dropped
         * it, "pidfd-<id>"; anything else is closed.  Sorted by id, the two of
         * a process stand side by side: linear in the (many) descriptors. */
        stored = calloc((size_t) n, sizeof(StoredFd));
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                uint64_t id;

                if (stored && names && names[i] && sscanf(names[i], "state-%" SCNu64, &id) == 1)
                        stored[n_stored++] = (StoredFd) { id, true, fd };
                else if (stored && names && names[i] && sscanf(names[i], "pidfd-%" SCNu64, &id) == 1)
                        stored[n_stored++] = (StoredFd) { id, false, fd };
                else
                        close(fd);
        }
        if (n_stored > 0)
                qsort(stored, n_stored, sizeof(StoredFd), stored_fd_compare);

        for (size_t i = 0; i < n_stored; i++) {
                StoredFd *pidfd = NULL;
                int r;

                if (!stored[i].is_state && i + 1 < n_stored && stored[i + 1].is_state && stored[i + 1].id == stored[i].id)
                        pidfd = &stored[i++];
                if (!stored[i].is_state) {
                        close(stored[i].fd); /* a pidfd without its state, or a second one */
                        continue;
                }
                r = restore_one(m, stored[i].id, pidfd ? pidfd->fd : -1, stored[i].fd);
                if (r < 0) {
                        log_warning_errno(r, "Failed to restore process %" PRIu64 ": %m", stored[i].id);
                        continue;
                }
                restored++;
        }
        if (restored > 0)
                log_info("Restored %d processes from the file descriptor store", restored);
        return restored;
}
