/* gateway.networking.k8s.io HTTPRoute (GAMMA mesh routes: parentRef to a
 * Service) and ReferenceGrant -> weft Routes (docs/northbound.md). Gateway
 * API orders matches by precedence (exact path, longest prefix, method,
 * header count, query count) rather than by position, so each match
 * becomes its own weft rule and the rules are sorted that way: weft takes
 * the first rule that matches. A backend in another namespace needs a
 * ReferenceGrant there, as the Gateway API requires. */
#include <stdlib.h>
#include <string.h>

#include "gw-int.h"

static const weft_field_rule route_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.parentRefs", T_,
         "one Route per Service parent (spec.service); Gateway "
         "parents are refused"},
        {"spec.parentRefs[].group", T_, "\"\" (core) for a Service, " GW_GROUP " for a Gateway"},
        {"spec.parentRefs[].kind", T_, "Service (GAMMA) or Gateway (default)"},
        {"spec.parentRefs[].name", T_, "spec.service, or the Gateway"},
        {"spec.parentRefs[].namespace", T_,
         "spec.service's namespace; only producer routes "
         "(the Service's own namespace)"},
        {"spec.parentRefs[].port", T_, "spec.port (Service), the listener's port (Gateway)"},
        {"spec.parentRefs[].sectionName", T_,
         "the Gateway listener of that name; refused for "
         "a Service"},
        {"spec.hostnames", T_,
         "spec.hosts of the Gateway Route (default *); not used for "
         "Service parents (GAMMA)"},
        {"spec.rules", T_, "http rules: one per match, in Gateway API precedence order"},
        {"spec.rules[].name", T_, "http[].name"},
        {"spec.rules[].matches", T_, "http[].match"},
        {"spec.rules[].matches[].path", T_, "match[].path"},
        {"spec.rules[].matches[].path.type", T_, "Exact, PathPrefix, RegularExpression"},
        {"spec.rules[].matches[].path.value", T_, "the path"},
        {"spec.rules[].matches[].headers", T_, "match[].headers"},
        {"spec.rules[].matches[].headers[].type", T_, "Exact, RegularExpression"},
        {"spec.rules[].matches[].headers[].name", T_, "headers[].name"},
        {"spec.rules[].matches[].headers[].value", T_, "headers[].exact or regex"},
        {"spec.rules[].matches[].queryParams", T_, "match[].queryParams"},
        {"spec.rules[].matches[].queryParams[].type", T_, "Exact, RegularExpression"},
        {"spec.rules[].matches[].queryParams[].name", T_, "queryParams[].name"},
        {"spec.rules[].matches[].queryParams[].value", T_, "queryParams[].exact or regex"},
        {"spec.rules[].matches[].method", T_, "match[].method"},
        {"spec.rules[].filters", T_,
         "RequestHeaderModifier, ResponseHeaderModifier, "
         "URLRewrite; other types are refused"},
        {"spec.rules[].filters[].type", T_, "the filter"},
        {"spec.rules[].filters[].requestHeaderModifier", T_, "headers.request"},
        {"spec.rules[].filters[].requestHeaderModifier.set", T_, "headers.request.add"},
        {"spec.rules[].filters[].requestHeaderModifier.set[].name", T_, "the header"},
        {"spec.rules[].filters[].requestHeaderModifier.set[].value", T_, "its value"},
        {"spec.rules[].filters[].requestHeaderModifier.add", T_,
         "headers.request.add (weft replaces, it does not append)"},
        {"spec.rules[].filters[].requestHeaderModifier.add[].name", T_, "the header"},
        {"spec.rules[].filters[].requestHeaderModifier.add[].value", T_, "its value"},
        {"spec.rules[].filters[].requestHeaderModifier.remove", T_, "headers.request.remove"},
        {"spec.rules[].filters[].responseHeaderModifier", T_, "headers.response"},
        {"spec.rules[].filters[].responseHeaderModifier.set", T_, "headers.response.add"},
        {"spec.rules[].filters[].responseHeaderModifier.set[].name", T_, "the header"},
        {"spec.rules[].filters[].responseHeaderModifier.set[].value", T_, "its value"},
        {"spec.rules[].filters[].responseHeaderModifier.add", T_, "headers.response.add"},
        {"spec.rules[].filters[].responseHeaderModifier.add[].name", T_, "the header"},
        {"spec.rules[].filters[].responseHeaderModifier.add[].value", T_, "its value"},
        {"spec.rules[].filters[].responseHeaderModifier.remove", T_, "headers.response.remove"},
        {"spec.rules[].filters[].urlRewrite", T_, "rewrite"},
        {"spec.rules[].filters[].urlRewrite.hostname", T_, "rewrite.host"},
        {"spec.rules[].filters[].urlRewrite.path", T_, "rewrite.prefix"},
        {"spec.rules[].filters[].urlRewrite.path.type", T_,
         "ReplacePrefixMatch; ReplaceFullPath "
         "is refused"},
        {"spec.rules[].filters[].urlRewrite.path.replacePrefixMatch", T_, "rewrite.prefix"},
        {"spec.rules[].filters[].urlRewrite.path.replaceFullPath", R_,
         "weft rewrites prefixes only"},
        {"spec.rules[].filters[].requestRedirect", R_, "weft has no redirects yet"},
        {"spec.rules[].filters[].requestMirror", R_, "weft has no request mirroring yet"},
        {"spec.rules[].filters[].extensionRef", R_, "weft has no extension filters yet"},
        {"spec.rules[].filters[].cors", R_, "weft has no CORS policy yet"},
        {"spec.rules[].backendRefs", T_, "http[].destinations"},
        {"spec.rules[].backendRefs[].group", T_, "\"\" (core) only"},
        {"spec.rules[].backendRefs[].kind", T_, "Service only"},
        {"spec.rules[].backendRefs[].name", T_, "destinations[].service"},
        {"spec.rules[].backendRefs[].namespace", T_,
         "destinations[].service's namespace (needs a "
         "ReferenceGrant there)"},
        {"spec.rules[].backendRefs[].port", T_, "destinations[].port"},
        {"spec.rules[].backendRefs[].weight", T_,
         "destinations[].weight (default 1, normalised "
         "to sum 100)"},
        {"spec.rules[].backendRefs[].filters", R_, "weft edits headers per rule, not per backend"},
        {"spec.rules[].timeouts", T_, "http[].timeout"},
        {"spec.rules[].timeouts.request", T_, "http[].timeout"},
        {"spec.rules[].timeouts.backendRequest", T_, "retries.perTryTimeout (with retry)"},
        {"spec.rules[].retry", T_, "http[].retries"},
        {"spec.rules[].retry.attempts", T_, "retries.attempts"},
        {"spec.rules[].retry.codes", R_, "weft retries on conditions, not a status list"},
        {"spec.rules[].retry.backoff", R_, "weft has no retry backoff field"},
        {"spec.rules[].sessionPersistence", R_, "write a TrafficPolicy with loadBalancer.hashOn"},
};

