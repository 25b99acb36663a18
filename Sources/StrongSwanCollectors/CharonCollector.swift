import PrometheusExposition
import VICI

/// One collector: a named, independently switchable source of metric families.
///
/// A collector queries charon through ``VICIQuerying`` (one or more commands), maps the answers to a typed
/// ``Model`` and renders that model into metric families. Querying and rendering are separate so that the
/// exporter can keep the last good model when a poll fails, keep rendering it (marked stale), and let
/// events update models between polls. Adding a collector means one file conforming to this protocol plus
/// an entry in ``CollectorCatalogue``.
public protocol CharonCollector: Sendable {
    /// The typed result of one collection.
    associatedtype Model: Sendable

    /// The collector's name, as in `--[no-]collector.NAME` and the `collector` label of the exporter's
    /// self-metrics.
    static var name: String { get }

    /// One line for `--help`: what it queries and what it exports.
    static var summary: String { get }

    /// Queries charon and maps the answer. Throws ``VICIError`` (or whatever the connection throws); a
    /// throwing collector leaves the previous model in place.
    static func collect(from vici: some VICIQuerying) async throws -> Model

    /// Renders `model` into `metrics`.
    static func render(_ model: Model, context: RenderContext, into metrics: inout MetricSet)
}
