/* Netconf adapter render tests: YAML policies decoded with the real
 * decoder -> weft-lb trees, checked node by node (pools, members and
 * weights, LB method, health checks, virtual services with TLS and mTLS,
 * rate limits, ACLs), and an invalid result refused with the device name
 * and libyang's path. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev_adapter.h"
#include "ncdev_testutil.h"

static const char *SHOP =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop,"
        " labels: {app: web}}\n"
        "spec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"
        "  endpoints:\n"
        "  - {address: 10.0.0.1, labels: {version: v1}}\n"
        "  - {address: 10.0.0.2, labels: {version: v1}, weight: 3}\n"
        "  - {address: 10.0.0.3, labels: {version: v2}, port: 9090}\n"
        "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: edge, namespace: shop}\n"
        "spec:\n  hosts: [shop.example.com]\n"
        "  http:\n  - destinations: [{service: web, subset: v1, weight: 80},"
        " {service: web, subset: v2, weight: 20}]\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
        "spec:\n  address: 192.0.2.10\n  listeners:\n"
        "  - name: https\n    port: 443\n    protocol: https\n    hosts: [shop.example.com]\n"
        "    tls: {certificate: {certFile: /etc/c.crt, keyFile: /etc/c.key}}\n"
        "    routes: [edge]\n"
        "---\n"
        "apiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  service: web\n  loadBalancer: {algorithm: least-request}\n"
        "  connectionPool: {maxConnections: 500}\n"
        "  healthCheck: {type: http, path: /healthz, interval: 5s, timeout: 1500ms,"
        " unhealthyThreshold: 4}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: web-rl, namespace: shop}\n"
        "spec:\n  service: web\n  limit: {requests: 100, per: minute, burst: 150}\n"
        "  key: {header: x-tenant}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: AccessPolicy\nmetadata: {name: web-acl, namespace: shop}\n"
        "spec:\n  service: web\n  defaultAction: deny\n  rules:\n"
        "  - action: allow\n    from: {cidrs: [192.0.2.0/24]}\n"
        "  - action: deny\n    to: {paths: [\"/admin/*\"], methods: [POST, DELETE]}\n"
        "  - action: allow\n    from: {services: [web]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: PeerAuthentication\nmetadata: {name: strict, namespace: shop}\n"
        "spec: {mode: STRICT}\n";

#define P  "/weft-lb:lb/pool[name='shop_web_80']"
#define VS "/weft-lb:lb/virtual-service[name='shop_gw_https']"
#define GP "/weft-lb:lb/pool[name='shop_gw_https']"

static void test_service_pool(void **state)
{
	(void)state;
	void *cfg = nct_render_yaml(SHOP);
	assert_string_equal(nct_value(cfg, P "/method"), "least-connections");
	assert_string_equal(nct_value(cfg, P "/health-check"), "shop_web");
	assert_int_equal(nct_count(cfg, P "/member"), 3);
	assert_string_equal(nct_value(cfg, P "/member[address='10.0.0.1'][port='8080']/weight"),
	                    "1");
	assert_string_equal(nct_value(cfg, P "/member[address='10.0.0.2'][port='8080']/weight"),
	                    "3");
	/* An endpoint port wins over targetPort. */
	assert_string_equal(nct_value(cfg, P "/member[address='10.0.0.3'][port='9090']/weight"),
	                    "1");
	ncdev_adapter()->free_config(NULL, cfg);
}

static void test_health_check(void **state)
{
	(void)state;
	void *cfg = nct_render_yaml(SHOP);
#define HC "/weft-lb:lb/health-check[name='shop_web']"
	assert_string_equal(nct_value(cfg, HC "/type"), "http");
	assert_string_equal(nct_value(cfg, HC "/interval"), "5");
	assert_string_equal(nct_value(cfg, HC "/timeout"), "2"); /* 1.5 s rounded up */
	assert_string_equal(nct_value(cfg, HC "/path"), "/healthz");
	assert_string_equal(nct_value(cfg, HC "/unhealthy-threshold"), "4");
	assert_string_equal(nct_value(cfg, HC "/healthy-threshold"), "2"); /* YANG default */
	ncdev_adapter()->free_config(NULL, cfg);
}

