import NIOCore
import PrometheusExposition
import Synchronization
import Testing
@testable import StrongSwanExporter

/// A snapshot keeps only the gzip copy; the text comes back, byte for byte, when a scrape without gzip asks.
@Suite struct SnapshotTests {
    static func metrics(series: Int) throws -> MetricSet {
        var family = try MetricFamily(
            name: "strongswan_tunnel_up", help: "Test.", type: .gauge, labelNames: ["conn", "child"])
        for index in 0..<series { family.add(Double(index % 2), ["site-\(index)", "net-\(index)"]) }
        var set = MetricSet()
        set.add(family)
        return set
    }

    @Test func onlyTheGzipCopyIsResidentUntilAnIdentityScrapeAsks() throws {
        let metrics = try Self.metrics(series: 5_000)
        var expected: [UInt8] = []
        metrics.encode(into: &expected)
        let snapshot = Snapshot(rendering: metrics, renderedAt: 1)
        let gzip = try #require(snapshot.gzip)
        #expect(snapshot.byteCount == expected.count)
        #expect(gzip.length == expected.count)
        #expect(gzip.bytes.readableBytes * 10 < expected.count)
        #expect(!snapshot.isIdentityResident)

        // A gzip scrape does not materialize the text.
        let body = ScrapeBody(lazyIdentity: { snapshot.identity }, gzip: snapshot.gzip)
        #expect(body.parts(acceptsGzip: true).gzip)
        #expect(!snapshot.isIdentityResident)

        // An identity scrape does, once, and gets exactly the rendered text.
        let parts = body.parts(acceptsGzip: false)
        #expect(!parts.gzip)
        #expect(parts.parts.flatMap { Array($0.readableBytesView) } == expected)
        #expect(snapshot.isIdentityResident)
        #expect(Array(snapshot.identity.readableBytesView) == expected)
    }

    @Test func gzipScrapesNeverCallTheLazyIdentity() throws {
        let calls = Mutex(0)
        let prefix = try GzipPrefix(compressing: ByteBuffer(string: "a 1\n"))
        let body = ScrapeBody(
            lazyIdentity: { calls.withLock { $0 += 1 }; return ByteBuffer(string: "a 1\n") }, gzip: prefix,
            suffix: ByteBuffer(string: "b 2\n"))
        _ = body.parts(acceptsGzip: true)
        #expect(calls.withLock { $0 } == 0)
        let identity = body.parts(acceptsGzip: false)
        #expect(calls.withLock { $0 } == 1)
        #expect(identity.parts.map { String(buffer: $0) }.joined() == "a 1\nb 2\n")
    }

    @Test func aDamagedGzipCopyYieldsAnExplanationNotWrongText() throws {
        let good = try GzipPrefix(compressing: ByteBuffer(string: String(repeating: "a 1\n", count: 1_000)))
        let text = IdentityText(gzip: good.damaged())
        #expect(text.bytes == IdentityText.inflationFailed)
        #expect(String(buffer: text.bytes).hasPrefix("# "))
    }
}
