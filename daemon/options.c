/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-error.h"
#include "env.h"
#include "macro.h"
#include "options.h"

void spawn_options_done(SpawnOptions *o) {
        strv_free(o->argv);
        free(o->executable);
        free(o->working_directory);
        strv_free(o->environment);
        free(o->fds);
        free(o->user);
        free(o->group);
        free(o->description);
        *o = (SpawnOptions) {};
}

#define invalid(error, format, key) sd_bus_error_setf((error), SD_BUS_ERROR_INVALID_ARGS, format, (key))

/* Reads an "as" one string at a time, refusing with LimitExceeded as soon as
 * there are more than max: sd_bus_message_read_strv() grows its array one
 * entry at a time (quadratic) and reads all of an oversized array before any
 * limit could apply, which lets one caller stall the daemon. */
static int read_strv_limited(sd_bus_message *m, size_t max, const char *what, char ***ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, allocated = 0;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &s)) > 0) {
                if (n >= max)
                        return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED, "Too many %s: more than %zu", what, max);
                if (n + 2 > allocated) {
                        size_t a = allocated ? allocated * 2 : 16;
                        char **nl = reallocarray(l, a, sizeof(char *));
                        if (!nl)
                                return -ENOMEM;
                        l = nl;
                        allocated = a;
                }
                l[n + 1] = NULL;
                l[n] = strdup(s);
                if (!l[n])
                        return -ENOMEM;
                n++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static int read_string(sd_bus_message *m, const char *key, char **ret, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        if (!*s)
                return invalid(error, "Option '%s' must not be empty", key);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int read_fd(sd_bus_message *m, const char *key, int *ret, sd_bus_error *error) {
        int fd, r, flags;

        r = sd_bus_message_read_basic(m, 'h', &fd);
        if (r == -EBADMSG || r == -ENXIO)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Option '%s': the handle names no descriptor sent with the call", key);
        if (r < 0)
                return r;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option '%s': descriptor is not usable: %s", key, strerror(errno));
        if (flags & O_PATH)
                return invalid(error, "Option '%s': an O_PATH descriptor cannot be used for I/O", key);
        *ret = fd;
        return 0;
}

static int read_fds(sd_bus_message *m, SpawnOptions *o, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{uh}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "uh")) > 0) {
                uint32_t target;
                int fd;

                r = sd_bus_message_read_basic(m, 'u', &target);
                if (r < 0)
                        return r;
                if (target < 3 || target >= SPAWN_MAX_FD)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option 'fds': target %u is out of range (3 to %d)", target, SPAWN_MAX_FD - 1);
                for (size_t i = 0; i < o->n_fds; i++)
                        if (o->fds[i].target == (int) target)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option 'fds': target %u given twice", target);
                r = read_fd(m, "fds", &fd, error);
                if (r < 0)
                        return r;
                SpawnFd *l = reallocarray(o->fds, o->n_fds + 1, sizeof(SpawnFd));
                if (!l)
                        return -ENOMEM;
                o->fds = l;
                o->fds[o->n_fds++] = (SpawnFd) { .source = fd, .target = (int) target };

                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* The contract's options.  Each has exactly one signature (spawn_option_table). */
typedef enum SpawnOptionKey {
        OPTION_EXECUTABLE,
        OPTION_WORKING_DIRECTORY,
        OPTION_ENVIRONMENT,
        OPTION_STDIN,
        OPTION_STDOUT,
        OPTION_STDERR,
        OPTION_FDS,
        OPTION_USER,
        OPTION_GROUP,
        OPTION_UMASK,
        OPTION_KILL_ON_DISCONNECT,
        OPTION_TIMEOUT,
        OPTION_STOP_TIMEOUT,
        OPTION_DESCRIPTION,
        OPTION_TTY,
        OPTION_OUTPUT,
        OPTION_OUTPUT_MAX,
        OPTION_KILL_MODE,
        OPTION_MEMORY_MAX,
        OPTION_TASKS_MAX,
        OPTION_CPU_WEIGHT,
        OPTION_CPU_QUOTA,
        OPTION_RESTART,
        OPTION_RESTART_DELAY,
        OPTION_RESTART_DELAY_MAX,
        OPTION_RESTART_LIMIT,
        OPTION_RESTART_INTERVAL,
        _OPTION_MAX,
} SpawnOptionKey;

static const struct {
        const char *key;
        const char *signature;
} spawn_option_table[_OPTION_MAX] = {
        [OPTION_EXECUTABLE] = { "executable", "s" },
        [OPTION_WORKING_DIRECTORY] = { "working-directory", "s" },
        [OPTION_ENVIRONMENT] = { "environment", "as" },
        [OPTION_STDIN] = { "stdin", "h" },
        [OPTION_STDOUT] = { "stdout", "h" },
        [OPTION_STDERR] = { "stderr", "h" },
        [OPTION_FDS] = { "fds", "a{uh}" },
        [OPTION_USER] = { "user", "s" },
        [OPTION_GROUP] = { "group", "s" },
        [OPTION_UMASK] = { "umask", "u" },
        [OPTION_KILL_ON_DISCONNECT] = { "kill-on-disconnect", "b" },
        [OPTION_TIMEOUT] = { "timeout", "t" },
        [OPTION_STOP_TIMEOUT] = { "stop-timeout", "t" },
        [OPTION_DESCRIPTION] = { "description", "s" },
        [OPTION_TTY] = { "tty", "b" },
        [OPTION_OUTPUT] = { "output", "s" },
        [OPTION_OUTPUT_MAX] = { "output-max", "t" },
        [OPTION_KILL_MODE] = { "kill-mode", "s" },
        [OPTION_MEMORY_MAX] = { "memory-max", "t" },
        [OPTION_TASKS_MAX] = { "tasks-max", "t" },
        [OPTION_CPU_WEIGHT] = { "cpu-weight", "t" },
        [OPTION_CPU_QUOTA] = { "cpu-quota", "t" },
        [OPTION_RESTART] = { "restart", "s" },
        [OPTION_RESTART_DELAY] = { "restart-delay", "t" },
        [OPTION_RESTART_DELAY_MAX] = { "restart-delay-max", "t" },
        [OPTION_RESTART_LIMIT] = { "restart-limit", "u" },
        [OPTION_RESTART_INTERVAL] = { "restart-interval", "t" },
};

/* The options Adopt takes: the process exists already, so only how it is tracked. */
#define ADOPT_OPTIONS \
        ((1U << OPTION_KILL_ON_DISCONNECT) | (1U << OPTION_TIMEOUT) | (1U << OPTION_STOP_TIMEOUT) | (1U << OPTION_DESCRIPTION))
#define ALL_OPTIONS (~0U)

/* The restart policy (restart.h): times within RESTART_TIME_MAX_USEC, the
 * limit within 1..RESTART_LIMIT_MAX, so that no arithmetic on them wraps. */
static int read_restart_option(sd_bus_message *m, SpawnOptions *o, const char *key, SpawnOptionKey index,
                               sd_bus_error *error) {
        RestartPolicy *p = &o->restart;
        const char *s;
        uint64_t t;
        uint32_t u;
        int r;

        if (index == OPTION_RESTART) {
                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                p->mode = restart_mode_from_string(s);
                if (p->mode < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option 'restart' must be \"no\", \"on-failure\" or \"always\", not \"%.64s\"", s);
                return 0;
        }
        if (!o->restart_option)
                o->restart_option = key;
        if (index == OPTION_RESTART_LIMIT) {
                r = sd_bus_message_read_basic(m, 'u', &u);
                if (r < 0)
                        return r;
                if (u < 1 || u > RESTART_LIMIT_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option '%s' must be between 1 and %u", key,
                                                 RESTART_LIMIT_MAX);
                p->limit = u;
                return 0;
        }
        r = sd_bus_message_read_basic(m, 't', &t);
        if (r < 0)
                return r;
        if (t > RESTART_TIME_MAX_USEC)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option '%s' must be at most %llu µs (a year)", key,
                                         (unsigned long long) RESTART_TIME_MAX_USEC);
        if (index == OPTION_RESTART_INTERVAL && t == 0)
                return invalid(error, "Option '%s' must be at least 1 µs", key);
        if (index == OPTION_RESTART_DELAY)
                p->delay_usec = t;
        else if (index == OPTION_RESTART_DELAY_MAX) {
                p->delay_max_usec = t;
                o->restart_delay_max_given = true;
        } else
                p->interval_usec = t;
        return 0;
}

