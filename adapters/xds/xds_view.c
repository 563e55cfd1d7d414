/* Feeds and views of the xDS server (server thread only, except the
 * helpers for feed data used by the adapter).
 *
 * A feed is what a group of proxies is served from: the default feed (the
 * controller's intent, followed when the controller says it changed) or a Device's
 * slice (published by the adapter's apply). A view is (feed, role, own
 * service, plane, node IPs): every stream in a view gets the same resource
 * sets. CDS/EDS are rendered once per (feed revision, plane) and shared by
 * all views of the feed; LDS/RDS once per view. Re-rendering reuses the
 * previous xds_res objects for resources whose bytes did not change, so an
 * endpoint change yields new objects only for the affected CLAs, and
 * streams compare pointers to find what to send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "policy-t.h"
#include "policyset.h"
#include "resource.h"
#include "xds_scope.h"
#include "xds_server_int.h"

void xds_feed_data_free(xds_feed_data *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		weft_resource_unref(d->res[i]);
	free(d->res);
	weft_resource_unref(d->device);
	weft_snapshot_unref(d->snap);
	free(d);
}

xds_feed_data *xds_feed_data_new(weft_snapshot *snap, const weft_resource *device)
{
	xds_feed_data *d = calloc(1, sizeof(*d));
	size_t n;
	weft_resource *const *items;
	if (device)
		items = weft_snapshot_by_device(snap, device->ns, device->name, &n);
	else {
		const weft_policyset *ps = weft_snapshot_policy(snap);
		items = weft_policyset_items(ps);
		n = weft_policyset_count(ps);
	}
	if (!d || !(d->res = calloc(n + 1, sizeof(*d->res)))) {
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i]->kind != WEFT_KIND_DEVICE)
			d->res[d->n++] = weft_resource_ref(items[i]);
	d->snap = weft_snapshot_ref(snap);
	d->device = device ? weft_resource_ref((weft_resource *)device) : NULL;
	d->revision = weft_snapshot_revision(snap);
	return d;
}

/* ---- feeds ------------------------------------------------------------------ */

static struct xds_feed *feed_get(struct xds_server *s, const char *id, int create)
{
	for (struct xds_feed *f = s->feeds; f; f = f->next)
		if (!strcmp(f->id, id))
			return f;
	if (!create)
		return NULL;
	struct xds_feed *f = calloc(1, sizeof(*f));
	if (!f || !(f->id = strdup(id))) {
		free(f);
		return NULL;
	}
	f->next = s->feeds;
	s->feeds = f;
	return f;
}

static void plane_sets_clear(struct xds_plane_sets *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ps[i].plane);
		free(ps[i].scope);
		xds_resset_unref(ps[i].cds);
		xds_resset_unref(ps[i].eds);
		xds_scope_index_free(ps[i].cds_idx);
		xds_scope_index_free(ps[i].eds_idx);
	}
	free(ps);
}

static int opt_streq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static struct xds_plane_sets *plane_sets_find(struct xds_plane_sets *ps, size_t n,
                                              const char *plane, const char *scope)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ps[i].plane, plane) && opt_streq(ps[i].scope, scope))
			return &ps[i];
	return NULL;
}

/* A new, empty entry of f->planes (its cds/eds still NULL). */
static struct xds_plane_sets *plane_sets_push(struct xds_feed *f, const char *plane,
                                              const char *scope)
{
	if (f->n_planes == f->cap_planes) {
		size_t cap = f->cap_planes ? f->cap_planes * 2 : 4;
		struct xds_plane_sets *p = realloc(f->planes, cap * sizeof(*p));
		if (!p)
			return NULL;
		f->planes = p;
		f->cap_planes = cap;
	}
	struct xds_plane_sets *ps = &f->planes[f->n_planes];
	memset(ps, 0, sizeof(*ps));
	ps->plane = strdup(plane);
	ps->scope = scope ? strdup(scope) : NULL;
	if (!ps->plane || (scope && !ps->scope)) {
		free(ps->plane);
		free(ps->scope);
		return NULL;
	}
	f->n_planes++;
	return ps;
}

/* Previous revision's sets, for identity reuse and change lists. */
struct plane_pred {
	struct xds_plane_sets *sets;
	size_t n;
};

/* CDS/EDS of a feed for a plane and scope (NULL: the whole feed), rendered
 * once per revision: the whole feed's by xds_render_clusters, a scope's by
 * filtering the whole feed's sets. */
