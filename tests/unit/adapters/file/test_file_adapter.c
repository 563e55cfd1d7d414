/* Unit tests of the file adapter's phases (adapters/file) driven directly:
 * render -> observe -> diff is minimal; prepare stages without effect;
 * apply + confirm make it live; apply + abort restore exactly what was
 * there (replaced files back, created files gone, deleted files back).
 * Ownership: files in the device directory that weft did not write (not
 * in its .weft-manifest) survive every push and deletion, and a file in
 * the way of a create is refused unless it already holds what weft would
 * write. Also plugin loading (weft_adapter_load_dir) with good and bad plugins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "file_adapter.h"
#include "file_tree.h"
#include "policy.h"
#include "resource.h"
#include "testsupport.h"
#include "testpolicy.h"

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: a}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, port: %d}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: b}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.2, port: 80}]}\n"
        "%s"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: dev}\n"
        "spec: {type: file, options: {directory: out}}\n";

static const char *SERVICE_C =
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: c}\n"
        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.3, port: 80}]}\n";

static weft_snapshot *compile(int port_a, int with_c)
{
	char text[4096];
	snprintf(text, sizeof(text), POLICY, port_a, with_c ? SERVICE_C : "");
	return wtp_compile_yaml("f.yaml", text, 1);
}

/* Renders s for its device and diffs against the directory: fills plan. */
static void plan_for(const weft_adapter_instance *a, void *session, weft_snapshot *s,
                     weft_plan *plan)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	void *desired = NULL, *actual = NULL;
	weft_err err = {0};
	weft_plan_init(plan, "default/dev", "file", 1);
	assert_int_equal(a->ops->render(a->ctx, s, devs[0], &desired, &err), 0);
	assert_int_equal(a->ops->observe(a->ctx, session, devs[0], &actual, &err), 0);
	assert_int_equal(a->ops->diff(a->ctx, devs[0], desired, actual, plan, &err), 0);
	a->ops->free_config(a->ctx, desired);
	a->ops->free_config(a->ctx, actual);
}

/* A file adapter instance rooted at root. */
static void file_instance(weft_adapter_instance *inst, const char *root)
{
	json_t *cfg = json_pack("{s:s}", "root", root);
	weft_err err = {0};
	assert_int_equal(weft_adapter_instance_init(inst, file_adapter(), NULL, cfg, &err), 0);
	json_decref(cfg);
}

static char *read_rel(const char *root, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/out/%s", root, rel);
	return ts_read_file(path, NULL);
}

static void push(const weft_adapter_instance *a, void *session, weft_plan *plan)
{
	weft_err err = {0};
	assert_int_equal(a->ops->prepare(a->ctx, session, plan, &err), 0);
	assert_int_equal(a->ops->apply(a->ctx, session, plan, &err), 0);
	assert_int_equal(a->ops->confirm(a->ctx, session, plan, &err), 0);
}

