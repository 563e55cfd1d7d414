/* Netconf adapter diff tests: two rendered weft-lb trees -> the plan and
 * the exact edit-config content (nc:operation from libyang's diff) for the
 * addition, removal and change of one pool member, a new object, and no
 * change at all (an empty plan: nothing is sent). No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev_adapter.h"
#include "ncdev_testutil.h"

static void *render_members(const char *endpoints)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
	         "spec: {protocol: tcp, ports: [{name: p, port: 80}], endpoints: [%s]}\n",
	         endpoints);
	return nct_render_yaml(yaml);
}

/* Plans desired over actual; returns the plan (caller frees). */
static weft_plan plan_of(void *desired, void *actual)
{
	weft_snapshot *s = nct_compile("apiVersion: weft/v1\nkind: Service\nmetadata: {name: x}\n"
	                               "spec: {ports: [{name: p, port: 80}]}\n",
	                               1);
	weft_plan plan;
	weft_plan_init(&plan, "default/lb1", "netconf", 1);
	weft_err err = {0};
	int rc = ncdev_adapter()->diff(NULL, nct_device(s), desired, actual, &plan, &err);
	if (rc)
		fail_msg("diff: %s", err.msg);
	weft_snapshot_unref(s);
	ncdev_adapter()->free_config(NULL, desired);
	ncdev_adapter()->free_config(NULL, actual);
	return plan;
}

#define CFG  "<config xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
#define LB   "<lb xmlns=\"urn:weft:lb\">"
#define NC   "xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\""
#define POOL "<pool><name>default_web_80</name>"
#define TWO  "{address: 10.0.0.1}, {address: 10.0.0.2}"

static void test_add_member(void **state)
{
	(void)state;
	weft_plan p = plan_of(render_members(TWO ", {address: 10.0.0.3}"), render_members(TWO));
	assert_int_equal(p.n_ops, 2);
	assert_string_equal(p.ops[0].action, "create");
	assert_string_equal(
	        p.ops[0].target,
	        "/weft-lb:lb/pool[name='default_web_80']/member[address='10.0.0.3'][port='80']");
	assert_string_equal(p.ops[1].action, "edit-config");
	assert_string_equal(p.ops[1].detail, CFG LB POOL
	                    "<member " NC " nc:operation=\"create\">"
	                    "<address>10.0.0.3</address><port>80</port><weight>1</weight>"
	                    "</member></pool></lb></config>");
	weft_plan_free(&p);
}

static void test_remove_member(void **state)
{
	(void)state;
	weft_plan p = plan_of(render_members("{address: 10.0.0.1}"), render_members(TWO));
	assert_int_equal(p.n_ops, 2);
	assert_string_equal(p.ops[0].action, "delete");
	/* Only the keys identify what to delete. */
	assert_string_equal(p.ops[1].detail,
	                    CFG LB POOL "<member " NC " nc:operation=\"delete\">"
	                                "<address>10.0.0.2</address><port>80</port>"
	                                "</member></pool></lb></config>");
	weft_plan_free(&p);
}

static void test_change_member(void **state)
{
	(void)state;
	weft_plan p = plan_of(render_members("{address: 10.0.0.1}, {address: 10.0.0.2, weight: 5}"),
	                      render_members(TWO));
	/* The weights now differ: the method changes too. */
	assert_int_equal(p.n_ops, 3);
	assert_string_equal(p.ops[p.n_ops - 1].detail, CFG LB POOL
	                    "<method " NC " nc:operation=\"merge\">weighted-round-robin"
	                    "</method><member><address>10.0.0.2</address><port>80</port>"
	                    "<weight " NC " nc:operation=\"merge\">5</weight>"
	                    "</member></pool></lb></config>");
	weft_plan_free(&p);
}

static void test_unchanged_is_empty(void **state)
{
	(void)state;
	weft_plan p = plan_of(render_members(TWO), render_members(TWO));
	assert_int_equal(p.n_ops, 0);
	assert_null(p.priv);
	weft_plan_free(&p);
}

static void test_from_empty_device(void **state)
{
	(void)state;
	/* A device without any weft-lb config: everything is created. */
	weft_plan p = plan_of(render_members(TWO), NULL);
	assert_true(p.n_ops >= 2);
	assert_string_equal(p.ops[p.n_ops - 1].action, "edit-config");
	assert_non_null(strstr(p.ops[p.n_ops - 1].detail, "<member><address>10.0.0.2</address>"));
	weft_plan_free(&p);
}

static void test_to_empty_device(void **state)
{
	(void)state;
	/* An empty slice (a deleted Device, onDelete remove): the entries of
	 * the weft-lb container are deleted, not the NP container itself. */
	weft_plan p = plan_of(NULL, render_members(TWO));
	assert_int_equal(p.n_ops, 2);
	assert_string_equal(p.ops[0].action, "delete");
	assert_string_equal(p.ops[0].target, "/weft-lb:lb/pool[name='default_web_80']");
	assert_string_equal(p.ops[1].detail,
	                    CFG LB "<pool " NC " nc:operation=\"delete\">"
	                           "<name>default_web_80</name></pool></lb></config>");
	weft_plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_add_member),        cmocka_unit_test(test_remove_member),
	        cmocka_unit_test(test_change_member),     cmocka_unit_test(test_unchanged_is_empty),
	        cmocka_unit_test(test_from_empty_device), cmocka_unit_test(test_to_empty_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
