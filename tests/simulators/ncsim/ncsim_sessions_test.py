#!/usr/bin/python3
"""ncsim keeps every session on the device it connected to.

Linux gives one ephemeral source port to a client's connections to
different destination ports (only the 4-tuple must be unique), so a client
holding sessions to many devices has sockets that share a peer address.
ncsim names the device of a new SSH session from its socket, so these
checks force the case: sessions to devices 1, 2 and 3 opened from ONE
client source port (SO_REUSEADDR sockets bound to the same port), each
locks its candidate (a session bound to the wrong device gets
lock-denied), edits and commits a pool named after its device; every
device must then hold its own pool only. Then 20 devices are driven at
once from 20 threads (lock, edit, commit, unlock), as weft's device
workers do, with the same check.

Usage: ncsim_sessions_test.py NCSIM_BINARY SOURCE_DIR. Exit 0 on success.
"""
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ncsim_common import Ncsim, Results  # noqa: E402

R = Results()


def config_of(d):
    return ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><lb xmlns="urn:weft:lb">'
            '<pool><name>pool-of-dev%d</name></pool></lb></config>' % d)


def sock_from(port, dest):
    """A TCP socket from 127.0.0.1:port (shared with others) to dest."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.settimeout(10)
    s.connect(("127.0.0.1", dest))
    return s


def push(m, d):
    """lock, edit, commit, unlock of device d's own pool; None or the error."""
    try:
        with m.locked(target="candidate"):
            m.edit_config(target="candidate", config=config_of(d))
            m.commit()
        return None
    except Exception as e:  # an RPCError names the tag (lock-denied, ...)
        return "%s: %s" % (type(e).__name__, e)


def own_pool_only(sim, d, devices):
    run = sim.ctl("GET", "/devices/%d/datastore/running" % d)
    run = run if isinstance(run, str) else str(run)
    foreign = [o for o in devices if o != d and "pool-of-dev%d<" % o in run]
    return "pool-of-dev%d<" % d in run and not foreign, run


def close_all(ms):
    for m in ms:
        try:
            m.close_session()
        except Exception:
            pass


def test_shared_source_port(sim):
    devs = (1, 2, 3)
    ms = []
    try:
        # a free port for the client side, then one socket per device from it
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        for d in devs:
            ms.append(sim.connect(d, sock=sock_from(port, sim.base + d)))
        R.check("three sessions from one source port are up",
                all(m.connected for m in ms))
        # every lock held at once: two sessions on one device cannot both
        errs = {}
        for d, m in zip(devs, ms):
            try:
                m.lock(target="candidate")
            except Exception as e:
                errs[d] = "%s: %s" % (type(e).__name__, e)
        R.check("each session locks its own candidate (no lock-denied)", not errs, errs)
        for d, m in zip(devs, ms):
            try:
                m.edit_config(target="candidate", config=config_of(d))
                m.commit()
                m.unlock(target="candidate")
            except Exception as e:
                errs[d] = "%s: %s" % (type(e).__name__, e)
        R.check("each session commits its own device", not errs, errs)
        for d in devs:
            ok, run = own_pool_only(sim, d, devs)
            R.check("device %d holds its own pool only" % d, ok, run)
        ok, run = own_pool_only(sim, 0, devs)
        R.check("device 0 (no session) holds none of them", "pool-of-dev" not in run, run)
    finally:
        close_all(ms)


def test_concurrent_devices(sim, n):
    devs = list(range(n))
    ms, errs = {}, {}

    def worker(d):
        try:
            ms[d] = sim.connect(d)
            errs[d] = push(ms[d], d)
        except Exception as e:
            errs[d] = "connect: %s" % e

    threads = [threading.Thread(target=worker, args=(d,)) for d in devs]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        R.check("%d concurrent sessions finished" % n, not any(t.is_alive() for t in threads))
        bad = {d: e for d, e in errs.items() if e}
        R.check("%d devices pushed concurrently without an error" % n,
                len(errs) == n and not bad, bad)
        wrong = []
        for d in devs:
            ok, run = own_pool_only(sim, d, devs)
            if not ok:
                wrong.append((d, run[:300]))
        R.check("each of %d devices holds its own pool only" % n, not wrong, wrong)
    finally:
        close_all(ms.values())


def main():
    binary, src = sys.argv[1], sys.argv[2]
    models = ["--models", os.path.join(src, "models/yang"), "--workers", "4"]
    with Ncsim(binary, 4, extra=models) as sim:
        test_shared_source_port(sim)
    with Ncsim(binary, 20, extra=models) as sim:
        test_concurrent_devices(sim, 20)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
