#!/usr/bin/python3
"""The same pushes as weft's netconf adapter, sent by ncclient (a real
Python NETCONF client), for bench_ncdev's throughput ratio.

Usage: ncclient_push.py PORT USER KEYFILE EDITS_DIR N
EDITS_DIR holds edit0.xml, edit1.xml (the <config> weft sent, alternately
applied). Each push is the sequence weft runs on a candidate device:
get-config (filtered to weft-lb), lock candidate, discard-changes,
edit-config, commit confirmed (persist), confirming commit, unlock (no
<validate>: weft skips it on yuma123, whose next commit it turns into a
no-op). Prints "ncclient: N pushes in S s". Run with /usr/bin/python3.
"""
import sys
import time

from ncclient import manager


def main():
    port, user, key, edits, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    xml = [open("%s/edit%d.xml" % (edits, i)).read() for i in range(2)]
    m = manager.connect(host="127.0.0.1", port=int(port), username=user, key_filename=key,
                        hostkey_verify=False, allow_agent=False, look_for_keys=False,
                        timeout=30)
    flt = ("subtree", '<lb xmlns="urn:weft:lb"/>')
    t0 = time.monotonic()
    for i in range(n):
        m.get_config(source="running", filter=flt)
        m.lock(target="candidate")
        m.discard_changes()
        m.edit_config(target="candidate", config=xml[i % 2])
        m.commit(confirmed=True, timeout="60", persist="bench%d" % i)
        m.commit(persist_id="bench%d" % i)
        m.unlock(target="candidate")
    dt = time.monotonic() - t0
    m.close_session()
    print("ncclient: %d pushes in %.3f s" % (n, dt))


if __name__ == "__main__":
    sys.exit(main())
