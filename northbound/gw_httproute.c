/* gateway.networking.k8s.io HTTPRoute (GAMMA mesh routes: parentRef to a
 * Service) and ReferenceGrant -> weft Routes (docs/northbound.md). Gateway
 * API orders matches by precedence (exact path, longest prefix, method,
 * header count, query count) rather than by position, so each match
 * becomes its own weft rule and the rules are sorted that way: weft takes
 * the first rule that matches. A backend in another namespace needs a
 * ReferenceGrant there, as the Gateway API requires. */
#include <stdlib.h>
#include <string.h>

#include "nb_common.h"

static const weft_field_rule route_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.parentRefs", T_,
         "one Route per Service parent (spec.service); Gateway "
         "parents are refused"},
        {"spec.parentRefs[].group", T_, "\"\" (core) for a Service"},
        {"spec.parentRefs[].kind", T_, "Service (GAMMA); Gateway is refused"},
        {"spec.parentRefs[].name", T_, "spec.service"},
        {"spec.parentRefs[].namespace", T_,
         "spec.service's namespace; only producer routes "
         "(the Service's own namespace)"},
        {"spec.parentRefs[].port", T_, "spec.port"},
        {"spec.parentRefs[].sectionName", R_, "weft selects ports by number"},
        {"spec.hostnames", W_, "ignored for Service parents (GAMMA)"},
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

static const weft_field_rule grant_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.from", T_, "lets routes of these namespaces send to this namespace"},
        {"spec.from[].group", T_, "gateway.networking.k8s.io"},
        {"spec.from[].kind", T_, "HTTPRoute"},
        {"spec.from[].namespace", T_, "the route's namespace"},
        {"spec.to", T_, "what may be sent to"},
        {"spec.to[].group", T_, "\"\" (core)"},
        {"spec.to[].kind", T_, "Service"},
        {"spec.to[].name", T_, "one Service (absent: all)"},
};

static const char *field(const weft_node *m, const char *key)
{
	const weft_node *v = weft_node_get(m, key);
	return v && v->kind == WEFT_NODE_SCALAR ? v->str : NULL;
}

/* A ReferenceGrant in ns lets HTTPRoutes of from_ns refer to Service name. */
static int granted(weft_xlate *x, const char *from_ns, const char *ns, const char *name)
{
	for (size_t i = 0; i < nb_src_count(x); i++) {
		const weft_xsrc *g = nb_src_at(x, i);
		if (!g->t || strcmp(g->kind, "ReferenceGrant") || strcmp(g->ns, ns))
			continue;
		const weft_node *spec = weft_node_get(g->root, "spec");
		const weft_node *from = weft_node_get(spec, "from"),
		                *to = weft_node_get(spec, "to");
		int f = 0, t = 0;
		for (size_t k = 0; from && from->kind == WEFT_NODE_SEQ && k < from->count; k++) {
			const char *gr = field(from->items[k], "group"),
			           *kd = field(from->items[k], "kind");
			const char *fn = field(from->items[k], "namespace");
			f |= gr && !strcmp(gr, "gateway.networking.k8s.io") && kd &&
			     !strcmp(kd, "HTTPRoute") && fn && !strcmp(fn, from_ns);
		}
		for (size_t k = 0; to && to->kind == WEFT_NODE_SEQ && k < to->count; k++) {
			const char *gr = field(to->items[k], "group"),
			           *kd = field(to->items[k], "kind");
			const char *tn = field(to->items[k], "name");
			t |= (!gr || !*gr) && kd && !strcmp(kd, "Service") &&
			     (!tn || !strcmp(tn, name));
		}
		if (f && t)
			return 1;
	}
	return 0;
}

