/* Render: the HTTP filters of a connection manager -- fault (per-route
 * config from Route rules), local rate limit (RateLimit: a token bucket per
 * service on its inbound side, or per route), RBAC (AccessPolicy), router
 * -- and telemetry (access log, trace sampling and the Zipkin collector
 * from Telemetry).
 *
 * RateLimit tiers are Envoy's per-key local rate limits: the
 * LocalRateLimit (the service's, on its inbound connection manager; a
 * Route's, per route) holds the default bucket (`limit`) and one
 * descriptor {KEY: VALUE} + bucket per tier; the routes carry a
 * rate_limits action that builds the request's descriptor from the key
 * (request_headers -> {HEADER: value}, remote_address -> {remote_address:
 * client IP}), both at stage 0. A request whose descriptor equals a tier's
 * uses that tier's bucket only; others (other values, no header) use the
 * default bucket.
 *
 * AccessPolicy -> RBAC: weft rules are "first match wins" with a default
 * action. Envoy's RBAC filter has one action, so:
 *   default allow -> RBAC DENY listing the deny rules,
 *   default deny  -> RBAC ALLOW listing the allow rules.
 * Rules of the default's own action matter only when they shadow a later
 * opposite rule; that shadowing is rendered for permissions (the request
 * side: paths, methods, headers) as "and not(earlier rule)"; documented in
 * docs/adapter-xds.md. A rule's `from.services` become authenticated
 * principals spiffe://weft/ns/NS/sa/NAME (meaningful with mesh mTLS),
 * `from.cidrs` remote IPs. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/accesslog/v3/accesslog.pb-c.h"
#include "envoy/config/core/v3/substitution_format_string.pb-c.h"
#include "envoy/config/rbac/v3/rbac.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/config/trace/v3/http_tracer.pb-c.h"
#include "envoy/config/trace/v3/zipkin.pb-c.h"
#include "envoy/extensions/common/ratelimit/v3/ratelimit.pb-c.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb-c.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/type/matcher/v3/path.pb-c.h"
#include "xds_render_int.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;
typedef Envoy__Config__Rbac__V3__Permission Permission;
typedef Envoy__Config__Rbac__V3__Principal Principal;
typedef Envoy__Extensions__Filters__Http__LocalRatelimit__V3__LocalRateLimit LocalRateLimit;
typedef Envoy__Extensions__Common__Ratelimit__V3__LocalRateLimitDescriptor LocalDescriptor;
typedef Envoy__Extensions__Common__Ratelimit__V3__RateLimitDescriptor__Entry DescriptorEntry;

#define XDS_URL_ZIPKIN XDS_URL_PREFIX "envoy.config.trace.v3.ZipkinConfig"

static HttpFilter *http_filter(xds_ctx *c, const char *name, const char *url,
                               const ProtobufCMessage *cfg)
{
	HttpFilter *f = XB_NEW(
	        c->a, HttpFilter,
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__INIT);
	f->name = (char *)name;
	f->config_type_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = xb_any(c->a, url, cfg);
	return f;
}

/* ---- local rate limit ------------------------------------------------------ */

/* Envoy refuses a descriptor whose fill_interval is not a multiple of the
 * default bucket's (common/local_ratelimit/local_ratelimit_impl.cc: "local
 * rate descriptor limit is not a multiple of token bucket fill timer").
 * weft's units are the second and the minute, so only a per-minute default
 * with a per-second tier breaks the rule: the default bucket then refills
 * every second with ceil(requests / 60) tokens, exact when requests is a
 * multiple of 60 and otherwise slightly more generous (documented in
 * docs/adapter-xds.md). */
static Envoy__Type__V3__TokenBucket *bucket(xds_ctx *c, int requests, weft_rate_unit per, int burst,
                                            int per_second)
{
	Envoy__Type__V3__TokenBucket *tb =
	        XB_NEW(c->a, Envoy__Type__V3__TokenBucket, ENVOY__TYPE__V3__TOKEN_BUCKET__INIT);
	int fill = requests;
	long long interval_ms = per == WEFT_PER_MINUTE ? 60000 : 1000;
	if (per_second && per == WEFT_PER_MINUTE) {
		fill = (requests + 59) / 60;
		interval_ms = 1000;
	}
	tb->max_tokens = (uint32_t)(burst ? burst : requests);
	tb->tokens_per_fill = xb_u32(c->a, (uint32_t)fill);
	tb->fill_interval = xb_duration_ms(c->a, interval_ms);
	return tb;
}

