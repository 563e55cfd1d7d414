/* Devices that would fight over one box (core/policy/validate_device_overlap.c,
 * docs/policy.md Device): file directories that are the same or nested after
 * normalisation, netconf devices on one address:port, f5 devices on one
 * partition of one address:port, xds nodeMatches one proxy can satisfy
 * both. Each conflict is one error on the later Device naming the other's
 * file:line; Devices that do not overlap pass. Also the relative path rules
 * of options.directory (".", "./", "", "..", absolute). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_testutil.h"

/* Lines 1-6: one service every Device's default scope selects. */
#define BASE                                                                                       \
	"apiVersion: weft/v1\n"                                                                    \
	"kind: Service\n"                                                                          \
	"metadata: {name: web}\n"                                                                  \
	"spec: {ports: [{port: 80}], endpoints: [{address: 10.0.0.1}]}\n"                          \
	"---\n"

/* One Device document of 4 lines (the spec on one line). */
#define DEV(name, spec)                                                                            \
	"apiVersion: weft/v1\nkind: Device\nmetadata: {name: " name "}\nspec: " spec "\n"
#define NEXT "---\n"
#define CRED "credentials: {env: PW}"

static void expect_clean(const char *text)
{
	struct tp_result r;
	tp_load(&r, "o.yaml", text);
	if (r.diags.count)
		tp_dump(&r.diags);
	assert_int_equal(r.decode_rc, 0);
	assert_int_equal(r.validate_rc, 0);
	tp_free(&r);
}

/* Exactly one error, containing both substrings, at line:col with path. */
static void expect_one(const char *text, const char *msg, const char *other, int line, int col,
                       const char *path)
{
	struct tp_result r;
	tp_load(&r, "o.yaml", text);
	if (r.diags.count != 1 || r.decode_rc)
		tp_dump(&r.diags);
	assert_int_equal(r.decode_rc, 0);
	assert_int_equal(r.diags.count, 1);
	tp_expect(&r.diags, msg, "o.yaml", line, col, path);
	assert_non_null(strstr(r.diags.items[0].msg, other));
	tp_free(&r);
}

static void test_file_directories(void **state)
{
	(void)state;
	/* d1 is at lines 6-9 (its spec on line 9), d2 at 11-14. */
	expect_one(BASE DEV("d1", "{type: file, options: {directory: same}}")
	                   NEXT DEV("d2", "{type: file, options: {directory: ./same/}}"),
	           "directory 'same' is also the directory of Device", "'default/d1' (o.yaml:9)",
	           14, 41, "spec.options.directory");
	expect_one(BASE DEV("d1", "{type: file, options: {directory: a}}")
	                   NEXT DEV("d2", "{type: file, options: {directory: a//b}}"),
	           "directory 'a/b' lies inside the directory 'a' of",
	           "Device 'default/d1' (o.yaml:9)", 14, 41, "spec.options.directory");
	/* set order is by name: the inner one first, the outer one reported */
	expect_one(BASE DEV("a-inner", "{type: file, options: {directory: x/y/z}}")
	                   NEXT DEV("b-outer", "{type: file, options: {directory: x}}"),
	           "directory 'x' holds the directory 'x/y/z' of",
	           "Device 'default/a-inner' (o.yaml:9)", 14, 41, "spec.options.directory");
	expect_clean(BASE DEV("d1", "{type: file, options: {directory: a}}")
	                     NEXT DEV("d2", "{type: file, options: {directory: ab}}")
	                             NEXT DEV("d3", "{type: file, options: {directory: b/a}}"));
}

static void test_directory_paths(void **state)
{
	(void)state;
	const char *bad[] = {".", "./", "\"\"", "./.", "a/../b", "..", "/tmp/x", "a/..", "//"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         BASE DEV("d1", "{type: file, options: {directory: %s}}"), bad[i]);
		struct tp_result r;
		tp_load(&r, "o.yaml", text);
		if (!tp_find(&r.diags, "expected a relative path without '..' naming a "
		                       "sub-directory")) {
			fprintf(stderr, "directory %s was not refused\n", bad[i]);
			tp_dump(&r.diags);
			fail();
		}
		tp_free(&r);
	}
	char clean[64];
	assert_int_equal(weft_relpath_clean("./a//b/./c/", clean, sizeof(clean)), 0);
	assert_string_equal(clean, "a/b/c");
	assert_int_equal(weft_relpath_clean("a/b", clean, 3), -1); /* does not fit */
	assert_true(weft_relpath_overlap("a", "a/b"));
	assert_true(weft_relpath_overlap("a/b", "a"));
	assert_true(weft_relpath_overlap("a", "a"));
	assert_false(weft_relpath_overlap("a", "ab"));
	assert_false(weft_relpath_overlap("ab/c", "a"));
}

