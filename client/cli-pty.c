/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * `procctl run --pty`: the pseudo-terminal and the copying (see cli-pty.h).
 *
 * Our stdin and stdout are shared with whoever started us (a shell), and
 * are used as they are, never reopened: a reopened file would lose its
 * O_APPEND and its offset, and write over what the shell put there.
 * O_NONBLOCK is set on them while we copy and put back at the end (and by
 * the handler of fatal signals).  Both directions go through a buffer, so a child that does not
 * read its input can never stop us from reading its output (or the bus).
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#include "cli.h"
#include "cli-pty.h"

#define PTY_BUFFER_SIZE (64 * 1024)

typedef struct Buffer {
        char data[PTY_BUFFER_SIZE];
        size_t start, end;
} Buffer;

typedef struct Terminal {
        int fd;                  /* ours (0 or 1), for termios */
        bool saved;
        struct termios attr;     /* as it was */
} Terminal;

struct PtyForward {
        int master;

        int in_fd, out_fd;             /* what we read and write: 0 and 1, or -1 if closed */
        int in_flags, out_flags;       /* file status flags of 0 and 1 to put back, or -1 */
        bool in_is_tty;

        Terminal in_term, out_term;    /* our stdin made raw; our stdout (if another tty) without OPOST */
        bool raw;
        bool started;

        bool in_eof;        /* our stdin ended (or we stopped reading it) */
        bool master_eof;    /* no slave is open any more */
        bool out_broken;    /* our stdout is gone: the child's output is read and dropped */

        Buffer to_master;   /* our stdin -> the child */
        Buffer to_out;      /* the child -> our stdout */
};

/* ----------------------------------------------------- our terminal's modes */

/* The handler of fatal signals needs the saved modes: one forwarding per
 * process, so a static is honest. */
static PtyForward *fatal_forward;

static const int fatal_signals[] = {
        SIGABRT, SIGALRM, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP,
        SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT,
};

/* Async-signal-safe: tcsetattr() and fcntl() are ioctl() and fcntl(). */
static void terminal_restore_all(PtyForward *f) {
        if (f->raw) {
                if (f->out_term.saved)
                        (void) tcsetattr(f->out_term.fd, TCSANOW, &f->out_term.attr);
                if (f->in_term.saved)
                        (void) tcsetattr(f->in_term.fd, TCSANOW, &f->in_term.attr);
                f->raw = false;
        }
}

static void fatal_signal_handler(int sig) {
        int saved = errno;

        if (fatal_forward) {
                terminal_restore_all(fatal_forward);
                if (fatal_forward->in_flags >= 0)
                        (void) fcntl(STDIN_FILENO, F_SETFL, fatal_forward->in_flags);
                if (fatal_forward->out_flags >= 0)
                        (void) fcntl(STDOUT_FILENO, F_SETFL, fatal_forward->out_flags);
        }
        /* SA_RESETHAND made the default action current: die of sig once we return. */
        (void) raise(sig);
        errno = saved;
}

static void fatal_signals_catch(bool catch) {
        struct sigaction sa = {
                .sa_handler = catch ? fatal_signal_handler : SIG_DFL,
                .sa_flags = catch ? SA_RESETHAND : 0,
        };

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
                (void) sigaction(fatal_signals[i], &sa, NULL);
}

static int terminal_make_raw(PtyForward *f) {
        struct termios t;

        if (f->raw)
                return 0;
        if (f->in_term.saved) {
                t = f->in_term.attr;
                cfmakeraw(&t);
                if (tcsetattr(f->in_term.fd, TCSANOW, &t) < 0)
                        return -errno;
        }
        f->raw = true;  /* from here on, restoring is due */
        if (f->out_term.saved) {
                /* The child's terminal already turned "\n" into "\r\n". */
                t = f->out_term.attr;
                t.c_oflag &= ~OPOST;
                if (tcsetattr(f->out_term.fd, TCSANOW, &t) < 0)
                        return -errno;
        }
        return 0;
}

void pty_forward_restore(PtyForward *f) {
        if (f)
                terminal_restore_all(f);
}

/* ------------------------------------------------------------- descriptors */

static bool same_tty(int a, int b) {
        struct stat sa, sb;

        return fstat(a, &sa) >= 0 && fstat(b, &sb) >= 0 && S_ISCHR(sa.st_mode) && sa.st_rdev == sb.st_rdev;
}

/* fd with O_NONBLOCK set, its old flags in *ret_flags to put back (-1:
 * nothing to put back).  -1 if fd is not open. */