/* The descriptor key of a RateLimit's client key: the header's name, or
 * "remote_address" (fixed by Envoy's RemoteAddress action). */
static const char *descriptor_key(const weft_rate_key *k)
{
	return k->header ? k->header : "remote_address";
}

/* Whether rl has tiers and a key to pick them by. The policy accepts
 * `key: {sourceIp: false}`, which names no key: rendered as no tiers. */
static int has_tiers(const weft_rate_limit_spec *rl)
{
	return rl && rl->key && (rl->key->header || rl->key->source_ip) && rl->tiers.count;
}

/* A tier's value as Envoy will see it. For sourceIp the request side is
 * the client address printed by Envoy (inet_ntop form: "fd00::1", never
 * "fd00:0::1" or "FD00::1"), and matching is exact, so an IP value is
 * normalised the same way; other values are passed unchanged (a CIDR or a
 * hostname never matches: docs/adapter-xds.md). */
static const char *tier_value(xds_ctx *c, const weft_rate_key *k, const char *v)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char out[INET6_ADDRSTRLEN];
	if (k->header)
		return v;
	int af = strchr(v, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, v, addr) != 1 || !inet_ntop(af, addr, out, sizeof(out)))
		return v;
	return xb_str(c->a, out);
}

/* One LocalRateLimitDescriptor per tier: entries {key: value}, the tier's
 * bucket. Envoy refuses two descriptors with equal entries: a tier whose
 * normalised value repeats an earlier one is dropped (the first wins). */
static void add_descriptors(xds_ctx *c, LocalRateLimit *lr, const weft_rate_limit_spec *rl)
{
	lr->descriptors = XB_PTRS(c->a, LocalDescriptor, rl->tiers.count);
	for (size_t i = 0; i < rl->tiers.count; i++) {
		const weft_rate_tier *t = &rl->tiers.items[i];
		const char *value = tier_value(c, rl->key, t->value);
		size_t dup = 0;
		while (dup < lr->n_descriptors &&
		       strcmp(lr->descriptors[dup]->entries[0]->value, value))
			dup++;
		if (dup < lr->n_descriptors)
			continue;
		DescriptorEntry *e = XB_NEW(
		        c->a, DescriptorEntry,
		        ENVOY__EXTENSIONS__COMMON__RATELIMIT__V3__RATE_LIMIT_DESCRIPTOR__ENTRY__INIT);
		e->key = (char *)descriptor_key(rl->key);
		e->value = (char *)value;
		LocalDescriptor *d = XB_NEW(
		        c->a, LocalDescriptor,
		        ENVOY__EXTENSIONS__COMMON__RATELIMIT__V3__LOCAL_RATE_LIMIT_DESCRIPTOR__INIT);
		d->entries = XB_PTRS(c->a, DescriptorEntry, 1);
		d->entries[0] = e;
		d->n_entries = 1;
		d->token_bucket = bucket(c, t->requests, t->per, t->burst, 0);
		lr->descriptors[lr->n_descriptors++] = d;
	}
	/* A tier replaces the default: its clients do not also drain the
	 * default bucket (Envoy's default is to drain both). */
	lr->always_consume_default_token_bucket = xb_bool(c->a, 0);
}

/* The LocalRateLimit of rl: the default bucket (`limit`) enabled and
 * enforced for 100 % of requests, and a descriptor per tier. rl NULL: the
 * filter without a bucket, which limits nothing. */
