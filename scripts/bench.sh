#!/usr/bin/env bash
# The scale benchmark (issue: performance at gateway scale; issue 13: lean by default). For each size it runs
# the release exporter (default flags) against a charon, then measures, in one run:
#
# Table 1 (scale): poll duration over 10 polls, resident memory after 10 polls and after the scrapes below,
# exposition size (raw and gzip), completeness (IKE_SAs in charon's `stats` vs per-SA series, or vs the sum of
# strongswan_connection_ike_sas when per-SA families are off), scrape latency over >= 300 sequential keep-alive
# scrapes spanning at least two poll intervals (identity and gzip), `wrk` at concurrency 16 (identity and gzip)
# with the exporter's and charon's CPU during it, how many `list-sas` charon served per poll, and the time of
# one `swanctl --list-sas --raw` on the same daemon (the floor of every scrape-time exporter).
#
# Table 2 (lean exposition and cost per poll, printed after table 1):
# - series: sample lines of one scrape; for lab:N also the part keyed by a site tunnel's connection
#   (conn="site-NNNN", lab/gen_config.py) divided by N = series per site-to-site tunnel, and the rest (the
#   fixed part: global families, road warriors, site-trap, site-dead, exporter self-metrics).
# - churn: label sets never seen before that appear while the IKE_SAs and then the CHILD_SAs of the first
#   min(N, 100) site tunnels are rekeyed (`swanctl --rekey --ike site-NNNN`, `--rekey --child net-NNNN` on
#   gw's VICI socket): the union of series over scrapes every 0.5 s from the rekeys until 3 poll intervals
#   after the last one, minus the union over scrapes every 0.5 s during 3 poll intervals before them. The
#   control is the same count for the baseline itself (series new since its first scrape, no rekeys): what
#   appears without rekeys. Rekeys seen = the delta of the global get-counters rekey counters.
# - exporter CPU per poll: utime+stime over a window of BENCH_CPU_POLLS (default 10) poll intervals that
#   starts and ends half-way between two polls, with no scrape inside it (the script scrapes once before, to
#   find a poll's end, and once after, to count the polls), divided by the polls that completed in it.
#   CPU is read at nanosecond resolution (see cpu_snap), not in 10 ms clock ticks.
# - charon CPU per poll: charon's utime+stime over the same window, minus its idle rate x the window, divided
#   by the polls. The idle rate is measured right after, over a window of the same length, with the exporter
#   SIGSTOPped (DPD and rekey timers keep charon busy at lab sizes).
# - charon CPU per list-sas: 10 x `swanctl --list-sas --raw` (exporter still stopped), minus the idle rate x
#   their duration, / 10; and the ratio charon-per-poll / list-sas.
# - RSS: median of VmRSS read every 0.5 s during the CPU window (no scrapes in it).
#
#   scripts/bench.sh                      # lab:100 lab:1000 fake:10000
#   scripts/bench.sh lab:20 lab:20:per-sa # chosen sizes
#
# Sizes: lab:N is the real lab (N site-to-site tunnels, 10 road warriors: N+10 IKE_SAs, two real charons);
# fake:N is Benchmarks/fake-charon replaying N SAs synthesized from lab captures (no tunnels: no churn, no
# series per tunnel). A `:per-sa` suffix runs the exporter with --collector.sas.per-sa; `:no-per-sa` (the
# old spelling) is the default and passes no flag. Needs root and network namespaces for lab sizes, and
# wrk (apt-get install wrk). Results: Markdown tables on stdout and in $BENCH_OUT (default
# /tmp/strongswan-bench/results.md); logs next to it (series-SIZE.txt: series by family, site-keyed and
# fixed; churn-SIZE.txt: the new series; scrape-SIZE.prom: the scrape counted). Benchmarks are
# not tests: nothing here fails on a slow machine; targets are compared by reading the tables (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT_DIR=${BENCH_DIR:-/tmp/strongswan-bench}
OUT=${BENCH_OUT:-$OUT_DIR/results.md}
PORT=${BENCH_PORT:-9871}
SCRAPES=${BENCH_SCRAPES:-300}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
CPU_POLLS=${BENCH_CPU_POLLS:-10}
REKEY_TUNNELS=${BENCH_REKEY_TUNNELS:-100}
export LAB_NAME=bench LAB_DIR=/tmp/lab-bench
mkdir -p "$OUT_DIR"
sizes=("$@")
((${#sizes[@]})) || sizes=(lab:100 lab:1000 fake:10000)
((CPU_POLLS >= 10)) || { echo "BENCH_CPU_POLLS must be at least 10" >&2; exit 2; }

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# nginx serves the exporter's own identity bytes as a static file: the floor identity scrapes are compared with.
command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }
FLOOR_PORT=$((PORT + 1))
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
    # a SIGSTOPped exporter would ignore the SIGTERM until continued
    [[ -n $exporter_pid ]] && { kill -CONT "$exporter_pid" 2>/dev/null; kill "$exporter_pid" 2>/dev/null; } || true
    [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null || true
    lab/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

cpu_seconds() { # utime + stime of a pid (all its threads), in seconds
    awk -v t="$TICKS" '{ print ($14 + $15) / t }' "/proc/$1/stat"
}
# A CPU reading at nanosecond resolution (clock ticks are 10 ms: a tenth of a poll's CPU at small sizes):
# "ticks-seconds sum-of-sum_exec_runtime-ns thread-ids", where sum_exec_runtime (first field of
# /proc/PID/task/TID/schedstat) is what utime + stime add up to. cpu_delta uses the nanoseconds when the
# thread set is the same at both readings (a thread that exited takes its time out of task/) and the ticks
# otherwise, saying so on stderr.
cpu_snap() {
    local pid=$1 tids ns
    tids=$(ls "/proc/$pid/task" | sort -n | tr '\n' ,)
    ns=$(cat "/proc/$pid/task/"*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }')
    [[ $(ls "/proc/$pid/task" | sort -n | tr '\n' ,) == "$tids" ]] || tids="changed"
    echo "$(cpu_seconds "$pid") $ns $tids"
}
cpu_delta() { # snap0 snap1 -> seconds
    local t0 n0 s0 t1 n1 s1
    read -r t0 n0 s0 <<<"$1"
    read -r t1 n1 s1 <<<"$2"
    if [[ $s0 == "$s1" && $s0 != changed ]]; then
        calc "($n1 - $n0) / 1e9"
    else
        echo "note: threads changed during a CPU reading, using clock ticks" >&2
        calc "$t1 - $t0"
    fi
}
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
anon_mib() { awk '/^RssAnon/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; } # heap and stacks, no code
hwm_mib() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; } # peak resident
scrape() { curl -fsS --compressed "http://127.0.0.1:$PORT/metrics"; }
metric() { # first value of a series whose line starts with $1
    scrape | awk -v m="$1" 'index($0, m) == 1 && !found { print $NF; found = 1 }'
}
polls() { scrape | awk '/^strongswan_exporter_polls_total\{result="success"\}/ { s += $NF } END { print s + 0 }'; }
polls_and_duration() { # one scrape: successful polls, latest poll duration
    scrape | awk '/^strongswan_exporter_polls_total\{result="success"\}/ { s += $NF }
        /^strongswan_exporter_poll_duration_seconds / { d = $NF } END { print s + 0, d + 0 }'
}
calc() { python3 -c "print($1)"; }
now_s() { date +%s.%N; }
now_ns() { date +%s%N; }
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }
ms_stats() { # min/median of a list of seconds, printed in ms
    python3 -c 'import statistics,sys; v=[float(x)*1000 for x in sys.argv[1:]]; print(f"{min(v):.1f}/{statistics.median(v):.1f}")' "$@"
}

# Exposition helpers: series counting (a series = a sample line's name and label set, parsed with quoting so
# label values with spaces or braces count once) and the churn measurement.
read -r -d '' EXPOSITION_PY <<'PY' || true
import json, subprocess, sys, threading, time, urllib.request, re

def series(text):
    keys = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        i, n = 0, len(line)
        while i < n and line[i] not in "{ \t":
            i += 1
        if i < n and line[i] == "{":
            quoted = False
            while i < n:
                c = line[i]
                if quoted and c == "\\":
                    i += 2
                    continue
                if c == '"':
                    quoted = not quoted
                elif c == "}" and not quoted:
                    i += 1
                    break
                i += 1
        keys.add(line[:i])
    return keys

def family(key):
    return key.split("{", 1)[0]

def label(key, name):
    m = re.search(r'[{,]' + name + r'="((?:[^"\\]|\\.)*)"', key)
    return m.group(1) if m else None

def count(path, breakdown):
    # total, keyed by a site tunnel's conn (site-NNNN), the rest; series by family into `breakdown`
    keys = series(open(path).read())
    families = {}
    site = 0
    for k in keys:
        is_site = re.fullmatch(r"site-\d+", label(k, "conn") or "") is not None
        site += is_site
        counts = families.setdefault(family(k), [0, 0])
        counts[0 if is_site else 1] += 1
    with open(breakdown, "w") as f:
        f.write("series %d: keyed by a site tunnel's conn %d, fixed part %d\n" % (len(keys), site, len(keys) - site))
        f.write("%8s %8s  family\n" % ("site", "fixed"))
        for fam, (a, b) in sorted(families.items(), key=lambda x: (-x[1][0], -x[1][1], x[0])):
            f.write("%8d %8d  %s\n" % (a, b, fam))
    print(len(keys), site, len(keys) - site)

def sum_family(keys_values, name):
    return sum(v for k, v in keys_values.items() if family(k) == name)

def scrape(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            for k in series(line):
                try:
                    values[k] = float(line[len(k):].split()[0])
                except (ValueError, IndexError):
                    values[k] = 0.0
    return values

def churn(url, interval, commands_file, log):
    period = 0.5
    span = 3 * interval
    commands = [line.split() for line in open(commands_file) if line.strip()]
    def sample(until, scrapes):
        while True:
            t = time.monotonic()
            scrapes.append(scrape(url))
            if t >= until():
                return
            time.sleep(max(0.0, period - (time.monotonic() - t)))
    baseline = []
    start = time.monotonic()
    sample(lambda: start + span, baseline)
    before = set().union(*baseline)
    control = before - set(baseline[0])
    failures = []
    done = {}
    def run():
        t0 = time.monotonic()
        for cmd in commands:
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                lines = r.stderr.strip().splitlines()
                failures.append(" ".join(cmd) + (": " + lines[-1] if lines else ""))
        done["seconds"] = time.monotonic() - t0
        done["at"] = time.monotonic()
    worker = threading.Thread(target=run)
    during = []
    worker.start()
    sample(lambda: done["at"] + span if "at" in done else float("inf"), during)
    worker.join()
    seen = set().union(*during)
    new = seen - before
    gone = before - set(during[-1])
    def rekeys(values, name):
        return sum(v for k, v in values.items() if family(k) == name)
    ike = rekeys(during[-1], "strongswan_ike_rekeys_total") - rekeys(baseline[-1], "strongswan_ike_rekeys_total")
    child = rekeys(during[-1], "strongswan_child_rekeys_total") - rekeys(baseline[-1], "strongswan_child_rekeys_total")
    by_family = {}
    for k in new:
        by_family[family(k)] = by_family.get(family(k), 0) + 1
    with open(log, "w") as f:
        f.write("rekey commands: %d in %.1f s, failed: %d\n" % (len(commands), done["seconds"], len(failures)))
        for x in failures:
            f.write("  failed: %s\n" % x)
        f.write("scrapes: %d baseline, %d during/after\n" % (len(baseline), len(during)))
        f.write("control (new during the baseline window): %d\n" % len(control))
        for k in sorted(control):
            f.write("  %s\n" % k)
        f.write("new during/after the rekeys: %d\n" % len(new))
        for fam, c in sorted(by_family.items(), key=lambda x: -x[1]):
            f.write("  %6d %s\n" % (c, fam))
        for k in sorted(new):
            f.write("  %s\n" % k)
        f.write("present before, absent from the last scrape: %d\n" % len(gone))
        for k in sorted(gone):
            f.write("  %s\n" % k)
    top = ", ".join("%s %d" % (fam.removeprefix("strongswan_"), c)
                    for fam, c in sorted(by_family.items(), key=lambda x: -x[1])[:3])
    print(json.dumps({"new": len(new), "control": len(control), "commands": len(commands),
                      "failed": len(failures), "seconds": round(done["seconds"], 1),
                      "ike_rekeys": int(ike), "child_rekeys": int(child), "top": top}))

if sys.argv[1] == "count":
    count(sys.argv[2], sys.argv[3])
elif sys.argv[1] == "churn":
    churn(sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5])
PY
expo() { python3 -c "$EXPOSITION_PY" "$@"; }

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

wait_for_poll() { # blocks until the successful-poll count moves (scraping every 50 ms); prints "count duration"
    local start p d
    read -r start _ < <(polls_and_duration)
    while read -r p d < <(polls_and_duration); ((p == start)); do sleep 0.05; done
    echo "$p $d"
}

identity_floor() { # body-file span: scrape_latency.py's line for the same bytes served by nginx
    local file=$1 span=$2 root="$OUT_DIR/floor" pid
    mkdir -p "$root"
    cp "$file" "$root/metrics"
    printf '%s\n' "daemon off;" "worker_processes 1;" "pid $OUT_DIR/nginx.pid;" "error_log $OUT_DIR/nginx-error.log;" \
        "events { worker_connections 64; }" \
        "http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 60s;" \
        "  default_type text/plain; server { listen 127.0.0.1:$FLOOR_PORT; root $root; location / { } } }" \
        >"$OUT_DIR/nginx.conf"
    nginx -c "$OUT_DIR/nginx.conf" -p "$OUT_DIR" &
    pid=$!
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$FLOOR_PORT/metrics" 2>/dev/null && break; sleep 0.05; done
    python3 scripts/scrape_latency.py "http://127.0.0.1:$FLOOR_PORT/metrics" "$SCRAPES" --min-seconds "$span"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}

charon_round() { # socket: prints "charon-CPU-per-poll charon-CPU-per-list-sas" (seconds) of one alternating round
    local socket=$1 i0 i1 i2 i3 r pa da pb half t0 t1 c0 c1 l0 l1 lt0 lt1 i
    kill -STOP "$exporter_pid"
    i0=$(cpu_snap "$charon_pid"); sleep 3; i1=$(cpu_snap "$charon_pid")
    kill -CONT "$exporter_pid"
    read -r pa da < <(wait_for_poll)
    half=$(calc "max(0.05, ($seconds - $da) / 2)")
    sleep "$half"
    t0=$(now_s); c0=$(cpu_snap "$charon_pid")
    sleep "$((4 * seconds))"
    c1=$(cpu_snap "$charon_pid"); t1=$(now_s)
    pb=$(polls)
    kill -STOP "$exporter_pid"
    lt0=$(now_s); l0=$(cpu_snap "$charon_pid")
    for i in 1 2 3 4; do swanctl --list-sas --raw --uri "unix://$socket" >/dev/null 2>>"$OUT_DIR/swanctl.log"; done
    l1=$(cpu_snap "$charon_pid"); lt1=$(now_s)
    i2=$(cpu_snap "$charon_pid"); sleep 3; i3=$(cpu_snap "$charon_pid")
    kill -CONT "$exporter_pid"
    r=$(calc "($(cpu_delta "$i0" "$i1") + $(cpu_delta "$i2" "$i3")) / 6")
    calc "'%.6f %.6f' % (($(cpu_delta "$c0" "$c1") - $r * ($t1 - $t0)) / max(1, $pb - $pa), ($(cpu_delta "$l0" "$l1") - $r * ($lt1 - $lt0)) / 4)"
}

results_header() {
    cat <<EOF
| size | IKE_SAs (stats / series) | poll min/median | RSS (anon) after 10 polls | RSS after scrapes / peak | exposition raw / gzip | scrape min/median/p99 (max, scrapes) identity | identity floor: the same bytes from nginx, min/median/p99 (exporter / floor) | scrape min/median/p99 (max, scrapes) gzip | wrk c16 req/s identity / gzip | exporter CPU per scrape | charon CPU/s polled, no scrapes / under wrk | list-sas served / polls (whole run) | swanctl --list-sas round trip min/median |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
}

lean_header() {
    cat <<EOF
| size | series total | series per site tunnel (fixed part) | churn: new series while the IKE_SAs and CHILD_SAs of min(N, 100) site tunnels rekey (control; rekeys seen) | CPU window (polls in s) | exporter CPU per poll | charon CPU per poll (idle-corrected) | charon idle CPU | charon CPU per list-sas (idle-corrected) | charon per poll / list-sas | the same, median of 5 alternating rounds | RSS median in window |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
}
LEAN_ROWS=$OUT_DIR/lean-rows.md
: >"$LEAN_ROWS"

bench_one() {
    local spec=$1 kind size suffix per_sa=no socket charon_pid interval flags=()
    IFS=: read -r kind size suffix <<<"$spec"
    case ${suffix:-} in
    "" | no-per-sa) ;; # per-SA families off: the default (no flag)
    per-sa) per_sa=yes; flags+=(--collector.sas.per-sa) ;;
    *) echo "unknown suffix in $spec (per-sa or no-per-sa)" >&2; return 1 ;;
    esac
    echo "== $spec" >&2
    case $kind in
    lab)
        # DPD every hour instead of every 30 s: at 1,000 idle tunnels the lab's DPD exchanges cost charon about
        # 17 ms/s, as much as the polls, and their drift drowned the per-poll figures (BENCH_DPD_DELAY=30 for
        # the lab's own setting)
        LAB_DPD_DELAY=${BENCH_DPD_DELAY:-3600} lab/lab.sh up "$size" --rw 10 >"$OUT_DIR/lab.log" 2>&1
        socket=$LAB_DIR/gw/charon.vici
        charon_pid=$(cat "$LAB_DIR/gw/charon.pid")
        # The default: failures from charon's error-notify socket (its families are part of the default cost).
        flags+=(--error-notify.socket "unix://$LAB_DIR/gw/charon.enfy")
        ;;
    fake)
        socket=$OUT_DIR/fake-charon.vici
        rm -f "$socket"
        # The fake charon has no error-notify socket: leave it out rather than count retries.
        flags+=(--no-error-notify)
        "$BIN/fake-charon" --socket "$socket" --sas "$size" --root "$ROOT" --status-file "$OUT_DIR/fake.status" \
            2>"$OUT_DIR/fake.log" &
        fake_pid=$!
        charon_pid=$fake_pid
        for _ in $(seq 1 300); do grep -q "on $socket" "$OUT_DIR/fake.log" 2>/dev/null && break; sleep 0.1; done
        ;;
    *) echo "unknown size $spec" >&2; return 1 ;;
    esac
    if ((size <= 1000)); then interval=2s; elif ((size <= 10000)); then interval=4s; else interval=10s; fi
    local seconds=${interval%s}
    start_exporter "$socket" "$interval" "${flags[@]}"

    # 10 polls with the script scraping two to four times a second to read each poll's duration. RSS is
    # sampled every 0.5 s and the median reported: a single reading lands inside a rendering now and then
    # (the metric set and both snapshots alive at once), which the peak column shows instead.
    local p0 p durations=() last="" rss_samples=() anon_samples=()
    p0=$(polls)
    while p=$(polls); ((p < p0 + 10)); do
        if [[ $p != "$last" ]]; then
            durations+=("$(metric 'strongswan_exporter_poll_duration_seconds ')")
            last=$p
        fi
        rss_samples+=("$(rss_mib "$exporter_pid")")
        anon_samples+=("$(anon_mib "$exporter_pid")")
        sleep 0.5
    done
    local rss10
    rss10="$(median "${rss_samples[@]}") ($(median "${anon_samples[@]}") anon)"

    # CPU per poll, without scrapes: find a poll's end, start the window half-way to the next poll, let
    # CPU_POLLS intervals pass (reading only /proc), end the window (again half-way between two polls), and
    # only then scrape to count the polls that completed in it.
    local pa da pb half w_start w_end c0 c1 ch0 ch1 window_rss=()
    read -r pa da < <(wait_for_poll)
    half=$(calc "max(0.05, ($seconds - $da) / 2)")
    sleep "$half"
    w_start=$(now_s)
    c0=$(cpu_snap "$exporter_pid")
    ch0=$(cpu_snap "$charon_pid")
    local w_until_ns=$(($(now_ns) + CPU_POLLS * seconds * 1000000000))
    while (($(now_ns) < w_until_ns - 500000000)); do
        window_rss+=("$(rss_mib "$exporter_pid")")
        sleep 0.5
    done
    while (($(now_ns) < w_until_ns)); do sleep 0.02; done
    c1=$(cpu_snap "$exporter_pid")
    ch1=$(cpu_snap "$charon_pid")
    w_end=$(now_s)
    pb=$(polls)
    # charon's idle rate over a window of the same length, with the exporter stopped (in a gap between polls)
    kill -STOP "$exporter_pid"
    local window ch_i0 ch_i1 idle_rate
    window=$(calc "$w_end - $w_start")
    ch_i0=$(cpu_snap "$charon_pid")
    sleep "$window"
    ch_i1=$(cpu_snap "$charon_pid")
    idle_rate=$(calc "$(cpu_delta "$ch_i0" "$ch_i1") / $window")
    # one list-sas alone, 10 times, exporter still stopped
    local times=() t0 t1 l0 l1 ls_start ls_end i
    l0=$(cpu_snap "$charon_pid")
    ls_start=$(now_s)
    for i in $(seq 1 10); do
        t0=$(date +%s%N)
        swanctl --list-sas --raw --uri "unix://$socket" >/dev/null 2>>"$OUT_DIR/swanctl.log"
        t1=$(date +%s%N)
        times+=("$(calc "($t1 - $t0) / 1e9")")
    done
    ls_end=$(now_s)
    l1=$(cpu_snap "$charon_pid")
    kill -CONT "$exporter_pid"
    local n_polls exporter_window charon_window list_sas_total cpu_poll charon_poll list_sas_cpu ratio floor
    n_polls=$((pb - pa))
    exporter_window=$(cpu_delta "$c0" "$c1")
    charon_window=$(cpu_delta "$ch0" "$ch1")
    list_sas_total=$(cpu_delta "$l0" "$l1")
    cpu_poll=$(calc "$exporter_window / $n_polls")
    charon_poll=$(calc "($charon_window - $idle_rate * $window) / $n_polls")
    list_sas_cpu=$(calc "($list_sas_total - $idle_rate * ($ls_end - $ls_start)) / 10")
    ratio=$(calc "round($charon_poll / $list_sas_cpu, 2) if $list_sas_cpu > 0 else 'n/a'")
    floor="$(ms_stats "${times[@]}") ms"
    echo "   CPU window: $n_polls polls in $(calc "round($window, 1)") s; exporter $(calc "round($exporter_window * 1000, 1)") ms," \
        "charon $(calc "round($charon_window * 1000, 1)") ms (idle $(calc "round($idle_rate * 1000, 2)") ms/s);" \
        "10 list-sas: charon $(calc "round($list_sas_total * 1000, 1)") ms in $(calc "round($ls_end - $ls_start, 2)") s" >&2
    wait_for_poll >/dev/null # the exporter is back and has polled again
    # The ratio again, robust against charon's background work drifting (DPD and rekey timers of 1,000 tunnels
    # cost it as much as the polls do): 5 alternating rounds of [idle, exporter polling, list-sas alone, idle],
    # each corrected by the idle rate measured right before and right after it.
    local rounds=() round_text=""
    for i in 1 2 3 4 5; do rounds+=("$(charon_round "$socket")"); done
    round_text=$(python3 -c '
import statistics, sys
pairs = [tuple(map(float, a.split())) for a in sys.argv[1:]]
ratios = [p / l for p, l in pairs if l > 0]
print("%.2f (rounds: %s; poll %s ms, list-sas %s ms)" % (statistics.median(ratios), ", ".join("%.2f" % r for r in ratios),
      "/".join("%.1f" % (p * 1000) for p, _ in pairs), "/".join("%.1f" % (l * 1000) for _, l in pairs)))
' "${rounds[@]}")
    echo "   charon rounds: $round_text" >&2

    # completeness, series and sizes
    local body="$OUT_DIR/scrape.prom" stats_count series raw gz total site fixed per_tunnel
    scrape >"$body"
    stats_count=$(awk '/^strongswan_ike_sas / { print $NF }' "$body")
    if grep -q '^strongswan_ike_sa_state{' "$body"; then
        series=$(grep -c '^strongswan_ike_sa_state{' "$body")
    else
        series="$(awk '/^strongswan_connection_ike_sas\{/ { s += $NF } END { print s + 0 }' "$body") (sum of connection_ike_sas)"
    fi
    read -r total site fixed < <(expo count "$body" "$OUT_DIR/series-${spec//:/-}.txt")
    cp "$body" "$OUT_DIR/scrape-${spec//:/-}.prom"
    if [[ $kind == lab ]]; then
        per_tunnel="$(calc "round($site / $size, 2)") ($site / $size; fixed $fixed)"
    else
        per_tunnel="n/a (fake charon: no tunnels; conn=\"site-NNNN\" $site, rest $fixed)"
    fi
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
    local span=$((2 * seconds))
    lat_id=$(python3 scripts/scrape_latency.py "http://127.0.0.1:$PORT/metrics" "$SCRAPES" --min-seconds "$span")
    lat_gz=$(python3 scripts/scrape_latency.py "http://127.0.0.1:$PORT/metrics" "$SCRAPES" --gzip --min-seconds "$span")
    # The floor of identity scrapes: the same bytes from nginx (one worker, sendfile, keep-alive), scraped the
    # same way in the same run. Identity scrapes must stay within 1.2x of it; gzip scrapes (what Prometheus
    # sends) are read against the latency targets.
    local lat_floor floor_ratio
    lat_floor=$(identity_floor "$body" "$span")
    floor_ratio=$(python3 -c '
import re, sys
def get(text, key):
    m = re.search(key + r"=([0-9.]+)", text)
    return float(m.group(1)) if m else float("nan")
ours, floor = sys.argv[1], sys.argv[2]
print("median %.2fx, p99 %.2fx" % (get(ours, "median") / get(floor, "median"), get(ours, "p99") / get(floor, "p99")))
' "$lat_id" "$lat_floor")

    # charon CPU over the wrk duration without wrk (the exporter polling), then wrk with the exporter's and
    # charon's CPU
    local wch0 wch1 wch2 e0 e1 q0 q1 wrk_id wrk_gz req_id req_gz
    wch0=$(cpu_seconds "$charon_pid")
    q0=$(polls)
    sleep "$WRK_SECONDS"
    wch1=$(cpu_seconds "$charon_pid")
    e0=$(cpu_seconds "$exporter_pid")
    wrk -t2 -c16 -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$PORT/metrics" >"$OUT_DIR/wrk-identity.txt"
    wrk -t2 -c16 -d"${WRK_SECONDS}s" --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/metrics" \
        >"$OUT_DIR/wrk-gzip.txt"
    e1=$(cpu_seconds "$exporter_pid")
    wch2=$(cpu_seconds "$charon_pid")
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
    charon_idle=$(calc "round(($wch1 - $wch0) / $WRK_SECONDS, 3)")
    charon_wrk=$(calc "round(($wch2 - $wch1) / (2 * $WRK_SECONDS), 3)")
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

    # churn: rekey the IKE_SA, then the CHILD_SA, of the first min(N, REKEY_TUNNELS) site tunnels
    local churn="—"
    if [[ $kind == lab ]]; then
        local k=$((size < REKEY_TUNNELS ? size : REKEY_TUNNELS)) cmds="$OUT_DIR/rekeys.txt" log result
        log="$OUT_DIR/churn-${spec//:/-}.txt"
        {
            for ((i = 1; i <= k; i++)); do printf 'swanctl --rekey --ike site-%04d --uri unix://%s\n' "$i" "$socket"; done
            for ((i = 1; i <= k; i++)); do printf 'swanctl --rekey --child net-%04d --uri unix://%s\n' "$i" "$socket"; done
        } >"$cmds"
        result=$(STRONGSWAN_CONF=$LAB_DIR/tools.conf expo churn "http://127.0.0.1:$PORT/metrics" "$seconds" "$cmds" "$log")
        churn=$(python3 -c '
import json, sys
r = json.loads(sys.argv[1]); k = int(sys.argv[2])
s = "%d (control %d; %d IKE + %d CHILD rekey requests in %.1f s, %d failed; rekeys seen: IKE +%d, CHILD +%d)" % (
    r["new"], r["control"], k, k, r["seconds"], r["failed"], r["ike_rekeys"], r["child_rekeys"])
if r["top"]: s += "; new: " + r["top"]
print(s)' "$result" "$k")
        echo "   churn: $churn (details: $log)" >&2
    fi

    kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || true; exporter_pid=""
    if [[ $kind == fake ]]; then kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fake_pid=""; fi

    pretty() { sed -E 's/min=//; s/ median=/\//; s/ p99=/\//; s/ max=([0-9.]+) ms bytes=.* scrapes=([0-9]+)/ ms (max \1, \2 scrapes)/' <<<"$1"; }
    echo "| $spec | $stats_count / $series | $(ms_stats "${durations[@]}") ms | $rss10 MiB | $rss_end / $hwm MiB | $(calc "round($raw / 1024, 1)") / $(calc "round($gz / 1024, 1)") KiB$promtool_note | $(pretty "$lat_id") | $(pretty "$lat_floor") ($floor_ratio) | $(pretty "$lat_gz") | $wrk_id / $wrk_gz | $scrape_cpu ms | $charon_idle / $charon_wrk s | $served | $floor |" | tee -a "$OUT"
    echo "   latency identity: $lat_id" >&2
    echo "   latency floor:    $lat_floor ($floor_ratio)" >&2
    echo "   latency gzip:     $lat_gz" >&2
    local lean_row
    lean_row="| $spec | $total | $per_tunnel | $churn | $n_polls in $(calc "round($window, 1)") s | $(calc "round($cpu_poll * 1000, 1)") ms | $(calc "round($charon_poll * 1000, 1)") ms | $(calc "round($idle_rate * 1000, 2)") ms/s | $(calc "round($list_sas_cpu * 1000, 1)") ms | $ratio | $round_text | $(median "${window_rss[@]}") MiB |"
    echo "$lean_row" >>"$LEAN_ROWS"
    echo "   lean: $lean_row" >&2
}

{
    echo
    echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r), strongSwan $(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null || echo '?'), exporter $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "Scale (exporter defaults but --poll.interval; per-SA families only with :per-sa):"
    echo
    results_header
} | tee -a "$OUT"
for spec in "${sizes[@]}"; do
    bench_one "$spec"
done
{
    echo
    echo "Lean exposition and cost per poll (same runs):"
    echo
    lean_header
    cat "$LEAN_ROWS"
} | tee -a "$OUT"
lab/lab.sh down >/dev/null 2>&1 || true
