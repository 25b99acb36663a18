#!/usr/bin/env python3
"""Helpers of scripts/dashboards-e2e.sh (stdlib only): JSON and HTTP checks against the dashboards, the rules
and a running Prometheus. Every check prints one line starting with PASS, FAIL or SKIP; the shell script
counts them.

  lint DASHBOARD...                                  static checks of the dashboard JSON
  rules-coverage RULES TESTS                         every alert (and severity) fires and stays quiet in a test
  lean --dashboards FILE... --rules FILE...          no panel query, variable or rule uses a family the
                                                     exporter only exposes with an opt-in flag; the
                                                     error-notify families, labels and reasons they use
                                                     are the exporter's (issue 14)
  exposition-lean --url URL                          the exporter's scrape has none of these families
                                                     (it runs with the default flags)
  panels --prom URL --dashboard FILE [--var k=v]... [--pending NAME]... [--optional NAME]... [--only NAME]...
         [--unsupported NAME]... [--timeout S]       every panel query returns data (queries whose only
                                                     absent metrics are --pending names, and queries using
                                                     an --optional name (series only for some connections)
                                                     that return nothing: SKIP; so are queries whose absent
                                                     metrics are all --unsupported: families an exporter or
                                                     lab from before issue 16 has no series of); --only:
                                                     just the queries that use these metrics, no variables
  rules-health --prom URL [--unsupported NAME]... [--timeout S]
                                                     Prometheus evaluates every rule without error and
                                                     every recording rule has data (an --unsupported one
                                                     without data: SKIP)
  pki-alerts --prom URL --instance I --stale-issuer DN --fresh-issuer DN --expired-cn CN [--timeout S]
                                                     StrongSwanCRLStale fires for the stale issuer's CRL and
                                                     no other issuer (the fresh issuer's CRL is in Prometheus
                                                     and current), StrongSwanCertificateExpired for the
                                                     certificate with that CN and no other (issue 16)
  alerts --prom URL                                  print the active alerts as JSON (one line)
  tunnel-down-reasons --prom URL --instance I --conn C
                                                     every firing TunnelDown names its connection's latest
                                                     failure reason when it has one, and no failure when not;
                                                     one of them is for C
  wait-alert --prom URL --alert NAME --label k=v --state pending|firing|gone [--timeout S]
  wait-metric --url URL --series SERIES --value V [--timeout S]
  watch-metric --url URL --series SERIES [--duration S]   min, max and number of samples
  series --url URL [--conn NAME]                     the strongswan_* series of a scrape (no values, no
                                                     strongswan_exporter_*), one a line, sorted; --conn:
                                                     only those of that connection and those without conn
  query --prom URL EXPR                              print the result vector as JSON (one line)
  rewrite-for RULES OUT DURATION                     copy of the alerts with TunnelDown's `for:` replaced
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DS_UID = "${datasource}"


def say(status, message):
    print(f"{status} {message}", flush=True)


# --------------------------------------------------------------------------- HTTP


def http_json(url, params=None, timeout=10):
    if params:
        url = url + "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except Exception:
            return {"status": "error", "error": f"HTTP {e.code}"}


def prom_query(prom, expr):
    """(result list, error string or None)"""
    try:
        r = http_json(prom + "/api/v1/query", {"query": expr})
    except Exception as e:  # connection problems: retried by callers
        return None, f"unreachable: {e}"
    if r.get("status") != "success":
        return None, r.get("error", "error")
    return r["data"]["result"], None


def active_alerts(prom):
    r = http_json(prom + "/api/v1/alerts")
    return r.get("data", {}).get("alerts", [])


# --------------------------------------------------------------------------- dashboards


def all_panels(dashboard):
    for p in dashboard.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:  # collapsed rows keep their panels inside
            yield q


def substitute(expr, variables):
    """Grafana's template variables: $var, ${var}, ${var:format}, [[var]]."""
    def value(name):
        if name not in variables:
            raise KeyError(name)
        return variables[name]
    expr = re.sub(r"\$\{(\w+)(?::\w+)?\}", lambda m: value(m.group(1)), expr)
    expr = re.sub(r"\[\[(\w+)(?::\w+)?\]\]", lambda m: value(m.group(1)), expr)
    return re.sub(r"\$(\w+)", lambda m: value(m.group(1)), expr)


