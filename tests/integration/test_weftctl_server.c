/* weftctl against a real weftd, with kubectl's habits (docs/weftctl.md):
 * get KIND NS/NAME, short names, -o name/yaml/json, lists that apply back
 * unchanged, -l selectors, diff -f exit codes, delete -f, get --watch
 * following a change, and contexts from the config file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

static wd d;

static int setup(void **state)
{
	(void)state;
	char root[600], examples[1024];
	if (wd_init(&d, "weft-it-ctl-srv"))
		return -1;
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	const char *extra[] = {"--file-root", root, "--quiet-ms", "20", NULL};
	if (wd_start(&d, extra))
		return -1;
	snprintf(examples, sizeof(examples), "%s/examples/policy", ts_source_dir());
	return wctl_run(&d, NULL, "apply", "-f", examples, NULL);
}

static int teardown(void **state)
{
	(void)state;
	wd_cleanup(&d);
	return 0;
}

/* Runs a shell line with W standing for "weftctl --server URL". */
static int sh(char **out, const char *fmt)
{
	char w[1200], cmd[4096];
	snprintf(w, sizeof(w), "%s/weftctl --server %s", ts_bin_dir(), d.url);
	snprintf(cmd, sizeof(cmd), fmt, w, w);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	char *text = NULL;
	int rc = ts_run(argv, &text, 30000);
	if (out)
		*out = text;
	else
		free(text);
	return rc;
}

static void test_get_ns_name_and_short_names(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(wctl_run(&d, &out, "get", "route", "shop/reviews", "-o", "name", NULL), 0);
	assert_string_equal(out, "route/shop/reviews\n");
	free(out);
	assert_int_equal(
	        wctl_run(&d, &out, "get", "rt", "reviews", "-n", "shop", "-o", "name", NULL), 0);
	assert_string_equal(out, "route/shop/reviews\n");
	free(out);
	/* -n and NS/NAME that disagree: a usage error, no request */
	assert_int_equal(wctl_run(&d, &out, "get", "route", "shop/reviews", "-n", "x", NULL), 2);
	free(out);
	assert_int_equal(wctl_run(&d, &out, "get", "svc", "-l", "app=reviews", "-o", "name", NULL),
	                 0);
	assert_string_equal(out, "service/shop/reviews\n");
	free(out);
	assert_int_equal(wctl_run(&d, &out, "get", "svc", "-l", "app!=reviews", "-o", "name", NULL),
	                 0);
	assert_null(strstr(out, "service/shop/reviews"));
	assert_non_null(strstr(out, "service/shop/frontend"));
	free(out);
}

/* describe: the document, the device whose scope carries it (the
 * examples' mesh-file carries shop's routes), its state, and events. */
static void test_describe(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(wctl_run(&d, &out, "describe", "rt", "shop/reviews", NULL), 0);
	if (!strstr(out, "infra/mesh-file"))
		fprintf(stderr, "%s\n", out);
	assert_non_null(strstr(out, "Kind:       Route"));
	assert_non_null(strstr(out, "Devices:\n"));
	assert_non_null(strstr(out, "infra/mesh-file"));
	assert_non_null(strstr(out, "in-sync"));
	assert_non_null(strstr(out, "Warnings: none"));
	assert_non_null(strstr(out, "revision 1 by api"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "describe", "dev", "infra/edge-file", NULL), 0);
	assert_non_null(strstr(out, "infra/edge-file"));
	free(out);
}

/* What get prints for a list applies back as it is: nothing changes. */
static void test_list_round_trips(void **state)
{
	(void)state;
	long long head = wd_head(&d, NULL);
	const char *forms[] = {"json", "yaml"};
	for (int i = 0; i < 2; i++) {
		char line[256], *out;
		snprintf(line, sizeof(line), "%%s get routes -o %s | %%s apply -f -", forms[i]);
		int rc = sh(&out, line);
		if (rc != 0 || !strstr(out, "0 created, 0 updated, 0 deleted, 3 unchanged"))
			fprintf(stderr, "-o %s: %s\n", forms[i], out);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(out, "0 created, 0 updated, 0 deleted, 3 unchanged"));
		free(out);
	}
	assert_int_equal(wd_head(&d, NULL), head);
}

