/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup v2: finding the daemon's subtree, one cgroup per process, and what
 * is read from and written to cgroupfs (cgroup.h says what and why).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <search.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "macro.h"
#include "procfs.h"

#define DAEMON_LEAF "daemon"
#define PROCESS_PREFIX "process-"

/* --- Reading and writing cgroupfs files ------------------------------------ */

static ssize_t read_at(int dir_fd, const char *file, char *buf, size_t size) {
        int fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                n = -errno;
        else
                buf[n] = '\0';
        close(fd);
        return n;
}

static int write_at(int dir_fd, const char *file, const char *value) {
        int fd = openat(dir_fd, file, O_WRONLY | O_TRUNC | O_CLOEXEC), r = 0; /* O_TRUNC: as `echo >`; cgroupfs ignores it */

        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* "key value" lines (cgroup.events, cpu.stat): the value of key. */
static int keyed_value(const char *text, const char *key, uint64_t *ret) {
        size_t n = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, n) == 0 && l[n] == ' ') {
                        *ret = strtoull(l + n + 1, NULL, 10);
                        return 0;
                }
        return -ENOENT;
}

static void cg_file(const Cgroup *cg, const char *file, char *buf, size_t size) {
        snprintf(buf, size, "%s/%s", cg->name, file);
}

/* --- Finding the subtree --------------------------------------------------- */

/* The mount point of cgroup2 (field 5 of a mountinfo line whose type, after
 * " - ", is cgroup2); /sys/fs/cgroup preferred when there are several. */
static char *find_cgroup2_mount(void) {
        FILE *f = procfs_fopen(0, "mountinfo");
        char *line = NULL, *found = NULL;
        size_t size = 0;

        if (!f)
                return NULL;
        while (getline(&line, &size, f) > 0) {
                char mnt[PATH_MAX], *sep = strstr(line, " - ");
                if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
                        continue;
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
                        continue;
                if (!found || strcmp(mnt, "/sys/fs/cgroup") == 0) {
                        free(found);
                        found = strdup(mnt);
                }
        }
        free(line);
        fclose(f);
        return found;
}

int cgroup_of_pid(pid_t pid, char **ret) {
        char *line = NULL;
        size_t size = 0;
        FILE *f;
        int r = -ENOENT;

        f = procfs_fopen(pid, "cgroup");
        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0)
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        *ret = strdup(line + 3);
                        r = *ret ? 0 : -ENOMEM;
                        break;
                }
        free(line);
        fclose(f);
        return r;
}

static bool path_valid(const char *p) {
        return p[0] == '/' && !strstr(p, "/../") && !strstr(p, "/./") && strlen(p) < PATH_MAX / 2 &&
               !(strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0);
}

/* Makes, joins nothing, and removes a cgroup: proof that the subtree is ours. */
static int probe_cgroup(CgroupSupport *s) {
        char name[64], file[96];
        int fd, r = 0;

        snprintf(name, sizeof(name), "probe-%d", (int) getpid());
        if (mkdirat(s->subtree_fd, name, 0755) < 0 && errno != EEXIST)
                return -errno;
        snprintf(file, sizeof(file), "%s/cgroup.procs", name);
        fd = openat(s->subtree_fd, file, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                r = -errno;
        safe_close(fd);
        snprintf(file, sizeof(file), "%s/cgroup.events", name);
        if (r >= 0 && faccessat(s->subtree_fd, file, R_OK, 0) < 0)
                r = -errno;
        snprintf(file, sizeof(file), "%s/cgroup.kill", name);
        s->kill = faccessat(s->subtree_fd, file, W_OK, 0) == 0;
        if (unlinkat(s->subtree_fd, name, AT_REMOVEDIR) < 0 && r >= 0)
                r = -errno;
        return r;
}

static const struct {
        CgroupController bit;
        const char *name;
} controllers[] = {
        { CGROUP_CONTROLLER_MEMORY, "memory" },
        { CGROUP_CONTROLLER_PIDS, "pids" },
        { CGROUP_CONTROLLER_CPU, "cpu" },
};

static unsigned controllers_in(const char *text) {
        unsigned bits = 0;

        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                size_t n = strlen(controllers[i].name);
                for (const char *w = text; (w = strstr(w, controllers[i].name)); w += n)
                        if ((w == text || w[-1] == ' ') && (w[n] == ' ' || w[n] == '\n' || w[n] == '\0'))
                                bits |= controllers[i].bit;
        }
        return bits;
}

