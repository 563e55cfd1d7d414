/* xdsfleet (the simulated proxy fleet) against weft's ADS server
 * (xds_testd): SotW with a share of NACKing clients, Delta, and an endpoint
 * change that must push only the affected ClusterLoadAssignment (no CDS,
 * LDS or RDS resend). Asserts on both sides: the fleet's JSON report and
 * the server's own status and metrics. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "testsupport.h"

struct env {
	char *dir;
	pid_t testd;
	char policy[512], ready[512], addr[64], state[512];
};
static struct env E;

static void write_policy(const char *path, const char *a_ip)
{
	char buf[4096];
	int n = 0;
	for (int i = 0; i < 3; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		              "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc%d, "
		              "namespace: fleet}\n"
		              "spec:\n  ports: [{name: http, port: 8080}]\n  endpoints:\n"
		              "  - {address: %s}\n  - {address: 10.9.%d.2}\n%s---\n",
		              i, i == 0 ? a_ip : (i == 1 ? "10.9.1.1" : "10.9.2.1"), i,
		              i == 1 ? "  upstreams: [svc2]\n" : "");
	/* A Device feeding the proxies whose node id starts with "dev-" with
	 * only svc0; every other proxy gets the default feed (everything). */
	snprintf(buf + n, sizeof(buf) - (size_t)n,
	         "apiVersion: weft/v1\nkind: Device\nmetadata: {name: mesh, namespace: infra}\n"
	         "spec:\n  type: xds\n  scope: {services: [fleet/svc0]}\n"
	         "  options: {nodeMatch: {idPrefix: dev-}}\n");
	assert_int_equal(ts_write_file(path, buf), 0);
}

