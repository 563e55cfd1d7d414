/* The HTTP side of the haproxy renderer: a frontend per Gateway listener
 * (bind, TLS termination, host/path/header/method/query routing as ACLs and
 * use_backend), a backend per route rule (weighted split, timeouts,
 * retries and retry-on, header edits), and the access policy (403) and
 * rate limit (429, stick tables, per-key tiers) in effect. Everything is
 * read from the resolved model (core/model.h); what HAProxy cannot express
 * is a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hap_render_int.h"

/* An ACL pattern: blanks and '#' escaped (HAProxy splits words on them). */
static void pat(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == ' ' || *v == '#' || *v == '\\' || *v == '\t')
			fputc('\\', f);
		fputc(*v, f);
	}
}

static void hdr_cond(FILE *f, const char *fetch, const char *name, const char *exact,
                     const char *prefix, const char *regex)
{
	fprintf(f, " { %s(%s) -m %s ", fetch, name,
	        exact    ? "str"
	        : prefix ? "beg"
	        : regex  ? "reg"
	                 : "found");
	if (exact || prefix || regex)
		pat(f, exact ? exact : prefix ? prefix : regex);
	fprintf(f, " }");
}

/* The conditions of one match, ANDed (written after "if"). */
static void match_cond(FILE *f, const weft_http_match *m)
{
	if (m->path) {
		fprintf(f, " { path -m %s ",
		        m->path->exact    ? "str"
		        : m->path->prefix ? "beg"
		                          : "reg");
		pat(f, m->path->exact    ? m->path->exact
		       : m->path->prefix ? m->path->prefix
		                         : m->path->regex);
		fprintf(f, " }");
	}
	if (m->method)
		fprintf(f, " { method %s }", m->method);
	for (size_t i = 0; i < m->headers.count; i++) {
		const weft_header_match *h = &m->headers.items[i];
		hdr_cond(f, "req.hdr", h->name, h->exact, h->prefix, h->regex);
	}
	for (size_t i = 0; i < m->query_params.count; i++) {
		const weft_query_match *q = &m->query_params.items[i];
		hdr_cond(f, "url_param", q->name, q->exact, NULL, q->regex);
	}
}

/* Envoy retry_on conditions -> HAProxy retry-on keywords. */
static void render_retries(struct rctx *r, const weft_resource *route, const weft_retries *rt)
{
	fprintf(r->f, "    retries %d\n", rt->attempts ? rt->attempts : 1);
	fprintf(r->f, "    retry-on");
	if (!rt->retry_on.count)
		fprintf(r->f, " conn-failure empty-response response-timeout 502 503 504");
	for (size_t i = 0; i < rt->retry_on.count; i++) {
		const char *c = rt->retry_on.items[i];
		if (!strcmp(c, "5xx"))
			fprintf(r->f,
			        " conn-failure empty-response response-timeout 500 502 503 504");
		else if (!strcmp(c, "gateway-error"))
			fprintf(r->f, " 502 503 504");
		else if (!strcmp(c, "connect-failure"))
			fprintf(r->f, " conn-failure");
		else if (!strcmp(c, "reset"))
			fprintf(r->f, " empty-response");
		else if (!strcmp(c, "retriable-status-codes"))
			fprintf(r->f, " 500 502 503 504");
		else
			weft_warn(r->w, route, rt->retry_on.pos[i], "spec.http.retries.retryOn",
			          "'%s' has no HAProxy retry-on keyword: left out", c);
	}
	fprintf(r->f, "\n");
	if (rt->per_try_timeout_ms)
		fprintf(r->f, "    timeout server %lldms\n", rt->per_try_timeout_ms);
}

static void render_header_ops(FILE *f, const char *dir, const weft_header_ops *o)
{
	for (size_t i = 0; o && i < o->add.count; i++) {
		fprintf(f, "    %s set-header %s \"", dir, o->add.items[i].key);
		for (const char *v = o->add.items[i].value; *v; v++) {
			if (*v == '"' || *v == '\\' || *v == '%')
				fputc(*v == '%' ? '%' : '\\', f);
			fputc(*v, f);
		}
		fprintf(f, "\"\n");
	}
	for (size_t i = 0; o && i < o->remove.count; i++)
		fprintf(f, "    %s del-header %s\n", dir, o->remove.items[i]);
}

/* The backend of one rule: its destinations' servers in one backend with
 * weights that carry the normalized split. */
static void render_rule_backend(struct rctx *r, const weft_resource *route,
                                const weft_model_route *mr, const weft_model_rule *rule,
                                const char *name, int tcp)
{
	const weft_model_subset *first = NULL;
	for (size_t i = 0; i < rule->n_dests && !first; i++)
		first = rule->dests[i].subset;
	char opts[160];
	fprintf(r->f, "\nbackend %s\n    mode %s\n", name, tcp ? "tcp" : "http");
	hap_render_balance(r, first);
	hap_render_check(r, first, opts, sizeof(opts));
	const weft_http_rule *h = rule->http;
	if (h && h->timeout_ms && !(h->retries && h->retries->per_try_timeout_ms))
		fprintf(r->f, "    timeout server %lldms\n", h->timeout_ms);
	if (h && h->retries)
		render_retries(r, route, h->retries);
	if (h && h->fault)
		weft_warn(r->w, route, h->fault->pos, "spec.http.fault", "not rendered on HAProxy");
	if (h && h->rewrite && h->rewrite->host)
		fprintf(r->f, "    http-request set-header Host %s\n", h->rewrite->host);
	if (h && h->rewrite && h->rewrite->prefix)
		weft_warn(r->w, route, h->rewrite->pos, "spec.http.rewrite.prefix",
		          "not rendered on HAProxy");
	if (!tcp)
		hap_render_policies(r, first, mr->policies.rate_limit);
	if (h && h->headers) {
		render_header_ops(r->f, "http-request", h->headers->request);
		render_header_ops(r->f, "http-response", h->headers->response);
	}
	for (size_t i = 0; i < rule->n_dests; i++) {
		const weft_model_destination *d = &rule->dests[i];
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "d%zu_", i);
		if (d->subset && d->weight > 0)
			hap_render_servers(r, d->subset, d->weight, prefix, opts);
	}
}

