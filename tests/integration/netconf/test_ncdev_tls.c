/* Netconf adapter over NETCONF over TLS (RFC 7589) against ncsim: a CA, a
 * server certificate (IP SAN 127.0.0.1) and client certificates made with
 * the openssl CLI in a temp dir; ncsim started by pid with a TLS endpoint
 * on a free port; a policy pushed through the adapter to a Device with
 * connection.tls, and the running datastore read back. Then a client whose
 * certificate the device's CA did not sign is refused with a clear error
 * and the device is unchanged, and a device certificate that does not
 * verify against the Device's caFile is refused too. Label integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncdev_adapter.h"
#include "ncit.h"
#include "testsupport.h"

struct fx {
	struct ncit_sim sim;
	char *dir; /* certificates */
	int tls_port;
};

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {protocol: tcp, ports: [{name: p, port: 80, targetPort: 8080}],\n"
        "  endpoints: [{address: 10.0.0.1}, {address: 10.0.0.7, weight: 3}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: edge}\n"
        "spec: {hosts: [shop.example.com], tcp: [{destinations: [{service: web}]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw}\n"
        "spec: {address: 192.0.2.10, listeners: [{name: l4, port: 80, protocol: tcp,"
        " hosts: [shop.example.com], routes: [edge]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: tls0}\n"
        "spec:\n  type: netconf\n"
        "  connection: {address: 127.0.0.1, port: %d, credentials: {file: %s/%s},"
        " tls: {caFile: %s/%s}, timeout: 5s}\n";

/* Runs the openssl CLI in dir with args (NULL-terminated); asserts success. */
static void openssl(const char *dir, const char *const *args)
{
	const char *argv[32] = {"/bin/sh", "-c", NULL, NULL};
	char cmd[4096];
	size_t off = (size_t)snprintf(cmd, sizeof(cmd), "cd '%s' && openssl", dir);
	for (size_t i = 0; args[i]; i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " %s", args[i]);
	argv[2] = cmd;
	char *out = NULL;
	int rc = ts_run(argv, &out, 20000);
	if (rc)
		fprintf(stderr, "%s\n%s\n", cmd, out ? out : "");
	free(out);
	assert_int_equal(rc, 0);
}

#define KEY "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"

/* A self-signed CA NAME (NAME.crt, NAME.key). */
static void make_ca(const char *dir, const char *name)
{
	char k[64], c[64], subj[64];
	snprintf(k, sizeof(k), "%s.key", name);
	snprintf(c, sizeof(c), "%s.crt", name);
	snprintf(subj, sizeof(subj), "/CN=%s", name);
	const char *a[] = {"req", "-x509", KEY, "-keyout", k,    "-out",
	                   c,     "-days", "2", "-subj",   subj, NULL};
	openssl(dir, a);
}

/* NAME.crt/NAME.key signed by CA ca (ext: an -extfile line or NULL), and
 * NAME.pem = certificate + key (the Device's credentials.file). */
static void make_cert(const char *dir, const char *name, const char *ca, const char *ext)
{
	char k[64], csr[64], c[64], subj[64], cac[64], cak[64], extf[600];
	snprintf(k, sizeof(k), "%s.key", name);
	snprintf(csr, sizeof(csr), "%s.csr", name);
	snprintf(c, sizeof(c), "%s.crt", name);
	snprintf(subj, sizeof(subj), "/CN=%s", name);
	snprintf(cac, sizeof(cac), "%s.crt", ca);
	snprintf(cak, sizeof(cak), "%s.key", ca);
	snprintf(extf, sizeof(extf), "%s/%s.ext", dir, name);
	ts_write_file(extf, ext ? ext : "basicConstraints=CA:FALSE\n");
	const char *r[] = {"req", KEY, "-keyout", k, "-out", csr, "-subj", subj, NULL};
	openssl(dir, r);
	const char *x[] = {
	        "x509", "-req", "-in",   csr, "-CA",      cac,  "-CAkey", cak, "-CAcreateserial",
	        "-out", c,      "-days", "2", "-extfile", extf, NULL};
	openssl(dir, x);
	char path[600];
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	char *crt = ts_read_file(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	char *key = ts_read_file(path, NULL);
	assert_non_null(crt);
	assert_non_null(key);
	char *pem = malloc(strlen(crt) + strlen(key) + 1);
	strcpy(pem, crt);
	strcat(pem, key);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	assert_int_equal(ts_write_file(path, pem), 0);
	free(pem);
	free(crt);
	free(key);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = ts_mkdtemp("nctls");
	assert_non_null(f->dir);
	make_ca(f->dir, "ca");
	make_ca(f->dir, "rogue-ca");
	make_cert(f->dir, "server", "ca", "subjectAltName=IP:127.0.0.1\n");
	make_cert(f->dir, "client", "ca", NULL);
	make_cert(f->dir, "intruder", "rogue-ca", NULL);
	f->tls_port = ts_free_port();
	assert_true(f->tls_port > 0);
	char port[16], cert[600], key[600], ca[600];
	snprintf(port, sizeof(port), "%d", f->tls_port);
	snprintf(cert, sizeof(cert), "%s/server.crt", f->dir);
	snprintf(key, sizeof(key), "%s/server.key", f->dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
	const char *extra[] = {"--tls-base-port", port, "--tls-cert", cert, "--tls-key", key,
	                       "--tls-ca",        ca,   "--verbose",  NULL};
	assert_int_equal(ncit_sim_start(&f->sim, 1, extra), 0);
	assert_int_equal(ts_wait_port(f->tls_port, f->sim.pid, 10000), 0);
	weft_err err = {0};
	assert_int_equal(weft_adapter_register(ncdev_adapter(), 1, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ncit_sim_stop(&f->sim);
	ts_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Pushes the policy with the given client PEM and CA file; rc of the push. */
static int push(struct fx *f, const char *client_pem, const char *ca, weft_err *err)
{
	char yaml[8192], cerr[1024] = "";
	snprintf(yaml, sizeof(yaml), POLICY, f->tls_port, f->dir, client_pem, f->dir, ca);
	weft_snapshot *snap = ncit_compile(yaml, 1, cerr, sizeof(cerr));
	if (!snap)
		fprintf(stderr, "compile: %s\n", cerr);
	assert_non_null(snap);
	const weft_resource *dev = ncit_device(snap, "tls0");
	assert_non_null(dev);
	void *session = NULL;
	size_t n_ops = 0;
	int rc = ncit_push(&session, snap, dev, NULL, &n_ops, NULL, err);
	if (!rc)
		assert_true(n_ops > 0);
	if (session)
		ncit_adapter()->ops->close(ncit_adapter()->ctx, session);
	weft_snapshot_unref(snap);
	return rc;
}

static void test_tls_push_and_refusals(void **state)
{
	struct fx *f = *state;
	weft_err err = {0};

	/* an untrusted client certificate: refused, nothing written */
	int rc = push(f, "intruder.pem", "ca.crt", &err);
	fprintf(stderr, "untrusted client: %s\n", err.msg);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "device default/tls0: TLS authentication failed"));
	assert_non_null(strstr(err.msg, "refused the client certificate"));
	char *run = ncit_running(&f->sim, 0);
	assert_non_null(run);
	assert_null(strstr(run, "10.0.0.7"));
	free(run);

	/* the device's certificate checked against the wrong CA: refused */
	memset(&err, 0, sizeof(err));
	rc = push(f, "client.pem", "rogue-ca.crt", &err);
	fprintf(stderr, "untrusted device: %s\n", err.msg);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "the device's certificate does not verify against"));

	/* the right client certificate: pushed over TLS, read back */
	memset(&err, 0, sizeof(err));
	rc = push(f, "client.pem", "ca.crt", &err);
	if (rc)
		fprintf(stderr, "push: %s\n", err.msg);
	assert_int_equal(rc, 0);
	run = ncit_running(&f->sim, 0);
	assert_non_null(run);
	assert_non_null(strstr(run, "<address>10.0.0.7</address>"));
	assert_non_null(strstr(run, "<address>10.0.0.1</address>"));
	assert_non_null(strstr(run, "<name>default_gw_l4</name>"));
	assert_non_null(strstr(run, "<address>192.0.2.10</address>"));
	free(run);
	/* ncsim mapped the certificate to its user (cert-to-name) */
	char *log = ts_read_file(f->sim.log, NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, "dev0: session 1 up (admin)"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_tls_push_and_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
