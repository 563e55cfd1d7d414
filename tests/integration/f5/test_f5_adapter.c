/* F5 adapter against f5sim (label integration): f5sim is started by pid on
 * a free port per test; the adapter is driven through its phases exactly
 * as a core device worker drives it (f5it_push), and once through the
 * core's controller. Assertions are on the device's objects (/sim/state)
 * and on the traffic the adapter sent (/sim/counters, /sim/log). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "f5_adapter.h"
#include "f5it.h"
#include "testsupport.h"

#define HDR "apiVersion: weft/v1\n"

/* Service web (n endpoints 10.0.0.1..), subsets v1/v2 (odd/even), gateway,
 * route (canary weights w1/w2; w1 < 0: no split), TrafficPolicy. */
static char *policy(struct f5it *t, int n, int w1, int w2, int with_web)
{
	char *y = malloc(32768);
	int off = 0;
	char dev[1024];
	f5it_device_yaml(t, dev, sizeof(dev));
	off += sprintf(y + off, "%s", dev);
	off += sprintf(
	        y + off,
	        "---\n" HDR "kind: Service\nmetadata: {name: api, namespace: shop}\n"
	        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.1.0.1}]}\n");
	if (!with_web)
		return y;
	off += sprintf(y + off,
	               "---\n" HDR "kind: Service\nmetadata: {name: web, namespace: shop}\n"
	               "spec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"
	               "  subsets: [{name: v1, labels: {v: one}}, {name: v2, labels: {v: two}}]\n"
	               "  endpoints:\n");
	for (int i = 1; i <= n; i++)
		off += sprintf(y + off, "  - {address: 10.0.0.%d, labels: {v: %s}}\n", i,
		               i % 2 ? "one" : "two");
	off += sprintf(
	        y + off,
	        "---\n" HDR "kind: TrafficPolicy\nmetadata: {name: web-tp, namespace: shop}\n"
	        "spec: {service: web, healthCheck: {type: http, path: /health}}\n"
	        "---\n" HDR "kind: Gateway\nmetadata: {name: edge, namespace: shop}\n"
	        "spec: {address: 192.0.2.10, listeners: [{name: web, port: 80, protocol: http,"
	        " routes: [web-route]}]}\n"
	        "---\n" HDR "kind: AccessPolicy\nmetadata: {name: acl, namespace: shop}\n"
	        "spec: {service: web, rules: [{action: deny, from: {cidrs: [203.0.113.0/24]}}]}\n"
	        "---\n" HDR "kind: Route\nmetadata: {name: web-route, namespace: shop}\n"
	        "spec:\n  hosts: [shop.example.com]\n  http:\n");
	if (w1 >= 0)
		off += sprintf(y + off,
		               "  - destinations: [{service: web, subset: v1, weight: %d}, "
		               "{service: web, subset: v2, weight: %d}]\n",
		               w1, w2);
	else
		off += sprintf(y + off, "  - destinations: [{service: web}]\n");
	return y;
}

static int push_policy(struct f5it *t, const char *yaml, int64_t rev, weft_err *err)
{
	weft_snapshot *s = f5it_compile(yaml, rev);
	assert_non_null(s);
	int rc = f5it_push(t, s, err);
	weft_snapshot_unref(s);
	return rc;
}

