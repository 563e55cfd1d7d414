/* Resolved model tests (core/model.c, core/model_policy.c): endpoints per
 * port, subset and plane with their ports and weights; the policies in
 * effect per subset (a subset's TrafficPolicy applies to that subset only);
 * normalized route weights; the endpoint table hook; slice hashes. Policies
 * are decoded and validated from YAML by the real decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "model.h"
#include "policy.h"
#include "resource.h"
#include "snapshot.h"
#include "testpolicy.h"

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n"
        "  ports: [{name: http, port: 80, targetPort: 8080}]\n"
        "  endpoints:\n"
        "  - {address: 10.0.0.1, addresses: {storage: 192.168.0.1}, labels: {v: '1'}, weight: 3}\n"
        "  - {address: 10.0.0.2, labels: {v: '2'}}\n"
        "  subsets: [{name: v1, labels: {v: '1'}}, {name: v2, labels: {v: '2'}}]\n"
        "---\n"
        "apiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: v2-only, namespace: shop}\n"
        "spec: {service: web, subset: v2, loadBalancer: {algorithm: least-request}}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: AccessPolicy\nmetadata: {name: ns, namespace: shop}\n"
        "spec: {defaultAction: deny}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: split, namespace: shop}\n"
        "spec:\n"
        "  service: web\n"
        "  http:\n"
        "  - destinations: [{service: web, subset: v1, weight: 80}, {service: web, subset: v2, "
        "weight: 20}]\n"
        "  - destinations: [{service: web}]\n"
        "---\n"
        "apiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: rl, namespace: shop}\n"
        "spec: {route: split, limit: {requests: 10}}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: d, namespace: shop}\n"
        "spec: {type: file, options: {directory: d}}\n";

static void test_endpoints_per_subset_and_plane(void **state)
{
	(void)state;
	weft_snapshot *s = wtp_compile_yaml("m.yaml", POLICY, 1);
	assert_non_null(s);
	const weft_model *m = weft_snapshot_model(s);
	const weft_model_service *web = weft_model_find_service(m, "shop", "web");
	assert_non_null(web);
	assert_int_equal(web->n_planes, 2);
	assert_string_equal(web->planes[1], "storage");
	const weft_model_port *p = weft_model_find_port(web, 0);
	assert_int_equal(p->port, 80);
	assert_int_equal(p->target_port, 8080);
	const weft_model_endpoints *all =
	        weft_model_endpoints_on(weft_model_find_subset(p, NULL), NULL);
	assert_int_equal(all->count, 2);
	assert_true(all->weighted);
	assert_int_equal(all->weight_sum, 4);
	assert_int_equal(all->items[0].port, 8080);
	const weft_model_endpoints *st =
	        weft_model_endpoints_on(weft_model_find_subset(p, "v1"), "storage");
	assert_int_equal(st->count, 1);
	assert_string_equal(st->items[0].address, "192.168.0.1");
	assert_int_equal(st->items[0].weight, 3);
	/* An endpoint without an address on the plane keeps its default. */
	const weft_model_endpoints *st2 =
	        weft_model_endpoints_on(weft_model_find_subset(p, "v2"), "storage");
	assert_string_equal(st2->items[0].address, "10.0.0.2");
	/* A plane nobody names: the default addresses. */
	const weft_model_endpoints *other =
	        weft_model_endpoints_on(weft_model_find_subset(p, NULL), "nope");
	assert_string_equal(other->items[0].address, "10.0.0.1");
	assert_null(weft_model_find_subset(p, "v3"));
	weft_snapshot_unref(s);
}

static void test_policies_in_effect(void **state)
{
	(void)state;
	weft_snapshot *s = wtp_compile_yaml("m.yaml", POLICY, 1);
	const weft_model *m = weft_snapshot_model(s);
	const weft_model_port *p =
	        weft_model_find_port(weft_model_find_service(m, "shop", "web"), 80);
	/* The subset's TrafficPolicy: v2 only, not the whole service, not v1. */
	assert_null(weft_model_find_subset(p, NULL)->policies.traffic_policy);
	assert_null(weft_model_find_subset(p, "v1")->policies.traffic_policy);
	assert_string_equal(weft_model_find_subset(p, "v2")->policies.traffic_policy->name,
	                    "v2-only");
	/* Namespace-wide AccessPolicy applies to every service of shop. */
	assert_string_equal(weft_model_find_subset(p, "v1")->policies.access_policy->name, "ns");
	assert_null(weft_model_find_subset(p, NULL)->policies.rate_limit);
	const weft_model_route *r = weft_model_find_route(m, "shop", "split");
	assert_non_null(r);
	assert_string_equal(r->policies.rate_limit->name, "rl");
	assert_int_equal(r->n_http, 2);
	assert_int_equal(r->http[0].dests[0].weight, 80);
	assert_int_equal(r->http[0].dests[1].weight, 20);
	assert_string_equal(r->http[0].dests[1].subset->name, "v2");
	assert_int_equal(r->http[1].dests[0].weight, 100);
	assert_null(r->http[1].dests[0].subset->name);
	assert_int_equal(weft_model_destination_port(&r->http[1].dests[0], 0), 80);
	weft_snapshot_unref(s);
}

static const weft_endpoint REG[] = {{.address = "10.9.9.9", .weight = 7}};

static const weft_endpoint *lookup(void *arg, const weft_resource *svc, size_t *n)
{
	(void)arg;
	if (strcmp(svc->name, "reg"))
		return NULL;
	*n = 1;
	return REG;
}

