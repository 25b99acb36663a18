import CompressNIO
import NIOCore

/// One poll's exposition, rendered once: the identity bytes and their gzip copy, served unchanged to every
/// scrape until the next poll (or event) replaces it.
public struct Snapshot: Sendable {
    /// The exposition text (Prometheus text format 0.0.4).
    public let identity: ByteBuffer
    /// The same bytes gzip-compressed, or `nil` if compression failed (scrapes then get identity).
    public let gzip: ByteBuffer?
    /// Unix time at which it was rendered.
    public let renderedAt: Double
    /// Number of samples in it.
    public let sampleCount: Int

    /// Wraps rendered bytes, compressing them once.
    public init(exposition: [UInt8], renderedAt: Double, sampleCount: Int) {
        var identity = ByteBuffer(bytes: exposition)
        self.identity = identity
        self.gzip = try? identity.compress(with: .gzip())
        self.renderedAt = renderedAt
        self.sampleCount = sampleCount
    }

    /// gzip-compresses `bytes` as a complete gzip member (for appending a per-scrape suffix to ``gzip``:
    /// concatenated gzip members form a valid gzip stream).
    public static func gzipMember(_ bytes: [UInt8]) -> ByteBuffer? {
        var buffer = ByteBuffer(bytes: bytes)
        return try? buffer.compress(with: .gzip())
    }
}