static LocalRateLimit *local_rate_limit(xds_ctx *c, const weft_rate_limit_spec *rl,
                                        const char *prefix)
{
	LocalRateLimit *lr = XB_NEW(
	        c->a, LocalRateLimit,
	        ENVOY__EXTENSIONS__FILTERS__HTTP__LOCAL_RATELIMIT__V3__LOCAL_RATE_LIMIT__INIT);
	lr->stat_prefix = (char *)prefix;
	if (!rl || !rl->limit)
		return lr;
	int per_second = 0;
	for (size_t i = 0; has_tiers(rl) && i < rl->tiers.count; i++)
		per_second |= rl->tiers.items[i].per != WEFT_PER_MINUTE;
	lr->token_bucket =
	        bucket(c, rl->limit->requests, rl->limit->per, rl->limit->burst, per_second);
	Envoy__Config__Core__V3__RuntimeFractionalPercent *on[2];
	for (int i = 0; i < 2; i++) {
		on[i] = XB_NEW(c->a, Envoy__Config__Core__V3__RuntimeFractionalPercent,
		               ENVOY__CONFIG__CORE__V3__RUNTIME_FRACTIONAL_PERCENT__INIT);
		on[i]->default_value = xb_fraction(c->a, 100);
		on[i]->runtime_key = i ? "local_rate_limit_enforced" : "local_rate_limit_enabled";
	}
	lr->filter_enabled = on[0];
	lr->filter_enforced = on[1];
	if (has_tiers(rl))
		add_descriptors(c, lr, rl);
	return lr;
}

/* The policies in effect come from the model (core/model.h). */
const weft_rate_limit_spec *xds_service_rate_limit(xds_ctx *c, const weft_resource *svc)
{
	const weft_resource *rl = svc ? xds_service_policies(c, svc)->rate_limit : NULL;
	return rl ? rl->spec : NULL;
}

const weft_rate_limit_spec *xds_route_rate_limit(xds_ctx *c, const weft_resource *route_res)
{
	const weft_model_route *mr = weft_model_route_of(c->model, route_res);
	return mr && mr->policies.rate_limit ? mr->policies.rate_limit->spec : NULL;
}

Google__Protobuf__Any *xds_ratelimit_config(xds_ctx *c, const weft_rate_limit_spec *rl,
                                            const char *stat_prefix)
{
	return xb_any(c->a, XDS_URL_LOCAL_RL, &local_rate_limit(c, rl, stat_prefix)->base);
}

void xds_ratelimit_actions(xds_ctx *c, Envoy__Config__Route__V3__RouteAction *ra,
                           const weft_rate_limit_spec *rl)
{
	ra->rate_limits = NULL;
	ra->n_rate_limits = 0;
	if (!has_tiers(rl))
		return;
	Envoy__Config__Route__V3__RateLimit__Action *act =
	        XB_NEW(c->a, Envoy__Config__Route__V3__RateLimit__Action,
	               ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__INIT);
	if (rl->key->header) {
		act->action_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_REQUEST_HEADERS;
		act->request_headers =
		        XB_NEW(c->a, Envoy__Config__Route__V3__RateLimit__Action__RequestHeaders,
		               ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__REQUEST_HEADERS__INIT);
		act->request_headers->header_name = (char *)rl->key->header;
		act->request_headers->descriptor_key = (char *)descriptor_key(rl->key);
	} else {
		act->action_specifier_case =
		        ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_REMOTE_ADDRESS;
		act->remote_address =
		        XB_NEW(c->a, Envoy__Config__Route__V3__RateLimit__Action__RemoteAddress,
		               ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__REMOTE_ADDRESS__INIT);
	}
	Envoy__Config__Route__V3__RateLimit *r = XB_NEW(c->a, Envoy__Config__Route__V3__RateLimit,
	                                                ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__INIT);
	r->actions = XB_PTRS(c->a, Envoy__Config__Route__V3__RateLimit__Action, 1);
	r->actions[0] = act;
	r->n_actions = 1;
	ra->rate_limits = XB_PTRS(c->a, Envoy__Config__Route__V3__RateLimit, 1);
	ra->rate_limits[0] = r;
	ra->n_rate_limits = 1;
}

/* ---- RBAC ------------------------------------------------------------------- */

static Permission *perm_new(xds_ctx *c)
{
	return XB_NEW(c->a, Permission, ENVOY__CONFIG__RBAC__V3__PERMISSION__INIT);
}

