/* The etcd backend over TLS and with etcd users, against a real etcd that
 * serves HTTPS only and requires client certificates (store_etcd_harness
 * --tls makes the CA and certificates). The cases run in order: the second
 * one turns etcd's authentication on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etcd_http.h"
#include "store_test_util.h"
#include "testsupport.h"

static weft_store_opts tls_opts(void)
{
	weft_store_opts o = {.ca_file = getenv("WEFT_TEST_ETCD_CA"),
	                     .cert_file = getenv("WEFT_TEST_ETCD_CERT"),
	                     .key_file = getenv("WEFT_TEST_ETCD_KEY")};
	return o;
}

static int setup(void **state)
{
	if (!tst_is_etcd() || !getenv("WEFT_TEST_ETCD_CA"))
		fail_msg("run through store_etcd_harness --tls");
	*state = tst_mkdir();
	return 0;
}

/* The prefix is left behind: etcd and its data dir go with the harness. */
static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void commit_and_load(weft_store *s)
{
	int64_t rev = tst_commit(s, (weft_stored[]){tst_res(WEFT_KIND_SERVICE, "d", "a", "{}")}, 1,
	                         NULL, 0);
	weft_stored *items = NULL;
	size_t n = 0;
	weft_err err = {0};
	assert_int_equal(weft_store_load(s, rev, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	weft_stored_free_array(items, n);
}

static void test_tls(void **state)
{
	const char *url = *state;
	weft_err err = {0};
	/* plain HTTP to an HTTPS-only etcd */
	assert_null(weft_store_open(url, &err));
	tst_assert_contains(err.msg, "store etcd://");
	/* the right CA but no client certificate: etcd refuses the handshake */
	weft_store_opts o = {.ca_file = getenv("WEFT_TEST_ETCD_CA")};
	assert_null(weft_store_open_opts(url, &o, &err));
	tst_assert_contains(err.msg, "https://127.0.0.1:");
	/* a client certificate but a CA that did not sign the server's */
	o = tls_opts();
	o.ca_file = getenv("WEFT_TEST_ETCD_CERT");
	assert_null(weft_store_open_opts(url, &o, &err));
	tst_assert_contains(err.msg, "certificate");
	o = tls_opts();
	weft_store *s = weft_store_open_opts(url, &o, &err);
	if (!s)
		fail_msg("%s", err.msg);
	commit_and_load(s);
	weft_store_close(s);
}

static void raw_call(struct etcd_client *cl, const char *path, const char *body)
{
	json_t *req = json_loads(body, 0, NULL), *resp = NULL;
	weft_err err = {0};
	assert_non_null(req);
	if (etcd_post(cl, path, req, &resp, &err))
		fail_msg("%s: %s", path, err.msg);
	json_decref(req);
	json_decref(resp);
}

static void test_credentials(void **state)
{
	const char *url = *state;
	weft_store_opts o = tls_opts();
	weft_err err = {0};
	struct etcd_client *cl = etcd_client_new(getenv("WEFT_TEST_STORE_ETCD"), &o, &err);
	assert_non_null(cl);
	raw_call(cl, "/v3/auth/role/add", "{\"name\":\"root\"}");
	raw_call(cl, "/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"s3cret\"}");
	raw_call(cl, "/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}");
	raw_call(cl, "/v3/auth/enable", "{}");
	etcd_client_free(cl);

	char *dir = ts_mkdtemp("weft-creds");
	char file[4096];
	snprintf(file, sizeof(file), "%s/creds", dir);
	/* no credentials */
	assert_null(weft_store_open_opts(url, &o, &err));
	tst_assert_contains(err.msg, "store etcd://");
	tst_assert_contains(err.msg, "user name is empty");
	/* a wrong password */
	assert_int_equal(ts_write_file(file, "root:wrong\n"), 0);
	o.credentials_file = file;
	assert_null(weft_store_open_opts(url, &o, &err));
	tst_assert_contains(err.msg, "authenticate as 'root'");
	tst_assert_contains(err.msg, "authentication failed");
	/* not USER:PASSWORD */
	assert_int_equal(ts_write_file(file, "root\n"), 0);
	assert_null(weft_store_open_opts(url, &o, &err));
	tst_assert_contains(err.msg, ":1: expected USER:PASSWORD");
	/* the file */
	assert_int_equal(ts_write_file(file, "root:s3cret\n"), 0);
	weft_store *s = weft_store_open_opts(url, &o, &err);
	if (!s)
		fail_msg("%s", err.msg);
	commit_and_load(s);
	weft_store_close(s);
	/* the environment */
	o.credentials_file = NULL;
	setenv("WEFT_STORE_USER", "root", 1);
	setenv("WEFT_STORE_PASSWORD", "s3cret", 1);
	s = weft_store_open_opts(url, &o, &err);
	if (!s)
		fail_msg("%s", err.msg);
	commit_and_load(s);
	weft_store_close(s);
	unsetenv("WEFT_STORE_PASSWORD");
	assert_null(weft_store_open_opts(url, &o, &err));
	tst_assert_contains(err.msg, "WEFT_STORE_USER is set but WEFT_STORE_PASSWORD is not");
	unsetenv("WEFT_STORE_USER");
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
