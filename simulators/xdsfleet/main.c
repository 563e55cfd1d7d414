/* xdsfleet main.c: the proxy-fleet simulator's program (docs/architecture.md,
 * "Simulators": the load generator for xDS benchmarks). It parses the
 * options, opens --channels HTTP/2 connections to the ADS server, spreads
 * --clients ADS streams over them and over --threads completion queues (one
 * thread each; no thread per client), runs until --duration elapses or every
 * counted client reached --until-version, then prints the report (report.c)
 * and exits 0, or 1 when --until-version was not reached, 2 on bad usage.
 * See docs/xdsfleet.md for the options and the exact semantics. */
#include "xdsfleet.h"

#include <getopt.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const type_names[XF_NTYPES] = {"lds", "rds", "cds", "eds"};
static const char *const type_urls[XF_NTYPES] = {
        "type.googleapis.com/envoy.config.listener.v3.Listener",
        "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
        "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
};

/* Set by SIGINT/SIGTERM: stop and report. */
static volatile sig_atomic_t got_signal;

const char *xf_type_name(enum xf_type t)
{
	return type_names[t];
}

const char *xf_type_url(enum xf_type t)
{
	return type_urls[t];
}

int64_t xf_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t xf_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: xdsfleet --server HOST:PORT [options]\n"
	        "  --clients N          ADS streams (simulated proxies), default 1\n"
	        "  --channels K         HTTP/2 connections shared by the streams, default 1\n"
	        "  --threads T          completion-queue threads (1..8), default 1\n"
	        "  --mode sotw|delta    state of the world (default) or incremental xDS\n"
	        "  --node-prefix ID     node ids ID-0 .. ID-(N-1), default xdsfleet\n"
	        "  --node-cluster NAME  Node.cluster\n"
	        "  --metadata JSON|K=V  Node.metadata (repeatable; JSON objects merge, K=V sets a\n"
	        "                       string); \"{i}\" and \"{id}\" expand per client\n"
	        "  --node-always        send the Node in every request (default: first only)\n"
	        "  --types LIST         subscribe order, of lds,rds,cds,eds; default cds,eds\n"
	        "  --nack-share F       share of clients (0..1) that NACK every response\n"
	        "  --until-version V    stop when every non-NACKing client ACKed V or later\n"
	        "  --until-types LIST   types that must reach V (default: all of --types)\n"
	        "  --duration S         run time limit in seconds, default 10\n"
	        "  --mark-file PATH     change time for latencies (number of epoch seconds, or "
	        "mtime)\n"
	        "  --trace-file PATH    one JSON line per response received (tests)\n"
	        "  --json               machine-readable report\n"
	        "  --verbose            log every stream error\n");
}

static int parse_types(const char *list, enum xf_type *order, int *n, bool *want)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int t, rc = 0;

	*n = 0;
	memset(want, 0, sizeof(bool) * XF_NTYPES);
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		for (t = 0; t < XF_NTYPES; t++)
			if (strcmp(tok, type_names[t]) == 0)
				break;
		if (t == XF_NTYPES || want[t]) {
			fprintf(stderr, "xdsfleet: --types: bad or repeated type '%s'\n", tok);
			rc = -1;
			break;
		}
		want[t] = true;
		if (order)
			order[(*n)++] = t;
	}
	free(copy);
	return rc;
}

/* --metadata: JSON objects are merged, KEY=VALUE pairs set strings. */
static int add_metadata(json_t *md, const char *arg)
{
	const char *eq;
	json_error_t je;

	if (arg[0] == '{') {
		json_t *j = json_loads(arg, 0, &je);

		if (!j || !json_is_object(j)) {
			fprintf(stderr, "xdsfleet: --metadata: not a JSON object (%s)\n",
			        j ? "wrong type" : je.text);
			json_decref(j);
			return -1;
		}
		json_object_update(md, j);
		json_decref(j);
		return 0;
	}
	eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		fprintf(stderr, "xdsfleet: --metadata: expected JSON or KEY=VALUE, got '%s'\n",
		        arg);
		return -1;
	}
	json_object_setn_new(md, arg, (size_t)(eq - arg), json_string(eq + 1));
	return 0;
}

