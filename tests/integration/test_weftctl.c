/* Integration test of weftctl as a program: `validate` (local, no server)
 * with its exit codes 0 (valid), 1 (invalid: every problem as
 * file:line:col: path: message) and 2 (usage), and the usage errors of the
 * other commands, which must fail before any request is made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testsupport.h"

static int run(char **out, const char *const *args)
{
	char bin[1024];
	const char *argv[32];
	int n = 0;
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	argv[n++] = bin;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return ts_run(argv, out, 30000);
}

static void test_validate_examples(void **state)
{
	char examples[1024], *out;
	snprintf(examples, sizeof(examples), "%s/examples", ts_source_dir());
	assert_int_equal(run(&out, (const char *[]){"validate", examples, NULL}), 0);
	assert_non_null(strstr(out, "valid: "));
	free(out);
}

static void test_validate_invalid(void **state)
{
	char *dir = ts_mkdtemp("weft-it-ctl");
	assert_non_null(dir);
	char path[1024], *out;
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	assert_int_equal(ts_write_file(path, "apiVersion: weft/v1\n"
	                                     "kind: Service\n"
	                                     "metadata:\n"
	                                     "  name: broken\n"
	                                     "spec:\n"
	                                     "  protocol: htp\n"
	                                     "  ports:\n"
	                                     "  - name: http\n"
	                                     "    port: 99999\n"),
	                 0);
	int rc = run(&out, (const char *[]){"validate", dir, NULL});
	char want1[1200], want2[1200];
	snprintf(want1, sizeof(want1), "%s:6:13: spec.protocol:", path);
	snprintf(want2, sizeof(want2), "%s:9:11: spec.ports[0].port:", path);
	int ok1 = strstr(out, want1) != NULL, ok2 = strstr(out, want2) != NULL;
	if (!ok1 || !ok2)
		fprintf(stderr, "weftctl said:\n%s\n", out);
	free(out);
	/* a file that does not exist is a problem too, not a crash */
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	int rc2 = run(&out, (const char *[]){"validate", path, NULL});
	free(out);
	ts_rmtree(dir);
	free(dir);
	assert_int_equal(rc, 1);
	assert_true(ok1);
	assert_true(ok2);
	assert_int_equal(rc2, 1);
}

static void test_usage_errors(void **state)
{
	static const char *const cases[][6] = {
	        {"validate", NULL},
	        {NULL},
	        {"frobnicate", NULL},
	        {"--bogus", "status", NULL},
	        {"-o", "yaml", "status", NULL},
	        {"apply", NULL},
	        {"get", NULL},
	        {"get", "route", "--dry-run", NULL},
	        {"delete", "route", NULL},
	        {"rollback", "abc", NULL},
	        {"history", "--limit", "-3", NULL},
	        {"apply", "-f", "x", "--expected-revision", "z", NULL},
	        {"status", "-n", "shop", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;
		int rc = run(&out, cases[i]);
		if (rc != 2 || !strstr(out, "usage: weftctl"))
			fprintf(stderr, "case %zu: exit %d:\n%s\n", i, rc, out);
		assert_int_equal(rc, 2);
		assert_non_null(strstr(out, "usage: weftctl"));
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_validate_examples),
	        cmocka_unit_test(test_validate_invalid),
	        cmocka_unit_test(test_usage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
