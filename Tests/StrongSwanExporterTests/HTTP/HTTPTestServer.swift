import Logging
import NIOCore
import NIOHTTP1
@testable import StrongSwanExporter

/// A ``MetricsHTTPServer`` on 127.0.0.1 with an OS-chosen port, running in a task for one test.
struct HTTPTestServer {
    let server: MetricsHTTPServer
    let task: Task<Void, any Error>

    /// The bound port of the first listener.
    var port: Int { self.server.localAddresses.first?.port ?? 0 }

    /// Binds and starts a server.
    static func start(
        routes: [HTTPRoute] = [],
        limits: HTTPServerLimits = HTTPServerLimits(),
        webConfig: WebConfig = WebConfig(),
        listen: [ListenAddress] = [.tcp(host: "127.0.0.1", port: 0)],
        responder: any MetricsResponder = HTTPTestServer.fixedResponder()
    ) async throws -> HTTPTestServer {
        var logger = Logger(label: "http-test")
        logger.logLevel = .critical
        let server = try await MetricsHTTPServer.bind(
            configuration: MetricsHTTPServerConfiguration(listenAddresses: listen, routes: routes, limits: limits),
            webConfig: webConfig,
            responder: responder,
            logger: logger
        )
        let task = Task { try await server.run() }
        return HTTPTestServer(server: server, task: task)
    }

    /// Shuts down gracefully and waits for ``MetricsHTTPServer/run()`` to return.
    func stop() async throws {
        self.server.beginGracefulShutdown()
        try await self.task.value
    }

    /// The identity body the fixed responder serves.
    static let identityBody = String(repeating: "strongswan_sa_state{name=\"a\"} 1\n", count: 100)
    /// The suffix the fixed responder appends.
    static let suffix = "strongswan_exporter_http_requests_total 7\n"

    /// A responder with a fixed body and suffix, and an optional precompressed body.
    static func fixedResponder(gzip: GzipPrefix? = nil, suffix: String = HTTPTestServer.suffix) -> any MetricsResponder {
        let identity = ByteBuffer(string: identityBody)
        let suffixBuffer = ByteBuffer(string: suffix)
        return ClosureMetricsResponder { _ in
            ScrapeBody(identity: identity, gzip: gzip, suffix: suffixBuffer)
        }
    }
}
