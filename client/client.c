/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The client: one sd-bus connection to the bus procctld is on, and the
 * plumbing to drive it from sd-event or from any poll loop.  Connecting
 * never blocks; the bus handshake completes with the first call.
 */

#include <poll.h>

#include "libprocctl-private.h"

static int client_new(sd_bus *bus, bool own_bus, procctl_client **ret) {
        procctl_client *c;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->bus = sd_bus_ref(bus);
        c->own_bus = own_bus;
        *ret = c;
        return 0;
}

static int client_new_take_bus(sd_bus *bus, procctl_client **ret) {
        int r = client_new(bus, true, ret);
        if (r < 0)
                sd_bus_close_unref(bus);
        else
                sd_bus_unref(bus);
        return r;
}

_public_ int procctl_client_new_system(procctl_client **ret) {
        sd_bus *bus = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        return client_new_take_bus(bus, ret);
}

_public_ int procctl_client_new_user(procctl_client **ret) {
        sd_bus *bus = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = sd_bus_open_user(&bus);
        if (r < 0)
                return r;
        return client_new_take_bus(bus, ret);
}

/* Over ssh (sd-bus runs `ssh -xT HOST systemd-stdio-bridge`): the remote
 * connection cannot carry file descriptors. */
_public_ int procctl_client_new_remote(procctl_client **ret, const char *host) {
        sd_bus *bus = NULL;
        int r;

        if (!ret || !host || !*host)
                return -EINVAL;
        r = sd_bus_open_system_remote(&bus, host);
        if (r < 0)
                return r;
        return client_new_take_bus(bus, ret);
}

/* Into a local container's namespaces, to its system bus socket (root only). */
_public_ int procctl_client_new_machine(procctl_client **ret, const char *machine) {
        sd_bus *bus = NULL;
        int r;

        if (!ret || !machine || !*machine)
                return -EINVAL;
        r = sd_bus_open_system_machine(&bus, machine);
        if (r < 0)
                return r;
        return client_new_take_bus(bus, ret);
}

_public_ int procctl_client_new_address(procctl_client **ret, const char *address) {
        sd_bus *bus = NULL;
        int r;

        if (!ret || !address)
                return -EINVAL;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        return client_new_take_bus(bus, ret);
}

_public_ int procctl_client_new_from_bus(procctl_client **ret, sd_bus *bus) {
        if (!ret || !bus)
                return -EINVAL;
        return client_new(bus, false, ret);
}

_public_ procctl_client *procctl_client_ref(procctl_client *client) {
        if (client)
                client->n_ref++;
        return client;
}

_public_ procctl_client *procctl_client_unref(procctl_client *client) {
        if (!client || --client->n_ref > 0)
                return NULL;

        /* Pending calls end here, without their callbacks. */
        while (client->calls.head) {
                procctl_call *call = client->calls.head;

                call_unlink(call);
                procctl_call_cancel(call);
        }
        /* Handles outlive the client as names only. */
        while (client->processes.head)
                process_detach(client->processes.head);

        /* Flush so that fire-and-forget requests reach the daemon. */
        if (client->own_bus)
                sd_bus_flush_close_unref(client->bus);
        else {
                (void) sd_bus_flush(client->bus);
                sd_bus_unref(client->bus);
        }
        free(client);
        return NULL;
}

_public_ sd_bus *procctl_client_get_bus(procctl_client *client) {
        return client ? client->bus : NULL;
}

_public_ int procctl_client_set_allow_interactive_authorization(procctl_client *client, bool allow) {
        if (!client)
                return -EINVAL;
        return sd_bus_set_allow_interactive_authorization(client->bus, allow);
}

_public_ int procctl_client_set_call_timeout(procctl_client *client, uint64_t usec) {
        if (!client)
                return -EINVAL;
        client->call_timeout = usec;
        return 0;
}

_public_ int procctl_client_attach_event(procctl_client *client, sd_event *event, int64_t priority) {
        if (!client)
                return -EINVAL;
        return sd_bus_attach_event(client->bus, event, priority);
}

_public_ int procctl_client_detach_event(procctl_client *client) {
        if (!client)
                return -EINVAL;
        return sd_bus_detach_event(client->bus);
}

_public_ int procctl_client_get_fd(procctl_client *client) {
        if (!client)
                return -EINVAL;
        return sd_bus_get_fd(client->bus);
}

_public_ int procctl_client_get_events(procctl_client *client) {
        if (!client)
                return -EINVAL;
        return sd_bus_get_events(client->bus);
}

_public_ int procctl_client_get_timeout(procctl_client *client, uint64_t *ret_usec) {
        if (!client || !ret_usec)
                return -EINVAL;
        return sd_bus_get_timeout(client->bus, ret_usec);
}

_public_ int procctl_client_process(procctl_client *client) {
        if (!client)
                return -EINVAL;
        return sd_bus_process(client->bus, NULL);
}

_public_ int procctl_client_wait(procctl_client *client, uint64_t timeout_usec) {
        if (!client)
                return -EINVAL;
        return sd_bus_wait(client->bus, timeout_usec);
}

_public_ int procctl_client_flush(procctl_client *client) {
        if (!client)
                return -EINVAL;
        return sd_bus_flush(client->bus);
}

int client_new_method_call(procctl_client *client, const char *path, const char *interface,
                           const char *member, sd_bus_message **ret) {
        return sd_bus_message_new_method_call(client->bus, ret, PROCCTL_BUS_NAME, path, interface, member);
}

int client_new_manager_call(procctl_client *client, const char *member, sd_bus_message **ret) {
        return client_new_method_call(client, PROCCTL_MANAGER_PATH, PROCCTL_MANAGER_INTERFACE, member, ret);
}
