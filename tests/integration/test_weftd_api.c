/* Integration test of weftd's REST API and weftctl against one running
 * weftd (started by pid on a free port, temp state dir): apply the example
 * policy through the API and through weftctl, read it back, change the
 * canary weight, invalid input (422 with file:line:col, nothing stored),
 * expected-revision conflicts, plan, history, rollback, delete, limits,
 * metrics, and a restart on the same state directory. The tests run in
 * order and build on each other's revisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

#define FILES_CT "application/vnd.weft.files+json"

static wd d;
static char examples[1024]; /* SRC/examples/policy */
static int n_docs;          /* documents in it */
static long long rev_applied, rev_changed;

static int group_setup(void **state)
{
	snprintf(examples, sizeof(examples), "%s/examples/policy", ts_source_dir());
	n_docs = count_docs_dir(examples);
	if (n_docs <= 0 || wd_init(&d, "weft-it-api") != 0)
		return -1;
	/* file devices write relative to weftd's working directory */
	if (chdir(d.dir) != 0)
		return -1;
	return wd_start(&d, NULL);
}

static int group_teardown(void **state)
{
	wd_cleanup(&d);
	return 0;
}

static void test_health_and_routing(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/healthz", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/nope", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	assert_non_null(json_string_value(json_object_get(r.json, "error")));
	assert_true(json_is_array(json_object_get(r.json, "errors")));
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/v1/widgets", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "unknown resource type 'widgets'"));
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "DELETE", "/v1/status", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 405);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/v1/apply", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 405);
	http_resp_free(&r);
	assert_int_equal(wd_head(&d, NULL), 0);
}

static void test_apply_examples_api(void **state)
{
	char *env = files_envelope_dir(examples, "examples/policy");
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, FILES_CT, env, strlen(env), &r),
	                 0);
	free(env);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), 1);
	assert_int_equal(json_integer_value(json_object_get(r.json, "created")), n_docs);
	assert_int_equal(json_array_size(json_object_get(r.json, "changes")), n_docs);
	assert_true(json_is_false(json_object_get(r.json, "dryRun")));
	assert_int_equal(r.revision, 1);
	http_resp_free(&r);
	rev_applied = 1;
	/* every document is readable back */
	assert_int_equal(http_do(d.url, "GET", "/v1/services", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(json_array_size(json_object_get(r.json, "items")) > 0);
	http_resp_free(&r);
}

static void test_apply_examples_weftctl(void **state)
{
	char *out;
	/* the same files again: nothing changes, no revision is stored */
	assert_int_equal(wctl_run(&d, &out, "apply", "-f", examples, NULL), 0);
	assert_non_null(strstr(out, "revision 1 (0 created, 0 updated, 0 deleted"));
	free(out);
	assert_int_equal(wd_head(&d, NULL), 1);
	assert_int_equal(wctl_run(&d, &out, "apply", "-f", examples, "--dry-run", NULL), 0);
	assert_non_null(strstr(out, "dry run"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "-o", "json", "apply", "-f", examples, NULL), 0);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "unchanged")), n_docs);
	json_decref(j);
	free(out);
}

static void test_get(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/v1/routes/shop/reviews", NULL, NULL, NULL, 0, &r),
	                 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "kind")), "Route");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(r.json, "metadata"), "name")),
	        "reviews");
	assert_int_equal(r.revision, 1);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/v1/routes/shop/missing", NULL, NULL, NULL, 0, &r),
	                 0);
	assert_int_equal(r.status, 404);
	http_resp_free(&r);
	char *out;
	assert_int_equal(wctl_run(&d, &out, "get", "Routes", "-n", "shop", NULL), 0);
	assert_non_null(strstr(out, "NAMESPACE"));
	assert_non_null(strstr(out, "reviews"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "get", "route", "reviews", "-n", "shop", NULL), 0);
	assert_non_null(strstr(out, "kind: Route"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "get", "widget", NULL), 2);
	assert_non_null(strstr(out, "unknown kind 'widget'"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "get", "route", "missing", "-n", "shop", NULL), 1);
	assert_non_null(strstr(out, "not found"));
	free(out);
}

/* Shifts 10 points of weight from the first to the second destination of
 * the first http rule with two weighted destinations. */
