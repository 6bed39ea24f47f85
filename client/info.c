/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Reading state: a process's properties (GetAll, and a Get of Argv, which
 * GetAll leaves out), the process list (ListProcesses, or GetManagedObjects
 * and ListProcesses when the properties of every process are wanted) and the
 * manager's own properties.
 */

#include "libprocctl-private.h"

#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"
#define OBJECT_MANAGER_INTERFACE "org.freedesktop.DBus.ObjectManager"

/* ------------------------------------------------------------ process info */

static procctl_process_info *process_info_new(void) {
        procctl_process_info *info = calloc(1, sizeof(*info));
        if (info)
                info->n_ref = 1;
        return info;
}

_public_ procctl_process_info *procctl_process_info_ref(procctl_process_info *info) {
        if (info)
                info->n_ref++;
        return info;
}

_public_ procctl_process_info *procctl_process_info_unref(procctl_process_info *info) {
        if (!info || --info->n_ref > 0)
                return NULL;
        free(info->path);
        strv_free(info->argv);
        free(info->executable);
        free(info->working_directory);
        free(info->description);
        free(info->state);
        free(info->exit_reason);
        free(info);
        return NULL;
}

static int read_variant_basic(sd_bus_message *m, char type, void *p) {
        const char contents[2] = { type, 0 };
        int r;

        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, type, p);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_variant_string(sd_bus_message *m, char **field) {
        const char *s;
        char *copy;
        int r;

        r = read_variant_basic(m, 's', &s);
        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static int read_variant_strv(sd_bus_message *m, char ***field) {
        char **l = NULL;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &l);
        if (r < 0)
                return r;
        strv_free(*field);
        *field = l;
        return sd_bus_message_exit_container(m);
}

static int read_property(sd_bus_message *m, const char *name, procctl_process_info *info) {
        uint32_t u;
        int r;

        if (strcmp(name, "Id") == 0)
                return read_variant_basic(m, 't', &info->id);
        if (strcmp(name, "Pid") == 0) {
                r = read_variant_basic(m, 'u', &u);
                info->pid = (pid_t) u;
                return r;
        }
        if (strcmp(name, "Argv") == 0)
                return read_variant_strv(m, &info->argv);
        if (strcmp(name, "Executable") == 0)
                return read_variant_string(m, &info->executable);
        if (strcmp(name, "WorkingDirectory") == 0)
                return read_variant_string(m, &info->working_directory);
        if (strcmp(name, "Description") == 0)
                return read_variant_string(m, &info->description);
        if (strcmp(name, "Uid") == 0) {
                r = read_variant_basic(m, 'u', &u);
                info->uid = (uid_t) u;
                return r;
        }
        if (strcmp(name, "Gid") == 0) {
                r = read_variant_basic(m, 'u', &u);
                info->gid = (gid_t) u;
                return r;
        }
        if (strcmp(name, "OwnerUid") == 0) {
                r = read_variant_basic(m, 'u', &u);
                info->owner_uid = (uid_t) u;
                return r;
        }
        if (strcmp(name, "State") == 0)
                return read_variant_string(m, &info->state);
        if (strcmp(name, "ExitReason") == 0)
                return read_variant_string(m, &info->exit_reason);
        if (strcmp(name, "ExitStatus") == 0)
                return read_variant_basic(m, 'i', &info->exit_status);
        if (strcmp(name, "StartTimestamp") == 0)
                return read_variant_basic(m, 't', &info->start_timestamp);
        if (strcmp(name, "ExitTimestamp") == 0)
                return read_variant_basic(m, 't', &info->exit_timestamp);
        if (strcmp(name, "RestartCount") == 0)
                return read_variant_basic(m, 'u', &info->restart_count);

        return sd_bus_message_skip(m, "v");  /* a property added later */
}

/* Reads an a{sv} of org.procctl.Process1 properties into *ret. */
int process_info_from_properties(sd_bus_message *m, const char *path, procctl_process_info **ret) {
        procctl_process_info *info;
        uint64_t id;
        int r;

        info = process_info_new();
        if (!info)
                return -ENOMEM;
        info->path = strdup(path);
        if (!info->path) {
                r = -ENOMEM;
                goto fail;
        }
        if (process_parse_path(path, &id) >= 0)
                info->id = id;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                goto fail;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        goto fail;
                r = read_property(m, name, info);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;

        *ret = info;
        return 0;

fail:
        procctl_process_info_unref(info);
        return r == -ENXIO ? -EBADMSG : r;  /* a property of an unexpected type */
}

