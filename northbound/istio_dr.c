/* networking.istio.io DestinationRule -> subsets of the weft Service and
 * TrafficPolicies (docs/northbound.md): the rule's trafficPolicy becomes
 * TrafficPolicy NAME for the service, each subset's trafficPolicy a
 * TrafficPolicy NAME-SUBSET for that subset. The host must name a Service
 * of the import, since subsets are part of a weft Service. */
#include <string.h>

#include "nb_common.h"

#define TP_ROWS(pre)                                                                               \
	{pre, T_, "a TrafficPolicy"}, {pre ".loadBalancer", T_, "loadBalancer"},                   \
	        {pre ".loadBalancer.simple", T_,                                                   \
	         "loadBalancer.algorithm: ROUND_ROBIN, LEAST_REQUEST (LEAST_CONN), RANDOM"},       \
	        {pre ".loadBalancer.consistentHash", T_,                                           \
	         "loadBalancer.algorithm ring-hash or maglev"},                                    \
	        {pre ".loadBalancer.consistentHash.httpHeaderName", T_,                            \
	         "loadBalancer.hashOn.header"},                                                    \
	        {pre ".loadBalancer.consistentHash.httpCookie", T_, "loadBalancer.hashOn.cookie"}, \
	        {pre ".loadBalancer.consistentHash.httpCookie.name", T_, "hashOn.cookie.name"},    \
	        {pre ".loadBalancer.consistentHash.httpCookie.ttl", T_, "hashOn.cookie.ttl"},      \
	        {pre ".loadBalancer.consistentHash.httpCookie.path", R_,                           \
	         "weft cookies have no path"},                                                     \
	        {pre ".loadBalancer.consistentHash.useSourceIp", T_,                               \
	         "loadBalancer.hashOn.sourceIp"},                                                  \
	        {pre ".loadBalancer.consistentHash.httpQueryParameterName", R_,                    \
	         "weft does not hash on query parameters"},                                        \
	        {pre ".loadBalancer.consistentHash.minimumRingSize", T_,                           \
	         "loadBalancer.ringSize.min"},                                                     \
	        {pre ".loadBalancer.consistentHash.ringHash", T_, "ring-hash"},                    \
	        {pre ".loadBalancer.consistentHash.ringHash.minimumRingSize", T_,                  \
	         "loadBalancer.ringSize.min"},                                                     \
	        {pre ".loadBalancer.consistentHash.maglev", T_, "maglev"},                         \
	        {pre ".loadBalancer.consistentHash.maglev.tableSize", R_,                          \
	         "weft has no maglev table size"},                                                 \
	        {pre ".loadBalancer.localityLbSetting", R_,                                        \
	         "weft has no locality failover settings"},                                        \
	        {pre ".loadBalancer.warmupDurationSecs", R_, "weft has no slow start"},            \
	        {pre ".connectionPool", T_, "connectionPool"},                                     \
	        {pre ".connectionPool.tcp", T_, "connectionPool"},                                 \
	        {pre ".connectionPool.tcp.maxConnections", T_, "connectionPool.maxConnections"},   \
	        {pre ".connectionPool.tcp.connectTimeout", T_, "connectionPool.connectTimeout"},   \
	        {pre ".connectionPool.tcp.tcpKeepalive", R_,                                       \
	         "weft has no TCP keepalive settings"},                                            \
	        {pre ".connectionPool.tcp.maxConnectionDuration", R_,                              \
	         "weft has no connection lifetime"},                                               \
	        {pre ".connectionPool.tcp.idleTimeout", R_, "weft has no idle timeout"},           \
	        {pre ".connectionPool.http", T_, "connectionPool"},                                \
	        {pre ".connectionPool.http.http1MaxPendingRequests", T_,                           \
	         "connectionPool.maxPendingRequests"},                                             \
	        {pre ".connectionPool.http.http2MaxRequests", T_, "connectionPool.maxRequests"},   \
	        {pre ".connectionPool.http.maxRetries", T_, "connectionPool.maxRetries"},          \
	        {pre ".connectionPool.http.maxRequestsPerConnection", R_,                          \
	         "weft has no per-connection request cap"},                                        \
	        {pre ".connectionPool.http.idleTimeout", R_, "weft has no idle timeout"},          \
	        {pre ".connectionPool.http.h2UpgradePolicy", R_,                                   \
	         "weft has no HTTP/2 upgrade policy"},                                             \
	        {pre ".connectionPool.http.useClientProtocol", R_,                                 \
	         "the service port's protocol decides"},                                           \
	        {pre ".connectionPool.http.maxConcurrentStreams", R_, "weft has no stream cap"},   \
	        {pre ".outlierDetection", T_, "outlierDetection"},                                 \
	        {pre ".outlierDetection.consecutive5xxErrors", T_,                                 \
	         "outlierDetection.consecutive5xx"},                                               \
	        {pre ".outlierDetection.consecutiveErrors", T_,                                    \
	         "outlierDetection.consecutive5xx (deprecated name)"},                             \
	        {pre ".outlierDetection.consecutiveGatewayErrors", R_, "weft counts 5xx only"},    \
	        {pre ".outlierDetection.consecutiveLocalOriginFailures", R_,                       \
	         "weft counts 5xx only"},                                                          \
	        {pre ".outlierDetection.splitExternalLocalOriginErrors", R_,                       \
	         "weft counts 5xx only"},                                                          \
	        {pre ".outlierDetection.interval", T_, "outlierDetection.interval"},               \
	        {pre ".outlierDetection.baseEjectionTime", T_,                                     \
	         "outlierDetection.baseEjectionTime"},                                             \
	        {pre ".outlierDetection.maxEjectionPercent", T_,                                   \
	         "outlierDetection.maxEjectionPercent"},                                           \
	        {pre ".outlierDetection.minHealthPercent", R_, "weft has no panic threshold"},     \
	        {pre ".tls", T_, "tls"},                                                           \
	        {pre ".tls.mode", T_, "tls.mode: DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL (mesh)"},   \
	        {pre ".tls.clientCertificate", T_, "tls.certFile"},                                \
	        {pre ".tls.privateKey", T_, "tls.keyFile"},                                        \
	        {pre ".tls.caCertificates", T_, "tls.caFile"}, {pre ".tls.sni", T_, "tls.sni"},    \
	        {pre ".tls.credentialName", R_,                                                    \
	         "weft reads certificates from files, not Secrets"},                               \
	        {pre ".tls.subjectAltNames", R_, "weft has no SAN check list"},                    \
	        {pre ".tls.insecureSkipVerify", R_, "weft always verifies"},                       \
	        {pre ".tls.caCrl", R_, "weft has no CRL field"},                                   \
	        {pre ".portLevelSettings", R_, "a weft TrafficPolicy applies to every port"},      \
	        {pre ".tunnel", R_, "weft has no upstream tunnelling"},                            \
	{                                                                                          \
		pre ".proxyProtocol", R_, "weft has no PROXY protocol field"                       \
	}

