/* xds adapter instances (core/adapter.h): each instance configured with
 * "listen" runs its own ADS server (two in one process, on their own
 * loopback ports: there is no process-wide server any more), one without
 * it serves nothing and its apply says so, and bad configurations are
 * refused naming the option. fini stops and frees everything (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "xds_server.h"

static int init(weft_adapter_instance *inst, const char *config, weft_err *err)
{
	json_t *cfg = json_loads(config, 0, NULL);
	assert_non_null(cfg);
	int rc = weft_adapter_instance_init(inst, xds_adapter(), NULL, cfg, err);
	json_decref(cfg);
	return rc;
}

static void test_instances_have_their_own_servers(void **state)
{
	(void)state;
	weft_adapter_instance a, b, none;
	weft_err err = {0};
	assert_int_equal(init(&a, "{\"listen\": \"127.0.0.1:0\"}", &err), 0);
	assert_int_equal(init(&b, "{\"listen\": \"127.0.0.1:0\"}", &err), 0);
	assert_int_equal(init(&none, "{}", &err), 0);
	xds_server *sa = xds_adapter_server(a.ctx), *sb = xds_adapter_server(b.ctx);
	assert_non_null(sa);
	assert_non_null(sb);
	assert_ptr_not_equal(sa, sb);
	assert_true(xds_server_port(sa) > 0 && xds_server_port(sb) > 0);
	assert_int_not_equal(xds_server_port(sa), xds_server_port(sb));
	assert_null(xds_adapter_server(none.ctx));

	weft_plan plan;
	weft_plan_init(&plan, "default/mesh", "xds", 1);
	assert_int_equal(none.ops->apply(none.ctx, NULL, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "no xDS server"));
	weft_plan_free(&plan);

	weft_adapter_instance_fini(&a);
	weft_adapter_instance_fini(&b);
	weft_adapter_instance_fini(&none);
}

static void test_bad_configuration_refused(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
	        {"{\"lisen\": \"127.0.0.1:0\"}", "'lisen'"},
	        {"{\"listen\": \"127.0.0.1:0\", \"tlsCert\": \"c.pem\"}", "tlsCert and tlsKey"},
	        {"{\"listen\": 5}", "listen"},
	        {"{\"tlsCert\": \"c.pem\", \"tlsKey\": \"k.pem\"}", "without listen"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		weft_adapter_instance inst;
		weft_err err = {0};
		assert_int_equal(init(&inst, bad[i][0], &err), -1);
		assert_non_null(strstr(err.msg, "adapter xds"));
		assert_non_null(strstr(err.msg, bad[i][1]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_instances_have_their_own_servers),
	        cmocka_unit_test(test_bad_configuration_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
