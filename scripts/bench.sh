#!/usr/bin/env bash
# The scale benchmark (issue: performance at gateway scale). For each size it runs the release exporter
# against a charon, then measures: poll duration and CPU seconds per poll over 10 polls, resident memory
# after 10 polls and after the scrapes below, exposition size (raw and gzip), completeness (SA series vs
# charon's `stats` count), scrape latency over >= 300 sequential keep-alive scrapes spanning at least two poll intervals (identity and gzip),
# `wrk` at concurrency 16 (identity and gzip) with the exporter's and charon's CPU during it, how many
# `list-sas` charon served per poll, and in the same run the time of one `swanctl --list-sas --raw` on
# the same daemon (the floor of every scrape-time exporter).
#
#   scripts/bench.sh                      # lab:100 lab:1000 fake:10000 fake:50000 fake:50000:no-per-sa
#   scripts/bench.sh lab:1000 fake:10000  # chosen sizes
#
# Sizes: lab:N is the real lab (N site-to-site tunnels, 10 road warriors: N+10 IKE_SAs, two real charons);
# fake:N is Benchmarks/fake-charon replaying N SAs synthesized from lab captures; a `:no-per-sa` suffix
# runs the exporter with --no-collector.sas.per-sa. Needs root and network namespaces for lab sizes, and
# wrk (apt-get install wrk). Results: a Markdown table on stdout and in $BENCH_OUT (default
# /tmp/strongswan-bench/results.md); logs next to it. Benchmarks are not tests: nothing here fails on a slow
# machine; targets are compared by reading the table (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT_DIR=${BENCH_DIR:-/tmp/strongswan-bench}
OUT=${BENCH_OUT:-$OUT_DIR/results.md}
PORT=${BENCH_PORT:-9871}
SCRAPES=${BENCH_SCRAPES:-300}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
export LAB_NAME=bench LAB_DIR=/tmp/lab-bench
mkdir -p "$OUT_DIR"
sizes=("$@")
((${#sizes[@]})) || sizes=(lab:100 lab:1000 fake:10000 fake:50000 fake:50000:no-per-sa)

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v swanctl >/dev/null || make -s deps
echo "building release binaries (first time: several minutes)" >&2
# The exporter as `make release` builds it (Swift runtime linked statically); the fake charon alongside.
SCRATCH=${BENCH_SCRATCH:-$ROOT/.build-static}
for product in strongswan_exporter fake-charon; do
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product "$product" >&2
done
BIN=$(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)
TICKS=$(getconf CLK_TCK)

exporter_pid="" fake_pid=""
cleanup() {
    [[ -n $exporter_pid ]] && kill "$exporter_pid" 2>/dev/null || true
    [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null || true
    lab/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

cpu_seconds() { # utime + stime of a pid, in seconds
    awk -v t="$TICKS" '{ print ($14 + $15) / t }' "/proc/$1/stat"
}
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
anon_mib() { awk '/^RssAnon/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; } # heap and stacks, no code
hwm_mib() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; } # peak resident
scrape() { curl -fsS --compressed "http://127.0.0.1:$PORT/metrics"; }
metric() { # first value of a series whose line starts with $1
    scrape | awk -v m="$1" 'index($0, m) == 1 && !found { print $NF; found = 1 }'
}
polls() { scrape | awk '/^strongswan_exporter_polls_total\{result="success"\}/ { s += $NF } END { print s + 0 }'; }
calc() { python3 -c "print($1)"; }
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }
ms_stats() { # min/median of a list of seconds, printed in ms
    python3 -c 'import statistics,sys; v=[float(x)*1000 for x in sys.argv[1:]]; print(f"{min(v):.1f}/{statistics.median(v):.1f}")' "$@"
}

start_exporter() { # socket interval extra-flags...
    local socket=$1 interval=$2
    shift 2
    "$BIN/strongswan_exporter" run --vici.socket "unix://$socket" --web.listen-address "127.0.0.1:$PORT" \
        --poll.interval "$interval" --vici.timeout 60s --log.level warning "$@" >"$OUT_DIR/exporter.log" 2>&1 &
    exporter_pid=$!
    local i
    for i in $(seq 1 600); do
        [[ $(metric 'strongswan_up ' 2>/dev/null) == 1 ]] && return 0
        sleep 0.2
    done
    echo "exporter did not reach charon; see $OUT_DIR/exporter.log" >&2
    return 1
}

list_sas_round_trip() { # socket charon-pid: prints "min/median ms, charon CPU ms per call" over 10 calls
    local socket=$1 pid=$2 times=() c0 c1 t0 t1 i
    c0=$(cpu_seconds "$pid")
    for i in $(seq 1 10); do
        t0=$(date +%s%N)
        swanctl --list-sas --raw --uri "unix://$socket" >/dev/null
        t1=$(date +%s%N)
        times+=("$(calc "($t1 - $t0) / 1e9")")
    done
    c1=$(cpu_seconds "$pid")
    echo "$(ms_stats "${times[@]}") ms; charon $(calc "round(($c1 - $c0) * 1000 / 10, 1)") ms CPU"
}

results_header() {
    cat <<EOF
| size | IKE_SAs (stats / series) | poll min/median | exporter CPU per poll | RSS (anon) after 10 polls | RSS after scrapes / peak | exposition raw / gzip | scrape min/median/p99 (max, scrapes) identity | scrape min/median/p99 (max, scrapes) gzip | wrk c16 req/s identity / gzip | exporter CPU per scrape | charon CPU/s idle / under wrk | list-sas served / polls (whole run) | swanctl --list-sas round trip |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
}

bench_one() {
    local spec=$1 kind size per_sa=yes socket charon_pid interval flags=()
    IFS=: read -r kind size suffix <<<"$spec"
    [[ ${suffix:-} == no-per-sa ]] && { per_sa=no; flags+=(--no-collector.sas.per-sa); }
    echo "== $spec" >&2
    case $kind in
    lab)
        lab/lab.sh up "$size" --rw 10 >"$OUT_DIR/lab.log" 2>&1
        socket=$LAB_DIR/gw/charon.vici
        charon_pid=$(cat "$LAB_DIR/gw/charon.pid")
        ;;
    fake)
        socket=$OUT_DIR/fake-charon.vici
        rm -f "$socket"
        "$BIN/fake-charon" --socket "$socket" --sas "$size" --root "$ROOT" --status-file "$OUT_DIR/fake.status" \
            2>"$OUT_DIR/fake.log" &
        fake_pid=$!
        charon_pid=$fake_pid
        for _ in $(seq 1 300); do grep -q "on $socket" "$OUT_DIR/fake.log" 2>/dev/null && break; sleep 0.1; done
        ;;
    *) echo "unknown size $spec" >&2; return 1 ;;
    esac
    if ((size <= 1000)); then interval=2s; elif ((size <= 10000)); then interval=4s; else interval=10s; fi
    start_exporter "$socket" "$interval" "${flags[@]}"

    # 10 polls, nothing else scraping but the script itself: two to four gzip scrapes a second to count the
    # polls and read their durations (their CPU is in "exporter CPU per poll")
    # RSS is sampled every 0.5 s and the median reported: a single reading lands inside a rendering now and
    # then (the metric set and both snapshots alive at once), which the peak column shows instead.
    local p0 p c0 durations=() last="" rss_samples=() anon_samples=()
    p0=$(polls)
    c0=$(cpu_seconds "$exporter_pid")
    while p=$(polls); ((p < p0 + 10)); do
        if [[ $p != "$last" ]]; then
            durations+=("$(metric 'strongswan_exporter_poll_duration_seconds ')")
            last=$p
        fi
        rss_samples+=("$(rss_mib "$exporter_pid")")
        anon_samples+=("$(anon_mib "$exporter_pid")")
        sleep 0.5
    done
    local c1 rss10 cpu_poll
    c1=$(cpu_seconds "$exporter_pid")
    rss10="$(median "${rss_samples[@]}") ($(median "${anon_samples[@]}") anon)"
    cpu_poll=$(calc "($c1 - $c0) / ($p - $p0)")

    # completeness and sizes
    local body="$OUT_DIR/scrape.prom" stats_count series raw gz
    scrape >"$body"
    stats_count=$(awk '/^strongswan_ike_sas / { print $NF }' "$body")
    series=$(grep -c '^strongswan_ike_sa_state{' "$body" || true)
    [[ $per_sa == no ]] && series="(per-SA off)"
    raw=$(curl -fsS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT/metrics")
    gz=$(curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download}' "http://127.0.0.1:$PORT/metrics")
    promtool_note=""
    if command -v promtool >/dev/null; then
        promtool check metrics <"$body" >"$OUT_DIR/promtool.txt" 2>&1 || promtool_note=" (promtool: see promtool.txt)"
    fi

    # latency
    local lat_id lat_gz
    # At least $SCRAPES scrapes over at least two poll intervals, so that the scrapes a poll overlaps count in
    # their real proportion (at the table's short intervals: 2 s at 1,000 tunnels, 7 times the default 15 s).
    local span=$((2 * ${interval%s}))
    lat_id=$(python3 scripts/scrape_latency.py "http://127.0.0.1:$PORT/metrics" "$SCRAPES" --min-seconds "$span")
    lat_gz=$(python3 scripts/scrape_latency.py "http://127.0.0.1:$PORT/metrics" "$SCRAPES" --gzip --min-seconds "$span")

    # charon idle CPU over the wrk duration, then wrk with the exporter's and charon's CPU
    local ch0 ch1 ch2 e0 e1 q0 q1 wrk_id wrk_gz req_id req_gz
    ch0=$(cpu_seconds "$charon_pid")
    q0=$(polls)
    sleep "$WRK_SECONDS"
    ch1=$(cpu_seconds "$charon_pid")
    e0=$(cpu_seconds "$exporter_pid")
    wrk -t2 -c16 -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$PORT/metrics" >"$OUT_DIR/wrk-identity.txt"
    wrk -t2 -c16 -d"${WRK_SECONDS}s" --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/metrics" \
        >"$OUT_DIR/wrk-gzip.txt"
    e1=$(cpu_seconds "$exporter_pid")
    ch2=$(cpu_seconds "$charon_pid")
    q1=$(polls)
    req_id=$(awk '/requests in/ { print $1 }' "$OUT_DIR/wrk-identity.txt")
    req_gz=$(awk '/requests in/ { print $1 }' "$OUT_DIR/wrk-gzip.txt")
    wrk_id=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$OUT_DIR/wrk-identity.txt")
    wrk_gz=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$OUT_DIR/wrk-gzip.txt")
    for f in wrk-identity wrk-gzip; do
        grep -q 'Non-2xx' "$OUT_DIR/$f.txt" && echo "WARNING: $f had non-2xx responses" >&2
        cp "$OUT_DIR/$f.txt" "$OUT_DIR/$f-${spec//:/-}.txt"
    done
    local scrape_cpu charon_idle charon_wrk rss_end hwm served polls_end
    scrape_cpu=$(calc "round((($e1 - $e0) - ($q1 - $q0) * $cpu_poll) * 1000 / ($req_id + $req_gz), 3)")
    charon_idle=$(calc "round(($ch1 - $ch0) / $WRK_SECONDS, 3)")
    charon_wrk=$(calc "round(($ch2 - $ch1) / (2 * $WRK_SECONDS), 3)")
    local end_samples=()
    for _ in 1 2 3 4 5 6; do end_samples+=("$(rss_mib "$exporter_pid")"); sleep 0.5; done
    rss_end=$(median "${end_samples[@]}")
    hwm=$(hwm_mib "$exporter_pid")

    # Every list-sas charon served, against every poll the exporter made (over the whole run, scrapes
    # included); a poll in flight when the counts are read shows as one more list-sas.
    polls_end=$(polls)
    if [[ $kind == fake ]]; then
        served="$(awk '$1 == "list-sas" { print $2 }' "$OUT_DIR/fake.status") / $polls_end"
    else
        served="n/a (real charon)"
    fi
    local floor
    floor=$(list_sas_round_trip "$socket" "$charon_pid")
    kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || true; exporter_pid=""
    if [[ $kind == fake ]]; then kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fake_pid=""; fi

    pretty() { sed -E 's/min=//; s/ median=/\//; s/ p99=/\//; s/ max=([0-9.]+) ms bytes=.* scrapes=([0-9]+)/ ms (max \1, \2 scrapes)/' <<<"$1"; }
    echo "| $spec | $stats_count / $series | $(ms_stats "${durations[@]}") ms | $(calc "round($cpu_poll * 1000, 1)") ms | $rss10 MiB | $rss_end / $hwm MiB | $(calc "round($raw / 1024, 1)") / $(calc "round($gz / 1024, 1)") KiB$promtool_note | $(pretty "$lat_id") | $(pretty "$lat_gz") | $wrk_id / $wrk_gz | $scrape_cpu ms | $charon_idle / $charon_wrk s | $served | $floor |" | tee -a "$OUT"
    echo "   latency identity: $lat_id" >&2
    echo "   latency gzip:     $lat_gz" >&2
}

{
    echo
    echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r), strongSwan $(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null || echo '?')"
    echo
    results_header
} | tee -a "$OUT"
for spec in "${sizes[@]}"; do
    bench_one "$spec"
done
lab/lab.sh down >/dev/null 2>&1 || true
