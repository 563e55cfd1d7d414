/* Unit tests of the xDS translation (adapters/xds/xds_render_*.c): each
 * policy feature rendered and decoded back with protobuf-c. */
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
#include "envoy/extensions/filters/http/fault/v3/fault.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "xds_test_util.h"

typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Endpoint__V3__ClusterLoadAssignment Cla;
typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfig;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;

#define UNPACK(fn, r)                                                                              \
	({                                                                                         \
		size_t len_;                                                                       \
		const uint8_t *b_ = xds_res_value(r, &len_);                                       \
		fn(NULL, len_, b_);                                                                \
	})

static const char *const shop =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 9080, targetPort: 8080}]\n  endpoints:\n"
        "  - {address: 10.0.0.1, labels: {version: v1}, zone: zone-a}\n"
        "  - {address: 10.0.0.2, labels: {version: v1}, zone: zone-b, weight: 3}\n"
        "  - {address: 'fd00::3', labels: {version: v2}, zone: zone-a, addresses: {backbone: "
        "172.20.0.3}}\n"
        "  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: reviews, namespace: shop}\n"
        "spec:\n  service: reviews\n  http:\n"
        "  - name: testers\n    match:\n    - headers: [{name: x-tester, exact: 'yes'}]\n"
        "      path: {prefix: /api/}\n"
        "    destinations: [{service: reviews, subset: v2}]\n"
        "    fault:\n      delay: {percent: 10, duration: 200ms}\n"
        "      abort: {percent: 5, status: 503}\n"
        "  - name: canary\n    destinations:\n"
        "    - {service: reviews, subset: v1, weight: 80}\n"
        "    - {service: reviews, subset: v2, weight: 20}\n"
        "    timeout: 2s\n    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: [5xx, reset]}\n"
        "    headers:\n      request:\n        add: {x-weft: canary}\n        remove: [x-debug]\n"
        "---\napiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: reviews, namespace: "
        "shop}\n"
        "spec:\n  service: reviews\n"
        "  loadBalancer: {algorithm: ring-hash, hashOn: {header: x-user}, ringSize: {min: 1024, "
        "max: 4096}}\n"
        "  connectionPool: {maxConnections: 100, maxPendingRequests: 10, connectTimeout: 1s}\n"
        "  outlierDetection: {consecutive5xx: 5, interval: 10s, baseEjectionTime: 30s, "
        "maxEjectionPercent: 50}\n"
        "  healthCheck: {type: http, path: /healthz, interval: 5s, timeout: 2s, "
        "unhealthyThreshold: 2, expectedStatus: 204}\n";

static void test_clusters_and_endpoints(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, shop);
	xds_render_input in = xt_input(&p);
	xds_resset *cds, *eds;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	/* all, v1, v2 outbound + inbound */
	assert_int_equal(cds->count, 4);
	assert_int_equal(eds->count, 3);
	Cluster *c = UNPACK(envoy__config__cluster__v3__cluster__unpack,
	                    xt_find(cds, "outbound|9080|v1|reviews.shop"));
	assert_non_null(c);
	assert_int_equal(c->type, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS);
	assert_string_equal(c->eds_cluster_config->service_name, "outbound|9080|v1|reviews.shop");
	assert_non_null(c->eds_cluster_config->eds_config->ads);
	assert_int_equal(c->lb_policy, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH);
	assert_int_equal(c->ring_hash_lb_config->minimum_ring_size->value, 1024);
	assert_int_equal(c->ring_hash_lb_config->maximum_ring_size->value, 4096);
	assert_int_equal(c->circuit_breakers->thresholds[0]->max_connections->value, 100);
	assert_int_equal(c->circuit_breakers->thresholds[0]->max_pending_requests->value, 10);
	assert_int_equal(c->connect_timeout->seconds, 1);
	assert_int_equal(c->outlier_detection->consecutive_5xx->value, 5);
	assert_int_equal(c->outlier_detection->base_ejection_time->seconds, 30);
	assert_int_equal(c->outlier_detection->max_ejection_percent->value, 50);
	assert_int_equal(c->n_health_checks, 1);
	assert_string_equal(c->health_checks[0]->http_health_check->path, "/healthz");
	assert_int_equal(c->health_checks[0]->interval->seconds, 5);
	assert_int_equal(c->health_checks[0]->timeout->seconds, 2);
	assert_int_equal(c->health_checks[0]->unhealthy_threshold->value, 2);
	assert_int_equal(c->health_checks[0]->http_health_check->expected_statuses[0]->start, 204);
	assert_int_equal(c->health_checks[0]->http_health_check->expected_statuses[0]->end, 205);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	Cla *a = UNPACK(envoy__config__endpoint__v3__cluster_load_assignment__unpack,
	                xt_find(eds, "outbound|9080||reviews.shop"));
	assert_int_equal(a->n_endpoints, 2); /* zone-a, zone-b */
	assert_string_equal(a->endpoints[0]->locality->zone, "zone-a");
	assert_int_equal(a->endpoints[0]->n_lb_endpoints, 2);
	assert_int_equal(a->endpoints[0]->load_balancing_weight->value, 2);
	assert_int_equal(a->endpoints[1]->load_balancing_weight->value, 3);
	assert_int_equal(a->endpoints[1]->lb_endpoints[0]->load_balancing_weight->value, 3);
	Envoy__Config__Core__V3__SocketAddress *sa =
	        a->endpoints[0]->lb_endpoints[1]->endpoint->address->socket_address;
	assert_string_equal(sa->address, "fd00::3"); /* IPv6 */
	assert_int_equal(sa->port_value, 8080);      /* targetPort */
	protobuf_c_message_free_unpacked(&a->base, NULL);
	xds_resset_unref(cds);
	xds_resset_unref(eds);

	/* The backbone plane: the v2 endpoint's backbone address. */
	assert_int_equal(xds_render_clusters(&in, "backbone", NULL, NULL, &cds, &eds, &err), 0);
	a = UNPACK(envoy__config__endpoint__v3__cluster_load_assignment__unpack,
	           xt_find(eds, "outbound|9080|v2|reviews.shop"));
	assert_string_equal(
	        a->endpoints[0]->lb_endpoints[0]->endpoint->address->socket_address->address,
	        "172.20.0.3");
	protobuf_c_message_free_unpacked(&a->base, NULL);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	xt_policy_free(&p);
}

