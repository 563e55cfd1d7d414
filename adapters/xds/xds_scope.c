/* Dependency scoping of sidecar views: the closure of a service's
 * upstreams (xds_scope.h). The closure is built from the snapshot's
 * by-service index:
 *   main services   the proxy's own service and its upstreams: everything
 *                   tied to them (Service, Routes to or for them,
 *                   TrafficPolicies, RateLimits, AccessPolicies, ...);
 *   cluster-only    services a main service's mesh Routes send to: their
 *                   Service and TrafficPolicies (clusters, endpoints),
 *                   not their own Routes (routing happens at the caller);
 *   namespace-wide  AccessPolicies, PeerAuthentications and Telemetries
 *                   without a service, in a main service's namespace;
 *   RateLimits      aimed at an included Route.
 * Everything is intersected with the feed (a Device's slice). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "policy-t.h"
#include "policyset.h"
#include "resource.h"
#include "xds_scope.h"

struct acc {
	weft_resource **items;
	size_t n, cap;
	char **names; /* "NAME.NS" */
	size_t n_names, cap_names;
	int failed;
};

static int key_cmp_res(const void *a, const void *b)
{
	const weft_resource *x = *(weft_resource *const *)a, *y = *(weft_resource *const *)b;
	weft_key k = weft_resource_key(y);
	return weft_resource_cmp_key(x, &k);
}

/* Whether r is served by the feed (d->res is sorted by key). */
static int in_feed(const xds_feed_data *d, const weft_resource *r)
{
	return bsearch(&r, d->res, d->n, sizeof(*d->res), key_cmp_res) != NULL;
}

static void push_res(struct acc *a, weft_resource *r)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		weft_resource **p = realloc(a->items, cap * sizeof(*p));
		if (!p) {
			a->failed = 1;
			return;
		}
		a->items = p;
		a->cap = cap;
	}
	a->items[a->n++] = r;
}

static int has_name(const struct acc *a, const char *name)
{
	for (size_t i = 0; i < a->n_names; i++)
		if (!strcmp(a->names[i], name))
			return 1;
	return 0;
}

/* Adds "NAME.NS"; 1 when it was new. */
static int push_name(struct acc *a, const char *ns, const char *name)
{
	char *s = NULL;
	if (asprintf(&s, "%s.%s", name, ns) < 0) {
		a->failed = 1;
		return 0;
	}
	if (has_name(a, s)) {
		free(s);
		return 0;
	}
	if (a->n_names == a->cap_names) {
		size_t cap = a->cap_names ? a->cap_names * 2 : 16;
		char **p = realloc(a->names, cap * sizeof(*p));
		if (!p) {
			free(s);
			a->failed = 1;
			return 0;
		}
		a->names = p;
		a->cap_names = cap;
	}
	a->names[a->n_names++] = s;
	return 1;
}

static int ref_is(const weft_ref *ref, const char *ns, const char *name)
{
	return ref->name && !strcmp(ref->name, name) && !strcmp(ref->ns, ns);
}

static void add_cluster_only(struct acc *a, const xds_feed_data *d, const weft_ref *svc)
{
	size_t n;
	weft_resource *const *items = weft_snapshot_by_service(d->snap, svc->ns, svc->name, &n);
	for (size_t i = 0; i < n; i++)
		if ((items[i]->kind == WEFT_KIND_SERVICE ||
		     items[i]->kind == WEFT_KIND_TRAFFIC_POLICY) &&
		    in_feed(d, items[i]))
			push_res(a, items[i]);
	push_name(a, svc->ns, svc->name);
}

/* A main service: everything tied to it, and the destinations of the
 * Routes that are for it. */
static void add_main(struct acc *a, const xds_feed_data *d, const char *ns, const char *name)
{
	size_t n;
	weft_resource *const *items = weft_snapshot_by_service(d->snap, ns, name, &n);
	push_name(a, ns, name);
	for (size_t i = 0; i < n; i++) {
		weft_resource *r = items[i];
		if (!in_feed(d, r))
			continue;
		push_res(a, r);
		if (r->kind != WEFT_KIND_ROUTE || !r->spec)
			continue;
		const weft_route_spec *rs = r->spec;
		if (!ref_is(&rs->service, ns, name))
			continue;
		for (size_t k = 0; k < rs->http.count; k++)
			for (size_t j = 0; j < rs->http.items[k].destinations.count; j++)
				add_cluster_only(a, d,
				                 &rs->http.items[k].destinations.items[j].service);
		for (size_t k = 0; k < rs->tcp.count; k++)
			for (size_t j = 0; j < rs->tcp.items[k].destinations.count; j++)
				add_cluster_only(a, d,
				                 &rs->tcp.items[k].destinations.items[j].service);
	}
}

