// An ADS client over TLS for the ADS listener test (@grpc/grpc-js with
// Envoy's real ads.proto from @grpc/grpc-js-xds): opens
// StreamAggregatedResources, asks for every Cluster, prints
// {"ok":true,"clusters":N,"version":V} or {"ok":false,"error":"..."}.
//   node ads_tls_client.js NODE_MODULES HOST:PORT CA_PEM [CERT_PEM KEY_PEM]
'use strict';
const fs = require('fs');
const path = require('path');
const [nodeModules, target, caFile, certFile, keyFile] = process.argv.slice(2);
const grpc = require(path.join(nodeModules, '@grpc/grpc-js'));
const loader = require(path.join(nodeModules, '@grpc/proto-loader'));
const deps = path.join(nodeModules, '@grpc/grpc-js-xds/deps');
const def = loader.loadSync('envoy/service/discovery/v3/ads.proto', {
  keepCase: true, longs: String, enums: String, defaults: false, oneofs: true,
  includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)),
});
const ads = grpc.loadPackageDefinition(def).envoy.service.discovery.v3.AggregatedDiscoveryService;
const creds = grpc.credentials.createSsl(fs.readFileSync(caFile),
  keyFile ? fs.readFileSync(keyFile) : null, certFile ? fs.readFileSync(certFile) : null);
const client = new ads(target, creds);
const done = (o) => {
  console.log(JSON.stringify(o));
  process.exit(0);
};
const call = client.StreamAggregatedResources({ deadline: new Date(Date.now() + 10000) });
call.on('data', (r) => {
  done({ ok: true, clusters: r.resources.length, version: r.version_info });
});
call.on('error', (e) => done({ ok: false, error: e.message }));
call.write({ node: { id: 'tls-client' },
  type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' });