/* One match; *rank gets its precedence. */
static json_t *route_match(weft_xlate *x, const weft_xsrc *src, const weft_node *m,
                           const char *base, gw_prec *rank)
{
	char p[300];
	json_t *o = json_object();
	long long path_rank = 3LL << 40; /* no path: PathPrefix "/" */
	const weft_node *path = nb_map(x, src, m, "path", nb_path(p, sizeof(p), "%s.path", base));
	if (path) {
		const char *type =
		        nb_str(x, src, path, "type", nb_path(p, sizeof(p), "%s.path.type", base));
		const char *value =
		        nb_str(x, src, path, "value", nb_path(p, sizeof(p), "%s.path.value", base));
		if (!value)
			value = "/";
		if (!type || !strcmp(type, "PathPrefix")) {
			if (strcmp(value, "/"))
				json_object_set_new(o, "path", json_pack("{s:s}", "prefix", value));
			path_rank = (2LL << 40) - (long long)strlen(value);
		} else if (!strcmp(type, "Exact")) {
			json_object_set_new(o, "path", json_pack("{s:s}", "exact", value));
			path_rank = 0;
		} else if (!strcmp(type, "RegularExpression")) {
			json_object_set_new(o, "path", json_pack("{s:s}", "regex", value));
			path_rank = (1LL << 40) - (long long)strlen(value);
		} else {
			nb_refuse(x, src, nb_at(path, "type"), p,
			          "path type '%s' is not translated", type);
		}
	}
	const char *method = nb_str(x, src, m, "method", nb_path(p, sizeof(p), "%s.method", base));
	if (method)
		json_object_set_new(o, "method", json_string(method));
	const weft_node *h =
	        nb_seq(x, src, m, "headers", nb_path(p, sizeof(p), "%s.headers", base));
	size_t nh = 0, nq = 0;
	if (h && h->count) {
		json_object_set_new(o, "headers", gw_typed_list(x, src, h, p));
		nh = h->count;
	}
	const weft_node *q =
	        nb_seq(x, src, m, "queryParams", nb_path(p, sizeof(p), "%s.queryParams", base));
	if (q && q->count) {
		json_object_set_new(o, "queryParams", gw_typed_list(x, src, q, p));
		nq = q->count;
	}
	rank->path = path_rank;
	rank->no_method = !method;
	rank->headers = -(long long)nh;
	rank->queries = -(long long)nq;
	return o;
}

typedef struct xrule {
	gw_prec rank;
	json_t *rule;
} xrule;

