/* End to end with a REAL xDS client: @grpc/grpc-js-xds clients call
 * xds:///SERVICE through weft (xds_testd: controller + xds adapter + ADS
 * server) to real gRPC backends (@grpc/grpc-js, backend.js), and the test
 * asserts on real traffic:
 *   - an 80/20 canary split within +-5 % over 1,000 calls
 *   - header-based routing (x-canary: yes -> v2 only)
 *   - an endpoint removed from the policy stops receiving traffic
 *   - fault injection: abort 50 % with 503 -> UNAVAILABLE share
 *   - a retry policy hides a failing backend (and without it, it shows)
 *   - a policy change takes effect without restarting the client
 * Every process is started on loopback with free ports and stopped by pid. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "testsupport.h"

#define NBACKENDS 4
static const char *const names[NBACKENDS] = {"alpha", "beta", "gamma", "broken"};

struct env {
	char *dir;
	int ports[NBACKENDS], xds_port;
	pid_t backends[NBACKENDS], testd;
	char policy[512], policy2[512], policy3[512], ready[512], bootstrap[512];
};

static struct env E;

static void write_policy(const char *path, int variant)
{
	char buf[8192];
	const char *canary =
	        variant == 1 ? "    - service: greeter\n      subset: v2\n"
	                     : "    - service: greeter\n      subset: v1\n      weight: 80\n"
	                       "    - service: greeter\n      subset: v2\n      weight: 20\n";
	const char *gamma = variant == 2 ? "" : "  - address: 127.0.0.1\n    port: %d\n";
	char gamma_ep[128];
	snprintf(gamma_ep, sizeof(gamma_ep), gamma, E.ports[2]);
	snprintf(buf, sizeof(buf),
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: greeter, namespace: demo}\n"
	         "spec:\n  protocol: grpc\n  ports: [{name: grpc, port: 50051}]\n  endpoints:\n"
	         "  - {address: 127.0.0.1, port: %d, labels: {version: v1}}\n"
	         "  - {address: 127.0.0.1, port: %d, labels: {version: v2}}\n"
	         "  subsets:\n  - {name: v1, labels: {version: v1}}\n"
	         "  - {name: v2, labels: {version: v2}}\n---\n"
	         "apiVersion: weft/v1\nkind: Route\nmetadata: {name: greeter, namespace: demo}\n"
	         "spec:\n  service: greeter\n  http:\n  - name: testers\n    match:\n"
	         "    - headers: [{name: x-canary, exact: \"yes\"}]\n"
	         "    destinations: [{service: greeter, subset: v2}]\n"
	         "  - name: canary\n    destinations:\n%s---\n"
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: pool, namespace: demo}\n"
	         "spec:\n  protocol: grpc\n  ports: [{name: grpc, port: 50052}]\n  endpoints:\n"
	         "  - {address: 127.0.0.1, port: %d}\n  - {address: 127.0.0.1, port: %d}\n%s---\n"
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: faulty, namespace: demo}\n"
	         "spec:\n  protocol: grpc\n  ports: [{name: grpc, port: 50053}]\n  endpoints:\n"
	         "  - {address: 127.0.0.1, port: %d}\n---\n"
	         "apiVersion: weft/v1\nkind: Route\nmetadata: {name: faulty, namespace: demo}\n"
	         "spec:\n  service: faulty\n  http:\n  - destinations: [{service: faulty}]\n"
	         "    fault:\n      abort: {percent: 50, status: 503}\n---\n"
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: flaky, namespace: demo}\n"
	         "spec:\n  protocol: grpc\n  ports: [{name: grpc, port: 50054}]\n  endpoints:\n"
	         "  - {address: 127.0.0.1, port: %d}\n  - {address: 127.0.0.1, port: %d}\n---\n"
	         "apiVersion: weft/v1\nkind: Route\nmetadata: {name: flaky, namespace: demo}\n"
	         "spec:\n  service: flaky\n  http:\n  - destinations: [{service: flaky}]\n"
	         "    retries: {attempts: 4, retryOn: [unavailable]}\n---\n"
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: fragile, namespace: demo}\n"
	         "spec:\n  protocol: grpc\n  ports: [{name: grpc, port: 50055}]\n  endpoints:\n"
	         "  - {address: 127.0.0.1, port: %d}\n  - {address: 127.0.0.1, port: %d}\n",
	         E.ports[0], E.ports[1], canary, E.ports[0], E.ports[1], gamma_ep, E.ports[0],
	         E.ports[0], E.ports[3], E.ports[0], E.ports[3]);
	assert_int_equal(ts_write_file(path, buf), 0);
}

static char *node_modules(void)
{
	static char p[1024];
	snprintf(p, sizeof(p), "%s", XDS_NODE_MODULES);
	return p;
}

static int setup(void **state)
{
	(void)state;
	char log[600], port_s[16], listen[64], statedir[600];
	E.dir = ts_mkdtemp("xds-e2e");
	for (int i = 0; i < NBACKENDS; i++) {
		E.ports[i] = ts_free_port();
		snprintf(port_s, sizeof(port_s), "%d", E.ports[i]);
		snprintf(log, sizeof(log), "%s/backend-%s.log", E.dir, names[i]);
		const char *argv[] = {"/usr/bin/env",         "node", XDS_IT_DIR "/backend.js",
		                      node_modules(),         port_s, names[i],
		                      i == 3 ? "fail" : "ok", NULL};
		E.backends[i] = ts_spawn(argv, log);
		assert_true(E.backends[i] > 0);
	}
	for (int i = 0; i < NBACKENDS; i++)
		assert_int_equal(ts_wait_port(E.ports[i], E.backends[i], 15000), 0);
	snprintf(E.policy, sizeof(E.policy), "%s/policy.yaml", E.dir);
	snprintf(E.policy2, sizeof(E.policy2), "%s/policy-v2only.yaml", E.dir);
	snprintf(E.policy3, sizeof(E.policy3), "%s/policy-nogamma.yaml", E.dir);
	snprintf(E.ready, sizeof(E.ready), "%s/ready", E.dir);
	write_policy(E.policy, 0);
	write_policy(E.policy2, 1);
	write_policy(E.policy3, 2);
	E.xds_port = ts_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", E.xds_port);
	snprintf(statedir, sizeof(statedir), "%s/state", E.dir);
	snprintf(log, sizeof(log), "%s/testd.log", E.dir);
	const char *argv[] = {XDS_TESTD,  "--state", statedir,  "--listen", listen,
	                      "--policy", E.policy,  "--ready", E.ready,    NULL};
	E.testd = ts_spawn(argv, log);
	assert_true(E.testd > 0);
	assert_int_equal(ts_wait_path(E.ready, E.testd, 15000), 0);
	snprintf(E.bootstrap, sizeof(E.bootstrap), "%s/bootstrap.json", E.dir);
	char boot[1024];
	snprintf(boot, sizeof(boot),
	         "{\"xds_servers\":[{\"server_uri\":\"127.0.0.1:%d\",\"channel_creds\":"
	         "[{\"type\":\"insecure\"}],\"server_features\":[\"xds_v3\"]}],"
	         "\"node\":{\"id\":\"e2e-client\",\"locality\":{}}}",
	         E.xds_port);
	assert_int_equal(ts_write_file(E.bootstrap, boot), 0);
	setenv("GRPC_XDS_BOOTSTRAP", E.bootstrap, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (E.testd > 0)
		ts_stop(E.testd, 5000);
	for (int i = 0; i < NBACKENDS; i++)
		if (E.backends[i] > 0)
			ts_stop(E.backends[i], 3000);
	if (getenv("XDS_E2E_KEEP"))
		fprintf(stderr, "kept %s\n", E.dir);
	else
		ts_rmtree(E.dir);
	free(E.dir);
	return 0;
}

/* Runs client.js and returns its JSON (last line of output). */
static json_t *client(const char *target, const char *const *args)
{
	const char *argv[16] = {"/usr/bin/env", "node", XDS_IT_DIR "/client.js", node_modules(),
	                        target};
	int n = 5;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	char *out = NULL;
	int rc = ts_run(argv, &out, 60000);
	if (rc != 0)
		fprintf(stderr, "client %s failed (%d): %s\n", target, rc, out ? out : "");
	assert_int_equal(rc, 0);
	char *last = out ? strrchr(out, '{') : NULL;
	while (last && last > out && last[-1] != '\n')
		last = memrchr(out, '{', (size_t)(last - out));
	json_t *j = last ? json_loads(last, 0, NULL) : NULL;
	if (!j)
		fprintf(stderr, "client output: %s\n", out ? out : "");
	free(out);
	assert_non_null(j);
	return j;
}

