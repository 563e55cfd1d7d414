/* Unit tests of the xDS translation of RateLimit tiers and trace collectors
 * (adapters/xds/xds_render_filters.c, _route.c, _listener.c, _cluster.c):
 * rendered, packed, then decoded back with protobuf-c and checked field by
 * field.
 *   - tiers of a service's RateLimit: descriptors + buckets in the inbound
 *     local rate limit filter, request_headers action on the inbound routes;
 *   - tiers of a Route's RateLimit keyed by source IP: per-route config with
 *     descriptors (IP values normalised), remote_address
 *     action, per-minute default refilled per second;
 *   - a RateLimit without key: the default bucket only;
 *   - Telemetry collectors: Zipkin provider in the connection manager and
 *     zipkin|ADDRESS|PORT clusters in CDS (STATIC, STRICT_DNS, IPv6, one per
 *     collector). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/trace/v3/zipkin.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "xds_test_util.h"

typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfig;
typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Http__LocalRatelimit__V3__LocalRateLimit LocalRateLimit;
typedef Envoy__Extensions__Common__Ratelimit__V3__LocalRateLimitDescriptor LocalDescriptor;
typedef Envoy__Type__V3__TokenBucket TokenBucket;
typedef Envoy__Config__Route__V3__RateLimit__Action Action;

#define UNPACK(fn, r)                                                                              \
	({                                                                                         \
		size_t len_;                                                                       \
		const uint8_t *b_ = xds_res_value(r, &len_);                                       \
		fn(NULL, len_, b_);                                                                \
	})
#define UNPACK_ANY(fn, any) fn(NULL, (any)->value.len, (any)->value.data)

#define LRL_URL                                                                                    \
	"type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"

/* api: tiers by header on the service (inbound); web: tiers by source IP on
 * its Route (outbound, per route), per-minute default with a per-second
 * tier; cart: a per-minute RateLimit without key; pay: a per-second one.
 * (Validation refuses `sourceIp: false` and one address spelled twice.) */
static const char *const tiers =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n  - {address: 10.1.1.1}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  service: api\n  http:\n"
        "  - name: v1\n    match:\n    - path: {prefix: /v1/}\n    - path: {prefix: /v1beta/}\n"
        "    destinations: [{service: api}]\n"
        "  - name: rest\n    destinations: [{service: api}]\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: api-tenants, namespace: "
        "shop}\n"
        "spec:\n  service: api\n  limit: {requests: 100, per: second, burst: 200}\n"
        "  key: {header: x-tenant}\n  tiers:\n"
        "  - {value: gold, requests: 1000, per: second, burst: 2000}\n"
        "  - {value: silver, requests: 300}\n"
        "  - {value: bronze, requests: 600, per: minute}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 8080}]\n  endpoints:\n  - {address: 10.1.1.2}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  service: web\n  http:\n  - name: all\n    destinations: [{service: web}]\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: web-by-ip, namespace: "
        "shop}\n"
        "spec:\n  route: web\n  limit: {requests: 90, per: minute}\n  key: {sourceIp: true}\n"
        "  tiers:\n  - {value: 10.9.0.1, requests: 10}\n"
        "  - {value: 'fd00:0::0001', requests: 5, per: minute}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 81}]\n  endpoints:\n  - {address: 10.1.1.3}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: cart, namespace: shop}\n"
        "spec:\n  service: cart\n  limit: {requests: 50, per: minute}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: pay, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 82}]\n  endpoints:\n  - {address: 10.1.1.4}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: pay, namespace: shop}\n"
        "spec:\n  service: pay\n  limit: {requests: 20}\n";

static void assert_bucket(const TokenBucket *tb, uint32_t max, uint32_t fill, int64_t seconds)
{
	assert_non_null(tb);
	assert_int_equal(tb->max_tokens, max);
	assert_non_null(tb->tokens_per_fill);
	assert_int_equal(tb->tokens_per_fill->value, fill);
	assert_int_equal(tb->fill_interval->seconds, seconds);
	assert_int_equal(tb->fill_interval->nanos, 0);
}

