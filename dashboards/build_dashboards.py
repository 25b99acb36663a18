#!/usr/bin/env python3
"""Writes the Grafana dashboards of strongswan_exporter (stdlib only).

    python3 dashboards/build_dashboards.py          # (re)write dashboards/*.json
    python3 dashboards/build_dashboards.py --check  # exit 1 if a committed JSON file is out of date

The JSON files are generated: edit this file, run it, commit both. The dashboards target Grafana 10/11
(schemaVersion 39), take their Prometheus data source from the `datasource` variable (no data source uid
is hard-coded) and use the recording rules of strongswan-recording.rules.yml where a panel would
otherwise repeat a heavy expression.

Every panel works with the exporter's default flags: it uses only default families (no per-SA
`strongswan_ike_sa_*` / `strongswan_child_sa_*`, no per-connection counters). Where an opt-in flag gives more
detail (--collector.sas.per-sa, --collector.counters.per-conn) the panel's description says so;
scripts/dashboards-e2e.py `lean` checks that no query uses an opt-in family, and that the failure panels use
only the error-notify families (on by default; none with --no-error-notify) and reasons the exporter has.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39

OVERVIEW_UID = "strongswan-overview"
TUNNEL_UID = "strongswan-tunnel"

GREEN, ORANGE, RED, BLUE = "green", "orange", "red", "blue"


# --------------------------------------------------------------------------- building blocks


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "refId": ref,
    }
    if table:
        t["format"] = "table"
    return t


def targets(*specs, instant=False, table=False):
    """specs: (expr, legend) pairs; refIds A, B, C, ..."""
    return [
        target(expr, legend, chr(ord("A") + i), instant=instant, table=table)
        for i, (expr, legend) in enumerate(specs)
    ]


def thresholds(*steps):
    """steps: (value or None, colour); the first has value None (base)."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


UP_DOWN = [
    {
        "type": "value",
        "options": {
            "0": {"text": "DOWN", "color": RED, "index": 0},
            "1": {"text": "UP", "color": GREEN, "index": 1},
        },
    }
]
OK_FAILED = [
    {
        "type": "value",
        "options": {
            "0": {"text": "FAILED", "color": RED, "index": 0},
            "1": {"text": "OK", "color": GREEN, "index": 1},
        },
    }
]


def panel(kind, title, description, tgts, unit=None, w=8, h=8, **extra):
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": tgts,
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {},
        "_size": (w, h),
    }
    if unit:
        p["fieldConfig"]["defaults"]["unit"] = unit
    p.update(extra)
    return p


def timeseries(title, description, tgts, unit=None, w=8, h=8, stack=False, bars=False,
               threshold_line=None, negative_y=None, min0=True, legend_table=False):
    custom = {
        "drawStyle": "bars" if bars else "line",
        "lineWidth": 1,
        "fillOpacity": 60 if bars else (25 if stack else 10),
        "showPoints": "never",
        "spanNulls": False,
        "axisSoftMin": 0 if min0 and not negative_y else None,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "thresholdsStyle": {"mode": "line" if threshold_line is not None else "off"},
    }
    custom = {k: v for k, v in custom.items() if v is not None}
    p = panel("timeseries", title, description, tgts, unit, w, h)
    p["fieldConfig"]["defaults"]["custom"] = custom
    if threshold_line is not None:
        p["fieldConfig"]["defaults"]["thresholds"] = thresholds((None, GREEN), (threshold_line, RED))
    if negative_y:
        p["fieldConfig"]["overrides"].append({
            "matcher": {"id": "byRegexp", "options": negative_y},
            "properties": [{"id": "custom.transform", "value": "negative-Y"}],
        })
    p["options"] = {
        "legend": {
            "displayMode": "table" if legend_table else "list",
            "placement": "bottom",
            "showLegend": True,
            "calcs": ["lastNotNull", "max"] if legend_table else [],
        },
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return p


def stat(title, description, tgts, unit=None, w=4, h=4, mappings=None, steps=None,
         field=None, colour_mode="value", text_mode="auto", graph=False, decimals=None):
    p = panel("stat", title, description, tgts, unit, w, h)
    d = p["fieldConfig"]["defaults"]
    d["thresholds"] = steps or thresholds((None, GREEN))
    d["color"] = {"mode": "thresholds"}
    if mappings:
        d["mappings"] = mappings
    if decimals is not None:
        d["decimals"] = decimals
    p["options"] = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": field or "", "values": bool(field)},
        "colorMode": colour_mode,
        "graphMode": "area" if graph else "none",
        "textMode": text_mode,
        "justifyMode": "auto",
        "orientation": "auto",
        "wideLayout": True,
        "showPercentChange": False,
    }
    return p


def table(title, description, tgts, w=24, h=8, hide=(), rename=None, overrides=(), sort=None,
          transformations=None):
    p = panel("table", title, description, tgts, None, w, h)
    p["fieldConfig"]["defaults"]["custom"] = {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True}
    p["fieldConfig"]["overrides"] = list(overrides)
    trans = list(transformations or [])
    if len(tgts) > 1 and transformations is None:
        trans.append({"id": "merge", "options": {}})
    trans.append({
        "id": "organize",
        "options": {
            "excludeByName": {name: True for name in ("Time", "job", "__name__") + tuple(hide)},
            "renameByName": rename or {},
            "indexByName": {},
        },
    })
    p["transformations"] = trans
    p["options"] = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    if sort:
        p["options"]["sortBy"] = [{"displayName": sort[0], "desc": sort[1]}]
    return p


def state_timeline(title, description, tgts, mappings, w=24, h=8):
    p = panel("state-timeline", title, description, tgts, None, w, h)
    d = p["fieldConfig"]["defaults"]
    d["mappings"] = mappings
    d["thresholds"] = thresholds((None, RED), (1, GREEN))
    d["color"] = {"mode": "thresholds"}
    d["custom"] = {"fillOpacity": 80, "lineWidth": 0}
    p["options"] = {
        "mergeValues": True,
        "showValue": "never",
        "alignValue": "left",
        "rowHeight": 0.9,
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
        "tooltip": {"mode": "single", "sort": "none"},
    }
    return p


