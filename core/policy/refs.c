/* What a resource refers to (weft_policy_refs) and what a Device's scope
 * selects (weft_device_selects[_in_set]). The snapshot compiler uses both
 * to build its by-service and by-device indexes (docs/architecture.md, step 3), so a
 * change to one service re-renders only the devices that serve it.
 *
 * Scope semantics: an empty scope selects everything except Devices.
 * Otherwise `namespaces` (when given) filters by namespace, and when
 * `services` or `gateways` are given a resource is selected only when it
 * belongs to one of them: the Service or Gateway itself, and every
 * resource tied to a selected service (Routes to or for it, TrafficPolicies,
 * RateLimits, AccessPolicies, PeerAuthentications, Telemetries). Policies
 * without a service (namespace-wide) are selected when a selected service
 * or gateway lives in their namespace. */
#include <string.h>

#include "policy.h"

/* ---- references ---------------------------------------------------------- */

struct ref_acc {
	struct {
		weft_kind kind;
		const weft_ref *ref;
	} items[256];
	size_t count;
	weft_ref_cb cb;
	void *ctx;
};

static void emit(struct ref_acc *a, weft_kind kind, const weft_ref *ref)
{
	if (!ref->name)
		return;
	for (size_t i = 0; i < a->count; i++)
		if (a->items[i].kind == kind && !strcmp(a->items[i].ref->name, ref->name) &&
		    !strcmp(a->items[i].ref->ns, ref->ns))
			return;
	if (a->count < sizeof(a->items) / sizeof(a->items[0])) {
		a->items[a->count].kind = kind;
		a->items[a->count].ref = ref;
		a->count++;
	}
	a->cb(a->ctx, kind, ref->ns, ref->name);
}

static void emit_destinations(struct ref_acc *a, const weft_destinations *ds)
{
	for (size_t i = 0; i < ds->count; i++)
		emit(a, WEFT_KIND_SERVICE, &ds->items[i].service);
}

static void route_refs(struct ref_acc *a, const weft_route_spec *s)
{
	emit(a, WEFT_KIND_SERVICE, &s->service);
	for (size_t i = 0; i < s->http.count; i++)
		emit_destinations(a, &s->http.items[i].destinations);
	for (size_t i = 0; i < s->tcp.count; i++)
		emit_destinations(a, &s->tcp.items[i].destinations);
}

static void other_refs(struct ref_acc *a, const weft_resource *r)
{
	switch (r->kind) {
	case WEFT_KIND_TRAFFIC_POLICY:
		emit(a, WEFT_KIND_SERVICE, &((const weft_traffic_policy_spec *)r->spec)->service);
		break;
	case WEFT_KIND_RATE_LIMIT: {
		const weft_rate_limit_spec *s = r->spec;
		emit(a, WEFT_KIND_SERVICE, &s->service);
		emit(a, WEFT_KIND_ROUTE, &s->route);
		break;
	}
	case WEFT_KIND_ACCESS_POLICY: {
		const weft_access_policy_spec *s = r->spec;
		emit(a, WEFT_KIND_SERVICE, &s->service);
		for (size_t i = 0; i < s->rules.count; i++) {
			const weft_access_from *f = s->rules.items[i].from;
			for (size_t j = 0; f && j < f->services.count; j++)
				emit(a, WEFT_KIND_SERVICE, &f->services.items[j]);
		}
		break;
	}
	case WEFT_KIND_PEER_AUTHENTICATION:
		emit(a, WEFT_KIND_SERVICE,
		     &((const weft_peer_authentication_spec *)r->spec)->service);
		break;
	case WEFT_KIND_TELEMETRY:
		emit(a, WEFT_KIND_SERVICE, &((const weft_telemetry_spec *)r->spec)->service);
		break;
	default:
		break;
	}
}

void weft_policy_refs(const weft_resource *r, weft_ref_cb cb, void *ctx)
{
	if (!r || !r->spec)
		return;
	struct ref_acc a = {.count = 0, .cb = cb, .ctx = ctx};
	if (r->kind == WEFT_KIND_ROUTE) {
		route_refs(&a, r->spec);
	} else if (r->kind == WEFT_KIND_GATEWAY) {
		const weft_gateway_spec *g = r->spec;
		for (size_t i = 0; i < g->listeners.count; i++)
			for (size_t j = 0; j < g->listeners.items[i].routes.count; j++)
				emit(&a, WEFT_KIND_ROUTE, &g->listeners.items[i].routes.items[j]);
	} else if (r->kind == WEFT_KIND_DEVICE) {
		const weft_device_scope *sc = ((const weft_device_spec *)r->spec)->scope;
		for (size_t i = 0; sc && i < sc->services.count; i++)
			emit(&a, WEFT_KIND_SERVICE, &sc->services.items[i]);
		for (size_t i = 0; sc && i < sc->gateways.count; i++)
			emit(&a, WEFT_KIND_GATEWAY, &sc->gateways.items[i]);
	} else {
		other_refs(&a, r);
	}
}

/* ---- device scope -------------------------------------------------------- */

static int ref_is(const weft_ref *ref, const char *ns, const char *name)
{
	return ref->name && !strcmp(ref->name, name) && !strcmp(ref->ns, ns);
}

static int refs_have(const weft_refs *l, const char *ns, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (ref_is(&l->items[i], ns, name))
			return 1;
	return 0;
}

static int dests_have(const weft_destinations *ds, const char *ns, const char *name)
{
	for (size_t i = 0; i < ds->count; i++)
		if (ref_is(&ds->items[i].service, ns, name))
			return 1;
	return 0;
}

