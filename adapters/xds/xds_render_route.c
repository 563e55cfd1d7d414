/* Render: routes (RDS) and the HTTP filter chain of an HttpConnectionManager.
 * A virtual host per service port: the policy's Routes for that service
 * (first match wins, one Envoy route per match of a rule, OR semantics),
 * else one default route to the service's cluster. Per rule: path / header
 * / query matches, weighted clusters (canary), timeout, retries, fault
 * injection (per-route config of the fault filter), prefix and host
 * rewrite, request / response header edits, the local rate limit of a
 * RateLimit on the Route (per-route bucket, tier descriptors and the
 * rate_limits action that selects them). */
#include <string.h>

#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "xds_render_int.h"

typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Config__Route__V3__RouteMatch RouteMatch;
typedef Envoy__Config__Route__V3__RouteAction RouteAction;
typedef Envoy__Config__Route__V3__HeaderMatcher HeaderMatcher;
typedef Envoy__Type__Matcher__V3__StringMatcher StringMatcher;
typedef Envoy__Config__Core__V3__HeaderValueOption HeaderValueOption;

#define FAULT_FILTER "envoy.filters.http.fault"

StringMatcher *xds_string_matcher(xds_ctx *c, const char *exact, const char *prefix,
                                  const char *regex)
{
	StringMatcher *m =
	        XB_NEW(c->a, StringMatcher, ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__INIT);
	if (exact) {
		m->match_pattern_case =
		        ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
		m->exact = (char *)exact;
	} else if (prefix) {
		m->match_pattern_case =
		        ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_PREFIX;
		m->prefix = (char *)prefix;
	} else {
		m->match_pattern_case =
		        ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX;
		m->safe_regex = XB_NEW(c->a, Envoy__Type__Matcher__V3__RegexMatcher,
		                       ENVOY__TYPE__MATCHER__V3__REGEX_MATCHER__INIT);
		m->safe_regex->regex = (char *)(regex ? regex : ".*");
	}
	return m;
}

/* A header match in HeaderMatcher's older fields (exact_match,
 * prefix_match, safe_regex_match, present_match), not string_match: gRPC C
 * core 1.51 (Debian's python3-grpcio) NACKs a route with string_match
 * ("Invalid route header matcher specified"), while Envoy and grpc-js accept
 * both (docs/adapter-xds.md, "Header matches"). Every weft match fits them:
 * an empty prefix (prefix_match needs one character) matches exactly the
 * requests that carry the header, which is present_match. */
HeaderMatcher *xds_header_matcher(xds_ctx *c, const char *name, const char *exact,
                                  const char *prefix, const char *regex, int present)
{
	HeaderMatcher *h =
	        XB_NEW(c->a, HeaderMatcher, ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__INIT);
	h->name = (char *)name;
	(void)present; /* the default below: no value match set */
	if (exact) {
		h->header_match_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_EXACT_MATCH;
		h->exact_match = (char *)exact;
	} else if (prefix && *prefix) {
		h->header_match_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PREFIX_MATCH;
		h->prefix_match = (char *)prefix;
	} else if (regex) {
		h->header_match_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SAFE_REGEX_MATCH;
		h->safe_regex_match = XB_NEW(c->a, Envoy__Type__Matcher__V3__RegexMatcher,
		                             ENVOY__TYPE__MATCHER__V3__REGEX_MATCHER__INIT);
		h->safe_regex_match->regex = (char *)regex;
	} else {
		h->header_match_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PRESENT_MATCH;
		h->present_match = 1;
	}
	return h;
}

