/* bench_xds: the xDS benchmark (issue 3, "Performance"). Prints figures
 * with their setup. Drives xds_testd (controller + xds adapter + ADS
 * server) and the null server with xdsfleet:
 *   (a) one endpoint change ACKed by every subscribed proxy: EDS latency
 *       (policy file written -> response) p50/p99 and convergence;
 *   (b) a fresh full push to all proxies, all ACKed: time to converge;
 *   (c) server RSS (VmRSS and peak VmHWM) with the fleet connected;
 *   (d) the same fresh push against xds_null_server (same pre-encoded
 *       bytes, no protocol logic): the floor weft's push path is held to.
 *
 * usage: bench_xds [--services N] [--endpoints M] [--clients C]
 *                  [--channels K] [--threads T] [--types LIST] [--duration S]
 *                  [--upstreams U]
 * --upstreams U: every service lists the next U services as upstreams
 * (dependency scoping) and proxy i is a sidecar of service i mod N, so a
 * proxy receives U + 1 services instead of N (docs/adapter-xds.md).
 * Defaults: 1000 services x 10 endpoints, 10000 clients, 8 channels,
 * 2 threads, types cds,eds (sidecar view). Binaries are found next to this
 * program (BUILD/bin). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "policy.h"
#include "testsupport.h"

struct opts {
	int services, endpoints, clients, channels, threads, duration, upstreams;
	const char *types;
	char service_md[64]; /* --metadata service=... when scoped */
};

static char bindir[1024];

static long proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = atol(line + strlen(field) + 1);
	if (f)
		fclose(f);
	return v;
}