/* Enables for the processes' cgroups every controller of ours that the
 * subtree has (possible once no process is in the subtree's own cgroup). */
static void enable_controllers(CgroupSupport *s) {
        char text[512], word[32];

        if (read_at(s->subtree_fd, "cgroup.controllers", text, sizeof(text)) >= 0) {
                unsigned available = controllers_in(text);
                for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
                        if (available & controllers[i].bit) {
                                snprintf(word, sizeof(word), "+%s", controllers[i].name);
                                (void) write_at(s->subtree_fd, "cgroup.subtree_control", word);
                        }
        }
        if (read_at(s->subtree_fd, "cgroup.subtree_control", text, sizeof(text)) >= 0)
                s->controllers = controllers_in(text);
}

static int probe(CgroupSupport *s, const char *setting) {
        _cleanup_free_ char *own = NULL, *dir = NULL;
        int r;

        s->mount = find_cgroup2_mount();
        if (!s->mount)
                return log_info_errno(ENOENT, "No cgroup v2 hierarchy is mounted: processes run without cgroups");
        r = cgroup_of_pid(getpid(), &own);
        if (r < 0)
                return log_info_errno(r, "Cannot read the daemon's own cgroup (%m): processes run without cgroups");

        if (setting) {
                if (!path_valid(setting))
                        return log_warning_errno(EINVAL, "--cgroup=%s is not a cgroup path: processes run without cgroups",
                                                 setting);
                s->subtree = strdup(setting);
        } else {
                /* The root of the hierarchy is nobody's to delegate. */
                if (strcmp(own, "/") == 0)
                        return log_info_errno(EPERM, "procctld runs in the root cgroup, which is not its own to divide "
                                                     "(Delegate=yes or --cgroup=PATH): processes run without cgroups");
                /* Started again after a restart: our own cgroup is the leaf we moved into. */
                size_t n = strlen(own), m = strlen("/" DAEMON_LEAF);
                if (n > m && strcmp(own + n - m, "/" DAEMON_LEAF) == 0)
                        own[n - m] = '\0';
                s->subtree = strdup(own);
        }
        if (!s->subtree || asprintf(&dir, "%s%s", s->mount, strcmp(s->subtree, "/") == 0 ? "" : s->subtree) < 0)
                return -ENOMEM;
        s->subtree_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (s->subtree_fd < 0)
                return log_info_errno(errno, "Cannot open the cgroup %s (%m): processes run without cgroups", dir);

        /* Out of the subtree's own cgroup into a leaf, so that the processes'
         * cgroups beside it may have controllers. */
        if (strcmp(own, s->subtree) == 0 || (strncmp(own, s->subtree, strlen(s->subtree)) == 0 &&
                                             strcmp(own + strlen(s->subtree), "/" DAEMON_LEAF) == 0)) {
                if (mkdirat(s->subtree_fd, DAEMON_LEAF, 0755) < 0 && errno != EEXIST)
                        return log_info_errno(errno, "Cannot make the cgroup %s/" DAEMON_LEAF " (%m): processes run "
                                                     "without cgroups", dir);
                r = write_at(s->subtree_fd, DAEMON_LEAF "/cgroup.procs", "0");
                if (r < 0)
                        return log_info_errno(r, "Cannot move into the cgroup %s/" DAEMON_LEAF " (%m): processes run "
                                                 "without cgroups", dir);
        }
        /* Made now, so that the daemon's descriptors are the same before
         * and after its first process. */
        s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (s->inotify_fd < 0)
                return log_info_errno(errno, "Cannot watch cgroups with inotify (%m): processes run without cgroups");
        r = probe_cgroup(s);
        if (r < 0)
                return log_info_errno(r, "Cannot make cgroups in %s (%m): processes run without cgroups", dir);
        enable_controllers(s);
        return 0;
}

