#!/usr/bin/python3
"""ncsim conformance, driven by a real NETCONF client (ncclient) over SSH.

Starts one ncsim with 3 devices (0 and 1: candidate profile, 2:
writable-running) on free loopback ports and checks the behaviour the netconf
adapter relies on: capabilities, edit-config + commit, filters, error tags
(data-exists, data-missing, invalid-value with error-path, unknown-namespace
with bad-element/bad-namespace), discard-changes,
validate failures from must/leafref, lock-denied with the holder's session
id, kill-session releasing locks, confirmed commit (timeout rollback,
confirming commit, persist/persist-id, cancel-commit), the writable-running
device with rollback-on-error, get-schema, the fault knobs and the RPC
counters/log of the control interface.

Usage: ncsim_conformance_test.py NCSIM_BINARY SOURCE_DIR
Exit 0 when every check passes, 1 otherwise.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ncsim_common import Ncsim, Results  # noqa: E402

from ncclient.operations.rpc import RPCError  # noqa: E402
from ncclient.xml_ import to_ele  # noqa: E402

NS = 'xmlns="urn:weft:lb"'
R = Results()


def cfg(body):
    return '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">%s</config>' % body


def pool(name, members=(), op=None, hc=None):
    attr = ' xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="%s"' % op if op else ""
    m = "".join("<member><address>%s</address><port>%d</port></member>" % a for a in members)
    h = "<health-check>%s</health-check>" % hc if hc else ""
    return "<pool%s><name>%s</name>%s%s</pool>" % (attr, name, h, m)


def lb(*items):
    return "<lb %s>%s</lb>" % (NS, "".join(items))


def vs(name, pool_name, port=80, proto="http"):
    return ("<virtual-service><name>%s</name><address>192.0.2.1</address><port>%d</port>"
            "<protocol>%s</protocol><pool>%s</pool></virtual-service>" % (name, port, proto, pool_name))


def rpc_error(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except RPCError as e:
        return e
    return None


def running_xml(m):
    return m.get_config(source="running").data_xml


def test_capabilities(sim):
    with sim.connect(0) as m:
        caps = list(m.server_capabilities)
    R.check("candidate device advertises :candidate, :confirmed-commit:1.1, :validate:1.1, "
            ":rollback-on-error and not :writable-running",
            "urn:ietf:params:netconf:capability:candidate:1.0" in caps
            and "urn:ietf:params:netconf:capability:confirmed-commit:1.1" in caps
            and "urn:ietf:params:netconf:capability:validate:1.1" in caps
            and "urn:ietf:params:netconf:capability:rollback-on-error:1.0" in caps
            and not any("writable-running" in c for c in caps), caps)
    # YANG 1.1 modules are listed in the YANG library, not in the hello (RFC 7950 5.6.4)
    R.check("hello carries the yang-library capability (weft-lb is YANG 1.1)",
            any(c.startswith("urn:ietf:params:netconf:capability:yang-library:1.1") for c in caps)
            and not any("url" in c.split("features=")[-1].split(",") for c in caps if "features=" in c),
            caps)
    with sim.connect(2) as m:
        caps2 = list(m.server_capabilities)
    R.check("writable-running device advertises :writable-running and not :candidate",
            "urn:ietf:params:netconf:capability:writable-running:1.0" in caps2
            and not any(":candidate:" in c or "confirmed-commit" in c for c in caps2), caps2)


def test_edit_commit(sim, example):
    sim.ctl("DELETE", "/devices/0/log")
    with sim.connect(0) as m:
        m.edit_config(target="candidate", config=cfg(example))
        before = running_xml(m)
        m.commit()
        after = running_xml(m)
        R.check("edit-config alone does not touch running", "shop" not in before, before)
        R.check("commit makes the edit visible in get-config running",
                "<name>shop</name>" in after and "10.0.0.12" in after, after)
        r = m.get_config(source="running", filter=(
            "subtree", '<lb %s><pool><name>web</name><member/></pool></lb>' % NS)).data_xml
        R.check("subtree filter with a content match returns only that pool's members",
                "10.0.0.11" in r and "<virtual-service" not in r and "<rate-limit" not in r, r)
        r = m.get_config(source="running", filter=("xpath", ({"wlb": "urn:weft:lb"}, "/wlb:lb/wlb:virtual-service/wlb:port"))).data_xml
        R.check("xpath filter with the module prefix", "<port>443</port>" in r and "<pool>" not in r, r)
        r = m.get_config(source="running", filter=(
            "subtree", '<lb %s><pool><name>nope</name></pool></lb>' % NS)).data_xml
        R.check("subtree filter matching nothing returns empty data", "<pool" not in r, r)
    c = sim.counters(0)
    R.check("counters: 1 edit-config, 1 commit, 5 get-config",
            c["edit-config"] == 1 and c["commit"] == 1 and c["get-config"] == 5, c)
    log = sim.rpc_log(0)
    edits = [e for e in log if e["op"] == "edit-config"]
    R.check("RPC log holds the exact edit-config",
            len(edits) == 1 and "<name>shop</name>" in edits[0]["xml"] and "<candidate/>" in edits[0]["xml"],
            log)


def test_error_tags(sim):
    with sim.connect(0) as m:
        e = rpc_error(m.edit_config, target="candidate",
                      config=cfg(lb(pool("web", op="create"))))
        R.check("create of an existing pool -> data-exists with error-path",
                e is not None and e.tag == "data-exists" and e.path
                and "pool[name='web']" in e.path, e and e.to_dict())
        e = rpc_error(m.edit_config, target="candidate",
                      config=cfg(lb(pool("ghost", op="delete"))))
        R.check("delete of a missing pool -> data-missing with error-path",
                e is not None and e.tag == "data-missing" and "pool[name='ghost']" in (e.path or ""),
                e and e.to_dict())
        r = m.edit_config(target="candidate", config=cfg(lb(pool("ghost", op="remove"))))
        R.check("remove of a missing pool is ok", r.ok, r)
        e = rpc_error(m.edit_config, target="candidate",
                      config=cfg(lb(pool("web", members=[("10.0.0.1", 70000)]))))
        R.check("port 70000 -> invalid-value with error-path",
                e is not None and e.tag == "invalid-value" and "port" in (e.path or ""),
                e and e.to_dict())
        e = rpc_error(m.edit_config, target="candidate",
                      config=cfg('<lb %s><bogus>1</bogus></lb>' % NS))
        R.check("unknown element is refused", e is not None and e.tag == "unknown-element",
                e and e.to_dict())
        for where, body, elem, ns in (
                ("top-level", '<gadget xmlns="urn:example:none"><a>1</a></gadget>',
                 "gadget", "urn:example:none"),
                ("nested", '<lb %s><pool xmlns="urn:example:other"><name>x</name></pool></lb>' % NS,
                 "pool", "urn:example:other")):
            for op, fn, kw in (("edit-config", m.edit_config, {"target": "candidate"}),
                               ("copy-config", m.copy_config, {"target": "candidate"}),
                               ("validate", m.validate, {})):
                if op == "edit-config":
                    arg = {"config": cfg(body)}
                elif op == "copy-config":
                    arg = {"source": to_ele('<source xmlns="urn:ietf:params:xml:ns:netconf:'
                                            'base:1.0">%s</source>' % cfg(body))}
                else:
                    arg = {"source": to_ele(cfg(body))}
                e = rpc_error(fn, **kw, **arg)
                info = e.info if e is not None else ""
                R.check("%s: %s element of an unknown namespace -> unknown-namespace "
                        "(RFC 6241 appendix A) with bad-element, bad-namespace" % (op, where),
                        e is not None and e.tag == "unknown-namespace"
                        and e.type in ("application", "protocol")
                        and "<bad-element>%s</bad-element>" % elem in (info or "")
                        and "<bad-namespace>%s</bad-namespace>" % ns in (info or ""),
                        e and e.to_dict())
        m.discard_changes()


def test_discard_and_validate(sim):
    with sim.connect(0) as m:
        m.edit_config(target="candidate", config=cfg(lb(vs("dangling", "missing-pool"))))
        cand = m.get_config(source="candidate").data_xml
        R.check("candidate holds an uncommitted edit", "dangling" in cand, cand)
        e = rpc_error(m.validate, source="candidate")
        R.check("validate fails on a dangling leafref: data-missing / instance-required",
                e is not None and e.tag == "data-missing" and e.app_tag == "instance-required"
                and "virtual-service[name='dangling']/pool" in (e.path or ""), e and e.to_dict())
        e = rpc_error(m.commit)
        R.check("commit of an invalid candidate fails", e is not None, e)
        m.discard_changes()
        cand = m.get_config(source="candidate").data_xml
        R.check("discard-changes resets the candidate to running",
                "dangling" not in cand and "shop" in cand, cand)
        m.edit_config(target="candidate", config=cfg(
            lb('<health-check><name>slow</name><interval>5</interval><timeout>9</timeout></health-check>')))
        e = rpc_error(m.validate, source="candidate")
        R.check("validate fails on a must: operation-failed, app-tag and message from the model",
                e is not None and e.tag == "operation-failed" and e.app_tag == "timeout-too-long"
                and "shorter than its interval" in (e.message or ""), e and e.to_dict())
        m.discard_changes()
        R.check("validate of a good candidate is ok", m.validate(source="candidate").ok)


def test_locks(sim):
    a = sim.connect(1)
    b = sim.connect(1)
    try:
        a.lock("candidate")
        e = rpc_error(b.lock, "candidate")
        R.check("lock-denied carries the holder's session-id",
                e is not None and e.tag == "lock-denied"
                and re.search(r"session-id>%s<" % a.session_id, e.info or ""),
                e and e.to_dict())
        e = rpc_error(b.edit_config, target="candidate", config=cfg(lb(pool("p1"))))
        R.check("edit-config of a candidate locked by another session -> in-use",
                e is not None and e.tag == "in-use", e and e.to_dict())
        r = b.kill_session(a.session_id)
        R.check("kill-session of the lock holder", r.ok, r)
        time.sleep(0.3)
        R.check("the killed session's lock is released", b.lock("candidate").ok)
        b.unlock("candidate")
        e = rpc_error(b.kill_session, b.session_id)
        R.check("kill-session of itself -> invalid-value", e is not None and e.tag == "invalid-value",
                e and e.to_dict())
    finally:
        for m in (a, b):
            try:
                m.close_session()
            except Exception:
                pass
    dev = sim.ctl("GET", "/devices/1")
    R.check("no session and no lock left on device 1",
            dev["locks"]["candidate"] == 0, dev)


def test_confirmed_commit(sim):
    change = cfg(lb(pool("cc-pool", members=[("10.1.0.1", 80)])))
    with sim.connect(1) as m:
        m.edit_config(target="candidate", config=change)
        m.commit(confirmed=True, timeout="2")
        R.check("confirmed commit applies at once", "cc-pool" in running_xml(m))
        time.sleep(3.2)
        run = running_xml(m)
        R.check("unconfirmed commit is rolled back after its 2 s timeout", "cc-pool" not in run, run)
        R.check("the candidate is reset too after the rollback",
                "cc-pool" not in m.get_config(source="candidate").data_xml)
        m.edit_config(target="candidate", config=change)
        m.commit(confirmed=True, timeout="2")
        m.commit()
        time.sleep(2.5)
        R.check("a confirming commit keeps the change", "cc-pool" in running_xml(m))
        m.edit_config(target="candidate", config=cfg(lb(pool("cc-pool", op="delete"))))
        m.commit(confirmed=True, timeout="30", persist="tok-1")
    with sim.connect(1) as m2:
        R.check("persistent confirmed commit survives its session", "cc-pool" not in running_xml(m2))
        e = rpc_error(m2.commit, persist_id="wrong")
        R.check("confirming with a wrong persist-id -> invalid-value",
                e is not None and e.tag == "invalid-value", e and e.to_dict())
        m2.cancel_commit(persist_id="tok-1")
        R.check("cancel-commit with the persist-id rolls back", "cc-pool" in running_xml(m2))
        e = rpc_error(m2.cancel_commit)
        R.check("cancel-commit without a pending commit fails", e is not None, e)


def test_merge_changes_a_leaf(sim):
    """A merge that changes a leaf's value changes it in place (one leaf),
    it does not add a second instance."""
    member = "<member><address>10.9.0.1</address><port>80</port><weight>%d</weight></member>"
    with sim.connect(0) as m:
        m.edit_config(target="candidate", config=cfg(lb("<pool><name>wpool</name>%s</pool>" % (member % 10))))
        m.commit()
        m.edit_config(target="candidate", config=cfg(lb("<pool><name>wpool</name>%s</pool>" % (member % 20))))
        R.check("validate after a merge that changed a leaf's value is ok",
                m.validate(source="candidate").ok)
        m.commit()
        r = m.get_config(source="running", filter=(
            "subtree", '<lb %s><pool><name>wpool</name></pool></lb>' % NS)).data_xml
        R.check("the merged leaf has its new value, once",
                r.count("<weight>") == 1 and "<weight>20</weight>" in r, r)
        e = rpc_error(m.edit_config, target="candidate", config=cfg(lb(
            '<pool><name>wpool</name><member><address>10.9.0.1</address><port>80</port>'
            '<weight xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="create">30</weight>'
            '</member></pool>')))
        R.check("create of an existing leaf with another value -> data-exists",
                e is not None and e.tag == "data-exists", e)
        m.discard_changes()
        m.edit_config(target="candidate", config=cfg(lb('<pool %s nc:operation="delete"><name>wpool</name></pool>'
                                                        % 'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"')))
        m.commit()


def test_writable_running(sim):
    with sim.connect(2) as m:
        m.edit_config(target="running", config=cfg(lb(pool("wr", members=[("10.2.0.1", 80)]))))
        R.check("writable-running device: edit-config on running applies", "10.2.0.1" in running_xml(m))
        e = rpc_error(m.edit_config, target="candidate", config=cfg(lb(pool("x"))))
        R.check("writable-running device refuses the candidate: operation-not-supported",
                e is not None and e.tag == "operation-not-supported", e and e.to_dict())
        # ncclient itself refuses <commit> without :candidate; send it raw
        e = rpc_error(m.dispatch, to_ele('<commit xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>'))
        R.check("writable-running device refuses commit: operation-not-supported",
                e is not None and e.tag == "operation-not-supported", e)
        e = rpc_error(m.edit_config, target="running", error_option="rollback-on-error",
                      config=cfg(lb(pool("wr2"), pool("wr", op="create"))))
        run = running_xml(m)
        R.check("rollback-on-error: a failing edit leaves nothing behind",
                e is not None and e.tag == "data-exists" and "wr2" not in run, (e, run))
        e = rpc_error(m.edit_config, target="running", config=cfg(lb(vs("bad", "nope"))))
        R.check("an edit that would make running invalid is refused",
                e is not None and "bad" not in running_xml(m), e)


def test_get_schema(sim):
    with sim.connect(0) as m:
        text = m.get_schema("weft-lb").data
        R.check("get-schema returns the YANG text", text and "module weft-lb" in text
                and "namespace \"urn:weft:lb\"" in text, (text or "")[:300])
        e = rpc_error(m.get_schema, "no-such-module")
        R.check("get-schema of an unknown module -> invalid-value",
                e is not None and e.tag == "invalid-value", e)


def test_faults(sim):
    m = sim.connect(0)
    if True:
        sim.faults(0, reject_next_commit=True)
        m.edit_config(target="candidate", config=cfg(lb(pool("f1"))))
        e = rpc_error(m.commit)
        R.check("fault reject_next_commit: the commit fails", e is not None and e.tag == "operation-failed", e)
        R.check("reject_next_commit is one-shot", m.commit().ok)
        sim.faults(0, fail_validation=True)
        e = rpc_error(m.validate, source="candidate")
        R.check("fault fail_validation: validate fails", e is not None and "fault" in (e.message or ""), e)
        sim.faults(0, fail_validation=False)
        sim.faults(0, latency_ms=400)
        t0 = time.time()
        m.get_config(source="running")
        dt = time.time() - t0
        sim.faults(0, latency_ms=0)
        R.check("fault latency_ms=400 delays the reply", dt >= 0.38, dt)
        sim.faults(0, drop_next_rpc=True)
        R.check("fault drop_next_rpc drops the session", session_dropped(m))
    m = sim.connect(0)
    R.check("a new session works after the drop", "f1" in running_xml(m))
    sim.ctl("POST", "/devices/0/drop-sessions")
    time.sleep(0.5)
    R.check("drop-sessions closes open sessions", session_dropped(m))


def session_dropped(m):
    """True when the session is gone: the next RPC fails at the transport."""
    try:
        m.get_config(source="running")
    except RPCError:
        return False
    except Exception:
        return True
    finally:
        try:
            m.close_session()
        except Exception:
            pass
    return not m.connected


def test_control_datastore(sim):
    xml = sim.ctl("GET", "/devices/0/datastore/running")
    R.check("control: datastore/running returns XML", "<name>shop</name>" in xml, xml[:300])
    body = '<lb xmlns="urn:weft:lb"><pool><name>oob</name></pool></lb>'.encode()
    sim.ctl("PUT", "/devices/1/datastore/running", body)
    with sim.connect(1) as m:
        R.check("control: PUT running is an out-of-band change seen by get-config",
                "<name>oob</name>" in running_xml(m))
    info = sim.ctl("GET", "/info")
    R.check("control: /info gives the host key fingerprint",
            info["hostkey_fingerprint"].startswith("SHA256:") and info["devices"] == 3, info)


def main():
    binary = sys.argv[1]
    src = sys.argv[2]
    example_xml = open(os.path.join(src, "models/yang/examples/weft-lb-example.xml")).read()
    with Ncsim(binary, 3, extra=["--writable-running-devices", "2",
                                 "--models", os.path.join(src, "models/yang")]) as sim:
        tests = [lambda: test_capabilities(sim), lambda: test_edit_commit(sim, example_xml),
                 lambda: test_error_tags(sim), lambda: test_discard_and_validate(sim),
                 lambda: test_locks(sim), lambda: test_confirmed_commit(sim),
                 lambda: test_merge_changes_a_leaf(sim),
                 lambda: test_writable_running(sim), lambda: test_get_schema(sim),
                 lambda: test_faults(sim), lambda: test_control_datastore(sim)]
        for t in tests:
            try:
                t()
            except Exception as e:  # a failure, reported with its cause
                import traceback
                traceback.print_exc()
                R.check("no unexpected exception", False, repr(e))
        rc = sim.stop()
        R.check("ncsim exits 0 on SIGTERM", rc == 0, "rc=%s log:\n%s" % (rc, sim.read_log()))
        if R.summary():
            print("---- ncsim log ----\n" + sim.read_log()[-4000:])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