static int shift_weight(json_t *route, int *from)
{
	size_t i;
	json_t *rule;
	json_array_foreach(json_object_get(json_object_get(route, "spec"), "http"), i, rule)
	{
		json_t *dest = json_object_get(rule, "destinations");
		json_t *w0 = json_object_get(json_array_get(dest, 0), "weight");
		json_t *w1 = json_object_get(json_array_get(dest, 1), "weight");
		if (json_is_integer(w0) && json_is_integer(w1)) {
			*from = (int)json_integer_value(w0);
			json_integer_set(w0, json_integer_value(w0) - 10);
			json_integer_set(w1, json_integer_value(w1) + 10);
			return 0;
		}
	}
	return -1;
}

static int first_weight(const wd *dd)
{
	http_resp r;
	if (http_do(dd->url, "GET", "/v1/routes/shop/reviews", NULL, NULL, NULL, 0, &r) != 0)
		return -1;
	int from = -1;
	shift_weight(r.json, &from);
	http_resp_free(&r);
	return from;
}

static void test_change_canary_weight(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/v1/routes/shop/reviews", NULL, NULL, NULL, 0, &r),
	                 0);
	int before;
	assert_int_equal(shift_weight(r.json, &before), 0);
	char *doc = json_dumps(r.json, 0);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "PUT", "/v1/routes/shop/reviews?expectedRevision=1", NULL,
	                         "application/json", doc, strlen(doc), &r),
	                 0);
	free(doc);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), 2);
	assert_int_equal(json_integer_value(json_object_get(r.json, "updated")), 1);
	http_resp_free(&r);
	assert_int_equal(first_weight(&d), before - 10);
	rev_changed = 2;
}

static void test_put_mismatch(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/v1/routes/shop/reviews", NULL, NULL, NULL, 0, &r),
	                 0);
	char *doc = json_dumps(r.json, 0);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "PUT", "/v1/routes/shop/other", NULL, "application/json",
	                         doc, strlen(doc), &r),
	                 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(r.json, "errors"), 0), "path")),
	                    "metadata.name");
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "PUT", "/v1/services/shop/reviews", NULL,
	                         "application/json", doc, strlen(doc), &r),
	                 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "\"kind\""));
	http_resp_free(&r);
	free(doc);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
}

static const char bad_service[] = "apiVersion: weft/v1\n"
                                  "kind: Service\n"
                                  "metadata:\n"
                                  "  name: broken\n"
                                  "  namespace: shop\n"
                                  "spec:\n"
                                  "  protocol: http\n"
                                  "  ports:\n"
                                  "  - name: http\n"
                                  "    port: 80\n"
                                  "  portz: 80\n";

/* The first diagnostic whose message mentions word. */
static json_t *find_error(json_t *errors, const char *word)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		const char *msg = json_string_value(json_object_get(e, "message"));
		if (msg && strstr(msg, word))
			return e;
	}
	return NULL;
}

static void test_invalid_is_422_and_not_stored(void **state)
{
	char *env = files_envelope_one("mine/bad.yaml", bad_service);
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, FILES_CT, env, strlen(env), &r),
	                 0);
	free(env);
	assert_int_equal(r.status, 422);
	json_t *e = find_error(json_object_get(r.json, "errors"), "portz");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "file")), "mine/bad.yaml");
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 11);
	assert_int_equal(json_integer_value(json_object_get(e, "column")), 3);
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "portz"));
	http_resp_free(&r);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
	/* a syntax error is a malformed request: 400, still positioned */
	env = files_envelope_one("mine/syntax.yaml", "kind: [unclosed\n");
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, FILES_CT, env, strlen(env), &r),
	                 0);
	free(env);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "mine/syntax.yaml"));
	http_resp_free(&r);
	/* and through weftctl, the user's own file name and position */
	char path[1024], *out;
	snprintf(path, sizeof(path), "%s/bad.yaml", d.dir);
	assert_int_equal(ts_write_file(path, bad_service), 0);
	assert_int_equal(wctl_run(&d, &out, "apply", "-f", path, NULL), 1);
	char want[1100];
	snprintf(want, sizeof(want), "%s:11:3: spec: unknown field 'portz'", path);
	assert_non_null(strstr(out, want));
	free(out);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
}

