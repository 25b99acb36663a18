import PrometheusExposition
import PrometheusExpositionTesting
import Testing

/// Golden outputs written by hand from the text format specification (version 0.0.4).
@Suite struct EncoderGoldenTests {
    @Test func contentType() {
        #expect(ExpositionEncoder.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test func familyWithoutLabels() {
        var up = family("strongswan_up", help: "Whether charon answered.")
        up.add(1)
        #expect(encodedText([up]) == """
            # HELP strongswan_up Whether charon answered.
            # TYPE strongswan_up gauge
            strongswan_up 1

            """)
    }

    @Test func labelsInDeclaredOrderAndSamplesInInsertionOrder() {
        var bytes = family("sa_bytes_total", .counter, help: "Bytes.", labels: ["conn", "direction"])
        bytes.add(10, ["b", "in"])
        bytes.add(20, ["a", "out"])
        bytes.add(30, ["a", "in"])
        #expect(encodedText([bytes]) == """
            # HELP sa_bytes_total Bytes.
            # TYPE sa_bytes_total counter
            sa_bytes_total{conn="b",direction="in"} 10
            sa_bytes_total{conn="a",direction="out"} 20
            sa_bytes_total{conn="a",direction="in"} 30

            """)
    }

    @Test func familiesInGivenOrderAndEmptyFamiliesOmitted() {
        var second = family("b_second", .untyped)
        second.add(2)
        let empty = family("c_empty", labels: ["x"])
        var first = family("a_first")
        first.add(1)
        #expect(encodedText([second, empty, first]) == """
            # HELP b_second Help.
            # TYPE b_second untyped
            b_second 2
            # HELP a_first Help.
            # TYPE a_first gauge
            a_first 1

            """)
        #expect(encodedText([empty]) == "")
    }

    @Test func labelValueEscaping() {
        var escapes = family("escapes", labels: ["v"])
        escapes.add(1, [#"back\slash"#])
        escapes.add(2, [#"say "hi""#])
        escapes.add(3, ["line1\nline2"])
        escapes.add(4, [#"\"\n"# + "\n"])  // backslash, quote, backslash, n, newline
        escapes.add(5, [""])
        escapes.add(6, ["tab\there {x=\"1\"},#"])
        escapes.add(7, ["\r"])
        // Expected lines, spelled as raw strings so that every backslash is visible.
        let expected = [
            #"# HELP escapes Help."#,
            #"# TYPE escapes gauge"#,
            #"escapes{v="back\\slash"} 1"#,
            #"escapes{v="say \"hi\""} 2"#,
            #"escapes{v="line1\nline2"} 3"#,
            #"escapes{v="\\\"\\n\n"} 4"#,
            #"escapes{v=""} 5"#,
            "escapes{v=\"tab\there {x=\\\"1\\\"},#\"} 6",
            "escapes{v=\"\r\"} 7",
        ]
        #expect(encodedText([escapes]) == expected.joined(separator: "\n") + "\n")
    }

    @Test func multiByteUTF8AndEmojiPassThroughUnchanged() {
        var unicode = family("unicode", labels: ["name", "flag"])
        unicode.add(1, ["héllo wörld", "🇩🇪"])
        unicode.add(2, ["日本語", "👩‍👩‍👧‍👦"])
        unicode.add(3, ["e\u{301}", "😀\"😀"])
        let output = ExpositionEncoder.encoded([unicode])
        let expected = """
            # HELP unicode Help.
            # TYPE unicode gauge
            unicode{name="héllo wörld",flag="🇩🇪"} 1
            unicode{name="日本語",flag="👩‍👩‍👧‍👦"} 2
            unicode{name="e\u{301}",flag="😀\\"😀"} 3

            """
        #expect(output == Array(expected.utf8))
        // The flag is written as its 8 UTF-8 bytes, not as an escape.
        let flagBytes: [UInt8] = [0xF0, 0x9F, 0x87, 0xA9, 0xF0, 0x9F, 0x87, 0xAA]
        #expect(output.firstRange(of: flagBytes) != nil)
    }

    @Test func helpEscaping() {
        var help = family("helpful", help: "Backslash \\ newline \n quotes \" kept, {braces} = fine 😀")
        help.add(0)
        #expect(encodedText([help]) == #"""
            # HELP helpful Backslash \\ newline \n quotes " kept, {braces} = fine 😀
            # TYPE helpful gauge
            helpful 0

            """#)
    }

    static let valueCases: [(Double, String)] = [
        (0, "0"),
        (-0.0, "0"),
        (1, "1"),
        (-1, "-1"),
        (12345, "12345"),
        (1_234_567_890_123, "1234567890123"),
        (1e15, "1000000000000000"),
        (9_007_199_254_740_991, "9007199254740991"),  // 2^53 - 1
        (9_007_199_254_740_992, "9007199254740992"),  // 2^53
        (-9_007_199_254_740_992, "-9007199254740992"),
        (9_007_199_254_740_994, "9.007199254740994e+15"),  // 2^53 + 2
        (1e16, "1e+16"),
        (1e21, "1e+21"),
        (Double(UInt64.max), "1.8446744073709552e+19"),  // 2^64, a saturated UInt64 counter
        (Double(UInt64(1) << 60), "1.152921504606847e+18"),
        (0.1, "0.1"),
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        (123456.789, "123456.789"),
        (1.0 / 3.0, "0.3333333333333333"),
        (1e-7, "1e-07"),
        (2.5e-5, "2.5e-05"),
        (.leastNonzeroMagnitude, "5e-324"),  // smallest subnormal
        (2.2250738585072014e-308, "2.2250738585072014e-308"),  // smallest normal
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (.infinity, "+Inf"),
        (-.infinity, "-Inf"),
        (.nan, "NaN"),
        (-.nan, "NaN"),
        (.signalingNaN, "NaN"),
    ]

    @Test(arguments: valueCases)
    func valueFormatting(value: Double, expected: String) {
        #expect(ExpositionEncoder.formatValue(value) == expected)
        var gauge = family("v")
        gauge.add(value)
        #expect(encodedText([gauge]).hasSuffix("\nv \(expected)\n"))
    }

    @Test func everyValueCaseReadsBackAsTheSameDouble() throws {
        for (value, text) in Self.valueCases where !value.isNaN {
            let parsed = try ExpositionParser(requireMetadata: false).parse("v \(text)\n")
            let read = try #require(parsed.families.first?.samples.first?.value)
            #expect(read == value, "\(text)")
        }
    }

    @Test func appendsToAnExistingBuffer() {
        var gauge = family("g")
        gauge.add(7)
        var buffer = Array("prefix\n".utf8)
        ExpositionEncoder.encode([gauge], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "prefix\n# HELP g Help.\n# TYPE g gauge\ng 7\n")
    }

    @Test func descriptionsOfSampleAndLabel() {
        #expect(Label("a", "x\"y").description == #"a="x\"y""#)
        #expect(Sample(name: "m", labels: [Label("a", "1"), Label("b", "\n")], value: 2.5, timestamp: -5).description
            == #"m{a="1",b="\n"} 2.5 -5"#)
        #expect(Sample(name: "m", value: 1).description == "m 1")
    }
}