static struct xds_plane_sets *feed_plane(struct xds_feed *f, const char *plane,
                                         const xds_scope *scope, const struct plane_pred *pred)
{
	const char *p = plane ? plane : "default";
	const char *sk = scope ? scope->own : NULL;
	struct xds_plane_sets *ps = plane_sets_find(f->planes, f->n_planes, p, sk);
	if (ps || !f->data)
		return ps;
	struct xds_plane_sets *full = scope ? feed_plane(f, plane, NULL, pred) : NULL;
	if (scope && !full)
		return NULL;
	struct xds_plane_sets *old = pred ? plane_sets_find(pred->sets, pred->n, p, sk) : NULL;
	xds_resset *cds = NULL, *eds = NULL;
	weft_err err = {0};
	if (scope) {
		if (!full->cds_idx)
			full->cds_idx = xds_scope_index_new(full->cds);
		if (!full->eds_idx)
			full->eds_idx = xds_scope_index_new(full->eds);
		if (full->cds_idx && full->eds_idx) {
			cds = xds_scope_filter(scope, full->cds_idx, old ? old->cds : NULL);
			eds = xds_scope_filter(scope, full->eds_idx, old ? old->eds : NULL);
		}
		if (!cds || !eds)
			weft_err_set(&err, "out of memory");
	} else {
		xds_render_input in = {f->data->res, f->data->n,
		                       weft_snapshot_model(f->data->snap)};
		xds_render_clusters(&in, p, old ? old->cds : NULL, old ? old->eds : NULL, &cds,
		                    &eds, &err);
	}
	if (!cds || !eds || !(ps = plane_sets_push(f, p, sk))) {
		fprintf(stderr, "weft xds: feed '%s': %s\n", f->id,
		        err.msg[0] ? err.msg : "out of memory");
		xds_resset_unref(cds);
		xds_resset_unref(eds);
		return NULL;
	}
	ps->cds = cds;
	ps->eds = eds;
	return ps;
}

/* The certificate of an identity, issued on first use. */
static const xds_cert *identity_cert(struct xds_server *s, const char *uri)
{
	for (struct xds_certcache *c = s->certs; c; c = c->next)
		if (!strcmp(c->uri, uri))
			return &c->cert;
	struct xds_certcache *c = calloc(1, sizeof(*c));
	weft_err err = {0};
	if (!c || !(c->uri = strdup(uri)) ||
	    xds_ca_issue(s->ca, uri, s->opts.cert_ttl_s, &c->cert, &err)) {
		fprintf(stderr, "weft xds: %s\n", err.msg);
		if (c)
			free(c->uri);
		free(c);
		return NULL;
	}
	c->next = s->certs;
	s->certs = c;
	return &c->cert;
}

/* The proxy's own service ("ns/name" into buf) for sidecars and gateways,
 * or NULL (proxyless clients, or no service found). Found once per render
 * and shared by the scope and the secrets. */
static const char *view_service(const struct xds_view *v, const xds_render_input *in, char *buf,
                                size_t len)
{
	if (v->vk.role == XDS_ROLE_PROXYLESS || xds_view_identity(in, &v->vk, buf, len) ||
	    !strchr(buf, '/'))
		return NULL;
	return buf;
}

/* SDS of a view: its identity (svc: view_service) and the mesh CA.
 * Unchanged identity and no rotation (force 0): the view's current set,
 * so a revision does not re-render 1,000 views' secrets. */
static xds_resset *view_secrets(struct xds_server *s, struct xds_view *v, const char *svc,
                                int force)
{
	xds_resset *out = NULL;
	weft_err err = {0};
	char *was = v->identity;
	v->identity = NULL;
	const xds_cert *cert = NULL;
	if (s->ca && svc) {
		const char *slash = strchr(svc, '/');
		if (asprintf(&v->identity, "spiffe://weft/ns/%.*s/sa/%s", (int)(slash - svc), svc,
		             slash + 1) < 0)
			v->identity = NULL;
	}
	int same = was == v->identity || (was && v->identity && !strcmp(was, v->identity));
	free(was);
	if (same && !force && v->src.sets[XDS_SDS])
		return xds_resset_ref(v->src.sets[XDS_SDS]);
	cert = v->identity ? identity_cert(s, v->identity) : NULL;
	const char *root =
	        s->ca && v->vk.role != XDS_ROLE_PROXYLESS ? xds_ca_root_pem(s->ca) : NULL;
	if (xds_render_secrets(cert ? cert->cert_pem : NULL, cert ? cert->key_pem : NULL, root,
	                       v->src.sets[XDS_SDS], &out, &err)) {
		fprintf(stderr, "weft xds: view '%s': %s\n", v->key, err.msg);
		out = xds_resset_new();
		xds_resset_seal(out, NULL);
	}
	return out;
}