static void test_phases_and_abort(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-file");
	weft_adapter_instance inst;
	const weft_adapter_instance *a = &inst;
	json_t *cfg = json_pack("{s:s}", "root", root);
	weft_err ierr = {0};
	assert_int_equal(weft_adapter_instance_init(&inst, file_adapter(), NULL, cfg, &ierr), 0);
	json_decref(cfg);
	weft_snapshot *s1 = compile(80, 0), *s2 = compile(8080, 1);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s1, &n);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(a->ops->open(a->ctx, devs[0], &session, &err), 0);

	weft_plan plan;
	plan_for(a, session, s1, &plan);
	assert_int_equal(plan.n_ops, 2); /* services a and b */
	assert_string_equal(plan.ops[0].action, "create");
	assert_int_equal(a->ops->prepare(a->ctx, session, &plan, &err), 0);
	assert_null(read_rel(root, "services/default/a.json")); /* staged only */
	assert_int_equal(a->ops->apply(a->ctx, session, &plan, &err), 0);
	assert_int_equal(a->ops->confirm(a->ctx, session, &plan, &err), 0);
	weft_plan_free(&plan);
	char *a1 = read_rel(root, "services/default/a.json");
	assert_non_null(a1);

	/* Nothing changed: an empty plan. */
	plan_for(a, session, s1, &plan);
	assert_int_equal(plan.n_ops, 0);
	weft_plan_free(&plan);

	/* s2: a updated, c created. Apply then abort: everything restored. */
	plan_for(a, session, s2, &plan);
	assert_int_equal(plan.n_ops, 2);
	assert_int_equal(a->ops->prepare(a->ctx, session, &plan, &err), 0);
	assert_int_equal(a->ops->apply(a->ctx, session, &plan, &err), 0);
	char *a2 = read_rel(root, "services/default/a.json");
	assert_string_not_equal(a1, a2);
	assert_int_equal(a->ops->abort(a->ctx, session, &plan, WEFT_PHASE_APPLY, &err), 0);
	weft_plan_free(&plan);
	char *a3 = read_rel(root, "services/default/a.json");
	assert_string_equal(a1, a3);
	assert_null(read_rel(root, "services/default/c.json"));

	/* A file deleted by a plan comes back on abort too. */
	push(a, session, (plan_for(a, session, s2, &plan), &plan));
	weft_plan_free(&plan);
	plan_for(a, session, s1, &plan); /* c must be deleted */
	int deletes = 0;
	for (size_t i = 0; i < plan.n_ops; i++)
		deletes += !strcmp(plan.ops[i].action, "delete");
	assert_int_equal(deletes, 1);
	assert_int_equal(a->ops->prepare(a->ctx, session, &plan, &err), 0);
	assert_int_equal(a->ops->apply(a->ctx, session, &plan, &err), 0);
	assert_null(read_rel(root, "services/default/c.json"));
	assert_int_equal(a->ops->abort(a->ctx, session, &plan, WEFT_PHASE_APPLY, &err), 0);
	char *c = read_rel(root, "services/default/c.json");
	assert_non_null(c);
	weft_plan_free(&plan);

	free(a1);
	free(a2);
	free(a3);
	free(c);
	a->ops->close(a->ctx, session);
	weft_adapter_instance_fini(&inst);
	weft_snapshot_unref(s1);
	weft_snapshot_unref(s2);
	ts_rmtree(root);
	free(root);
}

/* Two instances with their own roots: each writes under its own, and
 * neither sees the other's root (no process-wide setting). An option the
 * adapter does not know is refused with its name. */
static void test_instances_share_nothing(void **state)
{
	(void)state;
	char *r1 = ts_mkdtemp("weft-file-i1"), *r2 = ts_mkdtemp("weft-file-i2");
	weft_adapter_instance i1, i2;
	weft_err err = {0};
	json_t *c1 = json_pack("{s:s}", "root", r1), *c2 = json_pack("{s:s}", "root", r2);
	assert_int_equal(weft_adapter_instance_init(&i1, file_adapter(), NULL, c1, &err), 0);
	assert_int_equal(weft_adapter_instance_init(&i2, file_adapter(), NULL, c2, &err), 0);
	weft_snapshot *s = compile(80, 0);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	void *sess1 = NULL, *sess2 = NULL;
	assert_int_equal(i1.ops->open(i1.ctx, devs[0], &sess1, &err), 0);
	weft_plan plan;
	plan_for(&i1, sess1, s, &plan);
	push(&i1, sess1, &plan);
	weft_plan_free(&plan);
	char *in1 = read_rel(r1, "services/default/a.json");
	assert_non_null(in1);
	assert_null(read_rel(r2, "services/default/a.json"));
	/* The second instance resolves the same Device under its own root:
	 * nothing there yet, so its plan creates both services. */
	assert_int_equal(i2.ops->open(i2.ctx, devs[0], &sess2, &err), 0);
	plan_for(&i2, sess2, s, &plan);
	assert_int_equal(plan.n_ops, 2);
	weft_plan_free(&plan);
	i1.ops->close(i1.ctx, sess1);
	i2.ops->close(i2.ctx, sess2);
	weft_adapter_instance_fini(&i1);
	weft_adapter_instance_fini(&i2);

	weft_adapter_instance bad;
	json_t *c3 = json_pack("{s:s}", "rot", r1);
	assert_int_equal(weft_adapter_instance_init(&bad, file_adapter(), NULL, c3, &err), -1);
	assert_non_null(strstr(err.msg, "adapter file"));
	assert_non_null(strstr(err.msg, "'rot'"));
	json_decref(c1);
	json_decref(c2);
	json_decref(c3);
	free(in1);
	weft_snapshot_unref(s);
	ts_rmtree(r1);
	ts_rmtree(r2);
	free(r1);
	free(r2);
}

