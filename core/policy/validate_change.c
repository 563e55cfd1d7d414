/* Incremental semantic validation (weft_policy_validate_change): checks a
 * set `next` derived from a set `prev` that passed weft_policy_validate,
 * re-running only the rules a change can affect, and reports exactly what
 * weft_policy_validate(next) would, in the same order. The controller runs
 * it on every write (docs/architecture.md: the store never holds a policy that does
 * not compile), where a one-resource change must not cost a pass over
 * 10,000 endpoints' worth of rules.
 *
 * Why it is exact. prev produced no diagnostic at all. Every rule reads the
 * resource it checks, plus resources it looks up by (kind, namespace,
 * name), plus three set-wide things: endpoint keys (plane, ip, port), the
 * first TrafficPolicy per (service, subset), and what exists (devices).
 * Let D be the keys of every resource added, replaced or deleted (found by
 * a merge of the two sorted sets; unchanged resources are shared by
 * pointer). Then, walking next in set order as the full driver does:
 * - a resource is re-checked in full ("affected") when it changed, when
 *   one of its references names a key in D, when it is a Device (scopes
 *   depend on the whole set), or when it is a TrafficPolicy for a service
 *   that an affected TrafficPolicy also names: so each (service, subset)
 *   group seen by the duplicate rule is complete. Any other resource sees
 *   exactly what it saw in prev, where it had nothing to report;
 * - the TCP/HTTP endpoint rule runs over every Service, but only for the
 *   keys that changed Services use (ep_filter). Every other key is used by
 *   unchanged Services only, which agreed in prev and still agree.
 * A change of many resources falls back to the full validation. */
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "validate.h"

/* Above this many changed keys, the full pass is as cheap and simpler. */
#define MAX_CHANGED_KEYS 64

struct change {
	weft_key keys[MAX_CHANGED_KEYS]; /* D: added, replaced and deleted */
	size_t n_keys;
	char *affected; /* per item of next */
	int overflow;
};

static void note_key(struct change *c, const weft_resource *r)
{
	if (c->n_keys == MAX_CHANGED_KEYS) {
		c->overflow = 1;
		return;
	}
	c->keys[c->n_keys++] = weft_resource_key(r);
}

/* Merges the two sorted sets: marks changed items of next, collects D. */
static void find_changes(struct change *c, const weft_policyset *prev, const weft_policyset *next)
{
	size_t np = weft_policyset_count(prev), nn = weft_policyset_count(next);
	weft_resource *const *p = np ? weft_policyset_items(prev) : NULL;
	weft_resource *const *q = nn ? weft_policyset_items(next) : NULL;
	size_t i = 0, j = 0;
	while ((i < np || j < nn) && !c->overflow) {
		if (i < np && j < nn && p[i] == q[j]) {
			i++;
			j++;
			continue;
		}
		int cmp = i == np ? 1 : j == nn ? -1 : 0;
		if (!cmp) {
			weft_key k = weft_resource_key(q[j]);
			cmp = weft_resource_cmp_key(p[i], &k);
		}
		if (cmp <= 0)
			note_key(c, p[i++]); /* deleted (< 0) or replaced (0) */
		if (cmp >= 0) {
			if (cmp > 0)
				note_key(c, q[j]); /* added */
			c->affected[j++] = 1;
		}
	}
}

static int in_changed(const struct change *c, weft_kind kind, const weft_ref *ref)
{
	if (!ref->name)
		return 0;
	for (size_t i = 0; i < c->n_keys; i++)
		if (c->keys[i].kind == kind && !strcmp(c->keys[i].name, ref->name) &&
		    !strcmp(c->keys[i].ns, ref->ns))
			return 1;
	return 0;
}

static int dests_changed(const struct change *c, const weft_destinations *ds)
{
	for (size_t i = 0; i < ds->count; i++)
		if (in_changed(c, WEFT_KIND_SERVICE, &ds->items[i].service))
			return 1;
	return 0;
}

static int route_depends(const struct change *c, const weft_route_spec *s)
{
	if (in_changed(c, WEFT_KIND_SERVICE, &s->service))
		return 1;
	for (size_t i = 0; i < s->http.count; i++)
		if (dests_changed(c, &s->http.items[i].destinations))
			return 1;
	for (size_t i = 0; i < s->tcp.count; i++)
		if (dests_changed(c, &s->tcp.items[i].destinations))
			return 1;
	return 0;
}

static int gateway_depends(const struct change *c, const weft_gateway_spec *g)
{
	for (size_t i = 0; i < g->listeners.count; i++)
		for (size_t k = 0; k < g->listeners.items[i].routes.count; k++)
			if (in_changed(c, WEFT_KIND_ROUTE, &g->listeners.items[i].routes.items[k]))
				return 1;
	return 0;
}

static int access_depends(const struct change *c, const weft_access_policy_spec *s)
{
	if (in_changed(c, WEFT_KIND_SERVICE, &s->service))
		return 1;
	for (size_t i = 0; i < s->rules.count; i++) {
		const weft_access_from *f = s->rules.items[i].from;
		for (size_t j = 0; f && j < f->services.count; j++)
			if (in_changed(c, WEFT_KIND_SERVICE, &f->services.items[j]))
				return 1;
	}
	return 0;
}

/* Whether validating r looks up a resource whose key is in D. Mirrors the
 * lookups of validate_*.c (the random-change test holds them together). */