int64_t xds_views_next_rotation(const struct xds_server *s)
{
	int64_t next = INT64_MAX, ttl = s->opts.cert_ttl_s;
	for (const struct xds_certcache *c = s->certs; c; c = c->next)
		if (c->cert.not_after - ttl / 3 < next)
			next = c->cert.not_after - ttl / 3;
	return next;
}

void xds_views_rotate(struct xds_server *s)
{
	int64_t now = (int64_t)time(NULL), ttl = s->opts.cert_ttl_s;
	for (struct xds_certcache *c = s->certs; c; c = c->next) {
		if (now < c->cert.not_after - ttl / 3)
			continue;
		xds_cert fresh;
		weft_err err = {0};
		if (xds_ca_issue(s->ca, c->uri, ttl, &fresh, &err)) {
			fprintf(stderr, "weft xds: rotation: %s\n", err.msg);
			continue;
		}
		xds_cert_free(&c->cert);
		c->cert = fresh;
		for (struct xds_view *v = s->views; v; v = v->next) {
			if (!v->identity || strcmp(v->identity, c->uri) || !v->feed->data)
				continue;
			xds_render_input in = {v->feed->data->res, v->feed->data->n,
			                       weft_snapshot_model(v->feed->data->snap)};
			char buf[512];
			xds_resset *sds =
			        view_secrets(s, v, view_service(v, &in, buf, sizeof(buf)), 1);
			xds_resset_unref(v->src.sets[XDS_SDS]);
			v->src.sets[XDS_SDS] = sds;
			xds_server_view_changed(s, v);
		}
	}
}

/* The dependency scope of a sidecar view of service svc (1), or 0 when it
 * gets the whole feed; -1 on failure. */
static int view_scope(struct xds_view *v, const char *svc, xds_scope *sc)
{
	if (v->vk.role != XDS_ROLE_SIDECAR || !svc)
		return 0;
	const char *slash = strchr(svc, '/');
	char ns[256];
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - svc), svc);
	return xds_scope_build(v->feed->data, ns, slash + 1, sc);
}

/* Re-renders a view from its feed's current data. */
static void view_render(struct xds_server *s, struct xds_view *v, const struct plane_pred *pred)
{
	struct xds_feed *f = v->feed;
	if (!f->data)
		return;
	xds_render_input full = {f->data->res, f->data->n, weft_snapshot_model(f->data->snap)};
	xds_scope sc = {0};
	char buf[512];
	const char *svc = view_service(v, &full, buf, sizeof(buf));
	int scoped = view_scope(v, svc, &sc);
	if (scoped < 0) {
		fprintf(stderr, "weft xds: view '%s': out of memory\n", v->key);
		return;
	}
	xds_render_input in = scoped ? (xds_render_input){sc.res, sc.n_res, full.model} : full;
	struct xds_plane_sets *ps = feed_plane(f, v->vk.plane, scoped ? &sc : NULL, pred);
	xds_resset *lds = NULL, *rds = NULL;
	weft_err err = {0};
	if (!ps || xds_render_listeners(&in, &v->vk, v->src.sets[XDS_LDS], v->src.sets[XDS_RDS],
	                                &lds, &rds, &err)) {
		fprintf(stderr, "weft xds: view '%s': %s\n", v->key, err.msg);
		xds_scope_free(&sc);
		return;
	}
	free(v->scope);
	v->scope = scoped ? sc.own : NULL;
	sc.own = NULL;
	xds_scope_free(&sc);
	xds_resset *news[XDS_NTYPES] = {
	        [XDS_SDS] = view_secrets(s, v, svc, 0),
	        [XDS_CDS] = xds_resset_ref(ps->cds),
	        [XDS_EDS] = xds_resset_ref(ps->eds),
	        [XDS_LDS] = lds,
	        [XDS_RDS] = rds,
	};
	for (int k = 0; k < XDS_NTYPES; k++) {
		xds_resset_unref(v->src.sets[k]);
		v->src.sets[k] = news[k];
	}
	snprintf(v->src.version, sizeof(v->src.version), "%lld", (long long)f->data->revision);
	xds_server_view_changed(s, v);
}

static void feed_update(struct xds_server *s, struct xds_feed *f, xds_feed_data *d)
{
	struct plane_pred old = {f->planes, f->n_planes};
	f->planes = NULL; /* rendered lazily, diffed against old */
	f->n_planes = f->cap_planes = 0;
	xds_feed_data_free(f->data);
	f->data = d;
	f->updated_ms = weft_mono_ms();
	for (struct xds_view *v = s->views; v; v = v->next)
		if (v->feed == f)
			view_render(s, v, &old);
	plane_sets_clear(old.sets, old.n);
	s->status_dirty = 1;
}