def bargauge(title, description, tgts, unit=None, w=8, h=8, minmax=None, steps=None):
    p = panel("bargauge", title, description, tgts, unit, w, h)
    d = p["fieldConfig"]["defaults"]
    d["thresholds"] = steps or thresholds((None, GREEN))
    d["color"] = {"mode": "thresholds"}
    if minmax:
        d["min"], d["max"] = minmax
    p["options"] = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "horizontal",
        "displayMode": "gradient",
        "showUnfilled": True,
        "valueMode": "color",
        "namePlacement": "auto",
        "sizing": "auto",
        "minVizHeight": 16,
        "minVizWidth": 8,
        "maxVizHeight": 300,
    }
    return p


def hide_all_zero():
    """Override: series that are 0 over the whole range stay out of the graph, legend and tooltip (the
    failure counters have a series for every reason from the start, almost all of them 0)."""
    return {
        "matcher": {"id": "byValue", "options": {"reducer": "max", "op": "lte", "value": 0}},
        "properties": [{"id": "custom.hideFrom", "value": {"legend": True, "tooltip": True, "viz": True}}],
    }


CONNECTED = [
    {
        "type": "value",
        "options": {
            "0": {"text": "DISCONNECTED", "color": RED, "index": 0},
            "1": {"text": "CONNECTED", "color": GREEN, "index": 1},
        },
    }
]


def field_override(name, *props):
    return {"matcher": {"id": "byName", "options": name}, "properties": [{"id": k, "value": v} for k, v in props]}


def layout(rows):
    """rows: (title, [panels]); packs panels left to right, 24 columns wide. Returns the panel list."""
    out, y, next_id = [], 0, 1
    for title, panels in rows:
        out.append({
            "type": "row", "title": title, "collapsed": False, "id": next_id, "panels": [],
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
        })
        next_id += 1
        y += 1
        x, line_h = 0, 0
        for p in panels:
            w, h = p.pop("_size")
            if x + w > 24:
                y, x, line_h = y + line_h, 0, 0
            p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
            p["id"] = next_id
            next_id += 1
            x += w
            line_h = max(line_h, h)
            out.append(p)
        y += line_h
    return out


def datasource_var():
    return {
        "name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
        "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
        "regex": "", "skipUrlSync": False,
    }


def query_var(name, label, query, multi=True, include_all=True, all_value=".*", description=""):
    v = {
        "name": name, "label": label, "description": description, "type": "query", "datasource": DS,
        "definition": query,
        "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "current": {}, "hide": 0, "includeAll": include_all, "multi": multi, "options": [],
        "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1,
    }
    if include_all:
        v["allValue"] = all_value
    return v


def dashboard(uid, title, description, panels, variables, links):
    return {
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
            {"type": "panel", "id": "table", "name": "Table", "version": ""},
            {"type": "panel", "id": "state-timeline", "name": "State timeline", "version": ""},
            {"type": "panel", "id": "bargauge", "name": "Bar gauge", "version": ""},
        ],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
        }]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": links,
        "panels": panels,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["strongswan", "ipsec", "vpn"],
        "templating": {"list": variables},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# --------------------------------------------------------------------------- overview

I = 'instance=~"$instance"'
IC = 'instance=~"$instance", conn=~"$conn"'
TUNNEL_LABELS = "kind, remote_addrs, local_ts, remote_ts"


def with_tunnel_labels(expr):
    return (f"({expr})\n* on (job, instance, conn, child) group_left ({TUNNEL_LABELS})\n"
            f"strongswan_tunnel_info{{{IC}}}")


def drilldown_link(child=True):
    return {
        "title": "Tunnel details",
        "url": (f"/d/{TUNNEL_UID}/strongswan-tunnel?${{__url_time_range}}&var-datasource=${{datasource}}"
                "&var-instance=${__data.fields.instance}&var-conn=${__data.fields.conn}"
                + ("&var-child=${__data.fields.child}" if child else "")),
    }


