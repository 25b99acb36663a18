import Glibc
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import ExporterHTTP
import HTTPTestSupport

/// The metrics HTTP server, exercised over real sockets on 127.0.0.1.
@Suite(.serialized) struct MetricsHTTPServerTests {
    static let fullBody = HTTPTestServer.identityBody + HTTPTestServer.suffix

    @Test func getServesIdentityBodyWithSuffixAndHeaders() async throws {
        let server = try await HTTPTestServer.start()
        let response = try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/metrics")
            return try await connection.readResponse()
        }
        #expect(response?.status == 200)
        #expect(response?.bodyText == Self.fullBody)
        #expect(response?.header("Content-Type") == FixedMetricsResponder.contentType)
        #expect(response?.header("Content-Length") == String(Self.fullBody.utf8.count))
        #expect(response?.header("Vary") == "Accept-Encoding")
        #expect(response?.header("Content-Encoding") == nil)
        try await server.stop()
        #expect(server.server.statistics.snapshot().responsesByStatus[200] == 1)
    }

    @Test func headHasTheHeadersOfGetAndNoBody() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("HEAD", "/metrics")
            let head = try #require(try await connection.readResponse(toHEAD: true))
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == String(Self.fullBody.utf8.count))
            #expect(head.header("Content-Type") == FixedMetricsResponder.contentType)
            // No body bytes came: the next response starts right away.
            try await connection.request("GET", "/")
            let next = try #require(try await connection.readResponse())
            #expect(next.status == 200)
            #expect(next.bodyText.contains("href=\"/metrics\""))
            #expect(connection.pendingBytes.isEmpty)
        }
        try await server.stop()
    }

    @Test func unknownPathIs404AndWrongMethodIs405() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/nope")
            #expect(try await connection.readResponse()?.status == 404)
            try await connection.request("POST", "/metrics", headers: ["Content-Length: 0"])
            let notAllowed = try #require(try await connection.readResponse())
            #expect(notAllowed.status == 405)
            #expect(notAllowed.header("Allow") == "GET, HEAD")
            try await connection.request("DELETE", "/")
            #expect(try await connection.readResponse()?.status == 405)
        }
        try await server.stop()
    }

    @Test func malformedRequestIs400AndCloses() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.send("GET /metrics HTTP/1.1\r\nHost test\r\n\r\n")
            let response = try #require(try await connection.readResponse())
            #expect(response.status == 400)
            #expect(response.header("Connection") == "close")
            #expect(await connection.readUntilClosed().isEmpty)
        }
        try await server.stop()
    }

    @Test func keepAliveServesSeveralRequestsAndHonoursConnectionClose() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            for _ in 0..<3 {
                try await connection.request("GET", "/metrics")
                let response = try #require(try await connection.readResponse())
                #expect(response.status == 200)
                #expect(response.header("Connection") == nil)
            }
            try await connection.request("GET", "/metrics", headers: ["Connection: close"])
            let last = try #require(try await connection.readResponse())
            #expect(last.status == 200)
            #expect(last.header("Connection") == "close")
            #expect(await connection.readUntilClosed().isEmpty)
            #expect(connection.isClosed)
        }
        try await server.stop()
        #expect(server.server.statistics.snapshot().connectionsAccepted == 1)
    }

    @Test func http10WithoutKeepAliveIsClosed() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.send("GET /metrics HTTP/1.0\r\n\r\n")
            let response = try #require(try await connection.readResponse())
            #expect(response.status == 200)
            #expect(response.bodyText == Self.fullBody)
            #expect(await connection.readUntilClosed().isEmpty)
        }
        try await server.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.send(
                "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
            )
            #expect(try await connection.readResponse()?.status == 404)
            let head = try #require(try await connection.readResponse(toHEAD: true))
            #expect(head.status == 200)
            let metrics = try #require(try await connection.readResponse())
            #expect(metrics.bodyText == Self.fullBody)
            let landing = try #require(try await connection.readResponse())
            #expect(landing.header("Content-Type") == "text/html; charset=utf-8")
        }
        try await server.stop()
    }

    @Test func oversizedHeaderFieldsAre431() async throws {
        let server = try await HTTPTestServer.start(limits: HTTPServerLimits(maxRequestHeadBytes: 4096))
        try await withHTTPTestConnection(port: server.port) { connection in
            let big = String(repeating: "a", count: 6000)
            try await connection.request("GET", "/metrics", headers: ["X-Big: \(big)"])
            let response = try #require(try await connection.readResponse())
            #expect(response.status == 431)
            #expect(await connection.readUntilClosed().isEmpty)
        }
        try await server.stop()
    }

    @Test func oversizedRequestLineIs431() async throws {
        let server = try await HTTPTestServer.start(limits: HTTPServerLimits(maxRequestHeadBytes: 1024))
        try await withHTTPTestConnection(port: server.port) { connection in
            // No end of head: the guard counts bytes and gives up past twice the header limit.
            try await connection.send("GET /metrics?" + String(repeating: "x", count: 4000))
            let response = try #require(try await connection.readResponse())
            #expect(response.status == 431)
            #expect(await connection.readUntilClosed().isEmpty)
        }
        try await server.stop()
    }

    @Test func requestBodyOverTheCapIs413() async throws {
        let server = try await HTTPTestServer.start(limits: HTTPServerLimits(maxRequestBodyBytes: 100))
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("POST", "/metrics", headers: ["Content-Length: 1000"])
            try await connection.send(String(repeating: "b", count: 1000))
            let response = try #require(try await connection.readResponse())
            #expect(response.status == 413)
            #expect(response.header("Connection") == "close")
        }
        try await server.stop()
    }

    /// The slow client is cut off at the head timeout, and the others are all served before that happens:
    /// an order of events, not a latency bound (a server that waited for the slow head would serve them only
    /// after the cut-off). The bounds on the cut-off itself are the timeout from below and a generous multiple
    /// of it from above.
    @Test func slowlorisIsCutOffWhileOthersAreServed() async throws {
        let limits = HTTPServerLimits(requestHeadTimeout: .seconds(4), idleTimeout: .seconds(60))
        let server = try await HTTPTestServer.start(limits: limits)
        let port = server.port
        // Each task returns when its part ended: the slow client's cut-off, the last of the others' responses.
        let ended = try await withHTTPTestTimeout(seconds: 60) {
            try await withThrowingTaskGroup(of: (String, ContinuousClock.Instant).self) { group in
                group.addTask {
                    // From before connecting, as the server's timer starts at accept (see the head-timeout test).
                    let start = ContinuousClock.now
                    return try await withHTTPTestConnection(port: port) { connection in
                        try await connection.send("GET /metrics HTTP/1.1\r\nHost: a\r\nX-Slow: ")
                        // Trickle one byte every 200 ms; the server must cut this off after the head timeout.
                        var cutOff = false
                        for _ in 0..<200 {
                            do {
                                try await connection.send("x")
                            } catch {
                                cutOff = true
                                break
                            }
                            try await Task.sleep(for: .milliseconds(200))
                        }
                        let now = ContinuousClock.now
                        #expect(cutOff)
                        #expect(now - start >= .milliseconds(3900))
                        #expect(now - start < .seconds(30))
                        return ("cut off", now)
                    }
                }
                group.addTask {
                    // Meanwhile the others are served, repeatedly, each on a new connection.
                    for _ in 0..<5 {
                        let response = try await withHTTPTestConnection(port: port) { connection in
                            try await connection.request("GET", "/metrics")
                            return try await connection.readResponse()
                        }
                        #expect(response?.status == 200)
                    }
                    return ("served", ContinuousClock.now)
                }
                var ended: [String: ContinuousClock.Instant] = [:]
                for try await (what, when) in group { ended[what] = when }
                return ended
            }
        }
        try await server.stop()
        let served = try #require(ended["served"])
        let cut = try #require(ended["cut off"])
        #expect(served < cut, "the others were served while the slow client was still connected")
        #expect(server.server.statistics.snapshot().connectionsTimedOut >= 1)
    }

    @Test func idleConnectionIsClosedAfterIdleTimeout() async throws {
        // The head timeout is far longer, so a close well before it is the idle timeout's.
        let limits = HTTPServerLimits(requestHeadTimeout: .seconds(60), idleTimeout: .milliseconds(300))
        let server = try await HTTPTestServer.start(limits: limits)
        try await withHTTPTestTimeout(seconds: 90) {
            try await withHTTPTestConnection(port: server.port) { connection in
                try await connection.request("GET", "/metrics")
                #expect(try await connection.readResponse()?.status == 200)
                let start = ContinuousClock.now
                #expect(await connection.readUntilClosed().isEmpty)
                #expect(ContinuousClock.now - start < .seconds(30))
            }
        }
        try await server.stop()
    }

    @Test func connectionsOverTheCapAreClosedAndCounted() async throws {
        let server = try await HTTPTestServer.start(limits: HTTPServerLimits(maxConnections: 2))
        let port = server.port
        try await withHTTPTestTimeout {
            try await withHTTPTestConnection(port: port) { first in
                try await first.request("GET", "/metrics")
                #expect(try await first.readResponse()?.status == 200)
                try await withHTTPTestConnection(port: port) { second in
                    try await second.request("GET", "/metrics")
                    #expect(try await second.readResponse()?.status == 200)
                    try await withHTTPTestConnection(port: port) { third in
                        try? await third.request("GET", "/metrics")
                        let response = try await third.readResponse()
                        #expect(response == nil)
                    }
                    // The admitted ones still work.
                    try await first.request("GET", "/")
                    #expect(try await first.readResponse()?.status == 200)
                }
            }
        }
        try await server.stop()
        let statistics = server.server.statistics.snapshot()
        #expect(statistics.connectionsRejected == 1)
        #expect(statistics.connectionsAccepted == 2)
    }

    @Test func gracefulShutdownLetsInFlightRequestFinishAndClosesIdleOnes() async throws {
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let slow = HTTPRoute(path: "/slow") { _ in
            enteredContinuation.yield()
            for await _ in release { break }
            return .text("finished\n")
        }
        let server = try await HTTPTestServer.start(routes: [slow])
        let port = server.port
        try await withHTTPTestTimeout {
            try await withHTTPTestConnection(port: port) { idle in
                try await idle.request("GET", "/metrics")
                #expect(try await idle.readResponse()?.status == 200)

                try await withHTTPTestConnection(port: port) { busy in
                    try await busy.request("GET", "/slow")
                    var iterator = entered.makeAsyncIterator()
                    _ = await iterator.next()

                    server.server.beginGracefulShutdown()
                    // The idle keep-alive connection is closed at once.
                    #expect(await idle.readUntilClosed().isEmpty)
                    // New connections are refused.
                    await #expect(throws: (any Error).self) {
                        try await withHTTPTestConnection(port: port) { _ in () }
                    }
                    // The request under way completes, with `Connection: close`.
                    releaseContinuation.yield()
                    let response = try #require(try await busy.readResponse())
                    #expect(response.status == 200)
                    #expect(response.bodyText == "finished\n")
                    #expect(response.header("Connection") == "close")
                    #expect(await busy.readUntilClosed().isEmpty)
                }
            }
            await server.task.value
        }
    }

    @Test func gracefulShutdownClosesStragglersAfterTheGracePeriod() async throws {
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let stuck = HTTPRoute(path: "/stuck") { _ in
            enteredContinuation.yield()
            // Never answers on its own; only cancellation ends it.
            let (never, _) = AsyncStream<Void>.makeStream()
            for await _ in never {}
            return .text("late\n")
        }
        let server = try await HTTPTestServer.start(
            routes: [stuck],
            limits: HTTPServerLimits(shutdownGracePeriod: .milliseconds(300))
        )
        try await withHTTPTestTimeout {
            try await withHTTPTestConnection(port: server.port) { connection in
                try await connection.request("GET", "/stuck")
                var iterator = entered.makeAsyncIterator()
                _ = await iterator.next()
                let start = ContinuousClock.now
                server.server.beginGracefulShutdown()
                #expect(await connection.readUntilClosed().isEmpty)
                // Without the grace period's end the stuck handler would hold the connection for ever.
                #expect(ContinuousClock.now - start < .seconds(15))
            }
            // serve() returns: the stuck handler was cancelled after the grace period.
            await server.task.value
        }
    }

    @Test func extraRoutesAndLandingPageLinks() async throws {
        let probe = HTTPRoute(path: "/probe", landingPageLinkText: "Probe") { request in
            .text("target=\(request.queryValues(named: "target").joined(separator: ","))\n")
        }
        let server = try await HTTPTestServer.start(routes: [probe])
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/probe?target=a%20b&target=c+d")
            #expect(try await connection.readResponse()?.bodyText == "target=a b,c d\n")
            try await connection.request("POST", "/probe", headers: ["Content-Length: 0"])
            let notAllowed = try #require(try await connection.readResponse())
            #expect(notAllowed.status == 405)
            #expect(notAllowed.header("Allow") == "GET, HEAD")
            try await connection.request("GET", "/")
            let landing = try #require(try await connection.readResponse()).bodyText
            #expect(landing.contains("<a href=\"/probe\">Probe</a>"))
            #expect(landing.contains("<a href=\"/metrics\">Metrics</a>"))
        }
        try await server.stop()
    }

    @Test func listensOnEveryInterfaceForAnEmptyHost() async throws {
        let server = try await HTTPTestServer.start(listen: [.tcp(host: "", port: 0)])
        let response = try await withHTTPTestConnection(port: server.port, host: "127.0.0.1") { connection in
            try await connection.request("GET", "/metrics")
            return try await connection.readResponse()
        }
        #expect(response?.status == 200)
        if server.server.localAddresses.first?.protocol == .inet6 {
            let overIPv6 = try await withHTTPTestConnection(port: server.port, host: "::1") { connection in
                try await connection.request("GET", "/metrics")
                return try await connection.readResponse()
            }
            #expect(overIPv6?.status == 200)
        }
        try await server.stop()
    }

    @Test func severalListenAddressesAreServed() async throws {
        let server = try await HTTPTestServer.start(
            listen: [.tcp(host: "127.0.0.1", port: 0), .tcp(host: "127.0.0.1", port: 0)]
        )
        #expect(server.server.localAddresses.count == 2)
        for address in server.server.localAddresses {
            let response = try await withHTTPTestConnection(port: address.port ?? 0) { connection in
                try await connection.request("GET", "/metrics")
                return try await connection.readResponse()
            }
            #expect(response?.status == 200)
        }
        try await server.stop()
    }

    @Test func bindingATakenPortFailsWithTheAddress() async throws {
        let server = try await HTTPTestServer.start()
        await #expect(throws: HTTPServerBindError.self) {
            _ = try await HTTPTestServer.start(listen: [.tcp(host: "127.0.0.1", port: server.port)])
        }
        try await server.stop()
    }
}

