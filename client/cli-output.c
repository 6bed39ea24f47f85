/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Output that respects people, as systemctl's does: color only on a
 * terminal and never with NO_COLOR set (https://no-color.org) or TERM=dumb;
 * $SYSTEMD_COLORS=0 (or no, false, off) turns it off, another value on;
 * long output through a pager only on a terminal, never with --no-pager:
 * $SYSTEMD_PAGER, else $PAGER, else `less` with LESS=FRSXMK (quit if one
 * screen, raw color codes, chop long lines, leave the screen alone, verbose
 * prompt, quit on Ctrl-C), else `more`; "" or "cat" means no pager.
 * The terminal's width and whether to color are decided once, before the
 * pager takes our stdout.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cli.h"

bool cli_colors(void) {
        static int cached = -1;
        const char *term;

        if (cached < 0) {
                const char *no_color = getenv("NO_COLOR"), *systemd_colors = getenv("SYSTEMD_COLORS");

                term = getenv("TERM");
                cached = !(no_color && *no_color) && !streq_ptr(term, "dumb") && term &&
                        isatty(STDOUT_FILENO);
                /* As systemd reads it: a false value turns color off, another one on, terminal or not. */
                if (systemd_colors && *systemd_colors && !(no_color && *no_color))
                        cached = !(streq_ptr(systemd_colors, "0") || streq_ptr(systemd_colors, "no") ||
                                   streq_ptr(systemd_colors, "false") || streq_ptr(systemd_colors, "off"));
        }
        return cached;
}

const char *cli_color(const char *ansi) {
        return cli_colors() ? ansi : "";
}

int cli_columns(void) {
        static int cached = -1;
        struct winsize ws;
        const char *e;

        if (cached >= 0)
                return cached;
        e = getenv("COLUMNS");
        if (e && atoi(e) > 0)
                cached = atoi(e);
        else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                cached = ws.ws_col;
        else
                cached = 0;  /* not a terminal: do not cut */
        return cached;
}

/* ------------------------------------------------------------------ pager */

static pid_t pager_pid;
static int saved_stdout = -1;

/* In the pager's process: the pager, or a plain copy if there is none. */
static _Noreturn void pager_exec(pid_t parent) {
        const char *pager = getenv("SYSTEMD_PAGER") ?: getenv("PAGER");
        const char *less = getenv("SYSTEMD_LESS");
        char buf[4096];
        ssize_t n;

        /* Nobody left to read our input if procctl dies: go too. */
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
                _exit(0);

        (void) setenv("LESS", less ?: "FRSXMK", 1);
        if (pager) {
                execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                fprintf(stderr, "procctl: cannot run pager '%s': %m\n", pager);
        } else {
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
        }
        /* No pager to be had: the output is still worth seeing. */
        while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                if (write(STDOUT_FILENO, buf, (size_t) n) != n)
                        break;
        _exit(0);
}

void cli_pager_open(void) {
        const char *pager = getenv("SYSTEMD_PAGER") ?: getenv("PAGER");
        int fd[2];
        pid_t pid, parent;

        if (!arg.pager || pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;
        if (pager && (!*pager || strcmp(pager, "cat") == 0))
                return;

        /* Decided while stdout is still the terminal. */
        (void) cli_colors();
        (void) cli_columns();

        if (pipe2(fd, O_CLOEXEC) < 0)
                return;
        fflush(stdout);
        parent = getpid();
        pid = fork();
        if (pid < 0) {
                (void) close(fd[0]);
                (void) close(fd[1]);
                return;
        }
        if (pid == 0) {
                if (dup2(fd[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                pager_exec(parent);
        }

        saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (saved_stdout < 0 || dup2(fd[1], STDOUT_FILENO) < 0) {
                /* Without our output the pager ends at once. */
                (void) close(fd[0]);
                (void) close(fd[1]);
                (void) waitpid(pid, NULL, 0);
                saved_stdout = safe_close(saved_stdout);
                return;
        }
        (void) close(fd[0]);
        (void) close(fd[1]);
        pager_pid = pid;
        /* A pager quit early is no failure of ours. */
        (void) signal(SIGPIPE, SIG_IGN);
        atexit(cli_pager_close);
}

void cli_pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        /* Our stdout back; the pager sees the end of its input. */
        (void) dup2(saved_stdout, STDOUT_FILENO);
        saved_stdout = safe_close(saved_stdout);
        (void) kill(pager_pid, SIGCONT);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}
