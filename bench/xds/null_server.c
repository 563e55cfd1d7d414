/* xds_null_server: the baseline of the xDS push-path benchmark. A gRPC ADS
 * server with NO protocol logic: it renders the policy once with weft's
 * renderer (the same pre-encoded resource bytes weft serves), builds one
 * response per type (the full set, version "1"), and answers the first
 * request of each type on a stream with it; ACKs are read and ignored.
 * What weft's server does on top of this (views, per-stream state, nonces,
 * subscriptions, make-before-break, status) is the overhead measured.
 * Services that list upstreams (dependency scoping) get their own
 * pre-built responses, cut down exactly as weft's views are (xds_scope.h);
 * a stream is served the set of the "service" in its node metadata.
 *
 * usage: xds_null_server --listen HOST:PORT --policy PATH [--role sidecar|proxyless] */
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "policy.h"
#include "policyset.h"
#include "resource.h"
#include "snapshot.h"
#include "xds_render.h"
#include "xds_scope.h"

enum { OP_NEW, OP_RECV, OP_SEND, OP_CLOSE, NOPS };

struct call;
struct tag {
	struct call *c;
	int op;
};

struct call {
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	struct tag tags[NOPS];
	grpc_byte_buffer *recv_bb;
	int cancelled, outstanding, closed, busy, half_closed, status_sent;
	unsigned pending; /* types owed a response */
	unsigned sent;
	const grpc_slice *resp; /* per type: what this stream is served */
};

/* The responses of one scoped service ("ns/name"). */
struct scoped {
	char *service;
	grpc_slice resp[XDS_NTYPES];
};