static void assert_descriptor(const LocalDescriptor *d, const char *key, const char *value)
{
	assert_int_equal(d->n_entries, 1);
	assert_string_equal(d->entries[0]->key, key);
	assert_string_equal(d->entries[0]->value, value);
}

/* The connection manager of a listener's first filter chain. */
static Hcm *listener_hcm(const xds_resset *lds, const char *name)
{
	Listener *l = UNPACK(envoy__config__listener__v3__listener__unpack, xt_find(lds, name));
	assert_non_null(l);
	assert_int_equal(l->n_filter_chains, 1);
	Hcm *h = UNPACK_ANY(
	        envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack,
	        l->filter_chains[0]->filters[0]->typed_config);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	assert_non_null(h);
	return h;
}

/* The local rate limit filter's config of a connection manager. */
static LocalRateLimit *hcm_local_rate_limit(const Hcm *h)
{
	assert_true(h->n_http_filters >= 3);
	assert_string_equal(h->http_filters[1]->name, "envoy.filters.http.local_ratelimit");
	assert_string_equal(h->http_filters[1]->typed_config->type_url, LRL_URL);
	LocalRateLimit *lr = UNPACK_ANY(
	        envoy__extensions__filters__http__local_ratelimit__v3__local_rate_limit__unpack,
	        h->http_filters[1]->typed_config);
	assert_non_null(lr);
	return lr;
}

static void assert_enforced(const LocalRateLimit *lr)
{
	assert_int_equal(lr->filter_enabled->default_value->numerator, 1000000);
	assert_int_equal(lr->filter_enabled->default_value->denominator,
	                 ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__MILLION);
	assert_int_equal(lr->filter_enforced->default_value->numerator, 1000000);
}

static void render_sidecar(const xt_policy *p, const char **ips, size_t n, xds_resset **lds,
                           xds_resset **rds)
{
	xds_render_input in = xt_input(p);
	weft_err err = {0};
	xds_view_key vk = {.role = XDS_ROLE_SIDECAR, .ips = ips, .n_ips = n};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, lds, rds, &err), 0);
}

/* A service's tiers: the inbound filter holds the default bucket and a
 * descriptor per tier; every inbound route carries the header action. */