/* The timings need a policy; a delay above its maximum is the maximum's
 * when that was not given, else a contradiction. */
static int check_restart_options(SpawnOptions *o, sd_bus_error *error) {
        RestartPolicy *p = &o->restart;

        if (p->mode == RESTART_NO && o->restart_option)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Option '%s' needs 'restart' set to \"on-failure\" or \"always\"", o->restart_option);
        if (p->delay_usec > p->delay_max_usec) {
                if (o->restart_delay_max_given)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option 'restart-delay' is above 'restart-delay-max'");
                p->delay_max_usec = p->delay_usec;
        }
        if (p->interval_usec / p->limit < RESTART_MIN_SPACING_USEC)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Options 'restart-limit' and 'restart-interval' allow more than %llu restarts a "
                                         "second (%" PRIu32 " within %" PRIu64 " µs)",
                                         1000000ULL / RESTART_MIN_SPACING_USEC, p->limit, p->interval_usec);
        return 0;
}

static int read_option(sd_bus_message *m, SpawnOptions *o, const char *key, SpawnOptionKey index, sd_bus_error *error) {
        uint32_t u;
        int b, r;

        switch (index) {
        case OPTION_EXECUTABLE:
                return read_string(m, key, &o->executable, error);
        case OPTION_WORKING_DIRECTORY:
                r = read_string(m, key, &o->working_directory, error);
                if (r < 0)
                        return r;
                if (o->working_directory[0] != '/')
                        return invalid(error, "Option '%s' must be an absolute path", key);
                return 0;
        case OPTION_ENVIRONMENT:
                r = read_strv_limited(m, SPAWN_MAX_ENV, "environment entries", &o->environment, error);
                if (r < 0)
                        return r;
                STRV_FOREACH(e, o->environment)
                        if (!env_entry_valid(*e))
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option 'environment': \"%.64s\" is not KEY=VALUE", *e);
                return 0;
        case OPTION_STDIN:
        case OPTION_STDOUT:
        case OPTION_STDERR:
                return read_fd(m, key, &o->stdio[index - OPTION_STDIN], error);
        case OPTION_FDS:
                return read_fds(m, o, error);
        case OPTION_USER:
                return read_string(m, key, &o->user, error);
        case OPTION_GROUP:
                return read_string(m, key, &o->group, error);
        case OPTION_UMASK:
                r = sd_bus_message_read_basic(m, 'u', &u);
                if (r < 0)
                        return r;
                if (u > 0777)
                        return invalid(error, "Option '%s' must be at most 0777", key);
                o->umask = (mode_t) u;
                return 0;
        case OPTION_KILL_ON_DISCONNECT:
                r = sd_bus_message_read_basic(m, 'b', &b);
                o->kill_on_disconnect = b;
                return r;
        case OPTION_TIMEOUT:
                return sd_bus_message_read_basic(m, 't', &o->timeout_usec);
        case OPTION_STOP_TIMEOUT:
                return sd_bus_message_read_basic(m, 't', &o->stop_timeout_usec);
        case OPTION_DESCRIPTION: {
                const char *s;

                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                if (strlen(s) > SPAWN_MAX_DESCRIPTION)
                        return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                                 "Option 'description' is longer than %d bytes", SPAWN_MAX_DESCRIPTION);
                o->description = strdup(s);
                return o->description ? 0 : -ENOMEM;
        }
        case OPTION_TTY:
                r = sd_bus_message_read_basic(m, 'b', &b);
                o->tty = b;
                return r;
        case OPTION_OUTPUT: {
                const char *s;

                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                if (strcmp(s, "capture") != 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option 'output' must be \"capture\", not \"%.64s\"", s);
                o->capture_output = true;
                return 0;
        }
        case OPTION_OUTPUT_MAX:
                r = sd_bus_message_read_basic(m, 't', &o->output_max);
                if (r < 0)
                        return r;
                if (o->output_max == 0)
                        return invalid(error, "Option '%s' must be at least 1", key);
                return 0;
        case OPTION_KILL_MODE: {
                const char *s;

                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                if (strcmp(s, "process") == 0)
                        o->kill_process_only = true;
                else if (strcmp(s, "control-group") != 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option 'kill-mode' must be \"control-group\" or \"process\", not \"%.64s\"", s);
                break;
        }
        case OPTION_MEMORY_MAX:
        case OPTION_TASKS_MAX:
        case OPTION_CPU_WEIGHT:
        case OPTION_CPU_QUOTA: {
                uint64_t v;

                r = sd_bus_message_read_basic(m, 't', &v);
                if (r < 0)
                        return r;
                if (index == OPTION_CPU_WEIGHT && (v < 1 || v > 10000))
                        return invalid(error, "Option '%s' must be between 1 and 10000", key);
                if (index == OPTION_CPU_QUOTA && v == 0)
                        return invalid(error, "Option '%s' must be at least 1 µs", key);
                if (index == OPTION_TASKS_MAX && v == 0)
                        return invalid(error, "Option '%s' must be at least 1", key);
                /* UINT64_MAX stands for "not set" (no limit, as "max" in cgroupfs). */
                if (index == OPTION_MEMORY_MAX)
                        o->limits.memory_max = v;
                else if (index == OPTION_TASKS_MAX)
                        o->limits.tasks_max = v;
                else if (index == OPTION_CPU_WEIGHT)
                        o->limits.cpu_weight = v;
                else
                        o->limits.cpu_quota = v;
                break;
        }
        case OPTION_RESTART:
        case OPTION_RESTART_DELAY:
        case OPTION_RESTART_DELAY_MAX:
        case OPTION_RESTART_LIMIT:
        case OPTION_RESTART_INTERVAL:
                return read_restart_option(m, o, key, index, error);
        case _OPTION_MAX:
                return -EINVAL;
        }
        /* The options of a process tree. */
        if (!o->cgroup_option)
                o->cgroup_option = spawn_option_table[index].key;
        return 0;
}

