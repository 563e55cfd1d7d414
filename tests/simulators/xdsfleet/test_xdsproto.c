/* Unit tests of weft_xdsproto (models/proto): a DiscoveryResponse carrying a
 * Cluster packed in an Any is encoded and decoded with protobuf-c and every
 * field checked; and a few encodings are compared byte for byte with the
 * wire format that Envoy's field numbers imply (so a wrong number in a
 * .proto file fails here even without Node.js). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"

#define CLUSTER_URL "type.googleapis.com/envoy.config.cluster.v3.Cluster"
#define TLS_URL     "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(m, buf), *len);
	return buf;
}

/* A Cluster as weft renders one: EDS over ADS, ring hash, limits, TLS. */
static uint8_t *encode_cluster(size_t *len)
{
	Envoy__Config__Cluster__V3__Cluster c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig eds =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__EDS_CLUSTER_CONFIG__INIT;
	Envoy__Config__Core__V3__ConfigSource cs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	        ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Google__Protobuf__Duration timeout = GOOGLE__PROTOBUF__DURATION__INIT;
	Envoy__Config__Cluster__V3__Cluster__RingHashLbConfig rh =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__RING_HASH_LB_CONFIG__INIT;
	Google__Protobuf__UInt64Value ring = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
	Envoy__Config__Cluster__V3__CircuitBreakers cb =
	        ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__INIT;
	Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds
	        th = ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__THRESHOLDS__INIT,
	        *thp = &th;
	Google__Protobuf__UInt32Value maxconn = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
	Envoy__Config__Core__V3__TransportSocket ts =
	        ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext tls =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__UPSTREAM_TLS_CONTEXT__INIT;
	Google__Protobuf__Any tls_any = GOOGLE__PROTOBUF__ANY__INIT;
	uint8_t *tls_bytes, *out;
	size_t tls_len;

	tls.sni = "web.default.svc";
	tls_bytes = pack(&tls.base, &tls_len);
	tls_any.type_url = TLS_URL;
	tls_any.value.data = tls_bytes;
	tls_any.value.len = tls_len;
	ts.name = "envoy.transport_sockets.tls";
	ts.config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts.typed_config = &tls_any;

	cs.config_source_specifier_case =
	        ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	cs.ads = &ads;
	cs.resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	eds.eds_config = &cs;
	eds.service_name = "web.default";
	timeout.seconds = 1;
	timeout.nanos = 500000000;
	ring.value = 1024;
	rh.minimum_ring_size = &ring;
	maxconn.value = 100;
	th.max_connections = &maxconn;
	cb.n_thresholds = 1;
	cb.thresholds = &thp;

	c.name = "web";
	c.cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	c.type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	c.eds_cluster_config = &eds;
	c.connect_timeout = &timeout;
	c.lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH;
	c.lb_config_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_RING_HASH_LB_CONFIG;
	c.ring_hash_lb_config = &rh;
	c.circuit_breakers = &cb;
	c.transport_socket = &ts;
	out = pack(&c.base, len);
	free(tls_bytes);
	return out;
}

