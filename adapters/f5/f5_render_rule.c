/* render, part 3: iRules and data groups.
 *
 * AccessPolicy -> one iRule NS_POLICY_access (+ one "ip" data group per
 * rule's source CIDRs, NS_POLICY_I_src, and per notCidrs, _nsrc). The iRule
 * evaluates the rules in order at HTTP_REQUEST (HTTP virtuals) or
 * CLIENT_ACCEPTED (TCP virtuals, where only source addresses can match),
 * first match wins, then the default action. allow -> return; deny -> 403
 * (HTTP) or reject (TCP). `from.services` cannot be told apart on a BIG-IP
 * and never matches (fail closed).
 *
 * RateLimit with a key or tiers -> iRule NS_RATELIMIT_ratelimit: a fixed
 * window counter per key in a session table (`table incr` + `table
 * timeout`), tiers chosen with `switch`; over the limit -> 429. A RateLimit
 * with neither key nor tiers becomes the virtual's own rateLimit
 * (connections per second: BIG-IP's nearest built-in).
 *
 * Service-targeted iRules are guarded by the pool the LTM policy selected:
 * they act only when [LB::server pool] is one of the service's own pools
 * (/P/NS_SERVICE_*), so one virtual can front several services. */
#include "f5_render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string for iRule text. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_grow(struct text *t, size_t need)
{
	if (t->len + need + 1 <= t->cap)
		return;
	size_t cap = t->cap ? t->cap : 256;
	while (cap < t->len + need + 1)
		cap *= 2;
	char *b = realloc(t->buf, cap);
	if (!b)
		abort(); /* small strings; out of memory here is not recoverable */
	t->buf = b;
	t->cap = cap;
}

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	text_grow(t, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* Appends s as a TCL double-quoted word (control characters dropped). */
static void tcl_quote(char **buf, size_t *len, size_t *cap, const char *s)
{
	struct text t = {*buf, *len, *cap};
	text_add(&t, "\"");
	for (; *s; s++) {
		if (strchr("\\\"$[]{}", *s))
			text_add(&t, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			text_add(&t, "%c", *s);
	}
	text_add(&t, "\"");
	*buf = t.buf;
	*len = t.len;
	*cap = t.cap;
}

static void text_q(struct text *t, const char *s)
{
	tcl_quote(&t->buf, &t->len, &t->cap, s);
}

/* Whether rl is the RateLimit in effect for svc (core/model.h: the first
 * aimed at it; docs/policy.md, "Precedence"). */
static int rate_limit_in_effect(const struct f5_render *r, const weft_resource *rl,
                                const weft_resource *svc)
{
	const weft_model_subset *whole = weft_model_find_subset(
	        weft_model_find_port(weft_model_find_service(r->model, svc->ns, svc->name), 0),
	        NULL);
	return whole && whole->policies.rate_limit == rl;
}

static void guard(struct f5_render *r, struct text *t, const weft_resource *svc)
{
	char prefix[512];
	f5_full(r, prefix, sizeof(prefix), svc->ns, svc->name, NULL);
	text_add(t, "\tif { !([string match ");
	char pat[600];
	snprintf(pat, sizeof(pat), "%s_*", prefix);
	text_q(t, pat);
	text_add(t, " [LB::server pool]]) } { return }\n");
}

static int add_rule_obj(struct f5_render *r, const char *path, struct text *t, json_t *rules)
{
	json_t *b = json_object();
	json_object_set_new(b, "name", json_string(strrchr(path, '/') + 1));
	json_object_set_new(b, "partition", json_string(r->part));
	json_object_set_new(b, "apiAnonymous", json_string(t->buf ? t->buf : ""));
	free(t->buf);
	json_array_append_new(rules, json_string(path));
	return f5_add(r, F5T_RULE, path, NULL, b);
}

/* ---- AccessPolicy ---- */

static int cidr_group(struct f5_render *r, const weft_resource *ap, size_t i, const char *sfx,
                      const weft_strs *cidrs, char *path, size_t len)
{
	char idx[16];
	snprintf(idx, sizeof(idx), "%zu", i);
	f5_full(r, path, len, ap->ns, ap->name, idx, sfx, NULL);
	json_t *b = f5_new_body(r, path, 0), *recs = json_array();
	json_object_set_new(b, "type", json_string("ip"));
	for (size_t k = 0; k < cidrs->count; k++)
		json_array_append_new(recs, json_pack("{s:s}", "name", cidrs->items[k]));
	json_object_set_new(b, "records", recs);
	return f5_add(r, F5T_DATAGROUP, path, NULL, b);
}

static void or_list(struct text *t, const char *lhs, const char *op, const weft_strs *v)
{
	text_add(t, " && (0");
	for (size_t i = 0; i < v->count; i++) {
		text_add(t, " || %s %s ", lhs, op);
		text_q(t, v->items[i]);
	}
	text_add(t, ")");
}

static void path_conds(struct text *t, const weft_strs *paths)
{
	text_add(t, " && (0");
	for (size_t i = 0; i < paths->count; i++) {
		const char *p = paths->items[i];
		size_t n = strlen(p);
		char buf[1024];
		if (n >= 2 && !strcmp(p + n - 2, "/*")) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(n - 1), p);
			text_add(t, " || [HTTP::path] starts_with ");
		} else {
			snprintf(buf, sizeof(buf), "%s", p);
			text_add(t, " || [HTTP::path] eq ");
		}
		text_q(t, buf);
	}
	text_add(t, ")");
}

