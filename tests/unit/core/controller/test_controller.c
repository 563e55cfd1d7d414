/* Controller tests: apply -> store revision -> debounced compile -> push to
 * file devices; unchanged applies store nothing; invalid input and stale
 * expected revisions change nothing; plan is a dry-run; rollback and
 * restart keep the revision; a failing device does not hold back others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin.h"
#include "file_adapter.h"
#include "controller.h"
#include "snapshot.h"
#include "testsupport.h"

struct fixture {
	char *dir;
	char state[4096];
	char out[4096];
	weft_controller *c;
};

static const char *POLICY =
        "apiVersion: weft/v1\n"
        "kind: Service\n"
        "metadata: {name: reviews}\n"
        "spec:\n"
        "  protocol: http\n"
        "  ports: [{name: http, port: 9080}]\n"
        "  endpoints:\n"
        "    - {address: 10.0.0.1, port: 9080, labels: {version: v1}}\n"
        "    - {address: 10.0.0.2, port: 9080, labels: {version: v2}}\n"
        "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n"
        "---\n"
        "apiVersion: weft/v1\n"
        "kind: Route\n"
        "metadata: {name: reviews}\n"
        "spec:\n"
        "  service: reviews\n"
        "  http:\n"
        "    - name: canary\n"
        "      destinations:\n"
        "        - {service: reviews, subset: v1, weight: %d}\n"
        "        - {service: reviews, subset: v2, weight: %d}\n"
        "---\n"
        "apiVersion: weft/v1\n"
        "kind: Device\n"
        "metadata: {name: edge}\n"
        "spec:\n"
        "  type: file\n"
        "  scope: {services: [reviews]}\n"
        "  options: {directory: %s}\n";

static weft_controller *open_controller(struct fixture *f)
{
	weft_controller_opts opts = {.state_dir = f->state,
	                             .quiet_ms = 20,
	                             .max_delay_ms = 200,
	                             .keep_revisions = 10,
	                             .reconcile_ms = 100};
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", f->dir);
	opts.adapter_config = cfg;
	weft_err err = {0};
	weft_controller *c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	if (!c)
		fprintf(stderr, "open: %s\n", err.msg);
	return c;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = ts_mkdtemp("weft-ctl");
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out-edge", f->dir);
	weft_err err = {0};
	assert_int_equal(weft_register_builtin_adapters(&err), 0);
	/* A regular file where a device wants a directory: pushes there fail. */
	char blocker[4200];
	snprintf(blocker, sizeof(blocker), "%s/blocker", f->dir);
	ts_write_file(blocker, "not a directory\n");
	f->c = open_controller(f);
	assert_non_null(f->c);
	*state = f;
	return 0;
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

/* Applies POLICY with the given weights (and an optional extra document). */
static int apply_policy(struct fixture *f, int w1, int w2, const char *out_dir, int64_t expected,
                        int dry, weft_write_result *res, weft_diags *diags)
{
	char text[4096];
	snprintf(text, sizeof(text), POLICY, w1, w2, out_dir);
	weft_docset docs;
	weft_docset_init(&docs);
	weft_diags_init(diags);
	int rc = weft_docset_parse(&docs, "policy.yaml", text, strlen(text), diags);
	weft_err err = {0};
	if (rc == 0)
		rc = weft_controller_apply(f->c, &docs, WEFT_APPLY_MERGE, "test", expected, dry,
		                           res, diags, &err);
	if (rc && rc != WEFT_EINVALID && rc != WEFT_ECONFLICT)
		fprintf(stderr, "apply: %s\n", err.msg);
	weft_docset_free(&docs);
	return rc;
}

static char *route_file(struct fixture *f)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/routes/default/reviews.json", f->out);
	return ts_read_file(path, NULL);
}

static json_t *device_status(struct fixture *f, const char *name)
{
	json_t *st = weft_controller_status(f->c);
	json_t *devs = json_object_get(st, "devices"), *found = NULL, *d;
	size_t i;
	json_array_foreach(devs, i, d) if (!strcmp(json_string_value(json_object_get(d, "name")),
	                                           name)) found = json_incref(d);
	json_decref(st);
	return found;
}

