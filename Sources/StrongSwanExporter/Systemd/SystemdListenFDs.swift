import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The listening sockets systemd passed to this process (socket activation, `sd_listen_fds(3)`).
///
/// When a `.socket` unit starts the service, systemd opens the sockets itself and hands them over as file
/// descriptors 3, 4, … (`SD_LISTEN_FDS_START`), announced by `LISTEN_FDS` and addressed to this process by
/// `LISTEN_PID`; `LISTEN_FDNAMES` carries their `FileDescriptorName=`s. ``fromEnvironment()`` reads them
/// with `sd_listen_fds_with_names`, which also marks them close-on-exec.
///
/// Wiring, for the agent: at start-up, before binding anything,
/// ```swift
/// let activation = try SystemdListenFDs.fromEnvironment()
/// if activation.sockets.isEmpty {
///     // not socket-activated: bind --web.listen-address as usual
/// } else {
///     // serve on every inherited socket instead of --web.listen-address (log that the flag is ignored)
///     for socket in activation.sockets {
///         let server = try await ServerBootstrap(group: group).bind(systemdSocket: socket) { … }
///     }
/// }
/// ```
/// The environment is not unset (changing it in a multi-threaded process is unsafe and the exporter starts
/// no children), so calling this twice returns the same descriptors: take them once.
public struct SystemdListenFDs: Sendable, Hashable {
    /// One inherited listening socket.
    public struct Socket: Sendable, Hashable {
        /// The file descriptor number (3 or more).
        public let descriptor: CInt
        /// Its `FileDescriptorName=` from `LISTEN_FDNAMES`; libsystemd reports `"unknown"` when none was given.
        public let name: String

        /// Describes an inherited socket (`descriptor` is not checked or touched).
        public init(descriptor: CInt, name: String) {
            self.descriptor = descriptor
            self.name = name
        }

        /// Whether the descriptor is a stream socket in listening state (`sd_is_socket(3)`), the only kind an
        /// HTTP server can accept connections on.
        public var isListeningStreamSocket: Bool {
            sd_is_socket(descriptor, AF_UNSPEC, CInt(bitPattern: SOCK_STREAM.rawValue), 1) > 0
        }
    }

    /// The inherited sockets in descriptor order; empty when the process was not socket-activated.
    public let sockets: [Socket]

    /// Wraps already known sockets.
    public init(sockets: [Socket]) {
        self.sockets = sockets
    }

    /// Reads the sockets systemd passed to this process.
    ///
    /// Returns no sockets when `LISTEN_FDS` is unset or `LISTEN_PID` names another process (the variables were
    /// meant for a parent). Throws ``SystemdError/Code/invalidListenEnvironment`` when the variables are meant
    /// for this process but malformed, or name descriptors that are not open.
    public static func fromEnvironment() throws(SystemdError) -> SystemdListenFDs {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(0, &names)
        defer { freeNames(names) }
        guard count >= 0 else {
            throw SystemdError(
                code: .invalidListenEnvironment,
                errno: Int32(clamping: count.magnitude),
                message: "LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES cannot be used"
            )
        }
        var sockets: [Socket] = []
        var offset: CInt = 0
        while offset < count {
            let name = names?[Int(offset)].map { String(cString: $0) } ?? "unknown"
            // No overflow: libsystemd refuses counts above INT_MAX - SD_LISTEN_FDS_START.
            sockets.append(Socket(descriptor: SD_LISTEN_FDS_START + offset, name: name))
            offset += 1
        }
        return SystemdListenFDs(sockets: sockets)
    }

    /// The first socket whose `FileDescriptorName=` is `name`.
    public func socket(named name: String) -> Socket? {
        sockets.first { $0.name == name }
    }

    /// Frees the `NULL`-terminated string array `sd_listen_fds_with_names` allocated.
    private static func freeNames(_ names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        guard let names else { return }
        var index = 0
        while let name = names[index] {
            free(name)
            index += 1
        }
        free(names)
    }
}
