/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What polkit is told a Spawn will run, with the mock
 * polkit, as a real unprivileged user (nobody):
 *
 *  - a bare name is looked up in the PATH the caller gives the child, and
 *    polkit's `program` detail is the file found there, by its absolute path
 *    without symbolic links; `command_line` is argv joined by spaces,
 *    `environment` the caller's entries one per line;
 *  - for a process of another user, the variables glibc honours only for
 *    trusted programs (LD_PRELOAD, GCONV_PATH, ...) are InvalidArgs before
 *    polkit is asked; for oneself, and for root, they are allowed;
 *  - a file put in place of the program while polkit decides makes polkit's
 *    "yes" worthless: AccessDenied, and neither file runs; for another user
 *    than root, an ELF program put in place after the answer never runs
 *    either (the child runs the file by descriptor);
 *  - root's Spawn of a bare name is not resolved for polkit: the child's own
 *    PATH search, as the target user, as before.
 *
 * Every case leaves procctld tracking nothing.
 */

#include "auth-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERROR_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"

static AuthBus *bus;
static uid_t nobody_uid, daemon_uid;
static gid_t nobody_gid, daemon_gid;

#define NEEDS_BUS() AUTH_NEEDS_BUS(bus)

/* A directory every user may enter (programs the daemon runs as anyone),
 * with "out", which every user may write to (what those programs leave). */
typedef struct {
        char *dir;
        char *out;
} Scratch;

static Scratch *scratch_new(void) {
        g_autoptr(GError) error = NULL;
        Scratch *s = g_new0(Scratch, 1);
        s->dir = g_dir_make_tmp("procctl-auth-program-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(s->dir, 0755), ==, 0);
        s->out = g_build_filename(s->dir, "out", NULL);
        g_assert_cmpint(mkdir(s->out, 0777), ==, 0);
        g_assert_cmpint(chmod(s->out, 0777), ==, 0);
        return s;
}

static void scratch_free(Scratch *s) {
        if (!s)
                return;
        pc_remove_tmpdir(s->dir);
        g_free(s->dir);
        g_free(s->out);
        g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scratch, scratch_free)

/* Writes an executable file (mode 0755) at s->dir/name, returns its path. */
static char *scratch_program(Scratch *s, const char *name, const char *contents) {
        g_autoptr(GError) error = NULL;
        char *path = g_build_filename(s->dir, name, NULL);
        g_file_set_contents(path, contents, -1, &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(path, 0755), ==, 0);
        return path;
}

/* A script that writes word to s->out/name. */
static char *script_writing(Scratch *s, const char *name, const char *word, const char *out_name) {
        g_autofree char *contents = g_strdup_printf("#!/bin/sh\necho %s > %s/%s\n", word, s->out, out_name);
        return scratch_program(s, name, contents);
}

static char *read_out(Scratch *s, const char *name) {
        g_autofree char *path = g_build_filename(s->out, name, NULL);
        char *contents = NULL;
        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return NULL;
        return contents;
}

static GVariant *spawn_params(const char *const *argv, const char *user, const char *const *environment) {
        GVariantBuilder o;
        g_variant_builder_init(&o, G_VARIANT_TYPE("a{sv}"));
        if (user)
                g_variant_builder_add(&o, "{sv}", "user", g_variant_new_string(user));
        if (environment)
                g_variant_builder_add(&o, "{sv}", "environment", g_variant_new_strv(environment, -1));
        return g_variant_new("(^as@a{sv})", argv, g_variant_builder_end(&o));
}

static GVariant *spawn_as_nobody(const char *const *argv, const char *user, const char *const *environment,
                                 char **name, GError **error) {
        return auth_call_as(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH, PC_MANAGER_IFACE, "Spawn",
                            spawn_params(argv, user, environment), name, NULL, error);
}

static guint32 process_u32(const char *path, const char *property) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = auth_bus_get_property(bus, path, property, &error);
        g_assert_no_error(error);
        return g_variant_get_uint32(v);
}

/* The process of a Spawn reply: it ran as uid and exited; then forgotten. */
static void assert_ran_and_forget(GVariant *reply, uid_t uid) {
        const char *path;
        guint32 pid;
        g_assert_nonnull(reply);
        g_variant_get(reply, "(&ou)", &path, &pid);
        g_assert_cmpuint(process_u32(path, "Uid"), ==, uid);
        auth_bus_wait_exited(bus, path);
        auth_bus_forget_process(bus, path);
}

