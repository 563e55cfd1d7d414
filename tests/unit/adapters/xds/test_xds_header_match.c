/* Unit tests of header matches in rendered routes (adapters/xds/
 * xds_render_route.c): every weft match is sent in HeaderMatcher's older
 * fields (exact_match, prefix_match, safe_regex_match, present_match) and
 * never as string_match, which gRPC C core 1.51 NACKs
 * (docs/adapter-xds.md, "Header matches"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envoy/config/route/v3/route.pb-c.h"
#include "xds_test_util.h"

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfig;
typedef Envoy__Config__Route__V3__HeaderMatcher HeaderMatcher;

#define CASE(x) ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_##x

static const char *const policy =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: echo, namespace: t}\n"
        "spec:\n  ports: [{name: grpc, port: 50051}]\n"
        "  endpoints: [{address: 10.0.0.1, labels: {v: a}}, {address: 10.0.0.2, labels: {v: b}}]\n"
        "  subsets: [{name: a, labels: {v: a}}, {name: b, labels: {v: b}}]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: echo, namespace: t}\n"
        "spec:\n  service: echo\n  http:\n"
        "  - name: matched\n    match:\n"
        "    - method: POST\n      headers:\n"
        "      - {name: x-exact, exact: 'yes'}\n"
        "      - {name: x-prefix, prefix: can}\n"
        "      - {name: x-regex, regex: '^v[0-9]+$'}\n"
        "      - {name: x-present, present: true}\n"
        "    destinations: [{service: echo, subset: b}]\n"
        "  - name: rest\n    destinations: [{service: echo, subset: a}]\n";

static RouteConfig *render_routes(xt_policy *p, xds_resset **rds)
{
	xds_render_input in = xt_input(p);
	xds_resset *lds;
	weft_err err = {0};
	xds_view_key vk = {.role = XDS_ROLE_PROXYLESS};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, rds, &err), 0);
	xds_resset_unref(lds);
	size_t len;
	const uint8_t *b = xds_res_value(xt_find(*rds, "echo.t:50051"), &len);
	RouteConfig *rc = envoy__config__route__v3__route_configuration__unpack(NULL, len, b);
	assert_non_null(rc);
	return rc;
}

static const HeaderMatcher *header(const Envoy__Config__Route__V3__Route *r, const char *name)
{
	for (size_t i = 0; i < r->match->n_headers; i++)
		if (!strcmp(r->match->headers[i]->name, name))
			return r->match->headers[i];
	fail_msg("no header matcher for %s", name);
	return NULL;
}

static void test_older_fields(void **state)
{
	(void)state;
	xt_policy p = {0};
	xds_resset *rds;
	xt_policy_load(&p, policy);
	RouteConfig *rc = render_routes(&p, &rds);
	const Envoy__Config__Route__V3__Route *r = rc->virtual_hosts[0]->routes[0];
	assert_int_equal(r->match->n_headers, 5);

	const HeaderMatcher *h = header(r, ":method");
	assert_int_equal(h->header_match_specifier_case, CASE(EXACT_MATCH));
	assert_string_equal(h->exact_match, "POST");
	h = header(r, "x-exact");
	assert_int_equal(h->header_match_specifier_case, CASE(EXACT_MATCH));
	assert_string_equal(h->exact_match, "yes");
	h = header(r, "x-prefix");
	assert_int_equal(h->header_match_specifier_case, CASE(PREFIX_MATCH));
	assert_string_equal(h->prefix_match, "can");
	h = header(r, "x-regex");
	assert_int_equal(h->header_match_specifier_case, CASE(SAFE_REGEX_MATCH));
	assert_string_equal(h->safe_regex_match->regex, "^v[0-9]+$");
	h = header(r, "x-present");
	assert_int_equal(h->header_match_specifier_case, CASE(PRESENT_MATCH));
	assert_true(h->present_match);
	for (size_t i = 0; i < r->match->n_headers; i++) {
		assert_int_not_equal(r->match->headers[i]->header_match_specifier_case,
		                     CASE(STRING_MATCH));
		assert_false(r->match->headers[i]->invert_match);
	}
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

/* The wire bytes: field 4 (exact_match) is there, field 13 (string_match)
 * is not, whatever our own decoder would make of them. */
static void test_wire_field_numbers(void **state)
{
	(void)state;
	xt_policy p = {0};
	xds_resset *rds;
	xt_policy_load(&p, policy);
	RouteConfig *rc = render_routes(&p, &rds);
	const HeaderMatcher *h = header(rc->virtual_hosts[0]->routes[0], "x-exact");
	uint8_t buf[256];
	size_t n = protobuf_c_message_pack(&h->base, buf);
	assert_true(n < sizeof(buf));
	/* name = 1 (tag 0x0a, len 7, "x-exact"), exact_match = 4 (tag 0x22). */
	static const uint8_t want[] = {0x0a, 7,   'x',  '-', 'e', 'x', 'a',
	                               'c',  't', 0x22, 3,   'y', 'e', 's'};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	protobuf_c_message_free_unpacked(&rc->base, NULL);
	xds_resset_unref(rds);
	xt_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_older_fields),
	        cmocka_unit_test(test_wire_field_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
