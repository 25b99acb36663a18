import Foundation
import NIOCore
import NIOPosix
import StrongSwanExporter

/// A tiny NIO server and client for the socket-activation tests: the server serves one connection on a
/// systemd-style inherited socket, sending a greeting that names the descriptor, and closes.
enum GreetingServer {
    /// What the server sends for `socket`.
    static func greeting(for socket: SystemdListenFDs.Socket) -> String {
        "hello from descriptor \(socket.descriptor) named \(socket.name)\n"
    }

    /// Serves one connection on `socket` through `ServerBootstrap.bind(systemdSocket:)`, then closes it.
    static func serveOne(on socket: SystemdListenFDs.Socket, group: any EventLoopGroup) async throws {
        let server = try await ServerBootstrap(group: group).bind(systemdSocket: socket) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        try await server.executeThenClose { connections in
            for try await connection in connections {
                try await connection.executeThenClose { _, outbound in
                    try await outbound.write(ByteBuffer(string: greeting(for: socket)))
                }
                break
            }
        }
    }

    /// Connects to 127.0.0.1:`port` and reads until the server closes.
    static func read(port: Int, group: any EventLoopGroup) async throws -> String {
        let client = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return try await client.executeThenClose { inbound, _ in
            var text = ""
            for try await buffer in inbound {
                text += String(buffer: buffer)
            }
            return text
        }
    }

    /// A TCP socket listening on 127.0.0.1 on a free port, as systemd would create for `ListenStream=`.
    static func makeListener() throws -> (descriptor: CInt, port: Int) {
        let descriptor = try makeLoopbackSocket()
        guard listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A TCP socket bound to 127.0.0.1 but not listening.
    static func makeLoopbackSocket() throws -> CInt {
        let descriptor = socket(AF_INET, CInt(bitPattern: SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        return descriptor
    }
}