static int sorted_has(weft_resource **items, size_t n, const weft_resource *r)
{
	return bsearch(&r, items, n, sizeof(*items), key_cmp_res) != NULL;
}

/* Namespace-wide policies of the main namespaces and RateLimits on an
 * included Route. a->items must be sorted and unique. */
static void add_policies(struct acc *a, const xds_feed_data *d, const weft_refs *mains,
                         const char *own_ns)
{
	const weft_policyset *set = weft_snapshot_policy(d->snap);
	static const weft_kind wide[] = {WEFT_KIND_ACCESS_POLICY, WEFT_KIND_PEER_AUTHENTICATION,
	                                 WEFT_KIND_TELEMETRY};
	size_t sorted = a->n;
	for (size_t w = 0; w < sizeof(wide) / sizeof(wide[0]); w++) {
		size_t n;
		weft_resource *const *items = weft_policyset_kind(set, wide[w], &n);
		for (size_t i = 0; i < n; i++) {
			const weft_ref *svc =
			        items[i]->spec ? weft_model_aimed_service(items[i]) : NULL;
			if (!svc || svc->name || !in_feed(d, items[i]))
				continue;
			int ours = !strcmp(items[i]->ns, own_ns);
			for (size_t m = 0; !ours && m < mains->count; m++)
				ours = !strcmp(items[i]->ns, mains->items[m].ns);
			if (ours)
				push_res(a, items[i]);
		}
	}
	size_t n;
	weft_resource *const *rls = weft_policyset_kind(set, WEFT_KIND_RATE_LIMIT, &n);
	for (size_t i = 0; i < n && !a->failed; i++) {
		const weft_rate_limit_spec *rl = rls[i]->spec;
		if (!rl || !rl->route.name || !in_feed(d, rls[i]))
			continue;
		const weft_resource *route =
		        weft_policyset_find(set, WEFT_KIND_ROUTE, rl->route.ns, rl->route.name);
		if (route && sorted_has(a->items, sorted, route))
			push_res(a, rls[i]);
	}
}

