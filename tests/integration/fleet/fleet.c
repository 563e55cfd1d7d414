/* Mixed-fleet fixture (see fleet.h): f5sim + ncsim + a file device under
 * one weftd in atomic mode, and readers of what each device holds. */
#include "fleet.h"
#include "fleet_xds.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testsupport.h"

#define F5_PASSWORD "fleet-f5-secret"
#define NC_PASSWORD "fleet-nc-secret"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void print_file(const char *what, const char *path)
{
	char *text = ts_read_file(path, NULL);
	fprintf(stderr, "---- %s (%s)\n%s\n", what, path, text ? text : "(none)");
	free(text);
}

/* A P-256 certificate for 127.0.0.1, the F5's management certificate and
 * the CA file its Device pins. */
static int make_cert(fleet *f)
{
	/* ts_run execs without a PATH search */
	const char *openssl =
	        access("/usr/bin/openssl", X_OK) ? "/usr/local/bin/openssl" : "/usr/bin/openssl";
	const char *argv[] = {openssl,
	                      "req",
	                      "-x509",
	                      "-newkey",
	                      "ec",
	                      "-pkeyopt",
	                      "ec_paramgen_curve:prime256v1",
	                      "-nodes",
	                      "-days",
	                      "2",
	                      "-subj",
	                      "/CN=127.0.0.1",
	                      "-addext",
	                      "subjectAltName=IP:127.0.0.1",
	                      "-keyout",
	                      f->f5_key,
	                      "-out",
	                      f->f5_crt,
	                      NULL};
	char *out = NULL;
	int rc = ts_run(argv, &out, 20000);
	if (rc != 0)
		fprintf(stderr, "openssl req failed (%d): %s\n", rc, out ? out : "");
	free(out);
	return rc == 0 ? 0 : -1;
}

static int start_f5sim(fleet *f)
{
	char bin[1024], listen[64], log[700];
	snprintf(bin, sizeof(bin), "%s/f5sim", ts_bin_dir());
	snprintf(log, sizeof(log), "%s/f5sim.log", f->root);
	f->f5_port = ts_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->f5_port);
	snprintf(f->f5_base, sizeof(f->f5_base), "https://127.0.0.1:%d", f->f5_port);
	const char *argv[] = {bin,      "--listen", listen,  "--user",  "admin:" F5_PASSWORD,
	                      "--cert", f->f5_crt,  "--key", f->f5_key, NULL};
	f->f5_pid = ts_spawn(argv, log);
	if (f->f5_pid <= 0 || ts_wait_port(f->f5_port, f->f5_pid, 10000)) {
		print_file("f5sim log", log);
		return -1;
	}
	return 0;
}

