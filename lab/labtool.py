#!/usr/bin/env python3
"""Helpers for lab.sh that are easier in Python: counting SAs over VICI,
waiting for tunnels, and sending UDP through a tunnel between the lab's
network namespaces.

  labtool.py counts URI                         JSON summary of SAs and leases
  labtool.py wait URI --sites N --rw M [--timeout S]
  labtool.py traffic --gw-ns NS --peer-ns NS --port P --bytes B --count C SRC DST
  labtool.py traffic-all --gw-ns NS --peer-ns NS --port P --bytes B PAIRS_FILE

Traffic never leaves the lab: the sending socket lives in the gw namespace,
the receiving socket in the peer namespace (sockets stay in the namespace in
which they were created, so one process can own both).
"""

import argparse
import ctypes
import json
import os
import re
import socket
import sys
import time

import vici

SITE_RE = re.compile(r"^site-(\d+)$")
CLONE_NEWNET = 0x40000000


def session(uri, timeout=10.0):
    if not uri.startswith("unix://"):
        raise SystemExit("only unix:// URIs are supported: %s" % uri)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(uri[len("unix://"):])
    return vici.Session(s)


def text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def counts(uri):
    """Summarise list-sas and get-pools of one daemon."""
    sess = session(uri)
    c = {"ike_sas": 0, "ike_established": 0, "child_sas": 0, "child_installed": 0,
         "sites_up": 0, "rw_up": 0, "leases_online": 0, "leases_offline": 0}
    sites = set()
    for event in sess.list_sas():
        for ike_name, ike in event.items():
            c["ike_sas"] += 1
            established = text(ike.get("state", b"")) == "ESTABLISHED"
            if established:
                c["ike_established"] += 1
            for child in ike.get("child-sas", {}).values():
                c["child_sas"] += 1
                if text(child.get("state", b"")) != "INSTALLED":
                    continue
                c["child_installed"] += 1
                if not established:
                    continue
                if SITE_RE.match(ike_name):
                    sites.add(ike_name)
                elif ike_name == "rw" or ike_name.startswith("rw-"):
                    c["rw_up"] += 1
    c["sites_up"] = len(sites)
    try:
        pools = sess.request("get-pools", {"leases": "yes"})
    except Exception:           # peer has no pools; any error means none
        pools = {}
    for pool in pools.values():
        for lease in pool.get("leases", {}).values():
            if text(lease.get("status", b"")) == "online":
                c["leases_online"] += 1
            else:
                c["leases_offline"] += 1
    sess.transport.close()
    return c


def cmd_counts(a):
    print(json.dumps(counts(a.uri)))


def cmd_wait(a):
    """Wait until at least --sites site tunnels and --rw road warriors are up."""
    start = time.monotonic()
    deadline = start + a.timeout
    last_report = start
    c = None
    while True:
        try:
            c = counts(a.uri)
            ok = c["sites_up"] >= a.sites and c["rw_up"] >= a.rw and \
                (a.rw == 0 or a.leases is False or c["leases_online"] >= a.rw)
        except (OSError, vici.exception.SessionException) as e:
            c, ok = {"error": str(e)}, False
        now = time.monotonic()
        if ok:
            if not a.quiet:
                print("  up after %.1fs: %d/%d site tunnels, %d/%d road warriors"
                      % (now - start, c["sites_up"], a.sites, c["rw_up"], a.rw))
            return 0
        if now >= deadline:
            print("TIMEOUT after %ds waiting for %s: %d site tunnels and %d road "
                  "warriors expected, have %s" % (a.timeout, a.what, a.sites, a.rw,
                                                 json.dumps(c)), file=sys.stderr)
            return 1
        if not a.quiet and now - last_report >= 5:
            last_report = now
            if "error" in c:
                print("  %.0fs: %s" % (now - start, c["error"]))
            else:
                print("  %.0fs: %d/%d site tunnels, %d/%d road warriors"
                      % (now - start, c["sites_up"], a.sites, c["rw_up"], a.rw))
        time.sleep(a.interval)


# --- traffic --------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    fd = os.open("/run/netns/%s" % name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (name, os.strerror(err)))
    finally:
        os.close(fd)


def sockets(gw_ns, peer_ns, port):
    """A receiving socket in the peer namespace, then stay in gw's."""
    enter_netns(peer_ns)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.bind(("0.0.0.0", port))
    enter_netns(gw_ns)
    return rx


def split_sizes(total, count):
    base, extra = divmod(total, count)
    return [base + 1 if i < extra else base for i in range(count)]