static int depends_on_change(const struct change *c, const weft_resource *r)
{
	const void *spec = r->spec;
	switch (r->kind) {
	case WEFT_KIND_SERVICE: {
		const weft_service_spec *svc = spec;
		if (svc->registry && in_changed(c, WEFT_KIND_REGISTRY, &svc->registry->registry))
			return 1;
		const weft_refs *ups = &svc->upstreams;
		for (size_t i = 0; i < ups->count; i++)
			if (in_changed(c, WEFT_KIND_SERVICE, &ups->items[i]))
				return 1;
		return 0;
	}
	case WEFT_KIND_ROUTE:
		return route_depends(c, spec);
	case WEFT_KIND_TRAFFIC_POLICY:
		return in_changed(c, WEFT_KIND_SERVICE,
		                  &((const weft_traffic_policy_spec *)spec)->service);
	case WEFT_KIND_RATE_LIMIT:
		return in_changed(c, WEFT_KIND_SERVICE,
		                  &((const weft_rate_limit_spec *)spec)->service) ||
		       in_changed(c, WEFT_KIND_ROUTE, &((const weft_rate_limit_spec *)spec)->route);
	case WEFT_KIND_ACCESS_POLICY:
		return access_depends(c, spec);
	case WEFT_KIND_PEER_AUTHENTICATION:
		return in_changed(c, WEFT_KIND_SERVICE,
		                  &((const weft_peer_authentication_spec *)spec)->service);
	case WEFT_KIND_TELEMETRY:
		return in_changed(c, WEFT_KIND_SERVICE,
		                  &((const weft_telemetry_spec *)spec)->service);
	case WEFT_KIND_GATEWAY:
		return gateway_depends(c, spec);
	case WEFT_KIND_DEVICE:
		return 1;
	default:
		return 0;
	}
}

static const weft_ref *tp_service(const weft_resource *r)
{
	return &((const weft_traffic_policy_spec *)r->spec)->service;
}

/* Completes the TrafficPolicy groups: every TrafficPolicy naming the same
 * service as an affected one becomes affected. Names are compared as
 * written: equal refs resolve to the same service. */
static void complete_tp_groups(struct change *c, const weft_policyset *next)
{
	size_t n = 0, base;
	weft_resource *const *tps = weft_policyset_kind(next, WEFT_KIND_TRAFFIC_POLICY, &n);
	weft_resource *const *items = weft_policyset_items(next);
	if (!n)
		return;
	base = (size_t)(tps - items);
	const weft_ref **refs = calloc(n, sizeof(*refs));
	size_t n_refs = 0;
	for (size_t i = 0; refs && i < n; i++)
		if (c->affected[base + i] && tps[i]->spec && tp_service(tps[i])->name)
			refs[n_refs++] = tp_service(tps[i]);
	for (size_t i = 0; n_refs && i < n; i++) {
		const weft_ref *ref = tps[i]->spec ? tp_service(tps[i]) : NULL;
		if (c->affected[base + i] || !ref || !ref->name)
			continue;
		for (size_t k = 0; k < n_refs && !c->affected[base + i]; k++)
			c->affected[base + i] =
			        !strcmp(refs[k]->name, ref->name) && !strcmp(refs[k]->ns, ref->ns);
	}
	if (!refs)
		c->overflow = 1; /* out of memory: let the full pass decide */
	free(refs);
}

/* Marks what must be re-checked; builds v->ep_filter's table in *filter.
 * -1 when the full pass should run instead. */
static int plan(struct change *c, struct vctx *v, struct ep_table *filter)
{
	size_t n = weft_policyset_count(v->set);
	weft_resource *const *items = n ? weft_policyset_items(v->set) : NULL;
	for (size_t i = 0; i < n && c->n_keys; i++)
		if (!c->affected[i] && items[i]->spec && depends_on_change(c, items[i]))
			c->affected[i] = 1;
	complete_tp_groups(c, v->set);
	if (c->overflow)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (c->affected[i] && items[i]->kind == WEFT_KIND_SERVICE && items[i]->spec &&
		    collect_endpoint_keys(items[i], filter))
			return -1;
	return 0;
}

int weft_policy_validate_change(const weft_policyset *prev_valid, const weft_policyset *next,
                                weft_diags *diags)
{
	if (!prev_valid || !next)
		return weft_policy_validate(next, diags);
	size_t n = weft_policyset_count(next);
	struct change *c = calloc(1, sizeof(*c));
	if (c)
		c->affected = calloc(n + 1, 1);
	if (!c || !c->affected) {
		free(c);
		return weft_policy_validate(next, diags);
	}
	struct vctx v;
	vctx_init(&v, next, diags);
	struct ep_table filter = {0};
	find_changes(c, prev_valid, next);
	int full = c->overflow || plan(c, &v, &filter);
	if (!full) {
		v.ep_filter = &filter;
		weft_resource *const *items = n ? weft_policyset_items(next) : NULL;
		for (size_t i = 0; i < n; i++) {
			if (c->affected[i])
				validate_one(&v, items[i]);
			else if (filter.count && items[i]->kind == WEFT_KIND_SERVICE &&
			         items[i]->spec)
				validate_endpoint_conflicts(&v, items[i]);
		}
	}
	vctx_free(&v);
	ep_table_free(&filter);
	free(c->affected);
	free(c);
	if (full)
		return weft_policy_validate(next, diags);
	return v.errors ? -1 : 0;
}
