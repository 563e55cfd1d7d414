/* The haproxy adapter against a real haproxy 2.6 behind a real sshd, with
 * real HTTP traffic (backend.py, loadgen.py; see hapit.h): an 80/20 canary
 * within +-5 % over 2,000 requests, header routing, a denied source gets
 * 403, a rate limit answers 429, a weight shift and an endpoint removal
 * under load through the runtime API (0 failed requests, the same worker
 * per the master's show proc), a reload under load (0 failed, a new
 * worker), a config haproxy -c refuses fails the push and changes nothing
 * on the box, and a hand edit is seen as drift and repaired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hapit.h"
#include "testpolicy.h"
#include "testsupport.h"

struct fx {
	struct hapit h;
	void *session;
	int gw_port;
	int64_t rev;
};

static int setup(void **state)
{
	if (!hapit_available()) {
		fprintf(stderr, "haproxy, sshd or python3 missing: skipped\n");
		exit(77);
	}
	struct fx *f = calloc(1, sizeof(*f));
	if (hapit_start(&f->h)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	hapit_close(f->session);
	hapit_stop(&f->h);
	free(f);
	return 0;
}

/* The shop: service web with endpoints a (v1) and b (v2) unless eps says
 * otherwise, a gateway listener on gw_port with route `route` (YAML of
 * the Route's spec.http), plus extra documents. */
static weft_snapshot *shop(struct fx *f, const char *eps, const char *http, const char *extra)
{
	char ep_default[256];
	snprintf(ep_default, sizeof(ep_default),
	         "  - {address: 127.0.0.1, port: %d, labels: {version: v1}}\n"
	         "  - {address: 127.0.0.1, port: %d, labels: {version: v2}}\n",
	         f->h.backend_port[0], f->h.backend_port[1]);
	if (!f->gw_port)
		f->gw_port = ts_free_port();
	char *y = calloc(1, 65536);
	snprintf(y, 65536,
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
	         "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n%s"
	         "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: "
	         "v2}}]\n"
	         "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: edge, namespace: shop}\n"
	         "spec:\n  hosts: [shop.example.com]\n  http:\n%s"
	         "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\n"
	         "spec:\n  address: 127.0.0.1\n  listeners:\n"
	         "  - {name: web, port: %d, protocol: http, routes: [edge]}\n%s",
	         eps ? eps : ep_default, http, f->gw_port, extra ? extra : "");
	hapit_device_yaml(&f->h, y, 65536);
	weft_snapshot *s = wtp_compile_yaml("policy.yaml", y, ++f->rev);
	free(y);
	return s;
}

static void push_ok(struct fx *f, weft_snapshot *s, char **ops)
{
	weft_err err = {0};
	int rc = hapit_push(&f->session, s, ops, &err);
	if (rc)
		fail_msg("push failed: %s", err.msg);
	weft_snapshot_unref(s);
}

#define ALL_TO_V1 "  - destinations: [{service: web, subset: v1}]\n"
#define CANARY                                                                                     \
	"  - destinations: [{service: web, subset: v1, weight: 80}, {service: web, subset: v2, "   \
	"weight: 20}]\n"

static void test_canary_80_20(void **state)
{
	struct fx *f = *state;
	push_ok(f, shop(f, NULL, CANARY, NULL), NULL);
	json_t *r = hapit_load(f->gw_port, 2000, NULL);
	assert_non_null(r);
	long long a = hapit_count(r, "a"), b = hapit_count(r, "b");
	fprintf(stderr, "canary: a=%lld b=%lld failures=%lld\n", a, b, hapit_failures(r));
	assert_int_equal(a + b, 2000);
	assert_true(a >= 1500 && a <= 1700); /* 80 % +- 5 % of 2,000 */
	assert_int_equal(hapit_failures(r), 0);
	json_decref(r);
}

static void test_header_routing(void **state)
{
	struct fx *f = *state;
	push_ok(f,
	        shop(f, NULL,
	             "  - match: [{headers: [{name: x-canary, exact: \"yes\"}]}]\n"
	             "    destinations: [{service: web, subset: v2}]\n" ALL_TO_V1,
	             NULL),
	        NULL);
	const char *canary[] = {"--header", "x-canary:yes", NULL};
	json_t *r = hapit_load(f->gw_port, 50, canary), *plain = hapit_load(f->gw_port, 50, NULL);
	assert_non_null(r);
	assert_non_null(plain);
	assert_int_equal(hapit_count(r, "b"), 50);
	assert_int_equal(hapit_count(plain, "a"), 50);
	json_decref(r);
	json_decref(plain);
}