static int set_nonblocking(int fd, int *ret_flags) {
        int flags;

        *ret_flags = -1;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return -1;
        if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) >= 0)
                *ret_flags = flags;
        return fd;
}

int pty_forward_new(PtyForward **ret, int *ret_slave) {
        _cleanup_close_ int master = -1, slave = -1;
        struct winsize ws;
        PtyForward *f;

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (master < 0)
                return -errno;
        if (grantpt(master) < 0 || unlockpt(master) < 0)
                return -errno;
        /* The peer straight from the master: no path to look up, no race. */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return -errno;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->master = -1;
        f->in_fd = f->out_fd = -1;
        f->in_flags = f->out_flags = -1;
        f->in_term.fd = STDIN_FILENO;
        f->out_term.fd = STDOUT_FILENO;

        /* The child's terminal starts out like ours: modes (erase key,
         * flow control, ...) and size. */
        if (tcgetattr(STDIN_FILENO, &f->in_term.attr) >= 0) {
                f->in_term.saved = true;
                f->in_is_tty = true;
                (void) tcsetattr(slave, TCSANOW, &f->in_term.attr);
        }
        if (!(f->in_is_tty && same_tty(STDIN_FILENO, STDOUT_FILENO)) &&
            tcgetattr(STDOUT_FILENO, &f->out_term.attr) >= 0)
                f->out_term.saved = true;
        if (ioctl(f->in_is_tty ? STDIN_FILENO : STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);

        f->master = TAKE_FD(master);
        *ret_slave = TAKE_FD(slave);
        *ret = f;
        return 0;
}

int pty_forward_start(PtyForward *f) {
        int r;

        if (f->started)
                return 0;
        f->in_fd = set_nonblocking(STDIN_FILENO, &f->in_flags);
        f->out_fd = set_nonblocking(STDOUT_FILENO, &f->out_flags);
        if (f->in_fd < 0)
                f->in_eof = true;
        if (f->out_fd < 0)
                f->out_broken = true;

        /* A closed reader of our stdout must not kill us with a raw terminal. */
        (void) signal(SIGPIPE, SIG_IGN);
        fatal_forward = f;
        fatal_signals_catch(true);

        f->started = true;
        r = terminal_make_raw(f);
        if (r < 0)
                cli_error("cannot put the terminal in raw mode: %s", strerror(-r));
        return 0;
}

void pty_forward_resize(PtyForward *f) {
        struct winsize ws;

        if (ioctl(f->in_is_tty ? STDIN_FILENO : STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(f->master, TIOCSWINSZ, &ws);  /* the child's side gets SIGWINCH */
}

void pty_forward_suspend(PtyForward *f) {
        bool was_raw = f->raw;

        terminal_restore_all(f);
        (void) kill(getpid(), SIGSTOP);
        /* Continued: our terminal may have changed size meanwhile. */
        if (was_raw)
                (void) terminal_make_raw(f);
        pty_forward_resize(f);
}

/* ------------------------------------------------------------------ copying */

static size_t buffer_len(const Buffer *b) {
        return b->end - b->start;
}

static size_t buffer_room(Buffer *b) {
        if (b->start == b->end)
                b->start = b->end = 0;
        else if (b->end == sizeof(b->data) && b->start > 0) {
                memmove(b->data, b->data + b->start, b->end - b->start);
                b->end -= b->start;
                b->start = 0;
        }
        return sizeof(b->data) - b->end;
}

/* Reads what fd has into b: > 0 bytes read, 0 at end of file, -EAGAIN if
 * nothing is there, other < 0 on failure (EIO: a pty's other side is gone). */
static ssize_t buffer_fill(Buffer *b, int fd) {
        ssize_t n;

        if (buffer_room(b) == 0)
                return -EAGAIN;
        n = read(fd, b->data + b->end, sizeof(b->data) - b->end);
        if (n < 0)
                return errno == EINTR ? -EAGAIN : -errno;
        b->end += (size_t) n;
        return n;
}

static int buffer_flush(Buffer *b, int fd) {
        ssize_t n;

        if (buffer_len(b) == 0)
                return 0;
        n = write(fd, b->data + b->start, buffer_len(b));
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        b->start += (size_t) n;
        return 0;
}

/* Our stdin ended.  A terminal's end of file is a character (VEOF, ^D):
 * when the child's terminal reads lines, it gets one, so that `echo x |
 * procctl run --pty -- cat` ends like `cat` would. */
static void input_ended(PtyForward *f) {
        struct termios t;

        f->in_eof = true;
        if (!f->in_is_tty && tcgetattr(f->master, &t) >= 0 && (t.c_lflag & ICANON) &&
            buffer_room(&f->to_master) >= 2) {
                /* After a partial line, the first VEOF only ends the line. */
                if (buffer_len(&f->to_master) > 0 &&
                    f->to_master.data[f->to_master.end - 1] != '\n')
                        f->to_master.data[f->to_master.end++] = (char) t.c_cc[VEOF];
                f->to_master.data[f->to_master.end++] = (char) t.c_cc[VEOF];
        }
}

static void master_ended(PtyForward *f) {
        f->master_eof = true;
        /* Nobody will read it: stop taking the user's typing. */
        f->to_master.start = f->to_master.end = 0;
        f->in_eof = true;
}

static void output_flush(PtyForward *f) {
        if (f->out_broken) {
                f->to_out.start = f->to_out.end = 0;
                return;
        }
        if (buffer_flush(&f->to_out, f->out_fd) < 0) {
                /* EPIPE and friends: keep reading the child, so it never blocks. */
                f->out_broken = true;
                f->to_out.start = f->to_out.end = 0;
        }
}

enum { PFD_IN, PFD_MASTER, PFD_OUT };

int pty_forward_fill_pollfds(PtyForward *f, struct pollfd *pfd) {
        short master_events = 0;

        if (!f->started)
                return 0;

        pfd[PFD_IN] = (struct pollfd) { .fd = -1 };
        if (!f->in_eof && buffer_room(&f->to_master) > 0)
                pfd[PFD_IN] = (struct pollfd) { .fd = f->in_fd, .events = POLLIN };

        if (!f->master_eof && buffer_room(&f->to_out) > 0)
                master_events |= POLLIN;
        if (!f->master_eof && buffer_len(&f->to_master) > 0)
                master_events |= POLLOUT;
        /* A master with no slave reports POLLHUP whatever we ask: only poll it when there is something to do. */
        pfd[PFD_MASTER] = (struct pollfd) { .fd = master_events ? f->master : -1, .events = master_events };

        pfd[PFD_OUT] = (struct pollfd) { .fd = -1 };
        if (buffer_len(&f->to_out) > 0 && !f->out_broken)
                pfd[PFD_OUT] = (struct pollfd) { .fd = f->out_fd, .events = POLLOUT };
        return 3;
}

int pty_forward_handle(PtyForward *f, const struct pollfd *pfd, int n) {
        ssize_t k;

        if (n < 3)
                return 0;

        if (pfd[PFD_IN].fd >= 0 && pfd[PFD_IN].revents) {
                k = buffer_fill(&f->to_master, f->in_fd);
                if (k == 0 || (k < 0 && k != -EAGAIN))
                        input_ended(f);
        }

        if (pfd[PFD_MASTER].fd >= 0 && (pfd[PFD_MASTER].revents & (POLLIN | POLLHUP | POLLERR))) {
                k = buffer_fill(&f->to_out, f->master);
                if (k == 0 || (k < 0 && k != -EAGAIN))
                        master_ended(f);
        }
        if (!f->master_eof && buffer_len(&f->to_master) > 0 && buffer_flush(&f->to_master, f->master) < 0)
                master_ended(f);

        if (buffer_len(&f->to_out) > 0)
                output_flush(f);
        return 0;
}

static void output_flush_all(PtyForward *f) {
        while (buffer_len(&f->to_out) > 0 && !f->out_broken) {
                struct pollfd p = { .fd = f->out_fd, .events = POLLOUT };

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        f->out_broken = true;
                else
                        output_flush(f);
        }
}

void pty_forward_drain(PtyForward *f) {
        if (!f->started)
                return;
        /* A non-blocking read of a pty master first waits for what the
         * slave side wrote to arrive: once it says EAGAIN (or EIO: no slave
         * left), all the child wrote before it exited has been read. */
        for (;;) {
                ssize_t k;

                output_flush_all(f);
                f->to_out.start = f->to_out.end = 0;
                if (f->master_eof)
                        return;
                k = buffer_fill(&f->to_out, f->master);
                if (k == -EAGAIN)
                        return;
                if (k <= 0)
                        master_ended(f);
        }
}

PtyForward *pty_forward_free(PtyForward *f) {
        if (!f)
                return NULL;
        terminal_restore_all(f);
        if (f->started) {
                fatal_signals_catch(false);
                fatal_forward = NULL;
        }
        if (f->in_flags >= 0)
                (void) fcntl(STDIN_FILENO, F_SETFL, f->in_flags);
        if (f->out_flags >= 0)
                (void) fcntl(STDOUT_FILENO, F_SETFL, f->out_flags);
        if (f->master >= 0)
                (void) close(f->master);
        free(f);
        return NULL;
}
