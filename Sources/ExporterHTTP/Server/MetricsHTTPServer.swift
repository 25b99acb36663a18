import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The exporter's HTTP/1.1 server: metrics on the telemetry path, a landing page on `/`, extra routes, with
/// optional TLS and basic authentication from the web config.
///
/// Use:
///
/// ```swift
/// let server = try await MetricsHTTPServer.bind(
///     configuration: MetricsHTTPServerConfiguration(listenAddresses: [try ListenAddress(parsing: ":9814")]),
///     webConfig: try WebConfig.load(path: path),          // or WebConfig() without --web.config.file
///     responder: responder,                               // a MetricsResponder: the telemetry path's answers
///     statistics: counters,                               // let counters = HTTPServerStatistics()
///     logger: logger
/// )
/// // server.localAddresses: the bound addresses (port 0 resolved)
/// // serve: try await server.serve(); stop: server.beginGracefulShutdown()
/// // on SIGHUP: server.reload(webConfig: try WebConfig.load(path: path))
/// ```
///
/// Binding happens in ``bind(configuration:webConfig:responder:statistics:logger:eventLoopGroup:)`` so that a taken port
/// fails start-up; ``serve()`` then serves until graceful shutdown (or cancellation). Graceful shutdown stops
/// accepting, closes idle keep-alive connections at once, lets requests under way finish (their responses carry
/// `Connection: close`), and after ``HTTPServerLimits/shutdownGracePeriod`` closes whatever is left.
public final class MetricsHTTPServer: Sendable {
    private typealias Listener = NIOAsyncChannel<HTTPServerContext.Admission, Never>

    /// The server's counters, for self-metrics.
    public let statistics: HTTPServerStatistics
    /// The addresses the server listens on, in the order of the configuration (actual ports when 0 was asked).
    public let localAddresses: [SocketAddress]

    private let context: HTTPServerContext
    private let listeners: [Listener]
    private let eventLoopGroup: any EventLoopGroup
    private let shutdownBegun = Mutex(false)

    private init(
        context: HTTPServerContext,
        listeners: [Listener],
        localAddresses: [SocketAddress],
        eventLoopGroup: any EventLoopGroup
    ) {
        self.context = context
        self.statistics = context.statistics
        self.listeners = listeners
        self.localAddresses = localAddresses
        self.eventLoopGroup = eventLoopGroup
    }

