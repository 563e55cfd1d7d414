/* The plan_extra part of GET/POST /v1/plan (the dry-run, docs/architecture.md
 * "Plan"): what the plan means for components outside the controller --
 * weftd's xDS server answers with the proxies the change would reach
 * (docs/api.md). The hook gets the candidate snapshot the controller's plan
 * was made from (weft_controller_plan_snapshot), so both parts of the
 * answer describe the same revision.
 *
 * Nothing here changes anything: no store write, no push, and the hook is
 * documented as read-only. */
#include "api-int.h"

void api_plan_add_extra(api_ctx *ctx, weft_snapshot *snap, json_t *plan)
{
	if (!ctx->plan_extra || !snap || !json_is_object(plan))
		return;
	json_t *extra = ctx->plan_extra(ctx->extra_arg, snap);
	if (json_is_object(extra))
		json_object_update(plan, extra);
	json_decref(extra);
}
