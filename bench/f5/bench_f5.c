/* bench_f5: what the F5 adapter costs on a large partition, against f5sim.
 *
 *   bench_f5 [SERVICES [ENDPOINTS_PER_SERVICE]]     (default 1000 x 10)
 *
 * Prints, for a device holding SERVICES pools / SERVICES*ENDPOINTS members:
 *   1. initial sync: transactions, REST calls (login excluded), bytes, time
 *   2. resync with nothing changed: ops and writes (session cache), and a
 *      full read-back from a new session: calls, bytes, time
 *   3. one endpoint added: ops, REST calls, time to converge (commit done)
 *   4. the same change when every push reads the partition in full
 *      (WEFT_F5_RESYNC_MS=0)
 *   5. beside it, what an AS3-style full declaration strategy (the whole
 *      tenant reposted on every change, as F5's Kubernetes controller does)
 *      would send for that one-endpoint change: objects and bytes.
 * Figures come from f5sim's own counters (/sim/counters, /sim/log) and the
 * adapter's session counters. Not a test: it only prints. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_adapter.h"
#include "f5_http.h"
#include "f5it.h"
#include "testsupport.h"

static char *policy(struct f5it *t, int services, int eps, int extra)
{
	size_t cap = (size_t)services * (200 + (size_t)eps * 40) + 4096;
	char *y = malloc(cap);
	size_t off = 0;
	char dev[1024];
	f5it_device_yaml(t, dev, sizeof(dev));
	off += (size_t)snprintf(y + off, cap - off, "%s", dev);
	for (int s = 0; s < services; s++) {
		off += (size_t)snprintf(
		        y + off, cap - off,
		        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: svc%d}\n"
		        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n",
		        s);
		int n = eps + (s == services / 2 ? extra : 0);
		for (int e = 0; e < n; e++)
			off += (size_t)snprintf(y + off, cap - off, "  - {address: 10.%d.%d.%d}\n",
			                        s / 250, s % 250, e + 1);
	}
	return y;
}

static long long writes(struct f5it *t)
{
	json_t *c = f5it_sim(t, NULL, "/sim/counters", NULL);
	json_t *m = json_object_get(c, "byMethod");
	long long n = json_integer_value(json_object_get(m, "POST")) +
	              json_integer_value(json_object_get(m, "PATCH")) +
	              json_integer_value(json_object_get(m, "PUT")) +
	              json_integer_value(json_object_get(m, "DELETE"));
	/* the login is a POST too */
	n -= json_integer_value(json_object_get(
	        json_object_get(json_object_get(c, "byPath"), "/mgmt/shared/authn/login"), "POST"));
	json_decref(c);
	return n;
}

static long long transactions(struct f5it *t)
{
	json_t *c = f5it_sim(t, NULL, "/sim/counters", NULL);
	long long n = json_integer_value(json_object_get(
	        json_object_get(json_object_get(c, "byPath"), "/mgmt/tm/transaction"), "POST"));
	json_decref(c);
	return n;
}

struct run {
	int ops;
	long long ms, calls, writes, txns;
	size_t sent, received;
};

static int push(struct f5it *t, const char *yaml, int64_t rev, struct run *r)
{
	weft_snapshot *s = f5it_compile(yaml, rev);
	if (!s)
		return -1;
	json_decref(f5it_sim(t, "POST", "/sim/counters/reset", json_object()));
	struct f5_session *ses = t->session;
	size_t sent0 = ses ? ses->bytes_sent : 0, recv0 = ses ? ses->bytes_received : 0;
	weft_err err = {0};
	long long t0 = ts_now_ms();
	r->ops = f5it_push(t, s, &err);
	r->ms = ts_now_ms() - t0;
	weft_snapshot_unref(s);
	if (r->ops < 0) {
		fprintf(stderr, "push failed: %s\n", err.msg);
		return -1;
	}
	ses = t->session;
	r->sent = ses->bytes_sent - sent0;
	r->received = ses->bytes_received - recv0;
	r->calls = f5it_calls_no_login(t);
	r->writes = writes(t);
	r->txns = transactions(t);
	return 0;
}

/* The AS3 declaration of the whole tenant (one Pool per service with its
 * members and a monitor), as a full-declaration controller reposts it. */