static void header_cond(struct text *t, const weft_header_match *h)
{
	text_add(t, " && ");
	if (h->present) {
		text_add(t, "[HTTP::header exists ");
		text_q(t, h->name);
		text_add(t, "]");
		return;
	}
	if (h->regex) {
		text_add(t, "[regexp -- ");
		text_q(t, h->regex);
		text_add(t, " [HTTP::header value ");
		text_q(t, h->name);
		text_add(t, "]]");
		return;
	}
	text_add(t, "[HTTP::header value ");
	text_q(t, h->name);
	text_add(t, "] %s ", h->exact ? "eq" : "starts_with");
	text_q(t, h->exact ? h->exact : h->prefix);
}

static int access_rule(struct f5_render *r, const weft_resource *ap, size_t i, int http,
                       struct text *t)
{
	const weft_access_rule *ar = &((const weft_access_policy_spec *)ap->spec)->rules.items[i];
	int needs_http =
	        (ar->to && (ar->to->paths.count || ar->to->methods.count)) || ar->headers.count;
	if (needs_http && !http)
		return 0; /* cannot match at the TCP layer */
	text_add(t, "\tif { 1");
	char dg[512];
	if (ar->from && ar->from->services.count && !ar->from->cidrs.count)
		text_add(t, " && 0");
	if (ar->from && ar->from->cidrs.count) {
		if (cidr_group(r, ap, i, "src", &ar->from->cidrs, dg, sizeof(dg)))
			return -1;
		text_add(t, " && [class match -- [IP::client_addr] equals %s]", dg);
	}
	if (ar->from && ar->from->not_cidrs.count) {
		if (cidr_group(r, ap, i, "nsrc", &ar->from->not_cidrs, dg, sizeof(dg)))
			return -1;
		text_add(t, " && !([class match -- [IP::client_addr] equals %s])", dg);
	}
	if (ar->to && ar->to->paths.count)
		path_conds(t, &ar->to->paths);
	if (ar->to && ar->to->methods.count)
		or_list(t, "[HTTP::method]", "eq", &ar->to->methods);
	for (size_t k = 0; k < ar->headers.count; k++)
		header_cond(t, &ar->headers.items[k]);
	if (ar->action == WEFT_ACTION_DENY)
		text_add(t, " } { %s; return }\n",
		         http ? "HTTP::respond 403 content \"forbidden\"" : "reject");
	else
		text_add(t, " } { return }\n");
	return 0;
}

static int render_access(struct f5_render *r, const weft_resource *ap, const weft_resource *svc,
                         int http, json_t *rules)
{
	const weft_access_policy_spec *s = ap->spec;
	char path[512];
	f5_full(r, path, sizeof(path), ap->ns, ap->name, http ? "access" : "access_tcp", NULL);
	struct text t = {0};
	text_add(&t, "%s rev=%lld\nwhen %s priority 100 {\n", F5_RULE_MARK, (long long)r->rev,
	         http ? "HTTP_REQUEST" : "CLIENT_ACCEPTED");
	if (s->service.name)
		guard(r, &t, svc);
	for (size_t i = 0; i < s->rules.count; i++)
		if (access_rule(r, ap, i, http, &t)) {
			free(t.buf);
			return -1;
		}
	if (s->default_action == WEFT_ACTION_DENY)
		text_add(&t, "\t%s\n", http ? "HTTP::respond 403 content \"forbidden\"" : "reject");
	text_add(&t, "}\n");
	return add_rule_obj(r, path, &t, rules);
}

/* ---- RateLimit ---- */

static long long per_window(weft_rate_unit u)
{
	return u == WEFT_PER_MINUTE ? 60 : 1;
}

