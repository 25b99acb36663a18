import NIOCore
import Synchronization

/// The uncompressed exposition of a ``Snapshot``, inflated from its gzip copy the first time a scrape without
/// `Accept-Encoding: gzip` asks for it, then kept for the snapshot's lifetime.
///
/// A snapshot used to hold the text and its gzip copy side by side. Prometheus always asks for gzip, so the
/// text (7 MB at 1,000 lab tunnels, 98 MB at 50,000 SAs; the gzip copy is ~20 times smaller) was resident
/// memory that only the occasional `curl` used. The first identity scrape of a snapshot pays the inflation
/// (zlib, a few hundred MB/s) while holding the lock, so concurrent identity scrapes of the same snapshot wait
/// for it and share the result; the text is released with the snapshot, at the next poll or event.
final class IdentityText: Sendable {
    private let gzip: GzipPrefix
    private let cached = Mutex<ByteBuffer?>(nil)

    /// Served in the impossible case that zlib cannot inflate what it deflated: a comment, so that a
    /// client sees why the body is empty instead of a silently empty exposition.
    static let inflationFailed = ByteBuffer(string: "# strongswan_exporter: the exposition could not be decompressed for this request; request it with Accept-Encoding: gzip\n")

    init(gzip: GzipPrefix) { self.gzip = gzip }

    /// The text, inflated on first use.
    var bytes: ByteBuffer {
        cached.withLock { cached in
            if let cached { return cached }
            let text = gzip.inflated() ?? Self.inflationFailed
            cached = text
            return text
        }
    }

    /// Whether the text has been inflated (for tests).
    var isInflated: Bool { cached.withLock { $0 != nil } }
}
