/* Netconf adapter against ncsim, driven by the real controller (store,
 * compile, one worker thread per device): three devices pushed in
 * parallel (confirmed commit, plain candidate commit, writable-running);
 * an endpoint change sent as a minimal edit-config (asserted on ncsim's
 * RPC log); a rejected commit leaves the device unchanged with an error
 * status, then the core's retry succeeds; a lock held by another session
 * is a clear error naming its session id, then the retry after the
 * release succeeds; dropped sessions are reconnected; a hand edit shows
 * as drift in the plan; and a weft process killed between the confirmed
 * commit and the confirming commit leaves a device that rolls back by
 * itself after the confirm timeout. Label integration; ncsim by pid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller.h"
#include "ncdev.h"
#include "ncdev_adapter.h"
#include "ncit.h"
#include "testsupport.h"

struct fx {
	struct ncit_sim sim;
	char *dir;
	weft_controller *c;
};

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {protocol: tcp, ports: [{name: p, port: 80, targetPort: 8080}],\n"
        "  endpoints: [{address: 10.0.0.1}, {address: %s, weight: %d}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: edge}\n"
        "spec: {hosts: [shop.example.com], tcp: [{destinations: [{service: web}]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw}\n"
        "spec: {address: 192.0.2.10, listeners: [{name: l4, port: 80, protocol: tcp,"
        " hosts: [shop.example.com], routes: [edge]}]}\n";

static void policy_text(struct fx *f, char *buf, size_t len, const char *addr, int weight)
{
	snprintf(buf, len, POLICY, addr, weight);
	ncit_device_yaml(buf, len, "nc0", &f->sim, 0, NULL);
	ncit_device_yaml(buf, len, "nc1", &f->sim, 1, "  options: {commit: candidate}\n");
	ncit_device_yaml(buf, len, "nc2", &f->sim, 2, "  options: {commit: running}\n");
}

/* Applies the policy and waits until its pushes are done. */
static int64_t apply(struct fx *f, const char *addr, int weight)
{
	char text[8192];
	policy_text(f, text, sizeof(text), addr, weight);
	weft_docset docs;
	weft_diags diags;
	weft_docset_init(&docs);
	weft_diags_init(&diags);
	weft_write_result res = {0};
	weft_err err = {0};
	assert_int_equal(weft_docset_parse(&docs, "p.yaml", text, strlen(text), &diags), 0);
	int rc = weft_controller_apply(f->c, &docs, WEFT_APPLY_SYNC, "test", -1, 0, &res, &diags,
	                               &err);
	if (rc)
		weft_diags_print(stderr, &diags);
	assert_int_equal(rc, 0);
	int64_t rev = res.revision;
	weft_write_result_free(&res);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, rev, 30000), 0);
	return rev;
}

/* state and last_error of a device (static buffers). */
static const char *dev_state(struct fx *f, const char *name, const char **last_error)
{
	static char state[32], errbuf[1200];
	json_t *st = weft_controller_status(f->c);
	json_t *devs = json_object_get(st, "devices"), *d;
	size_t i;
	state[0] = errbuf[0] = 0;
	char key[64];
	snprintf(key, sizeof(key), "default/%s", name);
	json_array_foreach(devs, i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "name")), key))
			continue;
		snprintf(state, sizeof(state), "%s",
		         json_string_value(json_object_get(d, "state")));
		const char *e = json_string_value(json_object_get(d, "last_error"));
		snprintf(errbuf, sizeof(errbuf), "%s", e ? e : "");
	}
	json_decref(st);
	if (last_error)
		*last_error = errbuf;
	return state;
}

