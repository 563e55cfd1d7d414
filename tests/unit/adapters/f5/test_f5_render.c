/* F5 adapter render tests: one test per feature, from YAML policies decoded
 * with the real decoder; asserts the exact objects and properties weft would
 * write into the partition (names, ratios, monitors, virtuals, LTM policy
 * rules, data groups, iRules, profiles, ownership marks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_render.h"
#include "f5_testutil.h"

#define HDR "apiVersion: weft/v1\n"

static char *policy(const char *body)
{
	size_t n = strlen(body) + strlen(F5T_DEVICE_YAML) + 16;
	char *s = malloc(n);
	snprintf(s, n, "%s---\n%s", F5T_DEVICE_YAML, body);
	return s;
}

static struct f5_config *render(const char *body)
{
	char *y = policy(body);
	struct f5_config *c = f5t_render_yaml(y);
	free(y);
	return c;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *SVC =
        HDR "kind: Service\nmetadata: {name: web, namespace: shop}\n"
            "spec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"
            "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n"
            "  endpoints:\n"
            "  - {address: 10.0.0.1, labels: {version: v1}}\n"
            "  - {address: 10.0.0.2, labels: {version: v1}, weight: 3}\n"
            "  - {address: 10.0.1.1, labels: {version: v2}}\n"
            "  - {address: 10.0.1.2, labels: {version: v2}}\n";

static void test_pools_members(void **state)
{
	(void)state;
	struct f5_config *c = render(SVC);
	assert_int_equal(f5t_count(c, F5T_POOL), 3); /* all, v1, v2 */
	json_t *p = f5t_get(c, F5T_POOL, "/weft/shop_web_80", NULL);
	assert_non_null(p);
	assert_string_equal(str(p, "name"), "shop_web_80");
	assert_string_equal(str(p, "partition"), "weft");
	assert_string_equal(str(p, "loadBalancingMode"), "ratio-member");
	assert_string_equal(str(p, "monitor"), "none");
	assert_string_equal(str(p, "description"), "weft:managed rev=7");
	json_t *m = f5t_get(c, F5T_MEMBER, "/weft/shop_web_80", "10.0.0.2:8080");
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "ratio")), 3);
	assert_string_equal(str(m, "address"), "10.0.0.2");
	assert_true(f5_body_owned(F5T_MEMBER, m));
	assert_non_null(f5t_get(c, F5T_MEMBER, "/weft/shop_web_80_v2", "10.0.1.2:8080"));
	assert_null(f5t_get(c, F5T_MEMBER, "/weft/shop_web_80_v2", "10.0.0.1:8080"));
	assert_int_equal(f5t_count(c, F5T_MEMBER), 8);
	assert_int_equal(f5t_count(c, F5T_VIRTUAL), 0);
	f5_config_free(c);
}

static void test_monitor_and_lb(void **state)
{
	(void)state;
	char buf[4096];
	snprintf(buf, sizeof(buf),
	         "%s---\n" HDR "kind: TrafficPolicy\nmetadata: {name: web-tp, "
	         "namespace: shop}\nspec:\n  service: web\n  loadBalancer: {algorithm: "
	         "least-request}\n"
	         "  connectionPool: {maxConnections: 500}\n"
	         "  healthCheck: {type: http, path: /healthz, interval: 10s, timeout: 2s}\n",
	         SVC);
	struct f5_config *c = render(buf);
	json_t *mon = f5t_get(c, F5T_MON_HTTP, "/weft/shop_web-tp_hc", NULL);
	assert_non_null(mon);
	assert_int_equal(json_integer_value(json_object_get(mon, "interval")), 10);
	assert_int_equal(json_integer_value(json_object_get(mon, "timeout")), 2);
	assert_non_null(strstr(str(mon, "send"), "GET /healthz HTTP/1.1\\r\\n"));
	assert_string_equal(str(mon, "recv"), "^HTTP/1\\.[01] 200");
	json_t *p = f5t_get(c, F5T_POOL, "/weft/shop_web_80_v1", NULL);
	assert_string_equal(str(p, "monitor"), "/weft/shop_web-tp_hc");
	assert_string_equal(str(p, "loadBalancingMode"), "ratio-least-connections-member");
	json_t *m = f5t_get(c, F5T_MEMBER, "/weft/shop_web_80", "10.0.0.1:8080");
	assert_int_equal(json_integer_value(json_object_get(m, "connectionLimit")), 500);
	f5_config_free(c);
}

static const char *GW = HDR "kind: Gateway\nmetadata: {name: edge, namespace: shop}\n"
                            "spec:\n  address: 192.0.2.10\n  listeners:\n"
                            "  - {name: web, port: 80, protocol: http, routes: [web-route]}\n";

