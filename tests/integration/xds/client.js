// A real proxyless xDS client for the end-to-end tests: @grpc/grpc-js-xds
// resolving xds:///TARGET through weft (GRPC_XDS_BOOTSTRAP must be set).
//   node client.js NODE_MODULES TARGET count N [HEADER=VALUE]
//       N calls; prints {"backends":{NAME:n},"errors":{CODE:n},"calls":N}
//   node client.js NODE_MODULES TARGET change N POLICY_NEW POLICY_LIVE DRIVER_PID EXPECT
//       N calls, then copies POLICY_NEW over POLICY_LIVE and sends SIGHUP to
//       the weft test driver, calls until 20 replies in a row come from EXPECT (10 s max),
//       then N more calls -- the same channel all along, no restart.
//       prints {"before":{..},"after":{..},"switch_ms":T,"switched":bool}
'use strict';
const fs = require('fs');
const path = require('path');
const [nodeModules, target, mode, ...args] = process.argv.slice(2);
const grpc = require(path.join(nodeModules, '@grpc/grpc-js'));
const loader = require(path.join(nodeModules, '@grpc/proto-loader'));
require(path.join(nodeModules, '@grpc/grpc-js-xds')).register();

const def = loader.loadSync(path.join(__dirname, 'echo.proto'));
const proto = grpc.loadPackageDefinition(def).weft.test;
const client = new proto.Echo(`xds:///${target}`, grpc.credentials.createInsecure());

function call(md) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 5000);
    client.Hello({ name: 'x' }, md || new grpc.Metadata(), { deadline }, (err, reply) => {
      resolve(err ? { error: err.code, details: err.details } : { backend: reply.backend });
    });
  });
}

async function count(n, md) {
  const out = { backends: {}, errors: {}, calls: n };
  for (let i = 0; i < n; i++) {
    const r = await call(md);
    if (r.error !== undefined) out.errors[r.error] = (out.errors[r.error] || 0) + 1;
    else out.backends[r.backend] = (out.backends[r.backend] || 0) + 1;
  }
  return out;
}

async function main() {
  // First call waits for xDS to deliver the whole chain (bounded).
  const t0 = Date.now();
  let first;
  do {
    first = await call();
  } while (first.error !== undefined && first.error === grpc.status.UNAVAILABLE &&
           Date.now() - t0 < 15000 && /xds|resource|cluster|route|listener/i.test(first.details || ''));
  if (mode === 'count') {
    const md = new grpc.Metadata();
    if (args[1]) {
      const [k, v] = args[1].split('=');
      md.set(k, v);
    }
    const res = await count(Number(args[0]), md);
    console.log(JSON.stringify(res));
  } else if (mode === 'change') {
    const [n, src, live, pid, expect] = args;
    const before = await count(Number(n));
    fs.copyFileSync(src, live + '.tmp');
    fs.renameSync(live + '.tmp', live);
    process.kill(Number(pid), 'SIGHUP');
    const t1 = Date.now();
    // Switched once 20 consecutive replies came from EXPECT (the old
    // policy sends some traffic there too).
    let switched = false, run = 0;
    while (Date.now() - t1 < 10000) {
      const r = await call();
      run = r.backend === expect ? run + 1 : 0;
      if (run === 20) {
        switched = true;
        break;
      }
    }
    const switchMs = Date.now() - t1;
    const after = await count(Number(n));
    console.log(JSON.stringify({ before, after, switch_ms: switchMs, switched }));
  }
  client.close();
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
