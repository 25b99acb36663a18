import Foundation
import PrometheusExposition
import TestRequirements
import Testing

/// Runs `promtool check metrics` (from Debian's prometheus package) on encoder output. Without promtool the
/// tests are skipped, and fail under CI=true (``CIRequirement``).
@Suite struct PromtoolTests {
    static let promtool = "/usr/bin/promtool"

    /// Runs promtool on `input` and returns its exit status and combined stdout/stderr.
    static func check(_ input: [UInt8]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID().uuidString).prom")
        try Data(input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: file)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func richSet() throws -> MetricSet {
        var set = MetricSet()
        var up = try MetricFamily(name: "strongswan_up", help: "Whether charon answered the last poll.", type: .gauge)
        up.add(1)
        set.add(up)

        var bytes = try MetricFamily(
            name: "strongswan_sa_bytes_total",
            help: "Bytes through the CHILD_SA.\nSecond line with a backslash \\ and \"quotes\".",
            type: .counter,
            labelNames: ["conn", "child", "uniqueid", "direction"]
        )
        for index in 0..<500 {
            for direction in ["in", "out"] {
                bytes.add(Double(UInt64(index) &* 1_000_003 &* 65_537), ["site-\(index % 17)", "net", String(index), direction])
            }
        }
        bytes.add(Double(UInt64.max), ["huge", "net", "x", "in"])
        set.add(bytes)

        var weird = try MetricFamily(
            name: "strongswan_weird_labels", help: "Label values that need escaping or are not ASCII.", type: .gauge,
            labelNames: ["value"]
        )
        let values = [#"back\slash"#, #"say "hi""#, "two\nlines", "héllo wörld", "日本語", "😀👩‍👩‍👧‍👦🇩🇪", "", "tab\there", "{a=\"b\"},#"]
        for (index, value) in values.enumerated() { weird.add(Double(index), [value]) }
        set.add(weird)

        var special = try MetricFamily(
            name: "strongswan_special_values", help: "Every kind of value the encoder writes.", type: .gauge,
            labelNames: ["case"]
        )
        for (index, (value, _)) in EncoderGoldenTests.valueCases.enumerated() { special.add(value, [String(index)]) }
        set.add(special)

        var untyped = try MetricFamily(name: "strongswan_untyped_thing", help: "An untyped metric.", type: .untyped, labelNames: ["a", "b"])
        untyped.add(-3.5, ["1", "2"])
        untyped.add(0.001, ["", "2"])
        set.add(untyped)

        set.add(try MetricFamily(name: "strongswan_empty", help: "Has no samples and is omitted.", type: .gauge))
        return set
    }

    @Test func promtoolAcceptsARichExpositionWithoutAnyRemark() throws {
        try CIRequirement.requireExecutableOrCancel(Self.promtool, from: "Debian package prometheus")
        let set = try Self.richSet()
        #expect(set.sampleCount == 1_001 + 1 + 9 + EncoderGoldenTests.valueCases.count + 2)
        let result = try Self.check(set.encoded())
        #expect(result.status == 0, "promtool said: \(result.output)")
        #expect(result.output.isEmpty, "promtool said: \(result.output)")
    }

    @Test func promtoolRemarksAreSeenByThisHarness() throws {
        try CIRequirement.requireExecutableOrCancel(Self.promtool, from: "Debian package prometheus")
        // Hand-written text that breaks promtool's lint rules: the harness must notice.
        let result = try Self.check(Array("# HELP x X.\n# TYPE x counter\nx 1\n".utf8))
        #expect(result.status != 0)
        #expect(result.output.contains("_total"))
    }
}