static void test_canary_split(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n%s---\n" HDR "kind: Route\nmetadata: {name: web-route, "
	         "namespace: shop}\nspec:\n  hosts: [shop.example.com]\n  http:\n"
	         "  - destinations: [{service: web, subset: v1, weight: 90}, "
	         "{service: web, subset: v2, weight: 10}]\n",
	         SVC, GW);
	struct f5_config *c = render(buf);
	const char *split = "/weft/shop_web-route_0_split";
	json_t *p = f5t_get(c, F5T_POOL, split, NULL);
	assert_non_null(p);
	assert_string_equal(str(p, "loadBalancingMode"), "ratio-member");
	/* v1: weights 1 and 3 share 90 -> 22.5 and 67.5; v2: 5 and 5.
	 * x1000 then / gcd 2500: 9, 27, 2, 2 -> 90% / 10%. */
	long long r1 = json_integer_value(
	        json_object_get(f5t_get(c, F5T_MEMBER, split, "10.0.0.1:8080"), "ratio"));
	long long r2 = json_integer_value(
	        json_object_get(f5t_get(c, F5T_MEMBER, split, "10.0.0.2:8080"), "ratio"));
	long long r3 = json_integer_value(
	        json_object_get(f5t_get(c, F5T_MEMBER, split, "10.0.1.1:8080"), "ratio"));
	long long r4 = json_integer_value(
	        json_object_get(f5t_get(c, F5T_MEMBER, split, "10.0.1.2:8080"), "ratio"));
	assert_int_equal(r1, 9);
	assert_int_equal(r2, 27);
	assert_int_equal(r3, 2);
	assert_int_equal(r4, 2);
	assert_int_equal((r1 + r2) * 10, (r1 + r2 + r3 + r4) * 9);
	/* the virtual and its LTM policy forward to the split pool */
	json_t *vs = f5t_get(c, F5T_VIRTUAL, "/weft/shop_edge_web", NULL);
	assert_non_null(vs);
	assert_string_equal(str(vs, "destination"), "/weft/192.0.2.10:80");
	assert_string_equal(str(vs, "ipProtocol"), "tcp");
	assert_string_equal(str(json_array_get(json_object_get(vs, "policies"), 0), "name"),
	                    "/weft/shop_edge_web_routes");
	json_t *pol = f5t_get(c, F5T_POLICY, "/weft/shop_edge_web_routes", NULL);
	assert_non_null(pol);
	assert_string_equal(str(pol, "strategy"), "/Common/first-match");
	assert_true(f5_mark_hash(pol) != 0);
	json_t *rule = json_array_get(json_object_get(pol, "rules"), 0);
	json_t *cond = json_array_get(json_object_get(rule, "conditions"), 0);
	assert_true(json_is_true(json_object_get(cond, "httpHost")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(cond, "values"), 0)),
	                    "shop.example.com");
	json_t *act = json_array_get(json_object_get(rule, "actions"), 0);
	assert_string_equal(str(act, "pool"), split);
	assert_true(json_is_true(json_object_get(act, "forward")));
	f5_config_free(c);
}

static void test_path_header_routing(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n%s---\n" HDR "kind: Route\nmetadata: {name: web-route, "
	         "namespace: shop}\nspec:\n  hosts: [shop.example.com, '*.shop.example.com']\n  "
	         "http:\n"
	         "  - match: [{path: {prefix: /api}, headers: [{name: x-canary, exact: 'yes'}]}]\n"
	         "    destinations: [{service: web, subset: v2}]\n"
	         "  - destinations: [{service: web}]\n",
	         SVC, GW);
	struct f5_config *c = render(buf);
	json_t *pol = f5t_get(c, F5T_POLICY, "/weft/shop_edge_web_routes", NULL);
	json_t *rules = json_object_get(pol, "rules");
	/* 2 http rules x 2 host groups (exact, wildcard) */
	assert_int_equal(json_array_size(rules), 4);
	json_t *r0 = json_array_get(rules, 0);
	json_t *conds = json_object_get(r0, "conditions");
	assert_int_equal(json_array_size(conds), 3);
	json_t *path = json_array_get(conds, 1);
	assert_true(json_is_true(json_object_get(path, "startsWith")));
	assert_true(json_is_true(json_object_get(path, "path")));
	json_t *hdr = json_array_get(conds, 2);
	assert_string_equal(str(hdr, "tmName"), "x-canary");
	assert_string_equal(str(json_array_get(json_object_get(r0, "actions"), 0), "pool"),
	                    "/weft/shop_web_80_v2");
	json_t *r1 = json_array_get(rules, 1);
	json_t *wild = json_array_get(json_object_get(r1, "conditions"), 0);
	assert_true(json_is_true(json_object_get(wild, "endsWith")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(wild, "values"), 0)),
	                    ".shop.example.com");
	json_t *r3 = json_array_get(rules, 3);
	assert_string_equal(str(json_array_get(json_object_get(r3, "actions"), 0), "pool"),
	                    "/weft/shop_web_80");
	assert_int_equal(json_integer_value(json_object_get(r3, "ordinal")), 3);
	f5_config_free(c);
}

