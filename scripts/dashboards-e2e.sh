#!/usr/bin/env bash
# End-to-end test of the dashboards and the alert/recording rules against the real strongSwan lab:
#
#   scripts/dashboards-e2e.sh EXPORTER_BINARY [LAB_SCRIPT]
#   scripts/dashboards-e2e.sh --static        only the checks that need neither the lab nor an exporter
#
# The lab must be up already (the Makefile starts and stops it); LAB_DIR (default /tmp/strongswan-lab) and
# LAB_NAME come from the environment, LAB_GW_VICI and LAB_GW_ENFY (gw's error-notify socket) from
# $LAB_DIR/env. The script
#   - checks the dashboards' JSON, the rules (promtool check/test), that the unit tests cover every alert and
#     that no panel query, variable or rule uses a family only an opt-in flag gives (lean by default),
#   - starts the exporter with its default flags (only --poll.interval 2s and gw's sockets; no per-SA or
#     per-connection counter families, which the scrape is checked for; error-notify on, as by default) on the
#     lab's gw charon and a real Prometheus (scrape
#     and rule evaluation every 1s) that loads a copy of the rules in which StrongSwanTunnelDown has
#     `for: $E2E_TUNNEL_DOWN_FOR`,
#   - sends some traffic through the tunnels (lab.sh traffic, and a few datagrams back from the peer's
#     namespace with ip netns exec) and requires every panel query and template variable of every dashboard
#     to return data ($datasource dropped, $instance the exporter, $conn .* on the overview and the tunnel's
#     connection on the tunnel dashboard, $__rate_interval 1m, $__interval 5s, $__range 5m), except for
#     queries whose only missing metrics are listed in PENDING_TUNNEL_COUNTERS below (reported as SKIP, and
#     required to return data after the outage, when the exporter has seen the tunnel change),
#   - checks that Prometheus evaluates every rule without error, that every recording rule has data, and
#     that the healthy lab fires TunnelDown
#     only for the site-to-site tunnels that are down already (the lab's site-dead) and nothing else,
#   - rekeys tunnel $E2E_TUNNEL's CHILD_SA and IKE_SA (lab.sh rekey): the exporter must read it up throughout,
#     no TunnelDown may appear and the scrape's series (of that connection and the global families) must be
#     the same set as before,
#   - terminates it (lab.sh terminate): the exporter must read it down within the poll interval, and
#     StrongSwanTunnelDown must go pending and then firing for that tunnel only; initiates it again and waits
#     until the alert is gone,
#   - provokes a configuration error (lab.sh provoke psk: one attempt of connection $E2E_FAIL_CONN from the
#     peer with a wrong pre-shared key; the lab loads that connection then): StrongSwanTunnelConfigurationError
#     must fire for that connection and no other, every firing TunnelDown must name the latest failure reason of
#     its connection when it has one (and only then), and the failure panels must return data for it. Reported
#     as SKIP only when lab.sh has no provoke command (it prints its usage);
#   - PKI (issue 16): the lab's gw holds a current base CRL (and possibly a delta CRL) of the root CA, a stale
#     CRL of the second CA (next update 3 days past) and an expired certificate (CN=expired.lab.test):
#     StrongSwanCRLStale must fire for the second CA's CRL and for no other issuer (the root CA's CRL must be
#     in Prometheus, current, so that "no other" means something), StrongSwanCertificateExpired for
#     expired.lab.test and no other certificate. A PKI check, panel query or recording rule whose family has
#     no series in the exporter's scrape is a FAIL (E2E_PKI=require, the default); E2E_PKI=auto reports it
#     as SKIP instead (for an exporter or lab from before issue 16);
#   - runs promtool check metrics on a scrape.
# It prints PASS/FAIL (SKIP for metrics that cannot exist yet) per check, ends with "N passed, M failed" and exits non-zero
# on any failure. It stops what it started and brings the terminated tunnel back whatever happens.
#
# Environment: LAB_DIR, LAB_NAME, PROMETHEUS (/usr/bin/prometheus), PROMTOOL (promtool), PYTHON (python3),
# E2E_TUNNEL (1), E2E_TUNNEL_DOWN_FOR (5s), E2E_TIMEOUT (60: seconds for each wait), E2E_FAIL_CONN (fail-psk:
# the connection lab.sh provoke psk fails), E2E_PKI (auto | require, see above; E2E_PKI_STALE_ISSUER,
# E2E_PKI_FRESH_ISSUER and E2E_PKI_EXPIRED_CN name the lab's PKI), E2E_KEEP=1 keeps the temporary directory
# (logs, rules, TSDB).
# The failure alerts have no `for:` (they fire at the first failure), so the test copy changes only TunnelDown's.
set -uo pipefail