/* Waits (bounded) until the device is in-sync. */
static int wait_in_sync(struct fx *f, const char *name, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		if (!strcmp(dev_state(f, name, NULL), "in-sync"))
			return 0;
		usleep(50000);
	}
	return -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *extra[] = {"--writable-running-devices", "2", NULL};
	if (ncit_sim_start(&f->sim, 4, extra))
		return -1;
	weft_err err = {0};
	assert_int_equal(weft_adapter_register(ncdev_adapter(), 1, &err), 0);
	f->dir = ts_mkdtemp("ncit-ctl");
	weft_controller_opts opts = {.state_dir = f->dir, .quiet_ms = 20, .max_delay_ms = 200};
	f->c = weft_controller_open(&opts, &err);
	if (!f->c)
		fprintf(stderr, "controller: %s\n", err.msg);
	*state = f;
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->c)
		weft_controller_close(f->c);
	ncit_sim_stop(&f->sim);
	ts_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* The newest logged RPC of an op on device i (malloc'd xml), or NULL. */
static char *last_rpc(struct fx *f, int i, const char *op, int *count)
{
	char path[64];
	snprintf(path, sizeof(path), "/devices/%d/log", i);
	char *body = ncit_http(f->sim.control, "GET", path, NULL, NULL);
	json_t *j = body ? json_loads(body, 0, NULL) : NULL, *e;
	size_t k;
	char *xml = NULL;
	*count = 0;
	json_array_foreach(json_object_get(j, "entries"), k, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "op")), op))
			continue;
		(*count)++;
		free(xml);
		xml = strdup(json_string_value(json_object_get(e, "xml")));
	}
	json_decref(j);
	free(body);
	return xml;
}

static void clear_log(struct fx *f, int i)
{
	char path[64];
	snprintf(path, sizeof(path), "/devices/%d/log", i);
	free(ncit_http(f->sim.control, "DELETE", path, NULL, NULL));
}

static void test_apply_three_devices(void **state)
{
	struct fx *f = *state;
	apply(f, "10.0.0.2", 1);
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "nc%d", i);
		const char *e;
		const char *st = dev_state(f, name, &e);
		if (strcmp(st, "in-sync"))
			fail_msg("%s: %s: %s", name, st, e);
		char *run = ncit_running(&f->sim, i);
		assert_non_null(strstr(run, "<address>10.0.0.2</address>"));
		assert_non_null(strstr(run, "<name>default_gw_l4</name>"));
		assert_non_null(strstr(run, "<address>192.0.2.10</address>"));
		free(run);
	}
	int n;
	char *x = last_rpc(f, 0, "commit", &n);
	assert_int_equal(n, 2); /* confirmed commit + confirming commit */
	free(x);
	x = last_rpc(f, 1, "commit", &n);
	assert_int_equal(n, 1); /* a plain commit */
	free(x);
	x = last_rpc(f, 2, "edit-config", &n);
	assert_non_null(x);
	assert_non_null(strstr(x, "<running/>"));
	assert_non_null(strstr(x, "rollback-on-error"));
	free(x);
	/* Observed == desired everywhere: the plan is empty. */
	json_t *plan = NULL;
	weft_diags d;
	weft_diags_init(&d);
	weft_err err = {0};
	assert_int_equal(weft_controller_plan(f->c, NULL, &plan, &d, &err), 0);
	json_t *dev;
	size_t k;
	json_array_foreach(json_object_get(plan, "devices"), k, dev)
	        assert_int_equal(json_array_size(json_object_get(dev, "ops")), 0);
	json_decref(plan);
}

static void test_endpoint_change_is_minimal(void **state)
{
	struct fx *f = *state;
	clear_log(f, 0);
	apply(f, "10.0.0.3", 1);
	assert_string_equal(dev_state(f, "nc0", NULL), "in-sync");
	int n;
	char *x = last_rpc(f, 0, "edit-config", &n);
	assert_int_equal(n, 1);
	/* The new member created, the old one deleted (keys only), in both
	 * the service pool and the listener pool; the unchanged one absent. */
	assert_non_null(strstr(x, "nc:operation=\"create\""));
	assert_non_null(strstr(x, "nc:operation=\"delete\""));
	assert_non_null(strstr(x, "<address>10.0.0.3</address>"));
	assert_non_null(strstr(x, "<address>10.0.0.2</address><port>8080</port></member>"));
	assert_null(strstr(x, "10.0.0.1"));
	assert_null(strstr(x, "virtual-service"));
	assert_null(strstr(x, "operation=\"merge\""));
	free(x);
	char *run = ncit_running(&f->sim, 0);
	assert_null(strstr(run, "10.0.0.2"));
	assert_non_null(strstr(run, "10.0.0.3"));
	free(run);
}