static int parse_number(const char *opt, const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || v < lo || v > hi || isnan(v)) {
		fprintf(stderr, "xdsfleet: %s: '%s' is not a number in [%g, %g]\n", opt, arg, lo,
		        hi);
		return -1;
	}
	*out = v;
	return 0;
}

enum {
	O_SERVER = 256,
	O_CLIENTS,
	O_CHANNELS,
	O_THREADS,
	O_MODE,
	O_PREFIX,
	O_CLUSTER,
	O_METADATA,
	O_NODE_ALWAYS,
	O_TYPES,
	O_NACK,
	O_UNTIL,
	O_UNTIL_TYPES,
	O_DURATION,
	O_MARK,
	O_TRACE,
	O_JSON,
	O_VERBOSE,
	O_HELP
};

static const struct option long_opts[] = {
        {"server", required_argument, NULL, O_SERVER},
        {"clients", required_argument, NULL, O_CLIENTS},
        {"channels", required_argument, NULL, O_CHANNELS},
        {"threads", required_argument, NULL, O_THREADS},
        {"mode", required_argument, NULL, O_MODE},
        {"node-prefix", required_argument, NULL, O_PREFIX},
        {"node-cluster", required_argument, NULL, O_CLUSTER},
        {"metadata", required_argument, NULL, O_METADATA},
        {"node-always", no_argument, NULL, O_NODE_ALWAYS},
        {"types", required_argument, NULL, O_TYPES},
        {"nack-share", required_argument, NULL, O_NACK},
        {"until-version", required_argument, NULL, O_UNTIL},
        {"until-types", required_argument, NULL, O_UNTIL_TYPES},
        {"duration", required_argument, NULL, O_DURATION},
        {"mark-file", required_argument, NULL, O_MARK},
        {"trace-file", required_argument, NULL, O_TRACE},
        {"json", no_argument, NULL, O_JSON},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
};

/* One option; 0, or -1 on a bad value. */
static int apply_option(struct xf_options *o, int opt, const char *arg, json_t *md,
                        const char **until_types)
{
	double v;
	int n;

	switch (opt) {
	case O_SERVER:
		o->server = arg;
		return 0;
	case O_PREFIX:
		o->node_prefix = arg;
		return 0;
	case O_CLUSTER:
		o->node_cluster = arg;
		return 0;
	case O_METADATA:
		return add_metadata(md, arg);
	case O_NODE_ALWAYS:
		o->node_always = true;
		return 0;
	case O_TYPES:
		return parse_types(arg, o->order, &o->ntypes, o->want);
	case O_UNTIL:
		o->until_version = arg;
		return 0;
	case O_UNTIL_TYPES:
		*until_types = arg;
		return 0;
	case O_MARK:
		o->mark_file = arg;
		return 0;
	case O_TRACE:
		o->trace_file = arg;
		return 0;
	case O_JSON:
		o->json = true;
		return 0;
	case O_VERBOSE:
		o->verbose = true;
		return 0;
	case O_MODE:
		if (strcmp(arg, "sotw") && strcmp(arg, "delta")) {
			fprintf(stderr, "xdsfleet: --mode: sotw or delta, not '%s'\n", arg);
			return -1;
		}
		o->mode = strcmp(arg, "sotw") ? XF_DELTA : XF_SOTW;
		return 0;
	case O_NACK:
		return parse_number("--nack-share", arg, 0, 1, &o->nack_share);
	case O_DURATION:
		return parse_number("--duration", arg, 0.001, 1e7, &o->duration_s);
	case O_CLIENTS:
	case O_CHANNELS:
	case O_THREADS:
		if (parse_number("--clients/--channels/--threads", arg, 1,
		                 opt == O_THREADS ? 8 : 1000000, &v) < 0)
			return -1;
		n = (int)v;
		if (opt == O_CLIENTS)
			o->clients = n;
		else if (opt == O_CHANNELS)
			o->channels = n;
		else
			o->threads = n;
		return 0;
	default:
		return -1;
	}
}

