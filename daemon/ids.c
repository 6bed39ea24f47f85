/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ids.h"
#include "log.h"
#include "macro.h"

/* The recorded end of the taken ids, 0 if none (or unreadable). */
static uint64_t read_recorded(int fd) {
        char buf[32];
        uint64_t v = 0;
        ssize_t n;
        int end = 0;

        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        if (sscanf(buf, "%" SCNu64 "%n", &v, &end) != 1 || (buf[end] != '\n' && buf[end] != '\0'))
                return 0;
        return v;
}

/* Takes ids up to next + IDS_BLOCK, under a lock on the file so that two
 * daemons sharing the directory never take the same block. */
static int reserve(IdAllocator *a) {
        _cleanup_close_ int fd = -1;
        char buf[32];
        uint64_t recorded, until;
        int n;

        fd = open(a->file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0)
                return -errno;
        recorded = read_recorded(fd);
        if (recorded > a->next)
                a->next = recorded; /* another daemon took ids meanwhile */
        if (a->next > UINT64_MAX - IDS_BLOCK)
                return -EOVERFLOW;
        until = a->next + IDS_BLOCK;
        n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", until);
        if (pwrite(fd, buf, (size_t) n, 0) != n || ftruncate(fd, n) < 0)
                return -errno;
        a->reserved_until = until;
        return 0;
}

int ids_init(IdAllocator *a, const char *dir) {
        *a = (IdAllocator) { .next = 1, .reserved_until = 1 };
        if (!dir)
                return 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                log_warning_errno(errno, "Failed to create %s, process ids may repeat after a restart: %m", dir);
        if (asprintf(&a->file, "%s/next-id", dir) < 0) {
                a->file = NULL;
                return -ENOMEM;
        }
        return 0;
}

void ids_done(IdAllocator *a) {
        free(a->file);
        a->file = NULL;
}

uint64_t ids_next(IdAllocator *a) {
        if (a->next >= a->reserved_until) {
                int r = a->file ? reserve(a) : -ENOENT;
                if (r < 0) {
                        /* Still unique within this daemon; only a restart could repeat them. */
                        if (a->file && !a->warned)
                                log_warning_errno(r, "Failed to record process ids in %s, they may repeat after a restart: %m",
                                                  a->file);
                        a->warned = true;
                        a->reserved_until = a->next + IDS_BLOCK;
                }
        }
        return a->next++;
}

uint64_t ids_peek(const IdAllocator *a) {
        return a->next;
}

void ids_seen(IdAllocator *a, uint64_t id) {
        if (id < UINT64_MAX && id >= a->next)
                a->next = id + 1;
}
