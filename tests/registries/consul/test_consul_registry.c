/* The Consul registry backend against consulsim through a real controller
 * (the file adapter as the Device): registered instances reach the
 * snapshot every adapter renders from and make the Device push, critical
 * and deregistered ones leave; 500s, an index reset and a consulsim
 * restart on its --state lose no endpoint and resync; ACL tokens; at most
 * 8 connections with 50 watched Services (docs/registries.md, "Consul"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "controller.h"
#include "cst.h"
#include "model.h"
#include "registry.h"
#include "registry_builtin.h"
#include "snapshot.h"
#include "testsupport.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

struct fx {
	struct cst sim;
	char *dir;
	weft_controller *c;
};

static weft_controller *open_ctl(const char *dir)
{
	char st[4096];
	snprintf(st, sizeof(st), "%s/state", dir);
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", dir);
	weft_controller_opts o = {
	        .state_dir = st, .quiet_ms = 20, .max_delay_ms = 200, .adapter_config = cfg};
	weft_err err = {0};
	weft_controller *c = weft_controller_open(&o, &err);
	json_decref(cfg);
	if (!c)
		fprintf(stderr, "controller: %s\n", err.msg);
	return c;
}

static void apply(weft_controller *c, const char *text)
{
	weft_docset docs;
	weft_docset_init(&docs);
	weft_diags diags;
	weft_diags_init(&diags);
	weft_write_result res;
	weft_err err = {0};
	assert_int_equal(weft_docset_parse(&docs, "p.yaml", text, strlen(text), &diags), 0);
	int rc = weft_controller_apply(c, &docs, WEFT_APPLY_MERGE, "t", -1, 0, &res, &diags, &err);
	if (rc)
		fprintf(stderr, "apply: %s\n", err.msg);
	assert_int_equal(rc, 0);
	json_decref(res.changes);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
}

/* Endpoints of Service NAME in the intent (subset/plane NULL: whole/default);
 * writes the first address into first (may be NULL). */
static long count_eps(weft_controller *c, const char *name, const char *subset, const char *plane,
                      char *first, size_t cap)
{
	weft_snapshot *s = weft_controller_intent(c);
	if (!s)
		return -1;
	/* each step may be NULL while the Service is not compiled yet */
	const weft_model_service *svc =
	        weft_model_find_service(weft_snapshot_model(s), "default", name);
	const weft_model_port *port = svc ? weft_model_find_port(svc, 0) : NULL;
	const weft_model_subset *sub = port ? weft_model_find_subset(port, subset) : NULL;
	const weft_model_endpoints *e = sub ? weft_model_endpoints_on(sub, plane) : NULL;
	long n = e ? (long)e->count : 0;
	if (first && cap)
		snprintf(first, cap, "%s:%d", n ? e->items[0].address : "",
		         n ? e->items[0].port : 0);
	weft_snapshot_unref(s);
	return n;
}

static long wait_count(weft_controller *c, const char *name, long want)
{
	long n = -1;
	for (long long end = ts_now_ms() + 10000; ts_now_ms() < end; sleep_ms(10))
		if ((n = count_eps(c, name, NULL, NULL, NULL, 0)) == want)
			break;
	return n;
}

/* The Registry's status entry (new reference). */
static json_t *reg_status(weft_controller *c, const char *name)
{
	json_t *st = weft_controller_status(c), *r, *out = NULL;
	size_t i;
	json_array_foreach(json_object_get(st, "registries"), i, r)
	{
		if (!strcmp(json_string_value(json_object_get(r, "name")), name))
			out = json_incref(r);
	}
	json_decref(st);
	return out;
}

static int wait_up(weft_controller *c, const char *name, int up)
{
	for (long long end = ts_now_ms() + 10000; ts_now_ms() < end; sleep_ms(10)) {
		json_t *r = reg_status(c, name);
		int is = json_is_true(json_object_get(r, "up"));
		json_decref(r);
		if (is == up)
			return 1;
	}
	return 0;
}

/* Waits until the Registry is down with an error containing what. */
static int wait_error(weft_controller *c, const char *name, const char *what)
{
	for (long long end = ts_now_ms() + 10000; ts_now_ms() < end; sleep_ms(10)) {
		json_t *r = reg_status(c, name);
		const char *e = json_string_value(json_object_get(r, "error"));
		int hit = !json_is_true(json_object_get(r, "up")) && e && strstr(e, what);
		json_decref(r);
		if (hit)
			return 1;
	}
	return 0;
}

