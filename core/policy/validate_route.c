/* Semantic rules of Routes and Gateways: every destination names an
 * existing service, subset and port; weights of a split sum to 100; HTTP
 * rules never target TCP services; a route's port is a port of its
 * service; gateway listeners have unique ports and names, carry TLS when
 * their protocol needs it, and attach existing host-based routes whose
 * rules fit the listener protocol. */
#include <stdio.h>
#include <string.h>

#include "validate.h"

/* Where a destination sits: spec.<rules>[rule].destinations[dest]. Paths
 * are formatted only when a problem is reported. */
struct dest_at {
	const char *rules; /* "http" or "tcp" */
	size_t rule, dest;
};

static const char *dest_path(char *buf, size_t len, const struct dest_at *at, const char *field)
{
	snprintf(buf, len, "spec.%s[%zu].destinations[%zu].%s", at->rules, at->rule, at->dest,
	         field);
	return buf;
}

/* One destination: service, subset, port. */
static void check_destination(struct vctx *v, const weft_resource *r, const weft_destination *d,
                              const struct dest_at *at, int http)
{
	char path[160];
	if (!d->service.name)
		return;
	const weft_resource *t = vfind(v, WEFT_KIND_SERVICE, d->service.ns, d->service.name);
	if (!t) {
		vdangling(v, r, WEFT_KIND_SERVICE, &d->service,
		          dest_path(path, sizeof(path), at, "service"));
		return;
	}
	if (!t->spec)
		return;
	const weft_service_spec *s = t->spec;
	if (d->subset && !service_subset(s, d->subset))
		vctx_err(v, r, d->subset_pos, dest_path(path, sizeof(path), at, "subset"),
		         "service '%s/%s' has no subset '%s'", t->ns, t->name, d->subset);
	const weft_service_port *sp = NULL;
	if (d->port) {
		sp = service_port(s, d->port);
		if (!sp) {
			vctx_err(v, r, d->port_pos, dest_path(path, sizeof(path), at, "port"),
			         "service '%s/%s' has no port %d", t->ns, t->name, d->port);
			return;
		}
	} else if (s->ports.count > 1) {
		vctx_err(v, r, d->pos, dest_path(path, sizeof(path), at, "port"),
		         "service '%s/%s' has %zu ports: say which one (port)", t->ns, t->name,
		         s->ports.count);
		return;
	} else {
		sp = s->ports.count ? &s->ports.items[0] : NULL;
	}
	if (http && sp && !protocol_is_http(port_protocol(s, sp)))
		vctx_err(v, r, d->service.pos, dest_path(path, sizeof(path), at, "service"),
		         "HTTP rule routes to service '%s/%s' port %d, which speaks TCP", t->ns,
		         t->name, sp->port);
}

/* Weights: when any is given or there are several destinations, all must be
 * given and sum to 100. */
static void check_weights(struct vctx *v, const weft_resource *r, const weft_destinations *ds,
                          weft_pos list_pos, const char *rules, size_t rule)
{
	char base[128], path[160];
	int any = 0, sum = 0, missing = 0;
	for (size_t i = 0; i < ds->count; i++) {
		any |= ds->items[i].has_weight;
		sum += ds->items[i].weight;
	}
	if (!any && ds->count < 2)
		return;
	for (size_t i = 0; i < ds->count; i++)
		if (!ds->items[i].has_weight) {
			snprintf(path, sizeof(path), "spec.%s[%zu].destinations[%zu].weight", rules,
			         rule, i);
			vctx_err(v, r, ds->items[i].pos, path,
			         "weight is required when a rule splits traffic over several "
			         "destinations");
			missing = 1;
		}
	if (!missing && sum != 100) {
		snprintf(base, sizeof(base), "spec.%s[%zu].destinations", rules, rule);
		vctx_err(v, r, list_pos, base, "destination weights sum to %d, expected 100", sum);
	}
}

static void check_rules(struct vctx *v, const weft_resource *r, const weft_route_spec *s)
{
	for (size_t i = 0; i < s->http.count; i++) {
		const weft_http_rule *h = &s->http.items[i];
		for (size_t j = 0; j < h->destinations.count; j++) {
			struct dest_at at = {"http", i, j};
			check_destination(v, r, &h->destinations.items[j], &at, 1);
		}
		check_weights(v, r, &h->destinations, h->destinations_pos, "http", i);
	}
	for (size_t i = 0; i < s->tcp.count; i++) {
		const weft_tcp_rule *t = &s->tcp.items[i];
		for (size_t j = 0; j < t->destinations.count; j++) {
			struct dest_at at = {"tcp", i, j};
			check_destination(v, r, &t->destinations.items[j], &at, 0);
		}
		check_weights(v, r, &t->destinations, t->destinations_pos, "tcp", i);
	}
}

