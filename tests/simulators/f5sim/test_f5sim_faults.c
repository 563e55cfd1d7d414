/* f5sim conformance: the /sim/ fault and inspection API (fail-commits
 * included), --state across a SIGTERM restart, certificate verification
 * with --cert/--key, and scale (1,000 pools with 10,000 members answered
 * in one fast collection GET). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "f5t.h"
#include "testsupport.h"

static struct f5t T;

static int group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_ALL);
	return f5t_start(&T, NULL);
}

/* f5sim must stop cleanly on SIGTERM (exit 0: no crash, and no leak in
 * sanitizer builds). */
static int group_teardown(void **state)
{
	int st = f5t_stop(&T, 0);

	curl_global_cleanup();
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	T.auth = F5T_BASIC;
	if (f5t_status(&T, "POST", "/sim/reset", "{}") != 200)
		return -1;
	return f5t_status(&T, "POST", "/sim/counters/reset", "{}") == 200 ? 0 : -1;
}

static void test_latency(void **state)
{
	struct f5r r;

	assert_int_equal(f5t_status(&T, "POST", "/sim/latency", "{\"ms\":300}"), 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds >= 0.3);
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "POST", "/sim/latency", "{\"ms\":0}"), 200);
	assert_int_equal(f5t_status(&T, "POST", "/sim/latency", "{\"ms\":-1}"), 400);
}

static void test_fail_next(void **state)
{
	struct f5r r;

	assert_int_equal(f5t_status(&T, "POST", "/sim/fail", "{\"count\":2}"), 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool", NULL, NULL);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "Configuration Utility restarting"));
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p\"}"), 503);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p", NULL), 404);
	assert_int_equal(f5t_status(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p\"}"), 200);
}

/* A transaction on T with one pool POST queued; its path in tp. */
static void queued_pool_txn(const char *pool, char *tp, size_t len)
{
	struct f5r r = f5t_do(&T, "POST", "/mgmt/tm/transaction", "{}", NULL);
	char hdr[96], body[128];

	assert_int_equal(r.status, 200);
	snprintf(hdr, sizeof(hdr), "X-F5-REST-Coordination-Id: %lld", f5_int(r.json, "transId"));
	snprintf(tp, len, "/mgmt/tm/transaction/%lld", f5_int(r.json, "transId"));
	f5r_free(&r);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"members\":[\"10.0.0.1:80\"]}", pool);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", body, hdr);
	assert_int_equal(r.status, 200);
	f5r_free(&r);
}

static long long generation(void)
{
	struct f5r r = f5t_do(&T, "GET", "/sim/state", NULL, NULL);
	long long g = f5_int(r.json, "generation");

	f5r_free(&r);
	return g;
}

/* /sim/fail-commits: the next N commits that would succeed fail as a
 * failing command would (rolled back, FAILED, failureReason, 400);
 * validateOnly commits do not use up the count. */
static void test_fail_commits(void **state)
{
	char tp[96];
	struct f5r r;
	long long gen;

	assert_int_equal(f5t_status(&T, "POST", "/sim/fail-commits", "{\"count\":-1}"), 400);
	assert_int_equal(f5t_status(&T, "POST", "/sim/fail-commits", "{\"count\":\"1\"}"), 400);
	r = f5t_do(&T, "POST", "/sim/fail-commits", "{\"count\":1}", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(f5_int(r.json, "failCommits"), 1);
	f5r_free(&r);

	queued_pool_txn("vo", tp, sizeof(tp));
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\",\"validateOnly\":true}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "state"), "COMPLETED");
	f5r_free(&r);

	gen = generation();
	queued_pool_txn("p1", tp, sizeof(tp));
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\"}", NULL);
	assert_int_equal(r.status, 400);
	assert_int_equal(f5_int(r.json, "code"), 400);
	assert_string_equal(f5_str(r.json, "message"),
	                    "transaction failed:injected by /sim/fail-commits");
	f5r_free(&r);
	r = f5t_do(&T, "GET", tp, NULL, NULL);
	assert_string_equal(f5_str(r.json, "state"), "FAILED");
	assert_string_equal(f5_str(r.json, "failureReason"), "injected by /sim/fail-commits");
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p1", NULL), 404);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/node/~Common~10.0.0.1", NULL), 404);
	assert_int_equal(generation(), gen);
	r = f5t_do(&T, "GET", "/sim/faults", NULL, NULL);
	assert_int_equal(f5_int(r.json, "failCommits"), 0);
	f5r_free(&r);

	/* the count is used up: the same change commits now */
	queued_pool_txn("p1", tp, sizeof(tp));
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "state"), "COMPLETED");
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p1", NULL), 200);

	/* /sim/reset clears the knob */
	assert_int_equal(f5t_status(&T, "POST", "/sim/fail-commits", "{\"count\":5}"), 200);
	assert_int_equal(f5t_status(&T, "POST", "/sim/reset", "{}"), 200);
	r = f5t_do(&T, "GET", "/sim/faults", NULL, NULL);
	assert_int_equal(f5_int(r.json, "failCommits"), 0);
	f5r_free(&r);
}

