/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The restart policy (daemon/restart.c) without a bus: which ends restart,
 * the delay's doubling, cap and reset, the sliding window of the limit,
 * and arithmetic that saturates; and its state through fdstore_serialize()
 * and fdstore_deserialize().
 */

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "fdstore.h"
#include "launch.h"
#include "procctl-bus.h"
#include "restart.h"

#define MS 1000ULL
#define S (1000ULL * MS)

static void test_modes(void) {
        g_assert_cmpint(restart_mode_from_string("no"), ==, RESTART_NO);
        g_assert_cmpint(restart_mode_from_string("on-failure"), ==, RESTART_ON_FAILURE);
        g_assert_cmpint(restart_mode_from_string("always"), ==, RESTART_ALWAYS);
        g_assert_cmpint(restart_mode_from_string("On-Failure"), ==, _RESTART_MODE_INVALID);
        g_assert_cmpint(restart_mode_from_string(""), ==, _RESTART_MODE_INVALID);
        g_assert_cmpint(restart_mode_from_string(NULL), ==, _RESTART_MODE_INVALID);
        g_assert_cmpstr(restart_mode_to_string(RESTART_ALWAYS), ==, "always");
        g_assert_null(restart_mode_to_string(_RESTART_MODE_MAX));
}

static void test_which_ends_restart(void) {
        RestartPolicy on_failure = RESTART_POLICY_DEFAULT, always = RESTART_POLICY_DEFAULT, no = RESTART_POLICY_DEFAULT;
        on_failure.mode = RESTART_ON_FAILURE;
        always.mode = RESTART_ALWAYS;

        g_assert_false(restart_wanted(&on_failure, PROCCTL_REASON_EXITED, 0, false, false));
        g_assert_true(restart_wanted(&on_failure, PROCCTL_REASON_EXITED, 1, false, false));
        g_assert_true(restart_wanted(&on_failure, PROCCTL_REASON_KILLED, 15, false, false));
        g_assert_true(restart_wanted(&on_failure, PROCCTL_REASON_DUMPED, 11, false, false));
        g_assert_true(restart_wanted(&on_failure, PROCCTL_REASON_UNKNOWN, 0, false, false));
        /* A timeout is a failure even when the program exits 0 on SIGTERM. */
        g_assert_true(restart_wanted(&on_failure, PROCCTL_REASON_EXITED, 0, false, true));
        /* A Stop is for good. */
        g_assert_false(restart_wanted(&on_failure, PROCCTL_REASON_KILLED, 15, true, false));
        g_assert_false(restart_wanted(&always, PROCCTL_REASON_KILLED, 15, true, false));
        g_assert_true(restart_wanted(&always, PROCCTL_REASON_EXITED, 0, false, false));
        g_assert_false(restart_wanted(&no, PROCCTL_REASON_EXITED, 1, false, false));
}

static void test_delay_doubles_to_its_cap_and_resets(void) {
        RestartPolicy p = { RESTART_ALWAYS, 100 * MS, 1 * S, 5, 10 * S };
        Restart *r = restart_new(&p);
        uint64_t now = 1000 * S;

        r->run_start = now;
        const uint64_t want[] = { 100 * MS, 200 * MS, 400 * MS, 800 * MS, 1 * S, 1 * S };
        for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
                r->delay_usec = restart_next_delay(r, now + 1);
                g_assert_cmpuint(r->delay_usec, ==, want[i]);
        }
        /* A run that lived longer than restart-interval starts over. */
        g_assert_cmpuint(restart_next_delay(r, now + 10 * S + 1), ==, 100 * MS);
        /* Doubling near the top saturates. */
        r->delay_usec = UINT64_MAX / 2 + 1;
        r->policy.delay_max_usec = UINT64_MAX;
        g_assert_cmpuint(restart_next_delay(r, now + 1), ==, UINT64_MAX);
        g_assert_cmpuint(usec_add(UINT64_MAX - 1, 2), ==, UINT64_MAX);
        g_assert_cmpuint(usec_add(1, 2), ==, 3);
        restart_free(r);
}

static void test_limit_is_a_sliding_window(void) {
        RestartPolicy p = { RESTART_ALWAYS, 0, 0, 3, 10 * S };
        Restart *r = restart_new(&p);
        uint64_t t = 100 * S;

        g_assert_true(restart_admit(r, t));
        g_assert_true(restart_admit(r, t + 1 * S));
        g_assert_true(restart_admit(r, t + 2 * S));
        g_assert_false(restart_admit(r, t + 3 * S)); /* a fourth within 10 s */
        g_assert_false(restart_admit(r, t + 9 * S));
        /* The first has left the window: one more fits, not two. */
        g_assert_true(restart_admit(r, t + 10 * S));
        g_assert_false(restart_admit(r, t + 10 * S + 1));
        g_assert_cmpuint(r->n_window, ==, 3);
        restart_free(r);
}