void validate_route(struct vctx *v, const weft_resource *r)
{
	const weft_route_spec *s = r->spec;
	const weft_resource *t = vresolve(v, r, WEFT_KIND_SERVICE, &s->service, "spec.service");
	if (t && t->spec) {
		const weft_service_spec *svc = t->spec;
		const weft_service_port *sp = s->port ? service_port(svc, s->port) : NULL;
		if (s->port && !sp)
			vctx_err(v, r, s->port_pos, "spec.port", "service '%s/%s' has no port %d",
			         t->ns, t->name, s->port);
		int any_http = 0;
		for (size_t i = 0; i < svc->ports.count; i++)
			if ((!s->port || svc->ports.items[i].port == s->port) &&
			    protocol_is_http(port_protocol(svc, &svc->ports.items[i])))
				any_http = 1;
		if (s->http.count && !any_http && (!s->port || sp))
			vctx_err(v, r, s->service.pos, "spec.service",
			         "route has HTTP rules but service '%s/%s'%s speaks TCP only",
			         t->ns, t->name, s->port ? " on that port" : "");
	}
	check_rules(v, r, s);
}

static void check_listener_tls(struct vctx *v, const weft_resource *r, const weft_listener *l,
                               const char *base)
{
	char path[128];
	int needs = l->protocol == WEFT_LISTENER_HTTPS || l->protocol == WEFT_LISTENER_TLS;
	snprintf(path, sizeof(path), "%s.tls", base);
	if (needs && !l->tls)
		vctx_err(v, r, l->pos, path, "a %s listener needs tls (certificate)",
		         l->protocol == WEFT_LISTENER_HTTPS ? "https" : "tls");
	else if (!needs && l->tls)
		vctx_err(v, r, l->tls->pos, path, "tls applies to https and tls listeners only");
	else if (l->tls && l->tls->mode == WEFT_SERVER_TLS_MUTUAL && !l->tls->ca_file)
		vctx_err(v, r, l->tls->pos, path, "mutual TLS needs caFile to verify clients");
}

static void check_listener_routes(struct vctx *v, const weft_resource *r, const weft_listener *l,
                                  const char *base)
{
	char path[160];
	int tcp_listener = l->protocol == WEFT_LISTENER_TCP || l->protocol == WEFT_LISTENER_TLS;
	for (size_t k = 0; k < l->routes.count; k++) {
		snprintf(path, sizeof(path), "%s.routes[%zu]", base, k);
		const weft_ref *ref = &l->routes.items[k];
		const weft_resource *rt = vresolve(v, r, WEFT_KIND_ROUTE, ref, path);
		if (!rt || !rt->spec)
			continue;
		const weft_route_spec *rs = rt->spec;
		if (rs->service.name)
			vctx_err(v, r, ref->pos, path,
			         "route '%s/%s' is a mesh route (spec.service); gateways take "
			         "routes "
			         "with spec.hosts",
			         rt->ns, rt->name);
		else if (tcp_listener && rs->http.count)
			vctx_err(v, r, ref->pos, path,
			         "route '%s/%s' has HTTP rules on a %s listener", rt->ns, rt->name,
			         l->protocol == WEFT_LISTENER_TCP ? "tcp" : "tls");
		else if (!tcp_listener && rs->tcp.count)
			vctx_err(v, r, ref->pos, path,
			         "route '%s/%s' has TCP rules on an %s listener", rt->ns, rt->name,
			         l->protocol == WEFT_LISTENER_HTTP ? "http" : "https");
	}
}

void validate_gateway(struct vctx *v, const weft_resource *r)
{
	const weft_gateway_spec *g = r->spec;
	char base[96], path[128];
	for (size_t i = 0; i < g->listeners.count; i++) {
		const weft_listener *l = &g->listeners.items[i];
		snprintf(base, sizeof(base), "spec.listeners[%zu]", i);
		for (size_t j = 0; j < i; j++) {
			const weft_listener *o = &g->listeners.items[j];
			if (o->port == l->port) {
				snprintf(path, sizeof(path), "%s.port", base);
				vctx_err(v, r, l->port_pos, path,
				         "duplicate listener port %d (also spec.listeners[%zu], "
				         "line "
				         "%d)",
				         l->port, j, o->pos.line);
			}
			if (!strcmp(o->name, l->name)) {
				snprintf(path, sizeof(path), "%s.name", base);
				vctx_err(v, r, l->pos, path,
				         "duplicate listener name '%s' (also spec.listeners[%zu])",
				         l->name, j);
			}
		}
		check_listener_tls(v, r, l, base);
		check_listener_routes(v, r, l, base);
	}
}
