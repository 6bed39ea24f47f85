/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Captured output: a process's stdout and stderr pipes, read from the event
 * loop into a ring in a memfd, and the pipes that follow it.  See output.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bus-error.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "procctl-bus.h"
#include "quota.h"
#include "spawn.h"

typedef struct EntryHeader {
        uint64_t usec;
        uint32_t size;
        uint32_t stream;
} EntryHeader;

#define HEADER_SIZE sizeof(EntryHeader)
/* What one wakeup reads from a pipe at most, so that a busy writer does not
 * starve the bus. */
#define READ_CHUNK (64u * 1024u)
#define READ_PER_WAKEUP (1024u * 1024u)
/* Larger than the default 64 KiB: fewer wakeups for a fast writer. */
#define CAPTURE_PIPE_SIZE (256 * 1024)
#define FOLLOW_IOVECS 64

typedef struct Follower Follower;

typedef struct Capture {
        Output *output;
        int stream;
        sd_event_source *source; /* owns the read end; NULL once the writers have gone */
} Capture;

struct Output {
        Manager *manager;
        uint8_t *ring;    /* mapped twice: ring[i] and ring[i + size] are one byte */
        size_t size;      /* of the memfd */
        uint64_t max;     /* bytes of output kept at most */
        size_t head;      /* where the oldest entry starts */
        size_t used;      /* bytes of the ring in use, headers included */
        uint64_t start;   /* cursor of the oldest byte kept (== bytes dropped) */
        uint64_t end;     /* cursor after the newest */
        Capture capture[2];
        LIST_HEAD(Follower, followers);
};

struct Follower {
        Output *output;
        sd_event_source *source; /* owns the write end */
        uint64_t cursor;
        Charge charge;
        LIST_FIELDS(Follower, followers);
};

static size_t page_size(void) {
        long p = sysconf(_SC_PAGESIZE);
        return p > 0 ? (size_t) p : 4096;
}

static EntryHeader header_at(const Output *o, size_t pos) {
        EntryHeader h;
        memcpy(&h, o->ring + pos, HEADER_SIZE);
        return h;
}

static size_t ring_next(const Output *o, size_t pos, const EntryHeader *h) {
        return (pos + HEADER_SIZE + h->size) % o->size;
}

/* The entry holding cursor (start <= cursor < end): its position, and the cursor of its first byte. */
static void ring_seek(const Output *o, uint64_t cursor, size_t *ret_pos, uint64_t *ret_first) {
        size_t pos = o->head;
        uint64_t first = o->start;

        for (;;) {
                EntryHeader h = header_at(o, pos);
                if (cursor < first + h.size)
                        break;
                first += h.size;
                pos = ring_next(o, pos, &h);
        }
        *ret_pos = pos;
        *ret_first = first;
}

/* Frees need bytes of output and ring bytes of the ring: the oldest entry loses its first bytes, or goes. */
static void ring_make_room(Output *o, uint64_t need, size_t ring) {
        while (o->used > 0 && (o->end - o->start + need > o->max || o->used + ring > o->size)) {
                EntryHeader h = header_at(o, o->head);
                uint64_t over_output = o->end - o->start + need > o->max ? o->end - o->start + need - o->max : 0;
                uint64_t over_ring = o->used + ring > o->size ? o->used + ring - o->size : 0;
                uint64_t cut = over_output > over_ring ? over_output : over_ring;

                if (cut < h.size) {
                        /* The entry's header moves forward over its first cut bytes. */
                        h.size -= (uint32_t) cut;
                        o->head = (o->head + cut) % o->size;
                        memcpy(o->ring + o->head, &h, HEADER_SIZE);
                } else {
                        cut = h.size;
                        o->head = ring_next(o, o->head, &h);
                        o->used -= HEADER_SIZE;
                }
                o->used -= cut;
                o->start += cut;
        }
}

static void followers_pump(Output *o);

