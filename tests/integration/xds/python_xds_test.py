#!/usr/bin/python3
"""weftd's xDS server with a second real proxyless client: Debian's
python3-grpcio (gRPC C core 1.51), which is stricter and older than grpc-js.

Starts four real gRPC backends (backend.js, @grpc/grpc-js: alpha, beta,
gamma, delta) and weftd --policy DIR --xds 127.0.0.1:PORT on free loopback
ports, then calls xds:///greeter and xds:///pool through grpc.insecure_channel
with GRPC_XDS_BOOTSTRAP set, and checks real traffic:
  - header routing: exact, prefix, regex and present matches each send
    every call to v2 (beta); calls without the headers follow the split
  - a weighted split 80/20 (alpha/beta) within +-7 % over 600 calls
  - an endpoint change (gamma removed from the policy file, weftd's watch
    picks it up): the running channel sends gamma nothing afterwards
  - weftd's /v1/status: the client ACKed every type it was sent (the
    version ACKed equals the version sent) and NACKed none -- a client that
    NACKs the routes fails here and in the calls above.
Every process is stopped by its pid (also on failure), every wait bounded.

Usage: python_xds_test.py WEFTD BACKEND_JS NODE_MODULES. Exit 0 on success.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

R = []


def check(name, cond, detail=""):
    R.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:3000]),
          flush=True)
    return bool(cond)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


POLICY = """apiVersion: weft/v1
kind: Service
metadata: {name: greeter, namespace: demo}
spec:
  protocol: grpc
  ports: [{name: grpc, port: 50051}]
  endpoints:
  - {address: 127.0.0.1, port: %(alpha)d, labels: {version: v1}}
  - {address: 127.0.0.1, port: %(beta)d, labels: {version: v2}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: weft/v1
kind: Route
metadata: {name: greeter, namespace: demo}
spec:
  service: greeter
  http:
  - name: by-header
    match:
    - headers: [{name: x-canary, exact: "yes"}]
    - headers: [{name: x-track, prefix: beta-}]
    - headers: [{name: x-build, regex: "^v[0-9]+$"}]
    - headers: [{name: x-probe, present: true}]
    destinations: [{service: greeter, subset: v2}]
  - name: split
    destinations:
    - {service: greeter, subset: v1, weight: 80}
    - {service: greeter, subset: v2, weight: 20}
---
apiVersion: weft/v1
kind: Service
metadata: {name: pool, namespace: demo}
spec:
  protocol: grpc
  ports: [{name: grpc, port: 50052}]
  endpoints:
  - {address: 127.0.0.1, port: %(delta)d}
%(gamma)s"""


def write_policy(path, ports, with_gamma):
    gamma = "  - {address: 127.0.0.1, port: %d}\n" % ports["gamma"] if with_gamma else ""
    text = POLICY % dict(ports, gamma=gamma)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)  # one atomic change for the watch


class Echo:
    """weft.test.Echo/Hello over a channel, with hand-coded protobuf
    (HelloRequest {name = 1}, HelloReply {backend = 1}): no generated stubs."""

    def __init__(self, target):
        import grpc
        self.grpc = grpc
        self.channel = grpc.insecure_channel("xds:///" + target)
        self.hello = self.channel.unary_unary(
            "/weft.test.Echo/Hello", request_serializer=lambda b: b,
            response_deserializer=lambda b: b)

    def call(self, md=()):
        try:
            reply = self.hello(b"\x0a\x01x", timeout=5, metadata=md)
        except self.grpc.RpcError as e:
            return None, "%s: %s" % (e.code().name, e.details())
        if len(reply) < 2 or reply[0] != 0x0A or reply[1] + 2 > len(reply):
            return None, "unreadable reply %r" % reply
        return reply[2:2 + reply[1]].decode(), None

    def first(self, timeout=20):
        """The first call waits for xDS to deliver the chain (bounded)."""
        deadline = time.time() + timeout
        backend, err = self.call()
        while backend is None and time.time() < deadline:
            time.sleep(0.1)
            backend, err = self.call()
        return backend, err

    def count(self, n, md=()):
        out, errors = {}, {}
        for _ in range(n):
            backend, err = self.call(md)
            if backend is None:
                errors[err] = errors.get(err, 0) + 1
            else:
                out[backend] = out.get(backend, 0) + 1
        return out, errors

    def close(self):
        self.channel.close()


def status(api):
    with urllib.request.urlopen("http://%s/v1/status" % api, timeout=10) as r:
        return json.loads(r.read().decode())


def streams_of(st):
    return (st.get("xds") or {}).get("proxies") or []


def type_states(stream):
    types = stream.get("types") or {}
    return {k: v for k, v in types.items() if isinstance(v, dict)}


def acked_everything(st):
    """(ok, detail): every stream ACKed all it was sent, no NACK."""
    streams = streams_of(st)
    if not streams:
        return False, "no xDS stream in /v1/status: %s" % json.dumps(st.get("xds"))[:2000]
    bad = []
    for s in streams:
        missing = {"lds", "rds", "cds", "eds"} - set(type_states(s))
        if missing:
            bad.append((s.get("node"), "never sent", sorted(missing)))
        for t, v in type_states(s).items():
            if v.get("nacks") or v.get("last_error") or \
                    v.get("version_acked") != v.get("version_sent"):
                bad.append((s.get("node"), t, v))
    return not bad, bad


def eds_versions(st):
    return sorted(str(type_states(s).get("eds", {}).get("version_acked"))
                  for s in streams_of(st))


def test_greeter(api):
    c = Echo("greeter")
    try:
        backend, err = c.first()
        check("python-grpcio: first call on xds:///greeter answered", backend, err)
        st = status(api)
        ok, bad = acked_everything(st)
        check("weftd: the python client ACKed LDS/RDS/CDS/EDS, no NACK", ok, bad)
        for name, md in (("exact x-canary: yes", (("x-canary", "yes"),)),
                         ("prefix x-track: beta-*", (("x-track", "beta-7"),)),
                         ("regex x-build: ^v[0-9]+$", (("x-build", "v42"),)),
                         ("present x-probe", (("x-probe", ""),))):
            got, errors = c.count(60, md)
            check("header routing (%s): all 60 calls to beta (v2)" % name,
                  got == {"beta": 60} and not errors, (got, errors))
        got, errors = c.count(60, (("x-canary", "no"), ("x-track", "alpha-1"),
                                   ("x-build", "v4x")))
        check("headers that do not match follow the split (alpha seen)",
              not errors and got.get("alpha", 0) > 20, (got, errors))
        got, errors = c.count(600)
        a, b = got.get("alpha", 0), got.get("beta", 0)
        print("python-grpcio 80/20 over 600 calls: alpha %d, beta %d" % (a, b))
        check("weighted split 80/20 within +-7 %% (alpha %d of 600)" % a,
              not errors and a + b == 600 and 438 <= a <= 522, (got, errors))
    finally:
        c.close()


def test_endpoint_change(api, policy_path, ports):
    c = Echo("pool")
    try:
        backend, err = c.first()
        check("python-grpcio: first call on xds:///pool answered", backend, err)
        seen = {}
        deadline = time.time() + 20
        while seen.get("gamma", 0) < 10 and time.time() < deadline:
            got, _ = c.count(30)
            for k, v in got.items():
                seen[k] = seen.get(k, 0) + v
        check("before the change gamma takes calls (%s)" % seen, seen.get("gamma", 0) >= 10,
              seen)
        before = eds_versions(status(api))
        write_policy(policy_path, ports, with_gamma=False)
        deadline = time.time() + 20
        after = before
        while after == before and time.time() < deadline:
            time.sleep(0.1)
            after = eds_versions(status(api))
        check("weftd pushed the endpoint change and the client ACKed it (%s -> %s)"
              % (before, after), after != before, after)
        got, errors = c.count(150)
        check("after the change gamma gets no call (%s)" % got,
              not errors and got.get("gamma", 0) == 0 and got.get("delta", 0) == 150,
              (got, errors))
        ok, bad = acked_everything(status(api))
        check("weftd: still no NACK after the change", ok, bad)
    finally:
        c.close()


def main():
    weftd, backend_js, node_modules = (os.path.abspath(a) for a in sys.argv[1:4])
    tmp = tempfile.mkdtemp(prefix="xds-python-")
    procs = []
    try:
        ports = {n: free_port() for n in ("alpha", "beta", "gamma", "delta")}
        for name, port in ports.items():
            log = open(os.path.join(tmp, "backend-%s.log" % name), "w")
            p = subprocess.Popen(["node", backend_js, node_modules, str(port), name],
                                 stdout=log, stderr=subprocess.STDOUT)
            procs.append(p)
            if not wait_port(port, p, 15):
                raise RuntimeError("backend %s did not start" % name)
        pol_dir = os.path.join(tmp, "policy")
        os.mkdir(pol_dir)
        policy_path = os.path.join(pol_dir, "mesh.yaml")
        write_policy(policy_path, ports, with_gamma=True)
        xds_port = free_port()
        ready = os.path.join(tmp, "ready")
        log_path = os.path.join(tmp, "weftd.log")
        wlog = open(log_path, "w")
        wd = subprocess.Popen([weftd, "--state", os.path.join(tmp, "state"), "--policy", pol_dir,
                               "--api", "127.0.0.1:0", "--ready-file", ready,
                               "--xds", "127.0.0.1:%d" % xds_port],
                              stdout=wlog, stderr=subprocess.STDOUT)
        procs.append(wd)
        deadline = time.time() + 20
        while not os.path.exists(ready) and time.time() < deadline and wd.poll() is None:
            time.sleep(0.05)
        if not os.path.exists(ready) or not wait_port(xds_port, wd, 10):
            raise RuntimeError("weftd did not start: " + open(log_path).read())
        api = open(ready).read().strip()
        boot = os.path.join(tmp, "bootstrap.json")
        with open(boot, "w") as f:
            json.dump({"xds_servers": [{"server_uri": "127.0.0.1:%d" % xds_port,
                                        "channel_creds": [{"type": "insecure"}],
                                        "server_features": ["xds_v3"]}],
                       "node": {"id": "python-client", "locality": {},
                                "metadata": {"role": "proxyless"}}}, f)
        os.environ["GRPC_XDS_BOOTSTRAP"] = boot
        test_greeter(api)
        test_endpoint_change(api, policy_path, ports)
        if not all(R):
            print("weftd log (tail):\n" + open(log_path).read()[-3000:])
    finally:
        for p in reversed(procs):
            stop(p)
        if os.environ.get("XDS_PYTHON_KEEP"):
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = R.count(False)
    print("%d passed, %d failed" % (len(R) - failed, failed))
    return 1 if failed or not R else 0


if __name__ == "__main__":
    sys.exit(main())
