/* One policy through every family (F5, NETCONF, xDS, file): each renders
 * the same effective endpoints, weights and policies per subset as the
 * resolved model (core/model.h) says, wherever the family can express them,
 * and reports the documented warning where it cannot (docs/adapter-*.md,
 * "What is rendered"). Then one service with 1,000 routes and 200
 * TrafficPolicies through every family: nothing capped, nothing dropped
 * without a warning. Render functions only; no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "f5_adapter.h"
#include "f5_render.h"
#include "file_adapter.h"
#include "model.h"
#include "ncdev.h"
#include "ncdev_adapter.h"
#include "testpolicy.h"
#include "xds_server.h"
#include "xds_render.h"

#define DEVICES                                                                                    \
	"---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip}\n"                        \
	"spec:\n  type: f5\n  connection: {address: 127.0.0.1, port: 8443, username: admin,\n"     \
	"    credentials: {env: F5_PASSWORD}, tls: {insecure: true}}\n"                            \
	"  options: {partition: weft}\n"                                                           \
	"---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: lb1}\n"                          \
	"spec:\n  type: netconf\n"                                                                 \
	"  connection: {address: 127.0.0.1, username: admin, credentials: {env: NCT_PW},\n"        \
	"    hostKey: \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}\n"                   \
	"---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: mesh}\n"                         \
	"spec: {type: xds, options: {nodeMatch: {idPrefix: mesh-}}}\n"                             \
	"---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: files}\n"                        \
	"spec: {type: file, options: {directory: out}}\n"

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"
        "  endpoints:\n"
        "  - {address: 10.0.0.1, labels: {v: '1'}}\n"
        "  - {address: 10.0.0.2, labels: {v: '1'}, weight: 3}\n"
        "  - {address: 10.0.0.3, labels: {v: '2'}, port: 9090}\n"
        "  subsets: [{name: v1, labels: {v: '1'}}, {name: v2, labels: {v: '2'}}]\n"
        "---\napiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: web-v2, namespace: shop}\n"
        "spec: {service: web, subset: v2, loadBalancer: {algorithm: least-request},"
        " healthCheck: {type: tcp}}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: web-rl, namespace: shop}\n"
        "spec:\n  service: web\n  limit: {requests: 100}\n  key: {header: x-tenant}\n"
        "  tiers: [{value: gold, requests: 1000}]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: edge, namespace: shop}\n"
        "spec:\n  hosts: [shop.example.com]\n"
        "  http:\n  - destinations: [{service: web, subset: v1, weight: 80},"
        " {service: web, subset: v2, weight: 20}]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: mesh, namespace: shop}\n"
        "spec:\n  service: web\n"
        "  http:\n  - retries: {attempts: 3}\n    destinations: [{service: web}]\n"
        "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
        "spec:\n  address: 192.0.2.10\n  listeners:\n"
        "  - {name: web, port: 80, protocol: http, hosts: [shop.example.com], routes: [edge]}\n";

typedef Envoy__Config__Endpoint__V3__ClusterLoadAssignment Cla;
typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfig;

static const weft_resource *device(const weft_snapshot *s, const char *name)
{
	size_t n;
	weft_resource *const *d = weft_snapshot_devices(s, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(d[i]->name, name))
			return d[i];
	fail_msg("no device %s", name);
	return NULL;
}

static const xds_res *find_res(const xds_resset *set, const char *name)
{
	for (size_t i = 0; i < set->count; i++)
		if (!strcmp(set->items[i]->name, name))
			return set->items[i];
	fail_msg("xds: no resource %s", name);
	return NULL;
}

#define UNPACK(fn, r)                                                                              \
	({                                                                                         \
		size_t len_;                                                                       \
		const uint8_t *b_ = xds_res_value(r, &len_);                                       \
		fn(NULL, len_, b_);                                                                \
	})

/* The plan of a family's render + diff against an empty device, through
 * an adapter instance as the controller makes one (no config). */
