extension MetricFamily {
    /// An empty family from parts written in the code (a constant name, help and label names), the one way
    /// the exporter declares its families.
    ///
    /// Such parts are not data: an invalid one (a typo in a name) is a programming error. Debug builds, which
    /// the tests run, stop at it with the validation error, so a typo cannot silently drop a family; a release
    /// build returns `nil` and the family is left out.
    public static func declared(_ name: String, _ help: String, _ type: MetricType, _ labels: [String] = []) -> MetricFamily? {
        do {
            return try MetricFamily(name: name, help: help, type: type, labelNames: labels)
        } catch {
            assertionFailure("invalid family declaration '\(name)': \(error)")
            return nil
        }
    }
}
