/* security.istio.io PeerAuthentication and AuthorizationPolicy -> weft
 * PeerAuthentication and AccessPolicy (docs/northbound.md). A workload
 * selector becomes the Services whose pods it surely selects: a Service of
 * the import whose own selector includes every matchLabels pair. Istio's
 * root namespace (istio-system) makes a policy mesh-wide, which weft has
 * not: those are refused. weft names each Service's mesh identity
 * sa/SERVICE (docs/adapter-xds.md), so a principal
 * cluster.local/ns/NS/sa/NAME is the Service NS/NAME. */
#include <string.h>

#include "nb_common.h"

#define ROOT_NS "istio-system"

static const weft_field_rule pa_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.selector", T_,
         "spec.service: one policy per Service whose selector includes "
         "matchLabels; absent: namespace-wide"},
        {"spec.selector.matchLabels", T_, "see spec.selector"},
        {"spec.selector.matchLabels.*", T_, "see spec.selector"},
        {"spec.mtls", T_, "spec.mode"},
        {"spec.mtls.mode", T_, "mode: STRICT, PERMISSIVE, DISABLE; UNSET is refused"},
        {"spec.portLevelMtls", R_, "weft sets one mode for every port"},
};

static const weft_field_rule az_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.selector", T_, "spec.service (as for PeerAuthentication); absent: namespace-wide"},
        {"spec.selector.matchLabels", T_, "see spec.selector"},
        {"spec.selector.matchLabels.*", T_, "see spec.selector"},
        {"spec.targetRef", T_, "spec.service (kind Service)"},
        {"spec.targetRef.group", T_, "\"\" (core)"},
        {"spec.targetRef.kind", T_, "Service only"},
        {"spec.targetRef.name", T_, "spec.service"},
        {"spec.targetRef.namespace", T_, "the policy's namespace only"},
        {"spec.targetRefs", R_, "one target per weft AccessPolicy: use targetRef"},
        {"spec.action", T_,
         "ALLOW: defaultAction deny + allow rules; DENY: defaultAction allow "
         "+ deny rules; AUDIT and CUSTOM are refused"},
        {"spec.provider", R_, "weft has no external authorization providers yet"},
        {"spec.rules", T_, "rules: one weft rule per from x to pair"},
        {"spec.rules[].from", T_, "rules[].from"},
        {"spec.rules[].from[].source", T_, "rules[].from"},
        {"spec.rules[].from[].source.principals", T_,
         "from.services (cluster.local/ns/NS/sa/NAME is Service NS/NAME)"},
        {"spec.rules[].from[].source.serviceAccounts", T_, "from.services (NS/NAME or NAME)"},
        {"spec.rules[].from[].source.ipBlocks", T_, "from.cidrs"},
        {"spec.rules[].from[].source.notIpBlocks", T_, "from.notCidrs"},
        {"spec.rules[].from[].source.remoteIpBlocks", R_, "weft matches the peer address only"},
        {"spec.rules[].from[].source.notRemoteIpBlocks", R_, "weft matches the peer address only"},
        {"spec.rules[].from[].source.namespaces", R_,
         "weft has no namespace source match: list "
         "the services"},
        {"spec.rules[].from[].source.notNamespaces", R_, "weft has no negative source match"},
        {"spec.rules[].from[].source.notPrincipals", R_, "weft has no negative source match"},
        {"spec.rules[].from[].source.notServiceAccounts", R_, "weft has no negative source match"},
        {"spec.rules[].from[].source.requestPrincipals", R_, "weft has no JWT authentication"},
        {"spec.rules[].from[].source.notRequestPrincipals", R_, "weft has no JWT authentication"},
        {"spec.rules[].to", T_, "rules[].to"},
        {"spec.rules[].to[].operation", T_, "rules[].to"},
        {"spec.rules[].to[].operation.paths", T_, "to.paths (exact, or a prefix ending in *)"},
        {"spec.rules[].to[].operation.methods", T_, "to.methods"},
        {"spec.rules[].to[].operation.hosts", R_, "weft policies are per service"},
        {"spec.rules[].to[].operation.ports", R_, "weft policies apply to every port"},
        {"spec.rules[].to[].operation.notPaths", R_, "weft has no negative path match"},
        {"spec.rules[].to[].operation.notMethods", R_, "weft has no negative method match"},
        {"spec.rules[].to[].operation.notHosts", R_, "weft has no negative host match"},
        {"spec.rules[].to[].operation.notPorts", R_, "weft has no negative port match"},
        {"spec.rules[].when", R_, "weft has no request-attribute conditions"},
};

