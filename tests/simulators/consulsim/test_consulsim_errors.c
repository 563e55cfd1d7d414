/* consulsim conformance: Consul's errors (405, 404, 400, 500 "No path to
 * datacenter", 429 over the per-IP connection cap), the fault knobs
 * (dropped connections, latency), agent TTL checks, health filters and
 * tags, and --state across a SIGTERM restart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cst.h"
#include "testsupport.h"

static struct cst T;

static int setup(void **state)
{
	static const char *const extra[] = {"--max-conns-per-client", "3", NULL};

	(void)state;
	return cst_start(&T, extra);
}

static int teardown(void **state)
{
	int st = cst_stop(&T, 0);

	(void)state;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static long long counter(const char *key)
{
	struct csr c = cst_do(&T, "GET", "/sim/counters", NULL, NULL);
	long long v = json_integer_value(json_object_get(c.json, key));

	csr_free(&c);
	return v;
}

static void test_http_errors(void **state)
{
	struct csr r;

	(void)state;
	r = cst_do(&T, "GET", "/v1/catalog/register", NULL, NULL);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.body, "method GET not allowed");
	csr_free(&r);
	assert_int_equal(cst_status(&T, "POST", "/v1/health/service/web", "{}"), 405);
	assert_int_equal(cst_status(&T, "GET", "/v1/nothing/here", NULL), 404);
	r = cst_do(&T, "GET", "/v1/health/service/web?dc=dc9", NULL, NULL);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "No path to datacenter\n");
	csr_free(&r);
	assert_int_equal(cst_status(&T, "GET", "/v1/health/service/web?dc=dc1", NULL), 200);
	r = cst_do(&T, "PUT", "/v1/catalog/register", "{not json", NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "Request decode failed"));
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/catalog/register", "{\"Address\":\"10.0.0.1\"}", NULL);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "Must provide node\n");
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/catalog/register",
	           "{\"Node\":\"n\",\"Address\":\"1.2.3.4\",\"Datacenter\":\"dc7\"}", NULL);
	assert_int_equal(r.status, 500);
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/catalog/register",
	           "{\"Node\":\"n\",\"Address\":\"1.2.3.4\",\"Service\":{\"Service\":\"web\","
	           "\"Tags\":[\"ok\",7]}}",
	           NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "Service.Tags[1]"));
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/agent/service/register", "{\"Name\":\"web\",\"Port\":\"80\"}",
	           NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "Port"));
	csr_free(&r);
	/* the refused writes changed nothing */
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, NULL);
	assert_int_equal(json_object_size(r.json), 0);
	csr_free(&r);
}

static int open_idle(int port)
{
	struct sockaddr_in sa = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Three open connections from 127.0.0.1 are the cap: a fourth gets 429;
 * once they close, requests pass again. */
static void test_connection_cap_429(void **state)
{
	int fds[3], i;
	struct csr r;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_true((fds[i] = open_idle(T.port)) >= 0);
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end;) {
		struct csr c = cst_do(&T, "GET", "/sim/counters", NULL, NULL);
		long long open = json_integer_value(
		        json_object_get(json_object_get(c.json, "connections"), "open"));

		csr_free(&c);
		if (open >= 4) /* 3 idle + the counters request itself */
			break;
		usleep(10000);
	}
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, NULL);
	assert_int_equal(r.status, 429);
	assert_non_null(strstr(r.body, "too many concurrent connections"));
	csr_free(&r);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end;) {
		if (cst_status(&T, "GET", "/v1/catalog/services", NULL) == 200)
			break;
		usleep(10000);
	}
	assert_int_equal(cst_status(&T, "GET", "/v1/catalog/services", NULL), 200);
	{
		struct csr c = cst_do(&T, "GET", "/sim/counters", NULL, NULL);

		assert_true(json_integer_value(json_object_get(
		                    json_object_get(c.json, "connections"), "rejected429")) >= 1);
		csr_free(&c);
	}
}

struct bg {
	char path[256];
	struct csr r;
};

static void *bg_get(void *arg)
{
	struct bg *b = arg;

	b->r = cst_do(&T, "GET", b->path, NULL, NULL);
	return NULL;
}

