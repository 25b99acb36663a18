import PrometheusExposition
import PrometheusExpositionTesting
import Testing

@Suite struct DuplicateTests {
    @Test func sameLabelValuesAreRefusedAndCounted() {
        var sas = family("sa_state", labels: ["conn", "uniqueid"])
        do { let added = sas.add(1, ["a", "1"]); #expect(added) }
        do { let added = sas.add(2, ["a", "2"]); #expect(added) }
        do { let added = sas.add(3, ["a", "1"]); #expect(!added) }
        do { let added = sas.add(4, ["a", "1"]); #expect(!added) }
        #expect(sas.sampleCount == 2)
        #expect(sas.droppedDuplicates == 2)
        #expect(sas.value(for: ["a", "1"]) == 1)  // the first sample wins
        #expect(sas.contains(["a", "2"]))
        #expect(!sas.contains(["a", "3"]))
        #expect(!sas.contains(["a"]))
        #expect(encodedText([sas]) == """
            # HELP sa_state Help.
            # TYPE sa_state gauge
            sa_state{conn="a",uniqueid="1"} 1
            sa_state{conn="a",uniqueid="2"} 2

            """)
    }

    @Test func valueBoundariesAreRespected() {
        var pairs = family("pairs", labels: ["x", "y"])
        do { let added = pairs.add(1, ["ab", "c"]); #expect(added) }
        do { let added = pairs.add(2, ["a", "bc"]); #expect(added) }
        do { let added = pairs.add(3, ["", "abc"]); #expect(added) }
        do { let added = pairs.add(4, ["abc", ""]); #expect(added) }
        #expect(pairs.droppedDuplicates == 0)
    }

    @Test func valuesAreComparedByteForByteNotByCanonicalEquivalence() {
        let composed = "\u{E9}"  // é as one scalar
        let decomposed = "e\u{301}"  // e + combining acute accent
        #expect(composed == decomposed)  // Swift's String equality says "same"
        var names = family("names", labels: ["name"])
        do { let added = names.add(1, [composed]); #expect(added) }
        do { let added = names.add(2, [decomposed]); #expect(added) }  // but Prometheus sees different bytes: a different series
        #expect(names.sampleCount == 2)
        #expect(names.value(for: [decomposed]) == 2)
    }

    @Test func valuesThatNeedEscapingAreDistinctAndFoundAgain() {
        let tricky = ["\\\"", "\"", "\\", "\\\\", "\\n", "\n", "n", "\\\n", ""]
        var family = family("tricky", labels: ["v"])
        for (index, value) in tricky.enumerated() {
            do { let added = family.add(Double(index), [value]); #expect(added, "\(value.debugDescription)") }
        }
        for value in tricky {
            do { let added = family.add(-1, [value]); #expect(!added, "\(value.debugDescription)") }
        }
        #expect(family.droppedDuplicates == tricky.count)
        for (index, value) in tricky.enumerated() {
            #expect(family.value(for: [value]) == Double(index), "\(value.debugDescription)")
        }
        #expect(family.samples.map { $0.labels[0].value } == tricky)
    }

    @Test func aFamilyWithoutLabelsHasAtMostOneSample() {
        var up = family("up")
        do { let added = up.add(1); #expect(added) }
        do { let added = up.add(0); #expect(!added) }
        #expect(up.droppedDuplicates == 1)
        #expect(up.samples == [Sample(name: "up", value: 1)])
    }

    @Test func manySeriesGrowTheTableAndStayUnique() {
        var big = family("big", labels: ["i", "j"])
        big.reserveCapacity(1_000)  // smaller than needed: must still grow correctly
        var added = 0
        for i in 0..<50_000 where big.add(Double(i), [String(i / 7), String(i % 7)]) { added += 1 }
        #expect(added == 50_000)
        #expect(big.sampleCount == 50_000)
        var dropped = 0
        for i in stride(from: 0, to: 50_000, by: 3) where !big.add(-1, [String(i / 7), String(i % 7)]) { dropped += 1 }
        #expect(dropped == 16_667)
        #expect(big.droppedDuplicates == 16_667)
        #expect(big.value(for: ["4", "3"]) == 31)
        let parsed = try? ExpositionParser().parse(ExpositionEncoder.encoded([big]))
        #expect(parsed?.sampleCount == 50_000)
    }

    @Test func samplesViewPairsNamesWithValues() {
        var sas = family("s", labels: ["a", "b"])
        sas.add(1, ["x", "y"])
        sas.add(.nan, ["z", ""])
        #expect(sas.samples == [
            Sample(name: "s", labels: [Label("a", "x"), Label("b", "y")], value: 1),
            Sample(name: "s", labels: [Label("a", "z"), Label("b", "")], value: .nan),
        ])
    }

    @Test func metricSetRejectsFamilyNameClashes() {
        var set = MetricSet()
        var first = family("conns", labels: ["c"])
        first.add(1, ["a"])
        first.add(2, ["a"])  // one duplicate inside an accepted family
        var clash = family("conns", .untyped)
        clash.add(5)
        var counter = family("conns_total", .counter)  // claims "conns" as its OpenMetrics family name
        counter.add(6)
        counter.add(7)  // duplicate inside a rejected family
        var other = family("other_total", .counter)
        other.add(8)
        do { let added = set.add(first); #expect(added) }
        do { let added = set.add(clash); #expect(!added) }
        do { let added = set.add(counter); #expect(!added) }
        do { let added = set.add(other); #expect(added) }
        #expect(set.families.map(\.name) == ["conns", "other_total"])
        #expect(set.rejectedFamilyNames == ["conns", "conns_total"])
        // 1 duplicate in "conns" + 1 sample of rejected "conns" + 1 sample and 1 duplicate of rejected "conns_total".
        #expect(set.droppedSampleCount == 4)
        #expect(set.sampleCount == 2)
        #expect(set.contains(familyNamed: "other_total"))
        #expect(!set.contains(familyNamed: "conns_total"))
        #expect(String(decoding: set.encoded(), as: UTF8.self) == """
            # HELP conns Help.
            # TYPE conns gauge
            conns{c="a"} 1
            # HELP other_total Help.
            # TYPE other_total counter
            other_total 8

            """)
    }

    @Test func aCounterClaimsItsBaseNameInBothOrders() {
        var set = MetricSet()
        do { let added = set.add(family("x_total", .counter)); #expect(added) }
        do { let added = set.add(family("x", .gauge)); #expect(!added) }
        var other = MetricSet()
        do { let added = other.add(family("x", .gauge)); #expect(added) }
        do { let added = other.add(family("x_total", .counter)); #expect(!added) }
        do { let added = other.add(family("x_info", .gauge)); #expect(added) }
        #expect(other.rejectedFamilyNames == ["x_total"])
    }

    @Test func emptyFamiliesStillReserveTheirName() {
        var set = MetricSet()
        do { let added = set.add(family("e")); #expect(added) }
        var second = family("e")
        second.add(1)
        do { let added = set.add(second); #expect(!added) }
        #expect(set.droppedSampleCount == 1)
        #expect(set.encoded().isEmpty)
        var buffer: [UInt8] = [1]
        set.encode(into: &buffer)
        #expect(buffer == [1])
    }
}
