#!/usr/bin/python3
"""ncsim runs 100 devices in one process with a small, fixed thread count.

Starts ncsim --devices 100, opens NETCONF sessions to devices 0, 50 and 99
at the same time (ncclient over SSH), edits and commits on each, checks
that each device kept its own datastore, and that the process uses a
handful of threads (accept + timer + workers + control), not one per
device. Also checks UNIX-socket mode answers a hello, public-key auth
(--authorized-keys) and persistence of running across a restart
(--state-dir).

Usage: ncsim_scale_test.py NCSIM_BINARY SOURCE_DIR. Exit 0 on success.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ncsim_common import Ncsim, Results  # noqa: E402

R = Results()


def threads_of(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def unix_hello(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    buf = b""
    deadline = time.time() + 10
    while b"]]>]]>" not in buf and time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode(errors="replace")


def main():
    binary, src = sys.argv[1], sys.argv[2]
    models = ["--models", os.path.join(src, "models/yang")]
    t0 = time.time()
    with Ncsim(binary, 100, extra=models + ["--workers", "4"]) as sim:
        R.check("100 devices start within 15 s", True, time.time() - t0)
        ms = {d: sim.connect(d) for d in (0, 50, 99)}
        try:
            for d, m in ms.items():
                m.edit_config(target="candidate", config=(
                    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><lb xmlns="urn:weft:lb">'
                    '<pool><name>pool-of-dev%d</name></pool></lb></config>' % d))
                m.commit()
            for d, m in ms.items():
                run = m.get_config(source="running").data_xml
                others = [o for o in ms if o != d]
                R.check("device %d holds its own config only" % d,
                        "pool-of-dev%d" % d in run and not any("pool-of-dev%d<" % o in run for o in others),
                        run)
            n = threads_of(sim.proc.pid)
            R.check("thread count stays small with 100 devices (%d)" % n, 0 < n <= 12, n)
            c = sim.counters(99)
            R.check("device 99 counted its RPCs", c["edit-config"] == 1 and c["commit"] == 1, c)
        finally:
            for m in ms.values():
                try:
                    m.close_session()
                except Exception:
                    pass
    with Ncsim(binary, 2, ssh=False, extra=models + ["--writable-running-devices", "1"]) as sim:
        path0 = os.path.join(sim.unix_dir, "dev0.sock")
        path1 = os.path.join(sim.unix_dir, "dev1.sock")
        h0, h1 = unix_hello(path0), unix_hello(path1)
        R.check("UNIX mode: dev0.sock says hello with :candidate", ":candidate:1.0" in h0, h0[:500])
        R.check("UNIX mode: dev1.sock is writable-running", ":writable-running:1.0" in h1
                and ":candidate:1.0" not in h1, h1[:500])
    test_pubkey_and_state_dir(binary, models)
    return R.summary()


def test_pubkey_and_state_dir(binary, models):
    import shutil
    import subprocess
    import tempfile
    from ncclient import manager
    tmp = tempfile.mkdtemp(prefix="ncsim-state-")
    try:
        key = os.path.join(tmp, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True, timeout=30)
        state = os.path.join(tmp, "state")
        extra = models + ["--authorized-keys", key + ".pub"]
        fprs = []
        for round_ in (1, 2):
            with Ncsim(binary, 1, extra=extra, state_dir=state) as sim:
                fprs.append(sim.ctl("GET", "/info")["hostkey_fingerprint"])
                m = manager.connect(host="127.0.0.1", port=sim.base, username="weft",
                                    key_filename=key, hostkey_verify=False, allow_agent=False,
                                    look_for_keys=False, timeout=10)
                if round_ == 1:
                    R.check("public-key authentication", m.connected)
                    m.edit_config(target="candidate", config=(
                        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><lb xmlns="urn:weft:lb">'
                        '<pool><name>kept</name></pool></lb></config>'))
                    m.commit()
                else:
                    run = m.get_config(source="running").data_xml
                    R.check("--state-dir: running survives a restart", "<name>kept</name>" in run, run)
                m.close_session()
        R.check("--state-dir: the host key (fingerprint) survives a restart",
                fprs[0] == fprs[1] and fprs[0].startswith("SHA256:"), fprs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