static void test_regex_refused(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n%s---\n%s---\n" HDR "kind: Route\nmetadata: {name: "
	         "web-route, namespace: shop}\nspec:\n  hosts: [shop.example.com]\n  http:\n"
	         "  - match: [{path: {regex: '^/a.*'}}]\n    destinations: [{service: web}]\n",
	         F5T_DEVICE_YAML, SVC, GW);
	weft_snapshot *s = f5t_compile(buf, 3);
	const char *msg = f5t_render_error(s);
	assert_non_null(strstr(msg, "Route shop/web-route"));
	assert_non_null(strstr(msg, "regex path"));
	weft_snapshot_unref(s);
}

static void test_access_policy(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n%s---\n" HDR "kind: Route\nmetadata: {name: web-route, "
	         "namespace: shop}\nspec:\n  hosts: [shop.example.com]\n  http:\n"
	         "  - destinations: [{service: web}]\n---\n" HDR "kind: AccessPolicy\n"
	         "metadata: {name: web-acl, namespace: shop}\nspec:\n  service: web\n"
	         "  defaultAction: deny\n  rules:\n"
	         "  - {action: allow, from: {cidrs: [10.1.0.0/16, 192.168.0.0/24]}}\n"
	         "  - {action: allow, to: {paths: [/public/*], methods: [GET]}}\n",
	         SVC, GW);
	struct f5_config *c = render(buf);
	json_t *dg = f5t_get(c, F5T_DATAGROUP, "/weft/shop_web-acl_0_src", NULL);
	assert_non_null(dg);
	assert_string_equal(str(dg, "type"), "ip");
	json_t *recs = json_object_get(dg, "records");
	assert_int_equal(json_array_size(recs), 2);
	assert_string_equal(str(json_array_get(recs, 0), "name"), "10.1.0.0/16");
	json_t *rule = f5t_get(c, F5T_RULE, "/weft/shop_web-acl_access", NULL);
	assert_non_null(rule);
	const char *tcl = str(rule, "apiAnonymous");
	assert_true(f5_body_owned(F5T_RULE, rule));
	assert_non_null(strstr(tcl, "when HTTP_REQUEST"));
	assert_non_null(
	        strstr(tcl, "[class match -- [IP::client_addr] equals /weft/shop_web-acl_0_src]"));
	assert_non_null(strstr(tcl, "[HTTP::path] starts_with \"/public/\""));
	assert_non_null(strstr(tcl, "[HTTP::method] eq \"GET\""));
	assert_non_null(strstr(tcl, "HTTP::respond 403"));
	assert_non_null(strstr(tcl, "string match \"/weft/shop_web_*\""));
	json_t *vs = f5t_get(c, F5T_VIRTUAL, "/weft/shop_edge_web", NULL);
	json_t *vr = json_object_get(vs, "rules");
	assert_int_equal(json_array_size(vr), 1);
	assert_string_equal(json_string_value(json_array_get(vr, 0)), "/weft/shop_web-acl_access");
	f5_config_free(c);
}

static void test_rate_limits(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n%s---\n" HDR "kind: Route\nmetadata: {name: web-route, "
	         "namespace: shop}\nspec:\n  hosts: [shop.example.com]\n  http:\n"
	         "  - destinations: [{service: web}]\n---\n" HDR "kind: RateLimit\n"
	         "metadata: {name: plain, namespace: shop}\nspec: {route: web-route, limit: "
	         "{requests: 600, per: minute}}\n---\n" HDR "kind: RateLimit\n"
	         "metadata: {name: tiers, namespace: shop}\nspec:\n  service: web\n"
	         "  limit: {requests: 10}\n  key: {header: x-tenant}\n"
	         "  tiers: [{value: gold, requests: 100}]\n",
	         SVC, GW);
	struct f5_config *c = render(buf);
	json_t *vs = f5t_get(c, F5T_VIRTUAL, "/weft/shop_edge_web", NULL);
	assert_string_equal(str(vs, "rateLimit"), "10"); /* 600/minute */
	json_t *rule = f5t_get(c, F5T_RULE, "/weft/shop_tiers_ratelimit", NULL);
	assert_non_null(rule);
	const char *tcl = str(rule, "apiAnonymous");
	assert_non_null(strstr(tcl, "set key [HTTP::header value \"x-tenant\"]"));
	assert_non_null(strstr(tcl, "\"gold\" { set limit 100; set window 1 }"));
	assert_non_null(strstr(tcl, "table incr -notouch -subtable weft_shop_tiers $key"));
	assert_non_null(strstr(tcl, "HTTP::respond 429"));
	f5_config_free(c);
}

