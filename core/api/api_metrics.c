/* Request counters of the REST API, per route template and status code,
 * exposed on /metrics next to the controller's own metrics (lock-free:
 * relaxed atomic increments from the worker threads); and the gauges made
 * from the status at scrape time: one series per device (docs/weftd.md,
 * "Metrics") and the build. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A label value with \\, " and newlines escaped (Prometheus text format). */
static void put_label(FILE *f, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
}

static void put_device_labels(FILE *f, json_t *d)
{
	fputs("{device=\"", f);
	put_label(f, json_string_value(json_object_get(d, "name")));
	fputs("\",kind=\"", f);
	put_label(f, json_string_value(json_object_get(d, "kind")));
	fputc('"', f);
}

void api_metrics_write_devices(json_t *status, FILE *f)
{
	static const char *const states[] = {"in-sync", "pending", "error", "drift", "removed"};
	json_t *devices = json_object_get(status, "devices");
	size_t i;
	json_t *d;
	fputs("# HELP weft_device_state The state of each device: 1 for its current state.\n"
	      "# TYPE weft_device_state gauge\n",
	      f);
	json_array_foreach(devices, i, d)
	{
		const char *state = json_string_value(json_object_get(d, "state"));
		for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			fputs("weft_device_state", f);
			put_device_labels(f, d);
			fprintf(f, ",state=\"%s\"} %d\n", states[s],
			        state && !strcmp(state, states[s]));
		}
	}
	static const struct {
		const char *name, *key, *help;
		double scale;
	} gauges[] = {
	        {"weft_device_revision", "revision", "Revision each device holds.", 1},
	        {"weft_device_last_push_timestamp_seconds", "last_push_ms",
	         "When each device was last pushed to (unix time).", 1e-3},
	        {"weft_device_last_push_duration_seconds", "last_push_duration_ms",
	         "How long each device's last push took.", 1e-3},
	};
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name, gauges[g].help,
		        gauges[g].name);
		json_array_foreach(devices, i, d)
		{
			json_t *v = json_object_get(d, gauges[g].key);
			if (!json_is_integer(v))
				continue;
			fputs(gauges[g].name, f);
			put_device_labels(f, d);
			if (gauges[g].scale == 1)
				fprintf(f, "} %lld\n", (long long)json_integer_value(v));
			else
				fprintf(f, "} %.3f\n",
				        (double)json_integer_value(v) * gauges[g].scale);
		}
	}
}

void api_metrics_write_build_info(const char *version, const char *commit, FILE *f)
{
	fputs("# HELP weft_build_info The running build: version and git commit.\n"
	      "# TYPE weft_build_info gauge\nweft_build_info{version=\"",
	      f);
	put_label(f, version ? version : "unknown");
	fputs("\",commit=\"", f);
	put_label(f, commit ? commit : "unknown");
	fputs("\"} 1\n", f);
}