static void test_outages(void **state)
{
	struct f5r r;

	assert_int_equal(f5t_status(&T, "POST", "/sim/outage",
	                            "{\"mode\":\"unregistered\",\"seconds\":0.4}"),
	                 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool", NULL, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(f5_str(r.json, "message"),
	                    "URI path /mgmt/tm/ltm/pool not "
	                    "registered.  Please verify URI is supported and wait for /available "
	                    "suffix to be responsive.");
	f5r_free(&r);
	usleep(500 * 1000);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 200);

	assert_int_equal(f5t_status(&T, "POST", "/sim/outage", "{\"mode\":\"mcpd\",\"seconds\":5}"),
	                 200);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p\"}", NULL);
	assert_int_equal(r.status, 500);
	assert_string_equal(f5_str(r.json, "message"),
	                    "The connection to mcpd has been lost, try again.");
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "POST", "/sim/outage", "{\"mode\":\"none\"}"), 200);

	/* a restart: 503 while it lasts, and tokens are forgotten */
	assert_int_equal(f5t_login(&T), 0);
	assert_int_equal(
	        f5t_status(&T, "POST", "/sim/outage", "{\"mode\":\"restart\",\"seconds\":0.3}"),
	        200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 503);
	usleep(400 * 1000);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 401);
	assert_int_equal(f5t_status(&T, "POST", "/sim/outage", "{\"mode\":\"bogus\"}"), 400);
}

static void test_counters_and_log(void **state)
{
	struct f5r r;
	json_t *byp, *last;
	size_t n;

	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 200);
	assert_int_equal(f5t_status(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p\"}"), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p", NULL), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~q", NULL), 404);
	r = f5t_do(&T, "GET", "/sim/counters", NULL, NULL);
	assert_int_equal(f5_int(r.json, "total"), 4);
	assert_int_equal(f5_int(json_object_get(r.json, "byMethod"), "GET"), 3);
	assert_int_equal(f5_int(json_object_get(r.json, "byMethod"), "POST"), 1);
	byp = json_object_get(r.json, "byPath");
	assert_int_equal(f5_int(json_object_get(byp, "/mgmt/tm/ltm/pool"), "total"), 2);
	assert_int_equal(f5_int(json_object_get(byp, "/mgmt/tm/ltm/pool/{name}"), "GET"), 2);
	f5r_free(&r);
	/* /sim/ requests are not counted */
	r = f5t_do(&T, "GET", "/sim/counters", NULL, NULL);
	assert_int_equal(f5_int(r.json, "total"), 4);
	f5r_free(&r);

	r = f5t_do(&T, "GET", "/sim/log", NULL, NULL);
	n = json_array_size(json_object_get(r.json, "entries"));
	assert_int_equal(n, 4);
	last = json_array_get(json_object_get(r.json, "entries"), 1);
	assert_string_equal(f5_str(last, "method"), "POST");
	assert_string_equal(f5_str(last, "path"), "/mgmt/tm/ltm/pool");
	assert_int_equal(f5_int(last, "status"), 200);
	assert_false(json_is_true(json_object_get(last, "inTransaction")));
	assert_int_equal(f5_int(last, "requestBytes"), strlen("{\"name\":\"p\"}"));
	f5r_free(&r);

	assert_int_equal(f5t_status(&T, "POST", "/sim/counters/reset", "{}"), 200);
	r = f5t_do(&T, "GET", "/sim/counters", NULL, NULL);
	assert_int_equal(f5_int(r.json, "total"), 0);
	f5r_free(&r);
}

static void test_state_and_reset(void **state)
{
	struct f5r r;

	assert_int_equal(f5t_status(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p\"}"), 200);
	r = f5t_do(&T, "GET", "/sim/state", NULL, NULL);
	assert_int_equal(
	        json_array_size(json_object_get(json_object_get(r.json, "objects"), "ltm/pool")),
	        1);
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "POST", "/sim/reset", "{}"), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p", NULL), 404);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/sys/folder/~Common", NULL), 200);
}

