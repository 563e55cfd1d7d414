/* xdsproto_wire_gen: writes xDS messages encoded with weft_xdsproto's
 * protobuf-c code into DIR/<name>.bin, for wire_check.js to decode with
 * Envoy's REAL .proto files and compare with what was meant. Together they
 * prove the subset in models/proto is wire-compatible with Envoy's API for
 * every message family weft emits: discovery requests/responses (SotW and
 * Delta), Cluster (EDS, ring hash, limits, outlier detection, health checks,
 * upstream TLS), ClusterLoadAssignment, Listener (filter chains, listener
 * filters, HCM with RDS, fault, local rate limit, RBAC, router, file access
 * log, tracing, TCP proxy, downstream TLS), RouteConfiguration and Secret.
 * usage: xdsproto_wire_gen DIR */
#include "xdsproto_wire_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb-c.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/listener/original_dst/v3/original_dst.pb-c.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"

static const char *outdir;
static void *allocs[256];
static int nallocs;

void *keep(void *p)
{
	if (!p || nallocs == 256) {
		fprintf(stderr, "xdsproto_wire_gen: out of memory\n");
		exit(1);
	}
	allocs[nallocs++] = p;
	return p;
}

/* m packed into a new Any (freed at exit). */
Google__Protobuf__Any *any_of(const char *url, const ProtobufCMessage *m)
{
	Google__Protobuf__Any *a = keep(calloc(1, sizeof(*a)));

	google__protobuf__any__init(a);
	a->type_url = (char *)url;
	a->value.len = protobuf_c_message_get_packed_size(m);
	a->value.data = keep(malloc(a->value.len + 1));
	protobuf_c_message_pack(m, a->value.data);
	return a;
}

void write_msg(const char *name, const ProtobufCMessage *m)
{
	char path[1024];
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len + 1);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.bin", outdir, name);
	fp = fopen(path, "wb");
	if (!buf || !fp || fwrite(buf, 1, protobuf_c_message_pack(m, buf), fp) != len) {
		fprintf(stderr, "xdsproto_wire_gen: cannot write %s\n", path);
		exit(1);
	}
	fclose(fp);
	free(buf);
}

Google__Protobuf__Duration *dur(int64_t s, int32_t ns)
{
	Google__Protobuf__Duration *d = keep(calloc(1, sizeof(*d)));

	google__protobuf__duration__init(d);
	d->seconds = s;
	d->nanos = ns;
	return d;
}

Google__Protobuf__UInt32Value *u32(uint32_t v)
{
	Google__Protobuf__UInt32Value *w = keep(calloc(1, sizeof(*w)));

	google__protobuf__uint32_value__init(w);
	w->value = v;
	return w;
}