static weft_plan plan_of(const weft_adapter *a, const weft_snapshot *s, const weft_resource *dev)
{
	weft_plan plan;
	weft_plan_init(&plan, dev->name, a->kind, weft_snapshot_revision(s));
	weft_adapter_instance inst = {0};
	void *desired = NULL;
	weft_err err = {0};
	if (weft_adapter_instance_init(&inst, a, NULL, NULL, &err) ||
	    a->render(inst.ctx, s, dev, &desired, &err) ||
	    a->diff(inst.ctx, dev, desired, NULL, &plan, &err))
		fail_msg("%s: %s", a->kind, err.msg);
	a->free_config(inst.ctx, desired);
	weft_adapter_instance_fini(&inst);
	return plan;
}

static int has_warning(const weft_plan *p, const char *resource, const char *field)
{
	for (size_t i = 0; i < p->warnings.count; i++)
		if (!strcmp(p->warnings.items[i].resource, resource) &&
		    !strcmp(p->warnings.items[i].field, field))
			return 1;
	return 0;
}

static const char *nc_value(const struct ncdev_config *c, const char *xpath)
{
	struct ly_set *set = NULL;
	static char buf[256];
	const char *v = NULL;
	if (lyd_find_xpath(c->tree, xpath, &set) == LY_SUCCESS && set->count == 1)
		v = lyd_get_value(set->dnodes[0]);
	snprintf(buf, sizeof(buf), "%s", v ? v : "");
	ly_set_free(set, NULL);
	return v ? buf : NULL;
}

/* F5: pools per subset with the model's members and ratios; the subset's
 * TrafficPolicy on its pool only; the split pool keeps 80/20 x endpoint
 * weights; the mesh Route is a warning. */
static void check_f5(const weft_snapshot *s, const weft_model_port *port)
{
	struct f5_config *c = NULL;
	weft_err err = {0};
	assert_int_equal(f5_render_config(NULL, s, device(s, "bigip"), &c, &err), 0);
	for (size_t k = 0; k < port->n_subsets; k++) {
		const weft_model_subset *sub = &port->subsets[k];
		char pool[128], member[64];
		snprintf(pool, sizeof(pool), "/weft/shop_web_80%s%s", sub->name ? "_" : "",
		         sub->name ? sub->name : "");
		const weft_model_endpoints *eps = weft_model_endpoints_on(sub, NULL);
		for (size_t i = 0; i < eps->count; i++) {
			snprintf(member, sizeof(member), "%s:%d", eps->items[i].address,
			         eps->items[i].port);
			struct f5_obj *m = f5_config_find(c, F5T_MEMBER, pool, member);
			assert_non_null(m);
			assert_int_equal(json_integer_value(json_object_get(m->body, "ratio")),
			                 eps->items[i].weight);
		}
		struct f5_obj *p = f5_config_find(c, F5T_POOL, pool, NULL);
		assert_non_null(p);
		const char *mode = json_string_value(json_object_get(p->body, "loadBalancingMode"));
		assert_string_equal(mode, sub->policies.traffic_policy
		                                  ? "ratio-least-connections-member"
		                                  : "ratio-member");
	}
	/* 80 x (1, 3) / 4 and 20 x 1 / 1: ratios 1, 3, 1. */
	const char *split = "/weft/shop_edge_0_split";
	assert_int_equal(
	        json_integer_value(json_object_get(
	                f5_config_find(c, F5T_MEMBER, split, "10.0.0.1:8080")->body, "ratio")),
	        1);
	assert_int_equal(
	        json_integer_value(json_object_get(
	                f5_config_find(c, F5T_MEMBER, split, "10.0.0.2:8080")->body, "ratio")),
	        3);
	assert_int_equal(
	        json_integer_value(json_object_get(
	                f5_config_find(c, F5T_MEMBER, split, "10.0.0.3:9090")->body, "ratio")),
	        1);
	f5_config_free(c);
	weft_plan plan = plan_of(f5_adapter(), s, device(s, "bigip"));
	assert_true(has_warning(&plan, "Route shop/mesh", "spec.service"));
	assert_int_equal(plan.warnings.count, 1); /* keyed RateLimit tiers: an iRule */
	weft_plan_free(&plan);
}