# strongswan_tunnel_last_change_timestamp_seconds exists only once the exporter has seen a tunnel change
# (it is not guessed from install times, which rekeys reset): a fresh exporter has none. The first pass over the
# panels reports their queries as SKIP; after the outage below, the same queries must return data (PASS/FAIL).
PENDING_TUNNEL_COUNTERS=(
    strongswan_tunnel_last_change_timestamp_seconds
)
# These error-notify families have series only for connections that failed since the exporter started: a
# panel query of them may return nothing before lab.sh provoke (SKIP); afterwards the overview and the tunnel
# dashboard of the provoked connection must return data.
FAILED_CONN_FAMILIES=(
    strongswan_connection_failures_by_reason_total
    strongswan_connection_last_failure_timestamp_seconds
)
# PKI families (issue 16) and the recording rules made of them: without series of them in the exporter's scrape
# (an exporter or a lab from before issue 16) the PKI checks are SKIP with E2E_PKI=auto, FAIL with require.
PKI_FAMILIES=(
    strongswan_crl_info
    strongswan_crl_this_update_timestamp_seconds
    strongswan_crl_next_update_timestamp_seconds
    strongswan_crl_revoked_certificates
    strongswan_authority_info
    strongswan_authority_uris
    strongswan_authority_uri_info
    strongswan_certificates_loaded
    strongswan_certificates_undecodable
)
# the recording rules made of strongswan_crl_this_update_timestamp_seconds / _next_update_
PKI_RECORDS=(
    strongswan:crl_next_update:seconds
    strongswan:crl_validity_remaining:ratio
)
# The alerts on charon's failures: none may fire in the healthy lab.
FAILURE_ALERTS="StrongSwanTunnelConfigurationError StrongSwanAuthenticationStorm StrongSwanRADIUSNotResponding StrongSwanVirtualIPFailure"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER=$REPO/scripts/dashboards-e2e.py
DASH=$REPO/dashboards
EXPORTER=${1:-}
LAB=${2:-$REPO/lab/lab.sh}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-promtool}
PY=${PYTHON:-python3}
TUNNEL=${E2E_TUNNEL:-1}
DOWN_FOR=${E2E_TUNNEL_DOWN_FOR:-5s}
TIMEOUT=${E2E_TIMEOUT:-60}
FAIL_CONN=${E2E_FAIL_CONN:-fail-psk}
PKI_MODE=${E2E_PKI:-require}
PKI_STALE_ISSUER=${E2E_PKI_STALE_ISSUER:-CN=strongswan-lab Second CA,O=strongswan-lab,C=CH}
PKI_FRESH_ISSUER=${E2E_PKI_FRESH_ISSUER:-CN=strongswan-lab Root CA,O=strongswan-lab,C=CH}
PKI_EXPIRED_CN=${E2E_PKI_EXPIRED_CN:-expired.lab.test}
POLL_INTERVAL=2

passed=0 failed=0 skipped=0
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.1fs", b - a }'; }
log() { printf '[%s] %s\n' "$(elapsed)" "$*"; }
pass() { printf 'PASS %s\n' "$*"; passed=$((passed + 1)); }
fail() { printf 'FAIL %s\n' "$*"; failed=$((failed + 1)); }
# Runs a helper command, echoes its output and counts its PASS/FAIL/SKIP lines.
counted() {
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
        PASS*) passed=$((passed + 1)) ;;
        FAIL*) failed=$((failed + 1)) ;;
        SKIP*) skipped=$((skipped + 1)) ;;
        esac
    done < <("$@" 2>&1)
}
finish() {
    ((skipped)) && printf '%d skipped (before any tunnel change or failure: checked again after the outage and lab.sh provoke; or no lab.sh provoke; or, with E2E_PKI=auto, PKI families without series)\n' "$skipped"
    printf '%d passed, %d failed\n' "$passed" "$failed"
    ((failed == 0))
    exit
}

