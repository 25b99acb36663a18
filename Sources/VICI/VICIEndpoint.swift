/// Where charon's VICI socket listens, parsed from the URI forms charon and swanctl use.
///
/// - `unix:///var/run/charon.vici` (the default): a unix domain socket; everything after `unix://` is the path.
/// - `tcp://host:port`, `tcp://[::1]:4502`: a TCP socket (IPv6 literals in brackets).
public enum VICIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A unix domain socket at `path`.
    case unix(path: String)
    /// A TCP socket.
    case tcp(host: String, port: Int)

    /// charon's default socket, `unix:///var/run/charon.vici`.
    public static let `default` = VICIEndpoint.unix(path: "/var/run/charon.vici")

    /// Parses a URI; fails with ``VICIError/Code/invalidEndpoint`` and a message saying what is wrong.
    public init(parsing uri: String) throws(VICIError) {
        if uri.hasPrefix("unix://") {
            let path = String(uri.dropFirst("unix://".count))
            guard !path.isEmpty else { throw VICIError(.invalidEndpoint, "'\(uri)': empty unix socket path") }
            guard !path.utf8.contains(0) else {
                throw VICIError(.invalidEndpoint, "'\(uri)': unix socket path contains a NUL byte")
            }
            self = .unix(path: path)
        } else if uri.hasPrefix("tcp://") {
            let rest = Substring(uri.dropFirst("tcp://".count))
            let host: Substring
            let portText: Substring
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else {
                    throw VICIError(.invalidEndpoint, "'\(uri)': IPv6 address without closing ']'")
                }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let afterHost = rest[rest.index(after: close)...]
                guard afterHost.hasPrefix(":") else {
                    throw VICIError(.invalidEndpoint, "'\(uri)': expected ':port' after the address")
                }
                portText = afterHost.dropFirst()
            } else {
                guard let colon = rest.lastIndex(of: ":") else {
                    throw VICIError(.invalidEndpoint, "'\(uri)': missing ':port'")
                }
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
                guard !host.contains(":") else {
                    throw VICIError(.invalidEndpoint, "'\(uri)': IPv6 addresses must be written in brackets")
                }
            }
            guard !host.isEmpty else { throw VICIError(.invalidEndpoint, "'\(uri)': empty host") }
            guard let port = VICIMessage.parseUInt64(portText.utf8), port >= 1, port <= 65_535 else {
                throw VICIError(.invalidEndpoint, "'\(uri)': port must be a number from 1 to 65535")
            }
            self = .tcp(host: String(host), port: Int(port))
        } else {
            throw VICIError(.invalidEndpoint, "'\(uri)': expected unix:///path or tcp://host:port")
        }
    }

    /// The endpoint as a URI, e.g. `unix:///var/run/charon.vici` or `tcp://[::1]:4502`.
    public var description: String {
        switch self {
        case .unix(let path):
            return "unix://" + path
        case .tcp(let host, let port):
            return host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }
}
