/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the scale benchmarks; see scale-common.h.
 */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scale-common.h"

struct PipelineSlot {
        Pipeline *pipeline;
        size_t index;
        unsigned step;
};

void print_row(const char *metric, const char *baseline, const char *measured, double ratio, const char *target) {
        printf("row\t%s\t%s\t%s\t%.3f\t%s\n", metric, baseline, measured, ratio, target);
        fflush(stdout);
}

int bench_connect(const char *address, bool user, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        if (!address)
                r = user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
        else {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        }
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the bus %s: %s\n", address ?: user ? "(session)" : "(system)",
                        strerror(-r));
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

double median_us(uint64_t *v, size_t n) {
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), compare_u64);
        if (n % 2 == 1)
                return v[n / 2] / 1e3;
        return (v[n / 2 - 1] + v[n / 2]) / 2 / 1e3;
}

int daemon_pid(sd_bus *bus, pid_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionUnixProcessID", &error, &reply, "s", BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "u", &pid);
        if (r < 0) {
                fprintf(stderr, "Failed to get the PID of %s: %s\n", BUS_NAME, error.message ?: strerror(-r));
                return r;
        }
        *ret = (pid_t) pid;
        return 0;
}

int process_rss_kib(pid_t pid, uint64_t *ret_rss, uint64_t *ret_anon) {
        char path[64], line[256];
        bool have_rss = false, have_anon = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "VmRSS: %" SCNu64, ret_rss) == 1)
                        have_rss = true;
                else if (sscanf(line, "RssAnon: %" SCNu64, ret_anon) == 1)
                        have_anon = true;
        }
        fclose(f);
        return have_rss && have_anon ? 0 : -EIO;
}

uint64_t process_cpu_ns(pid_t pid) {
        char path[64];
        uint64_t ns = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%" SCNu64, &ns) != 1)
                ns = 0;
        fclose(f);
        return ns;
}

int process_fd_count(pid_t pid) {
        char path[64];
        struct dirent *de;
        int n = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

int process_count(sd_bus *bus, uint32_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_trivial(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "ProcessCount", &error, 'u', ret);
        if (r < 0)
                fprintf(stderr, "Failed to read ProcessCount: %s\n", error.message ?: strerror(-r));
        return r;
}

/* Pipelined calls */

void *pipeline_slot(Pipeline *p, size_t i) {
        return &p->slots[i];
}

int pipeline_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct PipelineSlot *s = userdata;
        Pipeline *p = s->pipeline;

        int r = p->reply(p, s->index, s->step++, m);

        if (r > 0)
                return 0; /* the item's next call is on its way */
        p->done++;
        if (r < 0)
                p->failed++;
        return 0;
}

int pipeline_run(Pipeline *p) {
        int r;

        p->next = p->done = p->failed = 0;
        p->slots = calloc(p->n ? p->n : 1, sizeof(struct PipelineSlot));
        if (!p->slots)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++)
                p->slots[i] = (struct PipelineSlot) { .pipeline = p, .index = i };

        while (p->done < p->n) {
                while (p->next < p->n && p->next - p->done < p->window) {
                        r = p->send(p, p->next);
                        if (r < 0) {
                                fprintf(stderr, "Failed to send call %zu: %s\n", p->next, strerror(-r));
                                goto finish;
                        }
                        p->next++;
                }
                r = sd_bus_process(p->bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "Bus connection failed: %s\n", strerror(-r));
                        goto finish;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(p->bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "Bus connection failed: %s\n", strerror(-r));
                        goto finish;
                }
        }
        r = (int) p->failed;
finish:
        free(p->slots);
        p->slots = NULL;
        return r;
}

/* Spawn, Stop, Release, pipelined */

typedef struct SpawnMany {
        char **argv;
        char **paths;
        uint32_t *pids;
} SpawnMany;

static int spawn_send(Pipeline *p, size_t i) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        SpawnMany *s = p->userdata;
        int r;

        r = sd_bus_message_new_method_call(p->bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Spawn");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, s->argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r >= 0)
                r = sd_bus_call_async(p->bus, NULL, m, pipeline_reply, pipeline_slot(p, i), 0);
        return r;
}

