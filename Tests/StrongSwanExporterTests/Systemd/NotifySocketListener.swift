import Foundation

/// A real `AF_UNIX`/`SOCK_DGRAM` socket bound in a fresh temporary directory, standing in for systemd's
/// notification socket: set ``path`` as `NOTIFY_SOCKET` and read what `sd_notify` sent.
final class NotifySocketListener {
    let path: String
    private let directory: String
    private let descriptor: CInt

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/ssx-notify.XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        directory = String(cString: created)
        path = directory + "/notify.sock"
        descriptor = socket(AF_UNIX, CInt(bitPattern: SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram, waiting at most `timeoutMilliseconds` for it; `nil` if none came.
    func receive(timeoutMilliseconds: CInt = 5_000) -> String? {
        var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pollDescriptor, 1, timeoutMilliseconds) == 1 else { return nil }
        return receiveIfQueued()
    }

    /// A datagram already queued, without waiting; `nil` if there is none. `sd_notify` has sent its datagram
    /// by the time it returns, so this is how a test proves that nothing was sent.
    func receiveIfQueued() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, CInt(MSG_DONTWAIT))
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