static void test_bad_requests(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", "", 0, &r),
	                 0);
	assert_int_equal(r.status, 400);
	http_resp_free(&r);
	assert_int_equal(
	        http_do(d.url, "POST", "/v1/apply", NULL, FILES_CT, "{\"files\": 3}", 12, &r), 0);
	assert_int_equal(r.status, 400);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, "text/html", "<p>", 3, &r), 0);
	assert_int_equal(r.status, 415);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "POST", "/v1/apply?expectedRevision=x", NULL,
	                         "application/yaml", "a: 1\n", 5, &r),
	                 0);
	assert_int_equal(r.status, 400);
	http_resp_free(&r);
	size_t big = (size_t)17 << 20;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, '#', big);
	assert_int_equal(
	        http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", huge, big, &r), 0);
	free(huge);
	assert_int_equal(r.status, 413);
	http_resp_free(&r);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
}

/* Control bytes in a decoded path segment are refused with a 400 naming
 * the segment (a NUL once cut `pz%00zz` to `pz` and stored it); a very long
 * path gets the documented JSON error with 414, not the HTTP library's
 * HTML page. Nothing is stored. */
static void test_bad_paths(void **state)
{
	static const char *const doc =
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: pz, namespace: shop}\n"
	        "spec: {ports: [{name: http, port: 80}]}\n";
	static const char *const bad[] = {"/v1/services/shop/pz%00zz", "/v1/services/shop/pz%0A",
	                                  "/v1/services/sh%7Fop/pz", "/v1/status%00"};
	http_resp r;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(http_do(d.url, "PUT", bad[i], NULL, "application/yaml", doc,
		                         strlen(doc), &r),
		                 0);
		assert_int_equal(r.status, 400);
		const char *msg = json_string_value(json_object_get(r.json, "error"));
		assert_non_null(msg);
		const char *seg = strrchr(bad[i], '/') + 1;
		if (i == 2)
			seg = "sh%7Fop";
		char want[300];
		snprintf(want, sizeof(want), "path segment '%s' holds a control character", seg);
		assert_non_null(strstr(msg, want));
		http_resp_free(&r);
	}
	assert_int_equal(http_do(d.url, "GET", "/v1/services/shop/pz", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	http_resp_free(&r);
	/* an escaped '%' is still a '%' (and other escapes still decode) */
	assert_int_equal(
	        http_do(d.url, "GET", "/v1/services/shop/p%25z%41", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "'shop/p%zA' not found"));
	http_resp_free(&r);
	size_t n = 100 * 1024;
	char *path = malloc(n + 32);
	assert_non_null(path);
	strcpy(path, "/v1/services/shop/");
	memset(path + strlen(path), 'a', n);
	path[18 + n] = '\0';
	assert_int_equal(http_do(d.url, "GET", path, NULL, NULL, NULL, 0, &r), 0);
	free(path);
	assert_int_equal(r.status, 414);
	assert_non_null(r.json);
	assert_string_equal(json_string_value(json_object_get(r.json, "error")),
	                    "request path longer than 8192 bytes");
	assert_true(json_is_array(json_object_get(r.json, "errors")));
	http_resp_free(&r);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
	/* and the log holds one short line for it (the path cut at 1,024) */
	char needle[1100];
	memset(needle, 'a', sizeof(needle) - 1);
	needle[sizeof(needle) - 1] = '\0';
	char *log = wd_log(&d);
	assert_null(strstr(log, needle));
	assert_non_null(strstr(log, "aaa... status=414"));
	free(log);
}

static void test_conflict_is_409(void **state)
{
	char *env = files_envelope_dir(examples, "examples/policy");
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply?expectedRevision=1", NULL, FILES_CT, env,
	                         strlen(env), &r),
	                 0);
	free(env);
	assert_int_equal(r.status, 409);
	assert_non_null(json_string_value(json_object_get(r.json, "error")));
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "DELETE",
	                         "/v1/telemetries/shop/shop-telemetry?expectedRevision=1", NULL,
	                         NULL, NULL, 0, &r),
	                 0);
	assert_int_equal(r.status, 409);
	http_resp_free(&r);
	char *out;
	assert_int_equal(
	        wctl_run(&d, &out, "apply", "-f", examples, "--expected-revision", "1", NULL), 1);
	assert_non_null(strstr(out, "HTTP 409"));
	free(out);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
}