int output_append(Output *o, int stream, const void *data, size_t size) {
        EntryHeader h = { .usec = now_usec(CLOCK_REALTIME), .stream = (uint32_t) stream };

        if (size == 0)
                return 0;
        if (size > o->max) {
                /* Only its newest bytes can be kept: the rest is dropped as it comes. */
                o->start = o->end + (size - o->max);
                o->end = o->start;
                o->head = (o->head + o->used) % o->size;
                o->used = 0;
                data = (const uint8_t *) data + (size - o->max);
                size = o->max;
        } else
                ring_make_room(o, size, HEADER_SIZE + size);

        h.size = (uint32_t) size;
        size_t tail = (o->head + o->used) % o->size;
        memcpy(o->ring + tail, &h, HEADER_SIZE);
        memcpy(o->ring + (tail + HEADER_SIZE) % o->size, data, size);
        o->used += HEADER_SIZE + size;
        o->end += size;
        return 0;
}

uint64_t output_start_cursor(const Output *o) {
        return o->start;
}

uint64_t output_end_cursor(const Output *o) {
        return o->end;
}

static bool output_capturing(const Output *o) {
        return o->capture[0].source || o->capture[1].source;
}

static void capture_close(Capture *c) {
        if (!c->source)
                return;
        c->source = sd_event_source_disable_unref(c->source);
        c->output->manager->output_fds--;
}

/* Reads up to limit bytes from the pipe (until it would block).  Returns
 * bytes read, and closes the capture on EOF or an error. */
static size_t capture_read(Capture *c, size_t limit) {
        Output *o = c->output;
        uint8_t buf[READ_CHUNK];
        size_t total = 0;

        while (c->source && total < limit) {
                size_t want = limit - total < sizeof(buf) ? limit - total : sizeof(buf);
                ssize_t n = read(sd_event_source_get_io_fd(c->source), buf, want);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n <= 0) {
                        if (n < 0)
                                log_debug_errno(errno, "Failed to read captured output: %m");
                        capture_close(c); /* EOF: every writer of this stream has gone */
                        break;
                }
                (void) output_append(o, c->stream, buf, (size_t) n);
                total += (size_t) n;
        }
        return total;
}

static int on_capture(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Capture *c = userdata;
        Output *o = c->output;

        (void) capture_read(c, READ_PER_WAKEUP);
        followers_pump(o);
        return 0;
}

void output_drain(Output *o) {
        if (!o)
                return;
        for (size_t i = 0; i < ELEMENTSOF(o->capture); i++) {
                Capture *c = &o->capture[i];
                int n = 0;

                /* What the pipe holds now: what the process wrote before it
                 * exited is in there; what its children write later need not be. */
                if (c->source && ioctl(sd_event_source_get_io_fd(c->source), FIONREAD, &n) >= 0 && n > 0)
                        (void) capture_read(c, (size_t) n);
        }
        followers_pump(o);
}

static int capture_open(Output *o, Capture *c, int stream, int *ret_write) {
        int fds[2], r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        (void) fcntl(fds[0], F_SETPIPE_SZ, CAPTURE_PIPE_SIZE);
        if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                goto fail;
        }
        /* Held for the process's life: above the floor, out of a child's way (spawn.h). */
        fds[0] = spawn_move_fd_high(fds[0]);
        c->output = o;
        c->stream = stream;
        r = sd_event_add_io(o->manager->event, &c->source, fds[0], EPOLLIN, on_capture, c);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_io_fd_own(c->source, true);
        o->manager->output_fds++;
        *ret_write = fds[1];
        return 0;
fail:
        safe_close(fds[0]);
        safe_close(fds[1]);
        return r;
}

/* A new write end of c's pipe, for the next run of a restarted process:
 * opened through /proc (a pipe opens as a FIFO) while the pipe is still
 * read, since a writer of the last run may still be on it; a new pipe once
 * every writer had gone. */
static int capture_reopen(Output *o, Capture *c, int stream, int *ret_write) {
        char path[64];
        int fd;

        if (!c->source)
                return capture_open(o, c, stream, ret_write);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", sd_event_source_get_io_fd(c->source));
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_write = fd;
        return 0;
}

