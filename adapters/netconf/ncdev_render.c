/* render: snapshot + Device -> the desired weft-lb data tree (see
 * ncdev_render.h for the split and the names). This file selects what the
 * device's scope covers and renders
 *   Service        one pool per port (NS_SERVICE_PORT) with the model's
 *                  endpoints of the whole service on plane "default"
 *                  (core/model.h: address, port, weight)
 *   TrafficPolicy  health-check NS_POLICY (interval/timeout rounded up to
 *                  whole seconds); the service-wide TrafficPolicy in effect
 *                  sets the pools' method (round-robin, or
 *                  weighted-round-robin when weights differ; least-request
 *                  -> least-connections; random; ring-hash/maglev with
 *                  their hash key); a subset's own applies to that subset's
 *                  gateway pools only
 *   RateLimit      rate-limit NS_NAME (limit, key; tiers do not exist in
 *                  weft-lb: a warning)
 *   AccessPolicy   acl NS_NAME, rules seq 10, 20, ... (source CIDRs, path
 *                  prefixes, methods; conditions weft-lb cannot match on,
 *                  e.g. `from.services`, are warned about, and a rule left
 *                  with nothing is left out)
 * Whatever weft-lb cannot express becomes a translation warning naming the
 * resource, its file:line and the field (core/warning.h). The table:
 * docs/adapter-netconf.md, "What is rendered".
 * and, in ncdev_render_vs.c, the virtual services. The tree is validated
 * with libyang before it is returned: an invalid tree is an error naming
 * the device and libyang's path, and nothing is sent. Pure: no I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev_render.h"
#include "policy.h"
#include "resource.h"
#include "snapshot.h"

int ncdev_put(struct ncdev_render *r, const char *value, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	LY_ERR rc = lyd_new_path(r->tree, r->ctx, path, value, 0, r->tree ? NULL : &r->tree);
	if (rc == LY_SUCCESS || rc == LY_EEXIST)
		return 0;
	char ly[700];
	ncdev_ly_error(r->ctx, ly, sizeof(ly));
	return weft_err_set(r->err, "device %s/%s: render %s = '%s': %s", r->dev->ns, r->dev->name,
	                    path, value ? value : "", ly);
}

void ncdev_name(char *buf, size_t len, ...)
{
	char full[1024];
	size_t off = 0;
	va_list ap;
	va_start(ap, len);
	const char *s;
	while ((s = va_arg(ap, const char *)) && off < sizeof(full))
		off += (size_t)snprintf(full + off, sizeof(full) - off, "%s%s", off ? "_" : "", s);
	va_end(ap);
	if (strlen(full) <= 64 || len < 65) {
		snprintf(buf, len, "%s", full);
		return;
	}
	uint64_t h = weft_hash_str(WEFT_HASH_SEED, full);
	snprintf(buf, len, "%.55s-%08x", full, (unsigned)(h & 0xffffffffu));
}

int ncdev_ref_is(const weft_ref *ref, const char *from_ns, const weft_resource *res)
{
	if (!ref || !ref->name)
		return 0;
	const char *ns = ref->ns ? ref->ns : from_ns;
	return !strcmp(ns, res->ns) && !strcmp(ref->name, res->name);
}

const weft_resource *ncdev_find(const struct ncdev_render *r, weft_kind kind, const weft_ref *ref,
                                const char *from_ns)
{
	for (size_t i = 0; ref && ref->name && i < r->n_sel; i++)
		if (r->sel[i]->kind == kind && ncdev_ref_is(ref, from_ns, r->sel[i]))
			return r->sel[i];
	return NULL;
}

const weft_traffic_policy_spec *ncdev_traffic_policy(const weft_model_subset *sub)
{
	return sub && sub->policies.traffic_policy ? sub->policies.traffic_policy->spec : NULL;
}

int ncdev_warn(struct ncdev_render *r, const weft_resource *res, weft_pos pos, const char *field,
               const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (weft_warn(r->warnings, res, pos, field, "%s", msg))
		return weft_err_set(r->err, "device %s/%s: render: out of memory", r->dev->ns,
		                    r->dev->name);
	return 0;
}

const char *ncdev_method(const weft_traffic_policy_spec *tp, int weighted, const char **hash_key)
{
	*hash_key = NULL;
	const weft_load_balancer *lb = tp ? tp->load_balancer : NULL;
	switch (lb ? lb->algorithm : WEFT_LB_ROUND_ROBIN) {
	case WEFT_LB_LEAST_REQUEST:
		return "least-connections";
	case WEFT_LB_RANDOM:
		return "random";
	case WEFT_LB_RING_HASH:
	case WEFT_LB_MAGLEV:
		if (lb->hash_on)
			*hash_key = lb->hash_on->header   ? "header"
			            : lb->hash_on->cookie ? "cookie"
			                                  : "source-ip";
		return lb->algorithm == WEFT_LB_MAGLEV ? "maglev" : "ring-hash";
	default:
		return weighted ? "weighted-round-robin" : "round-robin";
	}
}

void ncdev_object_name(const weft_resource *res, char *buf, size_t len)
{
	ncdev_name(buf, len, res->ns, res->name, NULL);
}

static int render_health_check(struct ncdev_render *r, const weft_resource *res)
{
	const weft_traffic_policy_spec *tp = res->spec;
	const weft_health_check *hc = tp->health_check;
	char n[80], v[32];
	ncdev_object_name(res, n, sizeof(n));
	const char *base = "/weft-lb:lb/health-check[name='%s']/%s";
	int http = hc->type == WEFT_CHECK_HTTP;
	if (ncdev_put(r, http ? "http" : "tcp", base, n, "type"))
		return -1;
	if (hc->interval_ms) {
		snprintf(v, sizeof(v), "%lld", (hc->interval_ms + 999) / 1000);
		if (ncdev_put(r, v, base, n, "interval"))
			return -1;
	}
	if (hc->timeout_ms) {
		snprintf(v, sizeof(v), "%lld", (hc->timeout_ms + 999) / 1000);
		if (ncdev_put(r, v, base, n, "timeout"))
			return -1;
	}
	if (hc->healthy_threshold) {
		snprintf(v, sizeof(v), "%d", hc->healthy_threshold);
		if (ncdev_put(r, v, base, n, "healthy-threshold"))
			return -1;
	}
	if (hc->unhealthy_threshold) {
		snprintf(v, sizeof(v), "%d", hc->unhealthy_threshold);
		if (ncdev_put(r, v, base, n, "unhealthy-threshold"))
			return -1;
	}
	if (http && hc->path && ncdev_put(r, hc->path, base, n, "path"))
		return -1;
	if (http && hc->expected_status) {
		snprintf(v, sizeof(v), "%d", hc->expected_status);
		if (ncdev_put(r, v, base, n, "expected-status"))
			return -1;
	}
	return 0;
}

/* Service pools are per port for the whole service: the service-wide
 * TrafficPolicy is in effect there. A subset's own TrafficPolicy applies to
 * that subset only (docs/policy.md, "Precedence"); weft-lb has subset
 * pools only behind gateway listeners (ncdev_render_vs.c). */