def cmd_lint(args):
    ok = True
    for path in args.dashboards:
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except Exception as e:
            say("FAIL", f"{name}: valid JSON ({e})")
            ok = False
            continue
        problems = []
        if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 39:
            problems.append(f"schemaVersion {d.get('schemaVersion')} < 39")
        if d.get("id") is not None:
            problems.append("dashboard id must be null for import")
        if not d.get("uid") or not d.get("title"):
            problems.append("uid and title needed")
        variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
        ds = variables.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
            problems.append("no Prometheus data source variable 'datasource'")
        for needed in ("instance", "conn"):
            if needed not in variables:
                problems.append(f"no '{needed}' variable")
        for vname, v in variables.items():
            if v.get("type") == "query" and v.get("datasource", {}).get("uid") != DS_UID:
                problems.append(f"variable {vname} does not use ${{datasource}}")

        # No hard-coded data source uid anywhere (the built-in annotation's "-- Grafana --" is not one).
        def walk(node, where):
            if isinstance(node, dict):
                dsn = node.get("datasource")
                if isinstance(dsn, dict) and dsn.get("type") != "grafana" and dsn.get("uid") != DS_UID:
                    problems.append(f"{where}: datasource {dsn}")
                if isinstance(dsn, str) and dsn not in (DS_UID, "-- Grafana --"):
                    problems.append(f"{where}: datasource {dsn!r}")
                for k, v in node.items():
                    walk(v, f"{where}.{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{where}[{i}]")
        walk(d, name)

        ids, cells, queries = set(), {}, 0
        for p in all_panels(d):
            pid = p.get("id")
            if pid in ids:
                problems.append(f"duplicate panel id {pid}")
            ids.add(pid)
            g = p.get("gridPos") or {}
            if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
                problems.append(f"panel {p.get('title')!r}: bad gridPos {g}")
                continue
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    if (x, y) in cells:
                        problems.append(f"panels {cells[(x, y)]!r} and {p.get('title')!r} overlap")
                        break
                    cells[(x, y)] = p.get("title")
                else:
                    continue
                break
            if p.get("type") == "row":
                continue
            if not p.get("title") or not p.get("description"):
                problems.append(f"panel {pid}: title and description needed")
            tg = p.get("targets") or []
            if not tg or not all(t.get("expr") for t in tg):
                problems.append(f"panel {p.get('title')!r}: no query")
            if len({t.get("refId") for t in tg}) != len(tg):
                problems.append(f"panel {p.get('title')!r}: duplicate refId")
            queries += len(tg)
        if problems:
            ok = False
            say("FAIL", f"{name}: " + "; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))
        else:
            say("PASS", f"{name}: schema {d['schemaVersion']}, ${{datasource}} everywhere, variables "
                f"{', '.join(n for n in variables if n != 'datasource')}, {len(ids)} panels, {queries} queries, "
                "no overlaps")
    return 0 if ok else 1


# --------------------------------------------------------------------------- rules


def parse_rules(path):
    """(alert name, severity) of every alerting rule, from the YAML text (stdlib only)."""
    out, name = [], None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*- alert:\s*(\S+)", line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r"\s*severity:\s*(\S+)", line)
        if m and name:
            out.append((name, m.group(1)))
            name = None
    return out


def parse_tests(path):
    """alert_rule_test blocks: list of (alertname, [severities of expected alerts]) from the YAML text."""
    blocks, cur = [], None
    for line in open(path, encoding="utf-8"):
        if re.match(r"\s*- eval_time:", line):
            cur = {"alert": None, "sev": [], "empty": False}
            blocks.append(cur)
            continue
        if re.match(r"\s*- (name|interval|series|expr):", line) or re.match(r"\s*(input_series|promql_expr_test):", line):
            cur = None
            continue
        if cur is None:
            continue
        m = re.match(r"\s*alertname:\s*(\S+)", line)
        if m:
            cur["alert"] = m.group(1)
        if re.match(r"\s*exp_alerts:\s*\[\]", line):
            cur["empty"] = True
        for sev in re.findall(r"severity:\s*(\w+)", line):
            cur["sev"].append(sev)
    return [b for b in blocks if b["alert"]]


def cmd_rules_coverage(args):
    rules = []
    for path in args.rules:
        rules += parse_rules(path)
    blocks = []
    for path in args.tests:
        blocks += parse_tests(path)
    ok = True
    for name in sorted({n for n, _ in rules}):
        quiet = any(b["alert"] == name and (b["empty"] or not b["sev"]) for b in blocks)
        sevs = sorted(s for n, s in rules if n == name)
        missing = [s for s in sevs if not any(b["alert"] == name and s in b["sev"] for b in blocks)]
        if quiet and not missing:
            say("PASS", f"unit tests cover {name} firing ({', '.join(sevs)}) and not firing")
        else:
            ok = False
            say("FAIL", f"unit tests of {name}: " + ("no not-firing case; " if not quiet else "")
                + (f"never fires with severity {', '.join(missing)}" if missing else ""))
    return 0 if ok else 1


def cmd_rules_health(args):
    r = http_json(args.prom + "/api/v1/rules")
    groups = r.get("data", {}).get("groups", [])
    ok = bool(groups)
    # Every recording rule must return data from the lab (with the exporter's default flags); a rule
    # evaluates every second, so wait a little for its first samples.
    records = [x["name"] for g in groups for x in g["rules"] if x.get("type") == "recording"]
    deadline, empty = time.time() + args.timeout, list(records)
    while empty:
        empty = [n for n in empty if not prom_query(args.prom, f"count({n})")[0]]
        if not empty or time.time() > deadline:
            break
        # only rules whose families this exporter and lab have no series of left: 10 s, not the whole timeout
        if time.time() - (deadline - args.timeout) > 10 and all(n in (args.unsupported or []) for n in empty):
            break
        time.sleep(1)
    for n in records:
        if n in empty and n in (args.unsupported or []):
            say("SKIP", f"recording rule {n}: no data (its families have no series from this exporter and lab; "
                "issue 16, E2E_PKI=require makes this a failure)")
        elif n in empty:
            ok = False
            say("FAIL", f"recording rule {n}: no data after {args.timeout:.0f}s")
        else:
            say("PASS", f"recording rule {n}: has data")
    if not groups:
        say("FAIL", "Prometheus loaded no rule groups")
    for g in groups:
        bad = [f"{x.get('name')}: {x.get('lastError')}" for x in g["rules"] if x.get("health") != "ok"]
        alerting = [x for x in g["rules"] if x.get("type") == "alerting"]
        incomplete = [x["name"] for x in alerting
                      if not x.get("labels", {}).get("severity")
                      or not x.get("annotations", {}).get("summary")
                      or "$labels." not in x.get("annotations", {}).get("description", "")]
        if bad or incomplete:
            ok = False
            say("FAIL", f"rule group {g['name']}: " + "; ".join(bad + [f"{n}: severity/summary/description with labels missing" for n in incomplete]))
        else:
            say("PASS", f"rule group {g['name']}: {len(g['rules'])} rules evaluated without error"
                + (f", {len(alerting)} alerts with severity, summary and a description naming labels" if alerting else ""))
    return 0 if ok else 1


def cmd_rewrite_for(args):
    text = open(args.rules, encoding="utf-8").read()
    new, n = re.subn(r"(?m)^(\s*for:\s*)\S+(\s*# TunnelDown-for)$", lambda m: m.group(1) + args.duration + m.group(2), text)
    if n != 1:
        print(f"rewrite-for: expected one '# TunnelDown-for' line in {args.rules}, found {n}", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(new)
    return 0


# --------------------------------------------------------------------------- lean by default


# Families the exporter exposes only with an opt-in flag (None: no longer at all), and the flag.
OPT_IN_FAMILIES = [
    (r"strongswan_ike_sa_[a-z_]+", "--collector.sas.per-sa"),
    (r"strongswan_child_sa_[a-z_]+", "--collector.sas.per-sa"),
    (r"strongswan_connection_child_sas", None),  # removed: strongswan_child_sas_by_state, strongswan_child_sa_state
    (r"strongswan_connection_ike_messages_total", "--collector.counters.per-conn"),
    (r"strongswan_connection_ike_rekeys_total", "--collector.counters.per-conn"),
    (r"strongswan_connection_child_rekeys_total", "--collector.counters.per-conn"),
    (r"strongswan_connection_ike_invalid_messages_total", "--collector.counters.per-conn"),
    (r"strongswan_connection_ike_invalid_spi_total", "--collector.counters.per-conn"),
    (r"strongswan_connection_ike_sa_events_total", "--collector.counters.per-conn"),
]


# The families of charon's error-notify socket (default: on; none with --no-error-notify), with the labels
# each has besides the target's, and the values of `reason` and `notice` (shared design of issue 14).
ERROR_NOTIFY_FAMILIES = {
    "strongswan_failures_total": {"reason"},
    "strongswan_connection_failures_total": {"conn"},
    "strongswan_connection_failures_by_reason_total": {"conn", "reason"},
    "strongswan_connection_last_failure_timestamp_seconds": {"conn", "reason"},
    "strongswan_ike_notices_total": {"notice"},
    "strongswan_error_notify_up": set(),
}
FAILURE_REASONS = {
    "radius_not_responding", "local_auth_failed", "peer_auth_failed", "parse_error", "retransmit_timeout",
    "half_open_timeout", "ike_proposal_mismatch", "child_proposal_mismatch", "ts_mismatch",
    "child_sa_install_failed", "policy_install_failed", "unique_replace", "unique_keep", "vip_failure",
    "authorization_failed", "cert_expired", "cert_revoked", "cert_no_issuer", "peer_address_failed",
    "peer_unreachable", "invalid_ike_spi", "child_sa_failed", "ike_sa_expired", "cert_validation_failed",
    "cert_untrusted_root", "cert_path_too_long", "cert_policy_violation", "unknown",
}
NOTICES = {"retransmit_sent", "retransmit_cleared", "retransmit_received", "ts_narrowed"}
# A name that looks like one of them (a typo or a family that does not exist) is an error.
ERROR_NOTIFY_LIKE = re.compile(r"strongswan_\w*(?:fail|notice|notify)\w*")
TARGET_LABELS = {"job", "instance"}


def error_notify_problems(text):
    """Names, label matchers and reason/notice values of the error-notify families in a query, rule or
    annotation text that the exporter does not have. Returns (problems, number of uses)."""
    problems, uses = [], 0
    for m in re.finditer(r"\b(strongswan_\w+)\b(?:\s*\{([^}]*)\})?", text):
        name, matchers = m.group(1), m.group(2) or ""
        if not ERROR_NOTIFY_LIKE.fullmatch(name):
            continue
        uses += 1
        if name not in ERROR_NOTIFY_FAMILIES:
            problems.append(f"{name}: no such error-notify family")
            continue
        for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers):
            if label not in ERROR_NOTIFY_FAMILIES[name] | TARGET_LABELS:
                problems.append(f"{name}: has no label {label}")
    # label values, wherever a reason or notice is matched (selectors of recording rules included)
    for label, vocabulary in (("reason", FAILURE_REASONS), ("notice", NOTICES)):
        for value in re.findall(label + r'\s*(?:=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', text):
            for alt in value.split("|"):
                if re.fullmatch(r"[a-z_]+", alt) and alt not in vocabulary:
                    problems.append(f'{label} "{alt}" is not one of the exporter\'s values')
        # alert templates: eq $labels.reason "..."
        for alt in re.findall(r"\$labels\." + label + r'\s+"(\w+)"', text):
            if alt not in vocabulary:
                problems.append(f'template: {label} "{alt}" is not one of the exporter\'s values')
    return problems, uses


def opt_in_uses(expr, legend=""):
    """Opt-in families an expression (and its legend) needs: [(what, flag or None when no flag gives it)]."""
    out = []
    for name in metric_names(expr):
        for pattern, flag in OPT_IN_FAMILIES:
            if re.fullmatch(pattern, name):
                out.append((name, flag))
    # strongswan_connection_ike_sas has no state label any more (one series per connection)
    if re.search(r"\bstrongswan_connection_ike_sas\b", expr) and (
            re.search(r"\bstrongswan_connection_ike_sas\s*\{[^}]*\bstate\b", expr)
            or re.search(r"\b(by|without|on|ignoring)\s*\([^)]*\bstate\b", expr)
            or "{{state}}" in legend.replace(" ", "")):
        out.append(("strongswan_connection_ike_sas by state", None))
    return out


def needs(flag):
    return f"needs {flag}" if flag else "no longer exposed"


def rule_exprs(path):
    """(name, expr) of every rule, from the YAML text (stdlib only): `expr: x` or a `expr: |` block."""
    out, name, lines = [], None, open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*- (?:alert|record):\s*(\S+)", line)
        if m:
            name = m.group(1)
        m = re.match(r"(\s*)expr:\s*(.*)$", line)
        if m:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", ">", "|-", ">-"):
                block = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    block.append(lines[i])
                    i += 1
                out.append((name, "\n".join(block)))
                continue
            out.append((name, rest))
        i += 1
    return out


def cmd_lean(args):
    ok = True
    for path in args.dashboards:
        d = json.load(open(path, encoding="utf-8"))
        name, bad, n = os.path.basename(path), [], 0
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") == "query":
                n += 1
                q = v.get("definition") or (v.get("query") or {}).get("query", "")
                bad += [f"variable ${v['name']}: {what} ({needs(flag)})" for what, flag in opt_in_uses(q)]
        for p in all_panels(d):
            for t in p.get("targets", []) or []:
                n += 1
                bad += [f"{p.get('title')} [{t.get('refId')}]: {what} ({needs(flag)})"
                        for what, flag in opt_in_uses(t.get("expr", ""), t.get("legendFormat", ""))]
        if bad:
            ok = False
            say("FAIL", f"{name}: queries need more than the default flags: " + "; ".join(bad))
        else:
            say("PASS", f"{name}: all {n} queries and variables use default families only")
        texts = [v.get("definition") or (v.get("query") or {}).get("query", "")
                 for v in d.get("templating", {}).get("list", []) if v.get("type") == "query"]
        texts += [t.get("expr", "") for p in all_panels(d) for t in p.get("targets", []) or []]
        ok = error_notify_check(name, "\n".join(texts)) and ok
    for path in args.rules:
        rules = rule_exprs(path)
        name = os.path.basename(path)
        bad = [f"{r}: {what} ({needs(flag)})" for r, e in rules for what, flag in opt_in_uses(e)]
        if not rules:
            ok = False
            say("FAIL", f"{name}: no rule expressions found")
        elif bad:
            ok = False
            say("FAIL", f"{name}: rules need more than the default flags: " + "; ".join(bad))
        else:
            say("PASS", f"{name}: all {len(rules)} rules use default families only")
        # the whole file: expressions, and the queries and reasons in alert templates
        ok = error_notify_check(name, open(path, encoding="utf-8").read()) and ok
    return 0 if ok else 1


def error_notify_check(name, text):
    problems, uses = error_notify_problems(text)
    if problems:
        say("FAIL", f"{name}: error-notify families: " + "; ".join(sorted(set(problems))))
        return False
    say("PASS", f"{name}: {uses} uses of error-notify families, all with the families, labels and "
        "reasons the exporter has" if uses else f"{name}: no error-notify family used")
    return True


def cmd_exposition_lean(args):
    try:
        with urllib.request.urlopen(args.url, timeout=10) as r:
            text = r.read().decode()
    except Exception as e:
        say("FAIL", f"scrape {args.url}: {e}")
        return 1
    families = set(re.findall(r"(?m)^# TYPE (\S+) ", text))
    bad = sorted(f for f in families for pattern, _ in OPT_IN_FAMILIES if re.fullmatch(pattern, f))
    by_state = re.search(r'(?m)^strongswan_connection_ike_sas\{[^}]*\bstate="', text)
    if bad or by_state:
        say("FAIL", "the exporter runs with the default flags: its scrape has opt-in families "
            + ", ".join(bad + (["strongswan_connection_ike_sas{state}"] if by_state else [])))
        return 1
    say("PASS", f"the exporter runs with the default flags: none of the opt-in families in its scrape "
        f"({len(families)} families)")
    return 0


# --------------------------------------------------------------------------- panels


PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression selects (roughly, but good for the expressions of dashboards)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)           # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)                          # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                        # ranges and subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)  # label lists
    names = []
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word, rest = m.group(0), e[m.end():].lstrip()
        if word.lower() in PROMQL_WORDS or rest.startswith("("):
            continue
        if re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.append(word)
    return sorted(set(names))