static void test_virtual_service(void **state)
{
	(void)state;
	void *cfg = nct_render_yaml(SHOP);
	assert_int_equal(nct_count(cfg, "/weft-lb:lb/virtual-service"), 1);
	assert_string_equal(nct_value(cfg, VS "/address"), "192.0.2.10");
	assert_string_equal(nct_value(cfg, VS "/port"), "443");
	assert_string_equal(nct_value(cfg, VS "/protocol"), "https");
	assert_string_equal(nct_value(cfg, VS "/pool"), "shop_gw_https");
	assert_string_equal(nct_value(cfg, VS "/tls-profile"), "shop_gw_https");
	assert_string_equal(nct_value(cfg, VS "/rate-limit"), "shop_web-rl");
	assert_string_equal(nct_value(cfg, VS "/acl"), "shop_web-acl");
	assert_string_equal(nct_value(cfg, VS "/connection-limit"), "500");
	/* The 80/20 split: v1 members get 80 x endpoint weight, v2 20. */
	assert_int_equal(nct_count(cfg, GP "/member"), 3);
	assert_string_equal(nct_value(cfg, GP "/member[address='10.0.0.1'][port='8080']/weight"),
	                    "80");
	assert_string_equal(nct_value(cfg, GP "/member[address='10.0.0.2'][port='8080']/weight"),
	                    "240");
	assert_string_equal(nct_value(cfg, GP "/member[address='10.0.0.3'][port='9090']/weight"),
	                    "20");
	assert_string_equal(nct_value(cfg, GP "/method"), "least-connections");
	ncdev_adapter()->free_config(NULL, cfg);
}

static void test_tls_mtls(void **state)
{
	(void)state;
	void *cfg = nct_render_yaml(SHOP);
#define TP "/weft-lb:lb/tls-profile[name='shop_gw_https']"
	assert_string_equal(nct_value(cfg, TP "/certificate"), "/etc/c.crt");
	assert_string_equal(nct_value(cfg, TP "/private-key"), "/etc/c.key");
	/* PeerAuthentication STRICT in the namespace -> mTLS required. */
	assert_string_equal(nct_value(cfg, TP "/mtls/mode"), "require");
	assert_string_equal(nct_value(cfg, TP "/mtls/ca-bundle"), "weft-mesh-ca");
	ncdev_adapter()->free_config(NULL, cfg);
}

static void test_rate_limit_acl(void **state)
{
	(void)state;
	void *cfg = nct_render_yaml(SHOP);
#define RL "/weft-lb:lb/rate-limit[name='shop_web-rl']"
	assert_string_equal(nct_value(cfg, RL "/requests"), "100");
	assert_string_equal(nct_value(cfg, RL "/per"), "minute");
	assert_string_equal(nct_value(cfg, RL "/burst"), "150");
	assert_string_equal(nct_value(cfg, RL "/key"), "header");
	assert_string_equal(nct_value(cfg, RL "/header-name"), "x-tenant");
#define ACL "/weft-lb:lb/acl[name='shop_web-acl']"
	assert_string_equal(nct_value(cfg, ACL "/default-action"), "deny");
	/* The third rule matches on a service identity only: left out. */
	assert_int_equal(nct_count(cfg, ACL "/rule"), 2);
	assert_string_equal(nct_value(cfg, ACL "/rule[seq='10']/action"), "allow");
	assert_string_equal(nct_value(cfg, ACL "/rule[seq='10']/source"), "192.0.2.0/24");
	assert_string_equal(nct_value(cfg, ACL "/rule[seq='20']/action"), "deny");
	assert_string_equal(nct_value(cfg, ACL "/rule[seq='20']/path"), "/admin/");
	assert_int_equal(nct_count(cfg, ACL "/rule[seq='20']/method"), 2);
	ncdev_adapter()->free_config(NULL, cfg);
}

static void test_scope_and_empty(void **state)
{
	(void)state;
	/* A service alone: a pool, no virtual service; round-robin (equal weights). */
	void *cfg = nct_render_yaml("apiVersion: weft/v1\nkind: Service\nmetadata: {name: db}\n"
	                            "spec: {protocol: tcp, ports: [{name: pg, port: 5432}],"
	                            " endpoints: [{address: 10.1.0.1}, {address: 10.1.0.2}]}\n");
	assert_int_equal(nct_count(cfg, "/weft-lb:lb/virtual-service"), 0);
	assert_string_equal(nct_value(cfg, "/weft-lb:lb/pool[name='default_db_5432']/method"),
	                    "round-robin");
	char *xml = ncdev_config_xml(cfg);
	assert_non_null(strstr(xml, "<address>10.1.0.2</address>"));
	free(xml);
	ncdev_adapter()->free_config(NULL, cfg);
}

