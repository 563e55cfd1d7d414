/* Network-wide transactions (core/txn.c) with NETCONF devices on ncsim,
 * driven by the real controller in atomic mode, asserted on ncsim's RPC
 * log (docs/ncsim.md) and datastores:
 *   - the session of device b is killed (ncsim drop-sessions) between a's
 *     confirm and b's: b's confirming commit is sent again from a new
 *     session with the persist-id (RFC 6241 8.4), and the transaction
 *     commits on both;
 *   - a file device's confirm fails (WEFT_FILE_FAULT_CONFIRM) after the
 *     NETCONF device confirmed: the NETCONF device is reverted to the
 *     previous revision through a second edit-config + confirmed commit +
 *     confirm, and the record says "reverted" at that revision;
 *   - a deleted Device (spec.onDelete remove) gets its weft tree removed in
 *     a transaction; with onDelete keep nothing is sent.
 * Label integration; ncsim by pid on free loopback ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "controller.h"
#include "file_adapter.h"
#include "ncit.h"
#include "testsupport.h"

struct fx {
	struct ncit_sim sim;
	char *dir;
	weft_controller *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || ncit_sim_start(&f->sim, 2, NULL))
		return -1;
	f->dir = ts_mkdtemp("weft-nctxn");
	char st[4200];
	snprintf(st, sizeof(st), "%s/state", f->dir);
	weft_err err = {0};
	if (weft_register_builtin_adapters(&err))
		return -1;
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", f->dir);
	weft_controller_opts opts = {.state_dir = st,
	                             .quiet_ms = 10,
	                             .max_delay_ms = 100,
	                             .keep_revisions = 20,
	                             .reconcile_ms = -1,
	                             .atomic = 1,
	                             .adapter_config = cfg};
	f->c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	if (!f->c)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	weft_controller_close(f->c);
	ncit_sim_stop(&f->sim);
	ts_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* svc with endpoint port `port`, NETCONF device nc-a (ncsim 0, group 1)
 * and either nc-b (ncsim 1, group 2) or a file device (group 2). */
static int64_t store_b(struct fx *f, int port, int with_file, const char *b_extra);

static int64_t store(struct fx *f, int port, int with_file)
{
	return store_b(f, port, with_file, "");
}

static int64_t store_b(struct fx *f, int port, int with_file, const char *b_extra)
{
	char b_spec[256];
	snprintf(b_spec, sizeof(b_spec), "  pushGroup: 2\n%s", b_extra);
	char text[8192];
	snprintf(text, sizeof(text),
	         "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
	         "spec: {ports: [{name: http, port: 80}],"
	         " endpoints: [{address: 10.0.0.1, port: %d}]}\n",
	         port);
	ncit_device_yaml(text, sizeof(text), "nc-a", &f->sim, 0, "  pushGroup: 1\n");
	if (with_file) {
		size_t off = strlen(text);
		snprintf(text + off, sizeof(text) - off,
		         "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: files}\n"
		         "spec: {type: file, pushGroup: 2, options: {directory: out}}\n");
	} else {
		ncit_device_yaml(text, sizeof(text), "nc-b", &f->sim, 1, b_spec);
	}
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_err err = {0};
	weft_write_result res;
	assert_int_equal(weft_docset_parse(&docs, "t.yaml", text, strlen(text), &d), 0);
	int rc = weft_controller_apply(f->c, &docs, WEFT_APPLY_SYNC, "t", -1, 0, &res, &d, &err);
	if (rc)
		weft_diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	int64_t rev = res.revision;
	weft_write_result_free(&res);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	return rev;
}

/* The first record of revision rev (waits up to 20 s). */
static json_t *txn_of(struct fx *f, int64_t rev)
{
	long long end = ts_now_ms() + 20000;
	for (;;) {
		json_t *all = weft_controller_transactions(f->c), *t;
		size_t i;
		json_array_foreach(json_object_get(all, "transactions"), i, t)
		{
			if (json_integer_value(json_object_get(t, "revision")) == rev) {
				json_incref(t);
				json_decref(all);
				return t;
			}
		}
		json_decref(all);
		assert_true(ts_now_ms() < end);
		usleep(20000);
	}
}

static json_t *device_of(json_t *txn, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(txn, "devices"), i, d)
	{
		if (!strcmp(json_string_value(json_object_get(d, "name")), name))
			return d;
	}
	fail_msg("device %s not in the record", name);
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* ncsim device i's RPC log entries (array, referenced). */
static json_t *rpc_log(struct fx *f, int i)
{
	char path[64];
	snprintf(path, sizeof(path), "/devices/%d/log", i);
	char *body = ncit_http(f->sim.control, "GET", path, NULL, NULL);
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	free(body);
	json_t *e = json_incref(json_object_get(j, "entries"));
	json_decref(j);
	assert_non_null(e);
	return e;
}

