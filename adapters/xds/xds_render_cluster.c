/* Render: the input index (xds_ctx) and CDS + EDS. One EDS cluster per
 * service port and per subset (plus the whole service), fed over ADS, with
 * the TrafficPolicy of the service (or of the subset) applied: LB policy
 * (ring hash / maglev sizes), circuit breakers, outlier detection, connect
 * timeout, active health checks. One ClusterLoadAssignment per cluster, endpoints grouped by
 * locality (zone) with their weights, address taken on the view's network
 * plane. Shared by every view of a feed with the same plane.
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

/* spec.service of the kinds aimed at a service; all start with pos then a
 * weft_ref service, except Route (pos, service too). */
static const weft_ref *service_ref(const weft_resource *r)
{
	switch (r->kind) {
	case WEFT_KIND_ROUTE:
		return &((const weft_route_spec *)r->spec)->service;
	case WEFT_KIND_TRAFFIC_POLICY:
		return &((const weft_traffic_policy_spec *)r->spec)->service;
	case WEFT_KIND_RATE_LIMIT:
		return &((const weft_rate_limit_spec *)r->spec)->service;
	case WEFT_KIND_ACCESS_POLICY:
		return &((const weft_access_policy_spec *)r->spec)->service;
	case WEFT_KIND_TELEMETRY:
		return &((const weft_telemetry_spec *)r->spec)->service;
	default:
		return NULL;
	}
}

/* The resources aimed at one service, in input order (an index, so that
 * rendering S services with R routes and policies costs S + R, not S x R). */
struct xds_aimed {
	const weft_resource **items;
	size_t n, cap;
};

static int index_aimed(xds_ctx *c, const weft_resource *r)
{
	const weft_ref *ref = r->spec ? service_ref(r) : NULL;
	if (!ref || !ref->name)
		return 0;
	char *key = xb_printf(c->a, "%s/%s", ref->ns, ref->name);
	struct xds_aimed *l = weft_hmap_get(&c->aimed, key);
	if (!l) {
		l = xb_alloc(c->a, sizeof(*l));
		if (weft_hmap_put(&c->aimed, key, l))
			return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		const weft_resource **items = xb_alloc(c->a, cap * sizeof(*items));
		if (l->n)
			memcpy(items, l->items, l->n * sizeof(*items));
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = r;
	return 0;
}

int xds_ctx_init(xds_ctx *c, const xds_render_input *in)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	weft_hmap_init(&c->services);
	weft_hmap_init(&c->aimed);
	if (!(c->a = weft_arena_new()))
		return -1;
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
		if (index_aimed(c, r))
			return -1;
	}
	return 0;
}

void xds_ctx_free(xds_ctx *c)
{
	weft_hmap_free(&c->services);
	weft_hmap_free(&c->aimed);
	weft_arena_free(c->a);
}

const weft_resource *xds_ctx_service(const xds_ctx *c, const char *ns, const char *name)
{
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	return weft_hmap_get(&c->services, key);
}

size_t xds_ctx_for_service(const xds_ctx *c, weft_kind k, const char *ns, const char *name,
                           const weft_resource **out, size_t max)
{
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	const struct xds_aimed *l = weft_hmap_get(&c->aimed, key);
	size_t n = 0;
	for (size_t i = 0; l && i < l->n && n < max; i++)
		if (l->items[i]->kind == k)
			out[n++] = l->items[i];
	return n;
}

const char *xds_endpoint_address(const weft_endpoint *e, const char *plane)
{
	if (plane && strcmp(plane, "default")) {
		const char *a = weft_labels_get(&e->addresses, plane);
		if (a)
			return a;
	}
	if (e->address)
		return e->address;
	const char *a = weft_labels_get(&e->addresses, "default");
	if (a)
		return a;
	return e->addresses.count ? e->addresses.items[0].value : NULL;
}

int xds_endpoint_in_subset(const weft_endpoint *e, const weft_subset *s)
{
	return !s || weft_labels_match(&s->labels, &e->labels);
}

const weft_subset *xds_find_subset(const weft_service_spec *s, const char *name)
{
	for (size_t i = 0; name && i < s->subsets.count; i++)
		if (!strcmp(s->subsets.items[i].name, name))
			return &s->subsets.items[i];
	return NULL;
}

char *xds_cluster_name(weft_arena *a, const char *dir, int port, const char *subset, const char *ns,
                       const char *name)
{
	return xb_printf(a, "%s|%d|%s|%s.%s", dir, port, subset ? subset : "", name, ns);
}

int xds_dest_port(const weft_resource *svc, const weft_destination *d, int hint_port)
{
	const weft_service_spec *s = svc_spec(svc);
	if (d && d->port)
		return d->port;
	for (size_t i = 0; hint_port && i < s->ports.count; i++)
		if (s->ports.items[i].port == hint_port)
			return hint_port;
	return s->ports.count ? s->ports.items[0].port : 0;
}

/* The TrafficPolicy for (service, subset): the subset's own, else the
 * service-wide one. */
