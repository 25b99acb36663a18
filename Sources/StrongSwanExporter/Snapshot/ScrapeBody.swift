import NIOCore
import PrometheusExposition

/// The body of one scrape (of `/metrics` or `/probe`), as ``ScrapeResponseBuilder`` turns it into a response.
///
/// The main body is rendered and compressed once per poll by the agent and shared by every request
/// (``ByteBuffer`` is copy-on-write, so serving it copies nothing). ``suffix`` is a small per-request
/// tail (for example the exporter's own request counters) appended after the main body. When the client
/// accepts gzip and ``gzip`` is present, the response carries the precompressed ``GzipPrefix`` and, built per
/// request without compressing anything, the suffix in stored deflate blocks and the trailer: one gzip member
/// whose content is the main body followed by the suffix.
public struct ScrapeBody: Sendable {
    /// The uncompressed main body (produced on demand when the body was made with `lazyIdentity`).
    public var identity: ByteBuffer { identitySource() }
    private let identitySource: @Sendable () -> ByteBuffer
    /// The main body compressed as the start of a gzip member, or `nil` to always serve ``identity``.
    public var gzip: GzipPrefix?
    /// Uncompressed bytes appended after the main body in both encodings (may be empty; keep it small).
    public var suffix: ByteBuffer
    /// The `Content-Type` of the response.
    public var contentType: String

    /// Creates a scrape body.
    ///
    /// - Parameters:
    ///   - identity: the uncompressed main body.
    ///   - gzip: `identity` compressed as the start of a gzip member, if the agent prepared one.
    ///   - suffix: uncompressed bytes to append (stored in the gzip member per request when gzip is chosen).
    ///   - contentType: the response content type; defaults to the text format's (`ExpositionEncoder.contentType`).
    public init(
        identity: ByteBuffer,
        gzip: GzipPrefix? = nil,
        suffix: ByteBuffer = ByteBuffer(),
        contentType: String = ExpositionEncoder.contentType
    ) {
        self.init(lazyIdentity: { identity }, gzip: gzip, suffix: suffix, contentType: contentType)
    }

    /// Creates a scrape body whose uncompressed main body is produced only if a response needs it (a client
    /// that does not accept gzip, or no gzip prefix).
    ///
    /// - Parameters:
    ///   - lazyIdentity: produces the uncompressed main body; called at most once per response.
    ///   - gzip: the main body compressed as the start of a gzip member, if the agent prepared one.
    ///   - suffix: uncompressed bytes to append (stored in the gzip member per request when gzip is chosen).
    ///   - contentType: the response content type; defaults to the text format's (`ExpositionEncoder.contentType`).
    public init(
        lazyIdentity: @escaping @Sendable () -> ByteBuffer,
        gzip: GzipPrefix?,
        suffix: ByteBuffer = ByteBuffer(),
        contentType: String = ExpositionEncoder.contentType
    ) {
        self.identitySource = lazyIdentity
        self.gzip = gzip
        self.suffix = suffix
        self.contentType = contentType
    }

    /// The parts of the response body: gzip-encoded (`true`) when `acceptsGzip` and a gzip prefix exists,
    /// else the identity body and the suffix.
    public func parts(acceptsGzip: Bool) -> (parts: [ByteBuffer], gzip: Bool) {
        if acceptsGzip, let gzip {
            return ([gzip.bytes, gzip.completion(suffix: suffix)], true)
        }
        return (suffix.readableBytes > 0 ? [identity, suffix] : [identity], false)
    }
}