static int setup(void **state)
{
	struct f5it *t = calloc(1, sizeof(*t));
	if (f5it_start(t)) {
		f5it_stop(t);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	f5it_stop(*state);
	free(*state);
	return 0;
}

static json_t *state_of(struct f5it *t)
{
	return f5it_sim(t, NULL, "/sim/state", NULL);
}

static json_t *member_of(json_t *pool, const char *name)
{
	json_t *m;
	size_t i;
	json_array_foreach(
	        json_object_get(json_object_get(pool, "membersReference"), "items"), i,
	        m) if (!strcmp(json_string_value(json_object_get(m, "name")), name)) return m;
	return NULL;
}

static void test_example_shape_and_member_cost(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	char *y = policy(t, 4, -1, 0, 1);
	int ops = push_policy(t, y, 1, &err);
	if (ops < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_true(ops > 0);
	free(y);
	json_t *st = state_of(t);
	json_t *pool = f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web_80");
	assert_non_null(pool);
	assert_string_equal(json_string_value(json_object_get(pool, "monitor")),
	                    "/weft/shop_web-tp_hc");
	assert_non_null(member_of(pool, "10.0.0.3:8080"));
	assert_non_null(f5it_find(f5it_objects(st, "ltm/monitor/http"), "/weft/shop_web-tp_hc"));
	json_t *vs = f5it_find(f5it_objects(st, "ltm/virtual"), "/weft/shop_edge_web");
	assert_non_null(vs);
	assert_string_equal(json_string_value(json_object_get(vs, "destination")),
	                    "/weft/192.0.2.10:80");
	json_t *pol = f5it_find(f5it_objects(st, "ltm/policy"), "/weft/shop_edge_web_routes");
	assert_non_null(pol);
	assert_string_equal(json_string_value(json_object_get(pol, "status")), "published");
	assert_non_null(f5it_find(f5it_objects(st, "ltm/rule"), "/weft/shop_acl_access"));
	assert_non_null(
	        f5it_find(f5it_objects(st, "ltm/data-group/internal"), "/weft/shop_acl_0_src"));
	json_decref(st);

	/* nothing changed: zero writes, zero calls (cache) */
	json_decref(f5it_sim(t, "POST", "/sim/counters/reset", json_object()));
	y = policy(t, 4, -1, 0, 1);
	assert_int_equal(push_policy(t, y, 2, &err), 0);
	free(y);
	assert_int_equal(f5it_calls_no_login(t), 0);

	/* one endpoint added: it belongs to the service's pool and to subset
	 * v1's pool, so two member POSTs in one transaction, nothing else */
	y = policy(t, 5, -1, 0, 1);
	assert_int_equal(push_policy(t, y, 3, &err), 2);
	free(y);
	assert_true(f5it_calls_no_login(t) <= 4);
	json_t *c = f5it_sim(t, NULL, "/sim/counters", NULL);
	assert_int_equal(json_integer_value(json_object_get(c, "total")), 4);
	assert_int_equal(json_integer_value(json_object_get(c, "inTransaction")), 2);
	json_t *bp = json_object_get(c, "byPath");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(bp, "/mgmt/tm/ltm/pool/{name}/members"), "POST")),
	                 2);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(bp, "/mgmt/tm/transaction"), "POST")),
	                 1);
	json_decref(c);
	st = state_of(t);
	assert_non_null(member_of(f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web_80"),
	                          "10.0.0.5:8080"));
	json_decref(st);

	/* one endpoint removed: its two member DELETEs */
	json_decref(f5it_sim(t, "POST", "/sim/counters/reset", json_object()));
	y = policy(t, 4, -1, 0, 1);
	assert_int_equal(push_policy(t, y, 4, &err), 2);
	free(y);
	assert_true(f5it_calls_no_login(t) <= 4);
	st = state_of(t);
	assert_null(member_of(f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web_80"),
	                      "10.0.0.5:8080"));
	json_decref(st);

	/* a fresh session reads everything back and finds nothing to do */
	f5it_reset_session(t);
	y = policy(t, 4, -1, 0, 1);
	assert_int_equal(push_policy(t, y, 5, &err), 0);
	free(y);
}

static void test_canary_ratios(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	char *y = policy(t, 4, 90, 10, 1);
	assert_true(push_policy(t, y, 1, &err) > 0);
	free(y);
	json_t *st = state_of(t);
	json_t *split = f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web-route_0_split");
	assert_non_null(split);
	assert_string_equal(json_string_value(json_object_get(split, "loadBalancingMode")),
	                    "ratio-member");
	/* v1 = .1 .3, v2 = .2 .4; 90/10 over two each -> 9 and 1 */
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.1:8080"), "ratio")), 9);
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.3:8080"), "ratio")), 9);
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.2:8080"), "ratio")), 1);
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.4:8080"), "ratio")), 1);
	json_decref(st);
	/* shifting to 50/50 re-weights the members in place */
	json_decref(f5it_sim(t, "POST", "/sim/counters/reset", json_object()));
	y = policy(t, 4, 50, 50, 1);
	assert_int_equal(push_policy(t, y, 2, &err), 2); /* v1 members 9 -> 1 */
	free(y);
	st = state_of(t);
	split = f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web-route_0_split");
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.2:8080"), "ratio")), 1);
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.1:8080"), "ratio")), 1);
	json_decref(st);
}

static void operator_objects(struct f5it *t)
{
	long status = 0;
	json_t *b = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "name", "ops-pool", "partition",
	                      "weft", "description", "operator's own", "members", "name",
	                      "10.9.9.9:80", "address", "10.9.9.9");
	json_decref(f5it_rest(t, "POST", "/mgmt/tm/ltm/pool", b, &status));
	json_decref(b);
	assert_int_equal(status, 200);
}

