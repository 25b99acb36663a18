#!/usr/bin/env python3
"""Make gw's charon fetch and cache one OCSP response (lab.sh ocsp).

peer authenticates to gw once with `CN=ocsp-client.lab.test`, a certificate of
the lab's second CA (pki/ocsp-client.{pem,key}); gw checks it with the
revocation plugin, which asks the second CA's authority's OCSP URI
(http://127.0.0.1:8888/ in gw's namespace, where lab.sh runs `openssl ocsp`
for the duration) over the curl plugin. charon keeps the verified response in
its certificate cache, so gw's list-certs lists it (type OCSP_RESPONSE) until
the cache entry is replaced (32 slots) or gw restarts.

Everything is loaded over VICI for the attempt only and unloaded afterwards
(connections `pki-ocsp` on both daemons, peer's private key), like provoke.py.
Exit 0 when the IKE_SA came up and gw lists an OCSP response; 1 otherwise.
"""

import argparse
import os
import sys
import time

import vici

import labtool
from labtool import text
from provoke import GW_IKE, PEER_IKE, GW_TS, PEER_TS, Daemon, child, ike, pem_der, psk_auth

NAME = "pki-ocsp"
CLIENT_ID = "ocsp-client.lab.test"
GW_ID = "pki-ocsp.gw.lab.test"


def ocsp_responses(gw):
    return [e for e in gw.sess.list_certs({"type": "OCSP_RESPONSE"})]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gw", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--lab-dir", required=True)
    a = ap.parse_args()
    pki = os.path.join(a.lab_dir, "pki")
    gw, peer = Daemon("gw", a.gw), Daemon("peer", a.peer)
    problems, ok, msg = [], False, ""
    try:
        peer.load_key("ecdsa", pem_der(os.path.join(pki, "ocsp-client.key")))
        gw.load_conn(NAME, ike(GW_IKE, PEER_IKE, psk_auth(GW_ID),
                               {"auth": "pubkey", "id": CLIENT_ID, "revocation": "strict"},
                               child(NAME, GW_TS, PEER_TS)))
        peer.load_conn(NAME, ike(PEER_IKE, GW_IKE,
                                 {"auth": "pubkey", "id": CLIENT_ID,
                                  "certs": [pem_der(os.path.join(pki, "ocsp-client.pem"))]},
                                 psk_auth(GW_ID), child(NAME, PEER_TS, GW_TS), send_cert="always",
                                 childless="force"))
        # IKE_SA only (RFC 6023 childless; both charons allow it by default): the authentication is the
        # point, a CHILD_SA would need addresses and routes of its own
        try:
            for _ in peer.sess.initiate({"ike": NAME, "timeout": "25000", "init-limits": "no"}):
                pass
            ok, msg = True, "established"
        except vici.exception.CommandException as e:
            ok, msg = False, str(e)
    finally:
        for d in (gw, peer):
            for name, uid, _ in d.sas(prefix=NAME):
                try:
                    for _ in d.sess.terminate({"ike-id": uid, "timeout": "5000", "force": "yes"}):
                        pass
                except vici.exception.CommandException:
                    pass
            d.conns = [c for c in d.conns if c == NAME]
            problems += d.undo()
    responses = ocsp_responses(gw)
    for d in (gw, peer):
        d.close()
    if problems:
        print("ocsp: cleanup: %s" % "; ".join(problems), file=sys.stderr)
    if not ok:
        print("ocsp: peer could not authenticate with %s: %s" % (CLIENT_ID, msg), file=sys.stderr)
        return 1
    if not responses:
        print("ocsp: the IKE_SA came up, but gw lists no OCSP response", file=sys.stderr)
        return 1
    print("ocsp: gw checked %s by OCSP and lists %d OCSP response(s)" % (CLIENT_ID, len(responses)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
