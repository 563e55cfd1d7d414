#!/usr/bin/env python3
"""Writes the binary seeds of fuzz/corpus/xds/ (protobuf, encoded by hand:
no protobuf library needed). The text seeds of the other targets are kept
as files. Run from anywhere: python3 fuzz/corpus/make_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
P = "type.googleapis.com/envoy."
URL = {"cds": P + "config.cluster.v3.Cluster", "eds": P + "config.endpoint.v3.ClusterLoadAssignment",
       "lds": P + "config.listener.v3.Listener", "rds": P + "config.route.v3.RouteConfiguration",
       "sds": P + "extensions.transport_sockets.tls.v3.Secret"}


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def node(id_="fuzz-1", ua="grpc-c"):
    return field(1, id_) + field(6, ua)


def status(msg):
    return varint(1 << 3) + varint(3) + field(2, msg)


def sotw(t, names=(), version="", nonce="", error=None, with_node=True):
    m = field(1, version) if version else b""
    m += field(2, node()) if with_node else b""
    m += b"".join(field(3, n) for n in names) + field(4, URL[t])
    m += field(5, nonce) if nonce else b""
    m += field(6, status(error)) if error else b""
    return m


def delta(t, sub=(), unsub=(), initial=(), nonce="", error=None, with_node=True):
    m = field(1, node()) if with_node else b""
    m += field(2, URL[t]) + b"".join(field(3, n) for n in sub)
    m += b"".join(field(4, n) for n in unsub)
    m += b"".join(field(5, field(1, k) + field(2, v)) for k, v in initial)
    m += field(6, nonce) if nonce else b""
    m += field(7, status(error)) if error else b""
    return m


def seed(name, flags, msgs):
    data = bytes([flags]) + b"".join(struct.pack("<H", len(m)) + m for m in msgs)
    with open(os.path.join(HERE, "xds", name), "wb") as f:
        f.write(data)


os.makedirs(os.path.join(HERE, "xds"), exist_ok=True)
seed("sotw-ack-nack", 2, [sotw("cds"), sotw("cds", version="v1", nonce="1"),
                          sotw("eds", ["a", "b"]), sotw("eds", ["a"], "v1", "2", "bad cla"),
                          sotw("lds", ["a"]), sotw("rds", ["a", "c"], "v1", "99")])
seed("sotw-all-types", 0, [sotw(t, ["a", "b", "c"]) for t in ("sds", "cds", "eds", "lds", "rds")]
     + [sotw("cds", version="v1", nonce="2", with_node=False)])
seed("delta-subscribe", 3, [delta("cds", ["*"]), delta("eds", ["a", "b"], initial=[("a", "x")]),
                            delta("eds", [], ["b"], nonce="2"), delta("cds", nonce="1", error="no"),
                            delta("lds", ["a"], ["a"])])
seed("delta-reconnect", 1, [delta("cds", initial=[("a", "1"), ("b", "2"), ("zz", "")]),
                            delta("rds", ["a", "a", ""], nonce="7")])
seed("garbage", 0, [b"\xff\xff\xff", sotw("cds")[:5], b""])
