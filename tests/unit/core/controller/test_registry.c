/* The registry manager with a backend written for the test (a real
 * function table that records its queries and reports through the sink as
 * a backend thread would): watches follow the policy, reports make new
 * endpoint generations that the model compiles, a registry that is down
 * keeps its endpoints, "none" is believed with a warning, a report that
 * changes nothing makes no generation, and a removed Registry's Services
 * lose their endpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "registry.h"
#include "resource.h"
#include "snapshot.h"
#include "testpolicy.h"

/* What the test backend saw; one instance at a time per type is enough. */
struct fake {
	int starts, stops;
	weft_registry_sink *sink;
	const weft_registry_query *q;
	size_t nq;
};
static struct fake consul;

static void *fake_start(const weft_resource *reg, const weft_registry_query *q, size_t n,
                        weft_registry_sink *sink, weft_err *err)
{
	(void)reg;
	(void)err;
	consul.starts++;
	consul.sink = sink;
	consul.q = q;
	consul.nq = n;
	return &consul;
}

static void fake_stop(void *inst)
{
	((struct fake *)inst)->stops++;
	((struct fake *)inst)->sink = NULL;
}

static const weft_registry_backend fake_consul = {"consul", fake_start, fake_stop};

struct observer {
	int notified;
	char last_event[64];
	int events;
};

static void on_notify(void *arg)
{
	((struct observer *)arg)->notified++;
}

static void on_event(void *arg, const char *type, json_t *detail)
{
	struct observer *o = arg;
	snprintf(o->last_event, sizeof(o->last_event), "%s", type);
	o->events++;
	json_decref(detail);
}

#define REGS                                                                                       \
	"apiVersion: weft/v1\nkind: Registry\nmetadata: {name: c}\n"                               \
	"spec: {type: consul, addresses: ['127.0.0.1:8500'], planes: {wan: backbone}}\n---\n"      \
	"apiVersion: weft/v1\nkind: Registry\nmetadata: {name: e}\n"                               \
	"spec: {type: etcd, addresses: ['127.0.0.1:2379']}\n---\n"
#define WEB                                                                                        \
	"apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"                              \
	"spec: {ports: [{name: http, port: 80}], registry: {registry: c, service: web-v2, "        \
	"tags: [prod]}}\n---\n"
#define INV                                                                                        \
	"apiVersion: weft/v1\nkind: Service\nmetadata: {name: inv}\n"                              \
	"spec: {ports: [{name: http, port: 8080}], registry: {registry: e, key: /inv}}\n"

/* The last model and status the helpers made (freed by the next call). */
static weft_model *g_model;
static json_t *g_status;

static const weft_model_endpoints *model_eps(const weft_snapshot *s, const weft_endpoint_set *set,
                                             const char *svc)
{
	const weft_policyset *ps = weft_snapshot_policy(s);
	weft_endpoint_table t = weft_endpoint_set_table(set);
	weft_err err = {0};
	weft_model_free(g_model);
	weft_model *m = g_model = weft_model_compile(weft_policyset_items(ps),
	                                             weft_policyset_count(ps), &t, NULL, &err);
	assert_non_null(m);
	return weft_model_endpoints_on(
	        weft_model_find_subset(
	                weft_model_find_port(weft_model_find_service(m, "default", svc), 0), NULL),
	        NULL);
}

static json_t *registry_status(weft_registry_manager *m, const char *name)
{
	json_decref(g_status);
	json_t *st = g_status = weft_registry_manager_status(m);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(st, "registries"), i, r)
	{
		if (!strcmp(json_string_value(json_object_get(r, "name")), name))
			return r;
	}
	fail_msg("no status of registry %s", name);
	return NULL;
}

