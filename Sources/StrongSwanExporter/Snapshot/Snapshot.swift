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

    /// Renders `metrics` and compresses it once. Without `keepingIdentity` the text is rendered family by
    /// family into a small buffer and each piece is compressed at once (``GzipPrefix/init(streaming:expectedLength:)``),
    /// so no buffer as large as the whole text is faulted in and released at every poll (at 1,000 tunnels
    /// that buffer was about 4 MB of fresh pages per rendering). With `keepingIdentity`, or should compression
    /// fail, the text is rendered whole into a network buffer and a right-sized copy is kept.
    public init(rendering metrics: MetricSet, renderedAt: Double, keepingIdentity: Bool = false) {
        if !keepingIdentity, let gzip = Self.renderCompressed(metrics) {
            self.init(compressed: gzip, renderedAt: renderedAt, sampleCount: metrics.sampleCount)
            return
        }
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

    /// A snapshot of an exposition already compressed (its text inflated on demand).
    private init(compressed gzip: GzipPrefix, renderedAt: Double, sampleCount: Int) {
        self.gzip = gzip
        self.text = .inflatedOnDemand(IdentityText(gzip: gzip))
        self.renderedAt = renderedAt
        self.sampleCount = sampleCount
        self.byteCount = gzip.length
    }

    /// Pieces of text handed to zlib at once: several small families share one; a family larger than this is
    /// rendered alone into a buffer of its own size.
    static let renderChunk = 64 * 1024

    /// The gzip copy of `metrics`' text, rendered in pieces of about ``renderChunk`` bytes (whole families)
    /// and compressed as they come; `nil` if zlib fails.
    static func renderCompressed(_ metrics: MetricSet) -> GzipPrefix? {
        var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: renderChunk, alignment: 16)
        defer { scratch.deallocate() }
        return try? GzipPrefix(streaming: { feed in
            var used = 0
            for family in metrics.families {
                let one = [family]
                let bound = ExpositionEncoder.maximumEncodedByteCount(one)
                guard bound > 0 else { continue }
                if used + bound > scratch.count, used > 0 {
                    feed(UnsafeRawBufferPointer(rebasing: scratch[..<used]))
                    used = 0
                }
                if bound > scratch.count {
                    scratch.deallocate()
                    scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 16)
                }
                used += ExpositionEncoder.encode(one, into: UnsafeMutableRawBufferPointer(rebasing: scratch[used...]))
            }
            if used > 0 { feed(UnsafeRawBufferPointer(rebasing: scratch[..<used])) }
        }, expectedLength: metrics.maximumEncodedByteCount)
    }
}
