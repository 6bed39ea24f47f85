/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pc-idle: the child the scale test keeps alive by the thousand; also built
 * as bench/scale's scale-idle, for the scale benchmarks.
 *
 *   pc-idle [SECONDS]
 *
 * Waits for a signal; SIGTERM (Stop) ends it.  alarm(SECONDS), by default
 * PC_IDLE_DEFAULT_SECONDS (300 for the test, 900 for the benchmarks), so
 * that a test or benchmark that dies half-way leaves nothing running for
 * long.  Linked statically where the toolchain can: ten thousand of them
 * then start fast and cost a few pages each, so what is measured is the
 * daemon, not the children.
 */

#include <stdlib.h>
#include <unistd.h>

#ifndef PC_IDLE_DEFAULT_SECONDS
#define PC_IDLE_DEFAULT_SECONDS 300
#endif

int main(int argc, char **argv) {
        unsigned long seconds = argc > 1 ? strtoul(argv[1], NULL, 10) : PC_IDLE_DEFAULT_SECONDS;

        alarm(seconds > 0 ? (unsigned) seconds : PC_IDLE_DEFAULT_SECONDS);
        for (;;)
                pause();
}
