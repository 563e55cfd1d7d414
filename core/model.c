/* Resolved model, part 1: services. Indexes the resources aimed at each
 * Service, then resolves per service port, per subset and per network
 * plane the effective endpoints with their ports and weights (model.h).
 * The policies in effect and the routes are resolved in model_policy.c.
 * Everything is allocated in one arena owned by the model. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "hmap.h"
#include "model-int.h"
#include "resource.h"

/* "ns/name" into buf (no printf: this runs for every resource of every
 * compile). 0, or -1 when it does not fit. */
int model_key(char *buf, size_t len, const char *ns, const char *name)
{
	size_t a = strlen(ns), b = strlen(name);
	if (a + b + 2 > len)
		return -1;
	memcpy(buf, ns, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b + 1);
	return 0;
}

static char *key_of(weft_arena *a, const char *ns, const char *name)
{
	char key[600];
	return model_key(key, sizeof(key), ns, name) ? NULL : weft_arena_strdup(a, key);
}

const weft_model_service *weft_model_services(const weft_model *m, size_t *n)
{
	*n = m->n_services;
	return m->services;
}

weft_model_service *model_service_mut(const weft_model *m, const char *ns, const char *name)
{
	char key[600];
	if (!ns || !name || model_key(key, sizeof(key), ns, name))
		return NULL;
	return weft_hmap_get(&m->service_index, key);
}

const weft_model_service *weft_model_find_service(const weft_model *m, const char *ns,
                                                  const char *name)
{
	return model_service_mut(m, ns, name);
}

const weft_model_port *weft_model_find_port(const weft_model_service *s, int port)
{
	for (size_t i = 0; s && i < s->n_ports; i++)
		if (!port || s->ports[i].port == port)
			return &s->ports[i];
	return NULL;
}

const weft_model_subset *weft_model_find_subset(const weft_model_port *p, const char *name)
{
	if (!p)
		return NULL;
	if (!name)
		return &p->subsets[0];
	for (size_t i = 1; i < p->n_subsets; i++)
		if (!strcmp(p->subsets[i].name, name))
			return &p->subsets[i];
	return NULL;
}

const weft_model_endpoints *weft_model_endpoints_on(const weft_model_subset *s, const char *plane)
{
	for (size_t i = 1; plane && i < s->n_planes; i++)
		if (!strcmp(s->planes[i].plane, plane))
			return &s->planes[i];
	return &s->planes[0];
}

/* ---- aimed resources ---- */

const weft_ref *weft_model_aimed_service(const weft_resource *r)
{
	switch (r->kind) {
	case WEFT_KIND_ROUTE:
		return &((const weft_route_spec *)r->spec)->service;
	case WEFT_KIND_TRAFFIC_POLICY:
		return &((const weft_traffic_policy_spec *)r->spec)->service;
	case WEFT_KIND_RATE_LIMIT:
		return &((const weft_rate_limit_spec *)r->spec)->service;
	case WEFT_KIND_ACCESS_POLICY:
		return &((const weft_access_policy_spec *)r->spec)->service;
	case WEFT_KIND_PEER_AUTHENTICATION:
		return &((const weft_peer_authentication_spec *)r->spec)->service;
	case WEFT_KIND_TELEMETRY:
		return &((const weft_telemetry_spec *)r->spec)->service;
	default:
		return NULL;
	}
}

/* The service a resource is aimed at (its spec.service), or NULL. */
static weft_model_service *aimed_at(const weft_model *m, const weft_resource *r)
{
	const weft_ref *ref = r->spec ? weft_model_aimed_service(r) : NULL;
	if (!ref || !ref->name)
		return NULL;
	return model_service_mut(m, ref->ns ? ref->ns : r->ns, ref->name);
}

/* Two passes (count, then fill) so that each list is one arena block. */
static int index_aimed(weft_model *m, weft_resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		weft_model_service *s = aimed_at(m, res[i]);
		if (s)
			s->aimed[res[i]->kind].count++;
	}
	for (size_t k = 0; k < m->n_services; k++)
		for (int kind = 0; kind < WEFT_KIND_COUNT; kind++) {
			size_t c = m->services[k].aimed[kind].count;
			m->services[k].aimed[kind].items =
			        weft_arena_alloc(m->a, (c + 1) * sizeof(weft_resource *));
			if (!m->services[k].aimed[kind].items)
				return -1;
			m->services[k].aimed[kind].count = 0;
		}
	for (size_t i = 0; i < n; i++) {
		weft_model_service *s = aimed_at(m, res[i]);
		if (s)
			s->aimed[res[i]->kind].items[s->aimed[res[i]->kind].count++] = res[i];
	}
	return 0;
}

