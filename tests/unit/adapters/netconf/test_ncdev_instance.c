/* netconf adapter instances (core/adapter.h): each holds its own pool of
 * session contexts, so a context one instance pooled for a device is not
 * handed to another instance's session; the pool is bounded (one idle
 * context per device) and fini frees what it holds (ASan builds check it).
 * An option the adapter does not know is refused. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ncdev.h"
#include "ncdev_adapter.h"

static void test_pools_per_instance(void **state)
{
	(void)state;
	weft_adapter_instance a, b;
	weft_err err = {0};
	assert_int_equal(weft_adapter_instance_init(&a, ncdev_adapter(), NULL, NULL, &err), 0);
	assert_int_equal(weft_adapter_instance_init(&b, ncdev_adapter(), NULL, NULL, &err), 0);
	struct ncdev_ctx_pool *pa = ncdev_adapter_pool(a.ctx), *pb = ncdev_adapter_pool(b.ctx);
	assert_non_null(pa);
	assert_ptr_not_equal(pa, pb);

	/* A session of instance a to device d leaves its context in a's pool. */
	uint64_t caps = 0;
	struct ly_ctx *ctx = ncdev_session_ctx_acquire(pa, "default/d", &caps, &err);
	assert_non_null(ctx);
	assert_int_equal(caps, 0); /* fresh */
	ncdev_session_ctx_release(pa, "default/d", 42, ctx);
	assert_int_equal(ncdev_ctx_pool_count(pa), 1);
	assert_int_equal(ncdev_ctx_pool_count(pb), 0);

	/* b's session to the same device gets a fresh context, not a's. */
	struct ly_ctx *other = ncdev_session_ctx_acquire(pb, "default/d", &caps, &err);
	assert_non_null(other);
	assert_int_equal(caps, 0);
	assert_ptr_not_equal(other, ctx);
	/* A second idle context for d is not kept: one per device. */
	struct ly_ctx *again = ncdev_session_ctx_acquire(pa, "default/d", &caps, &err);
	assert_ptr_equal(again, ctx);
	assert_int_equal(caps, 42);
	ncdev_session_ctx_release(pa, "default/d", 42, again);
	ncdev_session_ctx_release(pa, "default/d", 42, other);
	assert_int_equal(ncdev_ctx_pool_count(pa), 1);

	weft_adapter_instance_fini(&a); /* frees the pooled context */
	weft_adapter_instance_fini(&b);

	json_t *typo = json_pack("{s:i}", "pool", 3);
	assert_int_equal(weft_adapter_instance_init(&a, ncdev_adapter(), NULL, typo, &err), -1);
	assert_non_null(strstr(err.msg, "'pool'"));
	json_decref(typo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pools_per_instance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