static void render_hosts_acl(FILE *f, const char *acl, const weft_strs *hosts)
{
	for (size_t i = 0; i < hosts->count; i++) {
		const char *h = hosts->items[i];
		if (h[0] == '*')
			fprintf(f, "    acl %s req.hdr(host),field(1,:) -i -m end %s\n", acl,
			        h + 1);
		else
			fprintf(f, "    acl %s req.hdr(host),field(1,:) -i %s\n", acl, h);
	}
}

/* Whether route's backends are already written; else marks them. */
static int route_done(struct rctx *r, const weft_resource *route)
{
	for (size_t i = 0; i < r->n_done; i++)
		if (r->done[i] == route)
			return 1;
	if (r->n_done == r->cap_done) {
		size_t cap = r->cap_done ? r->cap_done * 2 : 8;
		const weft_resource **d = realloc(r->done, cap * sizeof(*d));
		if (!d)
			return 0;
		r->done = d;
		r->cap_done = cap;
	}
	r->done[r->n_done++] = route;
	return 0;
}

/* One route on a frontend: its use_backend lines; its backends are
 * appended to `later` (written after the frontend). */
static void render_route(struct rctx *r, const weft_resource *route, FILE *later, int tcp,
                         int *has_default)
{
	const weft_model_route *mr = weft_model_route_of(r->model, route);
	if (!mr)
		return;
	char acl[256], be[300];
	hap_cfg_name(acl, sizeof(acl), "host", route->ns, route->name, NULL);
	int hosted = mr->spec->hosts.count > 0 && !tcp;
	if (hosted)
		render_hosts_acl(r->f, acl, &mr->spec->hosts);
	struct rctx lr = *r;
	lr.f = later;
	int written = route_done(r, route);
	size_t n = tcp ? mr->n_tcp : mr->n_http;
	for (size_t i = 0; i < n; i++) {
		const weft_model_rule *rule = tcp ? &mr->tcp[i] : &mr->http[i];
		char idx[32];
		snprintf(idx, sizeof(idx), "%zu", i);
		hap_cfg_name(be, sizeof(be), "rt", route->ns, route->name, idx);
		if (!written)
			render_rule_backend(&lr, route, mr, rule, be, tcp);
		if (tcp) {
			if (!*has_default)
				fprintf(r->f, "    default_backend %s\n", be);
			*has_default = 1;
			break; /* one TCP rule per listener: the first */
		}
		const weft_http_rule *h = rule->http;
		if (!h->match.count)
			fprintf(r->f, "    use_backend %s%s%s\n", be, hosted ? " if " : "",
			        hosted ? acl : "");
		for (size_t m = 0; m < h->match.count; m++) {
			fprintf(r->f, "    use_backend %s if%s%s", be, hosted ? " " : "",
			        hosted ? acl : "");
			match_cond(r->f, &h->match.items[m]);
			fprintf(r->f, "\n");
		}
	}
}

static void render_listener(struct rctx *r, const weft_resource *gw, const weft_listener *l)
{
	const weft_gateway_spec *g = gw->spec;
	int tcp = l->protocol == WEFT_LISTENER_TCP || l->protocol == WEFT_LISTENER_TLS;
	char fe[256];
	hap_cfg_name(fe, sizeof(fe), "fe", gw->ns, gw->name, l->name);
	fprintf(r->f, "\nfrontend %s\n    mode %s\n    bind %s:%d", fe, tcp ? "tcp" : "http",
	        g->address ? g->address : "0.0.0.0", l->port);
	if (l->tls && l->tls->certificate) {
		fprintf(r->f, " ssl crt %s", l->tls->certificate->cert_file);
		if (l->tls->mode == WEFT_SERVER_TLS_MUTUAL && l->tls->ca_file)
			fprintf(r->f, " verify required ca-file %s", l->tls->ca_file);
	}
	fprintf(r->f, "\n");
	if (!tcp)
		fprintf(r->f, "    option forwardfor\n");
	char *btext = NULL;
	size_t blen = 0;
	FILE *later = open_memstream(&btext, &blen);
	if (!later)
		return;
	int has_default = 0;
	for (size_t i = 0; i < l->routes.count; i++) {
		const weft_ref *ref = &l->routes.items[i];
		const weft_resource *route = weft_policyset_find(
		        r->set, WEFT_KIND_ROUTE, ref->ns ? ref->ns : gw->ns, ref->name);
		if (route)
			render_route(r, route, later, tcp, &has_default);
	}
	fclose(later);
	if (!tcp)
		fprintf(r->f, "    default_backend weft_notfound\n");
	if (btext)
		fputs(btext, r->f);
	free(btext);
}

void hap_render_gateway(struct rctx *r, const weft_resource *gw)
{
	const weft_gateway_spec *g = gw->spec;
	for (size_t i = 0; i < g->listeners.count; i++)
		render_listener(r, gw, &g->listeners.items[i]);
}
