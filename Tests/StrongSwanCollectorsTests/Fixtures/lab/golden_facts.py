#!/usr/bin/env python3
"""The facts the golden expositions must state, read from the captured .vici files
without the exporter's decoder: strongSwan's own Python client (PyPI `vici`,
its `vici.protocol` Packet and Message classes) decodes the frames,
`openssl x509` / `openssl crl` (-nameopt RFC2253,-esc_msb) read the
certificates and CRLs, `openssl ocsp -resp_text` the OCSP responses, `pki --print` the attribute certificate and
`pki --keyid` / `openssl asn1parse` the raw public keys (pki: Debian's
strongswan-pki).

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
import tempfile
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


def run(args, der=None, env=None):
    """stdout of a tool (as text); the tool's failure is a CalledProcessError (exit 2)."""
    result = subprocess.run(args, input=der, capture_output=True, check=True,
                            env=dict(os.environ, TZ="UTC", **(env or {})))
    return result.stdout.decode("utf-8")


def openssl_time(value):  # e.g. "Nov 25 11:49:22 2026 GMT"
    return calendar.timegm(time.strptime(value, "%b %d %H:%M:%S %Y GMT"))


def colon_hex(hex_digits):
    """An INTEGER's value as the exporter writes serials: lowercase, two digits a byte, colons."""
    digits = hex_digits.lower().replace(":", "")
    digits = ("0" + digits) if len(digits) % 2 else digits
    while len(digits) > 2 and digits.startswith("00"):  # a sign byte is not part of the value
        digits = digits[2:]
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def fields(output):
    """openssl's `name=value` lines (the value kept verbatim: RFC 4514 may end in an escaped space)."""
    out = {}
    for line in output.split("\n"):
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


NAMEOPT = ["-nameopt", "RFC2253,-esc_msb"]


def certificate(der):
    """An X.509 certificate's labels and validity, as openssl reads it."""
    f = fields(run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-issuer", "-serial",
                    "-startdate", "-enddate"] + NAMEOPT, der))
    return {
        "subject": f["subject"], "issuer": f["issuer"], "serial": colon_hex(f["serial"]),
        "not_before": openssl_time(f["notBefore"]), "not_after": openssl_time(f["notAfter"]),
    }


def crl(der):
    """A CRL as openssl reads it: issuer, CRL number, delta indicator, dates, revoked entries."""
    f = fields(run(["openssl", "crl", "-inform", "DER", "-noout", "-issuer", "-crlnumber",
                    "-lastupdate", "-nextupdate"] + NAMEOPT, der))
    dump = run(["openssl", "crl", "-inform", "DER", "-noout", "-text"], der).split("\n")
    base = ""
    for i, line in enumerate(dump):
        if line.strip().startswith("X509v3 Delta CRL Indicator"):
            base = str(int(dump[i + 1].strip().replace(":", ""), 10 if dump[i + 1].strip().isdigit() else 16))
    revoked = 0
    if "No Revoked Certificates." not in (line.strip() for line in dump):
        start = [line.strip() for line in dump].index("Revoked Certificates:")
        revoked = sum(1 for line in dump[start:] if line.strip().startswith("Serial Number:"))
    number_ = f["crlNumber"]
    return {
        "issuer": f["issuer"], "kind": "delta" if base else "base",
        "crl_number": "" if number_ == "<NONE>" else str(int(number_, 16)),
        "base_crl_number": base,
        "this_update": openssl_time(f["lastUpdate"]),
        "next_update": None if f["nextUpdate"] == "NONE" else openssl_time(f["nextUpdate"]),
        "revoked": revoked,
    }


PKI_PRINTS = {}


def pki_print(der, kind):
    """`pki --print` of a certificate or attribute certificate: {field: [lines]} (names unquoted, dates in UTC)."""
    if (der, kind) not in PKI_PRINTS:
        PKI_PRINTS[(der, kind)] = pki_print_uncached(der, kind)
    return PKI_PRINTS[(der, kind)]


def pki_print_uncached(der, kind):
    with tempfile.NamedTemporaryFile(suffix=".der") as handle:
        handle.write(der)
        handle.flush()
        out, key = {}, None
        for line in run(["pki", "--print", "--type", kind, "--in", handle.name]).split("\n"):
            if line[:2] == "  " and line[2:3] != " " and ":" in line:
                key, value = line[2:].split(":", 1)
                out[key] = [unquote(value.strip())]
            elif key and line.strip():
                out[key].append(line.strip())
        return out


