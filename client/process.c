/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Process handles and what can be done to a process: Signal, SignalGroup,
 * Wait, Stop, Release.  A handle is only a name for a process object (path,
 * id, and the pid when known); making one never asks the daemon.
 */

#include <inttypes.h>
#include <stdio.h>

#include "libprocctl-private.h"

static int parse_id(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s || *s == '0')  /* ids start at 1, no leading zeros */
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*s - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *ret = v;
        return 0;
}

int process_parse_path(const char *path, uint64_t *ret_id) {
        size_t l = strlen(PROCCTL_PROCESS_PATH_PREFIX);

        if (!path || strncmp(path, PROCCTL_PROCESS_PATH_PREFIX, l) != 0 || path[l] != '/')
                return -EINVAL;
        return parse_id(path + l + 1, ret_id);
}

static int process_new_from_id(procctl_client *client, uint64_t id, pid_t pid, procctl_process **ret) {
        procctl_process *p;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        if (asprintf(&p->path, PROCCTL_PROCESS_PATH_PREFIX "/%" PRIu64, id) < 0) {
                free(p);
                return -ENOMEM;
        }
        p->n_ref = 1;
        p->client = client;
        LIST_APPEND(processes, client->processes, p);
        p->id = id;
        p->pid = pid;
        *ret = p;
        return 0;
}

int process_new_from_path(procctl_client *client, const char *path, pid_t pid, procctl_process **ret) {
        uint64_t id;
        int r;

        r = process_parse_path(path, &id);
        if (r < 0)
                return r;
        return process_new_from_id(client, id, pid, ret);
}

_public_ int procctl_parse_process_id(const char *id, uint64_t *ret_id) {
        if (!id || !ret_id)
                return -EINVAL;
        return id[0] == '/' ? process_parse_path(id, ret_id) : parse_id(id, ret_id);
}

_public_ int procctl_process_new(procctl_client *client, const char *id, procctl_process **ret) {
        uint64_t v;
        int r;

        if (!client || !ret)
                return -EINVAL;
        r = procctl_parse_process_id(id, &v);
        if (r < 0)
                return r;
        return process_new_from_id(client, v, 0, ret);
}

_public_ int procctl_process_new_from_id(procctl_client *client, uint64_t id, procctl_process **ret) {
        if (!client || id == 0 || !ret)
                return -EINVAL;
        return process_new_from_id(client, id, 0, ret);
}

void process_detach(procctl_process *process) {
        if (process->client) {
                LIST_REMOVE(processes, process->client->processes, process);
                process->client = NULL;
        }
}

_public_ procctl_process *procctl_process_ref(procctl_process *process) {
        if (process)
                process->n_ref++;
        return process;
}

_public_ procctl_process *procctl_process_unref(procctl_process *process) {
        if (!process || --process->n_ref > 0)
                return NULL;
        process_detach(process);
        free(process->path);
        free(process);
        return NULL;
}

_public_ procctl_client *procctl_process_get_client(procctl_process *process) {
        return process ? process->client : NULL;
}

_public_ const char *procctl_process_get_path(procctl_process *process) {
        return process ? process->path : NULL;
}

_public_ uint64_t procctl_process_get_id(procctl_process *process) {
        return process ? process->id : 0;
}

_public_ pid_t procctl_process_get_pid(procctl_process *process) {
        return process ? process->pid : 0;
}

/* ------------------------------------------------------------ exit status */

static const char *const exit_reason_table[] = {
        [PROCCTL_EXIT_UNKNOWN] = PROCCTL_REASON_UNKNOWN,
        [PROCCTL_EXIT_EXITED] = PROCCTL_REASON_EXITED,
        [PROCCTL_EXIT_KILLED] = PROCCTL_REASON_KILLED,
        [PROCCTL_EXIT_DUMPED] = PROCCTL_REASON_DUMPED,
};

_public_ const char *procctl_exit_reason_to_string(procctl_exit_reason reason) {
        if ((unsigned) reason >= ELEMENTSOF(exit_reason_table))
                return NULL;
        return exit_reason_table[reason];
}

_public_ int procctl_exit_reason_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(exit_reason_table); i++)
                if (streq_ptr(s, exit_reason_table[i]))
                        return (int) i;
        return -EINVAL;
}

_public_ int procctl_exit_to_shell_code(const procctl_exit *exit) {
        if (!exit)
                return -1;
        switch (exit->reason) {
        case PROCCTL_EXIT_EXITED:
                return exit->status;
        case PROCCTL_EXIT_KILLED:
        case PROCCTL_EXIT_DUMPED:
                return 128 + exit->status;
        default:
                return -1;
        }
}

int exit_from_reply(sd_bus_message *reply, procctl_exit *ret) {
        const char *reason;
        int32_t status;
        int r;

        r = sd_bus_message_read(reply, "si", &reason, &status);
        if (r < 0)
                return r;
        r = procctl_exit_reason_from_string(reason);
        if (r < 0)
                return -EBADMSG;
        ret->reason = r;
        ret->status = status;
        return 0;
}

/* ------------------------------------------------------------- actions */

static int process_call_new(procctl_process *process, const char *member, sd_bus_message **ret) {
        int r;

        if (!process->client)
                return -ENOTCONN;
        r = client_new_manager_call(process->client, member, ret);
        if (r < 0)
                return r;
        r = sd_bus_message_append(*ret, "o", process->path);
        if (r < 0)
                *ret = sd_bus_message_unref(*ret);
        return r;
}