static json_t *backends(weft_xlate *x, const weft_xsrc *src, const weft_node *refs,
                        const char *base)
{
	char p[300], ref[160];
	long long w[64], pct[64];
	size_t n = refs->count < 64 ? refs->count : 64;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const weft_node *b = refs->items[i];
		const char *group =
		        nb_str(x, src, b, "group", nb_path(p, sizeof(p), "%s[%zu].group", base, i));
		const char *kind =
		        nb_str(x, src, b, "kind", nb_path(p, sizeof(p), "%s[%zu].kind", base, i));
		const char *name =
		        nb_str(x, src, b, "name", nb_path(p, sizeof(p), "%s[%zu].name", base, i));
		const char *ns = nb_str(x, src, b, "namespace",
		                        nb_path(p, sizeof(p), "%s[%zu].namespace", base, i));
		long long port;
		w[i] = 1;
		nb_int(x, src, b, "weight", nb_path(p, sizeof(p), "%s[%zu].weight", base, i), 0,
		       1000000, &w[i]);
		nb_path(p, sizeof(p), "%s[%zu]", base, i);
		if ((group && *group) || (kind && strcmp(kind, "Service")) || !name) {
			nb_refuse(x, src, b, p, "backends must be core Services with a name");
			continue;
		}
		if (ns && strcmp(ns, src->ns) && !granted(x, src->ns, ns, name)) {
			nb_refuse(
			        x, src, nb_at(b, "namespace"), p,
			        "no ReferenceGrant in namespace %s lets HTTPRoutes of %s refer to "
			        "Service %s",
			        ns, src->ns, name);
			continue;
		}
		snprintf(ref, sizeof(ref), "%s/%s", ns ? ns : src->ns, name);
		json_t *d = json_pack("{s:s}", "service", ref);
		if (nb_int(x, src, b, "port", nb_path(p, sizeof(p), "%s[%zu].port", base, i), 1,
		           65535, &port) == 1)
			json_object_set_new(d, "port", json_integer(port));
		json_array_append_new(a, d);
	}
	if (json_array_size(a) == n && n > 1) {
		if (nb_weights_percent(w, n, pct))
			nb_refuse(x, src, refs, base,
			          "every weight is 0 (Gateway API answers 500)");
		else
			for (size_t i = 0; i < n; i++)
				json_object_set_new(json_array_get(a, i), "weight",
				                    json_integer(pct[i]));
	}
	return a;
}

/* {type, name, value} list items into weft {name, exact|regex}. */
static json_t *typed_list(weft_xlate *x, const weft_xsrc *src, const weft_node *l, const char *base)
{
	char p[300];
	json_t *a = json_array();
	for (size_t i = 0; i < l->count; i++) {
		const weft_node *h = l->items[i];
		const char *type =
		        nb_str(x, src, h, "type", nb_path(p, sizeof(p), "%s[%zu].type", base, i));
		const char *name =
		        nb_str(x, src, h, "name", nb_path(p, sizeof(p), "%s[%zu].name", base, i));
		const char *value =
		        nb_str(x, src, h, "value", nb_path(p, sizeof(p), "%s[%zu].value", base, i));
		nb_path(p, sizeof(p), "%s[%zu]", base, i);
		if (!name || !value) {
			nb_refuse(x, src, h, p, "name and value are required");
			continue;
		}
		if (type && strcmp(type, "Exact") && strcmp(type, "RegularExpression")) {
			nb_refuse(x, src, nb_at(h, "type"), p, "match type '%s' is not translated",
			          type);
			continue;
		}
		json_array_append_new(
		        a, json_pack("{s:s, s:s}", "name", name,
		                     type && !strcmp(type, "RegularExpression") ? "regex" : "exact",
		                     value));
	}
	return a;
}

/* Gateway API match precedence, compared field by field (lower first). */
typedef struct prec {
	long long path; /* exact 0, regex 1, prefix 2 (longer first), then no path */
	int no_method;
	long long headers, queries; /* negated counts */
	size_t order;               /* rule, then match, as written */
} prec;

/* One match; *rank gets its precedence. */
static json_t *route_match(weft_xlate *x, const weft_xsrc *src, const weft_node *m,
                           const char *base, prec *rank)
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
		json_object_set_new(o, "headers", typed_list(x, src, h, p));
		nh = h->count;
	}
	const weft_node *q =
	        nb_seq(x, src, m, "queryParams", nb_path(p, sizeof(p), "%s.queryParams", base));
	if (q && q->count) {
		json_object_set_new(o, "queryParams", typed_list(x, src, q, p));
		nq = q->count;
	}
	rank->path = path_rank;
	rank->no_method = !method;
	rank->headers = -(long long)nh;
	rank->queries = -(long long)nq;
	return o;
}