static void test_denied_source_403(void **state)
{
	struct fx *f = *state;
	const char *acl = "---\napiVersion: weft/v1\nkind: AccessPolicy\n"
	                  "metadata: {name: acl, namespace: shop}\n"
	                  "spec:\n  service: web\n  rules:\n"
	                  "  - action: deny\n    from: {cidrs: [127.0.0.0/8]}\n";
	push_ok(f, shop(f, NULL, ALL_TO_V1, acl), NULL);
	json_t *r = hapit_load(f->gw_port, 20, NULL);
	assert_non_null(r);
	assert_int_equal(hapit_status(r, "403"), 20);
	json_decref(r);
	/* Without the policy the same requests pass: the 403 is the policy's. */
	push_ok(f, shop(f, NULL, ALL_TO_V1, NULL), NULL);
	r = hapit_load(f->gw_port, 20, NULL);
	assert_int_equal(hapit_status(r, "200"), 20);
	json_decref(r);
}

static void test_rate_limit_429(void **state)
{
	struct fx *f = *state;
	const char *rl = "---\napiVersion: weft/v1\nkind: RateLimit\n"
	                 "metadata: {name: rl, namespace: shop}\n"
	                 "spec:\n  service: web\n  limit: {requests: 10, per: minute}\n"
	                 "  key: {header: x-tenant}\n"
	                 "  tiers: [{value: gold, requests: 40, per: minute}]\n";
	push_ok(f, shop(f, NULL, ALL_TO_V1, rl), NULL);
	const char *plain[] = {"--header", "x-tenant:plain", "--concurrency", "1", NULL};
	const char *gold[] = {"--header", "x-tenant:gold", "--concurrency", "1", NULL};
	json_t *p = hapit_load(f->gw_port, 30, plain), *g = hapit_load(f->gw_port, 60, gold);
	assert_non_null(p);
	assert_non_null(g);
	fprintf(stderr, "rate limit: plain 200=%lld 429=%lld, gold 200=%lld 429=%lld\n",
	        hapit_status(p, "200"), hapit_status(p, "429"), hapit_status(g, "200"),
	        hapit_status(g, "429"));
	assert_int_equal(hapit_status(p, "200"), 10);
	assert_int_equal(hapit_status(p, "429"), 20);
	assert_int_equal(hapit_status(g, "200"), 40);
	assert_int_equal(hapit_status(g, "429"), 20);
	json_decref(p);
	json_decref(g);
}

/* Three endpoints of v1 (a, b, c), weights given. */
static weft_snapshot *three(struct fx *f, int wa, int wb, int with_c)
{
	char eps[512];
	int l = snprintf(eps, sizeof(eps),
	                 "  - {address: 127.0.0.1, port: %d, labels: {version: v1}, weight: %d}\n"
	                 "  - {address: 127.0.0.1, port: %d, labels: {version: v1}, weight: %d}\n",
	                 f->h.backend_port[0], wa, f->h.backend_port[1], wb);
	if (with_c)
		snprintf(eps + l, sizeof(eps) - (size_t)l,
		         "  - {address: 127.0.0.1, port: %d, labels: {version: v1}}\n",
		         f->h.backend_port[2]);
	return shop(f, eps, ALL_TO_V1, NULL);
}

static void test_runtime_changes_under_load(void **state)
{
	struct fx *f = *state;
	push_ok(f, three(f, 1, 1, 1), NULL);
	int worker = hapit_worker_pid(&f->h);
	assert_true(worker > 0);
	pid_t load = hapit_load_start(&f->h, f->gw_port, "runtime");
	json_t *warm = hapit_load(f->gw_port, 30, NULL);
	json_decref(warm);
	char *ops = NULL;
	push_ok(f, three(f, 4, 1, 1), &ops); /* weight shift */
	assert_non_null(strstr(ops, "runtime"));
	assert_null(strstr(ops, "reload"));
	free(ops);
	json_t *shift = hapit_load(f->gw_port, 600, NULL);
	long long a = hapit_count(shift, "a");
	fprintf(stderr, "weight 4:1:1: a=%lld of 600\n", a);
	assert_true(a > 330 && a < 470); /* 2/3 expected */
	json_decref(shift);
	push_ok(f, three(f, 4, 1, 0), &ops); /* c removed */
	assert_non_null(strstr(ops, "runtime"));
	assert_null(strstr(ops, "reload"));
	free(ops);
	json_t *after = hapit_load(f->gw_port, 200, NULL);
	assert_int_equal(hapit_count(after, "c"), 0);
	json_decref(after);
	json_t *r = hapit_load_stop(&f->h, load, "runtime");
	assert_non_null(r);
	fprintf(stderr, "runtime under load: sent=%lld failures=%lld\n",
	        (long long)json_integer_value(json_object_get(r, "sent")), hapit_failures(r));
	assert_true(json_integer_value(json_object_get(r, "sent")) > 100);
	assert_int_equal(hapit_failures(r), 0);
	assert_int_equal(hapit_status(r, "200"), json_integer_value(json_object_get(r, "sent")));
	assert_int_equal(hapit_worker_pid(&f->h), worker); /* no reload */
	json_decref(r);
	/* The file holds the change too: a plan from here is empty. */
	push_ok(f, three(f, 4, 1, 0), &ops);
	assert_string_equal(ops, "");
	free(ops);
}

