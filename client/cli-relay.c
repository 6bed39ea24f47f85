/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * `procctl run` for another user at a terminal: pipes in place of our
 * terminal (see cli-relay.h).  Each direction has one buffer, filled from
 * its source only when empty and emptied into its destination when that
 * can take it, so a child that does not read its input never stops us from
 * copying its output (or reading the bus).
 */

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli-relay.h"

#define RELAY_BUFFER_SIZE (64 * 1024)

typedef struct Direction {
        int src, dst;          /* -1: not relayed */
        int child_end;         /* the pipe's end the child gets, until closed */
        bool src_ours, dst_ours;
        bool eof;              /* the source ended: close our pipe end once flushed */
        char data[RELAY_BUFFER_SIZE];
        size_t start, end;
} Direction;

enum { DIR_IN, DIR_OUT, DIR_ERR, _DIR_MAX };

struct StdioRelay {
        Direction dir[_DIR_MAX];
};

static bool same_terminal(int a, int b) {
        struct stat sa, sb;

        return isatty(a) && isatty(b) && fstat(a, &sa) >= 0 && fstat(b, &sb) >= 0 && sa.st_rdev == sb.st_rdev;
}

int stdio_relay_new(StdioRelay **ret, int child_fds[3]) {
        StdioRelay *r;
        bool any = false;

        for (int i = 0; i < 3; i++) {
                child_fds[i] = fcntl(i, F_GETFD) >= 0 ? i : -1;
                any = any || (child_fds[i] >= 0 && isatty(i));
        }
        *ret = NULL;
        if (!any)
                return 0;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        for (int i = 0; i < _DIR_MAX; i++)
                r->dir[i] = (Direction) { .src = -1, .dst = -1, .child_end = -1 };

        for (int i = 0; i < 3; i++) {
                Direction *d = &r->dir[i];
                int p[2];

                if (child_fds[i] < 0 || !isatty(i))
                        continue;
                if (i == DIR_ERR && r->dir[DIR_OUT].src >= 0 && same_terminal(STDOUT_FILENO, STDERR_FILENO)) {
                        /* One pipe for both keeps their order. */
                        child_fds[i] = r->dir[DIR_OUT].child_end;
                        continue;
                }
                if (pipe2(p, O_CLOEXEC) < 0) {
                        int e = -errno;
                        stdio_relay_free(r);
                        return e;
                }
                if (i == DIR_IN) {
                        *d = (Direction) { .src = STDIN_FILENO, .dst = p[1], .dst_ours = true, .child_end = p[0] };
                        (void) fcntl(p[1], F_SETFL, O_NONBLOCK);
                } else {
                        *d = (Direction) { .src = p[0], .src_ours = true, .dst = i, .child_end = p[1] };
                        (void) fcntl(p[0], F_SETFL, O_NONBLOCK);
                }
                child_fds[i] = d->child_end;
        }
        /* A child that closed its stdin must not kill us when we write to it. */
        (void) signal(SIGPIPE, SIG_IGN);
        *ret = r;
        return 0;
}

void stdio_relay_close_child(StdioRelay *r) {
        if (!r)
                return;
        for (int i = 0; i < _DIR_MAX; i++)
                r->dir[i].child_end = safe_close(r->dir[i].child_end);
}

/* Done with a direction: our pipe end closed (the child sees the end of its input). */
static void direction_end(Direction *d) {
        if (d->src_ours)
                (void) close(d->src);
        if (d->dst_ours)
                (void) close(d->dst);
        d->src = d->dst = -1;
        d->start = d->end = 0;
}

int stdio_relay_fill_pollfds(StdioRelay *r, struct pollfd *pfd) {
        for (int i = 0; i < _DIR_MAX; i++) {
                Direction *d = &r->dir[i];
                bool empty = d->start == d->end;

                pfd[2 * i] = (struct pollfd) { .fd = d->src >= 0 && empty && !d->eof ? d->src : -1, .events = POLLIN };
                pfd[2 * i + 1] = (struct pollfd) { .fd = d->dst >= 0 && !empty ? d->dst : -1, .events = POLLOUT };
        }
        return STDIO_RELAY_MAX_POLLFDS;
}

/* Reads once (the source said it is ready, or it is our non-blocking pipe). */
static void direction_read(Direction *d) {
        ssize_t n = read(d->src, d->data, sizeof(d->data));

        if (n > 0) {
                d->start = 0;
                d->end = (size_t) n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                d->eof = true;
                if (d->src_ours) {
                        (void) close(d->src);
                        d->src = -1;
                }
        }
}

static void direction_write(Direction *d) {
        ssize_t n = write(d->dst, d->data + d->start, d->end - d->start);

        if (n > 0)
                d->start += (size_t) n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
                /* The reader is gone (EPIPE): drop what is left; keep reading, so the writer never blocks. */
                d->start = d->end;
}

void stdio_relay_handle(StdioRelay *r, const struct pollfd *pfd, int n) {
        if (n < STDIO_RELAY_MAX_POLLFDS)
                return;
        for (int i = 0; i < _DIR_MAX; i++) {
                Direction *d = &r->dir[i];

                if (pfd[2 * i].fd >= 0 && pfd[2 * i].revents)
                        direction_read(d);
                if (d->start != d->end && (d->dst_ours || (pfd[2 * i + 1].fd >= 0 && pfd[2 * i + 1].revents)))
                        direction_write(d);
                if (d->eof && d->start == d->end && d->dst >= 0)
                        direction_end(d);
        }
}

void stdio_relay_drain(StdioRelay *r) {
        if (!r)
                return;
        for (int i = DIR_OUT; i < _DIR_MAX; i++) {
                Direction *d = &r->dir[i];

                struct pollfd p = { .fd = d->dst, .events = POLLOUT };

                /* The child has exited: all it wrote is in the pipe, or already in our
                 * buffer (read in the loop's last round, when the exit was not yet
                 * known: written first).  Read until the pipe is empty (EAGAIN: what
                 * it started may still hold the pipe open). */
                for (;;) {
                        while (d->start != d->end && poll(&p, 1, -1) >= 0)
                                direction_write(d);
                        if (d->src < 0 || d->eof)
                                break;
                        direction_read(d);
                        if (d->start == d->end)
                                break;
                }
        }
}

StdioRelay *stdio_relay_free(StdioRelay *r) {
        if (!r)
                return NULL;
        stdio_relay_close_child(r);
        for (int i = 0; i < _DIR_MAX; i++)
                direction_end(&r->dir[i]);
        free(r);
        return NULL;
}
