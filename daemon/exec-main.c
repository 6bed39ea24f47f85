/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl-exec: what a child of procctld that is to run as another user
 * becomes, still as root, before it takes that user's identity.  procctld's
 * vfork-style child has already set up the session, the signals and the
 * descriptors (spawn.c); this program does the rest on memory of its own:
 * the descriptor limit, the identity, the controlling terminal (with the
 * user's credentials, so a terminal is taken only as the user could take
 * it), the umask, the working directory, the PATH search and exec.  If exec
 * fails it writes a SpawnFailure to its status pipe, which procctld reads
 * from its event loop.  It is not meant to be run by hand.
 *
 * It starts with an empty environment and takes the program's environment
 * from its arguments: the dynamic loader of this root process never sees
 * LD_PRELOAD and its like from a caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "env.h"
#include "spawn.h"

/* The request, as read from the arguments (spawn.h gives their form). */
typedef struct ExecRequest {
        uid_t uid;
        gid_t gid;
        mode_t umask;
        bool switch_identity;
        bool controlling_tty;
        bool reset_nofile;
        struct rlimit nofile;
        int status_fd;
        int exec_fd; /* the file to run, found by the daemon; -1: look file up in PATH */
        const char *working_directory;
        const char *file;
        gid_t *groups;
        size_t n_groups;
        char **argv; /* NULL-terminated, allocated */
        char **envp; /* NULL-terminated, allocated */
} ExecRequest;


static int exec_request_parse(int argc, char **argv, ExecRequest *ret) {
        unsigned long long cur, max;
        unsigned uid, gid, umask_value, flags;
        size_t n_groups, n_argv, n_env;
        int status_fd, exec_fd, consumed = 0;
        ExecRequest r = {};

        if (argc < 4 || sscanf(argv[1], "%u %u %o %u %d %d %llu %llu %zu %zu %zu%n", &uid, &gid, &umask_value,
                               &flags, &status_fd, &exec_fd, &cur, &max, &n_groups, &n_argv, &n_env, &consumed) != 11 ||
            argv[1][consumed] != '\0' || status_fd < 3 || exec_fd < -1 || n_argv == 0)
                return -EINVAL;
        if (n_groups > EXEC_MAX_GROUPS || n_argv > (size_t) argc || n_env > (size_t) argc ||
            4 + n_groups + n_argv + 1 + n_env != (size_t) argc)
                return -EINVAL;
        char **end_of_argv = argv + 4 + n_groups + n_argv;
        if (**end_of_argv != '\0')
                return -EINVAL;

        r = (ExecRequest) {
                .uid = uid,
                .gid = gid,
                .umask = (mode_t) (umask_value & 0777),
                .switch_identity = flags & EXEC_FLAG_SWITCH_IDENTITY,
                .controlling_tty = flags & EXEC_FLAG_CONTROLLING_TTY,
                .reset_nofile = flags & EXEC_FLAG_RESET_NOFILE,
                .nofile = { .rlim_cur = cur, .rlim_max = max },
                .status_fd = status_fd,
                .exec_fd = exec_fd,
                .working_directory = argv[2],
                .file = argv[3],
                .n_groups = n_groups,
        };
        /* No allocation (spawn.h): the groups go to static memory, of which
         * only what they fill is ever touched, and both lists stay in place. */
        static gid_t groups[EXEC_MAX_GROUPS];
        for (size_t i = 0; i < n_groups; i++) {
                unsigned g;
                if (sscanf(argv[4 + i], "%u%n", &g, &consumed) != 1 || argv[4 + i][consumed] != '\0')
                        return -EINVAL;
                groups[i] = g;
        }
        r.groups = groups;
        *end_of_argv = NULL;
        r.argv = argv + 4 + n_groups;
        r.envp = end_of_argv + 1; /* ended by the kernel's NULL */
        *ret = r;
        return 0;
}

static _Noreturn void fail(int status_fd, SpawnFailure *f, SpawnStage stage, int error) {
        if (stage != SPAWN_STAGE_EXEC) {
                f->stage = stage;
                f->error = error > 0 ? error : EIO;
        }
        if (status_fd >= 0)
                (void) write(status_fd, f, sizeof(*f));
        _exit(127);
}

int main(int argc, char *argv[]) {
        SpawnFailure f = {};
        ExecRequest r;
        SpawnStage stage;
        char **candidates = NULL;

        if (exec_request_parse(argc, argv, &r) < 0) {
                /* Not started by procctld, or by one of another version: say so
                 * on the status pipe, if there is one where procctld puts it. */
                int fd = -1;
                if (argc < 2 || sscanf(argv[1], "%*u %*u %*o %*u %d", &fd) != 1 || fd < 3)
                        _exit(127);
                fail(fd, &f, SPAWN_STAGE_HELPER, EINVAL);
        }
        if (fcntl(r.status_fd, F_SETFD, FD_CLOEXEC) < 0)
                fail(-1, &f, SPAWN_STAGE_HELPER, errno);
        if (r.exec_fd >= 0 && fcntl(r.exec_fd, F_SETFD, FD_CLOEXEC) < 0)
                fail(r.status_fd, &f, SPAWN_STAGE_HELPER, errno);

        /* The descriptor limit a login gets, not the daemon's raised one. */
        if (r.reset_nofile && setrlimit(RLIMIT_NOFILE, &r.nofile) < 0)
                fail(r.status_fd, &f, SPAWN_STAGE_RLIMIT, errno);

        if (r.switch_identity) {
                stage = child_switch_identity(r.uid, r.gid, r.groups, r.n_groups);
                if (stage != SPAWN_STAGE_NONE)
                        fail(r.status_fd, &f, stage, errno);
        }

        /* As the user: a terminal becomes the controlling one only where the
         * user could make it so (TIOCSCTTY as root steals terminals). */
        if (r.controlling_tty && ioctl(0, TIOCSCTTY, 0) < 0)
                fail(r.status_fd, &f, SPAWN_STAGE_TTY, errno);

        umask(r.umask);
        if (chdir(r.working_directory) < 0)
                fail(r.status_fd, &f, SPAWN_STAGE_CHDIR, errno);

        /* The file the caller was authorized for, by descriptor: no rename or
         * PATH can make it another.  A script cannot be run that way from a
         * close-on-exec descriptor (its interpreter opens it by name): by
         * path then, as the interpreter would anyway. */
        if (r.exec_fd >= 0) {
                syscall(SYS_execveat, r.exec_fd, "", r.argv, r.envp, AT_EMPTY_PATH);
                if (errno != ENOENT) {
                        f.stage = SPAWN_STAGE_EXEC;
                        f.error = errno;
                        snprintf(f.file, sizeof(f.file), "%s", r.file);
                        fail(r.status_fd, &f, SPAWN_STAGE_EXEC, f.error);
                }
        }

        /* execvp's search, as the user, through the program's own PATH (or the
         * file found already). */
        if (exec_candidates(r.file, r.exec_fd >= 0 ? NULL : env_get(r.envp, "PATH"), &candidates) < 0)
                fail(r.status_fd, &f, SPAWN_STAGE_HELPER, ENOMEM);
        child_exec(candidates, r.argv, r.envp, &f);
        fail(r.status_fd, &f, SPAWN_STAGE_EXEC, f.error);
}