static void test_drop_and_latency(void **state)
{
	struct csr r;
	struct bg w;
	pthread_t th;

	(void)state;
	assert_int_equal(cst_status(&T, "POST", "/sim/drop", "{\"count\":1}"), 200);
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, NULL);
	assert_int_not_equal(r.curl_rc, 0); /* closed without an answer */
	csr_free(&r);
	assert_int_equal(cst_status(&T, "GET", "/v1/catalog/services", NULL), 200);
	assert_int_equal(counter("dropped"), 1);

	/* a pending blocking query is closed by {"pending":true} */
	snprintf(w.path, sizeof(w.path), "/v1/catalog/services?index=%lld&wait=30s",
	         (long long)counter("index"));
	pthread_create(&th, NULL, bg_get, &w);
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end;) {
		if (counter("blockingPending") == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(cst_status(&T, "POST", "/sim/drop", "{\"pending\":true}"), 200);
	pthread_join(th, NULL);
	assert_int_not_equal(w.r.curl_rc, 0);
	assert_true(w.r.seconds < 5);
	csr_free(&w.r);

	assert_int_equal(cst_status(&T, "POST", "/sim/latency", "{\"ms\":300}"), 200);
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds >= 0.29);
	csr_free(&r);
	assert_int_equal(cst_status(&T, "POST", "/sim/latency", "{\"ms\":0}"), 200);
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, NULL);
	assert_true(r.seconds < 0.2);
	csr_free(&r);
	assert_int_equal(cst_status(&T, "POST", "/sim/latency", "{\"ms\":-1}"), 400);
}

static const char *check_status(const char *svc, const char *check_id)
{
	static char out[64];
	char path[256];
	struct csr r;
	json_t *e, *c;
	size_t i, j;

	snprintf(path, sizeof(path), "/v1/health/service/%s", svc);
	r = cst_do(&T, "GET", path, NULL, NULL);
	snprintf(out, sizeof(out), "missing");
	json_array_foreach(r.json, i, e)
	{
		json_array_foreach(json_object_get(e, "Checks"), j, c)
		{
			if (!strcmp(json_string_value(json_object_get(c, "CheckID")), check_id))
				snprintf(out, sizeof(out), "%s",
				         json_string_value(json_object_get(c, "Status")));
		}
	}
	csr_free(&r);
	return out;
}

/* TTL checks start critical, pass/warn/fail set them, a lapsed TTL turns
 * them critical; ?passing hides the instance while it is not passing. */
static void test_agent_ttl(void **state)
{
	struct csr r;
	long long t0;

	(void)state;
	r = cst_do(&T, "PUT", "/v1/agent/service/register",
	           "{\"Name\":\"web\",\"ID\":\"web1\",\"Port\":8080,\"Tags\":[\"v1\"],"
	           "\"Check\":{\"TTL\":\"1s\"}}",
	           NULL);
	assert_int_equal(r.status, 200);
	csr_free(&r);
	assert_string_equal(check_status("web", "service:web1"), "critical");
	r = cst_do(&T, "GET", "/v1/health/service/web?passing", NULL, NULL);
	assert_int_equal(json_array_size(r.json), 0);
	csr_free(&r);
	assert_int_equal(cst_status(&T, "PUT", "/v1/agent/check/pass/service:web1?note=ok", NULL),
	                 200);
	t0 = ts_now_ms();
	assert_string_equal(check_status("web", "service:web1"), "passing");
	r = cst_do(&T, "GET", "/v1/health/service/web?passing", NULL, NULL);
	assert_int_equal(json_array_size(r.json), 1);
	csr_free(&r);
	while (ts_now_ms() - t0 < 3000 && strcmp(check_status("web", "service:web1"), "critical"))
		usleep(20000);
	assert_string_equal(check_status("web", "service:web1"), "critical");
	assert_true(ts_now_ms() - t0 >= 950);
	assert_int_equal(cst_status(&T, "PUT", "/v1/agent/check/warn/service:web1", NULL), 200);
	assert_string_equal(check_status("web", "service:web1"), "warning");
	r = cst_do(&T, "GET", "/v1/health/service/web?passing", NULL, NULL);
	assert_int_equal(json_array_size(r.json), 0); /* warning is not passing */
	csr_free(&r);
	assert_int_equal(cst_status(&T, "PUT", "/v1/agent/check/pass/nope", NULL), 404);
	assert_int_equal(cst_status(&T, "PUT", "/v1/agent/service/register",
	                            "{\"Name\":\"x\",\"Check\":{\"HTTP\":\"http://x\"}}"),
	                 400);
	assert_int_equal(cst_status(&T, "PUT", "/v1/agent/service/deregister/web1", NULL), 200);
	assert_string_equal(check_status("web", "service:web1"), "missing");
	assert_int_equal(cst_status(&T, "PUT", "/v1/agent/service/deregister/web1", NULL), 404);
}

