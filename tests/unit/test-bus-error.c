/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From errno and child failures to D-Bus errors (daemon/bus-error.c, spawn.c's messages). */
#include <errno.h>
#include <glib.h>

#include "bus-error.h"

static void assert_errno_maps(int r, const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;

        g_assert_cmpint(bus_error_from_errno(&error, r, "Doing it"), ==, r);
        g_assert_cmpstr(error.name, ==, name);
        g_assert_true(g_str_has_prefix(error.message, "Doing it: "));
        sd_bus_error_free(&error);
}

static void test_errno_maps_to_standard_names(void) {
        assert_errno_maps(-EINVAL, SD_BUS_ERROR_INVALID_ARGS);
        assert_errno_maps(-ENOMEM, SD_BUS_ERROR_NO_MEMORY);
        assert_errno_maps(-EPERM, SD_BUS_ERROR_ACCESS_DENIED);
        assert_errno_maps(-EAGAIN, PROCCTL_ERROR_LIMIT_EXCEEDED);
        assert_errno_maps(-EMFILE, PROCCTL_ERROR_LIMIT_EXCEEDED);
        assert_errno_maps(-EOPNOTSUPP, SD_BUS_ERROR_NOT_SUPPORTED);
        assert_errno_maps(-EIO, SD_BUS_ERROR_FAILED);
}

static void assert_failure_message(const char *file, SpawnFailure *f, const char *expected) {
        sd_bus_error error = SD_BUS_ERROR_NULL;

        g_assert_cmpint(bus_error_from_spawn_failure(&error, f, file, "/srv", 65534, 65534), <, 0);
        g_assert_cmpstr(error.name, ==, PROCCTL_ERROR_EXEC_FAILED);
        g_assert_cmpstr(error.message, ==, expected);
        sd_bus_error_free(&error);
}

static void test_exec_failures_name_the_file_and_reason(void) {
        SpawnFailure f = { .stage = SPAWN_STAGE_EXEC, .error = ENOENT, .file = "/nope" };

        assert_failure_message("/nope", &f, "execve(\"/nope\"): No such file or directory");
        f.error = ENOEXEC;
        assert_failure_message("/nope", &f, "execve(\"/nope\"): Exec format error");
        f.error = E2BIG;
        assert_failure_message("/nope", &f, "execve(\"/nope\"): Argument list too long");
        f = (SpawnFailure) { .stage = SPAWN_STAGE_EXEC, .error = ENOENT, .exists = true, .file = "/nope" };
        g_strlcpy(f.interpreter, "/no/such/sh", sizeof(f.interpreter));
        assert_failure_message("/nope", &f, "execve(\"/nope\"): interpreter \"/no/such/sh\" not found: No such file or directory");

        f = (SpawnFailure) { .stage = SPAWN_STAGE_EXEC, .error = ENOENT, .file = "/bin/nope" };
        assert_failure_message("nope", &f, "execvp(\"nope\"): No such file or directory");
        f.error = ENOEXEC;
        assert_failure_message("nope", &f, "execve(\"/bin/nope\"): Exec format error");
}

static void test_setup_failures_name_the_call(void) {
        SpawnFailure f = { .stage = SPAWN_STAGE_CHDIR, .error = ENOENT };

        assert_failure_message("/nope", &f, "chdir(\"/srv\"): No such file or directory");
        f = (SpawnFailure) { .stage = SPAWN_STAGE_SETRESUID, .error = EAGAIN };
        assert_failure_message("/nope", &f, "setresuid(65534): Resource temporarily unavailable");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bus-error/errno-maps-to-standard-names", test_errno_maps_to_standard_names);
        g_test_add_func("/bus-error/exec-failures-name-the-file-and-reason", test_exec_failures_name_the_file_and_reason);
        g_test_add_func("/bus-error/setup-failures-name-the-call", test_setup_failures_name_the_call);
        return g_test_run();
}
