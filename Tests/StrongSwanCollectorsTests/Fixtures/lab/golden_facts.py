#!/usr/bin/env python3
"""The facts the golden expositions must state, read from the captured .vici files
without the exporter's decoder: strongSwan's own Python client (PyPI `vici`,
its `vici.protocol` Packet and Message classes) decodes the frames, and
`openssl x509` reads the certificates.

Usage: golden_facts.py FIXTURE_DIR NOW

FIXTURE_DIR holds the captures (Fixtures/lab); NOW is the unix time the golden
files were rendered at (GoldenExpositionTests.capturedAt): charon reports ages
("established" seconds ago) and countdowns ("rekey-time" seconds from now),
which the exporter turns into timestamps against that clock.

Each .vici file is a sequence of wire frames (4-byte big-endian length, then
the packet: the streamed EVENT packets, then the CMD_RESPONSE), as written by
`strongswan_exporter vici ... --save` (see README.md).

Output (stdout): one JSON object
  {"daemon": {...},          the raw values the README's checked facts are about
   "aggregate": [FAMILY...], families in both golden.prom and golden-default.prom
   "opt_in": [FAMILY...]}    families only in golden.prom (per-SA families and
                             per-connection counters on)
where FAMILY is {"name": ..., "match": "exact" | "nonzero",
                 "samples": [{"labels": {...}, "value": number}, ...]}.
"exact": the family's series are exactly these, with these values.
"nonzero": its series with a non-zero value are exactly these (the exporter
also lists every other state with 0).

Algorithm suites are written the way swanctl --list-sas writes them
(src/swanctl/commands/list_sas.c): ENCR[-KEYSIZE]/INTEG[-KEYSIZE]/PRF/DH for
the IKE_SA, ENCR[-KEYSIZE]/INTEG[-KEYSIZE] for the CHILD_SA (its DH group is
left out: it appears only from the first rekey on with PFS).
Exit status 2 when a fixture cannot be decoded.
"""

import calendar
import json
import os
import struct
import subprocess
import sys
import time

from vici.protocol import Message, Packet


def frames(path):
    data = open(path, "rb").read()
    offset = 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise SystemExit("%s: truncated length at %d" % (path, offset))
        (length,) = struct.unpack("!I", data[offset:offset + 4])
        frame = data[offset + 4:offset + 4 + length]
        if len(frame) != length:
            raise SystemExit("%s: truncated frame at %d" % (path, offset))
        yield frame
        offset += 4 + length


def read(directory, name):
    """(events, response) of one capture, decoded by the vici package."""
    events, response = [], None
    for frame in frames(os.path.join(directory, name)):
        packet = Packet.parse(frame)
        message = Message.deserialize(packet.payload)
        if packet.response_type == Packet.EVENT:
            events.append(message)
        elif packet.response_type == Packet.CMD_RESPONSE:
            response = message
        else:
            raise SystemExit("%s: unexpected packet type %d" % (name, packet.response_type))
    if response is None:
        raise SystemExit("%s: no CMD_RESPONSE" % name)
    return events, response


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def number(value):
    return int(text(value))


def family(name, samples, match="exact"):
    return {"name": name, "match": match,
            "samples": [{"labels": labels, "value": value} for labels, value in samples]}


COUNTERS = {  # get-counters key prefix -> exchange label
    "ike-init": "ike_sa_init", "ike-auth": "ike_auth",
    "create-child": "create_child_sa", "info": "informational",
}


