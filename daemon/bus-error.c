/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bus-error.h"
#include "log.h"

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

int bus_error_out_of_descriptors(sd_bus_error *error) {
        static bool logged;

        /* Once is enough for the operator; every caller gets the reply. */
        if (!logged) {
                log_error("Out of file descriptors (RLIMIT_NOFILE): processes cannot be started until some are released");
                logged = true;
        }
        return sd_bus_error_set(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                "procctld has run out of file descriptors; no process was started");
}

int bus_error_from_spawn_failure(sd_bus_error *error, const SpawnFailure *f, const char *file, const char *working_directory,
                                 uid_t uid, gid_t gid) {
        char msg[1024];

        /* The child inherits our descriptor table: running out there is the daemon's limit, not the program's fault. */
        if (f->stage == SPAWN_STAGE_FDS && (f->error == EMFILE || f->error == ENFILE))
                return bus_error_out_of_descriptors(error);

        spawn_failure_message(f, file, working_directory, uid, gid, msg, sizeof(msg));
        return sd_bus_error_set(error, PROCCTL_ERROR_EXEC_FAILED, msg);
}
