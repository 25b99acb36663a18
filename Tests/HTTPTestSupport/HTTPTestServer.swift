import ExporterHTTP
import Logging
import NIOCore
import NIOHTTP1

/// A ``MetricsHTTPServer`` on 127.0.0.1 with an OS-chosen port, serving in a task for one test.
public struct HTTPTestServer: Sendable {
    /// The server.
    public let server: MetricsHTTPServer
    /// The task running ``MetricsHTTPServer/serve()``.
    public let task: Task<Void, Never>

    /// The bound port of the first listener.
    public var port: Int { self.server.localAddresses.first?.port ?? 0 }

    /// Binds and starts a server.
    public static func start(
        routes: [HTTPRoute] = [],
        limits: HTTPServerLimits = HTTPServerLimits(),
        webConfig: WebConfig = WebConfig(),
        listen: [ListenAddress] = [.tcp(host: "127.0.0.1", port: 0)],
        responder: any MetricsResponder = FixedMetricsResponder(),
        statistics: HTTPServerStatistics = HTTPServerStatistics()
    ) async throws -> HTTPTestServer {
        var logger = Logger(label: "http-test")
        logger.logLevel = .critical
        let server = try await MetricsHTTPServer.bind(
            configuration: MetricsHTTPServerConfiguration(listenAddresses: listen, routes: routes, limits: limits),
            webConfig: webConfig,
            responder: responder,
            statistics: statistics,
            logger: logger
        )
        let task = Task { await server.serve() }
        return HTTPTestServer(server: server, task: task)
    }

    /// Shuts down gracefully and waits for ``MetricsHTTPServer/serve()`` to return.
    public func stop() async throws {
        self.server.beginGracefulShutdown()
        await self.task.value
    }

    /// The body the fixed responder serves first.
    public static let identityBody = String(repeating: "test_state{name=\"a\"} 1\n", count: 100)
    /// The text the fixed responder appends.
    public static let suffix = "test_requests_total 7\n"
}

/// A trivial telemetry-path responder for server tests: always ``HTTPTestServer/identityBody`` followed by
/// ``HTTPTestServer/suffix``, identity-coded, as `text/plain`.
public struct FixedMetricsResponder: MetricsResponder {
    /// The content type it answers with.
    public static let contentType = "text/plain; charset=utf-8"

    /// Creates the responder.
    public init() {}

    /// The fixed response.
    public func response(to request: HTTPServerRequest, statistics: HTTPServerStatistics) async -> HTTPServerResponse {
        HTTPServerResponse(
            status: .ok,
            headers: HTTPHeaders([("Content-Type", Self.contentType), ("Vary", "Accept-Encoding")]),
            body: [ByteBuffer(string: HTTPTestServer.identityBody), ByteBuffer(string: HTTPTestServer.suffix)]
        )
    }
}
