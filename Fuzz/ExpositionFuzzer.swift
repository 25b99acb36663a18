// libFuzzer target: the text-format encoder's escaping, checked against the strict parser.
//
// Built by scripts/fuzz.sh with the modules PrometheusExposition and PrometheusExpositionTesting (the parser),
// compiled from their sources with coverage instrumentation. The input is split at NUL bytes: the
// first part is a help text, the others are label values (any bytes, made valid UTF-8 as the exporter's
// Strings always are), grouped into samples of 1–3 labels whose values come from the input's bytes as raw
// Double bit patterns (NaN, infinities, subnormals, -0 included). The family is encoded, parsed back with
// ExpositionParser (which refuses bad escapes, invalid UTF-8, duplicate series…), and every help text,
// label value and sample value must come back exactly; any difference traps. The one documented difference:
// the parser drops blanks (space, tab) at the start of a help text, as Prometheus does.
import PrometheusExposition
import PrometheusExpositionTesting

@inline(never)
func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("property violated: \(what())")
        fatalError(what())
    }
}

func fnv(_ bytes: some Sequence<UInt8>, seed: UInt64) -> UInt64 {
    var hash = 0xcbf2_9ce4_8422_2325 ^ seed
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return hash
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExposition(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    guard let rawHelp = parts.first else { return 0 }
    let help = rawHelp.isEmpty ? "help" : rawHelp
    let labelNames = Array(["conn", "child", "remote_id"].prefix(1 + size % 3))
    let family: MetricFamily
    do {
        family = try MetricFamily(name: "strongswan_fuzz", help: help, type: .gauge, labelNames: labelNames)
    } catch {
        check(false, "family refused: \(error)")
        return 0
    }
    var model = family
    var expected: [(labels: [String], value: Double)] = []
    var values = Array(parts.dropFirst())
    if values.isEmpty { values = [""] }
    var start = 0
    var sample = 0
    while start < values.count {
        var labels = Array(values[start..<min(start + labelNames.count, values.count)])
        while labels.count < labelNames.count { labels.append("") }
        start += labelNames.count
        let value = Double(bitPattern: fnv(labels.joined(separator: "\u{0}").utf8, seed: UInt64(sample)))
        sample += 1
        if model.add(value, labels) { expected.append((labels, value)) }
        check(model.contains(labels), "added series not found")
    }

    var encoded: [UInt8] = []
    ExpositionEncoder.encode([model], into: &encoded)
    let parsed: ParsedExposition
    do {
        parsed = try ExpositionParser().parse(encoded)
    } catch {
        check(false, "encoded output does not parse: \(error)\n\(String(decoding: encoded, as: UTF8.self))")
        return 0
    }
    check(parsed.families.count == 1, "\(parsed.families.count) families")
    guard let back = parsed.families.first else { return 0 }
    let blanks: Set<Character> = [" ", "\t"]
    check(back.help == String(help.drop { blanks.contains($0) }), "help \(String(reflecting: help)) came back as \(String(reflecting: back.help))")
    check(back.type == .gauge, "type")
    check(back.samples.count == expected.count, "\(back.samples.count) samples for \(expected.count)")
    for (sample, want) in zip(back.samples, expected) {
        check(sample.name == "strongswan_fuzz", "name \(sample.name)")
        for (index, name) in labelNames.enumerated() {
            let got = sample.label(name) ?? ""
            check(got == want.labels[index], "label \(name): \(String(reflecting: want.labels[index])) came back as \(String(reflecting: got))")
        }
        check(sample.value == want.value || (sample.value.isNaN && want.value.isNaN),
              "value \(want.value) came back as \(sample.value)")
        check(sample.value.sign == want.value.sign || sample.value.isNaN || want.value == 0,
              "sign of \(want.value) came back as \(sample.value)")
    }
    return 0
}