/// More server behaviour: silent clients, configured headers, counters.
@Suite(.serialized) struct MetricsHTTPServerExtraTests {
    @Test func silentConnectionIsClosedAfterTheHeadTimeout() async throws {
        // The idle timeout is far longer, so a close well before it is the head timeout's.
        let limits = HTTPServerLimits(requestHeadTimeout: .milliseconds(300), idleTimeout: .seconds(60))
        let server = try await HTTPTestServer.start(limits: limits)
        try await withHTTPTestTimeout(seconds: 90) {
            // Measured from before connecting: the server arms its timer when it accepts, which can be well
            // before the client side has finished setting up (CI once saw 0.21 s from there to the close).
            let start = ContinuousClock.now
            try await withHTTPTestConnection(port: server.port) { connection in
                #expect(await connection.readUntilClosed().isEmpty)
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(250))
                #expect(elapsed < .seconds(30))
            }
        }
        try await server.stop()
        #expect(server.server.statistics.snapshot().connectionsTimedOut == 1)
    }

    @Test func configuredHeadersAreOnEveryResponse() async throws {
        let config = try WebConfig.parse(yaml: """
            http_server_config:
              headers:
                X-Content-Type-Options: nosniff
                Strict-Transport-Security: max-age=31536000
            """, baseDirectory: "/")
        let server = try await HTTPTestServer.start(webConfig: config)
        try await withHTTPTestConnection(port: server.port) { connection in
            for path in ["/metrics", "/", "/nope"] {
                try await connection.request("GET", path)
                let response = try #require(try await connection.readResponse())
                #expect(response.header("X-Content-Type-Options") == "nosniff")
                #expect(response.header("Strict-Transport-Security") == "max-age=31536000")
            }
        }
        try await server.stop()
    }

    @Test func countersFollowTheTraffic() async throws {
        let server = try await HTTPTestServer.start()
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/metrics")
            _ = try await connection.readResponse()
            try await connection.request("HEAD", "/metrics")
            _ = try await connection.readResponse(toHEAD: true)
            try await connection.request("GET", "/nope")
            _ = try await connection.readResponse()
        }
        try await server.stop()
        let statistics = server.server.statistics.snapshot()
        #expect(statistics.responsesByStatus == [200: 2, 404: 1])
        let metricsBytes = (HTTPTestServer.identityBody + HTTPTestServer.suffix).utf8.count
        #expect(statistics.responseBodyBytes == UInt64(metricsBytes + "Not Found\n".utf8.count))
        #expect(statistics.connectionsAccepted == 1)
        #expect(statistics.connectionsOpen == 0)
    }
}

