/* render, part 2: every listener of every selected Gateway (with an
 * address) becomes a virtual-service NS_GATEWAY_LISTENER:
 *   address/port     the gateway's address, the listener's port
 *   protocol         http, https; tcp for tcp and tls listeners
 *   pool             its own pool NS_GATEWAY_LISTENER holding the
 *                    destinations of the listener's first route: for HTTP
 *                    the catch-all rule (no match), else the last rule; for
 *                    TCP the first rule. Members are the model's endpoints
 *                    of the destination's subset (core/model.h), weight =
 *                    normalized destination weight (%) x endpoint weight,
 *                    so an 80/20 canary keeps its split (clamped to
 *                    1..1000); the TrafficPolicy in effect for the first
 *                    destination's subset sets the method
 *   tls-profile      for https/tls listeners: NS_GATEWAY_LISTENER with the
 *                    certificate and key file names; mtls when the listener
 *                    is MUTUAL (ca-bundle = its caFile) or a
 *                    PeerAuthentication for the destination service (or its
 *                    namespace) says STRICT (require) / PERMISSIVE
 *                    (optional); ca-bundle "weft-mesh-ca" when no caFile
 *   rate-limit       the route's RateLimit, else the destination service's
 *   acl              the AccessPolicy in effect for the destination service
 *   connection-limit maxConnections of the destination's TrafficPolicy
 * L7 match rules, retries, faults and rewrites have no weft-lb equivalent:
 * each is a translation warning.
 * Pure: no I/O. */
#include <stdio.h>
#include <string.h>

#include "ncdev_render.h"
#include "policy.h"
#include "resource.h"

static int render_members(struct ncdev_render *r, const char *pool, const weft_model_subset *sub,
                          int share)
{
	const weft_model_endpoints *eps = weft_model_endpoints_on(sub, NULL);
	for (size_t i = 0; i < eps->count; i++) {
		int w = share * eps->items[i].weight;
		char wv[16], mp[16];
		snprintf(wv, sizeof(wv), "%d", w < 1 ? 1 : w > 1000 ? 1000 : w);
		snprintf(mp, sizeof(mp), "%d", eps->items[i].port);
		if (ncdev_put(r, wv,
		              "/weft-lb:lb/pool[name='%s']/member[address='%s'][port='%s']/weight",
		              pool, eps->items[i].address, mp))
			return -1;
	}
	return 0;
}

/* The rule of a route whose destinations feed the listener's pool: TCP's
 * first, else the catch-all HTTP rule, else the last one. */
static const weft_model_rule *pool_rule(const weft_model_route *mr)
{
	if (mr->n_tcp)
		return &mr->tcp[0];
	for (size_t i = 0; i < mr->n_http; i++)
		if (!mr->http[i].http->match.count)
			return &mr->http[i];
	return mr->n_http ? &mr->http[mr->n_http - 1] : NULL;
}

/* The first field of the used rule weft-lb cannot hold, or NULL. */
static const char *unheld_field(const weft_http_rule *h)
{
	return h->match.count  ? "match"
	       : h->retries    ? "retries"
	       : h->fault      ? "fault"
	       : h->rewrite    ? "rewrite"
	       : h->headers    ? "headers"
	       : h->timeout_ms ? "timeout"
	                       : NULL;
}

/* What of the route weft-lb cannot hold: a virtual service has one pool,
 * no L7 rules. */
