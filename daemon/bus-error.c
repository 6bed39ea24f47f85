/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bus-error.h"

int bus_error_from_errno(sd_bus_error *error, int r, const char *context) {
        const char *name;

        if (r >= 0 || r == INT_MIN)
                r = -EIO;

        switch (-r) {
        case EINVAL:
        case ENXIO:
        case EBADMSG:
        case E2BIG:
        case ENAMETOOLONG:
                name = SD_BUS_ERROR_INVALID_ARGS;
                break;
        case ENOMEM:
                name = SD_BUS_ERROR_NO_MEMORY;
                break;
        case EPERM:
        case EACCES:
                name = SD_BUS_ERROR_ACCESS_DENIED;
                break;
        case EAGAIN:
        case EMFILE:
        case ENFILE:
        case EUSERS:
        case EDQUOT:
                name = PROCCTL_ERROR_LIMIT_EXCEEDED;
                break;
        case EOPNOTSUPP:
                name = SD_BUS_ERROR_NOT_SUPPORTED;
                break;
        default:
                name = SD_BUS_ERROR_FAILED;
                break;
        }
        sd_bus_error_setf(error, name, "%s: %s", context, strerror(-r));
        return r;
}

int bus_error_from_spawn_failure(sd_bus_error *error, const SpawnRequest *req, const SpawnFailure *f) {
        char msg[1024];

        spawn_failure_message(req, f, msg, sizeof(msg));
        return sd_bus_error_set(error, PROCCTL_ERROR_EXEC_FAILED, msg);
}