static void test_service_tiers_by_header(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, tiers);
	xds_resset *lds, *rds;
	render_sidecar(&p, (const char *[]){"10.1.1.1"}, 1, &lds, &rds);

	Hcm *h = listener_hcm(lds, "inbound|10.1.1.1|80");
	LocalRateLimit *lr = hcm_local_rate_limit(h);
	assert_string_equal(lr->stat_prefix, "local_rate_limit");
	assert_bucket(lr->token_bucket, 200, 100, 1);
	assert_enforced(lr);
	assert_int_equal(lr->stage, 0);
	assert_int_equal(lr->n_descriptors, 3);
	assert_descriptor(lr->descriptors[0], "x-tenant", "gold");
	assert_bucket(lr->descriptors[0]->token_bucket, 2000, 1000, 1);
	assert_descriptor(lr->descriptors[1], "x-tenant", "silver");
	assert_bucket(lr->descriptors[1]->token_bucket, 300, 300, 1);
	assert_descriptor(lr->descriptors[2], "x-tenant", "bronze");
	assert_bucket(lr->descriptors[2]->token_bucket, 600, 600, 60);
	/* a tier's clients use the tier's bucket only */
	assert_non_null(lr->always_consume_default_token_bucket);
	assert_false(lr->always_consume_default_token_bucket->value);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	protobuf_c_message_free_unpacked(&h->base, NULL);

	RouteConfig *rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	                         xt_find(rds, "inbound|80|api.shop"));
	assert_int_equal(rc->virtual_hosts[0]->n_routes, 3); /* /v1/, /v1beta/, rest */
	for (size_t i = 0; i < rc->virtual_hosts[0]->n_routes; i++) {
		Route *r = rc->virtual_hosts[0]->routes[i];
		assert_int_equal(r->n_typed_per_filter_config, 0);
		assert_int_equal(r->route->n_rate_limits, 1);
		assert_int_equal(r->route->rate_limits[0]->n_actions, 1);
		Action *a = r->route->rate_limits[0]->actions[0];
		assert_int_equal(
		        a->action_specifier_case,
		        ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_REQUEST_HEADERS);
		assert_string_equal(a->request_headers->header_name, "x-tenant");
		assert_string_equal(a->request_headers->descriptor_key, "x-tenant");
	}
	protobuf_c_message_free_unpacked(&rc->base, NULL);

	/* The outbound side of the same proxy limits nothing. */
	h = listener_hcm(lds, "outbound|0.0.0.0|8080");
	lr = hcm_local_rate_limit(h);
	assert_null(lr->token_bucket);
	assert_null(lr->filter_enabled);
	assert_int_equal(lr->n_descriptors, 0);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	protobuf_c_message_free_unpacked(&h->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* Without an effective key (none, or `sourceIp: false`): the default
 * bucket alone, no descriptors, no action. */
static void test_default_bucket_only(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, tiers);
	xds_resset *lds, *rds;
	render_sidecar(&p, (const char *[]){"10.1.1.3", "10.1.1.4"}, 2, &lds, &rds);
	/* cart: a RateLimit without key is the default bucket alone. */
	Hcm *h = listener_hcm(lds, "inbound|10.1.1.3|81");
	LocalRateLimit *lr = hcm_local_rate_limit(h);
	assert_bucket(lr->token_bucket, 50, 50, 60);
	assert_enforced(lr);
	assert_int_equal(lr->n_descriptors, 0);
	assert_null(lr->always_consume_default_token_bucket);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	protobuf_c_message_free_unpacked(&h->base, NULL);
	RouteConfig *rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	                         xt_find(rds, "inbound|81|cart.shop"));
	assert_int_equal(rc->virtual_hosts[0]->routes[0]->route->n_rate_limits, 0);
	protobuf_c_message_free_unpacked(&rc->base, NULL);

	/* pay: no key, no descriptors, no actions. */
	h = listener_hcm(lds, "inbound|10.1.1.4|82");
	lr = hcm_local_rate_limit(h);
	assert_bucket(lr->token_bucket, 20, 20, 1);
	assert_int_equal(lr->n_descriptors, 0);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	protobuf_c_message_free_unpacked(&h->base, NULL);
	rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	            xt_find(rds, "inbound|82|pay.shop"));
	assert_int_equal(rc->virtual_hosts[0]->routes[0]->route->n_rate_limits, 0);
	protobuf_c_message_free_unpacked(&rc->base, NULL);

	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* A Route's tiers keyed by source IP: per-route config with descriptors on
 * remote_address, the remote_address action on the route. */
