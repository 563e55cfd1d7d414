/* ads_testserver: a tiny ADS server (gRPC C core server API) for the
 * xdsfleet tests. It is NOT weft's xDS server: it serves a fixed set of
 * resources, just enough protocol to drive a fleet, and counts what it
 * receives so a test can assert on the exact traffic:
 *
 *   CDS  c0..c{N-1}, type EDS, eds_config ads, service_name svc-{i}
 *   EDS  svc-{i}: one endpoint 10.0.0.{i}:8080
 *   LDS  listener-0: an HttpConnectionManager with rds route-0
 *   RDS  route-0: one virtual host routing / to c0
 *
 * Every resource has the server's version ("1"; SIGUSR1 bumps it and pushes
 * the new version to every subscribed stream). SotW and Delta ADS. Counts
 * (requests, ACKs, NACKs, responses per type, streams, nodes with their
 * metadata, EDS names subscribed) are written as JSON to --stats (at most
 * every 50 ms while they change, and at exit on SIGTERM).
 *
 * usage: ads_testserver --port P --clusters N --stats FILE */
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"

#include "ads_resources.h"

enum { OP_NEW, OP_RECV, OP_SEND, OP_CLOSE, NOPS };
#define MAXNAMES 64

struct call;
struct tag {
	struct call *c;
	int op;
};

struct typestate {
	bool subscribed, wildcard;
	char *names[MAXNAMES];
	int nnames;
	int sent_version;           /* SotW: version of the last response */
	char *sent_names[MAXNAMES]; /* Delta: what the client holds ... */
	int sent_vers[MAXNAMES];    /* ... at which version */
	int nsent;
	unsigned nonce; /* last nonce sent for this type */
};

struct call {
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	struct tag tags[NOPS];
	grpc_byte_buffer *recv_bb;
	int cancelled, outstanding;
	bool started, closed, delta, send_busy;
	bool half_closed, status_sent; /* client half-closed: answer with OK */
	unsigned pending;              /* bitmask of types to respond to */
	unsigned nonce_counter;
	struct typestate ts[NTYPES];
	struct call *next;
};

struct stats {
	long streams, requests[NTYPES], acks[NTYPES], nacks[NTYPES], responses[NTYPES];
	json_t *nodes;     /* id -> metadata */
	json_t *eds_names; /* every EDS name subscribed */
	char last_nack[512];
};

static volatile sig_atomic_t want_publish, want_stop;
static grpc_completion_queue *cq;
static grpc_server *server;
static struct call *calls;
static int version = 1, nclusters = 3, live;
static struct stats st;
static const char *stats_path;
static bool stats_dirty; /* written at most every 50 ms (serve loop) */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_publish = 1;
	else
		want_stop = 1;
}

static void write_stats(void)
{
	json_t *j = json_pack("{s:i,s:I,s:O,s:O,s:s}", "version", version, "streams",
	                      (json_int_t)st.streams, "nodes", st.nodes, "eds_names", st.eds_names,
	                      "last_nack", st.last_nack);
	json_t *types = json_object();
	char tmp[4096];
	int t;

	for (t = 0; t < NTYPES; t++)
		json_object_set_new(
		        types, res_type_name(t),
		        json_pack("{s:I,s:I,s:I,s:I}", "requests", (json_int_t)st.requests[t],
		                  "acks", (json_int_t)st.acks[t], "nacks", (json_int_t)st.nacks[t],
		                  "responses", (json_int_t)st.responses[t]));
	json_object_set_new(j, "types", types);
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	if (json_dump_file(j, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) == 0)
		rename(tmp, stats_path);
	json_decref(j);
}

static bool start(struct call *c, grpc_op *ops, size_t n, int op)
{
	if (grpc_call_start_batch(c->call, ops, n, &c->tags[op], NULL) != GRPC_CALL_OK)
		return false;
	c->outstanding++;
	return true;
}

static void request_new_call(void)
{
	struct call *c = calloc(1, sizeof(*c));
	int k;

	for (k = 0; k < NOPS; k++) {
		c->tags[k].c = c;
		c->tags[k].op = k;
	}
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	live++;
	if (grpc_server_request_call(server, &c->call, &c->details, &c->md, cq, cq,
	                             &c->tags[OP_NEW]) != GRPC_CALL_OK) {
		fprintf(stderr, "ads_testserver: grpc_server_request_call failed\n");
		exit(1);
	}
}