static Google__Protobuf__Any *cluster_any(void)
{
	Envoy__Config__Cluster__V3__Cluster c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig eds =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__EDS_CLUSTER_CONFIG__INIT;
	Envoy__Config__Core__V3__ConfigSource cs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	        ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Envoy__Config__Cluster__V3__Cluster__MaglevLbConfig mg =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__MAGLEV_LB_CONFIG__INIT;
	Google__Protobuf__UInt64Value tsz = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
	Envoy__Config__Cluster__V3__OutlierDetection od =
	        ENVOY__CONFIG__CLUSTER__V3__OUTLIER_DETECTION__INIT;
	Envoy__Config__Core__V3__HealthCheck hc = ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__INIT,
	                                     *hcp = &hc;
	Envoy__Config__Core__V3__HealthCheck__HttpHealthCheck http =
	        ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HTTP_HEALTH_CHECK__INIT;
	Envoy__Config__Cluster__V3__CircuitBreakers cb =
	        ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__INIT;
	Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds
	        th = ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__THRESHOLDS__INIT,
	        *thp = &th;
	Envoy__Config__Core__V3__TransportSocket ts =
	        ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext up =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__UPSTREAM_TLS_CONTEXT__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext ctx =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__SdsSecretConfig
	        sds = ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SDS_SECRET_CONFIG__INIT,
	        *sdsp = &sds;
	Envoy__Config__Core__V3__ConfigSource scs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;

	ADS_INIT(cs, ads);
	ADS_INIT(scs, ads);
	eds.eds_config = &cs;
	eds.service_name = "web.default";
	tsz.value = 65537;
	mg.table_size = &tsz;
	od.consecutive_5xx = u32(5);
	od.interval = dur(10, 0);
	od.base_ejection_time = dur(30, 0);
	od.max_ejection_percent = u32(50);
	http.path = "/healthz";
	hc.timeout = dur(1, 0);
	hc.interval = dur(5, 0);
	hc.unhealthy_threshold = u32(3);
	hc.healthy_threshold = u32(2);
	hc.health_checker_case =
	        ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HEALTH_CHECKER_HTTP_HEALTH_CHECK;
	hc.http_health_check = &http;
	th.priority = ENVOY__CONFIG__CORE__V3__ROUTING_PRIORITY__HIGH;
	th.max_connections = u32(100);
	th.max_pending_requests = u32(10);
	th.max_requests = u32(1000);
	th.max_retries = u32(3);
	cb.n_thresholds = 1;
	cb.thresholds = &thp;
	sds.name = "default";
	sds.sds_config = &scs;
	ctx.n_tls_certificate_sds_secret_configs = 1;
	ctx.tls_certificate_sds_secret_configs = &sdsp;
	ctx.n_alpn_protocols = 0;
	up.common_tls_context = &ctx;
	up.sni = "web.default.svc";
	ts.name = "envoy.transport_sockets.tls";
	ts.config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts.typed_config = any_of(
	        URL("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"), &up.base);
	c.name = "web";
	c.cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	c.type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	c.eds_cluster_config = &eds;
	c.connect_timeout = dur(1, 500000000);
	c.lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__MAGLEV;
	c.lb_config_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_MAGLEV_LB_CONFIG;
	c.maglev_lb_config = &mg;
	c.outlier_detection = &od;
	c.n_health_checks = 1;
	c.health_checks = &hcp;
	c.circuit_breakers = &cb;
	c.transport_socket = &ts;
	return any_of(URL("envoy.config.cluster.v3.Cluster"), &c.base);
}

static void gen_sotw(void)
{
	Envoy__Service__Discovery__V3__DiscoveryResponse r =
	        ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_RESPONSE__INIT;
	Envoy__Service__Discovery__V3__DiscoveryRequest q =
	        ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
	Envoy__Config__Core__V3__Locality loc = ENVOY__CONFIG__CORE__V3__LOCALITY__INIT;
	Google__Protobuf__Struct md = GOOGLE__PROTOBUF__STRUCT__INIT;
	Google__Protobuf__Struct__FieldsEntry e1 = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
	                                      e2 = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
	                                      *ents[2] = {&e1, &e2};
	Google__Protobuf__Value v1 = GOOGLE__PROTOBUF__VALUE__INIT,
	                        v2 = GOOGLE__PROTOBUF__VALUE__INIT,
	                        li = GOOGLE__PROTOBUF__VALUE__INIT, *lis[1] = {&li};
	Google__Protobuf__ListValue lv = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	Google__Protobuf__Any *res[1];
	char *names[] = {"web", "db"};

	res[0] = cluster_any();
	r.version_info = "7";
	r.type_url = URL("envoy.config.cluster.v3.Cluster");
	r.nonce = "abc";
	r.n_resources = 1;
	r.resources = res;
	write_msg("discovery_response_cds", &r.base);

	v1.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	v1.string_value = "sidecar";
	e1.key = "role";
	e1.value = &v1;
	li.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
	li.number_value = 2.5;
	lv.n_values = 1;
	lv.values = lis;
	v2.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
	v2.list_value = &lv;
	e2.key = "planes";
	e2.value = &v2;
	md.n_fields = 2;
	md.fields = ents;
	loc.region = "eu";
	loc.zone = "eu-1a";
	node.id = "px-1";
	node.cluster = "web";
	node.metadata = &md;
	node.locality = &loc;
	st.code = 3;
	st.message = "bad cluster";
	q.version_info = "6";
	q.node = &node;
	q.n_resource_names = 2;
	q.resource_names = names;
	q.type_url = URL("envoy.config.cluster.v3.Cluster");
	q.response_nonce = "abc";
	q.error_detail = &st;
	write_msg("discovery_request_nack", &q.base);
}