static long sim_post(struct fx *f, const char *path, const char *body)
{
	return cst_status(&f->sim, "POST", path, body);
}

/* dead: a port nothing listens on, tried first (failover), or 0 */
static char *policy(int port, int dead, const char *reg_extra, int services)
{
	size_t cap = 4096 + (size_t)services * 256;
	char *p = malloc(cap), deadaddr[64] = "";
	if (dead)
		snprintf(deadaddr, sizeof(deadaddr), "'127.0.0.1:%d', ", dead);
	int l = snprintf(p, cap,
	                 "apiVersion: weft/v1\nkind: Registry\nmetadata: {name: c}\n"
	                 "spec: {type: consul, addresses: [%s'127.0.0.1:%d'], datacenter: dc1,"
	                 " planes: {wan: backbone}%s}\n---\n"
	                 "apiVersion: weft/v1\nkind: Device\nmetadata: {name: edge}\n"
	                 "spec: {type: file, options: {directory: out}}\n",
	                 deadaddr, port, reg_extra ? reg_extra : "");
	for (int i = 0; i < services; i++)
		l += snprintf(p + l, cap - (size_t)l,
		              "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: s%d}\n"
		              "spec: {ports: [{name: http, port: 80}], registry: {registry: c},"
		              " subsets: [{name: v2, labels: {version: v2}}]}\n",
		              i);
	return p;
}

static void fx_up(struct fx *f, const char *const *sim_args, const char *reg_extra, int n)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(cst_start(&f->sim, sim_args), 0);
	f->dir = ts_mkdtemp("weft-consul");
	f->c = open_ctl(f->dir);
	assert_non_null(f->c);
	char *p = policy(f->sim.port, 0, reg_extra, n);
	apply(f->c, p);
	free(p);
}

static void fx_down(struct fx *f)
{
	if (f->c)
		weft_controller_close(f->c);
	cst_stop(&f->sim, 0);
	ts_rmtree(f->dir);
	free(f->dir);
}

static long long edge_push_ms(weft_controller *c)
{
	json_t *st = weft_controller_status(c);
	json_t *d = json_array_get(json_object_get(st, "devices"), 0);
	long long t = json_integer_value(json_object_get(d, "last_push_ms"));
	json_decref(st);
	return t;
}

static void test_reach_and_leave(void **state)
{
	(void)state;
	struct fx f;
	fx_up(&f, NULL, NULL, 1);
	assert_int_equal(wait_count(f.c, "s0", 0), 0);
	assert_true(wait_up(f.c, "c", 1));
	long long t0 = 0;
	for (long long end = ts_now_ms() + 10000; !t0 && ts_now_ms() < end; sleep_ms(10))
		t0 = edge_push_ms(f.c);
	/* node address 10.0.0.X stands in for the empty Service.Address */
	assert_int_equal(cst_register(&f.sim, "a", "s0", 8080, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 1), 1);
	char first[64];
	count_eps(f.c, "s0", NULL, NULL, first, sizeof(first));
	assert_string_equal(first, "10.0.0.81:8080");
	long long t1 = t0;
	for (long long end = ts_now_ms() + 10000; t1 == t0 && ts_now_ms() < end; sleep_ms(10))
		t1 = edge_push_ms(f.c);
	assert_true(t1 > t0); /* the Device pushed the new endpoints */

	/* Meta and key=value tags as labels (subset v2), a tagged address on a plane */
	const char *b = "{\"Node\":\"b\",\"Address\":\"10.0.1.1\",\"Service\":{\"ID\":\"s0-b\","
	                "\"Service\":\"s0\",\"Address\":\"10.1.1.9\",\"Port\":9090,"
	                "\"Tags\":[\"zone=z1\"],\"Meta\":{\"version\":\"v2\"},"
	                "\"TaggedAddresses\":{\"wan\":{\"Address\":\"172.20.0.9\",\"Port\":9090}}},"
	                "\"Check\":{\"CheckID\":\"cb\",\"Name\":\"c\",\"Status\":\"passing\","
	                "\"ServiceID\":\"s0-b\"}}";
	assert_int_equal(cst_status(&f.sim, "PUT", "/v1/catalog/register", b), 200);
	assert_int_equal(wait_count(f.c, "s0", 2), 2);
	assert_int_equal(count_eps(f.c, "s0", "v2", NULL, first, sizeof(first)), 1);
	assert_string_equal(first, "10.1.1.9:9090");
	assert_int_equal(count_eps(f.c, "s0", "v2", "backbone", first, sizeof(first)), 1);
	assert_string_equal(first, "172.20.0.9:9090");
	/* tags: an instance must carry every one */
	apply(f.c, "apiVersion: weft/v1\nkind: Service\nmetadata: {name: tagged}\n"
	           "spec: {ports: [{name: http, port: 80}],"
	           " registry: {registry: c, service: s0, tags: [zone=z1]}}\n");
	assert_int_equal(wait_count(f.c, "tagged", 1), 1);
	count_eps(f.c, "tagged", NULL, NULL, first, sizeof(first));
	assert_string_equal(first, "10.1.1.9:9090");
	assert_int_equal(wait_count(f.c, "s0", 2), 2);

	/* critical leaves (passingOnly), deregistered leaves */
	assert_int_equal(cst_register(&f.sim, "a", "s0", 8080, "critical", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 1), 1);
	assert_int_equal(cst_status(&f.sim, "PUT", "/v1/catalog/deregister",
	                            "{\"Node\":\"b\",\"ServiceID\":\"s0-b\"}"),
	                 200);
	assert_int_equal(wait_count(f.c, "s0", 0), 0);
	json_t *r = reg_status(f.c, "c");
	assert_true(json_is_true(json_object_get(r, "up")));
	json_decref(r);
	fx_down(&f);
}