static Permission *perm_set(xds_ctx *c, Permission **items, size_t n, int and)
{
	Permission *p = perm_new(c);
	if (n == 0) {
		p->rule_case = ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_ANY;
		p->any = 1;
		return p;
	}
	if (n == 1)
		return items[0];
	Envoy__Config__Rbac__V3__Permission__Set *s =
	        XB_NEW(c->a, Envoy__Config__Rbac__V3__Permission__Set,
	               ENVOY__CONFIG__RBAC__V3__PERMISSION__SET__INIT);
	s->rules = items;
	s->n_rules = n;
	p->rule_case = and? ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_AND_RULES
	                  : ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_OR_RULES;
	if (and)
		p->and_rules = s;
	else
		p->or_rules = s;
	return p;
}

static Permission *path_perm(xds_ctx *c, const char *path)
{
	Permission *p = perm_new(c);
	size_t l = strlen(path);
	p->rule_case = ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_URL_PATH;
	p->url_path = XB_NEW(c->a, Envoy__Type__Matcher__V3__PathMatcher,
	                     ENVOY__TYPE__MATCHER__V3__PATH_MATCHER__INIT);
	p->url_path->rule_case = ENVOY__TYPE__MATCHER__V3__PATH_MATCHER__RULE_PATH;
	if (l && path[l - 1] == '*')
		p->url_path->path = xds_string_matcher(
		        c, NULL, xb_printf(c->a, "%.*s", (int)(l - 1), path), NULL);
	else
		p->url_path->path = xds_string_matcher(c, path, NULL, NULL);
	return p;
}

static Permission *header_perm(xds_ctx *c, struct Envoy__Config__Route__V3__HeaderMatcher *h)
{
	Permission *p = perm_new(c);
	p->rule_case = ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_HEADER;
	p->header = h;
	return p;
}

/* The request side of a rule: and(or(paths), or(methods), headers...). */
static Permission *rule_permission(xds_ctx *c, const weft_access_rule *r)
{
	Permission **all = XB_PTRS(c->a, Permission, 2 + r->headers.count);
	size_t n = 0;
	if (r->to && r->to->paths.count) {
		Permission **ps = XB_PTRS(c->a, Permission, r->to->paths.count);
		for (size_t i = 0; i < r->to->paths.count; i++)
			ps[i] = path_perm(c, r->to->paths.items[i]);
		all[n++] = perm_set(c, ps, r->to->paths.count, 0);
	}
	if (r->to && r->to->methods.count) {
		Permission **ms = XB_PTRS(c->a, Permission, r->to->methods.count);
		for (size_t i = 0; i < r->to->methods.count; i++)
			ms[i] = header_perm(c, xds_header_matcher(c, ":method",
			                                          r->to->methods.items[i], NULL,
			                                          NULL, 0));
		all[n++] = perm_set(c, ms, r->to->methods.count, 0);
	}
	for (size_t i = 0; i < r->headers.count; i++) {
		const weft_header_match *h = &r->headers.items[i];
		all[n++] = header_perm(c, xds_header_matcher(c, h->name, h->exact, h->prefix,
		                                             h->regex, h->present));
	}
	return perm_set(c, all, n, 1);
}

static Principal *principal_new(xds_ctx *c)
{
	return XB_NEW(c->a, Principal, ENVOY__CONFIG__RBAC__V3__PRINCIPAL__INIT);
}

static Principal *principal_set(xds_ctx *c, Principal **ids, size_t n, int and)
{
	Principal *p = principal_new(c);
	if (n == 0) {
		p->identifier_case = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_ANY;
		p->any = 1;
		return p;
	}
	if (n == 1)
		return ids[0];
	Envoy__Config__Rbac__V3__Principal__Set *s =
	        XB_NEW(c->a, Envoy__Config__Rbac__V3__Principal__Set,
	               ENVOY__CONFIG__RBAC__V3__PRINCIPAL__SET__INIT);
	s->ids = ids;
	s->n_ids = n;
	p->identifier_case = and? ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_AND_IDS
	                        : ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_OR_IDS;
	if (and)
		p->and_ids = s;
	else
		p->or_ids = s;
	return p;
}

