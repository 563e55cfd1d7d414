/* The ADS stream state machine (see xds_stream.h for the rules). */
#include "xds_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"

typedef Envoy__Service__Discovery__V3__DiscoveryRequest SotwReq;
typedef Envoy__Service__Discovery__V3__DeltaDiscoveryRequest DeltaReq;

void xds_stream_init(xds_stream *s, int delta, xds_intern *intern)
{
	memset(s, 0, sizeof(*s));
	s->delta = delta;
	s->intern = intern;
}

static void clear_init(xds_typestate *t)
{
	for (size_t i = 0; i < t->n_init; i++) {
		free(t->init_names[i]);
		free(t->init_versions[i]);
	}
	free(t->init_names);
	free(t->init_versions);
	t->init_names = t->init_versions = NULL;
	t->n_init = 0;
}

void xds_stream_free(xds_stream *s)
{
	for (int k = 0; k < XDS_NTYPES; k++) {
		xds_typestate *t = &s->ts[k];
		xds_nameset_unref(t->names);
		xds_nameset_unref(t->sent_names);
		xds_nameset_unref(t->held_names);
		xds_resset_unref(t->sent);
		free(t->last_error);
		clear_init(t);
	}
	free(s->node_id);
	json_decref(s->node_meta);
}

/* ---- node ------------------------------------------------------------------ */

static json_t *value_to_json(const Google__Protobuf__Value *v);

static json_t *struct_to_json(const Google__Protobuf__Struct *st)
{
	json_t *o = json_object();
	for (size_t i = 0; st && i < st->n_fields; i++)
		json_object_set_new(o, st->fields[i]->key, value_to_json(st->fields[i]->value));
	return o;
}

