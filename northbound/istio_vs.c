/* networking.istio.io VirtualService -> weft Routes (docs/northbound.md).
 * A mesh VirtualService (no gateways, or "mesh") becomes one Route per host
 * that names a Service of the import: NAME for a single host, NAME-SERVICE
 * when there are several. http rules keep their order (Istio evaluates them
 * first match, as weft does); destination weights are normalised to 100. */
#include <stdlib.h>
#include <string.h>

#include "nb_common.h"

int nb_istio_export_to(weft_xlate *x, const weft_xsrc *src, const weft_node *spec);
int nb_istio_entry_host(weft_xlate *x, const char *host, char *ns, size_t ns_cap, char *name,
                        size_t name_cap);

static const weft_field_rule vs_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.hosts", T_, "one Route per host naming a Service of the import (spec.service)"},
        {"spec.gateways", T_,
         "mesh (or absent): a Route per service host; Istio Gateways "
         "(NAME or NS/NAME): one Route with the hosts, in the Gateway's "
         "listeners (NAME-gateway when mesh is listed too)"},
        {"spec.exportTo", T_, "[\"*\"] only (weft resources are visible mesh-wide)"},
        {"spec.http", T_, "http rules, in order"},
        {"spec.http[].name", T_, "http[].name"},
        {"spec.http[].match", T_, "http[].match"},
        {"spec.http[].match[].uri", T_, "match[].path"},
        {"spec.http[].match[].uri.exact", T_, "match[].path.exact"},
        {"spec.http[].match[].uri.prefix", T_, "match[].path.prefix"},
        {"spec.http[].match[].uri.regex", T_, "match[].path.regex"},
        {"spec.http[].match[].method", T_, "match[].method"},
        {"spec.http[].match[].method.exact", T_, "match[].method"},
        {"spec.http[].match[].method.prefix", R_, "weft matches whole methods"},
        {"spec.http[].match[].method.regex", R_, "weft matches whole methods"},
        {"spec.http[].match[].headers", T_, "match[].headers"},
        {"spec.http[].match[].headers.*", T_, "match[].headers[].name"},
        {"spec.http[].match[].headers.*.exact", T_, "headers[].exact"},
        {"spec.http[].match[].headers.*.prefix", T_, "headers[].prefix"},
        {"spec.http[].match[].headers.*.regex", T_, "headers[].regex"},
        {"spec.http[].match[].queryParams", T_, "match[].queryParams"},
        {"spec.http[].match[].queryParams.*", T_, "match[].queryParams[].name"},
        {"spec.http[].match[].queryParams.*.exact", T_, "queryParams[].exact"},
        {"spec.http[].match[].queryParams.*.regex", T_, "queryParams[].regex"},
        {"spec.http[].match[].queryParams.*.prefix", R_,
         "weft matches query values exactly or by regex"},
        {"spec.http[].match[].name", W_, "match names are not kept"},
        {"spec.http[].match[].port", R_, "a weft Route selects a port for all its rules"},
        {"spec.http[].match[].sourceLabels", R_, "weft routes apply to every client"},
        {"spec.http[].match[].sourceNamespace", R_, "weft routes apply to every client"},
        {"spec.http[].match[].gateways", R_, "weft routes apply to every client"},
        {"spec.http[].match[].authority", R_, "weft has no authority match"},
        {"spec.http[].match[].scheme", R_, "weft has no scheme match"},
        {"spec.http[].match[].ignoreUriCase", R_, "weft paths match case-sensitively"},
        {"spec.http[].match[].withoutHeaders", R_, "weft has no negative header match"},
        {"spec.http[].match[].statPrefix", R_, "weft names statistics itself"},
        {"spec.http[].route", T_, "http[].destinations"},
        {"spec.http[].route[].destination", T_, "destinations[]"},
        {"spec.http[].route[].destination.host", T_,
         "destinations[].service (a Service, or the ServiceEntry listing the host)"},
        {"spec.http[].route[].destination.subset", T_, "destinations[].subset"},
        {"spec.http[].route[].destination.port", T_, "destinations[].port"},
        {"spec.http[].route[].destination.port.number", T_, "destinations[].port"},
        {"spec.http[].route[].weight", T_, "destinations[].weight (normalised to sum 100)"},
        {"spec.http[].route[].headers", R_, "weft edits headers per rule, not per destination"},
        {"spec.http[].headers", T_, "http[].headers"},
        {"spec.http[].headers.request", T_, "headers.request"},
        {"spec.http[].headers.request.set", T_, "headers.request.add (weft's add replaces)"},
        {"spec.http[].headers.request.set.*", T_, "headers.request.add"},
        {"spec.http[].headers.request.add", T_, "headers.request.add"},
        {"spec.http[].headers.request.add.*", T_, "headers.request.add"},
        {"spec.http[].headers.request.remove", T_, "headers.request.remove"},
        {"spec.http[].headers.response", T_, "headers.response"},
        {"spec.http[].headers.response.set", T_, "headers.response.add"},
        {"spec.http[].headers.response.set.*", T_, "headers.response.add"},
        {"spec.http[].headers.response.add", T_, "headers.response.add"},
        {"spec.http[].headers.response.add.*", T_, "headers.response.add"},
        {"spec.http[].headers.response.remove", T_, "headers.response.remove"},
        {"spec.http[].rewrite", T_, "http[].rewrite"},
        {"spec.http[].rewrite.uri", T_, "rewrite.prefix (replaces the matched prefix)"},
        {"spec.http[].rewrite.authority", T_, "rewrite.host"},
        {"spec.http[].rewrite.uriRegexRewrite", R_, "weft has no regex rewrite"},
        {"spec.http[].timeout", T_, "http[].timeout"},
        {"spec.http[].retries", T_,
         "http[].retries; absent: Istio's default, 2 attempts on connect-failure, "
         "refused-stream, unavailable, cancelled, retriable-status-codes"},
        {"spec.http[].retries.attempts", T_, "retries.attempts"},
        {"spec.http[].retries.perTryTimeout", T_, "retries.perTryTimeout"},
        {"spec.http[].retries.retryOn", T_,
         "retries.retryOn (comma list of Envoy conditions; absent: Istio's default list)"},
        {"spec.http[].retries.retryRemoteLocalities", R_, "weft has no locality retry setting"},
        {"spec.http[].retries.retryIgnorePreviousHosts", R_,
         "weft has no host-selection retry setting"},
        {"spec.http[].retries.backoff", R_, "weft has no retry backoff field"},
        {"spec.http[].fault", T_, "http[].fault"},
        {"spec.http[].fault.delay", T_, "fault.delay"},
        {"spec.http[].fault.delay.fixedDelay", T_, "fault.delay.duration"},
        {"spec.http[].fault.delay.percentage", T_, "fault.delay.percent"},
        {"spec.http[].fault.delay.percentage.value", T_, "fault.delay.percent"},
        {"spec.http[].fault.delay.percent", T_, "fault.delay.percent"},
        {"spec.http[].fault.delay.exponentialDelay", R_, "weft delays are fixed"},
        {"spec.http[].fault.abort", T_, "fault.abort"},
        {"spec.http[].fault.abort.httpStatus", T_, "fault.abort.status"},
        {"spec.http[].fault.abort.percentage", T_, "fault.abort.percent"},
        {"spec.http[].fault.abort.percentage.value", T_, "fault.abort.percent"},
        {"spec.http[].fault.abort.grpcStatus", R_, "weft aborts with HTTP statuses"},
        {"spec.http[].fault.abort.http2Error", R_, "weft aborts with HTTP statuses"},
        {"spec.http[].mirror", R_, "weft has no request mirroring yet"},
        {"spec.http[].mirrors", R_, "weft has no request mirroring yet"},
        {"spec.http[].mirrorPercentage", R_, "weft has no request mirroring yet"},
        {"spec.http[].mirrorPercent", R_, "weft has no request mirroring yet"},
        {"spec.http[].mirror_percent", R_, "weft has no request mirroring yet"},
        {"spec.http[].redirect", R_, "weft has no redirects yet"},
        {"spec.http[].directResponse", R_, "weft has no direct responses yet"},
        {"spec.http[].delegate", R_, "weft has no route delegation"},
        {"spec.http[].corsPolicy", R_, "weft has no CORS policy yet"},
        {"spec.tcp", T_, "tcp rules"},
        {"spec.tcp[].match", R_, "weft TCP rules match every connection"},
        {"spec.tcp[].route", T_, "tcp[].destinations"},
        {"spec.tcp[].route[].destination", T_, "destinations[]"},
        {"spec.tcp[].route[].destination.host", T_, "destinations[].service"},
        {"spec.tcp[].route[].destination.subset", R_, "weft TCP destinations have no subset"},
        {"spec.tcp[].route[].destination.port", T_, "destinations[].port"},
        {"spec.tcp[].route[].destination.port.number", T_, "destinations[].port"},
        {"spec.tcp[].route[].weight", T_, "destinations[].weight (normalised to sum 100)"},
        {"spec.tls", R_, "weft has no SNI routing for mesh services"},
};

