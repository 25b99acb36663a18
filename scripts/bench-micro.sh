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
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
# The allocation counter is a benchmark tool, not a dependency of the package: built from its own checkout.
interposer="$scratch/malloc-interposer"
[ -d "$interposer" ] || git clone -q --branch 1.6.1 https://github.com/ordo-one/malloc-interposer.git "$interposer"
swift build -c release --package-path "$interposer" --product MallocInterposerSwift >&2
interposer_lib="$(swift build -c release --package-path "$interposer" --show-bin-path)/libMallocInterposerSwift.so"
echo "### time ($reps repetitions, min and median)"
"$bin/strongswan-bench" --sas "$sizes" --repetitions "$reps"
echo
echo "### allocations (malloc interposer preloaded)"
LD_PRELOAD="$interposer_lib" "$bin/strongswan-bench" --sas "$sizes" --repetitions 1
