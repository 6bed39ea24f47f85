/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: from a Spawn (or Adopt) message to the request the child
 * would get, and on to the error a caller would see.  It drives the daemon's
 * own modules (libprocctld: options.c, env.c, identity.c, spawn.c's message
 * text, bus-error.c) exactly as method_spawn() does, minus the user database,
 * polkit and the clone itself:
 *
 *   1. The input is read as a recipe for a message: argv (strings, possibly
 *      repeated many times to reach the size limits), then a{sv} options
 *      whose keys come from the contract's table, an unknown or empty key,
 *      or a repeat of the previous one, and whose values have the right or
 *      a wrong D-Bus type.  Descriptors are real: /dev/null, an O_PATH
 *      descriptor, a pipe and a socket.  The message is built on an
 *      unconnected sd_bus and sealed, as the unit tests do.
 *   2. spawn_options_parse() / adopt_options_parse() reads it.  Their
 *      contract is checked, not only "no crash": a failure sets an error of a
 *      known name; a success obeys every rule of options.h (argv and argv[0]
 *      not empty, an absolute working directory, fds targets 3..1023 without
 *      duplicates and no O_PATH descriptor, valid KEY=VALUE entries, the size
 *      limits, umask at most 0777, a description at most 4096 bytes).
 *   3. The child's environment (env_build, for a made-up user), the files
 *      exec would try (exec_candidates) and the user/group name checks
 *      (parse_id, valid_user_group_name) run on what was parsed.
 *   4. Fuzzed failures go through the error mapping: bus_error_from_errno()
 *      with any errno and bus_error_from_spawn_failure() with any stage, errno,
 *      candidate and interpreter name; the result must be a named error with a
 *      message.
 *
 * Every iteration must give back every descriptor and all memory it took:
 * descriptors are checked here, memory by LeakSanitizer.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (tests/fuzz/run.sh);
 * in every other build the same code is replayed over the seed corpus by
 * fuzz-replay.c as a unit test.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-error.h"
#include "env.h"
#include "identity.h"
#include "macro.h"
#include "options.h"
#include "procctl-bus.h"
#include "spawn.h"

#include "fuzz.h"

/* An invariant of the code under test does not hold: crash loudly, so the
 * fuzzer keeps the input. */
#define fuzz_check(cond)                                                                       \
        do {                                                                                   \
                if (!(cond)) {                                                                 \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                               \
                }                                                                              \
        } while (0)

/* --- Reading the input ------------------------------------------------ */

typedef struct {
        const uint8_t *p;
        size_t n;
} Input;

static uint8_t take_u8(Input *in) {
        if (in->n == 0)
                return 0;
        in->n--;
        return *in->p++;
}

static uint64_t take_bytes(Input *in, size_t k) {
        uint64_t v = 0;
        for (size_t i = 0; i < k; i++)
                v = (v << 8) | take_u8(in);
        return v;
}

#define take_u16(in) ((uint16_t) take_bytes((in), 2))
#define take_u32(in) ((uint32_t) take_bytes((in), 4))
#define take_u64(in) take_bytes((in), 8)

/* A length byte (255: a 16-bit length follows), then that many bytes; the
 * string ends early at a NUL, as a C string would.  Never NULL. */
static char *take_string(Input *in) {
        size_t len = take_u8(in);
        char *s;

        if (len == 255)
                len = take_u16(in);
        if (len > in->n)
                len = in->n;
        s = malloc(len + 1);
        fuzz_check(s);
        memcpy(s, in->p, len);
        s[len] = '\0';
        in->p += len;
        in->n -= len;
        return s;
}

/* D-Bus strings are UTF-8 without NULs; sd-bus refuses others at append. */
static void make_ascii(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s >= 0x80)
                        *s = (char) ((unsigned char) *s & 0x7f) ?: '?';
}

static void append_string(sd_bus_message *m, char type, char *s) {
        if (sd_bus_message_append_basic(m, type, s) >= 0)
                return;
        make_ascii(s);
        fuzz_check(sd_bus_message_append_basic(m, type, s) >= 0);
}

/* --- Descriptors the message can carry -------------------------------- */

enum { FD_DEVNULL, FD_O_PATH, FD_PIPE, FD_SOCKET, _FD_MAX };
static int fixed_fds[_FD_MAX];
static sd_bus *bus;
static int lowest_free_fd;
static bool verbose; /* $FUZZ_VERBOSE: say what each input gave (for reading a corpus) */

