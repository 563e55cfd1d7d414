/* The F5 adapter's function table (core/adapter.h): thin wrappers that
 * turn the core's opaque pointers into the adapter's own types. See
 * f5_adapter_int.h for which file implements which phase. */
#include "f5_adapter.h"

#include <stdio.h>

#include "f5_adapter_int.h"
#include "f5_render.h"

static int f5_open(const weft_resource *dev, void **session, weft_err *err)
{
	struct f5_session *s;
	if (f5_session_open(dev, &s, err))
		return -1;
	*session = s;
	return 0;
}

static void f5_close(void *session)
{
	f5_session_close(session);
}

static int f5_render(const weft_snapshot *snap, const weft_resource *dev, void **desired,
                     weft_err *err)
{
	struct f5_config *c;
	if (f5_render_config(snap, dev, &c, err))
		return -1;
	*desired = c;
	return 0;
}

static int f5_observe(void *session, const weft_resource *dev, void **actual, weft_err *err)
{
	(void)dev;
	struct f5_config *c;
	if (f5_observe_config(session, &c, err))
		return -1;
	*actual = c;
	return 0;
}

static int f5_diff(const weft_resource *dev, const void *desired, const void *actual,
                   weft_plan *plan, weft_err *err)
{
	char name[300];
	snprintf(name, sizeof(name), "%s/%s", dev->ns, dev->name);
	const struct f5_config *des = desired;
	struct f5_config empty = {.partition = des->partition, .partition_exists = 1};
	return f5_diff_configs(name, des, actual ? actual : &empty, plan, err);
}

static int f5_prepare(void *session, weft_plan *plan, weft_err *err)
{
	return f5_txn_prepare(session, plan, err);
}

static int f5_apply(void *session, weft_plan *plan, weft_err *err)
{
	return f5_txn_apply(session, plan, err);
}

static int f5_confirm(void *session, weft_plan *plan, weft_err *err)
{
	(void)session;
	(void)plan;
	(void)err;
	return 0; /* the commit of apply is final on a BIG-IP */
}

static int f5_abort(void *session, weft_plan *plan, weft_err *err)
{
	return f5_txn_abort(session, plan, err);
}

static void f5_free_config(void *config)
{
	f5_config_free(config);
}

static const weft_adapter f5_adapter = {
        .kind = "f5",
        .abi = WEFT_ADAPTER_ABI,
        .open = f5_open,
        .close = f5_close,
        .render = f5_render,
        .observe = f5_observe,
        .diff = f5_diff,
        .prepare = f5_prepare,
        .apply = f5_apply,
        .confirm = f5_confirm,
        .abort = f5_abort,
        .free_config = f5_free_config,
};

const weft_adapter *weft_f5_adapter(void)
{
	return &f5_adapter;
}
