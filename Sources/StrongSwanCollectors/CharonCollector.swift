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

    /// When the collector runs: every poll (state and traffic), or on the slower configuration clock
    /// (answers that change only when charon's configuration does). Every poll by default.
    static var cadence: CollectorCadence { get }

    /// Queries charon and maps the answer. Throws ``VICIError`` (or whatever the connection throws); a
    /// throwing collector leaves the previous model in place.
    static func collect(from vici: some VICIQuerying) async throws -> Model

    /// Queries charon as `options` ask (by default the same as ``collect(from:)``: only collectors with
    /// opt-in detail look at the options).
    static func collect(from vici: some VICIQuerying, options: CollectOptions) async throws -> Model

    /// The commands ``changeProbe(from:)`` sends (none by default).
    static var changeProbeCommands: [String] { get }

    /// For a configuration-cadence collector: a cheap query sent every poll whose answer changes whenever
    /// the collector's model would (e.g. the names of the loaded connections). When it differs from the
    /// answer at the last collection, the collector runs at once instead of waiting for the configuration
    /// clock. `nil` (the default): no probe.
    static func changeProbe(from vici: some VICIQuerying) async throws -> [String]?

    /// Whether `state` (this poll's fresh models) shows that `model` is out of date, e.g. an SA of a
    /// connection the model does not know. `false` by default.
    static func isOutdated(_ model: Model, by state: CharonState) -> Bool

    /// Whether the VICI event `event` (`message`) shows that `model` is out of date, e.g. an SA of a
    /// connection the model does not know. `false` by default.
    static func isOutdated(_ model: Model, byEvent event: String, message: VICIMessage) -> Bool

    /// What the exporter keeps of a freshly collected model until the next poll (by default all of it; the
    /// SA list keeps summaries only when per-SA families are off).
    static func retain(_ model: Model, context: RenderContext) -> Model

    /// Renders `model` into `metrics`. `context.state` holds the other collectors' models of the same state.
    static func render(_ model: Model, context: RenderContext, into metrics: inout MetricSet)
}

extension CharonCollector {
    /// On by default.
    public static var enabledByDefault: Bool { true }

    /// Every poll.
    public static var cadence: CollectorCadence { .everyPoll }

    /// Ignores the options.
    public static func collect(from vici: some VICIQuerying, options: CollectOptions) async throws -> Model {
        try await collect(from: vici)
    }

    /// No probe commands.
    public static var changeProbeCommands: [String] { [] }

    /// No probe.
    public static func changeProbe(from vici: some VICIQuerying) async throws -> [String]? { nil }

    /// Never outdated by other models.
    public static func isOutdated(_ model: Model, by state: CharonState) -> Bool { false }

    /// Never outdated by events.
    public static func isOutdated(_ model: Model, byEvent event: String, message: VICIMessage) -> Bool { false }

    /// Keeps the whole model.
    public static func retain(_ model: Model, context: RenderContext) -> Model { model }
}
