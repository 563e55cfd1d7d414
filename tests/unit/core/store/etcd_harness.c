/* Runs one store test binary against a real etcd: starts Debian's etcd on
 * free loopback ports in a temporary data directory, exports
 * WEFT_TEST_STORE_ETCD=127.0.0.1:PORT (store_test_util.c then opens
 * etcd://127.0.0.1:PORT/<unique prefix> instead of a directory), runs the
 * test, stops etcd by its pid and removes the data directory. The exit
 * status is the test's. Usage:
 *   store_etcd_harness [--tls | --members=3] TEST [ARGS...]
 *
 * --members=3: a three-member cluster on loopback (one data directory,
 * client and peer port each); WEFT_TEST_STORE_ETCD lists the three client
 * endpoints, and the test starts once etcdctl finds the cluster healthy.
 * WEFT_TEST_ETCD_PIDS lists the members' pids (a test may kill one).
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

#define MAX_MEMBERS 3

struct member {
	int client, peer;
	pid_t pid;
};

/* Member i of n (names m0, m1, ...; one data directory and log each). */
static pid_t start_etcd(const char *dir, const struct member *m, int n, int i, int tls)
{
	char data[4096], log[4096], curl[64], purl[64], name[16], cluster[512] = "";
	char ca[4096], cert[4096], key[4096];
	snprintf(data, sizeof(data), "%s/data-%d", dir, i);
	snprintf(log, sizeof(log), "%s/etcd-%d.log", dir, i);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(name, sizeof(name), "m%d", i);
	snprintf(curl, sizeof(curl), "%s://127.0.0.1:%d", tls ? "https" : "http", m[i].client);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", m[i].peer);
	for (int j = 0; j < n; j++)
		snprintf(cluster + strlen(cluster), sizeof(cluster) - strlen(cluster),
		         "%sm%d=http://127.0.0.1:%d", j ? "," : "", j, m[j].peer);
	/* One revision is one etcd transaction: the bench commits 13,000
	 * resources at once (docs/store.md, "etcd backend"). */
	// clang-format off
	const char *argv[] = {ETCD_BIN,
	                      "--name", name,
	                      "--data-dir", data,
	                      "--listen-client-urls", curl,
	                      "--advertise-client-urls", curl,
	                      "--listen-peer-urls", purl,
	                      "--initial-advertise-peer-urls", purl,
	                      "--initial-cluster", cluster,
	                      "--initial-cluster-state", "new",
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

/* A cluster answers once it has a leader: etcdctl endpoint health. */
static int wait_healthy(const char *endpoints, int timeout_ms)
{
	char eps[512];
	snprintf(eps, sizeof(eps), "--endpoints=%s", endpoints);
	const char *argv[] = {"/usr/bin/etcdctl", eps, "endpoint", "health", NULL};
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		char *out = NULL;
		int rc = ts_run(argv, &out, 5000);
		free(out);
		if (rc == 0)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

static void stop_all(struct member *m, int n)
{
	for (int i = 0; i < n; i++)
		if (m[i].pid > 0)
			ts_stop(m[i].pid, 10000);
}

int main(int argc, char **argv)
{
	int tls = 0, n = 1;
	for (; argc > 1 && argv[1][0] == '-'; argv++, argc--) {
		if (!strcmp(argv[1], "--tls"))
			tls = 1;
		else if (!strcmp(argv[1], "--members=3"))
			n = 3;
		else
			break;
	}
	if (argc < 2 || (tls && n > 1)) {
		fprintf(stderr, "usage: store_etcd_harness [--tls | --members=3] TEST [ARGS...]\n");
		return 2;
	}
	if (access(ETCD_BIN, X_OK) != 0) {
		fprintf(stderr, "store_etcd_harness: %s is missing (apt-get install etcd-server)\n",
		        ETCD_BIN);
		return 1;
	}
	char *dir = ts_mkdtemp("weft-etcd");
	struct member m[MAX_MEMBERS] = {{0}};
	for (int i = 0; i < n * 2; i++) {
		int port, dup;
		do {
			port = ts_free_port();
			dup = 0;
			for (int j = 0; j < i; j++)
				dup |= port == (j % 2 ? m[j / 2].peer : m[j / 2].client);
		} while (port > 0 && dup);
		if (i % 2)
			m[i / 2].peer = port;
		else
			m[i / 2].client = port;
	}
	if (!dir || (tls && make_certs(dir))) {
		if (dir)
			ts_rmtree(dir);
		return 1;
	}
	char eps[512] = "", urls[600] = "";
	int ok = 1;
	for (int i = 0; i < n && ok; i++) {
		m[i].pid = start_etcd(dir, m, n, i, tls);
		ok = m[i].pid > 0;
		snprintf(eps + strlen(eps), sizeof(eps) - strlen(eps), "%s127.0.0.1:%d",
		         i ? "," : "", m[i].client);
		snprintf(urls + strlen(urls), sizeof(urls) - strlen(urls), "%shttp://127.0.0.1:%d",
		         i ? "," : "", m[i].client);
	}
	for (int i = 0; i < n && ok; i++)
		ok = ts_wait_port(m[i].client, m[i].pid, 20000) == 0;
	if (ok && n > 1)
		ok = wait_healthy(urls, 20000) == 0;
	if (!ok) {
		fprintf(stderr, "store_etcd_harness: etcd did not start (logs in %s)\n", dir);
		stop_all(m, n);
		return 1;
	}
	setenv("WEFT_TEST_STORE_ETCD", eps, 1);
	/* A test may kill a member (by this pid) to see the cluster lose one;
	 * stop_all reaps it either way. */
	char pids[96] = "";
	for (int i = 0; i < n; i++)
		snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%ld", i ? "," : "",
		         (long)m[i].pid);
	setenv("WEFT_TEST_ETCD_PIDS", pids, 1);
	pid_t test = fork();
	if (test == 0) {
		execv(argv[1], argv + 1);
		perror("store_etcd_harness: exec");
		_exit(127);
	}
	int status = 1;
	if (test > 0)
		waitpid(test, &status, 0);
	stop_all(m, n);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ts_rmtree(dir);
	else
		fprintf(stderr, "store_etcd_harness: test failed; etcd's logs are in %s\n", dir);
	free(dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
