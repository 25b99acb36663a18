import NIOCore
import NIOHTTP1

/// A complete response that a route returns to the metrics HTTP server.
///
/// The server adds `Content-Length`, `Connection`, the web config's extra headers, and drops the body for `HEAD`.
public struct HTTPServerResponse: Sendable {
    /// The status.
    public var status: HTTPResponseStatus
    /// Headers to send (framing headers are set by the server).
    public var headers: HTTPHeaders
    /// The body parts, sent in order (several parts avoid copying shared buffers).
    public var body: [ByteBuffer]

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: [ByteBuffer] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response (`text/plain; charset=utf-8`).
    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPServerResponse {
        HTTPServerResponse(
            status: status,
            headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
            body: [ByteBuffer(string: text)]
        )
    }

    /// The total body length in bytes.
    public var bodyLength: Int {
        self.body.reduce(0) { $0 + $1.readableBytes }
    }
}
