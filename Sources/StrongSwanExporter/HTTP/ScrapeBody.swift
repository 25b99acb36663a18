import NIOCore

/// The body of one scrape, as the metrics responder hands it to the HTTP server.
///
/// The main body is rendered and compressed once per poll by the agent and shared by every request
/// (``ByteBuffer`` is copy-on-write, so serving it copies nothing). ``suffix`` is a small per-request
/// tail (for example the exporter's own request counters) appended after the main body. When the client
/// accepts gzip and ``gzip`` is present, the server sends ``gzip`` followed by a second gzip member holding
/// the suffix (in stored deflate blocks, built per request without zlib). Concatenated gzip members form one
/// valid gzip stream (RFC 1952 §2.2), which `gzip -d`, Python's `gzip` module and Go's `gzip.Reader`
/// (multistream by default) decode as the concatenation of both parts.
public struct ScrapeBody: Sendable {
    /// The exposition format version 0.0.4 text content type.
    public static let textContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The uncompressed main body.
    public var identity: ByteBuffer
    /// The main body compressed as one complete gzip member, or `nil` to always serve ``identity``.
    public var gzip: ByteBuffer?
    /// Uncompressed bytes appended after the main body in both encodings (may be empty; keep it small).
    public var suffix: ByteBuffer
    /// The `Content-Type` of the response.
    public var contentType: String

    /// Creates a scrape body.
    ///
    /// - Parameters:
    ///   - identity: the uncompressed main body.
    ///   - gzip: `identity` compressed as a complete gzip member, if the agent prepared one.
    ///   - suffix: uncompressed bytes to append (wrapped in a gzip member per request when gzip is chosen).
    ///   - contentType: the response content type; defaults to ``textContentType``.
    public init(
        identity: ByteBuffer,
        gzip: ByteBuffer? = nil,
        suffix: ByteBuffer = ByteBuffer(),
        contentType: String = ScrapeBody.textContentType
    ) {
        self.identity = identity
        self.gzip = gzip
        self.suffix = suffix
        self.contentType = contentType
    }
}
