/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * procctl -H (another host's system bus, over ssh) and -M (a local
 * container's), for real, against the fixture's procctld.
 *
 * -H: a private sshd on 127.0.0.1 (its own config, host key and port in the
 * test's directory; the machine's /etc/ssh and ~/.ssh are not touched) lets
 * in a key made for the test, whose authorized_keys entry forces
 * `systemd-stdio-bridge --bus-path=<the private bus>`, which is what sd-bus
 * asks the remote side to run.  sd-bus runs `ssh` through PATH, so a wrapper
 * `ssh` first in PATH adds the key, the port and a private known_hosts.
 *
 * -M: sd-bus enters the namespaces of the container's leader, whose PID it
 * reads from /run/systemd/machines/NAME (machined's record), and connects to
 * /run/dbus/system_bus_socket there.  The "container" here is a process in a
 * mount namespace of its own where that path is the private bus; procctl
 * runs in another one where the record exists.  Nothing of the host's /run
 * changes.
 *
 * Both need root (sshd, namespaces) and skip with a message otherwise, or
 * when sshd, ssh or systemd-stdio-bridge is not installed (Debian packages
 * openssh-server, openssh-client, systemd).
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gio/gunixinputstream.h>

#include "fixture.h"
#include "procctl.h"

#define SSHD "/usr/sbin/sshd"
#define STDIO_BRIDGE "/usr/bin/systemd-stdio-bridge"

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

static const char *cli_path(void) {
        const char *p = g_getenv("PROCCTL");
        if (!p)
                g_error("PROCCTL is not set (run through meson test)");
        return p;
}

typedef struct CliResult {
        int code;
        char *out;
        char *err;
} CliResult;

static void cli_result_clear(CliResult *r) {
        g_free(r->out);
        g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliResult, cli_result_clear)

/* Runs argv (argv[0] a path) with stdin_data, env on top of ours ("K=V").
 * The local system bus address points nowhere: only -H or -M can reach
 * the daemon. */
static CliResult run(const char *const *env, const char *stdin_data, const char *const *argv) {
        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
                (stdin_data ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) |
                G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
        g_autoptr(GSubprocess) p = NULL;
        g_autoptr(GError) error = NULL;
        CliResult r = {};

        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/no-local-bus", TRUE);
        for (const char *const *e = env; e && *e; e++) {
                g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
                g_subprocess_launcher_setenv(l, kv[0], kv[1], TRUE);
        }
        p = g_subprocess_launcher_spawnv(l, argv, &error);
        g_assert_no_error(error);
        g_subprocess_communicate_utf8(p, stdin_data, NULL, &r.out, &r.err, &error);
        g_assert_no_error(error);
        r.code = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p) : 128 + g_subprocess_get_term_sig(p);
        return r;
}

static void run_checked(const char *const *argv) {
        g_auto(CliResult) r = run(NULL, NULL, argv);
        if (r.code != 0)
                pc_fail("%s failed (%d): %s", argv[0], r.code, r.err);
}

static char *bus_socket_path(PcFixture *fx) {
        g_assert_true(g_str_has_prefix(fx->bus_address, "unix:path="));
        return g_strndup(fx->bus_address + strlen("unix:path="),
                         strcspn(fx->bus_address + strlen("unix:path="), ","));
}

static gboolean have_programs(const char *const *programs) {
        for (const char *const *p = programs; *p; p++) {
                g_autofree char *found = g_find_program_in_path(*p);
                if (!found && !g_file_test(*p, G_FILE_TEST_IS_EXECUTABLE)) {
                        g_test_skip_printf("%s is not installed", *p);
                        return FALSE;
                }
        }
        return TRUE;
}

/* ---------------------------------------------------------------- -H */

typedef struct Sshd {
        char *dir;
        char *path_env;     /* "PATH=<dir>/bin:$PATH" */
        GSubprocess *process;
        guint16 port;
        gboolean made_privsep_dir;
} Sshd;

static guint16 free_port(void) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &a, sizeof(a)), ==, 0);
        g_assert_cmpint(getsockname(fd, (struct sockaddr *) &a, &l), ==, 0);
        close(fd);
        return ntohs(a.sin_port);
}

