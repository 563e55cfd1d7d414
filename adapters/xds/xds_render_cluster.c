/* Render: the input index (xds_ctx) and CDS + EDS. One EDS cluster per
 * service port and per subset (plus the whole service), fed over ADS, with
 * the TrafficPolicy in effect for the service (or the subset; core/model.h)
 * applied: LB policy
 * (ring hash / maglev sizes), circuit breakers, outlier detection, connect
 * timeout, active health checks. One ClusterLoadAssignment per cluster: the
 * model's endpoints on the view's network plane, grouped by locality (zone)
 * with their weights. Shared by every view of a feed with the same plane.
 *
 * Trace collectors: a cluster zipkin|ADDRESS|PORT per distinct
 * tracing.collector of the Telemetries in the feed (STATIC for an IP,
 * STRICT_DNS for a hostname), the cluster the connection managers'
 * Zipkin tracer posts spans to (xds_render_filters.c). In CDS, not per
 * view, because a cluster is a CDS resource: a proxy whose listeners name
 * no tracer simply never uses it. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/core/v3/health_check.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/type/v3/range.pb-c.h"
#include "resource.h"
#include "xds_render_int.h"

int xds_ctx_init(xds_ctx *c, const xds_render_input *in)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	weft_hmap_init(&c->services);
	if (!(c->a = weft_arena_new()))
		return -1;
	c->model = in->model;
	if (!c->model) {
		weft_err err = {0};
		c->model = c->own_model = weft_model_compile(in->res, in->n, NULL, NULL, &err);
		if (!c->model)
			return -1;
	}
	for (size_t i = 0; i < in->n; i++)
		c->n_kind[in->res[i]->kind]++;
	for (int k = 0; k < WEFT_KIND_COUNT; k++)
		c->by_kind[k] = xb_alloc(c->a, sizeof(weft_resource *) * (c->n_kind[k] + 1));
	size_t fill[WEFT_KIND_COUNT] = {0};
	for (size_t i = 0; i < in->n; i++) {
		weft_resource *r = in->res[i];
		c->by_kind[r->kind][fill[r->kind]++] = r;
		if (r->kind == WEFT_KIND_SERVICE &&
		    weft_hmap_put(&c->services, xb_printf(c->a, "%s/%s", r->ns, r->name), r))
			return -1;
	}
	return 0;
}

void xds_ctx_free(xds_ctx *c)
{
	weft_hmap_free(&c->services);
	weft_arena_free(c->a);
	weft_model_free(c->own_model);
}

const weft_resource *xds_ctx_service(const xds_ctx *c, const char *ns, const char *name)
{
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	return weft_hmap_get(&c->services, key);
}

const weft_model_service *xds_model_service(const xds_ctx *c, const weft_resource *svc)
{
	return svc ? weft_model_find_service(c->model, svc->ns, svc->name) : NULL;
}

const weft_model_policies *xds_service_policies(const xds_ctx *c, const weft_resource *svc)
{
	static const weft_model_policies none;
	const weft_model_subset *whole =
	        weft_model_find_subset(weft_model_find_port(xds_model_service(c, svc), 0), NULL);
	return whole ? &whole->policies : &none;
}

const weft_resource *const *xds_service_routes(const xds_ctx *c, const weft_resource *svc,
                                               size_t *n)
{
	const weft_model_service *ms = xds_model_service(c, svc);
	*n = ms ? ms->aimed[WEFT_KIND_ROUTE].count : 0;
	return ms ? ms->aimed[WEFT_KIND_ROUTE].items : NULL;
}

char *xds_cluster_name(weft_arena *a, const char *dir, int port, const char *subset, const char *ns,
                       const char *name)
{
	return xb_printf(a, "%s|%d|%s|%s.%s", dir, port, subset ? subset : "", name, ns);
}

int xds_dest_port(const xds_ctx *c, const weft_resource *svc, const weft_destination *d,
                  int hint_port)
{
	weft_model_destination md = {.spec = d, .service = xds_model_service(c, svc)};
	return weft_model_destination_port(&md, hint_port);
}

/* The TrafficPolicy in effect for (service, subset) (core/model.h). */
static const weft_traffic_policy_spec *traffic_policy(const weft_model_subset *sub)
{
	return sub && sub->policies.traffic_policy ? sub->policies.traffic_policy->spec : NULL;
}

