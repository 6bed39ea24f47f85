/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-uid accounting and the descriptor budget (daemon/quota.c), on a
 * Manager that has no bus: charges and checks, the limits' messages, who is
 * exempt, and the reserve of descriptors under a given RLIMIT_NOFILE. */
#include <fcntl.h>
#include <errno.h>
#include <glib.h>
#include <sys/resource.h>

#include "procctl-bus.h"
#include "quota.h"

static Manager manager_with_limits(void) {
        Manager m = { .limits = LIMITS_DEFAULT };

        m.limits.running_per_user = 2;
        m.limits.waits_per_user = 2;
        m.limits.auth_per_user = 2;
        m.limits.processes_total = 3;
        return m;
}

/* quota_check()'s verdict; with the message that names the limit, if any. */
static bool allowed(Manager *m, uid_t uid, QuotaKind kind, const char *message_part) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = quota_check(m, uid, kind, &error);

        if (r > 0) {
                g_assert_false(sd_bus_error_is_set(&error));
                return true;
        }
        g_assert_cmpint(r, <, 0);
        g_assert_cmpstr(error.name, ==, PROCCTL_ERROR_LIMIT_EXCEEDED);
        if (message_part && !strstr(error.message, message_part))
                g_error("\"%s\" does not name \"%s\"", error.message, message_part);
        sd_bus_error_free(&error);
        return false;
}