static int port_free(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Waits for ncsim's ready line and takes the host key fingerprint from it:
 * "ncsim: ready: 2 devices on ... hostkey SHA256:... control http://...". */
static int ncsim_ready(fleet *f, const char *log)
{
	long long end = ts_now_ms() + 15000;
	while (ts_now_ms() < end) {
		char *text = ts_read_file(log, NULL);
		char *p = text ? strstr(text, "ncsim: ready:") : NULL;
		char *hk = p ? strstr(p, " hostkey ") : NULL;
		if (hk && strchr(hk, '\n')) {
			hk += strlen(" hostkey ");
			snprintf(f->hostkey, sizeof(f->hostkey), "%.*s", (int)strcspn(hk, " \n"),
			         hk);
			free(text);
			return strncmp(f->hostkey, "SHA256:", 7) ? -1 : 0;
		}
		free(text);
		if (waitpid(f->nc_pid, NULL, WNOHANG) == f->nc_pid) {
			f->nc_pid = 0; /* exited (and reaped) */
			break;
		}
		sleep_ms(20);
	}
	print_file("ncsim log", log);
	return -1;
}

static int start_ncsim(fleet *f)
{
	char bin[1024], models[1024], base[16], ctl[32], log[700], state[700];
	snprintf(bin, sizeof(bin), "%s/ncsim", ts_bin_dir());
	snprintf(models, sizeof(models), "%s/models/yang", ts_source_dir());
	snprintf(log, sizeof(log), "%s/ncsim.log", f->root);
	snprintf(state, sizeof(state), "%s/ncsim", f->root);
	/* device i listens on base + i: two consecutive free ports */
	for (int tries = 0; tries < 50; tries++) {
		f->nc_port = ts_free_port();
		if (f->nc_port > 0 && f->nc_port < 65535 && port_free(f->nc_port + 1))
			break;
	}
	f->nc_ctl = ts_free_port();
	snprintf(base, sizeof(base), "%d", f->nc_port);
	snprintf(ctl, sizeof(ctl), "127.0.0.1:%d", f->nc_ctl);
	snprintf(f->nc_base, sizeof(f->nc_base), "http://127.0.0.1:%d", f->nc_ctl);
	const char *argv[] = {bin,
	                      "--devices",
	                      "2",
	                      "--ssh-base-port",
	                      base,
	                      "--address",
	                      "127.0.0.1",
	                      "--auth-user",
	                      "admin:" NC_PASSWORD,
	                      "--writable-running-devices",
	                      "1",
	                      "--control",
	                      ctl,
	                      "--models",
	                      models,
	                      "--state-dir",
	                      state,
	                      NULL};
	f->nc_pid = ts_spawn(argv, log);
	if (f->nc_pid <= 0 || ncsim_ready(f, log) || ts_wait_port(f->nc_ctl, f->nc_pid, 5000))
		return -1;
	return 0;
}

int fleet_start(fleet *f, const fleet_opts *opts)
{
	memset(f, 0, sizeof(*f));
	if (opts)
		f->opts = *opts;
	if (!f->opts.reconcile_ms)
		f->opts.reconcile_ms = 500;
	if (!f->opts.confirm_timeout_s)
		f->opts.confirm_timeout_s = 30;
	if (wd_init(&f->d, "weft-it-fleet"))
		return -1;
	f->root = f->d.dir;
	snprintf(f->f5_crt, sizeof(f->f5_crt), "%s/f5.crt", f->root);
	snprintf(f->f5_key, sizeof(f->f5_key), "%s/f5.key", f->root);
	snprintf(f->f5_pass, sizeof(f->f5_pass), "%s/f5.pass", f->root);
	snprintf(f->nc_pass, sizeof(f->nc_pass), "%s/nc.pass", f->root);
	snprintf(f->file_root, sizeof(f->file_root), "%s/files", f->root);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.yaml", f->root);
	if (mkdir(f->file_root, 0700) || ts_write_file(f->f5_pass, F5_PASSWORD "\n") ||
	    ts_write_file(f->nc_pass, NC_PASSWORD "\n") || make_cert(f) || start_f5sim(f) ||
	    start_ncsim(f))
		return -1;
	snprintf(f->reconcile_arg, sizeof(f->reconcile_arg), "%d", f->opts.reconcile_ms);
	const char *extra[] = {
	        "--txn-mode",     "atomic", "--file-root", f->file_root, "--reconcile-ms",
	        f->reconcile_arg, NULL,     NULL,          NULL};
	if (f->opts.proxies > 0) { /* the ADS server on a free port */
		f->xds_port = ts_free_port();
		snprintf(f->xds_arg, sizeof(f->xds_arg), "127.0.0.1:%d", f->xds_port);
		extra[6] = "--xds";
		extra[7] = f->xds_arg;
	}
	memcpy(f->extra, extra, sizeof(extra));
	if (wd_start(&f->d, f->extra))
		return -1;
	return f->opts.proxies > 0 ? fleet_proxies_start(f) : 0;
}

int fleet_restart_weftd(fleet *f)
{
	return wd_start(&f->d, f->extra);
}

void fleet_kill_weftd(fleet *f)
{
	if (f->d.pid > 0)
		ts_kill9(f->d.pid);
	f->d.pid = 0;
}

/* Stops pid (SIGTERM, then SIGKILL); 0 when it exited 0, else prints
 * its log (a crash, or a sanitizer report in ASan builds). */
static int stop_clean(pid_t pid, const char *what, const char *root, const char *log)
{
	int st = ts_stop(pid, 10000);
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, log);
	fprintf(stderr, "%s (pid %d) did not stop cleanly (status 0x%x)\n", what, (int)pid, st);
	print_file(what, path);
	return -1;
}

