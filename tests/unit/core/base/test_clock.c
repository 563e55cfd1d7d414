/* The clock helpers (core/clock.h): deadlines are normalised, and a timed
 * wait on a weft_cond_init condition measures the monotonic clock -- a
 * condition left on the wall clock would take weft_deadline_ms's small
 * monotonic value as a date in 1970 and return at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>

#include "clock.h"

static void test_deadline_normalised(void **state)
{
	(void)state;
	for (int64_t ms = 0; ms < 3000; ms += 7) {
		struct timespec ts = weft_deadline_ms(ms);
		assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
	}
	struct timespec past = weft_deadline_ms(-5), now = weft_deadline_ms(0);
	assert_true(past.tv_sec < now.tv_sec ||
	            (past.tv_sec == now.tv_sec && past.tv_nsec <= now.tv_nsec));
}

static void test_timed_wait_is_monotonic(void **state)
{
	(void)state;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond;
	assert_int_equal(weft_cond_init(&cond), 0);
	pthread_mutex_lock(&mu);
	int64_t t0 = weft_mono_ms();
	struct timespec until = weft_deadline_ms(60);
	int rc = 0;
	while (rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&cond, &mu, &until);
	int64_t waited = weft_mono_ms() - t0;
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&cond);
	assert_true(waited >= 55);
	assert_true(waited < 5000);
	assert_true(weft_unix_ms() > 1600000000000LL); /* the wall clock is a date */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_deadline_normalised),
	        cmocka_unit_test(test_timed_wait_is_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