static void header_filter(weft_xlate *x, const weft_xsrc *src, const weft_node *f, const char *base,
                          json_t *rule, const char *dir)
{
	char p[300];
	json_t *headers = json_object_get(rule, "headers");
	if (!headers) {
		headers = json_object();
		json_object_set_new(rule, "headers", headers);
	}
	json_t *o = json_object(), *add = json_object();
	static const char *const ops[] = {"set", "add"};
	for (size_t k = 0; k < 2; k++) {
		const weft_node *l =
		        nb_seq(x, src, f, ops[k], nb_path(p, sizeof(p), "%s.%s", base, ops[k]));
		for (size_t i = 0; l && i < l->count; i++) {
			const char *n = field(l->items[i], "name"),
			           *v = field(l->items[i], "value");
			if (n && v)
				json_object_set_new(add, n, json_string(v));
			else
				nb_refuse(x, src, l->items[i], p, "name and value are required");
		}
	}
	if (json_object_size(add))
		json_object_set(o, "add", add);
	json_decref(add);
	const weft_node *rm = nb_seq(x, src, f, "remove", nb_path(p, sizeof(p), "%s.remove", base));
	if (rm && rm->count) {
		json_t *a = json_array();
		for (size_t i = 0; i < rm->count; i++)
			json_array_append_new(a, json_string(rm->items[i]->str));
		json_object_set_new(o, "remove", a);
	}
	json_object_set_new(headers, dir, o);
}

static void filters(weft_xlate *x, const weft_xsrc *src, const weft_node *fl, const char *base,
                    json_t *rule)
{
	char p[300], b[300];
	for (size_t i = 0; i < fl->count; i++) {
		const weft_node *f = fl->items[i];
		const char *type =
		        nb_str(x, src, f, "type", nb_path(p, sizeof(p), "%s[%zu].type", base, i));
		nb_path(b, sizeof(b), "%s[%zu]", base, i);
		if (type && !strcmp(type, "RequestHeaderModifier")) {
			const weft_node *m = nb_map(x, src, f, "requestHeaderModifier", p);
			if (m)
				header_filter(x, src, m,
				              nb_path(p, sizeof(p), "%s.requestHeaderModifier", b),
				              rule, "request");
		} else if (type && !strcmp(type, "ResponseHeaderModifier")) {
			const weft_node *m = nb_map(x, src, f, "responseHeaderModifier", p);
			if (m)
				header_filter(x, src, m,
				              nb_path(p, sizeof(p), "%s.responseHeaderModifier", b),
				              rule, "response");
		} else if (type && !strcmp(type, "URLRewrite")) {
			const weft_node *m = nb_map(x, src, f, "urlRewrite",
			                            nb_path(p, sizeof(p), "%s.urlRewrite", b));
			json_t *rw = json_object();
			const char *host = m ? nb_str(x, src, m, "hostname", p) : NULL;
			const weft_node *path = m ? nb_map(x, src, m, "path", p) : NULL;
			const char *pt = path ? field(path, "type") : NULL;
			const char *pre = path ? field(path, "replacePrefixMatch") : NULL;
			if (host)
				json_object_set_new(rw, "host", json_string(host));
			if (pt && !strcmp(pt, "ReplacePrefixMatch") && pre)
				json_object_set_new(rw, "prefix", json_string(pre));
			else if (pt && strcmp(pt, "ReplaceFullPath"))
				nb_refuse(x, src, path, p,
				          "path rewrite type '%s' is not translated", pt);
			if (json_object_size(rw))
				json_object_set_new(rule, "rewrite", rw);
			else
				json_decref(rw);
		} else if (type &&
		           (!strcmp(type, "RequestRedirect") || !strcmp(type, "RequestMirror") ||
		            !strcmp(type, "ExtensionRef") || !strcmp(type, "CORS"))) {
			/* the table refuses the filter's own field; a bare type too */
			if (f->count < 2)
				nb_refuse(x, src, f, b, "%s filters are not translated yet", type);
		} else {
			nb_refuse(x, src, nb_at(f, "type"), b, "unknown filter type '%s'",
			          type ? type : "");
		}
	}
}

typedef struct xrule {
	prec rank;
	json_t *rule;
} xrule;