static int warn_route(struct ncdev_render *r, const weft_resource *route,
                      const weft_model_route *mr, const weft_model_rule *used)
{
	char field[96];
	for (size_t i = 0; i < mr->n_http; i++) {
		const weft_http_rule *h = mr->http[i].http;
		int rc = 0;
		if (&mr->http[i] != used) {
			snprintf(field, sizeof(field), "spec.http[%zu]", i);
			rc = ncdev_warn(
			        r, route, h->pos, field,
			        "rule left out: a weft-lb virtual service has one pool and no "
			        "L7 rules; only the catch-all (else the last) rule is rendered");
		} else if (unheld_field(h)) {
			snprintf(field, sizeof(field), "spec.http[%zu].%s", i, unheld_field(h));
			rc = ncdev_warn(r, route, h->pos, field,
			                "left out: weft-lb has no L7 request matching or handling");
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* The listener's pool; *first gets the first live destination. */
static int render_listener_pool(struct ncdev_render *r, const char *pool,
                                const weft_resource *route, const weft_model_destination **first)
{
	const weft_model_route *mr = weft_model_route_of(r->model, route);
	const weft_model_rule *rule = mr ? pool_rule(mr) : NULL;
	*first = NULL;
	if (mr && warn_route(r, route, mr, rule))
		return -1;
	for (size_t i = 0; rule && i < rule->n_dests; i++) {
		const weft_model_destination *d = &rule->dests[i];
		if (!d->subset)
			continue; /* validation refuses unknown services, ports, subsets */
		if (!*first)
			*first = d;
		if (d->weight > 0 && render_members(r, pool, d->subset, d->weight))
			return -1;
	}
	const weft_traffic_policy_spec *tp = *first ? ncdev_traffic_policy((*first)->subset) : NULL;
	int weighted = rule && rule->n_dests > 1;
	if (*first)
		weighted |= weft_model_endpoints_on((*first)->subset, NULL)->weighted;
	const char *hash_key, *method = ncdev_method(tp, weighted, &hash_key);
	const char *base = "/weft-lb:lb/pool[name='%s']/%s";
	if (ncdev_put(r, method, base, pool, "method") ||
	    (hash_key && ncdev_put(r, hash_key, base, pool, "hash-key")))
		return -1;
	return 0;
}

static int render_tls(struct ncdev_render *r, const char *name, const weft_listener *l,
                      const weft_model_destination *d)
{
	const weft_listener_tls *t = l->tls;
	const char *base = "/weft-lb:lb/tls-profile[name='%s']/%s";
	if (ncdev_put(r, t->certificate ? t->certificate->cert_file : name, base, name,
	              "certificate") ||
	    ncdev_put(r, t->certificate ? t->certificate->key_file : name, base, name,
	              "private-key"))
		return -1;
	const char *mode = t->mode == WEFT_SERVER_TLS_MUTUAL ? "require" : NULL;
	const weft_resource *pa = d ? d->subset->policies.peer_authentication : NULL;
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
	for (size_t k = 1; k < l->routes.count; k++) {
		char field[96];
		snprintf(field, sizeof(field), "spec.listeners[%s].routes[%zu]",
		         l->name ? l->name : "?", k);
		if (ncdev_warn(r, gw, l->routes.items[k].pos, field,
		               "left out: a weft-lb virtual service has one pool; only the "
		               "listener's first route is rendered"))
			return -1;
	}
	char name[80], port[16];
	ncdev_name(name, sizeof(name), gw->ns, gw->name, l->name, NULL);
	const weft_model_destination *d;
	if (render_listener_pool(r, name, route, &d))
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
	if (l->tls && (render_tls(r, name, l, d) || ncdev_put(r, name, base, name, "tls-profile")))
		return -1;
	char obj[80];
	/* The route's own RateLimit, else its destination service's. */
	const weft_model_route *mr = weft_model_route_of(r->model, route);
	const weft_resource *rl = mr ? mr->policies.rate_limit : NULL;
	if (!rl && d)
		rl = d->subset->policies.rate_limit;
	if (rl) {
		ncdev_object_name(rl, obj, sizeof(obj));
		if (ncdev_put(r, obj, base, name, "rate-limit"))
			return -1;
	}
	const weft_resource *ap = d ? d->subset->policies.access_policy : NULL;
	if (ap) {
		ncdev_object_name(ap, obj, sizeof(obj));
		if (ncdev_put(r, obj, base, name, "acl"))
			return -1;
	}
	const weft_traffic_policy_spec *tp = d ? ncdev_traffic_policy(d->subset) : NULL;
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
