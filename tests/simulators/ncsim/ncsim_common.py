"""Shared helpers for the ncsim tests: start/stop ncsim on free loopback
ports, talk to its control interface, and record PASS/FAIL results.

Every process a test starts is stopped by its pid (also on failure), every
wait is bounded. Run the tests with /usr/bin/python3 (Debian's ncclient).
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


class Results:
    def __init__(self):
        self.items = []

    def check(self, name, cond, detail=""):
        self.items.append((name, bool(cond)))
        print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:3000]),
              flush=True)
        return bool(cond)

    def summary(self):
        failed = sum(1 for _, ok in self.items if not ok)
        print("%d passed, %d failed" % (len(self.items) - failed, failed))
        return 1 if failed or not self.items else 0


def port_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port_range(n, tries=200):
    """A base port B such that B..B+n-1 are all free right now."""
    for _ in range(tries):
        base = random.randint(20000, 60000 - n)
        if all(port_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no free port range")


def wait_port(port, proc, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Ncsim:
    """One ncsim process. Use as a context manager: it is stopped by pid."""

    def __init__(self, binary, devices, extra=(), ssh=True, state_dir=None):
        self.tmp = tempfile.mkdtemp(prefix="ncsim-test-")
        self.devices = devices
        self.control_port = free_port_range(1)
        args = [binary, "--devices", str(devices), "--control",
                "127.0.0.1:%d" % self.control_port, "--auth-user", "admin:secret"]
        if ssh:
            self.base = free_port_range(devices + 1)
            if self.base <= self.control_port <= self.base + devices:
                self.control_port = self.base + devices
                args[4] = "127.0.0.1:%d" % self.control_port
            args += ["--ssh-base-port", str(self.base)]
        else:
            self.base = 0
            self.unix_dir = os.path.join(self.tmp, "sock")
            args += ["--unix-dir", self.unix_dir]
        if state_dir:
            args += ["--state-dir", state_dir]
        args += list(extra)
        self.log_path = os.path.join(self.tmp, "ncsim.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.control_port, self.proc, 15) or \
                (ssh and not wait_port(self.base + devices - 1, self.proc, 15)):
            self.stop()
            raise RuntimeError("ncsim did not start: " + self.read_log())

    def read_log(self):
        try:
            return open(self.log_path).read()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM, bounded wait, then SIGKILL. Returns the exit code."""
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        else:
            rc = self.proc.returncode
        self.log.close()
        return rc

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()

    # control interface
    def ctl(self, method, path, body=None):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.control_port, path),
                                     data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read().decode()
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def faults(self, dev, **kw):
        return self.ctl("POST", "/devices/%s/faults" % dev, kw)

    def counters(self, dev):
        return self.ctl("GET", "/devices/%d/counters" % dev)

    def rpc_log(self, dev, since=0):
        return self.ctl("GET", "/devices/%d/log?since=%d" % (dev, since))["entries"]

    def connect(self, dev, **kw):
        from ncclient import manager
        return manager.connect(host="127.0.0.1", port=self.base + dev, username="admin",
                               password="secret", hostkey_verify=False, allow_agent=False,
                               look_for_keys=False, timeout=10, **kw)
