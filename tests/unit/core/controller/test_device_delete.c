/* Deleting a Device (spec.onDelete, core/device_removal.c) with the file
 * adapter: `remove` (the default) empties the device's directory through
 * a plan that the dry-run shows and the transaction applies (atomic and
 * independent mode); `keep` leaves the files as they are. */
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

#include "builtin.h"
#include "controller.h"
#include "file_adapter.h"
#include "testsupport.h"

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: svc}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: 80}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: a}\n"
        "spec: {type: file, options: {directory: out-a}}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: b}\n"
        "spec: {type: file, %s options: {directory: out-b}}\n";

struct fixture {
	char *dir;
	weft_controller *c;
};

static int open_controller(void **state, int atomic)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = ts_mkdtemp("weft-devdel");
	char st[4200];
	snprintf(st, sizeof(st), "%s/state", f->dir);
	weft_err err = {0};
	assert_int_equal(weft_register_builtin_adapters(&err), 0);
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", f->dir);
	weft_controller_opts opts = {.state_dir = st,
	                             .quiet_ms = 10,
	                             .max_delay_ms = 100,
	                             .keep_revisions = 20,
	                             .reconcile_ms = -1,
	                             .atomic = atomic,
	                             .adapter_config = cfg};
	f->c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int setup_atomic(void **state)
{
	return open_controller(state, 1);
}

static int setup_independent(void **state)
{
	return open_controller(state, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	weft_controller_close(f->c);
	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	ts_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int64_t store(struct fixture *f, const char *b_extra)
{
	char text[4096];
	snprintf(text, sizeof(text), POLICY, b_extra);
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

static int64_t delete_b(struct fixture *f)
{
	weft_key key = {WEFT_KIND_DEVICE, "default", "b"};
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

static int b_has_service(struct fixture *f)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/out-b/services/default/svc.json", f->dir);
	return stat(path, &st) == 0;
}

/* The status object of device name, or NULL (referenced). */
static json_t *device_status(struct fixture *f, const char *name)
{
	json_t *st = weft_controller_status(f->c), *dev, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(st, "devices"), i, dev)
	{
		if (!strcmp(json_string_value(json_object_get(dev, "name")), name))
			found = json_incref(dev);
	}
	json_decref(st);
	return found;
}

/* The dry-run entry of device name in GET /v1/plan, or NULL (referenced). */
static json_t *plan_of(struct fixture *f, const char *name)
{
	json_t *out = NULL, *dev, *found = NULL;
	weft_diags d;
	weft_diags_init(&d);
	weft_err err = {0};
	assert_int_equal(weft_controller_plan(f->c, NULL, &out, &d, &err), 0);
	size_t i;
	json_array_foreach(json_object_get(out, "devices"), i, dev)
	{
		if (!strcmp(json_string_value(json_object_get(dev, "device")), name))
			found = json_incref(dev);
	}
	json_decref(out);
	weft_diags_free(&d);
	return found;
}

static const char *state_of(json_t *dev)
{
	return json_string_value(json_object_get(dev, "state"));
}

/* Atomic: b's confirm fails first, so its removal stays pending and the
 * dry-run shows it (a delete op, "deleted": true); once the knob is
 * cleared the retried transaction removes b's files, b reads "removed",
 * and the next revision forgets it. */
static void test_remove_atomic_plan_then_apply(void **state)
{
	struct fixture *f = *state;
	int64_t r1 = store(f, "");
	assert_int_equal(weft_controller_wait_pushed(f->c, r1, 10000), 0);
	assert_true(b_has_service(f));

	setenv("WEFT_FILE_FAULT_CONFIRM", "default/b", 1);
	int64_t r2 = delete_b(f);
	json_t *st = NULL;
	long long end = ts_now_ms() + 5000;
	for (;;) { /* the failed transaction has settled b */
		st = device_status(f, "default/b");
		if (st && !strcmp(state_of(st), "error"))
			break;
		json_decref(st);
		assert_true(ts_now_ms() < end);
		usleep(20000);
	}
	json_decref(st);
	assert_true(b_has_service(f)); /* the failed confirm was rolled back */
	json_t *p = plan_of(f, "default/b");
	assert_non_null(p);
	assert_true(json_is_true(json_object_get(p, "deleted")));
	json_t *op = json_array_get(json_object_get(p, "ops"), 0);
	assert_string_equal(json_string_value(json_object_get(op, "action")), "delete");
	assert_string_equal(json_string_value(json_object_get(op, "target")),
	                    "services/default/svc.json");
	json_decref(p);
	json_t *pa = plan_of(f, "default/a");
	assert_null(json_object_get(pa, "deleted"));
	json_decref(pa);

	unsetenv("WEFT_FILE_FAULT_CONFIRM");
	end = ts_now_ms() + 8000; /* the whole transaction is retried (1 s backoff) */
	for (;;) {
		st = device_status(f, "default/b");
		if (st && !strcmp(state_of(st), "removed"))
			break;
		json_decref(st);
		assert_true(ts_now_ms() < end);
		usleep(20000);
	}
	assert_int_equal(json_integer_value(json_object_get(st, "revision")), r2);
	json_decref(st);
	assert_false(b_has_service(f));
	p = plan_of(f, "default/b");
	assert_null(p); /* removed: nothing left to plan */

	/* b comes back: its worker takes it up again. */
	int64_t r3 = store(f, "");
	assert_int_equal(weft_controller_wait_pushed(f->c, r3, 10000), 0);
	assert_true(b_has_service(f));
	st = device_status(f, "default/b");
	assert_string_equal(state_of(st), "in-sync");
	json_decref(st);
}

static void test_keep_leaves_files(void **state)
{
	struct fixture *f = *state;
	int64_t r1 = store(f, "onDelete: keep,");
	assert_int_equal(weft_controller_wait_pushed(f->c, r1, 10000), 0);
	assert_true(b_has_service(f));
	int64_t r2 = delete_b(f);
	assert_int_equal(weft_controller_wait_pushed(f->c, r2, 10000), 0);
	assert_null(device_status(f, "default/b"));
	assert_null(plan_of(f, "default/b"));
	assert_true(b_has_service(f));
}

static void test_remove_independent(void **state)
{
	struct fixture *f = *state;
	int64_t r1 = store(f, "onDelete: remove,");
	assert_int_equal(weft_controller_wait_pushed(f->c, r1, 10000), 0);
	assert_true(b_has_service(f));
	int64_t r2 = delete_b(f);
	assert_int_equal(weft_controller_wait_pushed(f->c, r2, 10000), 0);
	json_t *st = device_status(f, "default/b");
	assert_non_null(st);
	assert_string_equal(state_of(st), "removed");
	json_decref(st);
	assert_false(b_has_service(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_remove_atomic_plan_then_apply, setup_atomic,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_keep_leaves_files, setup_atomic, teardown),
	        cmocka_unit_test_setup_teardown(test_remove_independent, setup_independent,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