static const weft_field_rule dr_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.host", T_, "the Service: a short name or NAME.NS.svc.cluster.local"},
        {"spec.subsets", T_, "Service subsets"},
        {"spec.subsets[].name", T_, "subsets[].name"},
        {"spec.subsets[].labels", T_, "subsets[].labels"},
        {"spec.subsets[].labels.*", T_, "subsets[].labels"},
        TP_ROWS("spec.trafficPolicy"),
        TP_ROWS("spec.subsets[].trafficPolicy"),
        {"spec.exportTo", T_, "[\"*\"] only (weft resources are visible mesh-wide)"},
        {"spec.workloadSelector", R_, "a weft TrafficPolicy applies to every client"},
};

static json_t *dur(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *key,
                   const char *path)
{
	const char *s = nb_str(x, src, m, key, path);
	long long ms;
	if (!s)
		return NULL;
	if (nb_duration_ms(s, &ms) || ms <= 0) {
		nb_refuse(x, src, nb_at(m, key), path, "'%s' is not a whole number of milliseconds",
		          s);
		return NULL;
	}
	return nb_duration_json(ms);
}

static void set_int(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *key,
                    const char *path, long long min, long long max, json_t *obj, const char *to)
{
	long long v;
	if (nb_int(x, src, m, key, path, min, max, &v) == 1)
		json_object_set_new(obj, to, json_integer(v));
}

