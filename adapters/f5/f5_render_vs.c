/* render, part 2: Gateways -> virtual servers. Each listener of a selected
 * Gateway becomes one virtual server (destination address:port, tcp, the
 * profiles its protocol needs). HTTP(S) listeners route with one published
 * LTM policy (first-match) whose rules come from the listener's Routes in
 * order: host, path, method, header and query conditions -> forward to a
 * pool. TCP/TLS listeners send to the pool of their first tcp rule.
 *
 * Weighted destinations (a 90/10 canary) become one "split pool" holding
 * the members of every destination with ratios proportional to destination
 * weight x endpoint weight / sum of endpoint weights, reduced by their gcd
 * (90/10 over two endpoints each -> ratios 9 and 1): BIG-IP's own
 * ratio-member balancing then does the split, with no iRule. */
#include "f5_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

/* ---- destinations -> pools ---- */

struct split_ctx {
	json_t *ratios; /* member name -> [address, ratio] */
	long long weight, sum;
};

static int sum_weight(void *ctx, const char *addr, const char *member, int weight)
{
	(void)addr;
	(void)member;
	((struct split_ctx *)ctx)->sum += weight;
	return 0;
}

static int add_ratio(void *ctx, const char *addr, const char *member, int weight)
{
	struct split_ctx *s = ctx;
	long long v = s->sum ? s->weight * weight * 1000 / s->sum : 0;
	json_t *old = json_object_get(s->ratios, member);
	if (old)
		v += json_integer_value(json_array_get(old, 1));
	json_object_set_new(s->ratios, member, json_pack("[s,I]", addr, (json_int_t)v));
	return 0;
}

