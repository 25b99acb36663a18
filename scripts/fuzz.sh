#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for SECONDS (default 30), seeded with frames and
# messages captured from a real charon.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: vici-decode, exposition (default: both)
#
# The targets are compiled with swiftc directly (-sanitize=fuzzer,address -parse-as-library) together with
# the library sources they exercise, so that those are instrumented for coverage and AddressSanitizer:
#   vici-decode  Sources/VICI framing, packet and message decoding (Fuzz/VICIDecodeFuzzer.swift);
#                NIOCore comes from the debug build (.build/debug, built first by this script).
#   exposition   Sources/PrometheusExposition: label values and help text through the encoder and back
#                through the strict parser of Sources/PrometheusExpositionTesting (Fuzz/ExpositionFuzzer.swift);
#                each library is compiled as its own module, as SwiftPM does.
# Work files go to $FUZZ_DIR (default .build/fuzz): binaries, corpora (kept between runs), logs, and any
# crash-* input libFuzzer finds. The script exits non-zero if a target crashed (a trap is a failed property).
# Each run's last libFuzzer status line (execs, cov, ft, corp, exec/s) is printed as a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-30}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(vici-decode exposition)
SWIFT="${SWIFT:-swift}"
SWIFTC="${SWIFTC:-$(dirname "$(command -v "$SWIFT")")/swiftc}"
FUZZ_DIR="${FUZZ_DIR:-$PWD/.build/fuzz}"
# A trap is the finding: libFuzzer reports it; Swift's own backtracer would only fight AddressSanitizer.
export SWIFT_BACKTRACE=enable=no
mkdir -p "$FUZZ_DIR"

# NIOCore, built by SwiftPM (incremental; no-op when up to date).
"$SWIFT" build --target VICI >/dev/null
BIN="$("$SWIFT" build --show-bin-path)"

# The -Xcc flags (C module maps of NIO's shims) SwiftPM passes when compiling the VICI module.
python3 - "$PWD/.build/debug.yaml" > "$FUZZ_DIR/nio-flags" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
match = re.search(r'^  "C\.VICI-[^"]*-debug\.module":.*?^    args: (\[.*?\])$', text, re.S | re.M)
args = eval(match.group(1))
out, i = [], 0
while i < len(args):
    if args[i] == "-Xcc":
        out += ["-Xcc", args[i + 1]]; i += 2
    else:
        i += 1
print("\n".join(out))
PY
mapfile -t NIO_FLAGS < "$FUZZ_DIR/nio-flags"
NIO_OBJECTS=()
for module in NIOCore NIOConcurrencyHelpers _NIODataStructures _NIOBase64 CNIOLinux CNIOAtomics Atomics _AtomicsShims \
              DequeModule InternalCollectionsUtilities ContainersPreview BasicContainers; do
    [ -d "$BIN/$module.build" ] || continue
    while IFS= read -r -d '' object; do NIO_OBJECTS+=("$object"); done < <(find "$BIN/$module.build" -name '*.o' -print0)
done

VICI_SOURCES=()
for name in VICIFrameDecoder VICIPacket VICIMessage VICIMessage+Decoding VICIMessage+Encoding \
            VICIMessage+Description VICIMessage+Accessors VICIError VICICodingOptions VICIElementType; do
    VICI_SOURCES+=("Sources/VICI/$name.swift")
done
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g)

build() {
    case "$1" in
        vici-decode)
            "$SWIFTC" "${FLAGS[@]}" -module-name VICIDecodeFuzzer -I "$BIN/Modules" "${NIO_FLAGS[@]}" \
                Fuzz/VICIDecodeFuzzer.swift "${VICI_SOURCES[@]}" \
                "${NIO_OBJECTS[@]}" -o "$FUZZ_DIR/vici-decode" ;;
        exposition)
            # The two modules as SwiftPM builds them (the parser uses PrometheusExposition's `package` API),
            # each instrumented, then the fuzzer linked with both.
            local modules="$FUZZ_DIR/exposition-modules"
            mkdir -p "$modules"
            for module in PrometheusExposition PrometheusExpositionTesting; do
                "$SWIFTC" "${FLAGS[@]}" -wmo -c -package-name strongswan_exporter -module-name "$module" -I "$modules" \
                    -emit-module -emit-module-path "$modules/$module.swiftmodule" \
                    Sources/"$module"/*.swift -o "$modules/$module.o"
            done
            "$SWIFTC" "${FLAGS[@]}" -module-name ExpositionFuzzer -I "$modules" \
                Fuzz/ExpositionFuzzer.swift "$modules/PrometheusExposition.o" "$modules/PrometheusExpositionTesting.o" \
                -o "$FUZZ_DIR/exposition" ;;
        *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}

seed() {
    local corpus="$FUZZ_DIR/corpus-$1"
    mkdir -p "$corpus"
    case "$1" in
        vici-decode)
            # Whole captured streams, single frames, and the message part of every captured frame.
            cp Tests/VICITests/Fixtures/*.frame Tests/VICITests/Fixtures/*.bin Tests/StrongSwanCollectorsTests/Fixtures/lab/*.vici "$corpus/"
            python3 - "$corpus" Tests/VICITests/Fixtures/*.frame Tests/VICITests/Fixtures/*.bin Tests/StrongSwanCollectorsTests/Fixtures/lab/*.vici <<'PY'
import os, struct, sys
corpus = sys.argv[1]
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    i = n = 0
    while i + 4 <= len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        frame = data[i + 4:i + 4 + length]
        if len(frame) < length: break
        named = frame[:1] in (b"\x00", b"\x03", b"\x04", b"\x07")
        body = frame[2 + frame[1]:] if named and len(frame) > 1 else frame[1:]
        base = os.path.basename(path)
        open(os.path.join(corpus, f"{base}.{n}.frame"), "wb").write(data[i:i + 4 + length])
        open(os.path.join(corpus, f"{base}.{n}.message"), "wb").write(body)
        i += 4 + length; n += 1
PY
            ;;
        exposition)
            # Label values and help texts with everything that needs escaping, and the lab's exposition.
            printf 'help \\ with "quotes"\nand newline\0value\0"\0\\\0\n\0' > "$corpus/escapes"
            printf ' \t leading blanks\0a\0b\0' > "$corpus/blanks"
            printf '\xc3\xa9t\xc3\xa9\0\xe2\x82\xac\0\xf0\x9f\x98\x80\0' > "$corpus/unicode"
            head -c 4096 Tests/StrongSwanCollectorsTests/Fixtures/lab/golden.prom > "$corpus/golden" ;;
    esac
}

status=0
summary=()
for target in "${TARGETS[@]}"; do
    echo "== building $target"
    build "$target"
    seed "$target"
    echo "== fuzzing $target for $SECONDS_PER_TARGET s"
    log="$FUZZ_DIR/$target.log"
    set +e
    (cd "$FUZZ_DIR" && "./$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "corpus-$target") > "$log" 2>&1
    rc=$?
    set -e
    last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
    execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)"
    summary+=("$target: rc=$rc executions=${execs:-?} last: $last")
    if [ $rc -ne 0 ]; then
        status=1
        echo "!! $target failed (exit $rc); see $log"
        grep -E 'property violated|ERROR: |SUMMARY|Fatal error|crash-' "$log" | head -20 || true
    fi
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
