/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Errors: how a D-Bus error reply becomes a negative errno and a
 * procctl_error, and how an exec failure's message, which its errno's name
 * leads, is read back into the reason the program could not start.  The
 * errno table lives here and in procctl.h's top comment, nowhere else.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libprocctl-private.h"

static const struct {
        const char *name;
        int error;
} error_map[] = {
        { PROCCTL_ERROR_EXEC_FAILED,                  ENOEXEC      },
        { PROCCTL_ERROR_NOT_RUNNING,                  ESRCH        },
        { PROCCTL_ERROR_STILL_RUNNING,                EBUSY        },
        { PROCCTL_ERROR_NO_SUCH_USER,                 ENXIO        },
        { PROCCTL_ERROR_LIMIT_EXCEEDED,               E2BIG        },
        { SD_BUS_ERROR_UNKNOWN_OBJECT,                ENOENT       },
        { SD_BUS_ERROR_INVALID_ARGS,                  EINVAL       },
        { SD_BUS_ERROR_ACCESS_DENIED,                 EACCES       },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, EACCES  },
        { SD_BUS_ERROR_NOT_SUPPORTED,                 EOPNOTSUPP   },
        { SD_BUS_ERROR_SERVICE_UNKNOWN,               EHOSTUNREACH },
};

static int errno_for_name(const sd_bus_error *bus_error) {
        int e;

        for (size_t i = 0; i < ELEMENTSOF(error_map); i++)
                if (sd_bus_error_has_name(bus_error, error_map[i].name))
                        return error_map[i].error;

        e = sd_bus_error_get_errno(bus_error);
        /* ExecFailed owns ENOEXEC: keep any other error from looking like one. */
        if (e <= 0 || e == ENOEXEC)
                return EIO;
        return e;
}

int error_set_from_bus(procctl_error *error, const sd_bus_error *bus_error) {
        int e = errno_for_name(bus_error);

        if (error) {
                procctl_error_clear(error);
                error->name = strdup(bus_error->name);
                error->message = strdup(bus_error->message ?: bus_error->name);
                error->error = e;
                if (!error->name || !error->message) {
                        procctl_error_clear(error);
                        error->error = ENOMEM;
                        return -ENOMEM;
                }
        }
        return -e;
}

int error_set_local(procctl_error *error, int r, const char *format, ...) {
        if (r >= 0)
                r = -EIO;
        if (error) {
                procctl_error_clear(error);
                error->error = -r;
                if (format) {
                        va_list ap;
                        va_start(ap, format);
                        if (vasprintf(&error->message, format, ap) < 0)
                                error->message = NULL;
                        va_end(ap);
                } else
                        error->message = strdup(strerror(-r));
        }
        return r;
}

int error_from_call(procctl_error *error, int r, const sd_bus_error *bus_error) {
        if (sd_bus_error_is_set(bus_error))
                return error_set_from_bus(error, bus_error);
        return error_set_local(error, r, NULL);
}

_public_ void procctl_error_clear(procctl_error *error) {
        if (!error)
                return;
        free(error->name);
        free(error->message);
        *error = (procctl_error) PROCCTL_ERROR_INIT;
}

_public_ bool procctl_error_is_set(const procctl_error *error) {
        return error && (error->error != 0 || error->name || error->message);
}

_public_ bool procctl_error_has_name(const procctl_error *error, const char *name) {
        return error && name && streq_ptr(error->name, name);
}

_public_ bool procctl_error_is_exec_failed(const procctl_error *error) {
        return procctl_error_has_name(error, PROCCTL_ERROR_EXEC_FAILED);
}

/* The daemon's ExecFailed message is "NAME: what failed: reason", NAME the
 * errno's symbolic name (or its decimal number when it has none), as
 * org.procctl.Manager1(5) documents.  Returns that errno, 0 when error is not
 * an exec failure of that form; *ret_what points past "NAME: ". */
static int exec_failure_parse(const procctl_error *error, const char **ret_what) {
        const char *m, *colon;
        size_t l;

        if (!procctl_error_is_exec_failed(error) || !error->message)
                return 0;
        m = error->message;
        colon = strstr(m, ": ");
        if (!colon || colon == m)
                return 0;
        l = (size_t) (colon - m);
        *ret_what = colon + 2;

        if (strspn(m, "0123456789") == l) {
                char *end;
                long e = strtol(m, &end, 10);

                return end == colon && e > 0 && e < 4096 ? (int) e : 0;
        }
        for (int e = 1; e < 4096; e++) {
                const char *name = strerrorname_np(e);

                if (name && strlen(name) == l && strncmp(name, m, l) == 0)
                        return e;
        }
        return 0;
}

_public_ int procctl_error_exec_errno(const procctl_error *error) {
        const char *what;

        return exec_failure_parse(error, &what);
}

_public_ bool procctl_error_is_exec_not_found(const procctl_error *error) {
        const char *what = NULL;

        if (exec_failure_parse(error, &what) != ENOENT)
                return false;
        /* Not the program itself: a missing working directory ("chdir(...)"),
         * or a program that exists but whose interpreter does not, which the
         * daemon says in one of two fixed forms. */
        if (strncmp(what, "execve(\"", 8) != 0 && strncmp(what, "execvp(\"", 8) != 0)
                return false;
        return !strstr(what, "\"): interpreter \"") && !strstr(what, "(the file exists: its ELF interpreter is missing)");
}