static void test_rejected_commit(void **state)
{
	struct fx *f = *state;
	free(ncit_http(f->sim.control, "POST", "/devices/0/faults", "{\"reject_next_commit\":true}",
	               NULL));
	apply(f, "10.0.0.5", 1);
	const char *e;
	const char *st = dev_state(f, "nc0", &e);
	if (strcmp(st, "error") || !strstr(e, "default/nc0") || !strstr(e, "commit confirmed"))
		fail_msg("want an error on commit confirmed, got %s: %s", st, e);
	char *run = ncit_running(&f->sim, 0);
	assert_null(strstr(run, "10.0.0.5")); /* unchanged */
	assert_non_null(strstr(run, "10.0.0.3"));
	free(run);
	/* The fault was one-shot: the core's retry (1 s backoff) succeeds. */
	assert_int_equal(wait_in_sync(f, "nc0", 8000), 0);
	run = ncit_running(&f->sim, 0);
	assert_non_null(strstr(run, "10.0.0.5"));
	free(run);
}

static void test_lock_held_by_other_session(void **state)
{
	struct fx *f = *state;
	struct ncdev_session other = {0};
	snprintf(other.conn.key, sizeof(other.conn.key), "test/locker");
	snprintf(other.conn.address, sizeof(other.conn.address), "127.0.0.1");
	other.conn.port = f->sim.base + 0;
	snprintf(other.conn.username, sizeof(other.conn.username), "admin");
	snprintf(other.conn.cred_env, sizeof(other.conn.cred_env), "NCIT_PASSWORD");
	snprintf(other.conn.host_key, sizeof(other.conn.host_key), "%s", f->sim.fp);
	other.conn.timeout_ms = 5000;
	weft_err err = {0};
	if (ncdev_connect(&other, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ncdev_rpc(&other, nc_rpc_lock(NC_DATASTORE_CANDIDATE), "lock", NULL, &err),
	                 0);
	apply(f, "10.0.0.6", 1);
	const char *e;
	assert_string_equal(dev_state(f, "nc0", &e), "error");
	char want[64];
	snprintf(want, sizeof(want), "lock held by session %u", other.sid);
	if (!strstr(e, "lock-denied") || !strstr(e, want))
		fail_msg("unexpected error: %s (want %s)", e, want);
	/* Release: the retry goes through. */
	assert_int_equal(
	        ncdev_rpc(&other, nc_rpc_unlock(NC_DATASTORE_CANDIDATE), "unlock", NULL, &err), 0);
	ncdev_disconnect(&other);
	assert_int_equal(wait_in_sync(f, "nc0", 8000), 0);
	char *run = ncit_running(&f->sim, 0);
	assert_non_null(strstr(run, "10.0.0.6"));
	free(run);
}

static void test_reconnect_after_drop(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 3; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/devices/%d/drop-sessions", i);
		free(ncit_http(f->sim.control, "POST", path, NULL, NULL));
	}
	apply(f, "10.0.0.4", 1);
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "nc%d", i);
		const char *e;
		const char *st = dev_state(f, name, &e);
		if (strcmp(st, "in-sync"))
			fail_msg("%s after a dropped session: %s: %s", name, st, e);
		char *run = ncit_running(&f->sim, i);
		assert_non_null(strstr(run, "10.0.0.4"));
		free(run);
	}
}

