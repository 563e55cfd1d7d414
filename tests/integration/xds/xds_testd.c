/* xds_testd: a small weft process for the xDS integration tests and the
 * bench, independent of weftd's wiring: opens a controller (temp state
 * dir), registers the xds adapter, starts the ADS server, applies a policy
 * file (sync mode) and serves until SIGTERM. SIGHUP re-reads the policy;
 * when POLICY.merge exists, SIGHUP applies that file instead in merge mode
 * (only the documents it holds change, as `weftctl apply -f` of one
 * document does) and removes it.
 * After each apply is compiled and pushed it writes "REVISION\n" to the
 * ready file (atomically). SIGUSR1 writes the server status JSON to
 * STATE_DIR/status.json and the metrics to STATE_DIR/metrics.txt; SIGUSR2
 * only the metrics.
 *
 * usage: xds_testd --state DIR --listen HOST:PORT --policy PATH --ready FILE
 *        [--tls-cert PEM --tls-key PEM [--tls-ca PEM]]   (TLS / mTLS ADS) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "controller.h"
#include "doc.h"
#include "xds_server.h"

static volatile sig_atomic_t want_reload, want_stop, want_status, want_metrics;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		want_reload = 1;
	else if (sig == SIGUSR1)
		want_status = 1;
	else if (sig == SIGUSR2)
		want_metrics = 1;
	else
		want_stop = 1;
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return rename(tmp, path);
}

static int apply_policy(weft_controller *c, const char *policy, const char *ready, int mode)
{
	weft_docset docs;
	weft_diags diags;
	weft_err err = {0};
	weft_write_result res = {0};
	weft_diags_init(&diags);
	if (weft_docset_init(&docs))
		return -1;
	int rc = weft_docset_load_path(&docs, policy, &diags);
	if (!rc)
		rc = weft_controller_apply(c, &docs, mode, "xds_testd", -1, 0, &res, &diags, &err);
	if (rc) {
		fprintf(stderr, "xds_testd: apply %s failed: %s\n", policy, err.msg);
		weft_diags_print(stderr, &diags);
	} else {
		weft_controller_wait_pushed(c, res.revision, 10000);
		char buf[64];
		snprintf(buf, sizeof(buf), "%lld\n", (long long)res.revision);
		write_atomic(ready, buf);
		fprintf(stderr, "xds_testd: revision %lld applied\n", (long long)res.revision);
	}
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	weft_docset_free(&docs);
	return rc;
}

static void dump_status(xds_server *s, const char *state, int with_status)
{
	char path[4096];
	char *m = xds_server_metrics(s);
	snprintf(path, sizeof(path), "%s/metrics.txt", state);
	write_atomic(path, m ? m : "");
	free(m);
	if (!with_status)
		return;
	json_t *st = xds_server_status(s, 1);
	char *text = json_dumps(st, JSON_INDENT(1) | JSON_SORT_KEYS);
	snprintf(path, sizeof(path), "%s/status.json", state);
	write_atomic(path, text ? text : "{}");
	free(text);
	json_decref(st);
}

int main(int argc, char **argv)
{
	const char *state = NULL, *listen = NULL, *policy = NULL, *ready = NULL;
	const char *cert = NULL, *key = NULL, *ca = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--state"))
			state = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--policy"))
			policy = argv[i + 1];
		else if (!strcmp(argv[i], "--ready"))
			ready = argv[i + 1];
		else if (!strcmp(argv[i], "--tls-cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--tls-key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--tls-ca"))
			ca = argv[i + 1];
	}
	if (!state || !listen || !policy || !ready) {
		fprintf(stderr, "usage: xds_testd --state DIR --listen HOST:PORT --policy PATH "
		                "--ready FILE\n");
		return 2;
	}
	signal(SIGHUP, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	weft_err err = {0};
	if (weft_adapter_register(xds_adapter(), 1, &err)) {
		fprintf(stderr, "xds_testd: %s\n", err.msg);
		return 1;
	}
	/* The xds adapter instance runs the server (its init's "listen"). */
	json_t *xc = json_pack("{s:s}", "listen", listen);
	if (cert)
		json_object_set_new(xc, "tlsCert", json_string(cert));
	if (key)
		json_object_set_new(xc, "tlsKey", json_string(key));
	if (ca)
		json_object_set_new(xc, "tlsClientCa", json_string(ca));
	json_t *acfg = json_pack("{s:o}", "xds", xc);
	weft_controller_opts o = {
	        .state_dir = state, .quiet_ms = 20, .max_delay_ms = 200, .adapter_config = acfg};
	weft_controller *c = weft_controller_open(&o, &err);
	json_decref(acfg);
	if (!c) {
		fprintf(stderr, "xds_testd: %s\n", err.msg);
		return 1;
	}
	xds_server *s = xds_adapter_server(weft_controller_adapter(c, "xds")->ctx);
	int rc = apply_policy(c, policy, ready, WEFT_APPLY_SYNC) ? 1 : 0;
	char merge[4200];
	snprintf(merge, sizeof(merge), "%s.merge", policy);
	while (!rc && !want_stop) {
		usleep(10000);
		if (want_reload) {
			want_reload = 0;
			if (access(merge, F_OK) == 0) {
				apply_policy(c, merge, ready, WEFT_APPLY_MERGE);
				unlink(merge);
			} else
				apply_policy(c, policy, ready, WEFT_APPLY_SYNC);
		}
		if (want_status || want_metrics) {
			dump_status(s, state, want_status);
			want_status = want_metrics = 0;
		}
	}
	weft_controller_close(c); /* stops the server */
	return rc;
}
