/* The directory walker (core/dirwalk.c) on real temporary trees: sorted
 * names, hidden entries skipped, links followed; two symbolic link loops
 * and a second link into one directory are three problems naming the
 * links, with every file read exactly once; the depth limit; callbacks
 * that skip and stop; and weft_docset_load_path (core/doc.c) reporting a
 * loop as one diagnostic. */
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

#include "dirwalk.h"
#include "doc.h"
#include "testsupport.h"

struct seen {
	char files[64][256];
	size_t n_files;
	char problems[16][1400];
	size_t n_problems;
	int skip_dir_named_b;
	int stop_at_file;
};

static int on_file(void *ctx, const weft_dirwalk_entry *e)
{
	struct seen *s = ctx;
	if (s->n_files < 64)
		snprintf(s->files[s->n_files++], sizeof(s->files[0]), "%s", e->rel);
	return s->stop_at_file && (int)s->n_files == s->stop_at_file ? 7 : 0;
}

static int on_dir(void *ctx, const weft_dirwalk_entry *e)
{
	struct seen *s = ctx;
	return s->skip_dir_named_b && !strcmp(e->name, "b");
}

static void on_problem(void *ctx, const char *path, const char *msg)
{
	struct seen *s = ctx;
	if (s->n_problems < 16)
		snprintf(s->problems[s->n_problems++], sizeof(s->problems[0]), "%s: %s", path, msg);
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(ts_write_file(path, text), 0);
}

static void dir(const char *root, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void link_to(const char *root, const char *rel, const char *target)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static const weft_dirwalk_ops OPS = {.file = on_file, .dir = on_dir, .problem = on_problem};

static void test_order_hidden_links(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-walk");
	dir(root, "b");
	dir(root, "a");
	dir(root, ".hidden");
	put(root, ".hidden/x.yaml", "x");
	put(root, ".dot.yaml", "x");
	put(root, "b/2.yaml", "x");
	put(root, "a/1.yaml", "x");
	put(root, "z.yaml", "x");
	link_to(root, "c.yaml", "z.yaml");
	link_to(root, "dangling.yaml", "nowhere");
	struct seen s = {0};
	assert_int_equal(weft_dirwalk(root, &OPS, &s), 0);
	assert_int_equal(s.n_problems, 0);
	assert_int_equal(s.n_files, 4);
	assert_string_equal(s.files[0], "a/1.yaml");
	assert_string_equal(s.files[1], "b/2.yaml");
	assert_string_equal(s.files[2], "c.yaml");
	assert_string_equal(s.files[3], "z.yaml");

	/* a dir callback returning 1 skips; a file callback's value stops */
	memset(&s, 0, sizeof(s));
	s.skip_dir_named_b = 1;
	assert_int_equal(weft_dirwalk(root, &OPS, &s), 0);
	assert_int_equal(s.n_files, 3);
	memset(&s, 0, sizeof(s));
	s.stop_at_file = 2;
	assert_int_equal(weft_dirwalk(root, &OPS, &s), 7);
	assert_int_equal(s.n_files, 2);

	/* the root must be a directory */
	char file[1024];
	snprintf(file, sizeof(file), "%s/z.yaml", root);
	memset(&s, 0, sizeof(s));
	assert_int_equal(weft_dirwalk(file, &OPS, &s), 1);
	assert_int_equal(s.n_problems, 1);
	assert_non_null(strstr(s.problems[0], "not a directory"));
	ts_rmtree(root);
	free(root);
}

/* Two loops (each back to an ancestor) and a diamond: before the walker
 * tracked directories by (st_dev, st_ino), the two loops alone made the
 * work double at every level down to the depth limit. */
static void test_two_loops(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-walk");
	dir(root, "a");
	dir(root, "b");
	dir(root, "b/c");
	put(root, "top.yaml", "x");
	put(root, "a/1.yaml", "x");
	put(root, "b/c/2.yaml", "x");
	link_to(root, "a/loop1", "..");
	link_to(root, "b/c/loop2", "../..");
	link_to(root, "d", "b/c"); /* a second way into b/c, not a loop */
	struct seen s = {0};
	long long t0 = ts_now_ms();
	assert_int_equal(weft_dirwalk(root, &OPS, &s), 1);
	assert_true(ts_now_ms() - t0 < 1000);
	for (size_t i = 0; i < s.n_problems; i++)
		fprintf(stderr, "problem: %s\n", s.problems[i]);
	assert_int_equal(s.n_problems, 3);
	char want[1200];
	snprintf(want, sizeof(want), "%s/a/loop1: symbolic link loop: leads back to %s,", root,
	         root);
	assert_non_null(strstr(s.problems[0], want));
	snprintf(want, sizeof(want), "%s/b/c/loop2: symbolic link loop: leads back to %s,", root,
	         root);
	assert_non_null(strstr(s.problems[1], want));
	snprintf(want, sizeof(want), "%s/d: the same directory as %s/b/c, already read", root,
	         root);
	assert_non_null(strstr(s.problems[2], want));
	assert_int_equal(s.n_files, 3); /* each file once */

	/* the policy loader: one diagnostic per link, each naming it */
	weft_docset set;
	weft_diags diags;
	assert_int_equal(weft_docset_init(&set), 0);
	weft_diags_init(&diags);
	put(root, "top.yaml", "a: 1\n");
	put(root, "a/1.yaml", "b: 2\n");
	put(root, "b/c/2.yaml", "c: 3\n");
	assert_int_equal(weft_docset_load_path(&set, root, &diags), -1);
	assert_int_equal(diags.count, 3);
	snprintf(want, sizeof(want), "%s/a/loop1", root);
	assert_string_equal(diags.items[0].file, want);
	assert_non_null(strstr(diags.items[0].msg, "symbolic link loop"));
	assert_int_equal(set.count, 3);
	weft_diags_free(&diags);
	weft_docset_free(&set);
	ts_rmtree(root);
	free(root);
}

static void test_depth_limit(void **state)
{
	(void)state;
	char *root = ts_mkdtemp("weft-walk");
	dir(root, "1");
	dir(root, "1/2");
	dir(root, "1/2/3");
	dir(root, "1/2/3/4");
	put(root, "1/2/3/ok.yaml", "x");
	put(root, "1/2/3/4/deep.yaml", "x");
	struct seen s = {0};
	weft_dirwalk_ops ops = OPS;
	ops.max_depth = 3;
	assert_int_equal(weft_dirwalk(root, &ops, &s), 1);
	assert_int_equal(s.n_files, 1);
	assert_int_equal(s.n_problems, 1);
	assert_non_null(strstr(s.problems[0], "1/2/3/4: nested deeper than 3 directories"));
	ts_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_order_hidden_links),
	        cmocka_unit_test(test_two_loops),
	        cmocka_unit_test(test_depth_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
