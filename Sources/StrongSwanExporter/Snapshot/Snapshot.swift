import NIOCore
import PrometheusExposition

/// One poll's exposition, rendered once and kept compressed: served unchanged to every scrape until the next
/// poll (or event) replaces it.
///
/// Only the gzip copy is kept; the text is inflated again on the first scrape that does not accept gzip
/// (see ``IdentityText``), unless the snapshot was created keeping it because such scrapes read the previous
/// one. If compression fails, the text is kept instead and every scrape gets identity.
public struct Snapshot: Sendable {
    /// The exposition as gzip, the start of a member each scrape completes with its suffix; `nil` if
    /// compression failed (scrapes then get identity).
    public let gzip: GzipPrefix?
    /// Unix time at which it was rendered.
    public let renderedAt: Double
    /// Number of samples in it.
    public let sampleCount: Int
    /// Length of the uncompressed exposition in bytes.
    public let byteCount: Int

    private enum Text: Sendable {
        case stored(ByteBuffer)
        case inflatedOnDemand(IdentityText)
    }
    private let text: Text

    /// The exposition text (Prometheus text format 0.0.4); inflated from ``gzip`` on first use.
    public var identity: ByteBuffer {
        switch text {
        case .stored(let bytes): bytes
        case .inflatedOnDemand(let identity): identity.bytes
        }
    }

    /// Whether the text is resident: always when compression failed, else once an identity scrape asked.
    var isIdentityResident: Bool {
        switch text {
        case .stored: true
        case .inflatedOnDemand(let identity): identity.isInflated
        }
    }

    /// Whether a scrape has asked for the text of this snapshot (always true when no gzip copy exists).
    public var identityWasRead: Bool {
        switch text {
        case .stored: true
        case .inflatedOnDemand(let identity): identity.wasRead
        }
    }

    /// Wraps a rendered exposition, compressing it once and keeping only the compressed copy, or both with
    /// `keepingIdentity`.
    public init(identity: ByteBuffer, renderedAt: Double, sampleCount: Int, keepingIdentity: Bool = false) {
        let gzip = try? GzipPrefix(compressing: identity)
        self.gzip = gzip
        self.text = gzip.map { .inflatedOnDemand(IdentityText(gzip: $0, text: keepingIdentity ? identity : nil)) }
            ?? .stored(identity)
        self.renderedAt = renderedAt
        self.sampleCount = sampleCount
        self.byteCount = identity.readableBytes
    }

    /// Renders `metrics` straight into a network buffer and compresses it once; the buffer is released
    /// when this returns (unless compression failed, or `keepingIdentity`: then a right-sized copy is kept).
    public init(rendering metrics: MetricSet, renderedAt: Double, keepingIdentity: Bool = false) {
        let bound = metrics.maximumEncodedByteCount
        var identity = ByteBufferAllocator().buffer(capacity: bound)
        identity.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { metrics.encode(into: $0) }
        if keepingIdentity {
            // Kept: not `bound` bytes of capacity for the snapshot's lifetime.
            identity = ByteBufferAllocator().buffer(buffer: identity)
        }
        self.init(identity: identity, renderedAt: renderedAt, sampleCount: metrics.sampleCount,
                  keepingIdentity: keepingIdentity)
    }
}
