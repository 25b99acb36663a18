import Foundation
import NIOCore
import Testing
@testable import StrongSwanExporter

/// Throughput with `wrk` against a server serving a 100 KiB body; runs only when `HTTP_WRK_BENCHMARK` is set
/// (it takes thirteen seconds and prints numbers rather than checking them).
@Suite struct HTTPServerBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HTTP_WRK_BENCHMARK"] != nil))
    func wrkIdentityAndGzip() async throws {
        var text = ""
        var index = 0
        while text.utf8.count < 100 * 1024 {
            text += "strongswan_child_sa_bytes_total{ike_sa=\"peer\(index % 97)\",child_sa=\"net\(index)\",direction=\"in\"} \(index * 7919)\n"
            index += 1
        }
        let identity = ByteBuffer(string: text)
        let gzip = try GzipPrefix(compressing: identity)
        let suffix = ByteBuffer(string: "strongswan_exporter_scrapes_total 1\n")
        let server = try await HTTPTestServer.start(
            limits: HTTPServerLimits(maxConnections: 64),
            responder: ClosureMetricsResponder { _ in ScrapeBody(identity: identity, gzip: gzip, suffix: suffix) }
        )
        let url = "http://127.0.0.1:\(server.port)/metrics"
        print("body: identity \(identity.readableBytes) bytes, gzip \(gzip.bytes.readableBytes) bytes")
        let runs: [[String]] = [
            ["-t2", "-c16", "-d5s"], ["-t2", "-c16", "-d5s", "-H", "Accept-Encoding: gzip"],
            ["-t1", "-c1", "-d3s", "--latency", "-H", "Accept-Encoding: gzip"],
        ]
        for options in runs {
            let arguments = ["wrk"] + options + [url]
            let output = try await HTTPTestProcess.run(arguments)
            print("$ \(arguments.joined(separator: " "))\n\(String(decoding: output, as: UTF8.self))")
        }
        try await server.stop()
        let statistics = server.server.statistics.snapshot()
        print("responses: \(statistics.responsesByStatus), gzip: \(statistics.gzipResponses)")
        #expect(statistics.responsesByStatus.keys.sorted() == [200])
    }
}
