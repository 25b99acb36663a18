import PrometheusExposition
import VICI

/// One collector: a named, independently switchable source of metric families, declared in one file.
///
/// A collector states everything the exporter derives from it: its ``name`` (the `--[no-]collector.NAME`
/// flag and the `collector` label of the self-metrics), a ``summary`` for `--help`, the VICI ``commands`` one
/// collection sends (the watchdog's lease counts them), whether it is on by default, how it collects its
/// typed ``Model`` and how it renders it. Querying and rendering are separate so that the exporter can keep
/// the last good model when a poll fails, keep rendering it, and let events update models between polls.
///
/// Adding a collector: one file conforming to this protocol, one fixture, one test and one line in
/// ``CollectorCatalogue/all``. A collector whose model other parts read (the tunnel ledger reads the SA list
/// and the connections) publishes a typed accessor on ``CharonState`` in its own file, so nothing else names
/// the collector type.
public protocol CharonCollector: Sendable {
    /// The typed result of one collection (what is kept between polls).
    associatedtype Model: Sendable

    /// The collector's name, as in `--[no-]collector.NAME` and the `collector` label of the exporter's
    /// self-metrics.
    static var name: String { get }

    /// One line for `--help`: what it queries and what it exports.
    static var summary: String { get }

    /// The VICI commands one collection sends, in order (a streamed command counts once).
    static var commands: [String] { get }

    /// Whether the collector runs unless `--no-collector.NAME` is given (else only with `--collector.NAME`).
    static var enabledByDefault: Bool { get }

    /// Queries charon and maps the answer. Throws ``VICIError`` (or whatever the connection throws); a
    /// throwing collector leaves the previous model in place.
    static func collect(from vici: some VICIQuerying) async throws -> Model

    /// What the exporter keeps of a freshly collected model until the next poll (by default all of it; the
    /// SA list keeps summaries only when per-SA families are off).
    static func retain(_ model: Model, context: RenderContext) -> Model

    /// Renders `model` into `metrics`. `context.state` holds the other collectors' models of the same state.
    static func render(_ model: Model, context: RenderContext, into metrics: inout MetricSet)
}

extension CharonCollector {
    /// On by default.
    public static var enabledByDefault: Bool { true }

    /// Keeps the whole model.
    public static func retain(_ model: Model, context: RenderContext) -> Model { model }
}
