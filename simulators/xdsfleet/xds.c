/* xdsfleet xds.c: the xDS protocol of one simulated proxy, the way Envoy
 * speaks it on an ADS stream (state of the world or Delta):
 *
 *  - Subscriptions: LDS and CDS are wildcard; RDS and EDS subscribe to the
 *    names the accepted Listeners and Clusters point to (names.c), so a
 *    server sees the same request sequence it would see from Envoy. A named
 *    type whose source type is not in --types is subscribed as wildcard.
 *  - ACK: a request echoing the response's nonce and (SotW) version_info.
 *    After the ACK of a CDS/LDS response, the EDS/RDS subscription is
 *    updated when the names changed (Envoy pauses EDS/RDS while it applies
 *    CDS/LDS, then resumes: the ACK goes first).
 *  - NACK: the nonce, the previously accepted version_info (SotW), and
 *    error_detail (google.rpc.Status, code 3). A client NACKs a response it
 *    cannot decode, and a --nack-share client NACKs every response.
 *  - --until-version: see update_reached() and docs/xdsfleet.md.
 *  - --trace-file: each response is traced (trace.c) once processed, before
 *    the ACK/NACK is queued. */
#include "names.h"
#include "xdsfleet.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"

typedef Envoy__Service__Discovery__V3__DiscoveryRequest SotwRequest;
typedef Envoy__Service__Discovery__V3__DiscoveryResponse SotwResponse;
typedef Envoy__Service__Discovery__V3__DeltaDiscoveryRequest DeltaRequest;
typedef Envoy__Service__Discovery__V3__DeltaDiscoveryResponse DeltaResponse;

#define NACK_CODE 3 /* google.rpc.Code INVALID_ARGUMENT */

/* The type whose resources name the resources of t (CDS for EDS, LDS for
 * RDS), or -1 for the wildcard types. */
static int source_of(enum xf_type t)
{
	return t == XF_EDS ? XF_CDS : t == XF_RDS ? XF_LDS : -1;
}

static int dependent_of(enum xf_type t)
{
	return t == XF_CDS ? XF_EDS : t == XF_LDS ? XF_RDS : -1;
}

static enum xf_type type_of_url(const char *url, bool *ok)
{
	int t;

	for (t = 0; t < XF_NTYPES; t++)
		if (strcmp(url, xf_type_url(t)) == 0) {
			*ok = true;
			return t;
		}
	*ok = false;
	return XF_LDS;
}

