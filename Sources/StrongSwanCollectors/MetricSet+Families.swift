import PrometheusExposition

extension MetricSet {
    /// Adds `family` unless it is empty. Families are built from constant names validated by the tests, so
    /// a name clash is a programming error the tests catch; at run time the clash is counted by
    /// ``MetricSet`` and the family dropped rather than emitting a duplicate series.
    mutating func addNonEmpty(_ family: MetricFamily?) {
        guard let family, !family.isEmpty else { return }
        add(family)
    }
}

/// Creates an empty family from constant parts (see ``MetricFamily/declared(_:_:_:_:)``).
func family(_ name: String, _ help: String, _ type: MetricType, _ labels: [String] = []) -> MetricFamily? {
    .declared(name, help, type, labels)
}

extension Optional where Wrapped == MetricFamily {
    /// Runs `body` on the family if there is one, mutating it in place (set to `nil` meanwhile, so that the
    /// family's storage stays uniquely referenced and is not copied).
    @inline(__always)
    private mutating func modify(_ body: (inout MetricFamily) -> Void) {
        if case .some(var family) = self {
            self = nil
            body(&family)
            self = .some(family)
        }
    }

    /// Adds a sample to the family if there is one.
    mutating func add(_ value: Double, _ labels: [String] = []) {
        modify { $0.add(value, labels) }
    }

    /// Adds a sample whose label values are `prefix` followed by `rest`, if there is a family.
    mutating func add(_ value: Double, _ prefix: LabelValuePrefix, _ rest: [String] = []) {
        modify { $0.add(value, prefix, rest) }
    }

    /// Adds a sample whose label values are `prefix` followed by `last`, if there is a family.
    mutating func add(_ value: Double, _ prefix: LabelValuePrefix, _ last: String) {
        modify { $0.add(value, prefix, last) }
    }

    /// Adds a sample for an optional number (nothing when `nil`).
    mutating func add<N: BinaryInteger>(_ value: N?, _ labels: [String] = []) {
        if let value { add(Double(value), labels) }
    }
}

extension MetricSet {
    /// Adds a gauge family with one unlabelled sample, when `value` is present.
    mutating func addGauge<N: BinaryInteger>(_ name: String, _ help: String, _ value: N?) {
        guard let value else { return }
        var gauge = family(name, help, .gauge)
        gauge.add(Double(value))
        addNonEmpty(gauge)
    }
}

extension Array where Element == [UInt8] {
    /// The items as strings (invalid UTF-8 repaired with U+FFFD), for list values such as traffic selectors.
    var utf8Strings: [String] { map { String(decoding: $0, as: UTF8.self) } }
}
