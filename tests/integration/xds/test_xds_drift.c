/* xDS drift is what proxies ACKed vs the intent (docs/adapter-xds.md,
 * "Feeds and views"): the real weftd with --xds and an xds Device
 * (spec.drift: alert, a 200 ms drift check) whose proxies are xdsfleet
 * clients. Proxies that NACK everything make the Device "drift", the
 * first difference naming a resource they were sent; once proxies that
 * ACK replace them, the Device is in sync again. Before, the adapter
 * compared the intent with the server's own summary of what it published,
 * which NACKs never change: the Device stayed "in-sync". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: 8080}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: mesh}\n"
        "spec: {type: xds, drift: alert, options: {nodeMatch: {idPrefix: drift-}}}\n";

/* The status object of device default/mesh (caller decrefs), or NULL. */
static json_t *mesh_status(wd *d)
{
	http_resp r;
	if (http_do(d->url, "GET", "/v1/status", NULL, NULL, NULL, 0, &r))
		return NULL;
	json_t *found = NULL, *dev;
	size_t i;
	json_array_foreach(json_object_get(r.json, "devices"), i, dev)
	{
		if (!strcmp(json_string_value(json_object_get(dev, "name")), "default/mesh"))
			found = json_incref(dev);
	}
	http_resp_free(&r);
	return found;
}

/* Waits (bounded) until the device's state is want; its status or NULL. */
static json_t *wait_state(wd *d, const char *want, int timeout_ms)
{
	for (long long end = ts_now_ms() + timeout_ms; ts_now_ms() < end; usleep(50000)) {
		json_t *st = mesh_status(d);
		const char *state = json_string_value(json_object_get(st, "state"));
		if (state && !strcmp(state, want))
			return st;
		json_decref(st);
	}
	return NULL;
}

static pid_t start_fleet(int xds_port, const char *nack_share, const char *log)
{
	char server[64];
	snprintf(server, sizeof(server), "127.0.0.1:%d", xds_port);
	const char *argv[] = {XDSFLEET_BIN,    "--server",   server,    "--clients", "2",
	                      "--node-prefix", "drift-",     "--types", "cds,eds",   "--nack-share",
	                      nack_share,      "--duration", "60",      NULL};
	return ts_spawn(argv, log);
}

static void test_nacks_are_drift(void **state)
{
	(void)state;
	wd d;
	assert_int_equal(wd_init(&d, "weft-it-xdsdrift"), 0);
	int xport = ts_free_port();
	char xds[64], flog[700];
	snprintf(xds, sizeof(xds), "127.0.0.1:%d", xport);
	snprintf(flog, sizeof(flog), "%s/fleet.log", d.dir);
	const char *extra[] = {"--xds", xds, "--reconcile-ms", "200", NULL};
	assert_int_equal(wd_start(&d, extra), 0);
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", POLICY,
	                         strlen(POLICY), &r),
	                 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	json_t *st = wait_state(&d, "in-sync", 10000);
	assert_non_null(st);
	json_decref(st);

	/* Proxies that NACK what they are sent: drift, naming a resource. */
	pid_t fleet = start_fleet(xport, "1", flog);
	assert_true(fleet > 0);
	st = wait_state(&d, "drift", 15000);
	if (!st) {
		char *log = wd_log(&d);
		fprintf(stderr, "weftd log:\n%s\n", log);
		free(log);
	}
	assert_non_null(st);
	const char *first =
	        json_string_value(json_object_get(json_object_get(st, "drift"), "first"));
	assert_non_null(first);
	assert_true(strstr(first, "cds/") || strstr(first, "eds/"));
	json_decref(st);
	ts_stop(fleet, 5000);

	/* Proxies that ACK: the ACKs match the intent, in sync again. */
	fleet = start_fleet(xport, "0", flog);
	assert_true(fleet > 0);
	st = wait_state(&d, "in-sync", 15000);
	assert_non_null(st);
	assert_true(json_is_null(json_object_get(st, "drift")));
	json_decref(st);
	ts_stop(fleet, 5000);
	assert_int_equal(wd_stop(&d), 0);
	wd_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nacks_are_drift),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
