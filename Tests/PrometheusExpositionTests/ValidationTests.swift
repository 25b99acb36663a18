import PrometheusExposition
import Testing

@Suite struct ValidationTests {
    @Test(arguments: [
        ("a", true), ("_", true), (":", true), ("a:b", true), ("abc_123", true), ("A_Z", true),
        ("__name", true), ("strongswan_sa_bytes_total", true), ("a1:2_3", true),
        ("", false), ("1a", false), ("a-b", false), ("a b", false), ("é", false), ("aé", false),
        ("a.b", false), ("a{", false), ("a\n", false), (" a", false), ("a\"", false), ("9", false),
    ])
    func metricNames(name: String, valid: Bool) {
        #expect(MetricFamily.isValidName(name) == valid, "\(name.debugDescription)")
    }

    @Test(arguments: [
        ("a", true), ("_a", true), ("_", true), ("a1", true), ("A_b_C", true), ("conn_name", true),
        ("", false), ("1a", false), ("__a", false), ("__", false), ("a:b", false), ("a-b", false),
        ("é", false), (" a", false), ("a ", false), ("le\"", false),
    ])
    func labelNames(name: String, valid: Bool) {
        #expect(Label.isValidName(name) == valid, "\(name.debugDescription)")
    }

    @Test(arguments: [
        ("1bad", MetricType.gauge, "Help.", [String](), MetricValidationError.invalidMetricName("1bad")),
        ("bad-name", .gauge, "Help.", [], .invalidMetricName("bad-name")),
        ("", .gauge, "Help.", [], .invalidMetricName("")),
        ("x_total", .gauge, "Help.", [], .totalSuffixOnNonCounter("x_total")),
        ("x_total", .untyped, "Help.", [], .totalSuffixOnNonCounter("x_total")),
        ("x", .counter, "Help.", [], .counterWithoutTotalSuffix("x")),
        ("x_count", .gauge, "Help.", [], .reservedSuffix("x_count")),
        ("x_sum", .gauge, "Help.", [], .reservedSuffix("x_sum")),
        ("x_bucket", .untyped, "Help.", [], .reservedSuffix("x_bucket")),
        ("x", .histogram, "Help.", [], .unsupportedType(.histogram)),
        ("x", .summary, "Help.", [], .unsupportedType(.summary)),
        ("x", .gauge, "", [], .emptyHelp(metric: "x")),
        ("x", .gauge, "Help.", ["a", "a"], .duplicateLabelName("a")),
        ("x", .gauge, "Help.", ["a", "b", "a"], .duplicateLabelName("a")),
        ("x", .gauge, "Help.", ["le"], .reservedLabelName("le")),
        ("x", .gauge, "Help.", ["quantile"], .reservedLabelName("quantile")),
        ("x", .gauge, "Help.", ["__x"], .invalidLabelName("__x")),
        ("x", .gauge, "Help.", ["a-b"], .invalidLabelName("a-b")),
        ("x", .gauge, "Help.", [""], .invalidLabelName("")),
    ])
    func invalidFamilies(name: String, type: MetricType, help: String, labels: [String], expected: MetricValidationError) {
        #expect(throws: expected) {
            try MetricFamily(name: name, help: help, type: type, labelNames: labels)
        }
    }

    @Test func validFamilies() throws {
        let counter = try MetricFamily(name: "x_total", help: "Help.", type: .counter, labelNames: ["a", "b"])
        #expect(counter.labelNames == ["a", "b"])
        #expect(counter.isEmpty)
        _ = try MetricFamily(name: "ns:x", help: "h", type: .untyped)
        _ = try MetricFamily(name: "x_info", help: "h", type: .gauge, labelNames: ["version"])
        _ = try MetricFamily(name: "x_counts", help: "h", type: .gauge)
    }

    @Test func errorDescriptionsNameTheCulprit() {
        #expect(MetricValidationError.invalidLabelName("a\nb").description.contains(#""a\nb""#))
        #expect(MetricValidationError.counterWithoutTotalSuffix("x").description.contains("_total"))
    }

    @Test func addingTheWrongNumberOfLabelValuesIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            // If the family could not even be made, the closure returns normally and the test fails.
            guard var gauge = try? MetricFamily(name: "g", help: "h", type: .gauge, labelNames: ["a", "b"]) else { return }
            gauge.add(1, ["only one"])
        }
    }
}
