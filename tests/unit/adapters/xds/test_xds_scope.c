/* Dependency scoping of sidecar views (adapters/xds/xds_scope.c): which
 * resources a service's upstreams pull in, how the shared CDS/EDS sets are
 * cut down (sharing the encoded bytes), and the virtual hosts a scoped
 * sidecar gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "policy.h"
#include "policyset.h"
#include "resource.h"
#include "snapshot.h"
#include "xds_scope.h"

/* shop/front calls shop/reviews only. reviews' Route sends 20 % to
 * shop/reviews-canary; reviews-canary's own Route sends to shop/billing,
 * which front must NOT get (routing happens at the caller). ops/metrics
 * and its namespace-wide Telemetry are unrelated. */
static const char policy_yaml[] =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: front, namespace: shop}\n"
        "spec:\n  ports: [{port: 8080}]\n  endpoints: [{address: 10.0.0.1}]\n"
        "  upstreams: [reviews]\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\n"
        "spec:\n  ports: [{port: 9080}]\n  endpoints: [{address: 10.0.0.2}]\n"
        "---\napiVersion: weft/v1\nkind: Service\n"
        "metadata: {name: reviews-canary, namespace: shop}\n"
        "spec:\n  ports: [{port: 9080}]\n  endpoints: [{address: 10.0.0.3}]\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: billing, namespace: shop}\n"
        "spec:\n  ports: [{port: 7070}]\n  endpoints: [{address: 10.0.0.4}]\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: metrics, namespace: ops}\n"
        "spec:\n  ports: [{port: 9090}]\n  endpoints: [{address: 10.0.1.1}]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: reviews, namespace: shop}\n"
        "spec:\n  service: reviews\n  http:\n  - destinations:\n"
        "    - {service: reviews, weight: 80}\n    - {service: reviews-canary, weight: 20}\n"
        "---\napiVersion: weft/v1\nkind: Route\n"
        "metadata: {name: reviews-canary, namespace: shop}\n"
        "spec:\n  service: reviews-canary\n  http:\n  - destinations: [{service: billing}]\n"
        "---\napiVersion: weft/v1\nkind: TrafficPolicy\n"
        "metadata: {name: canary-lb, namespace: shop}\n"
        "spec:\n  service: reviews-canary\n  loadBalancer: {algorithm: random}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: reviews-rl, namespace: shop}\n"
        "spec:\n  route: reviews\n  limit: {requests: 10}\n"
        "---\napiVersion: weft/v1\nkind: AccessPolicy\nmetadata: {name: shop-wide, namespace: "
        "shop}\n"
        "spec:\n  defaultAction: allow\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: ops-wide, namespace: ops}\n"
        "spec:\n  accessLog: {enabled: true}\n";

struct fixture {
	weft_snapshot *snap;
	xds_feed_data *data;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	weft_docset docs;
	weft_diags diags;
	weft_resource **res = NULL;
	size_t n = 0;
	weft_diags_init(&diags);
	assert_int_equal(weft_docset_init(&docs), 0);
	int rc = weft_docset_parse(&docs, "scope.yaml", policy_yaml, strlen(policy_yaml), &diags);
	if (!rc)
		rc = weft_policy_decode_all(&docs, &res, &n, &diags);
	weft_policyset *set = rc ? NULL : weft_policyset_new(res, n, &diags);
	if (set)
		rc = weft_policy_validate(set, &diags);
	if (rc || diags.count)
		weft_diags_print(stderr, &diags);
	assert_int_equal(rc, 0);
	assert_non_null(set);
	weft_err err = {0};
	fx->snap = weft_snapshot_compile(set, 7, NULL, &err);
	assert_non_null(fx->snap);
	fx->data = xds_feed_data_new(fx->snap, NULL);
	assert_non_null(fx->data);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_policyset_unref(set);
	weft_diags_free(&diags);
	weft_docset_free(&docs);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	xds_feed_data_free(fx->data);
	weft_snapshot_unref(fx->snap);
	free(fx);
	return 0;
}

static int scope_has(const xds_scope *sc, weft_kind kind, const char *ns, const char *name)
{
	for (size_t i = 0; i < sc->n_res; i++)
		if (sc->res[i]->kind == kind && !strcmp(sc->res[i]->ns, ns) &&
		    !strcmp(sc->res[i]->name, name))
			return 1;
	return 0;
}