static json_t *dur(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *key,
                   const char *path)
{
	const char *s = nb_str(x, src, m, key, path);
	long long ms;
	if (!s)
		return NULL;
	if (nb_duration_ms(s, &ms) || ms <= 0) {
		nb_refuse(x, src, nb_at(m, key), path,
		          "'%s' is not a positive whole number of milliseconds", s);
		return NULL;
	}
	return nb_duration_json(ms);
}

/* "{exact|prefix|regex: V}" string matches into obj[key]; which is "epr"
 * minus what the field refuses (those are refused by the table). */
static void string_match(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *path,
                         json_t *obj)
{
	static const char *const kinds[] = {"exact", "prefix", "regex"};
	int n = 0;
	for (size_t i = 0; i < 3; i++) {
		char p[300];
		const char *v =
		        nb_str(x, src, m, kinds[i], nb_path(p, sizeof(p), "%s.%s", path, kinds[i]));
		if (v) {
			json_object_set_new(obj, kinds[i], json_string(v));
			n++;
		}
	}
	if (n > 1)
		nb_refuse(x, src, m, path, "exactly one of exact, prefix, regex");
}

static json_t *named_matches(weft_xlate *x, const weft_xsrc *src, const weft_node *map,
                             const char *path)
{
	json_t *a = json_array();
	for (size_t i = 0; i < map->count; i++) {
		char p[300];
		const weft_node *v = map->pairs[i].value;
		nb_path(p, sizeof(p), "%s.%s", path, map->pairs[i].key->str);
		if (v->kind != WEFT_NODE_MAP) {
			nb_refuse(x, src, v, p, "expected a map of exact/prefix/regex");
			continue;
		}
		json_t *o = json_pack("{s:s}", "name", map->pairs[i].key->str);
		string_match(x, src, v, p, o);
		if (json_object_size(o) > 1)
			json_array_append_new(a, o);
		else
			json_decref(o);
	}
	return a;
}

