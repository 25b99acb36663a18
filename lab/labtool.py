#!/usr/bin/env python3
"""Helpers for lab.sh that are easier in Python: counting SAs over VICI,
waiting for tunnels, and sending UDP through a tunnel between the lab's
network namespaces.

  labtool.py counts URI                      JSON summary of one daemon's SAs/leases
  labtool.py status --gw URI --peer URI --sites N --rw M
  labtool.py wait --gw URI --peer URI --sites N --rw M [--timeout S] [--kick-after S]
  labtool.py traffic --gw-ns NS --peer-ns NS --bytes B --count C SRC DST
  labtool.py traffic-all --gw-ns NS --peer-ns NS --bytes B TUNNELS_TSV

A tunnel counts as up when both daemons have it INSTALLED with matching SPIs.

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


def session(uri, timeout=30.0):
    if not uri.startswith("unix://"):
        raise SystemExit("only unix:// URIs are supported: %s" % uri)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(uri[len("unix://"):])
    return vici.Session(s)


def text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


class Snapshot:
    """One daemon's IKE_SAs (list-sas) and, if it has pools, its leases."""

    def __init__(self, uri):
        self.uri = uri
        self.ikes = []      # (name, established, [(child, installed, spi_in, spi_out)])
        self.connecting = set()     # names with an IKE_SA being set up
        self.leases_online = self.leases_offline = 0
        sess = session(uri)
        try:
            for event in sess.list_sas():
                for name, ike in event.items():
                    children = []
                    for child in ike.get("child-sas", {}).values():
                        children.append((text(child.get("name", b"")),
                                         text(child.get("state", b"")) == "INSTALLED",
                                         text(child.get("spi-in", b"")),
                                         text(child.get("spi-out", b""))))
                    state = text(ike.get("state", b""))
                    self.ikes.append((name, state == "ESTABLISHED", children))
                    if state in ("CREATED", "CONNECTING"):
                        self.connecting.add(name)
            try:
                pools = sess.request("get-pools", {"leases": "yes"})
            except vici.exception.CommandException:
                pools = {}
            for pool in pools.values():
                for lease in pool.get("leases", {}).values():
                    if text(lease.get("status", b"")) == "online":
                        self.leases_online += 1
                    else:
                        self.leases_offline += 1
        finally:
            sess.transport.close()

    def names(self):
        return {name for name, _, _ in self.ikes}

    def spi_pairs(self):
        """IKE name -> set of (spi_in, spi_out) of its INSTALLED children."""
        pairs = {}
        for name, established, children in self.ikes:
            if not established:
                continue
            for _, installed, spi_in, spi_out in children:
                if installed:
                    pairs.setdefault(name, set()).add((spi_in, spi_out))
        return pairs

    def summary(self):
        c = {"ike_sas": len(self.ikes),
             "ike_established": sum(1 for _, e, _ in self.ikes if e),
             "child_sas": sum(len(ch) for _, _, ch in self.ikes),
             "child_installed": sum(1 for _, _, ch in self.ikes for x in ch if x[1]),
             "leases_online": self.leases_online, "leases_offline": self.leases_offline}
        pairs = self.spi_pairs()
        c["sites_installed"] = sum(1 for n in pairs if SITE_RE.match(n))
        c["rw_installed"] = sum(len(v) for n, v in pairs.items()
                                if n == "rw" or n.startswith("rw-"))
        return c


def site_name(i):
    return "site-%04d" % i


def rw_name(k):
    return "rw-%03d" % k


def convergence(gw, peer, n, m):
    """Tunnels up on both sides with matching SPIs (gw's out is peer's in).
    Returns (missing site indices, missing rw indices)."""
    g, p = gw.spi_pairs(), peer.spi_pairs()
    missing_sites = []
    for i in range(1, n + 1):
        name = site_name(i)
        mirrored = {(o, i_) for i_, o in g.get(name, ())}
        if not mirrored & p.get(name, set()):
            missing_sites.append(i)
    gw_rw = {(o, i_) for i_, o in g.get("rw", ())}
    missing_rw = [k for k in range(1, m + 1) if not gw_rw & p.get(rw_name(k), set())]
    return missing_sites, missing_rw


