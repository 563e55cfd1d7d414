/* Translation warnings through the controller (core/warning.h,
 * docs/architecture.md "Honest translation"): a family that cannot express
 * a field reports it in its diff; the device's status carries it, a
 * "warnings" event says so, and a Device with spec.strict refuses the plan
 * (its push fails naming the warning, nothing is applied). The family here
 * is a small in-test adapter whose diff warns about every Service's
 * spec.subsets: the plumbing under test is the core's, not a protocol's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "controller.h"
#include "policy.h"
#include "snapshot.h"
#include "testsupport.h"

static atomic_int applied;

static int w_render(void *ctx, const weft_snapshot *snap, const weft_resource *dev, void **desired,
                    weft_err *err)
{
	(void)ctx;
	(void)err;
	*desired = weft_snapshot_ref((weft_snapshot *)snap);
	(void)dev;
	return 0;
}

static int w_diff(void *ctx, const weft_resource *dev, const void *desired, const void *actual,
                  weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)actual;
	size_t n;
	weft_resource *const *sel = weft_snapshot_by_device(desired, dev->ns, dev->name, &n);
	for (size_t i = 0; i < n; i++) {
		const weft_service_spec *s = sel[i]->spec;
		if (sel[i]->kind != WEFT_KIND_SERVICE)
			continue;
		if (weft_plan_add(plan, "write", sel[i]->name, NULL) ||
		    (s->subsets.count && weft_warn(&plan->warnings, sel[i], s->subsets.items[0].pos,
		                                   "spec.subsets", "left out: no subsets here")))
			return weft_err_set(err, "out of memory");
	}
	return 0;
}

static int w_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)session;
	(void)plan;
	(void)err;
	atomic_fetch_add(&applied, 1);
	return 0;
}

static void w_free(void *ctx, void *config)
{
	(void)ctx;
	weft_snapshot_unref(config);
}

static const weft_adapter WARNER = {.kind = "warner",
                                    .abi = WEFT_ADAPTER_ABI,
                                    .render = w_render,
                                    .diff = w_diff,
                                    .apply = w_apply,
                                    .free_config = w_free};

static const char *POLICY = "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
                            "spec:\n  ports: [{name: http, port: 80}]\n"
                            "  endpoints: [{address: 10.0.0.1, labels: {v: a}}]\n"
                            "  subsets: [{name: a, labels: {v: a}}]\n"
                            "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: %s}\n"
                            "spec: {type: warner%s}\n";

static json_t *device_status(weft_controller *c, const char *name)
{
	json_t *st = weft_controller_status(c);
	json_t *d, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(st, "devices"), i,
	                   d) if (!strcmp(json_string_value(json_object_get(d, "name")), name))
	        found = json_incref(d);
	json_decref(st);
	return found;
}

static weft_controller *run(const char *dir, const char *device, const char *extra)
{
	weft_err err = {0};
	assert_int_equal(weft_adapter_register(&WARNER, 1, &err), 0);
	char state[4200];
	snprintf(state, sizeof(state), "%s/state", dir);
	weft_controller_opts opts = {
	        .state_dir = state, .quiet_ms = 20, .max_delay_ms = 200, .keep_revisions = 10};
	weft_controller *c = weft_controller_open(&opts, &err);
	if (!c)
		fail_msg("open: %s", err.msg);
	char text[2048];
	snprintf(text, sizeof(text), POLICY, device, extra);
	weft_docset docs;
	weft_diags diags;
	weft_docset_init(&docs);
	weft_diags_init(&diags);
	assert_int_equal(weft_docset_parse(&docs, "w.yaml", text, strlen(text), &diags), 0);
	weft_write_result res;
	assert_int_equal(weft_controller_apply(c, &docs, WEFT_APPLY_MERGE, "test", -1, 0, &res,
	                                       &diags, &err),
	                 0);
	weft_write_result_free(&res);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	assert_int_equal(weft_controller_wait_pushed(c, 1, 10000), 0);
	return c;
}

static void test_status_and_event(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-warn");
	atomic_store(&applied, 0);
	weft_controller *c = run(dir, "lax", "");
	json_t *d = device_status(c, "default/lax");
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "state")), "in-sync");
	json_t *w = json_array_get(json_object_get(d, "warnings"), 0);
	assert_string_equal(json_string_value(json_object_get(w, "resource")),
	                    "Service default/web");
	assert_string_equal(json_string_value(json_object_get(w, "field")), "spec.subsets");
	assert_int_equal(json_integer_value(json_object_get(w, "line")), 7); /* the subsets line */
	json_decref(d);
	assert_int_equal(atomic_load(&applied), 1);
	json_t *ev = weft_controller_events(c, 0, 0);
	int seen = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(ev, "events"), i, e) seen |=
	        !strcmp(json_string_value(json_object_get(e, "type")), "warnings");
	json_decref(ev);
	assert_true(seen);
	weft_controller_close(c);
	ts_rmtree(dir);
	free(dir);
}

static void test_strict_refuses(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-warn");
	atomic_store(&applied, 0);
	weft_controller *c = run(dir, "strict", ", strict: true");
	json_t *d = device_status(c, "default/strict");
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "state")), "error");
	const char *le = json_string_value(json_object_get(d, "last_error"));
	assert_non_null(le);
	assert_non_null(strstr(le, "strict"));
	assert_non_null(strstr(le, "w.yaml:7: Service default/web: spec.subsets"));
	json_decref(d);
	assert_int_equal(atomic_load(&applied), 0); /* nothing applied */
	weft_controller_close(c);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_status_and_event),
	        cmocka_unit_test(test_strict_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
