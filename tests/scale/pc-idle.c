/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pc-idle: the child the scale test keeps alive by the thousand.
 *
 *   pc-idle [SECONDS]
 *
 * Waits for a signal; SIGTERM (Stop) ends it.  alarm(SECONDS), 300 by
 * default, so that a test that dies half-way leaves nothing running for
 * long.  Linked statically where the toolchain can: ten thousand of them
 * then start fast and cost a few pages each.
 */

#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
        unsigned long seconds = argc > 1 ? strtoul(argv[1], NULL, 10) : 300;

        alarm(seconds > 0 ? (unsigned) seconds : 300);
        for (;;)
                pause();
}