static int probe_lowest_free_fd(void) {
        int fd = dup(fixed_fds[FD_DEVNULL]);
        fuzz_check(fd >= 0);
        close(fd);
        return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        int pair[2], pipe_fds[2], sock[2];

        fixed_fds[FD_DEVNULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
        fixed_fds[FD_O_PATH] = open("/", O_PATH | O_CLOEXEC);
        fuzz_check(pipe2(pipe_fds, O_CLOEXEC) == 0);
        fixed_fds[FD_PIPE] = pipe_fds[0];
        fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) == 0);
        fixed_fds[FD_SOCKET] = sock[0];
        for (int i = 0; i < _FD_MAX; i++)
                fuzz_check(fixed_fds[i] >= 0);

        /* An unconnected bus, only to build and seal messages on. */
        fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
        fuzz_check(sd_bus_new(&bus) >= 0);
        fuzz_check(sd_bus_set_fd(bus, pair[0], pair[0]) >= 0);
        fuzz_check(sd_bus_negotiate_fds(bus, true) >= 0);
        fuzz_check(sd_bus_start(bus) >= 0);

        lowest_free_fd = probe_lowest_free_fd();
        verbose = getenv("FUZZ_VERBOSE");
        return 0;
}

/* --- Building the message --------------------------------------------- */

static const struct {
        const char *key;
        const char *signature;
} option_keys[] = {
        { "executable", "s" },      { "working-directory", "s" }, { "environment", "as" },
        { "stdin", "h" },           { "stdout", "h" },            { "stderr", "h" },
        { "fds", "a{uh}" },         { "user", "s" },              { "group", "s" },
        { "umask", "u" },           { "kill-on-disconnect", "b" }, { "timeout", "t" },
        { "stop-timeout", "t" },    { "description", "s" },
};

/* Wrong types a caller might send, and the right ones again. */
static const char *const signatures[] = {
        "s", "as", "h", "a{uh}", "u", "b", "t", "i", "y", "q", "n", "x", "d",
        "o", "g", "v", "ay", "(s)", "a{sv}", "a{ih}", "a{uu}", "ah",
};

static void append_strings(Input *in, sd_bus_message *m, bool as_array) {
        size_t n = take_u8(in);
        char *last = NULL;

        /* Just past the limits is enough to reach them; more only costs time. */
        if (n == 255)
                n = take_u16(in) % (SPAWN_MAX_ARGS + 16);
        if (as_array)
                fuzz_check(sd_bus_message_open_container(m, 'a', "s") >= 0);
        for (size_t i = 0; i < n; i++) {
                /* A byte with the top bit set repeats the last string: cheap
                 * ways to 16385 entries or 2 MiB. */
                if (!last || !(take_u8(in) & 0x80)) {
                        free(last);
                        last = take_string(in);
                }
                append_string(m, 's', last);
        }
        free(last);
        if (as_array)
                fuzz_check(sd_bus_message_close_container(m) >= 0);
}

static int take_fd(Input *in) {
        return fixed_fds[take_u8(in) % _FD_MAX];
}

static uint32_t take_target(Input *in) {
        uint8_t b = take_u8(in);
        /* Mostly near the edges that matter (0..2, 3, 1023, 1024), sometimes anything. */
        return b < 0xf0 ? (uint32_t) b % 8 + (b & 0x80 ? 1020 : 0) : take_u32(in);
}