def unquote(value):
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def pki_time(line):  # "not before Dec 07 00:33:12 2026, ok" (TZ=UTC)
    words = line.split(",")[0].split()
    return calendar.timegm(time.strptime(" ".join(words[-4:]), "%b %d %H:%M:%S %Y"))


def attribute_certificate(der, x509):
    """An attribute certificate as `pki --print` reads it. pki prints names in strongSwan's form; the holder and the
    issuer are the subjects of the loaded certificates pki prints the same (and, for the holder, whose serial is the
    AC's holder serial), written as openssl writes those certificates' subjects (RFC 4514)."""
    ac = pki_print(der, "ac")

    def rfc4514(name, serial=None):
        matches = [c["subject"] for d, c in x509 if pki_print(d, "x509")["subject"] == [name]
                   and (serial is None or c["serial"] == serial)]
        if len(matches) != 1:
            raise ValueError("no single loaded certificate with subject %s (serial %s)" % (name, serial))
        return matches[0]

    return {
        "holder": rfc4514(ac["subject"][0], colon_hex(ac["hserial"][0])),
        "issuer": rfc4514(ac["issuer"][0]),
        "serial": colon_hex(ac["serial"][0]),
        "not_before": pki_time(ac["validity"][0]), "not_after": pki_time(ac["validity"][1]),
    }


def der_file(der, suffix=".der"):
    handle = tempfile.NamedTemporaryFile(suffix=suffix)
    handle.write(der)
    handle.flush()
    return handle


def issuer_name_hash(der):
    """SHA-1 of a certificate's subject as `openssl ocsp` puts it in a CertID (Issuer Name Hash) for this issuer."""
    with der_file(der) as cert, tempfile.NamedTemporaryFile(suffix=".pem") as pem:
        run(["openssl", "x509", "-inform", "DER", "-in", cert.name, "-out", pem.name])
        for line in run(["openssl", "ocsp", "-issuer", pem.name, "-serial", "0x01", "-req_text"]).split("\n"):
            if line.strip().startswith("Issuer Name Hash:"):
                return line.split(":", 1)[1].strip().lower()
    raise ValueError("openssl ocsp printed no Issuer Name Hash")


def ocsp_response(der, x509):
    """The SingleResponses of an OCSP response as `openssl ocsp -resp_text` reads them. The responder (byName, printed
    in openssl's oneline form) and the CertID's issuer (by its name hash) are named by the loaded certificates with
    that subject, as openssl writes those subjects (RFC 4514); a byKey responder as keyid: + colon hex."""
    with der_file(der) as handle:
        lines = [l.strip() for l in run(["openssl", "ocsp", "-respin", handle.name, "-resp_text", "-noverify"]).split("\n")]
    value = lambda line: line.split(":", 1)[1].strip()
    responder_text = value(next(l for l in lines if l.startswith("Responder Id:")))
    oneline = {run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "oneline"], d)
               .split("=", 1)[1].strip(): c["subject"] for d, c in x509}
    if responder_text in oneline:
        responder = oneline[responder_text]
    elif all(ch in "0123456789ABCDEFabcdef" for ch in responder_text):
        responder = "keyid:" + colon_hex(responder_text)
    else:
        raise ValueError("OCSP responder %s is not a loaded certificate's subject" % responder_text)
    produced = openssl_time(value(next(l for l in lines if l.startswith("Produced At:"))))
    hashes = {issuer_name_hash(d): c["subject"] for d, c in x509}
    out, single = [], None
    for line in lines[:lines.index("Response Extensions:") if "Response Extensions:" in lines else len(lines)]:
        if line == "Certificate ID:":
            single = {"responder": responder, "produced": produced, "next_update": None}
            out.append(single)
        elif single is None:
            continue
        elif line.startswith("Issuer Name Hash:"):
            name_hash = value(line).lower()
            single["issuer"] = hashes.get(name_hash, "sha1:" + name_hash)
        elif line.startswith("Serial Number:"):
            single["serial"] = colon_hex(value(line))
        elif line.startswith("Cert Status:"):
            single["status"] = value(line)
        elif line.startswith("This Update:"):
            single["this_update"] = openssl_time(value(line))
        elif line.startswith("Next Update:"):
            single["next_update"] = openssl_time(value(line))
    return out


