/* xdsproto_wire_gen_l7.c: the listener, route and secret messages of the
 * wire-format generator (see xdsproto_wire_gen.c): an inbound Listener with
 * listener filters, an HTTP filter chain (HCM over RDS with fault, local
 * rate limit, RBAC and router filters, file access log, tracing, downstream
 * TLS) and a TCP proxy chain; a RouteConfiguration with weighted clusters,
 * retries, hash policy, header/query matchers, redirect and direct
 * response; an SDS Secret. */
#include "xdsproto_wire_gen.h"

#include <stdlib.h>

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

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;

static HttpFilter *http_filter(const char *name, const char *url, const ProtobufCMessage *m)
{
	HttpFilter *f = keep(calloc(1, sizeof(*f)));

	envoy__extensions__filters__network__http_connection_manager__v3__http_filter__init(f);
	f->name = (char *)name;
	f->config_type_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = any_of(url, m);
	return f;
}

static HttpFilter *fault_filter(void)
{
	Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault hf =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__HTTPFAULT__INIT;
	Envoy__Extensions__Filters__Common__Fault__V3__FaultDelay d =
	        ENVOY__EXTENSIONS__FILTERS__COMMON__FAULT__V3__FAULT_DELAY__INIT;
	Envoy__Extensions__Filters__Http__Fault__V3__FaultAbort a =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_ABORT__INIT;
	Envoy__Type__V3__FractionalPercent p1 = ENVOY__TYPE__V3__FRACTIONAL_PERCENT__INIT,
	                                   p2 = ENVOY__TYPE__V3__FRACTIONAL_PERCENT__INIT;

	d.fault_delay_secifier_case =
	        ENVOY__EXTENSIONS__FILTERS__COMMON__FAULT__V3__FAULT_DELAY__FAULT_DELAY_SECIFIER_FIXED_DELAY;
	d.fixed_delay = dur(0, 200000000);
	p1.numerator = 10;
	d.percentage = &p1;
	a.error_type_case =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_ABORT__ERROR_TYPE_HTTP_STATUS;
	a.http_status = 503;
	p2.numerator = 5;
	p2.denominator = ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__TEN_THOUSAND;
	a.percentage = &p2;
	hf.delay = &d;
	hf.abort = &a;
	return http_filter("envoy.filters.http.fault",
	                   URL("envoy.extensions.filters.http.fault.v3.HTTPFault"), &hf.base);
}

static HttpFilter *ratelimit_filter(void)
{
	Envoy__Extensions__Filters__Http__LocalRatelimit__V3__LocalRateLimit rl =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__LOCAL_RATELIMIT__V3__LOCAL_RATE_LIMIT__INIT;
	Envoy__Type__V3__TokenBucket tb = ENVOY__TYPE__V3__TOKEN_BUCKET__INIT;
	Envoy__Type__V3__HttpStatus hs = ENVOY__TYPE__V3__HTTP_STATUS__INIT;

	tb.max_tokens = 100;
	tb.tokens_per_fill = u32(10);
	tb.fill_interval = dur(1, 0);
	hs.code = ENVOY__TYPE__V3__STATUS_CODE__TooManyRequests;
	rl.stat_prefix = "rl";
	rl.token_bucket = &tb;
	rl.status = &hs;
	return http_filter("envoy.filters.http.local_ratelimit",
	                   URL("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"),
	                   &rl.base);
}