def cmd_panels(args):
    variables = {"__rate_interval": "1m", "__interval": "5s", "__range": "5m", "__range_s": "300",
                 "__range_ms": "300000", "__interval_ms": "5000", "__auto": "5s"}
    checks = []  # (label, expr, pending names referenced, optional names referenced)
    ok = True
    for spec in args.dashboard:
        path, _, extra = spec.partition(":")
        d = json.load(open(path, encoding="utf-8"))
        dvars = dict(variables)
        for kv in (args.var or []) + ([x for x in extra.split(",") if x] if extra else []):
            k, _, v = kv.partition("=")
            dvars[k] = v
        dvars["datasource"] = ""
        name = os.path.basename(path)
        # template variable queries
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") != "query" or args.only:
                continue
            q = v.get("definition") or (v.get("query") or {}).get("query", "")
            m = re.match(r"label_values\((.*),\s*(\w+)\)\s*$", q, re.S)
            if not m:
                say("FAIL", f"{name}: variable {v['name']}: unsupported query {q!r}")
                ok = False
                continue
            try:
                checks.append((f"{name}: variable ${v['name']}", ("label", m.group(2), substitute(m.group(1), dvars)), [], []))
            except KeyError as e:
                say("FAIL", f"{name}: variable {v['name']}: unknown variable {e}")
                ok = False
        for p in all_panels(d):
            for t in p.get("targets", []) or []:
                label = f"{name}: {p.get('title')} [{t.get('refId')}]"
                try:
                    expr = substitute(t["expr"], dvars)
                except KeyError as e:
                    say("FAIL", f"{label}: unknown variable {e}")
                    ok = False
                    continue
                if args.only and not any(re.search(r"\b" + re.escape(n) + r"\b", expr) for n in args.only):
                    continue
                pend = [n for n in args.pending or [] if re.search(r"\b" + re.escape(n) + r"\b", expr)]
                opt = [n for n in args.optional or [] if re.search(r"\b" + re.escape(n) + r"\b", expr)]
                checks.append((label, ("query", expr), pend, opt))

    if args.only and not checks:
        say("FAIL", f"no panel query uses {', '.join(args.only)}")
        return 1
    present = {}

    def exists(metric):
        if metric not in present:
            data, _ = prom_query(args.prom, f'count({{__name__="{metric}"}})')
            present[metric] = bool(data)
        return present[metric]

    start = time.time()
    deadline = start + args.timeout
    results = {}
    todo = list(range(len(checks)))
    while todo:
        still = []
        for i in todo:
            label, (kind, *q), _, _ = checks[i]
            if kind == "label":
                r = http_json(args.prom + f"/api/v1/label/{q[0]}/values", {"match[]": q[1]})
                data, err = (r.get("data"), None) if r.get("status") == "success" else (None, r.get("error"))
            else:
                data, err = prom_query(args.prom, q[0])
            if err and not err.startswith("unreachable"):
                results[i] = ("error", err)
            elif data:
                results[i] = ("data", data)
            else:
                results[i] = ("empty", err)
                still.append(i)
        todo = still
        if not todo or time.time() > deadline:
            break
        # Only queries waiting for absent pending metrics, for optional ones, or for absent unsupported ones
        # left: give them 10 s, not the whole timeout.
        if time.time() - start > 10 and all(
                checks[i][3] or any(not exists(n) for n in checks[i][2])
                or (checks[i][1][0] == "query" and any(not exists(n) for n in args.unsupported or []
                                                       if re.search(r"\b" + re.escape(n) + r"\b", checks[i][1][1])))
                for i in todo):
            break
        time.sleep(1)
        present.clear()

    for i, (label, (kind, *q), pend, opt) in enumerate(checks):
        status, data = results.get(i, ("empty", None))
        if status == "data":
            n = len(data)
            say("PASS", f"{label}: {n} {'value' if kind == 'label' else 'series'}{'s' if n != 1 and kind == 'label' else ''}")
        elif status == "error":
            ok = False
            say("FAIL", f"{label}: {data}\n       {q[-1]}")
        else:
            absent = [n for n in pend if not exists(n)]
            missing = [n for n in metric_names(q[-1]) if n not in pend and not exists(n)] if kind == "query" else []
            unsupported = set(args.unsupported or [])
            if missing and all(n in unsupported for n in missing):
                say("SKIP", f"{label}: no data ({', '.join(missing)}: no series from this exporter and lab; "
                    "issue 16 families, E2E_PKI=require makes this a failure)")
            elif absent and not missing:
                say("SKIP", f"{label}: no data yet ({', '.join(absent)} absent until the exporter sees a tunnel change; checked after the outage)")
            elif opt and all(n in opt for n in missing):
                say("SKIP", f"{label}: no data for this selection ({', '.join(opt)} has series only for connections "
                    "that failed; checked after lab.sh provoke)")
            else:
                ok = False
                why = f" (no series of {', '.join(missing)})" if missing else ""
                say("FAIL", f"{label}: no data after {time.time() - start:.0f}s{why}\n       {q[-1]}")
    return 0 if ok else 1


