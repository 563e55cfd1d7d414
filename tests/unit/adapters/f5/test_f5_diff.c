/* F5 adapter diff tests: desired (rendered from YAML) vs an "observed"
 * partition built the way observe builds it (the expected partition of a
 * previous plan, or hand-made objects): a member added, removed or
 * re-weighted costs exactly one op; nothing changed -> zero ops; unowned
 * objects are never touched and a name collision is an error naming the
 * object; creates run in dependency order and deletes in reverse; the
 * inverse requests restore the previous values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_adapter_int.h"
#include "f5_testutil.h"

#define HDR "apiVersion: weft/v1\n"

/* Service web with n endpoints (10.0.0.1.. weight w for the first). */
static struct f5_config *render_web(int n, int w, int with_gw, int64_t rev)
{
	char buf[16384];
	int off = snprintf(buf, sizeof(buf),
	                   "%s---\n" HDR "kind: Service\nmetadata: {name: web, namespace: shop}\n"
	                   "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n",
	                   F5T_DEVICE_YAML);
	for (int i = 0; i < n; i++)
		off += snprintf(buf + off, sizeof(buf) - (size_t)off,
		                "  - {address: 10.0.0.%d, weight: %d}\n", i + 1, i ? 1 : w);
	if (with_gw)
		off += snprintf(
		        buf + off, sizeof(buf) - (size_t)off,
		        "---\n" HDR "kind: Gateway\nmetadata: {name: edge, namespace: shop}\n"
		        "spec: {address: 192.0.2.1, listeners: [{name: web, port: 80, "
		        "protocol: http, routes: [r]}]}\n---\n" HDR "kind: Route\n"
		        "metadata: {name: r, namespace: shop}\nspec: {hosts: [a.example.com], "
		        "http: [{destinations: [{service: web}]}]}\n");
	weft_snapshot *s = f5t_compile(buf, rev);
	struct f5_config *c = f5t_render(s);
	weft_snapshot_unref(s);
	return c;
}

static struct f5_config *empty(void)
{
	struct f5_config *c = f5_config_new("weft");
	c->partition_exists = 1;
	return c;
}

static int diff(const struct f5_config *des, const struct f5_config *act, weft_plan *plan)
{
	weft_err err = {0};
	weft_plan_init(plan, "default/bigip", "f5", 1);
	int rc = f5_diff_configs("default/bigip", des, act, plan, &err);
	if (rc)
		fprintf(stderr, "diff: %s\n", err.msg);
	return rc;
}

/* The device after plan: what apply would make the session's cache. */
static struct f5_config *after(weft_plan *plan)
{
	struct f5_plan_priv *p = plan->priv;
	struct f5_config *e = p->expected;
	p->expected = NULL;
	return e;
}

static struct f5_config *sync_from_empty(struct f5_config *des)
{
	struct f5_config *act = empty();
	weft_plan plan;
	assert_int_equal(diff(des, act, &plan), 0);
	struct f5_config *e = after(&plan);
	weft_plan_free(&plan);
	f5_config_free(act);
	/* What a device read returns: the partition without render groups (the
	 * tests edit it as a hand edit on the device would). */
	struct f5_config none = {0};
	assert_int_equal(f5_config_copy_groups(e, &none), 0);
	return e;
}

static void test_initial_sync_order(void **state)
{
	(void)state;
	struct f5_config *des = render_web(3, 1, 1, 1), *act = empty();
	weft_plan plan;
	assert_int_equal(diff(des, act, &plan), 0);
	/* pool (members inline), policy draft + publish, virtual */
	assert_int_equal(plan.n_ops, 4);
	assert_string_equal(plan.ops[0].action, "create");
	assert_string_equal(plan.ops[0].target, "/weft/shop_web_80");
	assert_non_null(strstr(plan.ops[0].detail, "POST /mgmt/tm/ltm/pool {"));
	assert_non_null(strstr(plan.ops[0].detail, "\"members\":[{"));
	assert_non_null(strstr(plan.ops[1].detail, "\"subPath\":\"Drafts\""));
	assert_string_equal(plan.ops[2].action, "publish");
	assert_non_null(strstr(plan.ops[2].detail, "/weft/Drafts/shop_edge_web_routes"));
	assert_string_equal(plan.ops[3].target, "/weft/shop_edge_web");
	struct f5_plan_priv *p = plan.priv;
	assert_int_equal(p->fwd.n, 4);
	/* the inverse deletes, virtual first */
	assert_string_equal(p->undo.items[0].method, "DELETE");
	assert_string_equal(p->undo.items[0].uri, "/mgmt/tm/ltm/virtual/~weft~shop_edge_web");
	weft_plan_free(&plan);
	f5_config_free(act);
	f5_config_free(des);
}

