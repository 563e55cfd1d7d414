/* Canonical JSON and content hash: the same resource written in YAML or
 * JSON, with keys in any order and equivalent spellings of values, has the
 * same canonical JSON and hash; the JSON holds only what the input held
 * (no defaults), with typed values; decoding the JSON gives it back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_testutil.h"
#include "resource.h"

static const char *yaml_route = "apiVersion: weft/v1\n"
                                "kind: Route\n"
                                "metadata:\n"
                                "  name: reviews\n"
                                "  namespace: shop\n"
                                "spec:\n"
                                "  service: reviews\n"
                                "  http:\n"
                                "  - destinations:\n"
                                "    - {service: reviews, subset: v1, weight: 80}\n"
                                "    - {service: reviews, subset: v2, weight: 20}\n"
                                "    timeout: 1000ms\n"
                                "    fault: {delay: {percent: 50.0, duration: 120s}}\n";

/* Same content: JSON, other key order, other spellings (1s, 50, 2m). */
static const char *json_route =
        "{\"spec\": {\"http\": [{\"timeout\": \"1s\", \"fault\": {\"delay\": {\"duration\": "
        "\"2m\", \"percent\": 50}}, \"destinations\": [{\"weight\": 80, \"subset\": \"v1\", "
        "\"service\": \"reviews\"}, {\"service\": \"reviews\", \"weight\": 20, \"subset\": "
        "\"v2\"}]}], \"service\": \"reviews\"},\n"
        " \"metadata\": {\"namespace\": \"shop\", \"name\": \"reviews\"},\n"
        " \"kind\": \"Route\", \"apiVersion\": \"weft/v1\"}\n";

static const char *expected_json =
        "{\"apiVersion\":\"weft/v1\",\"kind\":\"Route\",\"metadata\":{\"name\":\"reviews\","
        "\"namespace\":\"shop\"},\"spec\":{\"http\":[{\"destinations\":[{\"service\":\"reviews\","
        "\"subset\":\"v1\",\"weight\":80},{\"service\":\"reviews\",\"subset\":\"v2\",\"weight\":"
        "20}],\"fault\":{\"delay\":{\"duration\":\"2m\",\"percent\":50}},\"timeout\":\"1s\"}],"
        "\"service\":\"reviews\"}}";

static void test_yaml_and_json_agree(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *a = tp_decode_one("a.yaml", yaml_route, &d);
	weft_resource *b = tp_decode_one("b.json", json_route, &d);
	if (d.count)
		tp_dump(&d);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a->json, expected_json);
	assert_string_equal(b->json, expected_json);
	assert_int_equal(a->json_len, strlen(expected_json));
	assert_true(a->hash == b->hash);
	assert_true(a->hash ==
	            weft_hash_bytes(WEFT_HASH_SEED, expected_json, strlen(expected_json)));
	weft_resource_unref(a);
	weft_resource_unref(b);
	weft_diags_free(&d);
}

/* The typed struct gets defaults; the JSON does not. Namespace (identity)
 * is always present. Normalised values: IPs, percent, CIDR. */
static void test_no_defaults_typed_values(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *r = tp_decode_one("s.yaml",
	                                 "apiVersion: weft/v1\nkind: Service\nmetadata: {name: s}\n"
	                                 "spec:\n  ports: [{port: 80}]\n"
	                                 "  endpoints: [{address: '2001:DB8:0::1', port: 8080}]\n",
	                                 &d);
	assert_non_null(r);
	assert_string_equal(r->json,
	                    "{\"apiVersion\":\"weft/v1\",\"kind\":\"Service\",\"metadata\":"
	                    "{\"name\":\"s\",\"namespace\":\"default\"},\"spec\":{"
	                    "\"endpoints\":[{\"address\":\"2001:db8::1\",\"port\":8080}],"
	                    "\"ports\":[{\"port\":80}]}}");
	const weft_service_spec *s = r->spec;
	assert_int_equal(s->protocol, WEFT_PROTO_HTTP);
	assert_int_equal(s->endpoints.items[0].weight, 1);
	weft_resource_unref(r);

	r = tp_decode_one("t.yaml",
	                  "apiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: t}\n"
	                  "spec: {tracing: {samplingPercent: 0.25}}\n",
	                  &d);
	assert_non_null(r);
	assert_non_null(strstr(r->json, "\"samplingPercent\":0.25}"));
	weft_resource_unref(r);
	assert_int_equal(d.count, 0);
	weft_diags_free(&d);
}

static void test_hash_changes_with_content(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *a = tp_decode_one("a.yaml", yaml_route, &d);
	char *other = strdup(yaml_route);
	char *p = strstr(other, "weight: 80");
	memcpy(p, "weight: 70", 10);
	p = strstr(other, "weight: 20");
	memcpy(p, "weight: 30", 10);
	weft_resource *b = tp_decode_one("a.yaml", other, &d);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->hash != b->hash);
	weft_resource_unref(a);
	weft_resource_unref(b);
	free(other);
	weft_diags_free(&d);
}

/* What the store keeps decodes back to the same resource. */
static void test_decode_json_round_trip(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	struct tp_result all;
	tp_load_path(&all, WEFT_EXAMPLES_DIR);
	assert_int_equal(all.validate_rc, 0);
	for (size_t i = 0; i < all.n; i++) {
		const weft_resource *r = all.res[i];
		weft_resource *back = NULL;
		assert_int_equal(
		        weft_policy_decode_json(r->json, r->json_len, "store", 42, &back, &d), 0);
		assert_string_equal(back->json, r->json);
		assert_true(back->hash == r->hash);
		assert_string_equal(back->file, "store");
		assert_int_equal(back->line, 42);
		assert_int_equal(back->kind, r->kind);
		assert_string_equal(back->ns, r->ns);
		weft_resource_unref(back);
	}
	tp_free(&all);

	weft_resource *bad = NULL;
	assert_int_equal(weft_policy_decode_json("{\"kind\": 1}", 11, "api", 1, &bad, &d), -1);
	assert_null(bad);
	assert_non_null(tp_find(&d, "field 'apiVersion' is required"));
	weft_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_yaml_and_json_agree),
	        cmocka_unit_test(test_no_defaults_typed_values),
	        cmocka_unit_test(test_hash_changes_with_content),
	        cmocka_unit_test(test_decode_json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