# --------------------------------------------------------------------------- waiting


def cmd_wait_alert(args):
    want = dict(kv.split("=", 1) for kv in args.label)
    start = time.time()
    while True:
        found = [a for a in active_alerts(args.prom)
                 if a["labels"].get("alertname") == args.alert and all(a["labels"].get(k) == v for k, v in want.items())]
        states = {a["state"] for a in found}
        done = (args.state == "gone" and not found) or (args.state in states) or \
               (args.state == "pending" and "firing" in states)
        if done:
            print(json.dumps({"seconds": round(time.time() - start, 1), "alerts": found}))
            return 0
        if time.time() - start > args.timeout:
            print(json.dumps({"seconds": None, "alerts": found}))
            return 1
        time.sleep(0.2)


def cmd_wait_metric(args):
    """Polls an exposition until SERIES (name{labels} exactly as exposed) has VALUE."""
    start = time.time()
    pat = re.compile(r"^" + re.escape(args.series) + r"\s+(\S+)", re.M)
    while True:
        try:
            with urllib.request.urlopen(args.url, timeout=5) as r:
                m = pat.search(r.read().decode())
            if m and float(m.group(1)) == float(args.value):
                print(f"{time.time() - start:.2f}")
                return 0
        except Exception:
            pass
        if time.time() - start > args.timeout:
            print("timeout")
            return 1
        time.sleep(0.05)