static void test_closure(void **state)
{
	struct fixture *fx = *state;
	xds_scope sc;
	assert_int_equal(xds_scope_build(fx->data, "shop", "front", &sc), 1);
	assert_string_equal(sc.own, "front.shop");
	assert_true(scope_has(&sc, WEFT_KIND_SERVICE, "shop", "front"));
	assert_true(scope_has(&sc, WEFT_KIND_SERVICE, "shop", "reviews"));
	assert_true(scope_has(&sc, WEFT_KIND_ROUTE, "shop", "reviews"));
	assert_true(scope_has(&sc, WEFT_KIND_SERVICE, "shop", "reviews-canary"));
	assert_true(scope_has(&sc, WEFT_KIND_TRAFFIC_POLICY, "shop", "canary-lb"));
	assert_true(scope_has(&sc, WEFT_KIND_RATE_LIMIT, "shop", "reviews-rl"));
	assert_true(scope_has(&sc, WEFT_KIND_ACCESS_POLICY, "shop", "shop-wide"));
	assert_false(scope_has(&sc, WEFT_KIND_ROUTE, "shop", "reviews-canary"));
	assert_false(scope_has(&sc, WEFT_KIND_SERVICE, "shop", "billing"));
	assert_false(scope_has(&sc, WEFT_KIND_SERVICE, "ops", "metrics"));
	assert_false(scope_has(&sc, WEFT_KIND_TELEMETRY, "ops", "ops-wide"));
	assert_int_equal(sc.n_res, 7);
	/* Sorted by key, as a render input must be. */
	for (size_t i = 1; i < sc.n_res; i++) {
		weft_key k = weft_resource_key(sc.res[i]);
		assert_true(weft_resource_cmp_key(sc.res[i - 1], &k) < 0);
	}
	assert_int_equal(sc.n_services, 3);
	assert_string_equal(sc.services[0], "front.shop");
	assert_string_equal(sc.services[1], "reviews-canary.shop");
	assert_string_equal(sc.services[2], "reviews.shop");
	xds_scope_free(&sc);
	/* No upstreams: the whole feed. Unknown service: the whole feed. */
	assert_int_equal(xds_scope_build(fx->data, "shop", "reviews", &sc), 0);
	assert_int_equal(xds_scope_build(fx->data, "shop", "nope", &sc), 0);
}

static void test_filter_shares_bytes(void **state)
{
	struct fixture *fx = *state;
	xds_render_input in = {fx->data->res, fx->data->n, weft_snapshot_model(fx->data->snap)};
	xds_resset *cds = NULL, *eds = NULL;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, "default", NULL, NULL, &cds, &eds, &err), 0);
	xds_scope sc;
	assert_int_equal(xds_scope_build(fx->data, "shop", "front", &sc), 1);
	xds_scope_index *xc = xds_scope_index_new(cds), *xe = xds_scope_index_new(eds);
	assert_non_null(xc);
	assert_non_null(xe);
	xds_resset *scds = xds_scope_filter(&sc, xc, NULL);
	xds_resset *seds = xds_scope_filter(&sc, xe, NULL);
	assert_non_null(scds);
	assert_non_null(seds);
	const char *want[] = {"inbound|8080||front.shop", "outbound|8080||front.shop",
	                      "outbound|9080||reviews-canary.shop", "outbound|9080||reviews.shop"};
	assert_int_equal(scds->count, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(scds->items[i]->name, want[i]);
		/* The very object of the shared set: encoded once. */
		assert_ptr_equal(scds->items[i], xds_resset_find(cds, want[i]));
	}
	assert_null(xds_resset_find(seds, "outbound|7070||billing.shop"));
	assert_non_null(xds_resset_find(seds, "outbound|9080||reviews.shop"));
	assert_true(cds->count > scds->count);
	/* The index gives what a scan with xds_scope_wants gives. */
	size_t wanted = 0;
	for (size_t i = 0; i < cds->count; i++)
		wanted += (size_t)xds_scope_wants(&sc, cds->items[i]->name);
	assert_int_equal(wanted, scds->count);
	/* Filtering again against the previous scoped set: nothing changed. */
	xds_resset *again = xds_scope_filter(&sc, xc, scds);
	assert_int_equal(again->n_changed, 0);
	assert_true(xds_scope_wants(&sc, "PassthroughCluster"));
	assert_false(xds_scope_wants(&sc, "inbound|9080||reviews.shop"));
	xds_resset_unref(again);
	xds_resset_unref(scds);
	xds_resset_unref(seds);
	xds_scope_index_free(xc);
	xds_scope_index_free(xe);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	xds_scope_free(&sc);
}

/* The scoped sidecar's outbound routes name only reachable services. */
static void test_scoped_routes(void **state)
{
	struct fixture *fx = *state;
	xds_scope sc;
	assert_int_equal(xds_scope_build(fx->data, "shop", "front", &sc), 1);
	xds_render_input in = {sc.res, sc.n_res, NULL};
	const char *ips[] = {"10.0.0.1"};
	xds_view_key key = {
	        .role = XDS_ROLE_SIDECAR, .service = "shop/front", .ips = ips, .n_ips = 1};
	xds_resset *lds = NULL, *rds = NULL;
	weft_err err = {0};
	assert_int_equal(xds_render_listeners(&in, &key, NULL, NULL, &lds, &rds, &err), 0);
	assert_non_null(xds_resset_find(lds, "inbound|10.0.0.1|8080"));
	assert_null(xds_resset_find(lds, "outbound|0.0.0.0|7070"));
	const xds_res *r9080 = xds_resset_find(rds, "9080");
	assert_non_null(r9080);
	size_t len;
	const uint8_t *v = xds_res_value(r9080, &len);
	Envoy__Config__Route__V3__RouteConfiguration *rc =
	        envoy__config__route__v3__route_configuration__unpack(NULL, len, v);
	assert_non_null(rc);
	int reviews = 0, canary = 0;
	for (size_t i = 0; i < rc->n_virtual_hosts; i++) {
		reviews += !strcmp(rc->virtual_hosts[i]->name, "reviews.shop:9080");
		canary += !!strstr(rc->virtual_hosts[i]->name, "reviews-canary");
	}
	assert_int_equal(reviews, 1);
	assert_int_equal(canary, 1); /* a destination, reachable through reviews */
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_scope_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_closure),
	        cmocka_unit_test(test_filter_shares_bytes),
	        cmocka_unit_test(test_scoped_routes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
