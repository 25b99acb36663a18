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
        AuthoritiesCollector.self,
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

    /// Renders like ``render(_:enabled:context:into:)``, but the families of a configuration-cadence
    /// collector are rendered only when its model changed since the rendering `cache` keeps (their render is
    /// a function of their model alone; `list-conns` of 1,000 connections is 2,000 series to escape and
    /// encode, which otherwise happens at every poll and event while the model changes every few minutes).
    public static func render(_ state: CharonState, enabled: Set<String>, context: RenderContext,
                              cache: inout RenderCache, into metrics: inout MetricSet) {
        var context = context
        context.state = state
        for collector in all where enabled.contains(collector.name) {
            guard collector.cadence == .configuration, let generation = state.generation(collector.name) else {
                state.render(collector, context: context, into: &metrics)
                continue
            }
            if let kept = cache.families(collector.name, generation: generation) {
                for family in kept { metrics.add(family) }
                continue
            }
            var rendered = MetricSet()
            state.render(collector, context: context, into: &rendered)
            cache.keep(rendered.families, for: collector.name, generation: generation)
            for family in rendered.families { metrics.add(family) }
        }
    }

    /// Renders every model present in `state` whose collector is in `enabled`, in catalogue order.
    public static func render(_ state: CharonState, enabled: Set<String>, context: RenderContext,
                              into metrics: inout MetricSet) {
        var cache = RenderCache()
        render(state, enabled: enabled, context: context, cache: &cache, into: &metrics)
    }
}
