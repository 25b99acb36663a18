#!/usr/bin/env python3
"""Capture raw VICI frames from a running charon for the VICITests fixtures.

Usage: capture_frames.py /path/to/charon.vici OUTDIR

Each *.frame file holds one frame exactly as received from the socket: the 4-byte big-endian length prefix
followed by the packet. list-sas-stream.bin holds everything received between EVENT_CONFIRM and the
EVENT_UNREGISTER (all list-sa EVENT frames and the final CMD_RESPONSE), concatenated.

For each frame, a *.oracle.txt file holds an independent rendering made with strongSwan's own Python
client (PyPI `vici`, vici.protocol.Message.deserialize) in the `swanctl --raw` style: one line per
message, `key=value`, `name {...}`, `list=[a b]`, values with any byte outside 0x20..0x7e as 0x-hex.
"""
import os
import socket
import struct
import sys

from vici.protocol import Message, Packet


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def recv_frame(s):
    prefix = recv_exact(s, 4)
    (length,) = struct.unpack("!I", prefix)
    return prefix + recv_exact(s, length)


def named(op, name, body=b""):
    n = name.encode()
    payload = bytes([op, len(n)]) + n + body
    return struct.pack("!I", len(payload)) + payload


def kv(key, value):
    k, v = key.encode(), value.encode()
    return bytes([3, len(k)]) + k + struct.pack("!H", len(v)) + v


def exchange(path, command, event=None, body=b""):
    """All frames received for one (streamed) command, in order."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    received = []
    if event:
        s.sendall(named(Packet.EVENT_REGISTER, event))
        received.append(recv_frame(s))
    s.sendall(named(Packet.CMD_REQUEST, command, body))
    while True:
        frame = recv_frame(s)
        received.append(frame)
        if frame[4] != Packet.EVENT:
            break
    if event:
        s.sendall(named(Packet.EVENT_UNREGISTER, event))
        received.append(recv_frame(s))
    s.close()
    return received


def value(b):
    return b.decode("ascii") if all(0x20 <= c <= 0x7E for c in b) else "0x" + b.hex()


def render(d):
    parts = []
    for k, v in d.items():
        if isinstance(v, dict):
            parts.append("%s {%s}" % (k, render(v)))
        elif isinstance(v, list):
            parts.append("%s=[%s]" % (k, " ".join(value(x) for x in v)))
        else:
            parts.append("%s=%s" % (k, value(v)))
    return " ".join(parts)


def oracle(frame):
    parsed = Packet.parse(frame[4:])
    return "{" + render(Message.deserialize(parsed.payload)) + "}\n"


def main():
    path, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)

    def save(name, frame):
        with open(os.path.join(out, name + ".frame"), "wb") as fh:
            fh.write(frame)
        with open(os.path.join(out, name + ".oracle.txt"), "w") as fh:
            fh.write(oracle(frame))

    def response(frames):
        return [f for f in frames if f[4] == Packet.CMD_RESPONSE][0]

    def events(frames):
        return [f for f in frames if f[4] == Packet.EVENT]

    def section_named(frame, name):
        # EVENT, len("list-xx"), name, then SECTION_START with the IKE/connection name
        offset = 4 + 2 + frame[5]
        return frame[offset] == 1 and frame[offset + 2:offset + 2 + frame[offset + 1]] == name.encode()

    save("version-response", response(exchange(path, "version")))
    save("stats-response", response(exchange(path, "stats")))
    save("get-counters-response", response(exchange(path, "get-counters")))
    save("get-counters-all-response", response(exchange(path, "get-counters", body=kv("all", "yes"))))
    save("get-pools-leases-response", response(exchange(path, "get-pools", body=kv("leases", "yes"))))
    save("get-algorithms-response", response(exchange(path, "get-algorithms")))
    frames = exchange(path, "list-sas", "list-sa")
    with open(os.path.join(out, "list-sas-stream.bin"), "wb") as fh:
        fh.write(b"".join(frames[1:-1]))
    save("list-sa-event-site", [f for f in events(frames) if section_named(f, "site-0001")][0])
    save("list-sa-event-rw", [f for f in events(frames) if section_named(f, "rw")][0])
    frames = exchange(path, "list-conns", "list-conn")
    save("list-conn-event-site", [f for f in events(frames) if section_named(f, "site-0001")][0])
    save("list-conn-event-rw", [f for f in events(frames) if section_named(f, "rw")][0])
    save("list-cert-event", events(exchange(path, "list-certs", "list-cert"))[0])
    save("list-policy-event", events(exchange(path, "list-policies", "list-policy", body=kv("trap", "yes")))[0])


if __name__ == "__main__":
    main()
