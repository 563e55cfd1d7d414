/* Snapshot tests: service and device indexes, content-hash diffs per kind,
 * which devices a change touches. Policies are decoded from YAML with the
 * real decoder, so the indexes are tested on what users write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "resource.h"
#include "snapshot.h"
#include "testpolicy.h"

static const char *BASE =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: a}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: %d}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: b}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.2, port: 80}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: to-b}\n"
        "spec: {service: a, http: [{destinations: [{service: b}]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: only-b}\n"
        "spec: {type: file, scope: {services: [b]}, options: {directory: x}}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: all}\n"
        "spec: {type: file, options: {directory: y}}\n";

static weft_snapshot *compile(int port_a, int64_t rev)
{
	char text[4096];
	snprintf(text, sizeof(text), BASE, port_a);
	return wtp_compile_yaml("s.yaml", text, rev);
}

static int contains(weft_resource *const *items, size_t n, weft_kind kind, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (items[i]->kind == kind && !strcmp(items[i]->name, name))
			return 1;
	return 0;
}

static void test_indexes(void **state)
{
	(void)state;
	weft_snapshot *s = compile(80, 1);
	size_t n;
	weft_resource *const *a = weft_snapshot_by_service(s, "default", "a", &n);
	assert_true(contains(a, n, WEFT_KIND_SERVICE, "a"));
	assert_true(contains(a, n, WEFT_KIND_ROUTE, "to-b"));
	weft_resource *const *b = weft_snapshot_by_service(s, "default", "b", &n);
	assert_true(contains(b, n, WEFT_KIND_ROUTE, "to-b"));
	assert_false(contains(b, n, WEFT_KIND_SERVICE, "a"));
	weft_snapshot_by_service(s, "default", "nope", &n);
	assert_int_equal(n, 0);
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(devs[0]->name, "all");
	weft_resource *const *sel = weft_snapshot_by_device(s, "default", "only-b", &n);
	assert_true(contains(sel, n, WEFT_KIND_SERVICE, "b"));
	assert_false(contains(sel, n, WEFT_KIND_SERVICE, "a"));
	sel = weft_snapshot_by_device(s, "default", "all", &n);
	assert_true(contains(sel, n, WEFT_KIND_SERVICE, "a"));
	assert_true(contains(sel, n, WEFT_KIND_SERVICE, "b"));
	weft_snapshot_unref(s);
}

static void test_diff_and_touches(void **state)
{
	(void)state;
	weft_snapshot *s1 = compile(80, 1), *s1b = compile(80, 2), *s2 = compile(8080, 3);
	weft_snapshot_diff d;
	/* Same content decoded twice: same hashes, no change. */
	assert_int_equal(weft_snapshot_diff_compute(s1, s1b, &d), 0);
	assert_int_equal(d.count, 0);
	assert_true(weft_snapshot_hash(s1) == weft_snapshot_hash(s1b));
	weft_snapshot_diff_free(&d);
	/* One endpoint port of service a changed. */
	assert_int_equal(weft_snapshot_diff_compute(s1, s2, &d), 0);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.per_kind[WEFT_KIND_SERVICE], 1);
	assert_string_equal(d.items[0].key.name, "a");
	assert_int_equal(d.items[0].what, WEFT_CHANGE_UPDATED);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s2, &n);
	/* "all" serves a; "only-b" does not. */
	assert_true(weft_snapshot_diff_touches_device(&d, s1, s2, devs[0]));
	assert_false(weft_snapshot_diff_touches_device(&d, s1, s2, devs[1]));
	weft_snapshot_diff_free(&d);
	/* From nothing, everything is added. */
	assert_int_equal(weft_snapshot_diff_compute(NULL, s1, &d), 0);
	assert_int_equal(d.count, 5);
	assert_int_equal(d.items[0].what, WEFT_CHANGE_ADDED);
	weft_snapshot_diff_free(&d);
	weft_snapshot_unref(s1);
	weft_snapshot_unref(s1b);
	weft_snapshot_unref(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_indexes),
	        cmocka_unit_test(test_diff_and_touches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
