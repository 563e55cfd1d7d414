/* render: snapshot + Device -> the desired objects of the device's
 * partition (see f5_render.h for the split and the naming scheme). This
 * file takes what the device's scope covers from the snapshot's by-device
 * index (services behind an in-scope gateway come along), renders every
 * selected Service into pools (one per port, one per port and subset) with
 * one member per endpoint (ratio = endpoint weight, loadBalancingMode
 * ratio-member), TrafficPolicy health checks into http/tcp monitors and
 * TrafficPolicy TLS into server-ssl profiles. Members, weights and the
 * TrafficPolicy in effect come from the resolved model (core/model.h);
 * what BIG-IP cannot express is warned about (f5_render_warn.c). Pure: no
 * I/O.
 *
 * Each Service's pools and members form a group (f5_model.h) hashed over
 * what they are rendered from; a group whose hash is unchanged since the
 * device's previous render is taken from the render memo
 * (f5_render_memo.c) instead of being built again. */
#include "f5_render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "policy.h"
#include "resource.h"

void f5_full(const struct f5_render *r, char *buf, size_t len, ...)
{
	va_list ap;
	va_start(ap, len);
	size_t off = (size_t)snprintf(buf, len, "/%s/", r->part);
	const char *s;
	int first = 1;
	while ((s = va_arg(ap, const char *)) && off < len) {
		off += (size_t)snprintf(buf + off, len - off, "%s%s", first ? "" : "_", s);
		first = 0;
	}
	va_end(ap);
}

const weft_resource *f5_find(const struct f5_render *r, weft_kind kind, const weft_ref *ref,
                             const char *ns)
{
	if (!ref || !ref->name)
		return NULL;
	return weft_policyset_find(r->set, kind, ref->ns ? ref->ns : ns, ref->name);
}

const weft_service_port *f5_service_port(const weft_service_spec *svc, int port)
{
	for (size_t i = 0; i < svc->ports.count; i++)
		if (!port || svc->ports.items[i].port == port)
			return &svc->ports.items[i];
	return NULL;
}

void f5_pool_path(const struct f5_render *r, const weft_resource *svc, int port, const char *subset,
                  char *buf, size_t len)
{
	char p[16];
	snprintf(p, sizeof(p), "%d", port);
	if (subset)
		f5_full(r, buf, len, svc->ns, svc->name, p, subset, NULL);
	else
		f5_full(r, buf, len, svc->ns, svc->name, p, NULL);
}

int f5_each_member(const struct f5_render *r, const weft_resource *svc,
                   const weft_service_port *port, const char *subset, f5_member_cb cb, void *ctx)
{
	const weft_model_service *ms = weft_model_find_service(r->model, svc->ns, svc->name);
	const weft_model_subset *sub =
	        weft_model_find_subset(weft_model_find_port(ms, port->port), subset);
	if (!sub)
		return 0; /* validation refuses unknown subsets; render nothing */
	const weft_model_endpoints *eps = weft_model_endpoints_on(sub, NULL);
	for (size_t i = 0; i < eps->count; i++) {
		char m[128];
		f5_member_name(eps->items[i].address, eps->items[i].port, m, sizeof(m));
		if (cb(ctx, eps->items[i].address, m, eps->items[i].weight))
			return -1;
	}
	return 0;
}

const weft_traffic_policy_spec *f5_traffic_policy(const struct f5_render *r,
                                                  const weft_resource *svc, const char *subset,
                                                  const weft_resource **tp_out)
{
	const weft_model_service *ms = weft_model_find_service(r->model, svc->ns, svc->name);
	const weft_model_subset *sub = weft_model_find_subset(weft_model_find_port(ms, 0), subset);
	const weft_resource *tp = sub ? sub->policies.traffic_policy : NULL;
	if (tp && tp_out)
		*tp_out = tp;
	return tp ? tp->spec : NULL;
}

int f5_add(struct f5_render *r, enum f5_type t, const char *path, const char *member, json_t *body)
{
	if (f5_config_add(r->out, t, path, member, body))
		return weft_err_set(r->err, "device %s/%s: render %s: out of memory", r->dev->ns,
		                    r->dev->name, path);
	return 0;
}

