import NIOCore

/// Closes a connection as soon as it becomes active: the whole pipeline of a rejected connection.
final class CloseOnActiveHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            context.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