static_checks() {
    log "static checks"
    counted "$PY" "$HELPER" lint "$DASH"/*.json
    if out=$("$PY" "$DASH/build_dashboards.py" --check 2>&1); then
        pass "dashboards JSON is what build_dashboards.py generates"
    else
        fail "dashboards JSON is what build_dashboards.py generates: $out"
    fi
    if out=$("$PROMTOOL" check rules "$DASH"/*.rules.yml 2>&1); then
        pass "promtool check rules: $(grep -o 'SUCCESS: [0-9]* rules found' <<<"$out" | awk '{ s += $2 } END { print s }') rules"
    else
        fail "promtool check rules"; printf '%s\n' "$out"
    fi
    if out=$(cd "$DASH" && "$PROMTOOL" test rules tests/*.test.yml 2>&1); then
        pass "promtool test rules: $(find "$DASH/tests" -name '*.test.yml' | wc -l) file(s), $(grep -c '^  - name:' "$DASH"/tests/*.test.yml | awk -F: '{ s += $NF } END { print s }') tests"
    else
        fail "promtool test rules"; printf '%s\n' "$out"
    fi
    counted "$PY" "$HELPER" rules-coverage --rules "$DASH"/strongswan-alerts.rules.yml --tests "$DASH"/tests/*.test.yml
    counted "$PY" "$HELPER" lean --dashboards "$DASH"/*.json --rules "$DASH"/*.rules.yml
}

if [[ $EXPORTER == --static ]]; then
    static_checks
    finish
fi
[[ $PKI_MODE == auto || $PKI_MODE == require ]] || { echo "E2E_PKI must be auto or require, not '$PKI_MODE'" >&2; exit 2; }
[[ -n $EXPORTER && -x $EXPORTER ]] || { echo "usage: $0 EXPORTER_BINARY [LAB_SCRIPT] | --static  (exporter binary missing)" >&2; exit 2; }
[[ -x $LAB ]] || { echo "lab script $LAB not found" >&2; exit 2; }
export LAB_DIR=${LAB_DIR:-/tmp/strongswan-lab}
if [[ ! -f $LAB_DIR/env ]]; then
    fail "lab env file $LAB_DIR/env exists (start the lab first: LAB_DIR=$LAB_DIR $LAB up)"
    finish
fi
# shellcheck disable=SC1091
source "$LAB_DIR/env"
export LAB_NAME=${LAB_NAME:-${LAB_GW_NS%-gw}}
for tool in "$PROMETHEUS" "$PROMTOOL" "$PY" ip; do
    command -v "$tool" >/dev/null || { fail "tool $tool installed"; finish; }
done
read -r CONN CHILD < <(awk -F'\t' -v i="$TUNNEL" '$1 == i { print $2, $3 }' "$LAB_DIR/tunnels.tsv")
[[ -n ${CONN:-} ]] || { fail "tunnel $TUNNEL listed in $LAB_DIR/tunnels.tsv"; finish; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dashboards-e2e.XXXXXX")
EXPORTER_PID="" PROM_PID="" TERMINATED=0
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ((TERMINATED)); then
        "$LAB" initiate "$TUNNEL" >/dev/null 2>&1 || echo "warning: could not initiate tunnel $TUNNEL again" >&2
    fi
    if ((${PROVOKED:-0})); then
        "$LAB" provoke --cleanup >/dev/null 2>&1 || echo "warning: lab.sh provoke --cleanup failed" >&2
    fi
    for pid in $PROM_PID $EXPORTER_PID; do
        kill "$pid" 2>/dev/null
    done
    for pid in $PROM_PID $EXPORTER_PID; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if ((failed)) || [[ ${E2E_KEEP:-0} == 1 ]]; then
        for f in exporter.log prometheus.log; do
            [[ -s $TMP/$f ]] && { echo "--- last lines of $f"; tail -n 15 "$TMP/$f"; }
        done
    fi
    if [[ ${E2E_KEEP:-0} == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
EXP_PORT=$(free_port)
PROM_PORT=$(free_port)
while [[ $PROM_PORT == "$EXP_PORT" ]]; do PROM_PORT=$(free_port); done
EXP=http://127.0.0.1:$EXP_PORT
PROM=http://127.0.0.1:$PROM_PORT
INSTANCE=127.0.0.1:$EXP_PORT
PENDING_ARGS=()
for m in "${PENDING_TUNNEL_COUNTERS[@]}"; do PENDING_ARGS+=(--pending "$m"); done
for m in "${FAILED_CONN_FAMILIES[@]}"; do PENDING_ARGS+=(--optional "$m"); done

log "lab $LAB_DIR (namespaces $LAB_NAME-*), gw $LAB_GW_VICI; tunnel under test: $CONN/$CHILD (index $TUNNEL)"

# --- static checks ---------------------------------------------------------------------------------------
static_checks

# --- the lab's tunnel is up --------------------------------------------------------------------------------
if "$LAB" initiate "$TUNNEL" >"$TMP/lab.log" 2>&1; then
    pass "lab: $CONN is up before the test ($(tail -n 1 "$TMP/lab.log"))"
else
    fail "lab: $CONN is up before the test"; cat "$TMP/lab.log"; finish
fi

# --- exporter --------------------------------------------------------------------------------------------
# Default flags on purpose: the dashboards and rules must work with what every user gets without opting in.
log "starting the exporter on $EXP (default flags)"
# error-notify is on by default; the lab's gw has its socket elsewhere than /var/run/charon.enfy.
ENFY_ARGS=()
[[ -n ${LAB_GW_ENFY:-} ]] && ENFY_ARGS=(--error-notify.socket "$LAB_GW_ENFY")
"$EXPORTER" run --vici.socket "$LAB_GW_VICI" "${ENFY_ARGS[@]}" --web.listen-address "$INSTANCE" \
    --poll.interval "${POLL_INTERVAL}s" >"$TMP/exporter.log" 2>&1 &
EXPORTER_PID=$!
if secs=$("$PY" "$HELPER" wait-metric --url "$EXP/metrics" --series strongswan_up --value 1 --timeout 30); then
    pass "exporter serves /metrics with strongswan_up 1 (after ${secs}s)"
else
    fail "exporter serves /metrics with strongswan_up 1 within 30s"; finish
fi
if [[ -n ${LAB_GW_ENFY:-} ]]; then
    if secs=$("$PY" "$HELPER" wait-metric --url "$EXP/metrics" --series strongswan_error_notify_up --value 1 --timeout 30); then
        pass "exporter is connected to gw's error-notify socket $LAB_GW_ENFY (after ${secs}s)"
    else
        fail "exporter connects to gw's error-notify socket $LAB_GW_ENFY within 30s (strongswan_error_notify_up 1)"
    fi
else
    log "LAB_GW_ENFY not set by the lab: the exporter uses its default error-notify socket"
fi
counted "$PY" "$HELPER" exposition-lean --url "$EXP/metrics"
# Which PKI families has the exporter series of? (E2E_PKI: auto skips the checks that need a missing one.)
# The certificate and authority collectors run on the configuration clock, at the first poll too: a few
# polls are plenty.
for _ in $(seq 5); do
    PKI_MISSING=()
    "$PY" "$HELPER" series --url "$EXP/metrics" >"$TMP/series-start.txt" 2>&1
    for f in "${PKI_FAMILIES[@]}"; do
        grep -q -E "^$f(\{|\$)" "$TMP/series-start.txt" || PKI_MISSING+=("$f")
    done
    ((${#PKI_MISSING[@]} == 0)) && break
    sleep "$POLL_INTERVAL"
done
if ((${#PKI_MISSING[@]} == 0)); then
    pass "exporter has series of every PKI family (${#PKI_FAMILIES[@]}: CRLs, authorities, list-certs entries by type)"
elif [[ $PKI_MODE == require ]]; then
    fail "exporter has series of every PKI family: no series of ${PKI_MISSING[*]} (E2E_PKI=require)"
else
    printf 'SKIP PKI checks that need %s: no series in the exporter'"'"'s scrape (exporter or lab from before issue 16; E2E_PKI=require makes this a failure)\n' "${PKI_MISSING[*]}"
    skipped=$((skipped + 1))
fi
UNSUPPORTED_ARGS=()
if [[ $PKI_MODE == auto ]]; then
    for m in "${PKI_MISSING[@]}"; do UNSUPPORTED_ARGS+=(--unsupported "$m"); done
    if [[ " ${PKI_MISSING[*]} " == *" strongswan_crl_"* ]]; then
        for r in "${PKI_RECORDS[@]}"; do UNSUPPORTED_ARGS+=(--unsupported "$r"); done
    fi
fi

# --- Prometheus ------------------------------------------------------------------------------------------
mkdir -p "$TMP/rules" "$TMP/tsdb"
cp "$DASH/strongswan-recording.rules.yml" "$TMP/rules/"
if "$PY" "$HELPER" rewrite-for "$DASH/strongswan-alerts.rules.yml" "$TMP/rules/strongswan-alerts.rules.yml" "$DOWN_FOR"; then
    pass "test copy of the alert rules with StrongSwanTunnelDown for: $DOWN_FOR"
else
    fail "test copy of the alert rules with StrongSwanTunnelDown for: $DOWN_FOR"; finish
fi
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $TMP/rules/strongswan-recording.rules.yml
  - $TMP/rules/strongswan-alerts.rules.yml
scrape_configs:
  - job_name: strongswan
    static_configs:
      - targets: ["$INSTANCE"]
EOF
if out=$("$PROMTOOL" check config "$TMP/prometheus.yml" 2>&1); then
    pass "promtool check config (scrape and evaluation every 1s, rules loaded)"
else
    fail "promtool check config"; printf '%s\n' "$out"; finish
fi
log "starting Prometheus on $PROM"
"$PROMETHEUS" --config.file "$TMP/prometheus.yml" --storage.tsdb.path "$TMP/tsdb" \
    --web.listen-address "127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
t=$(date +%s.%N)
up=""
for _ in $(seq $((TIMEOUT * 5))); do
    kill -0 "$PROM_PID" 2>/dev/null || break
    up=$("$PY" "$HELPER" query --prom "$PROM" 'up{job="strongswan"} == 1' 2>/dev/null)
    [[ -n $up && $up != "[]" ]] && break
    up=""
    sleep 0.2
done
if [[ -n $up ]]; then
    pass "Prometheus is ready and scrapes the exporter (target up after $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s)"
else
    fail "Prometheus scrapes the exporter within ${TIMEOUT}s"; finish
fi

# --- traffic, then every panel query -----------------------------------------------------------------------
log "traffic through the tunnels (lab.sh traffic-all, traffic $TUNNEL)"
if "$LAB" traffic-all 200 >"$TMP/lab.log" 2>&1 && "$LAB" traffic "$TUNNEL" 200000 >>"$TMP/lab.log" 2>&1; then
    pass "lab: traffic through every site tunnel and 200 kB through $CONN"
else
    fail "lab: traffic through the tunnels"; cat "$TMP/lab.log"
fi
# lab.sh sends from gw to peer only; a few datagrams back (peer -> gw, dropped on gw) give gw's CHILD_SAs
# (and so the tunnel's counters) inbound traffic too.
read -r GW_TS PEER_TS < <(awk -F'\t' -v i="$TUNNEL" '$1 == i { print $4, $5 }' "$LAB_DIR/tunnels.tsv")
if ip netns exec "$LAB_PEER_NS" "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(50):
    s.sendto(b"\x5a" * 1000, (sys.argv[2], 9))' "$PEER_TS" "$GW_TS" >"$TMP/lab.log" 2>&1; then
    pass "lab: 50 kB back through $CONN (peer $PEER_TS -> gw $GW_TS)"
else
    fail "lab: traffic back through $CONN (ip netns exec $LAB_PEER_NS)"; cat "$TMP/lab.log"
fi
sleep 3 # a few scrapes and rule evaluations, so that rates have two samples
log "evaluating every panel query (instance $INSTANCE)"
counted "$PY" "$HELPER" panels --prom "$PROM" --timeout "$TIMEOUT" --var "instance=$INSTANCE" \
    --dashboard "$DASH/strongswan-overview.json:conn=.*" \
    --dashboard "$DASH/strongswan-tunnel.json:conn=$CONN,child=$CHILD" "${PENDING_ARGS[@]}" "${UNSUPPORTED_ARGS[@]}"
counted "$PY" "$HELPER" rules-health --prom "$PROM" --timeout "$TIMEOUT" "${UNSUPPORTED_ARGS[@]}"

# --- PKI alerts (issue 16) -------------------------------------------------------------------------------------
# gw holds a current CRL of the root CA and a stale one of the second CA (next update 3 days past), and an
# expired certificate. Neither alert has a `for:`: both fire at the first evaluation that sees the series.
if [[ $PKI_MODE == auto && " ${PKI_MISSING[*]} " == *" strongswan_crl_next_update_timestamp_seconds "* ]]; then
    printf 'SKIP StrongSwanCRLStale for the stale CRL only: the exporter has no strongswan_crl_next_update_timestamp_seconds series (E2E_PKI=auto)\n'
    skipped=$((skipped + 1))
else
    log "PKI: StrongSwanCRLStale for $PKI_STALE_ISSUER only, StrongSwanCertificateExpired for $PKI_EXPIRED_CN only"
    counted "$PY" "$HELPER" pki-alerts --prom "$PROM" --instance "$INSTANCE" --timeout "$TIMEOUT" \
        --stale-issuer "$PKI_STALE_ISSUER" --fresh-issuer "$PKI_FRESH_ISSUER" --expired-cn "$PKI_EXPIRED_CN"
fi

# --- alerts before the outage ------------------------------------------------------------------------------
# Tunnels that are down already (the lab's site-dead has an unreachable peer) fire TunnelDown too; the
# baseline is every site-to-site tunnel reading 0 now, and nothing else.
alerts_now() { "$PY" "$HELPER" alerts --prom "$PROM"; }
tunnel_down_conns() { # conns with a TunnelDown alert (pending or firing), from the JSON on stdin
    "$PY" -c 'import json,sys; print(" ".join(sorted(a["labels"]["conn"] for a in json.load(sys.stdin) if a["labels"]["alertname"] == "StrongSwanTunnelDown")))'
}
down_now() {
    "$PY" "$HELPER" query --prom "$PROM" 'strongswan:tunnel_up:kind{kind="site_to_site"} == 0' |
        "$PY" -c 'import json,sys; print(" ".join(sorted(r["metric"]["conn"] for r in json.load(sys.stdin))))'
}
for _ in $(seq 20); do # the alert rules need an evaluation or two after the recording rules
    baseline_expected=$(down_now)
    baseline=$(alerts_now | tunnel_down_conns)
    [[ $baseline == "$baseline_expected" ]] && break
    sleep 0.5
done
if [[ $baseline == "$baseline_expected" ]]; then
    pass "before the outage TunnelDown covers exactly the site-to-site tunnels already down: ${baseline:-none}"
else
    fail "before the outage TunnelDown covers exactly the site-to-site tunnels already down: alerts '${baseline}', down '${baseline_expected}'"
fi
others=$(alerts_now | "$PY" -c 'import json,sys
bad=[a for a in json.load(sys.stdin) if a["labels"]["alertname"] in ["StrongSwanExporterDown","StrongSwanDaemonDown","StrongSwanCollectorFailing","StrongSwanTunnelFlapping"] + sys.argv[1].split()
     or a["labels"].get("kind") in ("responder","trap")]
print(" ".join(a["labels"]["alertname"]+"/"+a["labels"].get("conn",a["labels"].get("collector","")) for a in bad))' "$FAILURE_ALERTS")
if [[ -z $others ]]; then
    pass "healthy lab: no ExporterDown, DaemonDown, CollectorFailing, TunnelFlapping, no failure alert ($FAILURE_ALERTS), nothing for responder or trap tunnels"
else
    fail "healthy lab fires: $others"
fi

# --- rekeys are no outage ----------------------------------------------------------------------------------
series="strongswan_tunnel_up{conn=\"$CONN\",child=\"$CHILD\"}"
log "lab.sh rekey $TUNNEL, rekey $TUNNEL --ike ($CONN), sampling the exporter meanwhile"
"$PY" "$HELPER" series --url "$EXP/metrics" --conn "$CONN" >"$TMP/series-before.txt"
"$PY" "$HELPER" watch-metric --url "$EXP/metrics" --series "$series" --duration 6 >"$TMP/watch.txt" &
watch_pid=$!
sleep 0.5
if "$LAB" rekey "$TUNNEL" >"$TMP/lab.log" 2>&1 && sleep 2 && "$LAB" rekey "$TUNNEL" --ike >>"$TMP/lab.log" 2>&1; then
    pass "lab: CHILD_SA and IKE_SA of $CONN rekeyed"
else
    fail "lab: rekey $CONN"; cat "$TMP/lab.log"
fi
wait "$watch_pid"
read -r wmin wmax wn <"$TMP/watch.txt"
if [[ $wmin == 1 && $wmax == 1 ]]; then
    pass "exporter kept $CONN up through both rekeys ($wn scrapes of the exporter in 6s, all 1)"
else
    fail "exporter kept $CONN up through both rekeys: min $wmin max $wmax over $wn scrapes"
fi
sleep 3 # scrape, recording and alert evaluation of what followed the rekeys
# Lean by default: a rekey changes values, never the series set (of the tunnel's connection and the global
# families; strongswan_exporter_* self-metrics excluded).
"$PY" "$HELPER" series --url "$EXP/metrics" --conn "$CONN" >"$TMP/series-after.txt"
if diff -q "$TMP/series-before.txt" "$TMP/series-after.txt" >/dev/null && [[ -s $TMP/series-before.txt ]]; then
    pass "the rekeys created and removed no series ($(wc -l <"$TMP/series-before.txt") series of $CONN and global families)"
else
    fail "the rekeys changed the series set of $CONN and the global families:"
    diff "$TMP/series-before.txt" "$TMP/series-after.txt" | grep '^[<>]' | head -n 20
fi
if [[ $(alerts_now | tunnel_down_conns) == "$baseline" ]]; then
    pass "no TunnelDown (not even pending) for $CONN after its rekeys"
else
    fail "no TunnelDown for $CONN after its rekeys: $(alerts_now | tunnel_down_conns)"
fi
rekeys=$("$PY" "$HELPER" query --prom "$PROM" "sum(strongswan_child_rekeys_total{instance=\"$INSTANCE\"}) + sum(strongswan_ike_rekeys_total{instance=\"$INSTANCE\"})" |
    "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["value"][1] if r else "none")')
log "charon's rekey counters now: $rekeys"

# --- outage of one tunnel ----------------------------------------------------------------------------------
log "lab.sh terminate $TUNNEL ($CONN)"
TERMINATED=1
t_start=$(date +%s.%N)
if ! "$LAB" terminate "$TUNNEL" >"$TMP/lab.log" 2>&1; then
    fail "lab: terminate $CONN"; cat "$TMP/lab.log"; finish
fi
t_done=$(date +%s.%N)
term_secs=$(awk -v a="$t_start" -v b="$t_done" 'BEGIN { printf "%.2f", b - a }')
if secs=$("$PY" "$HELPER" wait-metric --url "$EXP/metrics" --series "$series" --value 0 --timeout "$TIMEOUT"); then
    if awk -v s="$secs" -v p="$POLL_INTERVAL" 'BEGIN { exit !(s <= p) }'; then
        pass "exporter reads $CONN down ${secs}s after terminate returned (terminate took ${term_secs}s; within the ${POLL_INTERVAL}s poll interval)"
    else
        fail "exporter reads $CONN down within the ${POLL_INTERVAL}s poll interval: took ${secs}s after terminate returned (events not followed?)"
    fi
else
    fail "exporter reads $CONN down within ${TIMEOUT}s"
fi
for state in pending firing; do
    if out=$("$PY" "$HELPER" wait-alert --prom "$PROM" --alert StrongSwanTunnelDown --label "conn=$CONN" --state "$state" --timeout "$TIMEOUT"); then
        secs=$(awk -v a="$t_done" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        pass "StrongSwanTunnelDown $state for $CONN ${secs}s after terminate returned"
    else
        fail "StrongSwanTunnelDown $state for $CONN within ${TIMEOUT}s: $out"
    fi
done
now=$(alerts_now)
new=$(tunnel_down_conns <<<"$now")
expected=$(tr ' ' '\n' <<<"$baseline $CONN" | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')
if [[ $new == "$expected" ]]; then
    pass "TunnelDown for $CONN only (besides the baseline: ${baseline:-none})"
else
    fail "TunnelDown for $CONN only: alerts for '$new', expected '$expected'"
fi
desc=$("$PY" -c 'import json,sys
conn=sys.argv[1]
for a in json.load(sys.stdin):
    if a["labels"]["alertname"]=="StrongSwanTunnelDown" and a["labels"]["conn"]==conn:
        print(a["labels"].get("severity",""), "|", a["annotations"].get("summary",""), "|", a["annotations"].get("description","")); break' "$CONN" <<<"$now")
if [[ $desc == critical*"$CONN"*"$LAB_PEER_IKE_ADDR"* ]]; then
    pass "alert names the tunnel and the peer: ${desc}"
else
    fail "alert names the tunnel and the peer: '$desc'"
fi

# --- and back ----------------------------------------------------------------------------------------------
log "lab.sh initiate $TUNNEL ($CONN)"
t_start=$(date +%s.%N)
if "$LAB" initiate "$TUNNEL" >"$TMP/lab.log" 2>&1; then
    TERMINATED=0
    t_done=$(date +%s.%N)
    init_secs=$(awk -v a="$t_start" -v b="$t_done" 'BEGIN { printf "%.2f", b - a }')
    if secs=$("$PY" "$HELPER" wait-metric --url "$EXP/metrics" --series "$series" --value 1 --timeout "$TIMEOUT"); then
        pass "exporter reads $CONN up ${secs}s after initiate returned (initiate took ${init_secs}s)"
    else
        fail "exporter reads $CONN up within ${TIMEOUT}s"
    fi
    if out=$("$PY" "$HELPER" wait-alert --prom "$PROM" --alert StrongSwanTunnelDown --label "conn=$CONN" --state gone --timeout "$TIMEOUT"); then
        secs=$(awk -v a="$t_done" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        pass "StrongSwanTunnelDown for $CONN resolved ${secs}s after initiate returned"
    else
        fail "StrongSwanTunnelDown for $CONN resolved within ${TIMEOUT}s: $out"
    fi
    after=$(alerts_now | tunnel_down_conns)
    if [[ $after == "$baseline" ]]; then
        pass "TunnelDown back to the baseline: ${after:-none}"
    else
        fail "TunnelDown back to the baseline: '$after', expected '$baseline'"
    fi
else
    fail "lab: initiate $CONN"; cat "$TMP/lab.log"
fi

# --- a configuration error: lab.sh provoke psk ------------------------------------------------------------------
# One attempt of $FAIL_CONN from gw to the peer with a wrong pre-shared key (the lab loads the connection on
# both daemons then, so the exporter learns it only now, and keeps it loaded as a misconfigured tunnel stays:
# --keep; the cleanup unloads it). charon on gw reports local_auth_failed on its error-notify socket.
PROVOKED=0
# First the connection alone (lab.sh provoke --prepare: loaded and kept, no attempt), so that it is configured
# before its first failure, as a gateway's tunnels are: its failure counter must be scraped at 0, and
# increase() must see the very first failure.
PREPARED=0
if out=$("$LAB" provoke --prepare psk 2>&1); then
    PROVOKED=1
    if out=$("$PY" "$HELPER" wait-query --prom "$PROM" --timeout "$TIMEOUT" \
        "strongswan_connection_failures_total{instance=\"$INSTANCE\", conn=\"$FAIL_CONN\"} == 0"); then
        pass "$FAIL_CONN configured before its first failure: strongswan_connection_failures_total 0 in Prometheus"
        PREPARED=1
    else
        fail "$FAIL_CONN's strongswan_connection_failures_total scraped at 0 within ${TIMEOUT}s: $out"
    fi
elif ! grep -qw -- --prepare <<<"$out"; then
    fail "lab: provoke --prepare psk: $(tail -n 3 <<<"$out")"
fi
log "lab.sh provoke psk ($FAIL_CONN: one attempt with a wrong pre-shared key)"
t_done=$(date +%s.%N)
out=$("$LAB" provoke --keep psk 2>&1)
rc=$?
if ((rc != 0)) && grep -q '^usage:' <<<"$out" && ! grep -qw provoke <<<"$out"; then
    # a lab.sh without the command prints its usage (which does not list provoke) and exits 2
    printf 'SKIP lab.sh has no provoke command (it printed its usage, exit %d): the failure alerts and the failure panels were not checked against charon\n' "$rc"
    skipped=$((skipped + 1))
elif ((rc != 0)); then
    fail "lab: provoke psk (exit $rc)"; printf '%s\n' "$out" | tail -n 15
else
    pass "lab: provoke psk ($(tail -n 1 <<<"$out"))"
    PROVOKED=1
fi
if ((PROVOKED && PREPARED)); then
    if out=$("$PY" "$HELPER" wait-query --prom "$PROM" --timeout "$TIMEOUT" \
        "increase(strongswan_connection_failures_total{instance=\"$INSTANCE\", conn=\"$FAIL_CONN\"}[1m]) > 0"); then
        pass "increase(strongswan_connection_failures_total{conn=\"$FAIL_CONN\"}[1m]) > 0 at its first failure: $("$PY" -c 'import json,sys; r = json.load(sys.stdin); print("%s s after provoke, value %s" % (r["seconds"], r["result"][0]["value"][1]))' <<<"$out")"
    else
        fail "increase(strongswan_connection_failures_total{conn=\"$FAIL_CONN\"}[1m]) > 0 within ${TIMEOUT}s of its first failure: $out"
    fi
fi
if ((PROVOKED)); then
    [[ -n ${LAB_GW_ENFY:-} ]] ||
        fail "the lab's env file exports LAB_GW_ENFY (gw's error-notify socket, for the exporter's --error-notify.socket)"
    if out=$("$PY" "$HELPER" wait-alert --prom "$PROM" --alert StrongSwanTunnelConfigurationError --label "conn=$FAIL_CONN" --state firing --timeout "$TIMEOUT"); then
        secs=$(awk -v a="$t_done" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        reasons=$("$PY" -c 'import json,sys; print(", ".join(sorted(a["labels"].get("reason", "?") for a in json.load(sys.stdin)["alerts"])))' <<<"$out")
        pass "StrongSwanTunnelConfigurationError firing for $FAIL_CONN ($reasons) ${secs}s after provoke started: its first failure"
    else
        seen=$("$PY" "$HELPER" query --prom "$PROM" "strongswan_tunnel_info{conn=\"$FAIL_CONN\"} or strongswan_connection_failures_total{conn=\"$FAIL_CONN\"} or strongswan_connection_failures_by_reason_total{conn=\"$FAIL_CONN\"} or strongswan_connection_last_failure_timestamp_seconds{conn=\"$FAIL_CONN\"}" 2>&1)
        fail "StrongSwanTunnelConfigurationError firing for $FAIL_CONN within ${TIMEOUT}s (needs kind site_to_site and a failure of a configuration reason); Prometheus has: $seen"
    fi
    sleep 3 # a few more evaluations: an alert for another connection would show by now
    conns=$(alerts_now | "$PY" -c 'import json,sys; print(" ".join(sorted({a["labels"].get("conn", "") for a in json.load(sys.stdin) if a["labels"]["alertname"] == "StrongSwanTunnelConfigurationError"})))')
    if [[ $conns == "$FAIL_CONN" ]]; then
        pass "StrongSwanTunnelConfigurationError for $FAIL_CONN only"
    else
        fail "StrongSwanTunnelConfigurationError for $FAIL_CONN only: alerts for '$conns'"
    fi
    # $FAIL_CONN is a site-to-site connection that never came up: TunnelDown fires for it (for: $DOWN_FOR) and
    # names its latest failure; every firing TunnelDown names the latest failure of a connection that failed
    # (the lab's site-dead may have timed out by now) and none for one that did not.
    if out=$("$PY" "$HELPER" wait-alert --prom "$PROM" --alert StrongSwanTunnelDown --label "conn=$FAIL_CONN" --state firing --timeout "$TIMEOUT"); then
        pass "StrongSwanTunnelDown firing for $FAIL_CONN"
    else
        fail "StrongSwanTunnelDown firing for $FAIL_CONN within ${TIMEOUT}s: $out"
    fi
    counted "$PY" "$HELPER" tunnel-down-reasons --prom "$PROM" --instance "$INSTANCE" --conn "$FAIL_CONN"
    FAIL_CHILD=$("$PY" "$HELPER" query --prom "$PROM" "strongswan_tunnel_info{instance=\"$INSTANCE\", conn=\"$FAIL_CONN\"}" |
        "$PY" -c 'import json,sys; r = json.load(sys.stdin); print(r[0]["metric"]["child"] if r else "none")')
    ONLY_FAILED=()
    for m in "${FAILED_CONN_FAMILIES[@]}"; do ONLY_FAILED+=(--only "$m"); done
    log "evaluating the failure panel queries, now that $FAIL_CONN failed"
    counted "$PY" "$HELPER" panels --prom "$PROM" --timeout "$TIMEOUT" --var "instance=$INSTANCE" \
        --dashboard "$DASH/strongswan-overview.json:conn=.*" \
        --dashboard "$DASH/strongswan-tunnel.json:conn=$FAIL_CONN,child=$FAIL_CHILD" "${ONLY_FAILED[@]}"
fi

# --- the panels that needed a tunnel change ------------------------------------------------------------------
ONLY_ARGS=()
for m in "${PENDING_TUNNEL_COUNTERS[@]}"; do ONLY_ARGS+=(--only "$m"); done
if ((${#ONLY_ARGS[@]})); then
    log "evaluating the panel queries that need a tunnel change, now that $CONN went down and up"
    counted "$PY" "$HELPER" panels --prom "$PROM" --timeout "$TIMEOUT" --var "instance=$INSTANCE" \
        --dashboard "$DASH/strongswan-overview.json:conn=.*" \
        --dashboard "$DASH/strongswan-tunnel.json:conn=$CONN,child=$CHILD" "${ONLY_ARGS[@]}"
fi

# --- the exposition itself -----------------------------------------------------------------------------------
if "$PY" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
    "$EXP/metrics" >"$TMP/scrape.txt" && out=$("$PROMTOOL" check metrics <"$TMP/scrape.txt" 2>&1); then
    pass "promtool check metrics on a scrape ($(grep -c '^[a-z]' "$TMP/scrape.txt") samples)${out:+: $out}"
else
    fail "promtool check metrics on a scrape: $out"
fi

log "done"
finish
