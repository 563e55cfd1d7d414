/* xdsfleet report.c: statistics of a fleet run. Each thread records, per
 * resource type, counters and one sample per response (arrival time and
 * version); the report merges the threads and computes latency percentiles
 * from each response's arrival relative to a start mark:
 *
 *  - with --mark-file: the file's content when it is a number (seconds
 *    since the epoch, e.g. "1700000000.25"), else its mtime: the moment a
 *    benchmark made its change; only responses arriving after it count;
 *  - without: for each (type, version), the fleet's first arrival of a
 *    response of that version (the spread of the push across the fleet).
 *
 * With --until-version V, only responses whose version follows V count,
 * and the report says when the last counted client reached V. */
#include "xdsfleet.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint32_t intern_version(struct xf_thread *t, const char *v)
{
	size_t i;

	for (i = t->nversions; i > 0; i--)
		if (strcmp(t->versions[i - 1], v) == 0)
			return (uint32_t)(i - 1);
	if (t->nversions == t->capversions) {
		size_t cap = t->capversions ? t->capversions * 2 : 8;
		char **nv = realloc(t->versions, cap * sizeof(*nv));

		if (!nv)
			return UINT32_MAX;
		t->versions = nv;
		t->capversions = cap;
	}
	t->versions[t->nversions] = strdup(v);
	if (!t->versions[t->nversions])
		return UINT32_MAX;
	return (uint32_t)t->nversions++;
}

void xf_stats_sample(struct xf_thread *t, enum xf_type type, const char *version,
                     int64_t arrival_us)
{
	struct xf_typestats *s = &t->stats[type];
	uint32_t v = intern_version(t, version);

	if (v == UINT32_MAX)
		return;
	if (s->nsamples == s->capsamples) {
		size_t cap = s->capsamples ? s->capsamples * 2 : 64;
		struct xf_sample *ns = realloc(s->samples, cap * sizeof(*ns));

		if (!ns)
			return;
		s->samples = ns;
		s->capsamples = cap;
	}
	s->samples[s->nsamples].arrival_us = arrival_us;
	s->samples[s->nsamples].version = v;
	s->nsamples++;
}

void xf_thread_stats_free(struct xf_thread *t)
{
	size_t i;
	int k;

	for (k = 0; k < XF_NTYPES; k++)
		free(t->stats[k].samples);
	for (i = 0; i < t->nversions; i++)
		free(t->versions[i]);
	free(t->versions);
}

/* The change time from --mark-file (us since the epoch), or -1 (err set). */
static int64_t read_mark(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char buf[64] = "";
	FILE *fp;
	char *end;
	double secs;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "--mark-file %s: cannot stat", path);
		return -1;
	}
	fp = fopen(path, "r");
	if (fp) {
		if (!fgets(buf, sizeof(buf), fp))
			buf[0] = '\0';
		fclose(fp);
	}
	secs = strtod(buf, &end);
	if (end != buf && secs > 0 && (*end == '\0' || *end == '\n' || *end == ' '))
		return (int64_t)(secs * 1e6);
	return (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values, in milliseconds. */
static double pct_ms(const int64_t *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1000.0;
}

struct vmark {
	const char *version;
	int64_t first_us;
};

static struct vmark *find_mark(struct vmark *m, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].version, v) == 0)
			return &m[i];
	return NULL;
}

/* Latencies (us) of one type over all threads, sorted; *first_us gets the
 * earliest counted arrival. Caller frees. */
