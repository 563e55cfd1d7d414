/* SMI access.smi-spec.io TrafficTarget and specs.smi-spec.io TCPRoute ->
 * weft AccessPolicy (docs/northbound.md). SMI denies what no TrafficTarget
 * allows, so each TrafficTarget is an allow-list (defaultAction deny) on the
 * destination's Service: weft names each Service's identity sa/SERVICE
 * (docs/adapter-xds.md), so the ServiceAccount NS/NAME is the Service
 * NS/NAME. HTTPRouteGroup matches give paths and methods; a path regex is
 * taken only when it is a literal path or a literal prefix followed by .*,
 * the two forms weft paths have. */
#include <stdio.h>
#include <string.h>

#include "nb_common.h"

static const weft_field_rule target_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.destination", T_,
         "AccessPolicy NAME for the Service named like the ServiceAccount "
         "(every TrafficTarget of one destination in one policy)"},
        {"spec.destination.kind", T_, "ServiceAccount"},
        {"spec.destination.name", T_, "spec.service"},
        {"spec.destination.namespace", T_, "spec.service's namespace"},
        {"spec.destination.port", R_, "weft access policies apply to every port"},
        {"spec.sources", T_, "rules[].from.services"},
        {"spec.sources[].kind", T_, "ServiceAccount"},
        {"spec.sources[].name", T_, "from.services (the Service of that name)"},
        {"spec.sources[].namespace", T_, "from.services' namespace"},
        {"spec.rules", T_, "allow rules"},
        {"spec.rules[].kind", T_, "HTTPRouteGroup (paths, methods) or TCPRoute (everything)"},
        {"spec.rules[].name", T_, "the group or route in the TrafficTarget's namespace"},
        {"spec.rules[].matches", T_, "only these matches of the group (absent: all)"},
};

static const weft_field_rule tcp_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.matches", T_, "used by TrafficTargets"},
        {"spec.matches.name", T_, "used by TrafficTargets"},
        {"spec.matches.ports", R_, "weft access policies apply to every port"},
};

/* A path regex as a weft path: literal, or literal prefix + "*". */
static int regex_path(const char *re, char *out, size_t cap)
{
	size_t n = 0, len = strlen(re);
	const char *p = re;
	if (*p == '^')
		p++, len--;
	if (len && re[strlen(re) - 1] == '$')
		len--;
	int prefix = len >= 2 && !strncmp(p + len - 2, ".*", 2);
	size_t end = prefix ? len - 2 : len;
	if (end == 0 || p[0] != '/')
		return -1;
	for (size_t i = 0; i < end; i++) {
		char c = p[i];
		if (c == '\\' && i + 1 < end && p[i + 1] == '.')
			c = p[++i];
		else if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/"
		                 "_-",
		                 c))
			return -1;
		if (n + 2 >= cap)
			return -1;
		out[n++] = c;
	}
	if (prefix)
		out[n++] = '*';
	out[n] = '\0';
	return 0;
}

static const char *gw_like_field(const weft_node *m, const char *key)
{
	const weft_node *v = weft_node_get(m, key);
	return v && v->kind == WEFT_NODE_SCALAR ? v->str : NULL;
}

static int listed(const weft_node *names, const char *name)
{
	if (!names || names->kind != WEFT_NODE_SEQ || names->count == 0)
		return 1;
	for (size_t i = 0; i < names->count; i++)
		if (!strcmp(names->items[i]->str, name))
			return 1;
	return 0;
}

/* Allow rules for one HTTPRouteGroup: one per selected match. */
static void group_rules(weft_xlate *x, const weft_xsrc *src, const weft_xsrc *g,
                        const weft_node *names, json_t *from, json_t *rules)
{
	const weft_node *ms = weft_node_get(weft_node_get(g->root, "spec"), "matches");
	char p[128], path[512];
	for (size_t i = 0; ms && ms->kind == WEFT_NODE_SEQ && i < ms->count; i++) {
		const weft_node *m = ms->items[i];
		const weft_node *nm = weft_node_get(m, "name");
		if (!nm || !listed(names, nm->str))
			continue;
		json_t *to = json_object();
		const weft_node *re = weft_node_get(m, "pathRegex");
		if (re && regex_path(re->str, path, sizeof(path)) == 0)
			nb_append(to, "paths", json_string(path));
		else if (re)
			nb_refuse(x, g, re, nb_path(p, sizeof(p), "spec.matches[%zu].pathRegex", i),
			          "'%s': an access rule's path is exact or a prefix (literal, or "
			          "literal followed by .*)",
			          re->str);
		const weft_node *meth = weft_node_get(m, "methods");
		for (size_t k = 0; meth && meth->kind == WEFT_NODE_SEQ && k < meth->count; k++)
			if (strcmp(meth->items[k]->str, "*"))
				nb_append(to, "methods", json_string(meth->items[k]->str));
		if (weft_node_get(m, "headers"))
			nb_refuse(
			        x, src, m, nb_path(p, sizeof(p), "spec.matches[%zu].headers", i),
			        "access rules from a group with header matches are not translated");
		json_t *r = json_pack("{s:s}", "action", "allow");
		if (json_object_size(from))
			json_object_set(r, "from", from);
		if (json_object_size(to))
			json_object_set(r, "to", to);
		json_decref(to);
		json_array_append_new(rules, r);
	}
}

