/* Request counters of the REST API, per route template and status code,
 * exposed on /metrics next to the controller's own metrics. Lock-free:
 * relaxed atomic increments from the worker threads. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "api-int.h"

static const int codes[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422, 500, 503};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

struct api_metrics {
	/* the last column counts any other status */
	atomic_ulong count[API_ROUTE_COUNT][N_CODES + 1];
};

api_metrics *api_metrics_new(void)
{
	return calloc(1, sizeof(api_metrics));
}

void api_metrics_free(api_metrics *m)
{
	free(m);
}

void api_metrics_count(api_metrics *m, api_route_id route, int status)
{
	if (!m || route >= API_ROUTE_COUNT)
		return;
	size_t i = 0;
	while (i < N_CODES && codes[i] != status)
		i++;
	atomic_fetch_add_explicit(&m->count[route][i], 1, memory_order_relaxed);
}

void api_metrics_write(const api_metrics *m, FILE *f)
{
	if (!m)
		return;
	fputs("# HELP weft_api_requests_total API requests by route and status code.\n"
	      "# TYPE weft_api_requests_total counter\n",
	      f);
	for (int r = 0; r < API_ROUTE_COUNT; r++) {
		for (size_t i = 0; i <= N_CODES; i++) {
			unsigned long n = atomic_load_explicit((atomic_ulong *)&m->count[r][i],
			                                       memory_order_relaxed);
			if (!n)
				continue;
			char code[16];
			if (i < N_CODES)
				snprintf(code, sizeof(code), "%d", codes[i]);
			else
				snprintf(code, sizeof(code), "other");
			fprintf(f, "weft_api_requests_total{route=\"%s\",code=\"%s\"} %lu\n",
			        api_route_template((api_route_id)r), code, n);
		}
	}
}
