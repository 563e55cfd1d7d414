#!/usr/bin/python3
"""yanglint (libyang2-tools) accepts models/yang/weft-lb.yang and the bundled
IETF modules, accepts the example instance, and rejects broken instances
(dangling leafref, failed must, missing mandatory, bad type) with the
model's own error messages.

Usage: yanglint_model_test.py SOURCE_DIR. Exit 0 on success, 1 on failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ncsim_common import Results  # noqa: E402

R = Results()


def lint(args):
    p = subprocess.run(["yanglint"] + args, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    src = sys.argv[1]
    yang = os.path.join(src, "models/yang")
    ietf = os.path.join(yang, "ietf")
    model = os.path.join(yang, "weft-lb.yang")
    example = open(os.path.join(yang, "examples/weft-lb-example.xml")).read()
    rc, out = lint(["-p", ietf, model])
    R.check("yanglint accepts weft-lb.yang", rc == 0 and "err" not in out.lower(), out)
    for f in sorted(os.listdir(ietf)):
        rc, out = lint(["-p", ietf, os.path.join(ietf, f)])
        R.check("yanglint accepts bundled %s" % f, rc == 0, out)
    rc, out = lint(["-p", ietf, "-t", "config", model, os.path.join(yang, "examples/weft-lb-example.xml")])
    R.check("the example instance is valid", rc == 0, out)
    broken = {
        "dangling leafref virtual-service -> pool": (
            "<pool>web</pool>", "<pool>nope</pool>", "Invalid leafref value \"nope\""),
        "must: health-check timeout < interval": (
            "<timeout>2</timeout>", "<timeout>9</timeout>", "timeout must be shorter than its interval"),
        "must: https needs a tls-profile": (
            "<tls-profile>web-tls</tls-profile>\n", "", "an https virtual service needs a tls-profile"),
        "range: member weight 0..1000": (
            "<weight>90</weight>", "<weight>5000</weight>", "5000"),
        "type: inet:ip-address": (
            "<address>10.0.0.11</address>", "<address>10.0.0.999</address>", "10.0.0.999"),
    }
    tmp = tempfile.mkdtemp(prefix="weft-yanglint-")
    try:
        for name, (old, new, expect) in broken.items():
            path = os.path.join(tmp, "broken.xml")
            assert old in example, old
            with open(path, "w") as f:
                f.write(example.replace(old, new, 1))
            rc, out = lint(["-p", ietf, "-t", "config", model, path])
            R.check("yanglint rejects a broken instance (%s)" % name, rc != 0 and expect in out, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
