/* The etcd registry backend against a real etcd (started here on free
 * loopback ports, stopped by its pid) through a real controller: a put
 * under the Service's prefix becomes an endpoint of the compiled model
 * (a new endpoints generation, no store revision) and the Device's worker
 * pushes it; a delete and a lease expiry remove it; an etcd restart makes
 * the watch start over (the last endpoints kept while etcd is down, the
 * registry reported down); a bad value is skipped and counted. docs/registries.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "controller.h"
#include "model.h"
#include "registry.h"
#include "registry_builtin.h"
#include "snapshot.h"
#include "testsupport.h"

static char *dir;
static int client_port, peer_port;
static pid_t etcd_pid;

static void ts_sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static pid_t start_etcd(void)
{
	char data[4096], log[4096], curl[64], purl[64], cluster[128];
	snprintf(data, sizeof(data), "%s/etcd-data", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	snprintf(curl, sizeof(curl), "http://127.0.0.1:%d", client_port);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", peer_port);
	snprintf(cluster, sizeof(cluster), "r=%s", purl);
	const char *argv[] = {"/usr/bin/etcd",
	                      "--name",
	                      "r",
	                      "--data-dir",
	                      data,
	                      "--listen-client-urls",
	                      curl,
	                      "--advertise-client-urls",
	                      curl,
	                      "--listen-peer-urls",
	                      purl,
	                      "--initial-advertise-peer-urls",
	                      purl,
	                      "--initial-cluster",
	                      cluster,
	                      "--log-level",
	                      "warn",
	                      NULL};
	pid_t pid = ts_spawn(argv, log);
	assert_true(pid > 0);
	assert_int_equal(ts_wait_port(client_port, pid, 20000), 0);
	return pid;
}

/* etcdctl ARGS... against the test's etcd; its output (malloc'd). */
static char *ctl(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char ep[64];
	snprintf(ep, sizeof(ep), "--endpoints=http://127.0.0.1:%d", client_port);
	const char *argv[] = {"/usr/bin/etcdctl", ep, a1, a2, a3, a4, NULL};
	char *out = NULL;
	int rc = ts_run(argv, &out, 10000);
	if (rc)
		fail_msg("etcdctl %s %s: %s", a1, a2 ? a2 : "", out ? out : "");
	return out;
}

static void ctl0(const char *a1, const char *a2, const char *a3, const char *a4)
{
	free(ctl(a1, a2, a3, a4));
}

static const char *POLICY_FMT =
        "apiVersion: weft/v1\nkind: Registry\nmetadata: {name: e}\n"
        "spec: {type: etcd, addresses: ['127.0.0.1:%d']}\n---\n"
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {ports: [{name: http, port: 80}], registry: {registry: e, key: /svc/web/}}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: edge}\n"
        "spec: {type: file, options: {directory: out}}\n";

/* The endpoints of web in the controller's intent: "ADDR:PORT,..." */
static void intent(weft_controller *c, char *out, size_t len, uint64_t *gen)
{
	out[0] = 0;
	weft_snapshot *s = weft_controller_intent(c);
	if (!s)
		return;
	if (gen)
		*gen = weft_snapshot_endpoints_generation(s);
	/* Before the policy is compiled the Service is not in the model. */
	const weft_model_service *svc =
	        weft_model_find_service(weft_snapshot_model(s), "default", "web");
	const weft_model_port *port = svc ? weft_model_find_port(svc, 0) : NULL;
	const weft_model_subset *sub = port ? weft_model_find_subset(port, NULL) : NULL;
	const weft_model_endpoints *e = sub ? weft_model_endpoints_on(sub, NULL) : NULL;
	for (size_t i = 0; e && i < e->count; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s:%d", i ? "," : "",
		         e->items[i].address, e->items[i].port);
	weft_snapshot_unref(s);
}

/* Waits (bounded) until web's endpoints are want. */
static void wait_endpoints(weft_controller *c, const char *want)
{
	char got[1024];
	long long end = ts_now_ms() + 15000;
	for (;; ts_sleep_ms(20)) {
		intent(c, got, sizeof(got), NULL);
		if (!strcmp(got, want) || ts_now_ms() > end)
			break;
	}
	assert_string_equal(got, want);
}

/* The Registry's status entry (new reference). */
static json_t *reg_status(weft_controller *c)
{
	json_t *st = weft_controller_status(c);
	json_t *r = json_incref(json_array_get(json_object_get(st, "registries"), 0));
	json_decref(st);
	return r;
}

static long long reg_num(weft_controller *c, const char *field)
{
	json_t *r = reg_status(c);
	long long v = json_integer_value(json_object_get(r, field));
	json_decref(r);
	return v;
}

static int reg_up(weft_controller *c)
{
	json_t *r = reg_status(c);
	int up = json_is_true(json_object_get(r, "up"));
	json_decref(r);
	return up;
}