json_t *f5_new_body(const struct f5_render *r, const char *full, uint64_t hash)
{
	const char *name = strrchr(full, '/') + 1;
	json_t *b = json_object();
	json_object_set_new(b, "name", json_string(name));
	json_object_set_new(b, "partition", json_string(r->part));
	json_object_set_new(b, "description", f5_mark(r->rev, hash));
	return b;
}

/* ---- pools and members ---- */

struct member_ctx {
	struct f5_render *r;
	const char *pool;
	int limit; /* connectionLimit per member, 0: none */
};

static int add_member(void *ctx, const char *addr, const char *member, int weight)
{
	struct member_ctx *m = ctx;
	json_t *b = json_object();
	json_object_set_new(b, "name", json_string(member));
	json_object_set_new(b, "partition", json_string(m->r->part));
	json_object_set_new(b, "address", json_string(addr));
	json_object_set_new(b, "ratio", json_integer(weight));
	json_object_set_new(b, "connectionLimit", json_integer(m->limit));
	json_object_set_new(b, "description", f5_mark(m->r->rev, 0));
	return f5_add(m->r, F5T_MEMBER, m->pool, member, b);
}

static int render_pool(struct f5_render *r, const weft_resource *svc, const weft_service_port *port,
                       const char *subset)
{
	char path[512];
	const weft_resource *tp = NULL;
	const weft_traffic_policy_spec *pol = f5_traffic_policy(r, svc, subset, &tp);
	f5_pool_path(r, svc, port->port, subset, path, sizeof(path));
	json_t *b = f5_new_body(r, path, 0);
	int least =
	        pol && pol->load_balancer && pol->load_balancer->algorithm == WEFT_LB_LEAST_REQUEST;
	json_object_set_new(b, "loadBalancingMode",
	                    json_string(least ? "ratio-least-connections-member" : "ratio-member"));
	char mon[512] = "none"; /* tmsh's "monitor none" */
	if (pol && pol->health_check)
		f5_full(r, mon, sizeof(mon), tp->ns, tp->name, "hc", NULL);
	json_object_set_new(b, "monitor", json_string(mon));
	if (f5_add(r, F5T_POOL, path, NULL, b))
		return -1;
	struct member_ctx m = {r, path, 0};
	if (pol && pol->connection_pool)
		m.limit = pol->connection_pool->max_connections;
	return f5_each_member(r, svc, port, subset, add_member, &m);
}

static int render_service_pools(struct f5_render *r, const weft_resource *svc)
{
	const weft_service_spec *s = svc->spec;
	for (size_t p = 0; p < s->ports.count; p++) {
		if (render_pool(r, svc, &s->ports.items[p], NULL))
			return -1;
		for (size_t k = 0; k < s->subsets.count; k++)
			if (render_pool(r, svc, &s->ports.items[p], s->subsets.items[k].name))
				return -1;
	}
	return 0;
}

/* ---- monitors and server-ssl profiles ---- */

static long long secs(long long ms, long long def)
{
	return ms ? (ms + 999) / 1000 : def;
}

static int render_monitor(struct f5_render *r, const weft_resource *tp, const weft_health_check *hc)
{
	char path[512];
	f5_full(r, path, sizeof(path), tp->ns, tp->name, "hc", NULL);
	json_t *b = f5_new_body(r, path, 0);
	long long interval = secs(hc->interval_ms, 5);
	json_object_set_new(b, "interval", json_integer(interval));
	/* BIG-IP's rule of thumb: timeout = 3 * interval + 1 when not given. */
	json_object_set_new(b, "timeout", json_integer(secs(hc->timeout_ms, 3 * interval + 1)));
	if (hc->type == WEFT_CHECK_HTTP) {
		char send[600], recv[64];
		/* Monitor strings hold the escapes as text, as tmsh shows them. */
		snprintf(send, sizeof(send),
		         "GET %s HTTP/1.1\\r\\nHost: weft\\r\\nConnection: close\\r\\n\\r\\n",
		         hc->path ? hc->path : "/");
		snprintf(recv, sizeof(recv), "^HTTP/1\\.[01] %d",
		         hc->expected_status ? hc->expected_status : 200);
		json_object_set_new(b, "send", json_string(send));
		json_object_set_new(b, "recv", json_string(recv));
		json_object_set_new(b, "defaultsFrom", json_string("/Common/http"));
		return f5_add(r, F5T_MON_HTTP, path, NULL, b);
	}
	json_object_set_new(b, "defaultsFrom", json_string("/Common/tcp"));
	return f5_add(r, F5T_MON_TCP, path, NULL, b);
}

