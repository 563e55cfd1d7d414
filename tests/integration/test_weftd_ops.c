/* weftd for its operator: the log tells what happened (one JSON line per
 * revision, transaction start / device / outcome, failed push, drift
 * found and repaired, numbers as JSON numbers), /metrics carries a series
 * per device and weft_build_info, and --version names the commit. Real
 * weftd processes with file devices; every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

#define SVC                                                                                        \
	"apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"                              \
	"spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: 8080}]}\n"

/* The first JSON log line whose msg is msg and whose field key (may be
 * NULL) equals value, parsed; NULL when none. */
static json_t *log_line(const wd *d, const char *msg, const char *key, const char *value)
{
	char *text = wd_log(d);
	json_t *found = NULL;
	for (char *line = text ? strtok(text, "\n") : NULL; line && !found;
	     line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		const char *m = json_string_value(json_object_get(j, "msg"));
		const char *v = key ? json_string_value(json_object_get(j, key)) : NULL;
		if (m && !strcmp(m, msg) && (!key || (v && !strcmp(v, value))))
			found = j;
		else
			json_decref(j);
	}
	free(text);
	return found;
}

/* Polls for such a line up to timeout_ms. */
static json_t *wait_line(const wd *d, const char *msg, const char *key, const char *value,
                         int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	json_t *j;
	while (!(j = log_line(d, msg, key, value)) && ts_now_ms() < end)
		usleep(20000);
	if (!j) {
		char *text = wd_log(d);
		fprintf(stderr, "no log line '%s'; the log:\n%s\n", msg, text ? text : "");
		free(text);
	}
	return j;
}

static void post(const wd *d, const char *yaml)
{
	http_resp r;
	assert_int_equal(http_do(d->url, "POST", "/v1/apply", NULL, "application/yaml", yaml,
	                         strlen(yaml), &r),
	                 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
}

/* Atomic mode with a device whose confirm fails: the transaction's start,
 * each device's result and duration, and the failed outcome, typed. */
static void test_log_transaction(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-ops-txn"), 0);
	char root[600];
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	const char *extra[] = {"--txn-mode", "atomic",     "--file-root", root, "--log-format",
	                       "json",       "--quiet-ms", "20",          NULL};
	setenv("WEFT_FILE_FAULT_CONFIRM", "default/bad", 1);
	int started = wd_start(&d, extra);
	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	assert_int_equal(started, 0);
	post(&d, SVC "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: good}\n"
	             "spec: {type: file, options: {directory: good}}\n"
	             "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: bad}\n"
	             "spec: {type: file, options: {directory: bad}}\n");
	json_t *fail = wait_line(&d, "transaction failed", NULL, NULL, 15000);
	assert_non_null(fail);
	assert_true(json_is_integer(json_object_get(fail, "id")));
	assert_true(json_is_integer(json_object_get(fail, "duration_ms")));
	assert_string_equal(json_string_value(json_object_get(fail, "level")), "error");
	json_t *start = log_line(&d, "transaction started", NULL, NULL);
	assert_non_null(start);
	assert_int_equal(json_integer_value(json_object_get(start, "devices")), 2);
	assert_int_equal(json_integer_value(json_object_get(start, "revision")), 1);
	json_t *bad = log_line(&d, "transaction device", "device", "default/bad");
	assert_non_null(bad);
	assert_string_equal(json_string_value(json_object_get(bad, "result")), "failed");
	assert_true(json_is_integer(json_object_get(bad, "duration_ms")));
	assert_non_null(strstr(json_string_value(json_object_get(bad, "error")),
	                       "WEFT_FILE_FAULT_CONFIRM"));
	json_t *good = log_line(&d, "transaction device", "device", "default/good");
	assert_non_null(good);
	json_t *rev = log_line(&d, "revision stored", NULL, NULL);
	assert_non_null(rev);
	assert_int_equal(json_integer_value(json_object_get(rev, "revision")), 1);
	/* the API's own line has a numeric status too */
	json_t *req = log_line(&d, "api request", "path", "/v1/apply");
	assert_non_null(req);
	assert_int_equal(json_integer_value(json_object_get(req, "status")), 200);
	json_decref(fail);
	json_decref(start);
	json_decref(bad);
	json_decref(good);
	json_decref(rev);
	json_decref(req);
	wd_cleanup(&d);
}

/* Appends a byte to the first *.json file under dir (a hand edit). */
static int edit_one_file(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int rc = -1;
	while (dh && rc != 0 && (e = readdir(dh))) {
		char path[1200];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = edit_one_file(path);
		} else if (strstr(e->d_name, ".json")) {
			FILE *f = fopen(path, "a");
			rc = f && fputs(" ", f) >= 0 ? 0 : -1;
			if (f)
				fclose(f);
		}
	}
	if (dh)
		closedir(dh);
	return rc;
}

