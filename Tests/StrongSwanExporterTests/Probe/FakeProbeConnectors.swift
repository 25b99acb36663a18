import Logging
import Synchronization
import VICI
@testable import StrongSwanExporter

/// Probe connectors that never touch a socket, for the probe manager's tests: per endpoint, how many pipelines
/// were made, how many connections were attempted, opened and closed, and how a connect behaves (answer,
/// refuse, or hang until cancelled — which no socket-backed fake can do on demand). A connection answers
/// `version` with `version=fake <its URI>`. Not a fake charon (``ScriptedCharon`` in TestSupport is the one):
/// it fakes the ``ProbeConnectors`` seam above VICI.
final class FakeProbeConnectors: Sendable {
    /// How a connection to an endpoint behaves on connect.
    enum Behaviour: Sendable {
        /// Connects and answers `version`.
        case answer
        /// Refuses the connection (charon down).
        case refuse
        /// Never answers the connect until the task is cancelled.
        case hang
    }

    struct Counts: Sendable, Equatable {
        var pipelines = 0
        var attempts = 0
        var opened = 0
        var closed = 0
        var open: Int { opened - closed }
    }

    private struct State {
        var counts: [VICIEndpoint: Counts] = [:]
        var behaviour: [VICIEndpoint: Behaviour] = [:]
    }

    private let state = Mutex(State())

    init() {}

    func setBehaviour(_ behaviour: Behaviour, for uri: String) throws {
        let endpoint = try VICIEndpoint(parsing: uri)
        state.withLock { $0.behaviour[endpoint] = behaviour }
    }

    func counts(_ uri: String) -> Counts {
        guard let endpoint = try? VICIEndpoint(parsing: uri) else { return Counts() }
        return state.withLock { $0.counts[endpoint] ?? Counts() }
    }

    /// Attempts over every endpoint (anything at all that tried to connect).
    var totalAttempts: Int { state.withLock { $0.counts.values.reduce(0) { $0 + $1.attempts } } }
    var totalPipelines: Int { state.withLock { $0.counts.values.reduce(0) { $0 + $1.pipelines } } }

    /// Connectors that never touch a socket; no events.
    var connectors: ProbeConnectors {
        ProbeConnectors(
            session: { endpoint in
                self.state.withLock { $0.counts[endpoint, default: Counts()].pipelines += 1 }
                return { try await self.connect(endpoint) }
            },
            events: nil)
    }

    private func connect(_ endpoint: VICIEndpoint) async throws -> any VICISession {
        let behaviour = state.withLock { state in
            state.counts[endpoint, default: Counts()].attempts += 1
            return state.behaviour[endpoint] ?? .answer
        }
        switch behaviour {
        case .refuse:
            throw VICIError(.connectFailed, "fake: connection refused")
        case .hang:
            try await Task.sleep(for: .seconds(3600))
            throw VICIError(.connectFailed, "fake: gave up")
        case .answer:
            state.withLock { $0.counts[endpoint, default: Counts()].opened += 1 }
            return FakeProbeSession(connectors: self, endpoint: endpoint)
        }
    }

    fileprivate func noteClosed(_ endpoint: VICIEndpoint) {
        state.withLock { $0.counts[endpoint, default: Counts()].closed += 1 }
    }

    /// The version string a fake connection reports: `fake <its URI>`.
    static func version(of endpoint: VICIEndpoint) -> String { "fake \(endpoint)" }

    /// A manager over these fakes: only the version collector, one poll per hour (the first at once).
    func manager<C: Clock>(
        allow uris: [String], clock: C, idleTimeout: Duration = .seconds(600), maxTargets: Int = 100,
        firstPollTimeout: Duration = .seconds(10)
    ) throws -> ProbeTargetManager<C> where C.Duration == Duration {
        var poller = PollerConfiguration(enabledCollectors: ["version"])
        poller.interval = .seconds(3600)
        var logger = Logger(label: "probe-test")
        logger.logLevel = .critical
        return ProbeTargetManager(
            allowList: try ProbeAllowList(uris: uris), poller: poller, connectors: connectors,
            idleTimeout: idleTimeout, maxTargets: maxTargets, firstPollTimeout: firstPollTimeout, clock: clock,
            logger: logger)
    }
}

/// One fake command connection.
private final class FakeProbeSession: VICISession {
    let connectors: FakeProbeConnectors
    let endpoint: VICIEndpoint
    private let closed = Mutex(false)

    init(connectors: FakeProbeConnectors, endpoint: VICIEndpoint) {
        self.connectors = connectors
        self.endpoint = endpoint
    }

    func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage {
        guard !closed.withLock({ $0 }) else { throw VICIError(.connectionClosed, "fake: closed") }
        guard command == "version" else { throw VICIError(.unknownCommand, "fake: \(command)") }
        return try VICIMessage(arguments: [
            "daemon=charon", "version=\(FakeProbeConnectors.version(of: endpoint))", "sysname=Linux",
            "release=6.1", "machine=x86_64",
        ])
    }

    func stream(
        _ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void
    ) async throws -> VICIMessage {
        throw VICIError(.unknownCommand, "fake: \(command)")
    }

    func close() async {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        if first { connectors.noteClosed(endpoint) }
    }
}

extension ProbeOutcome {
    /// The served body as text (identity + suffix), or nil when refused.
    var servedText: String? {
        guard case .served(let body, _) = self else { return nil }
        return String(buffer: body.identity) + String(buffer: body.suffix)
    }

    var refusal: ProbeRefusal? {
        guard case .refused(let refusal) = self else { return nil }
        return refusal
    }

    var reachedCharon: Bool? {
        guard case .served(_, let reached) = self else { return nil }
        return reached
    }
}