def overview():
    daemon = [
        stat("charon", "1 while the exporter's latest poll reached charon over VICI (strongswan_up).",
             targets((f"strongswan_up{{{I}}}", "{{instance}}")), mappings=UP_DOWN,
             steps=thresholds((None, RED), (1, GREEN)), colour_mode="background"),
        stat("Exporter scrape", "1 while Prometheus scrapes the exporter (up).",
             targets((f"up{{{I}}}", "{{instance}}")), mappings=UP_DOWN,
             steps=thresholds((None, RED), (1, GREEN)), colour_mode="background"),
        stat("strongSwan version", "charon's version (strongswan_info).",
             targets((f"strongswan_info{{{I}}}", ""), instant=True, table=True), field="/^version$/",
             steps=thresholds((None, BLUE))),
        stat("charon uptime", "Time since charon started (strongswan_start_time_seconds).",
             targets((f"time() - strongswan_start_time_seconds{{{I}}}", "{{instance}}")), unit="s",
             steps=thresholds((None, ORANGE), (3600, GREEN))),
        stat("IKE_SAs", "IKE_SAs charon holds, in any state (strongswan_ike_sas).",
             targets((f"strongswan_ike_sas{{{I}}}", "{{instance}}")), graph=True,
             steps=thresholds((None, BLUE))),
        stat("Exporter version", "strongswan_exporter_build_info.",
             targets((f"strongswan_exporter_build_info{{{I}}}", ""), instant=True, table=True),
             field="/^version$/", steps=thresholds((None, BLUE))),
    ]

    tunnels = [
        stat("Site-to-site tunnels up", "Configured site-to-site tunnels with an installed CHILD_SA "
             "(recording rule strongswan:tunnel_up:kind).",
             targets((f'sum(strongswan:tunnel_up:kind{{{IC}, kind="site_to_site"}})', "up")),
             steps=thresholds((None, GREEN))),
        stat("Site-to-site tunnels down", "Configured site-to-site tunnels without an installed CHILD_SA: "
             "these page (StrongSwanTunnelDown) once down for the alert's `for:`.",
             targets((f'sum(1 - strongswan:tunnel_up:kind{{{IC}, kind="site_to_site"}})', "down")),
             steps=thresholds((None, GREEN), (1, RED)), colour_mode="background"),
        stat("Responder / trap tunnels up", "Road-warrior templates (responder) and trap policies (trap) "
             "with at least one installed CHILD_SA; these never page when down.",
             targets((f'sum by (kind) (strongswan:tunnel_up:kind{{{IC}, kind!="site_to_site"}})', "{{kind}}")),
             steps=thresholds((None, BLUE))),
        stat("Road-warrior IKE_SAs", "IKE_SAs of the responder templates (road-warrior connections), in any "
             "state: one per connected client (strongswan_connection_ike_sas). Per-client detail (CHILD_SAs, "
             "addresses, identities) needs --collector.sas.per-sa.",
             targets((f'sum(strongswan_connection_ike_sas{{{IC}}}\n'
                      f'  and on (job, instance, conn) strongswan_tunnel_info{{{IC}, kind="responder"}})',
                      "IKE_SAs")),
             graph=True, steps=thresholds((None, BLUE))),
        stat("Tunnel downs (15 min)", "Down transitions of all selected tunnels in the last 15 minutes "
             "(recording rule strongswan:tunnel_downs:increase15m: the exporter's transition counter, or "
             "1 -> 0 steps of strongswan_tunnel_up seen in scrapes).",
             targets((f"sum(strongswan:tunnel_downs:increase15m{{{IC}}})", "downs")), decimals=0,
             steps=thresholds((None, GREEN), (1, ORANGE), (3, RED))),
        stat("CHILD_SA rekeys (1 h)", "CHILD_SA rekeys of the selected tunnels in the last hour "
             "(strongswan_tunnel_rekeys_total, from child-rekey events while the exporter ran). charon's "
             "per-connection counters need --collector.counters.per-conn.",
             targets((f"sum(increase(strongswan_tunnel_rekeys_total{{{IC}}}[1h]))", "rekeys")),
             decimals=0, steps=thresholds((None, BLUE))),
        table("Tunnels", "Every configured tunnel: state, kind, peer and traffic selectors; since when "
              "in that state (needs the exporter's event-driven tunnel counters) and its traffic. Click a "
              "connection for the tunnel dashboard.",
              targets(
                  # max without (): drops __name__ so that the three tables have the same columns to merge on
                  (f"max without () (strongswan:tunnel_up:kind{{{IC}}})", ""),
                  (with_tunnel_labels(f"time() - strongswan_tunnel_last_change_timestamp_seconds{{{IC}}}"), ""),
                  (with_tunnel_labels(f"sum without (direction) (strongswan:tunnel_bytes:rate5m{{{IC}}})"), ""),
                  instant=True, table=True),
              h=10,
              rename={"Value #A": "State", "Value #B": "In this state for", "Value #C": "Traffic",
                      "remote_addrs": "Peer", "local_ts": "Local TS", "remote_ts": "Remote TS"},
              overrides=[
                  field_override("State", ("mappings", UP_DOWN), ("custom.cellOptions", {"type": "color-background"}),
                                 ("thresholds", thresholds((None, RED), (1, GREEN))), ("color", {"mode": "thresholds"})),
                  field_override("In this state for", ("unit", "s")),
                  field_override("Traffic", ("unit", "Bps")),
                  field_override("conn", ("links", [drilldown_link()])),
              ],
              sort=("State", False)),
        state_timeline("Tunnel state history", "strongswan_tunnel_up of each selected tunnel over time "
                       "(pick connections with the conn variable when there are many).",
                       targets((f"strongswan_tunnel_up{{{IC}}}", "{{conn}}/{{child}}")), UP_DOWN, h=9),
    ]

    by_reason = timeseries(
        "Failures by reason", "Failures charon reported on its error-notify socket, by reason, whether or not "
        "they name a connection (strongswan_failures_total; reasons that stayed 0 are hidden). "
        "Configuration errors on site-to-site connections page (StrongSwanTunnelConfigurationError), "
        "radius_not_responding and vip_failure too; each failure is also one line in the exporter's log with "
        "the peer's identity and address.",
        targets((f"sum by (instance, reason) (increase(strongswan_failures_total{{{I}}}[$__rate_interval]))",
                 "{{instance}} {{reason}}")), w=12, bars=True, stack=True)
    by_reason["fieldConfig"]["overrides"].append(hide_all_zero())
    latest = table(
        "Latest failure per connection", "Each connection that failed since the exporter started, with the "
        "reason of its latest failure and when it happened (strongswan_connection_last_failure_timestamp_seconds). "
        "Click a connection for the tunnel dashboard.",
        targets((f"strongswan_connection_last_failure_timestamp_seconds{{{IC}}} * 1000", ""),
                instant=True, table=True),
        w=12, rename={"Value": "Latest failure"},
        overrides=[field_override("Latest failure", ("unit", "dateTimeFromNow")),
                   field_override("conn", ("links", [drilldown_link(child=False)]))],
        sort=("Latest failure", True))
    failures = [
        stat("Error-notify", "1 while the exporter is connected to charon's error-notify socket "
             "(strongswan_error_notify_up): without it no failure is counted and the failure alerts cannot fire. "
             "charon needs its error-notify plugin (loaded by default).",
             targets((f"strongswan_error_notify_up{{{I}}}", "{{instance}}")), mappings=CONNECTED,
             steps=thresholds((None, RED), (1, GREEN)), colour_mode="background", h=8),
        by_reason,
        bargauge("Top 10 connections by failures", "Failures of each selected connection in the dashboard's "
                 "time range, all reasons (strongswan_connection_failures_total: every configured connection "
                 "from 0, so a first failure counts).",
                 targets((f"topk(10, sum by (instance, conn) (increase(strongswan_connection_failures_total{{{IC}}}[$__range])))",
                          "{{conn}}"), instant=True), w=8, steps=thresholds((None, GREEN), (1, ORANGE))),
        latest,
        timeseries("IKE retransmits and narrowed selectors", "Notices charon reported on its error-notify "
                   "socket (strongswan_ike_notices_total): retransmits sent (a peer slow or unreachable), "
                   "cleared (answered after all) and received, and traffic selectors it narrowed.",
                   targets((f"sum by (instance, notice) (rate(strongswan_ike_notices_total{{{I}}}[$__rate_interval]))",
                            "{{instance}} {{notice}}")), unit="ops", w=12),
    ]

    traffic = [
        timeseries("Traffic per tunnel", "Bytes per second through each tunnel, in above and out below the "
                   "axis. Recording rule strongswan:tunnel_bytes:rate5m: the exporter's tunnel counters "
                   "(SAs that were rekeyed or deleted included). Each SA's own counters need "
                   "--collector.sas.per-sa.",
                   targets((f'strongswan:tunnel_bytes:rate5m{{{IC}, direction="in"}}', "{{conn}}/{{child}} in"),
                           (f'strongswan:tunnel_bytes:rate5m{{{IC}, direction="out"}}', "{{conn}}/{{child}} out")),
                   unit="Bps", w=12, negative_y=" out$"),
        timeseries("Packets per tunnel", "Packets per second through each tunnel, in above and out below "
                   "(recording rule strongswan:tunnel_packets:rate5m).",
                   targets((f'strongswan:tunnel_packets:rate5m{{{IC}, direction="in"}}', "{{conn}}/{{child}} in"),
                           (f'strongswan:tunnel_packets:rate5m{{{IC}, direction="out"}}', "{{conn}}/{{child}} out")),
                   unit="pps", w=12, negative_y=" out$"),
        bargauge("Top 10 tunnels by traffic", "Both directions, averaged over 5 minutes.",
                 targets((f"topk(10, sum without (direction) (strongswan:tunnel_bytes:rate5m{{{IC}}}))",
                          "{{conn}}/{{child}}"), instant=True), unit="Bps", w=12,
                 steps=thresholds((None, BLUE))),
        timeseries("Total traffic", "All selected tunnels together, per gateway and direction.",
                   targets((f"sum by (instance, direction) (strongswan:tunnel_bytes:rate5m{{{IC}}})",
                            "{{instance}} {{direction}}")), unit="Bps", w=12, negative_y=" out$"),
    ]

    ike_sas = [
        timeseries("IKE_SAs by state", "Every IKE_SA charon holds, by state (strongswan_ike_sas_by_state; "
                   "the whole gateway, not filtered by connection). By state per connection: "
                   "count by (conn, state) (strongswan_ike_sa_state) with --collector.sas.per-sa.",
                   targets((f"sum by (state) (strongswan_ike_sas_by_state{{{I}}})", "{{state}}")),
                   stack=True, w=12),
        timeseries("CHILD_SAs by state", "Every CHILD_SA charon holds, by state (strongswan_child_sas_by_state; "
                   "the whole gateway). REKEYED: an old SA waiting for deletion after a rekey. Per tunnel: "
                   "strongswan_child_sa_state with --collector.sas.per-sa.",
                   targets((f"sum by (state) (strongswan_child_sas_by_state{{{I}}})", "{{state}}")),
                   stack=True, w=12),
        timeseries("Half-open IKE_SAs", "IKE_SAs past IKE_SA_INIT and not yet authenticated. The line is "
                   "charon's default cookie threshold (10), where StrongSwanHalfOpenIKESASurge fires when "
                   "sustained.",
                   targets((f"strongswan_ike_sas_half_open{{{I}}}", "{{instance}}")), threshold_line=10, w=12),
        timeseries("IKE_SAs per connection", "Top 10 of the selected connections by IKE_SAs in any state "
                   "(strongswan_connection_ike_sas): a site-to-site connection has 1 (2 briefly while its "
                   "IKE_SA is rekeyed), a road-warrior template one per connected client.",
                   targets((f"topk(10, strongswan_connection_ike_sas{{{IC}}})", "{{conn}}")), w=12),
    ]

    rekeys = [
        timeseries("Rekeys", "IKE_SA rekeys by role and CHILD_SA rekeys per minute (counters plugin, global).",
                   targets((f"sum by (instance, role) (rate(strongswan_ike_rekeys_total{{{I}}}[$__rate_interval])) * 60",
                            "IKE_SA {{role}}"),
                           (f"sum by (instance) (rate(strongswan_child_rekeys_total{{{I}}}[$__rate_interval])) * 60",
                            "CHILD_SA")), unit="opm"),
        timeseries("Tunnel rekeys", "CHILD_SA rekeys per tunnel (strongswan_tunnel_rekeys_total, from "
                   "child-rekey events). charon's per-connection counters (IKE_SA and CHILD_SA rekeys by "
                   "connection) need --collector.counters.per-conn.",
                   targets((f"sum by (instance, conn, child) (increase(strongswan_tunnel_rekeys_total{{{IC}}}[$__rate_interval]))",
                            "{{conn}}/{{child}}")), bars=True),
        timeseries("Up/down transitions", "Times each tunnel went up or down (strongswan_tunnel_transitions_total); "
                   "a rekey is no transition.",
                   targets((f"sum by (instance, conn, child, to) (increase(strongswan_tunnel_transitions_total{{{IC}}}[$__rate_interval]))",
                            "{{conn}}/{{child}} {{to}}")), bars=True),
        timeseries("Tunnel downs in the last 15 minutes", "Per tunnel (recording rule "
                   "strongswan:tunnel_downs:increase15m); StrongSwanTunnelFlapping fires from 3 for "
                   "site-to-site tunnels.",
                   targets((f"strongswan:tunnel_downs:increase15m{{{IC}}}", "{{conn}}/{{child}}")),
                   threshold_line=3),
        timeseries("IKE_SA age per connection", "Time since each selected connection's newest ESTABLISHED "
                   "IKE_SA was established (strongswan_connection_established_timestamp_seconds): it drops "
                   "at every IKE_SA rekey, reauthentication or reconnect; no line while none is established. "
                   "IKE_SA events per connection need --collector.counters.per-conn.",
                   targets((f"time() - strongswan_connection_established_timestamp_seconds{{{IC}}}", "{{conn}}")),
                   unit="s"),
        timeseries("CHILD_SA age per tunnel", "Time since each selected tunnel's newest up CHILD_SA was "
                   "installed (strongswan_tunnel_installed_timestamp_seconds): it drops at every CHILD_SA "
                   "rekey or re-establishment; no line while the tunnel is down. Each SA's rekey and expiry "
                   "times need --collector.sas.per-sa.",
                   targets((f"time() - strongswan_tunnel_installed_timestamp_seconds{{{IC}}}", "{{conn}}/{{child}}")),
                   unit="s"),
    ]

    messages = [
        timeseries("IKE messages by exchange", "IKE messages per second by exchange and direction "
                   "(counters plugin, strongswan_ike_messages_total); out below the axis.",
                   targets((f"sum by (instance, exchange, direction) (rate(strongswan_ike_messages_total{{{I}}}[$__rate_interval]))",
                            "{{exchange}} {{direction}}")), unit="suffix: msg/s", negative_y=" out$"),
        timeseries("IKE messages per gateway", "IKE messages per second of each gateway, all exchanges and "
                   "both directions (recording rule strongswan:ike_messages:rate5m). Per connection: "
                   "strongswan_connection_ike_messages_total with --collector.counters.per-conn.",
                   targets((f"strongswan:ike_messages:rate5m{{{I}}}", "{{instance}}")),
                   unit="suffix: msg/s"),
        timeseries("Invalid messages and unknown SPIs", "IKE messages charon dropped as invalid, and messages "
                   "for IKE_SA SPIs it does not know (StrongSwanInvalidSPISpike).",
                   targets((f"sum by (instance) (rate(strongswan_ike_invalid_messages_total{{{I}}}[$__rate_interval]))",
                            "{{instance}} invalid"),
                           (f"sum by (instance) (rate(strongswan_ike_invalid_spi_total{{{I}}}[$__rate_interval]))",
                            "{{instance}} unknown SPI")), unit="suffix: msg/s"),
    ]

    workers = [
        timeseries("Worker threads", "charon's thread pool: all, idle, and busy by job priority.",
                   targets((f"strongswan_worker_threads{{{I}}}", "{{instance}} total"),
                           (f"strongswan_worker_threads_idle{{{I}}}", "{{instance}} idle"),
                           (f"strongswan_worker_threads_active{{{I}}}", "{{instance}} busy {{priority}}"))),
        timeseries("Queued jobs", "Jobs waiting for a worker, by priority; StrongSwanJobQueueBacklog fires "
                   "above 10 for 5 minutes.",
                   targets((f"strongswan_job_queue_jobs{{{I}}}", "{{instance}} {{priority}}")), threshold_line=10),
        timeseries("Scheduled jobs", "Jobs scheduled for timed execution (rekeys, DPD, retransmits, ...).",
                   targets((f"strongswan_jobs_scheduled{{{I}}}", "{{instance}}"))),
    ]

    pools = [
        bargauge("Pool utilisation", "Share of each virtual IP pool leased to online clients (recording rule "
                 "strongswan:pool_utilisation:ratio); alerts at 90 % and 100 %.",
                 targets((f"strongswan:pool_utilisation:ratio{{{I}}}", "{{pool}}")), unit="percentunit",
                 minmax=(0, 1), steps=thresholds((None, GREEN), (0.9, ORANGE), (1, RED))),
        table("Pools", "Size and leases of each pool.",
              targets(
                  (f"strongswan_pool_addresses{{{I}}}\n* on (job, instance, pool) group_left (base) strongswan_pool_info{{{I}}}", ""),
                  (f'sum without (state) (strongswan_pool_leases{{{I}, state="online"}})\n'
                   f"* on (job, instance, pool) group_left (base) strongswan_pool_info{{{I}}}", ""),
                  (f'sum without (state) (strongswan_pool_leases{{{I}, state="offline"}})\n'
                   f"* on (job, instance, pool) group_left (base) strongswan_pool_info{{{I}}}", ""),
                  instant=True, table=True),
              w=8, rename={"Value #A": "Addresses", "Value #B": "Online", "Value #C": "Offline", "base": "Base"}),
        timeseries("Leases", "Online and offline leases per pool over time.",
                   targets((f"sum by (instance, pool, state) (strongswan_pool_leases{{{I}}})", "{{pool}} {{state}}"))),
    ]

    certs = [
        table("Certificate expiry", "Every certificate charon has loaded, soonest expiry first: red under "
              "3 days (critical alert), orange under 14 days (warning). Recording rule "
              "strongswan:certificate_expiry:seconds.",
              targets((f"max without () (strongswan:certificate_expiry:seconds{{{I}}})", ""),
                      (f"strongswan_certificate_not_after_timestamp_seconds{{{I}}} * 1000", ""),
                      instant=True, table=True),
              rename={"Value #A": "Expires in", "Value #B": "Not after"},
              overrides=[
                  field_override("Expires in", ("unit", "s"), ("custom.cellOptions", {"type": "color-background"}),
                                 ("thresholds", thresholds((None, RED), (3 * 86400, ORANGE), (14 * 86400, GREEN))),
                                 ("color", {"mode": "thresholds"})),
                  field_override("Not after", ("unit", "dateTimeAsIso")),
              ],
              sort=("Expires in", False)),
    ]

    # Issue 16: CRLs, CA certificates, authorities (list-authorities) and what list-certs returned by type.
    crl_join = (f"\n* on (job, instance, issuer, kind) group_left (crl_number, base_crl_number)\n"
                f"strongswan_crl_info{{{I}}}")
    ca_join = (f"\n* on (job, instance, subject, issuer, serial) group_left ()\n"
               f'strongswan_certificate_info{{{I}, flag="CA"}}')

    def authority_uris(kind):
        return (f'max without (kind) (strongswan_authority_uris{{{I}, kind="{kind}"}})\n'
                f"* on (job, instance, authority) group_left (ca_subject)\nstrongswan_authority_info{{{I}}}")

    pki = [
        table("CRLs", "The newest CRL charon holds of each issuer, base and delta (strongswan_crl_*): CRL number "
              "(and the base CRL number of a delta CRL), this and next update, revoked certificates listed. "
              "Next update in: red once past (StrongSwanCRLStale, critical: under revocation = strict or ifuri "
              "every peer of that CA fails). Validity left: share of thisUpdate..nextUpdate still ahead, orange "
              "under a fifth (StrongSwanCRLExpiring, unless an authority gives charon crl_uris). charon fetches "
              "a new CRL only when it checks a peer certificate and finds the one it holds stale.",
              targets((f"(strongswan_crl_this_update_timestamp_seconds{{{I}}} * 1000){crl_join}", ""),
                      (f"(strongswan_crl_next_update_timestamp_seconds{{{I}}} * 1000){crl_join}", ""),
                      (f"strongswan:crl_next_update:seconds{{{I}}}{crl_join}", ""),
                      (f"strongswan:crl_validity_remaining:ratio{{{I}}}{crl_join}", ""),
                      (f"strongswan_crl_revoked_certificates{{{I}}}{crl_join}", ""),
                      instant=True, table=True),
              h=7,
              rename={"issuer": "Issuer", "kind": "Kind", "crl_number": "CRL number",
                      "base_crl_number": "Base CRL number", "Value #A": "This update", "Value #B": "Next update",
                      "Value #C": "Next update in", "Value #D": "Validity left", "Value #E": "Revoked"},
              overrides=[
                  field_override("This update", ("unit", "dateTimeAsIso")),
                  field_override("Next update", ("unit", "dateTimeAsIso")),
                  field_override("Next update in", ("unit", "s"), ("custom.cellOptions", {"type": "color-background"}),
                                 ("thresholds", thresholds((None, RED), (0, GREEN))), ("color", {"mode": "thresholds"})),
                  field_override("Validity left", ("unit", "percentunit"), ("decimals", 1),
                                 ("custom.cellOptions", {"type": "color-background"}),
                                 ("thresholds", thresholds((None, RED), (0, ORANGE), (0.2, GREEN))),
                                 ("color", {"mode": "thresholds"})),
              ],
              sort=("Next update in", False)),
        table("CA certificates", "Loaded certificates with the CA flag (strongswan_certificate_info{flag=\"CA\"}), "
              "soonest expiry first: red under 30 days (StrongSwanCACertificateExpiring, critical), orange under 90 "
              "days (warning). When a CA certificate expires, every certificate it issued fails validation.",
              targets((f"strongswan:certificate_expiry:seconds{{{I}}}{ca_join}", ""),
                      (f"strongswan_certificate_not_after_timestamp_seconds{{{I}}} * 1000{ca_join}", ""),
                      instant=True, table=True),
              w=12, h=7,
              rename={"subject": "Subject", "issuer": "Issuer", "serial": "Serial", "Value #A": "Expires in",
                      "Value #B": "Not after"},
              overrides=[
                  field_override("Expires in", ("unit", "s"), ("custom.cellOptions", {"type": "color-background"}),
                                 ("thresholds", thresholds((None, RED), (30 * 86400, ORANGE), (90 * 86400, GREEN))),
                                 ("color", {"mode": "thresholds"})),
                  field_override("Not after", ("unit", "dateTimeAsIso")),
              ],
              sort=("Expires in", False)),
        table("Authorities", "The authority sections of swanctl.conf (list-authorities, strongswan_authority_info) "
              "with the subject of their CA certificate and how many CRL and OCSP URIs each gives charon "
              "(strongswan_authority_uris). Without either, charon checks revocation only with CRLs loaded from "
              "files and the distribution points in the certificates.",
              targets((authority_uris("crl"), ""), (authority_uris("ocsp"), ""), instant=True, table=True),
              w=12, h=7,
              rename={"authority": "Authority", "ca_subject": "CA certificate", "Value #A": "CRL URIs",
                      "Value #B": "OCSP URIs"},
              sort=("Authority", False)),
        table("Authority URIs", "Every CRL, OCSP and cert_uri_base URI configured in an authority section "
              "(strongswan_authority_uri_info).",
              targets((f"strongswan_authority_uri_info{{{I}}}", ""), instant=True, table=True),
              w=12, h=6, hide=("Value",),
              rename={"authority": "Authority", "kind": "Kind", "uri": "URI"}, sort=("Authority", False)),
        bargauge("Loaded entries by type", "Entries charon's list-certs returned, by charon's type name "
                 "(strongswan_certificates_loaded): X509 certificates, X509_CRL, OCSP_RESPONSE, X509_AC "
                 "(attribute certificates), PUBKEY (raw public keys); several CRLs of one issuer all count.",
                 targets((f"strongswan_certificates_loaded{{{I}}}", "{{instance}} {{type}}"), instant=True),
                 w=6, h=6, steps=thresholds((None, BLUE))),
        stat("Undecodable entries", "Entries of list-certs whose data the exporter could not parse, by type "
             "(strongswan_certificates_undecodable; each logged once). Anything but 0 means an entry charon holds "
             "is missing from the families above.",
             targets((f"strongswan_certificates_undecodable{{{I}}}", "{{instance}} {{type}}"), instant=True),
             w=6, h=6, text_mode="value_and_name", colour_mode="background", decimals=0,
             steps=thresholds((None, GREEN), (1, RED))),
    ]

    exporter = [
        timeseries("Poll duration", "Wall time of the exporter's latest poll and of each collector in it.",
                   targets((f"strongswan_exporter_poll_duration_seconds{{{I}}}", "{{instance}} poll"),
                           (f"strongswan_exporter_collector_duration_seconds{{{I}}}", "{{instance}} {{collector}}")),
                   unit="s"),
        state_timeline("Collector success", "1 when the collector succeeded in the latest poll; a failing "
                       "collector keeps its previous series (StrongSwanCollectorFailing).",
                       targets((f"strongswan_exporter_collector_success{{{I}}}", "{{instance}} {{collector}}")),
                       OK_FAILED, w=8),
        timeseries("Polls, reconnects and events", "Polls by result, VICI reconnects and VICI events per "
                   "second.",
                   targets((f"sum by (instance, result) (rate(strongswan_exporter_polls_total{{{I}}}[$__rate_interval]))",
                            "{{instance}} polls {{result}}"),
                           (f"rate(strongswan_exporter_vici_reconnects_total{{{I}}}[$__rate_interval])",
                            "{{instance}} reconnects"),
                           (f"sum by (instance) (rate(strongswan_exporter_events_total{{{I}}}[$__rate_interval]))",
                            "{{instance}} events")), unit="ops"),
        stat("Data age", "Time since the exporter's latest poll ended.",
             targets((f"time() - strongswan_exporter_last_poll_timestamp_seconds{{{I}}}", "{{instance}}")),
             unit="s", w=6, steps=thresholds((None, GREEN), (60, ORANGE), (300, RED))),
        stat("VICI reconnects (24 h)", "Connections to charon's VICI socket after the first, last 24 hours.",
             targets((f"increase(strongswan_exporter_vici_reconnects_total{{{I}}}[24h])", "{{instance}}")),
             w=6, decimals=0, steps=thresholds((None, GREEN), (1, ORANGE))),
        stat("Exporter memory", "Resident memory of the exporter process.",
             targets((f"process_resident_memory_bytes{{{I}}}", "{{instance}}")), unit="bytes", w=6,
             graph=True, steps=thresholds((None, BLUE))),
        stat("Exporter CPU", "CPU time the exporter uses per second.",
             targets((f"rate(process_cpu_seconds_total{{{I}}}[$__rate_interval])", "{{instance}}")),
             unit="percentunit", w=6, graph=True, steps=thresholds((None, BLUE))),
    ]

    rows = [
        ("Daemon", daemon),
        ("Tunnels", tunnels),
        ("Failures", failures),
        ("Traffic", traffic),
        ("IKE_SAs", ike_sas),
        ("Rekeys and transitions", rekeys),
        ("IKE messages", messages),
        ("Workers and job queues", workers),
        ("Address pools", pools),
        ("Certificates", certs),
        ("PKI", pki),
        ("Exporter health", exporter),
    ]
    variables = [
        datasource_var(),
        query_var("instance", "Instance", "label_values(strongswan_up, instance)",
                  description="Exporter targets (one per charon)."),
        query_var("conn", "Connection", 'label_values(strongswan_connection_info{instance=~"$instance"}, conn)',
                  description="Connections (swanctl.conf connections) to show in the per-tunnel panels."),
    ]
    links = [{
        "title": "Tunnel details", "type": "link", "icon": "dashboard", "tooltip": "One tunnel in detail",
        "url": f"/d/{TUNNEL_UID}/strongswan-tunnel", "keepTime": True, "includeVars": True,
        "asDropdown": False, "tags": [], "targetBlank": False,
    }]
    return dashboard(OVERVIEW_UID, "strongSwan overview",
                     "charon, its tunnels, IKE, pools, certificates and PKI, from strongswan_exporter.",
                     layout(rows), variables, links)


