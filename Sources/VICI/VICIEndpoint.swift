/// Where charon's VICI service listens: a unix socket path or a TCP host and port.
public enum VICIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A unix domain socket, e.g. `/var/run/charon.vici`.
    case unix(path: String)
    /// A TCP endpoint, e.g. `127.0.0.1:4502`.
    case tcp(host: String, port: Int)

    /// charon's default: `unix:///var/run/charon.vici`.
    public static let `default` = VICIEndpoint.unix(path: "/var/run/charon.vici")

    /// Parses `unix:///path` or `tcp://host:port` (`tcp://[::1]:4502` for IPv6); throws
    /// ``VICIError/Code/invalidEndpoint``.
    public init(uri: String) throws(VICIError) {
        if uri.hasPrefix("unix://") {
            let path = String(uri.dropFirst("unix://".count))
            guard path.hasPrefix("/"), path.utf8.count < 108 else {
                throw VICIError(.invalidEndpoint, "'\(uri)': a unix socket URI needs an absolute path shorter than 108 bytes")
            }
            self = .unix(path: path)
        } else if uri.hasPrefix("tcp://") {
            let rest = uri.dropFirst("tcp://".count)
            let host: Substring
            let portText: Substring
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                    throw VICIError(.invalidEndpoint, "'\(uri)': expected tcp://[ipv6]:port")
                }
                host = rest[rest.index(after: rest.startIndex)..<close]
                portText = rest[rest.index(close, offsetBy: 2)...]
            } else {
                guard let colon = rest.lastIndex(of: ":") else {
                    throw VICIError(.invalidEndpoint, "'\(uri)': expected tcp://host:port")
                }
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            }
            guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
                throw VICIError(.invalidEndpoint, "'\(uri)': expected tcp://host:port with a port 1-65535")
            }
            self = .tcp(host: String(host), port: port)
        } else {
            throw VICIError(.invalidEndpoint, "'\(uri)': expected unix:///path or tcp://host:port")
        }
    }

    /// The endpoint as a URI.
    public var description: String {
        switch self {
        case .unix(let path): return "unix://\(path)"
        case .tcp(let host, let port): return host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }
}