_public_ const char *procctl_process_info_get_path(const procctl_process_info *info) {
        return info ? info->path : NULL;
}

_public_ uint64_t procctl_process_info_get_id(const procctl_process_info *info) {
        return info ? info->id : 0;
}

_public_ pid_t procctl_process_info_get_pid(const procctl_process_info *info) {
        return info ? info->pid : 0;
}

_public_ char *const *procctl_process_info_get_argv(const procctl_process_info *info) {
        static char *const empty[] = { NULL };
        return info && info->argv ? info->argv : empty;
}

_public_ const char *procctl_process_info_get_executable(const procctl_process_info *info) {
        return strempty(info ? info->executable : NULL);
}

_public_ const char *procctl_process_info_get_working_directory(const procctl_process_info *info) {
        return strempty(info ? info->working_directory : NULL);
}

_public_ const char *procctl_process_info_get_description(const procctl_process_info *info) {
        return strempty(info ? info->description : NULL);
}

_public_ uid_t procctl_process_info_get_uid(const procctl_process_info *info) {
        return info ? info->uid : 0;
}

_public_ gid_t procctl_process_info_get_gid(const procctl_process_info *info) {
        return info ? info->gid : 0;
}

_public_ uid_t procctl_process_info_get_owner_uid(const procctl_process_info *info) {
        return info ? info->owner_uid : 0;
}

_public_ const char *procctl_process_info_get_state(const procctl_process_info *info) {
        return strempty(info ? info->state : NULL);
}

_public_ bool procctl_process_info_is_running(const procctl_process_info *info) {
        return info && streq_ptr(info->state, PROCCTL_STATE_RUNNING);
}

_public_ int procctl_process_info_get_exit(const procctl_process_info *info, procctl_exit *ret) {
        int reason;

        if (!info || !ret)
                return -EINVAL;
        if (!streq_ptr(info->state, PROCCTL_STATE_EXITED))
                return -ESRCH;
        reason = procctl_exit_reason_from_string(info->exit_reason);
        if (reason < 0)
                return -EBADMSG;
        *ret = (procctl_exit) { .reason = reason, .status = info->exit_status };
        return 0;
}

_public_ int procctl_process_info_get_last_exit(const procctl_process_info *info, procctl_exit *ret) {
        int reason;

        if (!info || !ret)
                return -EINVAL;
        if (!info->exit_reason || !info->exit_reason[0])
                return -ESRCH;
        reason = procctl_exit_reason_from_string(info->exit_reason);
        if (reason < 0)
                return -EBADMSG;
        *ret = (procctl_exit) { .reason = reason, .status = info->exit_status };
        return 0;
}

_public_ unsigned procctl_process_info_get_restart_count(const procctl_process_info *info) {
        return info ? info->restart_count : 0;
}

_public_ uint64_t procctl_process_info_get_start_timestamp(const procctl_process_info *info) {
        return info ? info->start_timestamp : 0;
}

_public_ uint64_t procctl_process_info_get_exit_timestamp(const procctl_process_info *info) {
        return info ? info->exit_timestamp : 0;
}

int process_argv_call_new(procctl_client *client, const char *path, sd_bus_message **ret) {
        int r;

        r = client_new_method_call(client, path, PROPERTIES_INTERFACE, "Get", ret);
        if (r < 0)
                return r;
        r = sd_bus_message_append(*ret, "ss", PROCCTL_PROCESS_INTERFACE, "Argv");
        if (r < 0)
                *ret = sd_bus_message_unref(*ret);
        return r;
}

int process_info_read_argv(sd_bus_message *reply, procctl_process_info *info) {
        int r = read_variant_strv(reply, &info->argv);
        return r < 0 ? r : 0;
}

static int process_get_info_call_new(procctl_process *process, sd_bus_message **ret) {
        int r;

        if (!process->client)
                return -ENOTCONN;
        r = client_new_method_call(process->client, process->path, PROPERTIES_INTERFACE, "GetAll", ret);
        if (r < 0)
                return r;
        r = sd_bus_message_append(*ret, "s", PROCCTL_PROCESS_INTERFACE);
        if (r < 0)
                *ret = sd_bus_message_unref(*ret);
        return r;
}