static RouteMatch *route_match(xds_ctx *c, const weft_http_match *m)
{
	RouteMatch *rm = XB_NEW(c->a, RouteMatch, ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__INIT);
	rm->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	rm->prefix = "/";
	if (m && m->path && m->path->exact) {
		rm->path_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH;
		rm->path = (char *)m->path->exact;
	} else if (m && m->path && m->path->prefix) {
		rm->prefix = (char *)m->path->prefix;
	} else if (m && m->path && m->path->regex) {
		rm->path_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX;
		rm->safe_regex = XB_NEW(c->a, Envoy__Type__Matcher__V3__RegexMatcher,
		                        ENVOY__TYPE__MATCHER__V3__REGEX_MATCHER__INIT);
		rm->safe_regex->regex = (char *)m->path->regex;
	}
	if (!m)
		return rm;
	size_t nh = m->headers.count + (m->method ? 1 : 0);
	rm->headers = XB_PTRS(c->a, HeaderMatcher, nh);
	if (m->method)
		rm->headers[rm->n_headers++] =
		        xds_header_matcher(c, ":method", m->method, NULL, NULL, 0);
	for (size_t i = 0; i < m->headers.count; i++) {
		const weft_header_match *h = &m->headers.items[i];
		rm->headers[rm->n_headers++] =
		        xds_header_matcher(c, h->name, h->exact, h->prefix, h->regex, h->present);
	}
	rm->query_parameters = XB_PTRS(c->a, Envoy__Config__Route__V3__QueryParameterMatcher,
	                               m->query_params.count);
	for (size_t i = 0; i < m->query_params.count; i++) {
		const weft_query_match *q = &m->query_params.items[i];
		Envoy__Config__Route__V3__QueryParameterMatcher *qm =
		        XB_NEW(c->a, Envoy__Config__Route__V3__QueryParameterMatcher,
		               ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__INIT);
		qm->name = (char *)q->name;
		if (q->exact || q->regex) {
			qm->query_parameter_match_specifier_case =
			        ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__QUERY_PARAMETER_MATCH_SPECIFIER_STRING_MATCH;
			qm->string_match = xds_string_matcher(c, q->exact, NULL, q->regex);
		} else {
			qm->query_parameter_match_specifier_case =
			        ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__QUERY_PARAMETER_MATCH_SPECIFIER_PRESENT_MATCH;
			qm->present_match = 1;
		}
		rm->query_parameters[rm->n_query_parameters++] = qm;
	}
	return rm;
}

/* The cluster a destination names, or NULL when its service is unknown. */
static char *dest_cluster(xds_ctx *c, const weft_destination *d, int hint_port)
{
	const weft_resource *svc = xds_ctx_service(c, d->service.ns, d->service.name);
	if (!svc)
		return NULL;
	return xds_cluster_name(c->a, "outbound", xds_dest_port(c, svc, d, hint_port), d->subset,
	                        svc->ns, svc->name);
}

/* One cluster, or weighted clusters with the model's normalized weights
 * (destinations of weight 0 left out). */
static void set_destinations(xds_ctx *c, RouteAction *ra, const weft_model_rule *mr, int port)
{
	size_t live = 0;
	for (size_t i = 0; i < mr->n_dests; i++)
		live += mr->dests[i].weight > 0;
	if (mr->n_dests == 1 || live == 1) {
		for (size_t i = 0; i < mr->n_dests; i++)
			if (mr->n_dests == 1 || mr->dests[i].weight > 0)
				ra->cluster = dest_cluster(c, mr->dests[i].spec, port);
		ra->cluster_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
		if (!ra->cluster)
			ra->cluster = "";
		return;
	}
	Envoy__Config__Route__V3__WeightedCluster *wc =
	        XB_NEW(c->a, Envoy__Config__Route__V3__WeightedCluster,
	               ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__INIT);
	wc->clusters = XB_PTRS(c->a, Envoy__Config__Route__V3__WeightedCluster__ClusterWeight,
	                       mr->n_dests);
	for (size_t i = 0; i < mr->n_dests; i++) {
		int w = mr->dests[i].weight;
		char *cl = dest_cluster(c, mr->dests[i].spec, port);
		if (w <= 0 || !cl)
			continue;
		Envoy__Config__Route__V3__WeightedCluster__ClusterWeight *cw =
		        XB_NEW(c->a, Envoy__Config__Route__V3__WeightedCluster__ClusterWeight,
		               ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__INIT);
		cw->name = cl;
		cw->weight = xb_u32(c->a, (uint32_t)w);
		wc->clusters[wc->n_clusters++] = cw;
	}
	ra->cluster_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
	ra->weighted_clusters = wc;
}

