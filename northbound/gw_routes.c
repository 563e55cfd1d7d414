/* gateway.networking.k8s.io GRPCRoute and TCPRoute -> weft Routes
 * (docs/northbound.md). A gRPC method match is an HTTP/2 path match:
 * service and method -> exact /SERVICE/METHOD, service alone -> prefix
 * /SERVICE/, regular expressions -> a path regex. A TCPRoute's one rule is
 * a weft tcp rule. Attachment is shared with HTTPRoute (gw_parents.c). */
#include <string.h>

#include "gw-int.h"

#define PARENT_ROWS                                                                                \
	{"spec", T_, "spec"},                                                                      \
	        {"spec.parentRefs", T_, "as HTTPRoute: Service parents (GAMMA) or Gateways"},      \
	        {"spec.parentRefs[].group", T_, "\"\" (Service) or " GW_GROUP},                    \
	        {"spec.parentRefs[].kind", T_, "Service or Gateway (default)"},                    \
	        {"spec.parentRefs[].name", T_, "the parent"},                                      \
	        {"spec.parentRefs[].namespace", T_, "producer routes only for a Service"},         \
	        {"spec.parentRefs[].port", T_, "spec.port / the listener's port"},                 \
	        {"spec.parentRefs[].sectionName", T_, "the Gateway listener of that name"},        \
	        {"spec.rules[].backendRefs", T_, "destinations"},                                  \
	        {"spec.rules[].backendRefs[].group", T_, "\"\" (core) only"},                      \
	        {"spec.rules[].backendRefs[].kind", T_, "Service only"},                           \
	        {"spec.rules[].backendRefs[].name", T_, "destinations[].service"},                 \
	        {"spec.rules[].backendRefs[].namespace", T_, "needs a ReferenceGrant there"},      \
	        {"spec.rules[].backendRefs[].port", T_, "destinations[].port"},                    \
	        {"spec.rules[].backendRefs[].weight", T_, "destinations[].weight (normalised)"},   \
	        {"spec.rules[].backendRefs[].filters", R_, "weft edits headers per rule"},         \
	{                                                                                          \
		"spec.rules[].name", T_, "http[].name (TCP: not kept)"                             \
	}

static const weft_field_rule grpc_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        PARENT_ROWS,
        {"spec.hostnames", T_, "spec.hosts of the Gateway Route (default *)"},
        {"spec.rules", T_, "http rules: one per match, most specific first"},
        {"spec.rules[].matches", T_, "http[].match"},
        {"spec.rules[].matches[].method", T_, "match[].path"},
        {"spec.rules[].matches[].method.type", T_, "Exact, RegularExpression"},
        {"spec.rules[].matches[].method.service", T_, "the path's /SERVICE/"},
        {"spec.rules[].matches[].method.method", T_, "the path's METHOD"},
        {"spec.rules[].matches[].headers", T_, "match[].headers"},
        {"spec.rules[].matches[].headers[].type", T_, "Exact, RegularExpression"},
        {"spec.rules[].matches[].headers[].name", T_, "headers[].name"},
        {"spec.rules[].matches[].headers[].value", T_, "headers[].exact or regex"},
        {"spec.rules[].filters", T_, "RequestHeaderModifier, ResponseHeaderModifier"},
        {"spec.rules[].filters[].type", T_, "the filter"},
        {"spec.rules[].filters[].requestHeaderModifier", T_, "headers.request"},
        {"spec.rules[].filters[].requestHeaderModifier.set", T_, "headers.request.add"},
        {"spec.rules[].filters[].requestHeaderModifier.set[].name", T_, "the header"},
        {"spec.rules[].filters[].requestHeaderModifier.set[].value", T_, "its value"},
        {"spec.rules[].filters[].requestHeaderModifier.add", T_, "headers.request.add"},
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
        {"spec.rules[].filters[].requestMirror", R_, "weft has no request mirroring yet"},
        {"spec.rules[].filters[].extensionRef", R_, "weft has no extension filters yet"},
        {"spec.rules[].sessionPersistence", R_, "write a TrafficPolicy with loadBalancer.hashOn"},
};

