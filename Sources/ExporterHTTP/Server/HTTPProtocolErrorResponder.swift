import NIOCore
import NIOHTTP1

/// Answers requests the HTTP decoder cannot parse: `431` when the header fields are too large, `400` otherwise.
///
/// Like NIOHTTP1's `HTTPServerProtocolErrorHandler` (which always answers 400), it writes the response only when
/// no other response is under way, and lets the decoder close the connection after it.
final class HTTPProtocolErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let statistics: HTTPServerStatistics
    private var hasUnterminatedResponse = false

    init(statistics: HTTPServerStatistics) {
        self.statistics = statistics
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !self.hasUnterminatedResponse {
            let status: HTTPResponseStatus =
                parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            self.statistics.recordResponse(status: Int(clamping: status.code), bodyBytes: 0)
            let headers = HTTPHeaders([("Connection", "close"), ("Content-Length", "0")])
            let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
            self.hasUnterminatedResponse = true
            context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch Self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            self.hasUnterminatedResponse = true
        case .end:
            self.hasUnterminatedResponse = false
        case .head, .body:
            break
        }
        context.write(data, promise: promise)
    }
}