static void check_cluster(const Google__Protobuf__Any *any)
{
	Envoy__Config__Cluster__V3__Cluster *c;
	Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext *tls;

	assert_string_equal(any->type_url, CLUSTER_URL);
	c = envoy__config__cluster__v3__cluster__unpack(NULL, any->value.len, any->value.data);
	assert_non_null(c);
	assert_string_equal(c->name, "web");
	assert_int_equal(c->cluster_discovery_type_case,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE);
	assert_int_equal(c->type, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS);
	assert_non_null(c->eds_cluster_config);
	assert_string_equal(c->eds_cluster_config->service_name, "web.default");
	assert_int_equal(c->eds_cluster_config->eds_config->config_source_specifier_case,
	                 ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS);
	assert_int_equal(c->connect_timeout->seconds, 1);
	assert_int_equal(c->connect_timeout->nanos, 500000000);
	assert_int_equal(c->lb_policy, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH);
	assert_int_equal(c->lb_config_case,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_RING_HASH_LB_CONFIG);
	assert_int_equal(c->ring_hash_lb_config->minimum_ring_size->value, 1024);
	assert_int_equal(c->circuit_breakers->n_thresholds, 1);
	assert_int_equal(c->circuit_breakers->thresholds[0]->max_connections->value, 100);
	assert_null(c->outlier_detection);
	assert_string_equal(c->transport_socket->name, "envoy.transport_sockets.tls");
	assert_string_equal(c->transport_socket->typed_config->type_url, TLS_URL);
	tls = envoy__extensions__transport_sockets__tls__v3__upstream_tls_context__unpack(
	        NULL, c->transport_socket->typed_config->value.len,
	        c->transport_socket->typed_config->value.data);
	assert_non_null(tls);
	assert_string_equal(tls->sni, "web.default.svc");
	protobuf_c_message_free_unpacked(&tls->base, NULL);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_response_with_cluster(void **state)
{
	Envoy__Service__Discovery__V3__DiscoveryResponse
	        r = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_RESPONSE__INIT,
	        *d;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT, *anys[1] = {&any};
	uint8_t *cl, *buf;
	size_t cl_len, len;

	(void)state;
	cl = encode_cluster(&cl_len);
	any.type_url = CLUSTER_URL;
	any.value.data = cl;
	any.value.len = cl_len;
	r.version_info = "42";
	r.type_url = CLUSTER_URL;
	r.nonce = "n-7";
	r.n_resources = 1;
	r.resources = anys;
	buf = pack(&r.base, &len);

	d = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, buf);
	assert_non_null(d);
	assert_string_equal(d->version_info, "42");
	assert_string_equal(d->type_url, CLUSTER_URL);
	assert_string_equal(d->nonce, "n-7");
	assert_false(d->canary);
	assert_null(d->control_plane);
	assert_int_equal(d->n_resources, 1);
	assert_int_equal(d->resources[0]->value.len, cl_len);
	assert_memory_equal(d->resources[0]->value.data, cl, cl_len);
	check_cluster(d->resources[0]);
	protobuf_c_message_free_unpacked(&d->base, NULL);
	free(buf);
	free(cl);
}

/* Wire bytes by hand: tag = field_number << 3 | wire_type (2 = bytes). */
static void test_wire_bytes(void **state)
{
	Envoy__Service__Discovery__V3__DiscoveryRequest req =
	        ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryResponse dr =
	        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_RESPONSE__INIT;
	char *removed[] = {"x"};
	/* version_info=1 "1", type_url=4 "t", response_nonce=5 "n",
	 * error_detail=6 { code=1 varint 3, message=2 "e" } */
	static const uint8_t want_req[] = {0x0a, 1,    '1', 0x22, 1, 't',  0x2a, 1,
	                                   'n',  0x32, 5,   0x08, 3, 0x12, 1,    'e'};
	/* system_version_info=1 "v", nonce=5 "n", removed_resources=6 "x" */
	static const uint8_t want_delta[] = {0x0a, 1, 'v', 0x2a, 1, 'n', 0x32, 1, 'x'};
	uint8_t *buf;
	size_t len;

	(void)state;
	req.version_info = "1";
	req.type_url = "t";
	req.response_nonce = "n";
	st.code = 3;
	st.message = "e";
	req.error_detail = &st;
	buf = pack(&req.base, &len);
	assert_int_equal(len, sizeof(want_req));
	assert_memory_equal(buf, want_req, len);
	free(buf);

	dr.system_version_info = "v";
	dr.nonce = "n";
	dr.n_removed_resources = 1;
	dr.removed_resources = removed;
	buf = pack(&dr.base, &len);
	assert_int_equal(len, sizeof(want_delta));
	assert_memory_equal(buf, want_delta, len);
	free(buf);
}

/* Garbage must fail to decode, not crash. */
static void test_bad_bytes(void **state)
{
	static const uint8_t bad[] = {0x0a, 0x7f, 'x'};

	(void)state;
	assert_null(
	        envoy__service__discovery__v3__discovery_response__unpack(NULL, sizeof(bad), bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_response_with_cluster),
	        cmocka_unit_test(test_wire_bytes),
	        cmocka_unit_test(test_bad_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