void cgroup_probe(CgroupSupport *ret, const char *setting) {
        *ret = (CgroupSupport) { .subtree_fd = -1, .inotify_fd = -1 };
        if (setting && strcmp(setting, "no") == 0)
                return;
        if (probe(ret, setting) < 0) {
                cgroup_support_done(ret);
                return;
        }
        ret->usable = true;
}

void cgroup_support_done(CgroupSupport *s) {
        s->spare = cgroup_free(s->spare);
        while (s->abandoned.head)
                cgroup_free(s->abandoned.head);
        free(s->mount);
        free(s->subtree);
        safe_close(s->subtree_fd);
        sd_event_source_disable_unref(s->inotify_source);
        safe_close(s->inotify_fd);
        *s = (CgroupSupport) { .subtree_fd = -1, .inotify_fd = -1 };
}

const char *cgroup_feature_name(const CgroupSupport *s) {
        return s->usable ? "cgroup" : NULL;
}

/* The id of "process-<id>" at the start of name (0: none), *ret_end after it. */
static uint64_t process_id_of_name(const char *name, const char **ret_end) {
        const char *p = name + strlen(PROCESS_PREFIX);
        uint64_t id = 0;

        *ret_end = name;
        if (strncmp(name, PROCESS_PREFIX, strlen(PROCESS_PREFIX)) != 0 || *p < '1' || *p > '9')
                return 0;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (id > (UINT64_MAX - 9) / 10)
                        return 0;
                id = id * 10 + (uint64_t) (*p - '0');
        }
        *ret_end = p;
        return id;
}

uint64_t cgroup_process_id_of_path(const CgroupSupport *s, const char *path) {
        size_t n = strcmp(s->subtree, "/") == 0 ? 0 : strlen(s->subtree);
        const char *p;
        uint64_t id;

        if (!s->usable || strncmp(path, s->subtree, n) != 0 || strncmp(path + n, "/" PROCESS_PREFIX, 9) != 0)
                return 0;
        id = process_id_of_name(path + n + 1, &p);
        return *p == '\0' || *p == '/' ? id : 0;
}

void cgroup_sweep(CgroupSupport *s, bool (*tracked)(uint64_t id, void *userdata), void *userdata) {
        struct dirent *de;
        const char *end;
        uint64_t id;
        int fd;
        DIR *d;

        if (!s->usable)
                return;
        fd = openat(s->subtree_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                log_debug_errno(errno, "Cannot list the cgroup %s: %m", s->subtree);
                safe_close(fd);
                return;
        }
        while ((de = readdir(d))) {
                id = process_id_of_name(de->d_name, &end);
                if (id == 0 || *end != '\0' || tracked(id, userdata))
                        continue;
                if (unlinkat(s->subtree_fd, de->d_name, AT_REMOVEDIR) < 0)
                        log_warning_errno(errno, "Left the cgroup %s/%s as it was, no process of ours: %m", s->subtree,
                                          de->d_name);
        }
        closedir(d);
}

/* --- Limits ----------------------------------------------------------------- */

const char *cgroup_limits_missing_controller(const CgroupSupport *s, const CgroupLimits *l) {
        if (l->memory_max != UINT64_MAX && !(s->controllers & CGROUP_CONTROLLER_MEMORY))
                return "memory";
        if (l->tasks_max != UINT64_MAX && !(s->controllers & CGROUP_CONTROLLER_PIDS))
                return "pids";
        if ((l->cpu_weight != 0 || l->cpu_quota != UINT64_MAX) && !(s->controllers & CGROUP_CONTROLLER_CPU))
                return "cpu";
        return NULL;
}

