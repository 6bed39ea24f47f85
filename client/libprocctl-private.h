/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The inside of libprocctl: the structs behind the opaque handles and the
 * one piece of machinery every call goes through (call.c), which sends a
 * request synchronously or asynchronously and turns an error reply into a
 * negative errno plus a procctl_error.
 */

#include "list.h"
#include "macro.h"
#include "procctl.h"
#include "procctl-bus.h"

/*
 * Ownership: only the caller's references keep a client alive.  Process
 * handles and pending calls point at their client without a reference and
 * are kept on the client's lists, so that freeing the client can cancel
 * the calls and detach the handles (their client becomes NULL, and calls on
 * them fail with -ENOTCONN).  Without this, a pending call would keep its
 * client, and so its connection, alive for ever.
 */
struct procctl_client {
        unsigned n_ref;
        sd_bus *bus;
        bool own_bus;           /* opened here: closed when the client goes */
        uint64_t call_timeout;  /* for calls other than Wait/Stop; 0: sd-bus default */
        LIST_HEAD(procctl_process, processes);
        LIST_HEAD(procctl_call, calls);
};

struct procctl_process {
        unsigned n_ref;
        procctl_client *client;  /* borrowed; NULL once the client is gone */
        LIST_FIELDS(procctl_process, processes);
        char *path;
        uint64_t id;
        pid_t pid;
};

struct procctl_process_info {
        unsigned n_ref;
        char *path;
        uint64_t id;
        pid_t pid;
        char **argv;
        char *executable;
        char *working_directory;
        char *description;
        uid_t uid;
        gid_t gid;
        uid_t owner_uid;
        char *state;
        char *exit_reason;
        int exit_status;
        uint64_t start_timestamp;
        uint64_t exit_timestamp;
        uint32_t restart_count;
};

typedef struct ProcessListEntry {
        char *path;
        uint64_t id;
        pid_t pid;
        uid_t uid;
        char *state;
        char *command_line;
        procctl_process_info *info;
} ProcessListEntry;

struct procctl_process_list {
        unsigned n_ref;
        ProcessListEntry *entries;
        size_t n_entries;
};

/* What a reply is turned into before the caller's callback sees it. */
typedef enum CallKind {
        CALL_SPAWN,
        CALL_DONE,
        CALL_EXIT,
        CALL_INFO,       /* GetAll, then a Get of Argv (CALL_INFO_ARGV), which GetAll leaves out */
        CALL_INFO_ARGV,
        CALL_LIST,
        CALL_LIST_WITH_INFO, /* GetManagedObjects, then ListProcesses (CALL_LIST_COMMAND_LINES) */
        CALL_LIST_COMMAND_LINES,
        CALL_OUTPUT,
        CALL_FOLLOW,
        CALL_PID,        /* Restart: the new run's pid */
} CallKind;

struct procctl_call {
        unsigned n_ref;
        sd_bus_slot *slot;          /* borrowed floating slot; NULL once completed or cancelled */
        procctl_client *client;     /* borrowed; NULL once unlinked from it */
        LIST_FIELDS(procctl_call, calls);
        procctl_process *process;   /* a reference, for calls on a process */
        CallKind kind;
        union {
                procctl_spawn_callback_t spawn;
                procctl_done_callback_t done;
                procctl_exit_callback_t exit;
                procctl_info_callback_t info;
                procctl_list_callback_t list;
                procctl_output_callback_t output;
                procctl_fd_callback_t fd;
                procctl_pid_callback_t pid;
        } callback;
        void *userdata;
        procctl_process_info *info; /* CALL_INFO_ARGV: what GetAll gave */
        procctl_process_list *list; /* CALL_LIST_COMMAND_LINES: what GetManagedObjects gave */
        bool chained;               /* the reply slot was replaced by the next call's */
};

/* error.c */
int error_set_from_bus(procctl_error *error, const sd_bus_error *bus_error);
int error_set_local(procctl_error *error, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));
int error_from_call(procctl_error *error, int r, const sd_bus_error *bus_error);

/* client.c */
int client_new_method_call(procctl_client *client, const char *path, const char *interface,
                           const char *member, sd_bus_message **ret);
int client_new_manager_call(procctl_client *client, const char *member, sd_bus_message **ret);

/* process.c */
int process_pid_from_reply(procctl_process *process, sd_bus_message *reply, pid_t *ret);

/* call.c */
void call_unlink(procctl_call *call);
int call_sync(procctl_client *client, sd_bus_message *m, uint64_t timeout,
              sd_bus_message **ret_reply, procctl_error *error);
int call_async(procctl_client *client, procctl_process *process, sd_bus_message *m,
               uint64_t timeout, CallKind kind, void *callback, void *userdata,
               procctl_call **ret_call);

/* process.c */
void process_detach(procctl_process *process);
int process_new_from_path(procctl_client *client, const char *path, pid_t pid, procctl_process **ret);
int process_parse_path(const char *path, uint64_t *ret_id);
int exit_from_reply(sd_bus_message *reply, procctl_exit *ret);

/* output.c */
int output_from_reply(sd_bus_message *reply, procctl_output **ret);
/* The pipe FollowOutput gave, duplicated: the caller's to close. */
int follow_fd_from_reply(sd_bus_message *reply, int *ret);

/* spawn.c */
int spawn_from_reply(procctl_client *client, sd_bus_message *reply, procctl_process **ret);

/* info.c */
int process_info_from_properties(sd_bus_message *m, const char *path, procctl_process_info **ret);
/* The Get of Argv, which GetAll, GetManagedObjects and InterfacesAdded leave
 * out (each process's may be megabytes), and the reading of its reply. */
int process_argv_call_new(procctl_client *client, const char *path, sd_bus_message **ret);
int process_info_read_argv(sd_bus_message *reply, procctl_process_info *info);
int process_list_from_reply(sd_bus_message *reply, procctl_process_list **ret);
int process_list_with_info_from_reply(sd_bus_message *reply, procctl_process_list **ret);
int process_list_take_command_lines(procctl_process_list *list, sd_bus_message *reply);
