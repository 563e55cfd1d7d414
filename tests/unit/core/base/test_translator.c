/* Unit tests: the translator registry and the field-table walk
 * (core/translator.c): find by apiVersion and kind, known kind in another
 * version, and every unlisted field reported with its concrete path while
 * translated rows are entered and other rows cover their subtree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translator.h"

static int noop(weft_xlate *x, const weft_xsrc *src)
{
	(void)x;
	(void)src;
	return 0;
}

static const char *const versions[] = {"v1", "v1beta1", NULL};
static const weft_field_rule rows[] = {
        {"spec", WEFT_FIELD_TRANSLATED, "spec"},
        {"spec.hosts", WEFT_FIELD_TRANSLATED, "hosts"},
        {"spec.http", WEFT_FIELD_TRANSLATED, "http"},
        {"spec.http[].match", WEFT_FIELD_TRANSLATED, "match"},
        {"spec.http[].match[].headers", WEFT_FIELD_TRANSLATED, "headers"},
        {"spec.http[].match[].headers.*", WEFT_FIELD_TRANSLATED, "header name"},
        {"spec.http[].match[].headers.*.exact", WEFT_FIELD_TRANSLATED, "exact"},
        {"spec.http[].mirror", WEFT_FIELD_REFUSED, "no mirroring"},
        {"spec.http[].match[].headers.x-special", WEFT_FIELD_WARNED, "special"},
        {"status", WEFT_FIELD_IGNORED, "server"},
};
static const weft_translator widget = {
        .group = "example.com",
        .versions = versions,
        .kind = "Widget",
        .phase = 0,
        .fields = rows,
        .n_fields = sizeof(rows) / sizeof(rows[0]),
        .translate = noop,
};

static void test_register_find(void **state)
{
	(void)state;
	weft_err err = {0};
	int known = 0;
	assert_int_equal(weft_translator_register(&widget, 0, &err), 0);
	assert_int_not_equal(weft_translator_register(&widget, 0, &err), 0);
	assert_non_null(strstr(err.msg, "already registered"));
	assert_int_equal(weft_translator_register(&widget, 1, &err), 0);
	assert_ptr_equal(weft_translator_find("example.com/v1beta1", "Widget", &known), &widget);
	assert_int_equal(known, 1);
	assert_null(weft_translator_find("example.com/v2", "Widget", &known));
	assert_int_equal(known, 1);
	assert_null(weft_translator_find("example.org/v1", "Widget", &known));
	assert_int_equal(known, 0);
	assert_null(weft_translator_find("v1", "Widget", &known));
	const weft_translator *list[8];
	assert_int_equal(weft_translator_list(list, 8), 1);
	weft_translator bad = widget;
	bad.translate = NULL;
	assert_int_not_equal(weft_translator_register(&bad, 1, &err), 0);
}

typedef struct seen {
	char paths[16][128];
	int actions[16];
	size_t n;
} seen;

static void record(void *ctx, const weft_field_rule *rule, const weft_node *key,
                   const weft_node *value, const char *path)
{
	(void)key;
	(void)value;
	seen *s = ctx;
	assert_true(s->n < 16);
	snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
	s->actions[s->n++] = rule ? (int)rule->action : -1;
}

static void test_walk(void **state)
{
	(void)state;
	const char *text = "apiVersion: example.com/v1\nkind: Widget\n"
	                   "spec:\n  hosts: [a]\n  hsots: [b]\n  http:\n"
	                   "  - match:\n    - headers:\n        x-user: {exact: j, prefx: k}\n"
	                   "        x-special: {exact: z}\n"
	                   "    mirror: {host: m, deep: {er: 1}}\n"
	                   "  - match: []\n    timeout: 2s\n"
	                   "status: {ok: true}\n";
	weft_docset set;
	weft_diags d;
	weft_docset_init(&set);
	weft_diags_init(&d);
	assert_int_equal(weft_docset_parse(&set, "w.yaml", text, strlen(text), &d), 0);
	seen s = {0};
	weft_field_walk(rows, sizeof(rows) / sizeof(rows[0]), set.docs[0].root, record, &s);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.paths[0], "spec.hsots");
	assert_int_equal(s.actions[0], -1);
	assert_string_equal(s.paths[1], "spec.http[0].match[0].headers.x-user.prefx");
	assert_int_equal(s.actions[1], -1);
	assert_string_equal(s.paths[2], "spec.http[0].match[0].headers.x-special");
	assert_int_equal(s.actions[2], WEFT_FIELD_WARNED);
	assert_string_equal(s.paths[3], "spec.http[0].mirror");
	assert_int_equal(s.actions[3], WEFT_FIELD_REFUSED);
	assert_string_equal(s.paths[4], "spec.http[1].timeout");
	assert_int_equal(s.actions[4], -1);
	assert_string_equal(s.paths[5], "status");
	assert_int_equal(s.actions[5], WEFT_FIELD_IGNORED);
	weft_docset_free(&set);
	weft_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_register_find),
	        cmocka_unit_test(test_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