/* NETCONF: the service pool holds the whole service with its weights and
 * no subset policy; the gateway pool the 80/20 split x endpoint weight;
 * what weft-lb cannot hold is warned about. */
static void check_netconf(const weft_snapshot *s, const weft_model_port *port)
{
	void *desired = NULL;
	weft_err err = {0};
	assert_int_equal(ncdev_render(s, device(s, "lb1"), &desired, &err), 0);
	const struct ncdev_config *c = desired;
	const weft_model_endpoints *all = weft_model_endpoints_on(&port->subsets[0], NULL);
	char xp[256], w[16];
	for (size_t i = 0; i < all->count; i++) {
		snprintf(xp, sizeof(xp),
		         "/weft-lb:lb/pool[name='shop_web_80']/member[address='%s'][port='%d']/"
		         "weight",
		         all->items[i].address, all->items[i].port);
		snprintf(w, sizeof(w), "%d", all->items[i].weight);
		assert_string_equal(nc_value(c, xp), w);
	}
	assert_string_equal(nc_value(c, "/weft-lb:lb/pool[name='shop_web_80']/method"),
	                    "weighted-round-robin");
	assert_null(nc_value(c, "/weft-lb:lb/pool[name='shop_web_80']/health-check"));
	const char *gp = "/weft-lb:lb/pool[name='shop_gw_web']/member";
	snprintf(xp, sizeof(xp), "%s[address='10.0.0.1'][port='8080']/weight", gp);
	assert_string_equal(nc_value(c, xp), "80");
	snprintf(xp, sizeof(xp), "%s[address='10.0.0.2'][port='8080']/weight", gp);
	assert_string_equal(nc_value(c, xp), "240");
	snprintf(xp, sizeof(xp), "%s[address='10.0.0.3'][port='9090']/weight", gp);
	assert_string_equal(nc_value(c, xp), "20");
	ncdev_config_free(desired);
	weft_plan plan = plan_of(ncdev_adapter(), s, device(s, "lb1"));
	assert_true(has_warning(&plan, "RateLimit shop/web-rl", "spec.tiers"));
	assert_true(has_warning(&plan, "TrafficPolicy shop/web-v2", "spec.subset"));
	assert_true(has_warning(&plan, "Route shop/mesh", "spec.service"));
	assert_int_equal(plan.warnings.count, 3);
	weft_plan_free(&plan);
}

/* xDS: one cluster and assignment per subset with the model's endpoints
 * and weights, the subset's TrafficPolicy on its cluster only; the gateway
 * route splits 80/20; the mesh route keeps its retries. */
