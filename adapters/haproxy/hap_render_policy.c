/* Access policy and rate limit of one haproxy backend, from the policies
 * in effect in the resolved model:
 *   AccessPolicy  first match wins, as a transaction variable: each rule
 *                 sets txn.weft_acl to allow/deny unless already set, then
 *                 a deny with status 403 for "deny" (and for "unset" when
 *                 the default is deny).
 *   RateLimit     a stick table of the backend keyed by source or header
 *                 (or one key for all), http_req_rate over the limit's
 *                 period, 429 above the limit; tiers are conditions on the
 *                 key with their own thresholds.
 * What has no HAProxy form (services as sources, bursts) is a warning. */
#include <stdio.h>
#include <string.h>

#include "hap_render_int.h"

static void access_rule(struct rctx *r, const weft_resource *ap, const weft_access_rule *ru,
                        size_t idx)
{
	FILE *f = r->f;
	if (ru->from && ru->from->services.count) {
		weft_warn(r->w, ap, ru->from->pos, "spec.rules.from.services",
		          "HAProxy does not see a caller's service identity: rule %zu left out",
		          idx);
		return;
	}
	char acl[64];
	snprintf(acl, sizeof(acl), "weft_ap%zu_path", idx);
	const weft_access_to *to = ru->to;
	for (size_t i = 0; to && i < to->paths.count; i++) {
		const char *p = to->paths.items[i];
		size_t l = strlen(p);
		if (l && p[l - 1] == '*')
			fprintf(f, "    acl %s path -m beg %.*s\n", acl, (int)(l - 1), p);
		else
			fprintf(f, "    acl %s path -m str %s\n", acl, p);
	}
	fprintf(f,
	        "    http-request set-var(txn.weft_acl) str(%s) if !{ var(txn.weft_acl) -m found }",
	        ru->action == WEFT_ACTION_DENY ? "deny" : "allow");
	if (ru->from && ru->from->cidrs.count) {
		fprintf(f, " { src");
		for (size_t i = 0; i < ru->from->cidrs.count; i++)
			fprintf(f, " %s", ru->from->cidrs.items[i]);
		fprintf(f, " }");
	}
	if (ru->from && ru->from->not_cidrs.count) {
		fprintf(f, " !{ src");
		for (size_t i = 0; i < ru->from->not_cidrs.count; i++)
			fprintf(f, " %s", ru->from->not_cidrs.items[i]);
		fprintf(f, " }");
	}
	if (to && to->paths.count)
		fprintf(f, " %s", acl);
	if (to && to->methods.count) {
		fprintf(f, " { method");
		for (size_t i = 0; i < to->methods.count; i++)
			fprintf(f, " %s", to->methods.items[i]);
		fprintf(f, " }");
	}
	for (size_t i = 0; i < ru->headers.count; i++) {
		const weft_header_match *h = &ru->headers.items[i];
		fprintf(f, " { req.hdr(%s) -m %s %s }", h->name,
		        h->exact    ? "str"
		        : h->prefix ? "beg"
		        : h->regex  ? "reg"
		                    : "found",
		        h->exact    ? h->exact
		        : h->prefix ? h->prefix
		        : h->regex  ? h->regex
		                    : "");
	}
	fprintf(f, "\n");
}

static void render_access(struct rctx *r, const weft_resource *ap)
{
	const weft_access_policy_spec *a = ap->spec;
	for (size_t i = 0; i < a->rules.count; i++)
		access_rule(r, ap, &a->rules.items[i], i);
	fprintf(r->f,
	        "    http-request deny deny_status 403 if { var(txn.weft_acl) -m str deny }\n");
	if (a->default_action == WEFT_ACTION_DENY)
		fprintf(r->f, "    http-request deny deny_status 403 if !{ var(txn.weft_acl) -m "
		              "found }\n");
}

static long long per_ms(weft_rate_unit u)
{
	return u == WEFT_PER_MINUTE ? 60000 : 1000;
}

static void tier_cond(FILE *f, const weft_rate_key *k, const char *value, int negate)
{
	if (k && k->header)
		fprintf(f, " %s{ req.hdr(%s) -m str %s }", negate ? "!" : "", k->header, value);
	else
		fprintf(f, " %s{ src %s }", negate ? "!" : "", value);
}

static void render_rate(struct rctx *r, const weft_resource *rl)
{
	const weft_rate_limit_spec *s = rl->spec;
	long long period = per_ms(s->limit->per);
	fprintf(r->f,
	        "    stick-table type string len 128 size 100k expire %llds store "
	        "http_req_rate(%lldms)\n",
	        2 * period / 1000, period);
	if (s->key && s->key->header)
		fprintf(r->f, "    http-request track-sc0 req.hdr(%s)\n", s->key->header);
	else if (s->key && s->key->source_ip)
		fprintf(r->f, "    http-request track-sc0 src\n");
	else
		fprintf(r->f, "    http-request track-sc0 str(all)\n");
	if (s->limit->burst && s->limit->burst != s->limit->requests)
		weft_warn(r->w, rl, s->limit->pos, "spec.limit.burst",
		          "HAProxy counts a sliding window of one period: burst left out");
	for (size_t i = 0; s->key && i < s->tiers.count; i++) {
		const weft_rate_tier *t = &s->tiers.items[i];
		long long n = (long long)t->requests * period / per_ms(t->per);
		if (per_ms(t->per) != period)
			weft_warn(r->w, rl, t->pos, "spec.tiers",
			          "tier '%s' counted over the limit's period (%lld requests)",
			          t->value, n);
		fprintf(r->f, "    http-request deny deny_status 429 if");
		tier_cond(r->f, s->key, t->value, 0);
		fprintf(r->f, " { sc_http_req_rate(0) gt %lld }\n", n);
	}
	fprintf(r->f, "    http-request deny deny_status 429 if");
	for (size_t i = 0; s->key && i < s->tiers.count; i++)
		tier_cond(r->f, s->key, s->tiers.items[i].value, 1);
	fprintf(r->f, " { sc_http_req_rate(0) gt %d }\n", s->limit->requests);
}

void hap_render_policies(struct rctx *r, const weft_model_subset *s, const weft_resource *route_rl)
{
	const weft_resource *ap = s ? s->policies.access_policy : NULL;
	const weft_resource *rl = route_rl ? route_rl : s ? s->policies.rate_limit : NULL;
	if (ap)
		render_access(r, ap);
	if (rl)
		render_rate(r, rl);
	const weft_resource *tm = s ? s->policies.telemetry : NULL;
	if (tm && ((const weft_telemetry_spec *)tm->spec)->tracing)
		weft_warn(r->w, tm, ((const weft_telemetry_spec *)tm->spec)->tracing->pos,
		          "spec.tracing", "not rendered on HAProxy");
}
