/* Core benchmark (issue: core performance goals). For a generated policy of
 * S services x E endpoints and R routes it prints:
 *   - parse, decode, validate and compile times of the whole policy;
 *   - one endpoint change recompiled incrementally (decode of the one
 *     resource, derive, validate, compile), median and max over N changes;
 *   - resident memory of this process holding the policy and a snapshot.
 * Usage: bench_core [--services S] [--endpoints E] [--routes R]
 *                   [--changes N] [--write-policy FILE]
 * Figures are printed, never asserted: machines here are noisy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "resource.h"
#include "snapshot.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The JSON of a service with its first endpoint address's last octet
 * changed to v: a one-endpoint change as an operator would make it. */
static char *changed_service_json(const weft_resource *svc, int v)
{
	char *json = strdup(svc->json);
	char *p = strstr(json, "\"address\":\"");
	if (!p)
		return json;
	p += strlen("\"address\":\"");
	char *end = strchr(p, '"');
	char *dot = end;
	while (dot > p && *dot != '.')
		dot--;
	char *out = NULL;
	if (asprintf(&out, "%.*s.%d%s", (int)(dot - json), json, 200 + v % 50, end) < 0)
		out = NULL;
	free(json);
	return out;
}

static int arg_int(int argc, char **argv, const char *name, int def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return atoi(argv[i + 1]);
	return def;
}

static const char *arg_str(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static int fail(const char *what, weft_diags *d)
{
	fprintf(stderr, "bench_core: %s failed\n", what);
	weft_diags_print(stderr, d);
	return 1;
}

int main(int argc, char **argv)
{
	int services = arg_int(argc, argv, "--services", 1000);
	int endpoints = arg_int(argc, argv, "--endpoints", 10);
	int routes = arg_int(argc, argv, "--routes", 2000);
	int changes = arg_int(argc, argv, "--changes", 50);
	const char *write_to = arg_str(argc, argv, "--write-policy");

	long rss0 = rss_kb();
	char *yaml = weft_policy_generate(services, endpoints, routes);
	if (write_to) {
		FILE *f = fopen(write_to, "w");
		if (!f || fputs(yaml, f) < 0 || fclose(f)) {
			perror(write_to);
			return 1;
		}
	}
	size_t yaml_len = strlen(yaml);
	weft_diags d;
	weft_diags_init(&d);
	weft_docset docs;
	weft_docset_init(&docs);

	double t0 = now_ms();
	if (weft_docset_parse(&docs, "generated.yaml", yaml, yaml_len, &d))
		return fail("parse", &d);
	double t1 = now_ms();
	weft_resource **res = NULL;
	size_t n = 0;
	if (weft_policy_decode_all(&docs, &res, &n, &d))
		return fail("decode", &d);
	double t2 = now_ms();
	weft_policyset *set = weft_policyset_new(res, n, &d);
	if (!set || weft_policy_validate(set, &d))
		return fail("validate", &d);
	double t3 = now_ms();
	weft_err err = {0};
	weft_snapshot *snap = weft_snapshot_compile(set, 1, NULL, &err);
	double t4 = now_ms();
	weft_docset_free(&docs);
	free(yaml);

	printf("policy: %d services x %d endpoints, %d routes: %zu resources, %zu bytes of YAML\n",
	       services, endpoints, routes, n, yaml_len);
	printf("full:   parse %.1f ms, decode %.1f ms, validate %.1f ms, compile %.1f ms"
	       " -> validate+compile total %.1f ms (goal < 1000 ms)\n",
	       t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0);

	/* One-endpoint changes, each a full incremental step. */
	double *lat = calloc((size_t)changes, sizeof(double));
	for (int i = 0; i < changes; i++) {
		size_t n_svc;
		weft_resource *const *svcs = weft_policyset_kind(set, WEFT_KIND_SERVICE, &n_svc);
		const weft_resource *svc = svcs[(size_t)(i * 7919) % n_svc];
		char *json = changed_service_json(svc, i);
		double a = now_ms();
		weft_resource *up = NULL;
		if (weft_policy_decode_json(json, strlen(json), svc->file, svc->line, &up, &d))
			return fail("decode of the changed service", &d);
		weft_policyset *next = weft_policyset_derive(set, &up, 1, NULL, 0, &d);
		if (!next || weft_policy_validate_change(set, next, &d))
			return fail("incremental validate", &d);
		weft_snapshot *s2 = weft_snapshot_compile(next, i + 2, snap, &err);
		weft_snapshot_diff diff;
		weft_snapshot_diff_compute(snap, s2, &diff);
		lat[i] = now_ms() - a;
		if (diff.count != 1)
			fprintf(stderr, "bench_core: expected 1 changed resource, got %zu\n",
			        diff.count);
		weft_snapshot_diff_free(&diff);
		weft_snapshot_unref(snap);
		weft_policyset_unref(set);
		weft_resource_unref(up);
		snap = s2;
		set = next;
		free(json);
	}
	qsort(lat, (size_t)changes, sizeof(double), cmp_double);
	printf("change: one endpoint, decode+derive+validate+compile+diff over %d changes:"
	       " median %.2f ms, p90 %.2f ms, max %.2f ms (goal < 10 ms)\n",
	       changes, lat[changes / 2], lat[changes * 9 / 10], lat[changes - 1]);
	printf("memory: RSS %ld MB holding the policy and a snapshot (%ld MB at start)\n",
	       rss_kb() / 1024, rss0 / 1024);

	free(lat);
	weft_snapshot_unref(snap);
	weft_policyset_unref(set);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_diags_free(&d);
	return 0;
}
