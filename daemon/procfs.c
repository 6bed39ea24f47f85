/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "procfs.h"

static void proc_path(char *buf, size_t size, pid_t pid, const char *name) {
        if (pid == 0)
                snprintf(buf, size, "/proc/self%s%s", name ? "/" : "", name ?: "");
        else
                snprintf(buf, size, "/proc/%d%s%s", (int) pid, name ? "/" : "", name ?: "");
}

int procfs_open_dir(pid_t pid) {
        char path[64];
        int fd;

        proc_path(path, sizeof(path), pid, NULL);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

ssize_t procfs_read_at(int dirfd, const char *name, char *buf, size_t size) {
        ssize_t n;
        int fd;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                buf[0] = '\0';
                return -errno;
        }
        n = read(fd, buf, size - 1);
        if (n < 0)
                n = -errno;
        safe_close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return n;
}

ssize_t procfs_read(pid_t pid, const char *name, char *buf, size_t size) {
        char path[96];

        proc_path(path, sizeof(path), pid, name);
        return procfs_read_at(AT_FDCWD, path, buf, size);
}

FILE *procfs_fopen(pid_t pid, const char *name) {
        char path[96];

        proc_path(path, sizeof(path), pid, name);
        return fopen(path, "re");
}

char *procfs_readlink(pid_t pid, const char *name) {
        char path[96], buf[PATH_MAX];
        ssize_t n;

        proc_path(path, sizeof(path), pid, name);
        n = readlink(path, buf, sizeof(buf) - 1);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return strdup(buf);
}

int procfs_lstat(pid_t pid, const char *name, struct stat *ret) {
        char path[96];

        proc_path(path, sizeof(path), pid, name);
        return lstat(path, ret) < 0 ? -errno : 0;
}

void procfs_foreach_process(bool (*f)(int dirfd, pid_t pid, const char *stat, void *userdata), void *userdata) {
        struct dirent *de;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        while ((de = readdir(d))) {
                char buf[1024], *p;
                bool go_on;
                int pfd;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        continue;
                /* The command name may hold anything, ')' included: the fields follow the last one. */
                p = procfs_read_at(pfd, "stat", buf, sizeof(buf)) > 0 ? strrchr(buf, ')') : NULL;
                go_on = !p || f(pfd, (pid_t) atoi(de->d_name), p + 1, userdata);
                safe_close(pfd);
                if (!go_on)
                        break;
        }
        closedir(d);
}

unsigned procfs_count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return UINT_MAX;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own descriptor */
}

int procfs_read_ids_at(int dirfd, PidfdInfo *ret) {
        char buf[4096];
        unsigned have = 0;
        PidfdInfo info = {};

        if (procfs_read_at(dirfd, "status", buf, sizeof(buf)) <= 0)
                return -ESRCH;
        for (const char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                unsigned r, e, s, fs;
                if (sscanf(line, "Uid:\t%u\t%u\t%u\t%u", &r, &e, &s, &fs) == 4) {
                        info.ruid = r, info.euid = e, info.suid = s;
                        have |= 1;
                } else if (sscanf(line, "Gid:\t%u\t%u", &r, &e) == 2) {
                        info.egid = e;
                        have |= 2;
                }
        }
        if (have != 3)
                return -ESRCH; /* a process that exited while we read */
        *ret = info;
        return 0;
}
