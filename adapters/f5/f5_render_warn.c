/* render, part 4: honest translation. One pass over what the device's
 * scope selects, warning (core/warning.h) about every field BIG-IP cannot
 * express or only approximates; the table is docs/adapter-f5.md, "What is
 * rendered". Rendering itself goes on: a warning never changes the config,
 * a Device with spec.strict refuses the plan (core/adapter.h). */
#include <stdio.h>

#include "f5_render.h"

static int warn(struct f5_render *r, const weft_resource *res, weft_pos pos, const char *field,
                const char *msg)
{
	if (weft_warn(r->warnings, res, pos, field, "%s", msg))
		return weft_err_set(r->err, "device %s/%s: render: out of memory", r->dev->ns,
		                    r->dev->name);
	return 0;
}

static int warn_route(struct f5_render *r, const weft_resource *res)
{
	const weft_route_spec *rs = res->spec;
	char f[96];
	if (rs->service.name)
		return warn(
		        r, res, rs->service.pos, "spec.service",
		        "not rendered: a mesh Route has no virtual server to attach to on BIG-IP");
	for (size_t i = 0; i < rs->http.count; i++) {
		const weft_http_rule *h = &rs->http.items[i];
		const char *what = h->retries      ? "retries"
		                   : h->timeout_ms ? "timeout"
		                   : h->fault      ? "fault"
		                   : h->rewrite    ? "rewrite"
		                   : h->headers    ? "headers"
		                                   : NULL;
		if (!what)
			continue;
		snprintf(f, sizeof(f), "spec.http[%zu].%s", i, what);
		if (warn(r, res, h->pos, f,
		         "left out: LTM policies have no retries, timeouts, "
		         "faults, rewrites or header edits"))
			return -1;
	}
	return 0;
}

static int warn_traffic_policy(struct f5_render *r, const weft_resource *res)
{
	const weft_traffic_policy_spec *tp = res->spec;
	const weft_load_balancer *lb = tp->load_balancer;
	if (tp->outlier_detection &&
	    warn(r, res, tp->outlier_detection->pos, "spec.outlierDetection",
	         "left out: no outlier detection on BIG-IP pools"))
		return -1;
	if (lb &&
	    (lb->algorithm == WEFT_LB_RING_HASH || lb->algorithm == WEFT_LB_MAGLEV ||
	     lb->algorithm == WEFT_LB_RANDOM) &&
	    warn(r, res, lb->algorithm_pos, "spec.loadBalancer.algorithm",
	         "approximated: balanced as ratio-member (no consistent hashing or random on "
	         "BIG-IP pools)"))
		return -1;
	if (tp->tls && tp->tls->mode == WEFT_TLS_MESH &&
	    warn(r, res, tp->tls->pos, "spec.tls.mode", "left out: BIG-IP has no mesh identity"))
		return -1;
	return 0;
}

static int warn_rate_limit(struct f5_render *r, const weft_resource *res)
{
	const weft_rate_limit_spec *rl = res->spec;
	if (!rl->key && !rl->tiers.count &&
	    warn(r, res, rl->limit->pos, "spec.limit",
	         "approximated: the virtual server's rateLimit, connections (not requests) per "
	         "second for the whole virtual"))
		return -1;
	if (rl->limit->burst && warn(r, res, rl->limit->pos, "spec.limit.burst",
	                             "left out: BIG-IP limits have no burst"))
		return -1;
	return 0;
}

static int warn_access_policy(struct f5_render *r, const weft_resource *res)
{
	const weft_access_policy_spec *ap = res->spec;
	char f[96];
	for (size_t i = 0; i < ap->rules.count; i++) {
		const weft_access_rule *rule = &ap->rules.items[i];
		if (!rule->from || !rule->from->services.count)
			continue;
		snprintf(f, sizeof(f), "spec.rules[%zu].from.services", i);
		if (warn(r, res, rule->pos, f,
		         "approximated: callers cannot be told apart by service on BIG-IP; the "
		         "rule "
		         "never matches (fail closed)"))
			return -1;
	}
	return 0;
}

int f5_render_warnings(struct f5_render *r)
{
	static const weft_kind kinds[] = {
	        WEFT_KIND_ROUTE,         WEFT_KIND_TRAFFIC_POLICY,      WEFT_KIND_RATE_LIMIT,
	        WEFT_KIND_ACCESS_POLICY, WEFT_KIND_PEER_AUTHENTICATION, WEFT_KIND_TELEMETRY};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (size_t i = 0; i < r->sel[kinds[k]].n; i++) {
			const weft_resource *res = r->sel[kinds[k]].items[i];
			int rc = 0;
			switch (kinds[k]) {
			case WEFT_KIND_ROUTE:
				rc = warn_route(r, res);
				break;
			case WEFT_KIND_TRAFFIC_POLICY:
				rc = warn_traffic_policy(r, res);
				break;
			case WEFT_KIND_RATE_LIMIT:
				rc = warn_rate_limit(r, res);
				break;
			case WEFT_KIND_ACCESS_POLICY:
				rc = warn_access_policy(r, res);
				break;
			default: /* PeerAuthentication, Telemetry */
				rc = warn(r, res, (weft_pos){0, 0}, "spec",
				          "not rendered: BIG-IP has no mesh mTLS or telemetry "
				          "counterpart");
			}
			if (rc)
				return -1;
		}
	return 0;
}
