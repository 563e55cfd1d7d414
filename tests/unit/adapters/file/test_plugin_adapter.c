/* A minimal adapter built as a shared object, to test plugin loading
 * (weft_adapter_load_dir). Kind "testplug". ABI from WEFT_TEST_PLUGIN_ABI so
 * the same source also builds a plugin with a wrong ABI. */
#include "adapter.h"

static int tp_render(void *ctx, const weft_snapshot *snap, const weft_resource *device,
                     void **desired, weft_err *err)
{
	(void)ctx;
	(void)snap;
	(void)device;
	(void)err;
	*desired = (void *)1;
	return 0;
}

static int tp_diff(void *ctx, const weft_resource *device, const void *desired, const void *actual,
                   weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)device;
	(void)desired;
	(void)actual;
	(void)err;
	return weft_plan_add(plan, "write", "plugin-target", NULL);
}

static int tp_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)session;
	(void)plan;
	(void)err;
	return 0;
}

static void tp_free(void *ctx, void *config)
{
	(void)ctx;
	(void)config;
}

static const weft_adapter test_plugin = {
        .kind = WEFT_TEST_PLUGIN_KIND,
        .abi = WEFT_TEST_PLUGIN_ABI,
        .render = tp_render,
        .diff = tp_diff,
        .apply = tp_apply,
        .free_config = tp_free,
};

const weft_adapter *weft_adapter_entry(void);
const weft_adapter *weft_adapter_entry(void)
{
	return &test_plugin;
}
