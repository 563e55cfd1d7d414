/* Conformance tests of xdsfleet (simulators/xdsfleet) against ads_testserver:
 * a fleet subscribes (SotW and Delta), ACKs with the echoed nonce, NACKs
 * with the exact --nack-share, follows CDS->EDS and LDS->RDS names like
 * Envoy, carries Node metadata, and reports convergence on a second
 * version. Each test asserts on both sides: the fleet's JSON report and the
 * server's count of what it received. Processes are stopped by pid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testsupport.h"

struct server {
	pid_t pid;
	int port;
	char *dir;
	char stats[512], log[512], addr[64];
};

static void server_start(struct server *s, int clusters)
{
	char port[16], n[16];

	s->dir = ts_mkdtemp("xdsfleet");
	assert_non_null(s->dir);
	s->port = ts_free_port();
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(n, sizeof(n), "%d", clusters);
	snprintf(s->stats, sizeof(s->stats), "%s/stats.json", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
	snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%d", s->port);
	const char *argv[] = {ADS_TESTSERVER, "--port", port, "--clusters", n,
	                      "--stats",      s->stats, NULL};
	s->pid = ts_spawn(argv, s->log);
	assert_true(s->pid > 0);
	assert_int_equal(ts_wait_port(s->port, s->pid, 10000), 0);
}

/* Stops the server (it writes its final stats) and returns them. */
static json_t *server_stop(struct server *s)
{
	json_error_t je;
	json_t *j;

	ts_stop(s->pid, 5000);
	j = json_load_file(s->stats, 0, &je);
	ts_rmtree(s->dir);
	free(s->dir);
	assert_non_null(j);
	return j;
}

static json_t *server_stats(struct server *s)
{
	json_error_t je;

	return json_load_file(s->stats, 0, &je);
}

static long long jint(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *j = json_object_get(root, a);

	if (b)
		j = json_object_get(j, b);
	if (c)
		j = json_object_get(j, c);
	if (!json_is_integer(j))
		fail_msg("no integer at %s/%s/%s", a, b ? b : "", c ? c : "");
	return json_integer_value(j);
}

/* The JSON report in the fleet's output (stderr lines may surround it). */
static json_t *parse_report(const char *out)
{
	const char *p = strstr(out, "{\n  \"mode\"");
	json_error_t je;
	json_t *j;

	if (!p)
		fail_msg("no JSON report in output:\n%s", out);
	j = json_loads(p, JSON_DISABLE_EOF_CHECK, &je);
	if (!j)
		fail_msg("bad JSON report (%s):\n%s", je.text, out);
	return j;
}

static void test_sotw_ack_nack_metadata(void **state)
{
	struct server s;
	char *out = NULL;
	json_t *r, *st, *node;
	int rc;

	(void)state;
	server_start(&s, 3);
	const char *argv[] = {XDSFLEET_BIN,
	                      "--server",
	                      s.addr,
	                      "--clients",
	                      "20",
	                      "--channels",
	                      "2",
	                      "--types",
	                      "cds,eds",
	                      "--nack-share",
	                      "0.1",
	                      "--until-version",
	                      "1",
	                      "--duration",
	                      "20",
	                      "--json",
	                      "--node-prefix",
	                      "px",
	                      "--metadata",
	                      "{\"role\":\"sidecar\",\"planes\":[\"data\",\"mgmt\"]}",
	                      "--metadata",
	                      "ip=10.1.0.{i}",
	                      NULL};
	rc = ts_run(argv, &out, 30000);
	st = server_stop(&s);
	assert_int_equal(rc, 0);
	r = parse_report(out);
	/* 20 clients, 2 NACK every response (indexes 9 and 19) */
	assert_int_equal(jint(r, "nacking_clients", NULL, NULL), 2);
	assert_int_equal(jint(r, "stream_errors", NULL, NULL), 0);
	assert_int_equal(jint(r, "types", "cds", "responses"), 20);
	assert_int_equal(jint(r, "types", "cds", "resources"), 60);
	assert_int_equal(jint(r, "types", "cds", "acks"), 18);
	assert_int_equal(jint(r, "types", "cds", "nacks"), 2);
	/* NACKers never accept the clusters, so never subscribe to EDS */
	assert_int_equal(jint(r, "types", "eds", "responses"), 18);
	assert_int_equal(jint(r, "types", "eds", "resources"), 54);
	assert_int_equal(jint(r, "types", "eds", "acks"), 18);
	assert_int_equal(jint(r, "types", "eds", "nacks"), 0);
	assert_true(json_is_true(json_object_get(json_object_get(r, "until"), "converged")));
	assert_int_equal(jint(r, "until", "reached", NULL), 18);
	/* the server saw the same */
	assert_int_equal(jint(st, "types", "cds", "acks"), 18);
	assert_int_equal(jint(st, "types", "cds", "nacks"), 2);
	assert_int_equal(jint(st, "types", "eds", "acks"), 18);
	assert_int_equal(jint(st, "streams", NULL, NULL), 20);
	assert_non_null(
	        strstr(json_string_value(json_object_get(st, "last_nack")), "--nack-share"));
	/* EDS subscribed by the service names of the clusters, not their names */
	assert_int_equal(json_object_size(json_object_get(st, "eds_names")), 3);
	assert_non_null(json_object_get(json_object_get(st, "eds_names"), "svc-2"));
	assert_int_equal(json_object_size(json_object_get(st, "nodes")), 20);
	node = json_object_get(json_object_get(st, "nodes"), "px-7");
	assert_string_equal(json_string_value(json_object_get(node, "ip")), "10.1.0.7");
	assert_string_equal(json_string_value(json_object_get(node, "role")), "sidecar");
	assert_int_equal(json_array_size(json_object_get(node, "planes")), 2);
	json_decref(r);
	json_decref(st);
	free(out);
}

