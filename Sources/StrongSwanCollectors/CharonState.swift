import PrometheusExposition
import Synchronization
import VICI

/// Everything the collectors learned from charon: each collector's model from the last poll in which it
/// succeeded (absent if it never did or is disabled), keyed by the collector.
///
/// Read and written through the collector type (`state[C.self]` for a collector type `C`); collectors whose models other
/// parts read add a named accessor in their own file (``sas``, ``conns``, ``version``, ``stats``).
public struct CharonState: Sendable {
    private var models: [String: any Sendable] = [:]
    /// A number unique in the process for every model stored (see ``generation(_:)``).
    private var generations: [String: UInt64] = [:]
    private static let lastGeneration = Atomic<UInt64>(0)

    private mutating func stored(_ name: String) {
        generations[name] = CharonState.lastGeneration.add(1, ordering: .relaxed).newValue
    }

    /// A number that changes whenever the model of the collector named `name` is stored or modified, and is
    /// never reused in the process (so a rendering of the model can be kept until it changes); `nil` when
    /// there is no model.
    public func generation(_ name: String) -> UInt64? {
        models[name] == nil ? nil : generations[name]
    }

    /// Creates an empty state.
    public init() {}

    /// The model of `collector`, if present.
    public subscript<C: CharonCollector>(_ collector: C.Type) -> C.Model? {
        get { models[C.name] as? C.Model }
        set {
            models[C.name] = newValue
            stored(C.name)
        }
    }

    /// Whether the model of the collector named `name` is present.
    public func contains(_ name: String) -> Bool { models[name] != nil }

    /// Mutates the model of `collector` in place, if present. The model is taken out of the state while
    /// `body` runs, so that its storage stays uniquely referenced (a large SA list is not copied per event).
    public mutating func modify<C: CharonCollector>(_ collector: C.Type, _ body: (inout C.Model) -> Void) {
        guard let erased = models.removeValue(forKey: C.name) else { return }
        guard var model = (consume erased) as? C.Model else { return }
        body(&model)
        models[C.name] = model
        stored(C.name)
    }

    /// Runs `collector` and stores its model. Throws what the collector threw, leaving the state unchanged.
    public mutating func collect<C: CharonCollector>(
        _ collector: C.Type, from vici: some VICIQuerying, options: CollectOptions = CollectOptions()
    ) async throws {
        self[C.self] = try await C.collect(from: vici, options: options)
    }

    func isOutdated<C: CharonCollector>(_ collector: C.Type, by fresh: CharonState) -> Bool {
        guard let model = self[C.self] else { return false }
        return C.isOutdated(model, by: fresh)
    }

    func isOutdated<C: CharonCollector>(_ collector: C.Type, byEvent event: String, message: VICIMessage) -> Bool {
        guard let model = self[C.self] else { return false }
        return C.isOutdated(model, byEvent: event, message: message)
    }

    /// Takes the model of `collector` from `fresh` (what one poll collected), as the collector retains it;
    /// nothing if `fresh` has none.
    public mutating func adopt<C: CharonCollector>(_ collector: C.Type, from fresh: CharonState, context: RenderContext) {
        guard let model = fresh[C.self] else { return }
        self[C.self] = C.retain(model, context: context)
    }

    /// Renders the model of `collector`, if present.
    func render<C: CharonCollector>(_ collector: C.Type, context: RenderContext, into metrics: inout MetricSet) {
        guard let model = self[C.self] else { return }
        C.render(model, context: context, into: &metrics)
    }
}