/* Writes root/out/rel, making its directories. */
static void put_rel(const char *root, const char *rel, const char *text)
{
	char path[4096], dir[4096];
	weft_err err = {0};
	snprintf(path, sizeof(path), "%s/out/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	assert_int_equal(file_tree_mkdirs(dir, &err), 0);
	assert_int_equal(ts_write_file(path, text), 0);
}

static void expect_rel(const char *root, const char *rel, const char *text)
{
	char *have = read_rel(root, rel);
	if (!have)
		fail_msg("%s/out/%s is gone", root, rel);
	assert_string_equal(have, text);
	free(have);
}

static const char *const FOREIGN[] = {"important.json", "sub/deeper/package.json",
                                      "services/unrelated.json", "services/default/unrelated.json",
                                      "notes.txt"};

static void test_foreign_files_survive(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-file");
	weft_adapter_instance inst;
	file_instance(&inst, root);
	const size_t n_foreign = sizeof(FOREIGN) / sizeof(FOREIGN[0]);
	for (size_t i = 0; i < n_foreign; i++)
		put_rel(root, FOREIGN[i], "{\"mine\": \"operator\"}\n");
	const weft_adapter_instance *a = &inst;
	weft_snapshot *s1 = compile(80, 0), *s2 = compile(8080, 1);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s1, &n);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(a->ops->open(a->ctx, devs[0], &session, &err), 0);

	/* s1 (a, b), s2 (a changed, c added), s1 again (c deleted), then an
	 * aborted s2: no plan ever names a foreign file. */
	weft_snapshot *seq[] = {s1, s2, s1};
	weft_plan plan;
	for (size_t k = 0; k < 3; k++) {
		plan_for(a, session, seq[k], &plan);
		for (size_t i = 0; i < plan.n_ops; i++)
			assert_non_null(strstr(plan.ops[i].target, "services/default/"));
		push(a, session, &plan);
		weft_plan_free(&plan);
	}
	assert_null(read_rel(root, "services/default/c.json"));
	plan_for(a, session, s2, &plan);
	assert_int_equal(a->ops->prepare(a->ctx, session, &plan, &err), 0);
	assert_int_equal(a->ops->apply(a->ctx, session, &plan, &err), 0);
	assert_int_equal(a->ops->abort(a->ctx, session, &plan, WEFT_PHASE_APPLY, &err), 0);
	weft_plan_free(&plan);
	for (size_t i = 0; i < n_foreign; i++)
		expect_rel(root, FOREIGN[i], "{\"mine\": \"operator\"}\n");

	/* The manifest lists exactly what weft wrote; the aborted push left it
	 * as it was. */
	char *m = read_rel(root, FILE_TREE_MANIFEST);
	assert_non_null(m);
	assert_non_null(strstr(m, "\nservices/default/a.json\nservices/default/b.json\n"));
	assert_null(strstr(m, "c.json"));
	assert_null(strstr(m, "unrelated"));
	free(m);

	/* A policy without services deletes a and b, and only them. */
	weft_snapshot *empty = wtp_compile_yaml(
	        "f.yaml",
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: z, namespace: other}\n"
	        "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.9}]}\n"
	        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: dev}\n"
	        "spec: {type: file, scope: {namespaces: [other]}, options: {directory: out}}\n",
	        2);
	plan_for(a, session, empty, &plan);
	int deletes = 0;
	for (size_t i = 0; i < plan.n_ops; i++)
		deletes += !strcmp(plan.ops[i].action, "delete");
	assert_int_equal(deletes, 2);
	push(a, session, &plan);
	weft_plan_free(&plan);
	assert_null(read_rel(root, "services/default/a.json"));
	for (size_t i = 0; i < n_foreign; i++)
		expect_rel(root, FOREIGN[i], "{\"mine\": \"operator\"}\n");

	a->ops->close(a->ctx, session);
	weft_adapter_instance_fini(&inst);
	weft_snapshot_unref(s1);
	weft_snapshot_unref(s2);
	weft_snapshot_unref(empty);
	ts_rmtree(root);
	free(root);
}

