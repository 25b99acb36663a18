import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// What every connection of a ``MetricsHTTPServer`` shares: limits, router, counters, the open connections and
/// the current web config. It sets up each accepted channel and serves its requests.
final class HTTPServerContext: Sendable {
    /// A served connection: HTTP request parts in, response parts out.
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The outcome of accepting a connection.
    enum Admission: Sendable {
        /// Admitted and set up.
        case admitted(Connection)
        /// Over the connection cap, or shutting down: closed as soon as it is active.
        case rejected
    }

    let limits: HTTPServerLimits
    let router: HTTPRequestRouter
    let statistics: HTTPServerStatistics
    let registry: HTTPConnectionRegistry
    let logger: Logger
    private let webSecurity: Mutex<WebSecurityState>

    init(
        configuration: MetricsHTTPServerConfiguration,
        webConfig: WebConfig,
        responder: any MetricsResponder,
        statistics: HTTPServerStatistics,
        logger: Logger
    ) {
        self.limits = configuration.limits
        self.statistics = statistics
        self.router = HTTPRequestRouter(configuration: configuration, responder: responder, statistics: statistics)
        self.registry = HTTPConnectionRegistry(maxConnections: configuration.limits.maxConnections)
        self.logger = logger
        self.webSecurity = Mutex(WebSecurityState(webConfig))
    }

    /// The web config state in force now.
    var currentWebSecurity: WebSecurityState {
        self.webSecurity.withLock { $0 }
    }

    /// Replaces the web config state for connections and requests from now on.
    func replaceWebSecurity(_ state: WebSecurityState) {
        self.webSecurity.withLock { $0 = state }
    }

    // MARK: Accepting

    /// Sets up an accepted channel (on its event loop): TLS if configured, the guard, HTTP/1.1 handlers.
    func initializeChannel(_ channel: any Channel) -> EventLoopFuture<Admission> {
        channel.eventLoop.makeCompletedFuture { () throws -> Admission in
            let sync = channel.pipeline.syncOperations
            guard self.registry.admit(channel) else {
                self.statistics.recordConnectionRejected()
                try sync.addHandler(CloseOnActiveHandler())
                return .rejected
            }
            self.statistics.recordConnectionAccepted()
            channel.closeFuture.whenComplete { _ in self.statistics.recordConnectionClosed() }
            do {
                return try self.configurePipeline(of: channel)
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }
    }

    /// Adds the handlers of an admitted connection and wraps it for ``serve(_:)``.
    private func configurePipeline(of channel: any Channel) throws -> Admission {
        let sync = channel.pipeline.syncOperations
        if let tls = self.currentWebSecurity.tls {
            try sync.addHandler(tls.makeHandler())
        }
        try sync.addHandler(HTTPConnectionGuard(limits: self.limits, statistics: self.statistics))
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = self.limits.maxRequestHeadBytes
        decoderLimits.maxHeaderListSize = self.limits.maxRequestHeadBytes
        decoderLimits.maxHeaderFieldCount = 256
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withErrorHandling: false,
            withOutboundHeaderValidation: true,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: decoderLimits
        )
        try sync.addHandler(HTTPProtocolErrorResponder(statistics: self.statistics))
        try sync.addHandler(HTTPRequestProgressHandler())
        return .admitted(
            try Connection(
                wrappingChannelSynchronously: channel,
                configuration: .init(
                    inboundType: HTTPServerRequestPart.self,
                    outboundType: HTTPServerResponsePart.self
                )
            )
        )
    }

    // MARK: Serving

    /// Serves requests on `connection` until the client closes, asks to close, errs, or shutdown.
    func serve(_ connection: Connection) async {
        let channel = connection.channel
        let remoteAddress = channel.remoteAddress
        do {
            try await connection.executeThenClose { inbound, _ in
                var parts = inbound.makeAsyncIterator()
                while let part = try await parts.next() {
                    guard case .head(let head) = part else { continue }
                    var bodyBytes = 0
                    var bodyTooLarge = false
                    readBody: while true {
                        guard let next = try await parts.next() else { return }
                        switch next {
                        case .head:
                            return  // The decoder ends every request with `.end` first.
                        case .body(let chunk):
                            bodyBytes += chunk.readableBytes
                            if bodyBytes > self.limits.maxRequestBodyBytes {
                                bodyTooLarge = true
                                break readBody
                            }
                        case .end:
                            break readBody
                        }
                    }

                    let security = self.currentWebSecurity
                    let response: HTTPServerResponse
                    if bodyTooLarge {
                        response = .text("Payload Too Large\n", status: .payloadTooLarge)
                    } else {
                        let request = HTTPServerRequest(head: head, remoteAddress: remoteAddress)
                        response = await self.router.respond(to: request, security: security)
                    }
                    let keepAlive = head.isKeepAlive && !bodyTooLarge && !self.registry.isShuttingDown
                    try await self.write(
                        response,
                        to: head,
                        keepAlive: keepAlive,
                        extraHeaders: security.headers,
                        on: channel
                    )
                    if !keepAlive || self.registry.isShuttingDown { return }
                }
            }
        } catch {
            self.logger.debug("HTTP connection ended with an error", metadata: [
                "peer": "\(remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)",
            ])
        }
    }

    /// Writes a whole response and waits until it has been written to the socket.
    private func write(
        _ response: HTTPServerResponse,
        to request: HTTPRequestHead,
        keepAlive: Bool,
        extraHeaders: HTTPHeaders,
        on channel: any Channel
    ) async throws {
        var headers = response.headers
        for (name, value) in extraHeaders where !headers.contains(name: name) {
            headers.add(name: name, value: value)
        }
        let length = response.bodyLength
        headers.replaceOrAdd(name: "Content-Length", value: String(length))
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if request.version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let version: HTTPVersion = request.version == .http1_0 ? .http1_0 : .http1_1
        let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
        let sendsBody = request.method != .HEAD
        let body = sendsBody ? response.body : []
        self.statistics.recordResponse(status: Int(clamping: response.status.code), bodyBytes: sendsBody ? length : 0)
        let written = channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            for part in body where part.readableBytes > 0 {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(part)), promise: nil)
            }
            return channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        }
        try await written.get()
    }
}