def cmd_watch_metric(args):
    """Samples SERIES in an exposition for DURATION seconds; prints "min max samples"."""
    pat = re.compile(r"^" + re.escape(args.series) + r"\s+(\S+)", re.M)
    values, end = [], time.time() + args.duration
    while time.time() < end:
        try:
            with urllib.request.urlopen(args.url, timeout=5) as r:
                m = pat.search(r.read().decode())
            values.append(float(m.group(1)) if m else float("nan"))
        except Exception:
            pass
        time.sleep(0.02)
    if not values:
        print("nan nan 0")
        return 1
    print(f"{min(values):g} {max(values):g} {len(values)}")
    return 0


def cmd_series(args):
    with urllib.request.urlopen(args.url, timeout=10) as r:
        text = r.read().decode()
    keys = set()
    for line in text.splitlines():
        m = re.match(r"(strongswan_\w+)(\{.*\})?\s+\S+$", line)
        if not m or m.group(1).startswith("strongswan_exporter_"):
            continue
        conn = re.search(r'(?:^|[{,])conn="((?:[^"\\]|\\.)*)"', m.group(2) or "")
        if args.conn is not None and conn and conn.group(1) != args.conn:
            continue
        keys.add(m.group(1) + (m.group(2) or ""))
    print("\n".join(sorted(keys)))
    return 0


