import Foundation
import NIOCore
import NIOPosix
import StrongSwanExporter
import Testing

/// Serving on an already bound and listening descriptor, as systemd hands over, inside this process (the
/// descriptor number does not matter to the helper; `SystemdListenFDsTests` covers descriptor 3 in a child).
@Suite struct ServerBootstrapSystemdSocketTests {
    @Test func servesOnAnAdoptedListeningSocket() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = try GreetingServer.makeListener()
        let socket = SystemdListenFDs.Socket(descriptor: listener.descriptor, name: "metrics")
        #expect(socket.isListeningStreamSocket)
        async let served: Void = GreetingServer.serveOne(on: socket, group: group)
        let text = try await GreetingServer.read(port: listener.port, group: group)
        try await served
        #expect(text == GreetingServer.greeting(for: socket))
        try await group.shutdownGracefully()
    }

    @Test func refusesDescriptorsThatCannotServeAndLeavesThemOpen() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let notListening = try GreetingServer.makeLoopbackSocket()
        let file = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(file >= 0)
        defer {
            close(notListening)
            close(file)
        }
        for descriptor in [notListening, file] {
            let socket = SystemdListenFDs.Socket(descriptor: descriptor, name: "bad")
            #expect(!socket.isListeningStreamSocket)
            await #expect {
                _ = try await ServerBootstrap(group: group).bind(systemdSocket: socket) { channel in
                    channel.eventLoop.makeSucceededVoidFuture()
                }
            } throws: { error in
                (error as? SystemdError)?.code == .notAListeningStreamSocket
            }
            #expect {
                _ = try ServerBootstrap(group: group).withBoundSocket(systemdSocket: socket)
            } throws: { error in
                (error as? SystemdError)?.code == .notAListeningStreamSocket
            }
            #expect(fcntl(descriptor, F_GETFD) != -1, "a refused descriptor stays open")
        }
        try await group.shutdownGracefully()
    }
}