static int cmp_xrule(const void *a, const void *b)
{
	const gw_prec *x = &((const xrule *)a)->rank, *y = &((const xrule *)b)->rank;
	if (x->path != y->path)
		return x->path < y->path ? -1 : 1;
	if (x->no_method != y->no_method)
		return x->no_method - y->no_method;
	if (x->headers != y->headers)
		return x->headers < y->headers ? -1 : 1;
	if (x->queries != y->queries)
		return x->queries < y->queries ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* What every match of one rule shares: name, destinations, filters,
 * timeouts and retries. */
static json_t *rule_body(weft_xlate *x, const weft_xsrc *src, const weft_node *r, const char *base)
{
	char p[300];
	json_t *body = json_object();
	const char *name = nb_str(x, src, r, "name", nb_path(p, sizeof(p), "%s.name", base));
	if (name)
		json_object_set_new(body, "name", json_string(name));
	const weft_node *refs =
	        nb_seq(x, src, r, "backendRefs", nb_path(p, sizeof(p), "%s.backendRefs", base));
	if (!refs || refs->count == 0)
		nb_refuse(x, src, r, base,
		          "a rule without backendRefs answers 500: weft needs destinations");
	else
		json_object_set_new(body, "destinations", gw_backends(x, src, refs, p));
	const weft_node *fl =
	        nb_seq(x, src, r, "filters", nb_path(p, sizeof(p), "%s.filters", base));
	if (fl)
		gw_filters(x, src, fl, p, body);
	const weft_node *to =
	        nb_map(x, src, r, "timeouts", nb_path(p, sizeof(p), "%s.timeouts", base));
	const weft_node *retry =
	        nb_map(x, src, r, "retry", nb_path(p, sizeof(p), "%s.retry", base));
	long long ms, attempts;
	const char *req = to ? nb_str(x, src, to, "request",
	                              nb_path(p, sizeof(p), "%s.timeouts.request", base))
	                     : NULL;
	if (req && (nb_duration_ms(req, &ms) || ms < 0))
		nb_refuse(x, src, nb_at(to, "request"), p,
		          "'%s' is not a whole number of milliseconds", req);
	else if (req && ms > 0) /* "0s" is no timeout, weft's default */
		json_object_set_new(body, "timeout", nb_duration_json(ms));
	if (retry) {
		json_t *ro = json_object();
		if (nb_int(x, src, retry, "attempts",
		           nb_path(p, sizeof(p), "%s.retry.attempts", base), 0, 10, &attempts) != 1)
			attempts = 1;
		json_object_set_new(ro, "attempts", json_integer(attempts));
		json_object_set_new(body, "retries", ro);
	}
	const char *br = to ? nb_str(x, src, to, "backendRequest",
	                             nb_path(p, sizeof(p), "%s.timeouts.backendRequest", base))
	                    : NULL;
	if (br) {
		json_t *ro = json_object_get(body, "retries");
		if (!ro || nb_duration_ms(br, &ms) || ms <= 0)
			nb_refuse(x, src, nb_at(to, "backendRequest"), p,
			          "a backend request timeout is a per-try timeout in weft: it "
			          "needs retry");
		else
			json_object_set_new(ro, "perTryTimeout", nb_duration_json(ms));
	}
	return body;
}

/* Appends the weft rules of one route's rules (one per match) to all;
 * route_idx orders routes merged for one Service after precedence. */
static void collect_rules(weft_xlate *x, const weft_xsrc *src, const weft_node *rules,
                          gw_match_fn match_fn, xrule **all, size_t *n, size_t *cap,
                          size_t route_idx)
{
	char base[64], p[300];
	for (size_t i = 0; rules && i < rules->count; i++) {
		const weft_node *r = rules->items[i];
		nb_path(base, sizeof(base), "spec.rules[%zu]", i);
		json_t *body = rule_body(x, src, r, base);
		const weft_node *ms =
		        nb_seq(x, src, r, "matches", nb_path(p, sizeof(p), "%s.matches", base));
		size_t nm = ms && ms->count ? ms->count : 1;
		for (size_t j = 0; j < nm; j++) {
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 16;
				xrule *na = realloc(*all, nc * sizeof(*na));
				if (!na)
					break;
				*all = na;
				*cap = nc;
			}
			xrule *xr = &(*all)[(*n)++];
			memset(xr, 0, sizeof(*xr));
			xr->rank.path = 3LL << 40;
			xr->rank.no_method = 1;
			/* name, then match, then the rest: readable output */
			xr->rule = json_object();
			if (json_object_get(body, "name"))
				json_object_set(xr->rule, "name", json_object_get(body, "name"));
			if (ms && ms->count) {
				json_t *m =
				        match_fn(x, src, ms->items[j],
				                 nb_path(p, sizeof(p), "%s.matches[%zu]", base, j),
				                 &xr->rank);
				if (json_object_size(m))
					json_object_set_new(xr->rule, "match", json_pack("[o]", m));
				else
					json_decref(m);
			}
			json_t *rest = json_deep_copy(body);
			json_object_update_missing(xr->rule, rest);
			json_decref(rest);
			xr->rank.order = (route_idx << 32) | (i * 4096 + j);
		}
		json_decref(body);
	}
}