def cmd_tunnel_down_reasons(args):
    data, err = prom_query(args.prom, f'strongswan_connection_last_failure_timestamp_seconds{{instance="{args.instance}"}}')
    if err:
        say("FAIL", f"TunnelDown descriptions: query of the latest failures: {err}")
        return 1
    reasons = {r["metric"]["conn"]: r["metric"]["reason"] for r in data}
    alerts = [a for a in active_alerts(args.prom)
              if a["labels"].get("alertname") == "StrongSwanTunnelDown" and a.get("state") == "firing"
              and a["labels"].get("instance") == args.instance]
    ok = True
    if args.conn not in {a["labels"].get("conn") for a in alerts}:
        ok = False
        say("FAIL", f"TunnelDown descriptions: no firing TunnelDown for {args.conn}")
    for a in alerts:
        conn, desc = a["labels"].get("conn"), a["annotations"].get("description", "")
        if conn in reasons:
            good = f"Latest failure charon reported for {conn}: {reasons[conn]}," in desc
            say("PASS" if good else "FAIL", f"TunnelDown for {conn} names its latest failure ({reasons[conn]}): {desc}")
        else:
            good = "Latest failure" not in desc
            say("PASS" if good else "FAIL", f"TunnelDown for {conn} (no failure) names none: {desc}")
        ok = ok and good
    return 0 if ok else 1


