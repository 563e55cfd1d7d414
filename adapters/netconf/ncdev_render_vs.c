/* render, part 2: every listener of every selected Gateway (with an
 * address) becomes a virtual-service NS_GATEWAY_LISTENER:
 *   address/port     the gateway's address, the listener's port
 *   protocol         http, https; tcp for tcp and tls listeners
 *   pool             its own pool NS_GATEWAY_LISTENER holding the
 *                    destinations of the listener's first route: for HTTP
 *                    the catch-all rule (no match), else the last rule; for
 *                    TCP the first rule. Members are the destination
 *                    service's endpoints (subset labels applied), weight =
 *                    destination weight (%) x endpoint weight, so an 80/20
 *                    canary keeps its split (clamped to 1..1000)
 *   tls-profile      for https/tls listeners: NS_GATEWAY_LISTENER with the
 *                    certificate and key file names; mtls when the listener
 *                    is MUTUAL (ca-bundle = its caFile) or a
 *                    PeerAuthentication for the destination service (or its
 *                    namespace) says STRICT (require) / PERMISSIVE
 *                    (optional); ca-bundle "weft-mesh-ca" when no caFile
 *   rate-limit       a RateLimit on the destination service or the route
 *   acl              an AccessPolicy on the destination service, else a
 *                    namespace-wide one of its namespace
 *   connection-limit the destination's TrafficPolicy maxConnections
 * L7 match rules, retries, faults and rewrites have no weft-lb equivalent.
 * Pure: no I/O. */
#include <stdio.h>
#include <string.h>

#include "ncdev_render.h"
#include "policy.h"
#include "resource.h"

/* The rule whose destinations feed the listener's pool. */
static const weft_destinations *route_destinations(const weft_route_spec *rs)
{
	if (rs->tcp.count)
		return &rs->tcp.items[0].destinations;
	for (size_t i = 0; i < rs->http.count; i++)
		if (!rs->http.items[i].match.count)
			return &rs->http.items[i].destinations;
	return rs->http.count ? &rs->http.items[rs->http.count - 1].destinations : NULL;
}

static const weft_service_port *service_port(const weft_service_spec *s, int port)
{
	for (size_t i = 0; i < s->ports.count; i++)
		if (!port || s->ports.items[i].port == port)
			return &s->ports.items[i];
	return NULL;
}

static const weft_labels *subset_labels(const weft_service_spec *s, const char *subset)
{
	for (size_t i = 0; subset && i < s->subsets.count; i++)
		if (!strcmp(s->subsets.items[i].name, subset))
			return &s->subsets.items[i].labels;
	return NULL;
}

static int render_members(struct ncdev_render *r, const char *pool, const weft_resource *svc,
                          const weft_destination *d, int share)
{
	const weft_service_spec *s = svc->spec;
	const weft_service_port *port = service_port(s, d->port);
	const weft_labels *sel = subset_labels(s, d->subset);
	if (!port || (d->subset && !sel))
		return 0; /* validation refuses these; render nothing */
	for (size_t i = 0; i < s->endpoints.count; i++) {
		const weft_endpoint *ep = &s->endpoints.items[i];
		const char *addr = ncdev_endpoint_address(ep);
		if (!addr || (sel && !weft_labels_match(sel, &ep->labels)))
			continue;
		int w = share * (ep->weight > 0 ? ep->weight : 1);
		char wv[16], mp[16];
		snprintf(wv, sizeof(wv), "%d", w < 1 ? 1 : w > 1000 ? 1000 : w);
		snprintf(mp, sizeof(mp), "%d", ncdev_endpoint_port(ep, port));
		if (ncdev_put(r, wv,
		              "/weft-lb:lb/pool[name='%s']/member[address='%s'][port='%s']/weight",
		              pool, addr, mp))
			return -1;
	}
	return 0;
}

/* The listener's pool; *first gets the first destination's service. */
static int render_listener_pool(struct ncdev_render *r, const char *pool,
                                const weft_resource *route, const weft_resource **first)
{
	const weft_destinations *ds = route_destinations(route->spec);
	*first = NULL;
	int weighted = 0;
	for (size_t i = 0; ds && i < ds->count; i++) {
		const weft_destination *d = &ds->items[i];
		const weft_resource *svc = ncdev_find(r, WEFT_KIND_SERVICE, &d->service, route->ns);
		if (!svc)
			continue;
		if (!*first)
			*first = svc;
		int share = d->has_weight ? d->weight : 100 / (int)ds->count;
		weighted |= ds->count > 1;
		if (share > 0 && render_members(r, pool, svc, d, share))
			return -1;
	}
	const weft_traffic_policy_spec *tp = *first ? ncdev_traffic_policy(r, *first) : NULL;
	const char *hash_key, *method = ncdev_method(tp, weighted, &hash_key);
	const char *base = "/weft-lb:lb/pool[name='%s']/%s";
	if (ncdev_put(r, method, base, pool, "method") ||
	    (hash_key && ncdev_put(r, hash_key, base, pool, "hash-key")))
		return -1;
	return 0;
}

/* A selected resource of kind aimed at svc (or, with ns_wide, at svc's
 * whole namespace: no service set), or NULL. */
