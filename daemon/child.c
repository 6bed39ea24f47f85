/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

SpawnStage child_switch_identity(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups) {
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        /* Raw syscalls: glibc's wrappers would signal every thread of the
         * process to change too, which a vfork-style child must not do. */
        if (syscall(SYS_setgroups, n_groups, groups) < 0)
                return SPAWN_STAGE_SETGROUPS;
        if (syscall(SYS_setresgid, gid, gid, gid) < 0)
                return SPAWN_STAGE_SETRESGID;
        if (syscall(SYS_setresuid, uid, uid, uid) < 0)
                return SPAWN_STAGE_SETRESUID;
        if (syscall(SYS_getresuid, &ru, &eu, &su) < 0 || syscall(SYS_getresgid, &rg, &eg, &sg) < 0 || ru != uid ||
            eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
                errno = EPERM;
                return SPAWN_STAGE_VERIFY_IDENTITY;
        }
        return SPAWN_STAGE_NONE;
}

static void copy_string(char *dst, size_t size, const char *src) {
        size_t n = strnlen(src, size - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

/* Records the "#!" interpreter of a file exec could not find, reading it with
 * the child's own credentials. */
static void note_interpreter(SpawnFailure *f, const char *file) {
        char buf[sizeof(f->interpreter) + 2];
        size_t i = 2, j = 0;
        ssize_t n;
        int fd;

        fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return;
        f->exists = true;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 3 || buf[0] != '#' || buf[1] != '!')
                return;

        while (i < (size_t) n && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
        while (i < (size_t) n && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && j < sizeof(f->interpreter) - 1)
                f->interpreter[j++] = buf[i++];
        f->interpreter[j] = '\0';
}

void child_exec(char *const *candidates, char *const *argv, char *const *envp, SpawnFailure *f) {
        int error = ENOENT, error_at = 0;
        bool seen_eacces = false;

        for (int i = 0; candidates[i]; i++) {
                int e;

                execve(candidates[i], argv, envp);
                e = errno;

                switch (e) {
                case ENOENT:
                        note_interpreter(f, candidates[i]);
                        if (f->exists) {
                                f->stage = SPAWN_STAGE_EXEC;
                                f->error = ENOENT;
                                copy_string(f->file, sizeof(f->file), candidates[i]);
                                return;
                        }
                        break;
                case EACCES:
                        if (!seen_eacces) {
                                seen_eacces = true;
                                error = EACCES;
                                error_at = i;
                        }
                        continue;
                case ENOTDIR:
                case ESTALE:
                case ENODEV:
                case ETIMEDOUT:
                        break;
                default:
                        f->stage = SPAWN_STAGE_EXEC;
                        f->error = e;
                        copy_string(f->file, sizeof(f->file), candidates[i]);
                        return;
                }
                if (!seen_eacces) {
                        error = e;
                        error_at = i;
                }
        }
        /* Last: with shared memory, the daemon takes a stage set as a failure. */
        f->stage = SPAWN_STAGE_EXEC;
        f->error = error;
        copy_string(f->file, sizeof(f->file), candidates[error_at] ?: "");
}