def promql_string(value):
    """A PromQL string literal (JSON's escapes are PromQL's)."""
    return json.dumps(value)


def cmd_pki_alerts(args):
    """The stale-CRL and expired-certificate alerts against the lab's PKI (issue 16)."""
    ok = True
    inst = f"instance={promql_string(args.instance)}"

    def wait(expr):
        deadline = time.time() + args.timeout
        while True:
            data, err = prom_query(args.prom, expr)
            if data or time.time() > deadline:
                return data or [], err
            time.sleep(0.5)

    # The lab's CRLs, as Prometheus has them: the stale one past its next update, the fresh issuer's current.
    def crl_check(expr, issuer, missing_note, wrong, right):
        """FAIL unless Prometheus has `expr` (seconds, positive when as the lab says) for `issuer`'s CRLs."""
        nonlocal ok
        rows, err = wait(expr)
        if not rows:
            ok = False
            say("FAIL", f"PKI: Prometheus has the next update of the CRL of {issuer} within {args.timeout:.0f}s"
                f"{f' ({err})' if err else ''}{missing_note}")
        elif not all(float(r["value"][1]) > 0 for r in rows):
            ok = False
            say("FAIL", f"{wrong}: " + ", ".join(f"{r['metric'].get('kind')} {float(r['value'][1]):+.0f} s" for r in rows))
        else:
            say("PASS", f"{wrong} (" + ", ".join(right(r) for r in sorted(rows, key=lambda r: r["metric"].get("kind", ""))) + ")")

    crl_check(f"time() - strongswan_crl_next_update_timestamp_seconds{{{inst}, issuer={promql_string(args.stale_issuer)}}}",
              args.stale_issuer, "", f"PKI: the lab's CRL of {args.stale_issuer} is past its next update",
              lambda r: f"{r['metric'].get('kind')} by {float(r['value'][1]) / 86400:.2f} d")
    crl_check(f"strongswan_crl_next_update_timestamp_seconds{{{inst}, issuer={promql_string(args.fresh_issuer)}}} - time()",
              args.fresh_issuer, " (without it 'no other issuer' proves nothing)",
              f"PKI: the lab's CRLs of {args.fresh_issuer} are current",
              lambda r: f"{r['metric'].get('kind')} next update in {float(r['value'][1]) / 86400:.2f} d")

    def ours(name):
        return [a for a in active_alerts(args.prom)
                if a["labels"].get("alertname") == name and a["labels"].get("instance") == args.instance]

    cn = re.compile(r"(?:^|,)CN=" + re.escape(args.expired_cn) + r"(?:,|$)")
    checks = [
        ("StrongSwanCRLStale", "issuer", lambda v: v == args.stale_issuer, f"the CRL of {args.stale_issuer}"),
        ("StrongSwanCertificateExpired", "subject", lambda v: bool(cn.search(v)), f"the certificate CN={args.expired_cn}"),
    ]
    for name, label, wanted, what in checks:
        start, found = time.time(), []
        while time.time() - start <= args.timeout:
            found = [a for a in ours(name) if a.get("state") == "firing" and wanted(a["labels"].get(label, ""))]
            if found:
                break
            time.sleep(0.2)
        if not found:
            ok = False
            say("FAIL", f"{name} firing for {what} within {args.timeout:.0f}s; active: "
                + json.dumps([{k: a['labels'].get(k) for k in (label, 'kind', 'severity')} | {'state': a.get('state')}
                              for a in ours(name)]))
            continue
        a = found[0]
        say("PASS", f"{name} firing for {what} {time.time() - start:.1f}s after the check began "
            f"({a['labels'].get('severity')}): {a['annotations'].get('summary', '')} | "
            f"{a['annotations'].get('description', '')[:160]}...")
    time.sleep(3)  # a few more evaluations: an alert for something else would show by now
    for name, label, wanted, what in checks:
        others = sorted({a["labels"].get(label, "") for a in ours(name) if not wanted(a["labels"].get(label, ""))})
        if others:
            ok = False
            say("FAIL", f"{name} for {what} only: also for {label} " + "; ".join(others))
        else:
            say("PASS", f"{name} for {what} only (no other {label})")
    pki = sorted(f"{a['labels']['alertname']}/{a['labels'].get('subject') or a['labels'].get('issuer')}"
                 f"{'/' + a['labels']['kind'] if 'kind' in a['labels'] else ''} ({a.get('state')})"
                 for a in active_alerts(args.prom)
                 if re.match(r"StrongSwan(CRL|CACertificate|Certificate)", a["labels"].get("alertname", "")))
    print("PKI alerts now: " + ("; ".join(pki) or "none"), flush=True)
    return 0 if ok else 1


