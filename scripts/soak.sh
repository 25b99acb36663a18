#!/usr/bin/env bash
# Soak test: the real exporter binary against its own real lab (two charon daemons, 50 tunnels, 10 road
# warriors), scraped by wrk at concurrency 64 while tunnels churn and charon restarts.
#
#   scripts/soak.sh            the long run: 60 s of wrk, churn all along, 2 restarts of gw's charon
#   scripts/soak.sh --quick    the CI-sized run: 10 s of wrk, churn, 1 restart (make test runs this)
#
# Passes when
#   - every response wrk got was a 200 (a Lua hook counts any other status) and wrk saw no socket error;
#   - every scrape sampled during the run (the first response of every second on each wrk thread, saved by
#     the same Lua hook, so the sampler adds no 65th connection) is a valid exposition without a duplicate
#     series, checked by a strict parser below (and `promtool check metrics` on a few, when installed);
#   - resident memory at the end is within 10 % of its value at the start (measured after a warm-up wrk
#     run at the same concurrency, when the allocator has reached its working set), and open fds and threads
#     are the same at the end as at the start (both measured with wrk idle and the lab settled).
# 20 charon restarts while scraping (fd and reconnect checks) are covered by
# Tests/LabTests/AgentAgainstLabTests.swift (testCharonRestartsAreSurvivedWithoutLeaks); this script adds
# load and churn.
#
# Needs root, network namespaces, strongSwan (lab/lab.sh install), wrk and python3. Without root or network
# namespaces it prints SKIP and exits 0 (under CI=true it fails instead). Environment:
#   SOAK_LAB_NAME / SOAK_LAB_DIR  the lab instance (default soak / /tmp/lab-soak; LAB_NAME and LAB_DIR of
#                            the caller are ignored, so the tests' lab is left alone)
#   SOAK_TUNNELS, SOAK_RW    lab size (50, 10)        SOAK_CONNECTIONS  wrk concurrency (64)
#   SOAK_DURATION            seconds of wrk (60, --quick 10)   SOAK_RESTARTS  gw restarts (2, --quick 1)
#   SOAK_POLL                --poll.interval of the exporter (2s)
#   EXPORTER_BINARY          the binary (default: the debug build, built first)
#   SOAK_OUT                 where logs, samples and the resource CSV go (default /tmp/soak-<pid>)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
[[ ${1:-} == --quick ]] && QUICK=1
# Its own lab instance, whatever LAB_* the caller has (make test exports those of the tests' lab).
export LAB_NAME=${SOAK_LAB_NAME:-soak}
export LAB_DIR=${SOAK_LAB_DIR:-/tmp/lab-soak}
TUNNELS=${SOAK_TUNNELS:-50}
RW=${SOAK_RW:-10}
CONNECTIONS=${SOAK_CONNECTIONS:-64}
if ((QUICK)); then DURATION=${SOAK_DURATION:-10}; RESTARTS=${SOAK_RESTARTS:-1}; else DURATION=${SOAK_DURATION:-60}; RESTARTS=${SOAK_RESTARTS:-2}; fi
POLL=${SOAK_POLL:-2s}
OUT=${SOAK_OUT:-/tmp/soak-$$}
LAB="$ROOT/lab/lab.sh"
mkdir -p "$OUT/samples"

say() { printf 'soak: %s\n' "$*"; }
fail() { printf 'soak: FAIL: %s\n' "$*" >&2; FAILED=1; }
FAILED=0

if [[ $(id -u) -ne 0 ]] || ! ip netns list >/dev/null 2>&1; then
    if [[ ${CI:-} == true ]]; then echo "soak: needs root and network namespaces (CI=true)" >&2; exit 1; fi
    echo "soak: SKIP (needs root and network namespaces)"
    exit 0
fi
for tool in wrk python3 curl; do
    command -v $tool >/dev/null || { echo "soak: $tool missing (apt-get install wrk python3 curl)" >&2; exit 1; }
done

if [[ -z ${EXPORTER_BINARY:-} ]]; then
    swift build --product strongswan_exporter >/dev/null
    EXPORTER_BINARY="$(swift build --show-bin-path)/strongswan_exporter"