int output_reopen(Output *o, int *ret_stdout, int *ret_stderr) {
        int r;

        r = capture_reopen(o, &o->capture[0], OUTPUT_STREAM_STDOUT, ret_stdout);
        if (r < 0)
                return r;
        r = capture_reopen(o, &o->capture[1], OUTPUT_STREAM_STDERR, ret_stderr);
        if (r < 0)
                *ret_stdout = safe_close(*ret_stdout);
        return r;
}

/* The memfd, mapped twice back to back; the descriptor itself is not kept. */
static int ring_map(Output *o) {
        _cleanup_close_ int fd = -1;
        uint8_t *base;

        fd = memfd_create("procctl-output", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t) o->size) < 0)
                return -errno;
        base = mmap(NULL, 2 * o->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED)
                return -errno;
        if (mmap(base, o->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
            mmap(base + o->size, o->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
                int r = -errno;
                munmap(base, 2 * o->size);
                return r;
        }
        o->ring = base;
        return 0;
}

int output_new(Manager *m, uint64_t max, Output **ret, int *ret_stdout, int *ret_stderr) {
        Output *o;
        int r;

        if (max == 0 || max > SIZE_MAX / 4)
                return -EINVAL;
        o = calloc(1, sizeof(Output));
        if (!o)
                return -ENOMEM;
        o->manager = m;
        o->max = max;
        /* Room for max bytes of output and the headers of entries of 16 bytes or more. */
        size_t page = page_size();
        o->size = ((size_t) (2 * max + HEADER_SIZE) + page - 1) / page * page;
        r = ring_map(o);
        if (r >= 0)
                r = capture_open(o, &o->capture[0], OUTPUT_STREAM_STDOUT, ret_stdout);
        if (r >= 0) {
                r = capture_open(o, &o->capture[1], OUTPUT_STREAM_STDERR, ret_stderr);
                if (r < 0)
                        *ret_stdout = safe_close(*ret_stdout);
        }
        if (r < 0) {
                output_free(o);
                return r;
        }
        *ret = o;
        return 0;
}

static void follower_free(Follower *f) {
        if (!f)
                return;
        LIST_REMOVE(followers, f->output->followers, f);
        sd_event_source_disable_unref(f->source);
        f->output->manager->output_fds--;
        charge_release(&f->charge);
        free(f);
}

Output *output_free(Output *o) {
        if (!o)
                return NULL;
        while (o->followers.head)
                follower_free(o->followers.head);
        for (size_t i = 0; i < ELEMENTSOF(o->capture); i++)
                capture_close(&o->capture[i]);
        if (o->ring)
                munmap(o->ring, 2 * o->size);
        free(o);
        return NULL;
}

/* Writes what the follower has not had yet.  Returns false when it is gone. */
static bool follower_pump(Follower *f) {
        Output *o = f->output;
        int fd = sd_event_source_get_io_fd(f->source);

        while (f->cursor < o->end) {
                struct iovec iov[FOLLOW_IOVECS];
                size_t n_iov = 0, pos;
                uint64_t first, cursor = f->cursor;
                ssize_t n;

                if (f->cursor < o->start) {
                        /* Fell behind what the buffer keeps: its place is lost. */
                        follower_free(f);
                        return false;
                }
                ring_seek(o, cursor, &pos, &first);
                while (n_iov < FOLLOW_IOVECS && cursor < o->end) {
                        EntryHeader h = header_at(o, pos);
                        size_t skip = (size_t) (cursor - first);

                        iov[n_iov++] = (struct iovec) { o->ring + (pos + HEADER_SIZE + skip) % o->size, h.size - skip };
                        cursor = first + h.size;
                        first = cursor;
                        pos = ring_next(o, pos, &h);
                }
                n = writev(fd, iov, (int) n_iov);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        /* Full: wait for room, the bytes stay in the buffer meanwhile. */
                        (void) sd_event_source_set_io_events(f->source, EPOLLOUT);
                        return true;
                }
                if (n <= 0) {
                        follower_free(f); /* EPIPE: the reader has gone */
                        return false;
                }
                f->cursor += (uint64_t) n;
        }
        if (!output_capturing(o)) {
                follower_free(f); /* had everything, and no one writes any more: EOF */
                return false;
        }
        /* Idle: EPOLLERR still tells when the reader goes. */
        (void) sd_event_source_set_io_events(f->source, 0);
        return true;
}