static void load_balancer(weft_xlate *x, const weft_xsrc *src, const weft_node *lb,
                          const char *base, json_t *tp)
{
	char p[200];
	json_t *o = json_object();
	const char *simple = nb_str(x, src, lb, "simple", nb_path(p, sizeof(p), "%s.simple", base));
	static const char *const map[][2] = {{"ROUND_ROBIN", "round-robin"},
	                                     {"LEAST_REQUEST", "least-request"},
	                                     {"LEAST_CONN", "least-request"},
	                                     {"RANDOM", "random"}};
	if (simple) {
		size_t i;
		for (i = 0; i < NB_ROWS(map) && strcmp(map[i][0], simple); i++)
			;
		if (i < NB_ROWS(map))
			json_object_set_new(o, "algorithm", json_string(map[i][1]));
		else
			nb_refuse(x, src, nb_at(lb, "simple"), p, "%s has no weft algorithm",
			          simple);
	}
	const weft_node *ch = nb_map(x, src, lb, "consistentHash",
	                             nb_path(p, sizeof(p), "%s.consistentHash", base));
	if (ch) {
		json_object_set_new(
		        o, "algorithm",
		        json_string(weft_node_get(ch, "maglev") ? "maglev" : "ring-hash"));
		json_t *hash = json_object();
		const char *h =
		        nb_str(x, src, ch, "httpHeaderName",
		               nb_path(p, sizeof(p), "%s.consistentHash.httpHeaderName", base));
		const weft_node *cookie =
		        nb_map(x, src, ch, "httpCookie",
		               nb_path(p, sizeof(p), "%s.consistentHash.httpCookie", base));
		int sip = 0;
		nb_bool(x, src, ch, "useSourceIp",
		        nb_path(p, sizeof(p), "%s.consistentHash.useSourceIp", base), &sip);
		if (h)
			json_object_set_new(hash, "header", json_string(h));
		if (cookie) {
			json_t *c = json_object();
			const char *cn = nb_str(x, src, cookie, "name", p);
			if (cn)
				json_object_set_new(c, "name", json_string(cn));
			json_t *ttl = dur(
			        x, src, cookie, "ttl",
			        nb_path(p, sizeof(p), "%s.consistentHash.httpCookie.ttl", base));
			if (ttl)
				json_object_set_new(c, "ttl", ttl);
			json_object_set_new(hash, "cookie", c);
		}
		if (sip)
			json_object_set_new(hash, "sourceIp", json_true());
		if (json_object_size(hash) == 1)
			json_object_set_new(o, "hashOn", hash);
		else {
			json_decref(hash);
			if (!weft_node_get(ch, "httpQueryParameterName"))
				nb_refuse(x, src, ch,
				          nb_path(p, sizeof(p), "%s.consistentHash", base),
				          "exactly one of httpHeaderName, httpCookie, useSourceIp");
		}
		const weft_node *rh = nb_map(x, src, ch, "ringHash", p);
		long long min = 0;
		if (nb_int(x, src, rh ? rh : ch, "minimumRingSize",
		           nb_path(p, sizeof(p), "%s.consistentHash.minimumRingSize", base), 1,
		           8388608, &min) == 1)
			json_object_set_new(
			        o, "ringSize",
			        json_pack("{s:I, s:I}", "min", min, "max", (json_int_t)8388608));
	}
	if (json_object_size(o))
		json_object_set_new(tp, "loadBalancer", o);
	else
		json_decref(o);
}

static void connection_pool(weft_xlate *x, const weft_xsrc *src, const weft_node *cp,
                            const char *base, json_t *tp)
{
	char p[200];
	json_t *o = json_object();
	const weft_node *tcp = nb_map(x, src, cp, "tcp", nb_path(p, sizeof(p), "%s.tcp", base));
	const weft_node *http = nb_map(x, src, cp, "http", nb_path(p, sizeof(p), "%s.http", base));
	if (tcp) {
		set_int(x, src, tcp, "maxConnections",
		        nb_path(p, sizeof(p), "%s.tcp.maxConnections", base), 1, 1LL << 31, o,
		        "maxConnections");
		json_t *ct = dur(x, src, tcp, "connectTimeout",
		                 nb_path(p, sizeof(p), "%s.tcp.connectTimeout", base));
		if (ct)
			json_object_set_new(o, "connectTimeout", ct);
	}
	if (http) {
		set_int(x, src, http, "http1MaxPendingRequests",
		        nb_path(p, sizeof(p), "%s.http.http1MaxPendingRequests", base), 1,
		        1LL << 31, o, "maxPendingRequests");
		set_int(x, src, http, "http2MaxRequests",
		        nb_path(p, sizeof(p), "%s.http.http2MaxRequests", base), 1, 1LL << 31, o,
		        "maxRequests");
		set_int(x, src, http, "maxRetries",
		        nb_path(p, sizeof(p), "%s.http.maxRetries", base), 1, 1LL << 31, o,
		        "maxRetries");
	}
	if (json_object_size(o))
		json_object_set_new(tp, "connectionPool", o);
	else
		json_decref(o);
}

