import NIOCore
import NIOPosix

extension ServerBootstrap {
    /// Serves on a listening socket inherited from systemd (see ``SystemdListenFDs``), the async way.
    ///
    /// The same as `bind(host:port:…)` except that no socket is created or bound: NIO adopts the descriptor
    /// and closes it when the server channel closes. The descriptor is checked first, because NIO treats a
    /// descriptor it cannot register as a programming error (it traps).
    ///
    /// - Throws: ``SystemdError/Code/notAListeningStreamSocket`` (the descriptor is left alone), or NIO's
    ///   errors.
    public func bind<Output: Sendable>(
        systemdSocket socket: SystemdListenFDs.Socket,
        serverBackPressureStrategy: NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark? = nil,
        childChannelInitializer: @escaping @Sendable (Channel) -> EventLoopFuture<Output>
    ) async throws -> NIOAsyncChannel<Output, Never> {
        try Self.requireListeningStreamSocket(socket)
        return try await bind(
            socket.descriptor,
            serverBackPressureStrategy: serverBackPressureStrategy,
            childChannelInitializer: childChannelInitializer
        )
    }

    /// Serves on a listening socket inherited from systemd (see ``SystemdListenFDs``), the future way: a
    /// checked `withBoundSocket(_:)`.
    ///
    /// NIO adopts the descriptor and closes it when the server channel closes.
    ///
    /// - Throws: ``SystemdError/Code/notAListeningStreamSocket`` when the descriptor is not a listening stream
    ///   socket (it is left alone then).
    public func withBoundSocket(systemdSocket socket: SystemdListenFDs.Socket) throws -> EventLoopFuture<Channel> {
        try Self.requireListeningStreamSocket(socket)
        return withBoundSocket(socket.descriptor)
    }

    private static func requireListeningStreamSocket(_ socket: SystemdListenFDs.Socket) throws(SystemdError) {
        guard socket.isListeningStreamSocket else {
            throw SystemdError(
                code: .notAListeningStreamSocket,
                message: "inherited descriptor \(socket.descriptor) (\(socket.name)) is not a listening stream socket"
            )
        }
    }
}