static Principal *cidr_principal(xds_ctx *c, const char *cidr)
{
	Principal *p = principal_new(c);
	Envoy__Config__Core__V3__CidrRange *r = XB_NEW(c->a, Envoy__Config__Core__V3__CidrRange,
	                                               ENVOY__CONFIG__CORE__V3__CIDR_RANGE__INIT);
	const char *slash = strchr(cidr, '/');
	r->address_prefix =
	        slash ? xb_printf(c->a, "%.*s", (int)(slash - cidr), cidr) : (char *)cidr;
	r->prefix_len = xb_u32(c->a, slash               ? (uint32_t)atoi(slash + 1)
	                             : strchr(cidr, ':') ? 128
	                                                 : 32);
	p->identifier_case = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_REMOTE_IP;
	p->remote_ip = r;
	return p;
}

static Principal *list_principal(xds_ctx *c, const weft_strs *cidrs)
{
	Principal **ids = XB_PTRS(c->a, Principal, cidrs->count);
	for (size_t i = 0; i < cidrs->count; i++)
		ids[i] = cidr_principal(c, cidrs->items[i]);
	return principal_set(c, ids, cidrs->count, 0);
}

/* The peer side of a rule: and(or(services), or(cidrs), not(or(notCidrs))). */
static Principal *rule_principal(xds_ctx *c, const weft_access_rule *r)
{
	Principal **all = XB_PTRS(c->a, Principal, 3);
	size_t n = 0;
	const weft_access_from *f = r->from;
	if (f && f->services.count) {
		Principal **ids = XB_PTRS(c->a, Principal, f->services.count);
		for (size_t i = 0; i < f->services.count; i++) {
			Principal *p = principal_new(c);
			p->identifier_case =
			        ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_AUTHENTICATED;
			p->authenticated =
			        XB_NEW(c->a, Envoy__Config__Rbac__V3__Principal__Authenticated,
			               ENVOY__CONFIG__RBAC__V3__PRINCIPAL__AUTHENTICATED__INIT);
			p->authenticated->principal_name = xds_string_matcher(
			        c,
			        xb_printf(c->a, "spiffe://weft/ns/%s/sa/%s",
			                  f->services.items[i].ns, f->services.items[i].name),
			        NULL, NULL);
			ids[i] = p;
		}
		all[n++] = principal_set(c, ids, f->services.count, 0);
	}
	if (f && f->cidrs.count)
		all[n++] = list_principal(c, &f->cidrs);
	if (f && f->not_cidrs.count) {
		Principal *p = principal_new(c);
		p->identifier_case = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_NOT_ID;
		p->not_id = list_principal(c, &f->not_cidrs);
		all[n++] = p;
	}
	return principal_set(c, all, n, 1);
}

static const weft_access_policy_spec *access_policy(xds_ctx *c, const weft_resource *svc)
{
	const weft_resource *ap = xds_service_policies(c, svc)->access_policy;
	return ap ? ap->spec : NULL;
}

