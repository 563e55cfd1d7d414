/* Unit tests: lock-free snapshot publication (core/snapcell.c). Reader
 * threads take and drop references while the writer publishes thousands of
 * snapshots; under ASan a reclamation bug shows as a use-after-free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "policyset.h"
#include "snapcell.h"

static weft_snapcell cell;
static atomic_int stop;
static atomic_long reads;

static void *reader(void *arg)
{
	(void)arg;
	int64_t last = -1;
	while (!atomic_load(&stop)) {
		weft_snapshot *s = weft_snapcell_get(&cell);
		if (s) {
			int64_t rev = weft_snapshot_revision(s);
			/* revisions only move forward for one reader */
			if (rev < last)
				abort();
			last = rev;
			weft_snapshot_unref(s);
			atomic_fetch_add(&reads, 1);
		}
	}
	return NULL;
}

static void test_publish_under_readers(void **state)
{
	(void)state;
	weft_snapcell_init(&cell);
	weft_diags d;
	weft_diags_init(&d);
	weft_policyset *empty = weft_policyset_new(NULL, 0, &d);
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	/* Publish at least 3000 snapshots, and keep going until the readers
	 * have really overlapped with publication (a loaded machine may not
	 * schedule them at first); bounded by time. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rev = 0;
	for (;;) {
		weft_snapshot *s = weft_snapshot_compile(empty, ++rev, NULL, NULL);
		assert_non_null(s);
		weft_snapcell_publish(&cell, s);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((rev >= 3000 && atomic_load(&reads) >= 20000) || t.tv_sec - t0.tv_sec > 10)
			break;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	weft_snapshot *last = weft_snapcell_get(&cell);
	assert_int_equal(weft_snapshot_revision(last), rev);
	weft_snapshot_unref(last);
	weft_snapcell_clear(&cell);
	assert_null(weft_snapcell_get(&cell));
	assert_true(atomic_load(&reads) > 0);
	weft_policyset_unref(empty);
	weft_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_publish_under_readers)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