int xds_views_take_pending(struct xds_server *s)
{
	pthread_mutex_lock(&s->mu);
	struct xds_pending_feed *p = s->pending;
	s->pending = NULL;
	pthread_mutex_unlock(&s->mu);
	int new_device = 0;
	while (p) {
		struct xds_pending_feed *next = p->next;
		struct xds_feed *f = feed_get(s, p->id, 1);
		if (f) {
			/* A Device seen for the first time, or whose nodeMatch
			 * changed, may claim proxies already connected. */
			new_device |= !f->data || !p->data->device || !f->data->device ||
			              f->data->device->hash != p->data->device->hash;
			feed_update(s, f, p->data);
		} else
			xds_feed_data_free(p->data);
		free(p->id);
		free(p);
		p = next;
	}
	return new_device;
}

void xds_views_follow_default(struct xds_server *s)
{
	if (!s->ctl || s->opts.no_default_feed)
		return;
	/* The intent, not the published snapshot: in atomic mode proxies
	 * switch when the transaction commits, never to a rolled-back one. */
	weft_snapshot *snap = weft_controller_intent(s->ctl);
	if (!snap)
		return;
	struct xds_feed *f = feed_get(s, "", 1);
	if (f && (!f->data || f->data->revision != weft_snapshot_revision(snap))) {
		xds_feed_data *d = xds_feed_data_new(snap, NULL);
		if (d)
			feed_update(s, f, d);
	}
	weft_snapshot_unref(snap);
}

/* ---- views ---------------------------------------------------------------- */

static const char *meta_str(json_t *meta, const char *key)
{
	return json_string_value(json_object_get(meta, key));
}

/* Whether a Device's nodeMatch selects this node. */
static int device_matches(const weft_resource *dev, const xds_stream *st)
{
	const weft_device_spec *ds = dev->spec;
	const weft_node_match *m = ds->options ? ds->options->node_match : NULL;
	if (!m)
		return 0;
	if (m->id_prefix && strncmp(st->node_id, m->id_prefix, strlen(m->id_prefix)))
		return 0;
	for (size_t i = 0; i < m->metadata.count; i++) {
		const char *v = meta_str(st->node_meta, m->metadata.items[i].key);
		if (!v || strcmp(v, m->metadata.items[i].value))
			return 0;
	}
	return 1;
}

