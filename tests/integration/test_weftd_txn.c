/* weftd with --txn-mode atomic and file devices: an apply becomes one
 * committed transaction visible in /v1/transactions and `weftctl
 * transactions`; ?mode= is validated; a prepare failure (a device whose
 * directory cannot be created) aborts the transaction and leaves the other
 * device's files exactly as they were; with the file adapter's confirm
 * fault knob, a confirmed device is reverted and a deleted Device's
 * pending removal shows in `weftctl plan`. */
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

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: %d}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: good}\n"
        "spec: {type: file, options: {directory: out-good}}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: other}\n"
        "spec: {type: file, pushGroup: 1, options: {directory: %s}}\n";

static long long apply(wd *d, int port, const char *other_dir, const char *query)
{
	char text[2048], path[128];
	snprintf(text, sizeof(text), POLICY, port, other_dir);
	snprintf(path, sizeof(path), "/v1/apply%s", query);
	http_resp r;
	assert_int_equal(
	        http_do(d->url, "POST", path, NULL, "application/yaml", text, strlen(text), &r), 0);
	long status = r.status;
	long long rev = json_integer_value(json_object_get(r.json, "revision"));
	http_resp_free(&r);
	return status == 200 ? rev : -status;
}

/* Polls /v1/transactions until one for rev is recorded; its JSON or NULL. */
static json_t *txn_for(wd *d, long long rev)
{
	long long end = ts_now_ms() + 10000;
	while (ts_now_ms() < end) {
		http_resp r;
		if (http_do(d->url, "GET", "/v1/transactions", NULL, NULL, NULL, 0, &r) == 0) {
			size_t i;
			json_t *t, *found = NULL;
			json_array_foreach(
			        json_object_get(r.json, "transactions"), i,
			        t) if (json_integer_value(json_object_get(t, "revision")) == rev)
			        found = t;
			json_incref(found);
			http_resp_free(&r);
			if (found)
				return found;
		}
		usleep(50000);
	}
	return NULL;
}

static char *good_service(wd *d)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/files/out-good/services/default/svc.json", d->dir);
	return ts_read_file(path, NULL);
}

static void test_atomic_transactions(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-txn"), 0);
	char root[600], blocker[700];
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	snprintf(blocker, sizeof(blocker), "%s/blocker", root);
	assert_int_equal(ts_write_file(blocker, "a file, not a directory\n"), 0);
	const char *extra[] = {"--txn-mode", "atomic", "--file-root", root,
	                       "--quiet-ms", "20",     NULL};
	assert_int_equal(wd_start(&d, extra), 0);

	assert_int_equal(apply(&d, 8080, "out-other", "?mode=bogus"), -400);
	long long rev = apply(&d, 8080, "out-other", "");
	assert_true(rev > 0);
	json_t *t = txn_for(&d, rev);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "committed");
	assert_int_equal(json_array_size(json_object_get(t, "devices")), 2);
	json_decref(t);
	char *before = good_service(&d);
	assert_non_null(before);
	assert_non_null(strstr(before, "8080"));

	/* "other" now points below a regular file: its prepare fails, so the
	 * good device must not change either. */
	rev = apply(&d, 9090, "blocker/other", "?mode=atomic");
	assert_true(rev > 0);
	t = txn_for(&d, rev);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "aborted");
	assert_non_null(strstr(json_string_value(json_object_get(t, "cause")), "default/other"));
	json_decref(t);
	char *after = good_service(&d);
	assert_string_equal(before, after);

	char *out = NULL;
	assert_int_equal(wctl_run(&d, &out, "transactions", NULL), 0);
	assert_non_null(strstr(out, "committed"));
	assert_non_null(strstr(out, "aborted"));
	free(out);
	free(before);
	free(after);
	assert_int_equal(wd_stop(&d), 0);
	wd_cleanup(&d);
}

static const char *GOOD_ONLY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: %d}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: good}\n"
        "spec: {type: file, options: {directory: out-good}}\n";

static long long post_yaml(wd *d, const char *text)
{
	http_resp r;
	assert_int_equal(http_do(d->url, "POST", "/v1/apply", NULL, "application/yaml", text,
	                         strlen(text), &r),
	                 0);
	assert_int_equal(r.status, 200);
	long long rev = json_integer_value(json_object_get(r.json, "revision"));
	http_resp_free(&r);
	return rev;
}

static json_t *device_in(json_t *txn, const char *name)
{
	size_t i;
	json_t *dev;
	json_array_foreach(json_object_get(txn, "devices"), i, dev)
	{
		if (!strcmp(json_string_value(json_object_get(dev, "name")), name))
			return dev;
	}
	return NULL;
}

/* weftd started with WEFT_FILE_FAULT_CONFIRM=default/other (docs/weftd.md):
 * adding "other" fails at its confirm, so "good", which confirmed, is
 * reverted and holds the previous revision, as the record says; deleting
 * "good" (onDelete remove) then fails the same way, is rolled back, and
 * `weftctl plan` shows the pending removal. */
static void test_confirm_fault_and_deleted_device(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-txnfault"), 0);
	char root[600];
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	const char *extra[] = {"--txn-mode", "atomic", "--file-root", root,
	                       "--quiet-ms", "20",     NULL};
	setenv("WEFT_FILE_FAULT_CONFIRM", "default/other", 1);
	int started = wd_start(&d, extra);
	unsetenv("WEFT_FILE_FAULT_CONFIRM"); /* weftd has its copy */
	assert_int_equal(started, 0);

	char text[2048], good_only[2048];
	snprintf(good_only, sizeof(good_only), GOOD_ONLY, 8080);
	long long r1 = post_yaml(&d, good_only);
	json_t *t = txn_for(&d, r1);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "committed");
	json_decref(t);

	snprintf(text, sizeof(text), POLICY, 9090, "out-other");
	long long r2 = post_yaml(&d, text);
	t = txn_for(&d, r2);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "rolled-back");
	json_t *good = device_in(t, "default/good"), *other = device_in(t, "default/other");
	assert_string_equal(json_string_value(json_object_get(good, "result")), "reverted");
	assert_int_equal(json_integer_value(json_object_get(good, "revision")), r1);
	assert_string_equal(json_string_value(json_object_get(other, "result")), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(other, "error")),
	                       "WEFT_FILE_FAULT_CONFIRM"));
	json_decref(t);
	char *held = good_service(&d);
	assert_non_null(held);
	assert_non_null(strstr(held, "8080"));
	free(held);

	http_resp r;
	assert_int_equal(
	        http_do(d.url, "DELETE", "/v1/devices/default/good", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	long long r3 = r.revision > 0 ? r.revision
	                              : json_integer_value(json_object_get(r.json, "revision"));
	http_resp_free(&r);
	t = txn_for(&d, r3);
	assert_non_null(t);
	/* A removal runs the groups in reverse: other (group 1) fails its
	 * confirm before good (group 0) confirms, so good is rolled back. */
	assert_string_equal(
	        json_string_value(json_object_get(device_in(t, "default/good"), "result")),
	        "rolled-back");
	json_decref(t);
	held = good_service(&d);
	assert_non_null(held); /* its removal was rolled back with the rest */
	free(held);
	char *out = NULL;
	assert_int_equal(wctl_run(&d, &out, "plan", NULL), 0);
	assert_non_null(strstr(out, "device default/good (file, deleted: onDelete remove)"));
	assert_non_null(strstr(out, "services/default/svc.json"));
	free(out);
	assert_int_equal(wd_stop(&d), 0);
	wd_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_atomic_transactions),
	                                   cmocka_unit_test(test_confirm_fault_and_deleted_device)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
