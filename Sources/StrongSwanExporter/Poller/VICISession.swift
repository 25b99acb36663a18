import StrongSwanCollectors

/// A live command connection to charon, as the poller uses it: the collectors' queries plus closing.
public protocol VICISession: VICIQuerying {
    /// Closes the connection; idempotent.
    func close() async
}

/// Opens a new ``VICISession`` to the configured daemon (throws when charon cannot be reached).
public typealias VICIConnector = @Sendable () async throws -> any VICISession
