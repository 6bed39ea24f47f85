/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * setuid-pause: a stand-in for a setuid-root program such as chfn, which
 * turns fully root (real, effective and saved uid 0) once it has checked its
 * user.  The test copies it into a directory of its own, makes it setuid
 * root, and has procctld start it for an unprivileged caller.  It then
 * waits to be killed.
 */

#include <stdio.h>
#include <unistd.h>

int main(void) {
        if (setresuid(0, 0, 0) < 0) {
                perror("setresuid");
                return 1;
        }
        for (;;)
                pause();
}