_public_ int procctl_process_get_info(procctl_process *process, procctl_process_info **ret,
                                      procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        procctl_process_info *info;
        int r;

        if (!process || !ret)
                return error_set_local(error, -EINVAL, "No process given");
        r = process_get_info_call_new(process, &m);
        if (r < 0)
                return error_set_local(error, r, NULL);
        r = call_sync(process->client, m, 0, &reply, error);
        if (r < 0)
                return r;
        r = process_info_from_properties(reply, process->path, &info);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse properties: %s", strerror(-r));
        m = sd_bus_message_unref(m);
        reply = sd_bus_message_unref(reply);
        r = process_argv_call_new(process->client, process->path, &m);
        if (r < 0) {
                procctl_process_info_unref(info);
                return error_set_local(error, r, NULL);
        }
        r = call_sync(process->client, m, 0, &reply, error);
        if (r >= 0) {
                r = process_info_read_argv(reply, info);
                if (r < 0)
                        error_set_local(error, r, "Failed to parse Argv: %s", strerror(-r));
        }
        if (r < 0) {
                procctl_process_info_unref(info);
                return r;
        }
        process->pid = info->pid;
        *ret = info;
        return 0;
}

_public_ int procctl_process_get_info_async(procctl_process *process,
                                            procctl_info_callback_t callback, void *userdata,
                                            procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!process || !callback)
                return -EINVAL;
        r = process_get_info_call_new(process, &m);
        if (r < 0)
                return r;
        return call_async(process->client, process, m, 0, CALL_INFO, (void *) callback, userdata, ret_call);
}

/* ---------------------------------------------------------------- listing */

static void entry_done(ProcessListEntry *e) {
        free(e->path);
        free(e->state);
        free(e->command_line);
        procctl_process_info_unref(e->info);
}

_public_ procctl_process_list *procctl_process_list_ref(procctl_process_list *list) {
        if (list)
                list->n_ref++;
        return list;
}

_public_ procctl_process_list *procctl_process_list_unref(procctl_process_list *list) {
        if (!list || --list->n_ref > 0)
                return NULL;
        for (size_t i = 0; i < list->n_entries; i++)
                entry_done(&list->entries[i]);
        free(list->entries);
        free(list);
        return NULL;
}

static ProcessListEntry *list_add(procctl_process_list *list) {
        ProcessListEntry *l;

        l = realloc(list->entries, sizeof(ProcessListEntry) * (list->n_entries + 1));
        if (!l)
                return NULL;
        list->entries = l;
        l = &list->entries[list->n_entries++];
        *l = (ProcessListEntry) {};
        return l;
}

static int entry_compare(const void *a, const void *b) {
        const ProcessListEntry *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

static procctl_process_list *process_list_new(void) {
        procctl_process_list *list = calloc(1, sizeof(*list));
        if (list)
                list->n_ref = 1;
        return list;
}

/* Adds an entry to list.  path and state are copied; command_line (NULL when
 * it could not be allocated) and info (may be NULL) are taken, also on
 * failure. */
static int list_add_entry(procctl_process_list *list, const char *path, uint64_t id, pid_t pid, uid_t uid,
                          const char *state, char *command_line, procctl_process_info *info) {
        ProcessListEntry *e = list_add(list);

        if (!e) {
                free(command_line);
                procctl_process_info_unref(info);
                return -ENOMEM;
        }
        e->info = info;
        e->id = id;
        e->pid = pid;
        e->uid = uid;
        e->path = strdup(path);
        e->state = strdup(state);
        e->command_line = command_line;
        if (!e->path || !e->state || !e->command_line)
                return -ENOMEM;
        return 0;
}

/* The end of parsing a list reply, r being what reading the entries ended
 * with: leaves the outer array and hands out the list sorted by id, or frees
 * it on error. */
static int list_finish(sd_bus_message *reply, procctl_process_list *list, int r, procctl_process_list **ret) {
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                procctl_process_list_unref(list);
                return r;
        }
        if (list->n_entries > 0)
                qsort(list->entries, list->n_entries, sizeof(ProcessListEntry), entry_compare);
        *ret = list;
        return 0;
}