def counts(uri):
    return Snapshot(uri).summary()


def cmd_counts(a):
    print(json.dumps(counts(a.uri)))


def cmd_status(a):
    snaps = {}
    for role, uri in (("gw", a.gw), ("peer", a.peer)):
        try:
            snaps[role] = Snapshot(uri)
        except (OSError, vici.exception.SessionException) as e:
            print("%-5s VICI not answering (%s)" % (role + ":", e))
            continue
        c = snaps[role].summary()
        print("%-5s IKE_SAs %d (%d established), CHILD_SAs %d (%d installed)%s"
              % (role + ":", c["ike_sas"], c["ike_established"], c["child_sas"],
                 c["child_installed"],
                 ", leases online %d" % c["leases_online"] if role == "gw" else ""))
    if len(snaps) == 2:
        ms, mr = convergence(snaps["gw"], snaps["peer"], a.sites, a.rw)
        print("up on both sides: %d/%d site tunnels, %d/%d road warriors"
              % (a.sites - len(ms), a.sites, a.rw - len(mr), a.rw))
        if ms:
            print("  down: " + brief(ms, site_name))
        if mr:
            print("  down: " + brief(mr, rw_name))
        return 0 if not ms and not mr else 3
    return 1


def kickable(gw, peer, missing_sites, missing_rw):
    """The missing tunnels whose initiator is not busy setting them up (those
    retry on their own: keyingtries = 0)."""
    return ([i for i in missing_sites if site_name(i) not in gw.connecting],
            [k for k in missing_rw if rw_name(k) not in peer.connecting])


def kick(a, gw, peer, missing_sites, missing_rw):
    """Re-initiate what gave up, from the side that initiates it: sites from
    gw, road warriors from peer. A stale half (an SA one side still has) is
    terminated first."""
    sess = session(a.gw)
    try:
        have = gw.names()
        for i in missing_sites:
            name = site_name(i)
            if name in have:
                sess.request("terminate", {"ike": name, "force": "yes", "timeout": "-1"})
            sess.request("initiate", {"ike": name, "child": "net-%04d" % i, "timeout": "-1"})
    finally:
        sess.transport.close()
    sess = session(a.peer)
    try:
        have = peer.names()
        for k in missing_rw:
            name = rw_name(k)
            if name in have:
                sess.request("terminate", {"ike": name, "force": "yes", "timeout": "-1"})
            sess.request("initiate", {"ike": name, "child": name, "timeout": "-1"})
    finally:
        sess.transport.close()


def brief(items, fmt):
    shown = ", ".join(fmt(x) for x in items[:5])
    return shown + (", ..." if len(items) > 5 else "")


