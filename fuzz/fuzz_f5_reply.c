/* libFuzzer target for the F5 adapter's reading of iControl REST replies
 * (adapters/f5/f5_observe.c) and what follows from it: the bytes are one
 * GET reply body; it is parsed as JSON (as f5_http.c does), taken as the
 * reply of every collection observe reads (pools with expanded members,
 * monitors, data groups, rules, policies, SSL profiles, virtuals), the
 * partition is finished (sorted, ownership marks read), then diffed
 * against the partition weft renders for the harness policy
 * (fuzz_util.c), the expected partition after that plan is computed, and
 * every observed object is sanitized as a rollback would. Whatever a
 * device answers, this must only ever produce a plan or an error.
 * Seeds: fuzz/corpus/f5/. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "f5_adapter_int.h"
#include "f5_render.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum f5_type collections[] = {
        F5T_MON_HTTP, F5T_MON_TCP,   F5T_POOL,      F5T_DATAGROUP, F5T_RULE,
        F5T_POLICY,   F5T_CLIENTSSL, F5T_SERVERSSL, F5T_VIRTUAL,
};

static struct f5_config *desired(void)
{
	static struct f5_config *des;
	if (!des) {
		weft_err err = {0};
		if (f5_render_config(NULL, fuzz_snapshot(), fuzz_device("bigip"), &des, &err))
			abort(); /* the harness policy must render */
	}
	return des;
}

static void diff_against(const struct f5_config *des, const struct f5_config *act)
{
	weft_plan plan;
	weft_err err = {0};
	weft_plan_init(&plan, "bigip", "f5", 1);
	if (f5_diff_configs("bigip", des, act, &plan, &err) == 0) {
		unsigned char *touched = calloc(des->n + 1, 1);
		for (size_t i = 0; touched && i < des->n; i++)
			touched[i] = (unsigned char)(i & 1);
		struct f5_config *exp = touched ? f5_expected_config(des, act, touched) : NULL;
		f5_config_free(exp);
		free(touched);
	}
	weft_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *reply = json_loadb((const char *)data, size, 0, NULL);
	if (!reply)
		return 0;
	struct f5_config *act = f5_config_new("weft");
	if (!act) {
		json_decref(reply);
		return 0;
	}
	act->partition_exists = size % 2 == 0; /* both: missing folder is created */
	for (size_t i = 0; i < sizeof(collections) / sizeof(*collections); i++)
		if (f5_observe_collection(act, "weft", collections[i], reply))
			break;
	json_decref(reply);
	f5_observe_finish(act);
	struct f5_config *empty = f5_config_new("weft");
	if (empty) {
		f5_config_sort(empty);
		diff_against(empty, act);
		f5_config_free(empty);
	}
	diff_against(desired(), act);
	for (size_t i = 0; i < act->n; i++)
		json_decref(f5_sanitize(act->objs[i].body));
	f5_config_free(act);
	return 0;
}
