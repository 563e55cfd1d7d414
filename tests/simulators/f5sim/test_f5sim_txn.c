/* f5sim conformance: iControl REST transactions -- queueing with
 * X-F5-REST-Coordination-Id, the commands list, all-or-nothing commit,
 * FAILED with failureReason, validateOnly, empty commits, expiry, DELETE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	if (f5t_status(&T, "POST", "/sim/reset", "{}") != 200)
		return -1;
	return f5t_login(&T);
}

/* Starts a transaction; fills its id, the header line and its path. */
static void begin(const char *body, char *hdr, char *path)
{
	struct f5r r = f5t_do(&T, "POST", "/mgmt/tm/transaction", body, NULL);
	long long id = f5_int(r.json, "transId");

	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "state"), "STARTED");
	assert_string_equal(f5_str(r.json, "kind"), "tm:transactionstate");
	assert_true(id > 0);
	sprintf(hdr, "X-F5-REST-Coordination-Id: %lld", id);
	sprintf(path, "/mgmt/tm/transaction/%lld", id);
	f5r_free(&r);
}

static long queue(const char *hdr, const char *method, const char *path, const char *body)
{
	struct f5r r = f5t_do(&T, method, path, body, hdr);
	long st = r.status;

	f5r_free(&r);
	return st;
}

static void test_commit(void **state)
{
	char hdr[96], tp[96], cp[128];
	struct f5r r;

	begin("{}", hdr, tp);
	r = f5t_do(&T, "POST", "/mgmt/tm/ltm/pool",
	           "{\"name\":\"p1\",\"members\":[\"10.0.0.1:80\"]}", hdr);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "method"), "POST");
	assert_string_equal(f5_str(r.json, "uri"), "https://localhost/mgmt/tm/ltm/pool");
	assert_string_equal(f5_str(json_object_get(r.json, "body"), "name"), "p1");
	assert_int_equal(f5_int(r.json, "evalOrder"), 1);
	assert_int_equal(f5_int(r.json, "commandId"), 1);
	assert_string_equal(f5_str(r.json, "kind"), "tm:transaction:commandsstate");
	f5r_free(&r);
	/* queued, not applied; references are checked at commit */
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p1", NULL), 404);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/virtual",
	                       "{\"name\":\"vs\",\"pool\":\"/Common/p1\"}"),
	                 200);
	snprintf(cp, sizeof(cp), "%s/commands", tp);
	r = f5t_do(&T, "GET", cp, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	f5r_free(&r);

	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\"}", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(f5_str(r.json, "state"), "COMPLETED");
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p1", NULL), 200);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/virtual/~Common~vs", NULL), 200);
	assert_int_equal(f5t_status(&T, "GET",
	                            "/mgmt/tm/ltm/pool/~Common~p1/members/~Common~10.0.0.1:80",
	                            NULL),
	                 200);
	/* a committed transaction takes no more commands */
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"late\"}"), 400);
}

static void test_rollback(void **state)
{
	char hdr[96], tp[96];
	struct f5r r, st0, st1;

	assert_int_equal(f5t_status(&T, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p1\"}"), 200);
	st0 = f5t_do(&T, "GET", "/sim/state", NULL, NULL);
	begin("{}", hdr, tp);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p2\"}"), 200);
	assert_int_equal(queue(hdr, "PATCH", "/mgmt/tm/ltm/pool/~Common~p1",
	                       "{\"description\":\"changed\"}"),
	                 200);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p1\"}"), 200);
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\"}", NULL);
	assert_int_equal(r.status, 409);
	assert_string_equal(f5_str(r.json, "message"),
	                    "transaction failed:01020066:3: The "
	                    "requested Pool (/Common/p1) already exists in partition Common.");
	f5r_free(&r);
	/* nothing of it was applied: the state (and generation) is unchanged */
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p2", NULL), 404);
	st1 = f5t_do(&T, "GET", "/sim/state", NULL, NULL);
	assert_string_equal(st0.body, st1.body);
	f5r_free(&st0);
	f5r_free(&st1);
	r = f5t_do(&T, "GET", tp, NULL, NULL);
	assert_string_equal(f5_str(r.json, "state"), "FAILED");
	assert_string_equal(f5_str(r.json, "failureReason"),
	                    "01020066:3: The requested Pool "
	                    "(/Common/p1) already exists in partition Common.");
	f5r_free(&r);
}

static void test_validate_only(void **state)
{
	char hdr[96], tp[96];
	struct f5r r;

	begin("{}", hdr, tp);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"p3\"}"), 200);
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\",\"validateOnly\":true}", NULL);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "validateOnly")));
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~p3", NULL), 404);

	begin("{}", hdr, tp);
	assert_int_equal(
	        queue(hdr, "POST", "/mgmt/tm/ltm/virtual", "{\"name\":\"v\",\"pool\":\"missing\"}"),
	        200);
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\",\"validateOnly\":true}", NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(f5_str(r.json, "message"),
	                    "transaction failed:01020036:3: The "
	                    "requested Pool (/Common/missing) was not found.");
	f5r_free(&r);
}

static void test_empty_expiry_delete(void **state)
{
	char hdr[96], tp[96], tp2[96];
	struct f5r r;

	begin("{}", hdr, tp);
	r = f5t_do(&T, "PATCH", tp, "{\"state\":\"VALIDATING\"}", NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(f5_str(r.json, "message"), "has no commands"));
	f5r_free(&r);
	assert_int_equal(f5t_status(&T, "DELETE", tp, NULL), 200);
	assert_int_equal(f5t_status(&T, "GET", tp, NULL), 404);

	begin("{\"timeoutSeconds\":1}", hdr, tp2);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"x\"}"), 200);
	usleep(1300 * 1000);
	assert_int_equal(f5t_status(&T, "GET", tp2, NULL), 404);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"y\"}"), 404);
	assert_int_equal(f5t_status(&T, "PATCH", tp2, "{\"state\":\"VALIDATING\"}"), 404);
}

static void test_counted_in_transaction(void **state)
{
	char hdr[96], tp[96];
	struct f5r r;

	assert_int_equal(f5t_status(&T, "POST", "/sim/counters/reset", "{}"), 200);
	begin("{}", hdr, tp);
	assert_int_equal(queue(hdr, "POST", "/mgmt/tm/ltm/pool", "{\"name\":\"a\"}"), 200);
	assert_int_equal(queue(hdr, "DELETE", "/mgmt/tm/ltm/pool/~Common~zz", NULL), 200);
	r = f5t_do(&T, "GET", "/sim/counters", NULL, NULL);
	assert_int_equal(f5_int(r.json, "total"), 3);
	assert_int_equal(f5_int(r.json, "inTransaction"), 2);
	f5r_free(&r);
	/* the DELETE of a missing pool fails the commit */
	assert_int_equal(f5t_status(&T, "PATCH", tp, "{\"state\":\"VALIDATING\"}"), 404);
	assert_int_equal(f5t_status(&T, "GET", "/mgmt/tm/ltm/pool/~Common~a", NULL), 404);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_commit, setup),
	        cmocka_unit_test_setup(test_rollback, setup),
	        cmocka_unit_test_setup(test_validate_only, setup),
	        cmocka_unit_test_setup(test_empty_expiry_delete, setup),
	        cmocka_unit_test_setup(test_counted_in_transaction, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
