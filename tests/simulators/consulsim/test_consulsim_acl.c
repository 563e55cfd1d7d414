/* consulsim conformance: ACLs on (--acl-token), default deny. The token is
 * the management token; it is accepted as X-Consul-Token, Authorization:
 * Bearer and ?token=. Anonymous writes get 403 "Permission denied",
 * anonymous reads are filtered to nothing, unknown tokens 403 "ACL not
 * found". Without --acl-token everything is allowed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cst.h"

#define TOKEN "b1gs3cr3t-0000-4000-8000-000000000001"

static struct cst T;

static int setup_acl(void **state)
{
	static const char *const extra[] = {"--acl-token", TOKEN, NULL};

	(void)state;
	return cst_start(&T, extra);
}

static int setup_open(void **state)
{
	(void)state;
	return cst_start(&T, NULL);
}

static int teardown(void **state)
{
	int st = cst_stop(&T, 0);

	(void)state;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void test_writes_need_the_token(void **state)
{
	static const char *body = "{\"Node\":\"n1\",\"Address\":\"10.0.0.1\","
	                          "\"Service\":{\"Service\":\"web\",\"Port\":80}}";
	struct csr r;

	(void)state;
	r = cst_do(&T, "PUT", "/v1/catalog/register", body, NULL);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "Permission denied\n");
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/catalog/register", body, "X-Consul-Token: not-a-token");
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "ACL not found\n");
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/agent/service/register", "{\"Name\":\"web\"}", NULL);
	assert_int_equal(r.status, 403);
	csr_free(&r);
	/* nothing was stored by the refused writes */
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, "X-Consul-Token: " TOKEN);
	assert_null(json_object_get(r.json, "web"));
	csr_free(&r);

	r = cst_do(&T, "PUT", "/v1/catalog/register", body, "X-Consul-Token: " TOKEN);
	assert_int_equal(r.status, 200);
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/catalog/register", body, "Authorization: Bearer " TOKEN);
	assert_int_equal(r.status, 200);
	csr_free(&r);
	r = cst_do(&T, "PUT", "/v1/catalog/register?token=" TOKEN, body, NULL);
	assert_int_equal(r.status, 200);
	csr_free(&r);
}

static void test_reads_are_filtered(void **state)
{
	struct csr r;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", "X-Consul-Token: " TOKEN), 0);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(r.json), 0);
	assert_string_equal(r.filtered, "true");
	assert_true(r.index >= 1);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/catalog/services", NULL, NULL);
	assert_int_equal(json_object_size(r.json), 0);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, "X-Consul-Token: nope");
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "ACL not found\n");
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, "X-Consul-Token: " TOKEN);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(r.json), 1);
	assert_string_equal(r.filtered, "");
	csr_free(&r);
	/* status needs no token */
	assert_int_equal(cst_status(&T, "GET", "/v1/status/leader", NULL), 200);
}

static void test_acls_off_allow_all(void **state)
{
	struct csr r;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, "X-Consul-Token: anything");
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(r.json), 1);
	csr_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_writes_need_the_token, setup_acl, teardown),
	        cmocka_unit_test_setup_teardown(test_reads_are_filtered, setup_acl, teardown),
	        cmocka_unit_test_setup_teardown(test_acls_off_allow_all, setup_open, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_ALL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
