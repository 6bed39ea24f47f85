/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Loading json-c on demand (see cli-json.h for why).
 */

#include <dlfcn.h>

#include "cli.h"
#include "cli-json.h"

/* The soname of json-c 0.14 and later; a mismatch fails the --json tests. */
#define JSONC_SONAME "libjson-c.so.5"

JsonC cli_jsonc;

int cli_json_load(void) {
        static void *handle;

        if (handle)
                return 0;
        handle = dlopen(JSONC_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
                cli_error("--json needs %s: %s", JSONC_SONAME, dlerror());
                return -EOPNOTSUPP;
        }
#define JSONC_RESOLVE(name)                                                     \
        cli_jsonc.name = (__typeof__(cli_jsonc.name)) dlsym(handle, #name);     \
        if (!cli_jsonc.name) {                                                  \
                cli_error("%s lacks %s: %s", JSONC_SONAME, #name, dlerror());   \
                dlclose(handle);                                                \
                handle = NULL;                                                  \
                return -EOPNOTSUPP;                                             \
        }
        JSONC_SYMBOLS(JSONC_RESOLVE)
#undef JSONC_RESOLVE
        return 0;
}