static void test_tls_profiles_and_tcp(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n" HDR "kind: Gateway\nmetadata: {name: edge, namespace: shop}\n"
	         "spec:\n  address: 192.0.2.10\n  listeners:\n"
	         "  - name: secure\n    port: 443\n    protocol: https\n    routes: [web-route]\n"
	         "    tls: {mode: mutual, certificate: {certFile: /etc/weft/site.crt, keyFile: "
	         "/etc/weft/site.key},"
	         " caFile: /etc/weft/clients.pem}\n"
	         "  - {name: raw, port: 9000, protocol: tcp, routes: [raw-route]}\n"
	         "---\n" HDR "kind: Route\nmetadata: {name: web-route, namespace: shop}\n"
	         "spec:\n  hosts: [shop.example.com]\n  http: [{destinations: [{service: web}]}]\n"
	         "---\n" HDR "kind: Route\nmetadata: {name: raw-route, namespace: shop}\n"
	         "spec:\n  hosts: [raw.example.com]\n  tcp: [{destinations: [{service: web}]}]\n"
	         "---\n" HDR "kind: TrafficPolicy\nmetadata: {name: web-tls, namespace: shop}\n"
	         "spec: {service: web, tls: {mode: simple, sni: web.internal, caFile: "
	         "/etc/weft/ca.pem},"
	         " connectionPool: {maxConnections: 50}}\n",
	         SVC);
	struct f5_config *c = render(buf);
	json_t *cssl = f5t_get(c, F5T_CLIENTSSL, "/weft/shop_edge_secure_clientssl", NULL);
	assert_non_null(cssl);
	assert_string_equal(str(cssl, "cert"), "/Common/site.crt");
	assert_string_equal(str(cssl, "caFile"), "/Common/clients.pem");
	assert_string_equal(str(cssl, "peerCertMode"), "require");
	json_t *sssl = f5t_get(c, F5T_SERVERSSL, "/weft/shop_web-tls_serverssl", NULL);
	assert_string_equal(str(sssl, "serverName"), "web.internal");
	json_t *vs = f5t_get(c, F5T_VIRTUAL, "/weft/shop_edge_secure", NULL);
	json_t *profiles = json_object_get(vs, "profiles");
	assert_int_equal(json_array_size(profiles), 4); /* tcp, http, clientssl, serverssl */
	assert_string_equal(str(json_array_get(profiles, 2), "context"), "clientside");
	assert_string_equal(str(json_array_get(profiles, 3), "name"),
	                    "/weft/shop_web-tls_serverssl");
	json_t *raw = f5t_get(c, F5T_VIRTUAL, "/weft/shop_edge_raw", NULL);
	assert_string_equal(str(raw, "pool"), "/weft/shop_web_80");
	assert_string_equal(str(raw, "destination"), "/weft/192.0.2.10:9000");
	assert_int_equal(json_integer_value(json_object_get(raw, "connectionLimit")), 50);
	assert_int_equal(json_array_size(json_object_get(raw, "policies")), 0);
	f5_config_free(c);
}

static void test_scope_and_determinism(void **state)
{
	(void)state;
	char buf[8192];
	snprintf(buf, sizeof(buf),
	         "%s---\n" HDR "kind: Service\nmetadata: {name: other, namespace: ops}\n"
	         "spec: {ports: [{name: tcp, port: 22, protocol: tcp}], endpoints: [{address: "
	         "10.9.0.1}]}\n",
	         SVC);
	/* a device scoped to namespace shop */
	char *y = malloc(strlen(buf) + 512);
	sprintf(y,
	        "%s---\n" HDR "kind: Device\nmetadata: {name: bigip}\nspec:\n  type: f5\n"
	        "  connection: {address: 127.0.0.1, credentials: {env: X}}\n"
	        "  options: {partition: weft}\n  scope: {namespaces: [shop]}\n",
	        buf);
	weft_snapshot *s = f5t_compile(y, 1);
	struct f5_config *a = f5t_render(s), *b = f5t_render(s);
	assert_null(f5t_get(a, F5T_POOL, "/weft/ops_other_22", NULL));
	assert_non_null(f5t_get(a, F5T_POOL, "/weft/shop_web_80", NULL));
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_true(json_equal(a->objs[i].body, b->objs[i].body));
	f5_config_free(a);
	f5_config_free(b);
	weft_snapshot_unref(s);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pools_members),
	        cmocka_unit_test(test_monitor_and_lb),
	        cmocka_unit_test(test_canary_split),
	        cmocka_unit_test(test_path_header_routing),
	        cmocka_unit_test(test_regex_refused),
	        cmocka_unit_test(test_access_policy),
	        cmocka_unit_test(test_rate_limits),
	        cmocka_unit_test(test_tls_profiles_and_tcp),
	        cmocka_unit_test(test_scope_and_determinism),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