static void test_state_survives_serialization(void) {
        RestartPolicy policy = { RESTART_ON_FAILURE, 250 * MS, 4 * S, 7, 20 * S };
        Process p = { .id = 12, .pid = 345, .exit_reason = PROCCTL_REASON_EXITED, .exit_status = 3, .exit_usec = 99 };
        char *argv[] = { (char *) "/bin/false", NULL };
        char *env[] = { (char *) "PATH=/usr/bin:/bin", (char *) "A=b c", NULL };
        gid_t groups[] = { 5, 27 };
        RunRequest run = { .envp = env, .groups = groups, .n_groups = 2, .tty = false, .umask = 0077,
                           .timeout_usec = 3 * S, .stdio = { 0, -1, 1 } };
        SpawnFd extra = { .source = 2, .target = 9 };

        run.fds = &extra;
        run.n_fds = 1;
        p.argv = argv;
        p.executable = argv[0];
        p.working_directory = (char *) "/";
        p.description = (char *) "";
        p.restart = restart_new(&policy);
        p.restart->request = &run;
        p.restart->count = 2;
        p.restart->delay_usec = 500 * MS;
        p.restart->pending = true;
        p.restart->next_monotonic = 1234;
        p.restart->next_realtime = 5678;
        p.restart->run_start = 42;
        g_assert_true(restart_admit(p.restart, 11));
        g_assert_true(restart_admit(p.restart, 22));

        char *buf;
        size_t size;
        g_assert_cmpint(fdstore_serialize(&p, &buf, &size), ==, 0);
        p.restart->request = NULL;
        restart_free(p.restart);

        Process q = {};
        g_assert_cmpint(fdstore_deserialize(&q, buf, size), ==, 0);
        free(buf);
        Restart *r = q.restart;
        g_assert_nonnull(r);
        g_assert_false(q.exited);
        g_assert_cmpint(r->policy.mode, ==, RESTART_ON_FAILURE);
        g_assert_cmpuint(r->policy.delay_usec, ==, 250 * MS);
        g_assert_cmpuint(r->policy.delay_max_usec, ==, 4 * S);
        g_assert_cmpuint(r->policy.limit, ==, 7);
        g_assert_cmpuint(r->policy.interval_usec, ==, 20 * S);
        g_assert_cmpuint(r->count, ==, 2);
        g_assert_cmpuint(r->delay_usec, ==, 500 * MS);
        g_assert_true(r->pending);
        g_assert_cmpuint(r->next_monotonic, ==, 1234);
        g_assert_cmpuint(r->next_realtime, ==, 5678);
        g_assert_cmpuint(r->run_start, ==, 42);
        g_assert_cmpuint(r->n_window, ==, 2);
        g_assert_cmpuint(r->window[1], ==, 22);
        g_assert_cmpstr(q.exit_reason, ==, PROCCTL_REASON_EXITED);
        g_assert_cmpint(q.exit_status, ==, 3);
        RunRequest *k = r->request;
        g_assert_nonnull(k);
        g_assert_cmpstrv(k->envp, env);
        g_assert_cmpuint(k->n_groups, ==, 2);
        g_assert_cmpuint(k->groups[1], ==, 27);
        g_assert_cmpuint(k->umask, ==, 0077);
        g_assert_cmpuint(k->timeout_usec, ==, 3 * S);
        /* The descriptors themselves come from the store's socket. */
        g_assert_cmpint(k->stdio[0], ==, -2);
        g_assert_cmpint(k->stdio[1], ==, -1);
        g_assert_cmpint(k->stdio[2], ==, -2);
        g_assert_cmpuint(k->n_fds, ==, 1);
        g_assert_cmpint(k->fds[0].target, ==, 9);
        k->stdio[0] = k->stdio[2] = -1;
        k->fds[0].source = -1;
        restart_free(q.restart);
        g_strfreev(q.argv);
        free(q.executable);
        free(q.working_directory);
        free(q.description);
}

static void test_hostile_state_is_refused(void) {
        const char *bad[] = {
                "restart=sometimes 1 1 1 1",
                "restart=no 1 1 1 1",
                "restart=always 1 1 0 1",
                "restart=always 1 1 5000 1",
                "restart=always 1 1",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *state = g_strdup_printf("id=3%cpid=4%cexecutable=/x%cworking-directory=/%cargv=/x%c%s%c", 0,
                                                         0, 0, 0, 0, bad[i], 0);
                size_t size = strlen("id=3") + strlen("pid=4") + strlen("executable=/x") + strlen("working-directory=/") +
                              strlen("argv=/x") + strlen(bad[i]) + 6;
                Process q = {};
                g_assert_cmpint(fdstore_deserialize(&q, state, size), <, 0);
                restart_free(q.restart);
                g_strfreev(q.argv);
                free(q.executable);
                free(q.working_directory);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/restart/modes", test_modes);
        g_test_add_func("/restart/which-ends-restart", test_which_ends_restart);
        g_test_add_func("/restart/delay-doubles-to-its-cap-and-resets", test_delay_doubles_to_its_cap_and_resets);
        g_test_add_func("/restart/limit-is-a-sliding-window", test_limit_is_a_sliding_window);
        g_test_add_func("/restart/state-survives-serialization", test_state_survives_serialization);
        g_test_add_func("/restart/hostile-state-is-refused", test_hostile_state_is_refused);
        return g_test_run();
}