/* A label map node as strings, without reporting (the Service's own
 * translator reports its problems). */
static json_t *labels_quiet(const weft_node *m)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < m->count; i++)
		if (m->pairs[i].value->kind == WEFT_NODE_SCALAR)
			json_object_set_new(o, m->pairs[i].key->str,
			                    json_string(m->pairs[i].value->str));
	return o;
}

/* Services of the import in src's namespace whose spec.selector includes
 * match (shared with the Sidecar translator). */
size_t nb_istio_selected(weft_xlate *x, const weft_xsrc *src, const json_t *match, const char **out,
                         size_t max);
size_t nb_istio_selected(weft_xlate *x, const weft_xsrc *src, const json_t *match, const char **out,
                         size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < nb_src_count(x) && n < max; i++) {
		const weft_xsrc *s = nb_src_at(x, i);
		if (!s->t || strcmp(s->kind, "Service") || *s->t->group || strcmp(s->ns, src->ns))
			continue;
		const weft_node *sel = weft_node_get(weft_node_get(s->root, "spec"), "selector");
		json_t *sj = sel && sel->kind == WEFT_NODE_MAP ? labels_quiet(sel) : NULL;
		if (sj && nb_labels_subset(match, sj))
			out[n++] = s->name;
		json_decref(sj);
	}
	return n;
}

/* The target Services of a policy: *n == 0 and 1 returned for
 * namespace-wide; 0 when refused. */
static int targets(weft_xlate *x, const weft_xsrc *src, const weft_node *spec, const char **svcs,
                   size_t max, size_t *n)
{
	*n = 0;
	const weft_node *sel = nb_map(x, src, spec, "selector", "spec.selector");
	const weft_node *ml =
	        sel ? nb_map(x, src, sel, "matchLabels", "spec.selector.matchLabels") : NULL;
	const weft_node *tr = nb_map(x, src, spec, "targetRef", "spec.targetRef");
	if (tr) {
		const char *kind = nb_str(x, src, tr, "kind", "spec.targetRef.kind");
		const char *name = nb_str(x, src, tr, "name", "spec.targetRef.name");
		const char *ns = nb_str(x, src, tr, "namespace", "spec.targetRef.namespace");
		if (!kind || strcmp(kind, "Service") || !name || (ns && strcmp(ns, src->ns))) {
			nb_refuse(x, src, tr, "spec.targetRef",
			          "only a Service of the policy's namespace");
			return 0;
		}
		svcs[(*n)++] = name;
		return 1;
	}
	if (!ml || ml->count == 0) {
		if (!strcmp(src->ns, ROOT_NS)) {
			nb_refuse(x, src, src->root, "metadata.namespace",
			          "a policy in Istio's root namespace is mesh-wide; weft policies "
			          "are "
			          "per namespace or per service: write one per namespace");
			return 0;
		}
		return 1;
	}
	json_t *match = nb_labels(x, src, ml, "spec.selector.matchLabels");
	*n = match ? nb_istio_selected(x, src, match, svcs, max) : 0;
	json_decref(match);
	if (*n == 0)
		nb_refuse(x, src, ml, "spec.selector.matchLabels",
		          "no Service of the import in namespace %s selects all of these labels' "
		          "pods",
		          src->ns);
	return *n > 0;
}

static int translate_pa(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *mtls = spec ? nb_map(x, src, spec, "mtls", "spec.mtls") : NULL;
	const char *mode = mtls ? nb_str(x, src, mtls, "mode", "spec.mtls.mode") : NULL;
	const char *svcs[32];
	size_t n;
	if (!mode ||
	    (strcmp(mode, "STRICT") && strcmp(mode, "PERMISSIVE") && strcmp(mode, "DISABLE"))) {
		nb_refuse(x, src, mtls ? nb_at(mtls, "mode") : (spec ? spec : src->root),
		          "spec.mtls.mode",
		          "expected STRICT, PERMISSIVE or DISABLE (UNSET inherits, which weft "
		          "policies "
		          "do not)");
		return 0;
	}
	if (!targets(x, src, spec, svcs, 32, &n))
		return 0;
	for (size_t i = 0; i < (n ? n : 1); i++) {
		char name[300], ref[160];
		if (n > 1)
			snprintf(name, sizeof(name), "%s-%s", src->name, svcs[i]);
		else
			snprintf(name, sizeof(name), "%s", src->name);
		json_t *out = nb_out_spec(x, src, "PeerAuthentication", src->ns, name);
		if (!out)
			return -1;
		if (n) {
			snprintf(ref, sizeof(ref), "%s/%s", src->ns, svcs[i]);
			json_object_set_new(out, "service", json_string(ref));
		}
		json_object_set_new(out, "mode", json_string(mode));
	}
	return 0;
}

