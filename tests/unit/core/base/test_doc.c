/* Unit tests: YAML/JSON documents -> positioned trees (core/doc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

static int parse(weft_docset *set, weft_diags *d, const char *name, const char *text)
{
	weft_docset_init(set);
	weft_diags_init(d);
	return weft_docset_parse(set, name, text, strlen(text), d);
}

static void done(weft_docset *set, weft_diags *d)
{
	weft_docset_free(set);
	weft_diags_free(d);
}

static void test_positions_and_multi_docs(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	const char *text = "kind: Service\nmetadata:\n  name: a\n---\n# empty next\n---\n"
	                   "kind: Route\nspec:\n  port: 80\n  host: \"80\"\n";
	assert_int_equal(parse(&set, &d, "p.yaml", text), 0);
	assert_int_equal(set.count, 2);
	const weft_node *root = set.docs[0].root;
	assert_int_equal(root->kind, WEFT_NODE_MAP);
	const weft_node *md = weft_node_get(root, "metadata");
	const weft_node *name = weft_node_get(md, "name");
	assert_string_equal(name->str, "a");
	assert_int_equal(name->line, 3);
	assert_int_equal(name->col, 9);
	const weft_node *spec = weft_node_get(set.docs[1].root, "spec");
	assert_false(weft_node_get(spec, "port")->quoted);
	assert_true(weft_node_get(spec, "host")->quoted);
	assert_int_equal(weft_node_get(spec, "port")->line, 9);
	assert_string_equal(set.docs[1].file, "p.yaml");
	done(&set, &d);
}

static void test_duplicate_key(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "dup.yaml", "a: 1\nb: 2\na: 3\n"), -1);
	assert_int_equal(d.count, 1);
	char *msg = weft_diag_format(&d.items[0]);
	assert_string_equal(msg, "dup.yaml:3:1: duplicate key 'a' (first at line 1)");
	free(msg);
	done(&set, &d);
}

static void test_syntax_error_position(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "bad.yaml", "a: [1, 2\nb: 3\n"), -1);
	assert_true(d.count >= 1);
	assert_string_equal(d.items[0].file, "bad.yaml");
	assert_true(d.items[0].line >= 1);
	assert_non_null(strstr(d.items[0].msg, "YAML syntax error"));
	done(&set, &d);
}

static void test_alias_refused(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "a.yaml", "a: &x 1\nb: *x\n"), -1);
	assert_true(d.count >= 1);
	assert_non_null(strstr(d.items[0].msg, "anchors"));
	done(&set, &d);
}

/* Every explicit tag is refused with file:line:col and the field path;
 * nothing of a tagged value is taken as if the tag were absent. */
static void test_tags_refused(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "t.yaml",
	                       "apiVersion: !!python/object weft/v1\nkind: Service\n"
	                       "spec:\n  ports:\n  - {name: http, port: !!str 80}\n"
	                       "  labels: !custom {a: b}\n  hosts: !<tag:x> [a]\n"),
	                 -1);
	assert_int_equal(d.count, 4);
	char *msg = weft_diag_format(&d.items[0]);
	assert_string_equal(msg, "t.yaml:1:13: apiVersion: YAML tag '!!python/object' is not "
	                         "supported: weft types values by field (quote a value to make "
	                         "it a string)");
	free(msg);
	assert_string_equal(d.items[1].path, "spec.ports[0].port");
	assert_int_equal(d.items[1].line, 5);
	assert_int_equal(d.items[1].col, 24);
	assert_non_null(strstr(d.items[1].msg, "'!!str'"));
	assert_string_equal(d.items[2].path, "spec.labels");
	assert_non_null(strstr(d.items[2].msg, "'!custom'"));
	assert_string_equal(d.items[3].path, "spec.hosts");
	assert_non_null(strstr(d.items[3].msg, "'tag:x'"));
	done(&set, &d);
	/* a tag on a key is refused too; tag-like text in quotes is a string */
	assert_int_equal(parse(&set, &d, "k.yaml", "!!str a: 1\n"), -1);
	assert_int_equal(d.count, 1);
	done(&set, &d);
	assert_int_equal(parse(&set, &d, "p.yaml", "a: '!!str'\nb: \"!x\"\n"), 0);
	done(&set, &d);
}

static void test_json_strict(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "a.json", "{\"a\": 1,\n \"a\": 2}"), -1);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.items[0].file, "a.json");
	assert_int_equal(d.items[0].line, 2);
	assert_non_null(strstr(d.items[0].msg, "JSON syntax error"));
	done(&set, &d);
	assert_int_equal(
	        parse(&set, &d, "b.json", "{\"kind\": \"Service\",\n \"spec\": {\"port\": 80}}"),
	        0);
	const weft_node *port = weft_node_get(weft_node_get(set.docs[0].root, "spec"), "port");
	assert_int_equal(port->line, 2);
	assert_false(port->quoted);
	done(&set, &d);
}