static Google__Protobuf__Any *fault_config(xds_ctx *c, const weft_fault *f)
{
	Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault *hf =
	        XB_NEW(c->a, Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault,
	               ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__HTTPFAULT__INIT);
	if (f->delay) {
		Envoy__Extensions__Filters__Common__Fault__V3__FaultDelay *d =
		        XB_NEW(c->a, Envoy__Extensions__Filters__Common__Fault__V3__FaultDelay,
		               ENVOY__EXTENSIONS__FILTERS__COMMON__FAULT__V3__FAULT_DELAY__INIT);
		d->fault_delay_secifier_case =
		        ENVOY__EXTENSIONS__FILTERS__COMMON__FAULT__V3__FAULT_DELAY__FAULT_DELAY_SECIFIER_FIXED_DELAY;
		d->fixed_delay = xb_duration_ms(c->a, f->delay->duration_ms);
		d->percentage = xb_fraction(c->a, f->delay->percent);
		hf->delay = d;
	}
	if (f->abort) {
		Envoy__Extensions__Filters__Http__Fault__V3__FaultAbort *ab =
		        XB_NEW(c->a, Envoy__Extensions__Filters__Http__Fault__V3__FaultAbort,
		               ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_ABORT__INIT);
		ab->error_type_case =
		        ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_ABORT__ERROR_TYPE_HTTP_STATUS;
		ab->http_status = (uint32_t)f->abort->status;
		ab->percentage = xb_fraction(c->a, f->abort->percent);
		hf->abort = ab;
	}
	return xb_any(c->a, XDS_URL_FAULT, &hf->base);
}

static HeaderValueOption **header_adds(xds_ctx *c, const weft_labels *add, size_t *n)
{
	HeaderValueOption **v = XB_PTRS(c->a, HeaderValueOption, add->count);
	for (size_t i = 0; i < add->count; i++) {
		HeaderValueOption *o = XB_NEW(c->a, HeaderValueOption,
		                              ENVOY__CONFIG__CORE__V3__HEADER_VALUE_OPTION__INIT);
		o->header = XB_NEW(c->a, Envoy__Config__Core__V3__HeaderValue,
		                   ENVOY__CONFIG__CORE__V3__HEADER_VALUE__INIT);
		o->header->key = (char *)add->items[i].key;
		o->header->value = (char *)add->items[i].value;
		o->append_action =
		        ENVOY__CONFIG__CORE__V3__HEADER_VALUE_OPTION__HEADER_APPEND_ACTION__OVERWRITE_IF_EXISTS_OR_ADD;
		v[i] = o;
	}
	*n = add->count;
	return v;
}

static void add_per_filter(xds_ctx *c, Route *r, const char *filter, Google__Protobuf__Any *cfg)
{
	Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry **v =
	        XB_PTRS(c->a, Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry,
	                r->n_typed_per_filter_config + 1);
	for (size_t i = 0; i < r->n_typed_per_filter_config; i++)
		v[i] = r->typed_per_filter_config[i];
	Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry *e =
	        XB_NEW(c->a, Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry,
	               ENVOY__CONFIG__ROUTE__V3__ROUTE__TYPED_PER_FILTER_CONFIG_ENTRY__INIT);
	e->key = (char *)filter;
	e->value = cfg;
	v[r->n_typed_per_filter_config++] = e;
	r->typed_per_filter_config = v;
}

static void rule_extras(xds_ctx *c, Route *r, RouteAction *ra, const weft_http_rule *rule,
                        int proxyless)
{
	if (rule->timeout_ms)
		ra->timeout = xb_duration_ms(c->a, rule->timeout_ms);
	if (rule->retries) {
		Envoy__Config__Route__V3__RetryPolicy *rp =
		        XB_NEW(c->a, Envoy__Config__Route__V3__RetryPolicy,
		               ENVOY__CONFIG__ROUTE__V3__RETRY_POLICY__INIT);
		size_t len = 1;
		for (size_t i = 0; i < rule->retries->retry_on.count; i++)
			len += strlen(rule->retries->retry_on.items[i]) + 1;
		char *on = xb_alloc(c->a, len);
		for (size_t i = 0; i < rule->retries->retry_on.count; i++) {
			if (i)
				strcat(on, ",");
			strcat(on, rule->retries->retry_on.items[i]);
		}
		rp->retry_on = *on ? on : (proxyless ? "unavailable" : "5xx");
		rp->num_retries = xb_u32(c->a, (uint32_t)rule->retries->attempts);
		if (rule->retries->per_try_timeout_ms)
			rp->per_try_timeout =
			        xb_duration_ms(c->a, rule->retries->per_try_timeout_ms);
		ra->retry_policy = rp;
	}
	if (rule->rewrite) {
		if (rule->rewrite->prefix)
			ra->prefix_rewrite = (char *)rule->rewrite->prefix;
		if (rule->rewrite->host) {
			ra->host_rewrite_specifier_case =
			        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HOST_REWRITE_SPECIFIER_HOST_REWRITE_LITERAL;
			ra->host_rewrite_literal = (char *)rule->rewrite->host;
		}
	}
	if (rule->headers && rule->headers->request) {
		r->request_headers_to_add =
		        header_adds(c, &rule->headers->request->add, &r->n_request_headers_to_add);
		r->request_headers_to_remove = (char **)rule->headers->request->remove.items;
		r->n_request_headers_to_remove = rule->headers->request->remove.count;
	}
	if (rule->headers && rule->headers->response) {
		r->response_headers_to_add = header_adds(c, &rule->headers->response->add,
		                                         &r->n_response_headers_to_add);
		r->response_headers_to_remove = (char **)rule->headers->response->remove.items;
		r->n_response_headers_to_remove = rule->headers->response->remove.count;
	}
	if (rule->fault)
		add_per_filter(c, r, FAULT_FILTER, fault_config(c, rule->fault));
}

