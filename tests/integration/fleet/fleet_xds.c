/* The proxy fleet of the mixed-fleet tests (fleet_xds.h): xdsfleet started
 * by pid against weftd's ADS port, and readers of what the proxies received
 * (xdsfleet's trace file) and ACKed (weftd's /v1/status). */
#include "fleet_xds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testsupport.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int fleet_proxies_start(fleet *f)
{
	char bin[1024], server[64], clients[16], log[700];
	snprintf(bin, sizeof(bin), "%s/xdsfleet", ts_bin_dir());
	snprintf(server, sizeof(server), "127.0.0.1:%d", f->xds_port);
	snprintf(clients, sizeof(clients), "%d", f->opts.proxies);
	snprintf(log, sizeof(log), "%s/xdsfleet.log", f->root);
	snprintf(f->xf_trace, sizeof(f->xf_trace), "%s/xdsfleet.trace", f->root);
	/* runs until fleet_stop's SIGTERM (the duration is only a bound) */
	const char *argv[] = {bin,
	                      "--server",
	                      server,
	                      "--clients",
	                      clients,
	                      "--types",
	                      "cds,eds",
	                      "--mode",
	                      "sotw",
	                      "--node-prefix",
	                      FLEET_PROXY_PREFIX,
	                      "--duration",
	                      "170",
	                      "--trace-file",
	                      f->xf_trace,
	                      NULL};
	f->xf_pid = ts_spawn(argv, log);
	if (f->xf_pid <= 0) {
		fprintf(stderr, "cannot start %s\n", bin);
		return -1;
	}
	return 0;
}

/* The weights of shop/web in one EDS response line's resources: 1 when
 * the line carries shop/web (w filled, -1 for a missing member). */
static int line_weights(json_t *line, int w[2])
{
	static const char *const addrs[2] = {"10.0.0.1", "10.0.0.2"};
	size_t i, j;
	json_t *r, *e;
	json_array_foreach(json_object_get(line, "resources"), i, r)
	{
		const char *name = json_string_value(json_object_get(r, "name"));
		if (!name || strcmp(name, FLEET_WEB_CLUSTER))
			continue;
		w[0] = w[1] = -1;
		json_array_foreach(json_object_get(r, "endpoints"), j, e)
		{
			const char *a = json_string_value(json_object_get(e, "address"));
			for (int k = 0; k < 2; k++)
				if (a && !strcmp(a, addrs[k]))
					w[k] = (int)json_integer_value(
					        json_object_get(e, "weight"));
		}
		return 1;
	}
	return 0;
}

/* Calls fn for every EDS line of the trace (complete lines only: the
 * fleet may be writing the last one). -1 when the file cannot be read. */
static int each_eds_line(fleet *f, void (*fn)(json_t *line, void *ud), void *ud)
{
	char *text = ts_read_file(f->xf_trace, NULL);
	if (!text)
		return -1;
	for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		json_t *line = json_loadb(p, (size_t)(nl - p), 0, NULL);
		const char *type = json_string_value(json_object_get(line, "type"));
		if (type && !strcmp(type, "eds"))
			fn(line, ud);
		json_decref(line);
	}
	free(text);
	return 0;
}

struct last_held {
	const char *node;
	int w[2];
	long long ms;
};

static void note_held(json_t *line, void *ud)
{
	struct last_held *h = ud;
	const char *node = json_string_value(json_object_get(line, "node"));
	int w[2];
	if (node && !strcmp(node, h->node) && json_is_true(json_object_get(line, "ack")) &&
	    line_weights(line, w)) {
		memcpy(h->w, w, sizeof(w));
		h->ms = json_integer_value(json_object_get(line, "ms"));
	}
}

long long fleet_proxy_weights(fleet *f, int idx, int w[2])
{
	char node[64];
	snprintf(node, sizeof(node), "%s-%d", FLEET_PROXY_PREFIX, idx);
	struct last_held h = {node, {-1, -1}, 0};
	if (each_eds_line(f, note_held, &h))
		return -1;
	memcpy(w, h.w, sizeof(h.w));
	return h.ms;
}