int fleet_stop(fleet *f)
{
	int rc = 0;
	if (f->xf_pid > 0 && f->root) /* first: its streams end before weftd does */
		rc |= stop_clean(f->xf_pid, "xdsfleet", f->root, "xdsfleet.log");
	f->xf_pid = 0;
	if (f->d.pid > 0 && f->root)
		rc |= stop_clean(f->d.pid, "weftd", f->root, "weftd.log");
	f->d.pid = 0;
	if (f->nc_pid > 0 && f->root)
		rc |= stop_clean(f->nc_pid, "ncsim", f->root, "ncsim.log");
	if (f->f5_pid > 0 && f->root)
		rc |= stop_clean(f->f5_pid, "f5sim", f->root, "f5sim.log");
	f->nc_pid = f->f5_pid = 0;
	if (f->d.dir && getenv("WEFT_FLEET_KEEP")) { /* for a post-mortem */
		fprintf(stderr,
		        "fleet: kept %s (weftd.log, f5sim.log, ncsim.log, files/, "
		        "xdsfleet.log and .trace)\n",
		        f->d.dir);
		free(f->d.dir);
		f->d.dir = NULL;
	}
	wd_cleanup(&f->d);
	f->root = NULL;
	return rc ? -1 : 0;
}

/* ---- the policy ------------------------------------------------------ */

static const char *POLICY_FMT =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n"
        "  - {address: 10.0.0.1, port: 80, weight: %d}\n"
        "  - {address: 10.0.0.2, port: 80, weight: %d}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: files, namespace: infra}\n"
        "spec:\n  type: file\n  scope: {services: [shop/web]}\n"
        "  options: {directory: out}\n  pushGroup: 0\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: nc-a, namespace: infra}\n"
        "spec:\n  type: netconf\n"
        "  connection: {address: 127.0.0.1, port: %d, username: admin,\n"
        "               credentials: {file: %s}, hostKey: \"%s\", timeout: 10s}\n"
        "  scope: {services: [shop/web]}\n"
        "  options: {commit: confirmed, confirmTimeout: %ds}\n  pushGroup: 1\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: nc-b, namespace: infra}\n"
        "spec:\n  type: netconf\n"
        "  connection: {address: 127.0.0.1, port: %d, username: admin,\n"
        "               credentials: {file: %s}, hostKey: \"%s\", timeout: 10s}\n"
        "  scope: {services: [shop/web]}\n  options: {commit: running}\n  pushGroup: 1\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip, namespace: infra}\n"
        "spec:\n  type: f5\n"
        "  connection: {address: 127.0.0.1, port: %d, username: admin,\n"
        "               credentials: {file: %s}, tls: {caFile: %s}, timeout: 10s}\n"
        "  scope: {services: [shop/web]}\n  options: {partition: shop}\n"
        "  pushGroup: 2\n  drift: %s\n";

static void policy_text(fleet *f, int w1, int w2, char *text, size_t len)
{
	snprintf(text, len, POLICY_FMT, w1, w2, f->nc_port, f->nc_pass, f->hostkey,
	         f->opts.confirm_timeout_s, f->nc_port + 1, f->nc_pass, f->hostkey, f->f5_port,
	         f->f5_pass, f->f5_crt, f->opts.f5_drift ? f->opts.f5_drift : "alert");
}

int fleet_write_policy(fleet *f, int w1, int w2, const char *path)
{
	char text[8192];
	policy_text(f, w1, w2, text, sizeof(text));
	return ts_write_file(path, text);
}

long long fleet_apply(fleet *f, int w1, int w2)
{
	char text[8192];
	policy_text(f, w1, w2, text, sizeof(text));
	ts_write_file(f->policy, text);
	http_resp r;
	if (http_do(f->d.url, "POST", "/v1/apply", NULL, "application/yaml", text, strlen(text),
	            &r))
		return -1;
	long long rev = json_integer_value(json_object_get(r.json, "revision"));
	long status = r.status;
	if (status != 200)
		fprintf(stderr, "apply: HTTP %ld: %s\n", status, r.body);
	http_resp_free(&r);
	return status == 200 ? rev : -status;
}

long long fleet_rollback(fleet *f, long long to)
{
	char *out = NULL, arg[32];
	snprintf(arg, sizeof(arg), "%lld", to);
	int rc = wctl_run(&f->d, &out, "rollback", arg, NULL);
	if (rc)
		fprintf(stderr, "weftctl rollback %s: %s\n", arg, out ? out : "");
	free(out);
	return rc ? -1 : wd_head(&f->d, NULL);
}

/* ---- talking to the simulators -------------------------------------- */

/* The string value of j, "" when it is not a string. */
static const char *jstr(const json_t *j)
{
	const char *s = json_string_value(j);
	return s ? s : "";
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	http_resp *r = ud;
	size_t len = r->body ? strlen(r->body) : 0;
	char *b = realloc(r->body, len + size * n + 1);
	if (!b)
		return 0;
	memcpy(b + len, p, size * n);
	b[len + size * n] = '\0';
	r->body = b;
	return size * n;
}

