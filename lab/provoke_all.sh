#!/usr/bin/env bash
# Run `lab.sh provoke` for each scenario (default: all) ROUNDS times (default 3)
# with `lab.sh error-notify gw` and `... peer` reading during each run, and print
# what each daemon reported. Uses the lab of LAB_DIR/LAB_NAME (must be up).
#
#   lab/provoke_all.sh [--rounds N] [SCENARIO...]
set -euo pipefail
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh
rounds=3
if [[ ${1:-} == --rounds ]]; then rounds=$2; shift 2; fi
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(psk ike-proposal esp-proposal ts unreachable pool cert-expired)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
for scn in "${scenarios[@]}"; do
    for ((r = 1; r <= rounds; r++)); do
        "$LAB" error-notify gw >"$tmp/gw" 2>&1 & g=$!
        "$LAB" error-notify peer >"$tmp/peer" 2>&1 & p=$!
        sleep 0.5    # both readers connected
        echo "== $scn round $r"
        "$LAB" provoke "$scn" || { echo "!! provoke $scn failed (rc $?)"; rc=1; }
        sleep 0.5    # late alerts (e.g. a responder's half-open timeout would be much later)
        kill "$g" "$p"
        wait "$g" "$p" 2>/dev/null || true
        sed 's/^/  gw:   /' "$tmp/gw"
        sed 's/^/  peer: /' "$tmp/peer"
    done
done
exit "$rc"