static void test_routes(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, shop);
	xds_render_input in = xt_input(&p);
	xds_resset *lds, *rds;
	weft_err err = {0};
	xds_view_key vk = {.role = XDS_ROLE_PROXYLESS};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	RouteConfig *rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	                         xt_find(rds, "reviews.shop:9080"));
	assert_int_equal(rc->n_virtual_hosts, 1);
	Envoy__Config__Route__V3__VirtualHost *vh = rc->virtual_hosts[0];
	assert_int_equal(vh->n_routes, 2);
	Envoy__Config__Route__V3__Route *t = vh->routes[0], *c = vh->routes[1];
	assert_string_equal(t->match->prefix, "/api/");
	assert_string_equal(t->match->headers[0]->name, "x-tester");
	assert_string_equal(t->match->headers[0]->exact_match, "yes");
	assert_string_equal(t->route->cluster, "outbound|9080|v2|reviews.shop");
	assert_int_equal(t->n_typed_per_filter_config, 1);
	assert_string_equal(t->typed_per_filter_config[0]->key, "envoy.filters.http.fault");
	Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault *f =
	        envoy__extensions__filters__http__fault__v3__httpfault__unpack(
	                NULL, t->typed_per_filter_config[0]->value->value.len,
	                t->typed_per_filter_config[0]->value->value.data);
	assert_int_equal(f->delay->fixed_delay->nanos, 200000000);
	assert_int_equal(f->delay->percentage->numerator, 100000); /* 10 % of a million */
	assert_int_equal(f->abort->http_status, 503);
	assert_int_equal(f->abort->percentage->numerator, 50000);
	protobuf_c_message_free_unpacked(&f->base, NULL);
	/* The canary: weighted clusters, timeout, retries, header edits. */
	assert_string_equal(c->match->prefix, "/");
	Envoy__Config__Route__V3__WeightedCluster *wc = c->route->weighted_clusters;
	assert_int_equal(wc->n_clusters, 2);
	assert_string_equal(wc->clusters[0]->name, "outbound|9080|v1|reviews.shop");
	assert_int_equal(wc->clusters[0]->weight->value, 80);
	assert_int_equal(wc->clusters[1]->weight->value, 20);
	assert_int_equal(c->route->timeout->seconds, 2);
	assert_string_equal(c->route->retry_policy->retry_on, "5xx,reset");
	assert_int_equal(c->route->retry_policy->num_retries->value, 3);
	assert_int_equal(c->route->retry_policy->per_try_timeout->nanos, 500000000);
	assert_string_equal(c->request_headers_to_add[0]->header->key, "x-weft");
	assert_string_equal(c->request_headers_to_remove[0], "x-debug");
	/* Ring hash on x-user (TrafficPolicy hashOn) -> the route's hash policy. */
	assert_int_equal(c->route->n_hash_policy, 1);
	assert_string_equal(c->route->hash_policy[0]->header->header_name, "x-user");
	protobuf_c_message_free_unpacked(&rc->base, NULL);

	/* Proxyless API listeners: named as the client's target. */
	const char *names[] = {"reviews", "reviews.shop", "reviews:9080", "reviews.shop:9080"};
	assert_int_equal(lds->count, 4);
	for (int i = 0; i < 4; i++) {
		Listener *l = UNPACK(envoy__config__listener__v3__listener__unpack,
		                     xt_find(lds, names[i]));
		assert_non_null(l->api_listener);
		assert_string_equal(l->api_listener->api_listener->type_url,
		                    "type.googleapis.com/envoy.extensions.filters.network."
		                    "http_connection_manager.v3.HttpConnectionManager");
		Hcm *h =
		        envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
		                NULL, l->api_listener->api_listener->value.len,
		                l->api_listener->api_listener->value.data);
		assert_string_equal(h->rds->route_config_name, "reviews.shop:9080");
		assert_int_equal(h->n_http_filters, 2);
		assert_string_equal(h->http_filters[1]->name, "envoy.filters.http.router");
		protobuf_c_message_free_unpacked(&h->base, NULL);
		protobuf_c_message_free_unpacked(&l->base, NULL);
	}
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* Several network planes: the instance registered as 10.75.8.101 is on
 * the node whose IP on the default plane is 192.168.10.63. */
