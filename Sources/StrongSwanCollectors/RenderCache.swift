import PrometheusExposition

/// The families of configuration-cadence collectors, kept from one rendering to the next while their model
/// is unchanged (see ``CollectorCatalogue/render(_:enabled:context:cache:into:)``).
public struct RenderCache: Sendable {
    private var entries: [String: (generation: UInt64, families: [MetricFamily])] = [:]

    /// Creates an empty cache.
    public init() {}

    /// The families kept for the collector named `name`, if they were rendered from model `generation`.
    func families(_ name: String, generation: UInt64) -> [MetricFamily]? {
        guard let entry = entries[name], entry.generation == generation else { return nil }
        return entry.families
    }

    /// Keeps `families` rendered from model `generation` of the collector named `name`.
    mutating func keep(_ families: [MetricFamily], for name: String, generation: UInt64) {
        entries[name] = (generation, families)
    }
}