/* Waits (bounded) until the server counted `want` ACKs of every type. */
static int wait_acks(struct server *s, const char *const *types, int want)
{
	long long until = ts_now_ms() + 15000;

	while (ts_now_ms() < until) {
		json_t *st = server_stats(s);
		int ok = st != NULL, k;

		for (k = 0; ok && types[k]; k++)
			ok = json_integer_value(json_object_get(
			             json_object_get(json_object_get(st, "types"), types[k]),
			             "acks")) == want;
		json_decref(st);
		if (ok)
			return 0;
		usleep(20000);
	}
	return -1;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
	long long until = ts_now_ms() + timeout_ms;
	int status;

	while (ts_now_ms() < until) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(20000);
	}
	ts_stop(pid, 2000);
	return -1;
}

/* v1 to every client, then SIGUSR1: the server pushes v2 of every type and
 * the fleet stops as soon as every client ACKed v2 everywhere. */
static void second_version(const char *mode)
{
	static const char *const types[] = {"lds", "rds", "cds", "eds", NULL};
	struct server s;
	char log[600], *out;
	json_t *r, *st;
	pid_t fleet;
	int rc, k;

	server_start(&s, 2);
	snprintf(log, sizeof(log), "%s/fleet.log", s.dir);
	const char *argv[] = {
	        XDSFLEET_BIN, "--server",   s.addr,    "--clients",       "10",
	        "--mode",     mode,         "--types", "lds,rds,cds,eds", "--until-version",
	        "2",          "--duration", "25",      "--json",          NULL};
	fleet = ts_spawn(argv, log);
	assert_true(fleet > 0);
	if (wait_acks(&s, types, 10) < 0) {
		ts_stop(fleet, 2000);
		server_stop(&s);
		fail_msg("the fleet did not ACK version 1 of every type");
	}
	kill(s.pid, SIGUSR1);
	rc = wait_exit(fleet, 25000);
	out = ts_read_file(log, NULL);
	st = server_stop(&s);
	assert_int_equal(rc, 0);
	r = parse_report(out);
	for (k = 0; types[k]; k++) {
		assert_int_equal(jint(r, "types", types[k], "responses"), 20);
		assert_int_equal(jint(r, "types", types[k], "acks"), 20);
		assert_int_equal(jint(r, "types", types[k], "nacks"), 0);
		/* latencies count only responses of version 2 or later */
		assert_int_equal(
		        json_integer_value(json_object_get(
		                json_object_get(
		                        json_object_get(json_object_get(r, "types"), types[k]),
		                        "latency_ms"),
		                "count")),
		        10);
	}
	json_decref(r);
	json_decref(st);
	free(out);
}

static void test_sotw_second_version(void **state)
{
	(void)state;
	second_version("sotw");
}

static void test_delta_second_version(void **state)
{
	(void)state;
	second_version("delta");
}

static void test_delta_subscribe(void **state)
{
	struct server s;
	char *out = NULL;
	json_t *r, *st;
	int rc;

	(void)state;
	server_start(&s, 4);
	const char *argv[] = {XDSFLEET_BIN, "--server",   s.addr,    "--clients", "8",
	                      "--mode",     "delta",      "--types", "cds,eds",   "--until-version",
	                      "1",          "--duration", "20",      "--json",    NULL};
	rc = ts_run(argv, &out, 30000);
	st = server_stop(&s);
	assert_int_equal(rc, 0);
	r = parse_report(out);
	assert_int_equal(jint(r, "types", "cds", "acks"), 8);
	assert_int_equal(jint(r, "types", "cds", "resources"), 32);
	assert_int_equal(jint(r, "types", "eds", "acks"), 8);
	assert_int_equal(jint(r, "types", "eds", "resources"), 32);
	/* per client and type: one subscribe, one ACK */
	assert_int_equal(jint(st, "types", "cds", "requests"), 16);
	assert_int_equal(jint(st, "types", "eds", "requests"), 16);
	assert_int_equal(json_object_size(json_object_get(st, "eds_names")), 4);
	json_decref(r);
	json_decref(st);
	free(out);
}

static void test_not_converged_and_usage(void **state)
{
	struct server s;
	char *out = NULL;
	json_t *r;
	int rc;

	(void)state;
	server_start(&s, 1);
	const char *argv[] = {XDSFLEET_BIN, "--server",        s.addr, "--clients",
	                      "3",          "--until-version", "7",    "--duration",
	                      "1",          "--json",          NULL};
	rc = ts_run(argv, &out, 15000);
	json_decref(server_stop(&s));
	assert_int_equal(rc, 1);
	r = parse_report(out);
	assert_false(json_is_true(json_object_get(json_object_get(r, "until"), "converged")));
	assert_int_equal(jint(r, "until", "reached", NULL), 0);
	json_decref(r);
	free(out);

	const char *bad_mode[] = {XDSFLEET_BIN, "--server", "127.0.0.1:1", "--mode", "x", NULL};
	assert_int_equal(ts_run(bad_mode, &out, 5000), 2);
	free(out);
	const char *no_server[] = {XDSFLEET_BIN, "--clients", "2", NULL};
	assert_int_equal(ts_run(no_server, &out, 5000), 2);
	free(out);
	const char *bad_meta[] = {XDSFLEET_BIN, "--server", "127.0.0.1:1",
	                          "--metadata", "[1]",      NULL};
	assert_int_equal(ts_run(bad_meta, &out, 5000), 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sotw_ack_nack_metadata),
	        cmocka_unit_test(test_sotw_second_version),
	        cmocka_unit_test(test_delta_subscribe),
	        cmocka_unit_test(test_delta_second_version),
	        cmocka_unit_test(test_not_converged_and_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
