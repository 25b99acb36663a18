import NIOCore

/// Bounds the time and bytes a client may use before the server has a complete request head.
///
/// It sits on the plaintext bytes (after TLS, before the HTTP decoder) and keeps one timer per connection:
///
/// - from the connection's start (which includes the TLS handshake) until the first request head is
///   complete: ``HTTPServerLimits/requestHeadTimeout``;
/// - between requests (idle keep-alive): ``HTTPServerLimits/idleTimeout``, and once a byte of the next
///   request arrives, ``HTTPServerLimits/requestHeadTimeout`` again — so a client trickling a header
///   (slowloris) is cut off after the head timeout however slowly it sends;
/// - while a request is being answered: ``HTTPServerLimits/responseTimeout``.
///
/// It also counts the bytes received while a head is incomplete and answers `431` (then closes) when they pass
/// ``HTTPServerLimits/maxRequestHeadBytes`` plus room for the request line; the HTTP decoder limits the header
/// fields themselves. ``HTTPRequestProgressHandler`` reports heads and response ends with ``HTTPConnectionEvent``s.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Waiting for a complete request head; `bytes` received so far, `started` once any arrived.
        case awaitingHead(bytes: Int, started: Bool)
        /// Between requests.
        case idle
        /// A request is being answered.
        case processing
        /// Closed or closing.
        case closed
    }

    private let limits: HTTPServerLimits
    private let statistics: HTTPServerStatistics
    private var state: State = .awaitingHead(bytes: 0, started: false)
    private var timer: Scheduled<Void>?

    init(limits: HTTPServerLimits, statistics: HTTPServerStatistics) {
        self.limits = limits
        self.statistics = statistics
    }

    /// The most head bytes accepted: the header limit plus room for a request line of the same size.
    private var maxHeadBytes: Int { self.limits.maxRequestHeadBytes &* 2 }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.arm(context: context, after: self.limits.requestHeadTimeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimer()
        self.state = .closed
    }

    func channelActive(context: ChannelHandlerContext) {
        if self.timer == nil, case .awaitingHead = self.state {
            self.arm(context: context, after: self.limits.requestHeadTimeout)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimer()
        self.state = .closed
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = Self.unwrapInboundIn(data).readableBytes
        switch self.state {
        case .idle:
            self.state = .awaitingHead(bytes: count, started: true)
            self.arm(context: context, after: self.limits.requestHeadTimeout)
        case .awaitingHead(let bytes, _):
            self.state = .awaitingHead(bytes: bytes &+ count, started: true)
        case .processing, .closed:
            break
        }
        context.fireChannelRead(data)
        // The decoder ran synchronously: if the head is still incomplete, check its size.
        if case .awaitingHead(let bytes, _) = self.state, bytes > self.maxHeadBytes, context.channel.isActive {
            self.rejectOversizedHead(context: context)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? HTTPConnectionEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed(())
        switch (event, self.state) {
        case (_, .closed):
            break
        case (.requestHeadReceived, _):
            self.state = .processing
            self.arm(context: context, after: self.limits.responseTimeout)
        case (.responseCompleted, _):
            self.state = .idle
            self.arm(context: context, after: self.limits.idleTimeout)
        case (.shutdownRequested, .idle), (.shutdownRequested, .awaitingHead(_, started: false)):
            self.close(context: context)
        case (.shutdownRequested, _):
            // A request is under way: the server answers it with `Connection: close` and closes.
            break
        }
    }

    private func rejectOversizedHead(context: ChannelHandlerContext) {
        self.state = .closed
        self.cancelTimer()
        self.statistics.recordResponse(status: 431, bodyBytes: 0)
        let response = ByteBuffer(
            string: "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        context.writeAndFlush(Self.wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func arm(context: ChannelHandlerContext, after delay: TimeAmount) {
        self.cancelTimer()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.timer = nil
            self.statistics.recordTimeout()
            self.close(context: context)
        }
    }

    private func close(context: ChannelHandlerContext) {
        self.cancelTimer()
        self.state = .closed
        context.close(promise: nil)
    }

    private func cancelTimer() {
        self.timer?.cancel()
        self.timer = nil
    }
}