static void test_apply_push_change_unchanged(void **state)
{
	struct fixture *f = *state;
	weft_write_result res;
	weft_diags diags;
	assert_int_equal(weft_controller_head(f->c), 0);
	assert_int_equal(apply_policy(f, 80, 20, "out-edge", -1, 0, &res, &diags), 0);
	assert_int_equal(res.revision, 1);
	assert_int_equal(res.created, 3);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, 1, 10000), 0);
	char *route = route_file(f);
	assert_non_null(route);
	assert_non_null(strstr(route, "80"));
	free(route);
	json_t *st = device_status(f, "default/edge");
	assert_string_equal(json_string_value(json_object_get(st, "state")), "in-sync");
	assert_int_equal(json_integer_value(json_object_get(st, "revision")), 1);
	json_decref(st);

	/* The same policy again stores nothing. */
	assert_int_equal(apply_policy(f, 80, 20, "out-edge", -1, 0, &res, &diags), 0);
	assert_int_equal(res.revision, 1);
	assert_int_equal(res.unchanged, 3);
	weft_write_result_free(&res);
	weft_diags_free(&diags);

	/* A canary shift is one revision and one file update. The snapshot
	 * carries when the change was stored (convergence metrics). */
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	assert_int_equal(apply_policy(f, 90, 10, "out-edge", 1, 0, &res, &diags), 0);
	clock_gettime(CLOCK_REALTIME, &t1);
	assert_int_equal(res.revision, 2);
	assert_int_equal(res.updated, 1);
	assert_int_equal(res.unchanged, 2);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, 2, 10000), 0);
	weft_snapshot *snap = weft_controller_snapshot(f->c);
	assert_int_equal(weft_snapshot_revision(snap), 2);
	int64_t stored = weft_snapshot_stored_ms(snap);
	assert_true(stored >= (int64_t)t0.tv_sec * 1000 + t0.tv_nsec / 1000000);
	assert_true(stored <= (int64_t)t1.tv_sec * 1000 + t1.tv_nsec / 1000000);
	weft_snapshot_unref(snap);
	route = route_file(f);
	assert_non_null(strstr(route, "90"));
	free(route);
	st = device_status(f, "default/edge");
	assert_int_equal(json_integer_value(json_object_get(st, "revision")), 2);
	assert_int_equal(json_integer_value(json_object_get(st, "last_ops")), 1);
	json_decref(st);
	/* Two pushes with changes (creation, canary shift) in the histogram. */
	char *m = weft_controller_metrics(f->c);
	assert_non_null(strstr(m, "weft_push_duration_seconds_count{kind=\"file\"} 2\n"));
	assert_non_null(
	        strstr(m, "weft_push_duration_seconds_bucket{kind=\"file\",le=\"+Inf\"} 2\n"));
	free(m);
}

static void test_invalid_and_conflict_change_nothing(void **state)
{
	struct fixture *f = *state;
	weft_write_result res;
	weft_diags diags;
	assert_int_equal(apply_policy(f, 80, 20, "out-edge", -1, 0, &res, &diags), 0);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(apply_policy(f, 90, 20, "out-edge", -1, 0, &res, &diags), WEFT_EINVALID);
	assert_true(diags.count >= 1);
	char *msg = weft_diag_format(&diags.items[0]);
	assert_non_null(strstr(msg, "policy.yaml:"));
	assert_non_null(strstr(msg, "100"));
	free(msg);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_head(f->c), 1);
	assert_int_equal(apply_policy(f, 70, 30, "out-edge", 0, 0, &res, &diags), WEFT_ECONFLICT);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_head(f->c), 1);
	/* dry-run reports the change but stores nothing */
	assert_int_equal(apply_policy(f, 70, 30, "out-edge", 1, 1, &res, &diags), 0);
	assert_int_equal(res.updated, 1);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_head(f->c), 1);
}