static void as3_size(int services, int eps, size_t *objects, size_t *bytes)
{
	json_t *app = json_pack("{s:s, s:s}", "class", "Application", "template", "generic");
	*objects = 0;
	for (int s = 0; s < services; s++) {
		json_t *addrs = json_array();
		int n = eps + (s == services / 2 ? 1 : 0);
		for (int e = 0; e < n; e++) {
			char a[32];
			snprintf(a, sizeof(a), "10.%d.%d.%d", s / 250, s % 250, e + 1);
			json_array_append_new(addrs, json_string(a));
		}
		*objects += 1 + (size_t)n;
		char name[32];
		snprintf(name, sizeof(name), "default_svc%d_80", s);
		json_object_set_new(app, name,
		                    json_pack("{s:s, s:s, s:[{s:i, s:o, s:i}], s:[{s:s}]}", "class",
		                              "Pool", "loadBalancingMode", "ratio-member",
		                              "members", "servicePort", 80, "serverAddresses",
		                              addrs, "ratio", 1, "monitors", "bigip",
		                              "/Common/tcp"));
	}
	json_t *decl = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:o}}}", "class", "AS3",
	                         "action", "deploy", "declaration", "class", "ADC", "schemaVersion",
	                         "3.0.0", "id", "weft", "weft", "class", "Tenant", "app", app);
	char *text = json_dumps(decl, JSON_COMPACT);
	*bytes = text ? strlen(text) : 0;
	free(text);
	json_decref(decl);
}

int main(int argc, char **argv)
{
	int services = argc > 1 ? atoi(argv[1]) : 1000, eps = argc > 2 ? atoi(argv[2]) : 10;
	struct f5it t;
	if (f5it_start(&t)) {
		f5it_stop(&t);
		return 1;
	}
	printf("F5 adapter vs f5sim: %d pools / %d members (HTTPS, loopback)\n", services,
	       services * eps);
	char *base = policy(&t, services, eps, 0), *more = policy(&t, services, eps, 1);
	struct run r;
	int rc = 1;
	if (push(&t, base, 1, &r))
		goto out;
	printf("initial sync:        %d ops, %lld transaction(s), %lld REST calls (login excluded),"
	       " %zu bytes sent, %zu received, %lld ms\n",
	       r.ops, r.txns, r.calls, r.sent, r.received, r.ms);
	if (push(&t, base, 2, &r))
		goto out;
	printf("resync, unchanged:   %d ops, %lld writes, %lld REST calls, %lld ms (session "
	       "cache)\n",
	       r.ops, r.writes, r.calls, r.ms);
	f5it_reset_session(&t);
	if (push(&t, base, 3, &r))
		goto out;
	printf("resync, full read:   %d ops, %lld writes, %lld REST calls (GETs), %zu bytes "
	       "received,"
	       " %lld ms (new session)\n",
	       r.ops, r.writes, r.calls, r.received, r.ms);
	if (push(&t, more, 4, &r))
		goto out;
	printf("one endpoint added:  %d op(s), %lld REST calls (login excluded), %lld writes, "
	       "%zu bytes sent, converged in %lld ms\n",
	       r.ops, r.calls, r.writes, r.sent, r.ms);
	size_t one_sent = r.sent;
	if (push(&t, base, 5, &r))
		goto out;
	printf("one endpoint removed: %d op(s), %lld REST calls, converged in %lld ms\n", r.ops,
	       r.calls, r.ms);
	setenv("WEFT_F5_RESYNC_MS", "0", 1);
	f5it_reset_session(&t);
	if (push(&t, base, 6, &r) || push(&t, more, 7, &r))
		goto out;
	printf("same, full read per push: %d op(s), %lld REST calls, %zu bytes received, "
	       "converged in %lld ms\n",
	       r.ops, r.calls, r.received, r.ms);
	size_t objects = 0, bytes = 0;
	as3_size(services, eps, &objects, &bytes);
	printf("AS3-style full declaration for that change: %zu objects, %zu bytes posted "
	       "(weft: 1 member, %zu bytes)\n",
	       objects, bytes, one_sent);
	rc = 0;
out:
	free(base);
	free(more);
	f5it_stop(&t);
	return rc;
}
