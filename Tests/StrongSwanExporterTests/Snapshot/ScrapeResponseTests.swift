import ExporterHTTP
import Foundation
import HTTPTestSupport
import NIOCore
import PrometheusExposition
import Testing
@testable import StrongSwanExporter

/// The telemetry path's responses built by ``ScrapeResponseBuilder`` from a ``ScrapeBody`` (identity or a
/// gzip member completed per request), served over real sockets on 127.0.0.1.
@Suite(.serialized) struct ScrapeResponseTests {
    let fullBody = HTTPTestServer.identityBody + HTTPTestServer.suffix

    /// A responder with a fixed body and suffix, and an optional precompressed body.
    func scrapeResponder(gzip: GzipPrefix? = nil, suffix: String = HTTPTestServer.suffix) -> any MetricsResponder {
        let identity = ByteBuffer(string: HTTPTestServer.identityBody)
        let suffixBuffer = ByteBuffer(string: suffix)
        return ClosureMetricsResponder { _ in
            ScrapeBody(identity: identity, gzip: gzip, suffix: suffixBuffer)
        }
    }

    @Test func identityScrapeHasTheTextFormatContentType() async throws {
        let server = try await HTTPTestServer.start(responder: scrapeResponder())
        let response = try #require(
            try await withHTTPTestConnection(port: server.port) { connection in
                try await connection.request("GET", "/metrics", headers: ["Accept-Encoding: gzip"])
                return try await connection.readResponse()
            }
        )
        try await server.stop()
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.header("Content-Type") == ExpositionEncoder.contentType)
        #expect(response.header("Vary") == "Accept-Encoding")
        #expect(response.header("Content-Encoding") == nil)  // no gzip prefix: identity even though accepted
        #expect(response.bodyText == fullBody)
        #expect(server.server.statistics.snapshot().gzipResponses == 0)
    }

    @Test func gzipScrapesAreCountedInTheServerStatistics() async throws {
        let statistics = HTTPServerStatistics()
        let server = try await HTTPTestServer.start(
            responder: scrapeResponder(gzip: try GzipPrefix(compressing: ByteBuffer(string: HTTPTestServer.identityBody))),
            statistics: statistics)
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/metrics", headers: ["Accept-Encoding: gzip"])
            #expect(try await connection.readResponse()?.header("Content-Encoding") == "gzip")
            try await connection.request("GET", "/metrics")
            #expect(try await connection.readResponse()?.header("Content-Encoding") == nil)
        }
        try await server.stop()
        #expect(statistics.snapshot().gzipResponses == 1)
        #expect(statistics.snapshot().responsesByStatus[200] == 2)
    }

    @Test func gzipBodyWithSuffixDecompressesToIdentityPlusSuffix() async throws {
        let prefix = try GzipPrefix(compressing: ByteBuffer(string: HTTPTestServer.identityBody))
        let gzipped = Array(prefix.bytes.readableBytesView)
        let server = try await HTTPTestServer.start(
            responder: scrapeResponder(gzip: prefix)
        )
        let response = try #require(
            try await withHTTPTestConnection(port: server.port) { connection in
                try await connection.request("GET", "/metrics", headers: ["Accept-Encoding: gzip"])
                return try await connection.readResponse()
            }
        )
        // One member: curl (libcurl's decoder stops after the first member of a multi-member stream).
        let viaCurl = try await HTTPTestProcess.run(
            ["curl", "-sS", "--fail", "--compressed", "http://127.0.0.1:\(server.port)/metrics"], input: [])
        #expect(String(decoding: viaCurl, as: UTF8.self) == fullBody)
        try await server.stop()
        #expect(response.header("Content-Encoding") == "gzip")
        #expect(response.header("Vary") == "Accept-Encoding")
        #expect(response.body.count > gzipped.count)  // the precompressed prefix, then the suffix and trailer
        #expect(Array(response.body.prefix(gzipped.count)) == gzipped)
        let viaGzip = try await HTTPTestProcess.run(["gzip", "-dc"], input: response.body)
        #expect(String(decoding: viaGzip, as: UTF8.self) == fullBody)
        let viaPython = try await HTTPTestProcess.run(
            ["python3", "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"],
            input: response.body
        )
        #expect(String(decoding: viaPython, as: UTF8.self) == fullBody)
    }

    @Test(arguments: [
        ("gzip", true), ("gzip;q=0", false), ("identity, gzip;q=0.5", true), ("*", true), ("*;q=0", false),
        ("*, gzip;q=0", false), ("br", false), (nil, false),
    ] as [(String?, Bool)])
    func gzipIsChosenOnlyWhenAccepted(acceptEncoding: String?, expectGzip: Bool) async throws {
        let server = try await HTTPTestServer.start(
            responder: scrapeResponder(gzip: try GzipPrefix(compressing: ByteBuffer(string: "x\n")))
        )
        let response = try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/metrics", headers: acceptEncoding.map { ["Accept-Encoding: \($0)"] } ?? [])
            return try await connection.readResponse()
        }
        try await server.stop()
        #expect((response?.header("Content-Encoding") == "gzip") == expectGzip)
    }

    @Test func headOfGzipScrapeReportsTheGzipLength() async throws {
        let server = try await HTTPTestServer.start(
            responder: scrapeResponder(
                gzip: try GzipPrefix(compressing: ByteBuffer(string: HTTPTestServer.identityBody)))
        )
        try await withHTTPTestConnection(port: server.port) { connection in
            try await connection.request("GET", "/metrics", headers: ["Accept-Encoding: gzip"])
            let get = try #require(try await connection.readResponse())
            try await connection.request("HEAD", "/metrics", headers: ["Accept-Encoding: gzip"])
            let head = try #require(try await connection.readResponse(toHEAD: true))
            #expect(head.header("Content-Length") == String(get.body.count))
            #expect(head.header("Content-Encoding") == "gzip")
        }
        try await server.stop()
    }
}
