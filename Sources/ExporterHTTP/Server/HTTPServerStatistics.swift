import Synchronization

/// Counters of the metrics HTTP server's own activity, for the exporter's self-metrics.
///
/// The server updates them; the agent reads ``snapshot()`` (for example while rendering a per-scrape part
/// of its metrics) and formats them as it likes. All counters only grow, except
/// ``Snapshot/connectionsOpen``. The status-code table is bounded (codes are 100...599).
public final class HTTPServerStatistics: Sendable {
    /// A consistent copy of the counters.
    public struct Snapshot: Sendable, Hashable {
        /// Responses sent, by status code (including the 400/431 the decoder answers for malformed requests).
        public var responsesByStatus: [Int: UInt64] = [:]
        /// Response body bytes handed to connections (`HEAD` counts 0), including compressed bodies as sent.
        public var responseBodyBytes: UInt64 = 0
        /// Connections accepted and served.
        public var connectionsAccepted: UInt64 = 0
        /// Connections closed right after accept because ``HTTPServerLimits/maxConnections`` were open.
        public var connectionsRejected: UInt64 = 0
        /// Connections closed because a request head, an idle period or a response took too long.
        public var connectionsTimedOut: UInt64 = 0
        /// Connections open now.
        public var connectionsOpen: Int = 0
        /// Requests refused by basic authentication (401).
        public var authenticationFailures: UInt64 = 0
        /// Scrapes answered with a gzip body (counted by the ``MetricsResponder`` or route that chose gzip, through
        /// ``HTTPServerStatistics/recordGzipResponse()``).
        public var gzipResponses: UInt64 = 0

        /// Empty counters.
        public init() {}
    }

    private let state = Mutex(Snapshot())

    /// Creates zeroed counters.
    public init() {}

    /// A copy of all counters.
    public func snapshot() -> Snapshot {
        self.state.withLock { $0 }
    }

    func recordResponse(status: Int, bodyBytes: Int) {
        self.state.withLock { state in
            let code = min(max(status, 100), 599)
            state.responsesByStatus[code, default: 0] &+= 1
            state.responseBodyBytes &+= UInt64(clamping: bodyBytes)
        }
    }

    /// Counts one scrape answered with a gzip body (the server cannot tell: responders and routes report it).
    public func recordGzipResponse() {
        self.state.withLock { $0.gzipResponses &+= 1 }
    }

    func recordAuthenticationFailure() {
        self.state.withLock { $0.authenticationFailures &+= 1 }
    }

    func recordConnectionAccepted() {
        self.state.withLock {
            $0.connectionsAccepted &+= 1
            $0.connectionsOpen += 1
        }
    }

    func recordConnectionClosed() {
        self.state.withLock { $0.connectionsOpen = max(0, $0.connectionsOpen - 1) }
    }

    func recordConnectionRejected() {
        self.state.withLock { $0.connectionsRejected &+= 1 }
    }

    func recordTimeout() {
        self.state.withLock { $0.connectionsTimedOut &+= 1 }
    }
}