/* Independent mode: a push, a failed push (the directory is a file), a
 * drift found and repaired; the device series in /metrics. */
static void test_log_pushes_drift_and_metrics(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-ops-drift"), 0);
	char root[600], blocker[700];
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	snprintf(blocker, sizeof(blocker), "%s/blocked", root);
	assert_int_equal(ts_write_file(blocker, "not a directory\n"), 0);
	const char *extra[] = {
	        "--file-root", root,         "--log-format", "json", "--reconcile-ms",
	        "200",         "--quiet-ms", "20",           NULL};
	assert_int_equal(wd_start(&d, extra), 0);
	post(&d, SVC "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: edge}\n"
	             "spec: {type: file, drift: repair, options: {directory: edge}}\n"
	             "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: stuck}\n"
	             "spec: {type: file, options: {directory: blocked/sub}}\n");
	json_t *pushed = wait_line(&d, "device pushed", "device", "default/edge", 15000);
	assert_non_null(pushed);
	assert_int_equal(json_integer_value(json_object_get(pushed, "revision")), 1);
	assert_true(json_is_integer(json_object_get(pushed, "duration_ms")));
	json_t *failed = wait_line(&d, "push failed", "device", "default/stuck", 15000);
	assert_non_null(failed);
	assert_string_equal(json_string_value(json_object_get(failed, "level")), "warn");
	assert_true(strlen(json_string_value(json_object_get(failed, "error"))) > 0);

	char edge[700];
	snprintf(edge, sizeof(edge), "%s/edge", root);
	assert_int_equal(edit_one_file(edge), 0);
	json_t *found = wait_line(&d, "drift found", "device", "default/edge", 15000);
	assert_non_null(found);
	assert_true(json_integer_value(json_object_get(found, "differences")) >= 1);
	json_t *repaired = wait_line(&d, "drift repaired", "device", "default/edge", 15000);
	assert_non_null(repaired);

	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/metrics", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	if (!strstr(r.body, "weft_device_state{device=\"default/stuck\",kind=\"file\",state="
	                    "\"error\"} 1"))
		fprintf(stderr, "metrics:\n%s\n", r.body);
	assert_non_null(strstr(r.body, "weft_device_state{device=\"default/stuck\",kind=\"file\","
	                               "state=\"error\"} 1"));
	assert_non_null(strstr(r.body, "weft_device_state{device=\"default/edge\",kind=\"file\","
	                               "state=\"error\"} 0"));
	assert_non_null(
	        strstr(r.body, "weft_device_revision{device=\"default/edge\",kind=\"file\"} 1"));
	assert_non_null(strstr(r.body, "weft_device_last_push_timestamp_seconds{device=\"default/"
	                               "edge\",kind=\"file\"} 1"));
	assert_non_null(strstr(r.body, "weft_device_last_push_duration_seconds{device=\"default/"
	                               "edge\",kind=\"file\"} "));
	char *bi = strstr(r.body, "weft_build_info{version=\"");
	assert_non_null(bi);
	assert_null(strstr(bi, "commit=\"unknown\""));
	http_resp_free(&r);
	json_decref(pushed);
	json_decref(failed);
	json_decref(found);
	json_decref(repaired);
	wd_cleanup(&d);
}

static void test_weftd_version(void **state)
{
	(void)state;
	char bin[1024], *out = NULL;
	snprintf(bin, sizeof(bin), "%s/weftd", ts_bin_dir());
	const char *argv[] = {bin, "--version", NULL};
	assert_int_equal(ts_run(argv, &out, 10000), 0);
	assert_non_null(strstr(out, "weftd 0."));
	assert_non_null(strstr(out, "(commit "));
	assert_null(strstr(out, "unknown"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_log_transaction),
	        cmocka_unit_test(test_log_pushes_drift_and_metrics),
	        cmocka_unit_test(test_weftd_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
