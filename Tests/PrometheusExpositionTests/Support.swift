import PrometheusExposition

/// Encodes families and returns the output as a string.
func encodedText(_ families: [MetricFamily]) -> String {
    String(decoding: ExpositionEncoder.encoded(families), as: UTF8.self)
}

/// Builds a family, failing the test loudly (via a trap) on a validation error, which the tests
/// never expect where they use this helper.
func family(_ name: String, _ type: MetricType = .gauge, help: String = "Help.", labels: [String] = []) -> MetricFamily {
    do {
        return try MetricFamily(name: name, help: help, type: type, labelNames: labels)
    } catch {
        fatalError("unexpected validation error for \(name): \(error)")
    }
}

/// A small, seedable, deterministic random number generator (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