static int render_service(struct ncdev_render *r, const weft_resource *svc)
{
	const weft_model_service *ms = weft_model_find_service(r->model, svc->ns, svc->name);
	for (size_t p = 0; ms && p < ms->n_ports; p++) {
		const weft_model_port *port = &ms->ports[p];
		const weft_model_subset *whole = weft_model_find_subset(port, NULL);
		const weft_model_endpoints *eps = weft_model_endpoints_on(whole, NULL);
		const weft_traffic_policy_spec *tp = ncdev_traffic_policy(whole);
		char pool[80], num[16], w[16], mp[16], hc[80];
		snprintf(num, sizeof(num), "%d", port->port);
		ncdev_name(pool, sizeof(pool), svc->ns, svc->name, num, NULL);
		const char *hash_key, *method = ncdev_method(tp, eps->weighted, &hash_key);
		const char *base = "/weft-lb:lb/pool[name='%s']/%s";
		if (tp && tp->health_check)
			ncdev_object_name(whole->policies.traffic_policy, hc, sizeof(hc));
		if (ncdev_put(r, method, base, pool, "method") ||
		    (hash_key && ncdev_put(r, hash_key, base, pool, "hash-key")) ||
		    (tp && tp->health_check && ncdev_put(r, hc, base, pool, "health-check")))
			return -1;
		for (size_t i = 0; i < eps->count; i++) {
			snprintf(mp, sizeof(mp), "%d", eps->items[i].port);
			snprintf(w, sizeof(w), "%d", eps->items[i].weight);
			if (ncdev_put(r, w,
			              "/weft-lb:lb/pool[name='%s']/member[address='%s'][port='%s']/"
			              "weight",
			              pool, eps->items[i].address, mp))
				return -1;
		}
	}
	return 0;
}

