/* Unit tests: string hash map (core/hmap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"

static void test_put_get_replace_grow(void **state)
{
	(void)state;
	weft_hmap m;
	weft_hmap_init(&m);
	assert_null(weft_hmap_get(&m, "missing"));
	static char keys[5000][16];
	for (int i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
		assert_int_equal(weft_hmap_put(&m, keys[i], (void *)(intptr_t)(i + 1)), 0);
	}
	assert_int_equal(m.count, 5000);
	for (int i = 0; i < 5000; i++)
		assert_int_equal((intptr_t)weft_hmap_get(&m, keys[i]), i + 1);
	weft_hmap_put(&m, keys[7], (void *)(intptr_t)99);
	assert_int_equal(m.count, 5000);
	assert_int_equal((intptr_t)weft_hmap_get(&m, "key-7"), 99);
	assert_null(weft_hmap_get(&m, "key-5000"));
	weft_hmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_put_get_replace_grow)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