# --------------------------------------------------------------------------- one tunnel

C = 'instance=~"$instance", conn="$conn"'
T = 'instance=~"$instance", conn="$conn", child="$child"'


def tunnel():
    status = [
        stat("State", "1 while a CHILD_SA of the tunnel is installed (a rekeying one counts).",
             targets((f"strongswan_tunnel_up{{{T}}}", "{{conn}}/{{child}}")), mappings=UP_DOWN,
             steps=thresholds((None, RED), (1, GREEN)), colour_mode="background"),
        stat("Kind", "site_to_site (pages when down), responder (road-warrior template) or trap "
             "(negotiated on demand).",
             targets((f"strongswan_tunnel_info{{{T}}}", ""), instant=True, table=True), field="/^kind$/",
             steps=thresholds((None, BLUE))),
        stat("Peer", "remote_addrs of the connection.",
             targets((f"strongswan_tunnel_info{{{T}}}", ""), instant=True, table=True),
             field="/^remote_addrs$/", steps=thresholds((None, BLUE))),
        stat("In this state for", "Time since the tunnel last went up or down (from the exporter's events).",
             targets((f"time() - strongswan_tunnel_last_change_timestamp_seconds{{{T}}}", "{{conn}}/{{child}}")),
             unit="s", steps=thresholds((None, BLUE))),
        stat("Traffic now", "Bytes per second through the tunnel, in and out (strongswan_tunnel_bytes_total, "
             "SAs that were rekeyed or deleted included). The time of each SA's last packet needs "
             "--collector.sas.per-sa.",
             targets((f"sum by (direction) (rate(strongswan_tunnel_bytes_total{{{T}}}[$__rate_interval]))",
                      "{{direction}}")), unit="Bps", w=8, text_mode="value_and_name", steps=thresholds((None, BLUE))),
        state_timeline("State history", "strongswan_tunnel_up over time.",
                       targets((f"strongswan_tunnel_up{{{T}}}", "{{conn}}/{{child}}")), UP_DOWN, h=4),
        table("Tunnel configuration", "strongswan_tunnel_info.",
              targets((f"strongswan_tunnel_info{{{T}}}", ""), instant=True, table=True), w=12, h=5,
              hide=("Value",)),
        table("Connection configuration", "strongswan_connection_info.",
              targets((f"strongswan_connection_info{{{C}}}", ""), instant=True, table=True), w=12, h=5,
              hide=("Value",)),
    ]

    last_failure = stat(
        "Latest failure", "Reason and time of the connection's latest failure charon reported on its "
        "error-notify socket since the exporter started (strongswan_connection_last_failure_timestamp_seconds); "
        "the exporter's log line \"charon reported a failure\" names the peer.",
        targets((f"strongswan_connection_last_failure_timestamp_seconds{{{C}}} * 1000", "{{reason}}")),
        unit="dateTimeFromNow", w=8, h=8, text_mode="value_and_name", steps=thresholds((None, ORANGE)))
    last_failure["fieldConfig"]["defaults"]["noValue"] = "none since the exporter started"
    reasons = timeseries(
        "Failures by reason", "Failures of the connection by reason "
        "(strongswan_connection_failures_by_reason_total) and all together "
        "(strongswan_connection_failures_total). A reason's series starts at its first failure, which "
        "only the line of all reasons shows.",
        targets((f"sum by (reason) (increase(strongswan_connection_failures_by_reason_total{{{C}}}[$__rate_interval]))",
                 "{{reason}}"),
                (f"sum(increase(strongswan_connection_failures_total{{{C}}}[$__rate_interval]))", "all reasons")),
        w=12, bars=True)
    reasons["fieldConfig"]["overrides"].append(
        field_override("all reasons", ("custom.drawStyle", "line"), ("custom.fillOpacity", 0),
                       ("custom.lineWidth", 2)))
    failures = [
        last_failure,
        stat("Failures (24 h)", "Failures of the connection in the last 24 hours, all reasons "
             "(strongswan_connection_failures_total).",
             targets((f"sum(increase(strongswan_connection_failures_total{{{C}}}[24h]))", "failures")),
             w=4, h=8, decimals=0, steps=thresholds((None, GREEN), (1, ORANGE))),
        reasons,
    ]

    def traffic_expr(kind):
        return f"sum by (direction) (rate(strongswan_tunnel_{kind}_total{{{T}}}[$__rate_interval]))"

    traffic = [
        timeseries("Traffic in / out", "Bytes per second, in above and out below the axis "
                   "(strongswan_tunnel_bytes_total: every CHILD_SA of the tunnel, rekeyed and deleted ones "
                   "included). Each SA's own counters need --collector.sas.per-sa.",
                   targets((traffic_expr("bytes"), "{{direction}}")), unit="Bps", w=12, negative_y="^out$"),
        timeseries("Packets in / out", "Packets per second, in above and out below the axis "
                   "(strongswan_tunnel_packets_total).",
                   targets((traffic_expr("packets"), "{{direction}}")), unit="pps", w=12, negative_y="^out$"),
    ]

    rekeys = [
        timeseries("Up/down transitions", "strongswan_tunnel_transitions_total; a rekey is no transition.",
                   targets((f"sum by (to) (increase(strongswan_tunnel_transitions_total{{{T}}}[$__rate_interval]))",
                            "{{to}}")), bars=True),
        timeseries("CHILD_SA rekeys", "Of this tunnel (strongswan_tunnel_rekeys_total, child-rekey events) and "
                   "of the whole gateway (strongswan_child_rekeys_total, counters plugin). The connection's own "
                   "counters need --collector.counters.per-conn.",
                   targets((f"sum(increase(strongswan_tunnel_rekeys_total{{{T}}}[$__rate_interval]))", "tunnel"),
                           (f"sum(increase(strongswan_child_rekeys_total{{{I}}}[$__rate_interval]))",
                            "gateway")), bars=True),
        timeseries("IKE_SA rekeys", "IKE_SA rekeys of the whole gateway by role (strongswan_ike_rekeys_total, "
                   "counters plugin). The connection's own IKE_SA rekeys and its IKE_SA up/down/rekey/update "
                   "events need --collector.counters.per-conn.",
                   targets((f"sum by (role) (increase(strongswan_ike_rekeys_total{{{I}}}[$__rate_interval]))",
                            "gateway {{role}}")), bars=True),
    ]

    # One row per algorithm suite in use (two briefly when a rekey changes them), with the connection's
    # configured peer; every query has the same labels so that the table merges them into one row.
    current_sa = (f"strongswan_tunnel_algorithms_info{{{T}}}\n"
                  "* on (job, instance, conn) group_left (remote_addrs, remote_id, local_auth, remote_auth)\n"
                  f"strongswan_connection_info{{{C}}}")

    sas = [
        timeseries("IKE_SAs and tunnel state", "IKE_SAs of the connection in any state "
                   "(strongswan_connection_ike_sas: 1, 2 briefly while it is rekeyed; for a road-warrior "
                   "template one per client) and the tunnel's state (strongswan_tunnel_up). By state per SA: "
                   "strongswan_ike_sa_state / strongswan_child_sa_state with --collector.sas.per-sa.",
                   targets((f"strongswan_connection_ike_sas{{{C}}}", "IKE_SAs"),
                           (f"strongswan_tunnel_up{{{T}}}", "tunnel up")), w=12),
        timeseries("SA age", "Time since the connection's newest ESTABLISHED IKE_SA was established "
                   "(strongswan_connection_established_timestamp_seconds) and since the tunnel's newest "
                   "CHILD_SA was installed (strongswan_tunnel_installed_timestamp_seconds): each drops at a "
                   "rekey. Each SA's scheduled rekey and expiry times need --collector.sas.per-sa.",
                   targets((f"time() - strongswan_connection_established_timestamp_seconds{{{C}}}", "IKE_SA"),
                           (f"time() - strongswan_tunnel_installed_timestamp_seconds{{{T}}}", "CHILD_SA")),
                   unit="s", w=12),
        table("Current SAs", "The tunnel's current SAs: algorithms (IKE_SA and ESP, "
              "strongswan_tunnel_algorithms_info), the connection's configured peer (strongswan_connection_info), "
              "when the IKE_SA was established and the CHILD_SA installed. Empty while the tunnel is down. "
              "SPIs, addresses, identities and traffic selectors of each SA need --collector.sas.per-sa.",
              targets((f"({current_sa})\n* on (job, instance, conn) group_left ()\n"
                       f"strongswan_connection_established_timestamp_seconds{{{C}}} * 1000", ""),
                      (f"({current_sa})\n* on (job, instance, conn, child) group_left ()\n"
                       f"strongswan_tunnel_installed_timestamp_seconds{{{T}}} * 1000", ""),
                      instant=True, table=True),
              h=6,
              rename={"Value #A": "IKE_SA established", "Value #B": "CHILD_SA installed", "ike": "IKE algorithms",
                      "esp": "ESP algorithms", "remote_addrs": "Peer", "remote_id": "Peer ID",
                      "local_auth": "Local auth", "remote_auth": "Remote auth"},
              overrides=[field_override("IKE_SA established", ("unit", "dateTimeFromNow")),
                         field_override("CHILD_SA installed", ("unit", "dateTimeFromNow"))]),
    ]

    messages = [
        timeseries("IKE messages of the gateway", "By exchange and direction (strongswan_ike_messages_total, "
                   "counters plugin, all connections); out below the axis. The connection's own messages need "
                   "--collector.counters.per-conn.",
                   targets((f"sum by (exchange, direction) (rate(strongswan_ike_messages_total{{{I}}}[$__rate_interval]))",
                            "{{exchange}} {{direction}}")), unit="suffix: msg/s", w=12, negative_y=" out$"),
        timeseries("Invalid messages and unknown SPIs", "Of the whole gateway (counters plugin). The "
                   "connection's own need --collector.counters.per-conn.",
                   targets((f"sum(rate(strongswan_ike_invalid_messages_total{{{I}}}[$__rate_interval]))", "invalid"),
                           (f"sum(rate(strongswan_ike_invalid_spi_total{{{I}}}[$__rate_interval]))", "unknown SPI")),
                   unit="suffix: msg/s", w=12),
    ]

    rows = [
        ("Tunnel", status),
        ("Failures", failures),
        ("Traffic", traffic),
        ("Rekeys and transitions", rekeys),
        ("Security associations", sas),
        ("IKE messages", messages),
    ]
    variables = [
        datasource_var(),
        query_var("instance", "Instance", "label_values(strongswan_up, instance)", multi=False, include_all=False),
        query_var("conn", "Connection", 'label_values(strongswan_tunnel_info{instance=~"$instance"}, conn)',
                  multi=False, include_all=False),
        query_var("child", "Child", 'label_values(strongswan_tunnel_info{instance=~"$instance", conn="$conn"}, child)',
                  multi=False, include_all=False),
    ]
    links = [{
        "title": "strongSwan overview", "type": "link", "icon": "dashboard", "tooltip": "All tunnels",
        "url": f"/d/{OVERVIEW_UID}/strongswan-overview", "keepTime": True, "includeVars": False,
        "asDropdown": False, "tags": [], "targetBlank": False,
    }]
    return dashboard(TUNNEL_UID, "strongSwan tunnel",
                     "One IPsec tunnel (connection and CHILD_SA config) from strongswan_exporter.",
                     layout(rows), variables, links)


def render(d):
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, build in (("strongswan-overview.json", overview), ("strongswan-tunnel.json", tunnel)):
        path = os.path.join(HERE, name)
        text = render(build())
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path}")
    if stale:
        print("out of date (run python3 dashboards/build_dashboards.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