/* Names of type t this stream gets: all (wildcard) or the subscribed ones. */
static int wanted(const struct typestate *s, int t, char **out)
{
	int i, n = 0;

	if (s->wildcard)
		return res_all_names(t, nclusters, out, MAXNAMES);
	for (i = 0; i < s->nnames; i++)
		out[n++] = strdup(s->names[i]);
	return n;
}

static void send_msg(struct call *c, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	grpc_slice sl = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;
	grpc_op op;

	protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(sl));
	bb = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	c->send_busy = start(c, &op, 1, OP_SEND);
	grpc_byte_buffer_destroy(bb);
}

static int delta_sent_version(const struct typestate *s, const char *name)
{
	int i;

	for (i = 0; i < s->nsent; i++)
		if (strcmp(s->sent_names[i], name) == 0)
			return s->sent_vers[i];
	return 0;
}

static void delta_mark_sent(struct typestate *s, const char *name, int v)
{
	int i;

	for (i = 0; i < s->nsent; i++)
		if (strcmp(s->sent_names[i], name) == 0) {
			s->sent_vers[i] = v;
			return;
		}
	if (s->nsent < MAXNAMES) {
		s->sent_names[s->nsent] = strdup(name);
		s->sent_vers[s->nsent++] = v;
	}
}

/* Builds and sends the response of type t (SotW: the full set; Delta: what
 * the client does not hold at the current version). */
static void respond(struct call *c, int t)
{
	struct typestate *s = &c->ts[t];
	char *names[MAXNAMES], nonce[16], ver[16];
	Google__Protobuf__Any *anys[MAXNAMES];
	Envoy__Service__Discovery__V3__Resource res[MAXNAMES], *resp[MAXNAMES];
	int n = wanted(s, t, names), k = 0, i;

	snprintf(ver, sizeof(ver), "%d", version);
	snprintf(nonce, sizeof(nonce), "%u", ++c->nonce_counter);
	for (i = 0; i < n; i++) {
		if (c->delta && delta_sent_version(s, names[i]) == version)
			continue;
		anys[k] = res_encode(t, names[i], version, nclusters);
		if (!anys[k])
			continue;
		envoy__service__discovery__v3__resource__init(&res[k]);
		res[k].name = names[i];
		res[k].version = ver;
		res[k].resource = anys[k];
		resp[k] = &res[k];
		if (c->delta)
			delta_mark_sent(s, names[i], version);
		k++;
	}
	if (!c->delta) {
		Envoy__Service__Discovery__V3__DiscoveryResponse r =
		        ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_RESPONSE__INIT;

		r.version_info = ver;
		r.type_url = (char *)res_type_url(t);
		r.nonce = nonce;
		r.n_resources = (size_t)k;
		r.resources = anys;
		send_msg(c, &r.base);
		s->sent_version = version;
	} else {
		Envoy__Service__Discovery__V3__DeltaDiscoveryResponse r =
		        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_RESPONSE__INIT;

		r.system_version_info = ver;
		r.type_url = (char *)res_type_url(t);
		r.nonce = nonce;
		r.n_resources = (size_t)k;
		r.resources = resp;
		send_msg(c, &r.base);
	}
	s->nonce = c->nonce_counter;
	st.responses[t]++;
	for (i = 0; i < k; i++)
		res_any_free(anys[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
}

static void send_status_ok(struct call *c)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	op.data.send_status_from_server.status = GRPC_STATUS_OK;
	c->status_sent = true;
	c->send_busy = start(c, &op, 1, OP_SEND);
}

static void flush(struct call *c)
{
	int t;

	if (c->send_busy || c->closed || c->status_sent)
		return;
	if (c->half_closed) {
		send_status_ok(c);
		return;
	}
	for (t = 0; t < NTYPES; t++)
		if (c->pending & (1u << t)) {
			c->pending &= ~(1u << t);
			respond(c, t);
			return;
		}
}

static void set_names(struct typestate *s, char **names, size_t n, bool add)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < s->nnames; k++)
			if (strcmp(s->names[k], names[i]) == 0)
				break;
		if (add && k == s->nnames && s->nnames < MAXNAMES)
			s->names[s->nnames++] = strdup(names[i]);
		if (!add && k < s->nnames) {
			free(s->names[k]);
			s->names[k] = s->names[--s->nnames];
		}
	}
}