static void outlier(weft_xlate *x, const weft_xsrc *src, const weft_node *od, const char *base,
                    json_t *tp)
{
	char p[200];
	json_t *o = json_object();
	set_int(x, src, od, "consecutiveErrors",
	        nb_path(p, sizeof(p), "%s.consecutiveErrors", base), 1, 1LL << 31, o,
	        "consecutive5xx");
	set_int(x, src, od, "consecutive5xxErrors",
	        nb_path(p, sizeof(p), "%s.consecutive5xxErrors", base), 1, 1LL << 31, o,
	        "consecutive5xx");
	static const char *const durs[] = {"interval", "baseEjectionTime"};
	for (size_t i = 0; i < 2; i++) {
		json_t *d = dur(x, src, od, durs[i], nb_path(p, sizeof(p), "%s.%s", base, durs[i]));
		if (d)
			json_object_set_new(o, durs[i], d);
	}
	set_int(x, src, od, "maxEjectionPercent",
	        nb_path(p, sizeof(p), "%s.maxEjectionPercent", base), 0, 100, o,
	        "maxEjectionPercent");
	if (json_object_size(o))
		json_object_set_new(tp, "outlierDetection", o);
	else
		json_decref(o);
}

static void upstream_tls(weft_xlate *x, const weft_xsrc *src, const weft_node *t, const char *base,
                         json_t *tp)
{
	char p[200];
	static const char *const modes[][2] = {{"DISABLE", "disable"},
	                                       {"SIMPLE", "simple"},
	                                       {"MUTUAL", "mutual"},
	                                       {"ISTIO_MUTUAL", "mesh"}};
	const char *mode = nb_str(x, src, t, "mode", nb_path(p, sizeof(p), "%s.mode", base));
	size_t i;
	for (i = 0; mode && i < NB_ROWS(modes) && strcmp(modes[i][0], mode); i++)
		;
	if (!mode || i == NB_ROWS(modes)) {
		nb_refuse(x, src, nb_at(t, "mode"), p,
		          "mode: expected DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL");
		return;
	}
	json_t *o = json_pack("{s:s}", "mode", modes[i][1]);
	static const char *const files[][2] = {{"sni", "sni"},
	                                       {"caCertificates", "caFile"},
	                                       {"clientCertificate", "certFile"},
	                                       {"privateKey", "keyFile"}};
	for (size_t k = 0; k < NB_ROWS(files); k++) {
		const char *v = nb_str(x, src, t, files[k][0],
		                       nb_path(p, sizeof(p), "%s.%s", base, files[k][0]));
		if (v)
			json_object_set_new(o, files[k][1], json_string(v));
	}
	json_object_set_new(tp, "tls", o);
}

/* One trafficPolicy into TrafficPolicy NAME (NAME-SUBSET for a subset).
 * Istio lets a subset's policy override the rule's per top-level field;
 * weft takes the subset's TrafficPolicy instead of the service's as a whole
 * (docs/adapter-xds.md), so the rule's fields the subset does not set are
 * copied in (parent, may be NULL). */