static void test_route_tiers_by_source_ip(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, tiers);
	xds_resset *lds, *rds;
	render_sidecar(&p, (const char *[]){"10.1.1.1"}, 1, &lds, &rds);

	RouteConfig *rc =
	        UNPACK(envoy__config__route__v3__route_configuration__unpack, xt_find(rds, "8080"));
	assert_int_equal(rc->n_virtual_hosts, 1);
	assert_int_equal(rc->virtual_hosts[0]->n_routes, 1);
	Route *r = rc->virtual_hosts[0]->routes[0];
	assert_int_equal(r->n_typed_per_filter_config, 1);
	assert_string_equal(r->typed_per_filter_config[0]->key,
	                    "envoy.filters.http.local_ratelimit");
	assert_string_equal(r->typed_per_filter_config[0]->value->type_url, LRL_URL);
	LocalRateLimit *lr = UNPACK_ANY(
	        envoy__extensions__filters__http__local_ratelimit__v3__local_rate_limit__unpack,
	        r->typed_per_filter_config[0]->value);
	assert_string_equal(lr->stat_prefix, "route_rate_limit");
	/* 90 per minute with a per-second tier: refilled every second (Envoy
	 * wants tier intervals to be multiples of the default's), 2 a second */
	assert_bucket(lr->token_bucket, 90, 2, 1);
	assert_enforced(lr);
	/* 'fd00:0::0001' is written as Envoy prints the address: fd00::1 */
	assert_int_equal(lr->n_descriptors, 2);
	assert_descriptor(lr->descriptors[0], "remote_address", "10.9.0.1");
	assert_bucket(lr->descriptors[0]->token_bucket, 10, 10, 1);
	assert_descriptor(lr->descriptors[1], "remote_address", "fd00::1");
	assert_bucket(lr->descriptors[1]->token_bucket, 5, 5, 60);
	assert_false(lr->always_consume_default_token_bucket->value);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	assert_int_equal(r->route->n_rate_limits, 1);
	assert_int_equal(r->route->rate_limits[0]->n_actions, 1);
	Action *a = r->route->rate_limits[0]->actions[0];
	assert_int_equal(
	        a->action_specifier_case,
	        ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_REMOTE_ADDRESS);
	assert_non_null(a->remote_address);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);

	/* On web's own inbound side the Route's limit does not apply. */
	render_sidecar(&p, (const char *[]){"10.1.1.2"}, 1, &lds, &rds);
	rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	            xt_find(rds, "inbound|8080|web.shop"));
	r = rc->virtual_hosts[0]->routes[0];
	assert_int_equal(r->n_typed_per_filter_config, 0);
	assert_int_equal(r->route->n_rate_limits, 0);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);

	/* Proxyless clients get neither (no local rate limit filter). */
	xds_render_input in = xt_input(&p);
	weft_err err = {0};
	xds_view_key pk = {.role = XDS_ROLE_PROXYLESS};
	assert_int_equal(xds_render_listeners(&in, &pk, NULL, NULL, &lds, &rds, &err), 0);
	rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	            xt_find(rds, "web.shop:8080"));
	r = rc->virtual_hosts[0]->routes[0];
	assert_int_equal(r->n_typed_per_filter_config, 0);
	assert_int_equal(r->route->n_rate_limits, 0);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* shop: namespace-wide collector by IP; data: a namespace-wide collector by
 * hostname, overridden for db by an IPv6 one; ops: the same collector as
 * shop (one cluster for both); edge: tracing without collector. */
static const char *const tracing =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n  - {address: 10.1.1.1}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: db, namespace: data}\n"
        "spec:\n  ports: [{name: http, port: 7000}]\n  endpoints:\n  - {address: 10.2.0.1}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: gw, namespace: edge}\n"
        "spec:\n  ports: [{name: http, port: 8443}]\n  endpoints:\n  - {address: 10.3.0.1}\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: shop, namespace: shop}\n"
        "spec:\n  tracing: {samplingPercent: 2.5, collector: {address: 10.99.0.5, port: 9411}}\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: ops, namespace: ops}\n"
        "spec:\n  tracing: {collector: {address: 10.99.0.5, port: 9411}}\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: data, namespace: data}\n"
        "spec:\n  tracing: {collector: {address: zipkin.observability.svc, port: 9411}}\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: db, namespace: data}\n"
        "spec:\n  service: db\n"
        "  tracing: {samplingPercent: 100, collector: {address: 'fd00::9', port: 9412}}\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: edge, namespace: edge}\n"
        "spec:\n  tracing: {samplingPercent: 10}\n";

