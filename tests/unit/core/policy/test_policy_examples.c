/* examples/ validates cleanly; references and device scopes over it; and
 * decode+validate of a generated 1,000-service policy is fast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "policy_testutil.h"
#include "resource.h"

static void test_examples_policy_validates(void **state)
{
	struct tp_result r;
	tp_load_path(&r, WEFT_EXAMPLES_DIR "/policy");
	if (r.diags.count)
		tp_dump(&r.diags);
	assert_int_equal(r.decode_rc, 0);
	assert_int_equal(r.validate_rc, 0);
	assert_int_equal(r.diags.count, 0);
	size_t n = 0;
	weft_policyset_kind(r.set, WEFT_KIND_SERVICE, &n);
	assert_int_equal(n, 5);
	weft_policyset_kind(r.set, WEFT_KIND_DEVICE, &n);
	assert_int_equal(n, 2);
	tp_free(&r);
}

static void test_examples_all_validate(void **state)
{
	struct tp_result r;
	tp_load_path(&r, WEFT_EXAMPLES_DIR);
	if (r.diags.count)
		tp_dump(&r.diags);
	assert_int_equal(r.validate_rc, 0);
	size_t n = 0;
	weft_policyset_kind(r.set, WEFT_KIND_DEVICE, &n);
	assert_int_equal(n, 6);
	tp_free(&r);
}

struct refs_seen {
	char buf[1024];
};

static void collect(void *ctx, weft_kind kind, const char *ns, const char *name)
{
	struct refs_seen *s = ctx;
	size_t l = strlen(s->buf);
	snprintf(s->buf + l, sizeof(s->buf) - l, "%s:%s/%s;", weft_kind_name(kind), ns, name);
}

static void test_refs(void **state)
{
	struct tp_result r;
	tp_load_path(&r, WEFT_EXAMPLES_DIR);
	assert_int_equal(r.validate_rc, 0);
	struct refs_seen s = {""};
	weft_policy_refs(tp_get(&r, WEFT_KIND_ROUTE, "shop", "reviews"), collect, &s);
	assert_string_equal(s.buf, "Service:shop/reviews;"); /* deduplicated */
	s.buf[0] = '\0';
	weft_policy_refs(tp_get(&r, WEFT_KIND_GATEWAY, "shop", "edge"), collect, &s);
	assert_string_equal(s.buf, "Route:shop/shop-edge;");
	s.buf[0] = '\0';
	weft_policy_refs(tp_get(&r, WEFT_KIND_ACCESS_POLICY, "shop", "ratings-callers"), collect,
	                 &s);
	assert_string_equal(s.buf, "Service:shop/ratings;Service:shop/reviews;");
	s.buf[0] = '\0';
	weft_policy_refs(tp_get(&r, WEFT_KIND_DEVICE, "infra", "dra-1"), collect, &s);
	assert_string_equal(s.buf, "Service:shop/charging;");
	s.buf[0] = '\0';
	weft_policy_refs(tp_get(&r, WEFT_KIND_PEER_AUTHENTICATION, "shop", "shop-strict"), collect,
	                 &s);
	assert_string_equal(s.buf, "");
	tp_free(&r);
}

/* Names of what device selects, in set order. */
static void selected(const struct tp_result *r, const char *dev, int with_set, char *out,
                     size_t len)
{
	const weft_resource *d = tp_get(r, WEFT_KIND_DEVICE, "infra", dev);
	assert_non_null(d);
	out[0] = '\0';
	size_t n = weft_policyset_count(r->set);
	weft_resource *const *items = weft_policyset_items(r->set);
	for (size_t i = 0; i < n; i++) {
		int sel = with_set ? weft_device_selects_in_set(r->set, d, items[i])
		                   : weft_device_selects(d, items[i]);
		if (sel) {
			size_t l = strlen(out);
			snprintf(out + l, len - l, "%s/%s;", weft_kind_name(items[i]->kind),
			         items[i]->name);
		}
	}
}

static void test_device_selection(void **state)
{
	struct tp_result r;
	tp_load_path(&r, WEFT_EXAMPLES_DIR);
	assert_int_equal(r.validate_rc, 0);
	char buf[2048];
	/* service scope: the service and everything tied to it */
	selected(&r, "dra-1", 1, buf, sizeof(buf));
	assert_string_equal(buf, "Service/charging;Route/charging;TrafficPolicy/charging;"
	                         "PeerAuthentication/shop-strict;Telemetry/shop-telemetry;");
	/* gateway scope: the gateway, its routes, the services behind them */
	selected(&r, "edge-file", 1, buf, sizeof(buf));
	assert_string_equal(buf, "Service/frontend;Route/shop-edge;RateLimit/frontend-tenants;"
	                         "PeerAuthentication/shop-strict;Telemetry/shop-telemetry;"
	                         "Gateway/edge;");
	/* without the set, gateway-attached routes cannot be resolved */
	selected(&r, "edge-file", 0, buf, sizeof(buf));
	assert_string_equal(buf, "PeerAuthentication/shop-strict;Telemetry/shop-telemetry;"
	                         "Gateway/edge;");
	/* namespace scope: everything in shop, no devices */
	selected(&r, "mesh-file", 1, buf, sizeof(buf));
	size_t nshop = 0, n = weft_policyset_count(r.set);
	for (size_t i = 0; i < n; i++)
		nshop += !strcmp(weft_policyset_items(r.set)[i]->ns, "shop");
	size_t semis = 0;
	for (const char *p = buf; *p; p++)
		semis += *p == ';';
	assert_int_equal(semis, nshop);
	assert_null(strstr(buf, "Device/"));
	tp_free(&r);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1,000 services x 10 endpoints + 2,000 routes decode and validate. The
 * time is printed, not asserted (machines here are noisy): bench_core
 * measures it (docs/benchmarks.md). */
static void test_generated_policy_validates(void **state)
{
	char *text = weft_policy_generate(1000, 10, 2000);
	assert_non_null(text);
	double t0 = now_s();
	struct tp_result r;
	tp_load(&r, "gen.yaml", text);
	double t1 = now_s();
	if (r.diags.count)
		tp_dump(&r.diags);
	assert_int_equal(r.validate_rc, 0);
	assert_int_equal(weft_policyset_count(r.set), 1000 + 1000 + 2000 + 1);
	fprintf(stderr, "generated policy (%zu bytes): parse+decode+validate %.3f s\n",
	        strlen(text), t1 - t0);
	tp_free(&r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_examples_policy_validates),
	        cmocka_unit_test(test_examples_all_validate),
	        cmocka_unit_test(test_refs),
	        cmocka_unit_test(test_device_selection),
	        cmocka_unit_test(test_generated_policy_validates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