static json_t *sources(weft_xlate *x, const weft_xsrc *src, const weft_node *spec)
{
	json_t *from = json_object();
	const weft_node *ss = nb_seq(x, src, spec, "sources", "spec.sources");
	char p[128], ref[160];
	for (size_t i = 0; ss && i < ss->count; i++) {
		const char *kind = nb_str(x, src, ss->items[i], "kind",
		                          nb_path(p, sizeof(p), "spec.sources[%zu].kind", i));
		const char *name = nb_str(x, src, ss->items[i], "name",
		                          nb_path(p, sizeof(p), "spec.sources[%zu].name", i));
		const char *ns = nb_str(x, src, ss->items[i], "namespace",
		                        nb_path(p, sizeof(p), "spec.sources[%zu].namespace", i));
		if (!kind || strcmp(kind, "ServiceAccount") || !name) {
			nb_refuse(x, src, ss->items[i],
			          nb_path(p, sizeof(p), "spec.sources[%zu]", i),
			          "a source is a ServiceAccount with a name");
			continue;
		}
		snprintf(ref, sizeof(ref), "%s/%s", ns ? ns : src->ns, name);
		nb_append(from, "services", json_string(ref));
	}
	return from;
}

static int translate_target(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *dst =
	        spec ? nb_map(x, src, spec, "destination", "spec.destination") : NULL;
	const char *kind = dst ? nb_str(x, src, dst, "kind", "spec.destination.kind") : NULL;
	const char *name = dst ? nb_str(x, src, dst, "name", "spec.destination.name") : NULL;
	const char *ns =
	        dst ? nb_str(x, src, dst, "namespace", "spec.destination.namespace") : NULL;
	char ref[160], p[128];
	if (!kind || strcmp(kind, "ServiceAccount") || !name) {
		nb_refuse(x, src, dst ? dst : (spec ? spec : src->root), "spec.destination",
		          "the destination is a ServiceAccount with a name");
		return 0;
	}
	if (!ns)
		ns = src->ns;
	if (!nb_out_find(x, "Service", ns, name)) {
		nb_refuse(x, src, dst, "spec.destination",
		          "ServiceAccount %s/%s is the identity of Service %s/%s in weft, which is "
		          "not "
		          "in the import",
		          ns, name, ns, name);
		return 0;
	}
	json_t *from = sources(x, src, spec), *rules = json_array();
	const weft_node *rl = nb_seq(x, src, spec, "rules", "spec.rules");
	for (size_t i = 0; rl && i < rl->count; i++) {
		const char *rk = nb_str(x, src, rl->items[i], "kind",
		                        nb_path(p, sizeof(p), "spec.rules[%zu].kind", i));
		const char *rn = nb_str(x, src, rl->items[i], "name",
		                        nb_path(p, sizeof(p), "spec.rules[%zu].name", i));
		int http = rk && !strcmp(rk, "HTTPRouteGroup"), tcp = rk && !strcmp(rk, "TCPRoute");
		const weft_xsrc *g = rn && (http || tcp)
		                             ? nb_find_src(x, "specs.smi-spec.io", rk, src->ns, rn)
		                             : NULL;
		if (!g) {
			nb_refuse(x, src, rl->items[i], nb_path(p, sizeof(p), "spec.rules[%zu]", i),
			          "rules name an HTTPRouteGroup or TCPRoute of the import in "
			          "namespace %s",
			          src->ns);
			continue;
		}
		if (tcp) {
			json_t *r = json_pack("{s:s}", "action", "allow");
			if (json_object_size(from))
				json_object_set(r, "from", from);
			json_array_append_new(rules, r);
		} else {
			group_rules(x, src, g, weft_node_get(rl->items[i], "matches"), from, rules);
		}
	}
	json_decref(from);
	/* SMI allows the union of every TrafficTarget of a destination: they
	 * make one allow-list, named after the destination's Service. */
	json_t *out = nb_out_spec(x, src, "AccessPolicy", ns, name);
	if (!out) {
		json_decref(rules);
		return -1;
	}
	snprintf(ref, sizeof(ref), "%s/%s", ns, name);
	json_object_set_new(out, "service", json_string(ref));
	json_object_set_new(out, "defaultAction", json_string("deny"));
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r) nb_append(out, "rules", json_incref(r));
	json_decref(rules);
	for (size_t k = 0; rl && k < rl->count; k++) {
		const char *rk = gw_like_field(rl->items[k], "kind");
		const char *rn = gw_like_field(rl->items[k], "name");
		const weft_xsrc *g =
		        rk && rn ? nb_find_src(x, "specs.smi-spec.io", rk, src->ns, rn) : NULL;
		if (g && !nb_out_spec(x, g, "AccessPolicy", ns, name))
			return -1;
	}
	return 0;
}

/* TCPRoutes are read by the TrafficTargets that name them. */
static int translate_tcp(weft_xlate *x, const weft_xsrc *src)
{
	(void)x;
	(void)src;
	return 0;
}

static const char *const target_versions[] = {"v1alpha2", "v1alpha3", NULL};
static const char *const tcp_versions[] = {"v1alpha3", "v1alpha4", NULL};

const weft_translator nb_smi_target = {
        .group = "access.smi-spec.io",
        .versions = target_versions,
        .kind = "TrafficTarget",
        .phase = 2,
        .fields = target_rows,
        .n_fields = NB_ROWS(target_rows),
        .translate = translate_target,
};

const weft_translator nb_smi_tcproute = {
        .group = "specs.smi-spec.io",
        .versions = tcp_versions,
        .kind = "TCPRoute",
        .phase = 1,
        .fields = tcp_rows,
        .n_fields = NB_ROWS(tcp_rows),
        .translate = translate_tcp,
};
