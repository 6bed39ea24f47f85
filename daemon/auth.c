/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "auth.h"
#include "env.h"
#include "log.h"
#include "macro.h"
#include "polkit.h"
#include "procctl-bus.h"
#include "procfs.h"

/* Joins l with sep, for a polkit detail. */
static char *strv_join(char *const *l, const char *sep) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (char *const *s = l; s && *s; s++)
                fprintf(f, "%s%s", s == l ? "" : sep, *s);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* Whether a Spawn needs org.procctl.spawn-as-user: another uid, or a primary
 * group the caller's own credentials (from the bus, peer.h) lack.  An account
 * that shares the caller's uid (useradd -o) is the caller, but its groups are
 * not the caller's. */
static bool spawn_as_other(const Peer *peer, const Identity *target) {
        return target->uid != peer->uid || !peer_has_group(peer, target->gid);
}

int auth_check_spawn(Manager *m, sd_bus_message *msg, Peer *peer, const Identity *target, const char *program,
                     int program_fd, char *const *argv, char *const *environment, sd_bus_error *error) {
        _cleanup_free_ char *command_line = NULL, *env = NULL;
        char uid[16], gid[16], binding[64];
        bool as_other;

        if (peer->uid == 0)
                return 1;

        as_other = spawn_as_other(peer, target);

        /* What the loader and libc honour only for trusted programs would run
         * the caller's code as the target, whatever program polkit allowed. */
        if (as_other)
                for (char *const *e = environment; e && *e; e++)
                        if (env_entry_unsecure(*e))
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option 'environment': %.*s may not be set for a process of another "
                                                         "user, except by root",
                                                         (int) strcspn(*e, "="), *e);

        command_line = strv_join(argv, " ");
        env = strv_join(environment, "\n");
        if (!command_line || !env)
                return -ENOMEM;
        snprintf(uid, sizeof(uid), "%u", (unsigned) target->uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned) target->gid);
        const char *details[] = { "user", target->name, "uid", uid, "gid", gid, "program", program,
                                  "command_line", command_line, "environment", env, NULL };

        /* The file as it is now: a file put in its place while polkit decides is another request. */
        if (program_fd >= 0) {
                struct stat st;
                if (fstat(program_fd, &st) < 0)
                        return -errno;
                snprintf(binding, sizeof(binding), "%llu:%llu", (unsigned long long) st.st_dev,
                         (unsigned long long) st.st_ino);
        }

        return polkit_check(m, msg, peer, as_other ? PROCCTL_ACTION_SPAWN_AS_USER : PROCCTL_ACTION_SPAWN, details,
                            program_fd >= 0 ? binding : NULL, error);
}

/* A same-uid Spawn that needed no spawn-as-user gives the child only the
 * target's supplementary groups the caller has itself: never more than the
 * caller's own fork and exec would have.  Asking spawn-as-user instead would
 * make every user an administrator's question whenever their session is
 * older than a group they were added to, or was started with fewer groups
 * (a service's SupplementaryGroups=, setpriv, newgrp): the caller keeps what
 * it has and gets a group it lacks only by naming it (`group`), which asks. */
int auth_spawn_groups(const Peer *peer, const Identity *target, gid_t **ret, size_t *ret_n) {
        gid_t *l = calloc(target->n_groups ?: 1, sizeof(gid_t));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < target->n_groups; i++)
                if (peer->uid == 0 || spawn_as_other(peer, target) || peer_has_group(peer, target->groups[i]))
                        l[n++] = target->groups[i];
        *ret = l;
        *ret_n = n;
        return 0;
}

/* What polkit is told of a process acted on, for org.procctl.manage. */
static int check_manage(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error) {
        char pid[16], owner[16], uid[16];

        snprintf(pid, sizeof(pid), "%d", (int) p->pid);
        snprintf(owner, sizeof(owner), "%u", (unsigned) p->owner_uid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) p->uid);
        const char *details[] = { "process", p->path, "pid", pid, "owner_uid", owner, "uid", uid, "program", p->executable, NULL };

        return polkit_check(m, msg, peer, PROCCTL_ACTION_MANAGE, details, NULL, error);
}

int auth_check_act(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error) {
        if (peer->uid == 0 || peer->uid == p->owner_uid)
                return 1;
        return check_manage(m, msg, peer, p, error);
}

/* The kernel's rule for kill(2): the caller's uid is the target's real or saved uid. */
static bool may_kill(uid_t caller, const PidfdInfo *target) {
        return caller == target->ruid || caller == target->suid;
}

typedef struct GroupCheck {
        pid_t pgid;
        uid_t caller;
        pid_t denied; /* a member the caller may not signal, or 0 */
} GroupCheck;

static bool check_group_member(int dirfd, pid_t pid, const char *stat, void *userdata) {
        GroupCheck *c = userdata;
        PidfdInfo ids;
        char state;
        int pgrp;

        if (sscanf(stat, " %c %*d %d", &state, &pgrp) != 2 || pgrp != c->pgid || state == 'Z')
                return true; /* not a member, or one that signals no longer reach */
        if (procfs_read_ids_at(dirfd, &ids) < 0 || may_kill(c->caller, &ids))
                return true;
        c->denied = pid;
        return false;
}

/* The owner signals only where its own kill(2) would: a process that turned
 * another user's since it was started (a setuid program that became fully
 * root) is no longer the owner's to signal.  The ids are read now, at
 * delivery; one that changes between this check and the signal is a race the
 * caller's own kill(2) would have had too. */