static int route_targets(const weft_route_spec *s, const char *ns, const char *name)
{
	if (ref_is(&s->service, ns, name))
		return 1;
	for (size_t i = 0; i < s->http.count; i++)
		if (dests_have(&s->http.items[i].destinations, ns, name))
			return 1;
	for (size_t i = 0; i < s->tcp.count; i++)
		if (dests_have(&s->tcp.items[i].destinations, ns, name))
			return 1;
	return 0;
}

/* Calls test(route, arg) for each route of each scoped gateway; 1 when one
 * of them answers 1. */
static int gateway_routes_any(const weft_policyset *set, const weft_device_scope *sc,
                              int (*test)(const weft_resource *route, const void *arg),
                              const void *arg)
{
	for (size_t g = 0; set && g < sc->gateways.count; g++) {
		const weft_ref *gr = &sc->gateways.items[g];
		const weft_resource *gw =
		        weft_policyset_find(set, WEFT_KIND_GATEWAY, gr->ns, gr->name);
		const weft_gateway_spec *gs = gw ? gw->spec : NULL;
		for (size_t l = 0; gs && l < gs->listeners.count; l++) {
			const weft_refs *rs = &gs->listeners.items[l].routes;
			for (size_t k = 0; k < rs->count; k++) {
				const weft_resource *rt = weft_policyset_find(
				        set, WEFT_KIND_ROUTE, rs->items[k].ns, rs->items[k].name);
				if (rt && rt->spec && test(rt, arg))
					return 1;
			}
		}
	}
	return 0;
}

struct svc_name {
	const char *ns, *name;
};

static int route_sends_to(const weft_resource *route, const void *arg)
{
	const struct svc_name *s = arg;
	return route_targets(route->spec, s->ns, s->name);
}

static int route_is(const weft_resource *route, const void *arg)
{
	return route == arg;
}

static int service_selected(const weft_policyset *set, const weft_device_scope *sc, const char *ns,
                            const char *name)
{
	if (refs_have(&sc->services, ns, name))
		return 1;
	struct svc_name s = {ns, name};
	return gateway_routes_any(set, sc, route_sends_to, &s);
}

static int namespace_touched(const weft_device_scope *sc, const char *ns)
{
	for (size_t i = 0; i < sc->services.count; i++)
		if (!strcmp(sc->services.items[i].ns, ns))
			return 1;
	for (size_t i = 0; i < sc->gateways.count; i++)
		if (!strcmp(sc->gateways.items[i].ns, ns))
			return 1;
	return 0;
}

/* A resource aimed at one service, or namespace-wide when ref->name is NULL. */
static int service_bound(const weft_policyset *set, const weft_device_scope *sc,
                         const weft_resource *r, const weft_ref *ref)
{
	if (!ref->name)
		return namespace_touched(sc, r->ns);
	return service_selected(set, sc, ref->ns, ref->name);
}

static int route_selected(const weft_policyset *set, const weft_device_scope *sc,
                          const weft_resource *r)
{
	const weft_route_spec *s = r->spec;
	for (size_t i = 0; i < sc->services.count; i++)
		if (route_targets(s, sc->services.items[i].ns, sc->services.items[i].name))
			return 1;
	return gateway_routes_any(set, sc, route_is, r);
}

static int named_selects(const weft_policyset *set, const weft_device_scope *sc,
                         const weft_resource *r)
{
	const void *spec = r->spec;
	switch (r->kind) {
	case WEFT_KIND_SERVICE:
		return service_selected(set, sc, r->ns, r->name);
	case WEFT_KIND_GATEWAY:
		return refs_have(&sc->gateways, r->ns, r->name);
	case WEFT_KIND_ROUTE:
		return route_selected(set, sc, r);
	case WEFT_KIND_TRAFFIC_POLICY:
		return service_bound(set, sc, r,
		                     &((const weft_traffic_policy_spec *)spec)->service);
	case WEFT_KIND_RATE_LIMIT: {
		const weft_rate_limit_spec *s = spec;
		if (s->service.name)
			return service_bound(set, sc, r, &s->service);
		const weft_resource *rt =
		        set ? weft_policyset_find(set, WEFT_KIND_ROUTE, s->route.ns, s->route.name)
		            : NULL;
		return rt && rt->spec && route_selected(set, sc, rt);
	}
	case WEFT_KIND_ACCESS_POLICY:
		return service_bound(set, sc, r, &((const weft_access_policy_spec *)spec)->service);
	case WEFT_KIND_PEER_AUTHENTICATION:
		return service_bound(set, sc, r,
		                     &((const weft_peer_authentication_spec *)spec)->service);
	case WEFT_KIND_TELEMETRY:
		return service_bound(set, sc, r, &((const weft_telemetry_spec *)spec)->service);
	default:
		return 0;
	}
}

int weft_device_selects_in_set(const weft_policyset *set, const weft_resource *device,
                               const weft_resource *r)
{
	if (!device || !r || device->kind != WEFT_KIND_DEVICE || r->kind == WEFT_KIND_DEVICE ||
	    !device->spec || !r->spec)
		return 0;
	const weft_device_scope *sc = ((const weft_device_spec *)device->spec)->scope;
	if (!sc)
		return 1;
	if (sc->namespaces.count) {
		int ok = 0;
		for (size_t i = 0; i < sc->namespaces.count && !ok; i++)
			ok = !strcmp(sc->namespaces.items[i], r->ns);
		if (!ok)
			return 0;
	}
	if (!sc->services.count && !sc->gateways.count)
		return 1;
	return named_selects(set, sc, r);
}

int weft_device_selects(const weft_resource *device, const weft_resource *r)
{
	return weft_device_selects_in_set(NULL, device, r);
}
