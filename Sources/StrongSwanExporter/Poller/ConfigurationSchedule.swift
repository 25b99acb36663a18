/// When the configuration collectors (``StrongSwanCollectors/CollectorCadence/configuration``) run: a pure
/// value the poll loop consults before and updates after each poll.
///
/// They run on the first poll of every connection to charon (a restarted charon may have another
/// configuration), when the configuration interval has passed since they last succeeded, when a change
/// probe (`get-conns`) answers differently than at their last run, and when something asked for it (an SA
/// or event naming a connection the exporter does not know). A run that did not fully succeed is retried on
/// the next poll.
public struct ConfigurationSchedule: Sendable {
    /// Why the configuration collectors run on a poll.
    public enum Reason: String, Sendable, Hashable {
        case connected = "first poll on this connection"
        case interval = "configuration interval passed"
        case probeChanged = "loaded connections changed"
        case requested = "unknown connection or tunnel seen"
    }

    /// Time between runs when nothing changes.
    public let interval: Duration
    private var lastRun: ContinuousClock.Instant?
    private var lastProbes: [String: [String]] = [:]
    private var pending: Reason? = .connected

    /// Creates a schedule whose first poll runs the configuration collectors.
    public init(interval: Duration) {
        self.interval = interval
    }

    /// A new connection to charon: the next poll runs them.
    public mutating func connected() {
        pending = .connected
    }

    /// Something shows the configuration models are out of date: the next poll (or this one, if asked
    /// before ``reason(at:probes:)``) runs them.
    public mutating func request() {
        if pending == nil { pending = .requested }
    }

    /// Why the configuration collectors must run on a poll at `now` whose change probes answered `probes`
    /// (collector name to answer), or `nil` when they need not.
    public func reason(at now: ContinuousClock.Instant, probes: [String: [String]]) -> Reason? {
        if let pending { return pending }
        guard let lastRun else { return .connected }
        if probes != lastProbes { return .probeChanged }
        if now - lastRun >= interval { return .interval }
        return nil
    }

    /// Records a run at `now`: `succeeded` when every configuration collector succeeded (else the next poll
    /// runs them again).
    public mutating func ran(at now: ContinuousClock.Instant, probes: [String: [String]], succeeded: Bool) {
        guard succeeded else {
            pending = pending ?? .requested
            return
        }
        lastRun = now
        lastProbes = probes
        pending = nil
    }
}