static void test_plan_rollback_restart_delete(void **state)
{
	struct fixture *f = *state;
	weft_write_result res;
	weft_diags diags;
	apply_policy(f, 80, 20, "out-edge", -1, 0, &res, &diags);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	apply_policy(f, 50, 50, "out-edge", -1, 0, &res, &diags);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, 2, 10000), 0);

	/* Plan against the head: nothing to do. */
	json_t *plan = NULL;
	weft_err err = {0};
	weft_diags_init(&diags);
	assert_int_equal(weft_controller_plan(f->c, NULL, &plan, &diags, &err), 0);
	json_t *dev0 = json_array_get(json_object_get(plan, "devices"), 0);
	assert_int_equal(json_array_size(json_object_get(dev0, "ops")), 0);
	json_decref(plan);

	/* Rollback to 1: a new revision with the old content. */
	assert_int_equal(weft_controller_rollback(f->c, 1, "test", &res, &err), 0);
	assert_int_equal(res.revision, 3);
	weft_write_result_free(&res);
	assert_int_equal(weft_controller_wait_pushed(f->c, 3, 10000), 0);
	char *route = route_file(f);
	assert_non_null(strstr(route, "80"));
	free(route);
	json_t *got = NULL;
	assert_int_equal(weft_controller_revisions(f->c, 0, &got, &err), 0);
	assert_int_equal(json_array_size(json_object_get(got, "revisions")), 3);
	json_decref(got);

	/* Restart: same head, device resynced with no operations. */
	weft_controller_close(f->c);
	f->c = open_controller(f);
	assert_non_null(f->c);
	assert_int_equal(weft_controller_head(f->c), 3);
	assert_int_equal(weft_controller_wait_pushed(f->c, 3, 10000), 0);
	json_t *st = device_status(f, "default/edge");
	assert_string_equal(json_string_value(json_object_get(st, "state")), "in-sync");
	assert_int_equal(json_integer_value(json_object_get(st, "last_ops")), 0);
	json_decref(st);

	/* Delete the route: its file goes away. */
	weft_key key = {WEFT_KIND_ROUTE, "default", "reviews"};
	assert_int_equal(weft_controller_delete(f->c, &key, 1, "test", -1, &res, &diags, &err), 0);
	assert_int_equal(res.revision, 4);
	weft_write_result_free(&res);
	assert_int_equal(weft_controller_wait_pushed(f->c, 4, 10000), 0);
	route = route_file(f);
	assert_null(route);
	assert_int_equal(
	        weft_controller_get(f->c, WEFT_KIND_ROUTE, "default", "reviews", &got, &err),
	        WEFT_ENOTFOUND);
	weft_diags_free(&diags);
}

static void test_failing_device_is_isolated(void **state)
{
	struct fixture *f = *state;
	weft_write_result res;
	weft_diags diags;
	/* "blocker" is a regular file: this device's pushes must fail. */
	assert_int_equal(apply_policy(f, 80, 20, "blocker/edge", -1, 0, &res, &diags), 0);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	const char *text = "apiVersion: weft/v1\nkind: Device\nmetadata: {name: good}\nspec:\n"
	                   "  type: file\n  options: {directory: out-good}\n";
	weft_docset docs;
	weft_docset_init(&docs);
	weft_diags_init(&diags);
	weft_err err = {0};
	assert_int_equal(weft_docset_parse(&docs, "good.yaml", text, strlen(text), &diags), 0);
	assert_int_equal(weft_controller_apply(f->c, &docs, WEFT_APPLY_MERGE, "t", -1, 0, &res,
	                                       &diags, &err),
	                 0);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, res.revision, 10000), 0);
	weft_write_result_free(&res);
	json_t *bad = device_status(f, "default/edge"), *good = device_status(f, "default/good");
	assert_string_equal(json_string_value(json_object_get(bad, "state")), "error");
	assert_non_null(
	        strstr(json_string_value(json_object_get(bad, "last_error")), "default/edge"));
	assert_string_equal(json_string_value(json_object_get(good, "state")), "in-sync");
	json_decref(bad);
	json_decref(good);
	char *metrics = weft_controller_metrics(f->c);
	assert_non_null(strstr(metrics, "weft_devices{state=\"error\"} 1"));
	free(metrics);
}

static const char *DRIFT_DEVICES =
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: fixer}\nspec:\n"
        "  type: file\n  drift: repair\n  options: {directory: out-fix}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: watcher}\nspec:\n"
        "  type: file\n  drift: alert\n  options: {directory: out-watch}\n";

static int wait_state(struct fixture *f, const char *dev, const char *state, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		json_t *st = device_status(f, dev);
		int ok = st && !strcmp(json_string_value(json_object_get(st, "state")), state);
		json_decref(st);
		if (ok)
			return 0;
		usleep(20000);
	}
	return -1;
}

static int wait_metric(struct fixture *f, const char *line, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		char *m = weft_controller_metrics(f->c);
		int ok = m && strstr(m, line);
		free(m);
		if (ok)
			return 0;
		usleep(20000);
	}
	return -1;
}

