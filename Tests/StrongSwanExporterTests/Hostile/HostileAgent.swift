import ExporterHTTP
import Foundation
import HTTPTestSupport
import Logging
import NIOCore
import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import Synchronization
@testable import StrongSwanExporter
import VICI

/// Log records kept in memory, for counting the lines a failure produces.
final class LogCapture: Sendable {
    struct Record: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var description: String {
            "level=\(level) msg=\"\(message)\"" + metadata.keys.sorted().map { " \($0)=\"\(metadata[$0] ?? "")\"" }.joined()
        }
    }

    private let records = Mutex<[Record]>([])
    /// Whether records are also written to stderr (HOSTILE_VERBOSE=1).
    let echo = ProcessInfo.processInfo.environment["HOSTILE_VERBOSE"] != nil

    var all: [Record] { records.withLock { $0 } }
    /// Records at `minimum` level or above whose message is `message` (any message if nil).
    func lines(_ message: String? = nil, minimum: Logger.Level = .info) -> [Record] {
        all.filter { $0.level >= minimum && (message == nil || $0.message == message) }
    }
    fileprivate func append(_ record: Record) {
        records.withLock { $0.append(record) }
        if echo { FileHandle.standardError.write(Data("[hostile] \(record)\n".utf8)) }
    }

    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in Handler(capture: self) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            var fields: [String: String] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
            capture.append(Record(level: event.level, message: "\(event.message)", metadata: fields))
        }
    }
}

/// The exporter's agent, wired in-process the way ``ExporterApp/run()`` wires it — the same VICI connector and
/// event subscriber (``ExporterApp/makeConnector()``, ``ExporterApp/makeSubscriber()``), an ``ExporterCore``
/// publishing to a ``SnapshotStore``, the ``Poller``, the ``EventFollower`` and a ``MetricsHTTPServer`` on
/// 127.0.0.1 serving the snapshot plus the process metrics — with a short poll interval and VICI timeout, and
/// logs captured for inspection.
struct HostileAgent {
    let app: ExporterApp
    let core: ExporterCore
    let store: SnapshotStore
    let server: MetricsHTTPServer
    let logs: LogCapture
    private let tasks: [Task<Void, Never>]
    private let serverTask: Task<Void, any Error>

    var port: Int { server.localAddresses.first?.port ?? 0 }

    /// The VICI deadline the hostile tests give the agent: generous, so that a healthy answer from the
    /// in-process peer is never late on a loaded 2-core machine (every test process and build shares it),
    /// which would be a second outage in a test that expects one.
    static let viciTimeout: Duration = .seconds(5)

