import PrometheusExposition
import PrometheusExpositionTesting
import Testing

/// Property test: random families (seeded, so failures reproduce) encode to text that the strict
/// parser reads back as exactly the same families, byte for byte and bit for bit.
@Suite struct RoundTripTests {
    static let nameStart = Array("abcxyzABCXYZ_:")
    static let nameContinuation = Array("abcxyzABCXYZ_:0189")
    static let labelStart = Array("abcxyzABCXYZ_")
    static let labelContinuation = Array("abcxyzABCXYZ_0189")
    /// Pieces of label values and help texts: everything that needs escaping, separators of the
    /// format, multi-byte UTF-8, combining marks, emoji sequences, control characters.
    static let textPieces: [String] = [
        "a", "Z", "0", "9", " ", "\t", "\\", "\"", "\n", "{", "}", ",", "=", "#", "\\n", "\\\"",
        "é", "e\u{301}", "ß", "日本", "😀", "👩‍👩‍👧‍👦", "🇩🇪", "\u{0}", "\r", "\u{7F}", "\u{FEFF}", "\u{10FFFF}",
    ]

    static func name(_ rng: inout SeededGenerator, start: [Character], continuation: [Character]) -> String {
        var name = String(start.randomElement(using: &rng)!)
        for _ in 0..<Int.random(in: 0...12, using: &rng) { name.append(continuation.randomElement(using: &rng)!) }
        return name
    }

