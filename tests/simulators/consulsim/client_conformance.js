// consulsim conformance with a real Consul client: the npm `consul` package
// (2.0.x), its watch helper included.
//
//   node client_conformance.js CONSULSIM_BIN NODE_MODULES
//
// Starts consulsim twice (ACLs off, then on) on free loopback ports, stops
// each by its pid, and fails (exit 1) on the first wrong answer. Every wait
// is bounded; the whole run is capped at 90 s.
"use strict";

const assert = require("assert");
const { spawn } = require("child_process");
const net = require("net");
const path = require("path");

const [bin, modules] = process.argv.slice(2);
const Consul = require(path.resolve(modules, "consul"));

const started = [];
const cap = setTimeout(() => {
  console.error("FAIL: the run took longer than 90 s");
  stopAll();
  process.exit(1);
}, 90000);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Resolves with {child, port} once the ready line is printed.
async function startSim(extra) {
  const port = await freePort();
  const child = spawn(bin, ["--listen", `127.0.0.1:${port}`, ...extra], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  started.push(child);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("consulsim not ready in 10 s")), 10000);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes(`consulsim: ready http://127.0.0.1:${port}`)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`consulsim exited ${code}`)));
  });
  return { child, port };
}

function stopSim(sim) {
  return new Promise((resolve) => {
    if (sim.child.exitCode !== null) return resolve(sim.child.exitCode);
    sim.child.removeAllListeners("exit");
    sim.child.on("exit", (code) => resolve(code));
    process.kill(sim.child.pid, "SIGTERM");
  });
}

function stopAll() {
  for (const c of started) if (c.exitCode === null) process.kill(c.pid, "SIGKILL");
}

async function simPost(port, p, body) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method: "POST",
    body: JSON.stringify(body || {}),
  });
  assert.strictEqual(res.status, 200, `${p} answered ${res.status}`);
  return res.json();
}