static void test_faults_keep_endpoints(void **state)
{
	(void)state;
	struct fx f;
	fx_up(&f, NULL, NULL, 1);
	assert_int_equal(cst_register(&f.sim, "a", "s0", 8080, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 1), 1);

	/* 500 "No cluster leader": down, endpoint kept; then up and resynced */
	assert_int_equal(sim_post(&f, "/sim/no-leader", "{\"on\":true}"), 200);
	assert_int_equal(sim_post(&f, "/sim/drop", "{\"pending\":true}"), 200);
	assert_true(wait_error(f.c, "c", "HTTP 500: No cluster leader"));
	assert_int_equal(count_eps(f.c, "s0", NULL, NULL, NULL, 0), 1);
	assert_int_equal(sim_post(&f, "/sim/no-leader", "{\"on\":false}"), 200);
	assert_true(wait_up(f.c, "c", 1));
	assert_int_equal(cst_register(&f.sim, "b", "s0", 8081, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 2), 2);

	/* index reset (snapshot restore): the index goes backwards, read again */
	/* while the watch's query is pending, as a restore under a blocked client */
	int pending = 0;
	for (long long end = ts_now_ms() + 10000; !pending && ts_now_ms() < end; sleep_ms(10)) {
		struct csr c = cst_do(&f.sim, "GET", "/sim/counters", NULL, NULL);
		pending = json_integer_value(json_object_get(c.json, "blockingPending")) >= 1;
		csr_free(&c);
	}
	assert_true(pending);
	assert_int_equal(sim_post(&f, "/sim/index-reset", "{}"), 200);
	assert_int_equal(cst_register(&f.sim, "c", "s0", 8082, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 3), 3);
	json_t *r = reg_status(f.c, "c");
	assert_true(json_integer_value(json_object_get(r, "watchRestarts")) >= 1);
	json_decref(r);
	fx_down(&f);
}

/* consulsim again on the same port and state file */
static void sim_restart(struct fx *f, const char *state)
{
	char bin[1024], listen[64], log[1200];
	snprintf(bin, sizeof(bin), "%s/consulsim", ts_bin_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->sim.port);
	snprintf(log, sizeof(log), "%s/consulsim2.log", f->sim.dir);
	const char *argv[] = {bin, "--listen", listen, "--state", state, NULL};
	f->sim.pid = ts_spawn(argv, log);
	assert_true(f->sim.pid > 0);
	int ready = 0;
	for (long long end = ts_now_ms() + 10000; !ready && ts_now_ms() < end; sleep_ms(20)) {
		char *t = ts_read_file(log, NULL);
		ready = t && strstr(t, "consulsim: ready");
		free(t);
	}
	assert_true(ready);
}

