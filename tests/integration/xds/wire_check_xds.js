// Wire format of weft's ADS responses: decodes what xds_wire_dump wrote
// (the exact bytes the server sends, framing included) with Envoy's REAL
// protos shipped by @grpc/grpc-js-xds (protobufjs), expands every Any and
// checks the fields against what the policy (wire_policy.yaml) means.
// usage: node wire_check_xds.js DIR NODE_MODULES
'use strict';
const fs = require('fs');
const path = require('path');
const assert = require('assert');

const [dir, nodeModules] = process.argv.slice(2);
const protobuf = require(path.join(nodeModules, 'protobufjs'));
const deps = path.join(nodeModules, '@grpc/grpc-js-xds/deps');
const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
  .map((d) => path.join(deps, d)).concat([path.join(nodeModules, 'protobufjs')]);
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  for (const r of roots) {
    const p = path.join(r, target);
    if (fs.existsSync(p)) return p;
  }
  return target;
};
root.loadSync([
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
], { keepCase: true });
root.resolveAll();
const OPTS = { longs: String, enums: String, bytes: String, defaults: false };
function expand(v) {
  if (Array.isArray(v)) return v.map(expand);
  if (v && typeof v === 'object') {
    if (typeof v.type_url === 'string' &&
        Object.keys(v).every((k) => k === 'type_url' || k === 'value')) {
      const t = root.lookupType(v.type_url.replace(/^type\.googleapis\.com\//, ''));
      const inner = t.toObject(t.decode(Buffer.from(v.value || '', 'base64')), OPTS);
      return Object.assign({ '@type': v.type_url }, expand(inner));
    }
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = expand(x);
    return out;
  }
  return v;
}
function load(name, type) {
  const t = root.lookupType(type);
  return expand(t.toObject(t.decode(fs.readFileSync(path.join(dir, name + '.bin'))), OPTS));
}
const T = (x) => 'type.googleapis.com/' + x;
const ADS = { ads: {}, resource_api_version: 'V3' };
const SOTW = 'envoy.service.discovery.v3.DiscoveryResponse';
const byName = (list, key) => Object.fromEntries(list.map((r) => [r[key || 'name'], r]));
let n = 0;
function check(what, fn) {
  fn();
  n++;
  console.log('ok   ' + what);
}

check('SotW CDS', () => {
  const r = load('sotw-cds', SOTW);
  assert.strictEqual(r.version_info, '7');
  assert.strictEqual(r.type_url, T('envoy.config.cluster.v3.Cluster'));
  assert.match(r.nonce, /^[0-9]+$/);
  const c = byName(r.resources);
  assert.deepStrictEqual(Object.keys(c).sort(), [
    'inbound|8081||amf.core', 'inbound|9080||reviews.shop', 'outbound|8081||amf.core',
    'outbound|9080|v1|reviews.shop', 'outbound|9080|v2|reviews.shop', 'outbound|9080||reviews.shop',
    'zipkin|10.99.0.5|9411']);
  assert.deepStrictEqual(c['outbound|9080|v1|reviews.shop'], {
    '@type': T('envoy.config.cluster.v3.Cluster'),
    name: 'outbound|9080|v1|reviews.shop', type: 'EDS',
    eds_cluster_config: { eds_config: ADS, service_name: 'outbound|9080|v1|reviews.shop' },
    connect_timeout: { seconds: '5' }, lb_policy: 'RING_HASH',
    ring_hash_lb_config: { minimum_ring_size: { value: '1024' }, maximum_ring_size: { value: '4096' } },
    circuit_breakers: { thresholds: [{ max_connections: { value: 100 } }] },
    outlier_detection: { consecutive_5xx: { value: 5 } },
  });
  assert.strictEqual(c['inbound|9080||reviews.shop'].type, 'STATIC');
  assert.strictEqual(c['inbound|9080||reviews.shop'].load_assignment.endpoints[0]
    .lb_endpoints[0].endpoint.address.socket_address.port_value, 8080);
  // The Telemetry's trace collector: a static cluster (type is in a oneof,
  // so STATIC = 0 is on the wire), its one endpoint inline.
  assert.deepStrictEqual(c['zipkin|10.99.0.5|9411'], {
    '@type': T('envoy.config.cluster.v3.Cluster'),
    name: 'zipkin|10.99.0.5|9411', type: 'STATIC', connect_timeout: { seconds: '5' },
    load_assignment: {
      cluster_name: 'zipkin|10.99.0.5|9411',
      endpoints: [{
        locality: {},
        lb_endpoints: [{
          endpoint: { address: { socket_address: { address: '10.99.0.5', port_value: 9411 } } },
          load_balancing_weight: { value: 1 },
        }],
        load_balancing_weight: { value: 1 },
      }],
    },
  });
});

check('SotW EDS (by name, IPv6, locality weight)', () => {
  const r = load('sotw-eds', SOTW);
  assert.strictEqual(r.resources.length, 1);
  assert.deepStrictEqual(r.resources[0], {
    '@type': T('envoy.config.endpoint.v3.ClusterLoadAssignment'),
    cluster_name: 'outbound|9080|v2|reviews.shop',
    endpoints: [{
      locality: { zone: 'zone-b' },
      lb_endpoints: [{
        endpoint: { address: { socket_address: { address: 'fd00::2', port_value: 8080 } } },
        load_balancing_weight: { value: 3 },
      }],
      load_balancing_weight: { value: 3 },
    }],
  });
});

check('SotW LDS (API listeners named as the target)', () => {
  const r = load('sotw-lds', SOTW);
  const l = byName(r.resources);
  for (const name of ['reviews', 'reviews.shop', 'reviews:9080', 'reviews.shop:9080', 'amf'])
    assert.ok(l[name], name);
  const hcm = l.reviews.api_listener.api_listener;
  assert.strictEqual(hcm['@type'], T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'));
  assert.deepStrictEqual(hcm.rds, { config_source: ADS, route_config_name: 'reviews.shop:9080' });
  assert.deepStrictEqual(hcm.http_filters.map((f) => [f.name, f.typed_config['@type']]), [
    ['envoy.filters.http.fault', T('envoy.extensions.filters.http.fault.v3.HTTPFault')],
    ['envoy.filters.http.router', T('envoy.extensions.filters.http.router.v3.Router')]]);
});

check('SotW RDS (weighted clusters, header match, fault, retries, hash policy)', () => {
  const r = load('sotw-rds', SOTW);
  assert.strictEqual(r.resources.length, 1);
  const vh = r.resources[0].virtual_hosts[0];
  assert.deepStrictEqual(vh.domains, ['*']);
  const [testers, canary] = vh.routes;
  assert.deepStrictEqual(testers.match, { prefix: '/', headers: [{ name: 'x-tester', exact_match: 'yes' }] });
  assert.deepStrictEqual(testers.typed_per_filter_config['envoy.filters.http.fault'], {
    '@type': T('envoy.extensions.filters.http.fault.v3.HTTPFault'),
    abort: { http_status: 503, percentage: { numerator: 250000, denominator: 'MILLION' } },
  });
  assert.deepStrictEqual(canary.route.weighted_clusters.clusters, [
    { name: 'outbound|9080|v1|reviews.shop', weight: { value: 80 } },
    { name: 'outbound|9080|v2|reviews.shop', weight: { value: 20 } }]);
  assert.deepStrictEqual(canary.route.timeout, { seconds: '2' });
  assert.deepStrictEqual(canary.route.retry_policy, { retry_on: 'unavailable', num_retries: { value: 3 } });
  assert.deepStrictEqual(canary.route.hash_policy, [{ header: { header_name: 'x-user' } }]);
});

check('Sidecar LDS (inbound on the instance IP of another plane; rate limit tiers, RBAC, telemetry, Zipkin)', () => {
  const r = load('sidecar-lds', SOTW);
  const l = byName(r.resources);
  const inb = l['inbound|10.75.8.101|8081'];
  assert.ok(inb);
  assert.deepStrictEqual(inb.address, { socket_address: { address: '10.75.8.101', port_value: 8081 } });
  assert.strictEqual(inb.traffic_direction, 'INBOUND');
  assert.strictEqual(inb.filter_chains[0].filters[0].typed_config.rds.route_config_name, 'inbound|8081|amf.core');
  assert.ok(l['outbound|0.0.0.0|9080']);
  const hcm = inb.filter_chains[0].filters[0].typed_config;
  assert.deepStrictEqual(hcm.http_filters.map((f) => f.name), ['envoy.filters.http.fault',
    'envoy.filters.http.local_ratelimit', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);
  const on = (key) => ({ default_value: { numerator: 1000000, denominator: 'MILLION' }, runtime_key: key });
  // The default bucket, a descriptor per tier (the header's value), and
  // tier clients kept off the default bucket; stage 0 (absent).
  assert.deepStrictEqual(hcm.http_filters[1].typed_config, {
    '@type': T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'),
    stat_prefix: 'local_rate_limit',
    token_bucket: { max_tokens: 150, tokens_per_fill: { value: 100 }, fill_interval: { seconds: '1' } },
    filter_enabled: on('local_rate_limit_enabled'), filter_enforced: on('local_rate_limit_enforced'),
    descriptors: [
      { entries: [{ key: 'x-tenant', value: 'gold' }],
        token_bucket: { max_tokens: 2000, tokens_per_fill: { value: 1000 }, fill_interval: { seconds: '1' } } },
      { entries: [{ key: 'x-tenant', value: 'bronze' }],
        token_bucket: { max_tokens: 600, tokens_per_fill: { value: 600 }, fill_interval: { seconds: '60' } } }],
    always_consume_default_token_bucket: {}, // BoolValue false: present, value 0
  });
  assert.deepStrictEqual(hcm.http_filters[2].typed_config, {
    '@type': T('envoy.extensions.filters.http.rbac.v3.RBAC'),
    // action ALLOW is enum value 0: absent on the wire
    rules: { policies: { 'rule-0': {
      permissions: [{ and_rules: { rules: [
        { url_path: { path: { prefix: '/nudm/' } } },
        { header: { name: ':method', exact_match: 'GET' } }] } }],
      principals: [{ remote_ip: { address_prefix: '10.75.0.0', prefix_len: { value: 16 } } }],
    } } },
  });
  assert.deepStrictEqual(hcm.access_log, [{ name: 'envoy.access_loggers.file', typed_config: {
    '@type': T('envoy.extensions.access_loggers.file.v3.FileAccessLog'), path: '/dev/stdout',
    log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %RESPONSE_CODE%' } } } }]);
  assert.deepStrictEqual(hcm.tracing, {
    random_sampling: { value: 2.5 },
    provider: { name: 'envoy.tracers.zipkin', typed_config: {
      '@type': T('envoy.config.trace.v3.ZipkinConfig'),
      collector_cluster: 'zipkin|10.99.0.5|9411', collector_endpoint: '/api/v2/spans',
      collector_endpoint_version: 'HTTP_JSON', collector_hostname: '10.99.0.5:9411' } },
  });
});

// The inbound routes' rate_limits action that builds the tier descriptor
// ({x-tenant: HEADER VALUE}, stage 0 = absent). Needs the sidecar RDS in the
// dump: xds_wire_dump must request 'inbound|8081|amf.core' on the sidecar
// stream; a dump without it skips this check and says so.
if (fs.existsSync(path.join(dir, 'sidecar-rds.bin'))) {
  check('Sidecar RDS (inbound route: rate limit action of the tiers)', () => {
    const r = load('sidecar-rds', SOTW);
    assert.strictEqual(r.resources.length, 1);
    assert.strictEqual(r.resources[0].name, 'inbound|8081|amf.core');
    const routes = r.resources[0].virtual_hosts[0].routes;
    assert.strictEqual(routes.length, 1);
    assert.deepStrictEqual(routes[0].route, {
      cluster: 'inbound|8081||amf.core',
      rate_limits: [{ actions: [{ request_headers: { header_name: 'x-tenant', descriptor_key: 'x-tenant' } }] }],
    });
  });
} else {
  console.log('SKIP Sidecar RDS (rate limit action): xds_wire_dump wrote no sidecar-rds.bin');
}

check('Delta EDS (Resource name, version, Any)', () => {
  const r = load('delta-eds', 'envoy.service.discovery.v3.DeltaDiscoveryResponse');
  assert.strictEqual(r.system_version_info, '7');
  assert.strictEqual(r.resources.length, 1);
  assert.strictEqual(r.resources[0].name, 'outbound|9080|v2|reviews.shop');
  assert.match(r.resources[0].version, /^[0-9a-f]{16}$/);
  assert.strictEqual(r.resources[0].resource.cluster_name, 'outbound|9080|v2|reviews.shop');
});
console.log(`${n} checks passed`);