int cgroup_limits_write(int dir_fd, const CgroupLimits *l) {
        char value[64];
        int r;

        if (l->memory_max != UINT64_MAX) {
                snprintf(value, sizeof(value), "%" PRIu64, l->memory_max);
                if ((r = write_at(dir_fd, "memory.max", value)) < 0)
                        return r;
        }
        if (l->tasks_max != UINT64_MAX) {
                snprintf(value, sizeof(value), "%" PRIu64, l->tasks_max);
                if ((r = write_at(dir_fd, "pids.max", value)) < 0)
                        return r;
        }
        if (l->cpu_weight != 0) {
                snprintf(value, sizeof(value), "%" PRIu64, l->cpu_weight);
                if ((r = write_at(dir_fd, "cpu.weight", value)) < 0)
                        return r;
        }
        if (l->cpu_quota != UINT64_MAX) {
                /* µs per second of wall time, as quota per a period of 1 s. */
                snprintf(value, sizeof(value), "%" PRIu64 " 1000000", l->cpu_quota);
                if ((r = write_at(dir_fd, "cpu.max", value)) < 0)
                        return r;
        }
        return 0;
}

/* --- One process's cgroup ---------------------------------------------------- */

static int read_events(Cgroup *cg, bool *ret_populated, bool *ret_frozen) {
        char file[96], text[256];
        uint64_t v;
        ssize_t n;

        cg_file(cg, "cgroup.events", file, sizeof(file));
        n = read_at(cg->support->subtree_fd, file, text, sizeof(text));
        if (n < 0)
                return (int) n;
        *ret_populated = keyed_value(text, "populated", &v) >= 0 && v != 0;
        *ret_frozen = keyed_value(text, "frozen", &v) >= 0 && v != 0;
        return 0;
}

static bool is_abandoned(Cgroup *cg) {
        return cg->abandoned_next || cg->abandoned_prev || cg->support->abandoned.head == cg;
}

static void on_events(Cgroup *cg) {
        bool populated, frozen, emptied, frozen_changed;

        if (read_events(cg, &populated, &frozen) < 0)
                return;
        emptied = cg->populated && !populated;
        frozen_changed = cg->frozen != frozen;
        cg->populated = populated;
        cg->frozen = frozen;
        if (is_abandoned(cg)) {
                if (!populated)
                        cgroup_free(cg); /* removes it, empty now */
                return;
        }
        if ((emptied || frozen_changed) && cg->changed)
                cg->changed(cg, emptied, frozen_changed, cg->userdata);
}

static int wd_compare(const void *a, const void *b) {
        int x = ((const Cgroup *) a)->wd, y = ((const Cgroup *) b)->wd;
        return x < y ? -1 : x > y;
}

/* The kernel tells of a change of cgroup.events as an inotify IN_MODIFY
 * (kernfs_notify()), as systemd watches it: one descriptor for all
 * cgroups, where EPOLLPRI on each file would cost a descriptor per process
 * and halve the processes the descriptor limit leaves room for. */
static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CgroupSupport *support = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        for (;;) {
                n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        return 0;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        Cgroup key = { .wd = e->wd };
                        void **found = tfind(&key, &support->watches, wd_compare);

                        p += sizeof(*e) + e->len;
                        if (found && (e->mask & IN_MODIFY))
                                on_events(*found);
                }
        }
}

/* How often a cgroup whose watch the kernel refused is read instead. */
#define CGROUP_POLL_USEC (500 * 1000)