def count_by(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def suite(sa, parts):
    """An SA's algorithms as swanctl --list-sas prints them: ALG[-KEYSIZE] joined by '/'."""
    out = []
    for part in parts:
        name = {"prf": "prf-alg", "dh": "dh-group"}.get(part, part + "-alg")
        if name not in sa or not text(sa[name]):
            continue
        value = text(sa[name])
        if part in ("encr", "integ") and part + "-keysize" in sa:
            value += "-" + text(sa[part + "-keysize"])
        out.append(value)
    return "/".join(out)


def message_counters(section, extra):
    samples = []
    for key, value in section.items():
        for prefix, exchange in COUNTERS.items():
            rest = key[len(prefix) + 1:] if key.startswith(prefix + "-") else None
            if rest in ("in-req", "in-resp", "out-req", "out-resp"):
                direction, kind = rest.split("-")
                labels = dict(extra, exchange=exchange, direction=direction,
                              type={"req": "request", "resp": "response"}[kind])
                samples.append((labels, number(value)))
    return samples


def certificate(der):
    def openssl(*args):
        result = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-nameopt", "RFC2253"] + list(args),
                                input=der, capture_output=True, check=True)
        return result.stdout.decode().strip().split("=", 1)[1]

    def timestamp(value):  # e.g. "Nov 25 11:49:22 2026 GMT"
        return calendar.timegm(time.strptime(value, "%b %d %H:%M:%S %Y GMT"))

    serial = openssl("-serial").lower()
    serial = ("0" + serial) if len(serial) % 2 else serial
    return {
        "subject": openssl("-subject"), "issuer": openssl("-issuer"),
        "serial": ":".join(serial[i:i + 2] for i in range(0, len(serial), 2)),
        "not_before": timestamp(openssl("-startdate")), "not_after": timestamp(openssl("-enddate")),
    }


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    directory, now = sys.argv[1], int(sys.argv[2])

    _, version = read(directory, "version.vici")
    _, stats = read(directory, "stats.vici")
    sa_events, _ = read(directory, "list-sas.vici")
    conn_events, _ = read(directory, "list-conns.vici")
    trap_events, _ = read(directory, "list-policies-trap.vici")
    _, counters = read(directory, "get-counters.vici")
    _, counters_all = read(directory, "get-counters-all.vici")
    _, pools = read(directory, "get-pools.vici")
    cert_events, _ = read(directory, "list-certs.vici")

    # list-sas streams one event per IKE_SA: {conn name: {fields, child-sas: {name-id: {fields}}}}.
    ikes = [(text(conn), sa) for event in sa_events for conn, sa in event.items()]
    if number(stats["ikesas"]["total"]) != len(ikes):
        raise SystemExit("stats counts %s IKE_SAs, list-sas lists %d" % (stats["ikesas"]["total"], len(ikes)))

    aggregate = [
        family("strongswan_info", [({key: text(version[key]) for key in
                                     ("daemon", "version", "sysname", "release", "machine")}, 1)]),
        # "since" is charon's start in the daemon's local time; the lab runs in UTC.
        family("strongswan_start_time_seconds", [({}, calendar.timegm(
            time.strptime(text(stats["uptime"]["since"]), "%b %d %H:%M:%S %Y")))]),
        family("strongswan_ike_sas", [({}, number(stats["ikesas"]["total"]))]),
        family("strongswan_ike_sas_half_open", [({}, number(stats["ikesas"]["half-open"]))]),
        family("strongswan_worker_threads", [({}, number(stats["workers"]["total"]))]),
        family("strongswan_worker_threads_idle", [({}, number(stats["workers"]["idle"]))]),
        family("strongswan_worker_threads_active",
               [({"priority": key}, number(value)) for key, value in stats["workers"]["active"].items()]),
        family("strongswan_job_queue_jobs", [({"priority": key}, number(value)) for key, value in stats["queues"].items()]),
        family("strongswan_jobs_scheduled", [({}, number(stats["scheduled"]))]),
        family("strongswan_memory_mallinfo_bytes",
               [({"kind": key}, number(value)) for key, value in stats["mallinfo"].items()]),
        family("strongswan_plugin_info", [({"plugin": text(name)}, 1) for name in stats["plugins"]]),
    ]

    ike_states, child_states = {}, {}
    for conn, sa in ikes:
        key = (conn, text(sa["state"]))
        ike_states[key] = ike_states.get(key, 0) + 1
        for child in sa.get("child-sas", {}).values():
            key = (conn, text(child["name"]), text(child["state"]))
            child_states[key] = child_states.get(key, 0) + 1
    aggregate.append(family("strongswan_ike_sas_by_state",
                            [({"state": st}, n) for st, n in count_by(text(sa["state"]) for _, sa in ikes).items()],
                            "nonzero"))
    aggregate.append(family("strongswan_child_sas_by_state",
                            [({"state": st}, n) for st, n in count_by(
                                text(child["state"]) for _, sa in ikes
                                for child in sa.get("child-sas", {}).values()).items()], "nonzero"))

    traps = {(text(policy["ike"]), text(policy["child"])) for event in trap_events for policy in event.values()}
    installed = {(c, ch) for (c, ch, s) in child_states if s in ("INSTALLED", "REKEYING", "REKEYED")}
    up, info, connections = [], [], []
    for event in conn_events:
        for conn, config in event.items():
            remote_addrs = [text(a) for a in config.get("remote_addrs", [])]
            local_auth, remote_auth = config.get("local-1", {}), config.get("remote-1", {})
            connections.append(({"conn": conn, "version": text(config["version"]),
                                 "local_addrs": ",".join(text(a) for a in config.get("local_addrs", [])),
                                 "remote_addrs": ",".join(remote_addrs),
                                 "local_auth": text(local_auth.get("class", b"")),
                                 "remote_auth": text(remote_auth.get("class", b"")),
                                 "remote_id": text(remote_auth.get("id", b"")),
                                 "rekey_time": text(config["rekey_time"]), "reauth_time": text(config["reauth_time"])}, 1))
            for child, child_config in config.get("children", {}).items():
                if (conn, child) in traps:
                    kind = "trap"
                elif any(a == "%any" or "-" in a or "/" in a for a in remote_addrs):
                    kind = "responder"
                else:
                    kind = "site_to_site"
                up.append(({"conn": conn, "child": child}, 1 if (conn, child) in installed else 0))
                info.append(({"conn": conn, "child": child, "kind": kind, "mode": text(child_config["mode"]),
                              "dpd_action": text(child_config["dpd_action"]),
                              "close_action": text(child_config["close_action"]),
                              "local_ts": ",".join(text(t) for t in child_config["local-ts"]),
                              "remote_ts": ",".join(text(t) for t in child_config["remote-ts"]),
                              "remote_addrs": ",".join(remote_addrs)}, 1))
    aggregate += [family("strongswan_connection_info", connections), family("strongswan_tunnel_up", up),
                  family("strongswan_tunnel_info", info)]

    configured_conns = [text(c) for event in conn_events for c in event]
    seen_conns = configured_conns + [c for c, _ in ikes if c not in configured_conns]
    configured_tunnels = [(text(c), text(ch)) for event in conn_events for c, config in event.items()
                          for ch in config.get("children", {})]
    aggregate.append(family("strongswan_connection_ike_sas",
                            [({"conn": c}, sum(1 for conn, _ in ikes if conn == c)) for c in dict.fromkeys(seen_conns)]))
    newest = {}
    for conn, sa in ikes:
        if text(sa["state"]) == "ESTABLISHED" and "established" in sa:
            newest[conn] = min(newest.get(conn, number(sa["established"])), number(sa["established"]))
    aggregate.append(family("strongswan_connection_established_timestamp_seconds",
                            [({"conn": c}, now - ago) for c, ago in newest.items()]))
    installed_ago, suites = {}, {}
    for conn, sa in ikes:
        for child in sa.get("child-sas", {}).values():
            key = (conn, text(child["name"]))
            if key not in configured_tunnels or text(child["state"]) not in ("INSTALLED", "UPDATING", "REKEYING", "REKEYED"):
                continue
            ago = number(child["install-time"])
            installed_ago[key] = min(installed_ago.get(key, ago), ago)
            suites.setdefault(key, set()).add((suite(sa, ("encr", "integ", "prf", "dh")), suite(child, ("encr", "integ"))))
    aggregate.append(family("strongswan_tunnel_installed_timestamp_seconds",
                            [({"conn": c, "child": ch}, now - ago) for (c, ch), ago in installed_ago.items()]))
    aggregate.append(family("strongswan_tunnel_algorithms_info",
                            [({"conn": c, "child": ch, "ike": ike, "esp": esp}, 1)
                             for (c, ch), pairs in suites.items() for ike, esp in pairs]))

    # Counters: the global section of `get-counters`, one section per connection in `get-counters all=yes`.
    overall = counters["counters"][""]
    aggregate += [
        family("strongswan_ike_messages_total", message_counters(overall, {})),
        family("strongswan_ike_rekeys_total", [({"role": "initiator"}, number(overall["ike-rekey-init"])),
                                               ({"role": "responder"}, number(overall["ike-rekey-resp"]))]),
        family("strongswan_child_rekeys_total", [({}, number(overall["child-rekey"]))]),
        family("strongswan_ike_invalid_messages_total", [({}, number(overall["invalid"]))]),
        family("strongswan_ike_invalid_spi_total", [({}, number(overall["invalid-spi"]))]),
    ]
    per_conn = [(conn, section) for conn, section in counters_all["counters"].items() if conn != ""]
    opt_in = [
        family("strongswan_connection_ike_messages_total",
               [s for conn, section in per_conn for s in message_counters(section, {"conn": conn})]),
        family("strongswan_connection_ike_rekeys_total",
               [({"conn": conn, "role": role}, number(section[key])) for conn, section in per_conn
                for role, key in (("initiator", "ike-rekey-init"), ("responder", "ike-rekey-resp"))]),
        family("strongswan_connection_child_rekeys_total",
               [({"conn": conn}, number(section["child-rekey"])) for conn, section in per_conn]),
        family("strongswan_connection_ike_invalid_messages_total",
               [({"conn": conn}, number(section["invalid"])) for conn, section in per_conn]),
        family("strongswan_connection_ike_invalid_spi_total",
               [({"conn": conn}, number(section["invalid-spi"])) for conn, section in per_conn]),
    ]

    # Pools (get-pools: {name: {base, size, online, offline}}).
    aggregate += [
        family("strongswan_pool_info", [({"pool": p, "base": text(v["base"])}, 1) for p, v in pools.items()]),
        family("strongswan_pool_addresses", [({"pool": p}, number(v["size"])) for p, v in pools.items()]),
        family("strongswan_pool_leases", [({"pool": p, "state": state}, number(v[state]))
                                          for p, v in pools.items() for state in ("online", "offline")]),
    ]

    # Certificates (list-certs streams {type, flag, has_privkey?, data: DER}).
    certs = [(event, certificate(event["data"])) for event in cert_events]
    def cert_labels(event, cert):
        return {"subject": cert["subject"], "issuer": cert["issuer"], "serial": cert["serial"],
                "type": text(event["type"])}
    aggregate += [
        family("strongswan_certificate_not_before_timestamp_seconds",
               [(cert_labels(e, c), c["not_before"]) for e, c in certs]),
        family("strongswan_certificate_not_after_timestamp_seconds",
               [(cert_labels(e, c), c["not_after"]) for e, c in certs]),
        family("strongswan_certificate_info",
               [(dict(cert_labels(e, c), flag=text(e["flag"]),
                      has_private_key="yes" if text(e.get("has_privkey", b"no")) == "yes" else "no"), 1)
                for e, c in certs]),
    ]

    # Per SA: charon gives ages ("established", "install-time", "use-in") and countdowns ("rekey-time",
    # "life-time") in seconds; the timestamps are NOW minus the age or plus the countdown.
    ike_state, established, ike_rekey, child_count = [], [], [], []
    child_state, bytes_, packets, installed_at, child_rekey, expire, last_packet = [], [], [], [], [], [], []
    for conn, sa in ikes:
        ike = {"conn": conn, "ike_id": text(sa["uniqueid"])}
        ike_state.append((dict(ike, state=text(sa["state"])), 1))
        if "established" in sa:
            established.append((ike, now - number(sa["established"])))
        if "rekey-time" in sa:
            ike_rekey.append((ike, now + number(sa["rekey-time"])))
        children = sa.get("child-sas", {})
        child_count.append((ike, len(children)))
        for child in children.values():
            labels = dict(ike, child=text(child["name"]), child_id=text(child["uniqueid"]))
            child_state.append((dict(labels, state=text(child["state"])), 1))
            for direction in ("in", "out"):
                bytes_.append((dict(labels, direction=direction), number(child["bytes-" + direction])))
                packets.append((dict(labels, direction=direction), number(child["packets-" + direction])))
                if "use-" + direction in child:
                    last_packet.append((dict(labels, direction=direction), now - number(child["use-" + direction])))
            installed_at.append((labels, now - number(child["install-time"])))
            child_rekey.append((labels, now + number(child["rekey-time"])))
            expire.append((labels, now + number(child["life-time"])))
    opt_in += [
        family("strongswan_ike_sa_state", ike_state),
        family("strongswan_ike_sa_established_timestamp_seconds", established),
        family("strongswan_ike_sa_rekey_timestamp_seconds", ike_rekey),
        family("strongswan_ike_sa_child_sas", child_count),
        family("strongswan_child_sa_state", child_state),
        family("strongswan_child_sa_bytes_total", bytes_),
        family("strongswan_child_sa_packets_total", packets),
        family("strongswan_child_sa_last_packet_timestamp_seconds", last_packet),
        family("strongswan_child_sa_installed_timestamp_seconds", installed_at),
        family("strongswan_child_sa_rekey_timestamp_seconds", child_rekey),
        family("strongswan_child_sa_expire_timestamp_seconds", expire),
    ]

    # The raw values the README's daemon-checked facts are about, for the test to state them literally.
    child_bytes_out = {}
    for conn, sa in ikes:
        for child in sa.get("child-sas", {}).values():
            child_bytes_out[conn] = child_bytes_out.get(conn, 0) + number(child["bytes-out"])
    daemon = {
        "ike_sas": len(ikes),
        "ike_sas_by_conn": count_by(c for c, _ in ikes),
        "bytes_out_by_conn": child_bytes_out,
        "since": text(stats["uptime"]["since"]),
        "running": text(stats["uptime"]["running"]),
        "pools": {p: {"size": number(v["size"]), "online": number(v["online"])} for p, v in pools.items()},
        "trap_policies": sorted("%s/%s" % t for t in traps),
        "conns": [c for event in conn_events for c in event],
    }
    json.dump({"daemon": daemon, "aggregate": aggregate, "opt_in": opt_in}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    try:
        main()
    except (KeyError, ValueError, struct.error, subprocess.CalledProcessError) as error:
        print("golden_facts.py: cannot read the fixtures: %r" % (error,), file=sys.stderr)
        sys.exit(2)