/* Hash policy for ring hash / maglev: from the TrafficPolicy in effect
 * where the route sends (its first destination's subset, core/model.h),
 * else for the whole service svc. */
static void hash_policy(xds_ctx *c, RouteAction *ra, const weft_resource *svc,
                        const weft_model_rule *mr)
{
	const weft_model_subset *sub = mr && mr->n_dests ? mr->dests[0].subset : NULL;
	const weft_resource *tpr =
	        sub ? sub->policies.traffic_policy : xds_service_policies(c, svc)->traffic_policy;
	const weft_traffic_policy_spec *tp = tpr ? tpr->spec : NULL;
	const weft_hash_on *h = tp && tp->load_balancer ? tp->load_balancer->hash_on : NULL;
	if (!h)
		return;
	Envoy__Config__Route__V3__RouteAction__HashPolicy *hp =
	        XB_NEW(c->a, Envoy__Config__Route__V3__RouteAction__HashPolicy,
	               ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__INIT);
	if (h->header) {
		hp->policy_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_HEADER;
		hp->header =
		        XB_NEW(c->a, Envoy__Config__Route__V3__RouteAction__HashPolicy__Header,
		               ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__HEADER__INIT);
		hp->header->header_name = (char *)h->header;
	} else if (h->cookie) {
		hp->policy_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_COOKIE;
		hp->cookie =
		        XB_NEW(c->a, Envoy__Config__Route__V3__RouteAction__HashPolicy__Cookie,
		               ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__COOKIE__INIT);
		hp->cookie->name = (char *)h->cookie->name;
		if (h->cookie->ttl_ms)
			hp->cookie->ttl = xb_duration_ms(c->a, h->cookie->ttl_ms);
	} else {
		hp->policy_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_CONNECTION_PROPERTIES;
		hp->connection_properties = XB_NEW(
		        c->a,
		        Envoy__Config__Route__V3__RouteAction__HashPolicy__ConnectionProperties,
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__CONNECTION_PROPERTIES__INIT);
		hp->connection_properties->source_ip = 1;
	}
	ra->hash_policy = XB_PTRS(c->a, Envoy__Config__Route__V3__RouteAction__HashPolicy, 1);
	ra->hash_policy[0] = hp;
	ra->n_hash_policy = 1;
}

static Route *make_route(xds_ctx *c, const weft_resource *svc, const weft_model_rule *mr,
                         const weft_http_match *m, int port, int proxyless)
{
	const weft_http_rule *rule = mr ? mr->http : NULL;
	Route *r = XB_NEW(c->a, Route, ENVOY__CONFIG__ROUTE__V3__ROUTE__INIT);
	r->name = (char *)(rule && rule->name ? rule->name : "default");
	r->match = route_match(c, m);
	RouteAction *ra = XB_NEW(c->a, RouteAction, ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__INIT);
	r->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	r->route = ra;
	if (rule) {
		set_destinations(c, ra, mr, port);
		rule_extras(c, r, ra, rule, proxyless);
	}
	hash_policy(c, ra, svc, mr);
	return r;
}