static void apply_lb(xds_ctx *c, Envoy__Config__Cluster__V3__Cluster *cl,
                     const weft_load_balancer *lb)
{
	switch (lb->algorithm) {
	case WEFT_LB_LEAST_REQUEST:
		cl->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__LEAST_REQUEST;
		break;
	case WEFT_LB_RANDOM:
		cl->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RANDOM;
		break;
	case WEFT_LB_RING_HASH: {
		cl->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH;
		Envoy__Config__Cluster__V3__Cluster__RingHashLbConfig *rh =
		        XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster__RingHashLbConfig,
		               ENVOY__CONFIG__CLUSTER__V3__CLUSTER__RING_HASH_LB_CONFIG__INIT);
		if (lb->ring_size) {
			rh->minimum_ring_size = xb_u64(c->a, (uint64_t)lb->ring_size->min);
			rh->maximum_ring_size = xb_u64(c->a, (uint64_t)lb->ring_size->max);
		}
		cl->lb_config_case =
		        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_RING_HASH_LB_CONFIG;
		cl->ring_hash_lb_config = rh;
		break;
	}
	case WEFT_LB_MAGLEV:
		cl->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__MAGLEV;
		break;
	default:
		break;
	}
}

/* Active health checking (TrafficPolicy healthCheck). */
static Envoy__Config__Core__V3__HealthCheck *health_check(xds_ctx *c, const weft_health_check *h)
{
	Envoy__Config__Core__V3__HealthCheck *hc =
	        XB_NEW(c->a, Envoy__Config__Core__V3__HealthCheck,
	               ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__INIT);
	hc->timeout = xb_duration_ms(c->a, h->timeout_ms ? h->timeout_ms : 1000);
	hc->interval = xb_duration_ms(c->a, h->interval_ms ? h->interval_ms : 10000);
	hc->healthy_threshold =
	        xb_u32(c->a, (uint32_t)(h->healthy_threshold ? h->healthy_threshold : 1));
	hc->unhealthy_threshold =
	        xb_u32(c->a, (uint32_t)(h->unhealthy_threshold ? h->unhealthy_threshold : 3));
	if (h->type == WEFT_CHECK_HTTP) {
		Envoy__Config__Core__V3__HealthCheck__HttpHealthCheck *hh =
		        XB_NEW(c->a, Envoy__Config__Core__V3__HealthCheck__HttpHealthCheck,
		               ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HTTP_HEALTH_CHECK__INIT);
		hh->path = (char *)(h->path ? h->path : "/");
		Envoy__Type__V3__Int64Range *r = XB_NEW(c->a, Envoy__Type__V3__Int64Range,
		                                        ENVOY__TYPE__V3__INT64_RANGE__INIT);
		r->start = h->expected_status ? h->expected_status : 200;
		r->end = r->start + 1; /* [start, end) */
		hh->expected_statuses = XB_PTRS(c->a, Envoy__Type__V3__Int64Range, 1);
		hh->expected_statuses[0] = r;
		hh->n_expected_statuses = 1;
		hc->health_checker_case =
		        ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HEALTH_CHECKER_HTTP_HEALTH_CHECK;
		hc->http_health_check = hh;
	} else {
		hc->health_checker_case =
		        ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HEALTH_CHECKER_TCP_HEALTH_CHECK;
		hc->tcp_health_check =
		        XB_NEW(c->a, Envoy__Config__Core__V3__HealthCheck__TcpHealthCheck,
		               ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__TCP_HEALTH_CHECK__INIT);
	}
	return hc;
}

