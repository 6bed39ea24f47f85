/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Calls: the one path every request to the daemon takes.  A synchronous
 * call is sd_bus_call() plus the error mapping.  An asynchronous call is a
 * procctl_call that owns a *floating* sd-bus reply slot: the bus frees the
 * slot when the reply has been dispatched, when the call is cancelled or
 * when the connection goes away, and the slot's destroy callback drops the
 * reference the slot held.  A floating slot holds no reference on the bus,
 * and a call none on its client, so freeing the client never waits on
 * pending calls: it cancels them (client.c).
 */

#include "libprocctl-private.h"

int call_sync(procctl_client *client, sd_bus_message *m, uint64_t timeout,
              sd_bus_message **ret_reply, procctl_error *error) {
        sd_bus_error bus_error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(client->bus, m, timeout ?: client->call_timeout, &bus_error, ret_reply);
        if (r < 0)
                r = error_from_call(error, r, &bus_error);
        sd_bus_error_free(&bus_error);
        return r < 0 ? r : 0;
}

static procctl_call *call_ref(procctl_call *call) {
        call->n_ref++;
        return call;
}

void call_unlink(procctl_call *call) {
        if (call->client) {
                LIST_REMOVE(calls, call->client->calls, call);
                call->client = NULL;
        }
}

_public_ procctl_call *procctl_call_unref(procctl_call *call) {
        if (!call || --call->n_ref > 0)
                return NULL;
        call_unlink(call);
        procctl_process_unref(call->process);
        procctl_process_info_unref(call->info);
        procctl_process_list_unref(call->list);
        free(call);
        return NULL;
}

_public_ bool procctl_call_is_pending(const procctl_call *call) {
        return call && call->slot;
}

_public_ void procctl_call_cancel(procctl_call *call) {
        sd_bus_slot *slot;

        if (!call || !call->slot)
                return;
        /* Dropping the bus's only reference frees the floating slot; its
         * destroy callback then releases the slot's reference on call. */
        slot = TAKE_PTR(call->slot);
        sd_bus_slot_unref(slot);
}

static void call_slot_destroyed(void *userdata) {
        procctl_call *call = userdata;

        if (call->chained) {
                /* The first reply's slot: the call goes on in the next one. */
                call->chained = false;
                procctl_call_unref(call);
                return;
        }
        call->slot = NULL;
        call_unlink(call);
        procctl_call_unref(call);
}

static int call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

/* The call goes on with a second request, of kind, in a new slot; the slot
 * being dispatched is then released without ending the call. */
static int call_chain(procctl_call *call, CallKind kind) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        int r;

        if (!call->client)
                return -ENOTCONN;
        if (kind == CALL_INFO_ARGV)
                r = process_argv_call_new(call->client, call->process->path, &m);
        else
                r = client_new_manager_call(call->client, "ListProcesses", &m);
        if (r < 0)
                return r;
        r = sd_bus_call_async(call->client->bus, &slot, m, call_reply, call, call->client->call_timeout);
        if (r < 0)
                return r;
        (void) sd_bus_slot_set_destroy_callback(slot, call_slot_destroyed);
        r = sd_bus_slot_set_floating(slot, true);
        if (r < 0) {
                (void) sd_bus_slot_set_destroy_callback(slot, NULL);
                sd_bus_slot_unref(slot);
                return r;
        }
        call_ref(call); /* the new slot's */
        call->slot = slot;
        call->kind = kind;
        call->chained = true;
        return 0;
}