int process_list_from_reply(sd_bus_message *reply, procctl_process_list **ret) {
        procctl_process_list *list;
        const char *path, *state, *command_line;
        uint32_t pid, uid;
        int r;

        list = process_list_new();
        if (!list)
                return -ENOMEM;

        r = sd_bus_message_enter_container(reply, 'a', "(ouuss)");
        if (r < 0)
                goto finish;
        while ((r = sd_bus_message_read(reply, "(ouuss)", &path, &pid, &uid, &state, &command_line)) > 0) {
                uint64_t id = 0;

                (void) process_parse_path(path, &id);
                r = list_add_entry(list, path, id, (pid_t) pid, (uid_t) uid, state, strdup(command_line), NULL);
                if (r < 0)
                        goto finish;
        }

finish:
        return list_finish(reply, list, r, ret);
}

static char *join_argv(char *const *argv) {
        size_t n = 1;
        char *s, *p;

        STRV_FOREACH(a, argv)
                n += strlen(*a) + 1;
        s = p = malloc(n);
        if (!s)
                return NULL;
        *p = 0;
        STRV_FOREACH(a, argv) {
                if (p != s)
                        *p++ = ' ';
                p = stpcpy(p, *a);
        }
        return s;
}

/* One GetManagedObjects reply: every object with its interfaces and properties. */
int process_list_with_info_from_reply(sd_bus_message *reply, procctl_process_list **ret) {
        procctl_process_list *list;
        int r;

        list = process_list_new();
        if (!list)
                return -ENOMEM;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                goto finish;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                procctl_process_info *info = NULL;
                const char *path;

                r = sd_bus_message_read_basic(reply, 'o', &path);
                if (r < 0)
                        goto finish;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        goto finish;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *interface;

                        r = sd_bus_message_read_basic(reply, 's', &interface);
                        if (r < 0)
                                goto finish;
                        if (strcmp(interface, PROCCTL_PROCESS_INTERFACE) == 0 && !info)
                                r = process_info_from_properties(reply, path, &info);
                        else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r < 0) {
                                procctl_process_info_unref(info);
                                goto finish;
                        }
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0) {
                        procctl_process_info_unref(info);
                        goto finish;
                }

                if (info) {
                        r = list_add_entry(list, path, info->id, info->pid, info->uid, strempty(info->state),
                                           join_argv(info->argv), info);
                        if (r < 0)
                                goto finish;
                }
        }

finish:
        return list_finish(reply, list, r, ret);
}

/* GetManagedObjects leaves Argv out: the command lines come from ListProcesses
 * (reply), cut there as for every listing.  Both lists are sorted by id. */
int process_list_take_command_lines(procctl_process_list *list, sd_bus_message *reply) {
        procctl_process_list *lines = NULL;
        size_t j = 0;
        int r;

        r = process_list_from_reply(reply, &lines);
        if (r < 0)
                return r;
        for (size_t i = 0; i < list->n_entries; i++) {
                while (j < lines->n_entries && lines->entries[j].id < list->entries[i].id)
                        j++;
                if (j < lines->n_entries && lines->entries[j].id == list->entries[i].id) {
                        free(list->entries[i].command_line);
                        list->entries[i].command_line = TAKE_PTR(lines->entries[j].command_line);
                        lines->entries[j].command_line = strdup("");
                }
        }
        procctl_process_list_unref(lines);
        return 0;
}

static int list_call_new(procctl_client *client, bool with_info, sd_bus_message **ret) {
        if (with_info)
                return client_new_method_call(client, PROCCTL_MANAGER_PATH, OBJECT_MANAGER_INTERFACE,
                                              "GetManagedObjects", ret);
        return client_new_manager_call(client, "ListProcesses", ret);
}

static int list_full(procctl_client *client, bool with_info, procctl_process_list **ret, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        if (!client || !ret)
                return error_set_local(error, -EINVAL, "No client given");
        r = list_call_new(client, with_info, &m);
        if (r < 0)
                return error_set_local(error, r, NULL);
        r = call_sync(client, m, 0, &reply, error);
        if (r < 0)
                return r;
        r = with_info ? process_list_with_info_from_reply(reply, ret) : process_list_from_reply(reply, ret);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse process list: %s", strerror(-r));
        if (!with_info)
                return 0;
        m = sd_bus_message_unref(m);
        reply = sd_bus_message_unref(reply);
        r = list_call_new(client, false, &m);
        if (r < 0)
                error_set_local(error, r, NULL);
        if (r >= 0)
                r = call_sync(client, m, 0, &reply, error);
        if (r >= 0) {
                r = process_list_take_command_lines(*ret, reply);
                if (r < 0)
                        error_set_local(error, r, "Failed to parse process list: %s", strerror(-r));
        }
        if (r < 0)
                *ret = procctl_process_list_unref(*ret);
        return r;
}

