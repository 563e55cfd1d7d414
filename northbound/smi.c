/* SMI split.smi-spec.io TrafficSplit and specs.smi-spec.io HTTPRouteGroup
 * -> weft Routes (docs/northbound.md). A TrafficSplit sends the traffic for
 * its root service to backend services by weight (normalised to 100); with
 * matches (v1alpha3+), only the requests an HTTPRouteGroup's matches select
 * are split, in a rule per match. An HTTPRouteGroup yields nothing itself. */
#include <string.h>

#include "nb_common.h"

static const weft_field_rule split_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.service", T_, "Route spec.service (the root service)"},
        {"spec.backends", T_, "http[].destinations (or tcp[] for a TCP root service)"},
        {"spec.backends[].service", T_, "destinations[].service"},
        {"spec.backends[].weight", T_, "destinations[].weight (normalised to sum 100)"},
        {"spec.matches", T_, "http[].match from the HTTPRouteGroup's matches"},
        {"spec.matches[].kind", T_, "HTTPRouteGroup only"},
        {"spec.matches[].name", T_, "the HTTPRouteGroup in the same namespace"},
        {"spec.matches[].apiGroup", T_, "specs.smi-spec.io"},
};

static const weft_field_rule group_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.matches", T_,
         "the matches of TrafficSplits and TrafficTargets that name this group"},
        {"spec.matches[].name", T_, "selected by name from TrafficSplits"},
        {"spec.matches[].pathRegex", T_, "match[].path.regex"},
        {"spec.matches[].methods", T_, "one match per method; \"*\" is any method"},
        {"spec.matches[].headers", T_, "match[].headers[].exact"},
        {"spec.matches[].headers.*", T_, "match[].headers[].exact"},
};

/* Every match of the group as weft matches (one per method). */
static void group_matches(weft_xlate *x, const weft_xsrc *split, const weft_xsrc *g, json_t *out)
{
	const weft_node *spec = nb_map(x, g, g->root, "spec", "spec");
	const weft_node *ms = spec ? nb_seq(x, g, spec, "matches", "spec.matches") : NULL;
	char p[128];
	for (size_t i = 0; ms && i < ms->count; i++) {
		const weft_node *m = ms->items[i];
		json_t *base = json_object();
		const char *re = nb_str(x, g, m, "pathRegex",
		                        nb_path(p, sizeof(p), "spec.matches[%zu].pathRegex", i));
		if (re)
			json_object_set_new(base, "path", json_pack("{s:s}", "regex", re));
		const weft_node *h = nb_map(x, g, m, "headers",
		                            nb_path(p, sizeof(p), "spec.matches[%zu].headers", i));
		for (size_t k = 0; h && k < h->count; k++)
			nb_append(base, "headers",
			          json_pack("{s:s, s:s}", "name", h->pairs[k].key->str, "exact",
			                    h->pairs[k].value->str));
		const weft_node *methods = nb_seq(
		        x, g, m, "methods", nb_path(p, sizeof(p), "spec.matches[%zu].methods", i));
		int any = !methods || methods->count == 0;
		for (size_t k = 0; methods && k < methods->count; k++)
			if (!strcmp(methods->items[k]->str, "*"))
				any = 1;
		if (any) {
			json_array_append(out, base);
		} else {
			for (size_t k = 0; k < methods->count; k++) {
				json_t *c = json_deep_copy(base);
				json_object_set_new(c, "method",
				                    json_string(methods->items[k]->str));
				json_array_append_new(out, c);
			}
		}
		json_decref(base);
	}
	(void)split;
}

static int service_is_tcp(weft_xlate *x, const char *ns, const char *name)
{
	json_t *svc = nb_out_find(x, "Service", ns, name), *p;
	size_t i;
	if (!svc || json_array_size(json_object_get(svc, "ports")) == 0)
		return 0;
	json_array_foreach(json_object_get(svc, "ports"), i, p)
	{
		const char *pr = json_string_value(json_object_get(p, "protocol"));
		if (!pr || strcmp(pr, "tcp"))
			return 0;
	}
	return 1;
}