/* Sorts by key and drops duplicates. */
static void sort_unique(struct acc *a)
{
	if (!a->n)
		return;
	qsort(a->items, a->n, sizeof(*a->items), key_cmp_res);
	size_t w = 1;
	for (size_t i = 1; i < a->n; i++)
		if (a->items[i] != a->items[w - 1])
			a->items[w++] = a->items[i];
	a->n = w;
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int xds_scope_build(const xds_feed_data *d, const char *own_ns, const char *own_name, xds_scope *sc)
{
	const weft_resource *own = weft_policyset_find(weft_snapshot_policy(d->snap),
	                                               WEFT_KIND_SERVICE, own_ns, own_name);
	const weft_service_spec *spec = own ? own->spec : NULL;
	if (!spec || !spec->upstreams.count || !in_feed(d, own))
		return 0;
	struct acc a = {0};
	add_main(&a, d, own_ns, own_name);
	for (size_t i = 0; i < spec->upstreams.count; i++)
		add_main(&a, d, spec->upstreams.items[i].ns, spec->upstreams.items[i].name);
	sort_unique(&a);
	add_policies(&a, d, &spec->upstreams, own_ns);
	sort_unique(&a);
	memset(sc, 0, sizeof(*sc));
	if (!a.failed && asprintf(&sc->own, "%s.%s", own_name, own_ns) < 0)
		a.failed = 1;
	if (a.failed) {
		free(a.items);
		for (size_t i = 0; i < a.n_names; i++)
			free(a.names[i]);
		free(a.names);
		free(sc->own);
		sc->own = NULL;
		return -1;
	}
	qsort(a.names, a.n_names, sizeof(*a.names), str_cmp);
	sc->services = a.names;
	sc->n_services = a.n_names;
	sc->res = a.items;
	sc->n_res = a.n;
	return 1;
}

void xds_scope_free(xds_scope *sc)
{
	for (size_t i = 0; i < sc->n_services; i++)
		free(sc->services[i]);
	free(sc->services);
	free(sc->res);
	free(sc->own);
	memset(sc, 0, sizeof(*sc));
}

/* The "NAME.NS" part of "DIR|PORT|SUBSET|NAME.NS", or NULL. */
static const char *cluster_service(const char *name)
{
	const char *p = name;
	for (int bars = 0; bars < 3; bars++) {
		p = strchr(p, '|');
		if (!p)
			return NULL;
		p++;
	}
	return p;
}

int xds_scope_wants(const xds_scope *sc, const char *name)
{
	int outbound = !strncmp(name, "outbound|", 9), inbound = !strncmp(name, "inbound|", 8);
	const char *svc = outbound || inbound ? cluster_service(name) : NULL;
	if (!svc)
		return 1;
	if (inbound)
		return !strcmp(svc, sc->own);
	return bsearch(&svc, sc->services, sc->n_services, sizeof(char *), str_cmp) != NULL;
}

struct index_entry {
	const char *service; /* into the resource name */
	uint32_t item;
	uint8_t inbound;
};

struct xds_scope_index {
	xds_resset *set;
	struct index_entry *e;
	size_t n;
	uint32_t *always; /* items of no service */
	size_t n_always;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct index_entry *x = a, *y = b;
	int c = strcmp(x->service, y->service);
	return c ? c : (int)x->inbound - (int)y->inbound;
}

xds_scope_index *xds_scope_index_new(xds_resset *full)
{
	xds_scope_index *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->e = calloc(full->count + 1, sizeof(*x->e));
	x->always = calloc(full->count + 1, sizeof(*x->always));
	if (!x->e || !x->always) {
		free(x->e);
		free(x->always);
		free(x);
		return NULL;
	}
	for (size_t i = 0; i < full->count; i++) {
		const char *name = full->items[i]->name;
		int outbound = !strncmp(name, "outbound|", 9),
		    inbound = !strncmp(name, "inbound|", 8);
		const char *svc = outbound || inbound ? cluster_service(name) : NULL;
		if (svc)
			x->e[x->n++] = (struct index_entry){svc, (uint32_t)i, (uint8_t)inbound};
		else
			x->always[x->n_always++] = (uint32_t)i;
	}
	qsort(x->e, x->n, sizeof(*x->e), entry_cmp);
	x->set = xds_resset_ref(full);
	return x;
}

void xds_scope_index_free(xds_scope_index *x)
{
	if (!x)
		return;
	xds_resset_unref(x->set);
	free(x->e);
	free(x->always);
	free(x);
}

/* Appends the items of (service, inbound) to out. */
static size_t index_range(const xds_scope_index *x, const char *svc, int inbound, uint32_t *out)
{
	size_t lo = 0, hi = x->n, n = 0;
	struct index_entry key = {svc, 0, (uint8_t)inbound};
	while (lo < hi) { /* first entry >= key */
		size_t mid = (lo + hi) / 2;
		if (entry_cmp(&x->e[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < x->n && !entry_cmp(&x->e[i], &key); i++)
		out[n++] = x->e[i].item;
	return n;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

xds_resset *xds_scope_filter(const xds_scope *sc, const xds_scope_index *x, const xds_resset *pred)
{
	xds_resset *out = xds_resset_new();
	uint32_t *pick = calloc(x->set->count + 1, sizeof(*pick));
	if (!out || !pick) {
		free(pick);
		xds_resset_unref(out);
		return NULL;
	}
	size_t n = x->n_always;
	memcpy(pick, x->always, n * sizeof(*pick));
	for (size_t i = 0; i < sc->n_services; i++)
		n += index_range(x, sc->services[i], 0, pick + n);
	n += index_range(x, sc->own, 1, pick + n);
	qsort(pick, n, sizeof(*pick), u32_cmp); /* set order: by name */
	int failed = 0;
	for (size_t i = 0; i < n && !failed; i++)
		failed = xds_resset_add(out, xds_res_ref(x->set->items[pick[i]]));
	free(pick);
	if (failed || xds_resset_seal(out, pred)) {
		xds_resset_unref(out);
		return NULL;
	}
	return out;
}
