/* Renders one haproxy Device's slice from the resolved model (core/model.h)
 * into weft's own .cfg: a frontend per Gateway listener, a backend per
 * route rule (its destinations' endpoints as servers, weights scaled to
 * 1..256 so a weighted split is one backend) and per service port and
 * subset. Policy meaning comes from the model (policies in effect,
 * normalized weights); this file only translates, and says as warnings
 * what HAProxy cannot express (docs/adapter-haproxy.md has the table).
 * Pure: no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hap_render_int.h"
#include "snapshot.h"

/* A config name from parts: [A-Za-z0-9_.-] only. */
void hap_cfg_name(char *out, size_t cap, const char *a, const char *b, const char *c, const char *d)
{
	snprintf(out, cap, "%s_%s%s%s%s%s", a, b, c ? "_" : "", c ? c : "", d ? "_" : "",
	         d ? d : "");
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			*p = '_';
}

const weft_traffic_policy_spec *hap_tpol(const weft_model_subset *s)
{
	return s && s->policies.traffic_policy ? s->policies.traffic_policy->spec : NULL;
}

void hap_render_balance(struct rctx *r, const weft_model_subset *s)
{
	const weft_traffic_policy_spec *tp = hap_tpol(s);
	const weft_load_balancer *lb = tp ? tp->load_balancer : NULL;
	weft_lb_algorithm a = lb ? lb->algorithm : WEFT_LB_ROUND_ROBIN;
	if (a == WEFT_LB_LEAST_REQUEST) {
		fprintf(r->f, "    balance leastconn\n");
	} else if (a == WEFT_LB_RANDOM) {
		fprintf(r->f, "    balance random\n");
	} else if ((a == WEFT_LB_RING_HASH || a == WEFT_LB_MAGLEV) && lb->hash_on) {
		if (lb->hash_on->header)
			fprintf(r->f, "    balance hdr(%s)\n", lb->hash_on->header);
		else if (lb->hash_on->cookie)
			fprintf(r->f, "    balance hdr(cookie)\n");
		else
			fprintf(r->f, "    balance source\n");
		fprintf(r->f, "    hash-type consistent\n");
		if (a == WEFT_LB_MAGLEV)
			weft_warn(r->w, s->policies.traffic_policy, lb->algorithm_pos,
			          "spec.loadBalancer.algorithm",
			          "maglev approximated by HAProxy's consistent hash");
		if (lb->hash_on->cookie)
			weft_warn(r->w, s->policies.traffic_policy, lb->hash_on->pos,
			          "spec.loadBalancer.hashOn.cookie",
			          "hashed on the whole Cookie header (no cookie generation)");
	} else {
		fprintf(r->f, "    balance roundrobin\n");
	}
	if (tp && tp->outlier_detection)
		weft_warn(r->w, s->policies.traffic_policy, tp->outlier_detection->pos,
		          "spec.outlierDetection", "not rendered: use health checks");
	if (tp && tp->tls)
		weft_warn(r->w, s->policies.traffic_policy, tp->tls->pos, "spec.tls",
		          "not rendered: servers are reached in clear text");
}

/* The health check of the backend, and the options of each server line. */
void hap_render_check(struct rctx *r, const weft_model_subset *s, char *opts, size_t cap)
{
	const weft_traffic_policy_spec *tp = hap_tpol(s);
	const weft_health_check *hc = tp ? tp->health_check : NULL;
	/* Idle server connections are purged after 500 ms (HAProxy: 5 s), so
	 * that `del server` of a removed endpoint succeeds soon (hap_apply.c). */
	snprintf(opts, cap, " pool-purge-delay 500ms");
	if (tp && tp->connection_pool && tp->connection_pool->max_connections) {
		size_t l = strlen(opts);
		snprintf(opts + l, cap - l, " maxconn %d", tp->connection_pool->max_connections);
	}
	if (!hc)
		return;
	if (hc->type == WEFT_CHECK_HTTP) {
		fprintf(r->f, "    option httpchk GET %s\n", hc->path ? hc->path : "/");
		fprintf(r->f, "    http-check expect status %d\n",
		        hc->expected_status ? hc->expected_status : 200);
	}
	size_t l = strlen(opts);
	snprintf(opts + l, cap - l, " check inter %lldms rise %d fall %d",
	         hc->interval_ms ? hc->interval_ms : 2000,
	         hc->healthy_threshold ? hc->healthy_threshold : 2,
	         hc->unhealthy_threshold ? hc->unhealthy_threshold : 3);
	if (hc->timeout_ms)
		fprintf(r->f, "    timeout check %lldms\n", hc->timeout_ms);
}

