import NIOCore

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

    /// Wraps rendered bytes, compressing them once.
    public init(exposition: [UInt8], renderedAt: Double, sampleCount: Int) {
        let identity = ByteBuffer(bytes: exposition)
        self.identity = identity
        self.gzip = try? GzipPrefix(compressing: identity)
        self.renderedAt = renderedAt
        self.sampleCount = sampleCount
    }
}