static void clear_names(struct typestate *s)
{
	while (s->nnames)
		free(s->names[--s->nnames]);
}

static void note_node(const Envoy__Config__Core__V3__Node *node)
{
	if (node && node->id[0] && !json_object_get(st.nodes, node->id))
		json_object_set_new(st.nodes, node->id, res_struct_to_json(node->metadata));
}

static void note_ack(int t, const Google__Rpc__Status *err)
{
	if (err) {
		st.nacks[t]++;
		snprintf(st.last_nack, sizeof(st.last_nack), "%s", err->message);
	} else {
		st.acks[t]++;
	}
	stats_dirty = true;
}

static void sotw_request(struct call *c, const uint8_t *buf, size_t len)
{
	Envoy__Service__Discovery__V3__DiscoveryRequest *r =
	        envoy__service__discovery__v3__discovery_request__unpack(NULL, len, buf);
	struct typestate *s;
	char nonce[16];
	int t, k;
	bool changed;

	if (!r || (t = res_type_of(r->type_url)) < 0)
		goto out;
	note_node(r->node);
	st.requests[t]++;
	s = &c->ts[t];
	snprintf(nonce, sizeof(nonce), "%u", s->nonce);
	if (r->response_nonce[0] && strcmp(r->response_nonce, nonce) != 0)
		goto out; /* stale nonce: ignored, as the protocol says */
	if (r->response_nonce[0])
		note_ack(t, r->error_detail);
	changed = !s->subscribed || (size_t)s->nnames != r->n_resource_names;
	for (k = 0; !changed && k < s->nnames; k++)
		changed = strcmp(s->names[k], r->resource_names[k]) != 0;
	if (changed) {
		s->subscribed = true;
		s->wildcard = r->n_resource_names == 0 && (t == T_LDS || t == T_CDS);
		clear_names(s);
		set_names(s, r->resource_names, r->n_resource_names, true);
		for (k = 0; t == T_EDS && k < s->nnames; k++)
			json_object_set_new(st.eds_names, s->names[k], json_true());
		c->pending |= 1u << t;
	}
out:
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void delta_request(struct call *c, const uint8_t *buf, size_t len)
{
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest *r =
	        envoy__service__discovery__v3__delta_discovery_request__unpack(NULL, len, buf);
	struct typestate *s;
	char nonce[16];
	size_t i;
	int t;

	if (!r || (t = res_type_of(r->type_url)) < 0)
		goto out;
	note_node(r->node);
	st.requests[t]++;
	s = &c->ts[t];
	snprintf(nonce, sizeof(nonce), "%u", s->nonce);
	if (r->response_nonce[0] && strcmp(r->response_nonce, nonce) == 0)
		note_ack(t, r->error_detail);
	for (i = 0; i < r->n_initial_resource_versions; i++)
		delta_mark_sent(s, r->initial_resource_versions[i]->key,
		                atoi(r->initial_resource_versions[i]->value));
	if (!s->subscribed || r->n_resource_names_subscribe || r->n_resource_names_unsubscribe) {
		if (!s->subscribed)
			s->wildcard =
			        r->n_resource_names_subscribe == 0 && (t == T_LDS || t == T_CDS);
		s->subscribed = true;
		set_names(s, r->resource_names_subscribe, r->n_resource_names_subscribe, true);
		set_names(s, r->resource_names_unsubscribe, r->n_resource_names_unsubscribe, false);
		for (i = 0; t == T_EDS && i < r->n_resource_names_subscribe; i++)
			json_object_set_new(st.eds_names, r->resource_names_subscribe[i],
			                    json_true());
		c->pending |= 1u << t;
	}
out:
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void arm_recv(struct call *c)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_bb;
	start(c, &op, 1, OP_RECV);
}

static void on_new(struct call *c, bool ok)
{
	grpc_op ops[1];
	char *method;

	if (!ok) /* server shutting down */
		return;
	request_new_call();
	c->started = true;
	method = grpc_slice_to_c_string(c->details.method);
	c->delta = strstr(method, "DeltaAggregatedResources") != NULL;
	gpr_free(method);
	st.streams++;
	c->next = calls;
	calls = c;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[0].data.recv_close_on_server.cancelled = &c->cancelled;
	start(c, ops, 1, OP_CLOSE);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	c->send_busy = start(c, ops, 1, OP_SEND);
	arm_recv(c);
}

static void on_recv(struct call *c, bool ok)
{
	grpc_byte_buffer_reader rd;
	grpc_slice sl;

	if (!ok)
		return;
	if (!c->recv_bb) { /* the client half-closed: end the call */
		c->half_closed = true;
		flush(c);
		return;
	}
	grpc_byte_buffer_reader_init(&rd, c->recv_bb);
	sl = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(c->recv_bb);
	c->recv_bb = NULL;
	if (c->delta)
		delta_request(c, GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl));
	else
		sotw_request(c, GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl));
	grpc_slice_unref(sl);
	flush(c);
	if (!c->closed)
		arm_recv(c);
}