static void test_diff_and_delete_files(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-it-ctl-diff"), path[1024], *out;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/svc.yaml", dir);
	const char *svc = "apiVersion: weft/v1\nkind: Service\nmetadata: {name: extra, namespace: "
	                  "shop}\nspec: {ports: [{name: http, port: %d}]}\n";
	char text[512];
	snprintf(text, sizeof(text), svc, 80);
	assert_int_equal(ts_write_file(path, text), 0);
	/* not stored yet: a difference (all added) */
	assert_int_equal(wctl_run(&d, &out, "diff", "-f", path, NULL), 1);
	assert_non_null(strstr(out, "+  name: extra"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "apply", "-f", path, NULL), 0);
	free(out);
	assert_int_equal(wctl_run(&d, &out, "diff", "-f", path, NULL), 0);
	assert_string_equal(out, "");
	free(out);
	snprintf(text, sizeof(text), svc, 81);
	assert_int_equal(ts_write_file(path, text), 0);
	assert_int_equal(wctl_run(&d, &out, "diff", "-f", path, NULL), 1);
	assert_non_null(strstr(out, "-      port: 80"));
	assert_non_null(strstr(out, "+      port: 81"));
	free(out);
	/* an invalid file is an error (> 1), as kubectl diff */
	assert_int_equal(ts_write_file(path, "kind: Nope\n"), 0);
	assert_int_equal(wctl_run(&d, &out, "diff", "-f", path, NULL), 2);
	free(out);
	snprintf(text, sizeof(text), svc, 81);
	assert_int_equal(ts_write_file(path, text), 0);
	assert_int_equal(wctl_run(&d, &out, "delete", "-f", path, NULL), 0);
	assert_non_null(strstr(out, "Service shop/extra deleted"));
	free(out);
	assert_int_equal(wctl_run(&d, &out, "get", "svc", "shop/extra", NULL), 1);
	free(out);
	/* deleting again: not found, exit 1 */
	assert_int_equal(wctl_run(&d, &out, "delete", "-f", path, NULL), 1);
	assert_non_null(strstr(out, "not found"));
	free(out);
	ts_rmtree(dir);
	free(dir);
}

