/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fdstore-harness: the part of a service manager that procctld's restart
 * survival depends on, for tests without systemd.  It speaks the real
 * protocol of sd_notify(3) and sd_listen_fds(3):
 *
 *   - a notify socket (AF_UNIX, SOCK_DGRAM, SO_PASSCRED) in NOTIFY_SOCKET;
 *     messages count only from the daemon's PID (NotifyAccess=main);
 *   - READY=1;
 *   - FDSTORE=1 with descriptors (SCM_RIGHTS) and FDNAME= (default
 *     "stored"): kept in the store, a descriptor that points to the same open
 *     file as a stored one is dropped as a duplicate, like systemd does;
 *   - FDPOLL=0: the descriptors are not polled.  Otherwise, like systemd, a
 *     stored descriptor that reports EPOLLHUP or EPOLLERR is removed from the
 *     store (a pidfd does so once its process is reaped);
 *   - FDSTOREREMOVE=1 with FDNAME=: every stored descriptor of that name goes;
 *   - on (re)start, the stored descriptors are handed to the daemon as
 *     descriptors 3.., with LISTEN_FDS, LISTEN_FDNAMES (colon-separated) and
 *     LISTEN_PID;
 *   - it is a child subreaper (PR_SET_CHILD_SUBREAPER) and reaps every
 *     orphan at once, as PID 1 would, so that the kernel records their exit
 *     status for pidfd holders while the daemon is down.
 *
 *   fdstore-harness [--no-poll] PROGRAM [ARGUMENT...]
 *
 * --no-poll treats every FDSTORE=1 as if it came with FDPOLL=0 (for
 * diagnosis: what the daemon would see from a manager that never drops).
 *
 * The program runs with the harness's environment plus NOTIFY_SOCKET and
 * the LISTEN_* variables.  Commands, one per line on stdin:
 *   start      start the program (if not running)
 *   kill       SIGKILL it            term   SIGTERM it
 *   list       print the store: "store NAME..." in order
 *   quit       (or end of file) SIGKILL it and every process left to the
 *              harness, reap them, exit 0
 * Events, one per line on stdout:
 *   started PID | ready PID | exited PID exited|killed|dumped N
 *   stored NAME | duplicate NAME | removed NAME | dropped NAME
 *   reaped PID exited|killed|dumped N      (an orphan the harness reaped)
 *   store NAME... | error TEXT
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STORED 4096
#define MAX_FDS_PER_MESSAGE 253 /* SCM_MAX_FD */

typedef struct Stored {
        int fd;
        char *name;
        bool poll;
} Stored;

static Stored store[MAX_STORED];
static size_t n_store;
static pid_t daemon_pid;
static char **daemon_argv;
static char notify_path[108];
static char tmpdir[64];
static bool arg_no_poll;

