import NIOCore
import PrometheusExposition

/// One poll's exposition, rendered once: the identity bytes and their gzip copy, served unchanged to every
/// scrape until the next poll (or event) replaces it.
public struct Snapshot: Sendable {
    /// The exposition text (Prometheus text format 0.0.4).
    public let identity: ByteBuffer
    /// The same bytes deflated as the start of a gzip member (each scrape completes it with its suffix), or
    /// `nil` if compression failed (scrapes then get identity).
    public let gzip: GzipPrefix?
    /// Unix time at which it was rendered.
    public let renderedAt: Double
    /// Number of samples in it.
    public let sampleCount: Int

    /// Wraps a rendered exposition, compressing it once.
    public init(identity: ByteBuffer, renderedAt: Double, sampleCount: Int) {
        self.identity = identity
        self.gzip = try? GzipPrefix(compressing: identity)
        self.renderedAt = renderedAt
        self.sampleCount = sampleCount
    }

    /// Renders `metrics` straight into a network buffer (the text is written once, never copied) and
    /// compresses it once.
    public init(rendering metrics: MetricSet, renderedAt: Double) {
        let bound = metrics.maximumEncodedByteCount
        var identity = ByteBufferAllocator().buffer(capacity: bound)
        identity.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { metrics.encode(into: $0) }
        self.init(identity: identity, renderedAt: renderedAt, sampleCount: metrics.sampleCount)
    }
}