static int translate_split(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const char *root = spec ? nb_str(x, src, spec, "service", "spec.service") : NULL;
	const weft_node *backends = spec ? nb_seq(x, src, spec, "backends", "spec.backends") : NULL;
	char name[64], ns[64], ref[160], p[128];
	if (!root || !backends || backends->count == 0) {
		nb_refuse(x, src, spec ? spec : src->root, root ? "spec.backends" : "spec.service",
		          "required field is missing");
		return 0;
	}
	if (nb_service_host(root, src->ns, name, sizeof(name), ns, sizeof(ns))) {
		nb_refuse(x, src, nb_at(spec, "service"), "spec.service",
		          "'%s' is not a service name", root);
		return 0;
	}
	long long w[64] = {0}, pct[64];
	size_t n = backends->count < 64 ? backends->count : 64;
	json_t *dests = json_array();
	for (size_t i = 0; i < n; i++) {
		char bn[64], bns[64];
		const char *b = nb_str(x, src, backends->items[i], "service",
		                       nb_path(p, sizeof(p), "spec.backends[%zu].service", i));
		if (!b || nb_service_host(b, src->ns, bn, sizeof(bn), bns, sizeof(bns))) {
			nb_refuse(x, src, backends->items[i], p, "a backend needs a service name");
			continue;
		}
		if (nb_int(x, src, backends->items[i], "weight",
		           nb_path(p, sizeof(p), "spec.backends[%zu].weight", i), 0, 1000000,
		           &w[i]) != 1)
			nb_refuse(x, src, backends->items[i], p,
			          "a backend needs an integer weight");
		snprintf(ref, sizeof(ref), "%s/%s", bns, bn);
		json_array_append_new(dests, json_pack("{s:s}", "service", ref));
	}
	if (json_array_size(dests) == n && n > 1 && nb_weights_percent(w, n, pct) == 0)
		for (size_t i = 0; i < n; i++)
			json_object_set_new(json_array_get(dests, i), "weight",
			                    json_integer(pct[i]));
	else if (n > 1 && json_array_size(dests) == n)
		nb_refuse(x, src, backends, "spec.backends", "every weight is 0");
	json_t *out = nb_out_spec(x, src, "Route", src->ns, src->name);
	if (!out) {
		json_decref(dests);
		return -1;
	}
	snprintf(ref, sizeof(ref), "%s/%s", ns, name);
	json_object_set_new(out, "service", json_string(ref));
	json_t *rule = json_object(), *matches = json_array();
	const weft_node *ms = nb_seq(x, src, spec, "matches", "spec.matches");
	for (size_t i = 0; ms && i < ms->count; i++) {
		const char *kind = nb_str(x, src, ms->items[i], "kind",
		                          nb_path(p, sizeof(p), "spec.matches[%zu].kind", i));
		const char *gn = nb_str(x, src, ms->items[i], "name",
		                        nb_path(p, sizeof(p), "spec.matches[%zu].name", i));
		const weft_xsrc *g =
		        gn ? nb_find_src(x, "specs.smi-spec.io", "HTTPRouteGroup", src->ns, gn)
		           : NULL;
		if (!kind || strcmp(kind, "HTTPRouteGroup") || !g) {
			nb_refuse(
			        x, src, ms->items[i], p,
			        "matches must name an HTTPRouteGroup of the import in namespace %s",
			        src->ns);
			continue;
		}
		group_matches(x, src, g, matches);
	}
	int tcp = service_is_tcp(x, ns, name);
	if (tcp && json_array_size(matches))
		nb_refuse(x, src, nb_at(spec, "matches"), "spec.matches",
		          "HTTP matches on a TCP service");
	if (json_array_size(matches))
		json_object_set(rule, "match", matches);
	json_object_set_new(rule, "destinations", dests);
	json_t *rules = json_pack("[o]", rule);
	/* SMI: requests that no match selects still reach the root service. */
	if (json_array_size(matches))
		json_array_append_new(rules,
		                      json_pack("{s:[{s:s}]}", "destinations", "service", ref));
	json_decref(matches);
	json_object_set_new(out, tcp ? "tcp" : "http", rules);
	return 0;
}

/* The TrafficSplit or TrafficTarget named ns/name uses group gname. */
static int uses_group(const weft_xsrc *s, const char *gname)
{
	const weft_node *spec = weft_node_get(s->root, "spec");
	const weft_node *l =
	        weft_node_get(spec, !strcmp(s->kind, "TrafficSplit") ? "matches" : "rules");
	for (size_t k = 0; l && l->kind == WEFT_NODE_SEQ && k < l->count; k++) {
		const weft_node *n = weft_node_get(l->items[k], "name");
		const weft_node *kd = weft_node_get(l->items[k], "kind");
		if (n && !strcmp(n->str, gname) && kd && !strcmp(kd->str, "HTTPRouteGroup"))
			return 1;
	}
	return 0;
}

/* A group feeds the TrafficSplits (Routes) and TrafficTargets
 * (AccessPolicies) that name it; alone it is only noted. */
static int translate_group(weft_xlate *x, const weft_xsrc *src)
{
	int used = 0;
	for (size_t i = 0; i < nb_src_count(x); i++) {
		const weft_xsrc *s = nb_src_at(x, i);
		if (!s->t || strcmp(s->ns, src->ns) || !uses_group(s, src->name))
			continue;
		/* TrafficTargets record the groups they read themselves. */
		if (!strcmp(s->kind, "TrafficSplit") && nb_out_find(x, "Route", s->ns, s->name) &&
		    !nb_out_spec(x, src, "Route", s->ns, s->name))
			return -1;
		used |= !strcmp(s->kind, "TrafficSplit") || !strcmp(s->kind, "TrafficTarget");
	}
	if (!used)
		nb_warn(x, src, src->root, "",
		        "no TrafficSplit or TrafficTarget of the import uses this HTTPRouteGroup");
	return 0;
}

static const char *const split_versions[] = {"v1alpha2", "v1alpha3", "v1alpha4", NULL};
static const char *const group_versions[] = {"v1alpha2", "v1alpha3", "v1alpha4", NULL};

const weft_translator nb_smi_split = {
        .group = "split.smi-spec.io",
        .versions = split_versions,
        .kind = "TrafficSplit",
        .phase = 2,
        .fields = split_rows,
        .n_fields = NB_ROWS(split_rows),
        .translate = translate_split,
};

const weft_translator nb_smi_routegroup = {
        .group = "specs.smi-spec.io",
        .versions = group_versions,
        .kind = "HTTPRouteGroup",
        .phase = 3,
        .fields = group_rows,
        .n_fields = NB_ROWS(group_rows),
        .translate = translate_group,
};
