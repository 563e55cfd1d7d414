/* An adapter plugin loaded by the real weftd (test_weftd_plugin.c): kind
 * "stamp". It calls the core's public API (weft_snapshot_revision,
 * weft_plan_add), which weftd must export for the plugin to load, and its
 * apply writes "<device> <revision>" to $WEFT_STAMP_DIR/<name>.stamp so the
 * test can see a revision pass through it. Built with STAMP_BROKEN it also
 * calls a function nobody defines, so dlopen must fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#ifdef STAMP_BROKEN
void weft_no_such_function(void);
#endif

struct stamp {
	int64_t revision;
};

static int stamp_render(void *ctx, const weft_snapshot *snap, const weft_resource *device,
                        void **desired, weft_err *err)
{
	(void)ctx;
	(void)device;
	struct stamp *s = malloc(sizeof(*s));
	if (!s)
		return weft_err_set(err, "stamp: out of memory");
	s->revision = weft_snapshot_revision(snap);
	*desired = s;
	return 0;
}

static int stamp_diff(void *ctx, const weft_resource *device, const void *desired,
                      const void *actual, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)device;
	(void)desired;
	(void)actual;
#ifdef STAMP_BROKEN
	weft_no_such_function();
#endif
	if (weft_plan_add(plan, "write", "stamp", NULL))
		return weft_err_set(err, "stamp: out of memory");
	return 0;
}

static int stamp_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)session;
	const char *dir = getenv("WEFT_STAMP_DIR");
	if (!dir)
		return weft_err_set(err, "device %s: WEFT_STAMP_DIR is not set", plan->device);
	const char *slash = strrchr(plan->device, '/');
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.stamp", dir, slash ? slash + 1 : plan->device);
	FILE *f = fopen(path, "w");
	if (!f)
		return weft_err_set(err, "device %s: cannot write %s", plan->device, path);
	fprintf(f, "%s %lld\n", plan->device, (long long)plan->revision);
	return fclose(f) ? weft_err_set(err, "device %s: cannot write %s", plan->device, path) : 0;
}

static void stamp_free(void *ctx, void *config)
{
	(void)ctx;
	free(config);
}

static const weft_adapter stamp_adapter = {
        .kind = "stamp",
        .abi = WEFT_ADAPTER_ABI,
        .render = stamp_render,
        .diff = stamp_diff,
        .apply = stamp_apply,
        .free_config = stamp_free,
};

const weft_adapter *weft_adapter_entry(void);
const weft_adapter *weft_adapter_entry(void)
{
	return &stamp_adapter;
}