static void check_xds(const weft_snapshot *s, const weft_model_port *port)
{
	size_t n;
	weft_resource *const *sel = weft_snapshot_by_device(s, "default", "mesh", &n);
	xds_render_input in = {sel, n, weft_snapshot_model(s)};
	xds_resset *cds, *eds, *lds, *rds;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	for (size_t k = 0; k < port->n_subsets; k++) {
		const weft_model_subset *sub = &port->subsets[k];
		char name[128];
		snprintf(name, sizeof(name), "outbound|80|%s|web.shop", sub->name ? sub->name : "");
		const weft_model_endpoints *eps = weft_model_endpoints_on(sub, NULL);
		Cla *a = UNPACK(envoy__config__endpoint__v3__cluster_load_assignment__unpack,
		                find_res(eds, name));
		size_t seen = 0;
		for (size_t l = 0; l < a->n_endpoints; l++)
			for (size_t e = 0; e < a->endpoints[l]->n_lb_endpoints; e++) {
				const Envoy__Config__Endpoint__V3__LbEndpoint *lbe =
				        a->endpoints[l]->lb_endpoints[e];
				const Envoy__Config__Core__V3__SocketAddress *sa =
				        lbe->endpoint->address->socket_address;
				assert_string_equal(sa->address, eps->items[seen].address);
				assert_int_equal(sa->port_value, eps->items[seen].port);
				assert_int_equal(lbe->load_balancing_weight->value,
				                 eps->items[seen].weight);
				seen++;
			}
		assert_int_equal(seen, eps->count);
		protobuf_c_message_free_unpacked(&a->base, NULL);
		Cluster *cl =
		        UNPACK(envoy__config__cluster__v3__cluster__unpack, find_res(cds, name));
		assert_int_equal(
		        cl->lb_policy,
		        sub->policies.traffic_policy
		                ? ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__LEAST_REQUEST
		                : ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__ROUND_ROBIN);
		assert_int_equal(cl->n_health_checks, sub->policies.traffic_policy ? 1 : 0);
		protobuf_c_message_free_unpacked(&cl->base, NULL);
	}
	xds_view_key gk = {.role = XDS_ROLE_GATEWAY, .gateway = "shop/gw"};
	assert_int_equal(xds_render_listeners(&in, &gk, NULL, NULL, &lds, &rds, &err), 0);
	RouteConfig *rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	                         find_res(rds, "gw|shop/gw|web"));
	const Envoy__Config__Route__V3__WeightedCluster *wc =
	        rc->virtual_hosts[0]->routes[0]->route->weighted_clusters;
	assert_non_null(wc);
	assert_int_equal(wc->n_clusters, 2);
	assert_string_equal(wc->clusters[0]->name, "outbound|80|v1|web.shop");
	assert_int_equal(wc->clusters[0]->weight->value, 80);
	assert_int_equal(wc->clusters[1]->weight->value, 20);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_view_key sk = {.role = XDS_ROLE_SIDECAR, .service = "shop/web"};
	assert_int_equal(xds_render_listeners(&in, &sk, NULL, NULL, &lds, &rds, &err), 0);
	rc = UNPACK(envoy__config__route__v3__route_configuration__unpack, find_res(rds, "80"));
	const Envoy__Config__Route__V3__RouteAction *ra = rc->virtual_hosts[0]->routes[0]->route;
	assert_non_null(ra->retry_policy);
	assert_int_equal(ra->retry_policy->num_retries->value, 3);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	/* xDS expresses this whole policy: no warnings. */
	weft_plan plan = plan_of(xds_adapter(), s, device(s, "mesh"));
	assert_int_equal(plan.warnings.count, 0);
	weft_plan_free(&plan);
}

/* File: the reference family writes the documents themselves; it expresses
 * everything and warns about nothing. */
static void check_file(const weft_snapshot *s)
{
	weft_plan plan = plan_of(file_adapter(), s, device(s, "files"));
	assert_int_equal(plan.warnings.count, 0);
	size_t n;
	weft_snapshot_by_device(s, "default", "files", &n);
	assert_int_equal(plan.n_ops, n);
	weft_plan_free(&plan);
}

static void test_same_meaning_every_family(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof(text), "%s%s", POLICY, DEVICES);
	weft_snapshot *s = wtp_compile_yaml("families.yaml", text, 1);
	const weft_model_port *port = weft_model_find_port(
	        weft_model_find_service(weft_snapshot_model(s), "shop", "web"), 80);
	assert_non_null(port);
	/* What the model says, which every family is held to. */
	assert_int_equal(weft_model_find_subset(port, "v1")->planes[0].count, 2);
	assert_int_equal(weft_model_find_subset(port, "v2")->planes[0].items[0].port, 9090);
	assert_non_null(weft_model_find_subset(port, "v2")->policies.traffic_policy);
	assert_null(weft_model_find_subset(port, "v1")->policies.traffic_policy);
	assert_null(weft_model_find_subset(port, NULL)->policies.traffic_policy);
	check_f5(s, port);
	check_netconf(s, port);
	check_xds(s, port);
	check_file(s);
	weft_snapshot_unref(s);
}

/* A TCP gateway listener forwards to one cluster: xDS warns about the
 * split it cannot keep there. */
