/* Unit tests: policy sets (core/policyset.c): sorting, lookup, per-kind
 * slices, duplicates, derive with upserts and deletes, sharing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "policyset.h"
#include "resource.h"

static weft_resource *mk(weft_kind kind, const char *ns, const char *name, uint64_t hash)
{
	weft_resource *r = weft_resource_new(kind);
	r->ns = weft_arena_strdup(r->arena, ns);
	r->name = weft_arena_strdup(r->arena, name);
	r->file = "t.yaml";
	r->line = (int)hash;
	r->hash = hash;
	return r;
}

static void unref_all(weft_resource **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(r[i]);
}

static void test_sorted_find_and_kinds(void **state)
{
	(void)state;
	weft_resource *r[4] = {
	        mk(WEFT_KIND_ROUTE, "default", "r1", 1), mk(WEFT_KIND_SERVICE, "prod", "b", 2),
	        mk(WEFT_KIND_SERVICE, "default", "a", 3), mk(WEFT_KIND_DEVICE, "default", "d", 4)};
	weft_diags d;
	weft_diags_init(&d);
	weft_policyset *s = weft_policyset_new(r, 4, &d);
	unref_all(r, 4);
	assert_non_null(s);
	assert_int_equal(weft_policyset_count(s), 4);
	weft_resource *const *items = weft_policyset_items(s);
	assert_string_equal(items[0]->name, "a");
	assert_string_equal(items[1]->name, "b");
	assert_string_equal(items[2]->name, "r1");
	size_t n;
	weft_resource *const *svcs = weft_policyset_kind(s, WEFT_KIND_SERVICE, &n);
	assert_int_equal(n, 2);
	assert_string_equal(svcs[1]->ns, "prod");
	weft_policyset_kind(s, WEFT_KIND_GATEWAY, &n);
	assert_int_equal(n, 0);
	assert_non_null(weft_policyset_find(s, WEFT_KIND_DEVICE, "default", "d"));
	assert_null(weft_policyset_find(s, WEFT_KIND_DEVICE, "default", "e"));
	assert_null(weft_policyset_find(s, WEFT_KIND_SERVICE, "prod", "a"));
	weft_policyset_unref(s);
	weft_diags_free(&d);
}

static void test_duplicates_reported(void **state)
{
	(void)state;
	weft_resource *r[2] = {mk(WEFT_KIND_SERVICE, "default", "a", 3),
	                       mk(WEFT_KIND_SERVICE, "default", "a", 9)};
	weft_diags d;
	weft_diags_init(&d);
	assert_null(weft_policyset_new(r, 2, &d));
	unref_all(r, 2);
	assert_int_equal(d.count, 1);
	char *msg = weft_diag_format(&d.items[0]);
	assert_non_null(strstr(msg, "duplicate Service 'default/a'"));
	assert_non_null(strstr(msg, "also defined at t.yaml:"));
	free(msg);
	weft_diags_free(&d);
}

static void test_derive_shares_and_replaces(void **state)
{
	(void)state;
	weft_resource *r[3] = {mk(WEFT_KIND_SERVICE, "default", "a", 1),
	                       mk(WEFT_KIND_SERVICE, "default", "b", 2),
	                       mk(WEFT_KIND_ROUTE, "default", "r", 3)};
	weft_diags d;
	weft_diags_init(&d);
	weft_policyset *base = weft_policyset_new(r, 3, &d);
	weft_resource *up[2] = {mk(WEFT_KIND_SERVICE, "default", "b", 20),
	                        mk(WEFT_KIND_SERVICE, "default", "c", 30)};
	weft_key del = {WEFT_KIND_ROUTE, "default", "r"};
	weft_policyset *next = weft_policyset_derive(base, up, 2, &del, 1, &d);
	assert_non_null(next);
	assert_int_equal(d.count, 0);
	assert_int_equal(weft_policyset_count(next), 3);
	/* a is shared, b replaced, c added, r deleted */
	assert_ptr_equal(weft_policyset_find(next, WEFT_KIND_SERVICE, "default", "a"), r[0]);
	assert_int_equal(weft_policyset_find(next, WEFT_KIND_SERVICE, "default", "b")->hash, 20);
	assert_non_null(weft_policyset_find(next, WEFT_KIND_SERVICE, "default", "c"));
	assert_null(weft_policyset_find(next, WEFT_KIND_ROUTE, "default", "r"));
	/* base unchanged */
	assert_int_equal(weft_policyset_find(base, WEFT_KIND_SERVICE, "default", "b")->hash, 2);
	unref_all(r, 3);
	unref_all(up, 2);
	weft_policyset_unref(base);
	/* resources still alive through next */
	assert_string_equal(weft_policyset_find(next, WEFT_KIND_SERVICE, "default", "a")->name,
	                    "a");
	weft_policyset_unref(next);
	weft_diags_free(&d);
}

static void test_delete_missing_fails(void **state)
{
	(void)state;
	weft_diags d;
	weft_diags_init(&d);
	weft_key del = {WEFT_KIND_ROUTE, "default", "nope"};
	assert_null(weft_policyset_derive(NULL, NULL, 0, &del, 1, &d));
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.items[0].msg, "cannot delete Route 'default/nope': not found"));
	weft_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sorted_find_and_kinds),
	        cmocka_unit_test(test_duplicates_reported),
	        cmocka_unit_test(test_derive_shares_and_replaces),
	        cmocka_unit_test(test_delete_missing_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