/* ---- endpoints per port, subset and plane ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* WEFT_PLANE_DEFAULT, then every other plane an endpoint names, sorted. */
static int collect_planes(weft_arena *a, weft_model_service *s, const weft_endpoint *eps,
                          size_t n_eps)
{
	size_t cap = 1;
	for (size_t i = 0; i < n_eps; i++)
		cap += eps[i].addresses.count;
	const char **planes = weft_arena_alloc(a, cap * sizeof(*planes));
	if (!planes)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < n_eps; i++)
		for (size_t k = 0; k < eps[i].addresses.count; k++)
			if (strcmp(eps[i].addresses.items[k].key, WEFT_PLANE_DEFAULT))
				planes[n++] = eps[i].addresses.items[k].key;
	qsort(planes, n, sizeof(*planes), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(planes[u - 1], planes[i]))
			planes[u++] = planes[i];
	memmove(planes + 1, planes, u * sizeof(*planes));
	planes[0] = WEFT_PLANE_DEFAULT;
	s->planes = planes;
	s->n_planes = u + 1;
	return 0;
}

/* Per service, computed once for all its ports: each endpoint's address
 * on each plane, and which subsets it belongs to. */
struct ep_facts {
	const char **addr; /* [plane * n_eps + i], NULL: none */
	unsigned char *in; /* [subset * n_eps + i], subset 0 = whole */
};

static int ep_facts(weft_arena *a, const weft_model_service *s, const weft_endpoint *eps,
                    size_t n_eps, struct ep_facts *f)
{
	size_t n_sub = s->spec->subsets.count + 1;
	f->addr = weft_arena_alloc(a, (s->n_planes * n_eps + 1) * sizeof(*f->addr));
	f->in = weft_arena_alloc(a, n_sub * n_eps + 1);
	if (!f->addr || !f->in)
		return -1;
	for (size_t pl = 0; pl < s->n_planes; pl++)
		for (size_t i = 0; i < n_eps; i++)
			f->addr[pl * n_eps + i] = weft_endpoint_address_on(&eps[i], s->planes[pl]);
	for (size_t k = 0; k < n_sub; k++)
		for (size_t i = 0; i < n_eps; i++)
			f->in[k * n_eps + i] =
			        !k || weft_labels_match(&s->spec->subsets.items[k - 1].labels,
			                                &eps[i].labels);
	return 0;
}

static int resolve_endpoints(weft_arena *a, const weft_model_service *s,
                             const weft_model_port *port, size_t k, weft_model_subset *sub,
                             const weft_endpoint *eps, size_t n_eps, int from_registry,
                             const struct ep_facts *f)
{
	sub->n_planes = s->n_planes;
	sub->planes = weft_arena_alloc(a, s->n_planes * sizeof(*sub->planes));
	size_t members = 0;
	for (size_t i = 0; i < n_eps; i++)
		members += f->in[k * n_eps + i];
	if (!sub->planes)
		return -1;
	for (size_t pl = 0; pl < s->n_planes; pl++) {
		weft_model_endpoints *out = &sub->planes[pl];
		out->plane = s->planes[pl];
		out->items = weft_arena_alloc(a, (members + 1) * sizeof(*out->items));
		if (!out->items)
			return -1;
		for (size_t i = 0; i < n_eps; i++) {
			const char *addr = f->addr[pl * n_eps + i];
			if (!addr || !f->in[k * n_eps + i])
				continue;
			const weft_endpoint *e = &eps[i];
			weft_model_endpoint *me = &out->items[out->count++];
			me->address = addr;
			me->port = weft_endpoint_port_for(e, port->spec);
			me->weight = e->weight > 0 ? e->weight : 1;
			me->zone = e->zone;
			me->source = from_registry ? NULL : e;
			out->weighted |= me->weight != out->items[0].weight;
			out->weight_sum += me->weight;
		}
	}
	return 0;
}

static void block_unref(struct model_block *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		weft_arena_free(b->a);
		free(b);
	}
}

/* The ports and subsets of a service, their endpoint lists taken from
 * `from` (a previous model's same service) or resolved into a new block. */
static int resolve_ports(weft_model *m, weft_model_service *s, const weft_model_service *from,
                         weft_arena *a, const weft_endpoint *eps, size_t n_eps, int from_registry)
{
	const weft_service_spec *spec = s->spec;
	struct ep_facts facts = {0};
	if (!from && (collect_planes(a, s, eps, n_eps) || ep_facts(a, s, eps, n_eps, &facts)))
		return -1;
	s->n_ports = spec->ports.count;
	s->ports = weft_arena_alloc(m->a, (s->n_ports + 1) * sizeof(*s->ports));
	if (!s->ports)
		return -1;
	for (size_t p = 0; p < s->n_ports; p++) {
		weft_model_port *mp = &s->ports[p];
		mp->spec = &spec->ports.items[p];
		mp->port = mp->spec->port;
		mp->target_port = mp->spec->target_port ? mp->spec->target_port : mp->port;
		mp->protocol = mp->spec->protocol != WEFT_PROTO_UNSET ? mp->spec->protocol
		                                                      : spec->protocol;
		mp->n_subsets = spec->subsets.count + 1;
		mp->subsets = weft_arena_alloc(m->a, mp->n_subsets * sizeof(*mp->subsets));
		if (!mp->subsets)
			return -1;
		for (size_t k = 0; k < mp->n_subsets; k++) {
			weft_model_subset *sub = &mp->subsets[k];
			sub->spec = k ? &spec->subsets.items[k - 1] : NULL;
			sub->name = sub->spec ? sub->spec->name : NULL;
			if (from) {
				sub->planes = from->ports[p].subsets[k].planes;
				sub->n_planes = from->ports[p].subsets[k].n_planes;
			} else if (resolve_endpoints(a, s, mp, k, sub, eps, n_eps, from_registry,
			                             &facts))
				return -1;
		}
	}
	return 0;
}

