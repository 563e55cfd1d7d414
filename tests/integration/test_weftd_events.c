/* GET /v1/events and `weftctl events`: a follower started before an apply
 * sees the revision, the device status changes and the transaction, in
 * order, as server-sent events; a late follower resumes with --since; the
 * stream ends when weftd stops. Ids continue across a restart, a follower
 * asking for what the previous run sent is told of the gap, and an id from
 * the future is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: 8080}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: dev}\n"
        "spec: {type: file, options: {directory: out}}\n";

/* Waits (bounded) for pid to exit; its exit code or -1. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	int status;
	while (ts_now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(20000);
	}
	ts_stop(pid, 1000);
	return -1;
}

static long long unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_follow_apply(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-events"), 0);
	char root[600], out[700], bin[600];
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	snprintf(out, sizeof(out), "%s/events.out", d.dir);
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	const char *extra[] = {"--txn-mode", "atomic", "--file-root", root,
	                       "--quiet-ms", "20",     NULL};
	assert_int_equal(wd_start(&d, extra), 0);

	const char *argv[] = {bin,       "--server", d.url,       "-o", "json", "events",
	                      "--count", "3",        "--timeout", "20", NULL};
	pid_t follower = ts_spawn(argv, out);
	assert_true(follower > 0);
	usleep(300000); /* the follower connects before the change */
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", POLICY,
	                         strlen(POLICY), &r),
	                 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	assert_int_equal(wait_exit(follower, 20000), 0);

	char *text = ts_read_file(out, NULL);
	assert_non_null(text);
	/* revision, then the device, then the transaction */
	char *rev = strstr(text, "\"type\":\"revision\"");
	char *dev = strstr(text, "\"type\":\"device\"");
	char *txn = strstr(text, "\"type\":\"transaction\"");
	assert_non_null(rev);
	assert_non_null(dev);
	assert_non_null(txn);
	assert_true(rev < dev && dev < txn);
	assert_non_null(strstr(dev, "\"state\":\"in-sync\""));
	assert_non_null(strstr(txn, "\"outcome\":\"committed\""));
	free(text);

	/* Events carry the time they happened: replayed a second later, the
	 * revision event still says when the revision was stored. */
	http_resp hr;
	assert_int_equal(http_do(d.url, "GET", "/v1/revisions", NULL, NULL, NULL, 0, &hr), 0);
	json_int_t stored = json_integer_value(
	        json_object_get(json_array_get(json_object_get(hr.json, "revisions"), 0), "time"));
	http_resp_free(&hr);
	assert_true(stored > 0);
	for (int i = 0; i < 200 && unix_ms() < (long long)stored + 1500; i++)
		usleep(20000); /* until 1.5 s after the store, at most 4 s */
	char *replay = NULL;
	assert_int_equal(
	        wctl_run(&d, &replay, "-o", "json", "events", "--since", "0", "--count", "1", NULL),
	        0);
	json_t *ev = json_loads(replay, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(ev);
	json_int_t at = json_integer_value(json_object_get(json_object_get(ev, "data"), "time_ms"));
	assert_true(at >= stored - 1000 && at <= stored + 1000);
	json_decref(ev);
	free(replay);
	assert_int_equal(wctl_run(&d, &replay, "events", "--since", "0", "--count", "1", NULL), 0);
	char when[32];
	time_t at_s = (time_t)(at / 1000);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&at_s, &tm));
	if (strncmp(replay, when, strlen(when)))
		fprintf(stderr, "want %s, replay said: %s\n", when, replay);
	assert_memory_equal(replay, when, strlen(when));
	free(replay);

	/* A late follower resumes from the beginning with --since 0. */
	char *late = NULL;
	assert_int_equal(wctl_run(&d, &late, "events", "--since", "0", "--count", "2", NULL), 0);
	assert_non_null(strstr(late, "revision 1 by api"));
	assert_non_null(strstr(late, "default/dev (file) in-sync at revision 1"));
	free(late);

	/* A follower waiting when weftd stops sees the stream end. */
	const char *argv2[] = {bin, "--server", d.url, "events", "--timeout", "30", NULL};
	pid_t waiting = ts_spawn(argv2, out);
	usleep(300000);
	assert_int_equal(wd_stop(&d), 0);
	assert_int_equal(wait_exit(waiting, 10000), 0);
	wd_cleanup(&d);
}

/* The highest "id" of the JSON lines of `weftctl -o json events`. */
static long long max_id(const char *text)
{
	long long max = 0;
	for (const char *p = text; (p = strstr(p, "{\"id\":")); p++) {
		long long id = atoll(p + 6);
		if (id > max)
			max = id;
	}
	return max;
}

static void test_ids_across_restart(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-events-restart"), 0);
	char root[600];
	snprintf(root, sizeof(root), "%s/files", d.dir);
	mkdir(root, 0755);
	const char *extra[] = {"--file-root", root, NULL};
	assert_int_equal(wd_start(&d, extra), 0);
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", POLICY,
	                         strlen(POLICY), &r),
	                 0);
	http_resp_free(&r);
	/* the revision and the device's push, then nothing more for 1 s */
	char *out = NULL;
	assert_int_equal(wctl_run(&d, &out, "-o", "json", "events", "--since", "0", "--count", "2",
	                          "--timeout", "10", NULL),
	                 0);
	free(out);
	assert_int_equal(
	        wctl_run(&d, &out, "-o", "json", "events", "--since", "0", "--timeout", "1", NULL),
	        0);
	long long last = max_id(out);
	assert_true(last >= 2);
	free(out);
	assert_int_equal(wd_stop(&d), 0);

	assert_int_equal(wd_start(&d, extra), 0);
	const char *changed = "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
	                      "spec: {ports: [{name: http, port: 80}], endpoints: [{address: "
	                      "10.0.0.2, port: 8080}]}\n";
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", changed,
	                         strlen(changed), &r),
	                 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	/* replay from 0: first the gap (what the first run sent), then this
	 * run's events, numbered after the first run's */
	assert_int_equal(wctl_run(&d, &out, "-o", "json", "events", "--since", "0", "--count", "1",
	                          "--timeout", "10", NULL),
	                 0);
	char gap[200], next[64];
	snprintf(gap, sizeof(gap),
	         "{\"id\":%lld,\"type\":\"gap\",\"data\":{\"from\":1,\"to\":%lld,\"missed\":%lld}}"
	         "\n",
	         last, last, last);
	assert_non_null(strstr(out, gap));
	snprintf(next, sizeof(next), "{\"id\":%lld,", last + 1);
	assert_non_null(strstr(out, next));
	assert_true(strstr(out, gap) < strstr(out, next));
	free(out);
	/* the text form says so too */
	assert_int_equal(wctl_run(&d, &out, "events", "--since", "1", "--count", "1", "--timeout",
	                          "10", NULL),
	                 0);
	snprintf(gap, sizeof(gap), "events 2..%lld were missed (%lld)", last, last - 1);
	assert_non_null(strstr(out, gap));
	free(out);
	/* an id no weftd of this state directory gave is refused */
	assert_int_equal(wctl_run(&d, &out, "events", "--since", "999999", NULL), 1);
	assert_non_null(strstr(out, "HTTP 400: since: no event 999999 yet"));
	free(out);
	wd_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_follow_apply),
	                                   cmocka_unit_test(test_ids_across_restart)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