int fleet_f5(fleet *f, const char *method, const char *path, const char *body, int auth,
             http_resp *r)
{
	char url[1024];
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	memset(r, 0, sizeof(*r));
	r->revision = -1;
	snprintf(url, sizeof(url), "%s%s", f->f5_base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, f->f5_crt); /* verified, never insecure */
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (auth)
		curl_easy_setopt(c, CURLOPT_USERPWD, "admin:" F5_PASSWORD);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		fprintf(stderr, "f5sim %s %s: %s\n", method, url, curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (!r->body)
		r->body = strdup("");
	r->json = json_loads(r->body, 0, NULL);
	return rc == CURLE_OK ? 0 : -1;
}

int fleet_nc(fleet *f, const char *method, const char *path, const char *body, http_resp *r)
{
	return http_do(f->nc_base, method, path, NULL, body ? "application/json" : NULL, body,
	               body ? strlen(body) : 0, r);
}

long long fleet_f5_generation(fleet *f)
{
	http_resp r;
	if (fleet_f5(f, "GET", "/sim/state", NULL, 0, &r))
		return -1;
	long long g =
	        r.status == 200 ? json_integer_value(json_object_get(r.json, "generation")) : -1;
	http_resp_free(&r);
	return g;
}

int fleet_nc_count_op(fleet *f, int idx, const char *op)
{
	char path[64];
	http_resp r;
	snprintf(path, sizeof(path), "/devices/%d/log", idx);
	if (fleet_nc(f, "GET", path, NULL, &r))
		return -1;
	size_t i;
	json_t *e;
	int n = 0;
	json_array_foreach(json_object_get(r.json, "entries"), i, e) n +=
	        !strcmp(jstr(json_object_get(e, "op")), op);
	http_resp_free(&r);
	return n;
}

/* ---- what each device holds ----------------------------------------- */

static const char *const ADDRS[2] = {"10.0.0.1", "10.0.0.2"};

/* Pool /shop/shop_web_80 in f5sim's dump: member "ADDR:80" -> ratio. */
static int f5_weights(fleet *f, int w[2])
{
	http_resp r;
	if (fleet_f5(f, "GET", "/sim/state", NULL, 0, &r) || r.status != 200) {
		http_resp_free(&r);
		return -1;
	}
	size_t i, j;
	json_t *pool, *m;
	json_array_foreach(json_object_get(json_object_get(r.json, "objects"), "ltm/pool"), i, pool)
	{
		if (strcmp(jstr(json_object_get(pool, "fullPath")), "/shop/shop_web_80"))
			continue;
		json_array_foreach(
		        json_object_get(json_object_get(pool, "membersReference"), "items"), j, m)
		{
			const char *name = jstr(json_object_get(m, "name"));
			for (int k = 0; k < 2; k++)
				if (!strncmp(name, ADDRS[k], strlen(ADDRS[k])) &&
				    !strcmp(name + strlen(ADDRS[k]), ":80"))
					w[k] = (int)json_integer_value(json_object_get(m, "ratio"));
		}
	}
	http_resp_free(&r);
	return 0;
}

/* ncsim's running datastore (XML): the <weight> of the <member> whose
 * <address> is ADDR, in pool shop_web_80 (the only pool). */
static int nc_weights(fleet *f, int idx, int w[2])
{
	char path[64];
	http_resp r;
	snprintf(path, sizeof(path), "/devices/%d/datastore/running", idx);
	if (fleet_nc(f, "GET", path, NULL, &r) || r.status != 200) {
		http_resp_free(&r);
		return -1;
	}
	for (int k = 0; k < 2; k++) {
		char tag[64];
		snprintf(tag, sizeof(tag), "<address>%s</address>", ADDRS[k]);
		const char *p = strstr(r.body, tag);
		const char *end = p ? strstr(p, "</member>") : NULL;
		const char *wt = p ? strstr(p, "<weight>") : NULL;
		if (wt && (!end || wt < end))
			w[k] = atoi(wt + strlen("<weight>"));
	}
	http_resp_free(&r);
	return 0;
}

/* The file device's rendering of the Service: spec.endpoints[].weight. */
static int file_weights(fleet *f, int w[2])
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/out/services/shop/web.json", f->file_root);
	json_t *doc = json_load_file(path, 0, NULL);
	if (!doc)
		return 0; /* not written yet: both missing */
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(json_object_get(doc, "spec"), "endpoints"), i, e)
	{
		const char *addr = jstr(json_object_get(e, "address"));
		json_t *weight = json_object_get(e, "weight");
		for (int k = 0; k < 2; k++)
			if (!strcmp(addr, ADDRS[k]))
				w[k] = weight ? (int)json_integer_value(weight) : 1;
	}
	json_decref(doc);
	return 0;
}