static void test_no_change_no_ops(void **state)
{
	(void)state;
	struct f5_config *des = render_web(3, 1, 1, 1);
	struct f5_config *dev = sync_from_empty(des);
	/* a later revision renders new marks (rev=2) but nothing else changed */
	struct f5_config *des2 = render_web(3, 1, 1, 2);
	weft_plan plan;
	assert_int_equal(diff(des2, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 0);
	weft_plan_free(&plan);
	f5_config_free(des);
	f5_config_free(des2);
	f5_config_free(dev);
}

static void test_member_ops(void **state)
{
	(void)state;
	struct f5_config *des = render_web(3, 1, 1, 1), *dev = sync_from_empty(des);
	weft_plan plan;
	/* added */
	struct f5_config *more = render_web(4, 1, 1, 2);
	assert_int_equal(diff(more, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 1);
	assert_string_equal(plan.ops[0].action, "create");
	assert_string_equal(plan.ops[0].target, "/weft/shop_web_80/members/10.0.0.4:80");
	assert_non_null(
	        strstr(plan.ops[0].detail, "POST /mgmt/tm/ltm/pool/~weft~shop_web_80/members {"));
	weft_plan_free(&plan);
	/* removed */
	struct f5_config *fewer = render_web(2, 1, 1, 2);
	assert_int_equal(diff(fewer, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 1);
	assert_string_equal(plan.ops[0].action, "delete");
	assert_string_equal(plan.ops[0].detail,
	                    "DELETE /mgmt/tm/ltm/pool/~weft~shop_web_80/members/~weft~10.0.0.3:80");
	struct f5_plan_priv *p = plan.priv;
	assert_string_equal(p->undo.items[0].method, "POST");
	weft_plan_free(&plan);
	/* re-weighted: a PATCH of ratio (and the mark) only */
	struct f5_config *heavy = render_web(3, 5, 1, 2);
	assert_int_equal(diff(heavy, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 1);
	assert_string_equal(plan.ops[0].action, "update");
	p = plan.priv;
	json_t *b = p->fwd.items[0].body;
	assert_int_equal(json_object_size(b), 2);
	assert_int_equal(json_integer_value(json_object_get(b, "ratio")), 5);
	assert_int_equal(json_integer_value(json_object_get(p->undo.items[0].body, "ratio")), 1);
	weft_plan_free(&plan);
	f5_config_free(more);
	f5_config_free(fewer);
	f5_config_free(heavy);
	f5_config_free(des);
	f5_config_free(dev);
}

static void test_unowned_untouched_and_collision(void **state)
{
	(void)state;
	struct f5_config *des = render_web(2, 1, 0, 1), *dev = sync_from_empty(des);
	/* an operator's own pool in the same partition */
	json_t *own = json_pack("{s:s, s:s, s:s}", "name", "legacy", "partition", "weft",
	                        "description", "owned by the ops team");
	assert_int_equal(f5_config_add(dev, F5T_POOL, "/weft/legacy", NULL, own), 0);
	f5_config_sort(dev);
	struct f5_config *none = empty();
	none->partition_exists = 1;
	weft_plan plan;
	/* desired is empty: weft's pool goes (with its members), legacy stays */
	assert_int_equal(diff(none, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 1);
	assert_string_equal(plan.ops[0].action, "delete");
	assert_string_equal(plan.ops[0].target, "/weft/shop_web_80");
	weft_plan_free(&plan);
	/* collision: an unowned object holds a name weft wants */
	struct f5_config *act = empty();
	json_t *clash = json_pack("{s:s, s:s}", "name", "shop_web_80", "partition", "weft");
	assert_int_equal(f5_config_add(act, F5T_POOL, "/weft/shop_web_80", NULL, clash), 0);
	f5_config_sort(act);
	weft_err err = {0};
	weft_plan_init(&plan, "default/bigip", "f5", 1);
	assert_int_equal(f5_diff_configs("default/bigip", des, act, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "pool /weft/shop_web_80"));
	assert_non_null(strstr(err.msg, "not managed by weft"));
	weft_plan_free(&plan);
	f5_config_free(act);
	f5_config_free(none);
	f5_config_free(des);
	f5_config_free(dev);
}

static void test_delete_order_and_folder(void **state)
{
	(void)state;
	struct f5_config *des = render_web(2, 1, 1, 1), *dev = sync_from_empty(des);
	struct f5_config *none = empty();
	weft_plan plan;
	assert_int_equal(diff(none, dev, &plan), 0);
	/* virtual, policy, pool: reverse dependency order */
	assert_int_equal(plan.n_ops, 3);
	assert_string_equal(plan.ops[0].target, "/weft/shop_edge_web");
	assert_string_equal(plan.ops[1].target, "/weft/shop_edge_web_routes");
	assert_string_equal(plan.ops[2].target, "/weft/shop_web_80");
	weft_plan_free(&plan);
	/* a missing partition is created first */
	struct f5_config *bare = f5_config_new("weft");
	assert_int_equal(diff(des, bare, &plan), 0);
	assert_string_equal(plan.ops[0].target, "/weft");
	assert_non_null(strstr(plan.ops[0].detail, "POST /mgmt/tm/sys/folder"));
	weft_plan_free(&plan);
	f5_config_free(bare);
	f5_config_free(none);
	f5_config_free(des);
	f5_config_free(dev);
}

static void test_observed_shapes(void **state)
{
	(void)state;
	/* BIG-IP answers profiles/policies as expanded subcollections, numbers
	 * as strings, and adds defaults: none of that is a difference. */
	struct f5_config *des = render_web(1, 1, 1, 1), *dev = sync_from_empty(des);
	struct f5_obj *vs = f5_config_find(dev, F5T_VIRTUAL, "/weft/shop_edge_web", NULL);
	json_t *b = json_deep_copy(vs->body);
	json_t *items = json_array();
	json_array_append_new(
	        items, json_pack("{s:s, s:s}", "fullPath", "/Common/http", "context", "all"));
	json_array_append_new(items, json_pack("{s:s}", "fullPath", "/Common/tcp"));
	json_object_del(b, "profiles");
	json_object_set_new(b, "profilesReference", json_pack("{s:o}", "items", items));
	json_object_set_new(b, "connectionLimit", json_string("0"));
	json_object_set_new(b, "mirror", json_string("disabled"));
	json_object_del(b, "rules");
	json_decref(vs->body);
	vs->body = b;
	weft_plan plan;
	assert_int_equal(diff(des, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 0);
	weft_plan_free(&plan);
	/* a hand edit of the member's ratio is drift: one PATCH repairs it */
	struct f5_obj *m = f5_config_find(dev, F5T_MEMBER, "/weft/shop_web_80", "10.0.0.1:80");
	json_object_set_new(m->body, "ratio", json_integer(42));
	assert_int_equal(diff(des, dev, &plan), 0);
	assert_int_equal(plan.n_ops, 1);
	assert_string_equal(plan.ops[0].action, "update");
	weft_plan_free(&plan);
	f5_config_free(des);
	f5_config_free(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_initial_sync_order),
	        cmocka_unit_test(test_no_change_no_ops),
	        cmocka_unit_test(test_member_ops),
	        cmocka_unit_test(test_unowned_untouched_and_collision),
	        cmocka_unit_test(test_delete_order_and_folder),
	        cmocka_unit_test(test_observed_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