static int render_rate_limit(struct ncdev_render *r, const weft_resource *res)
{
	const weft_rate_limit_spec *s = res->spec;
	char n[80], v[32];
	ncdev_object_name(res, n, sizeof(n));
	const char *base = "/weft-lb:lb/rate-limit[name='%s']/%s";
	snprintf(v, sizeof(v), "%d", s->limit->requests);
	if (ncdev_put(r, v, base, n, "requests") ||
	    ncdev_put(r, s->limit->per == WEFT_PER_MINUTE ? "minute" : "second", base, n, "per"))
		return -1;
	if (s->limit->burst) {
		snprintf(v, sizeof(v), "%d", s->limit->burst);
		if (ncdev_put(r, v, base, n, "burst"))
			return -1;
	}
	const char *key = !s->key ? "global" : s->key->header ? "header" : "source-ip";
	if (ncdev_put(r, key, base, n, "key"))
		return -1;
	if (s->key && s->key->header && ncdev_put(r, s->key->header, base, n, "header-name"))
		return -1;
	if (s->tiers.count &&
	    ncdev_warn(r, res, s->tiers_pos, "spec.tiers",
	               "left out: weft-lb rate limits have no per-key tiers (%zu tier(s)); every "
	               "key gets spec.limit",
	               s->tiers.count))
		return -1;
	return 0;
}

/* "/x/" + "*" is the prefix "/x/"; an exact path becomes a prefix too
 * (weft-lb matches prefixes only). */
static void acl_path(const char *in, char *out, size_t len)
{
	snprintf(out, len, "%s", in);
	size_t n = strlen(out);
	if (n > 1 && out[n - 1] == '*')
		out[n - 1] = 0;
}

/* Conditions weft-lb cannot match on (it has source CIDRs, path prefixes
 * and methods only). */
static int warn_acl_rule(struct ncdev_render *r, const weft_resource *res, size_t i,
                         const weft_access_rule *rule, int dropped)
{
	char field[96];
	const char *what = rule->from && rule->from->services.count    ? "from.services"
	                   : rule->from && rule->from->not_cidrs.count ? "from.notCidrs"
	                   : rule->headers.count                       ? "headers"
	                                                               : NULL;
	if (!what)
		return 0;
	snprintf(field, sizeof(field), "spec.rules[%zu].%s", i, what);
	return ncdev_warn(r, res, rule->pos, field,
	                  dropped ? "rule left out: weft-lb ACLs match source CIDRs, paths and "
	                            "methods only"
	                          : "condition left out (the rule matches without it): weft-lb "
	                            "ACLs match source CIDRs, paths and methods only");
}

static int render_acl_rule(struct ncdev_render *r, const weft_resource *res, const char *acl,
                           size_t idx, const weft_access_rule *rule)
{
	int seq = (int)(idx + 1) * 10;
	size_t n_src = rule->from ? rule->from->cidrs.count : 0;
	size_t n_path = rule->to ? rule->to->paths.count : 0;
	size_t n_meth = rule->to ? rule->to->methods.count : 0;
	int dropped = !n_src && !n_path && !n_meth;
	if (warn_acl_rule(r, res, idx, rule, dropped))
		return -1;
	if (dropped)
		return 0; /* nothing weft-lb can match on */
	const char *base = "/weft-lb:lb/acl[name='%s']/rule[seq='%d']/%s";
	if (ncdev_put(r, rule->action == WEFT_ACTION_DENY ? "deny" : "allow", base, acl, seq,
	              "action"))
		return -1;
	for (size_t i = 0; i < n_src; i++)
		if (ncdev_put(r, rule->from->cidrs.items[i], base, acl, seq, "source"))
			return -1;
	for (size_t i = 0; i < n_path; i++) {
		char p[1100];
		acl_path(rule->to->paths.items[i], p, sizeof(p));
		if (ncdev_put(r, p, base, acl, seq, "path"))
			return -1;
	}
	for (size_t i = 0; i < n_meth; i++)
		if (ncdev_put(r, rule->to->methods.items[i], base, acl, seq, "method"))
			return -1;
	return 0;
}

static int render_acl(struct ncdev_render *r, const weft_resource *res)
{
	const weft_access_policy_spec *s = res->spec;
	char n[80];
	ncdev_object_name(res, n, sizeof(n));
	if (ncdev_put(r, s->default_action == WEFT_ACTION_DENY ? "deny" : "allow",
	              "/weft-lb:lb/acl[name='%s']/default-action", n))
		return -1;
	for (size_t i = 0; i < s->rules.count; i++)
		if (render_acl_rule(r, res, n, i, &s->rules.items[i]))
			return -1;
	return 0;
}