/* principals / serviceAccounts into weft service references. */
static void sources_services(weft_xlate *x, const weft_xsrc *src, const weft_node *l,
                             const char *path, int principals, json_t *from)
{
	for (size_t i = 0; l && i < l->count; i++) {
		const char *v = l->items[i]->kind == WEFT_NODE_SCALAR ? l->items[i]->str : "";
		char ns[64], name[64], ref[160];
		int ok;
		if (principals)
			ok = sscanf(v, "cluster.local/ns/%63[a-z0-9-]/sa/%63[a-z0-9-]", ns, name) ==
			             2 &&
			     strlen(v) ==
			             strlen("cluster.local/ns//sa/") + strlen(ns) + strlen(name);
		else if (strchr(v, '/'))
			ok = sscanf(v, "%63[a-z0-9-]/%63[a-z0-9-]", ns, name) == 2;
		else
			ok = snprintf(ns, sizeof(ns), "%s", src->ns) > 0 &&
			     sscanf(v, "%63[a-z0-9-]", name) == 1 && strlen(name) == strlen(v);
		if (!ok) {
			nb_refuse(
			        x, src, l->items[i], path,
			        "'%s': expected %s (wildcards and other trust domains have no weft "
			        "service)",
			        v, principals ? "cluster.local/ns/NS/sa/NAME" : "NAME or NS/NAME");
			continue;
		}
		snprintf(ref, sizeof(ref), "%s/%s", ns, name);
		nb_append(from, "services", json_string(ref));
	}
}

static void cidrs(const weft_node *l, json_t *from, const char *key)
{
	for (size_t i = 0; l && i < l->count; i++) {
		const char *v = l->items[i]->str;
		char c[80];
		if (strchr(v, '/'))
			snprintf(c, sizeof(c), "%s", v);
		else
			snprintf(c, sizeof(c), "%s/%d", v, strchr(v, ':') ? 128 : 32);
		nb_append(from, key, json_string(c));
	}
}

static json_t *az_from(weft_xlate *x, const weft_xsrc *src, const weft_node *f, const char *base)
{
	char p[300];
	const weft_node *s = nb_map(x, src, f, "source", nb_path(p, sizeof(p), "%s.source", base));
	json_t *o = json_object();
	if (!s)
		return o;
	sources_services(x, src,
	                 nb_seq(x, src, s, "principals",
	                        nb_path(p, sizeof(p), "%s.source.principals", base)),
	                 p, 1, o);
	sources_services(x, src,
	                 nb_seq(x, src, s, "serviceAccounts",
	                        nb_path(p, sizeof(p), "%s.source.serviceAccounts", base)),
	                 p, 0, o);
	cidrs(nb_seq(x, src, s, "ipBlocks", nb_path(p, sizeof(p), "%s.source.ipBlocks", base)), o,
	      "cidrs");
	cidrs(nb_seq(x, src, s, "notIpBlocks",
	             nb_path(p, sizeof(p), "%s.source.notIpBlocks", base)),
	      o, "notCidrs");
	return o;
}

static json_t *az_to(weft_xlate *x, const weft_xsrc *src, const weft_node *t, const char *base)
{
	char p[300];
	const weft_node *op =
	        nb_map(x, src, t, "operation", nb_path(p, sizeof(p), "%s.operation", base));
	json_t *o = json_object();
	static const char *const keys[] = {"paths", "methods"};
	for (size_t k = 0; op && k < 2; k++) {
		const weft_node *l =
		        nb_seq(x, src, op, keys[k],
		               nb_path(p, sizeof(p), "%s.operation.%s", base, keys[k]));
		for (size_t i = 0; l && i < l->count; i++) {
			const char *v = l->items[i]->str;
			if (k == 0 && (v[0] != '/' || strchr(v, '*') != strrchr(v, '*') ||
			               (strchr(v, '*') && v[strlen(v) - 1] != '*'))) {
				nb_refuse(x, src, l->items[i], p,
				          "'%s': weft paths are exact or a prefix ending in *", v);
				continue;
			}
			nb_append(o, keys[k], json_string(v));
		}
	}
	return o;
}