static int setup(void **state)
{
	(void)state;
	char log[600];
	E.dir = ts_mkdtemp("xds-fleet");
	snprintf(E.policy, sizeof(E.policy), "%s/policy.yaml", E.dir);
	snprintf(E.ready, sizeof(E.ready), "%s/ready", E.dir);
	snprintf(E.state, sizeof(E.state), "%s/state", E.dir);
	snprintf(E.addr, sizeof(E.addr), "127.0.0.1:%d", ts_free_port());
	snprintf(log, sizeof(log), "%s/testd.log", E.dir);
	write_policy(E.policy, "10.9.0.1");
	const char *argv[] = {XDS_TESTD,  "--state", E.state,   "--listen", E.addr,
	                      "--policy", E.policy,  "--ready", E.ready,    NULL};
	E.testd = ts_spawn(argv, log);
	assert_true(E.testd > 0);
	assert_int_equal(ts_wait_path(E.ready, E.testd, 15000), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ts_stop(E.testd, 5000);
	ts_rmtree(E.dir);
	free(E.dir);
	return 0;
}

static char *revision(void)
{
	char *r = ts_read_file(E.ready, NULL);
	assert_non_null(r);
	r[strcspn(r, "\n")] = 0;
	return r;
}

static json_t *parse_report(const char *out)
{
	const char *p = out ? strchr(out, '{') : NULL;
	json_t *j = p ? json_loads(p, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	if (!j)
		fprintf(stderr, "xdsfleet output: %s\n", out ? out : "(none)");
	assert_non_null(j);
	return j;
}

static long long jint(json_t *r, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(r, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_integer_value(v);
}

/* The server's metrics (SIGUSR2 makes xds_testd write them). */
static long long metric(const char *name)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/metrics.txt", E.state);
	unlink(path);

	kill(E.testd, SIGUSR2);
	assert_int_equal(ts_wait_path(path, E.testd, 5000), 0);
	char *m = ts_read_file(path, NULL);
	char key[128];
	snprintf(key, sizeof(key), "\n%s ", name);
	char *at = m ? strstr(m, key) : NULL;
	long long v = at ? atoll(at + strlen(key)) : -1;
	free(m);
	return v;
}

static void test_sotw_ack_nack(void **state)
{
	(void)state;
	char *rev = revision(), *out = NULL;
	long long acks0 = metric("weft_xds_acks_total"), nacks0 = metric("weft_xds_nacks_total");
	const char *argv[] = {XDSFLEET_BIN,
	                      "--server",
	                      E.addr,
	                      "--clients",
	                      "20",
	                      "--channels",
	                      "2",
	                      "--types",
	                      "lds,rds,cds,eds",
	                      "--nack-share",
	                      "0.1",
	                      "--until-version",
	                      rev,
	                      "--duration",
	                      "20",
	                      "--json",
	                      "--metadata",
	                      "role=sidecar",
	                      NULL};
	assert_int_equal(ts_run(argv, &out, 30000), 0);
	json_t *r = parse_report(out);
	assert_int_equal(jint(r, "nacking_clients", NULL, NULL), 2);
	assert_int_equal(jint(r, "stream_errors", NULL, NULL), 0);
	assert_int_equal(jint(r, "bad_messages", NULL, NULL), 0);
	/* 3 outbound EDS clusters + 3 static inbound clusters per response */
	assert_int_equal(jint(r, "types", "cds", "responses"), 20);
	assert_int_equal(jint(r, "types", "cds", "resources"), 120);
	assert_int_equal(jint(r, "types", "cds", "acks"), 18);
	assert_int_equal(jint(r, "types", "cds", "nacks"), 2);
	assert_int_equal(jint(r, "types", "eds", "resources"), 54);
	assert_int_equal(jint(r, "types", "eds", "acks"), 18);
	assert_int_equal(jint(r, "types", "lds", "acks"), 18);
	assert_int_equal(jint(r, "types", "lds", "nacks"), 2);
	assert_int_equal(jint(r, "types", "rds", "acks"), 18);
	assert_int_equal(jint(r, "types", "rds", "resources"), 18);
	assert_true(json_is_true(json_object_get(json_object_get(r, "until"), "converged")));
	assert_int_equal(jint(r, "until", "reached", NULL), 18);
	/* the server counted the same ACKs and NACKs */
	assert_int_equal(metric("weft_xds_acks_total") - acks0, 72);
	assert_int_equal(metric("weft_xds_nacks_total") - nacks0, 4);
	json_decref(r);
	free(out);
	free(rev);
}

static void test_delta(void **state)
{
	(void)state;
	char *rev = revision(), *out = NULL;
	const char *argv[] = {XDSFLEET_BIN,
	                      "--server",
	                      E.addr,
	                      "--clients",
	                      "10",
	                      "--mode",
	                      "delta",
	                      "--types",
	                      "lds,rds,cds,eds",
	                      "--until-version",
	                      rev,
	                      "--duration",
	                      "20",
	                      "--json",
	                      "--metadata",
	                      "role=sidecar",
	                      NULL};
	assert_int_equal(ts_run(argv, &out, 30000), 0);
	json_t *r = parse_report(out);
	assert_int_equal(jint(r, "stream_errors", NULL, NULL), 0);
	assert_int_equal(jint(r, "types", "cds", "resources"), 60);
	assert_int_equal(jint(r, "types", "eds", "resources"), 30);
	assert_int_equal(jint(r, "types", "eds", "acks"), 10);
	assert_int_equal(jint(r, "types", "lds", "acks"), 10);
	assert_int_equal(jint(r, "types", "rds", "acks"), 10);
	assert_int_equal(jint(r, "until", "reached", NULL), 10);
	json_decref(r);
	free(out);
	free(rev);
}

/* One endpoint changes: every stream gets exactly one EDS response with
 * exactly one ClusterLoadAssignment, and nothing else. */
static void test_endpoint_change_pushes_only_eds(void **state)
{
	(void)state;
	char *rev = revision(), log[600], next[32], mark[600];
	snprintf(mark, sizeof(mark), "%s/mark", E.dir);
	snprintf(next, sizeof(next), "%lld", atoll(rev) + 1);
	snprintf(log, sizeof(log), "%s/fleet.json", E.dir);
	const char *argv[] = {XDSFLEET_BIN,
	                      "--server",
	                      E.addr,
	                      "--clients",
	                      "20",
	                      "--types",
	                      "lds,rds,cds,eds",
	                      "--until-version",
	                      next,
	                      "--until-types",
	                      "eds",
	                      "--duration",
	                      "20",
	                      "--json",
	                      "--metadata",
	                      "role=sidecar",
	                      "--mark-file",
	                      mark,
	                      NULL};
	pid_t fleet = ts_spawn(argv, log);
	assert_true(fleet > 0);
	/* wait until the fleet is connected and has ACKed everything */
	long long t0 = ts_now_ms();
	while (metric("weft_xds_connected_proxies") < 20 && ts_now_ms() - t0 < 10000)
		;
	usleep(500000);
	write_policy(E.policy, "10.9.0.99");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char when[64];
	snprintf(when, sizeof(when), "%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
	assert_int_equal(ts_write_file(mark, when), 0);
	kill(E.testd, SIGHUP);
	int status = -1;
	for (t0 = ts_now_ms(); ts_now_ms() - t0 < 25000;) {
		if (waitpid(fleet, &status, WNOHANG) == fleet)
			break;
		usleep(20000);
	}
	if (!WIFEXITED(status))
		ts_stop(fleet, 2000);
	char *out = ts_read_file(log, NULL);
	json_t *r = parse_report(out);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(jint(r, "types", "eds", "responses"), 40);
	assert_int_equal(jint(r, "types", "eds", "resources"), 60 + 20);
	assert_int_equal(jint(r, "types", "cds", "responses"), 20);
	assert_int_equal(jint(r, "types", "lds", "responses"), 20);
	assert_int_equal(jint(r, "types", "rds", "responses"), 20);
	assert_int_equal(jint(r, "until", "reached", NULL), 20);
	json_t *lat =
	        json_object_get(json_object_get(json_object_get(r, "types"), "eds"), "latency_ms");
	fprintf(stderr,
	        "policy change -> EDS response at all 20 proxies: latency p50 %.1f ms, "
	        "p99 %.1f ms (mark -> response; includes the 20 ms debounce)\n",
	        json_number_value(json_object_get(lat, "p50")),
	        json_number_value(json_object_get(lat, "p99")));
	json_decref(r);
	free(out);
	free(rev);
}

/* Proxies matched by the Device's nodeMatch get the Device's slice. */
static void test_device_feed(void **state)
{
	(void)state;
	char *rev = revision(), *out = NULL;
	const char *argv[] = {XDSFLEET_BIN, "--server",        E.addr, "--clients",
	                      "5",          "--node-prefix",   "dev",  "--types",
	                      "cds,eds",    "--until-version", rev,    "--duration",
	                      "20",         "--json",          NULL};
	assert_int_equal(ts_run(argv, &out, 30000), 0);
	json_t *r = parse_report(out);
	assert_int_equal(jint(r, "types", "cds", "resources"), 10); /* svc0 in + out */
	assert_int_equal(jint(r, "types", "eds", "resources"), 5);
	assert_int_equal(jint(r, "until", "reached", NULL), 5);
	json_decref(r);
	free(out);
	free(rev);
}

/* Sidecars of fleet/svc1 (upstreams: [svc2]) get only svc1 and svc2;
 * sidecars of svc0 (no upstreams) get every service. */
static void test_scoped_sidecars(void **state)
{
	(void)state;
	char *rev = revision(), *out = NULL;
	const char *scoped[] = {XDSFLEET_BIN, "--server",
	                        E.addr,       "--clients",
	                        "4",          "--node-prefix",
	                        "sc",         "--types",
	                        "cds,eds",    "--until-version",
	                        rev,          "--duration",
	                        "20",         "--json",
	                        "--metadata", "role=sidecar",
	                        "--metadata", "service=fleet/svc{i%2:0}",
	                        NULL};
	assert_int_equal(ts_run(scoped, &out, 30000), 0);
	json_t *r = parse_report(out);
	/* svc0 x2: 3 outbound + 3 inbound; svc1 x2: outbound svc1, svc2 and
	 * inbound svc1. EDS: 3 and 2. */
	assert_int_equal(jint(r, "types", "cds", "resources"), 2 * 6 + 2 * 3);
	assert_int_equal(jint(r, "types", "eds", "resources"), 2 * 3 + 2 * 2);
	assert_int_equal(jint(r, "until", "reached", NULL), 4);
	json_decref(r);
	free(out);
	free(rev);
}

/* Per-proxy status while a fleet is connected: node, view, versions sent
 * and ACKed, the last NACK and its error, connect time, config dump. */
static void test_status(void **state)
{
	(void)state;
	char *rev = revision(), log[600], path[600];
	snprintf(log, sizeof(log), "%s/fleet-status.json", E.dir);
	const char *argv[] = {XDSFLEET_BIN,    "--server",   E.addr,    "--clients", "5",
	                      "--node-prefix", "st",         "--types", "cds,eds",   "--nack-share",
	                      "0.2",           "--duration", "3",       "--json",    "--metadata",
	                      "role=sidecar",  NULL};
	pid_t fleet = ts_spawn(argv, log);
	assert_true(fleet > 0);
	long long t0 = ts_now_ms();
	while (metric("weft_xds_connected_proxies") < 5 && ts_now_ms() - t0 < 5000)
		;
	usleep(300000);
	snprintf(path, sizeof(path), "%s/status.json", E.state);
	unlink(path);
	kill(E.testd, SIGUSR1);
	assert_int_equal(ts_wait_path(path, E.testd, 5000), 0);
	usleep(50000);
	json_t *st = json_load_file(path, 0, NULL);
	assert_non_null(st);
	json_t *proxies = json_object_get(st, "proxies"), *p;
	size_t i, nack = 0, ack = 0;
	assert_int_equal(json_array_size(proxies), 5);
	json_array_foreach(proxies, i, p)
	{
		assert_int_equal(strncmp(json_string_value(json_object_get(p, "node")), "st-", 3),
		                 0);
		assert_non_null(strstr(json_string_value(json_object_get(p, "view")), "|sidecar|"));
		assert_true(json_integer_value(json_object_get(p, "connected_unix_ms")) > 0);
		json_t *cds = json_object_get(json_object_get(p, "types"), "cds");
		assert_string_equal(json_string_value(json_object_get(cds, "version_sent")), rev);
		if (json_integer_value(json_object_get(cds, "nacks")) > 0) {
			nack++;
			assert_non_null(json_string_value(json_object_get(cds, "last_error")));
			assert_string_equal(
			        json_string_value(json_object_get(cds, "version_acked")), "");
		} else {
			ack++;
			assert_string_equal(
			        json_string_value(json_object_get(cds, "version_acked")), rev);
			/* what it was last sent: 3 outbound + 3 inbound clusters */
			assert_int_equal(json_array_size(json_object_get(
			                         json_object_get(p, "config"), "cds")),
			                 6);
		}
	}
	assert_int_equal(nack, 1);
	assert_int_equal(ack, 4);
	json_decref(st);
	ts_stop(fleet, 5000);
	free(rev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sotw_ack_nack),
	        cmocka_unit_test(test_delta),
	        cmocka_unit_test(test_device_feed),
	        cmocka_unit_test(test_scoped_sidecars),
	        cmocka_unit_test(test_status),
	        cmocka_unit_test(test_endpoint_change_pushes_only_eds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