static void assert_collector_cluster(const xds_resset *cds, const char *name, int type,
                                     const char *address, uint32_t port)
{
	Cluster *c = UNPACK(envoy__config__cluster__v3__cluster__unpack, xt_find(cds, name));
	assert_string_equal(c->name, name);
	assert_int_equal(c->cluster_discovery_type_case,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE);
	assert_int_equal(c->type, type);
	assert_null(c->eds_cluster_config);
	assert_string_equal(c->load_assignment->cluster_name, name);
	assert_int_equal(c->load_assignment->n_endpoints, 1);
	assert_int_equal(c->load_assignment->endpoints[0]->n_lb_endpoints, 1);
	Envoy__Config__Core__V3__SocketAddress *sa = c->load_assignment->endpoints[0]
	                                                     ->lb_endpoints[0]
	                                                     ->endpoint->address->socket_address;
	assert_string_equal(sa->address, address);
	assert_int_equal(sa->port_value, port);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* The HCM's tracing: sampling and (cluster NULL: no) Zipkin provider. */
static void assert_tracing(const xds_resset *lds, const char *listener, double sampling,
                           const char *cluster, const char *hostname)
{
	Hcm *h = listener_hcm(lds, listener);
	assert_non_null(h->tracing);
	assert_true(h->tracing->random_sampling->value == sampling);
	if (!cluster) {
		assert_null(h->tracing->provider);
		protobuf_c_message_free_unpacked(&h->base, NULL);
		return;
	}
	assert_non_null(h->tracing->provider);
	assert_string_equal(h->tracing->provider->name, "envoy.tracers.zipkin");
	assert_int_equal(h->tracing->provider->config_type_case,
	                 ENVOY__CONFIG__TRACE__V3__TRACING__HTTP__CONFIG_TYPE_TYPED_CONFIG);
	assert_string_equal(h->tracing->provider->typed_config->type_url,
	                    "type.googleapis.com/envoy.config.trace.v3.ZipkinConfig");
	Envoy__Config__Trace__V3__ZipkinConfig *z =
	        UNPACK_ANY(envoy__config__trace__v3__zipkin_config__unpack,
	                   h->tracing->provider->typed_config);
	assert_string_equal(z->collector_cluster, cluster);
	assert_string_equal(z->collector_endpoint, "/api/v2/spans");
	assert_int_equal(
	        z->collector_endpoint_version,
	        ENVOY__CONFIG__TRACE__V3__ZIPKIN_CONFIG__COLLECTOR_ENDPOINT_VERSION__HTTP_JSON);
	assert_string_equal(z->collector_hostname, hostname);
	protobuf_c_message_free_unpacked(&z->base, NULL);
	protobuf_c_message_free_unpacked(&h->base, NULL);
}

static void test_tracing_collectors(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, tracing);
	xds_render_input in = xt_input(&p);
	xds_resset *cds, *eds, *lds, *rds;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	/* 3 services x (outbound + inbound) + 3 distinct collectors */
	assert_int_equal(cds->count, 9);
	assert_int_equal(eds->count, 3); /* collectors are not EDS clusters */
	assert_collector_cluster(cds, "zipkin|10.99.0.5|9411",
	                         ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC,
	                         "10.99.0.5", 9411);
	assert_collector_cluster(cds, "zipkin|zipkin.observability.svc|9411",
	                         ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STRICT_DNS,
	                         "zipkin.observability.svc", 9411);
	assert_collector_cluster(cds, "zipkin|fd00::9|9412",
	                         ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC,
	                         "fd00::9", 9412);
	xds_resset_unref(cds);
	xds_resset_unref(eds);

	render_sidecar(&p, (const char *[]){"10.1.1.1", "10.2.0.1", "10.3.0.1"}, 3, &lds, &rds);
	assert_tracing(lds, "inbound|10.1.1.1|80", 2.5, "zipkin|10.99.0.5|9411", "10.99.0.5:9411");
	assert_tracing(lds, "inbound|10.2.0.1|7000", 100, "zipkin|fd00::9|9412", "[fd00::9]:9412");
	assert_tracing(lds, "inbound|10.3.0.1|8443", 10, NULL, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_service_tiers_by_header),
	        cmocka_unit_test(test_default_bucket_only),
	        cmocka_unit_test(test_route_tiers_by_source_ip),
	        cmocka_unit_test(test_tracing_collectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
