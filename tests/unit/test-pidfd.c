/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pidfd_get_info() tries PIDFD_GET_INFO, an ioctl, only on a descriptor it
 * has proven to be a pidfd: an ioctl number means something else to another
 * driver, and Adopt's caller chooses what the descriptor is.  This program
 * defines ioctl() itself, so the daemon's code calls this one, which counts
 * the calls and passes them on.
 */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pidfd.h"

static unsigned ioctl_calls;

int ioctl(int fd, unsigned long request, ...) {
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        ioctl_calls++;
        return (int) syscall(SYS_ioctl, fd, request, arg);
}

static void assert_not_a_pidfd(int fd) {
        PidfdInfo info;

        g_assert_cmpint(fd, >=, 0);
        ioctl_calls = 0;
        g_assert_cmpint(pidfd_get_info(fd, &info), ==, -EBADF);
        g_assert_cmpuint(ioctl_calls, ==, 0);
        close(fd);
}

static void test_no_ioctl_on_other_descriptors(void) {
        int p[2], s[2];

        g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
        close(p[1]);
        assert_not_a_pidfd(p[0]);
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), ==, 0);
        close(s[1]);
        assert_not_a_pidfd(s[0]);
        assert_not_a_pidfd(eventfd(0, EFD_CLOEXEC)); /* an anonymous inode too, but not "[pidfd]" */
        assert_not_a_pidfd(memfd_create("not-a-pidfd", MFD_CLOEXEC));
        assert_not_a_pidfd(open("/dev/null", O_RDWR | O_CLOEXEC));
        assert_not_a_pidfd(open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

static void test_a_pidfd_is_read(void) {
        int fd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        PidfdInfo info;

        if (fd < 0) {
                g_test_skip("pidfd_open() is not available here");
                return;
        }
        g_assert_cmpint(pidfd_get_info(fd, &info), ==, 0);
        g_assert_cmpint(info.pid, ==, getpid());
        g_assert_cmpuint(info.ruid, ==, getuid());
        g_assert_cmpuint(info.euid, ==, geteuid());
        close(fd);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/pidfd/get-info/no-ioctl-on-a-descriptor-that-is-not-a-pidfd", test_no_ioctl_on_other_descriptors);
        g_test_add_func("/pidfd/get-info/reads-a-pidfd", test_a_pidfd_is_read);
        return g_test_run();
}
