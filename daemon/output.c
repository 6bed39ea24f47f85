/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Captured output: a process's stdout and stderr pipes, read from the event
 * loop into a ring in a memfd, and the pipes that follow it.  See output.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bus-error.h"
#include "fdstore.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "process.h"
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

/* The ring's bookkeeping, in the memfd's first page so that it survives a
 * restart with the ring: two copies, `current` naming the committed one.  A
 * change is written to the other copy and then committed by one aligned
 * store, so a daemon killed at any moment leaves a whole copy behind.  It is
 * trusted on restore only as far as output_restore() checks it. */
typedef struct RingState {
        uint64_t head, used, start, end;
} RingState;

typedef struct RingMeta {
        char magic[8];
        uint64_t max;
        uint64_t size;
        uint32_t current;
        uint32_t reserved;
        RingState state[2];
} RingMeta;

#define RING_MAGIC "PCOUT001"

typedef struct Follower Follower;

typedef struct Capture {
        Output *output;
        int stream;
        sd_event_source *source; /* owns the read end; NULL once the writers have gone */
} Capture;

struct Output {
        Manager *manager;
        Process *process; /* whose descriptors are in the fd store (output_keep()); else NULL */
        int fd;           /* the memfd: the meta page, then the ring */
        RingMeta *meta;   /* its first page */
        uint8_t *ring;    /* mapped twice: ring[i] and ring[i + size] are one byte */
        size_t size;      /* of the ring */
        uint64_t max;     /* bytes of output kept at most */
        uid_t uid;        /* who pays for it */
        Charge charge;    /* MaxBytesPerUser: the most output it has held, up to max */
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

static void ring_commit(Output *o) {
        uint32_t next = !o->meta->current;

        o->meta->state[next] = (RingState) { o->head, o->used, o->start, o->end };
        __atomic_store_n(&o->meta->current, next, __ATOMIC_RELEASE);
}

/* Frees need bytes of output (within cap) and ring bytes of the ring: the oldest entry loses its first bytes, or goes. */
static void ring_make_room(Output *o, uint64_t need, size_t ring, uint64_t cap) {
        while (o->used > 0 && (o->end - o->start + need > cap || o->used + ring > o->size)) {
                EntryHeader h = header_at(o, o->head);
                uint64_t over_output = o->end - o->start + need > cap ? o->end - o->start + need - cap : 0;
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

/* How much output o may keep with size more: max, or less when its owner's
 * MaxBytesPerUser cannot pay for more than it holds already. */
static uint64_t output_cap(Output *o, size_t size) {
        uint64_t want = o->end - o->start + size;

        if (want > o->max)
                want = o->max;
        if (want > o->charge.amount)
                charge_grow(o->manager, o->uid, QUOTA_BYTES, want - o->charge.amount, &o->charge);
        return o->charge.amount < o->max ? o->charge.amount : o->max;
}

static void followers_pump(Output *o);

int output_append(Output *o, int stream, const void *data, size_t size) {
        EntryHeader h = { .usec = now_usec(CLOCK_REALTIME), .stream = (uint32_t) stream };
        uint64_t cap;

        if (size == 0)
                return 0;
        cap = output_cap(o, size);
        if (size >= cap) {
                /* Only its newest bytes can be kept: the rest is dropped as it comes. */
                o->start = o->end + (size - cap);
                o->end = o->start;
                o->head = (o->head + o->used) % o->size;
                o->used = 0;
                data = (const uint8_t *) data + (size - cap);
                size = (size_t) cap;
        } else
                ring_make_room(o, size, HEADER_SIZE + size, cap);
        ring_commit(o);
        if (size == 0)
                return 0; /* its owner's budget holds none of it */

        h.size = (uint32_t) size;
        size_t tail = (o->head + o->used) % o->size;
        memcpy(o->ring + tail, &h, HEADER_SIZE);
        memcpy(o->ring + (tail + HEADER_SIZE) % o->size, data, size);
        o->used += HEADER_SIZE + size;
        o->end += size;
        ring_commit(o);
        return 0;
}

int output_ring_fd(const Output *o) {
        return o->fd;
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

static FdStoreKind stream_kind(int stream) {
        return stream == OUTPUT_STREAM_STDOUT ? FDSTORE_OUTPUT_STDOUT : FDSTORE_OUTPUT_STDERR;
}

static void capture_close(Capture *c) {
        Output *o = c->output;

        if (!c->source)
                return;
        c->source = sd_event_source_disable_unref(c->source);
        o->manager->output_fds--;
        /* Its writers have gone: nothing to keep it for.  (Not when the
         * daemon itself is going: the store keeps it for the next one.) */
        if (o->process && !o->manager->exiting)
                fdstore_drop(o->manager, o->process, stream_kind(c->stream));
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

/* Reads fd (a pipe's read end, taken) from the event loop, as stream. */
static int capture_attach(Output *o, Capture *c, int stream, int fd) {
        int r;

        c->output = o;
        c->stream = stream;
        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        r = sd_event_add_io(o->manager->event, &c->source, fd, EPOLLIN, on_capture, c);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(c->source, true);
        o->manager->output_fds++;
        return 0;
}

static int capture_open(Output *o, Capture *c, int stream, int *ret_write) {
        int fds[2], r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        (void) fcntl(fds[0], F_SETPIPE_SZ, CAPTURE_PIPE_SIZE);
        /* Held for the process's life: above the floor, out of a child's way (spawn.h). */
        r = capture_attach(o, c, stream, spawn_move_fd_high(fds[0]));
        if (r < 0) {
                safe_close(fds[1]);
                return r;
        }
        *ret_write = fds[1];
        return 0;
}

/* A new write end of c's pipe, for the next run of a restarted process:
 * opened through /proc (a pipe opens as a FIFO) while the pipe is still
 * read, since a writer of the last run may still be on it; a new pipe once
 * every writer had gone, kept in the fd store like the first. */
static int capture_reopen(Output *o, Capture *c, int stream, int *ret_write) {
        char path[64];
        int fd, r;

        if (!c->source) {
                r = capture_open(o, c, stream, ret_write);
                if (r >= 0 && o->process)
                        fdstore_keep(o->manager, o->process, stream_kind(stream), sd_event_source_get_io_fd(c->source));
                return r;
        }
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

static size_t ring_size_for(uint64_t max) {
        size_t page = page_size();

        /* Room for max bytes of output and the headers of entries of 16 bytes or more. */
        return ((size_t) (2 * max + HEADER_SIZE) + page - 1) / page * page;
}

/* Maps o->fd: its first page as the meta, the ring after it twice, back to back. */
static int ring_map(Output *o) {
        size_t page = page_size();
        uint8_t *base;
        void *meta;

        meta = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, 0);
        if (meta == MAP_FAILED)
                return -errno;
        base = mmap(NULL, 2 * o->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) {
                int r = -errno;
                munmap(meta, page);
                return r;
        }
        if (mmap(base, o->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, o->fd, (off_t) page) == MAP_FAILED ||
            mmap(base + o->size, o->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, o->fd, (off_t) page) ==
                    MAP_FAILED) {
                int r = -errno;
                munmap(base, 2 * o->size);
                munmap(meta, page);
                return r;
        }
        o->meta = meta;
        o->ring = base;
        return 0;
}

/* A new, empty ring for o->max.  Sealed at its size: a file that could
 * shrink under the mapping would crash the daemon (SIGBUS). */
static int ring_new(Output *o) {
        int fd, r;

        o->size = ring_size_for(o->max);
        fd = memfd_create("procctl-output", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        o->fd = spawn_move_fd_high(fd);
        o->manager->output_fds++;
        if (ftruncate(o->fd, (off_t) (page_size() + o->size)) < 0 ||
            fcntl(o->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        r = ring_map(o);
        if (r < 0)
                return r;
        memcpy(o->meta->magic, RING_MAGIC, sizeof(o->meta->magic));
        o->meta->max = o->max;
        o->meta->size = o->size;
        ring_commit(o);
        return 0;
}

uint64_t output_default_max(const Manager *m) {
        return m->limits.output_bytes_default < m->limits.output_bytes_max ? m->limits.output_bytes_default
                                                                            : m->limits.output_bytes_max;
}

static Output *output_alloc(Manager *m, uid_t uid, uint64_t max) {
        Output *o = calloc(1, sizeof(Output));

        if (!o)
                return NULL;
        o->manager = m;
        o->uid = uid;
        o->max = max;
        o->fd = -1;
        return o;
}

int output_new(Manager *m, uid_t uid, uint64_t max, Output **ret, int *ret_stdout, int *ret_stderr) {
        Output *o;
        int r;

        if (max == 0 || max > UINT32_MAX)
                return -EINVAL;
        o = output_alloc(m, uid, max);
        if (!o)
                return -ENOMEM;
        r = ring_new(o);
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

void output_keep(Output *o, Process *p) {
        if (!o)
                return;
        o->process = p;
        fdstore_keep(o->manager, p, FDSTORE_OUTPUT, o->fd);
        for (size_t i = 0; i < ELEMENTSOF(o->capture); i++)
                if (o->capture[i].source)
                        fdstore_keep(o->manager, p, stream_kind(o->capture[i].stream),
                                     sd_event_source_get_io_fd(o->capture[i].source));
}

/* Sets o up from the ring o->fd holds, as far as it checks out: the meta
 * must name this size and a committed state within it (else false: the
 * ring is unusable), and the entries from head must fill exactly `used`
 * and hold exactly end - start bytes (else what it held is dropped,
 * counted, and the cursors go on from its end). */
static bool ring_check(Output *o) {
        size_t page = page_size();
        struct stat st;
        RingMeta meta;
        int seals;

        if (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size < page + HEADER_SIZE)
                return false;
        seals = fcntl(o->fd, F_GET_SEALS);
        if (seals < 0 || !(seals & F_SEAL_SHRINK))
                return false; /* could shrink under the mapping */
        if (pread(o->fd, &meta, sizeof(meta), 0) != (ssize_t) sizeof(meta))
                return false;
        if (memcmp(meta.magic, RING_MAGIC, sizeof(meta.magic)) != 0 || meta.max == 0 || meta.max > UINT32_MAX ||
            meta.size != ring_size_for(meta.max) || (uint64_t) st.st_size != page + meta.size || meta.current > 1)
                return false;
        RingState s = meta.state[meta.current];
        if (s.head >= meta.size || s.used > meta.size || s.start > s.end || s.end - s.start > meta.max)
                return false;
        o->max = meta.max;
        o->size = (size_t) meta.size;
        if (ring_map(o) < 0)
                return false;
        o->head = (size_t) s.head;
        o->used = (size_t) s.used;
        o->start = s.start;
        o->end = s.end;

        uint64_t left = o->used, bytes = 0;
        for (size_t pos = o->head; left > 0;) {
                EntryHeader h;

                if (left < HEADER_SIZE)
                        break;
                h = header_at(o, pos);
                if (h.size == 0 || h.size > left - HEADER_SIZE ||
                    (h.stream != OUTPUT_STREAM_STDOUT && h.stream != OUTPUT_STREAM_STDERR))
                        break;
                bytes += h.size;
                left -= HEADER_SIZE + h.size;
                pos = ring_next(o, pos, &h);
        }
        if (left > 0 || bytes != o->end - o->start) {
                log_warning("Captured output came back damaged from the file descriptor store; "
                            "its %" PRIu64 " bytes are dropped", o->end - o->start);
                o->start = o->end;
                o->head = 0;
                o->used = 0;
        }
        ring_commit(o);
        return true;
}

static void ring_unmap(Output *o) {
        if (o->ring)
                munmap(o->ring, 2 * o->size);
        if (o->meta)
                munmap(o->meta, page_size());
        o->ring = NULL;
        o->meta = NULL;
}

void output_restore(Process *p, FdStoreSet *set) {
        Manager *m = p->manager;
        int ring = fdstore_take(set, FDSTORE_OUTPUT);
        int pipes[2] = { fdstore_take(set, FDSTORE_OUTPUT_STDOUT), fdstore_take(set, FDSTORE_OUTPUT_STDERR) };
        Output *o;
        int r = -ENOMEM;

        if (ring < 0 && pipes[0] < 0 && pipes[1] < 0)
                return; /* spawned without capture */
        /* In the store they stay, until dropped. */
        p->fdstore_kept |= (ring >= 0 ? 1U << FDSTORE_OUTPUT : 0) |
                           (pipes[0] >= 0 ? 1U << FDSTORE_OUTPUT_STDOUT : 0) |
                           (pipes[1] >= 0 ? 1U << FDSTORE_OUTPUT_STDERR : 0);
        o = output_alloc(m, p->owner_uid, output_default_max(m));
        if (!o)
                goto fail;
        o->process = p;
        if (ring >= 0) {
                o->fd = TAKE_FD(ring);
                m->output_fds++;
                if (!ring_check(o)) {
                        log_warning("Process %" PRIu64 "'s captured output came back unusable from the file descriptor "
                                    "store; it starts anew",
                                    p->id);
                        ring_unmap(o);
                        m->output_fds--;
                        o->fd = safe_close(o->fd);
                        fdstore_drop(m, p, FDSTORE_OUTPUT);
                }
        }
        if (o->fd < 0) {
                o->max = output_default_max(m);
                r = ring_new(o);
                if (r < 0)
                        goto fail;
                fdstore_keep(m, p, FDSTORE_OUTPUT, o->fd);
        }
        /* What it holds is held already: counted, never refused. */
        r = quota_charge_n(m, o->uid, QUOTA_BYTES, o->end - o->start, &o->charge);
        if (r < 0)
                goto fail;
        for (size_t i = 0; i < ELEMENTSOF(pipes); i++) {
                struct stat st;
                int fd = TAKE_FD(pipes[i]);

                if (fd < 0)
                        continue;
                if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
                        r = -EBADF;
                else
                        r = capture_attach(o, &o->capture[i], (int) i + 1, TAKE_FD(fd));
                if (r < 0) {
                        safe_close(fd);
                        fdstore_drop(m, p, stream_kind((int) i + 1));
                        log_warning_errno(r, "Failed to capture process %" PRIu64 "'s output again: %m", p->id);
                }
        }
        /* What its writers wrote while the daemon was away is read from the event loop as usual. */
        p->output = o;
        return;
fail:
        /* Its writers get EPIPE rather than a pipe no one reads. */
        log_warning_errno(r, "Failed to restore process %" PRIu64 "'s captured output: %m", p->id);
        safe_close(ring);
        safe_close(pipes[0]);
        safe_close(pipes[1]);
        output_free(o);
        for (FdStoreKind k = FDSTORE_OUTPUT; k <= FDSTORE_OUTPUT_STDERR; k++)
                fdstore_drop(m, p, k);
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
        ring_unmap(o);
        if (o->fd >= 0) {
                o->manager->output_fds--;
                safe_close(o->fd);
        }
        charge_release(&o->charge);
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
