/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "auth.h"

int auth_check_spawn(Manager *m, sd_bus_message *msg, Peer *peer, const Identity *target, sd_bus_error *error) {
        if (peer->uid == 0)
                return 1;
        if (target->uid != peer->uid)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Spawning as user %s (uid %u) is not allowed for uid %u",
                                         target->name, (unsigned) target->uid, (unsigned) peer->uid);
        /* The user's own primary group, or one it is a member of, as newgrp allows. */
        if (!identity_has_group(target, target->gid))
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Spawning with group %u is not allowed: user %s is not a member",
                                         (unsigned) target->gid, target->name);
        return 1;
}

int auth_check_act(Manager *m, sd_bus_message *msg, Peer *peer, const Process *p, sd_bus_error *error) {
        if (peer->uid == 0 || peer->uid == p->owner_uid)
                return 1;
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Process %" PRIu64 " belongs to uid %u, not to uid %u",
                                 p->id, (unsigned) p->owner_uid, (unsigned) peer->uid);
}