/* "/a/b/site.crt" -> "/Common/site.crt": TLS files must be installed on the
 * BIG-IP under their base names (docs/adapter-f5.md). */
void f5_cert_name(const char *file, char *buf, size_t len)
{
	const char *base = strrchr(file, '/');
	snprintf(buf, len, "/Common/%s", base ? base + 1 : file);
}

static int render_serverssl(struct f5_render *r, const weft_resource *tp,
                            const weft_client_tls *tls)
{
	char path[512], name[512];
	f5_full(r, path, sizeof(path), tp->ns, tp->name, "serverssl", NULL);
	json_t *b = f5_new_body(r, path, 0);
	json_object_set_new(b, "defaultsFrom", json_string("/Common/serverssl"));
	if (tls->sni)
		json_object_set_new(b, "serverName", json_string(tls->sni));
	if (tls->ca_file) {
		f5_cert_name(tls->ca_file, name, sizeof(name));
		json_object_set_new(b, "caFile", json_string(name));
		json_object_set_new(b, "peerCertMode", json_string("require"));
	}
	if (tls->mode == WEFT_TLS_MUTUAL && tls->cert_file && tls->key_file) {
		f5_cert_name(tls->cert_file, name, sizeof(name));
		json_object_set_new(b, "cert", json_string(name));
		f5_cert_name(tls->key_file, name, sizeof(name));
		json_object_set_new(b, "key", json_string(name));
	}
	return f5_add(r, F5T_SERVERSSL, path, NULL, b);
}

static int render_traffic_policies(struct f5_render *r)
{
	for (size_t i = 0; i < r->sel[WEFT_KIND_TRAFFIC_POLICY].n; i++) {
		const weft_resource *tp = r->sel[WEFT_KIND_TRAFFIC_POLICY].items[i];
		const weft_traffic_policy_spec *s = tp->spec;
		if (s->health_check && render_monitor(r, tp, s->health_check))
			return -1;
		if (s->tls &&
		    (s->tls->mode == WEFT_TLS_SIMPLE || s->tls->mode == WEFT_TLS_MUTUAL) &&
		    render_serverssl(r, tp, s->tls))
			return -1;
	}
	return 0;
}

/* ---- services as groups (see f5_model.h and f5_render_memo.c) ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)v);
	return weft_hash_str(h, b);
}

static int add_group(struct f5_render *r, const char *name, uint64_t hash)
{
	if (r->n_groups == r->cap_groups) {
		size_t cap = r->cap_groups ? r->cap_groups * 2 : 64;
		struct f5_group *g = realloc(r->groups, cap * sizeof(*g));
		if (!g)
			return -1;
		r->groups = g;
		r->cap_groups = cap;
	}
	r->groups[r->n_groups].name = strdup(name);
	r->groups[r->n_groups].hash = hash;
	return r->groups[r->n_groups].name ? (int)r->n_groups++ : -1;
}

/* A Service's pools and members, as one group: taken from the memo when
 * its hash is unchanged: the partition and the model's service hash (the
 * Service and every resource aimed at it, core/model-t.h). */
static int render_service(struct f5_render *r, const weft_resource *svc)
{
	char name[600];
	snprintf(name, sizeof(name), "%s/%s", svc->ns, svc->name);
	const weft_model_service *ms = weft_model_find_service(r->model, svc->ns, svc->name);
	uint64_t h = mix(weft_hash_str(WEFT_HASH_SEED, r->part), ms ? ms->hash : svc->hash);
	int gi = add_group(r, name, h);
	if (gi < 0)
		return weft_err_set(r->err, "render: out of memory");
	size_t first = r->out->n;
	int64_t rev = r->rev;
	const struct f5_memo_group *g = r->memo ? f5_memo_find(r->memo, name, h, &rev) : NULL;
	if (g && f5_memo_add_to(g, r->out, gi, rev != r->rev))
		return weft_err_set(r->err, "device %s/%s: render %s: out of memory", r->dev->ns,
		                    r->dev->name, name);
	if (!g && render_service_pools(r, svc))
		return -1;
	for (size_t i = first; i < r->out->n; i++)
		r->out->objs[i].group = gi;
	if (r->memo &&
	    f5_memo_stage(r->memo, name, h, rev, &r->out->objs[first], r->out->n - first)) {
		f5_memo_release(r->memo, 0); /* go on without */
		r->memo = NULL;
	}
	return 0;
}