static int parse_options(int argc, char **argv, struct xf_options *o, json_t *md)
{
	const char *until_types = NULL;
	int opt, n = 0;

	o->clients = o->channels = o->threads = 1;
	o->node_prefix = "xdsfleet";
	o->duration_s = 10;
	parse_types("cds,eds", o->order, &o->ntypes, o->want);
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == O_HELP) {
			usage(stdout);
			exit(0);
		}
		if (opt == '?' || apply_option(o, opt, optarg, md, &until_types) < 0)
			return -1;
	}
	if (optind < argc || !o->server) {
		fprintf(stderr, "xdsfleet: %s\n",
		        o->server ? "unexpected argument" : "--server is required");
		return -1;
	}
	if (until_types) {
		if (parse_types(until_types, NULL, &n, o->until_type) < 0)
			return -1;
	} else {
		memcpy(o->until_type, o->want, sizeof(o->until_type));
	}
	if (o->channels > o->clients)
		o->channels = o->clients;
	if (o->threads > o->clients)
		o->threads = o->clients;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

/* End of a run, per client: once its requests are out (the last ACKs),
 * half-close the stream so the server reads everything and ends the call.
 * Returns true when every client of t is done or half-closed. */
static bool close_drained(struct xf_thread *t)
{
	bool all = true;
	int i;

	for (i = 0; i < t->nclients; i++) {
		struct xf_client *c = t->clients[i];

		if (!c->call || !c->stream_up || c->half_closed)
			continue;
		if (!c->send_busy && !c->queue)
			xf_stream_close(c);
		else
			all = false;
	}
	return all;
}

/* The loop of one completion queue: events and restarts. On stop: drain
 * and half-close (close_drained), give the server up to 2 s to end the
 * calls, cancel what is left, wait until every call is released, and shut
 * the queue down. */
