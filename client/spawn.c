/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Spawning: the options object and the Spawn call.  Only options that were
 * set go into the request, so the daemon's defaults apply to the rest.  The
 * reply carries the object path and the pid, which is all a new process
 * handle needs: no further call.
 */

#include "libprocctl-private.h"

typedef struct ExtraFd {
        unsigned target;
        int fd;
} ExtraFd;

struct procctl_spawn_options {
        char *executable;
        char *working_directory;
        char **environment;
        size_t n_environment;
        int stdio[3];
        ExtraFd *fds;
        size_t n_fds;
        char *user;
        char *group;
        char *description;
        char *kill_mode;
        char *restart;
        mode_t umask;
        uint64_t timeout;
        uint64_t stop_timeout;
        uint64_t output_max;
        uint64_t restart_delay;
        uint64_t restart_delay_max;
        uint64_t restart_interval;
        unsigned restart_limit;
        bool tty;
        bool kill_on_disconnect;
        bool umask_set:1;
        bool tty_set:1;
        bool kill_on_disconnect_set:1;
        bool timeout_set:1;
        bool stop_timeout_set:1;
        bool output_capture:1;
        uint64_t limits[4];   /* by limit_keys */
        unsigned limits_set;  /* a bit per limit set */
        bool restart_delay_set:1;
        bool restart_delay_max_set:1;
        bool restart_limit_set:1;
};

/* The Spawn options of procctl_spawn_options_set_limit(). */
static const char *const limit_keys[] = { "memory-max", "tasks-max", "cpu-weight", "cpu-quota" };

_public_ int procctl_spawn_options_new(procctl_spawn_options **ret) {
        procctl_spawn_options *o;

        if (!ret)
                return -EINVAL;
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->stdio[0] = o->stdio[1] = o->stdio[2] = -1;
        *ret = o;
        return 0;
}

_public_ procctl_spawn_options *procctl_spawn_options_free(procctl_spawn_options *o) {
        if (!o)
                return NULL;
        free(o->executable);
        free(o->working_directory);
        strv_free(o->environment);
        free(o->fds);
        free(o->user);
        free(o->group);
        free(o->description);
        free(o->kill_mode);
        free(o->restart);
        free(o);
        return NULL;
}

static int set_string(char **field, const char *value) {
        char *copy = NULL;

        if (value) {
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(*field);
        *field = copy;
        return 0;
}

_public_ int procctl_spawn_options_set_executable(procctl_spawn_options *o, const char *path) {
        if (!o)
                return -EINVAL;
        return set_string(&o->executable, path);
}

_public_ int procctl_spawn_options_set_working_directory(procctl_spawn_options *o, const char *path) {
        if (!o)
                return -EINVAL;
        return set_string(&o->working_directory, path);
}

_public_ int procctl_spawn_options_add_environment(procctl_spawn_options *o, const char *assignment) {
        char **l;

        if (!o || !assignment || !strchr(assignment, '=') || assignment[0] == '=')
                return -EINVAL;
        l = realloc(o->environment, sizeof(char *) * (o->n_environment + 2));
        if (!l)
                return -ENOMEM;
        o->environment = l;
        l[o->n_environment] = strdup(assignment);
        if (!l[o->n_environment])
                return -ENOMEM;
        l[++o->n_environment] = NULL;
        return 0;
}

static int set_stdio(procctl_spawn_options *o, int which, int fd) {
        if (!o)
                return -EINVAL;
        o->stdio[which] = fd < 0 ? -1 : fd;
        return 0;
}

_public_ int procctl_spawn_options_set_stdin(procctl_spawn_options *o, int fd) {
        return set_stdio(o, 0, fd);
}

_public_ int procctl_spawn_options_set_stdout(procctl_spawn_options *o, int fd) {
        return set_stdio(o, 1, fd);
}

_public_ int procctl_spawn_options_set_stderr(procctl_spawn_options *o, int fd) {
        return set_stdio(o, 2, fd);
}

_public_ int procctl_spawn_options_add_fd(procctl_spawn_options *o, unsigned target, int fd) {
        ExtraFd *l;

        if (!o || target < 3 || fd < 0)
                return -EINVAL;
        for (size_t i = 0; i < o->n_fds; i++)
                if (o->fds[i].target == target) {
                        o->fds[i].fd = fd;
                        return 0;
                }
        l = realloc(o->fds, sizeof(ExtraFd) * (o->n_fds + 1));
        if (!l)
                return -ENOMEM;
        o->fds = l;
        o->fds[o->n_fds++] = (ExtraFd) { .target = target, .fd = fd };
        return 0;
}

_public_ int procctl_spawn_options_set_tty(procctl_spawn_options *o, bool tty) {
        if (!o)
                return -EINVAL;
        o->tty = tty;
        o->tty_set = true;
        return 0;
}

_public_ int procctl_spawn_options_set_user(procctl_spawn_options *o, const char *user) {
        if (!o)
                return -EINVAL;
        return set_string(&o->user, user);
}

_public_ int procctl_spawn_options_set_group(procctl_spawn_options *o, const char *group) {
        if (!o)
                return -EINVAL;
        return set_string(&o->group, group);
}

_public_ int procctl_spawn_options_set_umask(procctl_spawn_options *o, mode_t mask) {
        if (!o || (mask & ~(mode_t) 07777))
                return -EINVAL;
        o->umask = mask;
        o->umask_set = true;
        return 0;
}

_public_ int procctl_spawn_options_set_kill_on_disconnect(procctl_spawn_options *o, bool b) {
        if (!o)
                return -EINVAL;
        o->kill_on_disconnect = b;
        o->kill_on_disconnect_set = true;
        return 0;
}

_public_ int procctl_spawn_options_set_timeout(procctl_spawn_options *o, uint64_t usec) {
        if (!o)
                return -EINVAL;
        o->timeout = usec;
        o->timeout_set = true;
        return 0;
}

_public_ int procctl_spawn_options_set_stop_timeout(procctl_spawn_options *o, uint64_t usec) {
        if (!o)
                return -EINVAL;
        o->stop_timeout = usec;
        o->stop_timeout_set = true;
        return 0;
}

_public_ int procctl_spawn_options_set_description(procctl_spawn_options *o, const char *description) {
        if (!o)
                return -EINVAL;
        return set_string(&o->description, description);
}

_public_ int procctl_spawn_options_set_kill_mode(procctl_spawn_options *o, const char *mode) {
        if (!o || !mode || (strcmp(mode, "control-group") != 0 && strcmp(mode, "process") != 0))
                return -EINVAL;
        return set_string(&o->kill_mode, mode);
}

_public_ int procctl_spawn_options_set_limit(procctl_spawn_options *o, const char *key, uint64_t value) {
        if (!o || !key)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(limit_keys); i++)
                if (strcmp(key, limit_keys[i]) == 0) {
                        o->limits[i] = value;
                        o->limits_set |= 1U << i;
                        return 0;
                }
        return -EINVAL;
}

