/* Network-wide transactions (core/txn.c) over three file devices in two
 * push groups, with a wrapped file adapter that injects failures per
 * device: commit in group order; a prepare failure changes nothing; an
 * apply failure rolls back the devices already applied; a failed
 * transaction is retried as a whole; a confirm failure reverts the devices
 * that confirmed; removal-only changes run the groups in reverse;
 * independent mode lets healthy devices through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "controller.h"
#include "file_adapter.h"
#include "testsupport.h"

/* ---- a file adapter with failure injection -------------------------- */

static const weft_adapter *real;
static weft_adapter flaky;
static pthread_mutex_t knob_mu = PTHREAD_MUTEX_INITIALIZER;
static char fail_prepare[64], fail_apply[64];
static char apply_log[512];

static int failing(const char *knob, const char *device)
{
	pthread_mutex_lock(&knob_mu);
	int hit = !strcmp(knob, device);
	pthread_mutex_unlock(&knob_mu);
	return hit;
}

static void set_knob(char *knob, const char *device)
{
	pthread_mutex_lock(&knob_mu);
	snprintf(knob, 64, "%s", device);
	pthread_mutex_unlock(&knob_mu);
}

static char fail_second_prepare[64]; /* this device's second prepare fails */
static int prepares_seen;

static int flaky_prepare(void *ctx, void *s, weft_plan *p, weft_err *e)
{
	if (failing(fail_prepare, p->device))
		return weft_err_set(e, "injected prepare failure");
	pthread_mutex_lock(&knob_mu);
	int second = !strcmp(fail_second_prepare, p->device) && ++prepares_seen == 2;
	pthread_mutex_unlock(&knob_mu);
	if (second)
		return weft_err_set(e, "injected second prepare failure");
	return real->prepare(ctx, s, p, e);
}

static int flaky_apply(void *ctx, void *s, weft_plan *p, weft_err *e)
{
	pthread_mutex_lock(&knob_mu);
	size_t n = strlen(apply_log);
	snprintf(apply_log + n, sizeof(apply_log) - n, "%s,", p->device);
	pthread_mutex_unlock(&knob_mu);
	if (failing(fail_apply, p->device))
		return weft_err_set(e, "injected apply failure");
	return real->apply(ctx, s, p, e);
}

/* ---- fixture ------------------------------------------------------------ */

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: %d}]}\n"
        "%s"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: a}\n"
        "spec: {type: file, pushGroup: 1, options: {directory: out-a}}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: b}\n"
        "spec: {type: file, pushGroup: 2, options: {directory: out-b}}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: c}\n"
        "spec: {type: file, pushGroup: 2, options: {directory: out-c}}\n";

static const char *EXTRA =
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: extra}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.9, port: 80}]}\n";

struct fixture {
	char *dir;
	weft_controller *c;
};

static weft_controller *open_controller(struct fixture *f);

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = ts_mkdtemp("weft-txn");
	weft_err err = {0};
	assert_int_equal(weft_register_builtin_adapters(&err), 0);
	real = weft_adapter_find("file");
	flaky = *real;
	flaky.prepare = flaky_prepare;
	flaky.apply = flaky_apply;
	assert_int_equal(weft_adapter_register(&flaky, 1, &err), 0);
	set_knob(fail_prepare, "");
	set_knob(fail_apply, "");
	set_knob(fail_second_prepare, "");
	prepares_seen = 0;
	apply_log[0] = 0;
	f->c = open_controller(f);
	*state = f;
	return 0;
}