static void test_invalid_refused(void **state)
{
	(void)state;
	/* timeout == interval after rounding: weft-lb's must refuses it. */
	weft_snapshot *s = nct_compile(
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: db}\n"
	        "spec: {protocol: tcp, ports: [{name: pg, port: 5432}], endpoints: [{address: "
	        "10.1.0.1}]}\n"
	        "---\n"
	        "apiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: db}\n"
	        "spec: {service: db, healthCheck: {type: tcp, interval: 1s, timeout: 900ms}}\n",
	        1);
	void *cfg = NULL;
	weft_err err = {0};
	assert_int_equal(ncdev_adapter()->render(NULL, s, nct_device(s), &cfg, &err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "device default/lb1"));
	assert_non_null(strstr(err.msg, "health-check timeout must be shorter than its interval"));
	assert_non_null(strstr(err.msg, "/weft-lb:lb/health-check[name='default_db']/timeout"));
	weft_snapshot_unref(s);
}

/* A subset's TrafficPolicy applies to that subset only (docs/policy.md,
 * "Precedence"): the service pool keeps round-robin; the gateway pool of a
 * destination in the subset takes it. What weft-lb cannot hold is warned
 * about with its place. */
static void test_subset_policy_and_warnings(void **state)
{
	(void)state;
	const char *yaml =
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
	        "spec:\n  ports: [{name: http, port: 80}]\n"
	        "  endpoints: [{address: 10.0.0.1, labels: {v: a}}, {address: 10.0.0.2, labels: "
	        "{v: "
	        "b}}]\n"
	        "  subsets: [{name: b, labels: {v: b}}]\n"
	        "---\n"
	        "apiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: web-b, namespace: "
	        "shop}\n"
	        "spec: {service: web, subset: b, loadBalancer: {algorithm: least-request}}\n"
	        "---\n"
	        "apiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: rl, namespace: shop}\n"
	        "spec:\n  service: web\n  limit: {requests: 10}\n  key: {header: x-t}\n"
	        "  tiers: [{value: gold, requests: 100}]\n"
	        "---\n"
	        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: edge, namespace: shop}\n"
	        "spec:\n  hosts: [x.example.com]\n"
	        "  http:\n  - destinations: [{service: web, subset: b}]\n"
	        "---\n"
	        "apiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
	        "spec:\n  address: 192.0.2.10\n  listeners:\n"
	        "  - {name: web, port: 80, protocol: http, hosts: [x.example.com], routes: "
	        "[edge]}\n";
	weft_snapshot *s = nct_compile(yaml, 1);
	void *cfg = nct_render(s);
	assert_string_equal(nct_value(cfg, P "/method"), "round-robin");
	assert_string_equal(nct_value(cfg, "/weft-lb:lb/pool[name='shop_gw_web']/method"),
	                    "least-connections");
	assert_int_equal(nct_count(cfg, "/weft-lb:lb/pool[name='shop_gw_web']/member"), 1);
	const weft_adapter *a = ncdev_adapter();
	weft_plan plan;
	weft_plan_init(&plan, "default/lb1", "netconf", 1);
	weft_err err = {0};
	assert_int_equal(a->diff(NULL, nct_device(s), cfg, NULL, &plan, &err), 0);
	/* In selection order (by kind): the subset policy, the tiers. */
	assert_int_equal(plan.warnings.count, 2);
	const weft_warning *tiers = &plan.warnings.items[1], *sub = &plan.warnings.items[0];
	assert_string_equal(tiers->field, "spec.tiers");
	assert_string_equal(tiers->resource, "RateLimit shop/rl");
	assert_int_equal(tiers->line, 21); /* the tiers line */
	assert_string_equal(sub->field, "spec.subset");
	assert_string_equal(sub->resource, "TrafficPolicy shop/web-b");
	weft_plan_free(&plan);
	a->free_config(NULL, cfg);
	weft_snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_service_pool),
	        cmocka_unit_test(test_health_check),
	        cmocka_unit_test(test_virtual_service),
	        cmocka_unit_test(test_tls_mtls),
	        cmocka_unit_test(test_rate_limit_acl),
	        cmocka_unit_test(test_scope_and_empty),
	        cmocka_unit_test(test_invalid_refused),
	        cmocka_unit_test(test_subset_policy_and_warnings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