static int render_ratelimit(struct f5_render *r, const weft_resource *rl, const weft_resource *svc,
                            int http, json_t *rules)
{
	const weft_rate_limit_spec *s = rl->spec;
	if (!http && s->key && s->key->header)
		return 0; /* a header key needs HTTP */
	char path[512], table[512];
	f5_full(r, path, sizeof(path), rl->ns, rl->name, http ? "ratelimit" : "ratelimit_tcp",
	        NULL);
	snprintf(table, sizeof(table), "weft_%s_%s", rl->ns, rl->name);
	struct text t = {0};
	text_add(&t, "%s rev=%lld\nwhen %s priority 200 {\n", F5_RULE_MARK, (long long)r->rev,
	         http ? "HTTP_REQUEST" : "CLIENT_ACCEPTED");
	if (svc)
		guard(r, &t, svc);
	if (s->key && s->key->header) {
		text_add(&t, "\tset key [HTTP::header value ");
		text_q(&t, s->key->header);
		text_add(&t, "]\n");
	} else {
		text_add(&t, "\tset key [IP::client_addr]\n");
	}
	text_add(&t, "\tset limit %d\n\tset window %lld\n", s->limit->requests,
	         per_window(s->limit->per));
	if (s->tiers.count) {
		text_add(&t, "\tswitch -- $key {\n");
		for (size_t i = 0; i < s->tiers.count; i++) {
			const weft_rate_tier *tr = &s->tiers.items[i];
			text_add(&t, "\t\t");
			text_q(&t, tr->value);
			text_add(&t, " { set limit %d; set window %lld }\n", tr->requests,
			         per_window(tr->per));
		}
		text_add(&t, "\t}\n");
	}
	text_add(&t,
	         "\tset n [table incr -notouch -subtable %s $key]\n"
	         "\tif { $n == 1 } { table timeout -subtable %s $key $window }\n"
	         "\tif { $n > $limit } { %s; return }\n}\n",
	         table, table, http ? "HTTP::respond 429 content \"rate limited\"" : "reject");
	return add_rule_obj(r, path, &t, rules);
}

static int keyed(const weft_rate_limit_spec *s)
{
	return s->key || s->tiers.count;
}

int f5_render_vs_rules(struct f5_render *r, const weft_resource *const *services, size_t n_svc,
                       const weft_resource *route, json_t *pools, int http, json_t *rules)
{
	(void)pools;
	for (size_t i = 0; i < r->sel[WEFT_KIND_RATE_LIMIT].n; i++) {
		const weft_resource *rl = r->sel[WEFT_KIND_RATE_LIMIT].items[i];
		const weft_rate_limit_spec *s = rl->spec;
		if (!keyed(s))
			continue;
		if (route && s->route.name &&
		    !strcmp(s->route.ns ? s->route.ns : rl->ns, route->ns) &&
		    !strcmp(s->route.name, route->name) &&
		    render_ratelimit(r, rl, NULL, http, rules))
			return -1;
		for (size_t k = 0; !route && s->service.name && k < n_svc; k++)
			if (rate_limit_in_effect(r, rl, services[k]) &&
			    render_ratelimit(r, rl, services[k], http, rules))
				return -1;
	}
	/* The AccessPolicy in effect for each service (core/model.h), each
	 * rendered once per virtual. */
	for (size_t k = 0; !route && k < n_svc; k++) {
		const weft_model_service *ms =
		        weft_model_find_service(r->model, services[k]->ns, services[k]->name);
		const weft_model_subset *whole =
		        weft_model_find_subset(weft_model_find_port(ms, 0), NULL);
		const weft_resource *ap = whole ? whole->policies.access_policy : NULL;
		int seen = 0;
		for (size_t j = 0; ap && j < k; j++) {
			const weft_model_service *o = weft_model_find_service(
			        r->model, services[j]->ns, services[j]->name);
			const weft_model_subset *ow =
			        weft_model_find_subset(weft_model_find_port(o, 0), NULL);
			seen |= ow && ow->policies.access_policy == ap;
		}
		if (ap && !seen && render_access(r, ap, services[k], http, rules))
			return -1;
	}
	return 0;
}

int f5_plain_rate_limit(const struct f5_render *r, const weft_resource *const *services,
                        size_t n_svc, const weft_resource *const *routes, size_t n_routes)
{
	int best = 0;
	for (size_t i = 0; i < r->sel[WEFT_KIND_RATE_LIMIT].n; i++) {
		const weft_resource *rl = r->sel[WEFT_KIND_RATE_LIMIT].items[i];
		const weft_rate_limit_spec *s = rl->spec;
		if (keyed(s) || !s->limit)
			continue;
		int hit = 0;
		for (size_t k = 0; s->service.name && k < n_svc; k++)
			hit |= rate_limit_in_effect(r, rl, services[k]);
		for (size_t k = 0; s->route.name && k < n_routes; k++)
			hit |= !strcmp(s->route.ns ? s->route.ns : rl->ns, routes[k]->ns) &&
			       !strcmp(s->route.name, routes[k]->name);
		if (!hit)
			continue;
		int v = (int)(s->limit->requests / per_window(s->limit->per));
		v = v < 1 ? 1 : v;
		if (!best || v < best)
			best = v;
	}
	return best;
}