_public_ int procctl_spawn_options_set_restart(procctl_spawn_options *o, const char *policy) {
        if (!o)
                return -EINVAL;
        if (policy && strcmp(policy, "no") != 0 && strcmp(policy, "on-failure") != 0 && strcmp(policy, "always") != 0)
                return -EINVAL;
        return set_string(&o->restart, policy);
}

_public_ int procctl_spawn_options_set_restart_delay(procctl_spawn_options *o, uint64_t usec, uint64_t max_usec) {
        if (!o || (max_usec != UINT64_MAX && usec > max_usec))
                return -EINVAL;
        o->restart_delay = usec;
        o->restart_delay_set = true;
        o->restart_delay_max = max_usec;
        o->restart_delay_max_set = max_usec != UINT64_MAX;
        return 0;
}

_public_ int procctl_spawn_options_set_restart_limit(procctl_spawn_options *o, unsigned burst, uint64_t interval_usec) {
        if (!o || burst == 0 || interval_usec == 0)
                return -EINVAL;
        o->restart_limit = burst;
        o->restart_interval = interval_usec;
        o->restart_limit_set = true;
        return 0;
}

static int append_string_option(sd_bus_message *m, const char *key, const char *value) {
        if (!value)
                return 0;
        return sd_bus_message_append(m, "{sv}", key, "s", value);
}

/* The restart policy: only what was set, so the daemon's defaults apply. */
static int append_restart_options(sd_bus_message *m, const procctl_spawn_options *o) {
        int r;

        r = append_string_option(m, "restart", o->restart);
        if (r >= 0 && o->restart_delay_set)
                r = sd_bus_message_append(m, "{sv}", "restart-delay", "t", o->restart_delay);
        if (r >= 0 && o->restart_delay_max_set)
                r = sd_bus_message_append(m, "{sv}", "restart-delay-max", "t", o->restart_delay_max);
        if (r >= 0 && o->restart_limit_set)
                r = sd_bus_message_append(m, "{sv}", "restart-limit", "u", (uint32_t) o->restart_limit);
        if (r >= 0 && o->restart_limit_set)
                r = sd_bus_message_append(m, "{sv}", "restart-interval", "t", o->restart_interval);
        return r;
}

_public_ int procctl_spawn_options_set_output_capture(procctl_spawn_options *o, uint64_t max_bytes) {
        if (!o)
                return -EINVAL;
        o->output_capture = true;
        o->output_max = max_bytes;
        return 0;
}