static ProtobufCMessage *render_rbac(xds_ctx *c, const weft_access_policy_spec *ap)
{
	Envoy__Config__Rbac__V3__RBAC *rules =
	        XB_NEW(c->a, Envoy__Config__Rbac__V3__RBAC, ENVOY__CONFIG__RBAC__V3__RBAC__INIT);
	int deny_default = ap->default_action == WEFT_ACTION_DENY;
	weft_action listed = deny_default ? WEFT_ACTION_ALLOW : WEFT_ACTION_DENY;
	rules->action = deny_default ? ENVOY__CONFIG__RBAC__V3__RBAC__ACTION__ALLOW
	                             : ENVOY__CONFIG__RBAC__V3__RBAC__ACTION__DENY;
	rules->policies =
	        XB_PTRS(c->a, Envoy__Config__Rbac__V3__RBAC__PoliciesEntry, ap->rules.count);
	for (size_t i = 0; i < ap->rules.count; i++) {
		const weft_access_rule *r = &ap->rules.items[i];
		if (r->action != listed)
			continue;
		/* and not(any earlier opposite rule's request side) */
		Permission **parts = XB_PTRS(c->a, Permission, i + 1);
		size_t n = 0;
		parts[n++] = rule_permission(c, r);
		for (size_t j = 0; j < i; j++) {
			if (ap->rules.items[j].action == listed || ap->rules.items[j].from)
				continue;
			Permission *neg = perm_new(c);
			neg->rule_case = ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_NOT_RULE;
			neg->not_rule = rule_permission(c, &ap->rules.items[j]);
			parts[n++] = neg;
		}
		Envoy__Config__Rbac__V3__Policy *pol =
		        XB_NEW(c->a, Envoy__Config__Rbac__V3__Policy,
		               ENVOY__CONFIG__RBAC__V3__POLICY__INIT);
		pol->permissions = XB_PTRS(c->a, Permission, 1);
		pol->permissions[0] = perm_set(c, parts, n, 1);
		pol->n_permissions = 1;
		pol->principals = XB_PTRS(c->a, Principal, 1);
		pol->principals[0] = rule_principal(c, r);
		pol->n_principals = 1;
		Envoy__Config__Rbac__V3__RBAC__PoliciesEntry *e =
		        XB_NEW(c->a, Envoy__Config__Rbac__V3__RBAC__PoliciesEntry,
		               ENVOY__CONFIG__RBAC__V3__RBAC__POLICIES_ENTRY__INIT);
		e->key = xb_printf(c->a, "rule-%zu", i);
		e->value = pol;
		rules->policies[rules->n_policies++] = e;
	}
	Envoy__Extensions__Filters__Http__Rbac__V3__RBAC *f =
	        XB_NEW(c->a, Envoy__Extensions__Filters__Http__Rbac__V3__RBAC,
	               ENVOY__EXTENSIONS__FILTERS__HTTP__RBAC__V3__RBAC__INIT);
	f->rules = rules;
	return &f->base;
}

/* ---- telemetry ---------------------------------------------------------------- */

/* envoy.tracers.zipkin posting JSON v2 spans to the collector's cluster
 * (zipkin|ADDRESS|PORT, rendered with CDS). The Host header defaults to
 * the cluster name, which is no valid host: it is the collector's
 * ADDRESS:PORT instead. */
static Envoy__Config__Trace__V3__Tracing__Http *zipkin_provider(xds_ctx *c,
                                                                const weft_collector *col)
{
	Envoy__Config__Trace__V3__ZipkinConfig *z =
	        XB_NEW(c->a, Envoy__Config__Trace__V3__ZipkinConfig,
	               ENVOY__CONFIG__TRACE__V3__ZIPKIN_CONFIG__INIT);
	z->collector_cluster = xds_zipkin_cluster_name(c->a, col);
	z->collector_endpoint = "/api/v2/spans";
	z->collector_endpoint_version =
	        ENVOY__CONFIG__TRACE__V3__ZIPKIN_CONFIG__COLLECTOR_ENDPOINT_VERSION__HTTP_JSON;
	z->collector_hostname = xb_printf(c->a, strchr(col->address, ':') ? "[%s]:%d" : "%s:%d",
	                                  col->address, col->port);
	Envoy__Config__Trace__V3__Tracing__Http *h =
	        XB_NEW(c->a, Envoy__Config__Trace__V3__Tracing__Http,
	               ENVOY__CONFIG__TRACE__V3__TRACING__HTTP__INIT);
	h->name = "envoy.tracers.zipkin";
	h->config_type_case = ENVOY__CONFIG__TRACE__V3__TRACING__HTTP__CONFIG_TYPE_TYPED_CONFIG;
	h->typed_config = xb_any(c->a, XDS_URL_ZIPKIN, &z->base);
	return h;
}