static void test_xds_tcp_gateway_warning(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof(text), "%s%s",
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
	         "spec:\n  protocol: tcp\n  ports: [{name: sql, port: 5432}]\n"
	         "  endpoints: [{address: 10.0.1.1, labels: {v: a}}, {address: 10.0.1.2, labels: "
	         "{v: b}}]\n"
	         "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: db2, namespace: shop}\n"
	         "spec:\n  protocol: tcp\n  ports: [{name: sql, port: 5432}]\n"
	         "  endpoints: [{address: 10.0.1.3}]\n"
	         "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: sql, namespace: shop}\n"
	         "spec:\n  hosts: [db.example.com]\n"
	         "  tcp:\n  - destinations: [{service: db, weight: 50}, {service: db2, weight: "
	         "50}]\n"
	         "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
	         "spec:\n  address: 192.0.2.10\n  listeners:\n"
	         "  - {name: sql, port: 5432, protocol: tcp, routes: [sql]}\n",
	         DEVICES);
	weft_snapshot *s = wtp_compile_yaml("tcp.yaml", text, 1);
	weft_plan plan = plan_of(xds_adapter(), s, device(s, "mesh"));
	assert_int_equal(plan.warnings.count, 1);
	assert_string_equal(plan.warnings.items[0].resource, "Route shop/sql");
	assert_string_equal(plan.warnings.items[0].field, "spec.tcp[0].destinations");
	weft_plan_free(&plan);
	weft_snapshot_unref(s);
}

/* ---- scale: 1,000 routes and 200 TrafficPolicies on one service ---- */

#define N_SUBSETS 200
#define N_MESH    500
#define N_GW      500

static char *big_policy(void)
{
	size_t cap = 4 << 20, len = 0;
	char *t = malloc(cap);
#define PUT(...) len += (size_t)snprintf(t + len, cap - len, __VA_ARGS__)
	PUT("apiVersion: weft/v1\nkind: Service\nmetadata: {name: big, namespace: s}\n"
	    "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n");
	for (int i = 0; i < N_SUBSETS; i++)
		PUT("  - {address: 10.1.%d.%d, labels: {i: '%d'}}\n", i / 250, i % 250 + 1, i);
	PUT("  subsets:\n");
	for (int i = 0; i < N_SUBSETS; i++)
		PUT("  - {name: s%d, labels: {i: '%d'}}\n", i, i);
	for (int i = 0; i < N_SUBSETS; i++)
		PUT("---\napiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: tp%d, "
		    "namespace: "
		    "s}\nspec: {service: big, subset: s%d, healthCheck: {type: tcp}}\n",
		    i, i);
	for (int i = 0; i < N_MESH; i++)
		PUT("---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: m%d, namespace: s}\n"
		    "spec:\n  service: big\n  http:\n  - match: [{path: {prefix: /m%d}}]\n"
		    "    destinations: [{service: big, subset: s%d}]\n",
		    i, i, i % N_SUBSETS);
	for (int i = 0; i < N_GW; i++)
		PUT("---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: g%d, namespace: s}\n"
		    "spec:\n  hosts: [big.example.com]\n  http:\n  - match: [{path: {prefix: "
		    "/g%d}}]\n"
		    "    destinations: [{service: big, subset: s%d}]\n",
		    i, i, i % N_SUBSETS);
	PUT("---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: s}\n"
	    "spec:\n  address: 192.0.2.20\n  listeners:\n"
	    "  - name: web\n    port: 80\n    protocol: http\n    hosts: [big.example.com]\n"
	    "    routes: [");
	for (int i = 0; i < N_GW; i++)
		PUT("%sg%d", i ? ", " : "", i);
	PUT("]\n%s", DEVICES);
#undef PUT
	assert_true(len < cap);
	return t;
}

static size_t f5t_count_type(const struct f5_config *c, enum f5_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->objs[i].type == t;
	return n;
}

static size_t count_warnings(const weft_plan *p, const char *kind, const char *field)
{
	size_t n = 0;
	for (size_t i = 0; i < p->warnings.count; i++)
		n += !strncmp(p->warnings.items[i].resource, kind, strlen(kind)) &&
		     !strncmp(p->warnings.items[i].field, field, strlen(field));
	return n;
}

