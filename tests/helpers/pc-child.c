/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pc-child: the program the integration tests ask procctld to start when
 * they need the child to tell them what it got.  Plain libc, no GLib, so
 * that nothing but the daemon shapes what it reports.
 *
 *   pc-child report FILE
 *       Writes what the process got from the daemon to FILE (atomically,
 *       through FILE.tmp and rename), one "key value" per line, ending with
 *       "end":  argv0, exe, pid, ppid, sid, pgid, uid/gid (real effective
 *       saved), groups, blocked (signal numbers in the mask), ignored and
 *       handled (signals whose disposition is not SIG_DFL), fd (one line per
 *       open descriptor: number and readlink target), env (one line per
 *       entry), cwd, umask (octal), rlimit-nofile (soft hard).  Exits 0.
 *
 *   pc-child ignore-term
 *       Ignores SIGTERM, writes "ready\n" to stdout, then waits for a signal
 *       it does not ignore.
 *
 *   pc-child tree
 *       Installs a SIGUSR1 handler and forks a grandchild that stays in the
 *       process group.  Writes "ready <grandchild pid>\n" to stdout; on
 *       SIGUSR1 the child writes "child got USR1\n" and the grandchild
 *       "grandchild got USR1\n", each then exits 0.
 *
 *   pc-child not-dumpable
 *       Makes itself not dumpable (prctl), as a program holding secrets
 *       does, which gives its /proc files to root; then waits for a signal.
 *
 * Every waiting mode arms alarm(60), so a test that dies half-way leaves
 * nothing running for long.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;

/* The value of the line of file that starts with key (after any ':' and
 * blanks), or "-". */
static const char *proc_field(const char *file, const char *key, char *buf, size_t size) {
        char line[512];
        FILE *in = fopen(file, "re");

        snprintf(buf, size, "-");
        if (!in)
                return buf;
        while (fgets(line, sizeof line, in))
                if (strncmp(line, key, strlen(key)) == 0) {
                        char *v = line + strlen(key);
                        v += strspn(v, " \t:");
                        v[strcspn(v, "\n")] = '\0';
                        snprintf(buf, size, "%s", v);
                        break;
                }
        fclose(in);
        return buf;
}