static struct xds_feed *feed_for(struct xds_server *s, const xds_stream *st)
{
	for (struct xds_feed *f = s->feeds; f; f = f->next)
		if (*f->id && f->data && f->data->device && device_matches(f->data->device, st))
			return f;
	return s->opts.no_default_feed ? NULL : feed_get(s, "", 1);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Node IPs from metadata "ips" (list or comma-separated) and "ip". */
static size_t node_ips(json_t *meta, char **out, size_t max)
{
	size_t n = 0;
	json_t *ips = json_object_get(meta, "ips"), *v;
	size_t i;
	if (json_is_array(ips))
		json_array_foreach(ips, i, v) if (json_is_string(v) && n < max) out[n++] =
		        strdup(json_string_value(v));
	const char *list = json_is_string(ips) ? json_string_value(ips) : meta_str(meta, "ip");
	while (list && *list && n < max) {
		size_t l = strcspn(list, ", ");
		if (l)
			out[n++] = strndup(list, l);
		list += l;
		list += strspn(list, ", ");
	}
	qsort(out, n, sizeof(char *), str_cmp);
	return n;
}

static xds_role node_role(const xds_stream *st)
{
	const char *r = meta_str(st->node_meta, "role");
	const char *ua = meta_str(st->node_meta, "__user_agent");
	if (r && !strcmp(r, "sidecar"))
		return XDS_ROLE_SIDECAR;
	if (r && !strcmp(r, "gateway"))
		return XDS_ROLE_GATEWAY;
	if (r && !strcmp(r, "proxyless"))
		return XDS_ROLE_PROXYLESS;
	if (ua && strcasestr(ua, "grpc"))
		return XDS_ROLE_PROXYLESS;
	if (!strncmp(st->node_id, "sidecar~", 8))
		return XDS_ROLE_SIDECAR;
	return XDS_ROLE_SIDECAR;
}

struct xds_view *xds_view_for_stream(struct xds_server *s, const xds_stream *st)
{
	struct xds_feed *f = feed_for(s, st);
	if (!f)
		return NULL;
	xds_role role = node_role(st);
	const char *svc = meta_str(st->node_meta, "service");
	const char *plane = meta_str(st->node_meta, "plane");
	const char *gw = meta_str(st->node_meta, "gateway");
	char *ips[16];
	size_t n_ips = role == XDS_ROLE_PROXYLESS ? 0 : node_ips(st->node_meta, ips, 16);
	size_t klen = strlen(f->id) + 64 + (svc ? strlen(svc) : 0) + (plane ? strlen(plane) : 0) +
	              (gw ? strlen(gw) : 0);
	for (size_t i = 0; i < n_ips; i++)
		klen += strlen(ips[i]) + 1;
	char *key = malloc(klen);
	if (!key)
		goto fail;
	int off = snprintf(key, klen, "%s|%s|%s|%s|%s|", f->id, xds_role_name(role),
	                   role == XDS_ROLE_PROXYLESS ? ""
	                   : svc                      ? svc
	                                              : "",
	                   plane ? plane : "", gw ? gw : "");
	for (size_t i = 0; i < n_ips; i++)
		off += snprintf(key + off, klen - (size_t)off, "%s,", ips[i]);
	for (struct xds_view *v = s->views; v; v = v->next)
		if (!strcmp(v->key, key)) {
			free(key);
			for (size_t i = 0; i < n_ips; i++)
				free(ips[i]);
			v->streams++;
			return v;
		}
	struct xds_view *v = calloc(1, sizeof(*v));
	if (!v) {
		free(key);
		goto fail;
	}
	v->key = key;
	v->feed = f;
	v->vk.role = role;
	v->vk.service = v->strings[0] = svc && role != XDS_ROLE_PROXYLESS ? strdup(svc) : NULL;
	v->vk.plane = v->strings[1] = plane ? strdup(plane) : NULL;
	v->vk.gateway = v->strings[2] = gw ? strdup(gw) : NULL;
	v->vk.ips = calloc(n_ips + 1, sizeof(char *));
	for (size_t i = 0; i < n_ips; i++)
		v->vk.ips[i] = ips[i];
	v->vk.n_ips = n_ips;
	snprintf(v->src.version, sizeof(v->src.version), "0");
	v->next = s->views;
	s->views = v;
	v->streams = 1;
	view_render(s, v, NULL);
	s->status_dirty = 1;
	return v;
fail:
	for (size_t i = 0; i < n_ips; i++)
		free(ips[i]);
	return NULL;
}

static void view_free(struct xds_view *v)
{
	for (int k = 0; k < XDS_NTYPES; k++)
		xds_resset_unref(v->src.sets[k]);
	for (size_t i = 0; i < v->vk.n_ips; i++)
		free((char *)v->vk.ips[i]);
	free(v->vk.ips);
	for (int i = 0; i < 3; i++)
		free(v->strings[i]);
	free(v->identity);
	free(v->scope);
	free(v->key);
	free(v);
}

void xds_view_release(struct xds_server *s, struct xds_view *v)
{
	if (!v || --v->streams)
		return;
	for (struct xds_view **pp = &s->views; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	view_free(v);
	s->status_dirty = 1;
}

void xds_views_free(struct xds_server *s)
{
	while (s->views) {
		struct xds_view *v = s->views;
		s->views = v->next;
		view_free(v);
	}
	while (s->certs) {
		struct xds_certcache *c = s->certs;
		s->certs = c->next;
		xds_cert_free(&c->cert);
		free(c->uri);
		free(c);
	}
	while (s->feeds) {
		struct xds_feed *f = s->feeds;
		s->feeds = f->next;
		plane_sets_clear(f->planes, f->n_planes);
		xds_feed_data_free(f->data);
		free(f->id);
		free(f);
	}
}

json_t *xds_views_status(struct xds_server *s)
{
	json_t *a = json_array();
	for (struct xds_view *v = s->views; v; v = v->next) {
		json_t *res = json_object();
		for (int k = 0; k < XDS_NTYPES; k++)
			json_object_set_new(res, xds_type_short(k),
			                    json_integer(v->src.sets[k]
			                                         ? (json_int_t)v->src.sets[k]->count
			                                         : 0));
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I,s:s,s:o}", "key", v->key,
		                                   "role", xds_role_name(v->vk.role), "feed",
		                                   *v->feed->id ? v->feed->id : "(default)",
		                                   "streams", (json_int_t)v->streams, "version",
		                                   v->src.version, "resources", res));
		if (v->scope)
			json_object_set_new(json_array_get(a, json_array_size(a) - 1), "scope",
			                    json_string(v->scope));
	}
	return a;
}
