// Wire-format check: decodes the messages that xdsproto_wire_gen encoded
// with weft's protobuf-c code (models/proto) using Envoy's REAL .proto files
// (shipped by @grpc/grpc-js-xds), expands every Any, and compares the result
// exactly with what the generator meant (EXPECT below). A wrong field number
// or type in models/proto shows up as a missing, extra or different field.
// Usage: node wire_check.js DIR NODE_MODULES_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const assert = require('assert');

const dir = process.argv[2];
const nodeModules = process.argv[3];
const protobuf = require(path.join(nodeModules, 'protobufjs'));
const deps = path.join(nodeModules, '@grpc/grpc-js-xds/deps');
const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
	.map((d) => path.join(deps, d)).concat([path.join(nodeModules, 'protobufjs')]);

const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
	if (target in protobuf.common) return target;
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
	'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
	'envoy/extensions/filters/http/router/v3/router.proto',
	'envoy/extensions/filters/http/fault/v3/fault.proto',
	'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
	'envoy/extensions/filters/http/rbac/v3/rbac.proto',
	'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
	'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
	'envoy/extensions/transport_sockets/tls/v3/tls.proto',
	'envoy/extensions/transport_sockets/tls/v3/secret.proto',
	'envoy/extensions/access_loggers/file/v3/file.proto',
], { keepCase: true });
root.resolveAll();

const OPTS = { longs: String, enums: String, bytes: String, defaults: false };

// Replaces every google.protobuf.Any by its decoded content plus '@type'.
function expand(v) {
	if (Array.isArray(v)) return v.map(expand);
	if (v && typeof v === 'object') {
		// an Any: only type_url and value (absent when the message is empty)
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

const T = (x) => 'type.googleapis.com/' + x;
const ADS = { ads: {}, resource_api_version: 'V3' };
const EXPECT = require('./wire_expect.js')(T, ADS);

let failed = 0;
for (const [name, [typeName, want]] of Object.entries(EXPECT)) {
	const type = root.lookupType(typeName);
	const buf = fs.readFileSync(path.join(dir, name + '.bin'));
	const got = expand(type.toObject(type.decode(buf), OPTS));
	try {
		assert.deepStrictEqual(got, want);
		console.log('ok   ' + name + ' (' + typeName + ', ' + buf.length + ' bytes)');
	} catch (e) {
		failed++;
		console.log('FAIL ' + name + ' (' + typeName + ')\n' + e.message);
	}
}
const extra = fs.readdirSync(dir).filter((f) => !(f.replace(/\.bin$/, '') in EXPECT));
if (extra.length) { failed++; console.log('FAIL unchecked files: ' + extra.join(' ')); }
process.exit(failed ? 1 : 0);
