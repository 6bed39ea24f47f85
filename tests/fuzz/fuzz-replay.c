/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs a fuzz target over files, without libFuzzer: the seed corpus (and any
 * crash a fuzzer found and someone saved into it) becomes a regression test
 * in every build, sanitized or not.
 *
 *   fuzz-replay FILE-OR-DIRECTORY...
 *
 * Prints TAP: one "ok" line per file.  A failing input aborts inside the
 * target, which fails the test with the file named on the line before.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned n_run;

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int run_file(const char *path) {
        FILE *f = fopen(path, "re");
        unsigned char *data = NULL;
        size_t size = 0, cap = 0, n;

        if (!f) {
                printf("not ok %u %s # cannot open: %s\n", ++n_run, path, strerror(errno));
                return -1;
        }
        do {
                if (size == cap) {
                        cap = cap ? cap * 2 : 4096;
                        data = realloc(data, cap);
                        if (!data)
                                abort();
                }
                n = fread(data + size, 1, cap - size, f);
                size += n;
        } while (n > 0);
        fclose(f);

        printf("# running %s (%zu bytes)\n", path, size);
        fflush(stdout);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        printf("ok %u %s\n", ++n_run, path);
        return 0;
}

static int run_path(const char *path) {
        struct stat st;
        DIR *d;
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        if (stat(path, &st) < 0) {
                printf("not ok %u %s # %s\n", ++n_run, path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return run_file(path);

        d = opendir(path);
        if (!d) {
                printf("not ok %u %s # %s\n", ++n_run, path, strerror(errno));
                return -1;
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                names = realloc(names, (n + 1) * sizeof(char *));
                if (!names || asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
                        abort();
                n++;
        }
        closedir(d);
        /* The same order on every machine. */
        qsort(names, n, sizeof(char *), compare_names);
        for (size_t i = 0; i < n; i++) {
                if (run_path(names[i]) < 0)
                        r = -1;
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv) {
        int r = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
                return 2;
        }
        LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++)
                if (run_path(argv[i]) < 0)
                        r = 1;
        if (n_run == 0) {
                printf("not ok 1 no inputs found\n");
                r = 1;
                n_run = 1;
        }
        printf("1..%u\n", n_run);
        return r;
}