static int traffic_policy(weft_xlate *x, const weft_xsrc *src, const weft_node *pol,
                          const char *base, const char *svc_ns, const char *svc, const char *subset,
                          const json_t *parent)
{
	char name[300], p[200];
	if (subset)
		snprintf(name, sizeof(name), "%s-%s", src->name, subset);
	else
		snprintf(name, sizeof(name), "%s", src->name);
	json_t *tp = json_object();
	const weft_node *n;
	if ((n = nb_map(x, src, pol, "loadBalancer",
	                nb_path(p, sizeof(p), "%s.loadBalancer", base))))
		load_balancer(x, src, n, p, tp);
	if ((n = nb_map(x, src, pol, "connectionPool",
	                nb_path(p, sizeof(p), "%s.connectionPool", base))))
		connection_pool(x, src, n, p, tp);
	if ((n = nb_map(x, src, pol, "outlierDetection",
	                nb_path(p, sizeof(p), "%s.outlierDetection", base))))
		outlier(x, src, n, p, tp);
	if ((n = nb_map(x, src, pol, "tls", nb_path(p, sizeof(p), "%s.tls", base))))
		upstream_tls(x, src, n, p, tp);
	if (parent) {
		json_t *inherited = json_deep_copy(parent);
		json_object_del(inherited, "service");
		json_object_del(inherited, "subset");
		json_object_update_missing(tp, inherited);
		json_decref(inherited);
	}
	if (json_object_size(tp) == 0) {
		json_decref(tp);
		return 0;
	}
	json_t *spec = nb_out_spec(x, src, "TrafficPolicy", src->ns, name);
	if (!spec) {
		json_decref(tp);
		return -1;
	}
	char ref[300];
	snprintf(ref, sizeof(ref), "%s/%s", svc_ns, svc);
	json_object_set_new(spec, "service", json_string(ref));
	if (subset)
		json_object_set_new(spec, "subset", json_string(subset));
	json_object_update(spec, tp);
	json_decref(tp);
	return 0;
}

int nb_istio_export_to(weft_xlate *x, const weft_xsrc *src, const weft_node *spec);
int nb_istio_export_to(weft_xlate *x, const weft_xsrc *src, const weft_node *spec)
{
	const weft_node *e = nb_seq(x, src, spec, "exportTo", "spec.exportTo");
	for (size_t i = 0; e && i < e->count; i++)
		if (e->items[i]->kind != WEFT_NODE_SCALAR || strcmp(e->items[i]->str, "*")) {
			nb_refuse(x, src, e->items[i], "spec.exportTo",
			          "weft resources are visible mesh-wide: only \"*\" translates");
			return -1;
		}
	return 0;
}

static int translate_dr(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const char *host = spec ? nb_str(x, src, spec, "host", "spec.host") : NULL;
	char name[64], ns[64], p[128];
	if (!host) {
		nb_refuse(x, src, spec ? spec : src->root, "spec.host",
		          "required field is missing");
		return 0;
	}
	nb_istio_export_to(x, src, spec);
	json_t *svc;
	if (nb_service_host(host, src->ns, name, sizeof(name), ns, sizeof(ns)) ||
	    !(svc = nb_out_find(x, "Service", ns, name))) {
		nb_refuse(x, src, nb_at(spec, "host"), "spec.host",
		          "host '%s' is not a Service of the import (subsets and policies attach "
		          "to a "
		          "weft Service: import its Service and EndpointSlices too)",
		          host);
		return 0;
	}
	nb_out_spec(x, src, "Service", ns, name);
	const weft_node *pol = nb_map(x, src, spec, "trafficPolicy", "spec.trafficPolicy");
	if (pol && traffic_policy(x, src, pol, "spec.trafficPolicy", ns, name, NULL, NULL))
		return -1;
	const weft_node *subsets = nb_seq(x, src, spec, "subsets", "spec.subsets");
	for (size_t i = 0; subsets && i < subsets->count; i++) {
		const weft_node *s = subsets->items[i];
		const char *sn = nb_str(x, src, s, "name",
		                        nb_path(p, sizeof(p), "spec.subsets[%zu].name", i));
		json_t *labels = nb_labels(x, src, weft_node_get(s, "labels"),
		                           nb_path(p, sizeof(p), "spec.subsets[%zu].labels", i));
		if (!sn || !labels) {
			nb_refuse(x, src, s, p, "a subset needs a name and labels");
			json_decref(labels);
			continue;
		}
		nb_append(svc, "subsets", json_pack("{s:s, s:o}", "name", sn, "labels", labels));
		const weft_node *sp =
		        nb_map(x, src, s, "trafficPolicy",
		               nb_path(p, sizeof(p), "spec.subsets[%zu].trafficPolicy", i));
		if (sp && traffic_policy(x, src, sp, p, ns, name, sn,
		                         nb_out_find(x, "TrafficPolicy", src->ns, src->name)))
			return -1;
	}
	return 0;
}

static const char *const versions[] = {"v1", "v1beta1", "v1alpha3", NULL};

const weft_translator nb_istio_dr = {
        .group = "networking.istio.io",
        .versions = versions,
        .kind = "DestinationRule",
        .phase = 1,
        .fields = dr_rows,
        .n_fields = NB_ROWS(dr_rows),
        .translate = translate_dr,
};