/* Server lines of one subset with `share` percent of the traffic. */
void hap_render_servers(struct rctx *r, const weft_model_subset *s, int share, const char *prefix,
                        const char *opts)
{
	const weft_model_endpoints *eps = weft_model_endpoints_on(s, NULL);
	for (size_t i = 0; eps && i < eps->count; i++) {
		const weft_model_endpoint *e = &eps->items[i];
		long long w = eps->weight_sum ? (share * 256LL * e->weight + 50 * eps->weight_sum) /
		                                        (100 * eps->weight_sum)
		                              : 1;
		if (w < 1)
			w = 1;
		if (w > 256)
			w = 256;
		char name[160];
		snprintf(name, sizeof(name), "%ss_%s_%d", prefix, e->address, e->port);
		for (char *p = name; *p; p++)
			if (*p == '.' || *p == ':')
				*p = '_';
		fprintf(r->f, "    server %s %s%s%s:%d weight %lld%s\n", name,
		        strchr(e->address, ':') ? "[" : "", e->address,
		        strchr(e->address, ':') ? "]" : "", e->port, w, opts);
	}
}

/* A backend per (service port, subset): what a mesh client of this box
 * and the runtime API address by name. */
static void render_service(struct rctx *r, const weft_model_service *ms)
{
	for (size_t p = 0; p < ms->n_ports; p++) {
		const weft_model_port *mp = &ms->ports[p];
		for (size_t s = 0; s < mp->n_subsets; s++) {
			const weft_model_subset *sub = &mp->subsets[s];
			char name[256], port[16], opts[160];
			snprintf(port, sizeof(port), "%d", mp->port);
			hap_cfg_name(name, sizeof(name), "svc", ms->res->ns, ms->res->name, port);
			if (sub->name) {
				size_t l = strlen(name);
				hap_cfg_name(name + l, sizeof(name) - l, "", sub->name, NULL, NULL);
			}
			fprintf(r->f, "\nbackend %s\n    mode %s\n", name,
			        mp->protocol == WEFT_PROTO_TCP ? "tcp" : "http");
			hap_render_balance(r, sub);
			hap_render_check(r, sub, opts, sizeof(opts));
			if (mp->protocol != WEFT_PROTO_TCP)
				hap_render_policies(r, sub, NULL);
			hap_render_servers(r, sub, 100, "", opts);
		}
	}
}

static const char *const defaults_text =
        "# Rendered by weft: do not edit (weft repairs or reports drift).\n"
        "defaults weft\n"
        "    mode http\n"
        "    option redispatch 1\n"
        "    timeout connect 5s\n"
        "    timeout client 60s\n"
        "    timeout server 60s\n"
        "    timeout http-request 10s\n"
        "\n"
        "backend weft_notfound\n"
        "    mode http\n"
        "    http-request return status 404 content-type text/plain string \"no route\"\n";

int hap_render(const weft_snapshot *snap, const weft_resource *dev, struct hap_config **out,
               weft_err *err)
{
	struct hap_config *c = calloc(1, sizeof(*c));
	char *text = NULL;
	size_t len = 0;
	struct rctx r = {.model = weft_snapshot_model(snap),
	                 .set = weft_snapshot_policy(snap),
	                 .w = &c->warnings};
	const weft_model_slice *sl = weft_snapshot_slice(snap, dev->ns, dev->name);
	r.f = open_memstream(&text, &len);
	if (!c || !r.f || !r.model) {
		if (r.f)
			fclose(r.f);
		free(text);
		free(c);
		return weft_err_set(err, "device %s/%s: cannot render (no model)", dev->ns,
		                    dev->name);
	}
	fputs(defaults_text, r.f);
	for (size_t i = 0; sl && i < sl->n_items; i++)
		if (sl->items[i]->kind == WEFT_KIND_GATEWAY)
			hap_render_gateway(&r, sl->items[i]);
	for (size_t i = 0; sl && i < sl->n_services; i++)
		render_service(&r, sl->services[i]);
	fclose(r.f);
	free(r.done);
	int rc = text ? hap_config_parse(c, text, len) : -1;
	free(text);
	if (rc) {
		hap_config_free(c);
		return weft_err_set(err, "device %s/%s: out of memory rendering", dev->ns,
		                    dev->name);
	}
	*out = c;
	return 0;
}
