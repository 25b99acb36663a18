import ExporterHTTP
import Foundation
import NIOCore
import NIOHTTP1
import PrometheusExposition
import HTTPTestSupport
import PrometheusExpositionTesting
import Testing
@testable import StrongSwanExporter

/// `/probe` over HTTP: parameters, status codes, gzip, and the route on a real server.
@Suite(.serialized) struct ProbeRouteTests {
    static let allowed = "unix:///run/ns1/charon.vici"
    let statistics = HTTPServerStatistics()
    var responses: ScrapeResponseBuilder { ScrapeResponseBuilder(statistics: self.statistics) }

    func request(_ uri: String, headers: [(String, String)] = []) -> HTTPServerRequest {
        HTTPServerRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: HTTPHeaders(headers)))
    }

    func text(_ response: HTTPServerResponse) -> String {
        response.body.map { String(buffer: $0) }.joined()
    }

    @Test func targetParameterMustBeExactlyOneNonEmptyValue() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.allowed], clock: ContinuousClock())
        for uri in ["/probe", "/probe?target=", "/probe?other=1",
                    "/probe?target=unix%3A%2F%2F%2Frun%2Fns1%2Fcharon.vici&target=unix:///run/ns1/charon.vici"] {
            let response = await ProbeRoute.respond(to: request(uri), manager: manager, responses: responses)
            #expect(response.status == .badRequest, "\(uri)")
        }
        let refused = await ProbeRoute.respond(to: request("/probe?target=unix:///run/other.vici"), manager: manager, responses: responses)
        #expect(refused.status == .badRequest)
        #expect(text(refused).contains("not allowed"))
        #expect(fakes.totalAttempts == 0)
        #expect(manager.statistics.requests["invalid_target"] == 4)
        #expect(manager.statistics.requests["not_allowed"] == 1)
        await manager.shutdown()
    }

    @Test func anAllowedTargetIsServedPercentEncodedOrNot() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.allowed], clock: ContinuousClock())
        for uri in ["/probe?target=unix:///run/ns1/charon.vici", "/probe?target=unix%3A%2F%2F%2Frun%2Fns1%2Fcharon.vici"] {
            let response = await ProbeRoute.respond(to: request(uri), manager: manager, responses: responses)
            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"] == [ExpositionEncoder.contentType])
            let scrape = try ExpositionParser().parse(Array(text(response).utf8))
            #expect(scrape.value("probe_success") == 1)
            #expect(scrape.samples(named: "strongswan_info").map { $0.label("version") } == ["fake \(Self.allowed)"])
        }
        #expect(fakes.counts(Self.allowed).attempts == 1)
        await manager.shutdown()
    }

    @Test func gzipBodyDecompressesToTheIdentityBody() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.allowed], clock: ContinuousClock())
        let plain = await ProbeRoute.respond(to: request("/probe?target=\(Self.allowed)"), manager: manager, responses: responses)
        let gzipped = await ProbeRoute.respond(
            to: request("/probe?target=\(Self.allowed)", headers: [("Accept-Encoding", "gzip")]), manager: manager, responses: responses)
        await manager.shutdown()
        #expect(gzipped.headers["Content-Encoding"] == ["gzip"])
        #expect(plain.headers["Content-Encoding"].isEmpty)
        // The probe's gzip response is counted with the server's, as /metrics counts its own.
        #expect(statistics.snapshot().gzipResponses == 1)
        var compressed: [UInt8] = []
        for part in gzipped.body { compressed += Array(part.readableBytesView) }
        let decompressed = try await HTTPTestProcess.run(["gzip", "-dc"], input: compressed)
        #expect(String(decoding: decompressed, as: UTF8.self) == text(plain))
    }

    @Test func prometheusScrapeTimeoutHeaderBoundsTheWait() {
        func deadline(_ value: String?) -> Duration? {
            var headers = HTTPHeaders()
            if let value { headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: value) }
            return ProbeRoute.scrapeDeadline(headers)
        }
        #expect(deadline(nil) == nil)
        #expect(deadline("10") == .milliseconds(9500))
        #expect(deadline(" 2.5 ") == .milliseconds(2000))
        #expect(deadline("0.2") == .zero)
        #expect(deadline("abc") == nil)
        #expect(deadline("-1") == nil)
        #expect(deadline("inf") == nil)
        #expect(deadline("nan") == nil)
        #expect(deadline("1e300") == .milliseconds(86_400_000 - 500))
    }

    @Test func theRouteIsServedAndLinkedOnTheLandingPage() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.allowed], clock: ContinuousClock())
        let server = try await HTTPTestServer.start(routes: [ProbeRoute.make(manager: manager, statistics: statistics)])
        let (landing, probe, refused, post) = try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/")
            let landing = try await connection.readResponse()
            try await connection.request("GET", "/probe?target=\(Self.allowed)")
            let probe = try await connection.readResponse()
            try await connection.request("GET", "/probe?target=tcp://example.com:4502")
            let refused = try await connection.readResponse()
            try await connection.request("POST", "/probe?target=\(Self.allowed)")
            let post = try await connection.readResponse()
            return (landing, probe, refused, post)
        }
        try await server.stop()
        await manager.shutdown()
        #expect(landing?.bodyText.contains("href=\"/probe\"") == true)
        #expect(probe?.status == 200)
        #expect(probe?.bodyText.contains("probe_success 1") == true)
        #expect(refused?.status == 400)
        #expect(post?.status == 405)
        #expect(fakes.counts("tcp://example.com:4502") == .init())
    }
}
