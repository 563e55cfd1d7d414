/* f5sim conformance: LTM/sys objects over HTTPS -- create/read/replace/
 * merge/delete semantics, mcpd-style error bodies, references, partitions
 * and subPaths, query options, pool members, policy drafts, generation. */
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
	T.auth = F5T_BASIC;
	return f5t_status(&T, "POST", "/sim/reset", "{}") == 200 ? 0 : -1;
}

#define POST(p, b) f5t_status(&T, "POST", p, b)

static void assert_error(struct f5r *r, long status, const char *msg)
{
	assert_int_equal(r->status, status);
	assert_int_equal(f5_int(r->json, "code"), status);
	assert_string_equal(f5_str(r->json, "message"), msg);
	assert_true(json_is_array(json_object_get(r->json, "errorStack")));
	assert_non_null(json_object_get(r->json, "apiError"));
	f5r_free(r);
}

static void test_pool_crud(void **state)
{
	struct f5r r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool",
	                      "{\"name\":\"p1\",\"loadBalancingMode\":\"least-connections-member\","
	                      "\"description\":\"d\",\"x-custom\":{\"a\":1}}",
	                      NULL);
	long long gen;

	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "kind"), "tm:ltm:pool:poolstate");
	assert_string_equal(f5_str(r.json, "name"), "p1");
	assert_string_equal(f5_str(r.json, "partition"), "Common");
	assert_string_equal(f5_str(r.json, "fullPath"), "/Common/p1");
	assert_string_equal(f5_str(r.json, "selfLink"),
	                    "https://localhost/mgmt/tm/ltm/pool/~Common~p1?ver=15.1.0");
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(r.json, "x-custom"), "a")), 1);
	gen = f5_int(r.json, "generation");
	assert_true(gen > 0);
	f5r_free(&r);

	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p1\"}", NULL);
	assert_error(&r, 409,
	             "01020066:3: The requested Pool (/Common/p1) already exists in "
	             "partition Common.");

	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p1", NULL), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/p1", NULL), 200);

	r = f5t_do(&T, "PATCH", "/mgmt/tm/ltm/pool/~Common~p1", "{\"description\":\"e\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "description"), "e");
	assert_string_equal(f5_str(r.json, "loadBalancingMode"), "least-connections-member");
	assert_true(f5_int(r.json, "generation") > gen);
	f5r_free(&r);

	r = f5t_do(&T, "PUT", "/mgmt/tm/ltm/pool/~Common~p1", "{\"description\":\"f\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "loadBalancingMode"), "round-robin");
	assert_null(json_object_get(r.json, "x-custom"));
	assert_string_equal(f5_str(r.json, "fullPath"), "/Common/p1");
	f5r_free(&r);

	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/pool/~Common~p1", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "");
	f5r_free(&r);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p1", NULL, NULL);
	assert_error(&r, 404, "01020036:3: The requested Pool (/Common/p1) was not found.");
	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/pool/~Common~p1", NULL, NULL);
	assert_error(&r, 404, "01020036:3: The requested Pool (/Common/p1) was not found.");
}

static void test_references(void **state)
{
	struct f5r r;

	assert_int_equal(POST("/mgmt/tm/ltm/monitor/http", "{\"name\":\"m1\",\"send\":\"GET /\"}"),
	                 200);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p1\",\"monitor\":\"m1 and http\"}",
	           NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "monitor"), "/Common/m1 and /Common/http");
	f5r_free(&r);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool",
	           "{\"name\":\"p2\",\"monitor\":\"/Common/nomon\"}", NULL);
	assert_error(&r, 400, "01020036:3: The requested monitor (/Common/nomon) was not found.");

	assert_int_equal(POST("/mgmt/tm/ltm/virtual", "{\"name\":\"vs1\",\"destination\":"
	                                              "\"/Common/10.1.1.1:80\",\"pool\":\"p1\"}"),
	                 200);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/virtual", "{\"name\":\"vs2\",\"pool\":\"nope\"}",
	           NULL);
	assert_error(&r, 400, "01020036:3: The requested Pool (/Common/nope) was not found.");
	r = f5t_do(&T, "PATCH", "/mgmt/tm/ltm/virtual/~Common~vs1", "{\"pool\":\"/Common/nope\"}",
	           NULL);
	assert_error(&r, 400, "01020036:3: The requested Pool (/Common/nope) was not found.");

	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/pool/~Common~p1", NULL, NULL);
	assert_error(&r, 400,
	             "01070265:3: The Pool (/Common/p1) cannot be deleted because it "
	             "is in use by a Virtual Server (/Common/vs1).");
	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/monitor/http/~Common~m1", NULL, NULL);
	assert_error(&r, 400, "01070083:3: Monitor /Common/m1 is in use.");

	assert_int_equal(f5t_status(&T, "DELETE", "/mgmt/tm/ltm/virtual/~Common~vs1", NULL), 200);
	assert_int_equal(f5t_status(&T, "DELETE", "/mgmt/tm/ltm/pool/~Common~p1", NULL), 200);
	assert_int_equal(f5t_status(&T, "DELETE", "/mgmt/tm/ltm/monitor/http/~Common~m1", NULL),
	                 200);
}