/* Sorts by precedence and returns the weft rules (all is consumed). */
static json_t *finish_rules(xrule *all, size_t n)
{
	if (n)
		qsort(all, n, sizeof(*all), cmp_xrule);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		/* The same rule name on several matches would repeat it. */
		json_t *name = json_object_get(all[i].rule, "name");
		for (size_t k = 0; name && k < i; k++)
			if (json_equal(json_object_get(json_array_get(a, k), "name"), name))
				json_object_del(all[i].rule, "name"), name = NULL;
		json_array_append_new(a, all[i].rule);
	}
	free(all);
	return a;
}

json_t *gw_http_rules(weft_xlate *x, const weft_xsrc *src, const weft_node *rules,
                      gw_match_fn match_fn)
{
	size_t n = 0, cap = 0;
	xrule *all = NULL;
	collect_rules(x, src, rules, match_fn, &all, &n, &cap, 0);
	return finish_rules(all, n);
}

/* Whether route s has a Service parent svc (same port) in its namespace. */
static int gamma_parent(const weft_xsrc *s, const char *svc, const char *port)
{
	const weft_node *ps = weft_node_get(weft_node_get(s->root, "spec"), "parentRefs");
	for (size_t i = 0; ps && ps->kind == WEFT_NODE_SEQ && i < ps->count; i++) {
		const char *k = gw_field(ps->items[i], "kind"), *n = gw_field(ps->items[i], "name");
		const char *ns = gw_field(ps->items[i], "namespace");
		const char *p = gw_field(ps->items[i], "port");
		if (k && !strcmp(k, "Service") && n && !strcmp(n, svc) &&
		    (!ns || !strcmp(ns, s->ns)) &&
		    ((!p && !port) || (p && port && !strcmp(p, port))))
			return 1;
	}
	return 0;
}

/* Gateway API merges every route attached to one parent and orders their
 * rules by precedence, ties to the route first by namespace/name: the
 * first such HTTPRoute carries the merged rules, the others none. */
static json_t *merged_rules(weft_xlate *x, const weft_xsrc *src, const weft_node *pr,
                            const char *rname, int *skip)
{
	const char *svc = gw_field(pr, "name"), *port = gw_field(pr, "port");
	const weft_xsrc *group[64];
	size_t n = 0;
	*skip = 0;
	for (size_t i = 0; svc && i < nb_src_count(x) && n < 64; i++) {
		const weft_xsrc *s = nb_src_at(x, i);
		if (s->t == src->t && !strcmp(s->ns, src->ns) && gamma_parent(s, svc, port)) {
			size_t at = n++;
			while (at > 0 && strcmp(group[at - 1]->name, s->name) > 0) {
				group[at] = group[at - 1];
				at--;
			}
			group[at] = s;
		}
	}
	if (n < 2)
		return NULL;
	if (group[0] != src) {
		*skip = 1;
		return NULL;
	}
	xrule *all = NULL;
	size_t cnt = 0, cap = 0;
	for (size_t k = 0; k < n; k++) {
		const weft_node *rules =
		        weft_node_get(weft_node_get(group[k]->root, "spec"), "rules");
		/* the others report their own problems when they are translated */
		int was = nb_quiet(x, k > 0);
		collect_rules(x, group[k], rules && rules->kind == WEFT_NODE_SEQ ? rules : NULL,
		              route_match, &all, &cnt, &cap, k);
		nb_quiet(x, was);
		if (!nb_out_spec(x, group[k], "Route", src->ns, rname)) {
			for (size_t i = 0; i < cnt; i++)
				json_decref(all[i].rule);
			free(all);
			return NULL;
		}
	}
	return finish_rules(all, cnt);
}

static int translate_route(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	if (!spec) {
		nb_refuse(x, src, src->root, "spec", "required field is missing");
		return 0;
	}
	json_t *http =
	        gw_http_rules(x, src, nb_seq(x, src, spec, "rules", "spec.rules"), route_match);
	int rc = gw_attach(x, src, spec, http, "http", merged_rules);
	json_decref(http);
	return rc;
}

static const char *const route_versions[] = {"v1", "v1beta1", NULL};

const weft_translator nb_gw_httproute = {
        .group = "gateway.networking.k8s.io",
        .versions = route_versions,
        .kind = "HTTPRoute",
        .phase = 2,
        .fields = route_rows,
        .n_fields = NB_ROWS(route_rows),
        .translate = translate_route,
};