static const weft_resource *aimed_at(const struct ncdev_render *r, weft_kind kind,
                                     const weft_resource *svc, const weft_resource *route)
{
	const weft_resource *ns_wide = NULL;
	for (size_t i = 0; svc && i < r->n_sel; i++) {
		const weft_resource *x = r->sel[i];
		if (x->kind != kind)
			continue;
		const weft_ref *ref = NULL, *rt = NULL;
		if (kind == WEFT_KIND_RATE_LIMIT) {
			ref = &((const weft_rate_limit_spec *)x->spec)->service;
			rt = &((const weft_rate_limit_spec *)x->spec)->route;
		} else if (kind == WEFT_KIND_ACCESS_POLICY)
			ref = &((const weft_access_policy_spec *)x->spec)->service;
		else
			ref = &((const weft_peer_authentication_spec *)x->spec)->service;
		if (ncdev_ref_is(ref, x->ns, svc) || (rt && ncdev_ref_is(rt, x->ns, route)))
			return x;
		if (!ref->name && !(rt && rt->name) && !strcmp(x->ns, svc->ns) && !ns_wide)
			ns_wide = x;
	}
	return kind == WEFT_KIND_RATE_LIMIT ? NULL : ns_wide;
}

static int render_tls(struct ncdev_render *r, const char *name, const weft_listener *l,
                      const weft_resource *svc)
{
	const weft_listener_tls *t = l->tls;
	const char *base = "/weft-lb:lb/tls-profile[name='%s']/%s";
	if (ncdev_put(r, t->certificate ? t->certificate->cert_file : name, base, name,
	              "certificate") ||
	    ncdev_put(r, t->certificate ? t->certificate->key_file : name, base, name,
	              "private-key"))
		return -1;
	const char *mode = t->mode == WEFT_SERVER_TLS_MUTUAL ? "require" : NULL;
	const weft_resource *pa = aimed_at(r, WEFT_KIND_PEER_AUTHENTICATION, svc, NULL);
	if (!mode && pa) {
		weft_mtls_mode m = ((const weft_peer_authentication_spec *)pa->spec)->mode;
		mode = m == WEFT_MTLS_STRICT       ? "require"
		       : m == WEFT_MTLS_PERMISSIVE ? "optional"
		                                   : NULL;
	}
	if (!mode)
		return 0;
	if (ncdev_put(r, mode, base, name, "mtls/mode") ||
	    ncdev_put(r, t->ca_file ? t->ca_file : "weft-mesh-ca", base, name, "mtls/ca-bundle"))
		return -1;
	return 0;
}

static int render_listener(struct ncdev_render *r, const weft_resource *gw, const weft_listener *l)
{
	const weft_gateway_spec *g = gw->spec;
	const weft_resource *route =
	        l->routes.count ? ncdev_find(r, WEFT_KIND_ROUTE, &l->routes.items[0], gw->ns)
	                        : NULL;
	if (!route)
		return 0; /* a virtual service needs a pool: nothing to serve */
	char name[80], port[16];
	ncdev_name(name, sizeof(name), gw->ns, gw->name, l->name, NULL);
	const weft_resource *svc;
	if (render_listener_pool(r, name, route, &svc))
		return -1;
	const char *base = "/weft-lb:lb/virtual-service[name='%s']/%s";
	const char *proto = l->protocol == WEFT_LISTENER_HTTP    ? "http"
	                    : l->protocol == WEFT_LISTENER_HTTPS ? "https"
	                                                         : "tcp";
	snprintf(port, sizeof(port), "%d", l->port);
	if (ncdev_put(r, g->address, base, name, "address") ||
	    ncdev_put(r, port, base, name, "port") || ncdev_put(r, proto, base, name, "protocol") ||
	    ncdev_put(r, name, base, name, "pool"))
		return -1;
	if (l->tls &&
	    (render_tls(r, name, l, svc) || ncdev_put(r, name, base, name, "tls-profile")))
		return -1;
	char obj[80];
	const weft_resource *rl = aimed_at(r, WEFT_KIND_RATE_LIMIT, svc, route);
	if (rl) {
		ncdev_object_name(rl, obj, sizeof(obj));
		if (ncdev_put(r, obj, base, name, "rate-limit"))
			return -1;
	}
	const weft_resource *ap = aimed_at(r, WEFT_KIND_ACCESS_POLICY, svc, route);
	if (ap) {
		ncdev_object_name(ap, obj, sizeof(obj));
		if (ncdev_put(r, obj, base, name, "acl"))
			return -1;
	}
	const weft_traffic_policy_spec *tp = svc ? ncdev_traffic_policy(r, svc) : NULL;
	if (tp && tp->connection_pool && tp->connection_pool->max_connections) {
		char v[16];
		snprintf(v, sizeof(v), "%d", tp->connection_pool->max_connections);
		if (ncdev_put(r, v, base, name, "connection-limit"))
			return -1;
	}
	return 0;
}

int ncdev_render_gateways(struct ncdev_render *r)
{
	for (size_t i = 0; i < r->n_sel; i++) {
		const weft_resource *gw = r->sel[i];
		if (gw->kind != WEFT_KIND_GATEWAY)
			continue;
		const weft_gateway_spec *g = gw->spec;
		for (size_t j = 0; g->address && j < g->listeners.count; j++)
			if (render_listener(r, gw, &g->listeners.items[j]))
				return -1;
	}
	return 0;
}