    static func start(
        vici uri: String, timeout: Duration = HostileAgent.viciTimeout, interval: Duration = .milliseconds(200),
        followEvents: Bool = true, eventBackoff: (min: Duration, max: Duration) = (.milliseconds(100), .seconds(2)),
        errorNotify: String? = nil, captureLogs: Bool = true
    ) async throws -> HostileAgent {
        var configuration = ExporterConfiguration()
        configuration.viciURI = uri
        configuration.viciTimeout = timeout
        configuration.poller.interval = interval
        configuration.poller.minBackoff = .milliseconds(50)
        configuration.poller.maxBackoff = interval
        configuration.poller.minPollSpacing = .milliseconds(50)
        configuration.followEvents = followEvents
        let app = ExporterApp(configuration: configuration)
        let logs = LogCapture()
        // Without capture (floods of log lines whose memory must not count), lines are dropped.
        let logger = captureLogs ? logs.logger("strongswan_exporter") : Logger(label: "strongswan_exporter") { _ in SwiftLogNoOpLogHandler() }
        let store = SnapshotStore()
        let core = ExporterCore(
            configuration: configuration.poller, store: store, logger: logger, followsFailures: errorNotify != nil)
        await core.publish()
        let trigger = PollTrigger()
        let connect = app.makeConnector()
        let responder = ClosureMetricsResponder { _ in
            var suffix = MetricSet()
            ProcessMetrics.render(into: &suffix)
            var suffixBytes: [UInt8] = []
            suffix.encode(into: &suffixBytes)
            let snapshot = store.snapshot
            return ScrapeBody(
                lazyIdentity: { snapshot?.identity ?? ByteBuffer() }, gzip: snapshot?.gzip, suffix: ByteBuffer(bytes: suffixBytes))
        }
        let server = try await MetricsHTTPServer.bind(
            configuration: MetricsHTTPServerConfiguration(listenAddresses: [.tcp(host: "127.0.0.1", port: 0)]),
            webConfig: WebConfig(), responder: responder, logger: logger)
        let serverTask = Task { try await server.run() }
        let poller = Poller(
            configuration: configuration.poller, connect: { try await connect() }, core: core, trigger: trigger,
            logger: logger)
        var tasks = [Task { await poller.loop() }]
        if followEvents {
            let follower = EventFollower(
                subscribe: app.makeSubscriber(), core: core, trigger: trigger, logger: logger,
                minBackoff: eventBackoff.min, maxBackoff: eventBackoff.max)
            tasks.append(Task { await follower.loop() })
        }
        if let errorNotify {
            let endpoint = try VICIEndpoint(parsing: errorNotify)
            let follower = ErrorNotifyFollower(
                endpoint: endpoint, connect: ErrorNotifyFollower.connector(to: endpoint, timeout: .seconds(5)), core: core,
                logger: logger, minBackoff: eventBackoff.min, maxBackoff: eventBackoff.max)
            tasks.append(Task { await follower.loop() })
        }
        return HostileAgent(
            app: app, core: core, store: store, server: server, logs: logs, tasks: tasks, serverTask: serverTask)
    }

    /// Stops the agent (idempotent).
    func stop() async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        server.beginGracefulShutdown()
        _ = try? await serverTask.value
    }

    /// One scrape over HTTP, parsed strictly (duplicate series, bad escapes… throw). Throws unless 200.
    func scrape() async throws -> ParsedExposition {
        try ExpositionParser().parse(try await scrapeBody())
    }

    /// One scrape over HTTP, as text. Throws unless 200.
    func scrapeText() async throws -> String {
        String(decoding: try await scrapeBody(), as: UTF8.self)
    }

    private func scrapeBody() async throws -> [UInt8] {
        let response = try await withHTTPTestTimeout(seconds: 10) { [port] in
            try await withHTTPTestConnection(port: port) { connection in
                try await connection.request("GET", "/metrics")
                return try await connection.readResponse()
            }
        }
        guard let response, response.status == 200 else {
            throw HostileError("scrape answered \(response.map { String($0.status) } ?? "nothing")")
        }
        return Array(response.body)
    }

    /// Scrapes every 20 ms until `condition` holds on a scrape; fails after `timeout` (generous: it is a deadline
    /// for a slow machine, not a latency bound). Every scrape must be a
    /// 200 with a strictly valid exposition. Returns the scrape that satisfied the condition.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration = .seconds(60), _ condition: (ParsedExposition) -> Bool
    ) async throws -> ParsedExposition {
        let deadline = ContinuousClock.now + timeout
        var last: ParsedExposition?
        while ContinuousClock.now < deadline {
            let scrape = try await scrape()
            if condition(scrape) { return scrape }
            last = scrape
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HostileError(
            "timed out after \(timeout) waiting for \(what); last scrape: up=\(String(describing: last?.value("strongswan_up"))), "
                + "logs: \(logs.lines(minimum: .info))")
    }

    /// Polls completed so far (success + failure), from the core.
    func polls() async -> UInt64 {
        let (ok, failed) = await (core.pollsSucceeded, core.pollsFailed)
        return ok + failed
    }
}

struct HostileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ParsedExposition {
    /// `strongswan_exporter_collector_success` per collector.
    var collectorSuccess: [String: Double] {
        var result: [String: Double] = [:]
        for sample in samples(named: "strongswan_exporter_collector_success") {
            if let name = sample.label("collector") { result[name] = sample.value }
        }
        return result
    }
}