static void test_drift_repaired_or_reported(void **state)
{
	struct fixture *f = *state;
	weft_write_result res;
	weft_diags diags;
	assert_int_equal(apply_policy(f, 80, 20, "out-edge", -1, 0, &res, &diags), 0);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	weft_docset docs;
	weft_docset_init(&docs);
	weft_diags_init(&diags);
	weft_err err = {0};
	assert_int_equal(weft_docset_parse(&docs, "drift.yaml", DRIFT_DEVICES,
	                                   strlen(DRIFT_DEVICES), &diags),
	                 0);
	assert_int_equal(weft_controller_apply(f->c, &docs, WEFT_APPLY_MERGE, "t", -1, 0, &res,
	                                       &diags, &err),
	                 0);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, res.revision, 10000), 0);
	weft_write_result_free(&res);

	/* Hand edits on both devices. */
	char fix[4200], watch[4200];
	snprintf(fix, sizeof(fix), "%s/out-fix/routes/default/reviews.json", f->dir);
	snprintf(watch, sizeof(watch), "%s/out-watch/routes/default/reviews.json", f->dir);
	char *orig = ts_read_file(fix, NULL);
	assert_non_null(orig);
	assert_int_equal(ts_write_file(fix, "{\"edited\": \"by hand\"}\n"), 0);
	assert_int_equal(ts_write_file(watch, "{\"edited\": \"by hand\"}\n"), 0);

	/* alert: reported as drift, left alone. */
	assert_int_equal(wait_state(f, "default/watcher", "drift", 5000), 0);
	json_t *st = device_status(f, "default/watcher");
	json_t *drift = json_object_get(st, "drift");
	assert_int_equal(json_integer_value(json_object_get(drift, "differences")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(drift, "first")),
	                       "routes/default/reviews.json"));
	json_decref(st);
	char *w = ts_read_file(watch, NULL);
	assert_non_null(strstr(w, "by hand"));
	free(w);

	/* repair: pushed again, the file is back. */
	long long end = ts_now_ms() + 5000;
	char *now = NULL;
	while (ts_now_ms() < end) {
		free(now);
		now = ts_read_file(fix, NULL);
		if (now && !strcmp(now, orig))
			break;
		usleep(20000);
	}
	assert_string_equal(now, orig);
	free(now);
	free(orig);
	assert_int_equal(wait_state(f, "default/fixer", "in-sync", 5000), 0);
	/* The repair is counted right after the push that made it. */
	assert_int_equal(wait_metric(f, "weft_drift_total{outcome=\"repaired\"} 1\n", 5000), 0);
	assert_int_equal(wait_metric(f, "weft_devices{state=\"drift\"} 1\n", 5000), 0);

	/* The watcher's drift clears when the device matches again. */
	assert_int_equal(ts_write_file(watch, "x"), 0);
	char *fixed = ts_read_file(fix, NULL);
	char wpath[4200];
	snprintf(wpath, sizeof(wpath), "%s/out-watch/routes/default/reviews.json", f->dir);
	assert_int_equal(ts_write_file(wpath, fixed), 0);
	free(fixed);
	assert_int_equal(wait_state(f, "default/watcher", "in-sync", 5000), 0);
}

static void count_intent(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* Followers of the intent are told of each change (and only while
 * subscribed); the intent they then read is the new revision. */
static void test_intent_subscribers_told(void **state)
{
	struct fixture *f = *state;
	atomic_int calls = 0;
	int id = weft_controller_subscribe(f->c, count_intent, &calls);
	assert_true(id > 0);
	weft_write_result res;
	weft_diags diags;
	assert_int_equal(apply_policy(f, 80, 20, "out-edge", -1, 0, &res, &diags), 0);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	for (long long end = ts_now_ms() + 10000; !atomic_load(&calls) && ts_now_ms() < end;)
		usleep(2000);
	assert_true(atomic_load(&calls) >= 1);
	weft_snapshot *in = weft_controller_intent(f->c);
	assert_non_null(in);
	assert_int_equal(weft_snapshot_revision(in), 1);
	weft_snapshot_unref(in);
	weft_controller_unsubscribe(f->c, id);
	int before = atomic_load(&calls);
	assert_int_equal(apply_policy(f, 70, 30, "out-edge", -1, 0, &res, &diags), 0);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(f->c, 2, 10000), 0);
	assert_int_equal(atomic_load(&calls), before);
}

/* The adapter configuration is checked when the controller opens: a kind
 * no adapter has, or an option the adapter does not know, is refused with
 * its name (a typo would otherwise configure nothing). */
static void test_adapter_config_refused(void **state)
{
	struct fixture *f = *state;
	weft_controller_close(f->c);
	f->c = NULL;
	const char *bad[] = {"{\"fiel\": {}}", "{\"file\": {\"rot\": \"/tmp\"}}"};
	const char *named[] = {"'fiel'", "'rot'"};
	for (int i = 0; i < 2; i++) {
		json_t *cfg = json_loads(bad[i], 0, NULL);
		weft_controller_opts opts = {.state_dir = f->state, .adapter_config = cfg};
		weft_err err = {0};
		assert_null(weft_controller_open(&opts, &err));
		assert_non_null(strstr(err.msg, named[i]));
		json_decref(cfg);
	}
	f->c = open_controller(f); /* the fixture's teardown closes it */
	assert_non_null(f->c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_apply_push_change_unchanged, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_adapter_config_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_intent_subscribers_told, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invalid_and_conflict_change_nothing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_plan_rollback_restart_delete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failing_device_is_isolated, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_drift_repaired_or_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
