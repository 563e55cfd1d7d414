/* Integration test of weftd's access control: bearer tokens from a tokens
 * file (admin writes, viewer reads only, 401 without or with a wrong
 * token, the author of a write is the token's name, tokens never logged),
 * TLS with a throw-away certificate, and the refusal to listen on a
 * non-loopback address without TLS and tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

#define ADMIN    "admin-token-0123456789abcdef"
#define VIEWER   "viewer-token-0123456789abcdef"
#define FILES_CT "application/vnd.weft.files+json"

static const char service[] = "apiVersion: weft/v1\n"
                              "kind: Service\n"
                              "metadata:\n"
                              "  name: pay\n"
                              "  namespace: shop\n"
                              "spec:\n"
                              "  protocol: http\n"
                              "  ports:\n"
                              "  - name: http\n"
                              "    port: 8080\n"
                              "  endpoints:\n"
                              "  - address: 10.0.0.1\n";

static int setup(void **state)
{
	wd *d = calloc(1, sizeof(*d));
	if (!d || wd_init(d, "weft-it-auth") != 0)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	wd_cleanup(*state);
	free(*state);
	return 0;
}

static void start_with_tokens(wd *d)
{
	char tokens[600];
	snprintf(tokens, sizeof(tokens), "%s/tokens", d->dir);
	assert_int_equal(ts_write_file(tokens, "# test tokens\n" ADMIN " admin alice\n\n" VIEWER
	                                       " viewer bob\n"),
	                 0);
	chmod(tokens, 0600);
	const char *extra[] = {"--tokens", tokens, NULL};
	assert_int_equal(wd_start(d, extra), 0);
}

static long status_of(const wd *d, const char *method, const char *path, const char *token,
                      const char *body)
{
	http_resp r;
	if (http_do(d->url, method, path, token, body ? "application/yaml" : NULL, body,
	            body ? strlen(body) : 0, &r) != 0)
		return -1;
	long status = r.status;
	http_resp_free(&r);
	return status;
}

static void test_tokens_and_roles(void **state)
{
	wd *d = *state;
	start_with_tokens(d);
	assert_int_equal(status_of(d, "GET", "/healthz", NULL, NULL), 200);
	assert_int_equal(status_of(d, "GET", "/v1/status", NULL, NULL), 401);
	assert_int_equal(status_of(d, "GET", "/v1/status", "wrong-token-0123456789abcdef", NULL),
	                 401);
	assert_int_equal(status_of(d, "GET", "/nope", NULL, NULL), 401);
	assert_int_equal(status_of(d, "GET", "/v1/status", VIEWER, NULL), 200);
	assert_int_equal(status_of(d, "GET", "/metrics", VIEWER, NULL), 200);
	assert_int_equal(status_of(d, "POST", "/v1/apply", VIEWER, service), 403);
	assert_int_equal(status_of(d, "DELETE", "/v1/services/shop/pay", VIEWER, NULL), 403);
	assert_int_equal(status_of(d, "POST", "/v1/rollback?to=1", VIEWER, NULL), 403);
	assert_int_equal(wd_head(d, VIEWER), 0);
	assert_int_equal(status_of(d, "POST", "/v1/apply", ADMIN, service), 200);
	/* the author of the revision is the admin token's name */
	http_resp r;
	assert_int_equal(http_do(d->url, "GET", "/v1/revisions", VIEWER, NULL, NULL, 0, &r), 0);
	json_t *rev = json_array_get(json_object_get(r.json, "revisions"), 0);
	assert_string_equal(json_string_value(json_object_get(rev, "author")), "alice");
	http_resp_free(&r);
	/* weftctl: token from --token; a viewer's write fails with exit 1 */
	char path[600], *out;
	snprintf(path, sizeof(path), "%s/svc.yaml", d->dir);
	assert_int_equal(ts_write_file(path, service), 0);
	assert_int_equal(wctl_run(d, &out, "--token", VIEWER, "apply", "-f", path, NULL), 1);
	assert_non_null(strstr(out, "HTTP 403"));
	free(out);
	assert_int_equal(wctl_run(d, &out, "status", NULL), 1);
	assert_non_null(strstr(out, "HTTP 401"));
	free(out);
	assert_int_equal(wctl_run(d, &out, "--token", VIEWER, "get", "services", NULL), 0);
	assert_non_null(strstr(out, "pay"));
	free(out);
	/* secrets never reach the log */
	char *log = wd_log(d);
	assert_null(strstr(log, ADMIN));
	assert_null(strstr(log, VIEWER));
	assert_null(strstr(log, "wrong-token"));
	assert_non_null(strstr(log, "user=alice"));
	/* refused callers are anonymous, not the no-auth author "api" */
	assert_non_null(strstr(log, "path=/v1/status status=401"));
	assert_null(strstr(log, "user=api"));
	assert_non_null(strstr(log, "status=401 duration_ms="));
	for (const char *p = log; (p = strstr(p, "status=401 ")); p++) {
		const char *eol = strchr(p, '\n');
		const char *user = strstr(p, "user=-");
		assert_true(user && eol && user < eol);
	}
	free(log);
	assert_int_equal(wd_stop(d), 0);
}