/* A controller on the fixture's state directory, atomic mode. */
static weft_controller *open_controller(struct fixture *f)
{
	char st[4200];
	snprintf(st, sizeof(st), "%s/state", f->dir);
	weft_err err = {0};
	weft_controller_opts opts = {.state_dir = st,
	                             .quiet_ms = 10,
	                             .max_delay_ms = 100,
	                             .keep_revisions = 20,
	                             .reconcile_ms = -1,
	                             .atomic = 1};
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", f->dir);
	opts.adapter_config = cfg;
	weft_controller *c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	assert_non_null(c);
	return c;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	weft_controller_close(f->c);
	ts_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Stores text (YAML) with mode; the new revision. */
static int64_t store_text(struct fixture *f, const char *text, int mode)
{
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_err err = {0};
	weft_write_result res;
	assert_int_equal(weft_docset_parse(&docs, "t.yaml", text, strlen(text), &d), 0);
	int rc = weft_controller_apply(f->c, &docs, mode, "t", -1, 0, &res, &d, &err);
	if (rc)
		weft_diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	int64_t rev = res.revision;
	weft_write_result_free(&res);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	return rev;
}

static int64_t apply(struct fixture *f, int port, int extra, int mode)
{
	char text[4096];
	snprintf(text, sizeof(text), POLICY, port, extra ? EXTRA : "");
	int64_t rev = store_text(f, text, mode);
	assert_int_equal(weft_controller_wait_pushed(f->c, rev, 10000), 0);
	return rev;
}

/* The port device dev's rendered Service holds, or -1. */
static int device_port(struct fixture *f, const char *dev)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/out-%s/services/default/svc.json", f->dir, dev);
	char *text = ts_read_file(path, NULL);
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	json_t *ep = json_array_get(json_object_get(json_object_get(doc, "spec"), "endpoints"), 0);
	int port = ep ? (int)json_integer_value(json_object_get(ep, "port")) : -1;
	json_decref(doc);
	return port;
}

static json_t *last_txn(struct fixture *f)
{
	json_t *all = weft_controller_transactions(f->c);
	json_t *arr = json_object_get(all, "transactions");
	json_t *last = json_incref(json_array_get(arr, json_array_size(arr) - 1));
	json_decref(all);
	return last;
}

static const char *device_result(json_t *txn, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(
	        json_object_get(txn, "devices"), i,
	        d) if (!strcmp(json_string_value(json_object_get(d, "name")),
	                       name)) return json_string_value(json_object_get(d, "result"));
	return "?";
}

/* Two services, device a scoped to svc, device b to extra. */
static const char *SCOPED =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: %d}]}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: extra}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.9, port: 80}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: a}\n"
        "spec: {type: file, scope: {services: [svc]}, options: {directory: out-a}}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: b}\n"
        "spec: {type: file, scope: {services: [extra]}, options: {directory: out-b}}\n";

static void apply_scoped(struct fixture *f, int port, int64_t *rev)
{
	char text[2048];
	snprintf(text, sizeof(text), SCOPED, port);
	*rev = store_text(f, text, WEFT_APPLY_SYNC);
}

static const char *device_field(struct fixture *f, const char *name, const char *field, char *buf,
                                size_t len)
{
	json_t *st = weft_controller_status(f->c), *dev;
	size_t i;
	buf[0] = 0;
	json_array_foreach(json_object_get(st, "devices"), i, dev)
	{
		if (strcmp(json_string_value(json_object_get(dev, "name")), name))
			continue;
		json_t *v = json_object_get(dev, field);
		if (json_is_string(v))
			snprintf(buf, len, "%s", json_string_value(v));
		else
			snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	}
	json_decref(st);
	return buf;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_commit_in_group_order(void **state)
{
	struct fixture *f = *state;
	apply(f, 1001, 0, WEFT_APPLY_MERGE);
	assert_int_equal(device_port(f, "a"), 1001);
	assert_int_equal(device_port(f, "b"), 1001);
	assert_int_equal(device_port(f, "c"), 1001);
	/* group 1 (a) strictly before group 2 (b, c) */
	assert_memory_equal(apply_log, "default/a,", 10);
	json_t *t = last_txn(f);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "committed");
	assert_string_equal(json_string_value(json_object_get(t, "mode")), "atomic");
	assert_string_equal(device_result(t, "default/b"), "applied");
	assert_non_null(json_object_get(json_object_get(t, "phases_ms"), "prepare"));
	json_decref(t);
}

static void test_prepare_failure_changes_nothing_then_retry(void **state)
{
	struct fixture *f = *state;
	apply(f, 1001, 0, WEFT_APPLY_MERGE);
	set_knob(fail_prepare, "default/c");
	apply(f, 1002, 0, WEFT_APPLY_MERGE);
	assert_int_equal(device_port(f, "a"), 1001);
	assert_int_equal(device_port(f, "b"), 1001);
	assert_int_equal(device_port(f, "c"), 1001);
	json_t *t = last_txn(f);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "aborted");
	assert_non_null(strstr(json_string_value(json_object_get(t, "cause")),
	                       "prepare failed: device default/c"));
	assert_string_equal(device_result(t, "default/c"), "failed");
	assert_string_equal(device_result(t, "default/a"), "not-applied");
	json_decref(t);
	json_t *st = weft_controller_status(f->c);
	json_t *dev = json_array_get(json_object_get(st, "devices"), 0);
	assert_string_equal(json_string_value(json_object_get(dev, "state")), "error");
	json_decref(st);
	/* The device recovers: the whole transaction is retried (1 s backoff). */
	set_knob(fail_prepare, "");
	long long end = ts_now_ms() + 8000;
	int committed = 0;
	while (ts_now_ms() < end && !committed) {
		t = last_txn(f);
		committed = !strcmp(json_string_value(json_object_get(t, "outcome")), "committed");
		json_decref(t);
		if (!committed)
			usleep(50000);
	}
	assert_true(committed);
	assert_int_equal(device_port(f, "a"), 1002);
	assert_int_equal(device_port(f, "c"), 1002);
}