static HttpFilter *rbac_filter(void)
{
	Envoy__Extensions__Filters__Http__Rbac__V3__RBAC f =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__RBAC__V3__RBAC__INIT;
	Envoy__Config__Rbac__V3__RBAC rules = ENVOY__CONFIG__RBAC__V3__RBAC__INIT;
	Envoy__Config__Rbac__V3__RBAC__PoliciesEntry
	        pe = ENVOY__CONFIG__RBAC__V3__RBAC__POLICIES_ENTRY__INIT,
	        *pep = &pe;
	Envoy__Config__Rbac__V3__Policy pol = ENVOY__CONFIG__RBAC__V3__POLICY__INIT;
	Envoy__Config__Rbac__V3__Permission perm = ENVOY__CONFIG__RBAC__V3__PERMISSION__INIT,
	                                    *permp = &perm;
	Envoy__Type__Matcher__V3__PathMatcher pm = ENVOY__TYPE__MATCHER__V3__PATH_MATCHER__INIT;
	Envoy__Type__Matcher__V3__StringMatcher
	        sm = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__INIT,
	        sm2 = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__INIT;
	Envoy__Config__Rbac__V3__Principal pr1 = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__INIT,
	                                   pr2 = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__INIT,
	                                   *prs[2] = {&pr1, &pr2};
	Envoy__Config__Rbac__V3__Principal__Authenticated au =
	        ENVOY__CONFIG__RBAC__V3__PRINCIPAL__AUTHENTICATED__INIT;
	Envoy__Config__Core__V3__CidrRange cidr = ENVOY__CONFIG__CORE__V3__CIDR_RANGE__INIT;

	sm.match_pattern_case = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_PREFIX;
	sm.prefix = "/admin";
	pm.rule_case = ENVOY__TYPE__MATCHER__V3__PATH_MATCHER__RULE_PATH;
	pm.path = &sm;
	perm.rule_case = ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_URL_PATH;
	perm.url_path = &pm;
	sm2.match_pattern_case = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
	sm2.exact = "spiffe://weft/ns/ops/sa/admin";
	au.principal_name = &sm2;
	pr1.identifier_case = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_AUTHENTICATED;
	pr1.authenticated = &au;
	cidr.address_prefix = "10.0.0.0";
	cidr.prefix_len = u32(8);
	pr2.identifier_case = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_REMOTE_IP;
	pr2.remote_ip = &cidr;
	pol.n_permissions = 1;
	pol.permissions = &permp;
	pol.n_principals = 2;
	pol.principals = prs;
	pe.key = "admins";
	pe.value = &pol;
	rules.action = ENVOY__CONFIG__RBAC__V3__RBAC__ACTION__DENY;
	rules.n_policies = 1;
	rules.policies = &pep;
	f.rules = &rules;
	return http_filter("envoy.filters.http.rbac",
	                   URL("envoy.extensions.filters.http.rbac.v3.RBAC"), &f.base);
}

static Envoy__Config__Accesslog__V3__AccessLog *file_log(void)
{
	Envoy__Config__Accesslog__V3__AccessLog *al = keep(calloc(1, sizeof(*al)));
	Envoy__Extensions__AccessLoggers__File__V3__FileAccessLog f =
	        ENVOY__EXTENSIONS__ACCESS_LOGGERS__FILE__V3__FILE_ACCESS_LOG__INIT;

	f.path = "/dev/stdout";
	envoy__config__accesslog__v3__access_log__init(al);
	al->name = "envoy.access_loggers.file";
	al->config_type_case = ENVOY__CONFIG__ACCESSLOG__V3__ACCESS_LOG__CONFIG_TYPE_TYPED_CONFIG;
	al->typed_config =
	        any_of(URL("envoy.extensions.access_loggers.file.v3.FileAccessLog"), &f.base);
	return al;
}

static Google__Protobuf__Any *hcm_any(void)
{
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager hcm =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds rds =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__RDS__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager__Tracing
	        tr = ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__TRACING__INIT;
	Envoy__Type__V3__Percent pc = ENVOY__TYPE__V3__PERCENT__INIT;
	Envoy__Config__Core__V3__ConfigSource cs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	        ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Envoy__Extensions__Filters__Http__Router__V3__Router router =
	        ENVOY__EXTENSIONS__FILTERS__HTTP__ROUTER__V3__ROUTER__INIT;
	Envoy__Config__Accesslog__V3__AccessLog *logs[1];
	HttpFilter *filters[4];

	ADS_INIT(cs, ads);
	rds.config_source = &cs;
	rds.route_config_name = "inbound|8080";
	filters[0] = fault_filter();
	filters[1] = ratelimit_filter();
	filters[2] = rbac_filter();
	filters[3] =
	        http_filter("envoy.filters.http.router",
	                    URL("envoy.extensions.filters.http.router.v3.Router"), &router.base);
	logs[0] = file_log();
	pc.value = 1.5;
	tr.random_sampling = &pc;
	hcm.codec_type =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__CODEC_TYPE__AUTO;
	hcm.stat_prefix = "inbound_8080";
	hcm.route_specifier_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	hcm.rds = &rds;
	hcm.n_http_filters = 4;
	hcm.http_filters = filters;
	hcm.n_access_log = 1;
	hcm.access_log = logs;
	hcm.tracing = &tr;
	return any_of(URL("envoy.extensions.filters.network.http_connection_manager.v3."
	                  "HttpConnectionManager"),
	              &hcm.base);
}

