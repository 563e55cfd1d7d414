/* render: snapshot + Device -> the desired weft-lb data tree (see
 * ncdev_render.h for the split and the names). This file selects what the
 * device's scope covers and renders
 *   Service        one pool per port (NS_SERVICE_PORT), one member per
 *                  endpoint (address on plane "default", else the first
 *                  plane; weight = endpoint weight)
 *   TrafficPolicy  health-check NS_POLICY (interval/timeout rounded up to
 *                  whole seconds), the pools' method (round-robin, or
 *                  weighted-round-robin when weights differ; least-request
 *                  -> least-connections; random; ring-hash/maglev with
 *                  their hash key)
 *   RateLimit      rate-limit NS_NAME (limit, key; tiers do not exist in
 *                  weft-lb and are left out)
 *   AccessPolicy   acl NS_NAME, rules seq 10, 20, ... (source CIDRs, path
 *                  prefixes, methods; a rule with nothing weft-lb can match
 *                  on, e.g. only `from.services`, is left out)
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

const weft_traffic_policy_spec *ncdev_traffic_policy(const struct ncdev_render *r,
                                                     const weft_resource *svc)
{
	const weft_traffic_policy_spec *best = NULL;
	for (size_t i = 0; i < r->n_sel; i++) {
		const weft_resource *tp = r->sel[i];
		if (tp->kind != WEFT_KIND_TRAFFIC_POLICY)
			continue;
		const weft_traffic_policy_spec *s = tp->spec;
		if (!ncdev_ref_is(&s->service, tp->ns, svc))
			continue;
		if (!best || (best->subset && !s->subset))
			best = s;
	}
	return best;
}

const char *ncdev_endpoint_address(const weft_endpoint *ep)
{
	if (ep->address)
		return ep->address;
	const char *a = weft_labels_get(&ep->addresses, "default");
	return a ? a : ep->addresses.count ? ep->addresses.items[0].value : NULL;
}

int ncdev_endpoint_port(const weft_endpoint *ep, const weft_service_port *port)
{
	return ep->port ? ep->port : port->target_port ? port->target_port : port->port;
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

/* The name of the health check a service's pools use, or NULL. */
static int health_check_of(const struct ncdev_render *r, const weft_resource *svc, char *buf,
                           size_t len)
{
	for (size_t i = 0; i < r->n_sel; i++) {
		const weft_resource *tp = r->sel[i];
		if (tp->kind != WEFT_KIND_TRAFFIC_POLICY)
			continue;
		const weft_traffic_policy_spec *s = tp->spec;
		if (s->health_check && !s->subset && ncdev_ref_is(&s->service, tp->ns, svc)) {
			ncdev_object_name(tp, buf, len);
			return 1;
		}
	}
	return 0;
}

static int render_service(struct ncdev_render *r, const weft_resource *svc)
{
	const weft_service_spec *s = svc->spec;
	const weft_traffic_policy_spec *tp = ncdev_traffic_policy(r, svc);
	char hc[80];
	int has_hc = health_check_of(r, svc, hc, sizeof(hc));
	int weighted = 0;
	for (size_t i = 1; i < s->endpoints.count; i++)
		weighted |= s->endpoints.items[i].weight != s->endpoints.items[0].weight;
	for (size_t p = 0; p < s->ports.count; p++) {
		const weft_service_port *port = &s->ports.items[p];
		char pool[80], num[16], w[16], mp[16];
		snprintf(num, sizeof(num), "%d", port->port);
		ncdev_name(pool, sizeof(pool), svc->ns, svc->name, num, NULL);
		const char *hash_key, *method = ncdev_method(tp, weighted, &hash_key);
		const char *base = "/weft-lb:lb/pool[name='%s']/%s";
		if (ncdev_put(r, method, base, pool, "method") ||
		    (hash_key && ncdev_put(r, hash_key, base, pool, "hash-key")) ||
		    (has_hc && ncdev_put(r, hc, base, pool, "health-check")))
			return -1;
		for (size_t i = 0; i < s->endpoints.count; i++) {
			const weft_endpoint *ep = &s->endpoints.items[i];
			const char *addr = ncdev_endpoint_address(ep);
			if (!addr)
				continue;
			snprintf(mp, sizeof(mp), "%d", ncdev_endpoint_port(ep, port));
			snprintf(w, sizeof(w), "%d", ep->weight > 0 ? ep->weight : 1);
			if (ncdev_put(r, w,
			              "/weft-lb:lb/pool[name='%s']/member[address='%s'][port='%s']/"
			              "weight",
			              pool, addr, mp))
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

static int render_acl_rule(struct ncdev_render *r, const char *acl, int seq,
                           const weft_access_rule *rule)
{
	size_t n_src = rule->from ? rule->from->cidrs.count : 0;
	size_t n_path = rule->to ? rule->to->paths.count : 0;
	size_t n_meth = rule->to ? rule->to->methods.count : 0;
	if (!n_src && !n_path && !n_meth)
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
		if (render_acl_rule(r, n, (int)(i + 1) * 10, &s->rules.items[i]))
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
		else if (res->kind == WEFT_KIND_TRAFFIC_POLICY &&
		         ((const weft_traffic_policy_spec *)res->spec)->health_check)
			rc = render_health_check(r, res);
		else if (res->kind == WEFT_KIND_RATE_LIMIT)
			rc = render_rate_limit(r, res);
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
	struct ncdev_render r = {
	        .set = weft_snapshot_policy(snap), .dev = dev, .ctx = ctx, .err = err};
	r.sel = weft_snapshot_by_device(snap, dev->ns, dev->name, &r.n_sel);
	struct ncdev_config *out = calloc(1, sizeof(*out));
	if (!out)
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	if (render_all(&r)) {
		lyd_free_all(r.tree);
		free(out);
		return -1;
	}
	/* Validate everything weft-lb says (leafrefs, must, unique, ranges)
	 * before anything can be sent; this also adds the implicit defaults. */
	if (lyd_new_implicit_module(&r.tree, ncdev_model_module(), LYD_IMPLICIT_NO_STATE, NULL) ||
	    lyd_validate_module(&r.tree, ncdev_model_module(), LYD_VALIDATE_NO_STATE, NULL)) {
		char ly[700];
		ncdev_ly_error(ctx, ly, sizeof(ly));
		lyd_free_all(r.tree);
		free(out);
		return weft_err_set(err, "device %s/%s: rendered weft-lb config is invalid: %s",
		                    dev->ns, dev->name, ly);
	}
	out->tree = r.tree;
	*desired = out;
	return 0;
}