static void test_a_uid_may_hold_up_to_its_limit(void) {
        static const struct {
                QuotaKind kind;
                const char *name;
        } kinds[] = {
                { QUOTA_RUNNING, "MaxRunningPerUser" },
                { QUOTA_WAITS, "MaxPendingWaitsPerUser" },
                { QUOTA_AUTH, "MaxPendingAuthPerUser" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
                Manager m = manager_with_limits();
                Charge c[2] = {};

                g_assert_true(allowed(&m, 1000, kinds[i].kind, NULL));
                g_assert_cmpint(quota_charge(&m, 1000, kinds[i].kind, &c[0]), ==, 0);
                g_assert_true(allowed(&m, 1000, kinds[i].kind, NULL));
                g_assert_cmpint(quota_charge(&m, 1000, kinds[i].kind, &c[1]), ==, 0);
                g_assert_false(allowed(&m, 1000, kinds[i].kind, kinds[i].name));
                g_assert_false(allowed(&m, 1000, kinds[i].kind, "uid 1000"));

                /* Releasing one makes room for one; a released charge is empty. */
                charge_release(&c[0]);
                g_assert_null(c[0].quota);
                g_assert_true(allowed(&m, 1000, kinds[i].kind, NULL));
                charge_release(&c[1]);
                charge_release(&c[1]); /* empty: holds nothing, releases nothing */
                g_assert_null(m.quotas);
        }
}

static void test_uids_and_kinds_are_counted_apart(void) {
        Manager m = manager_with_limits();
        Charge c[2] = {};

        g_assert_cmpint(quota_charge(&m, 1000, QUOTA_RUNNING, &c[0]), ==, 0);
        g_assert_cmpint(quota_charge(&m, 1000, QUOTA_RUNNING, &c[1]), ==, 0);
        g_assert_false(allowed(&m, 1000, QUOTA_RUNNING, NULL));
        g_assert_true(allowed(&m, 1001, QUOTA_RUNNING, NULL));
        g_assert_true(allowed(&m, 1000, QUOTA_WAITS, NULL));
        g_assert_true(allowed(&m, 1000, QUOTA_AUTH, NULL));
        charge_release(&c[0]);
        charge_release(&c[1]);
}

/* Root is not limited in processes and waits; a pending polkit check is
 * charged to root like anyone (it is what a flood of them would be). */
static void test_root_is_exempt_but_from_auth(void) {
        Manager m = manager_with_limits();
        Charge c[3][3] = {};

        for (int i = 0; i < 3; i++) {
                g_assert_cmpint(quota_charge(&m, 0, QUOTA_RUNNING, &c[i][0]), ==, 0);
                g_assert_cmpint(quota_charge(&m, 0, QUOTA_WAITS, &c[i][1]), ==, 0);
                g_assert_cmpint(quota_charge(&m, 0, QUOTA_AUTH, &c[i][2]), ==, 0);
        }
        g_assert_true(allowed(&m, 0, QUOTA_RUNNING, NULL));
        g_assert_true(allowed(&m, 0, QUOTA_WAITS, NULL));
        g_assert_false(allowed(&m, 0, QUOTA_AUTH, "MaxPendingAuthPerUser"));
        for (int i = 0; i < 3; i++)
                for (int k = 0; k < 3; k++)
                        charge_release(&c[i][k]);
        g_assert_null(quota_get(&m, 0, false));
}

/* A uid's Quota exists while it counts something, and only then. */
static void test_a_quota_goes_when_it_counts_nothing(void) {
        Manager m = manager_with_limits();
        Charge running = {}, waits = {};
        Quota *q;

        g_assert_null(quota_get(&m, 1000, false));
        g_assert_cmpint(quota_charge(&m, 1000, QUOTA_RUNNING, &running), ==, 0);
        g_assert_cmpint(quota_charge(&m, 1000, QUOTA_WAITS, &waits), ==, 0);
        q = quota_get(&m, 1000, false);
        g_assert_nonnull(q);
        g_assert_cmpuint(q->uid, ==, 1000);
        g_assert_cmpuint(q->n[QUOTA_RUNNING], ==, 1);
        g_assert_cmpuint(q->n[QUOTA_WAITS], ==, 1);
        g_assert_true(quota_get(&m, 1000, true) == q);

        charge_release(&running);
        g_assert_true(quota_get(&m, 1000, false) == q);
        charge_release(&waits);
        g_assert_null(quota_get(&m, 1000, false));
        g_assert_null(m.quotas);
}

static void test_the_total_is_capped(void) {
        Manager m = manager_with_limits();
        sd_bus_error error = SD_BUS_ERROR_NULL;

        m.n_processes = 2;
        g_assert_cmpint(quota_check_total(&m, &error), ==, 1);
        m.n_processes = 3;
        g_assert_cmpint(quota_check_total(&m, &error), <, 0);
        g_assert_cmpstr(error.name, ==, PROCCTL_ERROR_LIMIT_EXCEEDED);
        g_assert_nonnull(strstr(error.message, "MaxProcesses"));
        sd_bus_error_free(&error);
}

/* --- The descriptor budget, under limits the test sets ------------------- */

static struct rlimit saved_nofile;

/* Sets the soft RLIMIT_NOFILE; false (the test then skips) above the hard one. */
static bool set_nofile(rlim_t soft) {
        struct rlimit rl = saved_nofile;

        if (rl.rlim_max != RLIM_INFINITY && soft > rl.rlim_max) {
                g_test_skip("the hard RLIMIT_NOFILE is too low");
                return false;
        }
        rl.rlim_cur = soft;
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
        return true;
}

static void restore_nofile(void) {
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved_nofile), ==, 0);
}

static void test_the_reserve_is_an_eighth_of_the_limit_at_least_512(void) {
        if (!set_nofile(8192))
                return;
        g_assert_cmpuint(quota_descriptor_reserve(), ==, 1024);
        g_assert_true(set_nofile(4096));
        g_assert_cmpuint(quota_descriptor_reserve(), ==, QUOTA_DESCRIPTOR_RESERVE_MIN);
        g_assert_true(set_nofile(1024));
        g_assert_cmpuint(quota_descriptor_reserve(), ==, QUOTA_DESCRIPTOR_RESERVE_MIN);
        restore_nofile();
}

/* Room for processes: the limit less what the daemon held at start, a few
 * for later, and the reserve; each process takes its pidfd, and its state
 * memfd too with --fd-store. */