def drain(rx, expect_count, timeout):
    """Receive until expect_count datagrams arrived or timeout; returns
    (count, bytes, {src: (count, bytes)})."""
    got, nbytes, per_src = 0, 0, {}
    deadline = time.monotonic() + timeout
    while got < expect_count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        rx.settimeout(left)
        try:
            data, (src, _) = rx.recvfrom(65535)
        except socket.timeout:
            break
        got += 1
        nbytes += len(data)
        c, b = per_src.get(src, (0, 0))
        per_src[src] = (c + 1, b + len(data))
    return got, nbytes, per_src


def send(src, dst, port, sizes, gap):
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((src, 0))
    for n in sizes:
        tx.sendto(b"\x5a" * n, (dst, port))
        if gap:
            time.sleep(gap)
    tx.close()


def cmd_traffic(a):
    if a.count < 1 or a.bytes < 0:
        raise SystemExit("COUNT must be >= 1 and BYTES >= 0")
    sizes = split_sizes(a.bytes, a.count)
    if max(sizes) > a.max_payload:
        raise SystemExit("datagrams of %d bytes exceed the %d-byte limit (tunnel MTU); "
                         "use a larger COUNT (at least %d)"
                         % (max(sizes), a.max_payload, -(-a.bytes // a.max_payload)))
    rx = sockets(a.gw_ns, a.peer_ns, a.port)
    send(a.src, a.dst, a.port, sizes, a.gap)
    got, nbytes, _ = drain(rx, a.count, a.timeout)
    result = {"src": a.src, "dst": a.dst, "port": a.port,
              "sent_datagrams": a.count, "sent_bytes": a.bytes,
              "received_datagrams": got, "received_bytes": nbytes,
              "expected_child_sa_delta": {"bytes": a.bytes + 28 * a.count,
                                          "packets": a.count}}
    if a.json:
        print(json.dumps(result))
    else:
        print("sent %d UDP datagrams, %d payload bytes, %s -> %s:%d"
              % (a.count, a.bytes, a.src, a.dst, a.port))
        print("received in peer namespace: %d datagrams, %d bytes" % (got, nbytes))
        print("expected CHILD_SA counter delta: +%d bytes, +%d packets "
              "(payload + 28 bytes IPv4/UDP header per datagram); gw out, peer in"
              % (a.bytes + 28 * a.count, a.count))
    return 0 if got == a.count else 1


def cmd_traffic_all(a):
    pairs = []
    with open(a.pairs) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            pairs.append((fields[3].strip(), fields[4].strip()))
    rx = sockets(a.gw_ns, a.peer_ns, a.port)
    got_total, bytes_total = 0, 0
    # send in batches so the receive buffer never overflows
    batch = 200
    for i in range(0, len(pairs), batch):
        chunk = pairs[i:i + batch]
        for src, dst in chunk:
            send(src, dst, a.port, [a.bytes], 0)
        got, nbytes, _ = drain(rx, len(chunk), a.timeout)
        got_total += got
        bytes_total += nbytes
    print("sent 1 datagram of %d bytes through each of %d tunnels; received %d "
          "datagrams, %d bytes" % (a.bytes, len(pairs), got_total, bytes_total))
    return 0 if got_total == len(pairs) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("counts")
    p.add_argument("uri")
    p.set_defaults(func=cmd_counts)

    p = sub.add_parser("wait")
    p.add_argument("uri")
    p.add_argument("--sites", type=int, default=0)
    p.add_argument("--rw", type=int, default=0)
    p.add_argument("--no-leases", dest="leases", action="store_false",
                   help="do not require rw leases online (peer side)")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--what", default="tunnels")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_wait)

    for name, func in (("traffic", cmd_traffic), ("traffic-all", cmd_traffic_all)):
        p = sub.add_parser(name)
        p.add_argument("--gw-ns", required=True)
        p.add_argument("--peer-ns", required=True)
        p.add_argument("--port", type=int, default=9999)
        p.add_argument("--bytes", type=int, required=True)
        p.add_argument("--timeout", type=float, default=5.0)
        p.set_defaults(func=func)
    sub.choices["traffic"].add_argument("--count", type=int, default=1)
    sub.choices["traffic"].add_argument("--max-payload", type=int, default=1372)
    sub.choices["traffic"].add_argument("--gap", type=float, default=0.0005)
    sub.choices["traffic"].add_argument("--json", action="store_true")
    sub.choices["traffic"].add_argument("src")
    sub.choices["traffic"].add_argument("dst")
    sub.choices["traffic-all"].add_argument("pairs", help="tunnels.tsv")

    a = ap.parse_args()
    sys.exit(a.func(a) or 0)


if __name__ == "__main__":
    main()