    static func text(_ rng: inout SeededGenerator, maxPieces: Int) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 0...maxPieces, using: &rng) { text += textPieces.randomElement(using: &rng)! }
        return text
    }

    static func value(_ rng: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return Double(Int.random(in: -1000...1000, using: &rng))
        case 1: return Double(rng.next())  // counter-like, beyond 2^53
        case 2: return Double(bitPattern: rng.next())  // anything, including NaN payloads and subnormals
        case 3:
            return [0, -0.0, .infinity, -.infinity, .nan, 0.1, 9_007_199_254_740_992, 9_007_199_254_740_994, 1e21,
                    .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1e-300].randomElement(using: &rng)!
        case 4: return Double.random(in: 0..<1, using: &rng) * [1e-9, 1, 1e6, 1e18].randomElement(using: &rng)!
        default: return Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &rng))
        }
    }

    /// What a generated family should contain, tracked independently of ``MetricFamily``: the
    /// accepted samples (first occurrence of each label-value tuple, compared as bytes).
    struct ExpectedFamily {
        var name: String
        var help: String
        var type: MetricType
        var labelNames: [String]
        var samples: [(labelValues: [String], value: Double)] = []
    }

    static func randomSet(seed: UInt64) -> (set: MetricSet, expected: [ExpectedFamily]) {
        var rng = SeededGenerator(seed: seed)
        var set = MetricSet()
        var expected: [ExpectedFamily] = []
        var takenNames: Set<String> = []
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let type = [MetricType.counter, .gauge, .untyped].randomElement(using: &rng)!
            var familyName = name(&rng, start: nameStart, continuation: nameContinuation)
            if type == .counter { familyName += "_total" }
            var help = text(&rng, maxPieces: 6)
            // Prometheus (and the parser) skip blanks before the help text; never start with one.
            while help.first == " " || help.first == "\t" { help.removeFirst() }
            if help.isEmpty { help = "h" }
            var labelNames: [String] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                labelNames.append(name(&rng, start: labelStart, continuation: labelContinuation))
            }
            guard var family = try? MetricFamily(name: familyName, help: help, type: type, labelNames: labelNames) else {
                continue  // e.g. a repeated label name or a reserved suffix: skip this family
            }
            var model = ExpectedFamily(name: familyName, help: help, type: type, labelNames: labelNames)
            var seen: Set<[[UInt8]]> = []
            for _ in 0..<Int.random(in: 0...30, using: &rng) {
                var sampleValue = value(&rng)
                if type == .counter { sampleValue = sampleValue.magnitude }
                let labelValues = labelNames.map { _ in text(&rng, maxPieces: 4) }
                let added = family.add(sampleValue, labelValues)
                let new = seen.insert(labelValues.map { Array($0.utf8) }).inserted
                precondition(added == new, "MetricFamily.add disagrees with the byte-wise model")
                if new { model.samples.append((labelValues, sampleValue)) }
            }
            let base = type == .counter ? String(familyName.dropLast(6)) : familyName
            let clash = takenNames.contains(familyName) || takenNames.contains(base)
            #expect(set.add(family) == !clash)
            if !clash {
                takenNames.formUnion([familyName, base])
                expected.append(model)
            }
        }
        return (set, expected)
    }

    @Test(arguments: 0..<200 as Range<UInt64>)
    func encodedSetsParseBackIdentically(seed: UInt64) throws {
        let (set, expectedFamilies) = Self.randomSet(seed: seed)
        let bytes = set.encoded()
        #expect(bytes == set.encoded(), "encoding is deterministic")
        let parsed = try ExpositionParser().parse(bytes)
        let expected = expectedFamilies.filter { !$0.samples.isEmpty }
        try #require(parsed.families.count == expected.count)
        for (read, written) in zip(parsed.families, expected) {
            #expect(read.name == written.name)
            #expect(read.help.map { Array($0.utf8) } == Array(written.help.utf8))
            #expect(read.type == written.type)
            try #require(read.samples.count == written.samples.count)
            for (readSample, writtenSample) in zip(read.samples, written.samples) {
                #expect(readSample.name == written.name)
                #expect(readSample.timestamp == nil)
                #expect(readSample.labels.map(\.name) == written.labelNames)
                #expect(readSample.labels.map { Array($0.value.utf8) } == writtenSample.labelValues.map { Array($0.utf8) })
                let original = writtenSample.value
                if original.isNaN {
                    #expect(readSample.value.isNaN)
                } else if original == 0 {
                    #expect(readSample.value.bitPattern == 0, "zero (also -0) is written as 0")
                } else {
                    #expect(readSample.value.bitPattern == original.bitPattern, "\(original)")
                }
            }
        }
        #expect(parsed.sampleCount == set.sampleCount)
        // The family's own view of its samples agrees with the model too.
        for (family, model) in zip(set.families, expectedFamilies) {
            #expect(family.samples.map { $0.labels.map { Array($0.value.utf8) } } == model.samples.map { $0.labelValues.map { Array($0.utf8) } })
        }
    }

    /// Writing into a caller's buffer of ``MetricSet/maximumEncodedByteCount`` bytes gives the same bytes as the
    /// array encoder, and never more than the bound.
    @Test(arguments: 0..<200 as Range<UInt64>)
    func encodingIntoARawBufferMatches(seed: UInt64) {
        let (set, _) = Self.randomSet(seed: seed)
        let expected = set.encoded()
        let bound = set.maximumEncodedByteCount
        #expect(expected.count <= bound)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bound, 1), alignment: 1)
        defer { buffer.deallocate() }
        let written = set.encode(into: buffer)
        #expect(Array(UnsafeRawBufferPointer(rebasing: buffer[0..<written])) == expected)
    }

    @Test func theGeneratorCoversTheInterestingCases() {
        var families = 0, samples = 0, escapes = 0, nonASCII = 0, nan = 0, infinite = 0, fractional = 0, dropped = 0
        for seed in 0..<200 as Range<UInt64> {
            let set = Self.randomSet(seed: seed).set
            families += set.families.count
            samples += set.sampleCount
            dropped += set.droppedSampleCount
            for family in set.families {
                for sample in family.samples {
                    for label in sample.labels {
                        if label.value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) { escapes += 1 }
                        if label.value.utf8.contains(where: { $0 >= 0x80 }) { nonASCII += 1 }
                    }
                    if sample.value.isNaN { nan += 1 }
                    if sample.value.isInfinite { infinite += 1 }
                    if sample.value.rounded() != sample.value && sample.value.isFinite { fractional += 1 }
                }
            }
        }
        #expect(families > 500 && samples > 5_000)
        #expect(escapes > 500 && nonASCII > 500)
        #expect(nan > 50 && infinite > 50 && fractional > 500)
        #expect(dropped > 0, "some duplicates (e.g. empty label values) are generated and dropped")
    }
}