static void test_partitions(void **state)
{
	struct f5r r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool",
	                      "{\"name\":\"p\",\"partition\":\"T1\"}", NULL);

	assert_error(&r, 400, "01020036:3: The requested folder (/T1) was not found.");
	r = f5t_do(&T, "POST", "/mgmt/tm/sys/folder", "{\"name\":\"T1\",\"partition\":\"/\"}",
	           NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "fullPath"), "/T1");
	f5r_free(&r);
	assert_int_equal(POST("/mgmt/tm/sys/folder", "{\"name\":\"app\",\"partition\":\"T1\"}"),
	                 200);
	assert_int_equal(POST("/mgmt/tm/ltm/pool", "{\"name\":\"p\",\"partition\":\"T1\"}"), 200);
	assert_int_equal(POST("/mgmt/tm/ltm/pool", "{\"name\":\"c\"}"), 200);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool",
	           "{\"name\":\"q\",\"partition\":\"T1\",\"subPath\":\"app\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "fullPath"), "/T1/app/q");
	assert_string_equal(f5_str(r.json, "subPath"), "app");
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~T1~p", NULL), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~T1~app~q", NULL), 200);

	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool?$filter=partition%20eq%20T1", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "kind"), "tm:ltm:pool:poolcollectionstate");
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	f5r_free(&r);

	r = f5t_do(&T, "DELETE", "/mgmt/tm/sys/folder/~T1", NULL, NULL);
	assert_error(&r, 400,
	             "0107082a:3: All objects must be removed from a partition (T1) "
	             "before the partition may be removed.");
}