static int report(const char *argv0, const char *file) {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s.tmp", file);

        /* Learn the open descriptors before opening anything ourselves. */
        int open_fds[1024];
        char open_targets[1024][256];
        size_t n_open = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d) {
                perror("opendir /proc/self/fd");
                return 1;
        }
        struct dirent *de;
        while ((de = readdir(d)) && n_open < 1024) {
                if (de->d_name[0] == '.')
                        continue;
                int fd = atoi(de->d_name);
                if (fd == dirfd(d))
                        continue;
                char link[64];
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                ssize_t l = readlink(link, open_targets[n_open], sizeof open_targets[n_open] - 1);
                open_targets[n_open][l < 0 ? 0 : l] = '\0';
                open_fds[n_open++] = fd;
        }
        closedir(d);

        /* Read the mask and dispositions before stdio could install anything. */
        sigset_t blocked;
        sigprocmask(SIG_BLOCK, NULL, &blocked);

        FILE *f = fopen(tmp, "we");
        if (!f) {
                perror(tmp);
                return 1;
        }

        char buf[PATH_MAX];
        ssize_t l;

        fprintf(f, "argv0 %s\n", argv0);
        l = readlink("/proc/self/exe", buf, sizeof buf - 1);
        buf[l < 0 ? 0 : l] = '\0';
        fprintf(f, "exe %s\n", buf);
        fprintf(f, "pid %d\n", (int) getpid());
        fprintf(f, "ppid %d\n", (int) getppid());
        fprintf(f, "sid %d\n", (int) getsid(0));
        fprintf(f, "pgid %d\n", (int) getpgid(0));

        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        getresuid(&ru, &eu, &su);
        getresgid(&rg, &eg, &sg);
        fprintf(f, "uid %u %u %u\n", ru, eu, su);
        fprintf(f, "gid %u %u %u\n", rg, eg, sg);

        gid_t groups[NGROUPS_MAX];
        int ng = getgroups(NGROUPS_MAX, groups);
        fprintf(f, "groups");
        for (int i = 0; i < ng; i++)
                fprintf(f, " %u", groups[i]);
        fprintf(f, "\n");

        fprintf(f, "blocked");
        for (int s = 1; s < NSIG; s++)
                if (sigismember(&blocked, s) == 1)
                        fprintf(f, " %d", s);
        fprintf(f, "\n");

        char ignored[1024] = "", handled[1024] = "";
        for (int s = 1; s < NSIG; s++) {
                struct sigaction sa;
                if (s == SIGKILL || s == SIGSTOP)
                        continue;
                if (sigaction(s, NULL, &sa) < 0)
                        continue;
                char num[16];
                snprintf(num, sizeof num, " %d", s);
                if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
                        strncat(ignored, num, sizeof ignored - strlen(ignored) - 1);
                else if ((sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL)
                        strncat(handled, num, sizeof handled - strlen(handled) - 1);
        }
        fprintf(f, "ignored%s\n", ignored);
        fprintf(f, "handled%s\n", handled);

        for (size_t i = 0; i < n_open; i++)
                fprintf(f, "fd %d %s\n", open_fds[i], open_targets[i]);

        for (char **e = environ; *e; e++)
                fprintf(f, "env %s\n", *e);

        if (!getcwd(buf, sizeof buf))
                snprintf(buf, sizeof buf, "(getcwd failed: %s)", strerror(errno));
        fprintf(f, "cwd %s\n", buf);

        mode_t m = umask(0);
        umask(m);
        fprintf(f, "umask %04o\n", (unsigned) m);

        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        fprintf(f, "rlimit-nofile %llu %llu\n", (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);

        /* Scheduling: the CPUs it may run on, and the slice the scheduler
         * gives it (/proc/PID/sched, "-" where the kernel shows none). */
        char value[256];
        fprintf(f, "cpus-allowed %s\n", proc_field("/proc/self/status", "Cpus_allowed_list:", value, sizeof value));
        fprintf(f, "slice %s\n", proc_field("/proc/self/sched", "se.slice", value, sizeof value));

        fprintf(f, "end\n");
        if (fclose(f) != 0) {
                perror(tmp);
                return 1;
        }
        if (rename(tmp, file) < 0) {
                perror(file);
                return 1;
        }
        return 0;
}

static void write_all(int fd, const char *s) {
        size_t n = strlen(s);
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

static _Noreturn void ignore_term(void) {
        signal(SIGTERM, SIG_IGN);
        alarm(60);
        write_all(STDOUT_FILENO, "ready\n");
        for (;;)
                pause();
}

static _Noreturn void not_dumpable(void) {
        if (prctl(PR_SET_DUMPABLE, 0) < 0) {
                perror("prctl");
                exit(1);
        }
        alarm(60);
        for (;;)
                pause();
}

/* Set before the fork: whoever is not this PID is the grandchild, with no
 * window in which a signal could find the flag unset. */
static pid_t child_pid;

static void on_usr1(int sig) {
        write_all(STDOUT_FILENO, getpid() != child_pid ? "grandchild got USR1\n" : "child got USR1\n");
        _exit(0);
}

static _Noreturn void tree(void) {
        struct sigaction sa = { .sa_handler = on_usr1 };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        alarm(60);
        child_pid = getpid();
        /* SIGTERM ignored, by the grandchild from its first instruction:
         * when the child exits first, procctld stops what is left in its
         * cgroup (kill-mode control-group), and a fatal SIGTERM would
         * overtake the SIGUSR1 both got. */
        signal(SIGTERM, SIG_IGN);

        pid_t pid = fork();
        if (pid < 0) {
                perror("fork");
                exit(1);
        }
        if (pid == 0) {
                alarm(60);
                for (;;)
                        pause();
        }

        char line[64];
        snprintf(line, sizeof line, "ready %d\n", (int) pid);
        write_all(STDOUT_FILENO, line);
        for (;;)
                pause();
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "report") == 0)
                return report(argv[0], argv[2]);
        if (argc == 2 && strcmp(argv[1], "ignore-term") == 0)
                ignore_term();
        if (argc == 2 && strcmp(argv[1], "tree") == 0)
                tree();
        if (argc == 2 && strcmp(argv[1], "not-dumpable") == 0)
                not_dumpable();

        fprintf(stderr, "usage: %s report FILE | ignore-term | tree | not-dumpable\n", argv[0]);
        return 2;
}