static int on_poll(sd_event_source *source, uint64_t usec, void *userdata) {
        Cgroup *cg = userdata;

        (void) sd_event_source_set_time_relative(source, CGROUP_POLL_USEC);
        (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        on_events(cg); /* may free cg, and this source with it */
        return 0;
}

/* The kernel refused an inotify watch (the user's fs.inotify.max_user_watches
 * is reached, say): cgroup.events is read every CGROUP_POLL_USEC instead, for
 * this cgroup, until it is removed.  Better late than never: without it the
 * end of what a main process left would go unnoticed. */
static int watch_by_polling(Cgroup *cg, int error) {
        CgroupSupport *s = cg->support;
        int r;

        r = sd_event_add_time_relative(s->event, &cg->poll_source, CLOCK_MONOTONIC, CGROUP_POLL_USEC, 0, on_poll, cg);
        if (r < 0)
                return -error;
        if (!s->warned_polling)
                log_warning_errno(error, "Cannot watch the cgroup %s through inotify (%m; fs.inotify.max_user_watches?): "
                                         "such cgroups are read every %d ms instead",
                                  cg->path, CGROUP_POLL_USEC / 1000);
        s->warned_polling = true;
        (void) read_events(cg, &cg->populated, &cg->frozen);
        return 0;
}

int cgroup_watch(Cgroup *cg) {
        CgroupSupport *s = cg->support;
        char file[PATH_MAX];
        int r;

        if (cg->wd >= 0 || cg->poll_source || cg->removed)
                return 0;
        if (!s->inotify_source) {
                r = sd_event_add_io(s->event, &s->inotify_source, s->inotify_fd, EPOLLIN, on_inotify, s);
                if (r < 0)
                        return r;
        }
        snprintf(file, sizeof(file), "%s%s/cgroup.events", s->mount, cg->path);
        cg->wd = inotify_add_watch(s->inotify_fd, file, IN_MODIFY);
        if (cg->wd < 0)
                return watch_by_polling(cg, errno);
        if (!tsearch(cg, &s->watches, wd_compare)) {
                (void) inotify_rm_watch(s->inotify_fd, cg->wd);
                cg->wd = -1;
                return -ENOMEM;
        }
        /* What it is now: a change before the watch made no event. */
        (void) read_events(cg, &cg->populated, &cg->frozen);
        return 0;
}

static void unwatch_events(Cgroup *cg) {
        cg->poll_source = sd_event_source_disable_unref(cg->poll_source);
        if (cg->wd < 0)
                return;
        (void) tdelete(cg, &cg->support->watches, wd_compare);
        (void) inotify_rm_watch(cg->support->inotify_fd, cg->wd);
        cg->wd = -1;
}

/* "<subtree>/process-<id>", the one cgroup process id has; NULL: no memory. */
static char *process_cgroup_path(const CgroupSupport *s, uint64_t id) {
        char *path;

        if (asprintf(&path, "%s/" PROCESS_PREFIX "%" PRIu64, strcmp(s->subtree, "/") == 0 ? "" : s->subtree, id) < 0)
                return NULL;
        return path;
}

/* A Cgroup for path (taken; NULL: no memory), nothing open yet. */
static Cgroup *cgroup_alloc(char *path) {
        Cgroup *cg;

        if (!path)
                return NULL;
        cg = calloc(1, sizeof(Cgroup));
        if (!cg) {
                free(path);
                return NULL;
        }
        cg->path = path;
        cg->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        cg->dir_fd = -1;
        cg->wd = -1;
        return cg;
}

/* mkdir "process-<id>" in the subtree, nothing opened. */
static int cgroup_make(CgroupSupport *s, uint64_t id, Cgroup **ret) {
        Cgroup *cg;
        int r;

        cg = cgroup_alloc(process_cgroup_path(s, id));
        if (!cg)
                return -ENOMEM;
        cg->support = s;
        if (mkdirat(s->subtree_fd, cg->name, 0755) < 0) {
                r = -errno;
                free(cg->path);
                free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}

int cgroup_prepare(CgroupSupport *s, sd_event *event, uint64_t id) {
        int r;

        if (!s->usable || (s->spare && s->spare_id == id))
                return 0;
        s->spare = cgroup_free(s->spare);
        s->event = event;
        r = cgroup_make(s, id, &s->spare); /* opened when taken: no descriptor held meanwhile */
        if (r < 0)
                return log_debug_errno(r, "Failed to make a cgroup ahead: %m");
        s->spare_id = id;
        return 0;
}

void cgroup_drop_spare(CgroupSupport *s) {
        s->spare = cgroup_free(s->spare);
}

int cgroup_new(CgroupSupport *s, sd_event *event, uint64_t id, const CgroupLimits *limits, Cgroup **ret) {
        Cgroup *cg;
        int r;

        if (!s->usable)
                return -EOPNOTSUPP;
        s->event = event;
        if (s->spare && s->spare_id == id)
                cg = TAKE_PTR(s->spare);
        else {
                s->spare = cgroup_free(s->spare); /* its id went to another (Adopt) */
                r = cgroup_make(s, id, &cg);
                if (r < 0)
                        return r;
        }
        r = cgroup_reopen(cg);
        if (r >= 0 && limits)
                r = cgroup_limits_write(cg->dir_fd, limits);
        if (r < 0) {
                cgroup_free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}

Cgroup *cgroup_record_new(const char *path, bool removed, uint64_t cpu_usage_nsec) {
        Cgroup *cg = cgroup_alloc(strdup(path));

        if (!cg)
                return NULL;
        cg->removed = removed;
        cg->killed = true; /* whether it was is not recorded: as if */
        cg->cpu_usage_nsec = cpu_usage_nsec;
        return cg;
}

int cgroup_reattach(CgroupSupport *s, sd_event *event, uint64_t id, Cgroup *cg) {
        _cleanup_free_ char *expected = NULL;
        struct stat st;
        int r;

        if (!s->usable)
                return -EOPNOTSUPP;
        /* Only the cgroup cgroup_new() would make for id: below our subtree,
         * one component, nothing a forged or stale record could point elsewhere with. */
        expected = process_cgroup_path(s, id);
        if (!expected)
                return -ENOMEM;
        if (strcmp(cg->path, expected) != 0)
                return -EINVAL;
        cg->support = s;
        if (cg->removed)
                return 0; /* its CPU time is all that is left */
        if (fstatat(s->subtree_fd, cg->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno != ENOENT)
                        return -errno;
                cg->removed = true; /* gone while we were down: the CPU time recorded last stays */
                return 0;
        }
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        s->event = event;
        r = cgroup_watch(cg); /* and its state read */
        if (r < 0)
                return r;
        (void) cgroup_cpu_usage_nsec(cg);
        return 0;
}

int cgroup_reopen(Cgroup *cg) {
        if (cg->removed)
                return -ENOENT;
        safe_close(cg->dir_fd);
        cg->dir_fd = openat(cg->support->subtree_fd, cg->name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        return cg->dir_fd < 0 ? -errno : 0;
}

Cgroup *cgroup_free(Cgroup *cg) {
        if (!cg)
                return NULL;
        if (!cg->support) {
                /* A record never reattached: nothing of it is open. */
                free(cg->path);
                free(cg);
                return NULL;
        }
        if (is_abandoned(cg))
                LIST_REMOVE(abandoned, cg->support->abandoned, cg);
        (void) cgroup_remove(cg);
        unwatch_events(cg);
        safe_close(cg->dir_fd);
        free(cg->path);
        free(cg);
        return NULL;
}

int cgroup_remove(Cgroup *cg) {
        if (cg->removed)
                return 0;
        cg->cpu_usage_nsec = cgroup_cpu_usage_nsec(cg);
        if (unlinkat(cg->support->subtree_fd, cg->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return log_debug_errno(errno, "Cannot remove the cgroup %s yet: %m", cg->path);
        cg->removed = true;
        cg->populated = false;
        unwatch_events(cg);
        cg->dir_fd = safe_close(cg->dir_fd);
        return 0;
}

void cgroup_abandon(Cgroup *cg) {
        if (!cg || !cg->support) {
                cgroup_free(cg);
                return;
        }
        cg->changed = NULL;
        cg->dir_fd = safe_close(cg->dir_fd);
        if (cg->removed || cgroup_remove(cg) >= 0) {
                cgroup_free(cg);
                return;
        }
        /* Populated: the kernel says when it has emptied (on_events).  Not
         * watched yet (its child never became a process's): from now. */
        if (cg->wd < 0 && cgroup_watch(cg) < 0)
                log_warning("Cannot watch the cgroup %s: it stays until the daemon exits", cg->path);
        LIST_APPEND(abandoned, cg->support->abandoned, cg);
        (void) cgroup_set_frozen(cg, false);
        (void) cgroup_signal(cg, SIGKILL);
        if (cgroup_remove(cg) >= 0)
                cgroup_free(cg);
}

bool cgroup_is_populated(Cgroup *cg) {
        bool populated = false, frozen;

        if (cg->removed)
                return false;
        if (read_events(cg, &populated, &frozen) < 0)
                return cg->populated;
        cg->populated = populated;
        return populated;
}

/* Each member, by a pidfd taken before its cgroup is checked: a PID read
 * from cgroup.procs may have been reused by then, a pidfd's process cannot
 * change.  Without pidfd_open (an old kernel, seccomp): by PID. */
static void signal_member(const Cgroup *cg, pid_t pid, int sig) {
        _cleanup_free_ char *path = NULL;
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        size_t n = strlen(cg->path);

        if (cgroup_of_pid(pid, &path) < 0 || strncmp(path, cg->path, n) != 0 || (path[n] != '\0' && path[n] != '/')) {
                safe_close(pidfd);
                return;
        }
        if (pidfd >= 0) {
                (void) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
                close(pidfd);
        } else
                (void) kill(pid, sig);
}

static int signal_members(Cgroup *cg, int sig) {
        char file[96];
        FILE *f;
        int fd, pid;

        cg_file(cg, "cgroup.procs", file, sizeof(file));
        fd = openat(cg->support->subtree_fd, file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        while (fscanf(f, "%d", &pid) == 1)
                if (pid > 0)
                        signal_member(cg, pid, sig);
        fclose(f);
        return 0;
}

int cgroup_signal(Cgroup *cg, int sig) {
        char file[96];

        if (cg->removed)
                return -ESRCH;
        if (sig == SIGKILL && cg->support->kill) {
                cg_file(cg, "cgroup.kill", file, sizeof(file));
                cg->killed = true;
                if (write_at(cg->support->subtree_fd, file, "1") >= 0)
                        return 0;
        }
        return signal_members(cg, sig);
}

int cgroup_set_frozen(Cgroup *cg, bool frozen) {
        char file[96];

        if (cg->removed)
                return -ESRCH;
        cg_file(cg, "cgroup.freeze", file, sizeof(file));
        return write_at(cg->support->subtree_fd, file, frozen ? "1" : "0");
}

static uint64_t read_u64(Cgroup *cg, const char *name, const char *key, uint64_t fallback) {
        char file[96], text[1024];
        uint64_t v;

        if (cg->removed)
                return fallback;
        cg_file(cg, name, file, sizeof(file));
        if (read_at(cg->support->subtree_fd, file, text, sizeof(text)) < 0)
                return fallback;
        if (key)
                return keyed_value(text, key, &v) >= 0 ? v : fallback;
        return strncmp(text, "max", 3) == 0 ? fallback : strtoull(text, NULL, 10);
}

uint64_t cgroup_cpu_usage_nsec(Cgroup *cg) {
        uint64_t usec;

        if (cg->removed)
                return cg->cpu_usage_nsec;
        usec = read_u64(cg, "cpu.stat", "usage_usec", UINT64_MAX);
        if (usec != UINT64_MAX)
                cg->cpu_usage_nsec = usec > UINT64_MAX / 1000 ? UINT64_MAX : usec * 1000;
        return cg->cpu_usage_nsec;
}

uint64_t cgroup_memory_current(Cgroup *cg) {
        return read_u64(cg, "memory.current", NULL, UINT64_MAX);
}

uint64_t cgroup_tasks_current(Cgroup *cg) {
        char file[96];
        uint64_t n = 0;
        FILE *f;
        int fd, c;

        if (cg->removed)
                return 0;
        n = read_u64(cg, "pids.current", NULL, UINT64_MAX);
        if (n != UINT64_MAX)
                return n;
        /* No pids controller: count the lines of cgroup.threads. */
        n = 0;
        cg_file(cg, "cgroup.threads", file, sizeof(file));
        fd = openat(cg->support->subtree_fd, file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return 0;
        }
        while ((c = fgetc(f)) != EOF)
                if (c == '\n')
                        n++;
        fclose(f);
        return n;
}