static int cmp_xrule(const void *a, const void *b)
{
	const prec *x = &((const xrule *)a)->rank, *y = &((const xrule *)b)->rank;
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
		json_object_set_new(body, "destinations", backends(x, src, refs, p));
	const weft_node *fl =
	        nb_seq(x, src, r, "filters", nb_path(p, sizeof(p), "%s.filters", base));
	if (fl)
		filters(x, src, fl, p, body);
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

static json_t *http_rules(weft_xlate *x, const weft_xsrc *src, const weft_node *rules)
{
	size_t cap = 0, n = 0;
	xrule *all = NULL;
	char base[64], p[300];
	for (size_t i = 0; rules && i < rules->count; i++) {
		const weft_node *r = rules->items[i];
		nb_path(base, sizeof(base), "spec.rules[%zu]", i);
		json_t *body = rule_body(x, src, r, base);
		const weft_node *ms =
		        nb_seq(x, src, r, "matches", nb_path(p, sizeof(p), "%s.matches", base));
		size_t nm = ms && ms->count ? ms->count : 1;
		for (size_t j = 0; j < nm; j++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				xrule *na = realloc(all, cap * sizeof(*na));
				if (!na)
					break;
				all = na;
			}
			xrule *xr = &all[n++];
			memset(xr, 0, sizeof(*xr));
			xr->rank.path = 3LL << 40;
			xr->rank.no_method = 1;
			xr->rule = json_deep_copy(body);
			if (ms && ms->count) {
				json_t *m = route_match(
				        x, src, ms->items[j],
				        nb_path(p, sizeof(p), "%s.matches[%zu]", base, j),
				        &xr->rank);
				if (json_object_size(m))
					json_object_set_new(xr->rule, "match", json_pack("[o]", m));
				else
					json_decref(m);
			}
			xr->rank.order = i * 4096 + j;
		}
		json_decref(body);
	}
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

static int translate_route(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *parents =
	        spec ? nb_seq(x, src, spec, "parentRefs", "spec.parentRefs") : NULL;
	char p[64], rname[300], ref[160];
	if (!parents || parents->count == 0) {
		nb_refuse(x, src, spec ? spec : src->root, "spec.parentRefs",
		          "a route without parents attaches to nothing");
		return 0;
	}
	json_t *http = http_rules(x, src, nb_seq(x, src, spec, "rules", "spec.rules"));
	for (size_t i = 0; i < parents->count; i++) {
		const weft_node *pr = parents->items[i];
		nb_path(p, sizeof(p), "spec.parentRefs[%zu]", i);
		const char *kind = field(pr, "kind"), *group = field(pr, "group");
		const char *name = field(pr, "name"), *ns = field(pr, "namespace");
		long long port = 0;
		if (!kind || strcmp(kind, "Service") || (group && *group)) {
			nb_refuse(x, src, pr, p,
			          "Gateway parents are not translated yet: only GAMMA routes "
			          "(parentRef kind Service, group \"\")");
			continue;
		}
		if (!name) {
			nb_refuse(x, src, pr, p, "required field 'name' is missing");
			continue;
		}
		if (ns && strcmp(ns, src->ns)) {
			nb_refuse(
			        x, src, nb_at(pr, "namespace"), p,
			        "a consumer route (namespace %s, Service in %s) applies to its own "
			        "namespace's clients only; weft routes apply to every client",
			        src->ns, ns);
			continue;
		}
		nb_int(x, src, pr, "port", p, 1, 65535, &port);
		if (parents->count == 1)
			snprintf(rname, sizeof(rname), "%s", src->name);
		else
			snprintf(rname, sizeof(rname), "%s-%s", src->name, name);
		json_t *out = nb_out_spec(x, src, "Route", src->ns, rname);
		if (!out)
			break;
		snprintf(ref, sizeof(ref), "%s/%s", src->ns, name);
		json_object_set_new(out, "service", json_string(ref));
		if (port)
			json_object_set_new(out, "port", json_integer(port));
		json_object_set(out, "http", http);
	}
	json_decref(http);
	return 0;
}

/* Grants are read by the routes that need them; alone they yield nothing. */
static int translate_grant(weft_xlate *x, const weft_xsrc *src)
{
	(void)x;
	(void)src;
	return 0;
}

static const char *const route_versions[] = {"v1", "v1beta1", NULL};
static const char *const grant_versions[] = {"v1beta1", "v1alpha2", "v1", NULL};

const weft_translator nb_gw_httproute = {
        .group = "gateway.networking.k8s.io",
        .versions = route_versions,
        .kind = "HTTPRoute",
        .phase = 2,
        .fields = route_rows,
        .n_fields = NB_ROWS(route_rows),
        .translate = translate_route,
};

const weft_translator nb_gw_referencegrant = {
        .group = "gateway.networking.k8s.io",
        .versions = grant_versions,
        .kind = "ReferenceGrant",
        .phase = 1,
        .fields = grant_rows,
        .n_fields = NB_ROWS(grant_rows),
        .translate = translate_grant,
};