static void test_apply_failure_rolls_back(void **state)
{
	struct fixture *f = *state;
	apply(f, 1001, 0, WEFT_APPLY_MERGE);
	set_knob(fail_apply, "default/b");
	apply_log[0] = 0;
	apply(f, 1002, 0, WEFT_APPLY_MERGE);
	/* a (group 1) was applied before b failed: it is back at 1001. */
	assert_memory_equal(apply_log, "default/a,", 10);
	assert_int_equal(device_port(f, "a"), 1001);
	assert_int_equal(device_port(f, "b"), 1001);
	assert_int_equal(device_port(f, "c"), 1001);
	/* Followers of the intent (the xDS default feed) never saw 1002. */
	weft_snapshot *intent = weft_controller_intent(f->c);
	weft_snapshot *published = weft_controller_snapshot(f->c);
	assert_true(weft_snapshot_revision(intent) < weft_snapshot_revision(published));
	weft_snapshot_unref(intent);
	weft_snapshot_unref(published);
	json_t *t = last_txn(f);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "rolled-back");
	assert_string_equal(device_result(t, "default/a"), "rolled-back");
	assert_string_equal(device_result(t, "default/b"), "failed");
	json_decref(t);
	char *m = weft_controller_metrics(f->c);
	assert_non_null(strstr(m, "weft_transactions_total{outcome=\"failed\"}"));
	free(m);
	set_knob(fail_apply, "");
}

static void test_removal_runs_groups_in_reverse(void **state)
{
	struct fixture *f = *state;
	apply(f, 1001, 1, WEFT_APPLY_MERGE);
	apply_log[0] = 0;
	weft_key key = {WEFT_KIND_SERVICE, "default", "extra"};
	weft_write_result res;
	weft_diags d;
	weft_diags_init(&d);
	weft_err err = {0};
	assert_int_equal(weft_controller_delete(f->c, &key, 1, "t", -1, &res, &d, &err), 0);
	assert_int_equal(weft_controller_wait_pushed(f->c, res.revision, 10000), 0);
	weft_write_result_free(&res);
	weft_diags_free(&d);
	/* group 2 (b, c) first, a last */
	size_t n = strlen(apply_log);
	assert_true(n > 10);
	assert_string_equal(apply_log + n - 10, "default/a,");
}

static void test_independent_mode_lets_healthy_devices_through(void **state)
{
	struct fixture *f = *state;
	apply(f, 1001, 0, WEFT_APPLY_MERGE);
	set_knob(fail_apply, "default/b");
	apply(f, 1002, 0, WEFT_APPLY_MERGE | WEFT_APPLY_INDEPENDENT);
	assert_int_equal(device_port(f, "a"), 1002);
	assert_int_equal(device_port(f, "b"), 1001);
	assert_int_equal(device_port(f, "c"), 1002);
	set_knob(fail_apply, "");
}

/* A change that touches one device plans that device only: the other is
 * neither read nor written, reported "untouched", and stays in sync (at
 * the new revision when the transaction commits, at the old one when it
 * fails). */