static void test_drift_in_plan(void **state)
{
	struct fx *f = *state;
	char *run = ncit_running(&f->sim, 1);
	char *w = strstr(run, "<weight>1</weight>");
	assert_non_null(w);
	memcpy(w, "<weight>2</weight>", 18); /* a hand edit of one member */
	long status = 0;
	free(ncit_http(f->sim.control, "PUT", "/devices/1/datastore/running", run, &status));
	free(run);
	assert_int_equal(status, 200);
	json_t *plan = NULL;
	weft_diags d;
	weft_diags_init(&d);
	weft_err err = {0};
	assert_int_equal(weft_controller_plan(f->c, NULL, &plan, &d, &err), 0);
	json_t *dev;
	size_t k;
	int seen = 0;
	json_array_foreach(json_object_get(plan, "devices"), k, dev)
	{
		const char *name = json_string_value(json_object_get(dev, "device"));
		size_t ops = json_array_size(json_object_get(dev, "ops"));
		if (!strcmp(name, "default/nc1")) {
			seen = 1;
			assert_int_equal(ops, 2); /* the weight back to 1 + the edit */
			json_t *op = json_array_get(json_object_get(dev, "ops"), 0);
			assert_string_equal(json_string_value(json_object_get(op, "action")),
			                    "merge");
		} else {
			assert_int_equal(ops, 0);
		}
	}
	assert_true(seen);
	json_decref(plan);
}

static void test_killed_before_confirm_rolls_back(void **state)
{
	struct fx *f = *state;
	char policy[8192], file[600], marker[600], bin[600];
	snprintf(file, sizeof(file), "%s/kill.yaml", f->dir);
	snprintf(marker, sizeof(marker), "%s/applied", f->dir);
	snprintf(bin, sizeof(bin), "%s/ncdev_push", ts_bin_dir());
	/* Baseline on device 3, confirmed. */
	snprintf(policy, sizeof(policy), POLICY, "10.0.0.2", 1);
	ncit_device_yaml(policy, sizeof(policy), "nc3", &f->sim, 3,
	                 "  options: {commit: confirmed, confirmTimeout: 2s}\n");
	ts_write_file(file, policy);
	const char *argv1[] = {bin, file, "nc3", NULL};
	char *out = NULL;
	int rc = ts_run(argv1, &out, 30000);
	if (rc)
		fail_msg("baseline push: %s", out);
	free(out);
	/* The change, stopped after the confirmed commit, then SIGKILL. */
	snprintf(policy, sizeof(policy), POLICY, "10.0.0.99", 1);
	ncit_device_yaml(policy, sizeof(policy), "nc3", &f->sim, 3,
	                 "  options: {commit: confirmed, confirmTimeout: 2s}\n");
	ts_write_file(file, policy);
	const char *argv2[] = {bin, file, "nc3", "--stop-after", "apply", "--marker", marker, NULL};
	pid_t pid = ts_spawn(argv2, NULL);
	assert_true(pid > 0);
	int ok = ts_wait_path(marker, pid, 20000);
	ts_kill9(pid);
	assert_int_equal(ok, 0);
	long long killed = ts_now_ms();
	char *run = ncit_running(&f->sim, 3);
	assert_non_null(strstr(run, "10.0.0.99")); /* committed, not confirmed */
	free(run);
	long long back = 0;
	while (ts_now_ms() < killed + 8000 && !back) {
		run = ncit_running(&f->sim, 3);
		if (!strstr(run, "10.0.0.99") && strstr(run, "10.0.0.2"))
			back = ts_now_ms();
		free(run);
		usleep(100000);
	}
	assert_true(back > 0);
	/* Rolled back by the device's confirm timer (2 s), not at the kill. */
	assert_true(back - killed >= 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_apply_three_devices),
	        cmocka_unit_test(test_endpoint_change_is_minimal),
	        cmocka_unit_test(test_rejected_commit),
	        cmocka_unit_test(test_lock_held_by_other_session),
	        cmocka_unit_test(test_reconnect_after_drop),
	        cmocka_unit_test(test_drift_in_plan),
	        cmocka_unit_test(test_killed_before_confirm_rolls_back),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
