/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pc-broker: dbus-daemon's command line in front of dbus-broker, so that a
 * test or script that starts a private bus can start Fedora's and Arch's
 * system bus instead of Debian's by changing only the program it runs.
 *
 *   pc-broker --config-file=FILE [--print-address[=FD]] [--nofork]
 *
 * FILE is a dbus-daemon configuration; dbus-broker-launch reads the same
 * format (and the same policy elements) itself.  What it does not do is what
 * dbus-daemon does around it, so this program does that:
 *
 *  - the launcher listens only on a socket passed in as systemd passes it
 *    (LISTEN_FDS), and ignores <listen>: this program creates the socket the
 *    first <listen> names (unix:path=P, or unix:tmpdir=D as an abstract
 *    socket, as dbus-daemon does on Linux) and passes it;
 *  - the launcher and the broker log only to the journal, at the fixed path
 *    /run/systemd/journal/socket, and refuse to start without one: this
 *    program gives itself a mount namespace with a tmpfs over /run/systemd,
 *    binds that socket there itself and copies each warning or error logged
 *    to its stderr, so the host's /run (and journal) is never touched;
 *  - the launcher says it is ready through sd_notify: this program hands it
 *    a NOTIFY_SOCKET, and prints the bus's address (to stdout, or FD) only
 *    once READY=1 came, so a caller that has read the address may connect.
 *
 * The launcher runs as this program's child; SIGTERM, SIGINT and SIGHUP are
 * passed on to it, and this program exits with its status once the broker
 * (the launcher's child, reparented here) has exited too.  The launcher is also
 * a client of its own bus (it subscribes to systemd's signals there), as it is
 * on a real system: DBUS_SYSTEM_BUS_ADDRESS is the bus's address.
 *
 * Not as root, the mount namespace comes with a user namespace that maps
 * only the caller's uid and gid onto themselves.
 */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syslog.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAUNCHER       "/usr/bin/dbus-broker-launch"
#define JOURNAL_DIR    "/run/systemd/journal"
#define JOURNAL_SOCKET JOURNAL_DIR "/socket"
#define NOTIFY_SOCKET  "/run/systemd/pc-broker-notify"

static G_NORETURN void die(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("pc-broker: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

/* --- The first <listen> of the configuration ------------------------------ */

typedef struct {
        gboolean in_listen;
        char *listen;
} ListenScan;

static void scan_start(GMarkupParseContext *ctx, const char *element, const char **names,
                       const char **values, gpointer user_data, GError **error) {
        ListenScan *s = user_data;
        s->in_listen = strcmp(element, "listen") == 0 && !s->listen;
}

static void scan_end(GMarkupParseContext *ctx, const char *element, gpointer user_data, GError **error) {
        ((ListenScan *) user_data)->in_listen = FALSE;
}

static void scan_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data,
                      GError **error) {
        ListenScan *s = user_data;
        if (s->in_listen)
                s->listen = g_strstrip(g_strndup(text, len));
}

static char *config_listen(const char *path) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        gsize len;
        if (!g_file_get_contents(path, &text, &len, &error))
                die("%s", error->message);

        static const GMarkupParser parser = { .start_element = scan_start, .end_element = scan_end,
                                              .text = scan_text };
        ListenScan s = { 0 };
        g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&parser, 0, &s, NULL);
        if (!g_markup_parse_context_parse(ctx, text, (gssize) len, &error) ||
            !g_markup_parse_context_end_parse(ctx, &error))
                die("%s: %s", path, error->message);
        if (!s.listen)
                die("%s has no <listen>", path);
        return s.listen;
}

/* --- Sockets ----------------------------------------------------------------- */

/* Binds a new socket of the given type to sa; path sockets are made
 * connectable by every uid, as systemd's SocketMode= default and
 * dbus-daemon do. */
static int bind_socket(int type, const struct sockaddr_un *sa, socklen_t len) {
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket(): %s", g_strerror(errno));
        if (bind(fd, (const struct sockaddr *) sa, len) < 0)
                die("bind(%s%s): %s", sa->sun_path[0] ? "" : "@", sa->sun_path + !sa->sun_path[0],
                    g_strerror(errno));
        if (sa->sun_path[0] && chmod(sa->sun_path, 0666) < 0)
                die("chmod(%s): %s", sa->sun_path, g_strerror(errno));
        return fd;
}

static socklen_t set_path(struct sockaddr_un *sa, const char *path, gboolean abstract) {
        size_t n = strlen(path);
        if (n + 1 > sizeof sa->sun_path)
                die("socket path too long: %s", path);
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path + !!abstract, path, n);
        /* A path's terminating NUL, or an abstract name's leading one. */
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* The listening socket for a unix:path= or unix:tmpdir= address; *address is
 * the address clients use and *path the file to remove at the end (or NULL). */
static int listen_on(const char *where, char **address, char **path) {
        struct sockaddr_un sa;
        socklen_t len;

        if (g_str_has_prefix(where, "unix:path=") && !strchr(where, ',')) {
                *path = g_strdup(where + strlen("unix:path="));
                *address = g_strdup(where);
                len = set_path(&sa, *path, FALSE);
        } else if (g_str_has_prefix(where, "unix:tmpdir=") && !strchr(where, ',')) {
                g_autofree char *name = g_strdup_printf("%s/dbus-broker-%08x%08x", where + strlen("unix:tmpdir="),
                                                        g_random_int(), g_random_int());
                *path = NULL;
                *address = g_strdup_printf("unix:abstract=%s", name);
                len = set_path(&sa, name, TRUE);
        } else
                die("only unix:path= and unix:tmpdir= addresses are supported, not %s", where);

        int fd = bind_socket(SOCK_STREAM, &sa, len);
        if (listen(fd, SOMAXCONN) < 0)
                die("listen(): %s", g_strerror(errno));
        return fd;
}

static void write_file(const char *path, const char *text) {
        g_autoptr(GError) error = NULL;
        if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
                die("%s", error->message);
}

/* A mount namespace whose /run/systemd is an empty tmpfs of its own. */
static void enter_namespace(void) {
        uid_t uid = geteuid();
        gid_t gid = getegid();

        if (unshare(CLONE_NEWNS) < 0) {
                if (errno != EPERM || uid == 0)
                        die("unshare(CLONE_NEWNS): %s", g_strerror(errno));
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        die("unshare(CLONE_NEWUSER|CLONE_NEWNS), needed not as root: %s", g_strerror(errno));
                g_autofree char *uid_map = g_strdup_printf("%u %u 1\n", (unsigned) uid, (unsigned) uid);
                g_autofree char *gid_map = g_strdup_printf("%u %u 1\n", (unsigned) gid, (unsigned) gid);
                write_file("/proc/self/setgroups", "deny");
                write_file("/proc/self/uid_map", uid_map);
                write_file("/proc/self/gid_map", gid_map);
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("making / private: %s", g_strerror(errno));
        /* /run/systemd, or /run where there is none (no systemd on the host). */
        const char *over = g_file_test("/run/systemd", G_FILE_TEST_IS_DIR) ? "/run/systemd" : "/run";
        if (mount("tmpfs", over, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                die("mounting a tmpfs on %s: %s", over, g_strerror(errno));
        if (g_mkdir_with_parents(JOURNAL_DIR, 0755) < 0)
                die("mkdir(%s): %s", JOURNAL_DIR, g_strerror(errno));
}

/* --- The journal the launcher and the broker log to --------------------------- */

/* One datagram of the journal's native protocol: fields KEY=VALUE\n, or
 * KEY\n, a 64-bit little-endian length, the value and \n.  Prints MESSAGE
 * when PRIORITY is warning or worse. */
static void print_journal_entry(const char *buf, size_t n) {
        int priority = LOG_INFO;
        g_autofree char *message = NULL;

        for (size_t i = 0; i < n;) {
                const char *line = buf + i;
                const char *nl = memchr(line, '\n', n - i);
                const char *eq = memchr(line, '=', (nl ? (size_t) (nl - line) : n - i));
                const char *value;
                size_t key_len, value_len;

                if (!nl)
                        break;
                if (eq) {
                        key_len = (size_t) (eq - line);
                        value = eq + 1;
                        value_len = (size_t) (nl - value);
                        i = (size_t) (nl + 1 - buf);
                } else {
                        uint64_t le;
                        key_len = (size_t) (nl - line);
                        if ((size_t) (nl + 1 - buf) + sizeof le > n)
                                break;
                        memcpy(&le, nl + 1, sizeof le);
                        value = nl + 1 + sizeof le;
                        value_len = (size_t) GUINT64_FROM_LE(le);
                        if (value_len > n - (size_t) (value - buf))
                                break;
                        i = (size_t) (value - buf) + value_len + 1;
                }
                if (key_len == 8 && memcmp(line, "PRIORITY", 8) == 0 && value_len == 1)
                        priority = value[0] - '0';
                else if (key_len == 7 && memcmp(line, "MESSAGE", 7) == 0) {
                        g_free(message);
                        message = g_strndup(value, value_len);
                }
        }
        if (message && priority <= LOG_WARNING)
                fprintf(stderr, "dbus-broker: %s%s", message, g_str_has_suffix(message, "\n") ? "" : "\n");
}

/* --- The launcher -------------------------------------------------------------- */

static pid_t start_launcher(const char *config, int listen_fd, int print_fd, const char *address,
                            const sigset_t *mask) {
        g_autofree char *config_arg = g_strdup_printf("--config-file=%s", config);
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", address);

        pid_t pid = fork();
        if (pid < 0)
                die("fork(): %s", g_strerror(errno));
        if (pid > 0)
                return pid;

        /* This program is single-threaded: the child may still use libc. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        sigprocmask(SIG_UNBLOCK, mask, NULL);
        if (print_fd > STDERR_FILENO)
                close(print_fd);
        if (listen_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(listen_fd, 3) < 0)
                _exit(127);
        char pid_env[32];
        snprintf(pid_env, sizeof pid_env, "%d", (int) getpid());
        setenv("LISTEN_PID", pid_env, 1);
        setenv("LISTEN_FDS", "1", 1);
        unsetenv("LISTEN_FDNAMES");
        setenv("NOTIFY_SOCKET", NOTIFY_SOCKET, 1);
        putenv(bus_env);
        const char *const argv[] = { LAUNCHER, config_arg, "--scope=system", NULL };
        execv(argv[0], (char **) argv);
        fprintf(stderr, "pc-broker: cannot run %s: %s\n", LAUNCHER, g_strerror(errno));
        _exit(127);
}

static gboolean is_ready(const char *buf) {
        g_auto(GStrv) lines = g_strsplit(buf, "\n", -1);
        for (char **l = lines; *l; l++)
                if (strcmp(*l, "READY=1") == 0)
                        return TRUE;
        return FALSE;
}

int main(int argc, char **argv) {
        const char *config = NULL;
        int print_fd = -1;

        for (int i = 1; i < argc; i++) {
                if (g_str_has_prefix(argv[i], "--config-file="))
                        config = argv[i] + strlen("--config-file=");
                else if (strcmp(argv[i], "--config-file") == 0 && i + 1 < argc)
                        config = argv[++i];
                else if (strcmp(argv[i], "--print-address") == 0)
                        print_fd = STDOUT_FILENO;
                else if (g_str_has_prefix(argv[i], "--print-address="))
                        print_fd = atoi(argv[i] + strlen("--print-address="));
                else if (strcmp(argv[i], "--nofork") != 0)
                        die("unknown option %s (usage: pc-broker --config-file=FILE [--print-address[=FD]] [--nofork])",
                            argv[i]);
        }
        if (!config)
                die("usage: pc-broker --config-file=FILE [--print-address[=FD]] [--nofork]");
        if (access(LAUNCHER, X_OK) < 0)
                die("%s is missing (apt-get install dbus-broker)", LAUNCHER);

        g_autofree char *listen = config_listen(config);
        g_autofree char *address = NULL, *socket_path = NULL;
        int listen_fd = listen_on(listen, &address, &socket_path);

        enter_namespace();
        struct sockaddr_un sa;
        socklen_t len = set_path(&sa, JOURNAL_SOCKET, FALSE);
        int journal_fd = bind_socket(SOCK_DGRAM, &sa, len);
        len = set_path(&sa, NOTIFY_SOCKET, FALSE);
        int notify_fd = bind_socket(SOCK_DGRAM, &sa, len);

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (signal_fd < 0)
                die("signalfd(): %s", g_strerror(errno));

        /* The broker, the launcher's child, is reaped here too. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                die("PR_SET_CHILD_SUBREAPER: %s", g_strerror(errno));
        int exit_status = 1;
        pid_t launcher = start_launcher(config, listen_fd, print_fd, address, &mask);
        close(listen_fd);

        for (;;) {
                struct pollfd p[] = {
                        { .fd = signal_fd, .events = POLLIN },
                        { .fd = journal_fd, .events = POLLIN },
                        { .fd = notify_fd, .events = POLLIN },
                };
                if (poll(p, G_N_ELEMENTS(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        die("poll(): %s", g_strerror(errno));
                }

                char buf[65536];
                if (p[1].revents & POLLIN) {
                        ssize_t n = recv(journal_fd, buf, sizeof buf, MSG_DONTWAIT);
                        if (n > 0)
                                print_journal_entry(buf, (size_t) n);
                }
                if (p[2].revents & POLLIN) {
                        ssize_t n = recv(notify_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
                        if (n > 0 && print_fd >= 0) {
                                buf[n] = '\0';
                                if (is_ready(buf)) {
                                        dprintf(print_fd, "%s\n", address);
                                        if (print_fd != STDOUT_FILENO && print_fd != STDERR_FILENO)
                                                close(print_fd);
                                        print_fd = -1;
                                }
                        }
                }
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(signal_fd, &si, sizeof si) != sizeof si)
                                continue;
                        if (si.ssi_signo != SIGCHLD) {
                                if (launcher > 0)
                                        kill(launcher, SIGTERM);
                                continue;
                        }
                        /* The launcher's end is the bus's, but the broker
                         * (reparented here) may still log on its way out. */
                        int status;
                        pid_t pid;
                        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                                if (pid == launcher) {
                                        exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
                                                128 + WTERMSIG(status);
                                        launcher = 0;
                                }
                        if (pid < 0 && errno == ECHILD) {
                                if (socket_path)
                                        unlink(socket_path);
                                return exit_status;
                        }
                }
        }
}