static void test_thousand_routes_every_family(void **state)
{
	(void)state;
	char *text = big_policy();
	weft_snapshot *s = wtp_compile_yaml("big.yaml", text, 1);
	free(text);
	/* xDS: every mesh route in the service's virtual host, every
	 * TrafficPolicy on its subset's cluster, every gateway route. */
	size_t n;
	weft_resource *const *sel = weft_snapshot_by_device(s, "default", "mesh", &n);
	xds_render_input in = {sel, n, weft_snapshot_model(s)};
	xds_resset *cds, *eds, *lds, *rds;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	size_t with_hc = 0;
	for (int i = 0; i < N_SUBSETS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "outbound|80|s%d|big.s", i);
		Cluster *cl =
		        UNPACK(envoy__config__cluster__v3__cluster__unpack, find_res(cds, name));
		with_hc += cl->n_health_checks;
		protobuf_c_message_free_unpacked(&cl->base, NULL);
	}
	assert_int_equal(with_hc, N_SUBSETS);
	xds_view_key sk = {.role = XDS_ROLE_SIDECAR, .service = "s/big"};
	assert_int_equal(xds_render_listeners(&in, &sk, NULL, NULL, &lds, &rds, &err), 0);
	RouteConfig *rc =
	        UNPACK(envoy__config__route__v3__route_configuration__unpack, find_res(rds, "80"));
	assert_int_equal(rc->virtual_hosts[0]->n_routes, N_MESH);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_view_key gk = {.role = XDS_ROLE_GATEWAY, .gateway = "s/gw"};
	assert_int_equal(xds_render_listeners(&in, &gk, NULL, NULL, &lds, &rds, &err), 0);
	rc = UNPACK(envoy__config__route__v3__route_configuration__unpack,
	            find_res(rds, "gw|s/gw|web"));
	assert_int_equal(rc->n_virtual_hosts, N_GW);
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_resset_unref(cds);
	xds_resset_unref(eds);

	/* F5: a pool per subset with its monitor, an LTM rule per gateway
	 * route, and a warning per mesh route (no virtual for them). */
	struct f5_config *c = NULL;
	assert_int_equal(f5_render_config(NULL, s, device(s, "bigip"), &c, &err), 0);
	assert_int_equal(f5t_count_type(c, F5T_POOL), N_SUBSETS + 1);
	assert_int_equal(f5t_count_type(c, F5T_MON_TCP), N_SUBSETS);
	struct f5_obj *pol = f5_config_find(c, F5T_POLICY, "/weft/s_gw_web_routes", NULL);
	assert_non_null(pol);
	assert_int_equal(json_array_size(json_object_get(pol->body, "rules")), N_GW);
	f5_config_free(c);
	weft_plan plan = plan_of(f5_adapter(), s, device(s, "bigip"));
	assert_int_equal(count_warnings(&plan, "Route", "spec.service"), N_MESH);
	weft_plan_free(&plan);

	/* NETCONF: one pool (weft-lb has no subset pools), every health check,
	 * and a warning for every route and subset policy it cannot hold. */
	void *desired = NULL;
	assert_int_equal(ncdev_render(s, device(s, "lb1"), &desired, &err), 0);
	struct ly_set *set = NULL;
	assert_int_equal(lyd_find_xpath(((struct ncdev_config *)desired)->tree,
	                                "/weft-lb:lb/health-check", &set),
	                 LY_SUCCESS);
	assert_int_equal(set->count, N_SUBSETS);
	ly_set_free(set, NULL);
	ncdev_config_free(desired);
	plan = plan_of(ncdev_adapter(), s, device(s, "lb1"));
	assert_int_equal(count_warnings(&plan, "Route", "spec.service"), N_MESH);
	assert_int_equal(count_warnings(&plan, "Gateway", "spec.listeners[web].routes["), N_GW - 1);
	assert_int_equal(count_warnings(&plan, "TrafficPolicy", "spec.subset"), N_SUBSETS);
	weft_plan_free(&plan);

	/* File: every document. */
	plan = plan_of(file_adapter(), s, device(s, "files"));
	assert_int_equal(plan.n_ops, 1 + N_SUBSETS + N_MESH + N_GW + 1);
	assert_int_equal(plan.warnings.count, 0);
	weft_plan_free(&plan);
	weft_snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_meaning_every_family),
	        cmocka_unit_test(test_xds_tcp_gateway_warning),
	        cmocka_unit_test(test_thousand_routes_every_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