static long backend_count(json_t *res, const char *name)
{
	return (long)json_integer_value(json_object_get(json_object_get(res, "backends"), name));
}

static long error_count(json_t *res, int code)
{
	char k[16];
	snprintf(k, sizeof(k), "%d", code);
	return (long)json_integer_value(json_object_get(json_object_get(res, "errors"), k));
}

static void test_canary_split(void **state)
{
	(void)state;
	json_t *r = client("greeter", (const char *[]){"count", "1000", NULL});
	long a = backend_count(r, "alpha"), b = backend_count(r, "beta");
	fprintf(stderr, "canary 80/20 over 1000 calls: alpha %ld, beta %ld\n", a, b);
	assert_int_equal(a + b, 1000);
	assert_in_range(a, 750, 850);
	json_decref(r);
}

static void test_header_routing(void **state)
{
	(void)state;
	json_t *r = client("greeter", (const char *[]){"count", "100", "x-canary=yes", NULL});
	assert_int_equal(backend_count(r, "beta"), 100);
	json_decref(r);
}

static void test_fault_abort(void **state)
{
	(void)state;
	json_t *r = client("faulty", (const char *[]){"count", "400", NULL});
	long ok = backend_count(r, "alpha"), unavail = error_count(r, 14);
	fprintf(stderr, "fault abort 50%% over 400 calls: ok %ld, UNAVAILABLE %ld\n", ok, unavail);
	assert_int_equal(ok + unavail, 400);
	assert_in_range(unavail, 160, 240);
	json_decref(r);
}