static void append_value(Input *in, sd_bus_message *m, const char *sig) {
        switch (sig[0]) {
        case 's':
        case 'o':
        case 'g': {
                char *s = take_string(in);
                if (sig[0] == 's')
                        append_string(m, 's', s);
                else
                        fuzz_check(sd_bus_message_append_basic(m, sig[0], sig[0] == 'o' ? "/fuzz" : "s") >= 0);
                free(s);
                return;
        }
        case 'h': {
                int fd = take_fd(in);
                fuzz_check(sd_bus_message_append_basic(m, 'h', &fd) >= 0);
                return;
        }
        case 'u':
        case 'i': {
                uint32_t v = take_u32(in);
                fuzz_check(sd_bus_message_append_basic(m, sig[0], &v) >= 0);
                return;
        }
        case 'b': {
                int v = take_u8(in) & 1;
                fuzz_check(sd_bus_message_append_basic(m, 'b', &v) >= 0);
                return;
        }
        case 't':
        case 'x':
        case 'd': {
                uint64_t v = take_u64(in);
                double d;
                if (sig[0] == 'd') {
                        memcpy(&d, &v, sizeof(d));
                        fuzz_check(sd_bus_message_append_basic(m, 'd', &d) >= 0);
                } else
                        fuzz_check(sd_bus_message_append_basic(m, sig[0], &v) >= 0);
                return;
        }
        case 'y': {
                uint8_t v = take_u8(in);
                fuzz_check(sd_bus_message_append_basic(m, 'y', &v) >= 0);
                return;
        }
        case 'q':
        case 'n': {
                uint16_t v = take_u16(in);
                fuzz_check(sd_bus_message_append_basic(m, sig[0], &v) >= 0);
                return;
        }
        case 'v':
                fuzz_check(sd_bus_message_open_container(m, 'v', "s") >= 0);
                append_value(in, m, "s");
                fuzz_check(sd_bus_message_close_container(m) >= 0);
                return;
        case '(':
                fuzz_check(sd_bus_message_open_container(m, 'r', "s") >= 0);
                append_value(in, m, "s");
                fuzz_check(sd_bus_message_close_container(m) >= 0);
                return;
        case 'a':
                break;
        default:
                abort();
        }

        /* Arrays. */
        if (strcmp(sig, "as") == 0) {
                append_strings(in, m, true);
                return;
        }
        const char *element = sig + 1;
        bool dict = element[0] == '{';
        char entry[8] = "";
        size_t n = take_u8(in) % 8;

        if (dict) {
                /* "{uh}" -> "uh" */
                snprintf(entry, sizeof(entry), "%.*s", (int) strlen(element) - 2, element + 1);
        }
        fuzz_check(sd_bus_message_open_container(m, 'a', element) >= 0);
        for (size_t i = 0; i < n; i++) {
                if (!dict) {
                        char one[2] = { element[0], '\0' };
                        append_value(in, m, one);
                        continue;
                }
                fuzz_check(sd_bus_message_open_container(m, 'e', entry) >= 0);
                if (strcmp(entry, "uh") == 0 || strcmp(entry, "uu") == 0) {
                        uint32_t target = take_target(in);
                        fuzz_check(sd_bus_message_append_basic(m, 'u', &target) >= 0);
                } else if (strcmp(entry, "ih") == 0) {
                        int32_t target = (int32_t) take_target(in);
                        fuzz_check(sd_bus_message_append_basic(m, 'i', &target) >= 0);
                } else {
                        char *key = take_string(in);
                        append_string(m, 's', key);
                        free(key);
                }
                char second[2] = { entry[1], '\0' };
                if (entry[1] == 'v') {
                        fuzz_check(sd_bus_message_open_container(m, 'v', "u") >= 0);
                        append_value(in, m, "u");
                        fuzz_check(sd_bus_message_close_container(m) >= 0);
                } else
                        append_value(in, m, second);
                fuzz_check(sd_bus_message_close_container(m) >= 0);
        }
        fuzz_check(sd_bus_message_close_container(m) >= 0);
}

static void append_options(Input *in, sd_bus_message *m) {
        size_t n = take_u8(in) % 24;
        const char *last_key = "umask", *last_sig = "u";

        fuzz_check(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
        for (size_t i = 0; i < n; i++) {
                uint8_t k = take_u8(in) % (ELEMENTSOF(option_keys) + 4);
                uint8_t t = take_u8(in);
                const char *key, *sig = "s";
                char *owned = NULL;

                if (k < ELEMENTSOF(option_keys)) {
                        key = option_keys[k].key;
                        sig = option_keys[k].signature;
                } else if (k == ELEMENTSOF(option_keys))
                        key = owned = take_string(in);   /* anything, mostly unknown */
                else if (k == ELEMENTSOF(option_keys) + 1)
                        key = "";
                else if (k == ELEMENTSOF(option_keys) + 2) {
                        key = last_key;                 /* a duplicate */
                        sig = last_sig;
                }
                else
                        key = "Umask";                  /* keys are case-sensitive */

                if (t >= 0xc0)
                        sig = signatures[t % ELEMENTSOF(signatures)];

                fuzz_check(sd_bus_message_open_container(m, 'e', "sv") >= 0);
                if (owned)
                        append_string(m, 's', owned);
                else
                        fuzz_check(sd_bus_message_append_basic(m, 's', key) >= 0);
                fuzz_check(sd_bus_message_open_container(m, 'v', sig) >= 0);
                append_value(in, m, sig);
                fuzz_check(sd_bus_message_close_container(m) >= 0);
                fuzz_check(sd_bus_message_close_container(m) >= 0);

                if (k < ELEMENTSOF(option_keys)) {
                        last_key = option_keys[k].key;
                        last_sig = option_keys[k].signature;
                }
                free(owned);
        }
        fuzz_check(sd_bus_message_close_container(m) >= 0);
}

/* --- Checking what the parser gave back --------------------------------- */

static bool known_error(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_INVALID_ARGS, PROCCTL_ERROR_LIMIT_EXCEEDED, SD_BUS_ERROR_NO_MEMORY);
}