static void test_depth_limit(void **state)
{
	(void)state;
	char buf[1000];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		buf[n++] = '[';
	for (int i = 0; i < 100; i++)
		buf[n++] = ']';
	buf[n] = 0;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "deep.yaml", buf), -1);
	assert_non_null(strstr(d.items[0].msg, "nested too deeply"));
	done(&set, &d);
}

static void test_nulls_and_empty(void **state)
{
	(void)state;
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "n.yaml", "a: ~\nb:\nc: null\nd: \"null\"\n"), 0);
	const weft_node *r = set.docs[0].root;
	assert_int_equal(weft_node_get(r, "a")->kind, WEFT_NODE_NULL);
	assert_int_equal(weft_node_get(r, "b")->kind, WEFT_NODE_NULL);
	assert_int_equal(weft_node_get(r, "c")->kind, WEFT_NODE_NULL);
	assert_int_equal(weft_node_get(r, "d")->kind, WEFT_NODE_SCALAR);
	done(&set, &d);
	assert_int_equal(parse(&set, &d, "e.yaml", ""), 0);
	assert_int_equal(set.count, 0);
	done(&set, &d);
}

static void test_large_lists(void **state)
{
	(void)state;
	/* Exercises the growth of item and pair arrays across many sizes. */
	char *buf = malloc(200000);
	size_t n = 0;
	n += (size_t)sprintf(buf + n, "items:\n");
	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(buf + n, "  - {k%d: %d, x: y}\n", i, i);
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "big.yaml", buf), 0);
	const weft_node *items = weft_node_get(set.docs[0].root, "items");
	assert_int_equal(items->count, 1000);
	for (size_t i = 0; i < items->count; i++) {
		char key[32];
		snprintf(key, sizeof(key), "k%zu", i);
		assert_non_null(weft_node_get(items->items[i], key));
		assert_int_equal(items->items[i]->line, (int)i + 2);
	}
	done(&set, &d);
	free(buf);
}

static void test_duplicate_keys_of_a_large_map(void **state)
{
	(void)state;
	/* 100,000 keys (sorted, not compared pairwise), two of them twice */
	size_t cap = 2000000, n = 0;
	char *buf = malloc(cap);
	for (int i = 0; i < 100000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "k%d: %d\n", i, i);
	n += (size_t)snprintf(buf + n, cap - n, "k7: again\nk99999: again\nk7: thrice\n");
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "keys.yaml", buf), -1);
	assert_int_equal(d.count, 3);
	weft_diags_sort(&d);
	char *msg = weft_diag_format(&d.items[0]);
	assert_string_equal(msg, "keys.yaml:100001:1: duplicate key 'k7' (first at line 8)");
	free(msg);
	msg = weft_diag_format(&d.items[2]);
	assert_string_equal(msg, "keys.yaml:100003:1: duplicate key 'k7' (first at line 8)");
	free(msg);
	done(&set, &d);
	free(buf);
}

static void test_set_limits(void **state)
{
	(void)state;
	/* one document more than a set may hold */
	size_t cap = (size_t)(WEFT_DOCSET_MAX_DOCS + 1) * 9 + 1, n = 0;
	char *buf = malloc(cap);
	for (int i = 0; i <= WEFT_DOCSET_MAX_DOCS; i++, n += 9)
		memcpy(buf + n, "---\nx: 1\n", 9);
	buf[n] = '\0';
	weft_docset set;
	weft_diags d;
	assert_int_equal(parse(&set, &d, "many.yaml", buf), -1);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.items[0].msg, "too many documents"));
	assert_int_equal(set.count, WEFT_DOCSET_MAX_DOCS);
	done(&set, &d);
	free(buf);
	/* a list of more nodes than a set may hold */
	cap = (size_t)(WEFT_DOCSET_MAX_NODES + 1) * 4 + 16;
	buf = malloc(cap);
	n = (size_t)snprintf(buf, cap, "l:\n");
	for (int i = 0; i <= WEFT_DOCSET_MAX_NODES; i++, n += 4)
		memcpy(buf + n, "- 1\n", 4);
	buf[n] = '\0';
	assert_int_equal(parse(&set, &d, "nodes.yaml", buf), -1);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.items[0].msg, "too many YAML nodes"));
	assert_int_equal(set.count, 0);
	done(&set, &d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_positions_and_multi_docs),
	        cmocka_unit_test(test_duplicate_key),
	        cmocka_unit_test(test_syntax_error_position),
	        cmocka_unit_test(test_alias_refused),
	        cmocka_unit_test(test_tags_refused),
	        cmocka_unit_test(test_json_strict),
	        cmocka_unit_test(test_depth_limit),
	        cmocka_unit_test(test_nulls_and_empty),
	        cmocka_unit_test(test_large_lists),
	        cmocka_unit_test(test_duplicate_keys_of_a_large_map),
	        cmocka_unit_test(test_set_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
