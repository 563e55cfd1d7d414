/* ads_resources.c: the fixed resources of ads_testserver, built with the
 * generated protobuf-c code of weft_xdsproto. Clusters c{i} are of type EDS
 * with an ADS eds_config and service_name svc-{i}; svc-{i} has endpoint
 * 10.0.0.{i}:8080 (port 8080 + version - 1, so a new version is a real
 * change); listener-0 carries an HttpConnectionManager with rds route-0. */
#include "ads_resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"

static const char *const names[NTYPES] = {"lds", "rds", "cds", "eds"};
static const char *const urls[NTYPES] = {
        "type.googleapis.com/envoy.config.listener.v3.Listener",
        "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
        "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
};
#define HCM_URL                                                                                    \
	"type.googleapis.com/envoy.extensions.filters.network."                                    \
	"http_connection_manager.v3.HttpConnectionManager"

const char *res_type_name(int t)
{
	return names[t];
}

const char *res_type_url(int t)
{
	return urls[t];
}

int res_type_of(const char *url)
{
	int t;

	for (t = 0; t < NTYPES; t++)
		if (strcmp(url, urls[t]) == 0)
			return t;
	return -1;
}

int res_all_names(int t, int nclusters, char **out, int max)
{
	char buf[32];
	int i, n = 0;

	if (t == T_LDS || t == T_RDS) {
		out[n++] = strdup(t == T_LDS ? "listener-0" : "route-0");
		return n;
	}
	for (i = 0; i < nclusters && n < max; i++) {
		snprintf(buf, sizeof(buf), t == T_CDS ? "c%d" : "svc-%d", i);
		out[n++] = strdup(buf);
	}
	return n;
}

static Google__Protobuf__Any *pack_any(const char *url, const ProtobufCMessage *m)
{
	Google__Protobuf__Any *a = calloc(1, sizeof(*a));

	google__protobuf__any__init(a);
	a->type_url = strdup(url);
	a->value.len = protobuf_c_message_get_packed_size(m);
	a->value.data = malloc(a->value.len + 1);
	protobuf_c_message_pack(m, a->value.data);
	return a;
}

void res_any_free(Google__Protobuf__Any *a)
{
	if (a)
		protobuf_c_message_free_unpacked(&a->base, NULL);
}

/* The index i of "PREFIXi" with 0 <= i < n, or -1. */
static int index_of(const char *name, const char *prefix, int n)
{
	size_t l = strlen(prefix);
	char *end;
	long i;

	if (strncmp(name, prefix, l) != 0 || !name[l])
		return -1;
	i = strtol(name + l, &end, 10);
	return *end || i < 0 || i >= n ? -1 : (int)i;
}

static Google__Protobuf__Any *cluster(int i)
{
	Envoy__Config__Cluster__V3__Cluster c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig eds =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__EDS_CLUSTER_CONFIG__INIT;
	Envoy__Config__Core__V3__ConfigSource cs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	        ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	char name[32], svc[32];

	snprintf(name, sizeof(name), "c%d", i);
	snprintf(svc, sizeof(svc), "svc-%d", i);
	c.name = name;
	c.cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	c.type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	cs.config_source_specifier_case =
	        ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	cs.ads = &ads;
	cs.resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	eds.eds_config = &cs;
	eds.service_name = svc;
	c.eds_cluster_config = &eds;
	return pack_any(urls[T_CDS], &c.base);
}

