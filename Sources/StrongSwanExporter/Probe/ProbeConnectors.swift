import VICI

/// How a probe target's pipeline reaches its daemon: a command connection for the poller and, when events
/// are followed, an event subscription. Injected so that tests can count connection attempts.
public struct ProbeConnectors: Sendable {
    /// Opens a command connection to an endpoint (called by the target's poller, never by the HTTP handler).
    public var session: @Sendable (VICIEndpoint) -> VICIConnector
    /// Subscribes to events on an endpoint, or `nil` not to follow events.
    public var events: (@Sendable (VICIEndpoint) -> @Sendable ([String]) async throws -> VICIEventStream)?

    /// Creates the connectors.
    public init(
        session: @escaping @Sendable (VICIEndpoint) -> VICIConnector,
        events: (@Sendable (VICIEndpoint) -> @Sendable ([String]) async throws -> VICIEventStream)?
    ) {
        self.session = session
        self.events = events
    }
}
