/* Benchmark of the haproxy adapter (docs/adapter-haproxy.md, "Figures"):
 * on the test rig (tests/integration/haproxy/hapit.h: real haproxy behind
 * a real sshd, real backends), the time from the start of a push to the
 * first request that lands where the new config sends it, for a change
 * the runtime API carries (the route's servers switch between a and b, no
 * reload) and for one that needs a reload (the same switch plus a new
 * timeout), ITER times each, with continuous load (loadgen.py, 4
 * workers) counting the requests lost. Prints p50/p99 and the losses.
 * Usage: bench_haproxy [ITER]. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hapit.h"
#include "policy.h"
#include "testsupport.h"

/* YAML -> snapshot without cmocka (the tests' helper fails a test). */
#include "diag.h"
#include "doc.h"
#include "policyset.h"
#include "resource.h"

static weft_snapshot *compile(const char *yaml, int64_t rev)
{
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_resource **res = NULL;
	size_t n = 0;
	weft_snapshot *snap = NULL;
	weft_policyset *set = NULL;
	if (!weft_docset_parse(&docs, "bench.yaml", yaml, strlen(yaml), &d) &&
	    !weft_policy_decode_all(&docs, &res, &n, &d) &&
	    (set = weft_policyset_new(res, n, &d)) && !weft_policy_validate(set, &d)) {
		weft_err e = {0};
		snap = weft_snapshot_compile(set, rev, NULL, &e);
	} else if (d.count) {
		char *m = weft_diag_format(&d.items[0]);
		fprintf(stderr, "bench policy: %s\n", m ? m : "?");
		free(m);
	}
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_policyset_unref(set);
	weft_diags_free(&d);
	weft_docset_free(&docs);
	return snap;
}

static weft_snapshot *policy(const struct hapit *h, int gw, const char *subset, int timeout_s,
                             int64_t rev)
{
	char *y = calloc(1, 65536);
	snprintf(y, 65536,
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
	         "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n"
	         "  - {address: 127.0.0.1, port: %d, labels: {version: v1}}\n"
	         "  - {address: 127.0.0.1, port: %d, labels: {version: v2}}\n"
	         "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: "
	         "v2}}]\n"
	         "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: edge, namespace: shop}\n"
	         "spec:\n  hosts: [shop.example.com]\n  http:\n"
	         "  - destinations: [{service: web, subset: %s}]\n    timeout: %ds\n"
	         "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
	         "spec:\n  address: 127.0.0.1\n  listeners:\n"
	         "  - {name: web, port: %d, protocol: http, routes: [edge]}\n",
	         h->backend_port[0], h->backend_port[1], subset, timeout_s, gw);
	hapit_device_yaml(h, y, 65536);
	weft_snapshot *s = compile(y, rev);
	free(y);
	return s;
}

/* The X-Backend of one GET, 0 when none answered. */
static char get_backend(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[4096] = "";
	size_t len = 0;
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		const char *rq =
		        "GET / HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n";
		if (write(fd, rq, strlen(rq)) > 0) {
			ssize_t n;
			while (len + 1 < sizeof(buf) &&
			       (n = read(fd, buf + len, sizeof(buf) - len - 1)) > 0)
				len += (size_t)n;
		}
	}
	close(fd);
	buf[len] = 0;
	char *b = strcasestr(buf, "x-backend: ");
	return b ? b[11] : 0;
}

struct watch {
	int port;
	char want;
	long long t0, seen;
};

static void *watcher(void *arg)
{
	struct watch *w = arg;
	long long end = w->t0 + 20000;
	while (get_backend(w->port) != w->want && ts_now_ms() < end)
		;
	w->seen = ts_now_ms();
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int run(struct hapit *h, void **session, int gw, int iter, int reload, int64_t *rev)
{
	double *ms = calloc((size_t)iter, sizeof(*ms));
	pid_t load = hapit_load_start(h, gw, reload ? "bench-reload" : "bench-runtime");
	int worker0 = hapit_worker_pid(h), reloads = 0;
	for (int i = 0; i < iter; i++) {
		const char *to = i % 2 ? "v1" : "v2";
		char want = i % 2 ? 'a' : 'b';
		weft_snapshot *s = policy(h, gw, to, reload ? 6 + (i % 2) : 5, ++*rev);
		/* The watcher polls from the push's start, in parallel with it:
		 * traffic may follow before the push returns (a runtime change
		 * takes effect before removed servers are deleted). */
		struct watch wt = {.port = gw, .want = want, .t0 = ts_now_ms()};
		pthread_t th;
		pthread_create(&th, NULL, watcher, &wt);
		weft_err err = {0};
		int prc = !s || hapit_push(session, s, NULL, &err);
		pthread_join(th, NULL);
		if (prc) {
			fprintf(stderr, "push failed: %s\n", err.msg);
			return -1;
		}
		weft_snapshot_unref(s);
		ms[i] = (double)(wt.seen - wt.t0);
	}
	if (hapit_worker_pid(h) != worker0)
		reloads = 1;
	json_t *r = hapit_load_stop(h, load, reload ? "bench-reload" : "bench-runtime");
	qsort(ms, (size_t)iter, sizeof(*ms), cmp);
	printf("%-8s change -> traffic follows: p50 %.0f ms, p99 %.0f ms over %d changes; "
	       "requests %lld, lost %lld; worker %s\n",
	       reload ? "reload" : "runtime", ms[iter / 2], ms[(iter * 99) / 100], iter,
	       (long long)json_integer_value(json_object_get(r, "sent")), hapit_failures(r),
	       reloads ? "replaced" : "unchanged");
	json_decref(r);
	free(ms);
	return 0;
}

int main(int argc, char **argv)
{
	int iter = argc > 1 ? atoi(argv[1]) : 20;
	if (!hapit_available()) {
		fprintf(stderr, "haproxy, sshd or python3 missing\n");
		return 77;
	}
	struct hapit h;
	if (hapit_start(&h))
		return 1;
	void *session = NULL;
	int gw = ts_free_port();
	int64_t rev = 0;
	weft_err err = {0};
	weft_snapshot *s = policy(&h, gw, "v1", 5, ++rev);
	int rc = !s || hapit_push(&session, s, NULL, &err);
	weft_snapshot_unref(s);
	if (rc)
		fprintf(stderr, "first push failed: %s\n", err.msg);
	if (!rc)
		rc = run(&h, &session, gw, iter, 0, &rev) || run(&h, &session, gw, iter, 1, &rev);
	hapit_close(session);
	hapit_stop(&h);
	return rc ? 1 : 0;
}