static void test_retry_hides_failing_backend(void **state)
{
	(void)state;
	json_t *r = client("flaky", (const char *[]){"count", "200", NULL});
	assert_int_equal(backend_count(r, "alpha"), 200);
	json_decref(r);
	/* The same two backends without a retry policy: failures show. */
	r = client("fragile", (const char *[]){"count", "200", NULL});
	long fails = error_count(r, 14);
	fprintf(stderr, "without retries: %ld of 200 failed; with retries: 0\n", fails);
	assert_in_range(fails, 50, 150);
	json_decref(r);
}

static void test_policy_change_live(void **state)
{
	(void)state;
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)E.testd);
	json_t *r = client("greeter", (const char *[]){"change", "200", E.policy2, E.policy, pid,
	                                               "beta", NULL});
	json_t *after = json_object_get(r, "after");
	fprintf(stderr, "policy change seen by the running client after %lld ms\n",
	        (long long)json_integer_value(json_object_get(r, "switch_ms")));
	assert_true(json_is_true(json_object_get(r, "switched")));
	assert_true(backend_count(json_object_get(r, "before"), "alpha") > 100);
	assert_int_equal(backend_count(after, "beta"), 200);
	assert_int_equal(backend_count(after, "alpha"), 0);
	json_decref(r);
}

static void test_endpoint_removed(void **state)
{
	(void)state;
	/* Before: gamma takes its share. A fresh grpc-js channel sends every
	 * call to the first subchannel that is READY, so on a loaded machine
	 * the first batch may miss gamma: up to three batches. */
	json_t *r = NULL;
	for (int attempt = 0; attempt < 3; attempt++) {
		json_decref(r);
		r = client("pool", (const char *[]){"count", "150", NULL});
		if (backend_count(r, "gamma") > 20)
			break;
	}
	assert_true(backend_count(r, "gamma") > 20);
	json_decref(r);
	char *old = ts_read_file(E.ready, NULL);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "cp %s %s", E.policy3, E.policy);
	assert_int_equal(system(cmd), 0);
	kill(E.testd, SIGHUP);
	long long t0 = ts_now_ms();
	char *now = NULL;
	do {
		free(now);
		usleep(20000);
		now = ts_read_file(E.ready, NULL);
	} while (now && old && !strcmp(now, old) && ts_now_ms() - t0 < 10000);
	assert_string_not_equal(now, old);
	free(now);
	free(old);
	r = client("pool", (const char *[]){"count", "150", NULL});
	assert_int_equal(backend_count(r, "gamma"), 0);
	assert_int_equal(backend_count(r, "alpha") + backend_count(r, "beta"), 150);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_canary_split),
	        cmocka_unit_test(test_header_routing),
	        cmocka_unit_test(test_fault_abort),
	        cmocka_unit_test(test_retry_hides_failing_backend),
	        cmocka_unit_test(test_policy_change_live),
	        cmocka_unit_test(test_endpoint_removed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