static void apply_traffic_policy(xds_ctx *c, Envoy__Config__Cluster__V3__Cluster *cl,
                                 const weft_traffic_policy_spec *tp)
{
	if (tp->load_balancer)
		apply_lb(c, cl, tp->load_balancer);
	const weft_connection_pool *cp = tp->connection_pool;
	if (cp) {
		if (cp->connect_timeout_ms)
			cl->connect_timeout = xb_duration_ms(c->a, cp->connect_timeout_ms);
		Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds *th =
		        XB_NEW(c->a, Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds,
		               ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__THRESHOLDS__INIT);
		if (cp->max_connections)
			th->max_connections = xb_u32(c->a, (uint32_t)cp->max_connections);
		if (cp->max_pending_requests)
			th->max_pending_requests = xb_u32(c->a, (uint32_t)cp->max_pending_requests);
		if (cp->max_requests)
			th->max_requests = xb_u32(c->a, (uint32_t)cp->max_requests);
		if (cp->max_retries)
			th->max_retries = xb_u32(c->a, (uint32_t)cp->max_retries);
		cl->circuit_breakers = XB_NEW(c->a, Envoy__Config__Cluster__V3__CircuitBreakers,
		                              ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__INIT);
		cl->circuit_breakers->n_thresholds = 1;
		cl->circuit_breakers->thresholds =
		        XB_PTRS(c->a, Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds, 1);
		cl->circuit_breakers->thresholds[0] = th;
	}
	if (tp->health_check) {
		cl->health_checks = XB_PTRS(c->a, Envoy__Config__Core__V3__HealthCheck, 1);
		cl->health_checks[0] = health_check(c, tp->health_check);
		cl->n_health_checks = 1;
	}
	const weft_outlier_detection *od = tp->outlier_detection;
	if (od) {
		Envoy__Config__Cluster__V3__OutlierDetection *o =
		        XB_NEW(c->a, Envoy__Config__Cluster__V3__OutlierDetection,
		               ENVOY__CONFIG__CLUSTER__V3__OUTLIER_DETECTION__INIT);
		if (od->consecutive_5xx)
			o->consecutive_5xx = xb_u32(c->a, (uint32_t)od->consecutive_5xx);
		if (od->interval_ms)
			o->interval = xb_duration_ms(c->a, od->interval_ms);
		if (od->base_ejection_time_ms)
			o->base_ejection_time = xb_duration_ms(c->a, od->base_ejection_time_ms);
		if (od->has_max_ejection_percent)
			o->max_ejection_percent = xb_u32(c->a, (uint32_t)od->max_ejection_percent);
		cl->outlier_detection = o;
	}
}

static ProtobufCMessage *render_cluster(xds_ctx *c, const weft_resource *svc, const char *name,
                                        const weft_model_subset *sub)
{
	Envoy__Config__Cluster__V3__Cluster *cl = XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster,
	                                                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT);
	cl->name = (char *)name;
	cl->cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	cl->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	cl->eds_cluster_config =
	        XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig,
	               ENVOY__CONFIG__CLUSTER__V3__CLUSTER__EDS_CLUSTER_CONFIG__INIT);
	cl->eds_cluster_config->eds_config = xb_ads_source(c->a);
	cl->eds_cluster_config->service_name = (char *)name;
	cl->connect_timeout = xb_duration_ms(c->a, 5000);
	const weft_traffic_policy_spec *tp = traffic_policy(sub);
	if (tp)
		apply_traffic_policy(c, cl, tp);
	cl->transport_socket = xds_upstream_tls(c, svc, tp ? tp->tls : NULL);
	return &cl->base;
}

