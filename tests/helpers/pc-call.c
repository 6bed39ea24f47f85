/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pc-call: one D-Bus method call to procctld on a given bus, for tests that
 * need a client running as another user (they run it under
 * `setpriv --reuid=… --regid=… --clear-groups`).
 *
 *   pc-call ADDRESS OBJECT-PATH INTERFACE METHOD [PARAMETERS]
 *
 * PARAMETERS is a GVariant tuple in text form (g_variant_print with type
 * annotations), e.g. "(['/bin/true'], @a{sv} {})"; no file descriptors.
 * Prints "OK" and the reply in the same text form, or "ERROR", the D-Bus
 * error name and its message, one per line; exits 0 either way.  Exits 1 when
 * the call could not be made at all (bad arguments, no connection).
 */

#include <gio/gio.h>
#include <stdio.h>

int main(int argc, char **argv) {
        if (argc != 5 && argc != 6) {
                fprintf(stderr, "usage: %s ADDRESS OBJECT-PATH INTERFACE METHOD [PARAMETERS]\n", argv[0]);
                return 1;
        }

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) params = NULL;
        if (argc == 6) {
                params = g_variant_parse(NULL, argv[5], NULL, NULL, &error);
                if (!params) {
                        fprintf(stderr, "pc-call: cannot parse parameters: %s\n", error->message);
                        return 1;
                }
                if (!g_variant_is_of_type(params, G_VARIANT_TYPE_TUPLE)) {
                        fprintf(stderr, "pc-call: parameters must be a tuple\n");
                        return 1;
                }
        }

        g_autoptr(GDBusConnection) conn = g_dbus_connection_new_for_address_sync(
                        argv[1],
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
        if (!conn) {
                fprintf(stderr, "pc-call: cannot connect to %s: %s\n", argv[1], error->message);
                return 1;
        }

        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
                        conn, "org.procctl.Manager1", argv[2], argv[3], argv[4],
                        g_steal_pointer(&params), NULL, G_DBUS_CALL_FLAGS_NONE,
                        30000, NULL, &error);
        if (!reply) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (!name) {
                        fprintf(stderr, "pc-call: call failed locally: %s\n", error->message);
                        return 1;
                }
                g_dbus_error_strip_remote_error(error);
                printf("ERROR\n%s\n%s\n", name, error->message);
                return 0;
        }

        g_autofree char *text = g_variant_print(reply, TRUE);
        printf("OK\n%s\n", text);
        return 0;
}