static void test_plan(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/v1/plan", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), rev_changed);
	assert_true(json_array_size(json_object_get(r.json, "devices")) > 0);
	http_resp_free(&r);
	/* a dry run of the example files (weights back) plans without storing */
	char *env = files_envelope_dir(examples, "examples/policy");
	assert_int_equal(http_do(d.url, "POST", "/v1/plan", NULL, FILES_CT, env, strlen(env), &r),
	                 0);
	free(env);
	assert_int_equal(r.status, 200);
	assert_true(json_array_size(json_object_get(r.json, "devices")) > 0);
	http_resp_free(&r);
	env = files_envelope_one("mine/bad.yaml", bad_service);
	assert_int_equal(http_do(d.url, "POST", "/v1/plan", NULL, FILES_CT, env, strlen(env), &r),
	                 0);
	free(env);
	assert_int_equal(r.status, 422);
	http_resp_free(&r);
	char *out;
	assert_int_equal(wctl_run(&d, &out, "plan", "-f", examples, NULL), 0);
	assert_non_null(strstr(out, "device infra/mesh-file"));
	free(out);
	assert_int_equal(wd_head(&d, NULL), rev_changed);
}

static void test_history_and_rollback(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/v1/revisions?limit=10", NULL, NULL, NULL, 0, &r),
	                 0);
	assert_int_equal(r.status, 200);
	json_t *revs = json_object_get(r.json, "revisions");
	assert_int_equal(json_array_size(revs), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(revs, 0), "revision")),
	                 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(revs, 0), "author")),
	                    "api");
	http_resp_free(&r);
	char *out;
	assert_int_equal(wctl_run(&d, &out, "history", "--limit", "5", NULL), 0);
	assert_non_null(strstr(out, "REVISION"));
	free(out);
	int after_change = first_weight(&d);
	assert_int_equal(http_do(d.url, "POST", "/v1/rollback", NULL, "application/json",
	                         "{\"revision\": 1}", 15, &r),
	                 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), 3);
	http_resp_free(&r);
	assert_int_equal(first_weight(&d), after_change + 10);
	/* back to revision 2 through weftctl; an unknown revision fails */
	assert_int_equal(wctl_run(&d, &out, "rollback", "2", NULL), 0);
	assert_non_null(strstr(out, "revision 4"));
	free(out);
	assert_int_equal(first_weight(&d), after_change);
	assert_int_equal(wctl_run(&d, &out, "rollback", "99", NULL), 1);
	free(out);
	/* the 404 says why, and carries no server path (the store's file) */
	assert_int_equal(http_do(d.url, "POST", "/v1/rollback?to=99", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "revision 99 does not exist (head is 4)"));
	assert_null(strstr(r.body, d.dir));
	assert_null(strstr(r.body, "store"));
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "POST", "/v1/rollback?to=1", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), 5);
	http_resp_free(&r);
	assert_int_equal(wd_head(&d, NULL), 5);
}

static void test_delete(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "DELETE", "/v1/telemetries/shop/shop-telemetry", NULL, NULL,
	                         NULL, 0, &r),
	                 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "deleted")), 1);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), 6);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/v1/telemetries/shop/shop-telemetry", NULL, NULL,
	                         NULL, 0, &r),
	                 0);
	assert_int_equal(r.status, 404);
	http_resp_free(&r);
	char *out;
	assert_int_equal(
	        wctl_run(&d, &out, "delete", "telemetry", "shop-telemetry", "-n", "shop", NULL), 1);
	assert_non_null(strstr(out, "HTTP 404"));
	free(out);
	assert_int_equal(wd_head(&d, NULL), 6);
}

static void test_metrics_and_status(void **state)
{
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/metrics", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "weft_head_revision 6"));
	assert_non_null(
	        strstr(r.body, "weft_api_requests_total{route=\"/v1/apply\",code=\"422\"} 2\n"));
	assert_non_null(
	        strstr(r.body, "weft_api_requests_total{route=\"/v1/apply\",code=\"413\"} 1\n"));
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/v1/status", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "revision")), 6);
	http_resp_free(&r);
	char *out;
	assert_int_equal(wctl_run(&d, &out, "status", NULL), 0);
	assert_non_null(strstr(out, "revision 6"));
	free(out);
}