static void check_parsed(const SpawnOptions *o, bool spawn) {
        size_t bytes = 0;

        if (spawn) {
                fuzz_check(o->argv && o->argv[0] && o->argv[0][0]);
                fuzz_check(strv_length(o->argv) <= SPAWN_MAX_ARGS);
                STRV_FOREACH(a, o->argv)
                        bytes += strlen(*a) + 1;
        } else
                fuzz_check(!o->argv);
        fuzz_check(strv_length(o->environment) <= SPAWN_MAX_ENV);
        STRV_FOREACH(e, o->environment) {
                fuzz_check(env_entry_valid(*e));
                bytes += strlen(*e) + 1;
        }
        if (spawn)
                fuzz_check(bytes <= SPAWN_MAX_STRING_BYTES);

        fuzz_check(!o->executable || o->executable[0]);
        fuzz_check(!o->working_directory || o->working_directory[0] == '/');
        fuzz_check(!o->user || o->user[0]);
        fuzz_check(!o->group || o->group[0]);
        fuzz_check(o->umask <= 0777);
        fuzz_check(o->description && strlen(o->description) <= SPAWN_MAX_DESCRIPTION);

        for (int i = 0; i < 3; i++)
                if (o->stdio[i] >= 0) {
                        int flags = fcntl(o->stdio[i], F_GETFL);
                        fuzz_check(flags >= 0 && !(flags & O_PATH));
                }
        for (size_t i = 0; i < o->n_fds; i++) {
                int flags = fcntl(o->fds[i].source, F_GETFL);
                fuzz_check(flags >= 0 && !(flags & O_PATH));
                fuzz_check(o->fds[i].target >= 3 && o->fds[i].target < SPAWN_MAX_FD);
                for (size_t j = 0; j < i; j++)
                        fuzz_check(o->fds[j].target != o->fds[i].target);
        }
        if (!spawn) /* Adopt takes only how the process is tracked. */
                fuzz_check(!o->executable && !o->working_directory && !o->environment && !o->user && !o->group &&
                           o->n_fds == 0 && o->stdio[0] < 0 && o->stdio[1] < 0 && o->stdio[2] < 0);
}

/* --- From request to error reply ------------------------------------- */

static void check_error_set(const sd_bus_error *e, const char *name) {
        fuzz_check(sd_bus_error_is_set(e));
        fuzz_check(e->name && e->message && e->message[0]);
        if (name)
                fuzz_check(strcmp(e->name, name) == 0);
}

