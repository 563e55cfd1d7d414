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

/* validate reads stdin with "-", and an empty directory is an error, as
 * it is for apply. */
static void test_validate_stdin_and_empty_dir(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-it-ctl-empty");
	assert_non_null(dir);
	char *out;
	assert_int_equal(run(&out, (const char *[]){"validate", dir, NULL}), 1);
	assert_non_null(strstr(out, "no policy files"));
	free(out);
	assert_int_equal(run(&out, (const char *[]){"apply", "-f", dir, NULL}), 1);
	assert_non_null(strstr(out, "no policy files"));
	free(out);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	         "printf 'apiVersion: weft/v1\\nkind: Service\\nmetadata: {name: a}\\n"
	         "spec: {ports: [{name: http, port: 80}]}\\n' | %s/weftctl validate -",
	         ts_bin_dir());
	const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
	assert_int_equal(ts_run(sh, &out, 30000), 0);
	assert_non_null(strstr(out, "valid: 1 resource"));
	free(out);
	snprintf(cmd, sizeof(cmd), "printf 'kind: Nope\\n' | %s/weftctl validate -", ts_bin_dir());
	assert_int_equal(ts_run(sh, &out, 30000), 1);
	assert_non_null(strstr(out, "stdin:1:"));
	free(out);
	ts_rmtree(dir);
	free(dir);
}

/* --version names the version and the commit; completion scripts list
 * the commands of the table. */
static void test_version_and_completion(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(run(&out, (const char *[]){"--version", NULL}), 0);
	assert_non_null(strstr(out, "weftctl 0."));
	assert_non_null(strstr(out, "(commit "));
	assert_null(strstr(out, "commit unknown"));
	free(out);
	const char *shells[] = {"bash", "zsh"};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(run(&out, (const char *[]){"completion", shells[i], NULL}), 0);
		assert_non_null(strstr(out, "weftctl"));
		assert_non_null(strstr(out, "diff"));
		assert_non_null(strstr(out, "svc"));
		free(out);
	}
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s/weftctl completion bash | bash -n", ts_bin_dir());
	const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
	assert_int_equal(ts_run(sh, &out, 30000), 0);
	free(out);
}

/* explain reads the decoder's schema tables: fields, enums, defaults,
 * ranges; an unknown field is an error naming it. */
static void test_explain(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(run(&out, (const char *[]){"explain", "rt.spec.http", NULL}), 0);
	assert_non_null(strstr(out, "FIELD:    spec.http"));
	assert_non_null(strstr(out, "destinations   list of object, required"));
	free(out);
	assert_int_equal(run(&out, (const char *[]){"explain", "device.spec.drift", NULL}), 0);
	assert_non_null(strstr(out, "VALUES:   alert repair"));
	assert_non_null(strstr(out, "DEFAULT:  \"alert\""));
	free(out);
	assert_int_equal(run(&out, (const char *[]){"-o", "json", "explain", "svc", NULL}), 0);
	assert_non_null(strstr(out, "\"name\": \"spec\""));
	free(out);
	assert_int_equal(run(&out, (const char *[]){"explain", "rt.spec.nope", NULL}), 1);
	assert_non_null(strstr(out, "Route spec has no field 'nope'"));
	free(out);
}

static void test_usage_errors(void **state)
{
	static const char *const cases[][6] = {
	        {"validate", NULL},
	        {NULL},
	        {"frobnicate", NULL},
	        {"--bogus", "status", NULL},
	        {"-o", "xml", "status", NULL},
	        {"apply", NULL},
	        {"get", NULL},
	        {"get", "route", "--dry-run", NULL},
	        {"delete", "route", NULL},
	        {"rollback", "abc", NULL},
	        {"history", "--limit", "-3", NULL},
	        {"apply", "-f", "x", "--expected-revision", "z", NULL},
	        {"status", "-n", "shop", NULL},
	        {"diff", NULL},
	        {"delete", "-f", "x", "route", "a", NULL},
	        {"completion", "fish", NULL},
	        {"get", "route", "--count", "3", NULL},
	        {"-o", "name", "status", NULL},
	        {"get", "svc", "-l", "=x", NULL},
	        {"get", "svc", "-l", "a=b,", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;
		int rc = run(&out, cases[i]);
		if (rc != 2 || !strstr(out, "usage: weftctl"))
			fprintf(stderr, "case %zu: exit %d:\n%s\n", i, rc, out);
		assert_int_equal(rc, 2);
		assert_non_null(strstr(out, "usage: weftctl"));
		/* one line with a hint, not the whole help text */
		assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
		assert_non_null(strstr(out, "see weftctl --help"));
		assert_null(strstr(out, "commands:"));
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_validate_examples),
	        cmocka_unit_test(test_validate_invalid),
	        cmocka_unit_test(test_usage_errors),
	        cmocka_unit_test(test_validate_stdin_and_empty_dir),
	        cmocka_unit_test(test_version_and_completion),
	        cmocka_unit_test(test_explain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