/* An apply whose body is still being uploaded when SIGTERM arrives: weftd
 * stops accepting but finishes it (and stores it) before exiting 0. */
static void apply_across_sigterm(void)
{
	static const char svc[] = "apiVersion: weft/v1\nkind: Service\nmetadata:\n"
	                          "  name: late\n  namespace: shop\nspec:\n  protocol: http\n"
	                          "  ports:\n  - name: http\n    port: 8080\n"
	                          "  endpoints:\n  - address: 10.9.9.9\n";
	char *env = files_envelope_one("late.yaml", svc);
	size_t len = strlen(env), half = len / 2;
	char head[512];
	int n = snprintf(head, sizeof(head),
	                 "POST /v1/apply HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 d.addr, FILES_CT, len);
	int port = atoi(strrchr(d.addr, ':') + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, head, (size_t)n), n);
	assert_int_equal(write(fd, env, half), (ssize_t)half);
	struct timespec pause = {0, 200 * 1000 * 1000};
	nanosleep(&pause, NULL);
	assert_int_equal(kill(d.pid, SIGTERM), 0);
	nanosleep(&pause, NULL);
	int status;
	assert_int_equal(waitpid(d.pid, &status, WNOHANG), 0); /* still finishing */
	assert_int_equal(write(fd, env + half, len - half), (ssize_t)(len - half));
	char answer[4096];
	size_t got = 0;
	ssize_t r;
	while (got + 1 < sizeof(answer) &&
	       (r = read(fd, answer + got, sizeof(answer) - 1 - got)) > 0)
		got += (size_t)r;
	answer[got] = '\0';
	close(fd);
	free(env);
	assert_non_null(strstr(answer, "HTTP/1.1 200"));
	assert_non_null(strstr(answer, "\"created\": 1"));
	assert_int_equal(wd_stop(&d), 0);
}

static void test_restart_keeps_everything(void **state)
{
	http_resp before, after;
	apply_across_sigterm();
	assert_int_equal(wd_start(&d, NULL), 0);
	assert_int_equal(wd_head(&d, NULL), 7);
	assert_int_equal(http_do(d.url, "GET", "/v1/routes", NULL, NULL, NULL, 0, &before), 0);
	assert_int_equal(before.status, 200);
	assert_int_equal(wd_stop(&d), 0);
	char *log = wd_log(&d);
	assert_non_null(strstr(log, "shutting down"));
	assert_non_null(strstr(log, "stopped"));
	free(log);
	assert_int_equal(wd_start(&d, NULL), 0);
	assert_int_equal(wd_head(&d, NULL), 7);
	assert_int_equal(http_do(d.url, "GET", "/v1/routes", NULL, NULL, NULL, 0, &after), 0);
	assert_int_equal(after.status, 200);
	assert_true(json_equal(before.json, after.json));
	http_resp_free(&before);
	http_resp_free(&after);
}

static void test_unreachable_server(void **state)
{
	char *out;
	wd nowhere = {0};
	snprintf(nowhere.url, sizeof(nowhere.url), "http://127.0.0.1:%d", ts_free_port());
	assert_int_equal(wctl_run(&nowhere, &out, "status", NULL), 1);
	assert_non_null(strstr(out, "cannot reach weftd at http://127.0.0.1:"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_health_and_routing),
	        cmocka_unit_test(test_apply_examples_api),
	        cmocka_unit_test(test_apply_examples_weftctl),
	        cmocka_unit_test(test_get),
	        cmocka_unit_test(test_change_canary_weight),
	        cmocka_unit_test(test_put_mismatch),
	        cmocka_unit_test(test_invalid_is_422_and_not_stored),
	        cmocka_unit_test(test_bad_requests),
	        cmocka_unit_test(test_bad_paths),
	        cmocka_unit_test(test_conflict_is_409),
	        cmocka_unit_test(test_plan),
	        cmocka_unit_test(test_history_and_rollback),
	        cmocka_unit_test(test_delete),
	        cmocka_unit_test(test_metrics_and_status),
	        cmocka_unit_test(test_restart_keeps_everything),
	        cmocka_unit_test(test_unreachable_server),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