static json_t *http_match(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *base)
{
	char p[300];
	json_t *o = json_object();
	const weft_node *uri = nb_map(x, src, m, "uri", nb_path(p, sizeof(p), "%s.uri", base));
	if (uri) {
		json_t *path = json_object();
		string_match(x, src, uri, p, path);
		json_object_set_new(o, "path", path);
	}
	const weft_node *method =
	        nb_map(x, src, m, "method", nb_path(p, sizeof(p), "%s.method", base));
	const char *me = method ? nb_str(x, src, method, "exact", p) : NULL;
	if (me)
		json_object_set_new(o, "method", json_string(me));
	const weft_node *h =
	        nb_map(x, src, m, "headers", nb_path(p, sizeof(p), "%s.headers", base));
	if (h && h->count)
		json_object_set_new(o, "headers", named_matches(x, src, h, p));
	const weft_node *q =
	        nb_map(x, src, m, "queryParams", nb_path(p, sizeof(p), "%s.queryParams", base));
	if (q && q->count)
		json_object_set_new(o, "queryParams", named_matches(x, src, q, p));
	return o;
}

/* Destinations with weights normalised to 100 (one destination: none). */
static json_t *destinations(weft_xlate *x, const weft_xsrc *src, const weft_node *route,
                            const char *base, int tcp)
{
	char p[300];
	json_t *a = json_array();
	long long w[64] = {0}, pct[64];
	size_t n = route->count < 64 ? route->count : 64;
	if (route->count > 64)
		nb_refuse(x, src, route, base, "more than 64 destinations");
	for (size_t i = 0; i < n; i++) {
		const weft_node *r = route->items[i];
		const weft_node *d = nb_map(x, src, r, "destination",
		                            nb_path(p, sizeof(p), "%s[%zu].destination", base, i));
		const char *host =
		        d ? nb_str(x, src, d, "host",
		                   nb_path(p, sizeof(p), "%s[%zu].destination.host", base, i))
		          : NULL;
		char name[64], ns[64], ref[160];
		if (!host) {
			nb_refuse(x, src, r, p, "required field is missing");
			continue;
		}
		if (nb_service_host(host, src->ns, name, sizeof(name), ns, sizeof(ns)) &&
		    nb_istio_entry_host(x, host, ns, sizeof(ns), name, sizeof(name))) {
			nb_refuse(x, src, nb_at(d, "host"), p,
			          "'%s' is neither a cluster service (NAME or "
			          "NAME.NS.svc.cluster.local) "
			          "nor a host of a ServiceEntry of the import",
			          host);
			continue;
		}
		snprintf(ref, sizeof(ref), "%s/%s", ns, name);
		json_t *o = json_pack("{s:s}", "service", ref);
		const char *subset =
		        tcp ? NULL
		            : nb_str(x, src, d, "subset",
		                     nb_path(p, sizeof(p), "%s[%zu].destination.subset", base, i));
		if (subset)
			json_object_set_new(o, "subset", json_string(subset));
		const weft_node *port =
		        nb_map(x, src, d, "port",
		               nb_path(p, sizeof(p), "%s[%zu].destination.port", base, i));
		long long num;
		if (port &&
		    nb_int(x, src, port, "number",
		           nb_path(p, sizeof(p), "%s[%zu].destination.port.number", base, i), 1,
		           65535, &num) == 1)
			json_object_set_new(o, "port", json_integer(num));
		nb_int(x, src, r, "weight", nb_path(p, sizeof(p), "%s[%zu].weight", base, i), 0,
		       1000000, &w[i]);
		json_array_append_new(a, o);
	}
	if (json_array_size(a) > 1 && json_array_size(a) == n) {
		if (nb_weights_percent(w, n, pct))
			nb_refuse(x, src, route, base, "every weight is 0");
		else
			for (size_t i = 0; i < n; i++)
				json_object_set_new(json_array_get(a, i), "weight",
				                    json_integer(pct[i]));
	}
	return a;
}

