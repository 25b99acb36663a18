import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A stand-in for charon's error-notify socket: a unix socket server that writes whatever bytes the test
/// hands it to every connected client (records, garbage, half records), and can hang up on them. For what a
/// real charon cannot be made to do; the lab tests use the real plugin.
public final class ErrorNotifyPeer: Sendable {
    /// The socket's path.
    public let path: String
    /// `unix://` and the socket's path.
    public var uri: String { "unix://" + path }
    private let directory: String
    private let serverChannel: Mutex<(any Channel)?>
    private final class Clients: Sendable {
        let open = Mutex<[ObjectIdentifier: any Channel]>([:])
        let accepted = Mutex(0)
    }
    private let clients = Clients()

    /// How many clients connected so far.
    public var connections: Int { clients.accepted.withLock { $0 } }
    /// How many clients are connected now.
    public var connected: Int { clients.open.withLock { $0.count } }

    /// Creates the peer's directory; listens only after ``listen()`` (so a test can start without the socket).
    public init() throws {
        // Under /tmp, not $TMPDIR: a unix socket path has at most 107 bytes.
        var template = Array("/tmp/enfy-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard created != nil else { throw POSIXError(.EIO) }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = directory + "/charon.enfy"
        serverChannel = Mutex(nil)
    }

    /// Starts listening (again, after ``stopListening()``).
    public func listen() async throws {
        let clients = self.clients
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                clients.open.withLock { $0[id] = channel }
                clients.accepted.withLock { $0 += 1 }
                channel.closeFuture.whenComplete { _ in _ = clients.open.withLock { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        serverChannel.withLock { $0 = channel }
    }

    /// Writes `bytes` to every connected client, in pieces of at most `chunk` bytes (each flushed on its own).
    public func send(_ bytes: [UInt8], chunk: Int = 65_536) async throws {
        let targets = clients.open.withLock { Array($0.values) }
        for channel in targets {
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + max(chunk, 1), bytes.count)
                try await channel.writeAndFlush(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
        }
    }

    /// Closes every client connection (charon going away), keeping the socket.
    public func hangUp() async {
        let targets = clients.open.withLock { Array($0.values) }
        for channel in targets { try? await channel.close() }
    }

    /// Stops listening, hangs up on every client and removes the socket file.
    public func stopListening() async {
        let channel = serverChannel.withLock { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        await hangUp()
        unlink(path)
    }

    /// ``stopListening()`` and removes the directory.
    public func stop() async {
        await stopListening()
        rmdir(directory)
    }
}