static void followers_pump(Output *o) {
        Follower *next;

        for (Follower *f = o->followers.head; f; f = next) {
                next = f->followers_next;
                (void) follower_pump(f);
        }
}

static int on_follower(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Follower *f = userdata;

        if (revents & (EPOLLERR | EPOLLHUP))
                follower_free(f);
        else
                (void) follower_pump(f);
        return 0;
}

static uint64_t clamp_cursor(const Output *o, uint64_t cursor) {
        return cursor < o->start ? o->start : cursor > o->end ? o->end : cursor;
}

int output_follow(Output *o, uid_t uid, uint64_t cursor, int *ret_fd, sd_bus_error *error) {
        Manager *m = o->manager;
        Follower *f;
        int fds[2], r;

        r = quota_check(m, uid, QUOTA_WAITS, error);
        if (r >= 0)
                r = quota_check_descriptors_for(m, 1, error);
        if (r < 0)
                return r;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return bus_error_from_errno(error, -errno, "Failed to make a pipe");
        (void) fcntl(fds[1], F_SETFL, O_NONBLOCK);
        fds[1] = spawn_move_fd_high(fds[1]);
        f = calloc(1, sizeof(Follower));
        if (!f) {
                r = -ENOMEM;
                goto fail;
        }
        r = sd_event_add_io(m->event, &f->source, fds[1], 0, on_follower, f);
        if (r < 0) {
                free(f);
                goto fail;
        }
        (void) sd_event_source_set_io_fd_own(f->source, true);
        fds[1] = -1;
        f->output = o;
        f->cursor = clamp_cursor(o, cursor);
        m->output_fds++;
        LIST_APPEND(followers, o->followers, f);
        r = quota_charge(m, uid, QUOTA_WAITS, &f->charge);
        if (r < 0) {
                follower_free(f);
                safe_close(fds[0]);
                return r;
        }
        (void) follower_pump(f);
        *ret_fd = fds[0];
        return 0;
fail:
        safe_close(fds[0]);
        safe_close(fds[1]);
        return r;
}

int output_read_entries(Output *o, uint64_t cursor, uint64_t max_bytes, unsigned max_entries, OutputEntryFunc f,
                        void *userdata, uint64_t *ret_next) {
        uint64_t left = max_bytes, first = 0;
        unsigned n = 0;
        size_t pos = 0;
        int r;

        cursor = clamp_cursor(o, cursor);
        if (cursor < o->end)
                ring_seek(o, cursor, &pos, &first);
        while (cursor < o->end && left > 0 && n < max_entries) {
                EntryHeader h = header_at(o, pos);
                uint64_t skip = cursor - first, take = h.size - skip;

                if (take > left)
                        take = left;
                r = f(userdata, h.usec, (int) h.stream, o->ring + (pos + HEADER_SIZE + skip) % o->size, (size_t) take);
                if (r < 0)
                        return r;
                cursor += take;
                left -= take;
                n++;
                first += h.size;
                pos = ring_next(o, pos, &h);
        }
        *ret_next = cursor;
        return 0;
}

static int append_entry(void *userdata, uint64_t usec, int stream, const void *data, size_t size) {
        sd_bus_message *reply = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'r', "tuay");
        if (r >= 0)
                r = sd_bus_message_append(reply, "tu", usec, (uint32_t) stream);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', data, size);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int output_append_read(Output *o, uint64_t cursor, uint32_t max_bytes, sd_bus_message *reply) {
        uint64_t next;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(tuay)");
        if (r >= 0)
                r = output_read_entries(o, cursor, max_bytes < OUTPUT_READ_MAX_BYTES ? max_bytes : OUTPUT_READ_MAX_BYTES,
                                        OUTPUT_READ_MAX_ENTRIES, append_entry, reply, &next);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "tt", next, o->start);
}