static void header_ops(weft_xlate *x, const weft_xsrc *src, const weft_node *h, const char *base,
                       json_t *out)
{
	char p[300];
	static const char *const dirs[] = {"request", "response"};
	for (size_t d = 0; d < 2; d++) {
		const weft_node *m =
		        nb_map(x, src, h, dirs[d], nb_path(p, sizeof(p), "%s.%s", base, dirs[d]));
		if (!m)
			continue;
		json_t *o = json_object(), *add = json_object();
		static const char *const ops[] = {"set", "add"};
		for (size_t k = 0; k < 2; k++) {
			const weft_node *kv =
			        nb_map(x, src, m, ops[k],
			               nb_path(p, sizeof(p), "%s.%s.%s", base, dirs[d], ops[k]));
			json_t *l = nb_labels(x, src, kv, p);
			if (l)
				json_object_update(add, l);
			json_decref(l);
		}
		if (json_object_size(add))
			json_object_set(o, "add", add);
		json_decref(add);
		const weft_node *rm = nb_seq(x, src, m, "remove",
		                             nb_path(p, sizeof(p), "%s.%s.remove", base, dirs[d]));
		if (rm && rm->count) {
			json_t *a = json_array();
			for (size_t i = 0; i < rm->count; i++)
				json_array_append_new(a, json_string(rm->items[i]->str));
			json_object_set_new(o, "remove", a);
		}
		json_object_set_new(out, dirs[d], o);
	}
}