static const char *const planes =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: amf, namespace: core}\n"
        "spec:\n  ports: [{name: http, port: 8080}]\n  endpoints:\n"
        "  - {address: 10.75.8.101}\n  - {address: 10.75.8.102}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: smf, namespace: core}\n"
        "spec:\n  ports: [{name: http, port: 8080}]\n  endpoints:\n  - {address: 10.75.9.1}\n";

static int has_vhost(const xds_resset *rds, const char *route, const char *vhost)
{
	RouteConfig *rc =
	        UNPACK(envoy__config__route__v3__route_configuration__unpack, xt_find(rds, route));
	int found = 0;
	for (size_t i = 0; i < rc->n_virtual_hosts; i++)
		found |= !strcmp(rc->virtual_hosts[i]->name, vhost);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	return found;
}

static void test_planes_local_instance(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, planes);
	xds_render_input in = xt_input(&p);
	xds_resset *lds, *rds;
	weft_err err = {0};
	const char *ips[] = {"10.75.8.101", "192.168.10.63"};
	xds_view_key vk = {.role = XDS_ROLE_SIDECAR, .service = "core/amf", .ips = ips, .n_ips = 2};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	Listener *l = UNPACK(envoy__config__listener__v3__listener__unpack,
	                     xt_find(lds, "inbound|10.75.8.101|8080"));
	assert_string_equal(l->address->socket_address->address, "10.75.8.101");
	assert_int_equal(l->traffic_direction, ENVOY__CONFIG__CORE__V3__TRAFFIC_DIRECTION__INBOUND);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	xt_find(rds, "inbound|8080|amf.core");
	assert_null(xds_resset_find(lds, "inbound|10.75.8.102|8080"));
	/* No outbound route to itself; other services still reachable. */
	assert_false(has_vhost(rds, "8080", "amf.core:8080"));
	assert_true(has_vhost(rds, "8080", "smf.core:8080"));
	xds_resset_unref(lds);
	xds_resset_unref(rds);

	/* Only the node IP of the other plane: not local, no inbound. */
	vk.n_ips = 1;
	vk.ips = (const char *[]){"192.168.10.63"};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	assert_int_equal(lds->count, 1);
	xt_find(lds, "outbound|0.0.0.0|8080");
	assert_true(has_vhost(rds, "8080", "amf.core:8080"));
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* Re-rendering reuses unchanged resources (same object) and lists only
 * what changed: an endpoint change touches only its CLAs. */