static void test_refuses_exposed_listen(void **state)
{
	wd *d = *state;
	char bin[1024], *out = NULL;
	snprintf(bin, sizeof(bin), "%s/weftd", ts_bin_dir());
	const char *argv[] = {bin, "--state", d->state, "--api", "0.0.0.0:0", NULL};
	assert_int_equal(ts_run(argv, &out, 20000), 2);
	assert_non_null(strstr(out, "refusing to listen on non-loopback address 0.0.0.0:0"));
	free(out);
	const char *usage[] = {bin, "--api", "127.0.0.1:0", NULL};
	assert_int_equal(ts_run(usage, &out, 20000), 2);
	assert_non_null(strstr(out, "--state DIR is required"));
	free(out);
	const char *bad[] = {bin, "--state", d->state, "--quiet-ms", "soon", NULL};
	assert_int_equal(ts_run(bad, &out, 20000), 2);
	assert_non_null(strstr(out, "usage: weftd"));
	free(out);
}

static void test_tls(void **state)
{
	wd *d = *state;
	if (access("/usr/bin/openssl", X_OK) != 0)
		skip();
	char key[600], cert[600], *out = NULL;
	snprintf(key, sizeof(key), "%s/key.pem", d->dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", d->dir);
	const char *gen[] = {"/usr/bin/openssl",
	                     "req",
	                     "-x509",
	                     "-newkey",
	                     "rsa:2048",
	                     "-nodes",
	                     "-keyout",
	                     key,
	                     "-out",
	                     cert,
	                     "-days",
	                     "1",
	                     "-subj",
	                     "/CN=127.0.0.1",
	                     "-addext",
	                     "subjectAltName=IP:127.0.0.1",
	                     NULL};
	assert_int_equal(ts_run(gen, &out, 60000), 0);
	free(out);
	const char *extra[] = {"--tls-cert", cert, "--tls-key", key, NULL};
	assert_int_equal(wd_start(d, extra), 0);
	char base[128];
	snprintf(base, sizeof(base), "https://%s", d->addr);
	http_resp r;
	assert_int_equal(http_do_tls(base, cert, "GET", "/healthz", &r), 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	/* weftctl over https with the CA file */
	snprintf(d->url, sizeof(d->url), "https://%s", d->addr);
	assert_int_equal(wctl_run(d, &out, "--cacert", cert, "status", NULL), 0);
	assert_non_null(strstr(out, "revision 0"));
	free(out);
	/* without the CA the certificate is not trusted */
	assert_int_equal(wctl_run(d, &out, "status", NULL), 1);
	assert_non_null(strstr(out, "cannot reach weftd"));
	free(out);
	assert_int_equal(wd_stop(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_tokens_and_roles, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refuses_exposed_listen, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
