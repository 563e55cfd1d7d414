/* The resolved model as JSON (model.h): for people and tests (what a
 * service means, compared across families). Field names follow the
 * policy's camelCase (docs/architecture.md, "The resolved model"). */
#include "model.h"
#include "resource.h"

static json_t *ref_json(const weft_resource *r)
{
	return r ? json_sprintf("%s/%s", r->ns, r->name) : json_null();
}

static json_t *policies_json(const weft_model_policies *p)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "trafficPolicy", ref_json(p->traffic_policy),
	                 "rateLimit", ref_json(p->rate_limit), "accessPolicy",
	                 ref_json(p->access_policy), "telemetry", ref_json(p->telemetry),
	                 "peerAuthentication", ref_json(p->peer_authentication));
}

static json_t *endpoints_json(const weft_model_endpoints *e)
{
	json_t *a = json_array();
	for (size_t i = 0; i < e->count; i++) {
		json_t *o = json_pack("{s:s, s:i, s:i}", "address", e->items[i].address, "port",
		                      e->items[i].port, "weight", e->items[i].weight);
		if (e->items[i].zone)
			json_object_set_new(o, "zone", json_string(e->items[i].zone));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *subset_json(const weft_model_subset *s)
{
	json_t *planes = json_object();
	for (size_t i = 0; i < s->n_planes; i++)
		json_object_set_new(planes, s->planes[i].plane, endpoints_json(&s->planes[i]));
	return json_pack("{s:o, s:o, s:o}", "name", s->name ? json_string(s->name) : json_null(),
	                 "policies", policies_json(&s->policies), "endpoints", planes);
}

json_t *weft_model_service_to_json(const weft_model_service *s)
{
	json_t *ports = json_array();
	for (size_t p = 0; p < s->n_ports; p++) {
		const weft_model_port *mp = &s->ports[p];
		json_t *subs = json_array();
		for (size_t k = 0; k < mp->n_subsets; k++)
			json_array_append_new(subs, subset_json(&mp->subsets[k]));
		json_array_append_new(ports,
		                      json_pack("{s:i, s:i, s:o}", "port", mp->port, "targetPort",
		                                mp->target_port, "subsets", subs));
	}
	return json_pack("{s:s, s:s, s:o}", "service", s->res->name, "namespace", s->res->ns,
	                 "ports", ports);
}

static json_t *rule_json(const weft_model_rule *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n_dests; i++) {
		const weft_model_destination *d = &r->dests[i];
		json_array_append_new(
		        a, json_pack("{s:o, s:i, s:o, s:i}", "service",
		                     d->service ? json_sprintf("%s/%s", d->service->res->ns,
		                                               d->service->res->name)
		                                : json_null(),
		                     "port", weft_model_destination_port(d, 0), "subset",
		                     d->subset && d->subset->name ? json_string(d->subset->name)
		                                                  : json_null(),
		                     "weight", d->weight));
	}
	return json_pack("{s:o}", "destinations", a);
}

json_t *weft_model_route_to_json(const weft_model_route *r)
{
	json_t *http = json_array(), *tcp = json_array();
	for (size_t i = 0; i < r->n_http; i++)
		json_array_append_new(http, rule_json(&r->http[i]));
	for (size_t i = 0; i < r->n_tcp; i++)
		json_array_append_new(tcp, rule_json(&r->tcp[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "route", r->res->name, "namespace",
	                 r->res->ns, "rateLimit", ref_json(r->policies.rate_limit), "http", http,
	                 "tcp", tcp);
}
