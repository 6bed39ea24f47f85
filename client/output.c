/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Captured output: ReadOutput's pages (a procctl_output keeps the reply and
 * points into it, so the bytes are never copied) and FollowOutput's pipe.
 */

#include <fcntl.h>
#include <stdarg.h>

#include "libprocctl-private.h"

typedef struct OutputEntry {
        uint64_t usec;
        int stream;
        const void *data;
        size_t size;
} OutputEntry;

struct procctl_output {
        unsigned n_ref;
        sd_bus_message *reply; /* the entries' bytes live in it */
        OutputEntry *entries;
        size_t n_entries;
        uint64_t next_cursor;
        uint64_t dropped_bytes;
};

_public_ procctl_output *procctl_output_ref(procctl_output *output) {
        if (output)
                output->n_ref++;
        return output;
}

_public_ procctl_output *procctl_output_unref(procctl_output *output) {
        if (!output || --output->n_ref > 0)
                return NULL;
        sd_bus_message_unref(output->reply);
        free(output->entries);
        free(output);
        return NULL;
}

_public_ size_t procctl_output_get_n_entries(const procctl_output *output) {
        return output ? output->n_entries : 0;
}

_public_ int procctl_output_get_entry(const procctl_output *output, size_t i, uint64_t *ret_usec, int *ret_stream,
                                      const void **ret_data, size_t *ret_size) {
        if (!output || i >= output->n_entries)
                return -EINVAL;
        if (ret_usec)
                *ret_usec = output->entries[i].usec;
        if (ret_stream)
                *ret_stream = output->entries[i].stream;
        if (ret_data)
                *ret_data = output->entries[i].data;
        if (ret_size)
                *ret_size = output->entries[i].size;
        return 0;
}

_public_ uint64_t procctl_output_get_next_cursor(const procctl_output *output) {
        return output ? output->next_cursor : 0;
}

_public_ uint64_t procctl_output_get_dropped_bytes(const procctl_output *output) {
        return output ? output->dropped_bytes : 0;
}

int output_from_reply(sd_bus_message *reply, procctl_output **ret) {
        procctl_output *o;
        int r;

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->n_ref = 1;
        o->reply = sd_bus_message_ref(reply);
        r = sd_bus_message_enter_container(reply, 'a', "(tuay)");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "tuay")) > 0) {
                OutputEntry e = {};
                uint32_t stream;
                OutputEntry *l;

                r = sd_bus_message_read(reply, "tu", &e.usec, &stream);
                if (r >= 0)
                        r = sd_bus_message_read_array(reply, 'y', &e.data, &e.size);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        break;
                e.stream = (int) stream;
                l = realloc(o->entries, sizeof(OutputEntry) * (o->n_entries + 1));
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                o->entries = l;
                o->entries[o->n_entries++] = e;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "tt", &o->next_cursor, &o->dropped_bytes);
        if (r < 0) {
                procctl_output_unref(o);
                return r;
        }
        *ret = o;
        return 0;
}

/* A call of member on the process's object, with the arguments types says. */
static int output_call_new(procctl_process *process, sd_bus_message **ret, const char *member, const char *types, ...) {
        va_list ap;
        int r;

        if (!process->client)
                return -ENOTCONN;
        r = client_new_method_call(process->client, process->path, PROCCTL_PROCESS_INTERFACE, member, ret);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(*ret, types, ap);
        va_end(ap);
        if (r < 0)
                *ret = sd_bus_message_unref(*ret);
        return r;
}

_public_ int procctl_process_read_output(procctl_process *process, uint64_t cursor, uint32_t max_bytes,
                                         procctl_output **ret, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        if (!process || !ret)
                return error_set_local(error, -EINVAL, "No process given");
        r = output_call_new(process, &m, "ReadOutput", "tu", cursor, max_bytes);
        if (r < 0)
                return error_set_local(error, r, NULL);
        r = call_sync(process->client, m, 0, &reply, error);
        if (r < 0)
                return r;
        r = output_from_reply(reply, ret);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse ReadOutput reply: %s", strerror(-r));
        return 0;
}

_public_ int procctl_process_read_output_async(procctl_process *process, uint64_t cursor, uint32_t max_bytes,
                                               procctl_output_callback_t callback, void *userdata,
                                               procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process || !callback)
                return -EINVAL;
        r = output_call_new(process, &m, "ReadOutput", "tu", cursor, max_bytes);
        if (r < 0)
                return r;
        return call_async(process->client, process, m, 0, CALL_OUTPUT, (void *) callback, userdata, ret_call);
}

int follow_fd_from_reply(sd_bus_message *reply, int *ret) {
        int fd, r;

        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return r;
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

_public_ int procctl_process_follow_output(procctl_process *process, uint64_t cursor, int *ret_fd,
                                           procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        if (!process || !ret_fd)
                return error_set_local(error, -EINVAL, "No process given");
        r = output_call_new(process, &m, "FollowOutput", "t", cursor);
        if (r < 0)
                return error_set_local(error, r, NULL);
        r = call_sync(process->client, m, 0, &reply, error);
        if (r < 0)
                return r;
        r = follow_fd_from_reply(reply, ret_fd);
        if (r < 0)
                return error_set_local(error, r, "Failed to take FollowOutput's pipe: %s", strerror(-r));
        return 0;
}

_public_ int procctl_process_follow_output_async(procctl_process *process, uint64_t cursor,
                                                 procctl_fd_callback_t callback, void *userdata,
                                                 procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process || !callback)
                return -EINVAL;
        r = output_call_new(process, &m, "FollowOutput", "t", cursor);
        if (r < 0)
                return r;
        return call_async(process->client, process, m, 0, CALL_FOLLOW, (void *) callback, userdata, ret_call);
}