static void *thread_main(void *arg)
{
	struct xf_thread *t = arg;
	int64_t drain_until = 0;
	bool cancelled = false;
	int i;

	for (i = 0; i < t->nclients; i++)
		if (xf_stream_start(t->clients[i]) < 0)
			t->stream_errors++;
	for (;;) {
		grpc_event ev;

		if (!drain_until && atomic_load(&t->fleet->stop))
			drain_until = xf_mono_us() + 2000000;
		if (drain_until && !cancelled) {
			close_drained(t);
			if (xf_mono_us() >= drain_until) {
				cancelled = true;
				for (i = 0; i < t->nclients; i++)
					xf_stream_cancel(t->clients[i]);
			}
		}
		if (drain_until && t->live_calls == 0)
			break;
		ev = grpc_completion_queue_next(
		        t->cq,
		        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		                     gpr_time_from_millis(drain_until ? 5 : 50, GPR_TIMESPAN)),
		        NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			struct xf_tag *tag = ev.tag;

			xf_stream_event(tag->client, tag->op, ev.success != 0);
		}
		if (!drain_until)
			xf_stream_restarts(t, xf_mono_us());
	}
	grpc_completion_queue_shutdown(t->cq);
	while (grpc_completion_queue_next(t->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(t->cq);
	return NULL;
}

/* grpc_channel_arg_integer_create is not public C API in gRPC 1.51. */
static grpc_arg int_arg(const char *key, int value)
{
	grpc_arg a;

	memset(&a, 0, sizeof(a));
	a.type = GRPC_ARG_INTEGER;
	a.key = (char *)key;
	a.value.integer = value;
	return a;
}

static grpc_channel *open_channel(const struct xf_options *o, int index)
{
	grpc_arg args[6];
	grpc_channel_args ca = {6, args};
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_channel *ch;

	/* Distinct channels must be distinct connections: without a local
	 * subchannel pool (and distinct args), gRPC shares one subchannel
	 * between channels to the same target. */
	args[0] = int_arg(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
	args[1] = int_arg("weft.xdsfleet.channel", index);
	args[2] = int_arg(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, -1);
	args[3] = int_arg(GRPC_ARG_ENABLE_RETRIES, 0);
	args[4] = int_arg(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
	args[5] = int_arg(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
	ch = grpc_channel_create(o->server, creds, &ca);
	grpc_channel_credentials_release(creds);
	return ch;
}

/* Clients, channels and threads; nackers spread evenly over the indexes. */
static int fleet_setup(struct xf_fleet *f)
{
	struct xf_options *o = &f->opt;
	int i, per;

	f->clients = calloc((size_t)o->clients, sizeof(*f->clients));
	f->channels = calloc((size_t)o->channels, sizeof(*f->channels));
	f->threads = calloc((size_t)o->threads, sizeof(*f->threads));
	if (!f->clients || !f->channels || !f->threads)
		return -1;
	for (i = 0; i < o->channels; i++)
		f->channels[i] = open_channel(o, i);
	per = (o->clients + o->threads - 1) / o->threads;
	for (i = 0; i < o->threads; i++) {
		f->threads[i].fleet = f;
		f->threads[i].id = i;
		f->threads[i].cq = grpc_completion_queue_create_for_next(NULL);
		f->threads[i].clients = calloc((size_t)per, sizeof(struct xf_client *));
		if (!f->threads[i].clients)
			return -1;
	}
	for (i = 0; i < o->clients; i++) {
		struct xf_client *c = &f->clients[i];
		struct xf_thread *t = &f->threads[i % o->threads];
		int k;

		c->index = i;
		snprintf(c->node_id, sizeof(c->node_id), "%s-%d", o->node_prefix, i);
		c->nacker = floor((i + 1) * o->nack_share) > floor(i * o->nack_share);
		c->thread = t;
		c->channel = f->channels[i % o->channels];
		for (k = 0; k < XF_NOPS; k++) {
			c->tags[k].client = c;
			c->tags[k].op = k;
		}
		t->clients[t->nclients++] = c;
		if (!c->nacker)
			f->ncounted++;
	}
	return 0;
}

static void fleet_free(struct xf_fleet *f)
{
	int i;

	for (i = 0; f->clients && i < f->opt.clients; i++)
		xf_client_free(&f->clients[i]);
	for (i = 0; f->channels && i < f->opt.channels; i++)
		if (f->channels[i])
			grpc_channel_destroy(f->channels[i]);
	for (i = 0; f->threads && i < f->opt.threads; i++) {
		xf_thread_stats_free(&f->threads[i]);
		free(f->threads[i].clients);
	}
	free(f->clients);
	free(f->channels);
	free(f->threads);
}

/* Runs the threads until the duration ends, V is reached, or a signal. */
static int64_t fleet_run(struct xf_fleet *f)
{
	pthread_t *tids = calloc((size_t)f->opt.threads, sizeof(*tids));
	int64_t deadline = xf_mono_us() + (int64_t)(f->opt.duration_s * 1e6);
	int64_t end_us;
	int i;

	if (!tids)
		return xf_now_us();
	f->start_us = xf_now_us();
	for (i = 0; i < f->opt.threads; i++)
		pthread_create(&tids[i], NULL, thread_main, &f->threads[i]);
	while (!atomic_load(&f->stop) && !got_signal && xf_mono_us() < deadline)
		usleep(5000);
	end_us = xf_now_us();
	atomic_store(&f->stop, true);
	for (i = 0; i < f->opt.threads; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return end_us;
}

int main(int argc, char **argv)
{
	struct xf_fleet fleet;
	json_t *md = json_object();
	char err[256];
	int rc;

	memset(&fleet, 0, sizeof(fleet));
	if (parse_options(argc, argv, &fleet.opt, md) < 0) {
		usage(stderr);
		json_decref(md);
		return 2;
	}
	if (json_object_size(md))
		fleet.opt.metadata_json = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(md);
	if (fleet.opt.metadata_json &&
	    xf_metadata_check(fleet.opt.metadata_json, err, sizeof(err)) < 0) {
		fprintf(stderr, "xdsfleet: %s\n", err);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	grpc_init();
	if (xf_trace_open(&fleet) < 0) {
		rc = 2;
	} else if (fleet_setup(&fleet) < 0) {
		fprintf(stderr, "xdsfleet: out of memory setting up %d clients\n",
		        fleet.opt.clients);
		rc = 2;
	} else {
		rc = xf_report(&fleet, fleet_run(&fleet));
	}
	fleet_free(&fleet);
	xf_trace_close(&fleet);
	free((char *)fleet.opt.metadata_json);
	grpc_shutdown_blocking();
	return rc;
}