/* Istio retries every mesh request by default: 2 attempts on these
 * conditions (its DefaultRetryPolicy). weft retries only when told, so the
 * translation writes Istio's default out. */
static json_t *istio_retry_on(void)
{
	return json_pack("[s, s, s, s, s]", "connect-failure", "refused-stream", "unavailable",
	                 "cancelled", "retriable-status-codes");
}

static void retries(weft_xlate *x, const weft_xsrc *src, const weft_node *r, const char *base,
                    json_t *rule)
{
	static const char *const known[] = {"5xx",
	                                    "gateway-error",
	                                    "reset",
	                                    "connect-failure",
	                                    "retriable-4xx",
	                                    "refused-stream",
	                                    "retriable-status-codes",
	                                    "envoy-ratelimited",
	                                    "cancelled",
	                                    "deadline-exceeded",
	                                    "internal",
	                                    "resource-exhausted",
	                                    "unavailable"};
	char p[300];
	long long attempts;
	json_t *o = json_object();
	if (nb_int(x, src, r, "attempts", nb_path(p, sizeof(p), "%s.attempts", base), 0, 10,
	           &attempts) == 1)
		json_object_set_new(o, "attempts", json_integer(attempts));
	else
		json_object_set_new(o, "attempts", json_integer(2)); /* Istio's default */
	json_t *ptt =
	        dur(x, src, r, "perTryTimeout", nb_path(p, sizeof(p), "%s.perTryTimeout", base));
	if (ptt)
		json_object_set_new(o, "perTryTimeout", ptt);
	const char *on = nb_str(x, src, r, "retryOn", nb_path(p, sizeof(p), "%s.retryOn", base));
	if (on) {
		json_t *a = json_array();
		char *dup = strdup(on), *save = NULL;
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			size_t i;
			for (i = 0; i < NB_ROWS(known) && strcmp(known[i], t); i++)
				;
			if (i < NB_ROWS(known))
				json_array_append_new(a, json_string(t));
			else
				nb_refuse(x, src, nb_at(r, "retryOn"), p,
				          "retry condition '%s' is not one weft knows", t);
		}
		free(dup);
		json_object_set_new(o, "retryOn", a);
	} else if (json_integer_value(json_object_get(o, "attempts")) > 0) {
		json_object_set_new(o, "retryOn", istio_retry_on());
	}
	json_object_set_new(rule, "retries", o);
}

static json_t *percent(weft_xlate *x, const weft_xsrc *src, const weft_node *m, const char *base)
{
	char p[300];
	const weft_node *pc =
	        nb_map(x, src, m, "percentage", nb_path(p, sizeof(p), "%s.percentage", base));
	const char *v =
	        pc ? nb_str(x, src, pc, "value", nb_path(p, sizeof(p), "%s.percentage.value", base))
	           : NULL;
	long long iv;
	if (!v && nb_int(x, src, m, "percent", nb_path(p, sizeof(p), "%s.percent", base), 0, 100,
	                 &iv) == 1)
		return json_integer(iv);
	if (!v)
		return json_integer(100); /* Istio: absent percentage is every request */
	char *end;
	double d = strtod(v, &end);
	if (*end || d < 0 || d > 100) {
		nb_refuse(x, src, pc, p, "expected a percentage 0-100");
		return NULL;
	}
	return d == (long long)d ? json_integer((long long)d) : json_real(d);
}

