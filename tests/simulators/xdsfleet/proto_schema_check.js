// Schema check: every message, field and enum value in weft's subset of the
// Envoy v3 API (models/proto) must exist in Envoy's real .proto files (as
// shipped by @grpc/grpc-js-xds) with the same number, type, label and file.
// Usage: node proto_schema_check.js WEFT_PROTO_DIR NODE_MODULES_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const weftDir = process.argv[2];
const nodeModules = process.argv[3];
const protobuf = require(path.join(nodeModules, 'protobufjs'));
const deps = path.join(nodeModules, '@grpc/grpc-js-xds/deps');
const realRoots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
	.map((d) => path.join(deps, d))
	.concat([path.join(nodeModules, 'protobufjs')]); // descriptor.proto

function listProtos(dir, rel = '') {
	let out = [];
	for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
		const r = rel ? rel + '/' + e.name : e.name;
		if (e.isDirectory()) out = out.concat(listProtos(dir, r));
		else if (e.name.endsWith('.proto')) out.push(r);
	}
	return out;
}

function loadRoot(files, roots, useBuiltinGoogle) {
	const root = new protobuf.Root();
	root.resolvePath = (origin, target) => {
		if (useBuiltinGoogle && target in protobuf.common)
			return target; // protobufjs ships the well-known types
		for (const r of roots) {
			const p = path.join(r, target);
			if (fs.existsSync(p)) return p;
		}
		return target;
	};
	root.loadSync(files, { keepCase: true });
	root.resolveAll();
	return root;
}

const files = listProtos(weftDir);
const mine = loadRoot(files, [weftDir], false);
const real = loadRoot(files.filter((f) => !f.startsWith('google/protobuf/')),
	realRoots, true);

let errors = 0, messages = 0, fields = 0;
function fail(msg) { console.log('MISMATCH ' + msg); errors++; }
// a type's file, relative to the include root it was loaded from
function fileOf(t, roots) {
	const f = path.resolve(t.filename || '?');
	for (const r of roots)
		if (f.startsWith(path.resolve(r) + '/')) return path.relative(r, f);
	return f;
}

function checkType(t) {
	const name = t.fullName.slice(1);
	let r;
	try { r = real.lookup(t.fullName); } catch (e) { r = null; }
	if (!r) return fail(name + ': not in the real API');
	if (t instanceof protobuf.Enum) {
		for (const [k, v] of Object.entries(t.values))
			if (r.values[k] !== v) fail(name + '.' + k + ' = ' + v + ', real ' + r.values[k]);
		return;
	}
	messages++;
	if (!name.startsWith('google.protobuf.') && fileOf(t, [weftDir]) !== fileOf(r, realRoots))
		fail(name + ': in ' + fileOf(t, [weftDir]) + ', real ' + fileOf(r, realRoots));
	for (const f of t.fieldsArray) {
		fields++;
		const rf = r.fields[f.name];
		if (!rf) { fail(name + '.' + f.name + ': no such field'); continue; }
		if (rf.id !== f.id) fail(name + '.' + f.name + ' = ' + f.id + ', real ' + rf.id);
		const ft = f.resolvedType ? f.resolvedType.fullName : f.type;
		const rt = rf.resolvedType ? rf.resolvedType.fullName : rf.type;
		if (ft !== rt) fail(name + '.' + f.name + ': type ' + ft + ', real ' + rt);
		if (!!f.repeated !== !!rf.repeated || !!f.map !== !!rf.map ||
		    (f.map && f.keyType !== rf.keyType))
			fail(name + '.' + f.name + ': label differs');
		const oo = f.partOf ? f.partOf.name : '';
		const ro = rf.partOf ? rf.partOf.name : '';
		if (oo !== ro) fail(name + '.' + f.name + ': oneof ' + oo + ', real ' + ro);
	}
}

function walk(ns) {
	for (const n of ns.nestedArray || []) {
		if (n instanceof protobuf.Type || n instanceof protobuf.Enum) checkType(n);
		if (n instanceof protobuf.Service) {
			const r = real.lookup(n.fullName);
			for (const m of n.methodsArray) {
				const rm = r && r.methods[m.name];
				if (!rm || rm.requestType !== m.requestType || rm.responseType !== m.responseType ||
				    !!rm.requestStream !== !!m.requestStream || !!rm.responseStream !== !!m.responseStream)
					fail(n.fullName + '.' + m.name + ': method differs');
			}
		}
		if (n.nestedArray) walk(n);
	}
}
walk(mine);
console.log(`checked ${messages} messages, ${fields} fields, ${errors} mismatches`);
process.exit(errors ? 1 : 0);