static void test_restart_resyncs(void **state)
{
	(void)state;
	struct fx f;
	char st[4096];
	char *sdir = ts_mkdtemp("consulsim-state");
	snprintf(st, sizeof(st), "%s/state.json", sdir);
	const char *args[] = {"--state", st, NULL};
	fx_up(&f, args, NULL, 1);
	assert_int_equal(cst_register(&f.sim, "a", "s0", 8080, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 1), 1);
	assert_int_equal(WEXITSTATUS(ts_stop(f.sim.pid, 5000)), 0);
	f.sim.pid = 0;
	assert_true(wait_error(f.c, "c", "consul 127.0.0.1:"));
	assert_int_equal(count_eps(f.c, "s0", NULL, NULL, NULL, 0), 1); /* kept */
	sim_restart(&f, st);
	assert_true(wait_up(f.c, "c", 1));
	assert_int_equal(count_eps(f.c, "s0", NULL, NULL, NULL, 0), 1);
	assert_int_equal(cst_register(&f.sim, "b", "s0", 8081, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s0", 2), 2);
	fx_down(&f);
	ts_rmtree(sdir);
	free(sdir);
}

static void test_acl_token(void **state)
{
	(void)state;
	struct fx f;
	const char *args[] = {"--acl-token", "s3cret", NULL};
	setenv("WEFT_TEST_CONSUL_TOKEN", "wrong", 1);
	fx_up(&f, args, ", token: {env: WEFT_TEST_CONSUL_TOKEN}", 1);
	assert_int_equal(cst_register(&f.sim, "a", "s0", 8080, "passing", "X-Consul-Token: s3cret"),
	                 0);
	assert_true(wait_error(f.c, "c", "HTTP 403: ACL not found"));
	assert_int_equal(count_eps(f.c, "s0", NULL, NULL, NULL, 0), 0);
	weft_controller_close(f.c);

	/* the right token, from a file */
	char tf[4096];
	snprintf(tf, sizeof(tf), "%s/token", f.dir);
	assert_int_equal(ts_write_file(tf, "s3cret\n"), 0);
	ts_rmtree(f.dir);
	free(f.dir);
	f.dir = ts_mkdtemp("weft-consul");
	snprintf(tf, sizeof(tf), "%s/token", f.dir);
	assert_int_equal(ts_write_file(tf, "s3cret\n"), 0);
	f.c = open_ctl(f.dir);
	char extra[4200];
	snprintf(extra, sizeof(extra), ", token: {file: '%s'}", tf);
	char *p = policy(f.sim.port, 0, extra, 1);
	apply(f.c, p);
	free(p);
	assert_int_equal(wait_count(f.c, "s0", 1), 1);
	fx_down(&f);
}

/* passingOnly false keeps a warning instance, with its Warning weight;
 * the default (true) leaves it out: a warning check is not passing. */
static void test_warning_weight(void **state)
{
	(void)state;
	struct fx f;
	fx_up(&f, NULL, NULL, 1);
	const char *svc = "apiVersion: weft/v1\nkind: Service\nmetadata: {name: all}\n"
	                  "spec: {ports: [{name: http, port: 80}],"
	                  " registry: {registry: c, service: s0, passingOnly: false}}\n";
	apply(f.c, svc);
	const char *b = "{\"Node\":\"a\",\"Address\":\"10.0.1.1\",\"Service\":{\"ID\":\"w\","
	                "\"Service\":\"s0\",\"Port\":9090,\"Weights\":{\"Passing\":10,"
	                "\"Warning\":2}},\"Check\":{\"CheckID\":\"cw\",\"Name\":\"c\","
	                "\"Status\":\"warning\",\"ServiceID\":\"w\"}}";
	assert_int_equal(cst_status(&f.sim, "PUT", "/v1/catalog/register", b), 200);
	assert_int_equal(wait_count(f.c, "all", 1), 1);
	assert_int_equal(count_eps(f.c, "s0", NULL, NULL, NULL, 0), 0);
	weft_snapshot *s = weft_controller_intent(f.c);
	const weft_model_endpoints *e = weft_model_endpoints_on(
	        weft_model_find_subset(
	                weft_model_find_port(
	                        weft_model_find_service(weft_snapshot_model(s), "default", "all"),
	                        0),
	                NULL),
	        NULL);
	assert_int_equal(e->items[0].weight, 2);
	weft_snapshot_unref(s);
	fx_down(&f);
}

/* spec.datacenter is sent as dc=: an agent of another datacenter refuses */
static void test_datacenter(void **state)
{
	(void)state;
	struct fx f;
	const char *args[] = {"--datacenter", "dc9", NULL};
	fx_up(&f, args, NULL, 1);
	assert_true(wait_error(f.c, "c", "HTTP 500: No path to datacenter"));
	fx_down(&f);
}

static void test_failover(void **state)
{
	(void)state;
	struct fx f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(cst_start(&f.sim, NULL), 0);
	assert_int_equal(cst_register(&f.sim, "a", "s0", 8080, "passing", NULL), 0);
	f.dir = ts_mkdtemp("weft-consul");
	f.c = open_ctl(f.dir);
	assert_non_null(f.c);
	char *p = policy(f.sim.port, ts_free_port(), NULL, 1); /* the first is dead */
	apply(f.c, p);
	free(p);
	assert_int_equal(wait_count(f.c, "s0", 1), 1);
	json_t *r = reg_status(f.c, "c");
	assert_true(json_is_true(json_object_get(r, "up")));
	json_decref(r);
	fx_down(&f);
}

static void test_fifty_services_eight_conns(void **state)
{
	(void)state;
	struct fx f;
	fx_up(&f, NULL, NULL, 50);
	char name[32];
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(cst_register(&f.sim, "a", name, 8000 + i, "passing", NULL), 0);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(wait_count(f.c, name, 1), 1);
	}
	assert_int_equal(cst_register(&f.sim, "b", "s49", 9000, "passing", NULL), 0);
	assert_int_equal(wait_count(f.c, "s49", 2), 2);
	assert_int_equal(cst_status(&f.sim, "PUT", "/v1/catalog/deregister",
	                            "{\"Node\":\"a\",\"ServiceID\":\"s49-8049\"}"),
	                 200);
	assert_int_equal(wait_count(f.c, "s49", 1), 1);
	assert_int_equal(count_eps(f.c, "s0", NULL, NULL, NULL, 0), 1); /* the others stay */
	struct csr r = cst_do(&f.sim, "GET", "/sim/counters", NULL, NULL);
	json_t *conns = json_object_get(r.json, "connections");
	json_int_t open = json_integer_value(json_object_get(conns, "open"));
	json_int_t peak = json_integer_value(json_object_get(conns, "peak"));
	fprintf(stderr, "50 services: open %lld, peak %lld connections, %lld requests\n",
	        (long long)open, (long long)peak,
	        (long long)json_integer_value(json_object_get(r.json, "requests")));
	csr_free(&r);
	/* the test's own connection (one at a time) counts too: what is left
	 * open once the controller closed is not weft's */
	weft_controller_close(f.c);
	f.c = NULL;
	json_int_t left = -1;
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end; sleep_ms(20)) {
		r = cst_do(&f.sim, "GET", "/sim/counters", NULL, NULL);
		left = json_integer_value(
		        json_object_get(json_object_get(r.json, "connections"), "open"));
		csr_free(&r);
		if (left <= 1)
			break;
	}
	fprintf(stderr, "after close: %lld open\n", (long long)left);
	assert_true(left >= 1);
	assert_true(open - left <= 8);
	assert_true(peak <= 8 + left);
	fx_down(&f);
}

int main(void)
{
	weft_err err = {0};
	if (weft_register_builtin_adapters(&err) || weft_register_builtin_registries(&err) ||
	    !weft_registry_backend_find("consul"))
		return 1;
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reach_and_leave),
	        cmocka_unit_test(test_faults_keep_endpoints),
	        cmocka_unit_test(test_restart_resyncs),
	        cmocka_unit_test(test_acl_token),
	        cmocka_unit_test(test_failover),
	        cmocka_unit_test(test_datacenter),
	        cmocka_unit_test(test_warning_weight),
	        cmocka_unit_test(test_fifty_services_eight_conns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
