/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pidfd-util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIDFS_MAGIC 0x50494446

guint64 pt_inode(int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                pc_fail("fstat(%d): %s", fd, g_strerror(errno));
        return (guint64) st.st_ino;
}

gboolean pt_is_on_pidfs(int fd) {
        struct statfs sfs;
        return fstatfs(fd, &sfs) == 0 && (guint32) sfs.f_type == PIDFS_MAGIC;
}

pid_t pt_start_child(const char *const *argv, int stdin_fd, gboolean ignore_term) {
        pid_t parent = getpid();
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        g_assert_cmpint(devnull, >=, 0);

        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                /* Async-signal-safe only: GDBus threads run in the parent. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                if (dup2(stdin_fd >= 0 ? stdin_fd : devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
                        _exit(127);
                syscall(SYS_close_range, 3, ~0U, 0);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                for (int s = 1; s < NSIG; s++)
                        signal(s, SIG_DFL);
                if (ignore_term)
                        signal(SIGTERM, SIG_IGN);
                const char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
                execve(argv[0], (char *const *) argv, (char *const *) envp);
                _exit(127);
        }
        close(devnull);
        return pid;
}

void pt_wait_exec(pid_t pid, const char *exe_suffix) {
        g_autofree char *link = g_strdup_printf("/proc/%d/exe", (int) pid);
        for (int i = 0; i < 1000; i++) {
                g_autofree char *exe = g_file_read_link(link, NULL);
                if (exe && g_str_has_suffix(exe, exe_suffix))
                        return;
                g_usleep(5 * 1000);
        }
        pc_fail("process %d did not exec *%s", (int) pid, exe_suffix);
}

struct PtReaper {
        pid_t pid;
        GThread *thread;
};

static gpointer reaper_thread(gpointer data) {
        PtReaper *r = data;
        int status;
        while (waitpid(r->pid, &status, 0) < 0)
                if (errno != EINTR)
                        return GINT_TO_POINTER(-1);
        return GINT_TO_POINTER(status);
}

PtReaper *pt_reaper_new(pid_t pid) {
        PtReaper *r = g_new0(PtReaper, 1);
        r->pid = pid;
        r->thread = g_thread_new("reaper", reaper_thread, r);
        return r;
}

int pt_reaper_join(PtReaper *r) {
        int status = GPOINTER_TO_INT(g_thread_join(r->thread));
        g_free(r);
        return status;
}

void pt_kill_and_reap(pid_t pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

char *pt_adopt_on(PcFixture *fx, GDBusConnection *conn, int pidfd, GVariant *options, GError **error) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_autoptr(GError) local = NULL;
        int handle = g_unix_fd_list_append(fds, pidfd, &local);
        g_assert_no_error(local);
        GVariant *opts = options ? options : g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
        g_autoptr(GVariant) reply = pc_call(fx, conn, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Adopt",
                                            g_variant_new("(h@a{sv})", handle, opts), G_VARIANT_TYPE("(o)"),
                                            fds, NULL, error);
        if (!reply)
                return NULL;
        char *path;
        g_variant_get(reply, "(o)", &path);
        return path;
}

char *pt_adopt(PcFixture *fx, int pidfd, GVariant *options, GError **error) {
        return pt_adopt_on(fx, NULL, pidfd, options, error);
}

int pt_get_pidfd(PcFixture *fx, const char *path, GError **error) {
        g_autoptr(GUnixFDList) out = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, PC_MANAGER_PATH, PC_MANAGER_IFACE, "GetPidfd",
                                            g_variant_new("(o)", path), G_VARIANT_TYPE("(h)"), NULL, &out, error);
        if (!reply)
                return -1;
        gint32 handle;
        g_variant_get(reply, "(h)", &handle);
        g_assert_nonnull(out);
        g_assert_cmpint(g_unix_fd_list_get_length(out), ==, 1);
        g_autoptr(GError) local = NULL;
        int fd = g_unix_fd_list_get(out, handle, &local);
        g_assert_no_error(local);
        return fd;
}

char *pt_get_process_by_pidfd(PcFixture *fx, int pidfd, GError **error) {
        g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
        g_autoptr(GError) local = NULL;
        int handle = g_unix_fd_list_append(fds, pidfd, &local);
        g_assert_no_error(local);
        g_autoptr(GVariant) reply = pc_call(fx, NULL, PC_MANAGER_PATH, PC_MANAGER_IFACE, "GetProcessByPidfd",
                                            g_variant_new("(h)", handle), G_VARIANT_TYPE("(o)"), fds, NULL, error);
        if (!reply)
                return NULL;
        char *path;
        g_variant_get(reply, "(o)", &path);
        return path;
}

char *pt_pidfd_call_as(PcFixture *fx, uid_t uid, gid_t gid, const char *call, const char *arg, GError **error) {
        const char *helper = g_getenv("PROCCTL_TEST_PIDFD_CALL");
        if (!helper)
                pc_fail("PROCCTL_TEST_PIDFD_CALL is not set: run the tests through `meson test`");
        g_autofree char *reuid = g_strdup_printf("--reuid=%u", (unsigned) uid);
        g_autofree char *regid = g_strdup_printf("--regid=%u", (unsigned) gid);
        const char *argv[] = {
                "/usr/bin/setpriv", reuid, regid, "--clear-groups", helper, fx->bus_address, call, arg, NULL,
        };
        g_autoptr(GError) local = NULL;
        g_autoptr(GSubprocess) sp = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                      &local);
        g_assert_no_error(local);
        g_autofree char *out = NULL, *err = NULL;
        g_subprocess_communicate_utf8(sp, NULL, NULL, &out, &err, &local);
        g_assert_no_error(local);
        if (!g_subprocess_get_if_exited(sp) || g_subprocess_get_exit_status(sp) != 0)
                pc_fail("pc-pidfd-call %s as %u:%u failed: %s", call, (unsigned) uid, (unsigned) gid, err);

        g_auto(GStrv) lines = g_strsplit(out, "\n", 4);
        if (g_strcmp0(lines[0], "OK") == 0 && lines[1])
                return g_strdup(lines[1]);
        if (g_strcmp0(lines[0], "ERROR") == 0 && lines[1] && lines[2]) {
                g_propagate_error(error, g_dbus_error_new_for_dbus_error(lines[1], lines[2]));
                return NULL;
        }
        pc_fail("unexpected output of pc-pidfd-call: %s", out);
        return NULL;
}

char *pt_spawn_ok(PcFixture *fx, const char *const *argv, GVariant *options, guint32 *pid) {
        g_autoptr(GError) error = NULL;
        char *path = pc_fixture_spawn(fx, argv, options, NULL, pid, &error);
        g_assert_no_error(error);
        return path;
}

char **pt_features(PcFixture *fx) {
        g_autoptr(GVariant) v = pc_get_property_checked(fx, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Features",
                                                        G_VARIANT_TYPE_STRING_ARRAY);
        return g_variant_dup_strv(v, NULL);
}