static void gen_delta(void)
{
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment cla =
	        ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT;
	Envoy__Config__Endpoint__V3__LocalityLbEndpoints
	        loc = ENVOY__CONFIG__ENDPOINT__V3__LOCALITY_LB_ENDPOINTS__INIT,
	        *locp = &loc;
	Envoy__Config__Core__V3__Locality l = ENVOY__CONFIG__CORE__V3__LOCALITY__INIT;
	Envoy__Config__Endpoint__V3__LbEndpoint
	        lbe = ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__INIT,
	        *lbep = &lbe;
	Envoy__Config__Endpoint__V3__Endpoint ep = ENVOY__CONFIG__ENDPOINT__V3__ENDPOINT__INIT;
	Envoy__Config__Core__V3__Address addr = ENVOY__CONFIG__CORE__V3__ADDRESS__INIT;
	Envoy__Config__Core__V3__SocketAddress sa = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT;
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment__Policy pol =
	        ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__POLICY__INIT;
	Envoy__Service__Discovery__V3__Resource res = ENVOY__SERVICE__DISCOVERY__V3__RESOURCE__INIT,
	                                        *resp = &res;
	Envoy__Service__Discovery__V3__DeltaDiscoveryResponse r =
	        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_RESPONSE__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest q =
	        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest__InitialResourceVersionsEntry
	        iv = ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INITIAL_RESOURCE_VERSIONS_ENTRY__INIT,
	        *ivp = &iv;
	char *removed[] = {"old.default"}, *sub[] = {"web.default", "db.default"},
	     *unsub[] = {"old.default"};

	sa.address = "10.1.2.3";
	sa.port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
	sa.port_value = 8443;
	addr.address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
	addr.socket_address = &sa;
	ep.address = &addr;
	lbe.host_identifier_case =
	        ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
	lbe.endpoint = &ep;
	lbe.health_status = ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__HEALTHY;
	lbe.load_balancing_weight = u32(3);
	l.zone = "eu-1b";
	loc.locality = &l;
	loc.n_lb_endpoints = 1;
	loc.lb_endpoints = &lbep;
	loc.priority = 1;
	pol.overprovisioning_factor = u32(140);
	cla.cluster_name = "web.default";
	cla.n_endpoints = 1;
	cla.endpoints = &locp;
	cla.policy = &pol;
	res.name = "web.default";
	res.version = "h-1f2e";
	res.resource = any_of(URL("envoy.config.endpoint.v3.ClusterLoadAssignment"), &cla.base);
	r.system_version_info = "12";
	r.n_resources = 1;
	r.resources = &resp;
	r.type_url = URL("envoy.config.endpoint.v3.ClusterLoadAssignment");
	r.n_removed_resources = 1;
	r.removed_resources = removed;
	r.nonce = "d-9";
	write_msg("delta_response_eds", &r.base);

	iv.key = "web.default";
	iv.value = "h-1f2e";
	q.type_url = URL("envoy.config.endpoint.v3.ClusterLoadAssignment");
	q.n_resource_names_subscribe = 2;
	q.resource_names_subscribe = sub;
	q.n_resource_names_unsubscribe = 1;
	q.resource_names_unsubscribe = unsub;
	q.n_initial_resource_versions = 1;
	q.initial_resource_versions = &ivp;
	q.response_nonce = "d-9";
	write_msg("delta_request", &q.base);
}

int main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: xdsproto_wire_gen DIR\n");
		return 2;
	}
	outdir = argv[1];
	gen_sotw();
	gen_delta();
	gen_listener();
	gen_route();
	gen_secret();
	for (i = 0; i < nallocs; i++)
		free(allocs[i]);
	return 0;
}
