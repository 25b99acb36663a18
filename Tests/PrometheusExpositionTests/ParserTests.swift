import PrometheusExposition
import PrometheusExpositionTesting
import Testing

@Suite struct ParserTests {
    /// The example from the text format documentation, which has samples without metadata (lenient mode).
    static let documentationExample = #"""
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # Escaping in label values:
        msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

        # Minimalistic line:
        metric_without_timestamp_and_labels 12.47

        # A weird metric from before the epoch:
        something_weird{problem="division by zero"} +Inf -3982045

        # A histogram, which has a pretty complex representation in the text format:
        # HELP http_request_duration_seconds A histogram of the request duration.
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.05"} 24054
        http_request_duration_seconds_bucket{le="0.1"} 33444
        http_request_duration_seconds_bucket{le="0.2"} 100392
        http_request_duration_seconds_bucket{le="0.5"} 129389
        http_request_duration_seconds_bucket{le="1"} 133988
        http_request_duration_seconds_bucket{le="+Inf"} 144320
        http_request_duration_seconds_sum 53423
        http_request_duration_seconds_count 144320

        # Finally a summary, which has a complex representation, too:
        # HELP rpc_duration_seconds A summary of the RPC duration in seconds.
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.01"} 3102
        rpc_duration_seconds{quantile="0.05"} 3272
        rpc_duration_seconds{quantile="0.5"} 4773
        rpc_duration_seconds{quantile="0.9"} 9001
        rpc_duration_seconds{quantile="0.99"} 76656
        rpc_duration_seconds_sum 1.7560473e+07
        rpc_duration_seconds_count 2693