static void event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void event(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static const char *how(int code, int *status) {
        switch (code) {
        case CLD_EXITED:
                return "exited";
        case CLD_KILLED:
                return "killed";
        case CLD_DUMPED:
                return "dumped";
        default:
                *status = code;
                return "other";
        }
}

static bool same_file(int a, int b) {
        pid_t self = getpid();
        return syscall(SYS_kcmp, self, self, KCMP_FILE, a, b) == 0;
}

static void store_remove_at(size_t i, const char *why) {
        event("%s %s", why, store[i].name);
        close(store[i].fd);
        free(store[i].name);
        memmove(store + i, store + i + 1, (n_store - i - 1) * sizeof(Stored));
        n_store--;
}

static void store_add(int fd, const char *name, bool poll) {
        for (size_t i = 0; i < n_store; i++)
                if (same_file(store[i].fd, fd)) {
                        event("duplicate %s", name);
                        close(fd);
                        return;
                }
        if (n_store >= MAX_STORED) {
                event("error store full, dropping %s", name);
                close(fd);
                return;
        }
        store[n_store++] = (Stored) { .fd = fd, .name = strdup(name), .poll = poll };
        event("stored %s", name);
}

/* Handles one message; false when there was none. */
static bool handle_notify(int sock) {
        char buf[4096];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MESSAGE)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control };
        int fds[MAX_FDS_PER_MESSAGE];
        size_t n_fds = 0;
        pid_t sender = 0;

        ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
                return false;
        buf[n] = '\0';
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        memcpy(fds + n_fds, CMSG_DATA(c), k * sizeof(int));
                        n_fds += k;
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                        struct ucred uc;
                        memcpy(&uc, CMSG_DATA(c), sizeof uc);
                        sender = uc.pid;
                }
        }

        bool ready = false, fdstore = false, remove = false, poll = true;
        const char *name = NULL;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                if (strcmp(line, "READY=1") == 0)
                        ready = true;
                else if (strcmp(line, "FDSTORE=1") == 0)
                        fdstore = true;
                else if (strcmp(line, "FDSTOREREMOVE=1") == 0)
                        remove = true;
                else if (strcmp(line, "FDPOLL=0") == 0)
                        poll = false;
                else if (strncmp(line, "FDNAME=", 7) == 0)
                        name = line + 7;
        }

        if (sender <= 0 || sender != daemon_pid) {
                event("error message from PID %d ignored (not the main process)", (int) sender);
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
                return true;
        }
        if (ready)
                event("ready %d", (int) daemon_pid);
        if (fdstore)
                for (size_t i = 0; i < n_fds; i++)
                        store_add(fds[i], name ? name : "stored", poll && !arg_no_poll);
        else
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
        if (remove && name)
                for (size_t i = n_store; i > 0; i--)
                        if (strcmp(store[i - 1].name, name) == 0)
                                store_remove_at(i - 1, "removed");
        return true;
}

static void start_daemon(void) {
        if (daemon_pid > 0) {
                event("error already running");
                return;
        }
        pid_t pid = fork();
        if (pid < 0) {
                event("error fork: %s", strerror(errno));
                return;
        }
        if (pid == 0) {
                size_t n = n_store;
                int moved[MAX_STORED];
                char count[32], self[32];

                /* Out of the way of 3..3+n first, then into place (dup2 clears CLOEXEC). */
                for (size_t i = 0; i < n; i++)
                        if ((moved[i] = fcntl(store[i].fd, F_DUPFD_CLOEXEC, (int) (3 + n))) < 0)
                                _exit(120);
                for (size_t i = 0; i < n; i++)
                        if (dup2(moved[i], (int) (3 + i)) < 0)
                                _exit(121);
                syscall(SYS_close_range, 3 + n, ~0U, 0);

                size_t len = 1;
                for (size_t i = 0; i < n; i++)
                        len += strlen(store[i].name) + 1;
                char *names = calloc(len, 1);
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                strcat(names, ":");
                        strcat(names, store[i].name);
                }
                snprintf(count, sizeof count, "%zu", n);
                snprintf(self, sizeof self, "%d", (int) getpid());
                if (n > 0) {
                        setenv("LISTEN_FDS", count, 1);
                        setenv("LISTEN_FDNAMES", names, 1);
                        setenv("LISTEN_PID", self, 1);
                } else {
                        unsetenv("LISTEN_FDS");
                        unsetenv("LISTEN_FDNAMES");
                        unsetenv("LISTEN_PID");
                }
                setenv("NOTIFY_SOCKET", notify_path, 1);

                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execv(daemon_argv[0], daemon_argv);
                _exit(127);
        }
        daemon_pid = pid;
        event("started %d", (int) pid);
}

static void reap_all(void) {
        for (;;) {
                siginfo_t si = { 0 };
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                        return;
                int status = si.si_status;
                const char *h = how(si.si_code, &status);
                if (si.si_pid == daemon_pid) {
                        event("exited %d %s %d", (int) si.si_pid, h, status);
                        daemon_pid = 0;
                } else
                        event("reaped %d %s %d", (int) si.si_pid, h, status);
        }
}

/* Every process left to us (the daemon's orphans), as systemd's KillMode
 * would at the end of the service. */
