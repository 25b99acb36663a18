import PrometheusExposition

/// The one explicit list of collectors: their names, how to run each into a ``CharonState`` and how to
/// render a state.
public enum CollectorCatalogue {
    /// Every collector, in poll and render order.
    public static let all: [any CharonCollector.Type] = [
        VersionCollector.self, StatsCollector.self, SAsCollector.self, ConnsCollector.self,
        CountersCollector.self, PoolsCollector.self, CertsCollector.self,
    ]

    /// The names of all collectors.
    public static var names: [String] { all.map { $0.name } }

    /// VICI commands one poll sends with `enabled` collectors (conns also lists trap policies; counters asks for
    /// the per-connection and the global counters).
    public static func commandsPerPoll(enabled: Set<String>) -> Int {
        var commands = 0
        for name in names where enabled.contains(name) {
            commands += (name == ConnsCollector.name || name == CountersCollector.name) ? 2 : 1
        }
        return max(commands, 1)
    }

    /// Runs the collector named `name` and stores its model in `state`. Throws what the collector threw,
    /// leaving `state` unchanged; an unknown name does nothing.
    public static func collect(_ name: String, from vici: some VICIQuerying, into state: inout CharonState) async throws {
        switch name {
        case VersionCollector.name: state.version = try await VersionCollector.collect(from: vici)
        case StatsCollector.name: state.stats = try await StatsCollector.collect(from: vici)
        case SAsCollector.name: state.sas = try await SAsCollector.collect(from: vici)
        case ConnsCollector.name: state.conns = try await ConnsCollector.collect(from: vici)
        case CountersCollector.name: state.counters = try await CountersCollector.collect(from: vici)
        case PoolsCollector.name: state.pools = try await PoolsCollector.collect(from: vici)
        case CertsCollector.name: state.certs = try await CertsCollector.collect(from: vici)
        default: break
        }
    }

    /// Renders every model present in `state` whose collector is in `enabled`, plus the per-connection
    /// aggregates and tunnel states (when `sas` is enabled), into `metrics`.
    public static func render(_ state: CharonState, enabled: Set<String>, context: RenderContext,
                              into metrics: inout MetricSet) {
        if enabled.contains(VersionCollector.name), let model = state.version {
            VersionCollector.render(model, context: context, into: &metrics)
        }
        if enabled.contains(StatsCollector.name), let model = state.stats {
            StatsCollector.render(model, context: context, into: &metrics)
        }
        if enabled.contains(SAsCollector.name) {
            let conns = enabled.contains(ConnsCollector.name) ? state.conns : nil
            if let model = state.sas {
                ConnectionStatesRenderer.render(sas: model, conns: conns, into: &metrics)
                SAsCollector.render(model, context: context, into: &metrics)
            } else if let summaries = state.saSummaries {
                ConnectionStatesRenderer.render(sas: summaries, conns: conns, into: &metrics)
            }
        }
        if enabled.contains(ConnsCollector.name), let model = state.conns {
            ConnsCollector.render(model, context: context, into: &metrics)
        }
        if enabled.contains(CountersCollector.name), let model = state.counters {
            CountersCollector.render(model, context: context, into: &metrics)
        }
        if enabled.contains(PoolsCollector.name), let model = state.pools {
            PoolsCollector.render(model, context: context, into: &metrics)
        }
        if enabled.contains(CertsCollector.name), let model = state.certs {
            CertsCollector.render(model, context: context, into: &metrics)
        }
    }
}