int auth_check_signal(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, bool group, sd_bus_error *error) {
        PidfdInfo ids;
        int r, dirfd;

        if (peer->uid == 0 || peer->uid != p->owner_uid)
                return 1; /* root, or authorized for org.procctl.manage by auth_check_act() */

        if (group && p->group_leader) {
                GroupCheck c = { .pgid = p->pid, .caller = peer->uid };
                procfs_foreach_process(check_group_member, &c);
                if (c.denied == 0)
                        return 1;
                log_debug("Process %d of the group of process %" PRIu64 " is not its owner's to signal", (int) c.denied, p->id);
                return check_manage(m, msg, peer, p, error);
        }

        if (p->pidfd >= 0)
                r = pidfd_get_info(p->pidfd, &ids);
        else {
                /* A child of ours not reaped yet: its PID is its own. */
                dirfd = procfs_open_dir(p->pid);
                r = dirfd < 0 ? -ESRCH : procfs_read_ids_at(dirfd, &ids);
                safe_close(dirfd);
        }
        if (r < 0)
                return 1; /* exited: the signal finds nothing, and says so */
        if (may_kill(peer->uid, &ids))
                return 1;
        return check_manage(m, msg, peer, p, error);
}

int auth_check_adopt(Manager *m, sd_bus_message *msg, Peer *peer, const PidfdInfo *info, sd_bus_error *error) {
        char spid[16], uid[16];

        if (peer->uid == 0 || may_kill(peer->uid, info))
                return 1;
        snprintf(spid, sizeof(spid), "%d", (int) info->pid);
        snprintf(uid, sizeof(uid), "%u", (unsigned) info->ruid);
        const char *details[] = { "pid", spid, "uid", uid, NULL };

        return polkit_check(m, msg, peer, PROCCTL_ACTION_MANAGE, details, NULL, error);
}

bool auth_may_read_process(const Peer *peer, pid_t pid, const PidfdInfo *info) {
        struct stat st;

        if (peer->uid == 0)
                return true;
        if (info->ruid != peer->uid || info->euid != peer->uid || info->suid != peer->uid)
                return false;
        /* The kernel gives a process that is not dumpable (it changed
         * credentials, or said so with prctl) to root in /proc, and refuses
         * its exe and cwd links to their own user. */
        return procfs_lstat(pid, "exe", &st) == 0 && st.st_uid == peer->uid;
}

typedef struct TerminalSearch {
        unsigned tty_nr;
        bool found;
} TerminalSearch;

static bool check_terminal(int dirfd, pid_t pid, const char *stat, void *userdata) {
        TerminalSearch *t = userdata;
        unsigned tty_nr;

        if (sscanf(stat, " %*c %*d %*d %*d %u", &tty_nr) == 1 && tty_nr == t->tty_nr)
                t->found = true;
        return !t->found;
}

/* Whether some process has the terminal rdev as its controlling terminal.
 * TIOCGSID cannot tell: it answers only for the caller's own terminal, so the
 * sessions are looked up in /proc (tty_nr, field 7 of stat, in the kernel's
 * new_encode_dev() form).  Only cross-user spawns with a terminal pay this. */
static bool terminal_in_use(dev_t rdev) {
        TerminalSearch t = { .tty_nr = (minor(rdev) & 0xffu) | (major(rdev) << 8) | ((minor(rdev) & ~0xffu) << 12) };

        int self = procfs_open_dir(0);

        if (self < 0)
                return true; /* no /proc, cannot tell: not fresh */
        safe_close(self);
        procfs_foreach_process(check_terminal, &t);
        return t.found;
}

static bool is_fresh_pty(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
                return false; /* not a /dev/pts slave (UNIX98_PTY_SLAVE_MAJOR, 136 to 143) */
        return !terminal_in_use(st.st_rdev);
}

static int refuse_terminals(const SpawnOptions *o, const Identity *id, sd_bus_error *error) {
        static const char *const stdio_names[] = { "stdin", "stdout", "stderr" };

        for (int i = 0; i < 3; i++)
                if (o->stdio[i] >= 0 && isatty(o->stdio[i]) && !is_fresh_pty(o->stdio[i]))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Option '%s' is a terminal in use, which a process of user %s may not get "
                                                 "(only a fresh pseudo-terminal)",
                                                 stdio_names[i], id->name);
        for (size_t i = 0; i < o->n_fds; i++)
                if (isatty(o->fds[i].source) && !is_fresh_pty(o->fds[i].source))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Option 'fds': descriptor %d is a terminal in use, which a process of user %s "
                                                 "may not get (only a fresh pseudo-terminal)",
                                                 o->fds[i].target, id->name);
        return 0;
}

int auth_check_spawn_identity(Manager *m, Peer *peer, const SpawnOptions *o, const Identity *id, sd_bus_error *error) {
        /* A daemon not running as root starts processes as itself only. */
        if (!m->privileged && (id->uid != geteuid() || id->gid != getegid()))
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "This procctld runs as uid %u (a per-user daemon) and can only start processes "
                                         "as itself",
                                         (unsigned) geteuid());
        /* Another user's process gets no terminal of the caller's but a fresh one. */
        if (id->uid != peer->uid)
                return refuse_terminals(o, id, error);
        return 0;
}
