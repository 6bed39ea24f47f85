/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The libFuzzer entry points of a fuzz target.  libFuzzer (clang
 * -fsanitize=fuzzer) calls them; fuzz-replay.c calls them the same way over
 * the files of a corpus, so the corpus runs as a unit test in every build.
 */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