static void fault(weft_xlate *x, const weft_xsrc *src, const weft_node *f, const char *base,
                  json_t *rule)
{
	char p[300];
	json_t *o = json_object();
	const weft_node *d = nb_map(x, src, f, "delay", nb_path(p, sizeof(p), "%s.delay", base));
	if (d) {
		char b[300];
		json_t *dd =
		        dur(x, src, d, "fixedDelay", nb_path(b, sizeof(b), "%s.fixedDelay", p));
		json_t *pc = percent(x, src, d, p);
		if (dd && pc)
			json_object_set_new(o, "delay",
			                    json_pack("{s:o, s:o}", "percent", pc, "duration", dd));
		else {
			json_decref(dd);
			json_decref(pc);
			if (!weft_node_get(d, "exponentialDelay"))
				nb_refuse(x, src, d, p, "a delay needs fixedDelay");
		}
	}
	const weft_node *a = nb_map(x, src, f, "abort", nb_path(p, sizeof(p), "%s.abort", base));
	long long status;
	if (a) {
		char b[300];
		int has = nb_int(x, src, a, "httpStatus", nb_path(b, sizeof(b), "%s.httpStatus", p),
		                 200, 599, &status);
		json_t *pc = percent(x, src, a, p);
		if (has == 1 && pc)
			json_object_set_new(o, "abort",
			                    json_pack("{s:o, s:I}", "percent", pc, "status",
			                              (json_int_t)status));
		else
			json_decref(pc);
	}
	if (json_object_size(o))
		json_object_set_new(rule, "fault", o);
	else
		json_decref(o);
}

static json_t *http_rule(weft_xlate *x, const weft_xsrc *src, const weft_node *h, size_t i)
{
	char base[64], p[300];
	nb_path(base, sizeof(base), "spec.http[%zu]", i);
	json_t *rule = json_object();
	const char *name = nb_str(x, src, h, "name", nb_path(p, sizeof(p), "%s.name", base));
	if (name)
		json_object_set_new(rule, "name", json_string(name));
	const weft_node *match =
	        nb_seq(x, src, h, "match", nb_path(p, sizeof(p), "%s.match", base));
	for (size_t j = 0; match && j < match->count; j++) {
		char mb[300];
		json_t *m = http_match(x, src, match->items[j],
		                       nb_path(mb, sizeof(mb), "%s.match[%zu]", base, j));
		nb_append(rule, "match", m);
	}
	const weft_node *route =
	        nb_seq(x, src, h, "route", nb_path(p, sizeof(p), "%s.route", base));
	if (!route || route->count == 0) {
		if (!weft_node_get(h, "redirect") && !weft_node_get(h, "directResponse") &&
		    !weft_node_get(h, "delegate"))
			nb_refuse(x, src, h, base, "a rule needs route destinations");
	} else {
		json_object_set_new(rule, "destinations", destinations(x, src, route, p, 0));
	}
	json_t *t = dur(x, src, h, "timeout", nb_path(p, sizeof(p), "%s.timeout", base));
	if (t)
		json_object_set_new(rule, "timeout", t);
	const weft_node *n;
	if ((n = nb_map(x, src, h, "retries", nb_path(p, sizeof(p), "%s.retries", base))))
		retries(x, src, n, p, rule);
	else
		json_object_set_new(
		        rule, "retries",
		        json_pack("{s:i, s:o}", "attempts", 2, "retryOn", istio_retry_on()));
	if ((n = nb_map(x, src, h, "fault", nb_path(p, sizeof(p), "%s.fault", base))))
		fault(x, src, n, p, rule);
	if ((n = nb_map(x, src, h, "rewrite", nb_path(p, sizeof(p), "%s.rewrite", base)))) {
		json_t *rw = json_object();
		char b[300];
		const char *uri = nb_str(x, src, n, "uri", nb_path(b, sizeof(b), "%s.uri", p));
		const char *auth =
		        nb_str(x, src, n, "authority", nb_path(b, sizeof(b), "%s.authority", p));
		if (uri)
			json_object_set_new(rw, "prefix", json_string(uri));
		if (auth)
			json_object_set_new(rw, "host", json_string(auth));
		if (json_object_size(rw))
			json_object_set_new(rule, "rewrite", rw);
		else
			json_decref(rw);
	}
	if ((n = nb_map(x, src, h, "headers", nb_path(p, sizeof(p), "%s.headers", base)))) {
		json_t *ho = json_object();
		header_ops(x, src, n, p, ho);
		json_object_set_new(rule, "headers", ho);
	}
	return rule;
}