static void test_select_expand_members(void **state)
{
	struct f5r r;
	json_t *it;

	assert_int_equal(POST("/mgmt/tm/ltm/pool",
	                      "{\"name\":\"p\",\"members\":["
	                      "{\"name\":\"10.0.0.1:80\"},{\"name\":\"10.0.0.2:80\"},"
	                      "{\"name\":\"10.0.0.3:80\",\"ratio\":5}]}"),
	                 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool?expandSubcollections=true", NULL, NULL);
	it = json_array_get(json_object_get(r.json, "items"), 0);
	assert_int_equal(
	        json_array_size(json_object_get(json_object_get(it, "membersReference"), "items")),
	        3);
	f5r_free(&r);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool", NULL, NULL);
	it = json_array_get(json_object_get(r.json, "items"), 0);
	assert_null(json_object_get(json_object_get(it, "membersReference"), "items"));
	f5r_free(&r);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p?$select=name,fullPath", NULL, NULL);
	assert_int_equal(json_object_size(r.json), 2);
	assert_string_equal(f5_str(r.json, "fullPath"), "/Common/p");
	f5r_free(&r);

	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool/~Common~p/members",
	           "{\"name\":\"10.0.0.5:80\",\"partition\":\"Common\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "address"), "10.0.0.5");
	assert_string_equal(f5_str(r.json, "kind"), "tm:ltm:pool:members:membersstate");
	f5r_free(&r);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool/~Common~p/members",
	           "{\"name\":\"10.0.0.5:80\",\"partition\":\"Common\"}", NULL);
	assert_error(&r, 409,
	             "01020066:3: The requested Pool Member (/Common/p /Common/10.0.0.5 "
	             "80) already exists in partition Common.");
	/* the node was created with the member, and is held by it */
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/node/~Common~10.0.0.5", NULL), 200);
	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/node/~Common~10.0.0.5", NULL, NULL);
	assert_error(&r, 400,
	             "01070110:3: Node address '/Common/10.0.0.5' is referenced by a "
	             "member of pool '/Common/p'.");
	r = f5t_do(&T, "PATCH", "/mgmt/tm/ltm/pool/~Common~p/members/~Common~10.0.0.5:80",
	           "{\"ratio\":3}", NULL);
	assert_int_equal(f5_int(r.json, "ratio"), 3);
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "DELETE",
	                            "/mgmt/tm/ltm/pool/~Common~p/members/~Common~10.0.0.5:80",
	                            NULL),
	                 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p/members/~Common~10.0.0.5:80", NULL,
	           NULL);
	assert_error(&r, 404,
	             "01020036:3: The requested Pool Member (/Common/p /Common/10.0.0.5 "
	             "80) was not found.");
	assert_int_equal(f5t_status(&T, "DELETE", "/mgmt/tm/ltm/node/~Common~10.0.0.5", NULL), 200);
	/* PATCH with members replaces the member set */
	assert_int_equal(f5t_status(&T, "PATCH", "/mgmt/tm/ltm/pool/~Common~p",
	                            "{\"members\":[\"10.0.0.9:443\"]}"),
	                 200);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p/members", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	f5r_free(&r);
}

static void test_policy_drafts(void **state)
{
	struct f5r r;

	assert_int_equal(POST("/mgmt/tm/sys/folder", "{\"name\":\"P\"}"), 200);
	assert_int_equal(POST("/mgmt/tm/ltm/pool", "{\"name\":\"web\",\"partition\":\"P\"}"), 200);
	r = f5t_do(
	        &T, "POST", "/mgmt/tm/ltm/policy",
	        "{\"name\":\"pol\",\"partition\":\"P\",\"subPath\":\"Drafts\",\"rules\":[{\"name\":"
	        "\"r1\",\"actions\":[{\"name\":\"0\",\"forward\":true,\"select\":true,"
	        "\"pool\":\"web\"}]}]}",
	        NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "fullPath"), "/P/Drafts/pol");
	assert_string_equal(f5_str(r.json, "status"), "draft");
	f5r_free(&r);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/virtual",
	           "{\"name\":\"v\",\"partition\":\"P\","
	           "\"policies\":[{\"name\":\"/P/Drafts/pol\"}]}",
	           NULL);
	assert_int_equal(r.status, 400);
	f5r_free(&r);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/policy",
	           "{\"command\":\"publish\",\"name\":\"/P/Drafts/pol\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "command"), "publish");
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/policy/~P~Drafts~pol", NULL), 404);
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/policy/~P~pol", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "status"), "published");
	f5r_free(&r);
	assert_int_equal(POST("/mgmt/tm/ltm/virtual",
	                      "{\"name\":\"v\",\"partition\":\"P\","
	                      "\"policies\":[{\"name\":\"pol\",\"partition\":\"P\"}]}"),
	                 200);
	/* the pool is now held by the published policy */
	assert_int_equal(f5t_status(&T, "DELETE", "/mgmt/tm/ltm/pool/~P~web", NULL), 400);
	assert_int_equal(
	        f5t_status(&T, "PATCH", "/mgmt/tm/ltm/policy/~P~pol?options=create-draft", "{}"),
	        200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/policy/~P~Drafts~pol", NULL), 200);
}