/* rules[i] as weft rules: (any from) and (any to) is every from x to pair. */
static void az_rule(weft_xlate *x, const weft_xsrc *src, const weft_node *r, size_t i,
                    const char *action, json_t *rules)
{
	char base[64], p[300];
	nb_path(base, sizeof(base), "spec.rules[%zu]", i);
	const weft_node *from = nb_seq(x, src, r, "from", nb_path(p, sizeof(p), "%s.from", base));
	const weft_node *to = nb_seq(x, src, r, "to", nb_path(p, sizeof(p), "%s.to", base));
	size_t nf = from && from->count ? from->count : 1, nt = to && to->count ? to->count : 1;
	for (size_t a = 0; a < nf; a++) {
		json_t *fj = from && from->count
		                     ? az_from(x, src, from->items[a],
		                               nb_path(p, sizeof(p), "%s.from[%zu]", base, a))
		                     : json_object();
		for (size_t b = 0; b < nt; b++) {
			json_t *tj = to && to->count
			                     ? az_to(x, src, to->items[b],
			                             nb_path(p, sizeof(p), "%s.to[%zu]", base, b))
			                     : json_object();
			json_t *rule = json_pack("{s:s}", "action", action);
			if (json_object_size(fj))
				json_object_set(rule, "from", fj);
			if (json_object_size(tj))
				json_object_set(rule, "to", tj);
			json_decref(tj);
			json_array_append_new(rules, rule);
		}
		json_decref(fj);
	}
}

static int translate_az(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const char *action = spec ? nb_str(x, src, spec, "action", "spec.action") : NULL;
	const char *svcs[32];
	size_t n;
	if (!action)
		action = "ALLOW";
	if (strcmp(action, "ALLOW") && strcmp(action, "DENY")) {
		nb_refuse(x, src, nb_at(spec, "action"), "spec.action",
		          "%s: weft access rules allow or deny", action);
		return 0;
	}
	int allow = !strcmp(action, "ALLOW");
	if (!spec || !targets(x, src, spec, svcs, 32, &n))
		return 0;
	json_t *rules = json_array();
	const weft_node *rl = nb_seq(x, src, spec, "rules", "spec.rules");
	for (size_t i = 0; rl && i < rl->count; i++)
		az_rule(x, src, rl->items[i], i, allow ? "allow" : "deny", rules);
	for (size_t i = 0; i < (n ? n : 1); i++) {
		char name[300], ref[160];
		if (n > 1)
			snprintf(name, sizeof(name), "%s-%s", src->name, svcs[i]);
		else
			snprintf(name, sizeof(name), "%s", src->name);
		json_t *out = nb_out_spec(x, src, "AccessPolicy", src->ns, name);
		if (!out) {
			json_decref(rules);
			return -1;
		}
		if (n) {
			snprintf(ref, sizeof(ref), "%s/%s", src->ns, svcs[i]);
			json_object_set_new(out, "service", json_string(ref));
		}
		/* ALLOW: what no rule allows is denied; DENY: the rest is allowed. */
		json_object_set_new(out, "defaultAction", json_string(allow ? "deny" : "allow"));
		if (json_array_size(rules))
			json_object_set(out, "rules", rules);
	}
	json_decref(rules);
	return 0;
}

static const char *const sec_versions[] = {"v1", "v1beta1", NULL};

const weft_translator nb_istio_pa = {
        .group = "security.istio.io",
        .versions = sec_versions,
        .kind = "PeerAuthentication",
        .phase = 2,
        .fields = pa_rows,
        .n_fields = NB_ROWS(pa_rows),
        .translate = translate_pa,
};

const weft_translator nb_istio_az = {
        .group = "security.istio.io",
        .versions = sec_versions,
        .kind = "AuthorizationPolicy",
        .phase = 2,
        .fields = az_rows,
        .n_fields = NB_ROWS(az_rows),
        .translate = translate_az,
};
