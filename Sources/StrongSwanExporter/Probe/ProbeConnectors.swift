import VICI

/// How a probe target's pipeline reaches its daemon: a command connection for the poller and, when events
/// are followed, an event subscription. Injected so that tests can count connection attempts.
public struct ProbeConnectors: Sendable {
    /// Opens a command connection to an endpoint (called by the target's poller, never by the HTTP handler).
    public var session: @Sendable (VICIEndpoint) -> VICIConnector
    /// Subscribes to events on an endpoint, or `nil` not to follow events.
    public var events: (@Sendable (VICIEndpoint) -> @Sendable ([String]) async throws -> VICIEventStream)?
    /// The subscription settings ``events`` uses, when built from settings (``init(connection:events:)``).
    public private(set) var eventSettings: VICIEventStream.Configuration?

    /// Creates the connectors.
    public init(
        session: @escaping @Sendable (VICIEndpoint) -> VICIConnector,
        events: (@Sendable (VICIEndpoint) -> @Sendable ([String]) async throws -> VICIEventStream)?
    ) {
        self.session = session
        self.events = events
    }

    /// Connectors that reach each endpoint with `connection` settings and, unless `events` is `nil`, follow
    /// its events with those subscription settings (the ones `--vici.socket` uses).
    public init(connection: VICIConnection.Configuration, events: VICIEventStream.Configuration?) {
        self.session = { endpoint in { try await VICIConnection.connect(to: endpoint, configuration: connection) } }
        self.events = events.map { settings in
            { @Sendable endpoint in
                { @Sendable names in try await VICIEventStream.subscribe(to: endpoint, events: names, configuration: settings) }
            }
        }
        self.eventSettings = events
    }
}
