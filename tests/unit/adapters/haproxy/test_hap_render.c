/* haproxy adapter render and diff, no network: YAML policies decoded with
 * the real decoder, the .cfg text checked line by line (split weights,
 * header ACLs, balance, checks, 403 and 429 rules with tiers), warnings
 * for what HAProxy cannot express, and the diff's choice between runtime
 * API commands (server changes only) and a reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hap.h"
#include "hap_adapter.h"
#include "testpolicy.h"

static const char *device =
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: lb, namespace: shop}\n"
        "spec:\n  type: haproxy\n  connection:\n    address: 127.0.0.1\n"
        "    hostKey: \"SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8\"\n"
        "    credentials: {file: /etc/weft/lb.key}\n"
        "  options: {configFile: /etc/haproxy/conf.d/weft.cfg, masterPort: 9999}\n";

static struct hap_config *render(const char *policy, int w1)
{
	char y[8192];
	snprintf(y, sizeof(y), policy, w1);
	strcat(y, device);
	weft_snapshot *s = wtp_compile_yaml("p.yaml", y, 1);
	size_t n;
	weft_resource *const *d = weft_snapshot_devices(s, &n);
	struct hap_config *c = NULL;
	weft_err err = {0};
	assert_int_equal(hap_render(s, d[0], &c, &err), 0);
	weft_snapshot_unref(s);
	return c;
}

static const char *SHOP =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n"
        "  - {address: 10.0.0.1, port: 8080, labels: {version: v1}, weight: %d}\n"
        "  - {address: 10.0.0.2, port: 8080, labels: {version: v2}}\n"
        "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: edge, namespace: shop}\n"
        "spec:\n  hosts: [shop.example.com]\n  http:\n"
        "  - match: [{headers: [{name: x-canary, exact: \"yes\"}]}]\n"
        "    destinations: [{service: web, subset: v2}]\n"
        "  - destinations: [{service: web, subset: v1, weight: 80}, {service: web, subset: "
        "v2, weight: 20}]\n"
        "    retries: {attempts: 2, retryOn: [5xx, cancelled]}\n"
        "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
        "spec:\n  address: 192.0.2.10\n  listeners:\n"
        "  - {name: web, port: 80, protocol: http, routes: [edge]}\n"
        "---\napiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: tp, namespace: shop}\n"
        "spec:\n  service: web\n  loadBalancer: {algorithm: maglev, hashOn: {sourceIp: true}}\n"
        "  healthCheck: {type: http, path: /healthz, interval: 5s}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: rl, namespace: shop}\n"
        "spec:\n  service: web\n  limit: {requests: 10, per: second, burst: 20}\n"
        "  key: {header: x-tenant}\n  tiers: [{value: gold, requests: 50}]\n"
        "---\napiVersion: weft/v1\nkind: AccessPolicy\nmetadata: {name: ap, namespace: shop}\n"
        "spec:\n  service: web\n  defaultAction: deny\n  rules:\n"
        "  - action: allow\n    from: {cidrs: [192.0.2.0/24]}\n"
        "  - action: allow\n    from: {services: [web]}\n";

static int has_warning(const struct hap_config *c, const char *field)
{
	for (size_t i = 0; i < c->warnings.count; i++)
		if (!strcmp(c->warnings.items[i].field, field))
			return 1;
	return 0;
}

static void test_render(void **state)
{
	(void)state;
	struct hap_config *c = render(SHOP, 1);
	const char *t = c->text;
	assert_non_null(
	        strstr(t, "frontend fe_shop_gw_web\n    mode http\n    bind 192.0.2.10:80\n"));
	assert_non_null(
	        strstr(t, "acl host_shop_edge req.hdr(host),field(1,:) -i shop.example.com"));
	assert_non_null(strstr(t,
	                       "use_backend rt_shop_edge_0 if host_shop_edge { req.hdr(x-canary) "
	                       "-m str yes }"));
	assert_non_null(strstr(t, "use_backend rt_shop_edge_1 if host_shop_edge\n"));
	/* 80/20 of 256 */
	assert_non_null(strstr(
	        t,
	        "server d0_s_10_0_0_1_8080 10.0.0.1:8080 weight 205 pool-purge-delay 500ms check"));
	assert_non_null(strstr(
	        t,
	        "server d1_s_10_0_0_2_8080 10.0.0.2:8080 weight 51 pool-purge-delay 500ms check"));
	assert_non_null(strstr(t, "balance source\n    hash-type consistent\n"));
	assert_non_null(strstr(t, "option httpchk GET /healthz"));
	assert_non_null(strstr(t, "retries 2\n    retry-on conn-failure"));
	assert_non_null(strstr(t, "http-request deny deny_status 403 if !{ var(txn.weft_acl) -m "
	                          "found }"));
	assert_non_null(strstr(t, "{ src 192.0.2.0/24 }"));
	assert_non_null(strstr(t, "http-request deny deny_status 429 if { req.hdr(x-tenant) -m str "
	                          "gold } { sc_http_req_rate(0) gt 50 }"));
	assert_non_null(strstr(t,
	                       "http-request deny deny_status 429 if !{ req.hdr(x-tenant) -m str "
	                       "gold } { sc_http_req_rate(0) gt 10 }"));
	assert_non_null(strstr(t, "backend svc_shop_web_80_v1\n"));
	assert_true(has_warning(c, "spec.loadBalancer.algorithm"));
	assert_true(has_warning(c, "spec.limit.burst"));
	assert_true(has_warning(c, "spec.rules.from.services"));
	assert_true(has_warning(c, "spec.http.retries.retryOn"));
	hap_config_free(c);
}

