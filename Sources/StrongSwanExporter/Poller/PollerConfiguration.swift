/// How the poller talks to charon.
public struct PollerConfiguration: Sendable {
    /// Time between polls.
    public var interval: Duration = .seconds(15)
    /// Collectors to run, by name (see `CollectorCatalogue`).
    public var enabledCollectors: Set<String>
    /// Whether per-SA families are rendered.
    public var perSA: Bool = true
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
