// What xdsproto_wire_gen meant to encode, as Envoy's real schema decodes it
// (protobufjs toObject: enums as names, 64-bit integers and bytes as
// strings, defaults omitted; every Any expanded with its '@type'; the
// google.protobuf.Struct/Value that protobufjs bundles uses camelCase).
'use strict';
module.exports = function (T, ADS) {
	const u32 = (v) => ({ value: v });
	const cluster = {
		'@type': T('envoy.config.cluster.v3.Cluster'),
		name: 'web',
		type: 'EDS',
		eds_cluster_config: { eds_config: ADS, service_name: 'web.default' },
		connect_timeout: { seconds: '1', nanos: 500000000 },
		lb_policy: 'MAGLEV',
		maglev_lb_config: { table_size: { value: '65537' } },
		outlier_detection: {
			consecutive_5xx: u32(5), interval: { seconds: '10' },
			base_ejection_time: { seconds: '30' }, max_ejection_percent: u32(50),
		},
		health_checks: [{
			timeout: { seconds: '1' }, interval: { seconds: '5' },
			unhealthy_threshold: u32(3), healthy_threshold: u32(2),
			http_health_check: { path: '/healthz' },
		}],
		circuit_breakers: { thresholds: [{
			priority: 'HIGH', max_connections: u32(100), max_pending_requests: u32(10),
			max_requests: u32(1000), max_retries: u32(3),
		}] },
		transport_socket: {
			name: 'envoy.transport_sockets.tls',
			typed_config: {
				'@type': T('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'),
				common_tls_context: { tls_certificate_sds_secret_configs: [
					{ name: 'default', sds_config: ADS }] },
				sni: 'web.default.svc',
			},
		},
	};
	const cla = {
		'@type': T('envoy.config.endpoint.v3.ClusterLoadAssignment'),
		cluster_name: 'web.default',
		endpoints: [{
			locality: { zone: 'eu-1b' },
			lb_endpoints: [{
				endpoint: { address: { socket_address: { address: '10.1.2.3', port_value: 8443 } } },
				health_status: 'HEALTHY',
				load_balancing_weight: u32(3),
			}],
			priority: 1,
		}],
		policy: { overprovisioning_factor: u32(140) },
	};
	const hcm = {
		'@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
		stat_prefix: 'inbound_8080',
		rds: { config_source: ADS, route_config_name: 'inbound|8080' },
		http_filters: [
			{ name: 'envoy.filters.http.fault', typed_config: {
				'@type': T('envoy.extensions.filters.http.fault.v3.HTTPFault'),
				delay: { fixed_delay: { nanos: 200000000 }, percentage: { numerator: 10 } },
				abort: { http_status: 503, percentage: { numerator: 5, denominator: 'TEN_THOUSAND' } },
			} },
			{ name: 'envoy.filters.http.local_ratelimit', typed_config: {
				'@type': T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'),
				stat_prefix: 'rl',
				status: { code: 'TooManyRequests' },
				token_bucket: { max_tokens: 100, tokens_per_fill: u32(10), fill_interval: { seconds: '1' } },
			} },
			{ name: 'envoy.filters.http.rbac', typed_config: {
				'@type': T('envoy.extensions.filters.http.rbac.v3.RBAC'),
				rules: { action: 'DENY', policies: { admins: {
					permissions: [{ url_path: { path: { prefix: '/admin' } } }],
					principals: [
						{ authenticated: { principal_name: { exact: 'spiffe://weft/ns/ops/sa/admin' } } },
						{ remote_ip: { address_prefix: '10.0.0.0', prefix_len: u32(8) } },
					],
				} } },
			} },
			{ name: 'envoy.filters.http.router', typed_config: {
				'@type': T('envoy.extensions.filters.http.router.v3.Router'),
			} },
		],
		tracing: { random_sampling: { value: 1.5 } },
		access_log: [{ name: 'envoy.access_loggers.file', typed_config: {
			'@type': T('envoy.extensions.access_loggers.file.v3.FileAccessLog'),
			path: '/dev/stdout',
		} }],
	};
	const listener = {
		name: 'virtualInbound',
		address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
		filter_chains: [
			{
				filter_chain_match: {
					destination_port: u32(8080), transport_protocol: 'tls',
					application_protocols: ['h2', 'http/1.1'], server_names: ['web.example.com'],
				},
				filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }],
				transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: {
					'@type': T('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'),
					common_tls_context: {
						tls_certificates: [{
							certificate_chain: { filename: '/etc/weft/cert.pem' },
							private_key: { filename: '/etc/weft/key.pem' },
						}],
						validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: ADS },
					},
					require_client_certificate: { value: true },
				} },
				name: 'inbound-http',
			},
			{
				filter_chain_match: {
					prefix_ranges: [{ address_prefix: '192.168.0.0', prefix_len: u32(16) }],
					destination_port: u32(5432),
				},
				filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: {
					'@type': T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'),
					stat_prefix: 'tcp_db',
					weighted_clusters: { clusters: [{ name: 'db-v1', weight: 90 }, { name: 'db-v2', weight: 10 }] },
					idle_timeout: { seconds: '3600' },
				} }],
				name: 'inbound-tcp',
			},
		],
		use_original_dst: { value: true },
		listener_filters: [
			{ name: 'envoy.filters.listener.original_dst', typed_config: {
				'@type': T('envoy.extensions.filters.listener.original_dst.v3.OriginalDst') } },
			{ name: 'envoy.filters.listener.tls_inspector', typed_config: {
				'@type': T('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector') } },
		],
		traffic_direction: 'INBOUND',
	};
	const route = {
		name: 'inbound|8080',
		virtual_hosts: [{
			name: 'web',
			domains: ['web.example.com', 'web'],
			routes: [
				{
					match: {
						prefix: '/api',
						headers: [{ name: 'x-track', string_match: { exact: 'canary' } }],
						query_parameters: [{ name: 'debug', present_match: true }],
					},
					route: {
						weighted_clusters: { clusters: [
							{ name: 'web-v1', weight: u32(80) }, { name: 'web-v2', weight: u32(20) }] },
						timeout: { seconds: '3' },
						retry_policy: { retry_on: '5xx,reset', num_retries: u32(2),
							per_try_timeout: { nanos: 250000000 } },
						hash_policy: [{ header: { header_name: 'x-user' } }],
					},
					name: 'api',
				},
				{ match: { path: '/old' }, redirect: { path_redirect: '/new', response_code: 'PERMANENT_REDIRECT' } },
				{ match: { prefix: '/' }, direct_response: { status: 404, body: { inline_string: 'no route' } } },
			],
		}],
	};
	return {
		discovery_response_cds: ['envoy.service.discovery.v3.DiscoveryResponse', {
			version_info: '7', resources: [cluster],
			type_url: T('envoy.config.cluster.v3.Cluster'), nonce: 'abc',
		}],
		discovery_request_nack: ['envoy.service.discovery.v3.DiscoveryRequest', {
			version_info: '6',
			node: {
				id: 'px-1', cluster: 'web',
				metadata: { fields: {
					role: { stringValue: 'sidecar' },
					planes: { listValue: { values: [{ numberValue: 2.5 }] } },
				} },
				locality: { region: 'eu', zone: 'eu-1a' },
			},
			resource_names: ['web', 'db'],
			type_url: T('envoy.config.cluster.v3.Cluster'),
			response_nonce: 'abc',
			error_detail: { code: 3, message: 'bad cluster' },
		}],
		delta_response_eds: ['envoy.service.discovery.v3.DeltaDiscoveryResponse', {
			system_version_info: '12',
			resources: [{ version: 'h-1f2e', resource: cla, name: 'web.default' }],
			type_url: T('envoy.config.endpoint.v3.ClusterLoadAssignment'),
			removed_resources: ['old.default'],
			nonce: 'd-9',
		}],
		delta_request: ['envoy.service.discovery.v3.DeltaDiscoveryRequest', {
			type_url: T('envoy.config.endpoint.v3.ClusterLoadAssignment'),
			resource_names_subscribe: ['web.default', 'db.default'],
			resource_names_unsubscribe: ['old.default'],
			initial_resource_versions: { 'web.default': 'h-1f2e' },
			response_nonce: 'd-9',
		}],
		listener: ['envoy.config.listener.v3.Listener', listener],
		route: ['envoy.config.route.v3.RouteConfiguration', route],
		secret: ['envoy.extensions.transport_sockets.tls.v3.Secret', {
			name: 'ROOTCA',
			validation_context: { trusted_ca: {
				inline_bytes: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64') } },
		}],
	};
};
