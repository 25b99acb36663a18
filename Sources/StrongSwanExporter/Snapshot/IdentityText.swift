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
///
/// Whoever reads the text once usually reads it again (a `curl` loop, a scraper without gzip): so a text that
/// was read is reported by ``wasRead``, and the next snapshot keeps its text from the rendering instead of
/// inflating it again (see ``Snapshot/init(rendering:renderedAt:keepingIdentity:)``).
final class IdentityText: Sendable {
    private let gzip: GzipPrefix
    private let cached: Mutex<ByteBuffer?>
    private let read = Atomic<Bool>(false)

    /// Served in the impossible case that zlib cannot inflate what it deflated: a comment, so that a
    /// client sees why the body is empty instead of a silently empty exposition.
    static let inflationFailed = ByteBuffer(string: "# strongswan_exporter: the exposition could not be decompressed for this request; request it with Accept-Encoding: gzip\n")

    /// `text`: the text itself, if the caller keeps it resident from the start.
    init(gzip: GzipPrefix, text: ByteBuffer? = nil) {
        self.gzip = gzip
        self.cached = Mutex(text)
    }

    /// The text, inflated on first use.
    var bytes: ByteBuffer {
        read.store(true, ordering: .relaxed)
        return cached.withLock { cached in
            if let cached { return cached }
            let text = gzip.inflated() ?? Self.inflationFailed
            cached = text
            return text
        }
    }

    /// Whether the text is resident (kept from the start or inflated).
    var isInflated: Bool { cached.withLock { $0 != nil } }

    /// Whether ``bytes`` has been asked for.
    var wasRead: Bool { read.load(ordering: .relaxed) }
}
