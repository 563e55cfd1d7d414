/* The trust rule of dry-run plans (core/controller_read.c, docs/security.md):
 * a plan with documents opens sessions only to Devices the stored policy
 * holds with the same type, connection and options; new or changed ones are
 * rendered and diffed offline (no open, no observe, nothing created). The
 * real file adapter runs under a wrapper that counts its open and observe
 * calls per device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapter.h"
#include "builtin.h"
#include "controller.h"
#include "file_adapter.h"
#include "testsupport.h"

static const weft_adapter *real;
static weft_adapter counting;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char opened[1024]; /* "ns/name," per open and observe */

static void note(const char *what, const weft_resource *dev)
{
	pthread_mutex_lock(&mu);
	size_t n = strlen(opened);
	snprintf(opened + n, sizeof(opened) - n, "%s:%s/%s,", what, dev->ns, dev->name);
	pthread_mutex_unlock(&mu);
}

static int counting_open(void *ctx, const weft_resource *dev, void **s, weft_err *e)
{
	note("open", dev);
	return real->open(ctx, dev, s, e);
}

static int counting_observe(void *ctx, void *s, const weft_resource *dev, void **actual,
                            weft_err *e)
{
	note("observe", dev);
	return real->observe(ctx, s, dev, actual, e);
}

struct fixture {
	char *dir;
	weft_controller *c;
};

static const char SERVICE[] = "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
                              "spec:\n  protocol: http\n  ports: [{name: http, port: 80}]\n"
                              "  endpoints: [{address: 10.0.0.1}]\n";

static void device(char *buf, size_t len, const char *name, const char *dir, const char *scope)
{
	snprintf(buf, len,
	         "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: %s}\n"
	         "spec:\n  type: file\n  options: {directory: %s}\n%s",
	         name, dir, scope ? scope : "");
}

static int parse(weft_docset *docs, const char *text)
{
	weft_diags diags;
	weft_diags_init(&diags);
	weft_docset_init(docs);
	int rc = weft_docset_parse(docs, "t.yaml", text, strlen(text), &diags);
	weft_diags_free(&diags);
	return rc;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	weft_err err = {0};
	assert_int_equal(weft_register_builtin_adapters(&err), 0);
	real = weft_adapter_find("file");
	counting = *real;
	counting.open = counting_open;
	counting.observe = counting_observe;
	assert_int_equal(weft_adapter_register(&counting, 1, &err), 0);
	f->dir = ts_mkdtemp("weft-plan-trust");
	char state_dir[4200];
	snprintf(state_dir, sizeof(state_dir), "%s/state", f->dir);
	/* no drift checks: every open the wrapper sees is the plan's */
	json_t *cfg = json_pack("{s:{s:s}}", "file", "root", f->dir);
	weft_controller_opts opts = {.state_dir = state_dir,
	                             .quiet_ms = 20,
	                             .max_delay_ms = 200,
	                             .reconcile_ms = -1,
	                             .adapter_config = cfg};
	f->c = weft_controller_open(&opts, &err);
	json_decref(cfg);
	assert_non_null(f->c);
	/* stored: the service and Device "edge" writing to "edge" */
	char text[2048], dev[512];
	device(dev, sizeof(dev), "edge", "edge", NULL);
	snprintf(text, sizeof(text), "%s%s", SERVICE, dev);
	weft_docset docs;
	assert_int_equal(parse(&docs, text), 0);
	weft_write_result res = {0};
	weft_diags diags;
	weft_diags_init(&diags);
	assert_int_equal(weft_controller_apply(f->c, &docs, WEFT_APPLY_MERGE, "test", -1, 0, &res,
	                                       &diags, &err),
	                 0);
	weft_write_result_free(&res);
	weft_diags_free(&diags);
	weft_docset_free(&docs);
	assert_int_equal(weft_controller_wait_pushed(f->c, 1, 10000), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	weft_controller_close(f->c);
	weft_adapter_register(real, 1, NULL);
	ts_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Plans text (NULL: the stored policy); the plan JSON, with the calls the
 * adapter saw in calls. */
static json_t *plan(struct fixture *f, const char *text, char *calls, size_t len)
{
	pthread_mutex_lock(&mu);
	opened[0] = '\0';
	pthread_mutex_unlock(&mu);
	weft_docset docs;
	if (text)
		assert_int_equal(parse(&docs, text), 0);
	json_t *out = NULL;
	weft_diags diags;
	weft_diags_init(&diags);
	weft_err err = {0};
	assert_int_equal(weft_controller_plan(f->c, text ? &docs : NULL, &out, &diags, &err), 0);
	weft_diags_free(&diags);
	if (text)
		weft_docset_free(&docs);
	pthread_mutex_lock(&mu);
	snprintf(calls, len, "%s", opened);
	pthread_mutex_unlock(&mu);
	return out;
}

static json_t *plan_of(json_t *p, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(p, "devices"), i, d)
	{
		if (!strcmp(json_string_value(json_object_get(d, "device")), name))
			return d;
	}
	return NULL;
}

static int exists(struct fixture *f, const char *rel)
{
	char p[4200];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	return stat(p, &st) == 0;
}

static void test_stored_policy_is_contacted(void **state)
{
	struct fixture *f = *state;
	char calls[1024];
	json_t *p = plan(f, NULL, calls, sizeof(calls));
	assert_string_equal(calls, "open:default/edge,observe:default/edge,");
	assert_null(json_object_get(plan_of(p, "default/edge"), "contacted"));
	json_decref(p);
}

static void test_new_device_is_planned_offline(void **state)
{
	struct fixture *f = *state;
	char text[2048], dev[512], calls[1024];
	device(dev, sizeof(dev), "fresh", "fresh", NULL);
	snprintf(text, sizeof(text), "%s%s", SERVICE, dev);
	json_t *p = plan(f, text, calls, sizeof(calls));
	/* the stored Device is contacted, the new one is not */
	assert_string_equal(calls, "open:default/edge,observe:default/edge,");
	json_t *fresh = plan_of(p, "default/fresh");
	assert_non_null(fresh);
	assert_true(json_is_false(json_object_get(fresh, "contacted")));
	assert_non_null(json_string_value(json_object_get(fresh, "note")));
	/* against an empty device: every rendered file is created */
	json_t *ops = json_object_get(fresh, "ops");
	assert_true(json_array_size(ops) > 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 0), "action")),
	                    "create");
	json_decref(p);
	assert_false(exists(f, "fresh"));
	assert_true(exists(f, "edge"));
}

static void test_changed_device_is_planned_offline(void **state)
{
	struct fixture *f = *state;
	char text[2048], dev[512], calls[1024];
	/* a new directory is a changed connection: offline */
	device(dev, sizeof(dev), "edge", "elsewhere", NULL);
	snprintf(text, sizeof(text), "%s%s", SERVICE, dev);
	json_t *p = plan(f, text, calls, sizeof(calls));
	assert_string_equal(calls, "");
	assert_true(json_is_false(json_object_get(plan_of(p, "default/edge"), "contacted")));
	json_decref(p);
	assert_false(exists(f, "elsewhere"));
	/* a new scope changes what is sent, not where: contacted */
	device(dev, sizeof(dev), "edge", "edge", "  scope: {services: [web]}\n");
	snprintf(text, sizeof(text), "%s%s", SERVICE, dev);
	p = plan(f, text, calls, sizeof(calls));
	assert_string_equal(calls, "open:default/edge,observe:default/edge,");
	assert_null(json_object_get(plan_of(p, "default/edge"), "contacted"));
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_stored_policy_is_contacted, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_new_device_is_planned_offline, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_changed_device_is_planned_offline, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
