/// How the poller talks to charon.
public struct PollerConfiguration: Sendable {
    /// Time between polls.
    public var interval: Duration = .seconds(15)
    /// Collectors to run, by name (see `CollectorCatalogue`).
    public var enabledCollectors: Set<String>
    /// Whether per-SA families are rendered (`--collector.sas.per-sa`).
    public var perSA: Bool = false
    /// Whether per-connection counters are collected and rendered (`--collector.counters.per-conn`).
    public var perConnectionCounters: Bool = false
    /// Time between two runs of the configuration collectors (``CollectorCadence/configuration``) when no
    /// change is detected in between (`--poll.config-interval`).
    public var configInterval: Duration = .seconds(300)
    /// First reconnect delay after charon could not be reached; doubles up to ``maxBackoff``.
    public var minBackoff: Duration = .milliseconds(500)
    /// Upper bound of the reconnect delay (never more than ``interval`` either).
    public var maxBackoff: Duration = .seconds(30)
    /// Shortest time between two polls, however many events ask for an early one.
    public var minPollSpacing: Duration = .milliseconds(500)

    /// Creates a configuration.
    public init(enabledCollectors: Set<String>) {
        self.enabledCollectors = enabledCollectors
    }
}