static int64_t *type_latencies(struct xf_fleet *f, enum xf_type type, int64_t mark_us,
                               size_t *count, int64_t *first_us)
{
	const char *until = f->opt.until_version;
	struct vmark *marks = NULL;
	size_t nmarks = 0, total = 0, n = 0, i;
	int64_t *lat;
	int pass, k;

	for (k = 0; k < f->opt.threads; k++)
		total += f->threads[k].stats[type].nsamples;
	lat = malloc((total + 1) * sizeof(*lat));
	marks = calloc(total + 1, sizeof(*marks));
	if (!lat || !marks) {
		free(lat);
		free(marks);
		*count = 0;
		return NULL;
	}
	/* pass 0: first arrival per version; pass 1: latencies */
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < f->opt.threads; k++) {
			struct xf_thread *t = &f->threads[k];
			struct xf_typestats *s = &t->stats[type];

			for (i = 0; i < s->nsamples; i++) {
				const char *v = t->versions[s->samples[i].version];
				int64_t at = s->samples[i].arrival_us;
				struct vmark *m;

				if (until && !xf_version_follows(v, until))
					continue;
				if (mark_us >= 0 && at < mark_us)
					continue;
				m = find_mark(marks, nmarks, v);
				if (pass == 0) {
					if (!m) {
						m = &marks[nmarks++];
						m->version = v;
						m->first_us = at;
					} else if (at < m->first_us) {
						m->first_us = at;
					}
					if (*first_us < 0 || at < *first_us)
						*first_us = at;
					continue;
				}
				lat[n++] = at - (mark_us >= 0 ? mark_us : m->first_us);
			}
		}
	free(marks);
	qsort(lat, n, sizeof(*lat), cmp_i64);
	*count = n;
	return lat;
}

static json_t *type_report(struct xf_fleet *f, enum xf_type type, int64_t mark_us,
                           int64_t *first_us)
{
	struct xf_typestats sum;
	size_t n = 0;
	int64_t *lat = type_latencies(f, type, mark_us, &n, first_us);
	int k;

	memset(&sum, 0, sizeof(sum));
	for (k = 0; k < f->opt.threads; k++) {
		struct xf_typestats *s = &f->threads[k].stats[type];

		sum.responses += s->responses;
		sum.resources += s->resources;
		sum.bytes += s->bytes;
		sum.acks += s->acks;
		sum.nacks += s->nacks;
		sum.decode_errors += s->decode_errors;
	}
	json_t *j =
	        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "responses", (json_int_t)sum.responses,
	                  "resources", (json_int_t)sum.resources, "bytes", (json_int_t)sum.bytes,
	                  "acks", (json_int_t)sum.acks, "nacks", (json_int_t)sum.nacks,
	                  "decode_errors", (json_int_t)sum.decode_errors);
	json_object_set_new(j, "latency_ms",
	                    json_pack("{s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)n, "p50",
	                              pct_ms(lat, n, 0.50), "p90", pct_ms(lat, n, 0.90), "p99",
	                              pct_ms(lat, n, 0.99), "max",
	                              n ? (double)lat[n - 1] / 1000.0 : 0.0));
	free(lat);
	return j;
}

static void print_text(json_t *r, const struct xf_options *o)
{
	const char *name;
	json_t *t;

	printf("xdsfleet: %s, %d clients, %d channels, %d threads, %.3f s\n",
	       json_string_value(json_object_get(r, "mode")), o->clients, o->channels, o->threads,
	       json_real_value(json_object_get(r, "elapsed_s")));
	printf("streams started %lld, stream errors %lld, NACKing clients %lld\n",
	       (long long)json_integer_value(json_object_get(r, "streams_started")),
	       (long long)json_integer_value(json_object_get(r, "stream_errors")),
	       (long long)json_integer_value(json_object_get(r, "nacking_clients")));
	printf("%-4s %10s %10s %12s %9s %9s %9s %9s %9s %9s\n", "type", "responses", "resources",
	       "bytes", "acks", "nacks", "p50 ms", "p90 ms", "p99 ms", "max ms");
	json_object_foreach(json_object_get(r, "types"), name, t)
	{
		json_t *l = json_object_get(t, "latency_ms");

		printf("%-4s %10lld %10lld %12lld %9lld %9lld %9.2f %9.2f %9.2f %9.2f\n", name,
		       (long long)json_integer_value(json_object_get(t, "responses")),
		       (long long)json_integer_value(json_object_get(t, "resources")),
		       (long long)json_integer_value(json_object_get(t, "bytes")),
		       (long long)json_integer_value(json_object_get(t, "acks")),
		       (long long)json_integer_value(json_object_get(t, "nacks")),
		       json_real_value(json_object_get(l, "p50")),
		       json_real_value(json_object_get(l, "p90")),
		       json_real_value(json_object_get(l, "p99")),
		       json_real_value(json_object_get(l, "max")));
	}
	t = json_object_get(r, "until");
	if (t)
		printf("until %s: %lld of %lld clients reached it (%s), last after %.2f ms\n",
		       json_string_value(json_object_get(t, "version")),
		       (long long)json_integer_value(json_object_get(t, "reached")),
		       (long long)json_integer_value(json_object_get(t, "expected")),
		       json_is_true(json_object_get(t, "converged")) ? "converged"
		                                                     : "NOT converged",
		       json_real_value(json_object_get(t, "converged_ms")));
}

