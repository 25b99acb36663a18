#!/usr/bin/env python3
"""Record a real charon's tunnel events and list-sas snapshots as a JSON fixture.

Used to produce the fixtures next to this file (see README.md); not run by the tests.
Needs a running lab (lab/lab.sh up) and strongSwan's Python client (`pip install vici`).

  capture.py --lab LAB_SH --uri unix:///…/gw/charon.vici --out FILE SCENARIO

The fixture is one JSON object (keys in wire order; VICI sections are objects,
lists are arrays, values are strings):

  {"scenario": NAME, "gw": URI-less description,
   "steps": [
     {"kind": "poll",   "at": UNIX, "label": TEXT, "sas": [list-sa event, ...]},
     {"kind": "event",  "at": UNIX, "name": EVENT, "message": {...}},
     {"kind": "action", "at": UNIX, "label": TEXT, "output": TEXT, "traffic": {...}?},
     {"kind": "daemon-lost", "at": UNIX}
   ]}

Steps are in the order this process saw them. Events come from one VICI
connection registered for the five tunnel events, polls from a second one, so
an event and a poll right after it can be in either order; the scenarios wait
a little after every action so that the events of the action come first.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict

import vici

EVENTS = ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "ike-update"]


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


def connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Recorder:
    def __init__(self, uri, lab):
        if not uri.startswith("unix://"):
            raise SystemExit("unix:// URI required")
        self.path = uri[len("unix://"):]
        self.lab = lab
        self.steps = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.listener = None
        self.listening = threading.Event()

    def add(self, step):
        with self.lock:
            self.steps.append(step)

    # --- events -------------------------------------------------------------
    def _listen(self):
        while not self.stop.is_set():
            try:
                sock = connect(self.path)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                sess = vici.Session(sock)
                gen = sess.listen(EVENTS, timeout=0.2)
                self.listening.set()
                for name, msg in gen:
                    if name is not None:
                        self.add(OrderedDict([("kind", "event"), ("at", time.time()),
                                              ("name", name.decode() if isinstance(name, bytes) else name),
                                              ("message", to_json(msg))]))
                    if self.stop.is_set():
                        gen.close()
                        break
            except Exception as e:  # daemon went away: reconnect
                print("listener: %s" % e, file=sys.stderr)
                time.sleep(0.05)
            finally:
                try:
                    sock.close()
                except OSError:
                    pass

    def start(self):
        self.listener = threading.Thread(target=self._listen, daemon=True)
        self.listener.start()
        if not self.listening.wait(10):
            raise SystemExit("could not register for events")

    def finish(self):
        time.sleep(0.5)
        self.stop.set()
        self.listener.join(5)

    # --- polls and actions -----------------------------------------------------
    def poll(self, label):
        sess = vici.Session(connect(self.path))
        sas = [to_json(e) for e in sess.list_sas()]
        self.add(OrderedDict([("kind", "poll"), ("at", time.time()), ("label", label), ("sas", sas)]))
        print("poll %s: %d IKE_SAs" % (label, len(sas)), file=sys.stderr)
        return sas

    def action(self, label, *args, settle=1.0):
        out = subprocess.run([self.lab] + list(args), capture_output=True, text=True)
        step = OrderedDict([("kind", "action"), ("at", time.time()), ("label", label),
                            ("command", "lab.sh " + " ".join(args)), ("output", out.stdout + out.stderr)])
        if args[0] == "traffic":
            for line in out.stdout.splitlines():
                if line.startswith("sent "):
                    parts = line.split()
                    step["traffic"] = OrderedDict([("datagrams", int(parts[1])), ("payload_bytes", int(parts[4]))])
        self.add(step)
        print("%s: rc=%d %s" % (label, out.returncode, (out.stdout + out.stderr).strip().replace("\n", " | ")),
              file=sys.stderr)
        if out.returncode != 0:
            raise SystemExit("action failed: %s" % label)
        time.sleep(settle)

    def daemon_lost(self):
        self.add(OrderedDict([("kind", "daemon-lost"), ("at", time.time())]))

    def wait_events(self, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if predicate([s for s in self.steps if s["kind"] == "event"]):
                    return True
            time.sleep(0.2)
        return False


def count(events, name, conn=None, up=None):
    n = 0
    for e in events:
        if e["name"] != name:
            continue
        msg = e["message"]
        if up is not None and (msg.get("up") == "yes") != up:
            continue
        if conn is not None and conn not in msg:
            continue
        n += 1
    return n


def scenario_lifecycle(r):
    """site-0001: traffic, child rekey (poll during the overlap and after), more traffic, IKE rekey,
    terminate, initiate, traffic."""
    r.poll("initial")
    r.action("traffic 30000", "traffic", "1", "30000")
    r.poll("after traffic 1")
    r.action("child rekey", "rekey", "1", settle=1.0)
    r.poll("rekey overlap")
    time.sleep(6.5)
    r.poll("after rekey overlap")
    r.action("traffic 20000", "traffic", "1", "20000")
    r.poll("after traffic 2")
    r.action("ike rekey", "rekey", "1", "--ike", settle=1.0)
    r.poll("after ike rekey")
    r.action("traffic 10000", "traffic", "1", "10000")
    r.action("terminate", "terminate", "1")
    r.poll("after terminate")
    r.action("initiate", "initiate", "1")
    r.poll("after initiate")
    r.action("traffic 5000", "traffic", "1", "5000")
    r.poll("final")


def scenario_child_only(r):
    """site-0002: terminate and re-initiate only the CHILD_SA (the IKE_SA stays)."""
    r.poll("initial")
    r.action("traffic 7000", "traffic", "2", "7000")
    r.action("terminate child", "swanctl", "--terminate", "--child", "net-0002", "--timeout", "15")
    r.poll("after child terminate")
    r.action("initiate child", "swanctl", "--initiate", "--ike", "site-0002", "--child", "net-0002",
             "--timeout", "30")
    r.poll("after child initiate")
    r.action("traffic 3000", "traffic", "2", "3000")
    r.poll("final")


def start_peer_and_reinitiate(r, sites):
    """`lab.sh start peer` waits until every tunnel is back, but gw initiates the site tunnels only on
    load (or on DPD restart): start the peer in the background and re-initiate the sites from gw."""
    proc = subprocess.Popen([r.lab, "start", "peer"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peer_sock = os.path.join(os.environ["LAB_DIR"], "peer", "charon.vici")
    for _ in range(200):
        if os.path.exists(peer_sock):
            break
        time.sleep(0.1)
    time.sleep(1.0)
    for i in range(1, sites + 1):
        r.action("initiate %d" % i, "initiate", str(i), settle=0.2)
    out, _ = proc.communicate(timeout=180)
    r.add(OrderedDict([("kind", "action"), ("at", time.time()), ("label", "start peer"),
                       ("command", "lab.sh start peer"), ("output", out)]))
    print("start peer: rc=%d" % proc.returncode, file=sys.stderr)
    time.sleep(1.0)


def scenario_peer_restart(r):
    """The peer charon is stopped (SIGTERM: it deletes its IKE_SAs, so gw sees clean downs of the
    site tunnels and of the road warriors, several IKE_SAs named rw), then started again; the sites are
    re-initiated from gw, the road warriors come back by themselves."""
    sites = int(os.environ.get("LAB_TUNNELS", "4"))
    rws = int(os.environ.get("LAB_RW", "2"))
    r.poll("initial")
    r.action("traffic 4000", "traffic", "3", "4000")
    r.poll("after traffic")
    r.action("stop peer", "stop", "peer", settle=0.5)
    ok = r.wait_events(lambda ev: count(ev, "ike-updown", up=False) >= sites + rws, 60)
    print("downs seen: %s" % ok, file=sys.stderr)
    r.poll("peer down")
    start_peer_and_reinitiate(r, sites)
    r.poll("peer back")
    r.action("traffic 2000", "traffic", "3", "2000")
    r.poll("final")


def scenario_peer_dpd(r):
    """The peer charon is killed (SIGKILL): gw notices by DPD (ike-updown/child-updown down for every
    tunnel), restarts the site tunnels (dpd_action=restart, which keep retrying), forgets the road
    warriors (dpd_action=clear); then the peer is started again and everything comes back."""
    sites = int(os.environ.get("LAB_TUNNELS", "4"))
    rws = int(os.environ.get("LAB_RW", "2"))
    r.poll("initial")
    r.action("traffic 2500", "traffic", "4", "2500")
    r.poll("after traffic")
    pid = int(open(os.path.join(os.environ["LAB_DIR"], "peer", "charon.pid")).read().strip())
    os.kill(pid, 9)
    r.add(OrderedDict([("kind", "action"), ("at", time.time()), ("label", "kill -9 peer charon"),
                       ("command", "kill -KILL %d" % pid), ("output", "")]))
    ok = r.wait_events(lambda ev: count(ev, "ike-updown", up=False) >= sites + rws, 120)
    print("DPD downs seen: %s" % ok, file=sys.stderr)
    time.sleep(1.0)
    r.poll("peer dead")
    proc = subprocess.Popen([r.lab, "start", "peer"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=240)
    r.add(OrderedDict([("kind", "action"), ("at", time.time()), ("label", "start peer"),
                       ("command", "lab.sh start peer"), ("output", out)]))
    print("start peer: rc=%d %s" % (proc.returncode, out.strip().replace("\n", " | ")[-300:]), file=sys.stderr)
    time.sleep(1.0)
    r.poll("peer back")
    r.action("traffic 1500", "traffic", "4", "1500")
    r.poll("final")


def scenario_gw_restart(r):
    """The gw charon (the one the exporter watches) is stopped and started again: the exporter loses it
    (daemonLost), then sees fresh SAs (new uniqueids, counters from 0). The road warriors are
    re-initiated from the peer (they would only come back after their DPD otherwise)."""
    rws = int(os.environ.get("LAB_RW", "2"))
    r.poll("initial")
    r.action("traffic 6000", "traffic", "4", "6000")
    r.poll("after traffic")
    r.action("stop gw", "stop", "gw", settle=0.2)
    r.daemon_lost()
    proc = subprocess.Popen([r.lab, "start", "gw"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3.0)
    env = dict(os.environ, STRONGSWAN_CONF=os.path.join(os.environ["LAB_DIR"], "tools.conf"),
               SWANCTL_DIR=os.path.join(os.environ["LAB_DIR"], "peer", "swanctl"))
    for k in range(1, rws + 1):
        out = subprocess.run(["swanctl", "--initiate", "--child", "rw-%03d" % k, "--timeout", "20",
                              "--uri", os.environ["LAB_PEER_VICI"]], env=env, capture_output=True, text=True)
        print("peer initiate rw-%03d: rc=%d" % (k, out.returncode), file=sys.stderr)
    out, _ = proc.communicate(timeout=240)
    r.add(OrderedDict([("kind", "action"), ("at", time.time()), ("label", "start gw"),
                       ("command", "lab.sh start gw"), ("output", out)]))
    print("start gw: rc=%d" % proc.returncode, file=sys.stderr)
    time.sleep(1.0)
    r.poll("gw back")
    r.action("traffic 1000", "traffic", "4", "1000")
    r.poll("final")


def scenario_churn(r):
    """Random terminate/initiate/CHILD_SA rekey/IKE_SA rekey of the site tunnels (`lab.sh churn`, fixed
    seeds, downed tunnels restored after each round), with one datagram through every site tunnel
    (`lab.sh traffic-all`) before each round and a poll after it."""
    r.poll("initial")
    for rnd in range(8):
        r.action("traffic-all 600", "traffic-all", "600", settle=0.3)
        r.action("churn round %d" % rnd, "churn", "4", "--seed", str(100 + rnd), settle=0.5)
        r.poll("round %d" % rnd)
    r.action("traffic-all 600", "traffic-all", "600", settle=0.3)
    r.poll("final")


def peer_swanctl(r, label, *args):
    env = dict(os.environ, STRONGSWAN_CONF=os.path.join(os.environ["LAB_DIR"], "tools.conf"),
               SWANCTL_DIR=os.path.join(os.environ["LAB_DIR"], "peer", "swanctl"))
    out = subprocess.run(["swanctl"] + list(args) + ["--uri", os.environ["LAB_PEER_VICI"]], env=env,
                         capture_output=True, text=True)
    r.add(OrderedDict([("kind", "action"), ("at", time.time()), ("label", label),
                       ("command", "swanctl (peer) " + " ".join(args)), ("output", out.stdout + out.stderr)]))
    print("%s: rc=%d" % (label, out.returncode), file=sys.stderr)
    if out.returncode != 0:
        raise SystemExit("action failed: %s" % label)
    time.sleep(1.0)


def scenario_peer_rekeys(r):
    """site-0001 rekeyed by the peer (gw responds): CHILD_SA rekey (poll during the overlap and after),
    IKE_SA rekey, with traffic before and after."""
    r.poll("initial")
    r.action("traffic 9000", "traffic", "1", "9000")
    r.poll("after traffic 1")
    peer_swanctl(r, "peer rekeys CHILD_SA", "--rekey", "--child", "net-0001")
    r.poll("rekey overlap")
    time.sleep(6.5)
    r.poll("after rekey overlap")
    r.action("traffic 3000", "traffic", "1", "3000")
    peer_swanctl(r, "peer rekeys IKE_SA", "--rekey", "--ike", "site-0001")
    r.poll("after ike rekey")
    time.sleep(1.0)
    r.action("traffic 1000", "traffic", "1", "1000")
    r.poll("final")


SCENARIOS = {
    "lifecycle": scenario_lifecycle,
    "child-only": scenario_child_only,
    "peer-restart": scenario_peer_restart,
    "peer-dpd": scenario_peer_dpd,
    "gw-restart": scenario_gw_restart,
    "churn": scenario_churn,
    "peer-rekeys": scenario_peer_rekeys,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--lab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    a = ap.parse_args()
    r = Recorder(a.uri, a.lab)
    r.start()
    t0 = time.time()
    failed = None
    try:
        SCENARIOS[a.scenario](r)
    except SystemExit as e:
        failed = e
    finally:
        r.finish()
    fixture = OrderedDict([("scenario", a.scenario), ("description", SCENARIOS[a.scenario].__doc__.strip()),
                           ("charon", subprocess.run(["/usr/lib/ipsec/charon", "--version"], capture_output=True,
                                                     text=True).stdout.strip() or "charon"),
                           ("started", t0), ("steps", r.steps)])
    with open(a.out, "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")
    kinds = {}
    for s in r.steps:
        key = s["kind"] if s["kind"] != "event" else s["name"]
        kinds[key] = kinds.get(key, 0) + 1
    print("wrote %s: %s" % (a.out, kinds), file=sys.stderr)
    if failed is not None:
        raise failed


if __name__ == "__main__":
    main()
