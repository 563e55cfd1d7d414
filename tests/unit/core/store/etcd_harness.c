/* Runs one store test binary against a real etcd: starts Debian's etcd on
 * free loopback ports in a temporary data directory, exports
 * WEFT_TEST_STORE_ETCD=127.0.0.1:PORT (store_test_util.c then opens
 * etcd://127.0.0.1:PORT/<unique prefix> instead of a directory), runs the
 * test, stops etcd by its pid and removes the data directory. The exit
 * status is the test's. Usage: store_etcd_harness [--tls] TEST [ARGS...]
 *
 * --tls: a CA, a server and a client certificate are made with openssl in
 * the temporary directory; etcd serves HTTPS only and requires a client
 * certificate (--client-cert-auth). The test gets the files in
 * WEFT_TEST_ETCD_CA, WEFT_TEST_ETCD_CERT and WEFT_TEST_ETCD_KEY. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testsupport.h"

#define ETCD_BIN "/usr/bin/etcd"

/* openssl ARGS..., 0 when it exits 0. */
static int run_openssl(const char *const *args)
{
	const char *argv[32] = {"/usr/bin/openssl"};
	int n = 1;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	char *out = NULL;
	int rc = ts_run(argv, &out, 30000);
	if (rc)
		fprintf(stderr, "store_etcd_harness: openssl %s: %s\n", args[0], out ? out : "");
	free(out);
	return rc;
}

/* DIR/NAME.pem + DIR/NAME.key signed by DIR/ca, for 127.0.0.1. Both
 * certificates carry serverAuth and clientAuth: etcd's own gateway connects
 * to etcd with the server certificate as a client one. */
static int make_cert(const char *dir, const char *name)
{
	char key[4096], csr[4096], pem[4096], ca[4096], cakey[4096], ext[4096], subj[128];
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	snprintf(csr, sizeof(csr), "%s/%s.csr", dir, name);
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", dir);
	snprintf(ext, sizeof(ext), "%s/ext.cnf", dir);
	/* No CN: etcd's gateway refuses requests whose client certificate
	 * has one while authentication is on (the CN would name the user). */
	snprintf(subj, sizeof(subj), "/O=weft-test-%s", name);
	if (ts_write_file(ext, "subjectAltName=IP:127.0.0.1\n"
	                       "extendedKeyUsage=serverAuth,clientAuth\n"))
		return -1;
	const char *req[] = {"req",    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
	                     "-nodes", "-keyout", key,  "-out",     csr,
	                     "-subj",  subj,      NULL};
	const char *sign[] = {
	        "x509", "-req", "-in",   csr, "-CA",      ca,  "-CAkey", cakey, "-CAcreateserial",
	        "-out", pem,    "-days", "2", "-extfile", ext, NULL};
	return run_openssl(req) || run_openssl(sign) ? -1 : 0;
}

static int make_certs(const char *dir)
{
	char key[4096], pem[4096];
	snprintf(key, sizeof(key), "%s/ca.key", dir);
	snprintf(pem, sizeof(pem), "%s/ca.pem", dir);
	const char *ca[] = {"req",
	                    "-x509",
	                    "-newkey",
	                    "ec",
	                    "-pkeyopt",
	                    "ec_paramgen_curve:prime256v1",
	                    "-nodes",
	                    "-keyout",
	                    key,
	                    "-out",
	                    pem,
	                    "-subj",
	                    "/CN=weft-test-ca",
	                    "-days",
	                    "2",
	                    NULL};
	if (run_openssl(ca) || make_cert(dir, "server") || make_cert(dir, "client"))
		return -1;
	char cert[4096];
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	snprintf(key, sizeof(key), "%s/client.key", dir);
	setenv("WEFT_TEST_ETCD_CA", pem, 1);
	setenv("WEFT_TEST_ETCD_CERT", cert, 1);
	setenv("WEFT_TEST_ETCD_KEY", key, 1);
	return 0;
}

static pid_t start_etcd(const char *dir, int client, int peer, int tls)
{
	char data[4096], log[4096], curl[64], purl[64], cluster[96];
	char ca[4096], cert[4096], key[4096];
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(curl, sizeof(curl), "%s://127.0.0.1:%d", tls ? "https" : "http", client);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", peer);
	snprintf(cluster, sizeof(cluster), "t=%s", purl);
	/* One revision is one etcd transaction: the bench commits 13,000
	 * resources at once (docs/store.md, "etcd backend"). */
	// clang-format off
	const char *argv[] = {ETCD_BIN,
	                      "--name", "t",
	                      "--data-dir", data,
	                      "--listen-client-urls", curl,
	                      "--advertise-client-urls", curl,
	                      "--listen-peer-urls", purl,
	                      "--initial-advertise-peer-urls", purl,
	                      "--initial-cluster", cluster,
	                      "--max-txn-ops", "40000",
	                      "--max-request-bytes", "67108864",
	                      "--log-level", "warn",
	                      tls ? "--cert-file" : NULL, cert,
	                      "--key-file", key,
	                      "--trusted-ca-file", ca,
	                      "--client-cert-auth", NULL};
	// clang-format on
	return ts_spawn(argv, log);
}

int main(int argc, char **argv)
{
	int tls = argc > 1 && !strcmp(argv[1], "--tls");
	if (tls) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: store_etcd_harness [--tls] TEST [ARGS...]\n");
		return 2;
	}
	if (access(ETCD_BIN, X_OK) != 0) {
		fprintf(stderr, "store_etcd_harness: %s is missing (apt-get install etcd-server)\n",
		        ETCD_BIN);
		return 1;
	}
	char *dir = ts_mkdtemp("weft-etcd");
	int client = ts_free_port(), peer = ts_free_port();
	while (peer == client)
		peer = ts_free_port();
	if (dir && tls && make_certs(dir)) {
		ts_rmtree(dir);
		return 1;
	}
	pid_t etcd = dir && client > 0 && peer > 0 ? start_etcd(dir, client, peer, tls) : -1;
	if (etcd <= 0 || ts_wait_port(client, etcd, 20000) != 0) {
		fprintf(stderr, "store_etcd_harness: etcd did not start (log in %s/etcd.log)\n",
		        dir ? dir : "?");
		if (etcd > 0)
			ts_kill9(etcd);
		return 1;
	}
	char ep[64];
	snprintf(ep, sizeof(ep), "127.0.0.1:%d", client);
	setenv("WEFT_TEST_STORE_ETCD", ep, 1);
	pid_t test = fork();
	if (test == 0) {
		execv(argv[1], argv + 1);
		perror("store_etcd_harness: exec");
		_exit(127);
	}
	int status = 1;
	if (test > 0)
		waitpid(test, &status, 0);
	ts_stop(etcd, 10000);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ts_rmtree(dir);
	else
		fprintf(stderr, "store_etcd_harness: test failed; etcd's log is in %s/etcd.log\n",
		        dir);
	free(dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