static json_t *fleet(const struct opts *o, const char *addr, const char *version,
                     const char *until_types, const char *mark, const char *log, pid_t *bg)
{
	char bin[1100], clients[16], channels[16], threads[16], dur[16];
	snprintf(bin, sizeof(bin), "%s/xdsfleet", bindir);
	snprintf(clients, sizeof(clients), "%d", o->clients);
	snprintf(channels, sizeof(channels), "%d", o->channels);
	snprintf(threads, sizeof(threads), "%d", o->threads);
	snprintf(dur, sizeof(dur), "%d", o->duration);
	const char *argv[32] = {
	        bin,      "--server",   addr,    "--clients", clients,      "--channels",
	        channels, "--threads",  threads, "--types",   o->types,     "--until-version",
	        version,  "--duration", dur,     "--json",    "--metadata", "role=sidecar"};
	int n = 18;
	if (o->upstreams) {
		argv[n++] = "--metadata";
		argv[n++] = o->service_md;
	}
	if (until_types) {
		argv[n++] = "--until-types";
		argv[n++] = until_types;
	}
	if (mark) {
		argv[n++] = "--mark-file";
		argv[n++] = mark;
	}
	argv[n] = NULL;
	if (bg) {
		*bg = ts_spawn(argv, log);
		return NULL;
	}
	char *out = NULL;
	ts_run(argv, &out, (o->duration + 120) * 1000); /* 10,000 streams take time to close */
	const char *p = out ? strchr(out, '{') : NULL;
	json_t *j = p ? json_loads(p, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	if (!j)
		fprintf(stderr, "xdsfleet: %s\n", out ? out : "(no output)");
	free(out);
	return j;
}

static double jnum(json_t *j, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(j, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_number_value(v);
}

static void print_push(const char *who, json_t *r, const char *type)
{
	printf("  %-6s converged %s in %.0f ms (%.0f of %.0f clients), elapsed %.2f s, "
	       "%s responses %.0f, resources %.0f, %.1f MB\n",
	       who,
	       json_is_true(json_object_get(json_object_get(r, "until"), "converged")) ? "yes"
	                                                                               : "NO",
	       jnum(r, "until", "converged_ms", NULL), jnum(r, "until", "reached", NULL),
	       jnum(r, "until", "expected", NULL), jnum(r, "elapsed_s", NULL, NULL), type,
	       jnum(r, "types", type, "responses"), jnum(r, "types", type, "resources"),
	       jnum(r, "types", type, "bytes") / 1e6);
}

static pid_t start_server(const char *dir, const char *policy, int null, char *addr, size_t len)
{
	char bin[1100], state[1100], ready[1100], log[1100];
	int port = ts_free_port();
	snprintf(addr, len, "127.0.0.1:%d", port);
	snprintf(log, sizeof(log), "%s/%s.log", dir, null ? "null" : "testd");
	if (null) {
		snprintf(bin, sizeof(bin), "%s/xds_null_server", bindir);
		const char *argv[] = {bin, "--listen", addr, "--policy", policy, NULL};
		pid_t p = ts_spawn(argv, log);
		return ts_wait_port(port, p, 60000) ? -1 : p;
	}
	snprintf(bin, sizeof(bin), "%s/xds_testd", bindir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	const char *argv[] = {bin,        "--state", state,     "--listen", addr,
	                      "--policy", policy,    "--ready", ready,      NULL};
	pid_t p = ts_spawn(argv, log);
	return ts_wait_path(ready, p, 120000) ? -1 : p;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){1000, 10, 10000, 8, 2, 60, 0, "cds,eds", ""};
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--services"))
			o->services = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--endpoints"))
			o->endpoints = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--clients"))
			o->clients = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--channels"))
			o->channels = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			o->threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--types"))
			o->types = argv[i + 1];
		else if (!strcmp(argv[i], "--duration"))
			o->duration = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--upstreams"))
			o->upstreams = atoi(argv[i + 1]);
		else
			return -1;
	}
	snprintf(o->service_md, sizeof(o->service_md), "service=default/svc-{i%%%d:5}",
	         o->services);
	return o->services > 0 && o->endpoints > 0 && o->clients > 0 ? 0 : -1;
}

/* The server's convergence histogram (cumulative bucket counts). */
static int histogram(const char *dir, pid_t testd, double *le, long long *cum, int max)
{
	char p[1100];
	snprintf(p, sizeof(p), "%s/state/metrics.txt", dir);
	unlink(p);
	kill(testd, SIGUSR2);
	if (ts_wait_path(p, testd, 5000))
		return 0;
	usleep(50000);
	char *m = ts_read_file(p, NULL), *at = m;
	int n = 0;
	while (at && n < max && (at = strstr(at, "weft_xds_convergence_seconds_bucket{le=\""))) {
		at += strlen("weft_xds_convergence_seconds_bucket{le=\"");
		le[n] = strncmp(at, "+Inf", 4) ? atof(at) : 1e9;
		char *sp = strchr(at, ' ');
		cum[n++] = sp ? atoll(sp + 1) : 0;
	}
	free(m);
	return n;
}

/* (a): the fleet stays connected; one endpoint address changes. */
static void endpoint_change(const struct opts *o, const char *dir, const char *addr, pid_t testd,
                            const char *policy, char *text)
{
	char mark[1100], log[1100];
	snprintf(mark, sizeof(mark), "%s/mark", dir);
	snprintf(log, sizeof(log), "%s/fleet-change.json", dir);
	ts_write_file(mark, "0\n"); /* xdsfleet needs it to exist; rewritten below */
	pid_t bg;
	fleet(o, addr, "2", "eds", mark, log, &bg);
	sleep(1);
	/* wait until the fleet is connected and has ACKed CDS and EDS (the
	 * server's counters: (b)'s ACKs plus these) */
	for (int i = 0; i < o->duration * 10; i++) {
		usleep(100000);
		if (proc_kb(bg, "VmRSS:") < 0)
			break;
		char p[1100];
		snprintf(p, sizeof(p), "%s/state/metrics.txt", dir);
		unlink(p);
		kill(testd, SIGUSR2);
		usleep(150000);
		char *m = ts_read_file(p, NULL);
		char *at = m ? strstr(m, "\nweft_xds_connected_proxies ") : NULL;
		long connected = at ? atol(at + 28) : 0;
		at = m ? strstr(m, "\nweft_xds_acks_total ") : NULL;
		long acks = at ? atol(at + 21) : 0;
		free(m);
		if (connected >= o->clients && acks >= 4L * o->clients) /* (b) acks + these */
			break;
	}
	double le[32];
	long long before[32], after[32];
	int nb = histogram(dir, testd, le, before, 32);
	char *at = strstr(text, "address: 10.");
	at[12] = at[12] == '9' ? '8' : '9'; /* one endpoint of svc-00000 moves */
	ts_write_file(policy, text);
	/* Applied as that one Service document (merge), as `weftctl apply -f`
	 * of the changed Service does: the generated text starts with it. */
	char merge[1200];
	snprintf(merge, sizeof(merge), "%s.merge", policy);
	char *end = strstr(text + 4, "\n---\n");
	if (end) {
		char saved = end[1];
		end[1] = 0;
		ts_write_file(merge, text);
		end[1] = saved;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char when[64];
	snprintf(when, sizeof(when), "%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
	ts_write_file(mark, when);
	kill(testd, SIGHUP);
	int status = 0;
	for (int i = 0; i < (o->duration + 10) * 50; i++) {
		if (waitpid(bg, &status, WNOHANG) == bg)
			break;
		usleep(20000);
	}
	ts_stop(bg, 1000);
	if (nb && histogram(dir, testd, le, after, 32) == nb) {
		long long total = after[nb - 1] - before[nb - 1];
		double q50 = -1, q99 = -1;
		for (int i = 0; i < nb && total > 0; i++) {
			long long c = after[i] - before[i];
			if (q50 < 0 && c * 100 >= total * 50)
				q50 = le[i];
			if (q99 < 0 && c * 100 >= total * 99)
				q99 = le[i];
		}
		printf("    server side (the change was stored -> the proxy's ACK was "
		       "processed), %lld ACKs: p50 <= %gs, p99 <= %gs (histogram buckets)\n",
		       total, q50, q99);
	}
	char *out = ts_read_file(log, NULL);
	json_t *r = out && strchr(out, '{')
	                    ? json_loads(strchr(out, '{'), JSON_DISABLE_EOF_CHECK, NULL)
	                    : NULL;
	free(out);
	if (!r) {
		printf("(a) endpoint change: no report\n");
		return;
	}
	/* Scoped: only the sidecars of svc-00000 and of the services listing
	 * it (svc N-1 .. N-U) subscribe to its endpoints. */
	long affected = o->clients;
	if (o->upstreams) {
		affected = 0;
		for (long i = 0; i < o->clients; i++) {
			long svc = i % o->services;
			affected += svc == 0 || svc >= o->services - o->upstreams;
		}
	}
	double reached = jnum(r, "until", "reached", NULL);
	printf("(a) one endpoint change (the changed Service applied alone, merge: file written -> "
	       "EDS response at each proxy):\n"
	       "    EDS latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms over %.0f "
	       "responses;"
	       " %.0f of the %ld subscribed proxies at the new version (%s), the last %.0f ms "
	       "after the change\n",
	       jnum(json_object_get(json_object_get(r, "types"), "eds"), "latency_ms", "p50", NULL),
	       jnum(json_object_get(json_object_get(r, "types"), "eds"), "latency_ms", "p90", NULL),
	       jnum(json_object_get(json_object_get(r, "types"), "eds"), "latency_ms", "p99", NULL),
	       jnum(json_object_get(json_object_get(r, "types"), "eds"), "latency_ms", "max", NULL),
	       jnum(json_object_get(json_object_get(r, "types"), "eds"), "latency_ms", "count",
	            NULL),
	       reached, affected, reached >= (double)affected ? "all" : "NOT all",
	       jnum(r, "until", "converged_ms", NULL));
	json_decref(r);
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: bench_xds [--services N] [--endpoints M] [--clients C] "
		                "[--channels K] [--threads T] [--types LIST] [--duration S] "
		                "[--upstreams U]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	char self[1024];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(bindir, sizeof(bindir), "%s", self);
	*strrchr(bindir, '/') = 0;
	char *dir = ts_mkdtemp("bench-xds"), policy[1100], addr[64];
	snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
	weft_gen_opts go = {.services = o.services,
	                    .endpoints_per_service = o.endpoints,
	                    .upstreams = o.upstreams};
	char *text = weft_policy_generate_opts(&go);
	ts_write_file(policy, text);
	printf("bench_xds: %d services x %d endpoints (generated policy), %d ADS streams over %d "
	       "channels on %d client threads, types %s, sidecar view; server and fleet on this "
	       "machine (%ld cores)\n",
	       o.services, o.endpoints, o.clients, o.channels, o.threads, o.types,
	       sysconf(_SC_NPROCESSORS_ONLN));
	if (o.upstreams)
		printf("    dependency scoping: each service lists %d upstreams; proxy i is a "
		       "sidecar of svc i mod %d (%d views)\n",
		       o.upstreams, o.services, o.clients < o.services ? o.clients : o.services);
	else
		printf("    full mesh: every proxy receives every service\n");
	long long t0 = ts_now_ms();
	pid_t testd = start_server(dir, policy, 0, addr, sizeof(addr));
	if (testd < 0) {
		fprintf(stderr, "xds_testd did not start\n");
		return 1;
	}
	printf("    weft ready (policy stored, compiled, pushed) in %lld ms\n", ts_now_ms() - t0);
	json_t *r = fleet(&o, addr, "1", NULL, NULL, NULL, NULL);
	long rss = proc_kb(testd, "VmRSS:"), hwm = proc_kb(testd, "VmHWM:");
	printf("(b) fresh full push to all proxies, all ACKed:\n");
	if (r)
		print_push("weft", r, "cds");
	json_decref(r);
	printf("(c) weft server RSS after the push: %.1f MB (peak %.1f MB), %.1f KB per proxy\n",
	       rss / 1024.0, hwm / 1024.0, (double)rss / o.clients);
	endpoint_change(&o, dir, addr, testd, policy, text);
	printf("    weft peak RSS over the run: %.1f MB\n", proc_kb(testd, "VmHWM:") / 1024.0);
	ts_stop(testd, 10000);
	pid_t null = start_server(dir, policy, 1, addr, sizeof(addr));
	r = null > 0 ? fleet(&o, addr, "1", NULL, NULL, NULL, NULL) : NULL;
	printf("(d) the same fresh push from the null server (same pre-encoded bytes, no protocol "
	       "state):\n");
	if (r)
		print_push("null", r, "cds");
	printf("    null server RSS %.1f MB\n", proc_kb(null, "VmRSS:") / 1024.0);
	json_decref(r);
	ts_stop(null, 10000);
	free(text);
	if (getenv("BENCH_XDS_KEEP"))
		printf("kept %s\n", dir);
	else
		ts_rmtree(dir);
	free(dir);
	return 0;
}