static void start_case(void) {
        auth_bus_set_answer(bus, MOCK_YES);
        g_ptr_array_unref(auth_bus_take_requests(bus));
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
}

static void end_case(void) {
        g_assert_true(auth_bus_daemon_running(bus));
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
        auth_bus_set_answer(bus, MOCK_YES);
}

/* --- program, command_line, environment --------------------------------- */

/* nobody runs `id -u` as root with a PATH of its own: polkit must hear of the
 * script that PATH leads to (through a symbolic link, named by its real
 * path), not of "id", and not of /usr/bin/id. */
static void test_bare_name_is_named_by_the_file_found(void) {
        NEEDS_BUS();
        start_case();
        g_autoptr(Scratch) s = scratch_new();
        g_autofree char *bin = g_build_filename(s->dir, "bin", NULL);
        g_assert_cmpint(mkdir(bin, 0755), ==, 0);
        g_autofree char *real = script_writing(s, "not-really-id", "ran", "id");
        g_autofree char *link = g_build_filename(bin, "id", NULL);
        g_assert_cmpint(symlink(real, link), ==, 0);
        g_autofree char *program = realpath(real, NULL);
        g_assert_nonnull(program);

        g_autofree char *path_env = g_strdup_printf("PATH=%s:/usr/bin:/bin", bin);
        const char *const env[] = { path_env, "FOO=bar baz", "EMPTY=", NULL };
        g_autofree char *caller = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = spawn_as_nobody((const char *[]) { "id", "-u", "two words", NULL }, "root", env,
                                                    &caller, &error);
        g_assert_no_error(error);

        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 1);
        g_autofree char *environment = g_strdup_printf("%s\nFOO=bar baz\nEMPTY=", path_env);
        auth_assert_request(bus, g_ptr_array_index(requests, 0), AUTH_ACTION_SPAWN_AS_USER, caller,
                            g_variant_new_parsed("{'user': 'root', 'uid': '0', 'gid': '0', 'program': %s, "
                                                 "'command_line': 'id -u two words', 'environment': %s}",
                                                 program, environment),
                            0);

        /* And that file is what ran. */
        assert_ran_and_forget(reply, 0);
        g_autofree char *out = read_out(s, "id");
        g_assert_cmpstr(out, ==, "ran\n");
        end_case();
}

/* An absolute program for oneself: the same details, under org.procctl.spawn. */
static void test_spawn_as_self_details(void) {
        NEEDS_BUS();
        start_case();
        g_autofree char *program = realpath("/bin/true", NULL);
        g_autofree char *caller = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = spawn_as_nobody((const char *[]) { "/bin/true", "x", NULL }, NULL,
                                                    (const char *[]) { "A=1", "B=2", NULL }, &caller, &error);
        g_assert_no_error(error);
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 1);
        g_autofree char *uid = g_strdup_printf("%u", (unsigned) nobody_uid);
        g_autofree char *gid = g_strdup_printf("%u", (unsigned) nobody_gid);
        auth_assert_request(bus, g_ptr_array_index(requests, 0), AUTH_ACTION_SPAWN, caller,
                            g_variant_new_parsed("{'user': 'nobody', 'uid': %s, 'gid': %s, 'program': %s, "
                                                 "'command_line': '/bin/true x', 'environment': %s}",
                                                 uid, gid, program, "A=1\nB=2"),
                            0);
        assert_ran_and_forget(reply, nobody_uid);
        end_case();
}

/* --- The loader's variables ------------------------------------------------ */

typedef struct {
        const char *name;
        const char *entry;
        const char *user; /* the target */
} LoaderCase;

static const LoaderCase loader_cases[] = {
        { "ld-preload/root", "LD_PRELOAD=/x", "root" },
        { "ld-preload/daemon", "LD_PRELOAD=/x", "daemon" },
        { "gconv-path/root", "GCONV_PATH=/x", "root" },
        { "ld-library-path/daemon", "LD_LIBRARY_PATH=/x", "daemon" },
        { "glibc-tunables/root", "GLIBC_TUNABLES=glibc.malloc.check=3", "root" },
};

/* polkit says yes to anything here: only the daemon's own refusal can stop
 * the call, and it must come before polkit is asked. */
