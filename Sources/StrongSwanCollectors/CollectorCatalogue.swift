import PrometheusExposition

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

    /// VICI commands one poll sends with `enabled` collectors (at least 1).
    public static func commandsPerPoll(enabled: Set<String>) -> Int {
        max(all.filter { enabled.contains($0.name) }.reduce(0) { $0 + $1.commands.count }, 1)
    }

    /// Runs the collector named `name` and stores its model in `state`. Throws what the collector threw,
    /// leaving `state` unchanged; an unknown name does nothing.
    public static func collect(_ name: String, from vici: some VICIQuerying, into state: inout CharonState) async throws {
        guard let collector = collector(named: name) else { return }
        try await state.collect(collector, from: vici)
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