static char *ops(const weft_plan *p)
{
	static char buf[4096];
	buf[0] = 0;
	for (size_t i = 0; i < p->n_ops; i++) {
		strcat(buf, p->ops[i].action);
		strcat(buf, " ");
		if (p->ops[i].detail)
			strcat(buf, p->ops[i].detail);
		strcat(buf, ";");
	}
	return buf;
}

static void test_diff_runtime_or_reload(void **state)
{
	(void)state;
	struct hap_config *a = render(SHOP, 1), *b = render(SHOP, 3);
	a->present = 1;
	weft_plan p;
	weft_err err = {0};
	/* Same config: empty plan. */
	weft_plan_init(&p, "shop/lb", "haproxy", 1);
	assert_int_equal(hap_diff(a, a, &p, &err), 0);
	assert_int_equal(p.n_ops, 0);
	weft_plan_free(&p);
	/* An endpoint weight: runtime commands, no reload. */
	weft_plan_init(&p, "shop/lb", "haproxy", 2);
	assert_int_equal(hap_diff(b, a, &p, &err), 0);
	assert_non_null(strstr(ops(&p), "set server svc_shop_web_80/s_10_0_0_1_8080 weight 192"));
	assert_null(strstr(ops(&p), "reload haproxy -c"));
	assert_true(((struct hap_plan *)p.priv)->runtime_only);
	weft_plan_free(&p);
	/* A hand `set server weight` on the box: set back. */
	a->backends[1].servers[0].runtime_weight = 7;
	struct hap_config *c = render(SHOP, 1);
	weft_plan_init(&p, "shop/lb", "haproxy", 2);
	assert_int_equal(hap_diff(c, a, &p, &err), 0);
	assert_non_null(strstr(ops(&p), "runtime set server"));
	weft_plan_free(&p);
	/* No file on the box: write + reload. */
	a->present = 0;
	weft_plan_init(&p, "shop/lb", "haproxy", 3);
	assert_int_equal(hap_diff(b, a, &p, &err), 0);
	assert_non_null(strstr(ops(&p), "reload haproxy -c"));
	assert_null(strstr(ops(&p), "runtime"));
	assert_true(p.warnings.count > 0);
	weft_plan_free(&p);
	hap_config_free(a);
	hap_config_free(b);
	hap_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_render),
	        cmocka_unit_test(test_diff_runtime_or_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