/* get --watch prints the list again when a revision changes it. */
static void test_get_watch(void **state)
{
	(void)state;
	char bin[1024], out[1024];
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	snprintf(out, sizeof(out), "%s/watch.out", d.dir);
	const char *argv[] = {bin,    "--server", d.url,       "get", "svc", "-o",
	                      "name", "--watch",  "--timeout", "20",  NULL};
	pid_t pid = ts_spawn(argv, out);
	assert_true(pid > 0);
	long long end = ts_now_ms() + 10000;
	char *text = NULL;
	while (ts_now_ms() < end) { /* the first answer is out: the watch is on */
		free(text);
		text = ts_read_file(out, NULL);
		if (text && strstr(text, "service/shop/reviews"))
			break;
		usleep(20000);
	}
	assert_non_null(text);
	assert_non_null(strstr(text, "service/shop/reviews"));
	assert_null(strstr(text, "service/shop/watched"));
	/* no wait for the follower to connect: the watch replays what weftd
	 * holds, so a revision stored before its stream starts is seen too */
	const char *y = "apiVersion: weft/v1\nkind: Service\nmetadata: {name: watched, namespace: "
	                "shop}\nspec: {ports: [{name: http, port: 80}]}\n";
	http_resp r;
	assert_int_equal(
	        http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", y, strlen(y), &r), 0);
	http_resp_free(&r);
	end = ts_now_ms() + 10000;
	while (ts_now_ms() < end && !strstr(text, "service/shop/watched")) {
		usleep(20000);
		free(text);
		text = ts_read_file(out, NULL);
		if (!text)
			text = strdup("");
	}
	ts_stop(pid, 2000);
	assert_non_null(strstr(text, "service/shop/watched"));
	free(text);
}

/* Polls path until it holds want (up to 10 s); the text read (freed by
 * the caller). */
static char *wait_file_has(const char *path, const char *want)
{
	long long end = ts_now_ms() + 10000;
	char *text = NULL;
	do {
		free(text);
		text = ts_read_file(path, NULL);
		if (text && strstr(text, want))
			return text;
		usleep(20000);
	} while (ts_now_ms() < end);
	return text ? text : strdup("");
}

/* status --watch: the status once the stream is live, then again after a
 * change (here a new Device's push). */
static void test_status_watch(void **state)
{
	(void)state;
	char bin[1024], out[1024];
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	snprintf(out, sizeof(out), "%s/status-watch.out", d.dir);
	const char *argv[] = {bin, "--server", d.url, "status", "--watch", "--timeout", "20", NULL};
	pid_t pid = ts_spawn(argv, out);
	assert_true(pid > 0);
	char *text = wait_file_has(out, "infra/mesh-file");
	assert_non_null(strstr(text, "infra/mesh-file"));
	assert_null(strstr(text, "default/watched-dev"));
	free(text);
	const char *y = "apiVersion: weft/v1\nkind: Device\nmetadata: {name: watched-dev}\n"
	                "spec: {type: file, scope: {namespaces: [shop]}, options: {directory: "
	                "watched}}\n";
	http_resp r;
	assert_int_equal(
	        http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", y, strlen(y), &r), 0);
	http_resp_free(&r);
	text = wait_file_has(out, "default/watched-dev");
	ts_stop(pid, 2000);
	assert_non_null(strstr(text, "default/watched-dev"));
	free(text);
}

/* A context of the config file gives the server; a bad file is refused
 * with its place. */
static void test_contexts(void **state)
{
	(void)state;
	char cfg[700], text[1024], bin[1024], *out;
	snprintf(cfg, sizeof(cfg), "%s/config", d.dir);
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	snprintf(text, sizeof(text),
	         "current-context: nowhere\ncontexts:\n  nowhere: {server: 'http://127.0.0.1:1'}\n"
	         "  lab:\n    server: '%s'\n",
	         d.url);
	assert_int_equal(ts_write_file(cfg, text), 0);
	setenv("WEFT_CONFIG", cfg, 1);
	unsetenv("WEFT_SERVER");
	const char *lab[] = {bin,  "--context", "lab", "get", "rt", "shop/reviews",
	                     "-o", "name",      NULL};
	int rc = ts_run(lab, &out, 30000);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "route/shop/reviews\n");
	free(out);
	/* the current context (unreachable) is the default */
	const char *cur[] = {bin, "status", NULL};
	assert_int_equal(ts_run(cur, &out, 30000), 1);
	assert_non_null(strstr(out, "127.0.0.1:1"));
	free(out);
	const char *none[] = {bin, "--context", "prod", "status", NULL};
	assert_int_equal(ts_run(none, &out, 30000), 2);
	assert_non_null(strstr(out, "no context 'prod'"));
	free(out);
	assert_int_equal(ts_write_file(cfg, "contexts:\n  lab: {sever: x}\n"), 0);
	assert_int_equal(ts_run(lab, &out, 30000), 2);
	snprintf(text, sizeof(text), "%s:2:9: unknown field 'sever'", cfg);
	if (!strstr(out, text))
		fprintf(stderr, "%s\n", out);
	assert_non_null(strstr(out, text));
	free(out);
	unsetenv("WEFT_CONFIG");
}

/* A context's tokenFile authenticates against a weftd with --tokens. */
static void test_context_token_file(void **state)
{
	(void)state;
	wd a;
	char tokens[700], tokfile[700], cfg[700], text[1024], bin[1024], *out;
	assert_int_equal(wd_init(&a, "weft-it-ctl-tok"), 0);
	snprintf(tokens, sizeof(tokens), "%s/tokens", a.dir);
	snprintf(tokfile, sizeof(tokfile), "%s/my.token", a.dir);
	snprintf(cfg, sizeof(cfg), "%s/config", a.dir);
	assert_int_equal(ts_write_file(tokens, "s3cret-viewer-token-0123 viewer carol\n"), 0);
	chmod(tokens, 0600);
	assert_int_equal(ts_write_file(tokfile, "s3cret-viewer-token-0123\n"), 0);
	const char *extra[] = {"--tokens", tokens, NULL};
	assert_int_equal(wd_start(&a, extra), 0);
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	snprintf(text, sizeof(text), "contexts:\n  t: {server: '%s', tokenFile: '%s'}\n", a.url,
	         tokfile);
	assert_int_equal(ts_write_file(cfg, text), 0);
	setenv("WEFT_CONFIG", cfg, 1);
	unsetenv("WEFT_TOKEN");
	const char *with[] = {bin, "--context", "t", "history", NULL};
	int rc = ts_run(with, &out, 30000);
	if (rc)
		fprintf(stderr, "%s\n", out);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "s3cret"));
	free(out);
	snprintf(text, sizeof(text), "contexts:\n  t: {server: '%s'}\n", a.url);
	assert_int_equal(ts_write_file(cfg, text), 0);
	assert_int_equal(ts_run(with, &out, 30000), 1);
	assert_non_null(strstr(out, "HTTP 401"));
	free(out);
	unsetenv("WEFT_CONFIG");
	wd_cleanup(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_ns_name_and_short_names),
	        cmocka_unit_test(test_describe),
	        cmocka_unit_test(test_list_round_trips),
	        cmocka_unit_test(test_diff_and_delete_files),
	        cmocka_unit_test(test_get_watch),
	        cmocka_unit_test(test_status_watch),
	        cmocka_unit_test(test_contexts),
	        cmocka_unit_test(test_context_token_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