/* Adds NS/ROUTE to the listeners of Istio Gateway gw that carry this
 * kind of rules (http/https for http rules, tcp/tls for tcp). */
static void attach_gateway(weft_xlate *x, const weft_xsrc *src, const weft_node *at, const char *gw,
                           const char *route, int tcp)
{
	char ns[64], name[256], ref[400];
	const char *slash = strchr(gw, '/');
	if (slash && (size_t)(slash - gw) < sizeof(ns)) {
		memcpy(ns, gw, (size_t)(slash - gw));
		ns[slash - gw] = '\0';
		snprintf(name, sizeof(name), "%s", slash + 1);
	} else {
		snprintf(ns, sizeof(ns), "%s", src->ns);
		snprintf(name, sizeof(name), "%s", gw);
	}
	json_t *g = nb_out_find(x, "Gateway", ns, name), *l;
	if (!g || !nb_find_src(x, "networking.istio.io", "Gateway", ns, name)) {
		nb_refuse(x, src, at, "spec.gateways", "Istio Gateway %s/%s is not in the import",
		          ns, name);
		return;
	}
	snprintf(ref, sizeof(ref), "%s/%s", src->ns, route);
	size_t i, attached = 0;
	json_array_foreach(json_object_get(g, "listeners"), i, l)
	{
		const char *proto = json_string_value(json_object_get(l, "protocol"));
		int fits = proto && (tcp ? (!strcmp(proto, "tcp") || !strcmp(proto, "tls"))
		                         : (!strcmp(proto, "http") || !strcmp(proto, "https")));
		if (fits) {
			nb_append(l, "routes", json_string(ref));
			attached++;
		}
	}
	if (!attached)
		nb_refuse(x, src, at, "spec.gateways",
		          "no server of Gateway %s/%s carries %s routes", ns, name,
		          tcp ? "TCP" : "HTTP");
}

/* Mesh routes: one per host that names a Service or ServiceEntry host. */
static int mesh_routes(weft_xlate *x, const weft_xsrc *src, const weft_node *hosts, json_t *http,
                       json_t *tcp)
{
	char p[64];
	for (size_t i = 0; i < hosts->count; i++) {
		char name[64], ns[64], rname[300], ref[160];
		const char *host = hosts->items[i]->str;
		nb_path(p, sizeof(p), "spec.hosts[%zu]", i);
		if (hosts->items[i]->kind != WEFT_NODE_SCALAR ||
		    (nb_service_host(host, src->ns, name, sizeof(name), ns, sizeof(ns)) &&
		     nb_istio_entry_host(x, host, ns, sizeof(ns), name, sizeof(name)))) {
			nb_refuse(x, src, hosts->items[i], p,
			          "'%s' is neither a cluster service nor a ServiceEntry host of "
			          "the import (mesh routes are for services)",
			          host);
			continue;
		}
		if (hosts->count == 1)
			snprintf(rname, sizeof(rname), "%s", src->name);
		else
			snprintf(rname, sizeof(rname), "%s-%s", src->name, name);
		json_t *out = nb_out_spec(x, src, "Route", src->ns, rname);
		if (!out)
			return -1;
		snprintf(ref, sizeof(ref), "%s/%s", ns, name);
		json_object_set_new(out, "service", json_string(ref));
		if (json_array_size(tcp))
			json_object_set(out, "tcp", tcp);
		else
			json_object_set(out, "http", http);
	}
	return 0;
}

