/* Unit tests of northbound/: durations, weights and service host names
 * (xutil.c), and the import engine (import.c): refusals fail the import
 * unless --allow-partial, which keeps them as comments; the same resources
 * in YAML and JSON give the same output; weft/v1 passes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlate.h"

static void test_durations(void **state)
{
	(void)state;
	long long ms;
	assert_int_equal(nb_duration_ms("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(nb_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(nb_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_not_equal(nb_duration_ms("1.5ms", &ms), 0); /* not whole */
	assert_int_not_equal(nb_duration_ms("10", &ms), 0);    /* no unit */
	assert_int_not_equal(nb_duration_ms("-1s", &ms), 0);
	assert_int_not_equal(nb_duration_ms("", &ms), 0);
	assert_int_not_equal(nb_duration_ms("99999999h", &ms), 0);
	json_t *j = nb_duration_json(90000);
	assert_string_equal(json_string_value(j), "90s");
	json_decref(j);
	j = nb_duration_json(120000);
	assert_string_equal(json_string_value(j), "2m");
	json_decref(j);
}

static void test_weights(void **state)
{
	(void)state;
	long long w[3] = {1, 1, 1}, out[3];
	assert_int_equal(nb_weights_percent(w, 3, out), 0);
	assert_int_equal(out[0] + out[1] + out[2], 100);
	assert_int_equal(out[0], 34); /* ties go to the earlier entry */
	long long w2[2] = {800, 200}, o2[2];
	assert_int_equal(nb_weights_percent(w2, 2, o2), 0);
	assert_int_equal(o2[0], 80);
	assert_int_equal(o2[1], 20);
	long long w3[2] = {0, 5}, o3[2];
	assert_int_equal(nb_weights_percent(w3, 2, o3), 0);
	assert_int_equal(o3[0], 0);
	assert_int_equal(o3[1], 100);
	long long z[2] = {0, 0};
	assert_int_not_equal(nb_weights_percent(z, 2, o3), 0);
}

static void test_service_host(void **state)
{
	(void)state;
	char name[64], ns[64];
	assert_int_equal(nb_service_host("reviews", "shop", name, 64, ns, 64), 0);
	assert_string_equal(name, "reviews");
	assert_string_equal(ns, "shop");
	assert_int_equal(nb_service_host("db.infra.svc.cluster.local", "shop", name, 64, ns, 64),
	                 0);
	assert_string_equal(ns, "infra");
	assert_int_not_equal(nb_service_host("api.example.com", "shop", name, 64, ns, 64), 0);
	assert_int_not_equal(nb_service_host("Reviews", "shop", name, 64, ns, 64), 0);
	assert_int_not_equal(nb_service_host("", "shop", name, 64, ns, 64), 0);
}

static int run(const char *file, const char *text, int partial, char **out, weft_diags *errs,
               weft_diags *warns)
{
	weft_docset set;
	weft_diags parse;
	weft_import_opts o = {.default_ns = "shop", .allow_partial = partial};
	weft_docset_init(&set);
	weft_diags_init(&parse);
	weft_diags_init(errs);
	weft_diags_init(warns);
	assert_int_equal(weft_docset_parse(&set, file, text, strlen(text), &parse), 0);
	int rc = weft_import(&set, &o, out, errs, warns);
	weft_diags_free(&parse);
	weft_docset_free(&set);
	return rc;
}

static const char svc_yaml[] = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                               "spec:\n  ports:\n  - {name: http, port: 80, nodePort: 30080}\n"
                               "  sessionAffinity: None\n  clusterIP: 10.0.0.1\n  bogus: 1\n";

static void test_refusal_and_partial(void **state)
{
	(void)state;
	weft_err err = {0};
	assert_int_equal(weft_northbound_register(&err), 0);
	char *out = NULL;
	weft_diags errs, warns;
	assert_int_not_equal(run("in", svc_yaml, 0, &out, &errs, &warns), 0);
	assert_null(out);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.items[0].path, "spec.bogus");
	assert_int_equal(errs.items[0].line, 9);
	assert_int_equal(warns.count, 1); /* nodePort: warned */
	assert_string_equal(warns.items[0].path, "spec.ports[0].nodePort");
	weft_diags_free(&errs);
	weft_diags_free(&warns);

	assert_int_equal(run("in", svc_yaml, 1, &out, &errs, &warns), 0);
	assert_int_equal(errs.count, 0);
	assert_int_equal(warns.count, 2);
	assert_non_null(strstr(out, "# warning: in:9:3: spec.bogus: refused (--allow-partial)"));
	assert_non_null(strstr(out, "namespace: shop")); /* the default namespace */
	assert_null(strstr(out, "10.0.0.1"));            /* clusterIP ignored */
	free(out);
	weft_diags_free(&errs);
	weft_diags_free(&warns);
}

static void test_json_equals_yaml_and_passthrough(void **state)
{
	(void)state;
	weft_err err = {0};
	assert_int_equal(weft_northbound_register(&err), 0);
	const char *json =
	        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\"},"
	        "\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\"}]}}";
	const char *yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	                   "spec:\n  ports: [{port: 80, name: http}]\n";
	char *a = NULL, *b = NULL;
	weft_diags errs, warns;
	assert_int_equal(run("in", json, 0, &a, &errs, &warns), 0);
	weft_diags_free(&errs);
	weft_diags_free(&warns);
	assert_int_equal(run("in", yaml, 0, &b, &errs, &warns), 0);
	weft_diags_free(&errs);
	weft_diags_free(&warns);
	assert_string_equal(a, b);
	free(a);
	free(b);
	const char *weft = "apiVersion: weft/v1\nkind: PeerAuthentication\n"
	                   "metadata: {name: strict}\nspec: {mode: STRICT}\n";
	assert_int_equal(run("in", weft, 0, &a, &errs, &warns), 0);
	assert_non_null(strstr(a, "kind: PeerAuthentication"));
	assert_non_null(strstr(a, "mode: STRICT"));
	assert_non_null(strstr(a, "namespace: shop"));
	free(a);
	weft_diags_free(&errs);
	weft_diags_free(&warns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_durations),
	        cmocka_unit_test(test_weights),
	        cmocka_unit_test(test_service_host),
	        cmocka_unit_test(test_refusal_and_partial),
	        cmocka_unit_test(test_json_equals_yaml_and_passthrough),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