KEY_TYPES = {"rsaEncryption": "RSA", "id-ecPublicKey": "ECDSA", "ED25519": "ED25519", "ED448": "ED448"}


def public_key(der):
    """A raw public key (SubjectPublicKeyInfo): `pki --keyid`'s subjkey (SHA-1 of the subjectPublicKey BIT
    STRING's contents) and its algorithm as openssl asn1parse names it."""
    with tempfile.NamedTemporaryFile(suffix=".der") as handle:
        handle.write(der)
        handle.flush()
        lines = run(["pki", "--keyid", "--type", "pub", "--in", handle.name]).split("\n")
    key_id = lines[lines.index(next(l for l in lines if l.startswith("subjkey"))) + 1].strip()
    algorithm = [line.rsplit(":", 1)[1] for line in run(["openssl", "asn1parse", "-inform", "DER"], der).split("\n")
                 if "OBJECT" in line][0]
    return {"key_id": key_id, "key_type": KEY_TYPES.get(algorithm, algorithm)}


def charon_time(value):  # list-certs' not-before/not-after of a PUBKEY: "%T" in UTC, e.g. "Dec 07 00:33:12 2026"
    return calendar.timegm(time.strptime(value, "%b %d %H:%M:%S %Y"))


def pki_families(cert_events, authority_events):
    """The families of list-certs (by type) and list-authorities."""
    has_private_key = lambda event: "yes" if text(event.get("has_privkey", b"no")) == "yes" else "no"
    by_type = {}
    for event in cert_events:
        by_type.setdefault(text(event["type"]), []).append(event)
    out = [
        family("strongswan_certificates_loaded", [({"type": t}, len(events)) for t, events in by_type.items()]),
        family("strongswan_certificates_undecodable", [({"type": t}, 0) for t in by_type]),
    ]

    x509 = [(e["data"], certificate(e["data"])) for e in by_type.get("X509", [])]
    flags = [text(e["flag"]) for e in by_type.get("X509", [])]
    keys = [has_private_key(e) for e in by_type.get("X509", [])]
    ident = lambda c: {"subject": c["subject"], "issuer": c["issuer"], "serial": c["serial"]}
    out += [
        family("strongswan_certificate_info", [(dict(ident(c), flag=flag, has_private_key=key), 1)
                                               for (_, c), flag, key in zip(x509, flags, keys)]),
        family("strongswan_certificate_not_before_timestamp_seconds", [(ident(c), c["not_before"]) for _, c in x509]),
        family("strongswan_certificate_not_after_timestamp_seconds", [(ident(c), c["not_after"]) for _, c in x509]),
    ]

    # CRLs: one identity per issuer and kind; charon's rule picks the newest (higher CRL number, else later thisUpdate).
    newest = {}
    for event in by_type.get("X509_CRL", []):
        c = crl(event["data"])
        key = (c["issuer"], c["kind"])
        rank = (int(c["crl_number"] or -1), c["this_update"])
        if key not in newest or rank > (int(newest[key]["crl_number"] or -1), newest[key]["this_update"]):
            newest[key] = c
    crls = list(newest.values())
    ident = lambda c: {"issuer": c["issuer"], "kind": c["kind"]}
    if crls:
        out += [
            family("strongswan_crl_info", [(dict(ident(c), crl_number=c["crl_number"],
                                                 base_crl_number=c["base_crl_number"]), 1) for c in crls]),
            family("strongswan_crl_this_update_timestamp_seconds", [(ident(c), c["this_update"]) for c in crls]),
            family("strongswan_crl_next_update_timestamp_seconds",
                   [(ident(c), c["next_update"]) for c in crls if c["next_update"] is not None]),
            family("strongswan_crl_revoked_certificates", [(ident(c), c["revoked"]) for c in crls]),
        ]

    # OCSP responses: one identity per SingleResponse {responder, issuer, serial}; the newest producedAt wins.
    newest = {}
    for event in by_type.get("OCSP_RESPONSE", []):
        for single in ocsp_response(event["data"], x509):
            key = (single["responder"], single["issuer"], single["serial"])
            if key not in newest or single["produced"] > newest[key]["produced"]:
                newest[key] = single
    singles = list(newest.values())
    ident = lambda r: {"responder": r["responder"], "issuer": r["issuer"], "serial": r["serial"]}
    if singles:
        out += [
            family("strongswan_ocsp_response_info", [(dict(ident(r), status=r["status"]), 1) for r in singles]),
            family("strongswan_ocsp_response_produced_timestamp_seconds", [(ident(r), r["produced"]) for r in singles]),
            family("strongswan_ocsp_response_this_update_timestamp_seconds", [(ident(r), r["this_update"]) for r in singles]),
        ]
        samples = [(ident(r), r["next_update"]) for r in singles if r["next_update"] is not None]
        if samples:
            out.append(family("strongswan_ocsp_response_next_update_timestamp_seconds", samples))

    acs = [attribute_certificate(e["data"], x509) for e in by_type.get("X509_AC", [])]
    ident = lambda a: {"holder": a["holder"], "issuer": a["issuer"], "serial": a["serial"]}
    if acs:
        out += [
            family("strongswan_attribute_certificate_info", [(ident(a), 1) for a in acs]),
            family("strongswan_attribute_certificate_not_before_timestamp_seconds",
                   [(ident(a), a["not_before"]) for a in acs]),
            family("strongswan_attribute_certificate_not_after_timestamp_seconds",
                   [(ident(a), a["not_after"]) for a in acs]),
        ]

    keys = []
    for event in by_type.get("PUBKEY", []):
        k = public_key(event["data"])
        k.update(subject=text(event.get("subject", b"")), has_private_key=has_private_key(event),
                 not_before=charon_time(text(event["not-before"])) if "not-before" in event else None,
                 not_after=charon_time(text(event["not-after"])) if "not-after" in event else None)
        keys.append(k)
    ident = lambda k: {"subject": k["subject"], "key_id": k["key_id"]}
    if keys:
        out.append(family("strongswan_public_key_info", [(dict(ident(k), key_type=k["key_type"],
                                                               has_private_key=k["has_private_key"]), 1) for k in keys]))
        for bound in ("not_before", "not_after"):
            samples = [(ident(k), k[bound]) for k in keys if k[bound] is not None]
            if samples:
                out.append(family("strongswan_public_key_%s_timestamp_seconds" % bound, samples))

    # Authorities (list-authorities streams {name: {cacert, crl_uris[], ocsp_uris[], cert_uri_base}}). ca_subject:
    # the loaded CA certificate whose subject pki prints as charon sent `cacert`, as openssl writes it.
    authorities = [(text(name), a) for event in authority_events for name, a in event.items()]
    if authorities:
        def ca_subject(cacert):
            matches = [c["subject"] for d, c in x509 if pki_print(d, "x509")["subject"] == [cacert]]
            return matches[0] if len(matches) == 1 else cacert

        uris = lambda a, key: [text(u) for u in a.get(key, [])]
        out += [
            family("strongswan_authority_info", [({"authority": name, "ca_subject": ca_subject(text(a["cacert"]))}, 1)
                                                 for name, a in authorities]),
            family("strongswan_authority_uris", [({"authority": name, "kind": kind}, len(uris(a, key)))
                                                 for name, a in authorities
                                                 for kind, key in (("crl", "crl_uris"), ("ocsp", "ocsp_uris"))]),
            family("strongswan_authority_uri_info",
                   [({"authority": name, "kind": kind, "uri": uri}, 1) for name, a in authorities
                    for kind, key in (("crl", "crl_uris"), ("ocsp", "ocsp_uris")) for uri in uris(a, key)]
                   + [({"authority": name, "kind": "cert_uri_base", "uri": text(a["cert_uri_base"])}, 1)
                      for name, a in authorities if text(a.get("cert_uri_base", b""))]),
        ]
    return out


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
    authority_events, _ = read(directory, "list-authorities.vici")

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

    # Certificates and the rest of list-certs (each entry {type, flag?, has_privkey?, subject?, data: DER}), and the
    # authorities.
    aggregate += pki_families(cert_events, authority_events)

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
    except FileNotFoundError as error:
        print("golden_facts.py: a tool is missing: %s (openssl; pki from Debian's strongswan-pki)" % (error,),
              file=sys.stderr)
        sys.exit(2)
    except (KeyError, ValueError, IndexError, StopIteration, struct.error, subprocess.CalledProcessError) as error:
        print("golden_facts.py: cannot read the fixtures: %r" % (error,), file=sys.stderr)
        sys.exit(2)