static void test_identity_and_changes(void **state)
{
	(void)state;
	xt_policy p = {0}, q = {0};
	xt_policy_load(&p, planes);
	char *changed = strdup(planes);
	char *at = strstr(changed, "10.75.9.1");
	at[8] = '2'; /* smf endpoint 10.75.9.1 -> 10.75.9.2 */
	xt_policy_load(&q, changed);
	free(changed);
	xds_render_input in = xt_input(&p), in2 = xt_input(&q);
	xds_resset *cds, *eds, *cds2, *eds2;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	assert_int_equal(xds_render_clusters(&in2, NULL, cds, eds, &cds2, &eds2, &err), 0);
	assert_int_equal(cds2->n_changed, 0);
	for (size_t i = 0; i < cds->count; i++)
		assert_ptr_equal(cds->items[i], cds2->items[i]);
	assert_int_equal(eds2->n_changed, 1);
	assert_string_equal(eds2->changed[0], "outbound|8080||smf.core");
	assert_ptr_equal(xds_resset_find(eds, "outbound|8080||amf.core"),
	                 xds_resset_find(eds2, "outbound|8080||amf.core"));
	assert_ptr_not_equal(xds_resset_find(eds, "outbound|8080||smf.core"),
	                     xds_resset_find(eds2, "outbound|8080||smf.core"));
	assert_int_equal(eds2->pred_id, eds->id);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	xds_resset_unref(cds2);
	xds_resset_unref(eds2);
	xt_policy_free(&p);
	xt_policy_free(&q);
}

/* TCP: a chain per TCP service matched by its endpoints' addresses, a
 * weighted tcp_proxy from the Route's TCP rule, HTTP sharing the port via
 * the HTTP inspector, unknown destinations passed through. */
static const char *const tcp =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: charging, namespace: shop}\n"
        "spec:\n  protocol: tcp\n  ports: [{name: diameter, port: 3868}]\n  endpoints:\n"
        "  - {address: 10.10.4.41}\n  - {address: 10.10.4.42}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: charging2, namespace: shop}\n"
        "spec:\n  protocol: tcp\n  ports: [{name: diameter, port: 3868}]\n  endpoints:\n"
        "  - {address: 10.10.5.41}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: charging, namespace: shop}\n"
        "spec:\n  service: charging\n  tcp:\n  - destinations:\n"
        "    - {service: charging, weight: 90}\n    - {service: charging2, weight: 10}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 3868}]\n  endpoints:\n  - {address: 10.10.6.1}\n";

static void test_tcp_passthrough(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, tcp);
	xds_render_input in = xt_input(&p);
	xds_resset *lds, *rds, *cds, *eds;
	weft_err err = {0};
	xds_view_key vk = {.role = XDS_ROLE_SIDECAR};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	Listener *l = UNPACK(envoy__config__listener__v3__listener__unpack,
	                     xt_find(lds, "outbound|0.0.0.0|3868"));
	assert_int_equal(l->n_filter_chains, 3); /* charging, charging2, http */
	Envoy__Config__Listener__V3__FilterChain *fc = l->filter_chains[0];
	assert_string_equal(fc->filters[0]->name, "envoy.filters.network.tcp_proxy");
	assert_int_equal(fc->filter_chain_match->n_prefix_ranges, 2);
	assert_string_equal(fc->filter_chain_match->prefix_ranges[0]->address_prefix, "10.10.4.41");
	assert_int_equal(fc->filter_chain_match->prefix_ranges[0]->prefix_len->value, 32);
	Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy *tp =
	        envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__unpack(
	                NULL, fc->filters[0]->typed_config->value.len,
	                fc->filters[0]->typed_config->value.data);
	assert_int_equal(tp->weighted_clusters->n_clusters, 2);
	assert_string_equal(tp->weighted_clusters->clusters[1]->name,
	                    "outbound|3868||charging2.shop");
	assert_int_equal(tp->weighted_clusters->clusters[1]->weight, 10);
	protobuf_c_message_free_unpacked(&tp->base, NULL);
	assert_string_equal(l->filter_chains[2]->filter_chain_match->application_protocols[0],
	                    "http/1.1");
	assert_int_equal(l->n_listener_filters, 2);
	assert_string_equal(l->listener_filters[1]->name, "envoy.filters.listener.http_inspector");
	assert_string_equal(l->default_filter_chain->name, "passthrough");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	Cluster *pc = UNPACK(envoy__config__cluster__v3__cluster__unpack,
	                     xt_find(cds, "PassthroughCluster"));
	assert_int_equal(pc->type,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__ORIGINAL_DST);
	protobuf_c_message_free_unpacked(&pc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	xt_policy_free(&p);
}

/* AccessPolicy with default allow -> RBAC DENY with the deny rules, an
 * earlier allow rule excluded from a later deny ("and not"). */
static const char *const rbac =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n  - {address: 10.1.1.1}\n"
        "---\napiVersion: weft/v1\nkind: AccessPolicy\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  service: api\n  rules:\n"
        "  - action: allow\n    to: {paths: [/admin/health]}\n"
        "  - action: deny\n    to: {paths: ['/admin/*']}\n";