static Google__Protobuf__Any *tcp_proxy_any(void)
{
	Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy tp =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__INIT;
	Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster wc =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__WEIGHTED_CLUSTER__INIT;
	Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster__ClusterWeight
	        a = ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__INIT,
	        b = ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__INIT,
	        *ws[2] = {&a, &b};

	a.name = "db-v1";
	a.weight = 90;
	b.name = "db-v2";
	b.weight = 10;
	wc.n_clusters = 2;
	wc.clusters = ws;
	tp.stat_prefix = "tcp_db";
	tp.cluster_specifier_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
	tp.weighted_clusters = &wc;
	tp.idle_timeout = dur(3600, 0);
	return any_of(URL("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"), &tp.base);
}

static Envoy__Config__Listener__V3__ListenerFilter *
listener_filter(const char *name, const char *url, const ProtobufCMessage *m)
{
	Envoy__Config__Listener__V3__ListenerFilter *f = keep(calloc(1, sizeof(*f)));

	envoy__config__listener__v3__listener_filter__init(f);
	f->name = (char *)name;
	f->config_type_case =
	        ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = any_of(url, m);
	return f;
}

static Envoy__Config__Core__V3__TransportSocket *downstream_tls(void)
{
	Envoy__Config__Core__V3__TransportSocket *ts = keep(calloc(1, sizeof(*ts)));
	Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext dt =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__DOWNSTREAM_TLS_CONTEXT__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext ctx =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate
	        cert = ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_CERTIFICATE__INIT,
	        *certp = &cert;
	Envoy__Config__Core__V3__DataSource chain = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT,
	                                    key = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__SdsSecretConfig ca =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SDS_SECRET_CONFIG__INIT;
	Envoy__Config__Core__V3__ConfigSource cs = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	        ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Google__Protobuf__BoolValue req = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;

	ADS_INIT(cs, ads);
	chain.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_FILENAME;
	chain.filename = "/etc/weft/cert.pem";
	key.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_FILENAME;
	key.filename = "/etc/weft/key.pem";
	cert.certificate_chain = &chain;
	cert.private_key = &key;
	ca.name = "ROOTCA";
	ca.sds_config = &cs;
	ctx.n_tls_certificates = 1;
	ctx.tls_certificates = &certp;
	ctx.validation_context_type_case =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_VALIDATION_CONTEXT_SDS_SECRET_CONFIG;
	ctx.validation_context_sds_secret_config = &ca;
	req.value = 1;
	dt.common_tls_context = &ctx;
	dt.require_client_certificate = &req;
	envoy__config__core__v3__transport_socket__init(ts);
	ts->name = "envoy.transport_sockets.tls";
	ts->config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts->typed_config = any_of(
	        URL("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"), &dt.base);
	return ts;
}