static void test_deleted_service_keeps_operator_objects(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	char *y = policy(t, 2, -1, 0, 1);
	assert_true(push_policy(t, y, 1, &err) > 0);
	free(y);
	operator_objects(t);
	f5it_reset_session(t);      /* the operator changed the device: read it again */
	y = policy(t, 2, -1, 0, 0); /* web, its gateway, route... gone */
	int ops = push_policy(t, y, 2, &err);
	if (ops < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_true(ops > 0);
	free(y);
	json_t *st = state_of(t);
	json_t *pools = f5it_objects(st, "ltm/pool");
	assert_null(f5it_find(pools, "/weft/shop_web_80"));
	assert_null(f5it_find(f5it_objects(st, "ltm/virtual"), "/weft/shop_edge_web"));
	assert_null(f5it_find(f5it_objects(st, "ltm/rule"), "/weft/shop_acl_access"));
	assert_non_null(f5it_find(pools, "/weft/shop_api_80"));
	json_t *ops_pool = f5it_find(pools, "/weft/ops-pool");
	assert_non_null(ops_pool);
	assert_non_null(member_of(ops_pool, "10.9.9.9:80"));
	json_decref(st);
	/* a name collision with the operator's object is refused, naming it */
	long status = 0;
	json_t *b = json_pack("{s:s, s:s}", "name", "shop_web_80", "partition", "weft");
	json_decref(f5it_rest(t, "POST", "/mgmt/tm/ltm/pool", b, &status));
	json_decref(b);
	f5it_reset_session(t);
	y = policy(t, 2, -1, 0, 1);
	assert_int_equal(push_policy(t, y, 3, &err), -1);
	assert_non_null(strstr(err.msg, "/weft/shop_web_80"));
	assert_non_null(strstr(err.msg, "not managed by weft"));
	free(y);
}

static void test_token_expiry_and_503_storm(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	char *y = policy(t, 2, -1, 0, 1);
	assert_true(push_policy(t, y, 1, &err) > 0);
	free(y);
	json_decref(f5it_sim(t, "POST", "/sim/expire-tokens", json_object()));
	y = policy(t, 3, -1, 0, 1); /* each new endpoint: 2 members (pool + subset) */
	int ops = push_policy(t, y, 2, &err);
	if (ops < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(ops, 2);
	free(y);
	/* 3 answers of 503 in a row: retried with backoff */
	json_decref(f5it_sim(t, "POST", "/sim/fail", json_pack("{s:i}", "count", 3)));
	y = policy(t, 4, -1, 0, 1);
	ops = push_policy(t, y, 3, &err);
	if (ops < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(ops, 2);
	free(y);
	/* a short mcpd outage too */
	json_decref(f5it_sim(t, "POST", "/sim/outage",
	                     json_pack("{s:s, s:f}", "mode", "mcpd", "seconds", 0.3)));
	y = policy(t, 5, -1, 0, 1);
	assert_int_equal(push_policy(t, y, 4, &err), 2);
	free(y);
	json_t *st = state_of(t);
	assert_non_null(member_of(f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web_80"),
	                          "10.0.0.5:8080"));
	json_decref(st);
}

static void test_failed_transaction_changes_nothing(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	char *y = policy(t, 2, -1, 0, 1);
	assert_true(push_policy(t, y, 1, &err) > 0);
	free(y);
	/* the operator points a virtual of their own at weft's api pool: deleting
	 * it will fail inside the transaction (in use), after other changes */
	long status = 0;
	json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "name", "ops-vs", "partition", "weft",
	                      "destination", "/weft/198.51.100.1:80", "pool", "/weft/shop_api_80");
	json_decref(f5it_rest(t, "POST", "/mgmt/tm/ltm/virtual", b, &status));
	json_decref(b);
	assert_int_equal(status, 200);
	json_t *before = state_of(t);
	/* new policy: web gets a third endpoint, api is deleted */
	y = policy(t, 3, -1, 0, 1);
	char *cut = strstr(y, "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: api");
	assert_non_null(cut);
	char *next = strstr(cut + 4, "---\n");
	memmove(cut, next, strlen(next) + 1);
	assert_int_equal(push_policy(t, y, 2, &err), -1);
	assert_non_null(strstr(err.msg, "device default/bigip"));
	free(y);
	json_t *after = state_of(t);
	assert_true(
	        json_equal(json_object_get(before, "objects"), json_object_get(after, "objects")));
	json_decref(before);
	json_decref(after);
}

/* f5sim's certificate is self-signed: verified against the system CAs the
 * push fails, and the error says what to set (connection.tls.caFile), not
 * only libcurl's words; a caFile that cannot be read says so too. */
static void test_tls_error_hints_ca_file(void **state)
{
	struct f5it *t = *state;
	const char *tls[] = {"{}", "{caFile: /nonexistent/ca.pem}"};
	const char *want[] = {"set connection.tls.caFile", "against connection.tls.caFile"};
	for (int i = 0; i < 2; i++) {
		char y[1024];
		snprintf(y, sizeof(y),
		         "apiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip}\n"
		         "spec:\n  type: f5\n  connection: {address: 127.0.0.1, port: %d, "
		         "username: admin,\n    credentials: {env: F5IT_PASSWORD}, tls: %s, "
		         "timeout: 5s}\n  options: {partition: weft}\n",
		         t->port, tls[i]);
		weft_snapshot *snap = f5it_compile(y, 1);
		assert_non_null(snap);
		weft_err err = {0};
		f5it_reset_session(t);
		int rc = f5it_push(t, snap, &err);
		weft_snapshot_unref(snap);
		if (!strstr(err.msg, want[i]))
			fprintf(stderr, "case %d: %s\n", i, err.msg);
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(err.msg, want[i]));
	}
	f5it_reset_session(t);
}

static void test_drift_found_and_repaired(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	setenv("WEFT_F5_RESYNC_MS", "0", 1); /* read in full on every push */
	f5it_reset_session(t);
	char *y = policy(t, 2, -1, 0, 1);
	assert_true(push_policy(t, y, 1, &err) > 0);
	long status = 0;
	json_t *b = json_pack("{s:i}", "ratio", 42);
	json_decref(f5it_rest(t, "PATCH",
	                      "/mgmt/tm/ltm/pool/~weft~shop_web_80/members/~weft~10.0.0.1:8080", b,
	                      &status));
	json_decref(b);
	assert_int_equal(status, 200);
	/* the next push finds the hand edit and repairs it with one PATCH */
	assert_int_equal(push_policy(t, y, 2, &err), 1);
	json_t *st = state_of(t);
	json_t *m = member_of(f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web_80"),
	                      "10.0.0.1:8080");
	assert_int_equal(json_integer_value(json_object_get(m, "ratio")), 1);
	json_decref(st);
	assert_int_equal(push_policy(t, y, 3, &err), 0);
	free(y);
	unsetenv("WEFT_F5_RESYNC_MS");
}

static void test_through_controller(void **state)
{
	struct f5it *t = *state;
	weft_err err = {0};
	f5it_reset_session(t);
	assert_int_equal(weft_adapter_register(f5_adapter(), 1, &err), 0);
	char *dir = ts_mkdtemp("f5ctl");
	weft_controller_opts o = {.state_dir = dir, .quiet_ms = 10, .max_delay_ms = 50};
	weft_controller *c = weft_controller_open(&o, &err);
	assert_non_null(c);
	char *y = policy(t, 3, 80, 20, 1);
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	assert_int_equal(weft_docset_parse(&docs, "it.yaml", y, strlen(y), &d), 0);
	weft_write_result res = {0};
	int rc = weft_controller_apply(c, &docs, WEFT_APPLY_SYNC, "test", -1, 0, &res, &d, &err);
	if (rc)
		weft_diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(weft_controller_wait_pushed(c, res.revision, 20000), 0);
	json_t *status = weft_controller_status(c);
	json_t *dev = json_array_get(json_object_get(status, "devices"), 0);
	if (strcmp(json_string_value(json_object_get(dev, "state")), "in-sync"))
		fprintf(stderr, "status: %s\n", json_dumps(status, 0));
	assert_string_equal(json_string_value(json_object_get(dev, "state")), "in-sync");
	assert_string_equal(json_string_value(json_object_get(dev, "kind")), "f5");
	json_decref(status);
	json_t *st = state_of(t);
	json_t *split = f5it_find(f5it_objects(st, "ltm/pool"), "/weft/shop_web-route_0_split");
	assert_non_null(split);
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.1:8080"), "ratio")), 2);
	assert_int_equal(
	        json_integer_value(json_object_get(member_of(split, "10.0.0.2:8080"), "ratio")), 1);
	json_decref(st);
	/* the dry-run plan of the same revision is empty */
	json_t *plan = NULL;
	assert_int_equal(weft_controller_plan(c, NULL, &plan, &d, &err), 0);
	json_t *pd = json_array_get(json_object_get(plan, "devices"), 0);
	assert_int_equal(json_array_size(json_object_get(pd, "ops")), 0);
	json_decref(plan);
	weft_write_result_free(&res);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	weft_controller_close(c);
	free(y);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_example_shape_and_member_cost, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_canary_ratios, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deleted_service_keeps_operator_objects, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_token_expiry_and_503_storm, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failed_transaction_changes_nothing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_drift_found_and_repaired, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tls_error_hints_ca_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_through_controller, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