static json_t *value_to_json(const Google__Protobuf__Value *v)
{
	if (!v)
		return json_null();
	switch (v->kind_case) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		return json_real(v->number_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		return json_string(v->string_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		return json_boolean(v->bool_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		return struct_to_json(v->struct_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE: {
		json_t *a = json_array();
		for (size_t i = 0; v->list_value && i < v->list_value->n_values; i++)
			json_array_append_new(a, value_to_json(v->list_value->values[i]));
		return a;
	}
	default:
		return json_null();
	}
}

static void note_node(xds_stream *s, const Envoy__Config__Core__V3__Node *node, int *got_node)
{
	if (!node || s->node_id)
		return;
	s->node_id = strdup(node->id ? node->id : "");
	s->node_meta = struct_to_json(node->metadata);
	if (node->user_agent_name && *node->user_agent_name)
		json_object_set_new(s->node_meta, "__user_agent",
		                    json_string(node->user_agent_name));
	*got_node = 1;
}

/* ---- requests ------------------------------------------------------------- */

static void record_ack(xds_typestate *t, const char *version, const Google__Rpc__Status *err,
                       int64_t now_ms)
{
	if (err) {
		t->nacks++;
		t->nacked_ms = now_ms;
		free(t->last_error);
		t->last_error = strdup(err->message ? err->message : "");
	} else {
		t->acks++;
		t->acked_ms = now_ms;
		/* memmove: callers may pass a version held in this state */
		size_t n = strnlen(version, sizeof(t->version_acked) - 1);
		memmove(t->version_acked, version, n);
		t->version_acked[n] = 0;
	}
}

static void set_names(xds_stream *s, xds_typestate *t, xds_nameset *names)
{
	names = xds_intern_nameset(s->intern, names);
	xds_nameset_unref(t->names);
	t->names = names;
}

static int sotw_request(xds_stream *s, SotwReq *r, int type, int64_t now_ms)
{
	xds_typestate *t = &s->ts[type];
	char nonce[16];
	snprintf(nonce, sizeof(nonce), "%u", t->nonce);
	if (r->response_nonce && *r->response_nonce) {
		if (!t->nonce || strcmp(r->response_nonce, nonce)) {
			s->stale_requests++;
			return type; /* stale: ignored entirely */
		}
		record_ack(t, r->version_info ? r->version_info : "", r->error_detail, now_ms);
	} else {
		t->first = 1; /* (re)subscription: a response is owed */
		t->dirty = 1;
		t->sub_changed = 1;
	}
	int wildcard = r->n_resource_names == 0 ||
	               (r->n_resource_names == 1 && !strcmp(r->resource_names[0], "*"));
	/* The common case, an ACK repeating the subscription: compare
	 * without building a name set (no allocation per ACK). */
	if (t->subscribed && !wildcard && !t->wildcard && t->names &&
	    t->names->count == r->n_resource_names) {
		/* Clients list names in a stable order, usually sorted as
		 * the set is: walk both first, look up only from the first
		 * difference on. */
		size_t i = 0;
		while (i < r->n_resource_names && !strcmp(r->resource_names[i], t->names->names[i]))
			i++;
		while (i < r->n_resource_names && xds_nameset_has(t->names, r->resource_names[i]))
			i++;
		if (i == r->n_resource_names)
			return type; /* same set (a client repeating a name while
			              * dropping another would go unnoticed) */
	}
	xds_nameset *names =
	        wildcard ? NULL : xds_nameset_new(r->resource_names, r->n_resource_names);
	if (!wildcard && !names)
		return -1;
	if (!t->subscribed || wildcard != t->wildcard ||
	    (!wildcard && !xds_nameset_equal(names, t->names))) {
		t->dirty = 1;
		t->sub_changed = 1;
		t->wildcard = wildcard;
		t->subscribed = 1;
		set_names(s, t, names);
	} else {
		xds_nameset_unref(names);
	}
	return type;
}

static int delta_request(xds_stream *s, DeltaReq *r, int type, int64_t now_ms)
{
	xds_typestate *t = &s->ts[type];
	char nonce[16];
	snprintf(nonce, sizeof(nonce), "%u", t->nonce);
	if (r->response_nonce && *r->response_nonce) {
		if (t->nonce && !strcmp(r->response_nonce, nonce))
			record_ack(t, t->version_sent, r->error_detail, now_ms);
		else
			s->stale_requests++;
	}
	if (!t->subscribed) {
		t->subscribed = 1;
		t->dirty = 1;
		t->sub_changed = 1;
		t->first = 1;
		t->wildcard =
		        r->n_resource_names_subscribe == 0 && (type == XDS_LDS || type == XDS_CDS);
		if (r->n_initial_resource_versions) {
			clear_init(t);
			t->init_names = calloc(r->n_initial_resource_versions, sizeof(char *));
			t->init_versions = calloc(r->n_initial_resource_versions, sizeof(char *));
			if (!t->init_names || !t->init_versions)
				return -1;
			for (size_t i = 0; i < r->n_initial_resource_versions; i++) {
				t->init_names[i] = strdup(r->initial_resource_versions[i]->key);
				t->init_versions[i] =
				        strdup(r->initial_resource_versions[i]->value);
				t->n_init++;
			}
		}
	}
	int wc_on = 0, wc_off = 0;
	for (size_t i = 0; i < r->n_resource_names_subscribe; i++)
		wc_on |= !strcmp(r->resource_names_subscribe[i], "*");
	for (size_t i = 0; i < r->n_resource_names_unsubscribe; i++)
		wc_off |= !strcmp(r->resource_names_unsubscribe[i], "*");
	if (wc_on || wc_off)
		t->sub_changed = t->dirty = 1;
	if (wc_on)
		t->wildcard = 1;
	if (wc_off)
		t->wildcard = 0;
	if (r->n_resource_names_subscribe || r->n_resource_names_unsubscribe) {
		xds_nameset *n = xds_nameset_edit(
		        t->names, r->resource_names_subscribe, r->n_resource_names_subscribe,
		        r->resource_names_unsubscribe, r->n_resource_names_unsubscribe);
		if (!n)
			return -1;
		set_names(s, t, n);
		/* Unsubscribed resources are dropped by the client: forget them,
		 * so that a later subscribe sends them again. */
		if (t->held_names && r->n_resource_names_unsubscribe) {
			xds_nameset *h = xds_nameset_edit(t->held_names, NULL, 0,
			                                  r->resource_names_unsubscribe,
			                                  r->n_resource_names_unsubscribe);
			xds_nameset_unref(t->held_names);
			t->held_names = xds_intern_nameset(s->intern, h);
		}
		t->dirty = 1;
		t->sub_changed = 1;
	}
	return type;
}

/* Requests are decoded into an arena freed as a whole: an ACK of a
 * 3,000-cluster EDS subscription is 3,000 strings, one allocation each
 * with protobuf-c's default allocator. Nothing of a request outlives the
 * call (names are copied into name sets, the node into the stream). */
static void *arena_alloc(void *data, size_t size)
{
	return weft_arena_alloc(data, size);
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

int xds_stream_on_request(xds_stream *s, const uint8_t *buf, size_t len, int64_t now_ms,
                          int *got_node)
{
	int type = -1;
	*got_node = 0;
	weft_arena *a = weft_arena_new();
	if (!a) {
		s->bad_requests++;
		return -1;
	}
	ProtobufCAllocator alloc = {.alloc = arena_alloc, .free = arena_free, .allocator_data = a};
	if (!s->delta) {
		SotwReq *r =
		        envoy__service__discovery__v3__discovery_request__unpack(&alloc, len, buf);
		if (r) {
			note_node(s, r->node, got_node);
			type = xds_type_from_url(r->type_url);
			if (type >= 0)
				type = sotw_request(s, r, type, now_ms);
		}
	} else {
		DeltaReq *r = envoy__service__discovery__v3__delta_discovery_request__unpack(
		        &alloc, len, buf);
		if (r) {
			note_node(s, r->node, got_node);
			type = xds_type_from_url(r->type_url);
			if (type >= 0)
				type = delta_request(s, r, type, now_ms);
		}
	}
	weft_arena_free(a);
	if (type < 0)
		s->bad_requests++;
	return type;
}

void xds_stream_source_changed(xds_stream *s, const xds_source *src)
{
	for (int k = 0; k < XDS_NTYPES; k++)
		if (s->ts[k].subscribed && s->ts[k].sent != src->sets[k])
			s->ts[k].dirty = 1;
}

/* ---- responses -------------------------------------------------------------- */

/* A response being built: header fields in buf, resources by reference. */
struct out {
	uint8_t *buf;
	size_t len, cap;
	xds_res **res;
	size_t n_res, res_cap;
	xds_resset *whole;
	int delta, oom;
};

static void out_res(struct out *o, xds_res *r)
{
	if (o->oom)
		return;
	if (o->n_res == o->res_cap) {
		size_t cap = o->res_cap ? o->res_cap * 2 : 16;
		xds_res **v = realloc(o->res, cap * sizeof(*v));
		if (!v) {
			o->oom = 1;
			return;
		}
		o->res = v;
		o->res_cap = cap;
	}
	o->res[o->n_res++] = xds_res_ref(r);
}

static void out_free(struct out *o)
{
	for (size_t i = 0; i < o->n_res; i++)
		xds_res_unref(o->res[i]);
	free(o->res);
	free(o->buf);
	xds_resset_unref(o->whole);
}

/* When a SotW response carries every resource of cur, in order, it shares
 * cur's concatenated bytes instead of one reference per resource. */
static void out_maybe_whole(struct out *o, xds_resset *cur)
{
	if (o->delta || o->oom || !cur->count || o->n_res != cur->count ||
	    !xds_resset_all_sotw(cur))
		return;
	for (size_t i = 0; i < o->n_res; i++)
		if (o->res[i] != cur->items[i])
			return;
	for (size_t i = 0; i < o->n_res; i++)
		xds_res_unref(o->res[i]);
	o->n_res = 0;
	o->whole = xds_resset_ref(cur);
}

static void out_put(struct out *o, const void *p, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n)
			cap *= 2;
		uint8_t *b = realloc(o->buf, cap);
		if (!b) {
			o->oom = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void out_string(struct out *o, int field, const char *s)
{
	uint8_t hdr[12];
	size_t n = strlen(s), k = 0;
	hdr[k++] = (uint8_t)(field << 3 | 2);
	uint64_t v = n;
	while (v >= 0x80) {
		hdr[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	hdr[k++] = (uint8_t)v;
	out_put(o, hdr, k);
	out_put(o, s, n);
}

static int in_sub(const xds_typestate *t, const char *name)
{
	return t->wildcard || xds_nameset_has(t->names, name);
}

/* The resource the client was last sent under name (SotW). */
static xds_res *sent_res(const xds_typestate *t, const char *name)
{
	if (!t->sent || !(t->sent_wildcard || xds_nameset_has(t->sent_names, name)))
		return NULL;
	return xds_resset_find(t->sent, name);
}

/* Whether only cur's changed names can matter: cur follows the set last
 * checked for this stream and the subscription did not change since. */
static int incremental(const xds_typestate *t, const xds_resset *cur)
{
	return !t->first && !t->sub_changed && t->sent && cur->pred_id == t->sent->id &&
	       t->n_init == 0;
}

static int touches_sub(const xds_typestate *t, const xds_resset *cur)
{
	for (size_t i = 0; i < cur->n_changed; i++)
		if (in_sub(t, cur->changed[i]))
			return 1;
	return 0;
}

/* SotW: collects the resources of the response; 0 when nothing to send. */
static int sotw_collect(xds_stream *s, int type, const xds_resset *cur, struct out *o,
                        int keep_stale)
{
	xds_typestate *t = &s->ts[type];
	int changed = t->first, n = 0;
	/* An endpoint change costs each stream a look at the changed names. */
	if (incremental(t, cur) && !touches_sub(t, cur))
		return 0;
	if (xds_type_full_state(type)) {
		for (size_t i = 0; i < cur->count; i++) {
			xds_res *r = cur->items[i];
			if (!in_sub(t, r->name))
				continue;
			changed |= sent_res(t, r->name) != r;
			out_res(o, r);
			n++;
		}
		/* Deletions by absence (or kept until LDS/RDS went: make-before-break). */
		for (size_t i = 0; t->sent && i < t->sent->count; i++) {
			xds_res *r = t->sent->items[i];
			if (!sent_res(t, r->name) ||
			    (in_sub(t, r->name) && xds_resset_find(cur, r->name)))
				continue;
			if (!in_sub(t, r->name)) {
				changed = 1;
				continue;
			}
			changed = 1;
			if (keep_stale) {
				out_res(o, r);
				s->cds_cleanup = 1;
			}
		}
		return changed;
	}
	if (incremental(t, cur)) {
		for (size_t i = 0; i < cur->n_changed; i++) {
			xds_res *r = xds_resset_find(cur, cur->changed[i]);
			if (r && in_sub(t, r->name)) {
				out_res(o, r);
				n++;
			}
		}
		return n > 0;
	}
	for (size_t i = 0; i < cur->count; i++) {
		xds_res *r = cur->items[i];
		if (in_sub(t, r->name) && (t->first || sent_res(t, r->name) != r)) {
			out_res(o, r);
			n++;
		}
	}
	return t->first || n > 0;
}

static const char *held_version(const xds_typestate *t, const char *name)
{
	for (size_t i = 0; i < t->n_init; i++)
		if (!strcmp(t->init_names[i], name))
			return t->init_versions[i];
	if (!t->sent)
		return NULL;
	if (!t->held_names ? !t->sent_wildcard : !xds_nameset_has(t->held_names, name))
		return NULL;
	xds_res *r = xds_resset_find(t->sent, name);
	return r ? r->version : NULL;
}

/* Delta: resources new/changed for the client, and removed names. */
static int delta_collect(xds_stream *s, int type, const xds_resset *cur, struct out *o)
{
	xds_typestate *t = &s->ts[type];
	int n = 0;
	if (incremental(t, cur)) {
		for (size_t i = 0; i < cur->n_changed; i++) {
			const char *name = cur->changed[i];
			xds_res *r = xds_resset_find(cur, name);
			const char *v = in_sub(t, name) ? held_version(t, name) : NULL;
			if (r && in_sub(t, name) && (!v || strcmp(v, r->version))) {
				out_res(o, r);
				n++;
			} else if (!r && v) {
				out_string(o, 6, name);
				n++;
			}
		}
		return n > 0;
	}
	for (size_t i = 0; i < cur->count; i++) {
		xds_res *r = cur->items[i];
		if (!in_sub(t, r->name))
			continue;
		const char *v = held_version(t, r->name);
		if (!v || strcmp(v, r->version)) {
			out_res(o, r);
			n++;
		}
	}
	/* removed_resources: held (sent or initial) but gone or never existing. */
	for (size_t i = 0; t->sent && i < t->sent->count; i++) {
		const char *name = t->sent->items[i]->name;
		if (in_sub(t, name) && held_version(t, name) && !xds_resset_find(cur, name)) {
			out_string(o, 6, name);
			n++;
		}
	}
	for (size_t i = 0; i < t->n_init; i++) {
		const char *name = t->init_names[i];
		if (in_sub(t, name) && !xds_resset_find(cur, name) &&
		    !(t->sent && xds_resset_find(t->sent, name))) {
			out_string(o, 6, name);
			n++;
		}
	}
	return n > 0 || t->first;
}

/* After a Delta response: what the client now holds. */
static void delta_update_held(xds_stream *s, xds_typestate *t, const xds_resset *cur)
{
	xds_nameset_unref(t->held_names);
	t->held_names = NULL;
	if (t->wildcard)
		return;
	char **names = calloc(cur->count + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; names && i < cur->count; i++)
		if (xds_nameset_has(t->names, cur->items[i]->name))
			names[k++] = cur->items[i]->name;
	t->held_names = xds_intern_nameset(s->intern, xds_nameset_new(names, k));
	free(names);
	clear_init(t);
}

static int build(xds_stream *s, int type, const xds_source *src, struct out *o)
{
	xds_typestate *t = &s->ts[type];
	const xds_resset *cur = src->sets[type];
	static const xds_resset empty;
	char nonce[16];
	if (!cur)
		cur = &empty;
	int keep_stale = type == XDS_CDS &&
	                 (s->ts[XDS_LDS].dirty || s->ts[XDS_RDS].dirty || s->ts[XDS_EDS].dirty);
	int send = s->delta ? delta_collect(s, type, cur, o)
	                    : sotw_collect(s, type, cur, o, keep_stale);
	if (!send)
		return 0;
	if (cur != &empty)
		out_maybe_whole(o, (xds_resset *)cur);
	t->nonce = ++s->nonce_counter;
	snprintf(nonce, sizeof(nonce), "%u", t->nonce);
	out_string(o, 1, src->version);
	out_string(o, 4, xds_type_url(type));
	out_string(o, 5, nonce);
	snprintf(t->version_sent, sizeof(t->version_sent), "%s", src->version);
	if (s->delta)
		delta_update_held(s, t, cur);
	return 1;
}

int xds_stream_next_msg(xds_stream *s, const xds_source *src, xds_msg *msg)
{
	for (int k = 0; k < XDS_NTYPES; k++) {
		xds_typestate *t = &s->ts[k];
		if (!t->dirty || !t->subscribed)
			continue;
		struct out o = {.delta = s->delta};
		int rc = build(s, k, src, &o);
		t->dirty = 0;
		t->first = 0;
		if (o.oom) {
			out_free(&o);
			return -1;
		}
		/* Sent or not, the client now holds what this set has for its
		 * subscription (nothing to send means nothing differed). */
		xds_resset_unref(t->sent);
		t->sent = xds_resset_ref(src->sets[k]);
		t->sent_wildcard = t->wildcard;
		xds_nameset_unref(t->sent_names);
		t->sent_names = xds_nameset_ref(t->names);
		t->sub_changed = 0;
		if (rc != 1) {
			out_free(&o);
			continue;
		}
		t->responses++;
		/* Stale clusters kept for make-before-break: remove them once
		 * EDS, LDS and RDS went out. */
		if (k != XDS_CDS && s->cds_cleanup && !s->ts[XDS_EDS].dirty &&
		    !s->ts[XDS_LDS].dirty && !s->ts[XDS_RDS].dirty) {
			s->cds_cleanup = 0;
			s->ts[XDS_CDS].dirty = 1;
			s->ts[XDS_CDS].first = 1; /* full set, without the stale */
		}
		msg->head = o.buf;
		msg->head_len = o.len;
		msg->res = o.res;
		msg->n_res = o.n_res;
		msg->whole = o.whole;
		msg->delta = s->delta;
		msg->type = k;
		return 1;
	}
	if (s->cds_cleanup) {
		s->cds_cleanup = 0;
		s->ts[XDS_CDS].dirty = 1;
		s->ts[XDS_CDS].first = 1;
		return xds_stream_next_msg(s, src, msg);
	}
	return 0;
}

void xds_msg_free(xds_msg *m)
{
	struct out o = {.buf = m->head, .res = m->res, .n_res = m->n_res, .whole = m->whole};
	out_free(&o);
	memset(m, 0, sizeof(*m));
}

size_t xds_msg_len(const xds_msg *m)
{
	size_t n = m->head_len + (m->whole ? m->whole->bytes : 0);
	for (size_t i = 0; i < m->n_res; i++)
		n += m->delta ? m->res[i]->delta_len : m->res[i]->sotw_len;
	return n;
}

int xds_stream_next(xds_stream *s, const xds_source *src, uint8_t **out, size_t *len, int *type)
{
	xds_msg m;
	int rc = xds_stream_next_msg(s, src, &m);
	if (rc != 1)
		return rc;
	size_t n = xds_msg_len(&m), off = m.head_len;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		xds_msg_free(&m);
		return -1;
	}
	memcpy(buf, m.head, m.head_len);
	if (m.whole) {
		memcpy(buf + off, m.whole->all_sotw, m.whole->bytes);
		off += m.whole->bytes;
	}
	for (size_t i = 0; i < m.n_res; i++) {
		const xds_res *r = m.res[i];
		memcpy(buf + off, m.delta ? r->delta : r->sotw,
		       m.delta ? r->delta_len : r->sotw_len);
		off += m.delta ? r->delta_len : r->sotw_len;
	}
	*out = buf;
	*len = n;
	*type = m.type;
	xds_msg_free(&m);
	return 1;
}
