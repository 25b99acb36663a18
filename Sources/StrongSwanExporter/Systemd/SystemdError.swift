#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failure of the systemd integration: an unusable socket-activation environment or inherited descriptor.
public struct SystemdError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// `LISTEN_FDS`/`LISTEN_PID`/`LISTEN_FDNAMES` are set for this process but malformed or inconsistent
        /// (`sd_listen_fds_with_names(3)` failed).
        case invalidListenEnvironment
        /// An inherited descriptor is not a listening stream socket, so it cannot serve HTTP.
        case notAListeningStreamSocket
    }

    /// What went wrong.
    public let code: Code
    /// The errno libsystemd reported, if any.
    public let errno: Int32?
    /// A human-readable explanation.
    public let message: String

    /// Creates an error.
    public init(code: Code, errno: Int32? = nil, message: String) {
        self.code = code
        self.errno = errno
        self.message = message
    }

    /// The message, with the errno's text when there is one.
    public var description: String {
        guard let errno else { return message }
        return "\(message): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
