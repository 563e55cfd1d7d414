/* The plan_extra part of GET/POST /v1/plan (the dry-run, DESIGN.md
 * "Plan"): what the plan means for components outside the controller --
 * weftd's xDS server answers with the proxies the change would reach
 * (docs/api.md). The controller's plan says which revision it shows; the
 * hook needs that revision's snapshot, which this file rebuilds from public
 * core calls: the published snapshot of the head (compiled within the
 * debounce window after a write, so it is waited for, bounded), plus the
 * request's documents for a candidate plan. The controller already
 * validated those documents against the same head.
 *
 * Nothing here changes anything: no store write, no push, and the hook is
 * documented as read-only. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-int.h"
#include "policy.h"
#include "resource.h"

#define PUBLISHED_WAIT_MS 3000

static void sleep_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* The published snapshot once it reached revision rev (NULL and no error
 * when rev is 0: nothing stored yet). */
static weft_snapshot *published_at(weft_controller *c, int64_t rev, weft_err *err)
{
	if (rev <= 0)
		return NULL;
	int64_t got = -1;
	for (int waited = 0;; waited += 10) {
		weft_snapshot *s = weft_controller_snapshot(c);
		got = s ? weft_snapshot_revision(s) : 0;
		if (got == rev)
			return s;
		weft_snapshot_unref(s);
		if (got > rev || waited >= PUBLISHED_WAIT_MS)
			break;
		sleep_ms(10);
	}
	weft_err_set(err,
	             "the published snapshot is at revision %lld, the plan shows revision %lld "
	             "(a write raced the plan, or the compile is late): try again",
	             (long long)got, (long long)rev);
	return NULL;
}

weft_snapshot *api_plan_snapshot(weft_controller *c, const weft_docset *docs, int64_t plan_rev,
                                 weft_err *err)
{
	int64_t base_rev = docs ? plan_rev - 1 : plan_rev;
	weft_snapshot *base = published_at(c, base_rev, err);
	if (!base && (base_rev > 0 || !docs)) {
		if (!err->msg[0])
			weft_err_set(err, "no revision to plan yet");
		return NULL;
	}
	if (!docs)
		return base;
	weft_resource **ups = NULL;
	size_t n_ups = 0;
	weft_diags diags;
	weft_diags_init(&diags);
	weft_policyset *next = NULL;
	if (weft_policy_decode_all(docs, &ups, &n_ups, &diags) == 0)
		next = weft_policyset_derive(base ? weft_snapshot_policy(base) : NULL, ups, n_ups,
		                             NULL, 0, &diags);
	for (size_t i = 0; i < n_ups; i++)
		weft_resource_unref(ups[i]);
	free(ups);
	weft_diags_free(&diags);
	weft_snapshot *snap = NULL;
	if (!next)
		weft_err_set(err, "the plan's documents no longer apply to the head");
	else
		snap = weft_snapshot_compile(next, plan_rev, base, err);
	weft_policyset_unref(next);
	weft_snapshot_unref(base);
	return snap;
}

void api_plan_add_extra(api_ctx *ctx, const weft_docset *docs, json_t *plan)
{
	if (!ctx->plan_extra || !json_is_object(plan))
		return;
	weft_err err = {0};
	int64_t rev = json_integer_value(json_object_get(plan, "revision"));
	weft_snapshot *snap = api_plan_snapshot(ctx->controller, docs, rev, &err);
	if (!snap) {
		json_object_set_new(plan, "extra_error", api_json_string(err.msg));
		return;
	}
	json_t *extra = ctx->plan_extra(ctx->extra_arg, snap);
	if (json_is_object(extra))
		json_object_update(plan, extra);
	json_decref(extra);
	weft_snapshot_unref(snap);
}
