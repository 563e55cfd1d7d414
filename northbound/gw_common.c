/* Shared by the Gateway API translators (northbound/gw-int.h): backend
 * references with ReferenceGrant checks, typed match lists, header and
 * rewrite filters, and the ReferenceGrant kind itself (docs/northbound.md). */
#include <stdlib.h>
#include <string.h>

#include "gw-int.h"

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

const char *gw_field(const weft_node *m, const char *key)
{
	const weft_node *v = weft_node_get(m, key);
	return v && v->kind == WEFT_NODE_SCALAR ? v->str : NULL;
}

/* A ReferenceGrant in ns lets HTTPRoutes of from_ns refer to Service name. */
int gw_granted(weft_xlate *x, const char *from_kind, const char *from_ns, const char *ns,
               const char *to_kind, const char *name)
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
			const char *gr = gw_field(from->items[k], "group"),
			           *kd = gw_field(from->items[k], "kind");
			const char *fn = gw_field(from->items[k], "namespace");
			f |= gr && !strcmp(gr, "gateway.networking.k8s.io") && kd &&
			     !strcmp(kd, from_kind) && fn && !strcmp(fn, from_ns);
		}
		for (size_t k = 0; to && to->kind == WEFT_NODE_SEQ && k < to->count; k++) {
			const char *gr = gw_field(to->items[k], "group"),
			           *kd = gw_field(to->items[k], "kind");
			const char *tn = gw_field(to->items[k], "name");
			t |= (!gr || !*gr) && kd && !strcmp(kd, to_kind) &&
			     (!tn || !strcmp(tn, name));
		}
		if (f && t)
			return 1;
	}
	return 0;
}

json_t *gw_backends(weft_xlate *x, const weft_xsrc *src, const weft_node *refs, const char *base)
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
		if (ns && strcmp(ns, src->ns) &&
		    !gw_granted(x, src->kind, src->ns, ns, "Service", name)) {
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
json_t *gw_typed_list(weft_xlate *x, const weft_xsrc *src, const weft_node *l, const char *base)
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
			const char *n = gw_field(l->items[i], "name"),
			           *v = gw_field(l->items[i], "value");
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

void gw_filters(weft_xlate *x, const weft_xsrc *src, const weft_node *fl, const char *base,
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
			const char *pt = path ? gw_field(path, "type") : NULL;
			const char *pre = path ? gw_field(path, "replacePrefixMatch") : NULL;
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

/* Grants are read by the routes that need them; alone they yield nothing. */
static int translate_grant(weft_xlate *x, const weft_xsrc *src)
{
	(void)x;
	(void)src;
	return 0;
}

static const char *const grant_versions[] = {"v1beta1", "v1alpha2", "v1", NULL};

const weft_translator nb_gw_referencegrant = {
        .group = "gateway.networking.k8s.io",
        .versions = grant_versions,
        .kind = "ReferenceGrant",
        .phase = 1,
        .fields = grant_rows,
        .n_fields = NB_ROWS(grant_rows),
        .translate = translate_grant,
};