int fleet_proxies_hold(fleet *f, int w1, int w2, char *what, size_t len)
{
	int ok = 1;
	size_t n = 0;
	if (what && len)
		what[0] = '\0';
	for (int i = 0; i < f->opts.proxies; i++) {
		int w[2];
		long long ms = fleet_proxy_weights(f, i, w);
		if (ms > 0 && w[0] == w1 && w[1] == w2)
			continue;
		ok = 0;
		if (what && n < len)
			n += (size_t)snprintf(what + n, len - n, "%s%s-%d holds %d/%d",
			                      n ? ", " : "", FLEET_PROXY_PREFIX, i, w[0], w[1]);
	}
	return ok;
}

int fleet_proxies_wait_hold(fleet *f, int w1, int w2, int timeout_ms)
{
	char what[512] = "";
	long long end = ts_now_ms() + timeout_ms;
	do {
		if (fleet_proxies_hold(f, w1, w2, what, sizeof(what)))
			return 0;
		sleep_ms(50);
	} while (ts_now_ms() < end);
	fprintf(stderr, "after %d ms the proxies do not all hold %d/%d: %s\n", timeout_ms, w1, w2,
	        what);
	return -1;
}

struct received {
	int w[2];
	int count;
	long long first_ms;
};

static void note_received(json_t *line, void *ud)
{
	struct received *r = ud;
	int w[2];
	if (!line_weights(line, w) || w[0] != r->w[0] || w[1] != r->w[1])
		return;
	long long ms = json_integer_value(json_object_get(line, "ms"));
	if (!r->count++ || ms < r->first_ms)
		r->first_ms = ms;
}

int fleet_proxies_received(fleet *f, int w1, int w2, long long *first_ms)
{
	struct received r = {{w1, w2}, 0, 0};
	if (each_eds_line(f, note_received, &r))
		return -1;
	if (first_ms)
		*first_ms = r.first_ms;
	return r.count;
}

/* types.eds.version_acked of the proxies in /v1/status. */
int fleet_proxies_acked(fleet *f, long long rev, char *what, size_t len)
{
	static const char *const types[] = {"eds"};
	char want[32];
	http_resp r;
	size_t n = 0;
	int ok = 1, seen = 0;
	snprintf(want, sizeof(want), "%lld", rev);
	if (what && len)
		what[0] = '\0';
	if (http_do(f->d.url, "GET", "/v1/status", NULL, NULL, NULL, 0, &r))
		return 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(json_object_get(r.json, "xds"), "proxies"), i, p)
	{
		const char *node = json_string_value(json_object_get(p, "node"));
		if (!node || strncmp(node, FLEET_PROXY_PREFIX "-", strlen(FLEET_PROXY_PREFIX) + 1))
			continue;
		seen++;
		for (int t = 0; t < 1; t++) {
			json_t *ts = json_object_get(json_object_get(p, "types"), types[t]);
			const char *acked = json_string_value(json_object_get(ts, "version_acked"));
			if (acked && !strcmp(acked, want))
				continue;
			ok = 0;
			if (what && n < len)
				n += (size_t)snprintf(what + n, len - n, "%s%s %s acked '%s'",
				                      n ? ", " : "", node, types[t],
				                      acked ? acked : "(none)");
		}
	}
	http_resp_free(&r);
	if (seen != f->opts.proxies && what && n < len)
		snprintf(what + n, len - n, "%s%d proxies in the status, not %d", n ? ", " : "",
		         seen, f->opts.proxies);
	return ok && seen == f->opts.proxies;
}

int fleet_status_config_dumps(fleet *f)
{
	http_resp r;
	if (http_do(f->d.url, "GET", "/v1/status", NULL, NULL, NULL, 0, &r))
		return -1;
	int n = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(json_object_get(r.json, "xds"), "proxies"), i, p) n +=
	        json_object_get(p, "config") != NULL;
	http_resp_free(&r);
	return n;
}

int fleet_proxies_wait_acked(fleet *f, long long rev, int timeout_ms)
{
	char what[1024] = "";
	long long end = ts_now_ms() + timeout_ms;
	do {
		if (fleet_proxies_acked(f, rev, what, sizeof(what)))
			return 0;
		sleep_ms(50);
	} while (ts_now_ms() < end);
	fprintf(stderr, "after %d ms the proxies have not all ACKed revision %lld: %s\n",
	        timeout_ms, rev, what);
	return -1;
}
