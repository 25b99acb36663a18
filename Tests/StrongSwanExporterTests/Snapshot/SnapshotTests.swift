import Logging
import NIOCore
import PrometheusExposition
import StrongSwanCollectors
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

    /// Rendered in pieces (small families together, a family larger than a piece alone), the gzip copy holds
    /// exactly the text the encoder writes in one go, and so does a snapshot that keeps its text.
    @Test func piecewiseRenderingIsTheWholeText() throws {
        var metrics = MetricSet()
        for index in 0..<40 {
            var family = try MetricFamily(
                name: "strongswan_family_\(index)", help: "Test \(index).", type: .gauge, labelNames: ["conn"])
            let series = index == 17 ? 20_000 : index % 5
            for sample in 0..<series { family.add(Double(sample) / 3, ["conn-\(sample)-\"quoted\"\\"]) }
            metrics.add(family)
        }
        var expected: [UInt8] = []
        metrics.encode(into: &expected)
        #expect(expected.count > 4 * Snapshot.renderChunk)
        let snapshot = Snapshot(rendering: metrics, renderedAt: 1)
        #expect(snapshot.byteCount == expected.count)
        #expect(snapshot.sampleCount == metrics.sampleCount)
        #expect(!snapshot.isIdentityResident)
        #expect(Array(snapshot.identity.readableBytesView) == expected)
        let kept = Snapshot(rendering: metrics, renderedAt: 1, keepingIdentity: true)
        #expect(kept.isIdentityResident)
        #expect(Array(kept.identity.readableBytesView) == expected)
        #expect(kept.gzip?.bytes == snapshot.gzip?.bytes)
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

/// The text of the next snapshot is kept from the rendering while scrapes without gzip read it, and dropped
/// again once they stop: one inflation per identity scraper, not one per poll.
@Suite struct SnapshotIdentityRetentionTests {
    @Test func theTextIsKeptWhileIdentityScrapesReadIt() async throws {
        let store = SnapshotStore()
        let core = ExporterCore(configuration: PollerConfiguration(enabledCollectors: []), store: store,
                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                wallClock: { 1_800_000_000 })
        func poll() async throws -> Snapshot {
            await core.pollSucceeded(results: CharonState(), statuses: [:], duration: 0)
            return try #require(store.snapshot)
        }
        let first = try await poll()
        #expect(first.gzip != nil)
        #expect(!first.isIdentityResident && !first.identityWasRead)
        let second = try await poll()
        #expect(!second.isIdentityResident, "nobody read the text of the first snapshot")
        let text = second.identity
        #expect(second.identityWasRead)
        let third = try await poll()
        #expect(third.isIdentityResident, "kept from the rendering, not inflated")
        #expect(!third.identityWasRead)
        let fourth = try await poll()
        #expect(!fourth.isIdentityResident, "dropped once a snapshot went unread")
        // The kept text is the rendering: the same exposition apart from the poll counters.
        let lines = { (buffer: ByteBuffer) in
            String(buffer: buffer).split(separator: "\n").filter { !$0.hasPrefix("strongswan_exporter_polls_total") }
        }
        #expect(String(buffer: text).contains("strongswan_exporter_polls_total{result=\"success\"} 2"))
        #expect(String(buffer: third.identity).contains("strongswan_exporter_polls_total{result=\"success\"} 3"))
        #expect(lines(third.identity) == lines(text))
    }
}
