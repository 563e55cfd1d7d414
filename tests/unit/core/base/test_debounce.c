/* Unit tests: debounce arithmetic (core/debounce.c), time driven by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "debounce.h"

static void test_idle(void **state)
{
	(void)state;
	weft_debounce d;
	weft_debounce_init(&d, 100, 1000);
	assert_int_equal(weft_debounce_wait(&d, 5), -1);
}

static void test_quiet_window(void **state)
{
	(void)state;
	weft_debounce d;
	weft_debounce_init(&d, 100, 1000);
	weft_debounce_note(&d, 1000);
	assert_int_equal(weft_debounce_wait(&d, 1000), 100);
	assert_int_equal(weft_debounce_wait(&d, 1050), 50);
	weft_debounce_note(&d, 1080); /* another change restarts the window */
	assert_int_equal(weft_debounce_wait(&d, 1100), 80);
	assert_int_equal(weft_debounce_wait(&d, 1180), 0);
	weft_debounce_fired(&d);
	assert_int_equal(weft_debounce_wait(&d, 1200), -1);
}

static void test_max_delay_caps_a_trickle(void **state)
{
	(void)state;
	weft_debounce d;
	weft_debounce_init(&d, 100, 1000);
	int64_t t = 0;
	weft_debounce_note(&d, t);
	/* A change every 50 ms never leaves a quiet window... */
	for (t = 50; t < 1000; t += 50) {
		assert_true(weft_debounce_wait(&d, t) > 0);
		weft_debounce_note(&d, t);
	}
	/* ...but the max delay fires 1000 ms after the first change. */
	assert_int_equal(weft_debounce_wait(&d, 1000), 0);
	assert_int_equal(weft_debounce_wait(&d, 990), 10);
}

static void test_flush_fires_now(void **state)
{
	(void)state;
	weft_debounce d;
	weft_debounce_init(&d, 100, 1000);
	weft_debounce_flush(&d); /* nothing pending: no effect */
	assert_int_equal(weft_debounce_wait(&d, 0), -1);
	weft_debounce_note(&d, 10);
	assert_int_equal(weft_debounce_wait(&d, 10), 100);
	weft_debounce_flush(&d);
	assert_int_equal(weft_debounce_wait(&d, 10), 0);
	weft_debounce_fired(&d);
	assert_int_equal(weft_debounce_wait(&d, 11), -1);
	weft_debounce_note(&d, 20); /* the flush does not carry over */
	assert_int_equal(weft_debounce_wait(&d, 20), 100);
}

static void test_config_clamped(void **state)
{
	(void)state;
	weft_debounce d;
	weft_debounce_init(&d, 300, 100); /* max below quiet: max becomes quiet */
	weft_debounce_note(&d, 0);
	assert_int_equal(weft_debounce_wait(&d, 0), 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_idle),
	        cmocka_unit_test(test_quiet_window),
	        cmocka_unit_test(test_max_delay_caps_a_trickle),
	        cmocka_unit_test(test_config_clamped),
	        cmocka_unit_test(test_flush_fires_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