static int append_options(sd_bus_message *m, const procctl_spawn_options *o) {
        static const char *const stdio_keys[3] = { "stdin", "stdout", "stderr" };
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        if (!o)
                return sd_bus_message_close_container(m);

        r = append_string_option(m, "executable", o->executable);
        if (r < 0)
                return r;
        r = append_string_option(m, "working-directory", o->working_directory);
        if (r < 0)
                return r;
        if (o->n_environment > 0) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "environment");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, o->environment);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        for (int i = 0; i < 3; i++)
                if (o->stdio[i] >= 0) {
                        r = sd_bus_message_append(m, "{sv}", stdio_keys[i], "h", o->stdio[i]);
                        if (r < 0)
                                return r;
                }
        if (o->n_fds > 0) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "fds");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a{uh}");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "{uh}");
                for (size_t i = 0; r >= 0 && i < o->n_fds; i++)
                        r = sd_bus_message_append(m, "{uh}", (uint32_t) o->fds[i].target, o->fds[i].fd);
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        if (o->tty_set) {
                r = sd_bus_message_append(m, "{sv}", "tty", "b", (int) o->tty);
                if (r < 0)
                        return r;
        }
        r = append_string_option(m, "user", o->user);
        if (r < 0)
                return r;
        r = append_string_option(m, "group", o->group);
        if (r < 0)
                return r;
        if (o->umask_set) {
                r = sd_bus_message_append(m, "{sv}", "umask", "u", (uint32_t) o->umask);
                if (r < 0)
                        return r;
        }
        if (o->kill_on_disconnect_set) {
                r = sd_bus_message_append(m, "{sv}", "kill-on-disconnect", "b", (int) o->kill_on_disconnect);
                if (r < 0)
                        return r;
        }
        if (o->timeout_set) {
                r = sd_bus_message_append(m, "{sv}", "timeout", "t", o->timeout);
                if (r < 0)
                        return r;
        }
        r = append_string_option(m, "kill-mode", o->kill_mode);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(limit_keys); i++)
                if (o->limits_set & (1U << i)) {
                        r = sd_bus_message_append(m, "{sv}", limit_keys[i], "t", o->limits[i]);
                        if (r < 0)
                                return r;
                }
        if (o->output_capture) {
                r = sd_bus_message_append(m, "{sv}", "output", "s", "capture");
                if (r >= 0 && o->output_max > 0)
                        r = sd_bus_message_append(m, "{sv}", "output-max", "t", o->output_max);
                if (r < 0)
                        return r;
        }
        if (o->stop_timeout_set) {
                r = sd_bus_message_append(m, "{sv}", "stop-timeout", "t", o->stop_timeout);
                if (r < 0)
                        return r;
        }
        r = append_string_option(m, "description", o->description);
        if (r < 0)
                return r;
        r = append_restart_options(m, o);
        if (r < 0)
                return r;

        return sd_bus_message_close_container(m);
}

static int spawn_call_new(procctl_client *client, char *const argv[], const procctl_spawn_options *options,
                          sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = client_new_manager_call(client, "Spawn", &m);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) argv);
        if (r < 0)
                return r;
        r = append_options(m, options);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int spawn_from_reply(procctl_client *client, sd_bus_message *reply, procctl_process **ret) {
        const char *path;
        uint32_t pid;
        int r;

        r = sd_bus_message_read(reply, "ou", &path, &pid);
        if (r < 0)
                return r;
        r = process_new_from_path(client, path, (pid_t) pid, ret);
        return r == -EINVAL ? -EBADMSG : r;
}

_public_ int procctl_spawn(procctl_client *client, char *const argv[],
                           const procctl_spawn_options *options,
                           procctl_process **ret, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        procctl_process *p;
        int r;

        if (!client)
                return error_set_local(error, -EINVAL, "No client given");
        if (!argv || !argv[0])
                return error_set_local(error, -EINVAL, "argv must not be empty");

        r = spawn_call_new(client, argv, options, &m);
        if (r < 0)
                return error_set_local(error, r, "Failed to build Spawn request: %s", strerror(-r));
        r = call_sync(client, m, 0, &reply, error);
        if (r < 0)
                return r;
        r = spawn_from_reply(client, reply, &p);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse Spawn reply: %s", strerror(-r));
        if (ret)
                *ret = p;
        else
                procctl_process_unref(p);
        return 0;
}

_public_ int procctl_spawn_async(procctl_client *client, char *const argv[],
                                 const procctl_spawn_options *options,
                                 procctl_spawn_callback_t callback, void *userdata,
                                 procctl_call **ret_call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!client || !argv || !argv[0])
                return -EINVAL;
        r = spawn_call_new(client, argv, options, &m);
        if (r < 0)
                return r;
        return call_async(client, NULL, m, 0, CALL_SPAWN, (void *) callback, userdata, ret_call);
}

_public_ int procctl_adopt(procctl_client *client, int pidfd, pid_t pid, const char *description,
                           procctl_process **ret, procctl_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        procctl_process *p;
        int r;

        if (!client || pidfd < 0)
                return error_set_local(error, -EINVAL, "No client or no pidfd given");

        r = client_new_manager_call(client, "Adopt", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "h", pidfd);
        if (r >= 0 && description)
                r = sd_bus_message_append(m, "a{sv}", 1, "description", "s", description);
        else if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return error_set_local(error, r, "Failed to build Adopt request: %s", strerror(-r));
        r = call_sync(client, m, 0, &reply, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = process_new_from_path(client, path, pid, &p);
        if (r < 0)
                return error_set_local(error, r, "Failed to parse Adopt reply: %s", strerror(-r));
        if (ret)
                *ret = p;
        else
                procctl_process_unref(p);
        return 0;
}