static void clear_log(struct fx *f, int i)
{
	char path[64];
	snprintf(path, sizeof(path), "/devices/%d/log", i);
	free(ncit_http(f->sim.control, "DELETE", path, NULL, NULL));
}

/* Kinds of commit in a log entry. */
static int is_confirmed_commit(json_t *e)
{
	return !strcmp(str(e, "op"), "commit") && strstr(str(e, "xml"), "confirmed");
}

static int is_confirming_commit(json_t *e)
{
	return !strcmp(str(e, "op"), "commit") && !strstr(str(e, "xml"), "confirmed") &&
	       strstr(str(e, "xml"), "persist-id");
}

static int running_has_port(struct fx *f, int i, int port)
{
	char *xml = ncit_running(&f->sim, i);
	char want[32];
	snprintf(want, sizeof(want), ">%d<", port);
	int has = xml && strstr(xml, want);
	free(xml);
	return has;
}

struct killer {
	struct fx *f;
	int done;
};

/* Waits for a's confirming commit (logged when received; a answers it
 * after its latency), then drops every session of b: b's apply is over and
 * its confirm has not started (confirms run group by group). */
static void *kill_b_between_confirms(void *arg)
{
	struct killer *k = arg;
	long long end = ts_now_ms() + 20000;
	while (ts_now_ms() < end) {
		json_t *log = rpc_log(k->f, 0), *e;
		size_t i;
		int seen = 0;
		json_array_foreach(log, i, e) seen |= is_confirming_commit(e);
		json_decref(log);
		if (seen) {
			free(ncit_http(k->f->sim.control, "POST", "/devices/1/drop-sessions", "",
			               NULL));
			k->done = 1;
			return NULL;
		}
		usleep(5000);
	}
	return NULL;
}

static void test_confirm_retried_from_new_session(void **state)
{
	struct fx *f = *state;
	int64_t r1 = store(f, 41001, 0);
	json_t *t = txn_of(f, r1);
	assert_string_equal(str(t, "outcome"), "committed");
	json_decref(t);
	assert_true(running_has_port(f, 1, 41001));

	clear_log(f, 0);
	clear_log(f, 1);
	free(ncit_http(f->sim.control, "POST", "/devices/0/faults", "{\"latency_ms\":300}", NULL));
	struct killer k = {.f = f};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, kill_b_between_confirms, &k), 0);
	int64_t r2 = store(f, 41002, 0);
	t = txn_of(f, r2);
	pthread_join(th, NULL);
	free(ncit_http(f->sim.control, "POST", "/devices/0/faults", "{\"latency_ms\":0}", NULL));
	assert_true(k.done);
	if (strcmp(str(t, "outcome"), "committed"))
		fprintf(stderr, "record: %s\n", json_dumps(t, 0));
	assert_string_equal(str(t, "outcome"), "committed");
	assert_string_equal(str(device_of(t, "default/nc-b"), "result"), "applied");
	assert_int_equal(
	        json_integer_value(json_object_get(device_of(t, "default/nc-b"), "revision")), r2);
	json_decref(t);
	/* b's log: the confirmed commit on one session, the confirming commit
	 * (persist-id) on another one, opened after the drop. */
	json_t *log = rpc_log(f, 1), *e;
	size_t i;
	json_int_t commit_sid = -1, confirm_sid = -1;
	int confirms = 0;
	json_array_foreach(log, i, e)
	{
		if (is_confirmed_commit(e))
			commit_sid = json_integer_value(json_object_get(e, "session_id"));
		if (is_confirming_commit(e)) {
			confirm_sid = json_integer_value(json_object_get(e, "session_id"));
			confirms++;
		}
	}
	json_decref(log);
	fprintf(stderr, "nc-b: confirmed commit on session %lld, confirming commit on %lld\n",
	        (long long)commit_sid, (long long)confirm_sid);
	assert_true(commit_sid > 0);
	assert_true(confirm_sid > 0);
	assert_true(confirm_sid != commit_sid);
	assert_true(confirms >= 1);
	assert_true(running_has_port(f, 0, 41002));
	assert_true(running_has_port(f, 1, 41002));
	char *body = ncit_http(f->sim.control, "GET", "/devices/1", NULL, NULL);
	json_t *dev = body ? json_loads(body, 0, NULL) : NULL;
	free(body);
	assert_true(json_is_false(json_object_get(dev, "confirmed_commit_pending")));
	json_decref(dev);
}

