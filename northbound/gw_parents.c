/* Route attachment for the Gateway API translators (northbound/gw-int.h).
 * A Service parent (GAMMA) gives a mesh Route for that Service; only
 * producer routes (in the Service's namespace) translate, since a weft
 * Route applies to every client. Gateway parents share one Route with the
 * route's hostnames, listed in each listener that accepts it: the listener
 * named by sectionName or with the parent's port, of a matching protocol,
 * whose allowedRoutes admit the route's namespace and kind. */
#include <stdlib.h>
#include <string.h>

#include "gw-int.h"

static void add_route_ref(json_t *listener, const char *ref)
{
	json_t *routes = json_object_get(listener, "routes"), *r;
	size_t i;
	json_array_foreach(routes, i, r) if (!strcmp(json_string_value(r), ref)) return;
	nb_append(listener, "routes", json_string(ref));
}

/* Whether listener l (source node) admits routes of src's namespace/kind. */
static int admits(weft_xlate *x, const weft_xsrc *src, const weft_node *l, const char *gw_ns,
                  const weft_node *at, const char *path)
{
	const weft_node *ar = weft_node_get(l, "allowedRoutes");
	const char *from = gw_field(weft_node_get(ar, "namespaces"), "from");
	if (from && !strcmp(from, "Selector")) {
		nb_refuse(x, src, at, path,
		          "listener '%s' admits namespaces by label selector, which needs the "
		          "Namespace objects: not translated",
		          gw_field(l, "name"));
		return 0;
	}
	if ((!from || !strcmp(from, "Same")) && strcmp(src->ns, gw_ns))
		return 0;
	const weft_node *kinds = weft_node_get(ar, "kinds");
	if (!kinds || kinds->kind != WEFT_NODE_SEQ || kinds->count == 0)
		return 1;
	for (size_t i = 0; i < kinds->count; i++) {
		const char *k = gw_field(kinds->items[i], "kind");
		if (k && !strcmp(k, src->kind))
			return 1;
	}
	return 0;
}

static int protocol_fits(const char *proto, const char *rules_key)
{
	if (!proto)
		return 0;
	if (!strcmp(rules_key, "http"))
		return !strcmp(proto, "HTTP") || !strcmp(proto, "HTTPS");
	return !strcmp(proto, "TCP") || !strcmp(proto, "TLS");
}

static int attach_gateway(weft_xlate *x, const weft_xsrc *src, const weft_node *pr,
                          const char *path, const char *route, const char *rules_key)
{
	const char *name = gw_field(pr, "name"), *ns = gw_field(pr, "namespace");
	const char *section = gw_field(pr, "sectionName");
	long long port = 0;
	if (!ns)
		ns = src->ns;
	const weft_xsrc *g = name ? nb_find_src(x, GW_GROUP, "Gateway", ns, name) : NULL;
	json_t *out = name ? nb_out_find(x, "Gateway", ns, name) : NULL;
	if (!g || !out) {
		nb_refuse(x, src, pr, path, "Gateway %s/%s is not in the import", ns,
		          name ? name : "");
		return 0;
	}
	nb_int(x, src, pr, "port", path, 1, 65535, &port);
	const weft_node *ls = weft_node_get(weft_node_get(g->root, "spec"), "listeners");
	char ref[600];
	snprintf(ref, sizeof(ref), "%s/%s", src->ns, route);
	int matched = 0;
	for (size_t i = 0; ls && ls->kind == WEFT_NODE_SEQ && i < ls->count; i++) {
		const weft_node *l = ls->items[i];
		const char *ln = gw_field(l, "name"), *lp = gw_field(l, "port");
		if (!ln || (section && strcmp(ln, section)) || (port && (!lp || atoll(lp) != port)))
			continue;
		if (!protocol_fits(gw_field(l, "protocol"), rules_key) ||
		    !admits(x, src, l, ns, pr, path))
			continue;
		json_t *ol, *listeners = json_object_get(out, "listeners");
		size_t k;
		json_array_foreach(listeners, k, ol)
		{
			const char *on = json_string_value(json_object_get(ol, "name"));
			if (on && !strcmp(on, ln)) {
				add_route_ref(ol, ref);
				matched = 1;
			}
		}
	}
	if (!matched)
		nb_refuse(x, src, pr, path,
		          "no listener of Gateway %s/%s accepts this route (sectionName, port, "
		          "protocol, allowedRoutes)",
		          ns, name);
	return matched;
}

