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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_xds_summary_counts_acks_of_what_was_sent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
