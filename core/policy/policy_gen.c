/* Synthetic policy generator (weft_policy_generate in policy.h): large,
 * valid, realistic-looking policies for benchmarks (bench/) and for the
 * decode+validate performance test. Every endpoint gets unique addresses on
 * two planes so the TCP/HTTP port-conflict rule has real work to do. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct buf {
	char *data;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
}

static void gen_upstreams(struct buf *b, int i, int services, int upstreams)
{
	if (upstreams <= 0 || services < 2)
		return;
	if (upstreams >= services)
		upstreams = services - 1;
	put(b, "  upstreams:\n");
	for (int k = 1; k <= upstreams; k++)
		put(b, "  - svc-%05d\n", (i + k) % services);
}

static void gen_service(struct buf *b, int i, const weft_gen_opts *o, long *ep_counter)
{
	int endpoints = o->endpoints_per_service;
	put(b,
	    "---\napiVersion: weft/v1\nkind: Service\nmetadata:\n  name: svc-%05d\n"
	    "  labels:\n    tier: t%d\nspec:\n  protocol: http\n  ports:\n"
	    "  - name: http\n    port: 8080\n    targetPort: 8080\n  endpoints:\n",
	    i, i % 4);
	for (int e = 0; e < endpoints; e++) {
		long k = (*ep_counter)++;
		put(b,
		    "  - address: 10.%ld.%ld.%ld\n    addresses:\n"
		    "      storage: 100.%ld.%ld.%ld\n    labels:\n      version: v%d\n"
		    "    zone: zone-%d\n",
		    (k >> 16) & 255, (k >> 8) & 255, k & 255, 64 + ((k >> 16) & 63), (k >> 8) & 255,
		    k & 255, e % 5 == 4 ? 2 : 1, e % 3);
	}
	put(b, "  subsets:\n  - name: v1\n    labels:\n      version: v1\n"
	       "  - name: v2\n    labels:\n      version: v2\n");
	gen_upstreams(b, i, o->services, o->upstreams);
	put(b,
	    "---\napiVersion: weft/v1\nkind: TrafficPolicy\nmetadata:\n  name: svc-%05d\n"
	    "spec:\n  service: svc-%05d\n  loadBalancer:\n    algorithm: least-request\n"
	    "  connectionPool:\n    maxConnections: 1024\n    connectTimeout: 250ms\n"
	    "  outlierDetection:\n    consecutive5xx: 5\n    interval: 10s\n"
	    "    baseEjectionTime: 30s\n    maxEjectionPercent: 50\n",
	    i, i);
}

static void gen_route(struct buf *b, int j, int services)
{
	int svc = j % services;
	put(b,
	    "---\napiVersion: weft/v1\nkind: Route\nmetadata:\n  name: route-%05d\n"
	    "spec:\n  service: svc-%05d\n  http:\n  - name: api\n    match:\n"
	    "    - path:\n        prefix: /api/r%d\n      headers:\n      - name: x-canary\n"
	    "        exact: \"on\"\n    destinations:\n    - service: svc-%05d\n"
	    "      subset: v2\n      weight: 20\n    - service: svc-%05d\n      subset: v1\n"
	    "      weight: 80\n    timeout: 2s\n    retries:\n      attempts: 3\n"
	    "      perTryTimeout: 500ms\n      retryOn: [5xx, connect-failure]\n"
	    "  - destinations:\n    - service: svc-%05d\n",
	    j, svc, j, svc, svc, svc);
}

char *weft_policy_generate(int services, int endpoints_per_service, int routes)
{
	weft_gen_opts o = {.services = services,
	                   .endpoints_per_service = endpoints_per_service,
	                   .routes = routes};
	return weft_policy_generate_opts(&o);
}

char *weft_policy_generate_opts(const weft_gen_opts *opts)
{
	struct buf b = {0};
	weft_gen_opts o = *opts;
	if (o.services < 1)
		o.services = 1;
	long ep_counter = 1;
	for (int i = 0; i < o.services; i++)
		gen_service(&b, i, &o, &ep_counter);
	for (int j = 0; j < o.routes; j++)
		gen_route(&b, j, o.services);
	put(&b, "---\napiVersion: weft/v1\nkind: Device\nmetadata:\n  name: gen-file\n"
	        "spec:\n  type: file\n  options:\n    directory: ./out/gen-file\n");
	if (b.failed) {
		free(b.data);
		return NULL;
	}
	return b.data;
}