def cmd_alerts(args):
    print(json.dumps(active_alerts(args.prom)))
    return 0


def cmd_wait_query(args):
    """Evaluates EXPR on Prometheus until it returns at least one series; prints {"seconds", "result"}."""
    start = time.time()
    while True:
        data, err = prom_query(args.prom, args.expr)
        if not err and data:
            print(json.dumps({"seconds": round(time.time() - start, 1), "result": data}))
            return 0
        if time.time() - start > args.timeout:
            print(json.dumps({"seconds": None, "error": err, "result": data}))
            return 1
        time.sleep(0.2)


def cmd_query(args):
    data, err = prom_query(args.prom, args.expr)
    if err:
        print(err, file=sys.stderr)
        return 1
    print(json.dumps(data))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("lint")
    s.add_argument("dashboards", nargs="+")
    s = sub.add_parser("rules-coverage")
    s.add_argument("--rules", nargs="+", required=True)
    s.add_argument("--tests", nargs="+", required=True)
    s = sub.add_parser("rules-health")
    s.add_argument("--prom", required=True)
    s.add_argument("--unsupported", action="append")
    s.add_argument("--timeout", type=float, default=30)
    s = sub.add_parser("pki-alerts")
    s.add_argument("--prom", required=True)
    s.add_argument("--instance", required=True)
    s.add_argument("--stale-issuer", required=True)
    s.add_argument("--fresh-issuer", required=True)
    s.add_argument("--expired-cn", required=True)
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("lean")
    s.add_argument("--dashboards", nargs="+", required=True)
    s.add_argument("--rules", nargs="+", required=True)
    s = sub.add_parser("exposition-lean")
    s.add_argument("--url", required=True)
    s = sub.add_parser("panels")
    s.add_argument("--prom", required=True)
    s.add_argument("--dashboard", action="append", required=True, help="FILE[:var=value,...]")
    s.add_argument("--var", action="append", help="name=value for every dashboard")
    s.add_argument("--pending", action="append")
    s.add_argument("--optional", action="append")
    s.add_argument("--only", action="append")
    s.add_argument("--unsupported", action="append")
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("wait-alert")
    s.add_argument("--prom", required=True)
    s.add_argument("--alert", required=True)
    s.add_argument("--label", action="append", default=[])
    s.add_argument("--state", choices=["pending", "firing", "gone"], required=True)
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("wait-metric")
    s.add_argument("--url", required=True)
    s.add_argument("--series", required=True)
    s.add_argument("--value", required=True)
    s.add_argument("--timeout", type=float, default=30)
    s = sub.add_parser("watch-metric")
    s.add_argument("--url", required=True)
    s.add_argument("--series", required=True)
    s.add_argument("--duration", type=float, default=5)
    s = sub.add_parser("series")
    s.add_argument("--url", required=True)
    s.add_argument("--conn")
    s = sub.add_parser("alerts")
    s.add_argument("--prom", required=True)
    s = sub.add_parser("tunnel-down-reasons")
    s.add_argument("--prom", required=True)
    s.add_argument("--instance", required=True)
    s.add_argument("--conn", required=True)
    s = sub.add_parser("query")
    s.add_argument("--prom", required=True)
    s.add_argument("expr")
    s = sub.add_parser("wait-query")
    s.add_argument("--prom", required=True)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("expr")
    s = sub.add_parser("rewrite-for")
    s.add_argument("rules")
    s.add_argument("out")
    s.add_argument("duration")
    args = ap.parse_args()
    return {
        "lint": cmd_lint, "rules-coverage": cmd_rules_coverage, "rules-health": cmd_rules_health,
        "pki-alerts": cmd_pki_alerts,
        "lean": cmd_lean, "exposition-lean": cmd_exposition_lean,
        "panels": cmd_panels, "wait-alert": cmd_wait_alert, "wait-metric": cmd_wait_metric,
        "watch-metric": cmd_watch_metric, "series": cmd_series,
        "alerts": cmd_alerts, "tunnel-down-reasons": cmd_tunnel_down_reasons, "query": cmd_query,
        "wait-query": cmd_wait_query,
        "rewrite-for": cmd_rewrite_for,
    }[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
