#!/usr/bin/env python3
"""Load generator of the haproxy tests and benchmark: sends GET requests
to URL from C threads-worth of workers (a new connection per request, so
every request is balanced anew) and prints one JSON object: responses per
backend (the X-Backend header), per status, failures (no HTTP answer) and
latencies. Usage:
  loadgen.py URL --count N [--concurrency C] [--header K:V]...
  loadgen.py URL --until FILE ...   (runs until FILE exists, bounded 120 s)
With --events FILE, each response's (ms since start, backend) is written
there, one per line, for the benchmark's change -> traffic follows."""
import argparse
import http.client
import json
import os
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--until")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--events")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    headers = {"Host": "shop.example.com"}
    headers.update(dict(h.split(":", 1) for h in a.header))
    lock = threading.Lock()
    res = {"backends": {}, "status": {}, "failures": 0, "errors": [], "sent": 0}
    lat = []
    events = []
    t0 = time.monotonic()
    deadline = t0 + 120
    left = [a.count]

    def take():
        with lock:
            if a.until:
                return not os.path.exists(a.until) and time.monotonic() < deadline
            if left[0] <= 0:
                return False
            left[0] -= 1
            return True

    def worker():
        while take():
            s = time.monotonic()
            try:
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
                c.request("GET", u.path or "/", headers=headers)
                r = c.getresponse()
                r.read()
                be = r.getheader("X-Backend") or "-"
                c.close()
                with lock:
                    res["sent"] += 1
                    res["status"][str(r.status)] = res["status"].get(str(r.status), 0) + 1
                    if r.status == 200:
                        res["backends"][be] = res["backends"].get(be, 0) + 1
                    lat.append(time.monotonic() - s)
                    events.append((int((time.monotonic() - t0) * 1000), be))
            except Exception as e:  # no HTTP answer: a lost request
                with lock:
                    res["sent"] += 1
                    res["failures"] += 1
                    if len(res["errors"]) < 5:
                        res["errors"].append(repr(e))

    ts = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()
    if lat:
        res["p50_ms"] = round(lat[len(lat) // 2] * 1000, 2)
        res["p99_ms"] = round(lat[int(len(lat) * 0.99)] * 1000, 2)
    if a.events:
        with open(a.events, "w") as f:
            for ms, be in events:
                f.write("%d %s\n" % (ms, be))
    print(json.dumps(res))


main()