/* The model's endpoints of one (port, subset, plane), grouped by zone. */
static ProtobufCMessage *render_cla(xds_ctx *c, const char *name, const weft_model_endpoints *eps)
{
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
	        XB_NEW(c->a, Envoy__Config__Endpoint__V3__ClusterLoadAssignment,
	               ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT);
	cla->cluster_name = (char *)name;
	cla->endpoints =
	        XB_PTRS(c->a, Envoy__Config__Endpoint__V3__LocalityLbEndpoints, eps->count);
	for (size_t i = 0; i < eps->count; i++) {
		const weft_model_endpoint *e = &eps->items[i];
		const char *zone = e->zone ? e->zone : "";
		Envoy__Config__Endpoint__V3__LocalityLbEndpoints *loc = NULL;
		for (size_t k = 0; k < cla->n_endpoints && !loc; k++)
			if (!strcmp(cla->endpoints[k]->locality->zone, zone))
				loc = cla->endpoints[k];
		if (!loc) {
			loc = XB_NEW(c->a, Envoy__Config__Endpoint__V3__LocalityLbEndpoints,
			             ENVOY__CONFIG__ENDPOINT__V3__LOCALITY_LB_ENDPOINTS__INIT);
			loc->locality = XB_NEW(c->a, Envoy__Config__Core__V3__Locality,
			                       ENVOY__CONFIG__CORE__V3__LOCALITY__INIT);
			loc->locality->zone = (char *)zone;
			loc->lb_endpoints =
			        XB_PTRS(c->a, Envoy__Config__Endpoint__V3__LbEndpoint, eps->count);
			loc->load_balancing_weight = xb_u32(c->a, 0);
			cla->endpoints[cla->n_endpoints++] = loc;
		}
		Envoy__Config__Endpoint__V3__Endpoint *ep =
		        XB_NEW(c->a, Envoy__Config__Endpoint__V3__Endpoint,
		               ENVOY__CONFIG__ENDPOINT__V3__ENDPOINT__INIT);
		ep->address = xb_address(c->a, e->address, e->port);
		Envoy__Config__Endpoint__V3__LbEndpoint *lbe =
		        XB_NEW(c->a, Envoy__Config__Endpoint__V3__LbEndpoint,
		               ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__INIT);
		lbe->host_identifier_case =
		        ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
		lbe->endpoint = ep;
		lbe->load_balancing_weight = xb_u32(c->a, (uint32_t)e->weight);
		loc->lb_endpoints[loc->n_lb_endpoints++] = lbe;
		/* Locality weight = sum of its endpoint weights: the split
		 * between zones follows the endpoints' weights. */
		loc->load_balancing_weight->value += (uint32_t)e->weight;
	}
	return &cla->base;
}

/* A one-endpoint assignment (the inbound side, trace collectors). */
static ProtobufCMessage *render_one(xds_ctx *c, const char *name, const char *address, int port)
{
	weft_model_endpoint e = {.address = address, .port = port, .weight = 1};
	weft_model_endpoints one = {.items = &e, .count = 1};
	return render_cla(c, name, &one);
}

static int add(xds_resset *set, xds_type t, const char *name, ProtobufCMessage *m)
{
	return xds_resset_add(set, xds_res_new(t, name, m));
}

/* Static cluster for the sidecar's inbound side: the local application. */
static ProtobufCMessage *render_inbound(xds_ctx *c, const char *name, const weft_model_port *p)
{
	Envoy__Config__Cluster__V3__Cluster *cl = XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster,
	                                                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT);
	cl->name = (char *)name;
	cl->cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	cl->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC;
	cl->connect_timeout = xb_duration_ms(c->a, 5000);
	cl->load_assignment = (Envoy__Config__Endpoint__V3__ClusterLoadAssignment *)render_one(
	        c, name, "127.0.0.1", p->target_port);
	return &cl->base;
}

char *xds_zipkin_cluster_name(weft_arena *a, const weft_collector *col)
{
	return xb_printf(a, "zipkin|%s|%d", col->address, col->port);
}

static int is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The cluster of a trace collector: its one address, resolved by Envoy
 * when it is a hostname. */