/* Appends the Envoy routes of one Route resource's HTTP rules. */
static void add_rules(xds_ctx *c, Envoy__Config__Route__V3__VirtualHost *vh,
                      const weft_resource *svc, const weft_resource *route_res, int port,
                      int proxyless)
{
	const weft_model_route *mroute = weft_model_route_of(c->model, route_res);
	for (size_t k = 0; mroute && k < mroute->n_http; k++) {
		const weft_model_rule *mr = &mroute->http[k];
		const weft_http_rule *rule = mr->http;
		size_t first = vh->n_routes;
		if (!rule->match.count)
			vh->routes[vh->n_routes++] = make_route(c, svc, mr, NULL, port, proxyless);
		for (size_t m = 0; m < rule->match.count; m++)
			vh->routes[vh->n_routes++] =
			        make_route(c, svc, mr, &rule->match.items[m], port, proxyless);
		/* A RateLimit on the Route: its bucket(s) per Envoy route,
		 * and the action that picks a tier (proxyless clients have
		 * no local rate limit filter). */
		const weft_rate_limit_spec *rl =
		        proxyless ? NULL : xds_route_rate_limit(c, route_res);
		Google__Protobuf__Any *cfg =
		        rl ? xds_ratelimit_config(c, rl, "route_rate_limit") : NULL;
		for (size_t r = first; rl && r < vh->n_routes; r++) {
			add_per_filter(c, vh->routes[r], "envoy.filters.http.local_ratelimit", cfg);
			xds_ratelimit_actions(c, vh->routes[r]->route, rl);
		}
	}
}

static size_t rules_cap(const weft_resource *route_res)
{
	const weft_route_spec *rs = route_res->spec;
	size_t cap = 0;
	for (size_t k = 0; k < rs->http.count; k++)
		cap += rs->http.items[k].match.count + 1;
	return cap;
}

static Envoy__Config__Route__V3__VirtualHost *new_vhost(xds_ctx *c, const char *name,
                                                        const char **domains, size_t n)
{
	Envoy__Config__Route__V3__VirtualHost *vh =
	        XB_NEW(c->a, Envoy__Config__Route__V3__VirtualHost,
	               ENVOY__CONFIG__ROUTE__V3__VIRTUAL_HOST__INIT);
	vh->name = (char *)name;
	vh->domains = (char **)domains;
	vh->n_domains = n;
	return vh;
}

ProtobufCMessage *xds_render_vhost(xds_ctx *c, const weft_resource *svc, int port,
                                   const char **domains, size_t n_domains, int proxyless)
{
	Envoy__Config__Route__V3__VirtualHost *vh = new_vhost(
	        c, xb_printf(c->a, "%s.%s:%d", svc->name, svc->ns, port), domains, n_domains);
	size_t nr;
	const weft_resource *const *routes = xds_service_routes(c, svc, &nr);
	size_t cap = 1;
	for (size_t i = 0; i < nr; i++)
		cap += rules_cap(routes[i]);
	vh->routes = XB_PTRS(c->a, Route, cap);
	for (size_t i = 0; i < nr; i++) {
		const weft_route_spec *rs = routes[i]->spec;
		if (!rs->port || rs->port == port)
			add_rules(c, vh, svc, routes[i], port, proxyless);
	}
	if (!vh->n_routes) { /* no Route for the service: all traffic to it */
		Route *r = make_route(c, svc, NULL, NULL, port, proxyless);
		r->route->cluster_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
		r->route->cluster =
		        xds_cluster_name(c->a, "outbound", port, NULL, svc->ns, svc->name);
		vh->routes[vh->n_routes++] = r;
	}
	return &vh->base;
}

ProtobufCMessage *xds_render_route_vhost(xds_ctx *c, const weft_resource *route_res)
{
	const weft_route_spec *rs = route_res->spec;
	Envoy__Config__Route__V3__VirtualHost *vh =
	        new_vhost(c, xb_printf(c->a, "%s.%s", route_res->name, route_res->ns),
	                  (const char **)rs->hosts.items, rs->hosts.count);
	vh->routes = XB_PTRS(c->a, Route, rules_cap(route_res));
	add_rules(c, vh, NULL, route_res, 0, 0);
	return &vh->base;
}
