/* The ADS listener with mTLS: certificates made with the openssl CLI (a CA,
 * a server certificate for 127.0.0.1, a client certificate), xds_testd
 * with --tls-cert/--tls-key/--tls-ca, and a real gRPC client (@grpc/grpc-js,
 * Envoy's ads.proto): with a client certificate it gets the clusters;
 * without one the handshake is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "testsupport.h"

static char *dir;

static void sh(const char *cmd)
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	char *out = NULL;
	int rc = ts_run(argv, &out, 30000);
	if (rc)
		fprintf(stderr, "%s: %s\n", cmd, out ? out : "");
	free(out);
	assert_int_equal(rc, 0);
}

static json_t *client(const char *addr, int with_cert)
{
	char ca[600], cert[600], key[600];
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	snprintf(key, sizeof(key), "%s/client.key", dir);
	const char *argv[] = {"/usr/bin/env",
	                      "node",
	                      XDS_IT_DIR "/ads_tls_client.js",
	                      XDS_NODE_MODULES,
	                      addr,
	                      ca,
	                      with_cert ? cert : NULL,
	                      with_cert ? key : NULL,
	                      NULL};
	char *out = NULL;
	assert_int_equal(ts_run(argv, &out, 30000), 0);
	const char *p = out ? strrchr(out, '{') : NULL;
	json_t *j = p ? json_loads(p, 0, NULL) : NULL;
	if (!j)
		fprintf(stderr, "client: %s\n", out ? out : "");
	free(out);
	assert_non_null(j);
	return j;
}

static void test_ads_mtls(void **state)
{
	(void)state;
	char cmd[4096], addr[64], policy[600], ready[600], st[600], log[600], a[600], b[600],
	        c[600];
	dir = ts_mkdtemp("xds-tls");
	snprintf(
	        cmd, sizeof(cmd),
	        "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	        "-keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca 2>/dev/null && "
	        "for n in server client; do openssl req -newkey ec -pkeyopt "
	        "ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr -subj /CN=$n "
	        "2>/dev/null && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > $n.ext && "
	        "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem "
	        "-days 1 -extfile $n.ext 2>/dev/null || exit 1; done",
	        dir);
	sh(cmd);
	snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
	assert_int_equal(ts_write_file(policy,
	                               "apiVersion: weft/v1\nkind: Service\nmetadata: {name: a, "
	                               "namespace: t}\nspec:\n  ports: [{name: http, port: "
	                               "80}]\n  endpoints:\n  - {address: 10.0.0.1}\n"),
	                 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ts_free_port());
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(log, sizeof(log), "%s/testd.log", dir);
	snprintf(a, sizeof(a), "%s/server.pem", dir);
	snprintf(b, sizeof(b), "%s/server.key", dir);
	snprintf(c, sizeof(c), "%s/ca.pem", dir);
	const char *argv[] = {XDS_TESTD, "--state",  st,    "--listen",   addr, "--policy",
	                      policy,    "--ready",  ready, "--tls-cert", a,    "--tls-key",
	                      b,         "--tls-ca", c,     NULL};
	pid_t pid = ts_spawn(argv, log);
	assert_true(pid > 0);
	assert_int_equal(ts_wait_path(ready, pid, 15000), 0);
	json_t *ok = client(addr, 1), *refused = client(addr, 0);
	ts_stop(pid, 5000);
	assert_true(json_is_true(json_object_get(ok, "ok")));
	assert_int_equal(json_integer_value(json_object_get(ok, "clusters")), 2);
	assert_true(json_is_false(json_object_get(refused, "ok")));
	json_decref(ok);
	json_decref(refused);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_ads_mtls)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