static long long gcd(long long a, long long b)
{
	while (b) {
		long long t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static const weft_resource *dest_service(struct f5_render *r, const weft_resource *route,
                                         const weft_destination *d, const weft_service_port **port)
{
	const weft_resource *svc = f5_find(r, WEFT_KIND_SERVICE, &d->service, route->ns);
	*port = svc ? f5_service_port(svc->spec, d->port) : NULL;
	return *port ? svc : NULL;
}

/* The model's normalized weight of a route rule's destination. */
static long long dest_weight(const struct f5_render *r, const weft_resource *route,
                             const weft_destination *d)
{
	const weft_model_route *mr = weft_model_route_of(r->model, route);
	for (size_t i = 0; mr && i < mr->n_http + mr->n_tcp; i++) {
		const weft_model_rule *rule =
		        i < mr->n_http ? &mr->http[i] : &mr->tcp[i - mr->n_http];
		for (size_t k = 0; k < rule->n_dests; k++)
			if (rule->dests[k].spec == d)
				return rule->dests[k].weight;
	}
	return 0;
}

static int render_split(struct f5_render *r, const weft_resource *route, size_t rule,
                        const weft_destinations *ds, char *path, size_t len)
{
	char idx[16];
	snprintf(idx, sizeof(idx), "%zu", rule);
	f5_full(r, path, len, route->ns, route->name, idx, "split", NULL);
	struct split_ctx s = {.ratios = json_object()};
	const char *monitor = "none";
	char mon[512];
	for (size_t i = 0; i < ds->count; i++) {
		const weft_destination *d = &ds->items[i];
		const weft_service_port *port;
		const weft_resource *svc = dest_service(r, route, d, &port);
		if (!svc)
			continue;
		s.weight = dest_weight(r, route, d);
		s.sum = 0;
		f5_each_member(r, svc, port, d->subset, sum_weight, &s);
		f5_each_member(r, svc, port, d->subset, add_ratio, &s);
		const weft_resource *tp = NULL;
		const weft_traffic_policy_spec *pol = f5_traffic_policy(r, svc, d->subset, &tp);
		if (pol && pol->health_check && !strcmp(monitor, "none")) {
			f5_full(r, mon, sizeof(mon), tp->ns, tp->name, "hc", NULL);
			monitor = mon;
		}
	}
	long long g = 0, max = 0;
	const char *key;
	json_t *v;
	json_object_foreach(s.ratios, key, v)
	{
		long long x = json_integer_value(json_array_get(v, 1));
		g = x ? gcd(x, g) : g;
		max = x > max ? x : max;
	}
	json_t *b = f5_new_body(r, path, 0);
	json_object_set_new(b, "loadBalancingMode", json_string("ratio-member"));
	json_object_set_new(b, "monitor", json_string(monitor));
	int rc = f5_add(r, F5T_POOL, path, NULL, b);
	/* Ratios stay within BIG-IP's 1..65535. */
	long long div = g ? g : 1, scale = max / div > 65535 ? max / div / 65535 + 1 : 1;
	json_object_foreach(s.ratios, key, v)
	{
		long long x = json_integer_value(json_array_get(v, 1)) / div / scale;
		if (rc || x <= 0)
			continue;
		json_t *m = json_object();
		json_object_set_new(m, "name", json_string(key));
		json_object_set_new(m, "partition", json_string(r->part));
		json_object_set(m, "address", json_array_get(v, 0));
		json_object_set_new(m, "ratio", json_integer(x));
		json_object_set_new(m, "connectionLimit", json_integer(0));
		json_object_set_new(m, "description", f5_mark(r->rev, 0));
		rc = f5_add(r, F5T_MEMBER, path, key, m);
	}
	json_decref(s.ratios);
	return rc;
}

/* The pool a rule's destinations send to: one destination without a
 * weight below 100 -> its own pool, else a split pool. Records services
 * and pools for iRules and profiles. "" when nothing resolves. */
static int dest_pool(struct f5_render *r, const weft_resource *route, size_t rule,
                     const weft_destinations *ds, char *path, size_t len, json_t *pools,
                     json_t *services)
{
	path[0] = 0;
	for (size_t i = 0; i < ds->count; i++) {
		const weft_service_port *port;
		const weft_resource *svc = dest_service(r, route, &ds->items[i], &port);
		if (svc)
			json_array_append_new(services, json_pack("[s,s]", svc->ns, svc->name));
	}
	if (!ds->count)
		return 0;
	const weft_destination *d = &ds->items[0];
	if (ds->count == 1 && (!d->has_weight || d->weight == 100)) {
		const weft_service_port *port;
		const weft_resource *svc = dest_service(r, route, d, &port);
		if (svc)
			f5_pool_path(r, svc, port->port, d->subset, path, len);
	} else if (render_split(r, route, rule, ds, path, len)) {
		return -1;
	}
	if (path[0])
		json_array_append_new(pools, json_string(path));
	return 0;
}

/* ---- LTM policy rules ---- */

static json_t *cond(json_t *rule_conds, const char *what, const char *op, json_t *values)
{
	json_t *c = json_object();
	char n[16];
	snprintf(n, sizeof(n), "%zu", json_array_size(rule_conds));
	json_object_set_new(c, "name", json_string(n));
	json_object_set_new(c, what, json_true());
	json_object_set_new(c, op, json_true());
	json_object_set_new(c, "request", json_true());
	if (values)
		json_object_set_new(c, "values", values);
	json_array_append_new(rule_conds, c);
	return c;
}

static int match_conds(struct f5_render *r, const weft_resource *route, const weft_http_match *m,
                       json_t *conds)
{
	if (m->path) {
		json_t *c = NULL;
		if (m->path->exact)
			c = cond(conds, "httpUri", "equals", json_pack("[s]", m->path->exact));
		else if (m->path->prefix)
			c = cond(conds, "httpUri", "startsWith", json_pack("[s]", m->path->prefix));
		else
			return weft_err_set(r->err,
			                    "%s:%d:%d: Route %s/%s: regex path matches are "
			                    "not supported on F5 devices",
			                    route->file, m->path->pos.line, m->path->pos.col,
			                    route->ns, route->name);
		json_object_set_new(c, "path", json_true());
	}
	if (m->method) {
		json_t *c = cond(conds, "httpMethod", "equals", json_pack("[s]", m->method));
		(void)c;
	}
	for (size_t i = 0; i < m->headers.count; i++) {
		const weft_header_match *h = &m->headers.items[i];
		json_t *c;
		if (h->exact)
			c = cond(conds, "httpHeader", "equals", json_pack("[s]", h->exact));
		else if (h->prefix)
			c = cond(conds, "httpHeader", "startsWith", json_pack("[s]", h->prefix));
		else if (h->present)
			c = cond(conds, "httpHeader", "exists", NULL);
		else
			return weft_err_set(r->err,
			                    "%s:%d:%d: Route %s/%s: regex header matches are "
			                    "not supported on F5 devices",
			                    route->file, h->pos.line, h->pos.col, route->ns,
			                    route->name);
		json_object_set_new(c, "tmName", json_string(h->name));
	}
	for (size_t i = 0; i < m->query_params.count; i++) {
		const weft_query_match *q = &m->query_params.items[i];
		if (!q->exact)
			return weft_err_set(r->err,
			                    "%s:%d:%d: Route %s/%s: only exact query matches "
			                    "are supported on F5 devices",
			                    route->file, q->pos.line, q->pos.col, route->ns,
			                    route->name);
		json_t *c = cond(conds, "httpUri", "equals", json_pack("[s]", q->exact));
		json_object_set_new(c, "queryParameter", json_true());
		json_object_set_new(c, "tmName", json_string(q->name));
	}
	return 0;
}

/* Host conditions: exact names in one condition, "*.x" as endsWith ".x". */
static void host_conds(const weft_route_spec *rs, int wild, json_t *conds)
{
	json_t *vals = json_array();
	for (size_t i = 0; i < rs->hosts.count; i++) {
		const char *h = rs->hosts.items[i];
		if (!strcmp(h, "*"))
			continue;
		if (wild && !strncmp(h, "*.", 2))
			json_array_append_new(vals, json_string(h + 1));
		else if (!wild && strncmp(h, "*.", 2))
			json_array_append_new(vals, json_string(h));
	}
	if (!json_array_size(vals)) {
		json_decref(vals);
		return;
	}
	json_t *c = cond(conds, "httpHost", wild ? "endsWith" : "equals", vals);
	json_object_set_new(c, "host", json_true());
}

static int host_groups(const weft_route_spec *rs, int *exact, int *wild)
{
	*exact = *wild = 0;
	for (size_t i = 0; i < rs->hosts.count; i++) {
		if (!strcmp(rs->hosts.items[i], "*"))
			return 0;
		if (!strncmp(rs->hosts.items[i], "*.", 2))
			*wild = 1;
		else
			*exact = 1;
	}
	return *exact || *wild;
}

static int add_policy_rule(struct f5_render *r, const weft_resource *route, int wild,
                           const weft_http_match *m, const char *pool, json_t *rules)
{
	const weft_route_spec *rs = route->spec;
	json_t *conds = json_array(), *rule = json_object();
	char name[32];
	snprintf(name, sizeof(name), "r%zu", json_array_size(rules));
	json_array_append_new(rules, rule);
	json_object_set_new(rule, "name", json_string(name));
	json_object_set_new(rule, "ordinal", json_integer((json_int_t)json_array_size(rules) - 1));
	json_object_set_new(rule, "conditions", conds);
	int ex, wi;
	if (host_groups(rs, &ex, &wi))
		host_conds(rs, wild, conds);
	if (m && match_conds(r, route, m, conds))
		return -1;
	json_object_set_new(rule, "actions",
	                    json_pack("[{s:s, s:b, s:b, s:s, s:b}]", "name", "0", "forward", 1,
	                              "select", 1, "pool", pool, "request", 1));
	return 0;
}

static int route_policy_rules(struct f5_render *r, const weft_resource *route, json_t *rules,
                              json_t *pools, json_t *services)
{
	const weft_route_spec *rs = route->spec;
	int ex = 0, wi = 0;
	if (!host_groups(rs, &ex, &wi))
		ex = 1; /* no host condition: one pass */
	for (size_t i = 0; i < rs->http.count; i++) {
		const weft_http_rule *hr = &rs->http.items[i];
		char pool[512];
		if (dest_pool(r, route, i, &hr->destinations, pool, sizeof(pool), pools, services))
			return -1;
		if (!pool[0])
			continue;
		for (int w = 0; w < 2; w++) {
			if ((w == 0 && !ex) || (w == 1 && !wi))
				continue;
			if (!hr->match.count && add_policy_rule(r, route, w, NULL, pool, rules))
				return -1;
			for (size_t k = 0; k < hr->match.count; k++)
				if (add_policy_rule(r, route, w, &hr->match.items[k], pool, rules))
					return -1;
		}
	}
	return 0;
}

/* ---- virtual servers ---- */

static void profile(json_t *profiles, const char *name, const char *context)
{
	json_array_append_new(profiles, json_pack("{s:s, s:s}", "name", name, "context", context));
}

static int render_policy(struct f5_render *r, const char *vs, json_t *rules, json_t *vsbody)
{
	char path[600];
	snprintf(path, sizeof(path), "%s_routes", vs);
	char *text = json_dumps(rules, JSON_SORT_KEYS | JSON_COMPACT);
	uint64_t h = text ? weft_hash_str(WEFT_HASH_SEED, text) : 1;
	free(text);
	json_t *b = f5_new_body(r, path, h ? h : 1);
	json_object_set_new(b, "strategy", json_string("/Common/first-match"));
	json_object_set_new(b, "requires", json_pack("[s]", "http"));
	json_object_set_new(b, "controls", json_pack("[s]", "forwarding"));
	json_object_set(b, "rules", rules);
	json_object_set_new(vsbody, "policies", json_pack("[{s:s}]", "name", path));
	return f5_add(r, F5T_POLICY, path, NULL, b);
}

static int render_clientssl(struct f5_render *r, const char *vs, const weft_listener_tls *tls,
                            json_t *profiles)
{
	char path[600], name[512];
	snprintf(path, sizeof(path), "%s_clientssl", vs);
	json_t *b = f5_new_body(r, path, 0);
	json_object_set_new(b, "defaultsFrom", json_string("/Common/clientssl"));
	f5_cert_name(tls->certificate->cert_file, name, sizeof(name));
	json_object_set_new(b, "cert", json_string(name));
	f5_cert_name(tls->certificate->key_file, name, sizeof(name));
	json_object_set_new(b, "key", json_string(name));
	if (tls->mode == WEFT_SERVER_TLS_MUTUAL && tls->ca_file) {
		f5_cert_name(tls->ca_file, name, sizeof(name));
		json_object_set_new(b, "caFile", json_string(name));
		json_object_set_new(b, "peerCertMode", json_string("require"));
	}
	profile(profiles, path, "clientside");
	return f5_add(r, F5T_CLIENTSSL, path, NULL, b);
}

/* The first server-ssl profile of a TrafficPolicy of a routed service. */
static void serverssl_profile(struct f5_render *r, json_t *services, json_t *profiles)
{
	size_t i;
	json_t *s;
	json_array_foreach(services, i, s)
	{
		weft_ref ref = {.ns = json_string_value(json_array_get(s, 0)),
		                .name = json_string_value(json_array_get(s, 1))};
		const weft_resource *svc = f5_find(r, WEFT_KIND_SERVICE, &ref, ref.ns), *tp = NULL;
		const weft_traffic_policy_spec *pol =
		        svc ? f5_traffic_policy(r, svc, NULL, &tp) : NULL;
		if (pol && pol->tls &&
		    (pol->tls->mode == WEFT_TLS_SIMPLE || pol->tls->mode == WEFT_TLS_MUTUAL)) {
			char path[512];
			f5_full(r, path, sizeof(path), tp->ns, tp->name, "serverssl", NULL);
			profile(profiles, path, "serverside");
			return;
		}
	}
}

struct listener_ctx {
	const weft_resource *gw;
	const weft_listener *l;
	char vs[512];
	json_t *body, *profiles, *pools, *services, *routes;
};

static int render_listener(struct f5_render *r, struct listener_ctx *x);

int f5_render_gateways(struct f5_render *r)
{
	for (size_t g = 0; g < r->sel[WEFT_KIND_GATEWAY].n; g++) {
		const weft_resource *gw = r->sel[WEFT_KIND_GATEWAY].items[g];
		const weft_gateway_spec *gs = gw->spec;
		for (size_t i = 0; i < gs->listeners.count; i++) {
			struct listener_ctx x = {.gw = gw, .l = &gs->listeners.items[i]};
			f5_full(r, x.vs, sizeof(x.vs), gw->ns, gw->name, x.l->name, NULL);
			x.body = f5_new_body(r, x.vs, 0);
			x.profiles = json_array();
			x.pools = json_array();
			x.services = json_array();
			x.routes = json_array();
			int rc = render_listener(r, &x);
			json_decref(x.profiles);
			json_decref(x.pools);
			json_decref(x.services);
			json_decref(x.routes);
			json_decref(x.body);
			if (rc)
				return -1;
		}
	}
	return 0;
}

static int listener_routes(struct f5_render *r, struct listener_ctx *x, int http, json_t *rules,
                           char *tcp_pool, size_t len)
{
	for (size_t k = 0; k < x->l->routes.count; k++) {
		const weft_resource *route =
		        f5_find(r, WEFT_KIND_ROUTE, &x->l->routes.items[k], x->gw->ns);
		if (!route)
			continue;
		const weft_route_spec *rs = route->spec;
		json_array_append_new(x->routes, json_pack("[s,s]", route->ns, route->name));
		if (http && route_policy_rules(r, route, rules, x->pools, x->services))
			return -1;
		if (!http && rs->tcp.count && !tcp_pool[0] &&
		    dest_pool(r, route, 0, &rs->tcp.items[0].destinations, tcp_pool, len, x->pools,
		              x->services))
			return -1;
	}
	return 0;
}

static int render_listener(struct f5_render *r, struct listener_ctx *x)
{
	const weft_gateway_spec *gs = x->gw->spec;
	const weft_listener *l = x->l;
	int http = l->protocol == WEFT_LISTENER_HTTP || l->protocol == WEFT_LISTENER_HTTPS;
	char dest[600], tcp_pool[512] = "";
	char member[128];
	f5_member_name(gs->address ? gs->address : "0.0.0.0", l->port, member, sizeof(member));
	snprintf(dest, sizeof(dest), "/%s/%s", r->part, member);
	json_object_set_new(x->body, "destination", json_string(dest));
	json_object_set_new(x->body, "ipProtocol", json_string("tcp"));
	json_object_set_new(x->body, "sourceAddressTranslation",
	                    json_pack("{s:s}", "type", "automap"));
	json_t *rules = json_array();
	int rc = listener_routes(r, x, http, rules, tcp_pool, sizeof(tcp_pool));
	profile(x->profiles, "/Common/tcp", "all");
	if (http)
		profile(x->profiles, "/Common/http", "all");
	if (!rc && l->tls && l->tls->certificate)
		rc = render_clientssl(r, x->vs, l->tls, x->profiles);
	serverssl_profile(r, x->services, x->profiles);
	if (!rc && http && json_array_size(rules))
		rc = render_policy(r, x->vs, rules, x->body);
	json_decref(rules);
	if (rc)
		return -1;
	if (!json_object_get(x->body, "policies"))
		json_object_set_new(x->body, "policies", json_array());
	if (tcp_pool[0])
		json_object_set_new(x->body, "pool", json_string(tcp_pool));
	json_object_set(x->body, "profiles", x->profiles);
	/* Connection limit: the TrafficPolicy of the default pool's service. */
	int limit = 0;
	if (!http && json_array_size(x->services)) {
		weft_ref ref = {
		        .ns = json_string_value(json_array_get(json_array_get(x->services, 0), 0)),
		        .name = json_string_value(
		                json_array_get(json_array_get(x->services, 0), 1))};
		const weft_resource *svc = f5_find(r, WEFT_KIND_SERVICE, &ref, ref.ns);
		const weft_traffic_policy_spec *pol =
		        svc ? f5_traffic_policy(r, svc, NULL, NULL) : NULL;
		if (pol && pol->connection_pool)
			limit = pol->connection_pool->max_connections;
	}
	json_object_set_new(x->body, "connectionLimit", json_integer(limit));
	json_t *irules = json_array();
	const weft_resource **svcs = calloc(json_array_size(x->services) + 1, sizeof(*svcs));
	const weft_resource **routes = calloc(json_array_size(x->routes) + 1, sizeof(*routes));
	size_t ns = 0, nr = 0, i;
	json_t *e;
	json_array_foreach(x->services, i, e)
	{
		weft_ref ref = {.ns = json_string_value(json_array_get(e, 0)),
		                .name = json_string_value(json_array_get(e, 1))};
		const weft_resource *svc = f5_find(r, WEFT_KIND_SERVICE, &ref, ref.ns);
		if (svc && svcs)
			svcs[ns++] = svc;
	}
	json_array_foreach(x->routes, i, e)
	{
		weft_ref ref = {.ns = json_string_value(json_array_get(e, 0)),
		                .name = json_string_value(json_array_get(e, 1))};
		const weft_resource *rt = f5_find(r, WEFT_KIND_ROUTE, &ref, ref.ns);
		if (rt && routes)
			routes[nr++] = rt;
	}
	rc = !svcs || !routes ? weft_err_set(r->err, "render: out of memory") : 0;
	for (i = 0; !rc && i < nr; i++)
		rc = f5_render_vs_rules(r, svcs, ns, routes[i], x->pools, http, irules);
	if (!rc)
		rc = f5_render_vs_rules(r, svcs, ns, NULL, x->pools, http, irules);
	int rate = rc ? 0 : f5_plain_rate_limit(r, svcs, ns, routes, nr);
	free(svcs);
	free(routes);
	json_object_set_new(x->body, "rules", irules);
	char rl[32] = "disabled";
	if (rate > 0)
		snprintf(rl, sizeof(rl), "%d", rate);
	json_object_set_new(x->body, "rateLimit", json_string(rl));
	if (rc)
		return -1;
	json_t *b = x->body;
	x->body = NULL;
	return f5_add(r, F5T_VIRTUAL, x->vs, NULL, b);
}