static const weft_field_rule tcp_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        PARENT_ROWS,
        {"spec.rules", T_, "one tcp rule (a weft TCP route has no matches)"},
};

static json_t *grpc_match(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *base,
                          gw_prec *rank)
{
	char p[300], path[600];
	json_t *o = json_object();
	const weft_node *me = nb_map(x, src, m, "method", nb_path(p, sizeof(p), "%s.method", base));
	if (me) {
		const char *type = gw_field(me, "type"), *svc = gw_field(me, "service");
		const char *meth = gw_field(me, "method");
		int re = type && !strcmp(type, "RegularExpression");
		if (type && !re && strcmp(type, "Exact")) {
			nb_refuse(x, src, nb_at(me, "type"), p, "method match type '%s'", type);
		} else if (!svc && !meth) {
			nb_refuse(x, src, me, p, "a method match needs service or method");
		} else if (re || !svc) {
			snprintf(path, sizeof(path), "/%s/%s", svc ? svc : "[^/]+",
			         meth ? meth : "[^/]+");
			json_object_set_new(o, "path", json_pack("{s:s}", "regex", path));
			rank->path = (1LL << 40) - (long long)strlen(path);
		} else if (meth) {
			snprintf(path, sizeof(path), "/%s/%s", svc, meth);
			json_object_set_new(o, "path", json_pack("{s:s}", "exact", path));
			rank->path = 0;
		} else {
			snprintf(path, sizeof(path), "/%s/", svc);
			json_object_set_new(o, "path", json_pack("{s:s}", "prefix", path));
			rank->path = (2LL << 40) - (long long)strlen(path);
		}
	}
	const weft_node *h =
	        nb_seq(x, src, m, "headers", nb_path(p, sizeof(p), "%s.headers", base));
	if (h && h->count) {
		json_object_set_new(o, "headers", gw_typed_list(x, src, h, p));
		rank->headers = -(long long)h->count;
	}
	return o;
}

static int translate_grpc(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	if (!spec) {
		nb_refuse(x, src, src->root, "spec", "required field is missing");
		return 0;
	}
	json_t *http =
	        gw_http_rules(x, src, nb_seq(x, src, spec, "rules", "spec.rules"), grpc_match);
	int rc = gw_attach(x, src, spec, http, "http", NULL);
	json_decref(http);
	return rc;
}

static int translate_tcp(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *rules = spec ? nb_seq(x, src, spec, "rules", "spec.rules") : NULL;
	if (!rules || rules->count != 1) {
		nb_refuse(x, src, rules ? rules : (spec ? spec : src->root), "spec.rules",
		          "exactly one rule: a weft TCP route sends every connection the same way");
		return 0;
	}
	const weft_node *refs =
	        nb_seq(x, src, rules->items[0], "backendRefs", "spec.rules[0].backendRefs");
	if (!refs || refs->count == 0) {
		nb_refuse(x, src, rules->items[0], "spec.rules[0].backendRefs",
		          "required field is missing");
		return 0;
	}
	json_t *d = gw_backends(x, src, refs, "spec.rules[0].backendRefs");
	json_t *tcp = json_pack("[{s:o}]", "destinations", d);
	int rc = gw_attach(x, src, spec, tcp, "tcp", NULL);
	json_decref(tcp);
	return rc;
}

static const char *const grpc_versions[] = {"v1", "v1alpha2", NULL};
static const char *const tcp_versions[] = {"v1alpha2", NULL};

const weft_translator nb_gw_grpcroute = {
        .group = GW_GROUP,
        .versions = grpc_versions,
        .kind = "GRPCRoute",
        .phase = 2,
        .fields = grpc_rows,
        .n_fields = NB_ROWS(grpc_rows),
        .translate = translate_grpc,
};

const weft_translator nb_gw_tcproute = {
        .group = GW_GROUP,
        .versions = tcp_versions,
        .kind = "TCPRoute",
        .phase = 2,
        .fields = tcp_rows,
        .n_fields = NB_ROWS(tcp_rows),
        .translate = translate_tcp,
};