static json_t *until_report(struct xf_fleet *f, int64_t ref_us)
{
	int64_t last = 0;
	int k, reached = atomic_load(&f->reached);

	for (k = 0; k < f->opt.threads; k++)
		if (f->threads[k].last_reach_us > last)
			last = f->threads[k].last_reach_us;
	return json_pack("{s:s,s:i,s:i,s:b,s:f}", "version", f->opt.until_version, "reached",
	                 reached, "expected", f->ncounted, "converged", reached >= f->ncounted,
	                 "converged_ms",
	                 reached && ref_us >= 0 ? (double)(last - ref_us) / 1000.0 : -1.0);
}

int xf_report(struct xf_fleet *f, int64_t end_us)
{
	const struct xf_options *o = &f->opt;
	char err[256];
	int64_t mark_us = -1, first_us = -1;
	uint64_t started = 0, errors = 0, bad = 0;
	json_t *r, *types;
	int k, rc = 0;

	if (o->mark_file) {
		mark_us = read_mark(o->mark_file, err, sizeof(err));
		if (mark_us < 0)
			fprintf(stderr, "xdsfleet: %s; using first arrivals\n", err);
	}
	for (k = 0; k < o->threads; k++) {
		started += f->threads[k].streams_started;
		errors += f->threads[k].stream_errors;
		bad += f->threads[k].bad_messages;
	}
	r = json_pack("{s:s,s:i,s:i,s:i,s:f,s:I,s:I,s:I,s:i}", "mode",
	              o->mode == XF_SOTW ? "sotw" : "delta", "clients", o->clients, "channels",
	              o->channels, "threads", o->threads, "elapsed_s",
	              (double)(end_us - f->start_us) / 1e6, "streams_started", (json_int_t)started,
	              "stream_errors", (json_int_t)errors, "bad_messages", (json_int_t)bad,
	              "nacking_clients", o->clients - f->ncounted);
	types = json_object();
	for (k = 0; k < o->ntypes; k++)
		json_object_set_new(types, xf_type_name(o->order[k]),
		                    type_report(f, o->order[k], mark_us, &first_us));
	json_object_set_new(r, "types", types);
	json_object_set_new(r, "mark",
	                    json_pack("{s:s,s:I}", "source",
	                              mark_us >= 0 ? "file" : "first-response", "time_us",
	                              (json_int_t)(mark_us >= 0 ? mark_us : first_us)));
	if (o->until_version) {
		json_t *u = until_report(f, mark_us >= 0 ? mark_us : first_us);

		rc = json_is_true(json_object_get(u, "converged")) ? 0 : 1;
		json_object_set_new(r, "until", u);
	}
	if (o->json) {
		char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		print_text(r, o);
	}
	fflush(stdout);
	json_decref(r);
	return rc;
}
