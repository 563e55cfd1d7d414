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
static void plan_for(const weft_adapter *a, void *session, weft_snapshot *s, weft_plan *plan)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	void *desired = NULL, *actual = NULL;
	weft_err err = {0};
	weft_plan_init(plan, "default/dev", "file", 1);
	assert_int_equal(a->render(s, devs[0], &desired, &err), 0);
	assert_int_equal(a->observe(session, devs[0], &actual, &err), 0);
	assert_int_equal(a->diff(devs[0], desired, actual, plan, &err), 0);
	a->free_config(desired);
	a->free_config(actual);
}

static char *read_rel(const char *root, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/out/%s", root, rel);
	return ts_read_file(path, NULL);
}

static void push(const weft_adapter *a, void *session, weft_plan *plan)
{
	weft_err err = {0};
	assert_int_equal(a->prepare(session, plan, &err), 0);
	assert_int_equal(a->apply(session, plan, &err), 0);
	assert_int_equal(a->confirm(session, plan, &err), 0);
}

static void test_phases_and_abort(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-file");
	weft_file_adapter_set_root(root);
	const weft_adapter *a = weft_file_adapter();
	weft_snapshot *s1 = compile(80, 0), *s2 = compile(8080, 1);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s1, &n);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(a->open(devs[0], &session, &err), 0);

	weft_plan plan;
	plan_for(a, session, s1, &plan);
	assert_int_equal(plan.n_ops, 2); /* services a and b */
	assert_string_equal(plan.ops[0].action, "create");
	assert_int_equal(a->prepare(session, &plan, &err), 0);
	assert_null(read_rel(root, "services/default/a.json")); /* staged only */
	assert_int_equal(a->apply(session, &plan, &err), 0);
	assert_int_equal(a->confirm(session, &plan, &err), 0);
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
	assert_int_equal(a->prepare(session, &plan, &err), 0);
	assert_int_equal(a->apply(session, &plan, &err), 0);
	char *a2 = read_rel(root, "services/default/a.json");
	assert_string_not_equal(a1, a2);
	assert_int_equal(a->abort(session, &plan, &err), 0);
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
	assert_int_equal(a->prepare(session, &plan, &err), 0);
	assert_int_equal(a->apply(session, &plan, &err), 0);
	assert_null(read_rel(root, "services/default/c.json"));
	assert_int_equal(a->abort(session, &plan, &err), 0);
	char *c = read_rel(root, "services/default/c.json");
	assert_non_null(c);
	weft_plan_free(&plan);

	free(a1);
	free(a2);
	free(a3);
	free(c);
	a->close(session);
	weft_snapshot_unref(s1);
	weft_snapshot_unref(s2);
	ts_rmtree(root);
	free(root);
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
	weft_file_adapter_set_root(root);
	const size_t n_foreign = sizeof(FOREIGN) / sizeof(FOREIGN[0]);
	for (size_t i = 0; i < n_foreign; i++)
		put_rel(root, FOREIGN[i], "{\"mine\": \"operator\"}\n");
	const weft_adapter *a = weft_file_adapter();
	weft_snapshot *s1 = compile(80, 0), *s2 = compile(8080, 1);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s1, &n);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(a->open(devs[0], &session, &err), 0);

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
	assert_int_equal(a->prepare(session, &plan, &err), 0);
	assert_int_equal(a->apply(session, &plan, &err), 0);
	assert_int_equal(a->abort(session, &plan, &err), 0);
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

	a->close(session);
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
	weft_file_adapter_set_root(root);
	put_rel(root, "services/default/a.json", "operator's own a\n");
	const weft_adapter *a = weft_file_adapter();
	weft_snapshot *s1 = compile(80, 0);
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s1, &n);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(a->open(devs[0], &session, &err), 0);
	weft_plan plan;
	plan_for(a, session, s1, &plan);
	assert_int_equal(plan.n_ops, 2); /* a and b created: a is not weft's */
	assert_int_not_equal(a->prepare(session, &plan, &err), 0);
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

	a->close(session);
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
	        cmocka_unit_test(test_foreign_files_survive),
	        cmocka_unit_test(test_file_in_the_way),
	        cmocka_unit_test(test_plugins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