static void test_manager(void **state)
{
	(void)state;
	struct observer ob = {0};
	weft_snapshot *s = wtp_compile_yaml("r.yaml", REGS WEB INV, 1);
	assert_non_null(s);
	weft_registry_manager *m = weft_registry_manager_new(on_notify, on_event, &ob);
	weft_registry_manager_apply(m, weft_snapshot_policy(s));
	/* One watch for c, with web's query; e has no backend registered. */
	assert_int_equal(consul.starts, 1);
	assert_int_equal(consul.nq, 1);
	assert_string_equal(consul.q[0].name, "web");
	assert_string_equal(consul.q[0].service, "web-v2");
	assert_int_equal(consul.q[0].tags->count, 1);
	assert_int_equal(consul.q[0].passing_only, 1);
	assert_string_equal(weft_labels_get(consul.q[0].planes, "wan"), "backbone");
	json_t *e = registry_status(m, "e");
	assert_false(json_boolean_value(json_object_get(e, "up")));
	assert_non_null(strstr(json_string_value(json_object_get(e, "error")),
	                       "no registry backend for type etcd"));

	/* Two instances: generation 1, notified, the model has them. */
	weft_endpoint ep[2] = {{.address = "10.0.0.1", .port = 8080, .weight = 3},
	                       {.address = "10.0.0.2", .port = 8080}};
	weft_registry_sink_endpoints(consul.sink, 0, ep, 2);
	assert_int_equal(ob.notified, 1);
	weft_endpoint_set *set = weft_registry_manager_endpoints(m);
	assert_int_equal(weft_endpoint_set_generation(set), 1);
	const weft_model_endpoints *me = model_eps(s, set, "web");
	assert_int_equal(me->count, 2);
	assert_string_equal(me->items[0].address, "10.0.0.1");
	assert_int_equal(me->items[0].weight, 3);
	assert_true(json_boolean_value(json_object_get(registry_status(m, "c"), "up")));

	/* The same report (a blocking query that timed out): nothing new. */
	weft_registry_sink_endpoints(consul.sink, 0, ep, 2);
	assert_int_equal(ob.notified, 1);

	/* Down: stale, the last endpoints kept. */
	weft_registry_sink_down(consul.sink, "connection refused");
	assert_string_equal(ob.last_event, "registry-down");
	json_t *c = registry_status(m, "c");
	assert_false(json_boolean_value(json_object_get(c, "up")));
	assert_true(json_integer_value(json_object_get(c, "staleSince")) > 0);
	assert_string_equal(json_string_value(json_object_get(c, "error")), "connection refused");
	weft_endpoint_set *set2 = weft_registry_manager_endpoints(m);
	assert_int_equal(weft_endpoint_set_generation(set2), 1);
	weft_endpoint_set_unref(set2);
	/* The snapshot's set stays valid whatever comes next. */
	weft_registry_sink_endpoints(consul.sink, 0, NULL, 0);
	assert_int_equal(ob.notified, 2);
	assert_int_equal(model_eps(s, set, "web")->count, 2);
	weft_endpoint_set_unref(set);

	/* Zero believed, with a warning. */
	set = weft_registry_manager_endpoints(m);
	assert_int_equal(weft_endpoint_set_generation(set), 2);
	assert_int_equal(model_eps(s, set, "web")->count, 0);
	weft_endpoint_set_unref(set);
	c = registry_status(m, "c");
	assert_true(json_boolean_value(json_object_get(c, "up")));
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(c, "warnings"), 0)),
	                       "no passing instance"));
	weft_registry_sink_restart(consul.sink, "index went backwards");
	weft_registry_sink_bad_value(consul.sink, "/inv/x", "not JSON");
	c = registry_status(m, "c");
	assert_int_equal(json_integer_value(json_object_get(c, "watchRestarts")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "badValues")), 1);

	/* The same policy again: the watch keeps running. */
	weft_registry_manager_apply(m, weft_snapshot_policy(s));
	assert_int_equal(consul.starts, 1);
	assert_int_equal(consul.stops, 0);

	/* The Registry goes: its watch stops, web's endpoints leave. */
	weft_snapshot *s2 = wtp_compile_yaml(
	        "r.yaml",
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
	        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.1.1.1}]}\n",
	        2);
	assert_non_null(s2);
	weft_registry_manager_apply(m, weft_snapshot_policy(s2));
	assert_int_equal(consul.stops, 1);
	assert_int_equal(ob.notified, 3);
	set = weft_registry_manager_endpoints(m);
	size_t n = 9;
	assert_null(weft_endpoint_set_lookup(set, "default", "web", &n));
	assert_int_equal(n, 0);
	weft_endpoint_set_unref(set);
	json_decref(g_status);
	g_status = weft_registry_manager_status(m);
	assert_int_equal(json_array_size(json_object_get(g_status, "registries")), 0);

	weft_registry_manager_free(m);
	weft_model_free(g_model);
	json_decref(g_status);
	weft_snapshot_unref(s);
	weft_snapshot_unref(s2);
}

/* A snapshot compiled with an endpoint set renders its endpoints, shows its
 * generation, and keeps the set alive after the manager moved on. */
static void test_snapshot_endpoints(void **state)
{
	(void)state;
	weft_snapshot *s = wtp_compile_yaml("r.yaml", REGS WEB INV, 1);
	assert_non_null(s);
	weft_registry_manager *m = weft_registry_manager_new(NULL, NULL, NULL);
	weft_registry_manager_apply(m, weft_snapshot_policy(s));
	weft_endpoint ep = {
	        .address = "10.0.0.7", .port = 9000, .labels = {&(weft_label){"version", "v2"}, 1}};
	weft_registry_sink_endpoints(consul.sink, 0, &ep, 1);
	weft_endpoint_set *set = weft_registry_manager_endpoints(m);
	weft_err err = {0};
	weft_snapshot *s2 = weft_snapshot_compile_endpoints(
	        (weft_policyset *)weft_snapshot_policy(s), 1, s, set, &err);
	assert_non_null(s2);
	weft_endpoint_set_unref(set);
	weft_registry_sink_endpoints(consul.sink, 0, NULL, 0);
	weft_registry_manager_free(m); /* the set s2 holds outlives it */
	assert_int_equal(weft_snapshot_endpoints_generation(s2), 1);
	assert_int_equal(weft_snapshot_endpoints_generation(s), 0);
	assert_true(weft_snapshot_hash(s2) != weft_snapshot_hash(s));
	const weft_model_endpoints *me = weft_model_endpoints_on(
	        weft_model_find_subset(
	                weft_model_find_port(
	                        weft_model_find_service(weft_snapshot_model(s2), "default", "web"),
	                        0),
	                NULL),
	        NULL);
	assert_int_equal(me->count, 1);
	assert_string_equal(me->items[0].address, "10.0.0.7");
	assert_int_equal(me->items[0].port, 9000);
	weft_snapshot_unref(s2);
	weft_snapshot_unref(s);
}

int main(void)
{
	if (weft_registry_backend_register(&fake_consul) ||
	    !weft_registry_backend_register(&fake_consul))
		return 1; /* a type registers once */
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_manager),
	                                   cmocka_unit_test(test_snapshot_endpoints)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