int fleet_weights_of(fleet *f, enum fleet_dev dev, int w[2])
{
	w[0] = w[1] = -1;
	switch (dev) {
	case FLEET_F5:
		return f5_weights(f, w);
	case FLEET_NC_A:
		return nc_weights(f, 0, w);
	case FLEET_NC_B:
		return nc_weights(f, 1, w);
	case FLEET_FILE:
		return file_weights(f, w);
	default:
		return -1;
	}
}

static const char *const DEV_NAMES[FLEET_NDEV] = {"bigip (f5sim)", "nc-a (ncsim 0)",
                                                  "nc-b (ncsim 1)", "files"};

int fleet_all_hold(fleet *f, int w1, int w2, char *what, size_t len)
{
	int ok = 1;
	size_t n = 0;
	if (what && len)
		what[0] = '\0';
	for (int d = 0; d < FLEET_NDEV; d++) {
		int w[2];
		int rc = fleet_weights_of(f, (enum fleet_dev)d, w);
		if (rc == 0 && w[0] == w1 && w[1] == w2)
			continue;
		ok = 0;
		if (what && n < len)
			n += (size_t)snprintf(what + n, len - n, "%s%s holds %d/%d", n ? ", " : "",
			                      DEV_NAMES[d], w[0], w[1]);
	}
	return ok;
}

int fleet_wait_hold(fleet *f, int w1, int w2, int timeout_ms)
{
	char what[512] = "";
	long long end = ts_now_ms() + timeout_ms;
	do {
		if (fleet_all_hold(f, w1, w2, what, sizeof(what)))
			return 0;
		sleep_ms(50);
	} while (ts_now_ms() < end);
	fprintf(stderr, "after %d ms the devices do not all hold %d/%d: %s\n", timeout_ms, w1, w2,
	        what);
	return -1;
}

/* ---- weft's own records ---------------------------------------------- */

json_t *fleet_txn(fleet *f, long long rev, const char *outcome, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	do {
		http_resp r;
		json_t *found = NULL;
		if (http_do(f->d.url, "GET", "/v1/transactions", NULL, NULL, NULL, 0, &r) == 0) {
			size_t i;
			json_t *t;
			json_array_foreach(json_object_get(r.json, "transactions"), i, t)
			{
				const char *o = json_string_value(json_object_get(t, "outcome"));
				if (json_integer_value(json_object_get(t, "revision")) == rev &&
				    (!outcome || (o && !strcmp(o, outcome))))
					found = t;
			}
			json_incref(found);
			http_resp_free(&r);
		}
		if (found)
			return found;
		sleep_ms(20);
	} while (ts_now_ms() < end);
	return NULL;
}

json_t *fleet_txn_device(json_t *txn, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(txn, "devices"), i,
	                   d) if (!strcmp(jstr(json_object_get(d, "name")), name)) return d;
	return NULL;
}

int fleet_wait_in_sync(fleet *f, long long rev, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	char *last = NULL;
	do {
		http_resp r;
		int ok = 0;
		if (http_do(f->d.url, "GET", "/v1/status", NULL, NULL, NULL, 0, &r) == 0) {
			json_t *devs = json_object_get(r.json, "devices"), *d;
			size_t i;
			ok = json_array_size(devs) == FLEET_NDEV;
			json_array_foreach(devs, i, d) ok =
			        ok && !strcmp(jstr(json_object_get(d, "state")), "in-sync") &&
			        json_integer_value(json_object_get(d, "revision")) == rev;
			free(last);
			last = strdup(r.body);
			http_resp_free(&r);
		}
		if (ok) {
			free(last);
			return 0;
		}
		sleep_ms(50);
	} while (ts_now_ms() < end);
	fprintf(stderr, "devices not in-sync at revision %lld after %d ms: %s\n", rev, timeout_ms,
	        last ? last : "(no answer)");
	free(last);
	return -1;
}