static grpc_byte_buffer *pack(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	grpc_slice s = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

/* The Node for this request: on the first request of a stream, or always
 * with --node-always. NULL when not needed (or on error, logged). */
static Envoy__Config__Core__V3__Node *node_for_request(struct xf_client *c)
{
	const struct xf_options *o = &c->thread->fleet->opt;
	Envoy__Config__Core__V3__Node *n;
	char err[256];

	if (c->node_sent && !o->node_always)
		return NULL;
	n = xf_node_build(c, o, err, sizeof(err));
	if (!n)
		fprintf(stderr, "xdsfleet: %s\n", err);
	c->node_sent = true;
	return n;
}

static void send_sotw(struct xf_client *c, enum xf_type t, const char *nonce, const char *error)
{
	struct xf_typestate *ts = &c->ts[t];
	SotwRequest req = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;

	req.node = node_for_request(c);
	req.version_info = ts->acked_version ? ts->acked_version : "";
	req.type_url = (char *)xf_type_url(t);
	req.response_nonce = (char *)(nonce ? nonce : "");
	if (ts->named) {
		req.n_resource_names = ts->names.n;
		req.resource_names = ts->names.v;
	}
	if (error) {
		st.code = NACK_CODE;
		st.message = (char *)error;
		req.error_detail = &st;
	}
	ts->subscribed = true;
	xf_stream_send(c, pack(&req.base));
	xf_node_free(req.node);
}

/* A Delta request: subscription changes (sub/unsub), or an ACK/NACK when
 * nonce is set. With initial, carries initial_resource_versions (resumed
 * stream). */
static void send_delta(struct xf_client *c, enum xf_type t, const struct xf_names *sub,
                       const struct xf_names *unsub, const char *nonce, const char *error,
                       bool initial)
{
	struct xf_typestate *ts = &c->ts[t];
	DeltaRequest req = ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest__InitialResourceVersionsEntry
	        *ev = NULL,
	        **evp = NULL;
	size_t i;

	req.node = node_for_request(c);
	req.type_url = (char *)xf_type_url(t);
	req.response_nonce = (char *)(nonce ? nonce : "");
	if (sub) {
		req.n_resource_names_subscribe = sub->n;
		req.resource_names_subscribe = sub->v;
	}
	if (unsub) {
		req.n_resource_names_unsubscribe = unsub->n;
		req.resource_names_unsubscribe = unsub->v;
	}
	if (initial && ts->held.n) {
		ev = calloc(ts->held.n, sizeof(*ev));
		evp = calloc(ts->held.n, sizeof(*evp));
		for (i = 0; ev && evp && i < ts->held.n; i++) {
			envoy__service__discovery__v3__delta_discovery_request__initial_resource_versions_entry__init(
			        &ev[i]);
			ev[i].key = ts->held.name[i];
			ev[i].value = ts->held.version[i];
			evp[i] = &ev[i];
		}
		if (ev && evp) {
			req.n_initial_resource_versions = ts->held.n;
			req.initial_resource_versions = evp;
		}
	}
	if (error) {
		st.code = NACK_CODE;
		st.message = (char *)error;
		req.error_detail = &st;
	}
	ts->subscribed = true;
	xf_stream_send(c, pack(&req.base));
	xf_node_free(req.node);
	free(ev);
	free(evp);
}

void xf_xds_begin(struct xf_client *c)
{
	const struct xf_options *o = &c->thread->fleet->opt;
	int k;

	c->node_sent = false;
	for (k = 0; k < o->ntypes; k++) {
		enum xf_type t = o->order[k];
		struct xf_typestate *ts = &c->ts[t];
		int src = source_of(t);

		ts->named = src >= 0 && o->want[src];
		free(ts->last_nonce);
		ts->last_nonce = NULL;
		/* A named type waits for the names from its source type; on a
		 * resumed stream it re-subscribes to what it had. */
		if (ts->named && !ts->subscribed)
			continue;
		if (o->mode == XF_SOTW)
			send_sotw(c, t, NULL, NULL);
		else
			send_delta(c, t, ts->named ? &ts->names : NULL, NULL, NULL, NULL, true);
	}
}

/* Version order for --until-version: equal strings; or both end in a
 * decimal number after the same prefix and v's number >= ref's ("12" after
 * "9", "rev-12" after "rev-9"). Anything else (hashes) only matches equal. */
bool xf_version_follows(const char *v, const char *ref)
{
	size_t lv = strlen(v), lr = strlen(ref), dv = lv, dr = lr;

	if (strcmp(v, ref) == 0)
		return true;
	while (dv > 0 && isdigit((unsigned char)v[dv - 1]))
		dv--;
	while (dr > 0 && isdigit((unsigned char)ref[dr - 1]))
		dr--;
	if (dv == lv || dr == lr || dv != dr || strncmp(v, ref, dv) != 0)
		return false;
	/* strip leading zeros, then compare by length and digits */
	while (dv < lv - 1 && v[dv] == '0')
		dv++;
	while (dr < lr - 1 && ref[dr] == '0')
		dr++;
	if (lv - dv != lr - dr)
		return lv - dv > lr - dr;
	return strcmp(v + dv, ref + dr) >= 0;
}

/* After an ACK of type t: mark t reached when the accepted version follows
 * --until-version, and the client when every --until type it subscribed to
 * is reached (NACKing clients never count). */
static void update_reached(struct xf_client *c, enum xf_type t, bool type_reached)
{
	struct xf_fleet *f = c->thread->fleet;
	const struct xf_options *o = &f->opt;
	bool any = false;
	int k;

	if (!o->until_version || c->nacker || c->reached)
		return;
	if (type_reached)
		c->ts[t].reached = true;
	for (k = 0; k < XF_NTYPES; k++) {
		if (!o->until_type[k] || !o->want[k] || !c->ts[k].subscribed)
			continue;
		if (!c->ts[k].reached)
			return;
		any = true;
	}
	if (!any)
		return;
	c->reached = true;
	c->thread->last_reach_us = xf_now_us();
	if (atomic_fetch_add(&f->reached, 1) + 1 >= f->ncounted)
		atomic_store(&f->stop, true);
}

/* Replaces the named subscription of the dependent type of t by names, and
 * sends the change if there is one (after the ACK of t). */
static void update_dependent(struct xf_client *c, enum xf_type t, struct xf_names *names)
{
	const struct xf_options *o = &c->thread->fleet->opt;
	int d = dependent_of(t);
	struct xf_typestate *ds;
	struct xf_names sub = {0}, unsub = {0};
	size_t i;

	if (d < 0 || !o->want[d])
		return;
	ds = &c->ts[d];
	if (xf_names_equal(&ds->names, names) && (ds->subscribed || names->n == 0))
		return;
	if (o->mode == XF_SOTW) {
		xf_names_move(&ds->names, names);
		send_sotw(c, d, ds->last_nonce, NULL);
		return;
	}
	for (i = 0; i < names->n; i++)
		if (!xf_names_has(&ds->names, names->v[i]))
			xf_names_add(&sub, names->v[i]);
	for (i = 0; i < ds->names.n; i++)
		if (!xf_names_has(names, ds->names.v[i]))
			xf_names_add(&unsub, ds->names.v[i]);
	xf_names_move(&ds->names, names);
	if (sub.n || unsub.n)
		send_delta(c, d, &sub, &unsub, NULL, NULL, false);
	xf_names_free(&sub);
	xf_names_free(&unsub);
}

static void nack_message(struct xf_client *c, const char *why, char *buf, size_t len)
{
	if (why)
		snprintf(buf, len, "xdsfleet %s: %s", c->node_id, why);
	else
		snprintf(buf, len, "xdsfleet %s: rejects every response (--nack-share)",
		         c->node_id);
}

static void sotw_response(struct xf_client *c, const uint8_t *buf, size_t len)
{
	struct xf_thread *th = c->thread;
	SotwResponse *r = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, buf);
	struct xf_names deps = {0};
	char why[256] = "", msg[512];
	enum xf_type t;
	bool ok;
	size_t i;

	if (!r || !(t = type_of_url(r->type_url, &ok), ok)) {
		th->bad_messages++;
		if (r)
			protobuf_c_message_free_unpacked(&r->base, NULL);
		return;
	}
	th->stats[t].responses++;
	th->stats[t].resources += r->n_resources;
	th->stats[t].bytes += len;
	xf_stats_sample(th, t, r->version_info, xf_now_us());
	free(c->ts[t].last_nonce);
	c->ts[t].last_nonce = strdup(r->nonce);
	for (i = 0; i < r->n_resources && !why[0]; i++) {
		char *name = NULL;

		if (strcmp(r->resources[i]->type_url, r->type_url) != 0)
			snprintf(why, sizeof(why), "resources[%zu]: type_url %s in a %s response",
			         i, r->resources[i]->type_url, xf_type_name(t));
		else if (xf_resource_deps(t, r->resources[i], &name, &deps) < 0)
			snprintf(why, sizeof(why), "resources[%zu]: does not decode as %s", i,
			         r->type_url);
		free(name);
	}
	if (why[0])
		th->stats[t].decode_errors++;
	xf_trace_sotw(c, t, r, !why[0] && !c->nacker);
	if (why[0] || c->nacker) {
		nack_message(c, why[0] ? why : NULL, msg, sizeof(msg));
		th->stats[t].nacks++;
		send_sotw(c, t, r->nonce, msg);
	} else {
		free(c->ts[t].acked_version);
		c->ts[t].acked_version = strdup(r->version_info);
		th->stats[t].acks++;
		send_sotw(c, t, r->nonce, NULL);
		update_dependent(c, t, &deps);
		update_reached(c, t,
		               c->thread->fleet->opt.until_version &&
		                       xf_version_follows(r->version_info,
		                                          c->thread->fleet->opt.until_version));
	}
	xf_names_free(&deps);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* Checks every resource of a Delta response; fills why on the first bad one,
 * and tells whether all their versions follow --until-version. */
static void delta_check(struct xf_client *c, enum xf_type t, const DeltaResponse *r, char *why,
                        size_t whylen, bool *all_follow)
{
	const char *until = c->thread->fleet->opt.until_version;
	size_t i;

	*all_follow = r->n_resources > 0;
	for (i = 0; i < r->n_resources && !why[0]; i++) {
		const Envoy__Service__Discovery__V3__Resource *res = r->resources[i];
		struct xf_names deps = {0};
		char *name = NULL;

		if (!res->resource)
			snprintf(why, whylen, "resources[%zu] (%s): no resource", i, res->name);
		else if (strcmp(res->resource->type_url, r->type_url) != 0)
			snprintf(why, whylen, "resources[%zu]: type_url %s in a %s response", i,
			         res->resource->type_url, xf_type_name(t));
		else if (xf_resource_deps(t, res->resource, &name, &deps) < 0)
			snprintf(why, whylen, "resources[%zu] (%s): does not decode as %s", i,
			         res->name, r->type_url);
		if (!until || !xf_version_follows(res->version, until))
			*all_follow = false;
		free(name);
		xf_names_free(&deps);
	}
}

/* Applies an accepted Delta response to what the client holds. */
static void delta_apply(struct xf_client *c, enum xf_type t, const DeltaResponse *r)
{
	struct xf_held *h = &c->ts[t].held;
	size_t i;

	for (i = 0; i < r->n_resources; i++) {
		struct xf_names deps = {0};
		char *name = NULL;

		xf_resource_deps(t, r->resources[i]->resource, &name, &deps);
		xf_held_set(h,
		            r->resources[i]->name[0] ? r->resources[i]->name
		            : name                   ? name
		                                     : "",
		            r->resources[i]->version, &deps);
		xf_names_free(&deps);
		free(name);
	}
	for (i = 0; i < r->n_removed_resources; i++)
		xf_held_remove(h, r->removed_resources[i]);
}

static void delta_response(struct xf_client *c, const uint8_t *buf, size_t len)
{
	struct xf_thread *th = c->thread;
	const char *until = th->fleet->opt.until_version;
	DeltaResponse *r =
	        envoy__service__discovery__v3__delta_discovery_response__unpack(NULL, len, buf);
	char why[256] = "", msg[512];
	bool ok, all_follow, reached;
	enum xf_type t;

	if (!r || !(t = type_of_url(r->type_url, &ok), ok)) {
		th->bad_messages++;
		if (r)
			protobuf_c_message_free_unpacked(&r->base, NULL);
		return;
	}
	th->stats[t].responses++;
	th->stats[t].resources += r->n_resources;
	th->stats[t].bytes += len;
	xf_stats_sample(th, t,
	                r->system_version_info[0] ? r->system_version_info
	                : r->n_resources          ? r->resources[0]->version
	                                          : "",
	                xf_now_us());
	delta_check(c, t, r, why, sizeof(why), &all_follow);
	if (why[0])
		th->stats[t].decode_errors++;
	xf_trace_delta(c, t, r, !why[0] && !c->nacker);
	if (why[0] || c->nacker) {
		nack_message(c, why[0] ? why : NULL, msg, sizeof(msg));
		th->stats[t].nacks++;
		send_delta(c, t, NULL, NULL, r->nonce, msg, false);
	} else {
		struct xf_names deps = {0};

		delta_apply(c, t, r);
		th->stats[t].acks++;
		send_delta(c, t, NULL, NULL, r->nonce, NULL, false);
		if (dependent_of(t) >= 0) {
			xf_held_deps(&c->ts[t].held, &deps);
			update_dependent(c, t, &deps);
			xf_names_free(&deps);
		}
		reached = until && (r->system_version_info[0]
		                            ? xf_version_follows(r->system_version_info, until)
		                            : all_follow);
		update_reached(c, t, reached);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

void xf_xds_message(struct xf_client *c, const uint8_t *buf, size_t len)
{
	if (c->thread->fleet->opt.mode == XF_SOTW)
		sotw_response(c, buf, len);
	else
		delta_response(c, buf, len);
}

void xf_client_free(struct xf_client *c)
{
	int t;

	for (t = 0; t < XF_NTYPES; t++) {
		xf_names_free(&c->ts[t].names);
		xf_held_free(&c->ts[t].held);
		free(c->ts[t].acked_version);
		free(c->ts[t].last_nonce);
	}
	while (c->queue) {
		struct xf_pending *p = c->queue;

		c->queue = p->next;
		grpc_byte_buffer_destroy(p->bb);
		free(p);
	}
}