static int read_options(sd_bus_message *m, SpawnOptions *o, unsigned allowed, const char *method, sd_bus_error *error) {
        bool seen[ELEMENTSOF(spawn_option_table)] = {};
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *contents;
                size_t i;
                char type;

                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                for (i = 0; i < ELEMENTSOF(spawn_option_table); i++)
                        if (strcmp(key, spawn_option_table[i].key) == 0)
                                break;
                if (i >= ELEMENTSOF(spawn_option_table))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option '%.64s'", key);
                if (!(allowed & (1U << i)))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option '%s' does not apply to %s",
                                                 spawn_option_table[i].key, method);
                if (seen[i])
                        return invalid(error, "Option '%s' given twice", spawn_option_table[i].key);
                seen[i] = true;

                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (type != 'v' || strcmp(contents, spawn_option_table[i].signature) != 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option '%s' must be of type '%s', not '%.16s'",
                                                 spawn_option_table[i].key, spawn_option_table[i].signature, contents);
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_option(m, o, spawn_option_table[i].key, (SpawnOptionKey) i, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int check_sizes(const SpawnOptions *o, sd_bus_error *error) {
        size_t n_args = strv_length(o->argv), n_env = strv_length(o->environment), bytes = 0;

        if (n_args > SPAWN_MAX_ARGS)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED, "Too many arguments: %zu (at most %d)", n_args, SPAWN_MAX_ARGS);
        if (n_env > SPAWN_MAX_ENV)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED, "Too many environment entries: %zu (at most %d)", n_env, SPAWN_MAX_ENV);
        STRV_FOREACH(s, o->argv)
                bytes += strlen(*s) + 1;
        STRV_FOREACH(s, o->environment)
                bytes += strlen(*s) + 1;
        if (bytes > SPAWN_MAX_STRING_BYTES)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "Arguments and environment take %zu bytes (at most %u)", bytes, SPAWN_MAX_STRING_BYTES);
        /* Paths the kernel would refuse anyway (ENAMETOOLONG); bounded here so
         * that the properties published for every process stay small. */
        if (strlen(o->executable ?: o->argv[0]) >= PATH_MAX)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED, "The program's name is longer than %d bytes",
                                         PATH_MAX - 1);
        if (o->working_directory && strlen(o->working_directory) >= PATH_MAX)
                return sd_bus_error_setf(error, PROCCTL_ERROR_LIMIT_EXCEEDED,
                                         "Option 'working-directory' is longer than %d bytes", PATH_MAX - 1);
        return 0;
}