static Google__Protobuf__Any *assignment(int i, int version)
{
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment cla =
	        ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT;
	Envoy__Config__Endpoint__V3__LocalityLbEndpoints
	        loc = ENVOY__CONFIG__ENDPOINT__V3__LOCALITY_LB_ENDPOINTS__INIT,
	        *locp = &loc;
	Envoy__Config__Endpoint__V3__LbEndpoint
	        lbe = ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__INIT,
	        *lbep = &lbe;
	Envoy__Config__Endpoint__V3__Endpoint ep = ENVOY__CONFIG__ENDPOINT__V3__ENDPOINT__INIT;
	Envoy__Config__Core__V3__Address addr = ENVOY__CONFIG__CORE__V3__ADDRESS__INIT;
	Envoy__Config__Core__V3__SocketAddress sa = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT;
	char name[32], ip[32];

	snprintf(name, sizeof(name), "svc-%d", i);
	snprintf(ip, sizeof(ip), "10.0.0.%d", i);
	sa.address = ip;
	sa.port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
	sa.port_value = (uint32_t)(8080 + version - 1);
	addr.address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
	addr.socket_address = &sa;
	ep.address = &addr;
	lbe.host_identifier_case =
	        ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
	lbe.endpoint = &ep;
	loc.n_lb_endpoints = 1;
	loc.lb_endpoints = &lbep;
	cla.cluster_name = name;
	cla.n_endpoints = 1;
	cla.endpoints = &locp;
	return pack_any(urls[T_EDS], &cla.base);
}

static Google__Protobuf__Any *listener(void)
{
	Envoy__Config__Listener__V3__Listener l = ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT;
	Envoy__Config__Listener__V3__ApiListener api =
	        ENVOY__CONFIG__LISTENER__V3__API_LISTENER__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager hcm =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds rds =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__RDS__INIT;
	Envoy__Config__Core__V3__ConfigSource cs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	        ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Google__Protobuf__Any *inner, *out;

	cs.config_source_specifier_case =
	        ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	cs.ads = &ads;
	rds.config_source = &cs;
	rds.route_config_name = "route-0";
	hcm.stat_prefix = "ingress";
	hcm.route_specifier_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	hcm.rds = &rds;
	inner = pack_any(HCM_URL, &hcm.base);
	api.api_listener = inner;
	l.name = "listener-0";
	l.api_listener = &api;
	out = pack_any(urls[T_LDS], &l.base);
	res_any_free(inner);
	return out;
}

static Google__Protobuf__Any *route(void)
{
	Envoy__Config__Route__V3__RouteConfiguration rc =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT;
	Envoy__Config__Route__V3__VirtualHost vh = ENVOY__CONFIG__ROUTE__V3__VIRTUAL_HOST__INIT,
	                                      *vhp = &vh;
	Envoy__Config__Route__V3__Route r = ENVOY__CONFIG__ROUTE__V3__ROUTE__INIT, *rp = &r;
	Envoy__Config__Route__V3__RouteMatch m = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__INIT;
	Envoy__Config__Route__V3__RouteAction a = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__INIT;
	char *domains[] = {"*"};

	m.path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	m.prefix = "/";
	a.cluster_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
	a.cluster = "c0";
	r.match = &m;
	r.action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	r.route = &a;
	vh.name = "all";
	vh.n_domains = 1;
	vh.domains = domains;
	vh.n_routes = 1;
	vh.routes = &rp;
	rc.name = "route-0";
	rc.n_virtual_hosts = 1;
	rc.virtual_hosts = &vhp;
	return pack_any(urls[T_RDS], &rc.base);
}

Google__Protobuf__Any *res_encode(int t, const char *name, int version, int nclusters)
{
	int i;

	switch (t) {
	case T_CDS:
		i = index_of(name, "c", nclusters);
		return i < 0 ? NULL : cluster(i);
	case T_EDS:
		i = index_of(name, "svc-", nclusters);
		return i < 0 ? NULL : assignment(i, version);
	case T_LDS:
		return strcmp(name, "listener-0") ? NULL : listener();
	case T_RDS:
		return strcmp(name, "route-0") ? NULL : route();
	}
	return NULL;
}

static json_t *value_to_json(const Google__Protobuf__Value *v)
{
	size_t i;
	json_t *a;

	switch (v ? v->kind_case : GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		return json_real(v->number_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		return json_string(v->string_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		return json_boolean(v->bool_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		return res_struct_to_json(v->struct_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
		a = json_array();
		for (i = 0; v->list_value && i < v->list_value->n_values; i++)
			json_array_append_new(a, value_to_json(v->list_value->values[i]));
		return a;
	default:
		return json_null();
	}
}

json_t *res_struct_to_json(const Google__Protobuf__Struct *s)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; s && i < s->n_fields; i++)
		json_object_set_new(o, s->fields[i]->key, value_to_json(s->fields[i]->value));
	return o;
}