static int spawn_reply(Pipeline *p, size_t i, unsigned step, sd_bus_message *m) {
        SpawnMany *s = p->userdata;
        const char *path;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);
                fprintf(stderr, "Spawn %zu failed: %s: %s\n", i, e->name, e->message ?: "");
                return -EIO;
        }
        r = sd_bus_message_read(m, "ou", &path, &s->pids[i]);
        if (r < 0)
                return r;
        s->paths[i] = strdup(path);
        return s->paths[i] ? 0 : -ENOMEM;
}

int spawn_many(sd_bus *bus, char **argv, size_t n, char **paths, uint32_t *pids) {
        SpawnMany s = { .argv = argv, .paths = paths, .pids = pids };
        Pipeline p = { .bus = bus, .n = n, .window = 64, .send = spawn_send, .reply = spawn_reply, .userdata = &s };

        return pipeline_run(&p);
}

static int check_error(const char *method, size_t i, sd_bus_message *m) {
        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);
                fprintf(stderr, "%s %zu failed: %s: %s\n", method, i, e->name, e->message ?: "");
                return -EIO;
        }
        return 0;
}

static int stop_send(Pipeline *p, size_t i) {
        char **paths = p->userdata;

        return sd_bus_call_method_async(p->bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Stop", pipeline_reply,
                                        pipeline_slot(p, i), "o", paths[i]);
}

/* Step 0: Stop answered, send Release; step 1: Release answered. */
static int stop_release_reply(Pipeline *p, size_t i, unsigned step, sd_bus_message *m) {
        char **paths = p->userdata;
        const char *reason;
        int32_t status;
        int r;

        if (step > 0)
                return check_error("Release", i, m);

        r = check_error("Stop", i, m);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "si", &reason, &status);
        if (r < 0)
                return r;
        if (strcmp(reason, "killed") != 0 || status != SIGTERM) {
                fprintf(stderr, "Stop %zu: the child ended with %s %d, expected killed %d\n", i, reason, status, SIGTERM);
                return -EPROTO;
        }
        r = sd_bus_call_method_async(p->bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Release", pipeline_reply,
                                     pipeline_slot(p, i), "o", paths[i]);
        return r < 0 ? r : 1;
}

int stop_and_release_many(sd_bus *bus, char **paths, size_t n) {
        Pipeline p = { .bus = bus, .n = n, .window = 64, .send = stop_send, .reply = stop_release_reply, .userdata = paths };

        return pipeline_run(&p);
}

int spawn_wait_release(sd_bus *bus, const char *program, const char *user) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *p, *reason;
        uint32_t pid;
        int32_t status;
        int r;

        /* An options array of 0 entries reads none of the arguments after its count. */
        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Spawn", &error, &reply, "asa{sv}", 1,
                               program, user ? 1 : 0, "user", "s", user);
        if (r >= 0)
                r = sd_bus_message_read(reply, "ou", &p, &pid);
        if (r < 0) {
                fprintf(stderr, "Spawn(%s) failed: %s\n", program, error.message ?: strerror(-r));
                return r;
        }
        path = strdup(p);
        if (!path)
                return -ENOMEM;
        reply = sd_bus_message_unref(reply);

        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Wait", &error, &reply, "o", path);
        if (r >= 0)
                r = sd_bus_message_read(reply, "si", &reason, &status);
        if (r < 0) {
                fprintf(stderr, "Wait(%s) failed: %s\n", path, error.message ?: strerror(-r));
                return r;
        }
        if (strcmp(reason, "exited") != 0 || status != 0) {
                fprintf(stderr, "%s ended with %s %d, expected exited 0\n", program, reason, status);
                return -EPROTO;
        }

        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, "Release", &error, NULL, "o", path);
        if (r < 0) {
                fprintf(stderr, "Release(%s) failed: %s\n", path, error.message ?: strerror(-r));
                return r;
        }
        return 0;
}
