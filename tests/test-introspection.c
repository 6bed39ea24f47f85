/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The installed interface XML (bus/) and what the daemon really serves must
 * not drift apart: every method, argument, property, signal and
 * property-change annotation of both interfaces is compared, both ways.
 */
#include "fixture.h"

static GDBusNodeInfo *load_xml(const char *name) {
        g_autofree char *path = g_build_filename(g_getenv("PROCCTL_BUS_XML_DIR"), name, NULL);
        g_autofree char *xml = NULL;
        g_autoptr(GError) error = NULL;
        GDBusNodeInfo *node;

        g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
        g_assert_no_error(error);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return node;
}

static GDBusNodeInfo *introspect(PcFixture *fx, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = pc_call(fx, NULL, path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                            G_VARIANT_TYPE("(s)"), NULL, NULL, &error);
        const char *xml;
        GDBusNodeInfo *node;

        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &xml);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return node;
}

static char *describe_args(GDBusArgInfo **args) {
        GString *s = g_string_new("(");
        for (GDBusArgInfo **a = args; a && *a; a++)
                g_string_append_printf(s, "%s%s %s", a == args ? "" : ", ", (*a)->signature, (*a)->name);
        g_string_append_c(s, ')');
        return g_string_free(s, FALSE);
}

static const char *emits_changed(GDBusAnnotationInfo **annotations) {
        const char *v = g_dbus_annotation_info_lookup(annotations, "org.freedesktop.DBus.Property.EmitsChangedSignal");
        return v ? v : "true"; /* the D-Bus default */
}

static int compare_lines(gconstpointer a, gconstpointer b) {
        return g_strcmp0(*(const char *const *) a, *(const char *const *) b);
}

/* One line per member, sorted: a diff of the two lists shows any drift. */
static char *describe_interface(GDBusInterfaceInfo *iface) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        GString *s = g_string_new(NULL);

        for (GDBusMethodInfo **m = iface->methods; m && *m; m++) {
                g_autofree char *in = describe_args((*m)->in_args), *out = describe_args((*m)->out_args);
                g_ptr_array_add(lines, g_strdup_printf("method %s%s -> %s", (*m)->name, in, out));
        }
        for (GDBusSignalInfo **sig = iface->signals; sig && *sig; sig++) {
                g_autofree char *args = describe_args((*sig)->args);
                g_ptr_array_add(lines, g_strdup_printf("signal %s%s", (*sig)->name, args));
        }
        for (GDBusPropertyInfo **p = iface->properties; p && *p; p++)
                g_ptr_array_add(lines, g_strdup_printf("property %s %s %s emits-changed=%s", (*p)->name, (*p)->signature,
                                                       (*p)->flags == G_DBUS_PROPERTY_INFO_FLAGS_READABLE ? "read" : "other",
                                                       emits_changed((*p)->annotations)));
        g_ptr_array_sort(lines, compare_lines);
        for (guint i = 0; i < lines->len; i++)
                g_string_append_printf(s, "%s\n", (const char *) g_ptr_array_index(lines, i));
        return g_string_free(s, FALSE);
}

static void assert_same_interface(PcFixture *fx, const char *object, const char *xml_file, const char *iface_name) {
        g_autoptr(GDBusNodeInfo) xml = load_xml(xml_file);
        g_autoptr(GDBusNodeInfo) live = introspect(fx, object);
        GDBusInterfaceInfo *want = g_dbus_node_info_lookup_interface(xml, iface_name);
        GDBusInterfaceInfo *got = g_dbus_node_info_lookup_interface(live, iface_name);

        g_assert_nonnull(want);
        g_assert_nonnull(got);
        g_autofree char *want_s = describe_interface(want), *got_s = describe_interface(got);
        g_assert_cmpstr(got_s, ==, want_s);
}

static void test_manager_matches_its_xml(PcFixture *fx) {
        assert_same_interface(fx, PC_MANAGER_PATH, "org.procctl.Manager1.xml", PC_MANAGER_IFACE);
}

static void test_process_matches_its_xml(PcFixture *fx) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = pc_fixture_spawn(fx, PC_ARGV("/bin/true"), NULL, NULL, NULL, &error);

        g_assert_no_error(error);
        assert_same_interface(fx, path, "org.procctl.Process1.xml", PC_PROCESS_IFACE);
}

int main(int argc, char **argv) {
        pc_test_init(&argc, &argv);
        pc_test_add("/introspection/manager-matches-its-xml", PC_FIXTURE_DEFAULT, test_manager_matches_its_xml);
        pc_test_add("/introspection/process-matches-its-xml", PC_FIXTURE_DEFAULT, test_process_matches_its_xml);
        return g_test_run();
}