/* TrafficPolicy fields weft-lb has no leaf for. */
static int warn_traffic_policy(struct ncdev_render *r, const weft_resource *res)
{
	const weft_traffic_policy_spec *tp = res->spec;
	const weft_connection_pool *cp = tp->connection_pool;
	if (tp->subset &&
	    ncdev_warn(r, res, tp->subset_pos, "spec.subset",
	               "approximated: weft-lb pools are per service port; this subset's policy "
	               "applies only to gateway pools whose first destination is subset '%s'",
	               tp->subset))
		return -1;
	if (tp->outlier_detection &&
	    ncdev_warn(r, res, tp->outlier_detection->pos, "spec.outlierDetection",
	               "left out: weft-lb has no outlier detection"))
		return -1;
	if (tp->tls && ncdev_warn(r, res, tp->tls->pos, "spec.tls",
	                          "left out: weft-lb pools have no upstream TLS"))
		return -1;
	if (tp->load_balancer && tp->load_balancer->ring_size &&
	    ncdev_warn(r, res, tp->load_balancer->ring_size->pos, "spec.loadBalancer.ringSize",
	               "left out: weft-lb has no ring size"))
		return -1;
	if (cp &&
	    (cp->max_pending_requests || cp->max_requests || cp->max_retries ||
	     cp->connect_timeout_ms) &&
	    ncdev_warn(r, res, cp->pos, "spec.connectionPool",
	               "only maxConnections is rendered (as a gateway virtual service's "
	               "connection-limit); the other limits are left out"))
		return -1;
	return 0;
}

static int render_all(struct ncdev_render *r)
{
	for (size_t i = 0; i < r->n_sel; i++) {
		const weft_resource *res = r->sel[i];
		int rc = 0;
		if (res->kind == WEFT_KIND_SERVICE)
			rc = render_service(r, res);
		else if (res->kind == WEFT_KIND_TRAFFIC_POLICY)
			rc = warn_traffic_policy(r, res) ||
			     (((const weft_traffic_policy_spec *)res->spec)->health_check &&
			      render_health_check(r, res));
		else if (res->kind == WEFT_KIND_RATE_LIMIT)
			rc = render_rate_limit(r, res);
		else if (res->kind == WEFT_KIND_ROUTE &&
		         ((const weft_route_spec *)res->spec)->service.name)
			rc = ncdev_warn(
			        r, res, ((const weft_route_spec *)res->spec)->service.pos,
			        "spec.service",
			        "not rendered: a mesh Route has no virtual service on weft-lb");
		else if (res->kind == WEFT_KIND_TELEMETRY)
			rc = ncdev_warn(r, res, (weft_pos){0, 0}, "spec",
			                "not rendered: weft-lb has no access logs or tracing");
		else if (res->kind == WEFT_KIND_ACCESS_POLICY)
			rc = render_acl(r, res);
		if (rc)
			return -1;
	}
	return ncdev_render_gateways(r);
}

int ncdev_render(const weft_snapshot *snap, const weft_resource *dev, void **desired, weft_err *err)
{
	const struct ly_ctx *ctx = ncdev_model_ctx(err);
	if (!ctx)
		return -1;
	struct ncdev_config *out = calloc(1, sizeof(*out));
	if (!out)
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	struct ncdev_render r = {.set = weft_snapshot_policy(snap),
	                         .model = weft_snapshot_model(snap),
	                         .warnings = &out->warnings,
	                         .dev = dev,
	                         .ctx = ctx,
	                         .err = err};
	r.sel = weft_snapshot_by_device(snap, dev->ns, dev->name, &r.n_sel);
	if (render_all(&r)) {
		lyd_free_all(r.tree);
		ncdev_config_free(out);
		return -1;
	}
	/* Validate everything weft-lb says (leafrefs, must, unique, ranges)
	 * before anything can be sent; this also adds the implicit defaults. */
	if (lyd_new_implicit_module(&r.tree, ncdev_model_module(), LYD_IMPLICIT_NO_STATE, NULL) ||
	    lyd_validate_module(&r.tree, ncdev_model_module(), LYD_VALIDATE_NO_STATE, NULL)) {
		char ly[700];
		ncdev_ly_error(ctx, ly, sizeof(ly));
		lyd_free_all(r.tree);
		ncdev_config_free(out);
		return weft_err_set(err, "device %s/%s: rendered weft-lb config is invalid: %s",
		                    dev->ns, dev->name, ly);
	}
	out->tree = r.tree;
	*desired = out;
	return 0;
}