static void fuzz_spawn_failure(Input *in, const SpawnOptions *o) {
        static char *fallback_argv[] = { (char *) "fuzz", NULL };
        char *const *argv = o->argv ?: fallback_argv;
        const char *file = o->executable ?: argv[0];
        Identity id = {
                .uid = take_u8(in) & 1 ? 0 : 1000,
                .gid = 1000,
                .name = (char *) "fuzz",
                .home = (char *) "/home/fuzz",
                .shell = (char *) "/bin/sh",
        };
        char **envp = NULL, **candidates = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        SpawnFailure f = {};
        unsigned parsed_id;

        /* What method_spawn() does with a parsed request before the clone. */
        fuzz_check(env_build(&id, o->environment, &envp) == 0);
        fuzz_check(env_get(envp, "PATH") && env_get(envp, "HOME") && env_get(envp, "USER"));
        fuzz_check(exec_candidates(file, env_get(envp, "PATH"), &candidates) == 0);
        fuzz_check(candidates && candidates[0]);
        if (strchr(file, '/'))
                fuzz_check(strcmp(candidates[0], file) == 0 && !candidates[1]);

        /* User and group specs as identity_resolve() checks them first. */
        if (o->user && parse_id(o->user, &parsed_id) == 0)
                fuzz_check(parsed_id != UINT_MAX && (o->user[0] != '0' || !o->user[1]));
        if (o->group)
                (void) valid_user_group_name(o->group);
        if (o->user && valid_user_group_name(o->user))
                fuzz_check(parse_id(o->user, &parsed_id) < 0); /* a name is never also a number */

        SpawnRequest req = {
                .candidates = candidates,
                .file = file,
                .argv = (char **) argv,
                .envp = envp,
                .working_directory = o->working_directory ?: "/",
                .uid = id.uid,
                .gid = id.gid,
        };

        /* A failure as the child could report it: any stage, any errno, a
         * candidate that exists, an interpreter name of up to 255 bytes. */
        size_t n_candidates = strv_length(candidates);
        char *interp = take_string(in);
        uint8_t stage = take_u8(in);
        /* Two values name the stages with their own messages whatever the enum's numbering. */
        f.stage = stage == 0xff ? SPAWN_STAGE_EXEC : stage == 0xfe ? SPAWN_STAGE_CHDIR : (SpawnStage) (1 + stage % (_SPAWN_STAGE_MAX - 1));
        f.error = (int) take_u32(in);
        snprintf(f.file, sizeof(f.file), "%s", candidates[take_u8(in) % n_candidates]);
        f.exists = take_u8(in) & 1;
        snprintf(f.interpreter, sizeof(f.interpreter), "%s", interp);
        free(interp);

        fuzz_check(bus_error_from_spawn_failure(&error, &f, req.file, req.working_directory, req.uid, req.gid) < 0);
        /* Out of descriptors while setting them up is the daemon's limit,
         * not the program's failure. */
        bool out_of_descriptors = f.stage == SPAWN_STAGE_FDS && (f.error == EMFILE || f.error == ENFILE);
        check_error_set(&error, out_of_descriptors ? PROCCTL_ERROR_LIMIT_EXCEEDED : PROCCTL_ERROR_EXEC_FAILED);
        if (verbose)
                printf("# failure: %s\n", error.message);
        if (!out_of_descriptors) {
                /* The errno's name (or number) first, then the call that failed. */
                const char *what = strstr(error.message, ": ");
                fuzz_check(what && what > error.message);
                what += 2;
                if (f.stage == SPAWN_STAGE_EXEC)
                        fuzz_check(strncmp(what, "execve(\"", 8) == 0 || strncmp(what, "execvp(\"", 8) == 0);
                else if (f.stage == SPAWN_STAGE_CHDIR)
                        fuzz_check(strncmp(what, "chdir(\"", 7) == 0);
        }
        sd_bus_error_free(&error);

        /* The message into a small buffer: truncated, never overrun. */
        char small[16];
        size_t size = take_u8(in) % (sizeof(small) + 1);
        memset(small, 'X', sizeof(small));
        int len = spawn_failure_message(&f, req.file, req.working_directory, req.uid, req.gid, size ? small : NULL, size);
        fuzz_check(len > 0);
        if (size > 0)
                fuzz_check(strlen(small) < size);

        strv_free(candidates);
        strv_free(envp);
}

static void fuzz_errno_mapping(Input *in) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = (int) take_u32(in);

        /* -INT_MIN does not exist; no errno comes near it. */
        if (r == INT_MIN)
                r = -EIO;
        int q = bus_error_from_errno(&error, r, "Fuzzing");
        fuzz_check(q < 0);
        fuzz_check(q == (r < 0 ? r : -EIO));
        check_error_set(&error, NULL);
        fuzz_check(strncmp(error.message, "Fuzzing: ", 9) == 0);
        sd_bus_error_free(&error);
}

/* --- The target --------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint64_t cookie = 1;
        Input in = { data, size };
        sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        SpawnOptions o = { .stdio = { -1, -1, -1 } };
        bool spawn = !(take_u8(&in) & 1);
        int r;

        fuzz_check(sd_bus_message_new_method_call(bus, &m, PROCCTL_BUS_NAME, PROCCTL_MANAGER_PATH, PROCCTL_MANAGER_INTERFACE,
                                                  spawn ? "Spawn" : "Adopt") >= 0);
        if (spawn)
                append_strings(&in, m, true);
        append_options(&in, m);
        fuzz_check(sd_bus_message_seal(m, cookie++, 0) >= 0);
        fuzz_check(sd_bus_message_rewind(m, true) >= 0);

        r = spawn ? spawn_options_parse(m, &o, &error) : adopt_options_parse(m, &o, &error);
        if (verbose)
                printf("# %s: %s%s%s\n", spawn ? "Spawn" : "Adopt", r < 0 ? error.name : "parsed",
                       r < 0 ? ": " : "", r < 0 ? error.message : "");
        if (r < 0) {
                fuzz_check(known_error(&error));
                check_error_set(&error, NULL);
                o = (SpawnOptions) { .stdio = { -1, -1, -1 } };
        } else {
                fuzz_check(!sd_bus_error_is_set(&error));
                check_parsed(&o, spawn);
        }
        sd_bus_error_free(&error);

        fuzz_spawn_failure(&in, &o);
        fuzz_errno_mapping(&in);

        spawn_options_done(&o);
        sd_bus_message_unref(m);

        /* Every descriptor the message carried is closed again. */
        fuzz_check(probe_lowest_free_fd() == lowest_free_fd);
        return 0;
}