static void gamma_route(weft_xlate *x, const weft_xsrc *src, const weft_node *pr, const char *path,
                        const char *rname, json_t *rules, const char *rules_key,
                        gw_service_rules_fn service_rules)
{
	const char *name = gw_field(pr, "name"), *ns = gw_field(pr, "namespace");
	long long port = 0;
	char ref[160];
	if (!name) {
		nb_refuse(x, src, pr, path, "required field 'name' is missing");
		return;
	}
	if (ns && strcmp(ns, src->ns)) {
		nb_refuse(x, src, nb_at(pr, "namespace"), path,
		          "a consumer route (namespace %s, Service in %s) applies to its own "
		          "namespace's clients only; weft routes apply to every client",
		          src->ns, ns);
		return;
	}
	if (gw_field(pr, "sectionName")) {
		nb_refuse(x, src, nb_at(pr, "sectionName"), path,
		          "a Service port is chosen by number (port), not by name");
		return;
	}
	nb_int(x, src, pr, "port", path, 1, 65535, &port);
	int skip = 0;
	json_t *own = service_rules ? service_rules(x, src, pr, rname, &skip) : NULL;
	if (skip)
		return; /* merged into the Route of another route of this Service */
	json_t *out = nb_out_spec(x, src, "Route", src->ns, rname);
	if (!out) {
		json_decref(own);
		return;
	}
	snprintf(ref, sizeof(ref), "%s/%s", src->ns, name);
	json_object_set_new(out, "service", json_string(ref));
	if (port)
		json_object_set_new(out, "port", json_integer(port));
	json_object_set(out, rules_key, own ? own : rules);
	json_decref(own);
}

static json_t *hostnames(weft_xlate *x, const weft_xsrc *src, const weft_node *spec)
{
	const weft_node *h = nb_seq(x, src, spec, "hostnames", "spec.hostnames");
	json_t *a = json_array();
	for (size_t i = 0; h && i < h->count; i++)
		if (h->items[i]->kind == WEFT_NODE_SCALAR)
			json_array_append_new(a, json_string(h->items[i]->str));
	if (json_array_size(a) == 0)
		json_array_append_new(a, json_string("*"));
	return a;
}

int gw_attach(weft_xlate *x, const weft_xsrc *src, const weft_node *spec, json_t *rules,
              const char *rules_key, gw_service_rules_fn service_rules)
{
	const weft_node *parents = nb_seq(x, src, spec, "parentRefs", "spec.parentRefs");
	size_t n_svc = 0, n_gw = 0;
	char p[64], rname[300], gwroute[300];
	if (!parents || parents->count == 0) {
		nb_refuse(x, src, spec, "spec.parentRefs",
		          "a route without parents attaches to nothing");
		return 0;
	}
	for (size_t i = 0; i < parents->count; i++) {
		const char *kind = gw_field(parents->items[i], "kind");
		if (kind && !strcmp(kind, "Service"))
			n_svc++;
		else
			n_gw++;
	}
	snprintf(gwroute, sizeof(gwroute), n_svc ? "%s-gateway" : "%s", src->name);
	int gw_attached = 0;
	for (size_t i = 0; i < parents->count; i++) {
		const weft_node *pr = parents->items[i];
		const char *kind = gw_field(pr, "kind"), *group = gw_field(pr, "group");
		nb_path(p, sizeof(p), "spec.parentRefs[%zu]", i);
		if (kind && !strcmp(kind, "Service") && (!group || !*group)) {
			if (n_svc == 1 && !n_gw)
				snprintf(rname, sizeof(rname), "%s", src->name);
			else
				snprintf(rname, sizeof(rname), "%s-%s", src->name,
				         gw_field(pr, "name") ? gw_field(pr, "name") : "");
			gamma_route(x, src, pr, p, rname, rules, rules_key, service_rules);
		} else if ((!kind || !strcmp(kind, "Gateway")) &&
		           (!group || !strcmp(group, GW_GROUP))) {
			gw_attached |= attach_gateway(x, src, pr, p, gwroute, rules_key);
		} else {
			nb_refuse(x, src, pr, p, "parents are Gateways or core Services");
		}
	}
	if (n_svc && !n_gw && weft_node_get(spec, "hostnames"))
		nb_warn(x, src, weft_node_get(spec, "hostnames"), "spec.hostnames",
		        "not used: a route on a Service matches the Service's traffic (GAMMA)");
	if (gw_attached) {
		json_t *out = nb_out_spec(x, src, "Route", src->ns, gwroute);
		if (!out)
			return -1;
		json_object_set_new(out, "hosts", hostnames(x, src, spec));
		json_object_set(out, rules_key, rules);
	}
	return 0;
}