static grpc_completion_queue *cq;
static grpc_server *server;
static grpc_slice responses[XDS_NTYPES];
static struct scoped *scoped;
static size_t n_scoped;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void put_str(uint8_t **p, int field, const char *s)
{
	size_t n = strlen(s);
	*(*p)++ = (uint8_t)(field << 3 | 2);
	size_t v = n;
	while (v >= 0x80) {
		*(*p)++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*(*p)++ = (uint8_t)v;
	memcpy(*p, s, n);
	*p += n;
}

static grpc_slice build(int type, const xds_resset *set)
{
	size_t len = 256 + (set ? set->bytes : 0);
	uint8_t *buf = malloc(len), *p = buf;
	put_str(&p, 1, "1");
	put_str(&p, 4, xds_type_url(type));
	put_str(&p, 5, "1");
	for (size_t i = 0; set && i < set->count; i++) {
		memcpy(p, set->items[i]->sotw, set->items[i]->sotw_len);
		p += set->items[i]->sotw_len;
	}
	grpc_slice sl = grpc_slice_from_copied_buffer((const char *)buf, (size_t)(p - buf));
	free(buf);
	return sl;
}

static int start(struct call *c, grpc_op *ops, size_t n, int op)
{
	if (grpc_call_start_batch(c->call, ops, n, &c->tags[op], NULL) != GRPC_CALL_OK)
		return 0;
	c->outstanding++;
	return 1;
}

static void request_call(void)
{
	struct call *c = calloc(1, sizeof(*c));
	for (int k = 0; k < NOPS; k++) {
		c->tags[k].c = c;
		c->tags[k].op = k;
	}
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	grpc_server_request_call(server, &c->call, &c->details, &c->md, cq, cq, &c->tags[OP_NEW]);
}

static void arm_recv(struct call *c)
{
	grpc_op op = {0};
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_bb;
	start(c, &op, 1, OP_RECV);
}

static void flush(struct call *c)
{
	if (c->busy || c->closed || c->status_sent)
		return;
	grpc_op op = {0};
	if (c->half_closed) {
		op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		op.data.send_status_from_server.status = GRPC_STATUS_OK;
		c->status_sent = 1;
		c->busy = start(c, &op, 1, OP_SEND);
		return;
	}
	for (int t = 0; t < XDS_NTYPES; t++) {
		if (!(c->pending & (1u << t)))
			continue;
		c->pending &= ~(1u << t);
		grpc_slice sl = grpc_slice_ref(c->resp[t]);
		grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		op.op = GRPC_OP_SEND_MESSAGE;
		op.data.send_message.send_message = bb;
		c->busy = start(c, &op, 1, OP_SEND);
		grpc_byte_buffer_destroy(bb);
		return;
	}
}

static int scoped_cmp(const void *a, const void *b)
{
	return strcmp(((const struct scoped *)a)->service, ((const struct scoped *)b)->service);
}

/* The responses for the node of a stream's first request. */
static const grpc_slice *responses_for(const Envoy__Service__Discovery__V3__DiscoveryRequest *r)
{
	const Google__Protobuf__Struct *md = r && r->node ? r->node->metadata : NULL;
	for (size_t i = 0; md && i < md->n_fields; i++) {
		const Google__Protobuf__Value *v = md->fields[i]->value;
		if (strcmp(md->fields[i]->key, "service") || !v ||
		    v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
			continue;
		struct scoped key = {.service = v->string_value};
		struct scoped *sc = bsearch(&key, scoped, n_scoped, sizeof(*scoped), scoped_cmp);
		if (sc)
			return sc->resp;
	}
	return responses;
}

static void on_recv(struct call *c)
{
	if (!c->recv_bb) {
		c->half_closed = 1;
		flush(c);
		return;
	}
	grpc_byte_buffer_reader rd;
	grpc_byte_buffer_reader_init(&rd, c->recv_bb);
	grpc_slice sl = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(c->recv_bb);
	c->recv_bb = NULL;
	Envoy__Service__Discovery__V3__DiscoveryRequest *r =
	        envoy__service__discovery__v3__discovery_request__unpack(
	                NULL, GRPC_SLICE_LENGTH(sl), GRPC_SLICE_START_PTR(sl));
	grpc_slice_unref(sl);
	if (!c->resp)
		c->resp = responses_for(r);
	int t = r ? xds_type_from_url(r->type_url) : -1;
	if (t >= 0 && !(c->sent & (1u << t))) {
		c->sent |= 1u << t;
		c->pending |= 1u << t;
	}
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	flush(c);
	if (!c->closed)
		arm_recv(c);
}

static void on_event(struct tag *tg, int ok)
{
	struct call *c = tg->c;
	if (tg->op != OP_NEW)
		c->outstanding--;
	if (tg->op == OP_NEW) {
		if (!ok) {
			grpc_call_details_destroy(&c->details);
			grpc_metadata_array_destroy(&c->md);
			free(c);
			return;
		}
		request_call();
		grpc_op op = {0};
		op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		op.data.recv_close_on_server.cancelled = &c->cancelled;
		start(c, &op, 1, OP_CLOSE);
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_SEND_INITIAL_METADATA;
		c->busy = start(c, &op, 1, OP_SEND);
		arm_recv(c);
	} else if (tg->op == OP_RECV && ok) {
		on_recv(c);
	} else if (tg->op == OP_SEND) {
		c->busy = 0;
		flush(c);
	} else if (tg->op == OP_CLOSE) {
		c->closed = 1;
	}
	if (c->closed && c->outstanding == 0) {
		if (c->recv_bb)
			grpc_byte_buffer_destroy(c->recv_bb);
		grpc_call_unref(c->call);
		grpc_call_details_destroy(&c->details);
		grpc_metadata_array_destroy(&c->md);
		free(c);
	}
}

/* Responses of every service that lists upstreams, as weft's scoped
 * sidecar views serve them. */
static int render_scoped(weft_policyset *set, xds_resset *cds, xds_resset *eds)
{
	xds_scope_index *xc = xds_scope_index_new(cds), *xe = xds_scope_index_new(eds);
	weft_err err = {0};
	weft_snapshot *snap = weft_snapshot_compile(set, 1, NULL, &err);
	xds_feed_data *d = snap ? xds_feed_data_new(snap, NULL) : NULL;
	size_t n;
	weft_resource *const *svcs = weft_policyset_kind(set, WEFT_KIND_SERVICE, &n);
	scoped = calloc(n + 1, sizeof(*scoped));
	for (size_t i = 0; d && xc && xe && scoped && i < n; i++) {
		xds_scope sc;
		if (xds_scope_build(d, svcs[i]->ns, svcs[i]->name, &sc) != 1)
			continue;
		struct scoped *out = &scoped[n_scoped++];
		if (asprintf(&out->service, "%s/%s", svcs[i]->ns, svcs[i]->name) < 0)
			return -1;
		xds_render_input in = {sc.res, sc.n_res, weft_snapshot_model(snap)};
		xds_view_key vk = {.role = XDS_ROLE_SIDECAR, .service = out->service};
		xds_resset *sets[XDS_NTYPES] = {0};
		sets[XDS_CDS] = xds_scope_filter(&sc, xc, NULL);
		sets[XDS_EDS] = xds_scope_filter(&sc, xe, NULL);
		if (xds_render_listeners(&in, &vk, NULL, NULL, &sets[XDS_LDS], &sets[XDS_RDS],
		                         &err)) {
			fprintf(stderr, "null server: %s\n", err.msg);
			return -1;
		}
		for (int t = 0; t < XDS_NTYPES; t++) {
			out->resp[t] = build(t, sets[t]);
			xds_resset_unref(sets[t]);
		}
		xds_scope_free(&sc);
	}
	if (!d) {
		fprintf(stderr, "null server: %s\n", err.msg[0] ? err.msg : "out of memory");
		return -1;
	}
	qsort(scoped, n_scoped, sizeof(*scoped), scoped_cmp);
	xds_scope_index_free(xc);
	xds_scope_index_free(xe);
	xds_feed_data_free(d);
	weft_snapshot_unref(snap);
	return 0;
}

static int render(const char *path, int proxyless)
{
	weft_docset docs;
	weft_diags diags;
	weft_resource **res;
	size_t n;
	weft_err err = {0};
	weft_diags_init(&diags);
	weft_docset_init(&docs);
	if (weft_docset_load_path(&docs, path, &diags) ||
	    weft_policy_decode_all(&docs, &res, &n, &diags)) {
		weft_diags_print(stderr, &diags);
		return -1;
	}
	weft_policyset *set = weft_policyset_new(res, n, &diags);
	xds_render_input in = {weft_policyset_items(set), weft_policyset_count(set), NULL};
	xds_resset *sets[XDS_NTYPES] = {0};
	xds_view_key vk = {.role = proxyless ? XDS_ROLE_PROXYLESS : XDS_ROLE_SIDECAR};
	if (xds_render_clusters(&in, NULL, NULL, NULL, &sets[XDS_CDS], &sets[XDS_EDS], &err) ||
	    xds_render_listeners(&in, &vk, NULL, NULL, &sets[XDS_LDS], &sets[XDS_RDS], &err)) {
		fprintf(stderr, "null server: %s\n", err.msg);
		return -1;
	}
	if (!proxyless && render_scoped(set, sets[XDS_CDS], sets[XDS_EDS]))
		return -1;
	for (int t = 0; t < XDS_NTYPES; t++) {
		responses[t] = build(t, sets[t]);
		xds_resset_unref(sets[t]);
	}
	weft_policyset_unref(set);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	return 0;
}

int main(int argc, char **argv)
{
	const char *listen = NULL, *policy = NULL;
	int proxyless = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--policy"))
			policy = argv[i + 1];
		else if (!strcmp(argv[i], "--role"))
			proxyless = !strcmp(argv[i + 1], "proxyless");
	}
	if (!listen || !policy) {
		fprintf(stderr,
		        "usage: xds_null_server --listen HOST:PORT --policy PATH [--role R]\n");
		return 2;
	}
	if (render(policy, proxyless))
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	grpc_init();
	cq = grpc_completion_queue_create_for_next(NULL);
	/* The same transport settings as weft's server (xds_server.c). */
	grpc_arg arg = {.type = GRPC_ARG_INTEGER,
	                .key = GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
	                .value.integer = XDS_SLOW_READER_MS};
	grpc_channel_args args = {1, &arg};
	server = grpc_server_create(&args, NULL);
	grpc_server_register_completion_queue(server, cq, NULL);
	grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
	if (!grpc_server_add_http2_port(server, listen, creds)) {
		fprintf(stderr, "null server: cannot listen on %s\n", listen);
		return 1;
	}
	grpc_server_credentials_release(creds);
	grpc_server_start(server);
	request_call();
	int shutdown_tag, stopping = 0;
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
		        cq,
		        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		                     gpr_time_from_millis(50, GPR_TIMESPAN)),
		        NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			if (ev.tag == &shutdown_tag)
				break;
			on_event(ev.tag, ev.success);
		}
		if (stop && !stopping) {
			stopping = 1;
			grpc_server_shutdown_and_notify(server, cq, &shutdown_tag);
			grpc_server_cancel_all_calls(server);
		}
	}
	grpc_server_destroy(server);
	grpc_completion_queue_shutdown(cq);
	for (;;) {
		grpc_event ev =
		        grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE)
			on_event(ev.tag, 0);
	}
	grpc_completion_queue_destroy(cq);
	for (int t = 0; t < XDS_NTYPES; t++)
		grpc_slice_unref(responses[t]);
	grpc_shutdown();
	return 0;
}