static void test_filter_and_tags(void **state)
{
	struct csr r;

	(void)state;
	assert_int_equal(cst_status(&T, "PUT", "/v1/catalog/register",
	                            "{\"Node\":\"a\",\"Address\":\"10.0.0.1\",\"Service\":{\"ID\":"
	                            "\"w1\",\"Service\":\"web\",\"Tags\":[\"v1\",\"eu\"],\"Meta\":{"
	                            "\"version\":\"1\"},\"Port\":80}}"),
	                 200);
	assert_int_equal(cst_status(&T, "PUT", "/v1/catalog/register",
	                            "{\"Node\":\"b\",\"Address\":\"10.0.0.2\",\"Service\":{\"ID\":"
	                            "\"w2\",\"Service\":\"web\",\"Tags\":[\"v2\",\"eu\"],\"Meta\":{"
	                            "\"version\":\"2\"},\"Port\":80}}"),
	                 200);
	r = cst_do(&T, "GET", "/v1/health/service/web?tag=eu&tag=v2", NULL, NULL);
	assert_int_equal(json_array_size(r.json), 1);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/health/service/web?tag=eu", NULL, NULL);
	assert_int_equal(json_array_size(r.json), 2);
	csr_free(&r);
	r = cst_do(&T, "GET",
	           "/v1/health/service/web?filter=Service.Meta.version%20%3D%3D%20%222%22", NULL,
	           NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(r.json), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(json_array_get(r.json, 0), "Node"), "Node")),
	                    "b");
	csr_free(&r);
	r = cst_do(&T, "GET",
	           "/v1/catalog/service/"
	           "web?filter=%22v1%22%20in%20ServiceTags%20or%20Node%20%3D%3D%20b",
	           NULL, NULL);
	assert_int_equal(json_array_size(r.json), 2);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/catalog/service/web?filter=not%20ServiceTags%20contains%20v1",
	           NULL, NULL);
	assert_int_equal(json_array_size(r.json), 1);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/catalog/services?filter=ServiceMeta.version%20%3D%3D%202", NULL,
	           NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "web")), 2); /* v2, eu */
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/catalog/services?filter=ServiceMeta.version%20%3D%3D%209", NULL,
	           NULL);
	assert_int_equal(json_object_size(r.json), 0);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/health/service/web?filter=Bogus%20%3D%3D%201", NULL, NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "Failed to create boolean expression evaluator"));
	csr_free(&r);
	assert_int_equal(
	        cst_status(&T, "GET", "/v1/health/service/web?filter=Node.Node%20%3D%3D", NULL),
	        400);
}

/* SkipNodeUpdate keeps the node's address; without it the address moves,
 * and an empty Service.Address stays empty (clients use the node's). */
static void test_skip_node_update(void **state)
{
	struct csr r;
	json_t *e;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	assert_int_equal(cst_status(&T, "PUT", "/v1/catalog/register",
	                            "{\"Node\":\"n1\",\"Address\":\"10.9.9.9\",\"SkipNodeUpdate\":"
	                            "true,\"Service\":{\"ID\":\"api\",\"Service\":\"api\"}}"),
	                 200);
	r = cst_do(&T, "GET", "/v1/health/service/api", NULL, NULL);
	e = json_array_get(r.json, 0);
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(e, "Node"), "Address")),
	        "10.0.0.81");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(e, "Service"), "Address")), "");
	csr_free(&r);
	assert_int_equal(cst_status(&T, "PUT", "/v1/catalog/register",
	                            "{\"Node\":\"n1\",\"Address\":\"10.9.9.9\"}"),
	                 200);
	r = cst_do(&T, "GET", "/v1/catalog/service/api", NULL, NULL);
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(r.json, 0), "Address")),
	        "10.9.9.9");
	csr_free(&r);
}

/* SIGTERM with a blocking query pending: the query is closed, exit 0. */
static void test_stop_with_pending_query(void **state)
{
	struct bg w;
	pthread_t th;
	int st;

	(void)state;
	snprintf(w.path, sizeof(w.path), "/v1/catalog/services?index=%lld&wait=60s",
	         (long long)counter("index"));
	pthread_create(&th, NULL, bg_get, &w);
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end;) {
		if (counter("blockingPending") == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(counter("blockingPending"), 1);
	st = cst_stop(&T, 1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pthread_join(th, NULL);
	assert_true(w.r.seconds < 10);
	csr_free(&w.r);
	assert_int_equal(cst_start(&T, NULL), 0); /* for teardown */
}

/* --state: the catalog and its index survive a SIGTERM restart. */
static void test_state_survives_restart(void **state)
{
	char file[1200];
	const char *extra[] = {"--state", file, NULL};
	struct csr r;
	long long idx;
	int st;

	(void)state;
	cst_stop(&T, 0);
	T.dir = ts_mkdtemp("consulsim-state");
	snprintf(file, sizeof(file), "%s/state.json", T.dir);
	assert_int_equal(cst_start(&T, extra), 0);
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, NULL);
	idx = r.index;
	csr_free(&r);
	st = cst_stop(&T, 1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(cst_start(&T, extra), 0);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, NULL);
	assert_int_equal(json_array_size(r.json), 1);
	assert_int_equal(r.index, idx);
	csr_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_http_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_connection_cap_429, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_drop_and_latency, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_agent_ttl, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_filter_and_tags, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_skip_node_update, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stop_with_pending_query, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_state_survives_restart, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_ALL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
