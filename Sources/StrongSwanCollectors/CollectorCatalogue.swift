import PrometheusExposition
import VICI

/// The one explicit list of collectors. Flags, `--help`, self-metrics, the commands-per-poll count and the
/// poll's state are all derived from it.
public enum CollectorCatalogue {
    /// Every collector, in poll and render order.
    public static let all: [any CharonCollector.Type] = [
        VersionCollector.self,
        StatsCollector.self,
        SAsCollector.self,
        ConnsCollector.self,
        CountersCollector.self,
        PoolsCollector.self,
        CertsCollector.self,
    ]

    /// The names of all collectors, in order.
    public static var names: [String] { all.map { $0.name } }

    /// The names of the collectors that run unless switched off.
    public static var enabledByDefault: Set<String> { Set(all.filter { $0.enabledByDefault }.map { $0.name }) }

    /// The collector named `name`, if there is one.
    public static func collector(named name: String) -> (any CharonCollector.Type)? {
        all.first { $0.name == name }
    }

    /// The names of the collectors that run at `cadence`, in order.
    public static func names(cadence: CollectorCadence) -> [String] {
        all.filter { $0.cadence == cadence }.map { $0.name }
    }

    /// VICI commands one poll sends at most with `enabled` collectors (at least 1): every collector's
    /// commands (a poll on which the configuration collectors run too) plus their change probes.
    public static func commandsPerPoll(enabled: Set<String>) -> Int {
        max(all.filter { enabled.contains($0.name) }.reduce(0) { $0 + $1.commands.count + $1.changeProbeCommands.count }, 1)
    }

    /// Runs the collector named `name` and stores its model in `state`. Throws what the collector threw,
    /// leaving `state` unchanged; an unknown name does nothing.
    public static func collect(_ name: String, from vici: some VICIQuerying, options: CollectOptions = CollectOptions(),
                               into state: inout CharonState) async throws {
        guard let collector = collector(named: name) else { return }
        try await state.collect(collector, from: vici, options: options)
    }

    /// Runs the change probe of the collector named `name` (`nil`: it has none). Throws what the probe threw.
    public static func changeProbe(_ name: String, from vici: some VICIQuerying) async throws -> [String]? {
        guard let collector = collector(named: name) else { return nil }
        return try await probe(collector, from: vici)
    }

    private static func probe<C: CharonCollector>(_ collector: C.Type, from vici: some VICIQuerying) async throws -> [String]? {
        try await C.changeProbe(from: vici)
    }

    /// Whether a model that `state` keeps for a collector in `enabled` of the configuration cadence is shown
    /// out of date by the fresh models of this poll (see ``CharonCollector/isOutdated(_:by:)``).
    public static func configurationOutdated(_ state: CharonState, enabled: Set<String>, by fresh: CharonState) -> Bool {
        all.contains { $0.cadence == .configuration && enabled.contains($0.name) && state.isOutdated($0, by: fresh) }
    }

    /// Whether a model that `state` keeps for a collector in `enabled` of the configuration cadence is shown
    /// out of date by a VICI event (see ``CharonCollector/isOutdated(_:byEvent:message:)``).
    public static func configurationOutdated(_ state: CharonState, enabled: Set<String>, byEvent event: String,
                                             message: VICIMessage) -> Bool {
        all.contains {
            $0.cadence == .configuration && enabled.contains($0.name)
                && state.isOutdated($0, byEvent: event, message: message)
        }
    }

    /// Takes into `state` the models that `fresh` holds for the collectors named in `succeeded`, as each
    /// collector retains them; the others keep their previous model.
    public static func adopt(_ fresh: CharonState, succeeded: Set<String>, context: RenderContext,
                             into state: inout CharonState) {
        for collector in all where succeeded.contains(collector.name) {
            state.adopt(collector, from: fresh, context: context)
        }
    }

    /// Renders every model present in `state` whose collector is in `enabled`, in catalogue order.
    public static func render(_ state: CharonState, enabled: Set<String>, context: RenderContext,
                              into metrics: inout MetricSet) {
        var context = context
        context.state = state
        for collector in all where enabled.contains(collector.name) {
            state.render(collector, context: context, into: &metrics)
        }
    }
}