static void call_complete(procctl_call *call, sd_bus_message *reply) {
        procctl_error error = PROCCTL_ERROR_INIT;
        const sd_bus_error *e;
        int r = 0;

        e = sd_bus_message_get_error(reply);
        if (e)
                r = error_set_from_bus(&error, e);

        switch (call->kind) {
        case CALL_SPAWN: {
                procctl_process *p = NULL;

                if (r >= 0)
                        r = spawn_from_reply(call->client, reply, &p);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse Spawn reply: %s", strerror(-r));
                call->callback.spawn(call->client, r, r >= 0 ? p : NULL, &error, call->userdata);
                procctl_process_unref(p);
                break;
        }
        case CALL_DONE:
                call->callback.done(call->process, r, &error, call->userdata);
                break;
        case CALL_EXIT: {
                procctl_exit x = {};

                if (r >= 0)
                        r = exit_from_reply(reply, &x);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse exit status: %s", strerror(-r));
                call->callback.exit(call->process, r, r >= 0 ? &x : NULL, &error, call->userdata);
                break;
        }
        case CALL_INFO: {
                procctl_process_info *info = NULL;

                if (r >= 0)
                        r = process_info_from_properties(reply, call->process->path, &info);
                if (r >= 0) {
                        call->info = info;
                        r = call_chain(call, CALL_INFO_ARGV);
                        if (r >= 0)
                                break;
                        call->info = NULL;
                }
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse properties: %s", strerror(-r));
                call->callback.info(call->process, r, NULL, &error, call->userdata);
                procctl_process_info_unref(info);
                break;
        }
        case CALL_INFO_ARGV: {
                procctl_process_info *info = TAKE_PTR(call->info);

                if (r >= 0)
                        r = process_info_read_argv(reply, info);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse Argv: %s", strerror(-r));
                if (r >= 0)
                        call->process->pid = info->pid;
                call->callback.info(call->process, r, r >= 0 ? info : NULL, &error, call->userdata);
                procctl_process_info_unref(info);
                break;
        }
        case CALL_LIST_WITH_INFO: {
                procctl_process_list *list = NULL;

                if (r >= 0)
                        r = process_list_with_info_from_reply(reply, &list);
                if (r >= 0) {
                        call->list = list;
                        r = call_chain(call, CALL_LIST_COMMAND_LINES);
                        if (r >= 0)
                                break;
                        call->list = procctl_process_list_unref(list);
                }
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse process list: %s", strerror(-r));
                call->callback.list(call->client, r, NULL, &error, call->userdata);
                break;
        }
        case CALL_LIST:
        case CALL_LIST_COMMAND_LINES: {
                procctl_process_list *list = TAKE_PTR(call->list);

                if (r >= 0)
                        r = call->kind == CALL_LIST ? process_list_from_reply(reply, &list)
                                                    : process_list_take_command_lines(list, reply);
                if (r < 0)
                        list = procctl_process_list_unref(list);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse process list: %s", strerror(-r));
                call->callback.list(call->client, r, list, &error, call->userdata);
                procctl_process_list_unref(list);
                break;
        }
        case CALL_OUTPUT: {
                procctl_output *output = NULL;

                if (r >= 0)
                        r = output_from_reply(reply, &output);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse ReadOutput reply: %s", strerror(-r));
                call->callback.output(call->process, r, output, &error, call->userdata);
                procctl_output_unref(output);
                break;
        }
        case CALL_FOLLOW: {
                int fd = -1;

                if (r >= 0)
                        r = follow_fd_from_reply(reply, &fd);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to take FollowOutput's pipe: %s", strerror(-r));
                call->callback.fd(call->process, r, fd, &error, call->userdata);
                break;
        }
        case CALL_PID: {
                pid_t pid = 0;

                if (r >= 0)
                        r = process_pid_from_reply(call->process, reply, &pid);
                if (r < 0 && !procctl_error_is_set(&error))
                        error_set_local(&error, r, "Failed to parse Restart reply: %s", strerror(-r));
                call->callback.pid(call->process, r, pid, &error, call->userdata);
                break;
        }
        }

        procctl_error_clear(&error);
}

static int call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        procctl_call *call = call_ref(userdata);

        /* Done: cancelling from inside the callback must not touch the slot
         * sd-bus is dispatching. */
        call->slot = NULL;
        call_complete(call, reply);
        procctl_call_unref(call);
        return 0;
}

int call_async(procctl_client *client, procctl_process *process, sd_bus_message *m,
               uint64_t timeout, CallKind kind, void *callback, void *userdata,
               procctl_call **ret_call) {
        sd_bus_slot *slot = NULL;
        procctl_call *call;
        int r;

        timeout = timeout ?: client->call_timeout;

        if (!callback) {
                if (ret_call)
                        *ret_call = NULL;
                r = sd_bus_message_set_expect_reply(m, false);
                if (r < 0)
                        return r;
                r = sd_bus_send(client->bus, m, NULL);
                return r < 0 ? r : 0;
        }

        call = calloc(1, sizeof(*call));
        if (!call)
                return -ENOMEM;
        call->n_ref = 1;  /* the slot's */
        call->process = procctl_process_ref(process);
        call->kind = kind;
        call->callback.spawn = (procctl_spawn_callback_t) callback;  /* same storage for every kind */
        call->userdata = userdata;

        r = sd_bus_call_async(client->bus, &slot, m, call_reply, call, timeout);
        if (r < 0) {
                procctl_call_unref(call);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, call_slot_destroyed);
        r = sd_bus_slot_set_floating(slot, true);
        if (r < 0) {
                /* Cannot happen on a connected bus; unref'ing frees the slot and call. */
                sd_bus_slot_unref(slot);
                return r;
        }
        call->slot = slot;
        sd_bus_slot_unref(slot);  /* the bus keeps it now */
        call->client = client;
        LIST_APPEND(calls, client->calls, call);

        if (ret_call)
                *ret_call = call_ref(call);
        return 0;
}