/// Serving on a socket that was bound before the server started (as systemd socket activation hands over).
@Suite struct MetricsHTTPServerBoundSocketTests {
    @Test func servesOnAnAlreadyBoundSocket() async throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0)
        try #require(listen(descriptor, 16) == 0)

        let server = try await HTTPTestServer.start(listen: [.boundSocket(descriptor: descriptor)])
        let port = try #require(server.server.localAddresses.first?.port)
        #expect(port != 0)
        let response = try await withHTTPTestConnection(port: port) { connection in
            try await connection.request("GET", "http://localhost:\(port)/metrics")
            return try await connection.readResponse()
        }
        #expect(response?.status == 200)
        try await server.stop()
    }
}

/// `rate_limit` from the web config.
@Suite struct MetricsHTTPServerRateLimitTests {
    @Test func requestsOverTheBurstGet429() async throws {
        let config = try WebConfig.parse(yaml: "rate_limit:\n  interval: 1h\n  burst: 2\n", baseDirectory: "/")
        let server = try await HTTPTestServer.start(webConfig: config)
        try await withHTTPTestConnection(port: server.port) { connection in
            var statuses: [Int] = []
            for _ in 0..<4 {
                try await connection.request("GET", "/metrics")
                statuses.append(try #require(try await connection.readResponse()).status)
            }
            #expect(statuses == [200, 200, 429, 429])
        }
        // A reload gives a fresh bucket.
        server.server.reload(webConfig: try WebConfig.parse(yaml: "rate_limit:\n  interval: 1h\n  burst: 1\n", baseDirectory: "/"))
        let status = try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/metrics")
            return try await connection.readResponse()?.status
        }
        #expect(status == 200)
        try await server.stop()
    }

    @Test func bucketRefillsWithTime() {
        let limiter = RequestRateLimiter(RateLimit(interval: .milliseconds(100), burst: 2))
        let start = ContinuousClock.now
        #expect(limiter.allow(now: start))
        #expect(limiter.allow(now: start))
        #expect(!limiter.allow(now: start))
        #expect(!limiter.allow(now: start + .milliseconds(50)))
        #expect(limiter.allow(now: start + .milliseconds(101)))
        #expect(!limiter.allow(now: start + .milliseconds(102)))
        #expect(limiter.allow(now: start + .seconds(10)))
        #expect(limiter.allow(now: start + .seconds(10)))
        #expect(!limiter.allow(now: start + .seconds(10)))
    }
}