void gen_listener(void)
{
	Envoy__Config__Listener__V3__Listener l = ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT;
	Envoy__Config__Core__V3__Address addr = ENVOY__CONFIG__CORE__V3__ADDRESS__INIT;
	Envoy__Config__Core__V3__SocketAddress sa = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT;
	Envoy__Config__Listener__V3__FilterChain
	        http = ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN__INIT,
	        tcp = ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN__INIT, *chains[2] = {&http, &tcp};
	Envoy__Config__Listener__V3__FilterChainMatch
	        m1 = ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN_MATCH__INIT,
	        m2 = ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN_MATCH__INIT;
	Envoy__Config__Listener__V3__Filter f1 = ENVOY__CONFIG__LISTENER__V3__FILTER__INIT,
	                                    *f1p = &f1,
	                                    f2 = ENVOY__CONFIG__LISTENER__V3__FILTER__INIT,
	                                    *f2p = &f2;
	Envoy__Config__Core__V3__CidrRange cidr = ENVOY__CONFIG__CORE__V3__CIDR_RANGE__INIT,
	                                   *cidrp = &cidr;
	Envoy__Extensions__Filters__Listener__OriginalDst__V3__OriginalDst od =
	        ENVOY__EXTENSIONS__FILTERS__LISTENER__ORIGINAL_DST__V3__ORIGINAL_DST__INIT;
	Envoy__Extensions__Filters__Listener__TlsInspector__V3__TlsInspector ti =
	        ENVOY__EXTENSIONS__FILTERS__LISTENER__TLS_INSPECTOR__V3__TLS_INSPECTOR__INIT;
	Envoy__Config__Listener__V3__ListenerFilter *lfs[2];
	Google__Protobuf__BoolValue uod = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	char *sni[] = {"web.example.com"}, *alpn[] = {"h2", "http/1.1"};

	sa.address = "0.0.0.0";
	sa.port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
	sa.port_value = 15006;
	addr.address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
	addr.socket_address = &sa;
	m1.destination_port = u32(8080);
	m1.transport_protocol = "tls";
	m1.n_server_names = 1;
	m1.server_names = sni;
	m1.n_application_protocols = 2;
	m1.application_protocols = alpn;
	f1.name = "envoy.filters.network.http_connection_manager";
	f1.config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f1.typed_config = hcm_any();
	http.name = "inbound-http";
	http.filter_chain_match = &m1;
	http.n_filters = 1;
	http.filters = &f1p;
	http.transport_socket = downstream_tls();
	cidr.address_prefix = "192.168.0.0";
	cidr.prefix_len = u32(16);
	m2.n_prefix_ranges = 1;
	m2.prefix_ranges = &cidrp;
	m2.destination_port = u32(5432);
	f2.name = "envoy.filters.network.tcp_proxy";
	f2.config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f2.typed_config = tcp_proxy_any();
	tcp.name = "inbound-tcp";
	tcp.filter_chain_match = &m2;
	tcp.n_filters = 1;
	tcp.filters = &f2p;
	lfs[0] = listener_filter(
	        "envoy.filters.listener.original_dst",
	        URL("envoy.extensions.filters.listener.original_dst.v3.OriginalDst"), &od.base);
	lfs[1] = listener_filter(
	        "envoy.filters.listener.tls_inspector",
	        URL("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"), &ti.base);
	uod.value = 1;
	l.name = "virtualInbound";
	l.address = &addr;
	l.n_filter_chains = 2;
	l.filter_chains = chains;
	l.use_original_dst = &uod;
	l.n_listener_filters = 2;
	l.listener_filters = lfs;
	l.traffic_direction = ENVOY__CONFIG__CORE__V3__TRAFFIC_DIRECTION__INBOUND;
	write_msg("listener", &l.base);
}