def cmd_wait(a):
    """Wait until --sites site tunnels and --rw road warriors are up on both
    sides; after --kick-after seconds, re-initiate the missing ones (again
    every --kick-every seconds)."""
    start = time.monotonic()
    deadline = start + a.timeout
    last_report = start
    next_kick = start + a.kick_after if a.kick_after >= 0 else None
    kicks = 0
    state = "no answer yet"
    while True:
        now = time.monotonic()
        try:
            gw, peer = Snapshot(a.gw), Snapshot(a.peer)
            ms, mr = convergence(gw, peer, a.sites, a.rw)
            leases_ok = a.rw == 0 or gw.leases_online >= a.rw
            state = "%d/%d site tunnels, %d/%d road warriors (%d leases online)" % (
                a.sites - len(ms), a.sites, a.rw - len(mr), a.rw, gw.leases_online)
            if not ms and not mr and leases_ok:
                if not a.quiet:
                    print("  up after %.1fs: %s%s" % (now - start, state,
                          ", %d kick(s)" % kicks if kicks else ""))
                return 0
        except (OSError, vici.exception.SessionException) as e:
            gw = peer = None
            state = "VICI error: %s" % e
        if now >= deadline:
            print("TIMEOUT after %ds waiting for %s: %s" % (a.timeout, a.what, state),
                  file=sys.stderr)
            if gw is not None:
                if ms:
                    print("  missing site tunnels: " + brief(ms, site_name), file=sys.stderr)
                if mr:
                    print("  missing road warriors: " + brief(mr, rw_name), file=sys.stderr)
            return 1
        ks, kr = kickable(gw, peer, ms, mr) if gw is not None else ([], [])
        if next_kick is not None and now >= next_kick and (ks or kr):
            kicks += 1
            print("  %.0fs: kick: re-initiating %d site tunnel(s)%s and %d road warrior(s)%s"
                  % (now - start, len(ks), " (" + brief(ks, site_name) + ")" if ks else "",
                     len(kr), " (" + brief(kr, rw_name) + ")" if kr else ""))
            kick(a, gw, peer, ks, kr)
            next_kick = now + a.kick_every
        elif not a.quiet and now - last_report >= 5:
            last_report = now
            print("  %.0fs: %s" % (now - start, state))
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


def sockets(tx_ns, rx_ns, port):
    """A receiving socket in rx_ns; then stay in tx_ns to send."""
    enter_netns(rx_ns)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.bind(("0.0.0.0", port))
    enter_netns(tx_ns)
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
    tx_ns, rx_ns = (a.peer_ns, a.gw_ns) if a.reverse else (a.gw_ns, a.peer_ns)
    rx = sockets(tx_ns, rx_ns, a.port)
    send(a.src, a.dst, a.port, sizes, a.gap)
    got, nbytes, _ = drain(rx, a.count, a.timeout)
    result = {"src": a.src, "dst": a.dst, "port": a.port,
              "direction": "peer->gw" if a.reverse else "gw->peer",
              "sent_datagrams": a.count, "sent_bytes": a.bytes,
              "received_datagrams": got, "received_bytes": nbytes,
              "expected_child_sa_delta": {"bytes": a.bytes + 28 * a.count,
                                          "packets": a.count}}
    if a.json:
        print(json.dumps(result))
    else:
        print("sent %d UDP datagrams, %d payload bytes, %s -> %s:%d"
              % (a.count, a.bytes, a.src, a.dst, a.port))
        print("received in %s namespace: %d datagrams, %d bytes"
              % ("gw" if a.reverse else "peer", got, nbytes))
        print("expected CHILD_SA counter delta: +%d bytes, +%d packets "
              "(payload + 28 bytes IPv4/UDP header per datagram): %s"
              % (a.bytes + 28 * a.count, a.count,
                 "peer out, gw in" if a.reverse else "gw out, peer in"))
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

    p = sub.add_parser("status")
    p.add_argument("--gw", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--sites", type=int, default=0)
    p.add_argument("--rw", type=int, default=0)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("wait")
    p.add_argument("--gw", required=True, help="gw's VICI URI")
    p.add_argument("--peer", required=True, help="peer's VICI URI")
    p.add_argument("--sites", type=int, default=0)
    p.add_argument("--rw", type=int, default=0)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--kick-after", type=float, default=-1,
                   help="re-initiate missing tunnels after this many seconds (-1: never)")
    p.add_argument("--kick-every", type=float, default=10)
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
    sub.choices["traffic"].add_argument("--reverse", action="store_true",
                                        help="SRC is in the peer namespace, DST in gw's")
    sub.choices["traffic"].add_argument("src")
    sub.choices["traffic"].add_argument("dst")
    sub.choices["traffic-all"].add_argument("pairs", help="tunnels.tsv")

    a = ap.parse_args()
    sys.exit(a.func(a) or 0)


if __name__ == "__main__":
    main()