static void test_netconf_boxes(void **state)
{
	(void)state;
	/* the default port is 830; IPv6 forms compare as addresses */
	expect_one(BASE DEV("n1", "{type: netconf, connection: {address: 'fd00::1', " CRED "}}")
	                   NEXT DEV("n2",
	                            "{type: netconf, connection: {address: 'fd00:0::1', port: "
	                            "830, " CRED "}}"),
	           "netconf box fd00::1 port 830 (weft owns its whole weft-lb tree) is also "
	           "reached by",
	           "Device 'default/n1' (o.yaml:9)", 14, 35, "spec.connection");
	expect_one(BASE DEV("n1", "{type: netconf, connection: {address: Box.Example, " CRED "}}")
	                   NEXT DEV("n2", "{type: netconf, connection: {address: box.example, " CRED
	                                  "}}"),
	           "is also reached by Device 'default/n1'", "(o.yaml:9)", 14, 35,
	           "spec.connection");
	expect_clean(
	        BASE DEV("n1", "{type: netconf, connection: {address: 127.0.0.1, " CRED "}}")
	                NEXT DEV("n2", "{type: netconf, connection: {address: 127.0.0.1, "
	                               "port: 8300, " CRED "}}")
	                        NEXT DEV("n3",
	                                 "{type: netconf, connection: {address: 127.0.0.2, " CRED
	                                 "}}"));
}

static void test_f5_partitions(void **state)
{
	(void)state;
	expect_one(BASE DEV("f1", "{type: f5, connection: {address: 192.0.2.1, " CRED "}}")
	                   NEXT DEV("f2",
	                            "{type: f5, connection: {address: 192.0.2.1, port: 443, " CRED
	                            "}, options: {partition: Common}}"),
	           "f5 partition 'Common' on 192.0.2.1 port 443 is also owned by",
	           "Device 'default/f1' (o.yaml:9)", 14, 30, "spec.connection");
	expect_clean(
	        BASE DEV("f1", "{type: f5, connection: {address: 192.0.2.1, " CRED
	                       "}, options: {partition: shop}}")
	                NEXT DEV("f2", "{type: f5, connection: {address: 192.0.2.1, " CRED
	                               "}, options: {partition: bank}}")
	                        NEXT DEV("f3", "{type: f5, connection: {address: 192.0.2.2, " CRED
	                                       "}, options: {partition: shop}}"));
}

static void test_xds_node_matches(void **state)
{
	(void)state;
	expect_one(BASE DEV("x1", "{type: xds, options: {nodeMatch: {idPrefix: sidecar-}}}")
	                   NEXT DEV("x2",
	                            "{type: xds, options: {nodeMatch: {idPrefix: sidecar-shop-, "
	                            "metadata: {mesh: shop}}}}"),
	           "options.nodeMatch can select the same proxies",
	           "Device 'default/x1' (o.yaml:9)", 14, 40, "spec.options.nodeMatch");
	expect_one(
	        BASE DEV("x1", "{type: xds, options: {nodeMatch: {metadata: {mesh: shop}}}}")
	                NEXT DEV("x2", "{type: xds, options: {nodeMatch: {metadata: {role: gw}}}}"),
	        "options.nodeMatch can select the same proxies", "Device 'default/x1' (o.yaml:9)",
	        14, 40, "spec.options.nodeMatch");
	expect_clean(
	        BASE DEV("x1", "{type: xds, options: {nodeMatch: {idPrefix: a-, metadata: "
	                       "{mesh: x}}}}")
	                NEXT DEV("x2", "{type: xds, options: {nodeMatch: {idPrefix: b-}}}")
	                        NEXT DEV("x3", "{type: xds, options: {nodeMatch: {idPrefix: a-, "
	                                       "metadata: {mesh: y}}}}"));
}

/* The incremental driver (validate_change.c) finds a conflict added to a
 * valid set. */
static void test_change_adds_conflict(void **state)
{
	(void)state;
	struct tp_result a, b;
	tp_load(&a, "o.yaml", BASE DEV("d1", "{type: file, options: {directory: same}}"));
	assert_int_equal(a.validate_rc, 0);
	tp_load(&b, "o.yaml",
	        BASE DEV("d1", "{type: file, options: {directory: same}}")
	                NEXT DEV("d2", "{type: file, options: {directory: same/x}}"));
	weft_diags d;
	weft_diags_init(&d);
	assert_int_equal(weft_policy_validate_change(a.set, b.set, &d), -1);
	tp_expect(&d, "lies inside the directory 'same' of Device 'default/d1' (o.yaml:9)",
	          "o.yaml", 14, 41, "spec.options.directory");
	weft_diags_free(&d);
	tp_free(&a);
	tp_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_file_directories),
	        cmocka_unit_test(test_directory_paths),
	        cmocka_unit_test(test_netconf_boxes),
	        cmocka_unit_test(test_f5_partitions),
	        cmocka_unit_test(test_xds_node_matches),
	        cmocka_unit_test(test_change_adds_conflict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