static gboolean port_open(gpointer data) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                 .sin_port = htons(GPOINTER_TO_UINT(data)) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        gboolean ok = connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0;

        close(fd);
        return ok;
}

static void write_file(const char *path, const char *contents, mode_t mode) {
        g_autoptr(GError) error = NULL;
        g_assert_true(g_file_set_contents(path, contents, -1, &error));
        g_assert_no_error(error);
        g_assert_cmpint(chmod(path, mode), ==, 0);
}

/* Starts a private sshd that runs systemd-stdio-bridge for the fixture's bus. */
static void sshd_start(Sshd *s, PcFixture *fx) {
        g_autofree char *sock = bus_socket_path(fx);
        g_autofree char *key = NULL, *host_key = NULL, *pub = NULL, *config = NULL, *wrapper = NULL,
                        *keys = NULL, *bindir = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GSubprocessLauncher) l = NULL;

        s->dir = g_build_filename(fx->tmpdir, "ssh", NULL);
        bindir = g_build_filename(s->dir, "bin", NULL);
        g_assert_cmpint(g_mkdir_with_parents(bindir, 0700), ==, 0);
        key = g_build_filename(s->dir, "key", NULL);
        host_key = g_build_filename(s->dir, "host_key", NULL);
        run_checked(ARGS("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key));
        run_checked(ARGS("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key));
        g_autofree char *pubfile = g_strconcat(key, ".pub", NULL);
        g_assert_true(g_file_get_contents(pubfile, &pub, NULL, NULL));

        s->port = free_port();
        config = g_build_filename(s->dir, "sshd_config", NULL);
        g_autofree char *config_text = g_strdup_printf(
                "ListenAddress 127.0.0.1:%u\n"
                "HostKey %s\n"
                "PidFile none\n"
                "AuthorizedKeysFile %s/authorized_keys\n"
                "PermitRootLogin prohibit-password\n"
                "PasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\n"
                "UsePAM no\n"
                "StrictModes no\n",
                s->port, host_key, s->dir);
        write_file(config, config_text, 0600);

        keys = g_build_filename(s->dir, "authorized_keys", NULL);
        g_autofree char *keys_text = g_strdup_printf(
                "command=\"" STDIO_BRIDGE " --bus-path=unix:path=%s\",no-pty,no-port-forwarding,"
                "no-agent-forwarding,no-X11-forwarding %s", sock, pub);
        write_file(keys, keys_text, 0600);

        wrapper = g_build_filename(bindir, "ssh", NULL);
        g_autofree char *wrapper_text = g_strdup_printf(
                "#!/bin/sh\n"
                "exec /usr/bin/ssh -F /dev/null -i %s -o IdentitiesOnly=yes -o BatchMode=yes "
                "-o StrictHostKeyChecking=no -o UserKnownHostsFile=%s/known_hosts -o LogLevel=ERROR "
                "-p %u \"$@\"\n", key, s->dir, s->port);
        write_file(wrapper, wrapper_text, 0755);
        s->path_env = g_strdup_printf("PATH=%s:%s", bindir, g_getenv("PATH"));

        /* sshd insists on its privilege separation directory (the package
         * makes it at boot through tmpfiles). */
        if (mkdir("/run/sshd", 0755) == 0)
                s->made_privsep_dir = TRUE;

        l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE);
        s->process = g_subprocess_launcher_spawnv(l, ARGS(SSHD, "-D", "-e", "-f", config), &error);
        g_assert_no_error(error);
        if (!pc_poll_until(port_open, GUINT_TO_POINTER(s->port), PC_TIMEOUT_MS))
                pc_fail("sshd did not listen on 127.0.0.1:%u", s->port);
}

static void sshd_stop(Sshd *s) {
        if (s->process) {
                g_subprocess_send_signal(s->process, SIGTERM);
                g_subprocess_wait(s->process, NULL, NULL);
                g_object_unref(s->process);
        }
        if (s->made_privsep_dir)
                (void) rmdir("/run/sshd");
        g_free(s->dir);
        g_free(s->path_env);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Sshd, sshd_stop)

static void test_host(PcFixture *fx) {
        const char *const programs[] = { SSHD, "ssh", "ssh-keygen", STDIO_BRIDGE, NULL };
        g_auto(Sshd) s = {};

        if (!have_programs(programs))
                return;
        sshd_start(&s, fx);
        const char *const env[] = { s.path_env, NULL };
        const char *cli = cli_path();

        /* Start, see, signal, wait, release: each over its own ssh connection. */
        g_auto(CliResult) sp = run(env, NULL, ARGS(cli, "-H", "root@127.0.0.1", "spawn", "--description", "remote",
                                                   "--", "/bin/sleep", "100"));
        g_assert_cmpstr(sp.err, ==, "");
        g_assert_cmpint(sp.code, ==, 0);
        g_auto(GStrv) f = g_strsplit(g_strchomp(sp.out), " ", -1);
        g_assert_cmpuint(g_strv_length(f), ==, 3);
        /* The daemon on the fixture's bus has it. */
        g_autofree char *desc = pc_get_process_string(fx, f[1], "Description");
        g_assert_cmpstr(desc, ==, "remote");
        g_assert_cmpuint(pc_get_process_u32(fx, f[1], "Pid"), ==, (guint32) atoi(f[2]));

        g_auto(CliResult) ls = run(env, NULL, ARGS(cli, "--host=127.0.0.1", "list"));
        g_assert_cmpint(ls.code, ==, 0);
        g_assert_true(g_regex_match_simple(g_strdup_printf("^ *%s +%s +root +running .*/bin/sleep 100$", f[0], f[2]),
                                           ls.out, G_REGEX_MULTILINE, 0));

        g_auto(CliResult) k = run(env, NULL, ARGS(cli, "-H", "127.0.0.1", "kill", "-s", "USR1", f[0]));
        g_assert_cmpint(k.code, ==, 0);
        g_auto(CliResult) w = run(env, NULL, ARGS(cli, "-H", "127.0.0.1", "wait", f[0]));
        g_assert_cmpint(w.code, ==, 128 + SIGUSR1);
        g_assert_cmpstr(w.out, ==, g_strdup_printf("%s: killed by SIGUSR1\n", f[0]));
        g_auto(CliResult) st = run(env, NULL, ARGS(cli, "-H", "127.0.0.1", "status", f[0]));
        g_assert_cmpint(st.code, ==, 0);
        g_assert_nonnull(strstr(st.out, "State: killed by SIGUSR1\n"));
        g_auto(CliResult) rl = run(env, NULL, ARGS(cli, "-H", "127.0.0.1", "release", f[0]));
        g_assert_cmpint(rl.code, ==, 0);
        g_assert_cmpuint(pc_get_process_count(fx), ==, 0);

        /* run hands over our stdio, which ssh cannot carry: refused, saying why. */
        g_auto(CliResult) rn = run(env, NULL, ARGS(cli, "-H", "127.0.0.1", "run", "--", "/bin/true"));
        g_assert_cmpint(rn.code, ==, 125);
        g_assert_nonnull(strstr(rn.err, "spawn"));

        /* A host that does not let us in: ssh's reason, then ours. */
        g_auto(CliResult) no = run(env, NULL, ARGS(cli, "-H", "nosuchuser@127.0.0.1", "list"));
        g_assert_cmpint(no.code, ==, 1);
        g_assert_nonnull(strstr(no.err, "procctl: cannot list processes: no connection to procctld on host "
                                        "nosuchuser@127.0.0.1"));

        /* The library's remote client: calls work, descriptors cannot go. */
        procctl_client *client = NULL;
        procctl_spawn_options *o = NULL;
        procctl_process *p = NULL;
        procctl_error error = PROCCTL_ERROR_INIT;
        uint32_t count = 99;

        g_setenv("PATH", s.path_env + strlen("PATH="), TRUE);
        g_assert_cmpint(procctl_client_new_remote(&client, "127.0.0.1"), ==, 0);
        g_assert_cmpint(procctl_get_process_count(client, &count, &error), ==, 0);
        g_assert_cmpuint(count, ==, 0);
        g_assert_cmpint(procctl_spawn_options_new(&o), ==, 0);
        g_assert_cmpint(procctl_spawn_options_set_stdin(o, STDIN_FILENO), ==, 0);
        g_assert_cmpint(procctl_spawn(client, (char *const *) ARGS("/bin/true"), o, &p, &error), ==, -EOPNOTSUPP);
        g_assert_null(p);
        procctl_error_clear(&error);
        procctl_spawn_options_free(o);
        procctl_client_unref(client);
}

/* ---------------------------------------------------------------- -M */

static void test_machine(PcFixture *fx) {
        const char *const programs[] = { "unshare", "mount", NULL };
        g_autofree char *sock = bus_socket_path(fx);
        g_autoptr(GSubprocessLauncher) l = NULL;
        g_autoptr(GSubprocess) box = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *line = NULL;
        const char *cli = cli_path();

        if (!have_programs(programs))
                return;

        /* The container: /run/dbus/system_bus_socket is the fixture's bus. */
        l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
        g_subprocess_launcher_setenv(l, "SOCK", sock, TRUE);
        box = g_subprocess_launcher_spawnv(l, ARGS("unshare", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c",
                "mount -t tmpfs tmpfs /run && mkdir /run/dbus && : >/run/dbus/system_bus_socket && "
                "mount --bind \"$SOCK\" /run/dbus/system_bus_socket && echo ready && exec sleep 1000"), &error);
        g_assert_no_error(error);
        line = pc_read_line(g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(box))),
                            PC_TIMEOUT_MS);
        g_assert_cmpstr(line, ==, "ready");

        /* procctl where machined's record of "testbox" names it. */
        g_autofree char *record = g_strdup_printf("LEADER=%s\nCLASS=container\n", g_subprocess_get_identifier(box));
        g_autofree char *env_record = g_strconcat("RECORD=", record, NULL);
        const char *const env[] = { env_record, NULL };
#define IN_HOST_NS(...)                                                                               \
        ARGS("unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",                 \
             "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/machines && "                         \
             "printf %s \"$RECORD\" >/run/systemd/machines/testbox && exec \"$@\"", "sh", cli, __VA_ARGS__)

        g_autoptr(GError) e2 = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/sleep", "100"), NULL, NULL, NULL, &e2);
        g_assert_no_error(e2);

        g_auto(CliResult) ls = run(env, NULL, IN_HOST_NS("-M", "testbox", "list"));
        g_assert_cmpstr(ls.err, ==, "");
        g_assert_cmpint(ls.code, ==, 0);
        g_assert_nonnull(strstr(ls.out, "/bin/sleep 100"));

        /* A local container's bus passes descriptors: run works, stdio and all. */
        g_auto(CliResult) rn = run(env, "hello\n", IN_HOST_NS("--machine=testbox", "run", "--", "/bin/sh", "-c",
                                                             "read x; echo got:$x; exit 4"));
        g_assert_cmpint(rn.code, ==, 4);
        g_assert_cmpstr(rn.out, ==, "got:hello\n");

        g_auto(CliResult) st = run(env, NULL, IN_HOST_NS("-M", "testbox", "stop", path + strlen(PC_PROCESS_PREFIX)));
        g_assert_cmpint(st.code, ==, 0);
        g_assert_cmpstr(pc_get_process_string(fx, path, "State"), ==, "exited");

        g_auto(CliResult) no = run(env, NULL, IN_HOST_NS("-M", "nosuchbox", "list"));
        g_assert_cmpint(no.code, ==, 1);
        g_assert_cmpstr(no.err, ==, "procctl: cannot connect to the system bus of container nosuchbox: "
                                    "no such container is running\n");

        g_subprocess_send_signal(box, SIGKILL);
        g_subprocess_wait(box, NULL, NULL);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);

        pc_test_add("/remote/host-over-ssh", PC_FIXTURE_NEEDS_ROOT, test_host);
        pc_test_add("/remote/machine", PC_FIXTURE_NEEDS_ROOT, test_machine);

        return g_test_run();
}