static void kill_everything(void) {
        /* The daemon first, and reaped: only then are its children ours
         * (reparented to this subreaper) and found by the scan below. */
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGKILL);
                while (waitpid(daemon_pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char path[300], buf[512];
                int ppid = 0;
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[n] = '\0';
                char *p = strrchr(buf, ')');
                if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == getpid())
                        kill(atoi(de->d_name), SIGKILL);
        }
        if (d)
                closedir(d);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
}

static void cleanup(void) {
        unlink(notify_path);
        rmdir(tmpdir);
}

int main(int argc, char *argv[]) {
        int first = 1;
        if (argc > 1 && strcmp(argv[1], "--no-poll") == 0) {
                arg_no_poll = true;
                first++;
        }
        if (argc <= first) {
                fprintf(stderr, "usage: %s [--no-poll] PROGRAM [ARGUMENT...]\n", argv[0]);
                return 2;
        }
        daemon_argv = argv + first;

        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
                perror("fdstore-harness: PR_SET_CHILD_SUBREAPER");
                return 1;
        }

        strcpy(tmpdir, "/tmp/fdstore-harness-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("fdstore-harness: mkdtemp");
                return 1;
        }
        snprintf(notify_path, sizeof notify_path, "%s/notify", tmpdir);
        atexit(cleanup);

        int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, notify_path);
        int one = 1;
        if (sock < 0 || bind(sock, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
                perror("fdstore-harness: notify socket");
                return 1;
        }
        /* Large enough for a burst of FDSTORE messages while we are busy. */
        int rcvbuf = 8 * 1024 * 1024;
        (void) setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);

        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                perror("fdstore-harness: signalfd");
                return 1;
        }

        char line[256];
        size_t line_len = 0;
        for (;;) {
                struct pollfd p[3 + MAX_STORED];
                size_t np = 0;
                p[np++] = (struct pollfd) { .fd = 0, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = sock, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = sfd, .events = POLLIN };
                size_t first_stored = np;
                for (size_t i = 0; i < n_store; i++)
                        /* events 0: only POLLHUP/POLLERR, what systemd watches for. */
                        p[np++] = (struct pollfd) { .fd = store[i].poll ? store[i].fd : -1, .events = 0 };

                if (poll(p, np, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("fdstore-harness: poll");
                        break;
                }

                /* The store as polled, before anything below changes it. */
                for (size_t i = n_store; i > 0; i--)
                        if (p[first_stored + i - 1].revents & (POLLHUP | POLLERR))
                                store_remove_at(i - 1, "dropped");
                /* Every message the daemon sent before it died counts: messages first. */
                if (p[1].revents)
                        while (handle_notify(sock))
                                ;
                if (p[2].revents) {
                        struct signalfd_siginfo ssi;
                        while (read(sfd, &ssi, sizeof ssi) == sizeof ssi)
                                ;
                        while (handle_notify(sock))
                                ;
                        reap_all();
                }

                if (p[0].revents) {
                        char c;
                        ssize_t n = read(0, &c, 1);
                        if (n <= 0)
                                break;
                        if (c != '\n') {
                                if (line_len < sizeof line - 1)
                                        line[line_len++] = c;
                                continue;
                        }
                        line[line_len] = '\0';
                        line_len = 0;
                        if (strcmp(line, "start") == 0)
                                start_daemon();
                        else if (strcmp(line, "kill") == 0 || strcmp(line, "term") == 0) {
                                if (daemon_pid > 0)
                                        kill(daemon_pid, line[0] == 'k' ? SIGKILL : SIGTERM);
                                else
                                        event("error not running");
                        } else if (strcmp(line, "list") == 0) {
                                printf("store");
                                for (size_t i = 0; i < n_store; i++)
                                        printf(" %s", store[i].name);
                                event("%s", "");
                        } else if (strcmp(line, "quit") == 0)
                                break;
                        else
                                event("error unknown command \"%s\"", line);
                }
        }

        kill_everything();
        return 0;
}