static const weft_traffic_policy_spec *traffic_policy(xds_ctx *c, const weft_resource *svc,
                                                      const char *subset)
{
	const weft_resource *tp[32];
	size_t n = xds_ctx_for_service(c, WEFT_KIND_TRAFFIC_POLICY, svc->ns, svc->name, tp, 32);
	const weft_traffic_policy_spec *whole = NULL;
	for (size_t i = 0; i < n; i++) {
		const weft_traffic_policy_spec *t = tp[i]->spec;
		if (!t->subset && !whole)
			whole = t;
		if (t->subset && subset && !strcmp(t->subset, subset))
			return t;
	}
	return whole;
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
                                        const char *subset)
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
	const weft_traffic_policy_spec *tp = traffic_policy(c, svc, subset);
	if (tp)
		apply_traffic_policy(c, cl, tp);
	cl->transport_socket = xds_upstream_tls(c, svc, tp ? tp->tls : NULL);
	return &cl->base;
}

/* Endpoints of svc in subset (NULL: all) on port p, grouped by zone. */
static ProtobufCMessage *render_cla(xds_ctx *c, const weft_resource *svc, const char *name,
                                    const weft_service_port *p, const weft_subset *subset,
                                    const char *plane)
{
	const weft_service_spec *s = svc_spec(svc);
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
	        XB_NEW(c->a, Envoy__Config__Endpoint__V3__ClusterLoadAssignment,
	               ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT);
	cla->cluster_name = (char *)name;
	cla->endpoints =
	        XB_PTRS(c->a, Envoy__Config__Endpoint__V3__LocalityLbEndpoints, s->endpoints.count);
	for (size_t i = 0; i < s->endpoints.count; i++) {
		const weft_endpoint *e = &s->endpoints.items[i];
		const char *ip = xds_endpoint_address(e, plane);
		if (!ip || !xds_endpoint_in_subset(e, subset))
			continue;
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
			loc->lb_endpoints = XB_PTRS(c->a, Envoy__Config__Endpoint__V3__LbEndpoint,
			                            s->endpoints.count);
			loc->load_balancing_weight = xb_u32(c->a, 0);
			cla->endpoints[cla->n_endpoints++] = loc;
		}
		Envoy__Config__Endpoint__V3__Endpoint *ep =
		        XB_NEW(c->a, Envoy__Config__Endpoint__V3__Endpoint,
		               ENVOY__CONFIG__ENDPOINT__V3__ENDPOINT__INIT);
		int port = e->port ? e->port : p->target_port ? p->target_port : p->port;
		ep->address = xb_address(c->a, ip, port);
		Envoy__Config__Endpoint__V3__LbEndpoint *lbe =
		        XB_NEW(c->a, Envoy__Config__Endpoint__V3__LbEndpoint,
		               ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__INIT);
		lbe->host_identifier_case =
		        ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
		lbe->endpoint = ep;
		int w = e->weight > 0 ? e->weight : 1;
		lbe->load_balancing_weight = xb_u32(c->a, (uint32_t)w);
		loc->lb_endpoints[loc->n_lb_endpoints++] = lbe;
		/* Locality weight = sum of its endpoint weights: the split
		 * between zones follows the endpoints' weights. */
		loc->load_balancing_weight->value += (uint32_t)w;
	}
	return &cla->base;
}

static int add(xds_resset *set, xds_type t, const char *name, ProtobufCMessage *m)
{
	return xds_resset_add(set, xds_res_new(t, name, m));
}

/* Static cluster for the sidecar's inbound side: the local application. */
static ProtobufCMessage *render_inbound(xds_ctx *c, const char *name, const weft_service_port *p)
{
	Envoy__Config__Cluster__V3__Cluster *cl = XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster,
	                                                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT);
	cl->name = (char *)name;
	cl->cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	cl->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC;
	cl->connect_timeout = xb_duration_ms(c->a, 5000);
	weft_endpoint local = {.address = "127.0.0.1", .weight = 1};
	weft_service_spec one = {.endpoints = {&local, 1}};
	weft_resource fake = {.spec = &one};
	cl->load_assignment = (Envoy__Config__Endpoint__V3__ClusterLoadAssignment *)render_cla(
	        c, &fake, name, p, NULL, NULL);
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
	weft_endpoint ep = {.address = col->address, .port = col->port, .weight = 1};
	weft_service_spec one = {.endpoints = {&ep, 1}};
	weft_resource fake = {.spec = &one};
	weft_service_port p = {.port = col->port};
	cl->load_assignment = (Envoy__Config__Endpoint__V3__ClusterLoadAssignment *)render_cla(
	        c, &fake, name, &p, NULL, NULL);
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

static int render_service(xds_ctx *c, const weft_resource *svc, const char *plane, xds_resset *cds,
                          xds_resset *eds)
{
	const weft_service_spec *s = svc_spec(svc);
	for (size_t i = 0; i < s->ports.count; i++) {
		const weft_service_port *p = &s->ports.items[i];
		for (size_t k = 0; k <= s->subsets.count; k++) {
			const weft_subset *sub = k ? &s->subsets.items[k - 1] : NULL;
			char *name = xds_cluster_name(c->a, "outbound", p->port,
			                              sub ? sub->name : NULL, svc->ns, svc->name);
			if (add(cds, XDS_CDS, name,
			        render_cluster(c, svc, name, sub ? sub->name : NULL)) ||
			    add(eds, XDS_EDS, name, render_cla(c, svc, name, p, sub, plane)))
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
