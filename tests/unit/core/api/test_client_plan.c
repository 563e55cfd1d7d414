/* weftctl plan output (core/api/client/render.c): a device's translation
 * warnings are printed with file:line, resource and field, and a strict
 * Device's refusal is shown. No sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wctl-int.h"

static void test_plan_prints_warnings(void **state)
{
	(void)state;
	json_t *plan = json_loads(
	        "{\"revision\": 3, \"devices\": [{\"device\": \"default/lb1\", \"kind\": "
	        "\"netconf\","
	        " \"revision\": 3, \"ops\": [], \"refused\": \"strict: refused\", \"warnings\":"
	        " [{\"resource\": \"RateLimit shop/rl\", \"file\": \"p.yaml\", \"line\": 21,"
	        " \"field\": \"spec.tiers\", \"message\": \"left out\"}]}]}",
	        0, NULL);
	assert_non_null(plan);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	wctl_opts o = {.out = out, .err = out};
	wctl_render_plan(&o, plan);
	fclose(out);
	assert_non_null(strstr(buf, "1 warning(s): what netconf cannot express"));
	assert_non_null(strstr(buf, "warning: p.yaml:21: RateLimit shop/rl: spec.tiers: left out"));
	assert_non_null(strstr(buf, "REFUSED: strict: refused"));
	free(buf);
	json_decref(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_plan_prints_warnings)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