static int process_signal_call_new(procctl_process *process, const char *member, int signal,
                                   sd_bus_message **ret) {
        int r;

        r = process_call_new(process, member, ret);
        if (r < 0)
                return r;
        r = sd_bus_message_append(*ret, "i", (int32_t) signal);
        if (r < 0)
                *ret = sd_bus_message_unref(*ret);
        return r;
}

static int process_signal_full(procctl_process *process, const char *member, int signal, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process)
                return error_set_local(error, -EINVAL, "No process given");
        r = process_signal_call_new(process, member, signal, &m);
        if (r < 0)
                return error_set_local(error, r, NULL);
        return call_sync(process->client, m, 0, NULL, error);
}

_public_ int procctl_process_signal(procctl_process *process, int signal, procctl_error *error) {
        return process_signal_full(process, "Signal", signal, error);
}

_public_ int procctl_process_signal_group(procctl_process *process, int signal, procctl_error *error) {
        return process_signal_full(process, "SignalGroup", signal, error);
}

static int process_exit_call(procctl_process *process, const char *member, procctl_exit *ret, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        procctl_exit x;
        int r;

        if (!process)
                return error_set_local(error, -EINVAL, "No process given");
        r = process_call_new(process, member, &m);
        if (r < 0)
                return error_set_local(error, r, NULL);
        /* Waiting has no deadline: a process may run for days. */
        r = call_sync(process->client, m, UINT64_MAX, &reply, error);
        if (r < 0)
                return r;
        r = exit_from_reply(reply, &x);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse %s reply: %s", member, strerror(-r));
        if (ret)
                *ret = x;
        return 0;
}

_public_ int procctl_process_wait(procctl_process *process, procctl_exit *ret, procctl_error *error) {
        return process_exit_call(process, "Wait", ret, error);
}

_public_ int procctl_process_stop(procctl_process *process, procctl_exit *ret, procctl_error *error) {
        return process_exit_call(process, "Stop", ret, error);
}

_public_ int procctl_process_release(procctl_process *process, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process)
                return error_set_local(error, -EINVAL, "No process given");
        r = process_call_new(process, "Release", &m);
        if (r < 0)
                return error_set_local(error, r, NULL);
        return call_sync(process->client, m, 0, NULL, error);
}

static int process_signal_async_full(procctl_process *process, const char *member, int signal,
                                     procctl_done_callback_t callback, void *userdata,
                                     procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process)
                return -EINVAL;
        r = process_signal_call_new(process, member, signal, &m);
        if (r < 0)
                return r;
        return call_async(process->client, process, m, 0, CALL_DONE, (void *) callback, userdata, ret_call);
}

_public_ int procctl_process_signal_async(procctl_process *process, int signal,
                                          procctl_done_callback_t callback, void *userdata,
                                          procctl_call **ret_call) {
        return process_signal_async_full(process, "Signal", signal, callback, userdata, ret_call);
}

_public_ int procctl_process_signal_group_async(procctl_process *process, int signal,
                                                procctl_done_callback_t callback, void *userdata,
                                                procctl_call **ret_call) {
        return process_signal_async_full(process, "SignalGroup", signal, callback, userdata, ret_call);
}

/* A Manager1 call on the process's object alone, answered as kind. */
static int process_call_async(procctl_process *process, const char *member, uint64_t timeout, CallKind kind,
                              void *callback, void *userdata, procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process)
                return -EINVAL;
        r = process_call_new(process, member, &m);
        if (r < 0)
                return r;
        return call_async(process->client, process, m, timeout, kind, callback, userdata, ret_call);
}

_public_ int procctl_process_wait_async(procctl_process *process,
                                        procctl_exit_callback_t callback, void *userdata,
                                        procctl_call **ret_call) {
        return process_call_async(process, "Wait", UINT64_MAX, CALL_EXIT, (void *) callback, userdata, ret_call);
}

_public_ int procctl_process_stop_async(procctl_process *process,
                                        procctl_exit_callback_t callback, void *userdata,
                                        procctl_call **ret_call) {
        return process_call_async(process, "Stop", UINT64_MAX, CALL_EXIT, (void *) callback, userdata, ret_call);
}

_public_ int procctl_process_release_async(procctl_process *process,
                                           procctl_done_callback_t callback, void *userdata,
                                           procctl_call **ret_call) {
        return process_call_async(process, "Release", 0, CALL_DONE, (void *) callback, userdata, ret_call);
}

/* The new run's pid, which the process reports from now on. */
int process_pid_from_reply(procctl_process *process, sd_bus_message *reply, pid_t *ret) {
        uint32_t pid;
        int r;

        r = sd_bus_message_read(reply, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX)
                return -EBADMSG;
        process->pid = (pid_t) pid;
        *ret = (pid_t) pid;
        return 0;
}

_public_ int procctl_process_restart(procctl_process *process, pid_t *ret_pid, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        pid_t pid;
        int r;

        if (!process)
                return error_set_local(error, -EINVAL, "No process given");
        r = process_call_new(process, "RestartProcess", &m);
        if (r < 0)
                return error_set_local(error, r, NULL);
        /* As Stop: the run's stop timeout is the daemon's to keep. */
        r = call_sync(process->client, m, UINT64_MAX, &reply, error);
        if (r < 0)
                return r;
        r = process_pid_from_reply(process, reply, &pid);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse Restart reply: %s", strerror(-r));
        if (ret_pid)
                *ret_pid = pid;
        return 0;
}

_public_ int procctl_process_restart_async(procctl_process *process,
                                           procctl_pid_callback_t callback, void *userdata,
                                           procctl_call **ret_call) {
        return process_call_async(process, "RestartProcess", UINT64_MAX, CALL_PID, (void *) callback, userdata, ret_call);
}
