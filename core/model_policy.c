/* Resolved model, part 2: precedence. Which TrafficPolicy, RateLimit,
 * AccessPolicy, Telemetry and PeerAuthentication is in effect for each
 * service and subset, and for each Route its resolved destinations with
 * normalized weights. The rules are docs/policy.md, "Precedence"; this is
 * the only place that decides them. */
#include <stdio.h>
#include <string.h>

#include "model-int.h"
#include "resource.h"

/* The first resource of each namespace-wide kind (spec.service absent) per
 * namespace. */
struct ns_wide {
	const weft_resource *first[WEFT_KIND_COUNT];
};

static int index_ns_wide(weft_model *m, weft_hmap *map, weft_resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const weft_resource *r = res[i];
		if (r->kind != WEFT_KIND_ACCESS_POLICY && r->kind != WEFT_KIND_TELEMETRY &&
		    r->kind != WEFT_KIND_PEER_AUTHENTICATION)
			continue;
		const weft_ref *ref = r->spec ? weft_model_aimed_service(r) : NULL;
		if (!ref || ref->name)
			continue;
		struct ns_wide *w = weft_hmap_get(map, r->ns);
		if (!w) {
			w = weft_arena_alloc(m->a, sizeof(*w));
			if (!w || weft_hmap_put(map, r->ns, w))
				return -1;
		}
		if (!w->first[r->kind])
			w->first[r->kind] = r;
	}
	return 0;
}

static const weft_resource *first_aimed(const weft_model_service *s, weft_kind k)
{
	return s->aimed[k].count ? s->aimed[k].items[0] : NULL;
}

/* The service's own resource of kind k, else the namespace-wide one. */
static const weft_resource *own_or_ns(const weft_model_service *s, const struct ns_wide *w,
                                      weft_kind k)
{
	const weft_resource *r = first_aimed(s, k);
	return r ? r : w ? w->first[k] : NULL;
}

/* The service-level RateLimit: the first aimed at the service (RateLimits
 * aimed at a Route are the route's). */
static const weft_resource *service_rate_limit(const weft_model_service *s)
{
	for (size_t i = 0; i < s->aimed[WEFT_KIND_RATE_LIMIT].count; i++) {
		const weft_resource *r = s->aimed[WEFT_KIND_RATE_LIMIT].items[i];
		if (((const weft_rate_limit_spec *)r->spec)->service.name)
			return r;
	}
	return NULL;
}

/* The subset's own TrafficPolicy, else the service-wide one (the whole
 * service, subset NULL, only takes a service-wide one). */
static const weft_resource *traffic_policy(const weft_model_service *s, const char *subset)
{
	const weft_resource *whole = NULL;
	for (size_t i = 0; i < s->aimed[WEFT_KIND_TRAFFIC_POLICY].count; i++) {
		const weft_resource *r = s->aimed[WEFT_KIND_TRAFFIC_POLICY].items[i];
		const weft_traffic_policy_spec *tp = r->spec;
		if (!tp->subset && !whole)
			whole = r;
		if (tp->subset && subset && !strcmp(tp->subset, subset))
			return r;
	}
	return whole;
}

int model_resolve_policies(weft_model *m, weft_resource *const *res, size_t n)
{
	weft_hmap map;
	weft_hmap_init(&map);
	int rc = index_ns_wide(m, &map, res, n);
	for (size_t i = 0; !rc && i < m->n_services; i++) {
		weft_model_service *s = &m->services[i];
		const struct ns_wide *w = weft_hmap_get(&map, s->res->ns);
		weft_model_policies base = {
		        .rate_limit = service_rate_limit(s),
		        .access_policy = own_or_ns(s, w, WEFT_KIND_ACCESS_POLICY),
		        .telemetry = own_or_ns(s, w, WEFT_KIND_TELEMETRY),
		        .peer_authentication = own_or_ns(s, w, WEFT_KIND_PEER_AUTHENTICATION),
		};
		for (size_t p = 0; p < s->n_ports; p++)
			for (size_t k = 0; k < s->ports[p].n_subsets; k++) {
				weft_model_subset *sub = &s->ports[p].subsets[k];
				sub->policies = base;
				sub->policies.traffic_policy = traffic_policy(s, sub->name);
			}
	}
	weft_hmap_free(&map);
	return rc;
}

/* ---- routes ---- */

const weft_model_route *weft_model_find_route(const weft_model *m, const char *ns, const char *name)
{
	char key[600];
	return model_key(key, sizeof(key), ns, name) ? NULL : weft_hmap_get(&m->route_index, key);
}