static void options_init(SpawnOptions *o) {
        *o = (SpawnOptions) {
                .stdio = { -1, -1, -1 },
                .umask = SPAWN_DEFAULT_UMASK,
                .stop_timeout_usec = SPAWN_DEFAULT_STOP_TIMEOUT_USEC,
                .limits = CGROUP_LIMITS_NONE,
                .restart = RESTART_POLICY_DEFAULT,
        };
}

int adopt_options_parse(sd_bus_message *m, SpawnOptions *ret, sd_bus_error *error) {
        SpawnOptions o;
        int r;

        options_init(&o);
        r = read_options(m, &o, ADOPT_OPTIONS, "Adopt", error);
        if (r >= 0 && !o.description && !(o.description = strdup("")))
                r = -ENOMEM;
        if (r < 0) {
                spawn_options_done(&o);
                if (!sd_bus_error_is_set(error))
                        r = bus_error_from_errno(error, r, "Failed to parse Adopt arguments");
                return r;
        }
        *ret = o;
        return 0;
}

int spawn_options_parse(sd_bus_message *m, SpawnOptions *ret, sd_bus_error *error) {
        SpawnOptions o;
        int r;

        options_init(&o);
        r = read_strv_limited(m, SPAWN_MAX_ARGS, "arguments", &o.argv, error);
        if (r < 0)
                goto fail;
        if (!o.argv || !o.argv[0]) {
                r = sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "argv must not be empty");
                goto fail;
        }
        if (!o.argv[0][0]) {
                r = sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "argv[0] must not be empty");
                goto fail;
        }

        r = read_options(m, &o, ALL_OPTIONS, "Spawn", error);
        if (r < 0)
                goto fail;
        if (!o.description && !(o.description = strdup(""))) {
                r = -ENOMEM;
                goto fail;
        }
        if (o.tty && o.stdio[0] < 0) {
                r = sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Option 'tty' needs a terminal as 'stdin'");
                goto fail;
        }
        if (o.tty && !isatty(o.stdio[0])) {
                r = sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Option 'tty': 'stdin' is not a terminal");
                goto fail;
        }
        /* A controlling terminal is read through /dev/tty: only a caller who
         * can read it may hand it over. */
        if (o.tty && (fcntl(o.stdio[0], F_GETFL) & O_ACCMODE) != O_RDWR) {
                r = sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                     "Option 'tty': 'stdin' must be open for reading and writing");
                goto fail;
        }
        if (o.output_max > 0 && !o.capture_output) {
                r = sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Option 'output-max' needs 'output' set to \"capture\"");
                goto fail;
        }
        r = check_restart_options(&o, error);
        if (r < 0)
                goto fail;
        r = check_sizes(&o, error);
        if (r < 0)
                goto fail;

        *ret = o;
        return 0;
fail:
        spawn_options_done(&o);
        if (r < 0 && !sd_bus_error_is_set(error))
                r = bus_error_from_errno(error, r, "Failed to parse Spawn arguments");
        return r;
}
