#!/usr/bin/env python3
"""Run one VICI command against a charon socket and print the result as JSON.

The independent reference reader for the exporter's tests: it uses strongSwan's
own Python client (PyPI package `vici`) for the wire protocol.

Usage:
  vici_dump.py URI COMMAND [KEY=VALUE | KEY[]=VALUE ...] [--stream EVENT]
               [--timeout S] [--compact]

  vici_dump.py unix:///tmp/strongswan-lab/gw/charon.vici list-sas
  vici_dump.py unix:///tmp/strongswan-lab/gw/charon.vici get-counters all=yes
  vici_dump.py unix:///tmp/strongswan-lab/gw/charon.vici get-pools leases=yes
  vici_dump.py unix:///tmp/strongswan-lab/gw/charon.vici list-certs type=X509

Request message: KEY=VALUE adds a key/value, KEY[]=VALUE appends an item to
the list KEY (e.g. `ike=site-0001`, `child[]=...`).

Streamed commands (list-sas, list-policies, list-conns, list-certs,
list-authorities) are recognised and their events collected; --stream EVENT
forces streaming with the given event name (and --stream none disables it).

Output:
  non-streamed: the response message as one JSON object
  streamed:     a JSON array with one object per event, in order
Mapping: sections -> objects (keys in wire order), lists -> arrays,
values -> strings (UTF-8). A value (or list item) that is not valid UTF-8 is
printed as the object {"$hex": "<lowercase hex of the raw bytes>"}.
A key that appears twice in one section keeps the last value (as the
`vici` package does).

Exit status: 0 on success; 1 if the daemon answered with success=no (the
response or events are still printed, errmsg goes to stderr); 2 on
connection or protocol errors.
"""

import argparse
import json
import signal
import socket
import sys
from collections import OrderedDict

from vici.protocol import Message, Packet, Transport

STREAMED = {
    "list-sas": "list-sa",
    "list-policies": "list-policy",
    "list-conns": "list-conn",
    "list-certs": "list-cert",
    "list-authorities": "list-authority",
}


def to_json(value):
    if isinstance(value, (dict, OrderedDict)):
        return OrderedDict((k, to_json(v)) for k, v in value.items())
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"$hex": value.hex()}
    return str(value)


def parse_message(args):
    msg = OrderedDict()
    for arg in args:
        if "=" not in arg:
            raise SystemExit("request arguments must be KEY=VALUE or KEY[]=VALUE: %r" % arg)
        key, value = arg.split("=", 1)
        if key.endswith("[]"):
            msg.setdefault(key[:-2], []).append(value)
        else:
            msg[key] = value
    return msg


class Client:
    def __init__(self, uri, timeout):
        if not uri.startswith("unix://"):
            raise SystemExit("URI must be unix:///path: %s" % uri)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(uri[len("unix://"):])
        self.transport = Transport(sock)

    def roundtrip(self, packet):
        self.transport.send(packet)
        return Packet.parse(self.transport.receive())

    def event_registration(self, event, register):
        packet = (Packet.register_event if register else Packet.unregister_event)(event)
        resp = self.roundtrip(packet)
        while resp.response_type == Packet.EVENT:        # late event, skip
            resp = Packet.parse(self.transport.receive())
        if resp.response_type == Packet.EVENT_UNKNOWN:
            raise RuntimeError("unknown event %r" % event)
        if resp.response_type != Packet.EVENT_CONFIRM:
            raise RuntimeError("unexpected response type %d to event (un)registration"
                               % resp.response_type)

    def request(self, command, message, event=None):
        """Returns (events, response); events is None if not streamed."""
        payload = Message.serialize(message) if message else None
        events = None
        if event:
            self.event_registration(event, True)
            events = []
        self.transport.send(Packet.request(command, payload))
        while True:
            resp = Packet.parse(self.transport.receive())
            if resp.response_type == Packet.EVENT and event is not None:
                events.append(Message.deserialize(resp.payload))
                continue
            break
        if resp.response_type == Packet.CMD_UNKNOWN:
            raise RuntimeError("unknown command %r" % command)
        if resp.response_type != Packet.CMD_RESPONSE:
            raise RuntimeError("unexpected response type %d" % resp.response_type)
        response = Message.deserialize(resp.payload)
        if event:
            self.event_registration(event, False)
        return events, response


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)      # quiet when piped into head
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("uri")
    ap.add_argument("command")
    ap.add_argument("args", nargs="*", metavar="KEY=VALUE")
    ap.add_argument("--stream", metavar="EVENT",
                    help="collect this event type (default: known for list-* commands)")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--compact", action="store_true", help="one line, no indentation")
    a = ap.parse_args()

    event = a.stream if a.stream is not None else STREAMED.get(a.command)
    if event == "none":
        event = None
    try:
        client = Client(a.uri, a.timeout)
        events, response = client.request(a.command, parse_message(a.args), event)
    except (OSError, RuntimeError) as e:
        print("vici_dump: %s: %s" % (a.uri, e), file=sys.stderr)
        return 2

    out = [to_json(e) for e in events] if events is not None else to_json(response)
    if a.compact:
        print(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
    else:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    if response.get("success", b"yes") != b"yes":
        print("vici_dump: %s failed: %s" % (a.command, to_json(response.get("errmsg", b""))),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