static ProtobufCMessage *render_collector(xds_ctx *c, const char *name, const weft_collector *col)
{
	Envoy__Config__Cluster__V3__Cluster *cl = XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster,
	                                                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT);
	cl->name = (char *)name;
	cl->cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	cl->type = is_ip(col->address)
	                   ? ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC
	                   : ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STRICT_DNS;
	cl->connect_timeout = xb_duration_ms(c->a, 5000);
	cl->load_assignment = (Envoy__Config__Endpoint__V3__ClusterLoadAssignment *)render_one(
	        c, name, col->address, col->port);
	return &cl->base;
}

/* One cluster per distinct collector (xds_resset_seal drops duplicates by
 * name; equal names have equal content). */
static int render_collectors(xds_ctx *c, xds_resset *cds)
{
	for (size_t i = 0; i < c->n_kind[WEFT_KIND_TELEMETRY]; i++) {
		const weft_telemetry_spec *t = c->by_kind[WEFT_KIND_TELEMETRY][i]->spec;
		if (!t->tracing || !t->tracing->collector)
			continue;
		char *name = xds_zipkin_cluster_name(c->a, t->tracing->collector);
		if (add(cds, XDS_CDS, name, render_collector(c, name, t->tracing->collector)))
			return -1;
	}
	return 0;
}

/* Per port: a cluster and its assignment for the whole service and for
 * each subset, from the model on the view's plane; the inbound cluster. */
static int render_service(xds_ctx *c, const weft_resource *svc, const char *plane, xds_resset *cds,
                          xds_resset *eds)
{
	const weft_model_service *ms = xds_model_service(c, svc);
	for (size_t i = 0; ms && i < ms->n_ports; i++) {
		const weft_model_port *p = &ms->ports[i];
		for (size_t k = 0; k < p->n_subsets; k++) {
			const weft_model_subset *sub = &p->subsets[k];
			char *name = xds_cluster_name(c->a, "outbound", p->port, sub->name, svc->ns,
			                              svc->name);
			if (add(cds, XDS_CDS, name, render_cluster(c, svc, name, sub)) ||
			    add(eds, XDS_EDS, name,
			        render_cla(c, name, weft_model_endpoints_on(sub, plane))))
				return -1;
		}
		char *in = xds_cluster_name(c->a, "inbound", p->port, NULL, svc->ns, svc->name);
		if (add(cds, XDS_CDS, in, render_inbound(c, in, p)))
			return -1;
	}
	return 0;
}

int xds_render_clusters(const xds_render_input *in, const char *plane, xds_resset *pred_cds,
                        xds_resset *pred_eds, xds_resset **cds, xds_resset **eds, weft_err *err)
{
	xds_ctx c = {0};
	int rc = -1;
	*cds = xds_resset_new();
	*eds = xds_resset_new();
	if (!*cds || !*eds || xds_ctx_init(&c, in)) {
		xds_ctx_free(&c);
		goto out;
	}
	rc = 0;
	int tcp = 0;
	for (size_t i = 0; !rc && i < c.n_kind[WEFT_KIND_SERVICE]; i++) {
		const weft_service_spec *s = svc_spec(c.by_kind[WEFT_KIND_SERVICE][i]);
		for (size_t k = 0; k < s->ports.count; k++)
			tcp |= xds_port_is_tcp(s, &s->ports.items[k]);
		rc = render_service(&c, c.by_kind[WEFT_KIND_SERVICE][i], plane, *cds, *eds);
	}
	/* Unknown TCP destinations pass through to their original address. */
	if (!rc && tcp)
		rc = add(*cds, XDS_CDS, "PassthroughCluster", xds_passthrough_cluster(&c));
	if (!rc)
		rc = render_collectors(&c, *cds);
	xds_ctx_free(&c);
	if (!rc)
		rc = xds_resset_seal(*cds, pred_cds) || xds_resset_seal(*eds, pred_eds) ? -1 : 0;
out:
	if (rc) {
		xds_resset_unref(*cds);
		xds_resset_unref(*eds);
		*cds = *eds = NULL;
		return weft_err_set(err, "xds render clusters: out of memory");
	}
	return 0;
}