static void telemetry(xds_ctx *c, Hcm *hcm, const weft_resource *svc)
{
	const weft_resource *tel = svc ? xds_service_policies(c, svc)->telemetry : NULL;
	const weft_telemetry_spec *t = tel ? tel->spec : NULL;
	if (!t)
		return;
	if (t->access_log && t->access_log->enabled) {
		Envoy__Extensions__AccessLoggers__File__V3__FileAccessLog *fl =
		        XB_NEW(c->a, Envoy__Extensions__AccessLoggers__File__V3__FileAccessLog,
		               ENVOY__EXTENSIONS__ACCESS_LOGGERS__FILE__V3__FILE_ACCESS_LOG__INIT);
		fl->path = "/dev/stdout";
		if (t->access_log->format) {
			Envoy__Config__Core__V3__SubstitutionFormatString *sf =
			        XB_NEW(c->a, Envoy__Config__Core__V3__SubstitutionFormatString,
			               ENVOY__CONFIG__CORE__V3__SUBSTITUTION_FORMAT_STRING__INIT);
			sf->format_case =
			        ENVOY__CONFIG__CORE__V3__SUBSTITUTION_FORMAT_STRING__FORMAT_TEXT_FORMAT_SOURCE;
			sf->text_format_source = XB_NEW(c->a, Envoy__Config__Core__V3__DataSource,
			                                ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT);
			sf->text_format_source->specifier_case =
			        ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
			sf->text_format_source->inline_string = (char *)t->access_log->format;
			fl->access_log_format_case =
			        ENVOY__EXTENSIONS__ACCESS_LOGGERS__FILE__V3__FILE_ACCESS_LOG__ACCESS_LOG_FORMAT_LOG_FORMAT;
			fl->log_format = sf;
		}
		Envoy__Config__Accesslog__V3__AccessLog *al =
		        XB_NEW(c->a, Envoy__Config__Accesslog__V3__AccessLog,
		               ENVOY__CONFIG__ACCESSLOG__V3__ACCESS_LOG__INIT);
		al->name = "envoy.access_loggers.file";
		al->config_type_case =
		        ENVOY__CONFIG__ACCESSLOG__V3__ACCESS_LOG__CONFIG_TYPE_TYPED_CONFIG;
		al->typed_config = xb_any(c->a, XDS_URL_FILE_LOG, &fl->base);
		hcm->access_log = XB_PTRS(c->a, Envoy__Config__Accesslog__V3__AccessLog, 1);
		hcm->access_log[0] = al;
		hcm->n_access_log = 1;
	}
	if (t->tracing) {
		Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager__Tracing
		        *tr = XB_NEW(
		                c->a,
		                Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager__Tracing,
		                ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__TRACING__INIT);
		tr->random_sampling =
		        XB_NEW(c->a, Envoy__Type__V3__Percent, ENVOY__TYPE__V3__PERCENT__INIT);
		tr->random_sampling->value = t->tracing->sampling_percent;
		if (t->tracing->collector)
			tr->provider = zipkin_provider(c, t->tracing->collector);
		hcm->tracing = tr;
	}
}

void xds_hcm_filters(xds_ctx *c, void *hcm_v, const weft_resource *svc, int proxyless)
{
	Hcm *hcm = hcm_v;
	Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault fault =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__HTTPFAULT__INIT;
	Envoy__Extensions__Filters__Http__Router__V3__Router router =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__ROUTER__V3__ROUTER__INIT;
	hcm->http_filters = XB_PTRS(c->a, HttpFilter, 4);
	/* The fault filter is inert without per-route config: routes carry
	 * their own faults (typed_per_filter_config). */
	hcm->http_filters[hcm->n_http_filters++] =
	        http_filter(c, "envoy.filters.http.fault", XDS_URL_FAULT, &fault.base);
	if (!proxyless) {
		/* Local rate limit: the service's bucket on its inbound side;
		 * elsewhere inert unless a route carries its own. */
		const weft_rate_limit_spec *rl = xds_service_rate_limit(c, svc);
		hcm->http_filters[hcm->n_http_filters++] =
		        http_filter(c, "envoy.filters.http.local_ratelimit", XDS_URL_LOCAL_RL,
		                    &local_rate_limit(c, rl, "local_rate_limit")->base);
		const weft_access_policy_spec *ap = svc ? access_policy(c, svc) : NULL;
		if (ap)
			hcm->http_filters[hcm->n_http_filters++] = http_filter(
			        c, "envoy.filters.http.rbac", XDS_URL_RBAC, render_rbac(c, ap));
		telemetry(c, hcm, svc);
	}
	hcm->http_filters[hcm->n_http_filters++] =
	        http_filter(c, "envoy.filters.http.router", XDS_URL_ROUTER, &router.base);
}