_public_ int procctl_list(procctl_client *client, procctl_process_list **ret, procctl_error *error) {
        return list_full(client, false, ret, error);
}

_public_ int procctl_list_with_info(procctl_client *client, procctl_process_list **ret, procctl_error *error) {
        return list_full(client, true, ret, error);
}

static int list_async_full(procctl_client *client, bool with_info, procctl_list_callback_t callback,
                           void *userdata, procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!client || !callback)
                return -EINVAL;
        r = list_call_new(client, with_info, &m);
        if (r < 0)
                return r;
        return call_async(client, NULL, m, 0, with_info ? CALL_LIST_WITH_INFO : CALL_LIST,
                          (void *) callback, userdata, ret_call);
}

_public_ int procctl_list_async(procctl_client *client, procctl_list_callback_t callback, void *userdata,
                                procctl_call **ret_call) {
        return list_async_full(client, false, callback, userdata, ret_call);
}

_public_ int procctl_list_with_info_async(procctl_client *client, procctl_list_callback_t callback,
                                          void *userdata, procctl_call **ret_call) {
        return list_async_full(client, true, callback, userdata, ret_call);
}

_public_ size_t procctl_process_list_get_size(const procctl_process_list *list) {
        return list ? list->n_entries : 0;
}

#define ENTRY(list, index) (list && index < list->n_entries ? &list->entries[index] : NULL)

_public_ const char *procctl_process_list_get_path(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->path : NULL;
}

_public_ uint64_t procctl_process_list_get_id(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->id : 0;
}

_public_ pid_t procctl_process_list_get_pid(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->pid : 0;
}

_public_ uid_t procctl_process_list_get_uid(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->uid : (uid_t) -1;
}

_public_ const char *procctl_process_list_get_state(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->state : NULL;
}

_public_ const char *procctl_process_list_get_command_line(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->command_line : NULL;
}

_public_ procctl_process_info *procctl_process_list_get_info(const procctl_process_list *list, size_t index) {
        const ProcessListEntry *e = ENTRY(list, index);
        return e ? e->info : NULL;
}

/* ------------------------------------------------------ manager properties */

_public_ int procctl_get_version(procctl_client *client, char **ret, procctl_error *error) {
        sd_bus_error bus_error = SD_BUS_ERROR_NULL;
        int r;

        if (!client || !ret)
                return error_set_local(error, -EINVAL, "No client given");
        r = sd_bus_get_property_string(client->bus, PROCCTL_BUS_NAME, PROCCTL_MANAGER_PATH,
                                       PROCCTL_MANAGER_INTERFACE, "Version", &bus_error, ret);
        if (r < 0)
                r = error_from_call(error, r, &bus_error);
        sd_bus_error_free(&bus_error);
        return r < 0 ? r : 0;
}

_public_ int procctl_get_process_count(procctl_client *client, uint32_t *ret, procctl_error *error) {
        sd_bus_error bus_error = SD_BUS_ERROR_NULL;
        int r;

        if (!client || !ret)
                return error_set_local(error, -EINVAL, "No client given");
        r = sd_bus_get_property_trivial(client->bus, PROCCTL_BUS_NAME, PROCCTL_MANAGER_PATH,
                                        PROCCTL_MANAGER_INTERFACE, "ProcessCount", &bus_error, 'u', ret);
        if (r < 0)
                r = error_from_call(error, r, &bus_error);
        sd_bus_error_free(&bus_error);
        return r < 0 ? r : 0;
}

_public_ int procctl_get_features(procctl_client *client, char ***ret, procctl_error *error) {
        sd_bus_error bus_error = SD_BUS_ERROR_NULL;
        int r;

        if (!client || !ret)
                return error_set_local(error, -EINVAL, "No client given");
        r = sd_bus_get_property_strv(client->bus, PROCCTL_BUS_NAME, PROCCTL_MANAGER_PATH,
                                     PROCCTL_MANAGER_INTERFACE, "Features", &bus_error, ret);
        if (r < 0)
                r = error_from_call(error, r, &bus_error);
        sd_bus_error_free(&bus_error);
        return r < 0 ? r : 0;
}
