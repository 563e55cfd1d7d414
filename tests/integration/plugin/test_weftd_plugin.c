/* Adapter plugins in the real weftd (docs/architecture.md "The adapter
 * contract"): a plugin built apart from weft (stamp_plugin.c) that calls the
 * core's API loads into weftd --plugins DIR, and revisions pushed to its
 * Device pass through its apply (it writes the revision to a file). A
 * plugin that cannot be loaded stops weftd at start-up: exit 1, with the
 * file and the loader's reason in the message. */
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
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: edge}\n"
        "spec: {type: stamp}\n";

static long long apply(wd *d, int port)
{
	char text[1024];
	snprintf(text, sizeof(text), POLICY, port);
	http_resp r;
	assert_int_equal(http_do(d->url, "POST", "/v1/apply", NULL, "application/yaml", text,
	                         strlen(text), &r),
	                 0);
	assert_int_equal(r.status, 200);
	long long rev = json_integer_value(json_object_get(r.json, "revision"));
	http_resp_free(&r);
	return rev;
}

/* Waits (bounded) until the stamp file says the device is at rev. */
static int wait_stamp(const char *path, long long rev)
{
	char want[128];
	snprintf(want, sizeof(want), "default/edge %lld\n", rev);
	for (long long end = ts_now_ms() + 10000; ts_now_ms() < end; usleep(20000)) {
		char *text = ts_read_file(path, NULL);
		int ok = text && !strcmp(text, want);
		free(text);
		if (ok)
			return 0;
	}
	return -1;
}

static void test_plugin_in_weftd(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-plugin"), 0);
	char stamps[600], stamp[700];
	snprintf(stamps, sizeof(stamps), "%s/stamps", d.dir);
	assert_int_equal(mkdir(stamps, 0755), 0);
	snprintf(stamp, sizeof(stamp), "%s/edge.stamp", stamps);
	setenv("WEFT_STAMP_DIR", stamps, 1);
	const char *extra[] = {"--plugins", WEFT_STAMP_PLUGIN_DIR, NULL};
	assert_int_equal(wd_start(&d, extra), 0);

	long long r1 = apply(&d, 8080);
	assert_true(r1 > 0);
	assert_int_equal(wait_stamp(stamp, r1), 0);
	long long r2 = apply(&d, 8081);
	assert_true(r2 > r1);
	assert_int_equal(wait_stamp(stamp, r2), 0);

	char *log = wd_log(&d);
	assert_null(strstr(log, "undefined symbol"));
	free(log);
	assert_int_equal(wd_stop(&d), 0);
	wd_cleanup(&d);
	unsetenv("WEFT_STAMP_DIR");
}

static void test_broken_plugin_stops_weftd(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-it-plugin-broken");
	assert_non_null(dir);
	char bin[1024], st[1024], ready[1024];
	snprintf(bin, sizeof(bin), "%s/weftd", ts_bin_dir());
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	const char *argv[] = {bin,     "--state",     st,
	                      "--api", "127.0.0.1:0", "--ready-file",
	                      ready,   "--plugins",   WEFT_STAMP_BROKEN_DIR,
	                      NULL};
	char *out = NULL;
	int rc = ts_run(argv, &out, 15000);
	assert_non_null(out);
	if (rc != 1)
		fprintf(stderr, "weftd exited %d:\n%s\n", rc, out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, WEFT_STAMP_BROKEN_DIR "/weft_stamp_plugin_broken.so"));
	assert_non_null(strstr(out, "undefined symbol: weft_no_such_function"));
	assert_int_equal(access(ready, F_OK), -1); /* never became ready */
	free(out);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plugin_in_weftd),
	        cmocka_unit_test(test_broken_plugin_stops_weftd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
