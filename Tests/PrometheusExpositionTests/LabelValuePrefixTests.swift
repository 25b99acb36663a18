import PrometheusExposition
import Testing

@Suite struct LabelValuePrefixTests {
    /// Label values that need escaping, empty ones and boundaries that shift between prefix and rest.
    static let keys: [[String]] = [
        ["a", "1", "c\"x", "in"], ["a", "1", "c\"x", "out"], ["a\\", "1", "", "in"], ["a", "\\1", "", "in"],
        ["", "", "", ""], ["ab", "", "c", "d"], ["a", "b", "c", "d"], ["a", "b\nc", "d", "e"],
    ]

    @Test func addingWithAPrefixEncodesExactlyAsAddingTheWholeArray() {
        var whole = family("sa_bytes_total", .counter, labels: ["conn", "ike_id", "child", "direction"])
        var withRestArray = whole
        var withLast = whole
        var withAppended = whole
        for (index, key) in Self.keys.enumerated() {
            let prefix = LabelValuePrefix(Array(key.prefix(2)))
            #expect(prefix.count == 2)
            let a = whole.add(Double(index), key)
            let b = withRestArray.add(Double(index), prefix, Array(key.suffix(2)))
            let c = withLast.add(Double(index), LabelValuePrefix(Array(key.prefix(3))), key[3])
            let d = withAppended.add(Double(index), LabelValuePrefix(key[0], key[1]).appending(key[2], key[3]))
            #expect(a && b && c && d)
        }
        #expect(encodedText([withRestArray]) == encodedText([whole]))
        #expect(encodedText([withLast]) == encodedText([whole]))
        #expect(encodedText([withAppended]) == encodedText([whole]))
        #expect(encodedText([whole]).contains(#"sa_bytes_total{conn="a\\",ike_id="1",child="",direction="in"} 2"#))
        #expect(whole.sampleCount == Self.keys.count)
    }

    @Test func duplicatesAreRefusedWhicheverWayTheyWereAdded() {
        var states = family("sa_state", labels: ["conn", "ike_id", "state"])
        let prefix = LabelValuePrefix("a", "1")
        do { let added = states.add(1, prefix, "INSTALLED"); #expect(added) }
        do { let added = states.add(2, ["a", "1", "INSTALLED"]); #expect(!added) }
        do { let added = states.add(3, prefix, ["INSTALLED"]); #expect(!added) }
        do { let added = states.add(4, LabelValuePrefix("a", "1I"), "NSTALLED"); #expect(added) }
        do { let added = states.add(5, prefix, "REKEYED"); #expect(added) }
        #expect(states.sampleCount == 3)
        #expect(states.droppedDuplicates == 2)
        #expect(states.value(for: ["a", "1", "INSTALLED"]) == 1)
        #expect(states.value(for: ["a", "1I", "NSTALLED"]) == 4)
        #expect(encodedText([states]) == """
            # HELP sa_state Help.
            # TYPE sa_state gauge
            sa_state{conn="a",ike_id="1",state="INSTALLED"} 1
            sa_state{conn="a",ike_id="1I",state="NSTALLED"} 4
            sa_state{conn="a",ike_id="1",state="REKEYED"} 5

            """)
    }
}