static void test_state_file(void **state)
{
	struct f5t s2 = {0};
	char statef[1200], arg[1300];
	const char *extra[] = {"--state", statef, NULL};
	int st;

	s2.dir = ts_mkdtemp("f5sim-state");
	assert_non_null(s2.dir);
	snprintf(statef, sizeof(statef), "%s/state.json", s2.dir);
	snprintf(arg, sizeof(arg), "%s", statef);
	assert_int_equal(f5t_start(&s2, extra), 0);
	assert_int_equal(f5t_status(&s2, "POST", "/mgmt/tm/ltm/pool",
	                            "{\"name\":\"keep\",\"members\":[\"10.0.0.1:80\"]}"),
	                 200);
	st = f5t_stop(&s2, 1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(access(statef, R_OK), 0);
	assert_int_equal(f5t_start(&s2, extra), 0);
	assert_int_equal(f5t_status(&s2, "GET",
	                            "/mgmt/tm/ltm/pool/~Common~keep/members/~Common~10.0.0.1:80",
	                            NULL),
	                 200);
	assert_int_equal(f5t_status(&s2, "DELETE", "/mgmt/tm/ltm/node/~Common~10.0.0.1", NULL),
	                 400);
	f5t_stop(&s2, 0);
}

static void test_tls_verify(void **state)
{
	struct f5t s2 = {0};
	char cert[1200], key[1200], *out = NULL;
	const char *extra[] = {"--cert", cert, "--key", key, NULL};
	const char *gen[] = {"/usr/bin/openssl",
	                     "req",
	                     "-x509",
	                     "-newkey",
	                     "ec",
	                     "-pkeyopt",
	                     "ec_paramgen_curve:prime256v1",
	                     "-nodes",
	                     "-keyout",
	                     key,
	                     "-out",
	                     cert,
	                     "-days",
	                     "2",
	                     "-subj",
	                     "/CN=localhost",
	                     "-addext",
	                     "subjectAltName=DNS:localhost,IP:127.0.0.1",
	                     NULL};
	struct f5r r;

	s2.dir = ts_mkdtemp("f5sim-tls");
	assert_non_null(s2.dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", s2.dir);
	snprintf(key, sizeof(key), "%s/key.pem", s2.dir);
	assert_int_equal(ts_run(gen, &out, 20000), 0);
	free(out);
	assert_int_equal(f5t_start(&s2, extra), 0);
	s2.cainfo = cert;
	r = f5t_do(&s2, "GET", "/mgmt/tm/sys/folder", NULL, NULL);
	assert_int_equal(r.status, 200);
	f5r_free(&r);
	/* the default (self-signed, made at start) certificate does not verify */
	T.cainfo = cert;
	r = f5t_do(&T, "GET", "/mgmt/tm/sys/folder", NULL, NULL);
	T.cainfo = NULL;
	assert_int_equal(r.status, 0);
	f5r_free(&r);
	f5t_stop(&s2, 0);
}

static size_t sink(char *d, size_t sz, size_t n, void *u)
{
	return sz * n;
}

/* 1,000 pools with 10 members each over one keep-alive connection. */
static void load_pools(void)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[128], body[1024];
	long code;
	int i, j, n;

	snprintf(url, sizeof(url), "%s/mgmt/tm/ltm/pool", T.base);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERPWD, "admin:" F5T_PASSWORD);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	for (i = 0; i < 1000; i++) {
		n = snprintf(body, sizeof(body), "{\"name\":\"pool%d\",\"members\":[", i);
		for (j = 0; j < 10; j++)
			n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\"10.%d.%d.%d:80\"",
			              j ? "," : "", i / 250, i % 250, j + 1);
		snprintf(body + n, sizeof(body) - (size_t)n, "]}");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		assert_int_equal(code, 200);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void test_scale(void **state)
{
	struct f5r r;
	json_t *items, *it;
	size_t i, members = 0;
	long long t0;

	load_pools();
	t0 = ts_now_ms();
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool?expandSubcollections=true", NULL, NULL);
	assert_int_equal(r.status, 200);
	items = json_object_get(r.json, "items");
	assert_int_equal(json_array_size(items), 1000);
	json_array_foreach(items, i, it) members +=
	        json_array_size(json_object_get(json_object_get(it, "membersReference"), "items"));
	assert_int_equal(members, 10000);
	fprintf(stderr,
	        "f5sim scale: expanded GET of 1000 pools / 10000 members: server+transfer "
	        "%.1f ms (with client parse %lld ms), %zu bytes\n",
	        r.seconds * 1000, ts_now_ms() - t0, strlen(r.body));
	assert_true(r.seconds < 1.0); /* ~40 ms here (65 ms under ASan) */
	f5r_free(&r);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool/~Common~pool999/members/~Common~10.3.249.10:80",
	           NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds < 0.5);
	f5r_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_latency, setup),
	        cmocka_unit_test_setup(test_fail_next, setup),
	        cmocka_unit_test_setup(test_fail_commits, setup),
	        cmocka_unit_test_setup(test_outages, setup),
	        cmocka_unit_test_setup(test_counters_and_log, setup),
	        cmocka_unit_test_setup(test_state_and_reset, setup),
	        cmocka_unit_test_setup(test_state_file, setup),
	        cmocka_unit_test_setup(test_tls_verify, setup),
	        cmocka_unit_test_setup(test_scale, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