static void wait_up(weft_controller *c, int want)
{
	long long end = ts_now_ms() + 15000;
	while (reg_up(c) != want && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_int_equal(reg_up(c), want);
}

static weft_controller *open_controller(void)
{
	char st_dir[4096];
	snprintf(st_dir, sizeof(st_dir), "%s/state", dir);
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", dir);
	weft_controller_opts opts = {
	        .state_dir = st_dir, .quiet_ms = 20, .max_delay_ms = 200, .adapter_config = cfg};
	weft_err err = {0};
	weft_controller *c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	assert_non_null(c);
	char policy[2048];
	snprintf(policy, sizeof(policy), POLICY_FMT, client_port);
	weft_docset docs;
	weft_docset_init(&docs);
	weft_diags diags;
	weft_diags_init(&diags);
	weft_write_result res;
	assert_int_equal(weft_docset_parse(&docs, "p.yaml", policy, strlen(policy), &diags), 0);
	assert_int_equal(
	        weft_controller_apply(c, &docs, WEFT_APPLY_MERGE, "t", -1, 0, &res, &diags, &err),
	        0);
	json_decref(res.changes);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	return c;
}

/* The edge Device's last push time once it is not pending. */
static long long edge_pushed(weft_controller *c)
{
	json_t *st = weft_controller_status(c);
	json_t *d = json_array_get(json_object_get(st, "devices"), 0);
	long long t = json_integer_value(json_object_get(d, "last_push_ms"));
	if (!strcmp(json_string_value(json_object_get(d, "state")) ?: "", "pending"))
		t = -1;
	json_decref(st);
	return t;
}

static void test_etcd_registry(void **state)
{
	(void)state;
	ctl0("put", "/svc/web/a", "{\"host\": \"10.0.0.1\", \"port\": 8080}", NULL);
	weft_controller *c = open_controller();
	int64_t rev = weft_controller_head(c);
	wait_endpoints(c, "10.0.0.1:8080"); /* the initial range read */
	wait_up(c, 1);
	long long end = ts_now_ms() + 15000, pushed;
	while ((pushed = edge_pushed(c)) <= 0 && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_true(pushed > 0);

	/* Put: a new endpoint, a new generation, no store revision; pushed. */
	uint64_t g1 = 0, g2 = 0;
	char got[256];
	intent(c, got, sizeof(got), &g1);
	ctl0("put", "/svc/web/b",
	     "{\"host\": \"10.0.0.2\", \"port\": 8081, \"weight\": 3, \"labels\": {\"v\": \"2\"}}",
	     NULL);
	wait_endpoints(c, "10.0.0.1:8080,10.0.0.2:8081");
	intent(c, got, sizeof(got), &g2);
	assert_true(g2 > g1);
	assert_int_equal(weft_controller_head(c), rev);
	end = ts_now_ms() + 15000;
	while (edge_pushed(c) <= pushed && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_true(edge_pushed(c) > pushed);

	/* A key outside the prefix is not the Service's. */
	ctl0("put", "/svc/webx/a", "{\"host\": \"10.0.0.9\", \"port\": 1}", NULL);
	/* Bad value: skipped and counted, the others stay. */
	ctl0("put", "/svc/web/bad", "{\"host\": \"not-an-ip\"}", NULL);
	end = ts_now_ms() + 15000;
	while (reg_num(c, "badValues") < 1 && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_int_equal(reg_num(c, "badValues"), 1);
	wait_endpoints(c, "10.0.0.1:8080,10.0.0.2:8081");

	/* Delete. */
	ctl0("del", "/svc/web/a", NULL, NULL);
	wait_endpoints(c, "10.0.0.2:8081");

	/* Lease expiry deletes the key. */
	char *lease = ctl("lease", "grant", "2", NULL); /* "lease ID granted with TTL(2s)" */
	char id[64] = "";
	assert_int_equal(sscanf(lease, "lease %63s granted", id), 1);
	free(lease);
	char lopt[96];
	snprintf(lopt, sizeof(lopt), "--lease=%s", id);
	ctl0("put", lopt, "/svc/web/c", "{\"host\": \"10.0.0.3\", \"port\": 9000}");
	wait_endpoints(c, "10.0.0.2:8081,10.0.0.3:9000");
	wait_endpoints(c, "10.0.0.2:8081"); /* within the 15 s bound */
	/* Deletions are deletions, not values that fail to decode. */
	assert_int_equal(reg_num(c, "badValues"), 1);

	/* A compaction behind the live watch changes nothing. */
	long long restarts = reg_num(c, "watchRestarts");
	char *st = ctl("endpoint", "status", "--write-out=json", NULL);
	const char *r = strstr(st, "\"revision\":");
	assert_non_null(r);
	char crev[32];
	snprintf(crev, sizeof(crev), "%lld", atoll(r + strlen("\"revision\":")));
	free(st);
	ctl0("compaction", crev, NULL, NULL);
	ctl0("put", "/svc/web/d", "{\"host\": \"10.0.0.4\", \"port\": 9001}", NULL);
	wait_endpoints(c, "10.0.0.2:8081,10.0.0.4:9001");
	assert_int_equal(reg_num(c, "watchRestarts"), restarts);

	/* etcd restart: down with the endpoints kept, then up again. */
	assert_true(ts_stop(etcd_pid, 10000) != -1);
	wait_up(c, 0);
	wait_endpoints(c, "10.0.0.2:8081,10.0.0.4:9001");
	etcd_pid = start_etcd();
	wait_up(c, 1);
	assert_true(reg_num(c, "watchRestarts") > restarts);
	ctl0("del", "/svc/web/b", NULL, NULL);
	wait_endpoints(c, "10.0.0.4:9001");
	weft_controller_close(c);
}

static int setup(void **state)
{
	(void)state;
	if (access("/usr/bin/etcd", X_OK) || access("/usr/bin/etcdctl", X_OK)) {
		fprintf(stderr, "etcd-server / etcd-client not installed\n");
		return -1;
	}
	dir = ts_mkdtemp("weft-reg-etcd");
	client_port = ts_free_port();
	peer_port = ts_free_port();
	etcd_pid = start_etcd();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (etcd_pid > 0)
		ts_stop(etcd_pid, 10000);
	ts_rmtree(dir);
	free(dir);
	return 0;
}

int main(void)
{
	weft_err err = {0};
	if (weft_register_builtin_registries(&err) || weft_register_builtin_adapters(&err))
		return 1;
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_etcd_registry)};
	return cmocka_run_group_tests(tests, setup, teardown);
}