const weft_model_route *weft_model_route_of(const weft_model *m, const weft_resource *route)
{
	return route && route->kind == WEFT_KIND_ROUTE
	               ? weft_model_find_route(m, route->ns, route->name)
	               : NULL;
}

int weft_model_destination_port(const weft_model_destination *d, int hint_port)
{
	if (!d->service || !d->service->n_ports)
		return 0;
	if (d->spec->port)
		return d->spec->port;
	if (hint_port && weft_model_find_port(d->service, hint_port))
		return hint_port;
	return d->service->ports[0].port;
}

static int resolve_rule(weft_model *m, const weft_resource *route, const weft_destinations *ds,
                        weft_model_rule *out)
{
	const weft_route_spec *rs = route->spec;
	out->n_dests = ds->count;
	out->dests = weft_arena_alloc(m->a, (ds->count + 1) * sizeof(*out->dests));
	if (!out->dests)
		return -1;
	for (size_t i = 0; i < ds->count; i++) {
		const weft_destination *d = &ds->items[i];
		weft_model_destination *md = &out->dests[i];
		md->spec = d;
		md->service = model_service_mut(m, d->service.ns ? d->service.ns : route->ns,
		                                d->service.name);
		int port = d->port ? d->port : rs->port;
		md->port = weft_model_find_port(md->service, port);
		if (!md->port && !d->port && md->service && md->service->n_ports == 1)
			md->port = &md->service->ports[0];
		md->subset = weft_model_find_subset(md->port, d->subset);
		/* Validation makes a split's weights sum to 100; one
		 * destination takes everything. */
		md->weight = ds->count == 1 ? 100 : d->has_weight ? d->weight : 0;
	}
	return 0;
}

static int resolve_route(weft_model *m, const weft_resource *r, weft_model_route *mr)
{
	const weft_route_spec *rs = r->spec;
	mr->res = r;
	mr->spec = rs;
	mr->service = rs->service.name
	                      ? model_service_mut(m, rs->service.ns ? rs->service.ns : r->ns,
	                                          rs->service.name)
	                      : NULL;
	mr->n_http = rs->http.count;
	mr->n_tcp = rs->tcp.count;
	mr->http = weft_arena_alloc(m->a, (mr->n_http + 1) * sizeof(*mr->http));
	mr->tcp = weft_arena_alloc(m->a, (mr->n_tcp + 1) * sizeof(*mr->tcp));
	if (!mr->http || !mr->tcp)
		return -1;
	for (size_t i = 0; i < mr->n_http; i++) {
		mr->http[i].http = &rs->http.items[i];
		if (resolve_rule(m, r, &rs->http.items[i].destinations, &mr->http[i]))
			return -1;
	}
	for (size_t i = 0; i < mr->n_tcp; i++) {
		mr->tcp[i].tcp = &rs->tcp.items[i];
		if (resolve_rule(m, r, &rs->tcp.items[i].destinations, &mr->tcp[i]))
			return -1;
	}
	if (mr->service && mr->service->n_ports)
		mr->policies = mr->service->ports[0].subsets[0].policies;
	mr->policies.rate_limit = NULL;
	char buf[600];
	char *key =
	        model_key(buf, sizeof(buf), r->ns, r->name) ? NULL : weft_arena_strdup(m->a, buf);
	return key && !weft_hmap_put(&m->route_index, key, mr) ? 0 : -1;
}

/* A RateLimit aimed at a Route is that route's. */
static void attach_route_rate_limits(weft_model *m, weft_resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (res[i]->kind != WEFT_KIND_RATE_LIMIT || !res[i]->spec)
			continue;
		const weft_rate_limit_spec *rl = res[i]->spec;
		if (!rl->route.name)
			continue;
		weft_model_route *mr = (weft_model_route *)weft_model_find_route(
		        m, rl->route.ns ? rl->route.ns : res[i]->ns, rl->route.name);
		if (mr && !mr->policies.rate_limit)
			mr->policies.rate_limit = res[i];
	}
}

int model_resolve_routes(weft_model *m, weft_resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m->n_routes += res[i]->kind == WEFT_KIND_ROUTE && res[i]->spec;
	m->routes = weft_arena_alloc(m->a, (m->n_routes + 1) * sizeof(*m->routes));
	if (!m->routes)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (res[i]->kind == WEFT_KIND_ROUTE && res[i]->spec &&
		    resolve_route(m, res[i], &m->routes[k++]))
			return -1;
	attach_route_rate_limits(m, res, n);
	return 0;
}