static int cmp_group_index(const void *a, const void *b, void *groups)
{
	const struct f5_group *g = groups;
	return strcmp(g[*(const int *)a].name, g[*(const int *)b].name);
}

/* Moves the groups into out, sorted by name (object indexes remapped). */
static int finish_groups(struct f5_render *r)
{
	size_t n = r->n_groups;
	int *order = malloc((n + 1) * sizeof(int)), *where = malloc((n + 1) * sizeof(int));
	struct f5_group *sorted = calloc(n + 1, sizeof(*sorted));
	if (!order || !where || !sorted) {
		free(order);
		free(where);
		free(sorted);
		return weft_err_set(r->err, "render: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	qsort_r(order, n, sizeof(int), cmp_group_index, r->groups);
	for (size_t k = 0; k < n; k++) {
		sorted[k] = r->groups[order[k]];
		where[order[k]] = (int)k;
	}
	for (size_t i = 0; i < r->out->n; i++)
		if (r->out->objs[i].group >= 0)
			r->out->objs[i].group = where[r->out->objs[i].group];
	free(r->groups);
	r->groups = NULL;
	r->n_groups = r->cap_groups = 0;
	r->out->groups = sorted;
	r->out->n_groups = n;
	free(order);
	free(where);
	return 0;
}

/* ---- entry ---- */

/* The device's slice (the snapshot's by-device index), by kind. */
static int select_all(struct f5_render *r, const weft_snapshot *snap)
{
	size_t n;
	weft_resource *const *items = weft_snapshot_by_device(snap, r->dev->ns, r->dev->name, &n);
	for (int k = 0; k < WEFT_KIND_COUNT; k++) {
		r->sel[k].items = calloc(n + 1, sizeof(*r->sel[k].items));
		if (!r->sel[k].items)
			return weft_err_set(r->err, "render: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		r->sel[items[i]->kind].items[r->sel[items[i]->kind].n++] = items[i];
	return 0;
}

static int render_all(struct f5_render *r, const weft_snapshot *snap)
{
	int rc = select_all(r, snap);
	if (!rc)
		rc = f5_render_warnings(r);
	for (size_t i = 0; !rc && i < r->sel[WEFT_KIND_SERVICE].n; i++)
		rc = render_service(r, r->sel[WEFT_KIND_SERVICE].items[i]);
	if (!rc)
		rc = render_traffic_policies(r);
	if (!rc)
		rc = f5_render_gateways(r);
	if (!rc)
		rc = finish_groups(r);
	for (int k = 0; k < WEFT_KIND_COUNT; k++)
		free(r->sel[k].items);
	for (size_t i = 0; i < r->n_groups; i++)
		free(r->groups[i].name);
	free(r->groups);
	return rc;
}

int f5_render_config(struct f5_memos *memos, const weft_snapshot *snap, const weft_resource *dev,
                     struct f5_config **out, weft_err *err)
{
	const weft_device_spec *ds = dev->spec;
	struct f5_render r = {.set = weft_snapshot_policy(snap),
	                      .model = weft_snapshot_model(snap),
	                      .dev = dev,
	                      .rev = weft_snapshot_revision(snap),
	                      .err = err};
	r.part = ds && ds->options && ds->options->partition ? ds->options->partition : "Common";
	r.out = f5_config_new(r.part);
	if (!r.out)
		return weft_err_set(err, "render: out of memory");
	r.out->rev = r.rev;
	r.warnings = &r.out->warnings;
	char key[600];
	snprintf(key, sizeof(key), "%s/%s", dev->ns, dev->name);
	r.memo = f5_memo_acquire(memos, key, r.part);
	int rc = render_all(&r, snap);
	f5_memo_release(r.memo, rc == 0);
	if (rc) {
		f5_config_free(r.out);
		return -1;
	}
	f5_config_sort(r.out);
	*out = r.out;
	return 0;
}