static void test_loader_variable_refused_for_another_user(gconstpointer data) {
        NEEDS_BUS();
        const LoaderCase *k = data;
        start_case();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = spawn_as_nobody((const char *[]) { "/bin/true", NULL }, k->user,
                                                    (const char *[]) { "HARMLESS=1", k->entry, NULL }, NULL, &error);
        if (reply) {
                /* Started after all: gone before the test fails. */
                const char *path;
                g_variant_get(reply, "(&ou)", &path, NULL);
                auth_bus_forget_process(bus, path);
        }
        pc_assert_dbus_error(error, ERROR_INVALID_ARGS);
        g_autofree char *key = g_strndup(k->entry, strcspn(k->entry, "="));
        g_assert_nonnull(strstr(error->message, key));

        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 0);
        end_case();
}

/* For oneself the variables only reach one's own process: allowed, and
 * polkit hears of them. */
static void test_loader_variable_allowed_for_oneself(void) {
        NEEDS_BUS();
        start_case();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = spawn_as_nobody((const char *[]) { "/bin/true", NULL }, NULL,
                                                    (const char *[]) { "GCONV_PATH=/x", "LD_LIBRARY_PATH=/x", NULL },
                                                    NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 1);
        PolkitRequest *q = g_ptr_array_index(requests, 0);
        g_assert_cmpstr(q->action, ==, AUTH_ACTION_SPAWN);
        g_autofree char *environment = NULL;
        g_assert_true(g_variant_lookup(q->details, "environment", "s", &environment));
        g_assert_cmpstr(environment, ==, "GCONV_PATH=/x\nLD_LIBRARY_PATH=/x");
        assert_ran_and_forget(reply, nobody_uid);
        end_case();
}

/* Root may set them for anyone, and is not asked about. */
static void test_loader_variable_allowed_for_root(void) {
        NEEDS_BUS();
        start_case();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_bus_call(bus, "Spawn",
                                                  spawn_params((const char *[]) { "/bin/true", NULL }, "nobody",
                                                               (const char *[]) { "LD_LIBRARY_PATH=/x", NULL }),
                                                  &error);
        g_assert_no_error(error);
        assert_ran_and_forget(reply, nobody_uid);
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 0);
        end_case();
}

/* --- A file swapped while polkit decides ------------------------------------ */

typedef enum {
        SWAP_NONE,    /* nothing changes: it runs, "A" */
        SWAP_RENAME,  /* another file renamed over prog */
        SWAP_SYMLINK, /* prog a symbolic link, pointed elsewhere */
} Swap;

typedef struct {
        const char *name;
        const char *user; /* the target */
        Swap swap;
} SwapCase;

static const SwapCase swap_cases[] = {
        { "file-replaced-while-polkit-decides-is-refused/root", "root", SWAP_RENAME },
        { "file-replaced-while-polkit-decides-is-refused/daemon", "daemon", SWAP_RENAME },
        { "symlink-retargeted-while-polkit-decides-is-refused/root", "root", SWAP_SYMLINK },
        { "symlink-retargeted-while-polkit-decides-is-refused/daemon", "daemon", SWAP_SYMLINK },
        { "file-authorized-runs/root", "root", SWAP_NONE },
        { "file-authorized-runs/daemon", "daemon", SWAP_NONE },
};

/* nobody asks to run s->dir/prog (a script that writes "A") as the target;
 * while polkit holds the request, prog becomes another script (one that
 * writes "B"); polkit says yes.  The answer was about the first file: the
 * call is refused, and neither ran. */
