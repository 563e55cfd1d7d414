#!/usr/bin/python3
"""weft-lb.yang against a real NETCONF server: yuma123's netconfd.

Starts netconfd with models/yang/weft-lb.yang (candidate target) on a
private UNIX socket, then talks NETCONF 1.0 to it through
netconf-subsystem over stdin/stdout (no sshd needed): edit-config of the
example instance into the candidate, commit, get-config of running shows
it, and an edit with a dangling leafref is refused on commit/validate.
This is what the netconf adapter's tests will run against, so it proves
the module loads and behaves in a server that is not ours.

Exit 0 on success, 1 on failure, 77 (CTest SKIP_RETURN_CODE) when
netconfd is not installed. Usage: netconfd_model_test.py SOURCE_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EOM = b"]]>]]>"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + detail[:2000]))


class Subsys:
    """netconf-subsystem driven over pipes, NETCONF 1.0 framing."""

    def __init__(self, sock):
        env = dict(os.environ)
        env["SSH_CONNECTION"] = "127.0.0.1 5555 127.0.0.1 830"
        env["USER"] = "root"
        self.p = subprocess.Popen(["/usr/sbin/netconf-subsystem",
                                   "--ncxserver-sockname=830@" + sock],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  env=env)
        self.buf = b""
        self.msgid = 0

    def read_msg(self, timeout=10.0):
        deadline = time.time() + timeout
        os.set_blocking(self.p.stdout.fileno(), False)
        while EOM not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no reply from netconfd")
            try:
                chunk = os.read(self.p.stdout.fileno(), 65536)
            except BlockingIOError:
                time.sleep(0.02)
                continue
            if not chunk:
                raise EOFError("netconf-subsystem closed")
            self.buf += chunk
        msg, self.buf = self.buf.split(EOM, 1)
        return msg.decode()

    def send(self, xml):
        self.p.stdin.write(xml.encode() + EOM)
        self.p.stdin.flush()

    def rpc(self, body):
        self.msgid += 1
        self.send('<rpc xmlns="%s" message-id="%d">%s</rpc>' % (NC, self.msgid, body))
        return self.read_msg()

    def close(self):
        try:
            self.rpc("<close-session/>")
        except Exception:
            pass
        self.p.kill()
        self.p.wait(5)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../..")
    if not shutil.which("netconfd") and not os.path.exists("/usr/sbin/netconfd"):
        print("SKIP: netconfd is not installed")
        return 77
    netconfd = shutil.which("netconfd") or "/usr/sbin/netconfd"
    model = os.path.join(src, "models/yang/weft-lb.yang")
    example = open(os.path.join(src, "models/yang/examples/weft-lb-example.xml")).read()
    tmp = tempfile.mkdtemp(prefix="weft-netconfd-")
    sock = os.path.join(tmp, "ncx.sock")
    with open(os.path.join(tmp, "startup.xml"), "w") as f:
        f.write('<config xmlns="%s"/>' % NC)
    log = open(os.path.join(tmp, "netconfd.log"), "w")
    srv = subprocess.Popen([netconfd, "--module=" + model, "--ncxserver-sockname=" + sock,
                            "--startup=" + os.path.join(tmp, "startup.xml"),
                            "--superuser=root", "--access-control=off",
                            "--target=candidate", "--log-level=info"],
                           stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    sub = None
    try:
        deadline = time.time() + 15
        while not os.path.exists(sock) and time.time() < deadline and srv.poll() is None:
            time.sleep(0.05)
        check("netconfd starts with weft-lb.yang", os.path.exists(sock),
              open(os.path.join(tmp, "netconfd.log")).read())
        if not os.path.exists(sock):
            return 1
        sub = Subsys(sock)
        hello = sub.read_msg()
        check("server hello lists weft-lb", "urn:weft:lb" in hello, hello)
        sub.send('<hello xmlns="%s"><capabilities><capability>'
                 'urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>' % NC)
        r = sub.rpc('<edit-config><target><candidate/></target><config>%s</config></edit-config>'
                    % example)
        check("edit-config of the example instance", "<ok/>" in r, r)
        r = sub.rpc("<commit/>")
        check("commit", "<ok/>" in r, r)
        r = sub.rpc('<get-config><source><running/></source><filter type="subtree">'
                    '<lb xmlns="urn:weft:lb"/></filter></get-config>')
        check("get-config shows the committed virtual-service",
              "<name>shop</name>" in r and "10.0.0.12" in r, r)
        bad = ('<lb xmlns="urn:weft:lb"><virtual-service><name>bad</name>'
               '<address>192.0.2.20</address><port>80</port><pool>missing</pool>'
               '</virtual-service></lb>')
        r = sub.rpc('<edit-config><target><candidate/></target><config>%s</config></edit-config>' % bad)
        if "<ok/>" in r:
            r = sub.rpc("<commit/>")
        check("dangling leafref is refused", "rpc-error" in r, r)
        sub.rpc("<discard-changes/>")
        r = sub.rpc('<get-config><source><running/></source></get-config>')
        check("running unchanged after refused change", "<name>bad</name>" not in r, r)
    except Exception as e:  # a failure, not a crash: report it
        check("conversation with netconfd", False, repr(e))
    finally:
        if sub:
            sub.close()
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait(5)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    failed = sum(1 for _, ok in results if not ok)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
