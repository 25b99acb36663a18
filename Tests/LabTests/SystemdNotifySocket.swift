import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What systemd's manager does with `NOTIFY_SOCKET`, for a test: an AF_UNIX datagram socket in a temporary
/// directory that receives `sd_notify(3)` datagrams, timestamps each on arrival (CLOCK_MONOTONIC, read by a
/// background thread so that a burst read late does not look like a burst sent late) and records the sender's
/// pid from the kernel-supplied credentials (`SO_PASSCRED`), as systemd does for `NotifyAccess=main`.
final class SystemdNotifySocket: Sendable {
    /// One datagram.
    struct Notification: Sendable, CustomStringConvertible {
        /// Arrival, CLOCK_MONOTONIC seconds (``SystemdClock/now()``).
        let time: Double
        /// The sending process (`SCM_CREDENTIALS`), or -1 if the kernel attached none.
        let pid: pid_t
        /// The newline-separated `KEY=value` lines.
        let lines: [String]

        func contains(_ line: String) -> Bool { lines.contains(line) }

        /// The value of the first `key=` line.
        func value(_ key: String) -> String? {
            lines.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }

        var description: String { String(format: "%.3f", time) + " pid \(pid): " + lines.joined(separator: "|") }
    }

    /// The socket's path: the child's `NOTIFY_SOCKET`.
    let path: String
    private let directory: String
    private let descriptor: Int32
    private let received = Mutex<[Notification]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    // Linux values (not exported by Swift's Glibc module without _GNU_SOURCE).
    private static let soPassCred: Int32 = 16
    private static let scmCredentials: Int32 = 2

    init() throws {
        directory = try SystemdTemporaryDirectory.make(prefix: "notify")
        path = directory + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LabError("socket(AF_UNIX, SOCK_DGRAM): errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw LabError("path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            Glibc.close(descriptor)
            throw LabError("bind \(path): errno \(errno)")
        }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, Self.soPassCred, &on, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receiveLoop() }
        thread.name = "notify-socket"
        thread.start()
    }

    /// Everything received so far, in arrival order.
    var notifications: [Notification] { received.withLock { $0 } }

    /// Waits until a notification at or after index `from` satisfies `condition`; returns it and its index.
    @discardableResult
    func waitFor(
        _ what: String, from: Int = 0, timeout: Double, while alive: () -> Bool = { true },
        _ condition: (Notification) -> Bool
    ) throws -> (notification: Notification, index: Int) {
        let deadline = SystemdClock.now() + timeout
        while true {
            let all = notifications
            if from < all.count, let index = all[from...].firstIndex(where: condition) {
                return (all[index], index)
            }
            guard SystemdClock.now() < deadline else {
                throw LabError("timed out after \(timeout) s waiting for \(what); received: \(all)")
            }
            guard alive() else { throw LabError("the process exited while waiting for \(what); received: \(all)") }
            usleep(2_000)
        }
    }

    /// Stops the receiver thread, closes the socket and removes its directory.
    func close() {
        guard !stopRequested.exchange(true, ordering: .sequentiallyConsistent) else { return }
        finished.wait()
        Glibc.close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    deinit { close() }

    private func receiveLoop() {
        let bufferSize = 4096, controlSize = 256
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlSize, alignment: 8)
        defer {
            buffer.deallocate()
            control.deallocate()
            finished.signal()
        }
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            var vector = iovec(iov_base: buffer, iov_len: bufferSize)
            let (count, controlLength) = withUnsafeMutablePointer(to: &vector) { vectorPointer -> (Int, Int) in
                var header = msghdr()
                header.msg_iov = vectorPointer
                header.msg_iovlen = 1
                header.msg_control = control
                header.msg_controllen = controlSize
                let count = recvmsg(descriptor, &header, 0)
                return (count, Int(header.msg_controllen))
            }
            guard count >= 0 else { continue }   // EAGAIN after the 50 ms receive timeout, or EINTR
            let time = SystemdClock.now()
            let text = String(decoding: UnsafeRawBufferPointer(start: buffer, count: count), as: UTF8.self)
            let notification = Notification(
                time: time, pid: Self.senderPID(control: control, length: controlLength),
                lines: text.split(separator: "\n").map(String.init))
            received.withLock { $0.append(notification) }
        }
    }

    /// The pid of the `SCM_CREDENTIALS` control message (struct cmsghdr: size_t len, int level, int type, then
    /// the data aligned to size_t; struct ucred: pid, uid, gid).
    private static func senderPID(control: UnsafeMutableRawPointer, length: Int) -> pid_t {
        let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<Int32>.size
        var offset = 0
        while offset + headerSize <= length {
            let messageLength = control.load(fromByteOffset: offset, as: Int.self)
            let level = control.load(fromByteOffset: offset + MemoryLayout<Int>.size, as: Int32.self)
            let type = control.load(fromByteOffset: offset + MemoryLayout<Int>.size + 4, as: Int32.self)
            guard messageLength >= headerSize else { break }
            if level == SOL_SOCKET, type == scmCredentials, messageLength >= headerSize + 4 {
                return control.load(fromByteOffset: offset + headerSize, as: Int32.self)
            }
            offset += (messageLength + 7) & ~7
        }
        return -1
    }
}