/* Endpoint lists depend on the Service resource alone (and the endpoint
 * table): a Service whose resource object is the previous model's shares
 * that model's block instead of resolving them again, so a one-endpoint
 * change recompiles one service's endpoints, not all of them. */
static int resolve_service(weft_model *m, size_t idx, const weft_endpoint_table *table,
                           const weft_model *prev)
{
	weft_model_service *s = &m->services[idx];
	const weft_service_spec *spec = s->spec;
	const weft_model_service *old =
	        prev ? model_service_mut(prev, s->res->ns, s->res->name) : NULL;
	if (old && old->res == s->res && !spec->registry) {
		struct model_block *b = prev->blocks[old - prev->services];
		atomic_fetch_add(&b->refs, 1);
		m->blocks[idx] = b;
		s->planes = old->planes;
		s->n_planes = old->n_planes;
		return resolve_ports(m, s, old, NULL, NULL, 0, 0);
	}
	const weft_endpoint *eps = spec->endpoints.items;
	size_t n_eps = spec->endpoints.count;
	int from_registry = 0;
	if (spec->registry && table && table->lookup) {
		size_t n = 0;
		const weft_endpoint *r = table->lookup(table->arg, s->res, &n);
		if (r) {
			eps = r;
			n_eps = n;
			from_registry = 1;
		}
	}
	struct model_block *b = calloc(1, sizeof(*b));
	if (!b || !(b->a = weft_arena_new())) {
		free(b);
		return -1;
	}
	atomic_init(&b->refs, 1);
	m->blocks[idx] = b;
	return resolve_ports(m, s, NULL, b->a, eps, n_eps, from_registry);
}

static uint64_t hash_service(const weft_model_service *s)
{
	uint64_t h = weft_hash_bytes(WEFT_HASH_SEED, &s->res->hash, sizeof(s->res->hash));
	for (int k = 0; k < WEFT_KIND_COUNT; k++)
		for (size_t i = 0; i < s->aimed[k].count; i++)
			h = weft_hash_bytes(h, &s->aimed[k].items[i]->hash,
			                    sizeof(s->aimed[k].items[i]->hash));
	return h;
}

/* ---- compile ---- */

static int add_services(weft_model *m, weft_resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m->n_services += res[i]->kind == WEFT_KIND_SERVICE && res[i]->spec;
	m->services = weft_arena_alloc(m->a, (m->n_services + 1) * sizeof(*m->services));
	m->blocks = calloc(m->n_services + 1, sizeof(*m->blocks));
	if (!m->services || !m->blocks)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (res[i]->kind != WEFT_KIND_SERVICE || !res[i]->spec)
			continue;
		weft_model_service *s = &m->services[k++];
		s->res = res[i];
		s->spec = res[i]->spec;
		char *key = key_of(m->a, res[i]->ns, res[i]->name);
		if (!key || weft_hmap_put(&m->service_index, key, s))
			return -1;
	}
	return 0;
}

weft_model *weft_model_compile(weft_resource *const *res, size_t n,
                               const weft_endpoint_table *endpoints, const weft_model *prev,
                               weft_err *err)
{
	weft_model *m = calloc(1, sizeof(*m));
	if (!m) {
		weft_err_set(err, "model: out of memory");
		return NULL;
	}
	weft_hmap_init(&m->service_index);
	weft_hmap_init(&m->route_index);
	int rc = (m->a = weft_arena_new()) ? 0 : -1;
	if (!rc)
		rc = add_services(m, res, n);
	if (!rc)
		rc = index_aimed(m, res, n);
	for (size_t i = 0; !rc && i < m->n_services; i++) {
		rc = resolve_service(m, i, endpoints, prev);
		m->services[i].hash = hash_service(&m->services[i]);
	}
	if (!rc)
		rc = model_resolve_policies(m, res, n);
	if (!rc)
		rc = model_resolve_routes(m, res, n);
	if (rc) {
		weft_model_free(m);
		weft_err_set(err, "model: out of memory");
		return NULL;
	}
	return m;
}

void weft_model_free(weft_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->blocks && i < m->n_services; i++)
		block_unref(m->blocks[i]);
	free(m->blocks);
	weft_hmap_free(&m->service_index);
	weft_hmap_free(&m->route_index);
	weft_arena_free(m->a);
	free(m);
}