static void test_rbac_first_match(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, rbac);
	xds_render_input in = xt_input(&p);
	xds_resset *lds, *rds;
	weft_err err = {0};
	xds_view_key vk = {
	        .role = XDS_ROLE_SIDECAR, .ips = (const char *[]){"10.1.1.1"}, .n_ips = 1};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	Listener *l = UNPACK(envoy__config__listener__v3__listener__unpack,
	                     xt_find(lds, "inbound|10.1.1.1|80"));
	Hcm *h =
	        envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
	                NULL, l->filter_chains[0]->filters[0]->typed_config->value.len,
	                l->filter_chains[0]->filters[0]->typed_config->value.data);
	assert_int_equal(h->n_http_filters, 4);
	assert_string_equal(h->http_filters[2]->name, "envoy.filters.http.rbac");
	Envoy__Extensions__Filters__Http__Rbac__V3__RBAC *rb =
	        envoy__extensions__filters__http__rbac__v3__rbac__unpack(
	                NULL, h->http_filters[2]->typed_config->value.len,
	                h->http_filters[2]->typed_config->value.data);
	assert_int_equal(rb->rules->action, ENVOY__CONFIG__RBAC__V3__RBAC__ACTION__DENY);
	assert_int_equal(rb->rules->n_policies, 1);
	Envoy__Config__Rbac__V3__Permission *perm = rb->rules->policies[0]->value->permissions[0];
	assert_int_equal(perm->rule_case, ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_AND_RULES);
	assert_int_equal(perm->and_rules->n_rules, 2);
	assert_string_equal(perm->and_rules->rules[0]->url_path->path->prefix, "/admin/");
	assert_int_equal(perm->and_rules->rules[1]->rule_case,
	                 ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_NOT_RULE);
	assert_string_equal(perm->and_rules->rules[1]->not_rule->url_path->path->exact,
	                    "/admin/health");
	protobuf_c_message_free_unpacked(&rb->base, NULL);
	protobuf_c_message_free_unpacked(&h->base, NULL);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* Gateways: a listener per Gateway listener, TLS from files, a virtual
 * host per Route with the Route's hosts. */
static const char *const gateway =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: frontend, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n  endpoints:\n  - {address: "
        "10.3.0.1}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: shop-edge, namespace: shop}\n"
        "spec:\n  hosts: [shop.example.com]\n  http:\n  - name: api\n    match:\n    - path: "
        "{prefix: /api/}\n"
        "    destinations: [{service: frontend}]\n    rewrite: {prefix: /}\n"
        "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\n"
        "spec:\n  address: 192.0.2.10\n  listeners:\n"
        "  - name: https\n    port: 443\n    protocol: https\n    hosts: [shop.example.com]\n"
        "    tls:\n      certificate: {certFile: /etc/t/shop.crt, keyFile: /etc/t/shop.key}\n"
        "    routes: [shop-edge]\n";

static void test_gateway(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, gateway);
	xds_render_input in = xt_input(&p);
	xds_resset *lds, *rds;
	weft_err err = {0};
	xds_view_key vk = {.role = XDS_ROLE_GATEWAY, .gateway = "shop/edge"};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	assert_int_equal(lds->count, 1);
	Listener *l = UNPACK(envoy__config__listener__v3__listener__unpack,
	                     xt_find(lds, "gw|shop/edge|https"));
	assert_string_equal(l->address->socket_address->address, "192.0.2.10");
	assert_int_equal(l->address->socket_address->port_value, 443);
	assert_string_equal(l->filter_chains[0]->transport_socket->typed_config->type_url,
	                    "type.googleapis.com/"
	                    "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	RouteConfig *rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	                         xt_find(rds, "gw|shop/edge|https"));
	assert_int_equal(rc->n_virtual_hosts, 1);
	assert_string_equal(rc->virtual_hosts[0]->domains[0], "shop.example.com");
	Envoy__Config__Route__V3__Route *r = rc->virtual_hosts[0]->routes[0];
	assert_string_equal(r->match->prefix, "/api/");
	assert_string_equal(r->route->cluster, "outbound|80||frontend.shop");
	assert_string_equal(r->route->prefix_rewrite, "/");
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_clusters_and_endpoints),
	        cmocka_unit_test(test_routes),
	        cmocka_unit_test(test_planes_local_instance),
	        cmocka_unit_test(test_identity_and_changes),
	        cmocka_unit_test(test_tcp_passthrough),
	        cmocka_unit_test(test_rbac_first_match),
	        cmocka_unit_test(test_gateway),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
