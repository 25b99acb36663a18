import NIOCore
import NIOHTTP1

/// Reports each request head and each response end to ``HTTPConnectionGuard`` as ``HTTPConnectionEvent``s.
///
/// It sits after NIOHTTP1's pipelining handler, so it sees a pipelined request's head only when the server is
/// ready for it. The response end is reported *before* it is passed on, because passing it on can release the
/// next pipelined head synchronously, whose report must come second.
final class HTTPRequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = Self.unwrapInboundIn(data) {
            context.triggerUserOutboundEvent(HTTPConnectionEvent.requestHeadReceived, promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = Self.unwrapOutboundIn(data) {
            context.triggerUserOutboundEvent(HTTPConnectionEvent.responseCompleted, promise: nil)
        }
        context.write(data, promise: promise)
    }
}