static void test_swap(gconstpointer data) {
        NEEDS_BUS();
        const SwapCase *k = data;
        uid_t uid = g_str_equal(k->user, "root") ? 0 : daemon_uid;
        start_case();
        g_autoptr(Scratch) s = scratch_new();
        g_autofree char *a = script_writing(s, "a", "A", "outfile");
        g_autofree char *b = script_writing(s, "b", "B", "outfile");
        g_autofree char *prog = g_build_filename(s->dir, "prog", NULL);
        g_autofree char *next = g_build_filename(s->dir, "prog.next", NULL);
        if (k->swap == SWAP_SYMLINK) {
                g_assert_cmpint(symlink(a, prog), ==, 0);
                g_assert_cmpint(symlink(b, next), ==, 0);
        } else {
                g_assert_cmpint(rename(a, prog), ==, 0);
                g_assert_cmpint(rename(b, next), ==, 0);
        }
        g_autofree char *program = realpath(prog, NULL);
        g_assert_nonnull(program);

        auth_bus_set_answer(bus, MOCK_NO_REPLY);
        g_autoptr(AuthCaller) c = auth_caller_start(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH,
                                                    PC_MANAGER_IFACE, "Spawn",
                                                    spawn_params((const char *[]) { prog, NULL }, k->user, NULL));
        g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        PolkitRequest *q = g_ptr_array_index(requests, 0);
        g_assert_cmpstr(q->action, ==, AUTH_ACTION_SPAWN_AS_USER);
        g_autofree char *asked = NULL;
        g_assert_true(g_variant_lookup(q->details, "program", "s", &asked));
        g_assert_cmpstr(asked, ==, program);

        if (k->swap != SWAP_NONE)
                g_assert_cmpint(rename(next, prog), ==, 0);
        auth_bus_set_answer(bus, MOCK_YES);
        auth_bus_answer_held(bus, MOCK_YES);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
        if (k->swap == SWAP_NONE) {
                g_assert_no_error(error);
                assert_ran_and_forget(reply, uid);
                g_autofree char *out = read_out(s, "outfile");
                g_assert_cmpstr(out, ==, "A\n");
                end_case();
                return;
        }

        if (reply) {
                /* Started after all: gone before the test fails. */
                assert_ran_and_forget(reply, uid);
                g_autofree char *out = read_out(s, "outfile");
                g_test_message("the file put in its place ran: outfile \"%s\"", out ? out : "(none)");
        }
        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
        g_assert_nonnull(strstr(error->message, "changed"));
        g_assert_cmpuint(auth_bus_process_count(bus), ==, 0);
        g_autofree char *out = read_out(s, "outfile");
        g_assert_null(out);

        /* A changed request is refused, not asked about again. */
        g_autoptr(GPtrArray) again = auth_bus_take_requests(bus);
        g_assert_cmpuint(again->len, ==, 0);
        end_case();
}

/* After polkit's yes, the file is swapped back and forth without pause
 * (true and false, by hard links renamed over prog) until the reply: for
 * another user, the child runs the file the daemon opened, by descriptor, so
 * whatever lies at the path by then, what ran is true.  Each attempt is
 * either refused (the second pass found false) or runs true; the old daemon,
 * which ran the path, ran false about half the time. */
typedef struct {
        char *prog, *next, *true_copy, *false_copy;
        gint stop;
} Flipper;

static void put_at_prog(Flipper *f, const char *file) {
        (void) unlink(f->next);
        g_assert_cmpint(link(file, f->next), ==, 0);
        g_assert_cmpint(rename(f->next, f->prog), ==, 0);
}

static gpointer flip(gpointer data) {
        Flipper *f = data;
        while (!g_atomic_int_get(&f->stop)) {
                put_at_prog(f, f->false_copy);
                put_at_prog(f, f->true_copy);
        }
        return NULL;
}

static char *copy_program(Scratch *s, const char *name, const char *from) {
        g_autoptr(GError) error = NULL;
        g_autofree char *contents = NULL;
        gsize size;
        g_file_get_contents(from, &contents, &size, &error);
        g_assert_no_error(error);
        char *path = g_build_filename(s->dir, name, NULL);
        g_file_set_contents(path, contents, size, &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(path, 0755), ==, 0);
        return path;
}

static void test_elf_swapped_after_answer_never_runs(gconstpointer data) {
        const char *target = data; /* "daemon": through procctl-exec; "root": the daemon's own child */
        NEEDS_BUS();
        start_case();
        g_autoptr(Scratch) s = scratch_new();
        Flipper f = {
                .prog = g_build_filename(s->dir, "prog", NULL),
                .next = g_build_filename(s->dir, "prog.next", NULL),
                .true_copy = copy_program(s, "true", "/bin/true"),
                .false_copy = copy_program(s, "false", "/bin/false"),
        };
        guint ran = 0, refused = 0;

        for (guint attempt = 0; attempt < 200 && ran < 20; attempt++) {
                put_at_prog(&f, f.true_copy);
                auth_bus_set_answer(bus, MOCK_NO_REPLY);
                g_autoptr(AuthCaller) c = auth_caller_start(bus, nobody_uid, nobody_gid, 0, 0, PC_MANAGER_PATH,
                                                            PC_MANAGER_IFACE, "Spawn",
                                                            spawn_params((const char *[]) { f.prog, NULL }, target,
                                                                         NULL));
                g_assert_true(auth_bus_wait_requests(bus, 1, PC_TIMEOUT_MS));
                g_ptr_array_unref(auth_bus_take_requests(bus));

                g_atomic_int_set(&f.stop, 0);
                GThread *t = g_thread_new("flip", flip, &f);
                auth_bus_set_answer(bus, MOCK_YES);
                auth_bus_answer_held(bus, MOCK_YES);
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = auth_caller_finish(c, NULL, &error);
                g_atomic_int_set(&f.stop, 1);
                g_thread_join(t);

                if (!reply) {
                        pc_assert_dbus_error(error, PC_ERROR_ACCESS_DENIED);
                        refused++;
                        continue;
                }
                const char *path;
                g_variant_get(reply, "(&ou)", &path, NULL);
                auth_bus_wait_exited(bus, path);
                g_autoptr(GError) e = NULL;
                g_autoptr(GVariant) status = auth_bus_get_property(bus, path, "ExitStatus", &e);
                g_assert_no_error(e);
                gint32 code = g_variant_get_int32(status);
                auth_bus_forget_process(bus, path);
                if (code != 0)
                        g_error("attempt %u: the file put at the path after polkit's answer ran (exit status %d)",
                                attempt, code);
                ran++;
        }
        g_test_message("%u ran (all of them true), %u refused", ran, refused);
        g_ptr_array_unref(auth_bus_take_requests(bus));
        g_free(f.prog);
        g_free(f.next);
        g_free(f.true_copy);
        g_free(f.false_copy);
        end_case();
}