        """#

    @Test func documentationExampleInLenientMode() throws {
        let parsed = try ExpositionParser(requireMetadata: false).parse(Self.documentationExample)
        #expect(parsed.families.map(\.name) == [
            "http_requests_total", "msdos_file_access_time_seconds", "metric_without_timestamp_and_labels",
            "something_weird", "http_request_duration_seconds", "rpc_duration_seconds",
        ])
        #expect(parsed.families.map(\.type) == [.counter, nil, nil, nil, .histogram, .summary])
        #expect(parsed.families.map(\.line) == [1, 7, 10, 13, 16, 28])
        #expect(parsed.sampleCount == 20)
        #expect(parsed.families[0] == ParsedFamily(
            name: "http_requests_total",
            help: "The total number of HTTP requests.",
            type: .counter,
            samples: [
                Sample(name: "http_requests_total", labels: [Label("method", "post"), Label("code", "200")], value: 1027, timestamp: 1_395_066_363_000),
                Sample(name: "http_requests_total", labels: [Label("method", "post"), Label("code", "400")], value: 3, timestamp: 1_395_066_363_000),
            ],
            line: 1
        ))
        #expect(parsed.families[1].samples == [Sample(
            name: "msdos_file_access_time_seconds",
            labels: [Label("path", "C:\\DIR\\FILE.TXT"), Label("error", "Cannot find file:\n\"FILE.TXT\"")],
            value: 1_458_255_915
        )])
        #expect(parsed.families[1].help == nil)
        #expect(parsed.families[3].samples == [Sample(
            name: "something_weird", labels: [Label("problem", "division by zero")], value: .infinity, timestamp: -3_982_045
        )])
        #expect(parsed.value("http_request_duration_seconds_bucket", ["le": "+Inf"]) == 144_320)
        #expect(parsed.value("http_request_duration_seconds_count") == 144_320)
        #expect(parsed.value("rpc_duration_seconds_sum") == 17_560_473)
        #expect(parsed.value("rpc_duration_seconds", ["quantile": "0.9"]) == 9001)
        #expect(parsed.value("rpc_duration_seconds", ["quantile": "0.3"]) == nil)
        #expect(parsed.samples(named: "http_request_duration_seconds_bucket").count == 6)
        #expect(parsed.family(named: "rpc_duration_seconds")?.help == "A summary of the RPC duration in seconds.")
        #expect(parsed.family(named: "rpc_duration_seconds_sum") == nil)
        let series = parsed.valuesBySeries()
        #expect(series.count == 20)
        #expect(series[SeriesKey(name: "http_requests_total", ["code": "400", "method": "post"])] == 3)
    }

    @Test func documentationExampleFailsInStrictMode() {
        #expect(throws: ExpositionParseError(
            code: .missingMetadata, line: 7,
            message: "sample msdos_file_access_time_seconds has no HELP and TYPE lines before it"
        )) {
            try ExpositionParser().parse(Self.documentationExample)
        }
    }

    @Test func tolerantWhitespaceCommentsAndSyntaxVariants() throws {
        let text = "# a comment\n"
            + "#\n"
            + "# HELP\n"  // a comment, as in Prometheus
            + "\n"
            + "  \t \n"
            + "#  HELP  a_total   Help with spaces.  \n"
            + "# TYPE\ta_total\tcounter \n"
            + "a_total { x = \"1\" , y=\"\\\\\" , } 1e3\t 42 \n"
            + "a_total{} 2\n"
            + "a_total{x=\"2\"}3\n"
            + "  a_total{x=\"3\"}   .5  \n"
            + "# HELP b Gauge.\n"
            + "# TYPE b gauge\n"
            + "b{v=\"e\u{301}\"} -0\n"
            + "b{v=\"\u{E9}\"} +12\n"
            + "b{v=\"1\"} 5.\n"
            + "b{v=\"2\"} 1E-3 -9223372036854775808\n"
            + "b{v=\"3\"} -inf 9223372036854775807\n"
            + "b{v=\"4\"} nan\n"
            + "b{v=\"5\"} Infinity\n"
            + "b{v=\"6\"} 123456789012345678\n"
        let parsed = try ExpositionParser().parse(text)
        #expect(parsed.families.count == 2)
        #expect(parsed.families[0].help == "Help with spaces.  ")
        #expect(parsed.families[0].samples == [
            Sample(name: "a_total", labels: [Label("x", "1"), Label("y", "\\")], value: 1000, timestamp: 42),
            Sample(name: "a_total", labels: [], value: 2),
            Sample(name: "a_total", labels: [Label("x", "2")], value: 3),
            Sample(name: "a_total", labels: [Label("x", "3")], value: 0.5),
        ])
        let b = parsed.families[1].samples
        #expect(b.map(\.value).dropLast(3) == [0, 12, 5, 0.001, -.infinity])
        #expect(b[0].value.sign == .minus)
        #expect(b[5].value.isNaN)
        #expect(b[6].value == .infinity)
        #expect(b[7].value == 123_456_789_012_345_680)  // nearest Double to ...678 (spacing 16)
        #expect(b[3].timestamp == .min)
        #expect(b[4].timestamp == .max)
        // Canonically equivalent but different bytes: two series, not a duplicate.
        #expect(Array(b[0].labels[0].value.utf8) == [0x65, 0xCC, 0x81])
        #expect(Array(b[1].labels[0].value.utf8) == [0xC3, 0xA9])
    }

    @Test func emptyInputAndEmptyFamilies() throws {
        #expect(try ExpositionParser().parse("").families.isEmpty)
        let parsed = try ExpositionParser().parse("# HELP e Empty.\n# TYPE e gauge\n")
        #expect(parsed.families == [ParsedFamily(name: "e", help: "Empty.", type: .gauge, samples: [], line: 1)])
    }

    @Test func labelsWithEmptyValuesAreTheSameSeriesAsWithoutThem() throws {
        let header = "# HELP a h\n# TYPE a gauge\n"
        #expect(throws: ExpositionParseError.self) { try ExpositionParser().parse(header + "a{x=\"\"} 1\na 2\n") }
        _ = try ExpositionParser().parse(header + "a{x=\"\"} 1\na{x=\" \"} 2\n")
    }

    @Test func invalidUTF8IsRejected() {
        let header = Array("# HELP a h\n# TYPE a gauge\n".utf8)
        let invalid: [[UInt8]] = [
            [0xFF], [0xFE], [0x80], [0xBF], [0xC3], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xE2, 0x82], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF0, 0x9F, 0x98], [0x61, 0xC3, 0x28],
        ]
        for bad in invalid {
            let input = header + Array("a{x=\"".utf8) + bad + Array("\"} 1\n".utf8)
            #expect(throws: ExpositionParseError.self) { try ExpositionParser().parse(input) }
            do {
                _ = try ExpositionParser().parse(input)
            } catch {
                #expect(error.code == .invalidUTF8 && error.line == 3)
            }
            let help = Array("# HELP a ".utf8) + bad + Array("\n# TYPE a gauge\n".utf8)
            do {
                _ = try ExpositionParser().parse(help)
                Issue.record("accepted invalid UTF-8 in help")
            } catch {
                #expect(error.code == .invalidUTF8 && error.line == 1)
            }
        }
    }

    @Test func validUTF8AtTheBoundariesIsAccepted() throws {
        let valid: [[UInt8]] = [
            [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF0, 0x9F, 0x98, 0x80],
        ]
        for (index, good) in valid.enumerated() {
            let input = Array("# HELP a h\n# TYPE a gauge\na{x=\"".utf8) + good + Array("\"} \(index)\n".utf8)
            let parsed = try ExpositionParser().parse(input)
            #expect(parsed.families.first.map { Array($0.samples[0].labels[0].value.utf8) } == good)
        }
    }

    static let header = "# HELP a Help.\n# TYPE a gauge\n"  // lines 1-2

    /// (input, expected code, expected line, strict). Each case written by hand from the format rules.
    static let errorCases: [(String, ExpositionParseError.Code, Int, Bool)] = [
        // Escapes.
        (header + #"a{x="\t"} 1"# + "\n", .invalidEscape, 3, true),
        (header + #"a{x="\u00e9"} 1"# + "\n", .invalidEscape, 3, true),
        (header + #"a{x="\'"} 1"# + "\n", .invalidEscape, 3, true),
        (#"# HELP a bad \t escape"# + "\n", .invalidEscape, 1, true),
        (#"# HELP a bad \" escape"# + "\n", .invalidEscape, 1, true),
        (#"# HELP a lone \"# + "\n", .invalidEscape, 1, true),
        // Missing value.
        (header + "a\n", .missingValue, 3, true),
        (header + "a   \n", .missingValue, 3, true),
        (header + #"a{x="1"}"# + "\n", .missingValue, 3, true),
        (header + #"a{x="1"}  "# + "\n", .missingValue, 3, true),
        // Unterminated label sets and values.
        (header + #"a{x="1""# + "\n", .unterminatedLabelSet, 3, true),
        (header + #"a{x="1","# + "\n", .unterminatedLabelSet, 3, true),
        (header + "a{\n", .unterminatedLabelSet, 3, true),
        (header + "a{x\n", .unterminatedLabelSet, 3, true),
        (header + "a{x=\n", .unterminatedLabelSet, 3, true),
        (header + #"a{x="1} 1"# + "\n", .unterminatedLabelValue, 3, true),
        (header + #"a{x="1\"} 1"# + "\n", .unterminatedLabelValue, 3, true),
        (header + #"a{x="1\"# + "\n", .unterminatedLabelValue, 3, true),
        // Unexpected characters.
        (header + #"a{x="1" 1"# + "\n", .unexpectedCharacter, 3, true),
        (header + #"a{x=1} 1"# + "\n", .unexpectedCharacter, 3, true),
        (header + #"a{x"1"} 1"# + "\n", .unexpectedCharacter, 3, true),
        (header + #"a{x="1";y="2"} 1"# + "\n", .unexpectedCharacter, 3, true),
        (header + "a-b 1\n", .unexpectedCharacter, 3, true),
        (header + "a 1 2 3\n", .unexpectedCharacter, 3, true),
        ("# TYPE a gauge extra\n", .unexpectedCharacter, 1, true),
        // Names.
        (header + "1a 1\n", .invalidMetricName, 3, true),
        (header + #"{x="1"} 1"# + "\n", .invalidMetricName, 3, true),
        ("# HELP 1a Help.\n", .invalidMetricName, 1, true),
        ("# TYPE a-b gauge\n", .invalidMetricName, 1, true),
        (header + #"a{1x="1"} 1"# + "\n", .invalidLabelName, 3, true),
        (header + #"a{__x="1"} 1"# + "\n", .invalidLabelName, 3, true),
        (header + #"a{é="1"} 1"# + "\n", .invalidLabelName, 3, true),
        (header + #"a{,} 1"# + "\n", .invalidLabelName, 3, true),
        (header + #"a{x="1",x="2"} 1"# + "\n", .duplicateLabelName, 3, true),
        // Values and timestamps.
        (header + "a 1.2.3\n", .invalidValue, 3, true),
        (header + "a abc\n", .invalidValue, 3, true),
        (header + "a 0x10\n", .invalidValue, 3, true),
        (header + "a 1_000\n", .invalidValue, 3, true),
        (header + "a 1e\n", .invalidValue, 3, true),
        (header + "a .\n", .invalidValue, 3, true),
        (header + "a -\n", .invalidValue, 3, true),
        (header + "a +NaN\n", .invalidValue, 3, true),
        (header + "a Inf2\n", .invalidValue, 3, true),
        (header + "a 1\r\n", .invalidValue, 3, true),
        (header + "a 1 1.5\n", .invalidTimestamp, 3, true),
        (header + "a 1 9223372036854775808\n", .invalidTimestamp, 3, true),
        (header + "a 1 -9223372036854775809\n", .invalidTimestamp, 3, true),
        (header + "a 1 -\n", .invalidTimestamp, 3, true),
        // Line structure.
        (header + "a 1", .missingLineFeed, 3, true),
        ("# HELP a Help.", .missingLineFeed, 1, true),
        // Metadata.
        ("# TYPE a gauges\n", .invalidType, 1, true),
        ("# TYPE a Gauge\n", .invalidType, 1, true),
        ("# TYPE a\n", .invalidType, 1, true),
        (header + "# HELP a Again.\n", .duplicateHelp, 3, true),
        (header + "# TYPE a counter\n", .duplicateType, 3, true),
        ("# TYPE a gauge\na 1\n# HELP a Late.\n", .metadataAfterSamples, 3, false),
        (header + "a 1\n# HELP b B.\n# TYPE b gauge\nb 1\n# HELP a Again.\n", .duplicateHelp, 7, true),
        // Strict mode: every family needs HELP and TYPE.
        ("a 1\n", .missingMetadata, 1, true),
        ("# HELP a Help.\na 1\n", .missingMetadata, 2, true),
        ("# TYPE a gauge\na 1\n", .missingMetadata, 2, true),
        ("# TYPE a gauge\n", .missingMetadata, 1, true),
        (header + "# HELP b B.\n", .missingMetadata, 3, true),
        (header + "# HELP b B.\n# HELP c C.\n# TYPE c gauge\n", .missingMetadata, 3, true),
        // Samples that do not fit their family.
        (header + #"a_bucket{le="1"} 1"# + "\n", .typeMismatch, 3, true),
        (header + "a_count 1\n", .typeMismatch, 3, true),
        ("# HELP h H.\n# TYPE h histogram\nh 1\n", .typeMismatch, 3, true),
        ("# HELP h H.\n# TYPE h histogram\nh_bucket 1\n", .missingLabel, 3, true),
        ("# HELP h H.\n# TYPE h histogram\n" + #"h_bucket{le="x"} 1"# + "\n", .missingLabel, 3, true),
        ("# HELP s S.\n# TYPE s summary\ns 1\n", .missingLabel, 3, true),
        ("# HELP c_total C.\n# TYPE c_total counter\nc_total -1\n", .negativeCounter, 3, true),
        ("# HELP c_total C.\n# TYPE c_total counter\nc_total -Inf\n", .negativeCounter, 3, true),
        // Contiguity and clashes.
        (header + "a 1\n# HELP b B.\n# TYPE b gauge\nb 1\n" + #"a{x="2"} 2"# + "\n", .familyNotContiguous, 7, true),
        ("a 1\nb 1\na{x=\"2\"} 2\n", .familyNotContiguous, 3, false),
        ("# HELP h H.\n# TYPE h histogram\nh_count 1\n# HELP h_count C.\n", .nameClash, 4, true),
        ("# HELP h_count C.\n# TYPE h_count gauge\nh_count 1\n# HELP h H.\n# TYPE h histogram\nh_count 1\n", .nameClash, 6, true),
        // Duplicate series.
        (header + #"a{x="1"} 1"# + "\n" + #"a{x="1"} 2"# + "\n", .duplicateSeries, 4, true),
        (header + "a 1\na 2\n", .duplicateSeries, 4, true),
        (header + #"a{x="1",y="2"} 1"# + "\n" + #"a{y="2",x="1"} 2"# + "\n", .duplicateSeries, 4, true),
        (header + #"a{x="1",y=""} 1"# + "\n" + #"a{x="1"} 2"# + "\n", .duplicateSeries, 4, true),
        (header + #"a{x="\n"} 1"# + "\n" + #"a{x="2"} 1"# + "\n" + #"a{ x = "\n" } 2"# + "\n", .duplicateSeries, 5, true),
        (header + "a{} 1\na 2\n", .duplicateSeries, 4, true),
        ("# HELP h H.\n# TYPE h histogram\n" + #"h_bucket{le="1"} 1"# + "\n" + #"h_bucket{le="1"} 2"# + "\n", .duplicateSeries, 4, true),
        ("a{x=\"1\"} 1 100\na{x=\"1\"} 1 200\n", .duplicateSeries, 2, false),
    ]

    @Test(arguments: errorCases)
    func errors(input: String, code: ExpositionParseError.Code, line: Int, strict: Bool) {
        do {
            let parsed = try ExpositionParser(requireMetadata: strict).parse(input)
            Issue.record("accepted \(input.debugDescription): \(parsed.families)")
        } catch {
            #expect(error.code == code, "\(input.debugDescription): \(error)")
            #expect(error.line == line, "\(input.debugDescription): \(error)")
        }
    }

    @Test func errorMessagesNameTheProblem() {
        let input = Self.header + #"a{x="1",y="2"} 1"# + "\n" + #"a{y="2",x="1"} 2"# + "\n"
        #expect(throws: ExpositionParseError(
            code: .duplicateSeries, line: 4, message: #"duplicate series a{x="1",y="2"} (first on line 3)"#
        )) {
            try ExpositionParser().parse(input)
        }
        let error = ExpositionParseError(code: .invalidValue, line: 9, message: "invalid value \"x\" for a")
        #expect(error.description == "line 9: invalid value \"x\" for a (invalidValue)")
    }

    @Test func histogramsAndSummariesParseInStrictMode() throws {
        let text = """
            # HELP h Histogram.
            # TYPE h histogram
            h_bucket{le="0.5",x="a"} 1
            h_bucket{le="+Inf",x="a"} 2
            h_sum{x="a"} 0.25
            h_count{x="a"} 2
            # HELP s Summary.
            # TYPE s summary
            s{quantile="0.5"} 1
            s_sum 1
            s_count 1

            """
        let parsed = try ExpositionParser().parse(text)
        #expect(parsed.families.map(\.samples.count) == [4, 3])
        #expect(parsed.value("h_bucket", ["x": "a", "le": "0.5"]) == 1)
        #expect(parsed.value("s_count") == 1)
    }
}