// Waits (bounded) until pred() is true.
async function until(what, pred, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function register(consul, node, id, port, status, tags) {
  return consul.catalog.register({
    node,
    address: `10.1.0.${port % 250}`,
    service: { id, service: "web", port, tags: tags || ["v1"] },
    check: { checkid: `chk-${id}`, name: "alive", status, serviceid: id },
  });
}

async function catalogAndHealth(consul) {
  await register(consul, "n1", "web-1", 8080, "passing", ["v1", "eu"]);
  await register(consul, "n2", "web-2", 8081, "critical");
  const list = await consul.catalog.service.list();
  assert.deepStrictEqual(Object.keys(list).sort(), ["web"]);
  assert.deepStrictEqual(list.web.sort(), ["eu", "v1"]);

  const nodes = await consul.catalog.service.nodes("web");
  assert.strictEqual(nodes.length, 2);
  for (const k of ["Node", "Address", "ServiceID", "ServiceName", "ServiceTags",
    "ServiceAddress", "ServicePort", "ServiceWeights", "ServiceMeta", "TaggedAddresses",
    "ServiceTaggedAddresses", "CreateIndex", "ModifyIndex"]) {
    assert.ok(k in nodes[0], `catalog entry lacks ${k}`);
  }
  assert.strictEqual(nodes[0].Node, "n1");
  assert.strictEqual(nodes[0].ServicePort, 8080);

  const all = await consul.health.service({ service: "web" });
  assert.strictEqual(all.length, 2);
  const passing = await consul.health.service({ service: "web", passing: true });
  assert.strictEqual(passing.length, 1);
  assert.strictEqual(passing[0].Service.ID, "web-1");
  assert.strictEqual(passing[0].Node.Address, "10.1.0.80");
  assert.strictEqual(passing[0].Checks[0].Status, "passing");
  const eu = await consul.health.service({ service: "web", tag: "eu" });
  assert.strictEqual(eu.length, 1);
  const filtered = await consul.health.service({
    service: "web", filter: 'Service.ID == "web-2"' });
  assert.strictEqual(filtered.length, 1);

  const leader = await consul.status.leader();
  assert.match(leader, /:8300$/);
}

async function agentTtl(consul) {
  await consul.agent.service.register({
    name: "web", id: "web-agent", port: 9000, check: { ttl: "30s" } });
  let p = await consul.health.service({ service: "web", passing: true });
  assert.ok(!p.some((e) => e.Service.ID === "web-agent"), "a TTL check starts critical");
  await consul.agent.check.pass({ id: "service:web-agent", note: "ok" });
  p = await consul.health.service({ service: "web", passing: true });
  assert.ok(p.some((e) => e.Service.ID === "web-agent"), "pass makes it passing");
  await consul.agent.check.fail("service:web-agent");
  await consul.agent.service.deregister("web-agent");
  const all = await consul.health.service({ service: "web" });
  assert.ok(!all.some((e) => e.Service.ID === "web-agent"));
}

// The watch helper: a change event per real change, the passing filter
// honoured, and an index reset (snapshot restore) handled by the client.
async function watch(consul, port) {
  const events = [];
  const errors = [];
  const w = consul.watch({
    method: consul.health.service,
    options: { service: "web", passing: true, wait: "5s" },
  });
  w.on("change", (data, res) => events.push({
    ids: data.map((e) => e.Service.ID).sort(),
    index: BigInt(res.headers["x-consul-index"]),
  }));
  w.on("error", (err) => errors.push(err));
  try {
    await until("the first change event", () => events.length >= 1);
    assert.deepStrictEqual(events[0].ids, ["web-1"]);

    const t0 = Date.now();
    await register(consul, "n3", "web-3", 8083, "passing");
    await until("the web-3 event", () => events.some((e) => e.ids.includes("web-3")));
    const latency = Date.now() - t0;
    assert.ok(latency < 2000, `change seen after ${latency} ms (the wait is 5 s)`);

    // a critical instance is not passing: the answer does not include it
    await register(consul, "n2", "web-2", 8081, "passing");
    await until("web-2 turned passing", () => events.some((e) => e.ids.includes("web-2")));
    await register(consul, "n2", "web-2", 8081, "critical");
    await until("web-2 left", () => events[events.length - 1].ids.join() === "web-1,web-3");

    const before = events[events.length - 1].index;
    await simPost(port, "/sim/index-reset");
    // pending queries return at once (the 5 s wait would also end them, so
    // the bound is below it)
    await until("the reset event", () => events[events.length - 1].index < before, 2000);
    await register(consul, "n4", "web-4", 8084, "passing");
    await until("an event after the reset",
      () => events[events.length - 1].ids.join() === "web-1,web-3,web-4");
    assert.strictEqual(errors.length, 0, `watch errors: ${errors.map(String)}`);
    console.log(`watch: ${events.length} change events, first change seen after ${latency} ms`);
  } finally {
    w.end();
  }
}

async function acl() {
  const token = "2f7c4a1e-acl-management-token";
  const sim = await startSim(["--acl-token", token]);
  try {
    const anon = new Consul({ host: "127.0.0.1", port: sim.port });
    const mgmt = new Consul({ host: "127.0.0.1", port: sim.port, defaults: { token } });
    const bad = new Consul({ host: "127.0.0.1", port: sim.port, defaults: { token: "nope" } });
    await assert.rejects(register(anon, "n1", "web-1", 8080, "passing"),
      (err) => err.response.statusCode === 403 && /Permission denied/.test(err.message));
    await assert.rejects(register(bad, "n1", "web-1", 8080, "passing"),
      (err) => err.response.statusCode === 403 && /ACL not found/.test(err.message));
    await register(mgmt, "n1", "web-1", 8080, "passing");
    assert.strictEqual((await anon.health.service("web")).length, 0);
    assert.strictEqual((await mgmt.health.service("web")).length, 1);
  } finally {
    assert.strictEqual(await stopSim(sim), 0);
  }
}

async function main() {
  const sim = await startSim([]);
  try {
    const consul = new Consul({ host: "127.0.0.1", port: sim.port });
    await catalogAndHealth(consul);
    await agentTtl(consul);
    await watch(consul, sim.port);
  } finally {
    assert.strictEqual(await stopSim(sim), 0, "consulsim exits 0 on SIGTERM");
  }
  await acl();
  console.log("consulsim client conformance: ok");
}

main().then(() => {
  clearTimeout(cap);
}, (err) => {
  console.error("FAIL:", err);
  stopAll();
  process.exit(1);
});