static void test_confirmed_netconf_device_is_reverted(void **state)
{
	struct fx *f = *state;
	int64_t r1 = store(f, 42001, 1);
	json_t *t = txn_of(f, r1);
	assert_string_equal(str(t, "outcome"), "committed");
	json_decref(t);
	assert_true(running_has_port(f, 0, 42001));

	clear_log(f, 0);
	setenv("WEFT_FILE_FAULT_CONFIRM", "default/files", 1);
	int64_t r2 = store(f, 42002, 1);
	t = txn_of(f, r2);
	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	assert_string_equal(str(t, "outcome"), "rolled-back");
	json_t *a = device_of(t, "default/nc-a"), *files = device_of(t, "default/files");
	assert_string_equal(str(a, "result"), "reverted");
	assert_int_equal(json_integer_value(json_object_get(a, "revision")), r1);
	assert_string_equal(str(files, "result"), "failed");
	assert_int_equal(json_integer_value(json_object_get(files, "revision")), r1);
	assert_non_null(strstr(str(files, "error"), "WEFT_FILE_FAULT_CONFIRM"));
	json_decref(t);
	/* a's log: two confirmed commits, each confirmed (forward, revert). */
	json_t *log = rpc_log(f, 0), *e;
	size_t i;
	int commits = 0, confirms = 0, edits = 0;
	json_array_foreach(log, i, e)
	{
		commits += is_confirmed_commit(e);
		confirms += is_confirming_commit(e);
		edits += !strcmp(str(e, "op"), "edit-config");
	}
	json_decref(log);
	fprintf(stderr, "nc-a: %d edit-config, %d confirmed commits, %d confirming commits\n",
	        edits, commits, confirms);
	assert_int_equal(commits, 2);
	assert_int_equal(confirms, 2);
	assert_int_equal(edits, 2);
	assert_true(running_has_port(f, 0, 42001));
	assert_false(running_has_port(f, 0, 42002));
}

static int64_t delete_b(struct fx *f)
{
	weft_key key = {WEFT_KIND_DEVICE, "default", "nc-b"};
	weft_write_result res;
	weft_diags d;
	weft_diags_init(&d);
	weft_err err = {0};
	assert_int_equal(weft_controller_delete(f->c, &key, 1, "t", -1, &res, &d, &err), 0);
	int64_t rev = res.revision;
	weft_write_result_free(&res);
	weft_diags_free(&d);
	return rev;
}

/* Deleting nc-b (onDelete remove, the default) is a transaction that
 * empties weft's tree on ncsim device 1: an edit-config and a confirmed
 * commit there, nothing on nc-a; with onDelete keep nothing is sent. */
static void deleted_device(struct fx *f, int keep)
{
	int64_t r1 = store_b(f, 43001, 0, keep ? "  onDelete: keep\n" : "");
	json_t *t = txn_of(f, r1);
	assert_string_equal(str(t, "outcome"), "committed");
	json_decref(t);
	assert_true(running_has_port(f, 1, 43001));
	clear_log(f, 0);
	clear_log(f, 1);
	int64_t r2 = delete_b(f);
	assert_int_equal(weft_controller_wait_pushed(f->c, r2, 20000), 0);
	json_t *log = rpc_log(f, 1), *e;
	size_t i;
	int edits = 0, commits = 0;
	json_array_foreach(log, i, e)
	{
		edits += !strcmp(str(e, "op"), "edit-config");
		commits += is_confirmed_commit(e);
	}
	json_decref(log);
	log = rpc_log(f, 0);
	json_array_foreach(log, i, e) assert_string_not_equal(str(e, "op"), "edit-config");
	json_decref(log);
	fprintf(stderr, "nc-b deleted (%s): %d edit-config, %d confirmed commits\n",
	        keep ? "keep" : "remove", edits, commits);
	if (keep) {
		assert_int_equal(edits, 0);
		assert_true(running_has_port(f, 1, 43001));
		return;
	}
	t = txn_of(f, r2);
	if (strcmp(str(t, "outcome"), "committed"))
		fprintf(stderr, "record: %s\n", json_dumps(t, 0));
	assert_string_equal(str(t, "outcome"), "committed");
	json_t *b = device_of(t, "default/nc-b");
	assert_string_equal(str(b, "result"), "applied");
	assert_true(json_integer_value(json_object_get(b, "ops")) > 0);
	json_decref(t);
	assert_int_equal(edits, 1);
	assert_int_equal(commits, 1);
	assert_false(running_has_port(f, 1, 43001));
	assert_true(running_has_port(f, 0, 43001));
}

static void test_deleted_device_is_emptied(void **state)
{
	deleted_device(*state, 0);
}

static void test_deleted_device_is_kept(void **state)
{
	deleted_device(*state, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_confirm_retried_from_new_session, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_confirmed_netconf_device_is_reverted, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_deleted_device_is_emptied, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deleted_device_is_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