static void free_call(struct call *c)
{
	struct call **pp;
	int t;

	for (pp = &calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (t = 0; t < NTYPES; t++) {
		clear_names(&c->ts[t]);
		while (c->ts[t].nsent)
			free(c->ts[t].sent_names[--c->ts[t].nsent]);
	}
	if (c->call)
		grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	free(c);
	live--;
}

static void on_event(struct tag *tg, bool ok)
{
	struct call *c = tg->c;

	if (tg->op != OP_NEW)
		c->outstanding--;
	switch (tg->op) {
	case OP_NEW:
		on_new(c, ok);
		if (!ok) {
			free_call(c);
			return;
		}
		break;
	case OP_RECV:
		on_recv(c, ok);
		break;
	case OP_SEND:
		c->send_busy = false;
		flush(c);
		break;
	case OP_CLOSE:
		c->closed = true;
		break;
	}
	if (c->closed && c->outstanding == 0)
		free_call(c);
}

static void publish(void)
{
	struct call *c;
	int t;

	version++;
	for (c = calls; c; c = c->next) {
		for (t = 0; t < NTYPES; t++)
			if (c->ts[t].subscribed)
				c->pending |= 1u << t;
		flush(c);
	}
	write_stats();
}

static void serve(void)
{
	int shutdown_tag, stopping = 0, shut = 0;
	gpr_timespec last_write = gpr_now(GPR_CLOCK_MONOTONIC);

	while (!(stopping && shut && live == 0)) {
		grpc_event ev = grpc_completion_queue_next(
		        cq,
		        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		                     gpr_time_from_millis(50, GPR_TIMESPAN)),
		        NULL);

		if (ev.type == GRPC_OP_COMPLETE) {
			if (ev.tag == &shutdown_tag)
				shut = 1;
			else
				on_event(ev.tag, ev.success != 0);
		}
		if (stats_dirty) {
			gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);

			if (gpr_time_cmp(gpr_time_sub(now, last_write),
			                 gpr_time_from_millis(50, GPR_TIMESPAN)) >= 0) {
				write_stats();
				stats_dirty = false;
				last_write = now;
			}
		}
		if (want_publish && !stopping) {
			want_publish = 0;
			publish();
		}
		if (want_stop && !stopping) {
			stopping = 1;
			grpc_server_shutdown_and_notify(server, cq, &shutdown_tag);
			grpc_server_cancel_all_calls(server);
		}
	}
}

int main(int argc, char **argv)
{
	grpc_server_credentials *creds;
	char addr[64];
	int i, port = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--clusters") == 0)
			nclusters = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--stats") == 0)
			stats_path = argv[i + 1];
	}
	if (port <= 0 || !stats_path || nclusters < 1 || nclusters > MAXNAMES) {
		fprintf(stderr, "usage: ads_testserver --port P --clusters N --stats FILE\n");
		return 2;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	st.nodes = json_object();
	st.eds_names = json_object();
	grpc_init();
	cq = grpc_completion_queue_create_for_next(NULL);
	server = grpc_server_create(NULL, NULL);
	grpc_server_register_completion_queue(server, cq, NULL);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	creds = grpc_insecure_server_credentials_create();
	if (!grpc_server_add_http2_port(server, addr, creds)) {
		fprintf(stderr, "ads_testserver: cannot listen on %s\n", addr);
		return 1;
	}
	grpc_server_credentials_release(creds);
	grpc_server_start(server);
	write_stats();
	request_new_call();
	serve();
	write_stats();
	grpc_server_destroy(server);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	json_decref(st.nodes);
	json_decref(st.eds_names);
	grpc_shutdown_blocking();
	return 0;
}