static void test_untouched_devices_are_not_planned(void **state)
{
	struct fixture *f = *state;
	int64_t rev;
	char buf[64];
	apply_scoped(f, 1001, &rev);
	assert_int_equal(weft_controller_wait_pushed(f->c, rev, 10000), 0);
	set_knob(apply_log, "");
	apply_scoped(f, 1002, &rev);
	assert_int_equal(weft_controller_wait_pushed(f->c, rev, 10000), 0);
	json_t *t = last_txn(f);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "committed");
	assert_string_equal(device_result(t, "default/a"), "applied");
	assert_string_equal(device_result(t, "default/b"), "untouched");
	json_decref(t);
	assert_string_equal(apply_log, "default/a,");
	assert_int_equal(device_port(f, "a"), 1002);
	assert_string_equal(device_field(f, "default/b", "state", buf, sizeof(buf)), "in-sync");
	assert_int_equal(atoll(device_field(f, "default/b", "revision", buf, sizeof(buf))), rev);

	/* a fails to prepare: b stays in sync at the revision it holds. */
	set_knob(fail_prepare, "default/a");
	int64_t held = rev;
	apply_scoped(f, 1003, &rev);
	long long end = ts_now_ms() + 5000;
	do {
		t = last_txn(f);
		int done = json_integer_value(json_object_get(t, "revision")) == rev;
		if (!done)
			json_decref(t);
		if (done)
			break;
		usleep(20000);
	} while (ts_now_ms() < end);
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "aborted");
	assert_string_equal(device_result(t, "default/b"), "untouched");
	json_decref(t);
	assert_string_equal(device_field(f, "default/b", "state", buf, sizeof(buf)), "in-sync");
	assert_int_equal(atoll(device_field(f, "default/b", "revision", buf, sizeof(buf))), held);
	assert_string_equal(device_field(f, "default/a", "state", buf, sizeof(buf)), "error");
	set_knob(fail_prepare, "");
}

static json_int_t device_revision(json_t *txn, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(txn, "devices"), i, d)
	{
		if (!strcmp(json_string_value(json_object_get(d, "name")), name))
			return json_is_null(json_object_get(d, "revision"))
			               ? -1
			               : json_integer_value(json_object_get(d, "revision"));
	}
	return -2;
}

/* The newest record of revision rev, waiting up to 5 s. */
static json_t *txn_of(struct fixture *f, int64_t rev)
{
	long long end = ts_now_ms() + 5000;
	for (;;) {
		json_t *t = last_txn(f);
		if (t && json_integer_value(json_object_get(t, "revision")) == rev)
			return t;
		json_decref(t);
		assert_true(ts_now_ms() < end);
		usleep(20000);
	}
}

/* b's confirm fails (the file adapter's WEFT_FILE_FAULT_CONFIRM knob)
 * after a (group 1) confirmed and while c (group 2, with b) confirms: b is
 * aborted (its backup restored), a and c are reverted through a second
 * pass at the last committed revision, and the record says exactly that:
 * every device holds the previous revision. */
static void test_confirm_failure_reverts_confirmed_devices(void **state)
{
	struct fixture *f = *state;
	int64_t r1 = apply(f, 1001, 0, WEFT_APPLY_MERGE);
	setenv("WEFT_FILE_FAULT_CONFIRM", "default/b", 1);
	apply_log[0] = 0;
	int64_t r2 = apply(f, 1002, 0, WEFT_APPLY_MERGE);
	json_t *t = txn_of(f, r2);
	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "rolled-back");
	assert_non_null(strstr(json_string_value(json_object_get(t, "cause")),
	                       "confirm failed: device default/b"));
	assert_int_equal(json_integer_value(json_object_get(t, "previous_revision")), r1);
	assert_string_equal(device_result(t, "default/a"), "reverted");
	assert_string_equal(device_result(t, "default/b"), "failed");
	assert_string_equal(device_result(t, "default/c"), "reverted");
	assert_int_equal(device_revision(t, "default/a"), r1);
	assert_int_equal(device_revision(t, "default/b"), r1);
	assert_int_equal(device_revision(t, "default/c"), r1);
	json_decref(t);
	/* What the record says is what the devices hold. */
	assert_int_equal(device_port(f, "a"), 1001);
	assert_int_equal(device_port(f, "b"), 1001);
	assert_int_equal(device_port(f, "c"), 1001);
	/* The revert went through apply again: a and c were applied twice. */
	assert_non_null(strstr(apply_log, "default/a,"));
	assert_non_null(strstr(strstr(apply_log, "default/a,") + 1, "default/a"));
	char buf[64];
	assert_int_equal(atoll(device_field(f, "default/a", "revision", buf, sizeof(buf))), r1);
	assert_string_equal(device_field(f, "default/a", "state", buf, sizeof(buf)), "error");
}

/* A confirm failure in the transaction that introduces the Devices: the
 * last committed revision has none of them, so the devices that confirmed
 * are reverted to an empty slice (what weft wrote is removed), and the
 * record says so: no revision held anywhere. */
