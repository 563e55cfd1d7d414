/* libFuzzer target for the NETCONF adapter's reading of get-config data
 * (adapters/netconf: ncdev_config_parse, what observe does with a reply)
 * and the diff that follows: the bytes are the XML inside <data>; it is
 * parsed into the weft-lb model context (parse only, defaults added, as a
 * device's running config is read), then diffed against the config weft
 * renders for the harness policy (fuzz_util.c) and against nothing (every
 * node deleted), each diff turned into the edit-config and its inverse.
 * A device may answer anything: this must only ever produce a plan or an
 * error naming the device. Needs models/yang (compiled in, or
 * $WEFT_YANG_DIR). Seeds: fuzz/corpus/ncdev/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ncdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ncdev_config *desired(void)
{
	static void *des;
	if (!des) {
		weft_err err = {0};
		if (ncdev_render(fuzz_snapshot(), fuzz_device("lb1"), &des, &err))
			abort(); /* the harness policy must render */
	}
	return des;
}

static void diff(const struct ncdev_config *des, const struct ncdev_config *act)
{
	weft_plan plan;
	weft_err err = {0};
	weft_plan_init(&plan, "lb1", "netconf", 1);
	ncdev_diff(fuzz_device("lb1"), des, act, &plan, &err);
	weft_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ncdev_config *des = desired();
	char *xml = malloc(size + 1);
	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = 0;
	struct ncdev_config act = {0}, none = {0};
	weft_err err = {0};
	if (ncdev_config_parse("default/lb1", xml, &act.tree, &err) == 0) {
		diff(des, &act);
		diff(&none, &act);
	}
	lyd_free_all(act.tree);
	free(xml);
	return 0;
}
