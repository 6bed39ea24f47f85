/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * json-c for `--json`, loaded with dlopen() the first time it is needed:
 * procctl's start-up (what `procctl run` costs) does not pay for mapping a
 * library that only list and status use.  Call the functions through
 * JSONC(name), e.g. JSONC(json_object_new_object)().
 */

#include <json-c/json.h>

#define JSONC_SYMBOLS(X)                         \
        X(json_object_new_object)                \
        X(json_object_new_array)                 \
        X(json_object_new_string)                \
        X(json_object_new_int)                   \
        X(json_object_new_int64)                 \
        X(json_object_new_uint64)                \
        X(json_object_object_add)                \
        X(json_object_array_add)                 \
        X(json_object_to_json_string_ext)        \
        X(json_object_put)

#define JSONC_FIELD(name) __typeof__(name) *name;
typedef struct JsonC {
        JSONC_SYMBOLS(JSONC_FIELD)
} JsonC;
#undef JSONC_FIELD

extern JsonC cli_jsonc;
#define JSONC(name) (cli_jsonc.name)

/* Loads json-c once; prints the error itself. */
int cli_json_load(void);