void gen_route(void)
{
	Envoy__Config__Route__V3__RouteConfiguration rc =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT;
	Envoy__Config__Route__V3__VirtualHost vh = ENVOY__CONFIG__ROUTE__V3__VIRTUAL_HOST__INIT,
	                                      *vhp = &vh;
	Envoy__Config__Route__V3__Route r1 = ENVOY__CONFIG__ROUTE__V3__ROUTE__INIT,
	                                r2 = ENVOY__CONFIG__ROUTE__V3__ROUTE__INIT,
	                                r3 = ENVOY__CONFIG__ROUTE__V3__ROUTE__INIT,
	                                *rs[3] = {&r1, &r2, &r3};
	Envoy__Config__Route__V3__RouteMatch m1 = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__INIT,
	                                     m2 = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__INIT,
	                                     m3 = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__INIT;
	Envoy__Config__Route__V3__HeaderMatcher hm = ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__INIT,
	                                        *hmp = &hm;
	Envoy__Config__Route__V3__QueryParameterMatcher
	        qm = ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__INIT,
	        *qmp = &qm;
	Envoy__Type__Matcher__V3__StringMatcher sm = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__INIT;
	Envoy__Config__Route__V3__RouteAction ra = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__INIT;
	Envoy__Config__Route__V3__WeightedCluster wc =
	        ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__INIT;
	Envoy__Config__Route__V3__WeightedCluster__ClusterWeight
	        a = ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__INIT,
	        b = ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__INIT,
	        *ws[2] = {&a, &b};
	Envoy__Config__Route__V3__RetryPolicy rp = ENVOY__CONFIG__ROUTE__V3__RETRY_POLICY__INIT;
	Envoy__Config__Route__V3__RouteAction__HashPolicy
	        hp = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__INIT,
	        *hpp = &hp;
	Envoy__Config__Route__V3__RouteAction__HashPolicy__Header hh =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__HEADER__INIT;
	Envoy__Config__Route__V3__RedirectAction rd =
	        ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__INIT;
	Envoy__Config__Route__V3__DirectResponseAction dr =
	        ENVOY__CONFIG__ROUTE__V3__DIRECT_RESPONSE_ACTION__INIT;
	Envoy__Config__Core__V3__DataSource body = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT;
	char *domains[] = {"web.example.com", "web"};

	sm.match_pattern_case = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
	sm.exact = "canary";
	hm.name = "x-track";
	hm.header_match_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_STRING_MATCH;
	hm.string_match = &sm;
	qm.name = "debug";
	qm.query_parameter_match_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__QUERY_PARAMETER_MATCH_SPECIFIER_PRESENT_MATCH;
	qm.present_match = 1;
	m1.path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	m1.prefix = "/api";
	m1.n_headers = 1;
	m1.headers = &hmp;
	m1.n_query_parameters = 1;
	m1.query_parameters = &qmp;
	a.name = "web-v1";
	a.weight = u32(80);
	b.name = "web-v2";
	b.weight = u32(20);
	wc.n_clusters = 2;
	wc.clusters = ws;
	rp.retry_on = "5xx,reset";
	rp.num_retries = u32(2);
	rp.per_try_timeout = dur(0, 250000000);
	hh.header_name = "x-user";
	hp.policy_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_HEADER;
	hp.header = &hh;
	ra.cluster_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
	ra.weighted_clusters = &wc;
	ra.timeout = dur(3, 0);
	ra.retry_policy = &rp;
	ra.n_hash_policy = 1;
	ra.hash_policy = &hpp;
	r1.name = "api";
	r1.match = &m1;
	r1.action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	r1.route = &ra;
	m2.path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH;
	m2.path = "/old";
	rd.path_rewrite_specifier_case =
	        ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__PATH_REWRITE_SPECIFIER_PATH_REDIRECT;
	rd.path_redirect = "/new";
	rd.response_code =
	        ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__REDIRECT_RESPONSE_CODE__PERMANENT_REDIRECT;
	r2.match = &m2;
	r2.action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_REDIRECT;
	r2.redirect = &rd;
	m3.path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	m3.prefix = "/";
	body.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
	body.inline_string = "no route";
	dr.status = 404;
	dr.body = &body;
	r3.match = &m3;
	r3.action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE;
	r3.direct_response = &dr;
	vh.name = "web";
	vh.n_domains = 2;
	vh.domains = domains;
	vh.n_routes = 3;
	vh.routes = rs;
	rc.name = "inbound|8080";
	rc.n_virtual_hosts = 1;
	rc.virtual_hosts = &vhp;
	write_msg("route", &rc.base);
}

void gen_secret(void)
{
	Envoy__Extensions__TransportSockets__Tls__V3__Secret s =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext vc =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__CERTIFICATE_VALIDATION_CONTEXT__INIT;
	Envoy__Config__Core__V3__DataSource ca = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT;

	ca.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_BYTES;
	ca.inline_bytes.data = (uint8_t *)"-----BEGIN CERTIFICATE-----";
	ca.inline_bytes.len = 27;
	vc.trusted_ca = &ca;
	s.name = "ROOTCA";
	s.type_case =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_VALIDATION_CONTEXT;
	s.validation_context = &vc;
	write_msg("secret", &s.base);
}
