/* The controller with a registry backend written for the test: a report
 * from the registry makes a new snapshot with the registry's endpoints and
 * a new endpoints generation, but no store revision; the Device's worker
 * pushes it; status and metrics show the Registry up, then stale with
 * the last endpoints kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "controller.h"
#include "model.h"
#include "registry.h"
#include "snapshot.h"
#include "testsupport.h"

/* Polling step of the bounded waits below. */
static void ts_sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static weft_registry_sink *sink; /* set by the backend's start */

static void *fake_start(const weft_resource *reg, const weft_registry_query *q, size_t n,
                        weft_registry_sink *s, weft_err *err)
{
	(void)reg;
	(void)q;
	(void)n;
	(void)err;
	sink = s;
	return &sink;
}

static void fake_stop(void *inst)
{
	(void)inst;
	sink = NULL;
}

static const weft_registry_backend fake_consul = {"consul", fake_start, fake_stop};

static const char *POLICY = "apiVersion: weft/v1\nkind: Registry\nmetadata: {name: c}\n"
                            "spec: {type: consul, addresses: ['127.0.0.1:8500']}\n---\n"
                            "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
                            "spec: {ports: [{name: http, port: 80}], registry: {registry: c}}\n"
                            "---\n"
                            "apiVersion: weft/v1\nkind: Device\nmetadata: {name: edge}\n"
                            "spec: {type: file, options: {directory: out}}\n";

static size_t intent_endpoints(weft_controller *c, uint64_t *gen)
{
	weft_snapshot *s = weft_controller_intent(c);
	if (!s)
		return 0;
	*gen = weft_snapshot_endpoints_generation(s);
	const weft_model_endpoints *e = weft_model_endpoints_on(
	        weft_model_find_subset(
	                weft_model_find_port(
	                        weft_model_find_service(weft_snapshot_model(s), "default", "web"),
	                        0),
	                NULL),
	        NULL);
	size_t n = e ? e->count : 0;
	weft_snapshot_unref(s);
	return n;
}

static json_t *edge_status(weft_controller *c, json_t **regs)
{
	json_t *st = weft_controller_status(c);
	json_t *d = json_incref(json_array_get(json_object_get(st, "devices"), 0));
	*regs = json_incref(json_array_get(json_object_get(st, "registries"), 0));
	json_decref(st);
	return d;
}

static void test_controller_registry(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-reg");
	char st_dir[4096];
	snprintf(st_dir, sizeof(st_dir), "%s/state", dir);
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", dir);
	weft_controller_opts opts = {
	        .state_dir = st_dir, .quiet_ms = 20, .max_delay_ms = 200, .adapter_config = cfg};
	weft_err err = {0};
	weft_controller *c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	assert_non_null(c);
	weft_docset docs;
	weft_docset_init(&docs);
	weft_diags diags;
	weft_diags_init(&diags);
	weft_write_result res;
	assert_int_equal(weft_docset_parse(&docs, "p.yaml", POLICY, strlen(POLICY), &diags), 0);
	assert_int_equal(
	        weft_controller_apply(c, &docs, WEFT_APPLY_MERGE, "t", -1, 0, &res, &diags, &err),
	        0);
	json_decref(res.changes);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	long long end = ts_now_ms() + 5000;
	while (!sink && ts_now_ms() < end)
		ts_sleep_ms(5);
	assert_non_null(sink);
	int64_t rev = weft_controller_head(c);
	uint64_t gen = 0;
	json_t *regs = NULL, *d = NULL;
	for (;; ts_sleep_ms(5)) { /* the device pushed the revision */
		json_decref(d);
		json_decref(regs);
		d = edge_status(c, &regs);
		if (json_integer_value(json_object_get(d, "revision")) == rev || ts_now_ms() > end)
			break;
	}
	assert_int_equal(json_integer_value(json_object_get(d, "revision")), rev);
	assert_int_equal(intent_endpoints(c, &gen), 0);
	long long pushed = json_integer_value(json_object_get(d, "last_push_ms"));
	json_decref(d);
	json_decref(regs);

	weft_endpoint ep = {.address = "10.0.0.1", .port = 8080};
	weft_registry_sink_endpoints(sink, 0, &ep, 1);
	end = ts_now_ms() + 5000;
	while (intent_endpoints(c, &gen) != 1 && ts_now_ms() < end)
		ts_sleep_ms(5);
	assert_int_equal(intent_endpoints(c, &gen), 1);
	assert_int_equal(gen, 1);
	assert_int_equal(weft_controller_head(c), rev); /* an observation: no revision */
	/* The device's worker reaches the new snapshot (same revision). */
	for (;;) {
		d = edge_status(c, &regs);
		long long t = json_integer_value(json_object_get(d, "last_push_ms"));
		int pending = !strcmp(json_string_value(json_object_get(d, "state")), "pending");
		json_decref(d);
		if ((t > pushed && !pending) || ts_now_ms() > end)
			break;
		json_decref(regs);
		ts_sleep_ms(5);
	}
	assert_true(json_is_true(json_object_get(regs, "up")));
	json_decref(regs);
	d = edge_status(c, &regs);
	assert_true(json_integer_value(json_object_get(d, "last_push_ms")) > pushed);
	json_decref(d);
	json_decref(regs);
	char *m = weft_controller_metrics(c);
	assert_non_null(strstr(m, "weft_registry_up{registry=\"default/c\"} 1\n"));
	assert_non_null(strstr(m, "weft_endpoints_generation 1\n"));
	free(m);

	/* Down: stale, the endpoint stays. */
	weft_registry_sink_down(sink, "connection refused");
	d = edge_status(c, &regs);
	assert_false(json_is_true(json_object_get(regs, "up")));
	assert_string_equal(json_string_value(json_object_get(regs, "error")),
	                    "connection refused");
	json_decref(d);
	json_decref(regs);
	assert_int_equal(intent_endpoints(c, &gen), 1);
	m = weft_controller_metrics(c);
	assert_non_null(strstr(m, "weft_registry_up{registry=\"default/c\"} 0\n"));
	free(m);

	weft_controller_close(c);
	assert_null(sink); /* the watch stopped with the controller */
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	if (weft_registry_backend_register(&fake_consul))
		return 1;
	weft_err err = {0};
	if (weft_register_builtin_adapters(&err))
		return 1;
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_controller_registry)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