/* A create whose target exists but is not weft's: refused at prepare
 * (nothing changes) unless its content is exactly what weft would write. */
static void test_file_in_the_way(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-file");
	weft_adapter_instance inst;
	file_instance(&inst, root);
	put_rel(root, "services/default/a.json", "operator's own a\n");
	const weft_adapter_instance *a = &inst;
	weft_snapshot *s1 = compile(80, 0);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s1, &n);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(a->ops->open(a->ctx, devs[0], &session, &err), 0);
	weft_plan plan;
	plan_for(a, session, s1, &plan);
	assert_int_equal(plan.n_ops, 2); /* a and b created: a is not weft's */
	assert_int_not_equal(a->ops->prepare(a->ctx, session, &plan, &err), 0);
	assert_non_null(strstr(err.msg, "services/default/a.json: a file weft did not write is "
	                                "in the way"));
	weft_plan_free(&plan);
	expect_rel(root, "services/default/a.json", "operator's own a\n");
	assert_null(read_rel(root, "services/default/b.json"));
	assert_null(read_rel(root, FILE_TREE_MANIFEST));

	/* The same bytes weft would write: adopted. */
	plan_for(a, session, s1, &plan);
	put_rel(root, "services/default/a.json", plan.ops[0].detail);
	err.msg[0] = 0;
	push(a, session, &plan);
	weft_plan_free(&plan);
	plan_for(a, session, s1, &plan);
	assert_int_equal(plan.n_ops, 0);
	weft_plan_free(&plan);

	a->ops->close(a->ctx, session);
	weft_adapter_instance_fini(&inst);
	weft_snapshot_unref(s1);
	ts_rmtree(root);
	free(root);
}

static void test_plugins(void **state)
{
	(void)state;
	weft_err err = {0};
	/* One good plugin, one with a wrong ABI, one file that is no plugin. */
	int loaded = weft_adapter_load_dir(WEFT_TEST_PLUGIN_DIR, &err);
	assert_int_equal(loaded, 1);
	assert_non_null(strstr(err.msg, "ABI"));
	const weft_adapter *p = weft_adapter_find("testplug");
	assert_non_null(p);
	assert_int_equal(p->abi, WEFT_ADAPTER_ABI);
	assert_null(weft_adapter_find("testplug-badabi"));
	/* A kind cannot be registered twice without replace. */
	assert_int_equal(weft_adapter_register(p, 0, &err), -1);
	assert_non_null(strstr(err.msg, "already registered"));
	assert_int_equal(weft_adapter_load_dir("/nonexistent-weft-dir", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-weft-dir"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_phases_and_abort),
	        cmocka_unit_test(test_instances_share_nothing),
	        cmocka_unit_test(test_foreign_files_survive),
	        cmocka_unit_test(test_file_in_the_way),
	        cmocka_unit_test(test_plugins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
