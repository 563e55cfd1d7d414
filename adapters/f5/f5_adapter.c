/* The F5 adapter's function table (core/adapter.h): thin wrappers that
 * turn the core's opaque pointers into the adapter's own types. See
 * f5_adapter_int.h for which file implements which phase. */
#include "f5_adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_adapter_int.h"
#include "f5_render.h"

#define F5_MEMO_DEVICES 4096 /* render memos kept per instance (LRU beyond) */

/* An instance's context: the render memos of its devices. */
struct f5_ctx {
	struct f5_memos *memos;
};

/* config: {"memoDevices": N} (default F5_MEMO_DEVICES, 0 turns the memo
 * off); any other key is refused. */
static int f5_adapter_init(weft_controller *c, const json_t *config, void **ctx, weft_err *err)
{
	(void)c;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)config, key, v)
	{
		if (strcmp(key, "memoDevices"))
			return weft_err_set(err, "unknown option '%s' (expected: memoDevices)",
			                    key);
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000000)
			return weft_err_set(err, "memoDevices: expected a count (0-1000000)");
	}
	json_t *max = json_object_get(config, "memoDevices");
	struct f5_ctx *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return weft_err_set(err, "out of memory");
	size_t n = max ? (size_t)json_integer_value(max) : F5_MEMO_DEVICES;
	if (n && !(fc->memos = f5_memos_new(n))) {
		free(fc);
		return weft_err_set(err, "out of memory");
	}
	*ctx = fc;
	return 0;
}

static void f5_adapter_fini(void *ctx)
{
	struct f5_ctx *fc = ctx;
	if (!fc)
		return;
	f5_memos_free(fc->memos);
	free(fc);
}

struct f5_memos *f5_adapter_memos(void *ctx)
{
	return ctx ? ((struct f5_ctx *)ctx)->memos : NULL;
}

static int f5_adapter_open(void *ctx, const weft_resource *dev, void **session, weft_err *err)
{
	(void)ctx;
	struct f5_session *s;
	if (f5_session_open(dev, &s, err))
		return -1;
	*session = s;
	return 0;
}

static void f5_adapter_close(void *ctx, void *session)
{
	(void)ctx;
	f5_session_close(session);
}

static int f5_adapter_render(void *ctx, const weft_snapshot *snap, const weft_resource *dev,
                             void **desired, weft_err *err)
{
	struct f5_config *c;
	if (f5_render_config(f5_adapter_memos(ctx), snap, dev, &c, err))
		return -1;
	*desired = c;
	return 0;
}

static int f5_adapter_observe(void *ctx, void *session, const weft_resource *dev, void **actual,
                              weft_err *err)
{
	(void)ctx;
	(void)dev;
	struct f5_config *c;
	if (f5_observe_config(session, &c, err))
		return -1;
	*actual = c;
	return 0;
}

static int f5_adapter_diff(void *ctx, const weft_resource *dev, const void *desired,
                           const void *actual, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	char name[300];
	snprintf(name, sizeof(name), "%s/%s", dev->ns, dev->name);
	const struct f5_config *des = desired;
	struct f5_config empty = {.partition = des->partition, .partition_exists = 1};
	return f5_diff_configs(name, des, actual ? actual : &empty, plan, err);
}

static int f5_adapter_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	return f5_txn_prepare(session, plan, err);
}

static int f5_adapter_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	return f5_txn_apply(session, plan, err);
}

static int f5_adapter_confirm(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)session;
	(void)plan;
	(void)err;
	return 0; /* the commit of apply is final on a BIG-IP */
}

/* Before apply the REST transaction is only queued (deleting it drops
 * it); after apply f5_txn_abort sends the inverse changes. It knows which
 * from its own staged state, so the phase only matters to it that way. */
static int f5_adapter_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase,
                            weft_err *err)
{
	(void)ctx;
	(void)phase;
	return f5_txn_abort(session, plan, err);
}

static void f5_adapter_free_config(void *ctx, void *config)
{
	(void)ctx;
	f5_config_free(config);
}

static const weft_adapter f5_adapter_table = {
        .kind = "f5",
        .abi = WEFT_ADAPTER_ABI,
        .init = f5_adapter_init,
        .fini = f5_adapter_fini,
        .open = f5_adapter_open,
        .close = f5_adapter_close,
        .render = f5_adapter_render,
        .observe = f5_adapter_observe,
        .diff = f5_adapter_diff,
        .prepare = f5_adapter_prepare,
        .apply = f5_adapter_apply,
        .confirm = f5_adapter_confirm,
        .abort = f5_adapter_abort,
        .free_config = f5_adapter_free_config,
};

const weft_adapter *f5_adapter(void)
{
	return &f5_adapter_table;
}