/* The gateway route: the VirtualService's hosts on its Gateways. */
static int gateway_route(weft_xlate *x, const weft_xsrc *src, const weft_node *hosts,
                         const weft_node *gws, int mesh, json_t *http, json_t *tcp)
{
	char rname[300];
	snprintf(rname, sizeof(rname), mesh ? "%s-gateway" : "%s", src->name);
	json_t *out = nb_out_spec(x, src, "Route", src->ns, rname);
	if (!out)
		return -1;
	json_t *h = json_array();
	for (size_t i = 0; i < hosts->count; i++)
		if (hosts->items[i]->kind == WEFT_NODE_SCALAR)
			json_array_append_new(h, json_string(hosts->items[i]->str));
	json_object_set_new(out, "hosts", h);
	if (json_array_size(tcp))
		json_object_set(out, "tcp", tcp);
	else
		json_object_set(out, "http", http);
	for (size_t i = 0; i < gws->count; i++)
		if (gws->items[i]->kind == WEFT_NODE_SCALAR && strcmp(gws->items[i]->str, "mesh"))
			attach_gateway(x, src, gws->items[i], gws->items[i]->str, rname,
			               json_array_size(tcp) > 0);
	return 0;
}

static int translate_vs(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *hosts = spec ? nb_seq(x, src, spec, "hosts", "spec.hosts") : NULL;
	if (!hosts || hosts->count == 0) {
		nb_refuse(x, src, spec ? spec : src->root, "spec.hosts",
		          "required field is missing");
		return 0;
	}
	nb_istio_export_to(x, src, spec);
	const weft_node *gws = nb_seq(x, src, spec, "gateways", "spec.gateways");
	int mesh = !gws || gws->count == 0, n_gw = 0;
	for (size_t i = 0; gws && i < gws->count; i++) {
		int is_mesh = gws->items[i]->kind == WEFT_NODE_SCALAR &&
		              !strcmp(gws->items[i]->str, "mesh");
		mesh |= is_mesh;
		n_gw += !is_mesh;
	}
	json_t *http = json_array(), *tcp = json_array();
	const weft_node *h = nb_seq(x, src, spec, "http", "spec.http");
	for (size_t i = 0; h && i < h->count; i++)
		json_array_append_new(http, http_rule(x, src, h->items[i], i));
	const weft_node *t = nb_seq(x, src, spec, "tcp", "spec.tcp");
	char p[64];
	for (size_t i = 0; t && i < t->count; i++) {
		const weft_node *route = nb_seq(x, src, t->items[i], "route",
		                                nb_path(p, sizeof(p), "spec.tcp[%zu].route", i));
		if (route)
			json_array_append_new(tcp, json_pack("{s:o}", "destinations",
			                                     destinations(x, src, route, p, 1)));
	}
	if (json_array_size(http) && json_array_size(tcp))
		nb_refuse(x, src, nb_at(spec, "tcp"), "spec.tcp",
		          "a weft Route has http or tcp rules, not both: split the VirtualService");
	int rc = mesh ? mesh_routes(x, src, hosts, http, tcp) : 0;
	if (rc == 0 && n_gw)
		rc = gateway_route(x, src, hosts, gws, mesh, http, tcp);
	json_decref(http);
	json_decref(tcp);
	return rc;
}

static const char *const versions[] = {"v1", "v1beta1", "v1alpha3", NULL};

const weft_translator nb_istio_vs = {
        .group = "networking.istio.io",
        .versions = versions,
        .kind = "VirtualService",
        .phase = 2,
        .fields = vs_rows,
        .n_fields = NB_ROWS(vs_rows),
        .translate = translate_vs,
};
