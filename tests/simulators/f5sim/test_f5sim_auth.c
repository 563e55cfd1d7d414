/* f5sim conformance: authentication (login, X-F5-Auth-Token, token timeout
 * PATCH, expiry, basic auth). Starts one f5sim over HTTPS for the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "f5t.h"

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
	T.auth = F5T_NONE;
	return f5t_status(&T, "POST", "/sim/reset", "{}") == 200 ? 0 : -1;
}

static void test_login(void **state)
{
	struct f5r r = f5t_do(&T, "POST", "/mgmt/shared/authn/login",
	                      "{\"username\":\"admin\",\"password\":\"" F5T_PASSWORD
	                      "\",\"loginProviderName\":\"tmos\"}",
	                      NULL);
	json_t *tok = json_object_get(r.json, "token");

	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "username"), "admin");
	assert_string_equal(f5_str(r.json, "loginProviderName"), "tmos");
	assert_int_equal(strlen(f5_str(tok, "token")), 26);
	assert_int_equal(f5_int(tok, "timeout"), 1200);
	assert_true(f5_int(tok, "expirationMicros") > 0);
	assert_string_equal(f5_str(tok, "kind"), "shared:authz:tokens:authtokenitemstate");
	f5r_free(&r);

	r = f5t_do(&T, "POST", "/mgmt/shared/authn/login",
	           "{\"username\":\"admin\",\"password\":\"wrong\",\"loginProviderName\":\"tmos\"}",
	           NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(f5_str(r.json, "message"), "Authentication failed.");
	f5r_free(&r);
}

static void test_token_header(void **state)
{
	struct f5r r;

	assert_int_equal(f5t_login(&T), 0);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 200);

	snprintf(T.token, sizeof(T.token), "NOSUCHTOKEN");
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(f5_str(r.json, "message"), "X-F5-Auth-Token does not exist.");
	assert_int_equal(f5_int(r.json, "code"), 401);
	f5r_free(&r);

	T.auth = F5T_NONE;
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(f5_str(r.json, "message"),
	                       "Authorization failed: no user authentication header or token"));
	f5r_free(&r);
}

static void test_token_extend(void **state)
{
	char path[128];
	struct f5r r;
	long long exp0;

	assert_int_equal(f5t_login(&T), 0);
	snprintf(path, sizeof(path), "/mgmt/shared/authz/tokens/%s", T.token);
	r = f5t_do(&T, "GET", path, NULL, NULL);
	assert_int_equal(r.status, 200);
	exp0 = f5_int(r.json, "expirationMicros");
	f5r_free(&r);

	r = f5t_do(&T, "PATCH", path, "{\"timeout\":36000}", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(f5_int(r.json, "timeout"), 36000);
	assert_true(f5_int(r.json, "expirationMicros") - exp0 == (36000LL - 1200) * 1000000);
	f5r_free(&r);

	assert_int_equal(f5t_status(&T, "PATCH", path, "{\"timeout\":36001}"), 406);
	assert_int_equal(f5t_status(&T, "PATCH", path, "{\"timeout\":\"long\"}"), 400);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 200);
}

static void test_token_expired(void **state)
{
	struct f5r r;

	assert_int_equal(f5t_login(&T), 0);
	assert_int_equal(f5t_status(&T, "POST", "/sim/expire-tokens", "{}"), 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/virtual", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(f5_str(r.json, "message"), "X-F5-Auth-Token has expired.");
	f5r_free(&r);
	/* a new login works again */
	assert_int_equal(f5t_login(&T), 0);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/virtual", NULL), 200);
}

static void test_token_delete(void **state)
{
	char path[128];

	assert_int_equal(f5t_login(&T), 0);
	snprintf(path, sizeof(path), "/mgmt/shared/authz/tokens/%s", T.token);
	assert_int_equal(f5t_status(&T, "DELETE", path, NULL), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool", NULL), 401);
}

static void test_basic_auth(void **state)
{
	struct f5r r;

	T.auth = F5T_BASIC;
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/sys/folder", NULL), 200);
	T.auth = F5T_NONE;
	r = f5t_do(&T, "GET", "/mgmt/tm/sys/folder", NULL,
	           "Authorization: Basic YWRtaW46d3Jvbmc="); /* admin:wrong */
	assert_int_equal(r.status, 401);
	assert_string_equal(f5_str(r.json, "message"), "Authentication failed.");
	f5r_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_login, setup),
	        cmocka_unit_test_setup(test_token_header, setup),
	        cmocka_unit_test_setup(test_token_extend, setup),
	        cmocka_unit_test_setup(test_token_expired, setup),
	        cmocka_unit_test_setup(test_token_delete, setup),
	        cmocka_unit_test_setup(test_basic_auth, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
