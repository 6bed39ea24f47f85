/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * scale-idle: the child the scale benchmarks keep alive by the thousand.
 *
 *   scale-idle [SECONDS]
 *
 * Waits for a signal (SIGTERM from Stop ends it).  alarm(SECONDS), 900 by
 * default, makes sure a benchmark that dies half-way leaves nothing running
 * for long.  Linked statically where the toolchain can, so that ten thousand
 * of them start fast and cost the machine a few pages each: what is measured
 * is the daemon, not the children.
 */

#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
        unsigned long seconds = argc > 1 ? strtoul(argv[1], NULL, 10) : 900;

        alarm(seconds > 0 ? (unsigned) seconds : 900);
        for (;;)
                pause();
}