static void test_other_types(void **state)
{
	static const struct {
		const char *path, *body, *kind;
	} cases[] = {
	        {"/mgmt/tm/ltm/rule", "{\"name\":\"r\",\"apiAnonymous\":\"when HTTP_REQUEST {}\"}",
	         "tm:ltm:rule:rulestate"},
	        {"/mgmt/tm/ltm/data-group/internal",
	         "{\"name\":\"dg\",\"type\":\"ip\",\"records\":"
	         "[{\"name\":\"10.0.0.0/8\",\"data\":\"\"}]}",
	         "tm:ltm:data-group:internal:internalstate"},
	        {"/mgmt/tm/ltm/profile/client-ssl", "{\"name\":\"cs\"}",
	         "tm:ltm:profile:client-ssl:client-sslstate"},
	        {"/mgmt/tm/ltm/profile/server-ssl", "{\"name\":\"ss\"}",
	         "tm:ltm:profile:server-ssl:server-sslstate"},
	        {"/mgmt/tm/ltm/node", "{\"name\":\"n1\",\"address\":\"10.9.9.9\"}",
	         "tm:ltm:node:nodestate"},
	        {"/mgmt/tm/ltm/monitor/tcp", "{\"name\":\"t\"}", "tm:ltm:monitor:tcp:tcpstate"},
	};
	struct f5r r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = f5t_do(&T, "POST", cases[i].path, cases[i].body, NULL);
		assert_int_equal(r.status, 200);
		assert_string_equal(f5_str(r.json, "kind"), cases[i].kind);
		f5r_free(&r);
		r = f5t_do(&T, "GET", cases[i].path, NULL, NULL);
		assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
		f5r_free(&r);
	}
	assert_int_equal(POST("/mgmt/tm/ltm/virtual",
	                      "{\"name\":\"v\",\"rules\":[\"r\"],"
	                      "\"profiles\":[{\"name\":\"cs\",\"context\":\"clientside\"},"
	                      "{\"name\":\"http\"}]}"),
	                 200);
	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/profile/client-ssl/~Common~cs", NULL, NULL);
	assert_error(&r, 400,
	             "01070265:3: The ClientSSL Profile (/Common/cs) cannot be deleted "
	             "because it is in use by a Virtual Server (/Common/v).");
	r = f5t_do(&T, "DELETE", "/mgmt/tm/ltm/rule/~Common~r", NULL, NULL);
	assert_int_equal(r.status, 400);
	f5r_free(&r);
}

static void test_generation_and_errors(void **state)
{
	struct f5r a = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"a\"}", NULL);
	struct f5r b = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"b\"}", NULL);
	struct f5r r;

	assert_true(f5_int(b.json, "generation") > f5_int(a.json, "generation"));
	r = f5t_do(&T, "PATCH", "/mgmt/tm/ltm/pool/a", "{\"description\":\"x\"}", NULL);
	assert_true(f5_int(r.json, "generation") > f5_int(b.json, "generation"));
	f5r_free(&a);
	f5r_free(&b);
	f5r_free(&r);

	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":", NULL);
	assert_error(&r, 400, "Found invalid JSON body in the request.");
	r = f5t_do(&T, "GET", "/mgmt/tm/ltm/nosuch", NULL, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(f5_str(r.json, "message"),
	                    "URI path /mgmt/tm/ltm/nosuch not "
	                    "registered.  Please verify URI is supported and wait for /available "
	                    "suffix to be responsive.");
	f5r_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_pool_crud, setup),
	        cmocka_unit_test_setup(test_references, setup),
	        cmocka_unit_test_setup(test_partitions, setup),
	        cmocka_unit_test_setup(test_select_expand_members, setup),
	        cmocka_unit_test_setup(test_policy_drafts, setup),
	        cmocka_unit_test_setup(test_other_types, setup),
	        cmocka_unit_test_setup(test_generation_and_errors, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