    /// Binds every listen address (or adopts every bound socket) of `configuration`, ready for ``serve()``.
    ///
    /// - Parameters:
    ///   - configuration: addresses, paths, routes and limits.
    ///   - webConfig: TLS, headers and users in force at start (``WebConfig/init(tls:headers:basicAuthUsers:warnings:)``
    ///     with no arguments for none); see ``reload(webConfig:)``.
    ///   - responder: answers each scrape of the telemetry path.
    ///   - statistics: the counters to update; pass your own when the responder or a route renders them (for
    ///     example into its metrics), since those are made before the server exists.
    ///   - logger: where connection errors are logged (at debug level).
    ///   - eventLoopGroup: the NIO event loops; the process-wide singleton by default.
    /// - Throws: ``HTTPServerBindError`` for the first address that cannot be bound (those bound before are closed),
    ///   or ``ListenAddressError`` if there is no address.
    public static func bind(
        configuration: MetricsHTTPServerConfiguration,
        webConfig: WebConfig = WebConfig(),
        responder: any MetricsResponder,
        statistics: HTTPServerStatistics = HTTPServerStatistics(),
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> MetricsHTTPServer {
        guard !configuration.listenAddresses.isEmpty else {
            throw ListenAddressError(value: "", reason: "no listen address given")
        }
        let context = HTTPServerContext(
            configuration: configuration,
            webConfig: webConfig,
            responder: responder,
            statistics: statistics,
            logger: logger
        )
        var listeners: [Listener] = []
        var addresses: [SocketAddress] = []
        do {
            for address in configuration.listenAddresses {
                let listener = try await Self.bind(address, context: context, group: eventLoopGroup)
                listeners.append(listener)
                if let local = listener.channel.localAddress { addresses.append(local) }
            }
        } catch {
            for listener in listeners {
                try? await listener.channel.close()
            }
            throw error
        }
        return MetricsHTTPServer(
            context: context,
            listeners: listeners,
            localAddresses: addresses,
            eventLoopGroup: eventLoopGroup
        )
    }

    private static func bind(
        _ address: ListenAddress,
        context: HTTPServerContext,
        group: any EventLoopGroup
    ) async throws -> Listener {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<HTTPServerContext.Admission> = { channel in
            context.initializeChannel(channel)
        }
        do {
            switch address {
            case .boundSocket(let descriptor):
                return try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
            case .tcp(let host, let port) where host.isEmpty:
                // Every interface: IPv6 wildcard (NIO clears IPV6_V6ONLY, so IPv4 is served too), else IPv4.
                do {
                    let any6 = try SocketAddress(ipAddress: "::", port: port)
                    return try await bootstrap.bind(to: any6, childChannelInitializer: initializer)
                } catch {
                    let any4 = try SocketAddress(ipAddress: "0.0.0.0", port: port)
                    return try await bootstrap.bind(to: any4, childChannelInitializer: initializer)
                }
            case .tcp(let host, let port):
                let socketAddress = try SocketAddress.makeAddressResolvingHost(host, port: port)
                return try await bootstrap.bind(to: socketAddress, childChannelInitializer: initializer)
            }
        } catch {
            throw HTTPServerBindError(address: address, underlying: error)
        }
    }

    /// Serves until graceful shutdown (``beginGracefulShutdown()``) completes or the task is cancelled (which
    /// closes everything at once).
    ///
    /// Call it once. The listeners are bound from ``bind(configuration:webConfig:responder:statistics:logger:eventLoopGroup:)``
    /// on; a server that is never served should be shut down with ``beginGracefulShutdown()`` to close them.
    public func serve() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for listener in self.listeners {
                    group.addTask { await self.accept(on: listener) }
                }
            }
        } onCancel: {
            self.closeNow()
        }
    }

    /// Starts graceful shutdown.
    ///
    /// Idempotent. ``serve()`` returns once every connection has closed, at the latest after
    /// ``HTTPServerLimits/shutdownGracePeriod``.
    public func beginGracefulShutdown() {
        let first = self.shutdownBegun.withLock { begun -> Bool in
            defer { begun = true }
            return !begun
        }
        guard first else { return }
        self.context.registry.beginShutdown()
        for listener in self.listeners {
            listener.channel.close(promise: nil)
        }
        let registry = self.context.registry
        self.eventLoopGroup.next().scheduleTask(in: self.context.limits.shutdownGracePeriod) {
            registry.closeAll()
        }
    }

    /// Replaces TLS, headers and users: connections accepted from now on use the new TLS context, requests decoded
    /// from now on the new users and headers. Connections already open keep their TLS session.
    ///
    /// Load the file first with ``WebConfig/load(path:)``; when that throws, keep serving with the old config.
    public func reload(webConfig: WebConfig) {
        self.context.replaceWebSecurity(WebSecurityState(webConfig))
    }

    private func closeNow() {
        self.shutdownBegun.withLock { $0 = true }
        for listener in self.listeners {
            listener.channel.close(promise: nil)
        }
        self.context.registry.closeAll()
    }

    private func accept(on listener: Listener) async {
        do {
            try await listener.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await admission in inbound {
                            guard case .admitted(let connection) = admission else { continue }
                            group.addTask { await self.context.serve(connection) }
                        }
                    } catch {
                        if !self.shutdownBegun.withLock({ $0 }) {
                            self.context.logger.error("HTTP listener stopped accepting", metadata: ["error": "\(error)"])
                        }
                    }
                    // The listener is closed: wait for the open connections (at shutdown, the grace timer closes
                    // the stragglers), then cancel request handlers that are still running on closed connections.
                    await self.context.registry.waitUntilEmpty()
                    group.cancelAll()
                }
            }
        } catch {
            self.context.logger.debug("HTTP listener closed with an error", metadata: ["error": "\(error)"])
        }
    }
}
