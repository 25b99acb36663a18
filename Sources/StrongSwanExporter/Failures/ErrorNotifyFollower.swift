import ErrorNotify
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import VICI

/// Follows charon's error-notify socket (`--error-notify.socket`): a long-lived connection on which charon's
/// error-notify plugin writes one fixed-size record per alert (authentication failed, proposals did not
/// match, a peer did not answer, ...). Each batch of records read goes to the ``ExporterCore``, which counts
/// and logs them. Reconnects with capped backoff when charon goes away; when the socket is not there (the
/// plugin is not loaded) it says so in one log line and `strongswan_error_notify_up 0`, and everything else
/// works as before.
///
/// charon writes to its listeners while holding a lock, blocking: this follower reads continuously and
/// never keeps more than one read's records (the channel's backpressure bounds what is buffered).
public struct ErrorNotifyFollower: Service {
    /// A connected socket's bytes, in the order read; the sequence ends when charon closes the socket.
    public typealias Connect = @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, Never>

    let endpoint: VICIEndpoint
    let connect: Connect
    let core: ExporterCore
    let logger: Logger
    let minBackoff: Duration
    let maxBackoff: Duration

    /// Creates the follower of `endpoint`; `connect` opens it (``connector(to:timeout:)`` in production).
    public init(endpoint: VICIEndpoint, connect: @escaping Connect, core: ExporterCore, logger: Logger,
                minBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30)) {
        self.endpoint = endpoint
        self.connect = connect
        self.core = core
        self.logger = logger
        self.minBackoff = minBackoff
        self.maxBackoff = maxBackoff
    }

    /// Connects to a unix or TCP socket, within `timeout`.
    public static func connector(to endpoint: VICIEndpoint, timeout: Duration) -> Connect {
        return {
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
            let wrap: @Sendable (Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, Never>> = { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, Never>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8)))
                }
            }
            switch endpoint {
            case .unix(let path):
                return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: wrap)
            case .tcp(let host, let port):
                return try await bootstrap.connect(host: host, port: port, channelInitializer: wrap)
            }
        }
    }

    /// How long a connection must have stood for the next reconnect to start again at the shortest backoff.
    static let stableAfter: Duration = .seconds(1)

    /// Runs until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    func loop() async {
        let clock = ContinuousClock()
        var backoff = minBackoff
        var everConnected = false
        // Whether the current run of failed attempts has been logged (one line per run, not per attempt).
        var failureLogged = false
        while !Task.isCancelled {
            var connectedAt: ContinuousClock.Instant?
            do {
                let channel = try await connect()
                connectedAt = clock.now
                logger.info(everConnected ? "error-notify connection restored" : "following charon's error-notify socket",
                            metadata: ["endpoint": "\(endpoint)"])
                everConnected = true
                failureLogged = false
                await core.errorNotify(connected: true)
                try await channel.executeThenClose { inbound, _ in
                    var framer = ErrorNotifyFramer()
                    for try await buffer in inbound {
                        if Task.isCancelled { break }
                        var records: [ErrorNotifyRecord] = []
                        framer.feed(buffer.readableBytesView) { records.append($0) }
                        await core.record(errorNotify: records)
                    }
                }
                if !Task.isCancelled {
                    logger.warning("error-notify connection closed by charon", metadata: ["endpoint": "\(endpoint)"])
                    failureLogged = true
                }
            } catch {
                if Task.isCancelled { break }
                if connectedAt != nil {
                    logger.warning("error-notify connection lost", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                    // The attempts that follow (charon restarting) are covered by this line.
                    failureLogged = true
                } else if !failureLogged {
                    failureLogged = true
                    logger.warning(
                        "error-notify socket unavailable: failure reasons are not counted until it is (is charon's error-notify plugin loaded, and may the exporter open its socket?); retrying",
                        metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                }
            }
            await core.errorNotify(connected: false)
            if Task.isCancelled { break }
            // A connection that stood (charon restarted, or closed it after a while) resets the backoff; one
            // that is dropped at once is retried ever more slowly.
            if let connectedAt, clock.now - connectedAt >= Self.stableAfter { backoff = minBackoff }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, maxBackoff)
        }
    }
}