static void test_capacity_is_what_the_reserve_leaves(void) {
        Manager m = { .fds_base = 8 };

        if (!set_nofile(8192))
                return;
        g_assert_cmpuint(quota_descriptor_capacity(&m), ==, 8192 - 8 - 32 - 1024);
        m.fd_store = true;
        g_assert_cmpuint(quota_descriptor_capacity(&m), ==, (8192 - 8 - 32 - 1024) / 2);
        /* A limit within the reserve leaves no room at all. */
        g_assert_true(set_nofile(512));
        g_assert_cmpuint(quota_descriptor_capacity(&m), ==, 0);
        restore_nofile();
}

static bool descriptors_allowed(Manager *m) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = quota_check_descriptors(m, &error);

        if (r > 0)
                return true;
        g_assert_cmpstr(error.name, ==, PROCCTL_ERROR_LIMIT_EXCEEDED);
        sd_bus_error_free(&error);
        return false;
}

/* Near the limit, the descriptors really open are counted: one more process
 * is allowed exactly while it leaves the reserve free. */
static void test_near_the_limit_open_descriptors_decide(void) {
        Manager m = { .fds_base = 1000000 };  /* capacity 0: always count */
        unsigned in_use = quota_descriptors_in_use();

        g_assert_cmpuint(in_use, !=, UINT_MAX);
        g_assert_cmpuint(in_use, >=, 3);
        if (!set_nofile(in_use + 1 + QUOTA_DESCRIPTOR_RESERVE_MIN))
                return;
        g_assert_true(descriptors_allowed(&m));
        g_assert_true(set_nofile(in_use + QUOTA_DESCRIPTOR_RESERVE_MIN));
        g_assert_false(descriptors_allowed(&m));
        /* With --fd-store a process takes two. */
        g_assert_true(set_nofile(in_use + 1 + QUOTA_DESCRIPTOR_RESERVE_MIN));
        m.fd_store = true;
        g_assert_false(descriptors_allowed(&m));
        restore_nofile();

        /* Far from it, no counting is needed. */
        m = (Manager) { .fds_base = 8 };
        if (set_nofile(8192))
                g_assert_true(descriptors_allowed(&m));
        restore_nofile();
}

/* Descriptors held for Spawns under way and for calls waiting on polkit
 * count like processes': with them near the limit, the daemon counts and
 * refuses, though it tracks no process. */
static void test_held_descriptors_of_launches_and_checks_count(void) {
        unsigned base = quota_descriptors_in_use();
        int fds[100];

        g_assert_cmpuint(base, !=, UINT_MAX);
        if (!set_nofile(base + 32 + QUOTA_DESCRIPTOR_RESERVE_MIN + 60))
                return;
        for (int i = 0; i < 100; i++)
                g_assert_cmpint(fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), >=, 0);

        Manager m = { .fds_base = base, .auth_fds = 100 };
        g_assert_false(descriptors_allowed(&m));
        m = (Manager) { .fds_base = base, .n_launches = 50 };
        g_assert_false(descriptors_allowed(&m));

        for (int i = 0; i < 100; i++)
                close(fds[i]);
        restore_nofile();
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &saved_nofile), ==, 0);
        g_test_add_func("/quota/a-uid-may-hold-up-to-its-limit", test_a_uid_may_hold_up_to_its_limit);
        g_test_add_func("/quota/uids-and-kinds-are-counted-apart", test_uids_and_kinds_are_counted_apart);
        g_test_add_func("/quota/held-descriptors-of-launches-and-checks-count",
                        test_held_descriptors_of_launches_and_checks_count);
        g_test_add_func("/quota/root-is-exempt-but-from-auth", test_root_is_exempt_but_from_auth);
        g_test_add_func("/quota/a-quota-goes-when-it-counts-nothing", test_a_quota_goes_when_it_counts_nothing);
        g_test_add_func("/quota/the-total-is-capped", test_the_total_is_capped);
        g_test_add_func("/quota/the-reserve-is-an-eighth-of-the-limit-at-least-512",
                        test_the_reserve_is_an_eighth_of_the_limit_at_least_512);
        g_test_add_func("/quota/capacity-is-what-the-reserve-leaves", test_capacity_is_what_the_reserve_leaves);
        g_test_add_func("/quota/near-the-limit-open-descriptors-decide", test_near_the_limit_open_descriptors_decide);
        return g_test_run();
}