fi

EXPORTER_PID=""
DISTURB_PID=""
cleanup() {
    [[ -n $DISTURB_PID ]] && kill "$DISTURB_PID" 2>/dev/null && wait "$DISTURB_PID" 2>/dev/null
    [[ -n $EXPORTER_PID ]] && kill "$EXPORTER_PID" 2>/dev/null && wait "$EXPORTER_PID" 2>/dev/null
    "$LAB" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "lab $LAB_NAME in $LAB_DIR: $TUNNELS tunnels, $RW road warriors"
"$LAB" up "$TUNNELS" --rw "$RW" > "$OUT/lab-up.log" 2>&1 || { cat "$OUT/lab-up.log"; exit 1; }
set -a; source "$LAB_DIR/env"; set +a

PORT=$((20000 + RANDOM % 20000))
URL="http://127.0.0.1:$PORT/metrics"
"$EXPORTER_BINARY" run --vici.socket "$LAB_GW_VICI" --error-notify.socket "$LAB_GW_ENFY" \
    --web.listen-address "127.0.0.1:$PORT" --poll.interval "$POLL" 2> "$OUT/exporter.log" &
EXPORTER_PID=$!
say "exporter pid $EXPORTER_PID on $URL (log $OUT/exporter.log)"
up() { local body; body=$(curl -fsS "$URL" 2>/dev/null) || return 1; grep -q '^strongswan_up 1$' <<<"$body"; }
for _ in $(seq 1 300); do
    up && break
    sleep 0.1
done
up || { fail "exporter never reached charon"; exit 1; }

resources() {  # rss_kib fds threads
    local rss threads fds
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$EXPORTER_PID/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$EXPORTER_PID/status")
    fds=$(ls "/proc/$EXPORTER_PID/fd" | wc -l)
    echo "$rss $fds $threads"
}

# Waits until the exporter sees every site tunnel up and follows error-notify again (after churn and restarts).
settle() {
    local deadline=$((SECONDS + 120))
    while ((SECONDS < deadline)); do
        if curl -fsS "$URL" 2>/dev/null | python3 -c '
import re, sys
text = sys.stdin.read()
if not re.search(r"^strongswan_up 1$", text, re.M): sys.exit(1)
if not re.search(r"^strongswan_error_notify_up 1$", text, re.M): sys.exit(1)
ups = re.findall(r"^strongswan_tunnel_up\{conn=\"site-\d+\",child=\"net-\d+\"\} (\S+)$", text, re.M)
sys.exit(0 if len(ups) == int(sys.argv[1]) and all(v == "1" for v in ups) else 1)' "$TUNNELS"; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# wrk's Lua hooks: count statuses other than 200 and save the first response of every second per thread.
cat > "$OUT/scrape.lua" <<EOF
local counter = 1
local threads = {}
function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end
function init(args)
    non200 = 0
    responses = 0
    last_second = -1
    sample_dir = "$OUT/samples"
end
function response(status, headers, body)
    responses = responses + 1
    if status ~= 200 then non200 = non200 + 1 end
    local now = os.time()
    if now ~= last_second and sample_dir ~= "" then
        last_second = now
        local file = io.open(sample_dir .. "/t" .. id .. "-" .. now .. ".prom", "w")
        if file then file:write(body); file:close() end
    end
end
function done(summary, latency, requests)
    local bad, total = 0, 0
    for _, thread in ipairs(threads) do
        bad = bad + thread:get("non200")
        total = total + thread:get("responses")
    end
    io.write(string.format("LUA responses=%d non200=%d\n", total, bad))
end
EOF

# Churn for $1 seconds; gw's charon restarted $2 times, evenly spread. Runs in the background.
disturb() {
    local duration=$1 restarts=$2
    (
        set +e
        start=$SECONDS
        restarts_done=0
        seed=${3:-1}
        while ((SECONDS - start < duration)); do
            if ((restarts_done < restarts)) && ((SECONDS - start >= (restarts_done * duration) / restarts + (QUICK ? 1 : 5))); then
                echo "== restart gw at +$((SECONDS - start)) s"
                "$LAB" restart gw
                restarts_done=$((restarts_done + 1))
            else
                "$LAB" churn 5 --seed "$seed"
                seed=$((seed + 1))
            fi
        done
    ) &
    DISTURB_PID=$!
}

# Warm-up: every path the measured run takes, once (wrk at the same concurrency, churn, a charon restart and
# the reconnect), so that the allocator's working set and the lazily started threads (Swift's cooperative
# pool grows on demand up to one thread per core) exist before the start is measured. Growth is what the
# measured run checks, not the first use of a path.
say "warm-up: 8 s of wrk at concurrency $CONNECTIONS with churn and a charon restart"
sed 's|^    sample_dir = .*|    sample_dir = ""|' "$OUT/scrape.lua" > "$OUT/warmup.lua"
disturb 8 1 1000 > "$OUT/disturb-warmup.log" 2>&1
wrk -t2 -c"$CONNECTIONS" -d8s --timeout 10s -s "$OUT/warmup.lua" "$URL" > "$OUT/wrk-warmup.txt" 2>&1
wait "$DISTURB_PID" || true
DISTURB_PID=""
settle || fail "after the warm-up, the exporter did not see every tunnel up again within 120 s"
sleep 1
read -r RSS0 FDS0 THREADS0 < <(resources)
say "start: rss ${RSS0} KiB, fds $FDS0, threads $THREADS0"

# Resource samples every second, for the record.
( while kill -0 "$EXPORTER_PID" 2>/dev/null; do echo "$(date +%s) $(resources)"; sleep 1; done ) > "$OUT/resources.txt" 2>/dev/null &
SAMPLER_PID=$!

# Churn all along; gw's charon restarted RESTARTS times, evenly spread.
disturb "$DURATION" "$RESTARTS" 1 > "$OUT/disturb.log" 2>&1

say "load: $DURATION s of wrk at concurrency $CONNECTIONS against $URL, with churn and $RESTARTS charon restart(s)"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$OUT/scrape.lua" "$URL" > "$OUT/wrk.txt" 2>&1
wait "$DISTURB_PID" || true
DISTURB_PID=""
cat "$OUT/wrk.txt"

say "settling: waiting for every tunnel to be up in the exporter"
settle || fail "the exporter did not see every tunnel up again within 120 s"
sleep 1
read -r RSS1 FDS1 THREADS1 < <(resources)
kill "$SAMPLER_PID" 2>/dev/null || true

# wrk: every response a 200, no socket errors.
LUA=$(grep '^LUA ' "$OUT/wrk.txt" || true)
RESPONSES=$(sed -n 's/.*responses=\([0-9]*\).*/\1/p' <<<"$LUA")
NON200=$(sed -n 's/.*non200=\([0-9]*\).*/\1/p' <<<"$LUA")
[[ -n $NON200 ]] || fail "wrk printed no Lua summary"
[[ ${NON200:-1} -eq 0 ]] || fail "$NON200 responses were not 200"
if grep -q 'Socket errors' "$OUT/wrk.txt"; then fail "wrk socket errors: $(grep 'Socket errors' "$OUT/wrk.txt")"; fi
if grep -q 'Non-2xx' "$OUT/wrk.txt"; then fail "$(grep 'Non-2xx' "$OUT/wrk.txt")"; fi

# Every sampled scrape: a strict parse, no duplicate series.
SAMPLES=$(ls "$OUT/samples" | wc -l)
python3 - "$OUT/samples" <<'PY' || FAILED=1
import os, re, sys
NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
VALUE = re.compile(r'^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN))$')

def parse(text):
    if not text.endswith("\n"): raise ValueError("no final newline")
    series, helped, typed, done, current = set(), set(), set(), set(), None
    for number, line in enumerate(text[:-1].split("\n"), 1):
        def bad(why): raise ValueError(f"line {number}: {why}: {line[:120]!r}")
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line[7:].split(" ", 1)[0]
            if not NAME.fullmatch(name): bad("bad name")
            kind = helped if line[2] == "H" else typed
            if name in kind: bad("second " + line[2:6])
            if name in done: bad("family not contiguous")
            if current and current != name: done.add(current)
            current = name
            kind.add(name)
            continue
        if line.startswith("#") or not line: continue
        m = NAME.match(line)
        if not m: bad("bad sample name")
        name, i, labels = m.group(0), m.end(), []
        if name != current: bad("sample outside its family (no HELP/TYPE before it)")
        if i < len(line) and line[i] == "{":
            i += 1
            while line[i] != "}":
                lm = LABEL.match(line, i)
                if not lm or line[lm.end():lm.end() + 2] != '="': bad("bad label")
                j, value = lm.end() + 2, []
                while line[j] != '"':
                    if line[j] == "\\":
                        if line[j + 1] not in '\\"n': bad("bad escape")
                        value.append({"n": "\n"}.get(line[j + 1], line[j + 1])); j += 2
                    else:
                        value.append(line[j]); j += 1
                labels.append((lm.group(0), "".join(value)))
                i = j + 1
                if line[i] == ",": i += 1
            i += 1
        if line[i] != " ": bad("no blank before the value")
        if not VALUE.match(line[i + 1:].split(" ")[0]): bad("bad value")
        key = (name, tuple(sorted((k, v) for k, v in labels if v != "")))
        if key in series: bad("duplicate series")
        series.add(key)
    return len(series)

directory = sys.argv[1]
failed, counts = 0, []
for file in sorted(os.listdir(directory)):
    try:
        counts.append(parse(open(os.path.join(directory, file), encoding="utf-8").read()))
    except Exception as error:
        failed += 1
        print(f"soak: FAIL: {file}: {error}", file=sys.stderr)
print(f"soak: {len(counts) + failed} sampled scrapes checked, {failed} invalid; series per scrape {min(counts, default=0)}..{max(counts, default=0)}")
sys.exit(1 if failed else 0)
PY
((SAMPLES > 0)) || fail "no scrape was sampled"
if command -v promtool >/dev/null; then
    for file in $(ls "$OUT/samples" | awk 'NR % 10 == 1'); do
        promtool check metrics < "$OUT/samples/$file" > "$OUT/promtool.txt" 2>&1 || fail "promtool check metrics $file: $(head -5 "$OUT/promtool.txt")"
    done
fi

# Resources: rss within 10 %, fds and threads unchanged.
say "end:   rss ${RSS1} KiB, fds $FDS1, threads $THREADS1"
PEAK=$(awk '{ if ($2 > max) max = $2 } END { print max }' "$OUT/resources.txt")
RSS_CHANGE=$(awk -v a="$RSS0" -v b="$RSS1" 'BEGIN { printf "%+.1f", (b - a) * 100 / a }')
awk -v a="$RSS0" -v b="$RSS1" 'BEGIN { exit !(b <= a * 1.10 && b >= a * 0.90) }' || fail "resident memory changed by $RSS_CHANGE % ($RSS0 -> $RSS1 KiB)"
[[ $FDS1 -eq $FDS0 ]] || fail "open fds changed: $FDS0 -> $FDS1"
[[ $THREADS1 -eq $THREADS0 ]] || fail "threads changed: $THREADS0 -> $THREADS1"
kill -0 "$EXPORTER_PID" 2>/dev/null || fail "the exporter died"

RESTARTED=$(grep -c '^== restart' "$OUT/disturb.log" || true)
CHURNED=$(grep -c '^churn ' "$OUT/disturb.log" || true)
REQS=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
say "summary: ${RESPONSES:-?} responses (${REQS:-?}/s), ${NON200:-?} not 200; $SAMPLES scrapes sampled; $CHURNED churn actions, $RESTARTED charon restart(s)"
say "summary: rss ${RSS0} -> ${RSS1} KiB (${RSS_CHANGE} %, peak ${PEAK} KiB), fds $FDS0 -> $FDS1, threads $THREADS0 -> $THREADS1"
say "output in $OUT"
if ((FAILED)); then say "FAILED"; exit 1; fi
say "PASSED"