/* --- Root is not resolved for ------------------------------------------------ */

/* Root's bare name is found by the child, as the target, in the child's PATH:
 * a directory the target may search; polkit is not asked. */
static void test_root_bare_name_searches_childs_path(gconstpointer data) {
        NEEDS_BUS();
        const char *user = data;
        start_case();
        g_autoptr(Scratch) s = scratch_new();
        g_autofree char *bin = g_build_filename(s->dir, "bin", NULL);
        g_assert_cmpint(mkdir(bin, 0755), ==, 0);
        g_autofree char *tool = script_writing(s, "bin/procctl-test-tool", "found", "tool");
        g_autofree char *path_env = g_strdup_printf("PATH=%s", bin);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = auth_bus_call(bus, "Spawn",
                                                  spawn_params((const char *[]) { "procctl-test-tool", NULL }, user,
                                                               (const char *[]) { path_env, NULL }),
                                                  &error);
        g_assert_no_error(error);
        uid_t uid = g_str_equal(user, "root") ? 0 : daemon_uid;
        assert_ran_and_forget(reply, uid);
        g_autofree char *out = read_out(s, "tool");
        g_assert_cmpstr(out, ==, "found\n");
        g_autoptr(GPtrArray) requests = auth_bus_take_requests(bus);
        g_assert_cmpuint(requests->len, ==, 0);
        end_case();
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        auth_lookup_user("nobody", &nobody_uid, &nobody_gid);
        auth_lookup_user("daemon", &daemon_uid, &daemon_gid);

        g_test_add_func("/auth/program/bare-name-is-named-by-the-file-found-in-the-childs-path",
                        test_bare_name_is_named_by_the_file_found);
        g_test_add_func("/auth/program/spawn-as-self-names-program-command-line-and-environment",
                        test_spawn_as_self_details);
        for (gsize i = 0; i < G_N_ELEMENTS(loader_cases); i++) {
                g_autofree char *name = g_strdup_printf("/auth/program/loader-variable-for-another-user-is-invalid/%s",
                                                        loader_cases[i].name);
                g_test_add_data_func(name, &loader_cases[i], test_loader_variable_refused_for_another_user);
        }
        g_test_add_func("/auth/program/loader-variables-for-oneself-are-allowed", test_loader_variable_allowed_for_oneself);
        g_test_add_func("/auth/program/loader-variables-from-root-are-allowed", test_loader_variable_allowed_for_root);
        for (gsize i = 0; i < G_N_ELEMENTS(swap_cases); i++) {
                g_autofree char *name = g_strdup_printf("/auth/program/%s", swap_cases[i].name);
                g_test_add_data_func(name, &swap_cases[i], test_swap);
        }
        g_test_add_data_func("/auth/program/elf-replaced-after-polkit-answers-never-runs/daemon", "daemon",
                             test_elf_swapped_after_answer_never_runs);
        g_test_add_data_func("/auth/program/elf-replaced-after-polkit-answers-never-runs/root", "root",
                             test_elf_swapped_after_answer_never_runs);
        g_test_add_data_func("/auth/program/root-bare-name-searches-the-childs-path/root", "root",
                             test_root_bare_name_searches_childs_path);
        g_test_add_data_func("/auth/program/root-bare-name-searches-the-childs-path/daemon", "daemon",
                             test_root_bare_name_searches_childs_path);

        return auth_run_with_mock(&bus, NULL);
}
