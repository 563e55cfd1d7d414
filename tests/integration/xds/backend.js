// A real gRPC backend for the xDS end-to-end tests (@grpc/grpc-js):
//   node backend.js NODE_MODULES PORT NAME [fail]
// answers weft.test.Echo/Hello with {backend: NAME}; with "fail" every call
// ends with UNAVAILABLE (a broken backend for the retry test). Listens on
// 127.0.0.1:PORT; stopped by SIGTERM.
'use strict';
const path = require('path');
const [nodeModules, port, name, mode] = process.argv.slice(2);
const grpc = require(path.join(nodeModules, '@grpc/grpc-js'));
const loader = require(path.join(nodeModules, '@grpc/proto-loader'));

const def = loader.loadSync(path.join(__dirname, 'echo.proto'));
const proto = grpc.loadPackageDefinition(def).weft.test;
const server = new grpc.Server();
let calls = 0;
server.addService(proto.Echo.service, {
  Hello(call, cb) {
    calls++;
    if (mode === 'fail')
      cb({ code: grpc.status.UNAVAILABLE, details: `${name} is failing` });
    else
      cb(null, { backend: name });
  },
});
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(`backend ${name}: ${err.message}`);
    process.exit(1);
  }
  console.log(`backend ${name} listening on ${port}`);
});
process.on('SIGTERM', () => {
  console.log(`backend ${name} served ${calls} calls`);
  server.forceShutdown();
  process.exit(0);
});
