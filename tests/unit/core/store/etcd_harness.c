/* Runs one store test binary against a real etcd: starts Debian's etcd on
 * free loopback ports in a temporary data directory, exports
 * WEFT_TEST_STORE_ETCD=127.0.0.1:PORT (store_test_util.c then opens
 * etcd://127.0.0.1:PORT/<unique prefix> instead of a directory), runs the
 * test, stops etcd by its pid and removes the data directory. The exit
 * status is the test's. Usage: store_etcd_harness TEST [ARGS...] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testsupport.h"

#define ETCD_BIN "/usr/bin/etcd"

static pid_t start_etcd(const char *dir, int client, int peer)
{
	char data[4096], log[4096], curl[64], purl[64], cluster[96];
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	snprintf(curl, sizeof(curl), "http://127.0.0.1:%d", client);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", peer);
	snprintf(cluster, sizeof(cluster), "t=%s", purl);
	/* One revision is one etcd transaction: the bench commits 13,000
	 * resources at once (docs/store.md, "etcd backend"). */
	const char *argv[] = {ETCD_BIN,   "--name",
	                      "t",        "--data-dir",
	                      data,       "--listen-client-urls",
	                      curl,       "--advertise-client-urls",
	                      curl,       "--listen-peer-urls",
	                      purl,       "--initial-advertise-peer-urls",
	                      purl,       "--initial-cluster",
	                      cluster,    "--max-txn-ops",
	                      "40000",    "--max-request-bytes",
	                      "67108864", "--log-level",
	                      "warn",     NULL};
	return ts_spawn(argv, log);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: store_etcd_harness TEST [ARGS...]\n");
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
	pid_t etcd = dir && client > 0 && peer > 0 ? start_etcd(dir, client, peer) : -1;
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