static void test_confirm_failure_on_new_devices_empties_them(void **state)
{
	struct fixture *f = *state;
	setenv("WEFT_FILE_FAULT_CONFIRM", "default/c", 1);
	char text[4096];
	snprintf(text, sizeof(text), POLICY, 1001, "");
	int64_t r1 = store_text(f, text, WEFT_APPLY_MERGE);
	json_t *t = txn_of(f, r1);
	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "rolled-back");
	assert_string_equal(device_result(t, "default/a"), "reverted");
	assert_string_equal(device_result(t, "default/b"), "reverted");
	assert_string_equal(device_result(t, "default/c"), "failed");
	assert_int_equal(device_revision(t, "default/a"), -1);
	assert_int_equal(device_revision(t, "default/c"), -1);
	json_decref(t);
	assert_int_equal(device_port(f, "a"), -1);
	assert_int_equal(device_port(f, "b"), -1);
	assert_int_equal(device_port(f, "c"), -1);
}

/* The revert itself fails (a's second prepare, at the previous revision):
 * a keeps the new revision and the record says so ("applied" with the
 * revert's error, revision r2; the transaction "partial"), while c is
 * reverted and b rolled back. */
static void test_failed_revert_is_partial(void **state)
{
	struct fixture *f = *state;
	int64_t r1 = apply(f, 1001, 0, WEFT_APPLY_MERGE);
	set_knob(fail_second_prepare, "default/a");
	setenv("WEFT_FILE_FAULT_CONFIRM", "default/b", 1);
	int64_t r2 = apply(f, 1002, 0, WEFT_APPLY_MERGE);
	json_t *t = txn_of(f, r2);
	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	assert_string_equal(json_string_value(json_object_get(t, "outcome")), "partial");
	assert_string_equal(device_result(t, "default/a"), "applied");
	assert_int_equal(device_revision(t, "default/a"), r2);
	json_t *a = NULL, *d;
	size_t i;
	json_array_foreach(
	        json_object_get(t, "devices"), i,
	        d) if (!strcmp(json_string_value(json_object_get(d, "name")), "default/a")) a = d;
	assert_non_null(strstr(json_string_value(json_object_get(a, "error")),
	                       "injected second prepare failure"));
	assert_string_equal(device_result(t, "default/b"), "failed");
	assert_string_equal(device_result(t, "default/c"), "reverted");
	assert_int_equal(device_revision(t, "default/c"), r1);
	json_decref(t);
	assert_int_equal(device_port(f, "a"), 1002);
	assert_int_equal(device_port(f, "b"), 1001);
	assert_int_equal(device_port(f, "c"), 1001);
	char buf[64];
	assert_int_equal(atoll(device_field(f, "default/a", "revision", buf, sizeof(buf))), r2);
	set_knob(fail_second_prepare, "");
}

/* Transaction ids and records survive a restart: the reopened controller
 * lists the earlier records and numbers the next one after them, instead
 * of overwriting record 1 in the store. */
static void test_records_survive_restart(void **state)
{
	struct fixture *f = *state;
	apply(f, 1001, 0, WEFT_APPLY_MERGE);
	apply(f, 1002, 0, WEFT_APPLY_MERGE);
	json_t *t = last_txn(f);
	json_int_t before = json_integer_value(json_object_get(t, "id"));
	json_decref(t);
	assert_true(before >= 2);
	weft_controller_close(f->c);
	f->c = open_controller(f);
	/* The reopened controller may already have run its start-up sync as
	 * a transaction: the earlier records come first, ids keep rising. */
	json_t *all = weft_controller_transactions(f->c);
	json_t *arr = json_object_get(all, "transactions");
	assert_true(json_array_size(arr) >= (size_t)before);
	for (size_t i = 0; i < json_array_size(arr); i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, i), "id")),
		                 (json_int_t)i + 1);
	json_decref(all);
	apply(f, 1003, 0, WEFT_APPLY_MERGE);
	t = last_txn(f);
	assert_true(json_integer_value(json_object_get(t, "id")) > before);
	assert_int_equal(json_integer_value(json_object_get(t, "revision")),
	                 weft_controller_head(f->c));
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_commit_in_group_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_records_survive_restart, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_prepare_failure_changes_nothing_then_retry,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_apply_failure_rolls_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_confirm_failure_reverts_confirmed_devices,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_confirm_failure_on_new_devices_empties_them,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failed_revert_is_partial, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_removal_runs_groups_in_reverse, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_untouched_devices_are_not_planned, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_independent_mode_lets_healthy_devices_through,
	                                        setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
