/* Unit tests of weftctl's rendering (core/api/client/render.c): tables
 * from JSON answers shaped as docs/api.md says, written to a memory
 * stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "policy.h"
#include "wctl-int.h"

/* Renders status (JSON text) and returns what weftctl printed (freed by
 * the caller). */
static char *render_status(const char *status)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	wctl_opts o = {.out = f, .err = f};
	json_t *j = json_loads(status, 0, NULL);
	assert_non_null(j);
	wctl_render_status(&o, j);
	json_decref(j);
	fclose(f);
	return buf;
}

/* The server sends no xds.revision: a proxy is current when it ACKed what
 * it was sent, and the line names the revision the views serve. A CDS
 * that was not resent keeps its older version and is still current. */
static void test_xds_summary_counts_acks_of_what_was_sent(void **state)
{
	(void)state;
	char *out = render_status(
	        "{\"revision\":11,\"snapshot_revision\":11,\"devices\":[],"
	        "\"xds\":{\"views\":[{\"key\":\"v\",\"version\":\"11\"}],\"proxies\":["
	        "{\"node\":\"a\",\"view\":\"v\",\"types\":{"
	        "\"cds\":{\"version_sent\":\"4\",\"version_acked\":\"4\"},"
	        "\"eds\":{\"version_sent\":\"11\",\"version_acked\":\"11\"}}},"
	        "{\"node\":\"b\",\"view\":\"v\",\"types\":{"
	        "\"eds\":{\"version_sent\":\"11\",\"version_acked\":\"10\"}}},"
	        "{\"node\":\"c\",\"view\":\"v\",\"types\":{"
	        "\"eds\":{\"version_sent\":\"11\",\"version_acked\":\"10\","
	        "\"last_error\":\"bad\"}}}]}}");
	if (!strstr(out, "3 proxies connected, 1 ACKed what they were sent (serving revision "
	                 "11), 1 with a NACK"))
		fprintf(stderr, "rendered:\n%s", out);
	assert_non_null(strstr(out, "3 proxies connected, 1 ACKed what they were sent "
	                            "(serving revision 11), 1 with a NACK"));
	assert_null(strstr(out, "revision 0"));
	free(out);
}

/* The canonical JSON of the one document in text (NULL when it does not
 * decode; diagnostics printed). */
static json_t *decode_canonical(const char *name, const char *text)
{
	weft_docset set;
	weft_diags diags;
	weft_resource **res = NULL;
	size_t n = 0;
	json_t *out = NULL;
	weft_docset_init(&set);
	weft_diags_init(&diags);
	if (weft_docset_parse(&set, name, text, strlen(text), &diags) == 0 &&
	    weft_policy_decode_all(&set, &res, &n, &diags) == 0 && n == 1)
		out = json_loadb(res[0]->json, res[0]->json_len, 0, NULL);
	weft_diags_print(stderr, &diags);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_diags_free(&diags);
	weft_docset_free(&set);
	return out;
}

/* -o yaml reads back as the same document: strings that would read as
 * numbers, booleans, null or YAML syntax are quoted, others stay plain. */
static void test_yaml_output_round_trips(void **state)
{
	(void)state;
	const char *doc =
	        "{\"apiVersion\":\"weft/v1\",\"kind\":\"Route\",\"metadata\":{\"name\":\"a\","
	        "\"namespace\":\"shop\",\"labels\":{\"yes\":\"yes\",\"n\":\"80\",\"t\":\"true\","
	        "\"e\":\"\",\"dot\":\"1.5\",\"tilde\":\"null\"}},\"spec\":{\"service\":\"web\","
	        "\"http\":[{\"name\":\"r\",\"match\":[{\"headers\":[{\"name\":\"x-a\",\"exact\":\"-"
	        "1\"},"
	        "{\"name\":\"x-b\",\"exact\":\"caf\\u00e9: #1 "
	        "\"},{\"name\":\"x-c\",\"exact\":\"[x]\"},"
	        "{\"name\":\"x-d\",\"exact\":\"a\\\"b\\\\c\"}]}],"
	        "\"destinations\":[{\"service\":\"web\",\"weight\":3}]}]}}";
	json_t *want = decode_canonical("in.json", doc);
	assert_non_null(want);
	char *yaml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&yaml, &len);
	wctl_yaml_print(f, want);
	fclose(f);
	json_t *got = decode_canonical("out.yaml", yaml);
	if (!got || !json_equal(want, got))
		fprintf(stderr, "printed:\n%s", yaml);
	assert_non_null(got);
	assert_true(json_equal(want, got));
	assert_non_null(strstr(yaml, "- service: web\n")); /* plain when safe */
	assert_non_null(strstr(yaml, "n: \"80\"\n"));
	json_decref(want);
	json_decref(got);
	free(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_xds_summary_counts_acks_of_what_was_sent),
	        cmocka_unit_test(test_yaml_output_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