static void test_endpoint_table(void **state)
{
	(void)state;
	weft_snapshot *s = wtp_compile_yaml(
	        "m.yaml",
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: reg}\n"
	        "spec: {ports: [{name: http, port: 80}], registry: {type: consul}}\n",
	        1);
	assert_non_null(s);
	const weft_policyset *ps = weft_snapshot_policy(s);
	weft_endpoint_table t = {lookup, NULL};
	weft_err err = {0};
	weft_model *m = weft_model_compile(weft_policyset_items(ps), weft_policyset_count(ps), &t,
	                                   NULL, &err);
	assert_non_null(m);
	const weft_model_endpoints *e = weft_model_endpoints_on(
	        weft_model_find_subset(
	                weft_model_find_port(weft_model_find_service(m, "default", "reg"), 0),
	                NULL),
	        NULL);
	assert_int_equal(e->count, 1);
	assert_string_equal(e->items[0].address, "10.9.9.9");
	assert_int_equal(e->items[0].weight, 7);
	assert_null(e->items[0].source);
	weft_model_free(m);
	/* Without the table: the (empty) static endpoints. */
	const weft_model_endpoints *e0 = weft_model_endpoints_on(
	        weft_model_find_subset(
	                weft_model_find_port(
	                        weft_model_find_service(weft_snapshot_model(s), "default", "reg"),
	                        0),
	                NULL),
	        NULL);
	assert_int_equal(e0->count, 0);
	weft_snapshot_unref(s);
}

static void test_slice_hash(void **state)
{
	(void)state;
	weft_snapshot *a = wtp_compile_yaml("m.yaml", POLICY, 1);
	weft_snapshot *b = wtp_compile_yaml("m.yaml", POLICY, 2);
	char other[8192];
	snprintf(other, sizeof(other), "%s", POLICY);
	char *w = strstr(other, "weight: 3");
	w[8] = '5';
	weft_snapshot *c = wtp_compile_yaml("m.yaml", other, 3);
	const weft_model_slice *sa = weft_snapshot_slice(a, "shop", "d");
	const weft_model_slice *sb = weft_snapshot_slice(b, "shop", "d");
	const weft_model_slice *sc = weft_snapshot_slice(c, "shop", "d");
	assert_non_null(sa);
	assert_int_equal(sa->n_services, 1);
	assert_true(sa->hash == sb->hash);
	assert_true(sa->hash != sc->hash);
	assert_null(weft_snapshot_slice(a, "shop", "nope"));
	weft_snapshot_unref(a);
	weft_snapshot_unref(b);
	weft_snapshot_unref(c);
}

/* A snapshot compiled with its predecessor shares the endpoint lists of
 * Services whose resource is the same object, and they outlive it. */
static void test_incremental_reuse(void **state)
{
	(void)state;
	weft_snapshot *a = wtp_compile_yaml("m.yaml", POLICY, 1);
	weft_err err = {0};
	weft_snapshot *b =
	        weft_snapshot_compile((weft_policyset *)weft_snapshot_policy(a), 2, a, &err);
	assert_non_null(b);
	const weft_model_subset *sa = weft_model_find_subset(
	        weft_model_find_port(weft_model_find_service(weft_snapshot_model(a), "shop", "web"),
	                             0),
	        "v1");
	const weft_model_subset *sb = weft_model_find_subset(
	        weft_model_find_port(weft_model_find_service(weft_snapshot_model(b), "shop", "web"),
	                             0),
	        "v1");
	assert_ptr_equal(sa->planes, sb->planes);
	assert_ptr_not_equal(sa, sb); /* policies are resolved per model */
	weft_snapshot_unref(a);
	assert_string_equal(weft_model_endpoints_on(sb, "storage")->items[0].address,
	                    "192.168.0.1");
	weft_snapshot_unref(b);
}

/* Plans carry warnings (JSON), and a strict Device refuses them. */
static void test_plan_warnings_and_strict(void **state)
{
	(void)state;
	weft_snapshot *s =
	        wtp_compile_yaml("d.yaml",
	                         "apiVersion: weft/v1\nkind: Device\nmetadata: {name: lax}\n"
	                         "spec: {type: file, options: {directory: a}}\n"
	                         "---\n"
	                         "apiVersion: weft/v1\nkind: Device\nmetadata: {name: strict}\n"
	                         "spec: {type: file, strict: true, options: {directory: b}}\n",
	                         1);
	assert_non_null(s);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	assert_int_equal(n, 2);
	const weft_resource *lax = devs[0], *strict = devs[1];
	assert_string_equal(strict->name, "strict");
	weft_plan plan;
	weft_plan_init(&plan, "default/strict", "file", 1);
	weft_err err = {0};
	assert_int_equal(weft_plan_check_strict(strict, &plan, &err), 0);
	weft_pos pos = {7, 3};
	assert_int_equal(weft_warn(&plan.warnings, strict, pos, "spec.tiers", "left out: %s", "x"),
	                 0);
	assert_int_equal(weft_plan_check_strict(lax, &plan, &err), 0);
	assert_int_equal(weft_plan_check_strict(strict, &plan, &err), -1);
	assert_non_null(
	        strstr(err.msg, "d.yaml:7: Device default/strict: spec.tiers: left out: x"));
	json_t *j = weft_plan_to_json(&plan);
	json_t *w = json_array_get(json_object_get(j, "warnings"), 0);
	assert_string_equal(json_string_value(json_object_get(w, "field")), "spec.tiers");
	assert_int_equal(json_integer_value(json_object_get(w, "line")), 7);
	json_decref(j);
	weft_plan_free(&plan);
	weft_snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_endpoints_per_subset_and_plane),
	        cmocka_unit_test(test_policies_in_effect),
	        cmocka_unit_test(test_endpoint_table),
	        cmocka_unit_test(test_slice_hash),
	        cmocka_unit_test(test_plan_warnings_and_strict),
	        cmocka_unit_test(test_incremental_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
