/* Integration test of weftd --policy DIR: the initial load, then edits,
 * new files, new sub-directories and removals each become one revision
 * (author "policy-dir") within a bounded wait; an invalid file is logged
 * with file:line:col and the running revision is kept. A directory
 * replaced both ways (`mv pol.new pol`, `rm -rf pol; mkdir pol`) is
 * followed: later edits are applied, and while it is missing the revision
 * stays and a warning is logged. Two symbolic link loops at start: weftd
 * becomes ready with one error per loop, and applies once they are gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

static const char new_service[] = "apiVersion: weft/v1\n"
                                  "kind: Service\n"
                                  "metadata:\n"
                                  "  name: pay\n"
                                  "  namespace: shop\n"
                                  "spec:\n"
                                  "  protocol: http\n"
                                  "  ports:\n"
                                  "  - name: http\n"
                                  "    port: 8080\n"
                                  "  endpoints:\n"
                                  "  - address: 10.0.0.1\n";

static const char bad_service[] = "apiVersion: weft/v1\n"
                                  "kind: Service\n"
                                  "metadata:\n"
                                  "  name: broken\n"
                                  "  namespace: shop\n"
                                  "spec:\n"
                                  "  protocol: http\n"
                                  "  ports:\n"
                                  "  - name: http\n"
                                  "    port: 80\n"
                                  "  portz: 80\n";

static int setup(void **state)
{
	wd *d = calloc(1, sizeof(*d));
	if (!d || wd_init(d, "weft-it-watch") != 0)
		return -1;
	*state = d;
	return chdir(d->dir);
}

static int teardown(void **state)
{
	wd_cleanup(*state);
	free(*state);
	return 0;
}

/* Copies the *.yaml files of src into dst. */
static void copy_yaml(const char *src, const char *dst)
{
	DIR *dir = opendir(src);
	assert_non_null(dir);
	struct dirent *e;
	while ((e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
			continue;
		char from[2048], to[2048];
		snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", dst, e->d_name);
		char *text = ts_read_file(from, NULL);
		assert_non_null(text);
		assert_int_equal(ts_write_file(to, text), 0);
		free(text);
	}
	closedir(dir);
}

static long get_status(const wd *d, const char *path)
{
	http_resp r;
	if (http_do(d->url, "GET", path, NULL, NULL, NULL, 0, &r) != 0)
		return -1;
	long s = r.status;
	http_resp_free(&r);
	return s;
}

static int log_contains(const wd *d, const char *text, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	do {
		char *log = wd_log(d);
		int found = strstr(log, text) != NULL;
		free(log);
		if (found)
			return 1;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	} while (ts_now_ms() < end);
	return 0;
}

/* Replaces the first occurrence of from by to in file path. */
static void edit_file(const char *path, const char *from, const char *to)
{
	char *text = ts_read_file(path, NULL);
	assert_non_null(text);
	char *at = strstr(text, from);
	assert_non_null(at);
	size_t len = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(len);
	snprintf(out, len, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	assert_int_equal(ts_write_file(path, out), 0);
	free(out);
	free(text);
}

static void test_policy_dir(void **state)
{
	wd *d = *state;
	char policy[600], examples[1024], path[700];
	snprintf(policy, sizeof(policy), "%s/policy", d->dir);
	snprintf(examples, sizeof(examples), "%s/examples/policy", ts_source_dir());
	assert_int_equal(mkdir(policy, 0755), 0);
	copy_yaml(examples, policy);
	const char *extra[] = {"--policy", policy, NULL};
	assert_int_equal(wd_start(d, extra), 0);
	/* the initial load happened before the ready file */
	assert_int_equal(wd_head(d, NULL), 1);
	http_resp r;
	assert_int_equal(http_do(d->url, "GET", "/v1/revisions", NULL, NULL, NULL, 0, &r), 0);
	json_t *rev = json_array_get(json_object_get(r.json, "revisions"), 0);
	assert_string_equal(json_string_value(json_object_get(rev, "author")), "policy-dir");
	http_resp_free(&r);

	/* a new file */
	snprintf(path, sizeof(path), "%s/pay.yaml", policy);
	assert_int_equal(ts_write_file(path, new_service), 0);
	assert_int_equal(wd_wait_head(d, 2, 5000), 0);
	assert_int_equal(get_status(d, "/v1/services/shop/pay"), 200);

	/* an invalid file: logged with its position, the revision stays */
	char bad[700], want[800];
	snprintf(bad, sizeof(bad), "%s/bad.yaml", policy);
	assert_int_equal(ts_write_file(bad, bad_service), 0);
	snprintf(want, sizeof(want), "at=%s:11:3", bad);
	assert_true(log_contains(d, want, 5000));
	assert_true(log_contains(d, "policy rejected, keeping the running revision", 2000));
	assert_int_equal(wd_head(d, NULL), 2);
	assert_int_equal(unlink(bad), 0);

	/* an edit of an existing file */
	snprintf(path, sizeof(path), "%s/routes.yaml", policy);
	edit_file(path, "weight: 80", "weight: 70");
	edit_file(path, "weight: 20", "weight: 30");
	assert_int_equal(wd_wait_head(d, 3, 5000), 0);
	assert_int_equal(wd_head(d, NULL), 3);

	/* a new sub-directory with a file in it */
	char sub[700];
	snprintf(sub, sizeof(sub), "%s/team", policy);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/team/pay2.yaml", policy);
	char *doc = strdup(new_service);
	memcpy(strstr(doc, "name: pay\n"), "name: pa2\n", 10);
	assert_int_equal(ts_write_file(path, doc), 0);
	free(doc);
	assert_int_equal(wd_wait_head(d, 4, 5000), 0);
	assert_int_equal(get_status(d, "/v1/services/shop/pa2"), 200);

	/* a removal deletes the resource (the directory is the whole policy) */
	snprintf(path, sizeof(path), "%s/pay.yaml", policy);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(wd_wait_head(d, 5, 5000), 0);
	assert_int_equal(get_status(d, "/v1/services/shop/pay"), 404);
	assert_int_equal(wd_stop(d), 0);
}

/* Polls GET path until it answers want, up to timeout_ms. */
static int wait_status(const wd *d, const char *path, long want, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	do {
		if (get_status(d, path) == want)
			return 1;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	} while (ts_now_ms() < end);
	return 0;
}

/* Writes the pay service under another name into dir/NAME.yaml. */
static void put_service(const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	char *doc = strdup(new_service);
	memcpy(strstr(doc, "name: pay\n") + 6, name, 3); /* names of 3 letters */
	assert_int_equal(ts_write_file(path, doc), 0);
	free(doc);
}

static int count_in_log(const wd *d, const char *text)
{
	char *log = wd_log(d);
	int n = 0;
	for (const char *p = log; (p = strstr(p, text)); p += strlen(text))
		n++;
	free(log);
	return n;
}

static void test_replaced_dir(void **state)
{
	wd *d = *state;
	char policy[600], fresh[700], old[700], examples[1024];
	snprintf(policy, sizeof(policy), "%s/pol", d->dir);
	snprintf(fresh, sizeof(fresh), "%s/pol.new", d->dir);
	snprintf(old, sizeof(old), "%s/pol.old", d->dir);
	snprintf(examples, sizeof(examples), "%s/examples/policy", ts_source_dir());
	assert_int_equal(mkdir(policy, 0755), 0);
	copy_yaml(examples, policy);
	const char *extra[] = {"--policy", policy, NULL};
	assert_int_equal(wd_start(d, extra), 0);
	assert_int_equal(wd_head(d, NULL), 1);

	/* mv pol pol.old; mv pol.new pol: the new directory is loaded ... */
	assert_int_equal(mkdir(fresh, 0755), 0);
	copy_yaml(examples, fresh);
	put_service(fresh, "pab");
	assert_int_equal(rename(policy, old), 0);
	assert_int_equal(rename(fresh, policy), 0);
	assert_true(wait_status(d, "/v1/services/shop/pab", 200, 5000));
	/* ... and watched: an edit in it is applied */
	put_service(policy, "pac");
	assert_true(wait_status(d, "/v1/services/shop/pac", 200, 5000));
	long long head = wd_head(d, NULL);

	/* rm -rf pol: a warning, the running revision stays ... */
	ts_rmtree(policy);
	assert_true(log_contains(d, "policy directory is missing", 5000));
	assert_int_equal(wd_head(d, NULL), head);
	assert_int_equal(get_status(d, "/v1/services/shop/pac"), 200);
	/* ... SIGHUP while missing applies nothing either ... */
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_true(log_contains(d, "SIGHUP: reloading policy", 5000));
	assert_int_equal(get_status(d, "/v1/services/shop/pac"), 200);
	/* ... mkdir pol: watched again, its files applied, then an edit */
	assert_int_equal(mkdir(policy, 0755), 0);
	copy_yaml(examples, policy);
	put_service(policy, "pad");
	assert_true(wait_status(d, "/v1/services/shop/pad", 200, 5000));
	assert_true(wait_status(d, "/v1/services/shop/pac", 404, 5000)); /* not in the new one */
	put_service(policy, "pae");
	assert_true(wait_status(d, "/v1/services/shop/pae", 200, 5000));
	assert_true(log_contains(d, "policy directory is back", 1000));
	assert_int_equal(wd_head(d, NULL) > head, 1);
	assert_int_equal(wd_stop(d), 0);
}

/* Two symbolic link loops at start: weftd becomes ready with the running
 * (empty) revision and one error naming each loop; once they are removed
 * the directory is applied. */
static void test_two_loops_at_start(void **state)
{
	wd *d = *state;
	char policy[600], examples[1024], sub[700], link1[800], link2[800];
	snprintf(policy, sizeof(policy), "%s/pol", d->dir);
	snprintf(examples, sizeof(examples), "%s/examples/policy", ts_source_dir());
	assert_int_equal(mkdir(policy, 0755), 0);
	copy_yaml(examples, policy);
	snprintf(sub, sizeof(sub), "%s/a", policy);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/b", policy);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(link1, sizeof(link1), "%s/a/up", policy);
	snprintf(link2, sizeof(link2), "%s/b/up", policy);
	assert_int_equal(symlink("..", link1), 0);
	assert_int_equal(symlink("..", link2), 0);
	const char *extra[] = {"--policy", policy, NULL};
	long long t0 = ts_now_ms();
	assert_int_equal(wd_start(d, extra), 0);
	assert_true(ts_now_ms() - t0 < 10000);
	assert_int_equal(wd_head(d, NULL), 0);
	char want[900];
	snprintf(want, sizeof(want), "at=%s path=\"\" error=\"symbolic link loop", link1);
	assert_int_equal(count_in_log(d, want), 1);
	snprintf(want, sizeof(want), "at=%s path=\"\" error=\"symbolic link loop", link2);
	assert_int_equal(count_in_log(d, want), 1);
	assert_int_equal(count_in_log(d, "symbolic link loop"), 2);
	assert_int_equal(count_in_log(d, "policy rejected, keeping the running revision"), 1);
	assert_int_equal(unlink(link1), 0);
	assert_int_equal(unlink(link2), 0);
	assert_int_equal(wd_wait_head(d, 1, 5000), 0);
	assert_int_equal(wd_stop(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_policy_dir, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_replaced_dir, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_two_loops_at_start, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