static void test_reload_under_load(void **state)
{
	struct fx *f = *state;
	push_ok(f, shop(f, NULL, ALL_TO_V1, NULL), NULL);
	int worker = hapit_worker_pid(&f->h);
	pid_t load = hapit_load_start(&f->h, f->gw_port, "reload");
	json_decref(hapit_load(f->gw_port, 30, NULL));
	char *ops = NULL;
	push_ok(f,
	        shop(f, NULL, "  - destinations: [{service: web, subset: v2}]\n    timeout: 5s\n",
	             NULL),
	        &ops); /* a new timeout: not a runtime change */
	assert_non_null(strstr(ops, "reload"));
	free(ops);
	json_t *b = hapit_load(f->gw_port, 50, NULL);
	assert_int_equal(hapit_count(b, "b"), 50);
	json_decref(b);
	json_t *r = hapit_load_stop(&f->h, load, "reload");
	assert_non_null(r);
	fprintf(stderr, "reload under load: sent=%lld failures=%lld\n",
	        (long long)json_integer_value(json_object_get(r, "sent")), hapit_failures(r));
	assert_int_equal(hapit_failures(r), 0);
	assert_int_equal(hapit_status(r, "200"), json_integer_value(json_object_get(r, "sent")));
	assert_int_not_equal(hapit_worker_pid(&f->h), worker);
	json_decref(r);
}

static void test_rejected_config_changes_nothing(void **state)
{
	struct fx *f = *state;
	push_ok(f, shop(f, NULL, ALL_TO_V1, NULL), NULL);
	char *before = ts_read_file(f->h.cfg, NULL);
	int worker = hapit_worker_pid(&f->h);
	/* A certificate file that is no certificate: haproxy -c refuses it. */
	char crt[800], extra[2048];
	snprintf(crt, sizeof(crt), "%s/bad.pem", f->h.dir);
	ts_write_file(crt, "not a certificate\n");
	snprintf(extra, sizeof(extra),
	         "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: tls, namespace: shop}\n"
	         "spec:\n  address: 127.0.0.1\n  listeners:\n"
	         "  - name: web\n    port: %d\n    protocol: https\n"
	         "    tls: {certificate: {certFile: %s, keyFile: %s}}\n    routes: [edge]\n",
	         ts_free_port(), crt, crt);
	weft_snapshot *s = shop(f, NULL, ALL_TO_V1, extra);
	weft_err err = {0};
	assert_int_equal(hapit_push(&f->session, s, NULL, &err), -1);
	weft_snapshot_unref(s);
	fprintf(stderr, "refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "haproxy -c refused"));
	assert_non_null(strstr(err.msg, "bad.pem"));
	char *after = ts_read_file(f->h.cfg, NULL);
	assert_string_equal(before, after);
	assert_int_equal(hapit_worker_pid(&f->h), worker);
	char staged[800];
	snprintf(staged, sizeof(staged), "%s.weft-staged", f->h.cfg);
	assert_int_not_equal(access(staged, F_OK), 0);
	free(before);
	free(after);
}

static void test_drift_seen_and_repaired(void **state)
{
	struct fx *f = *state;
	push_ok(f, shop(f, NULL, ALL_TO_V1, NULL), NULL);
	char *good = ts_read_file(f->h.cfg, NULL);
	char *edited = calloc(1, strlen(good) + 64);
	sprintf(edited, "%s    # a hand edit\n", good);
	ts_write_file(f->h.cfg, edited);
	char *ops = NULL;
	push_ok(f, shop(f, NULL, ALL_TO_V1, NULL), &ops);
	assert_non_null(strstr(ops, "write")); /* drift seen: the file is planned back */
	free(ops);
	char *now = ts_read_file(f->h.cfg, NULL);
	assert_string_equal(now, good);
	free(now);
	free(edited);
	free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_canary_80_20),
	        cmocka_unit_test(test_header_routing),
	        cmocka_unit_test(test_denied_source_403),
	        cmocka_unit_test(test_rate_limit_429),
	        cmocka_unit_test(test_runtime_changes_under_load),
	        cmocka_unit_test(test_reload_under_load),
	        cmocka_unit_test(test_rejected_config_changes_nothing),
	        cmocka_unit_test(test_drift_seen_and_repaired),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
