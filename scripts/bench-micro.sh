#!/usr/bin/env bash
# Release-mode micro-benchmarks (Benchmarks/strongswan-bench): VICI decode and encode, mapping SAs to models
# and families, encoding the exposition, gzip and a whole in-process poll, on SAs synthesized from lab
# captures. Runs twice: once for time (nothing preloaded), once with ordo-one's malloc interposer preloaded
# to count allocations (its bookkeeping slows allocation, so its times are not the ones to quote).
#
#   scripts/bench-micro.sh [SIZES] [REPETITIONS]     # default: 1000,10000,50000 and 10
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-1000,10000,50000}
reps=${2:-10}
scratch=${BENCH_SCRATCH:-$PWD/.build-release}
swift build -c release --scratch-path "$scratch" --product strongswan-bench >&2
swift build -c release --scratch-path "$scratch" --product MallocInterposerSwift >&2
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
echo "### time ($reps repetitions, min and median)"
"$bin/strongswan-bench" --sas "$sizes" --repetitions "$reps"
echo
echo "### allocations (malloc interposer preloaded)"
LD_PRELOAD="$bin/libMallocInterposerSwift.so" "$bin/strongswan-bench" --sas "$sizes" --repetitions 1
