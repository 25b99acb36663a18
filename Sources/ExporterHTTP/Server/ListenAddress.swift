import NIOCore

/// Where the metrics HTTP server accepts connections: a TCP address to bind, or a socket that is already bound.
///
/// Values of `--web.listen-address` are parsed with ``init(parsing:)``:
///
/// | text | meaning |
/// | --- | --- |
/// | `:9814` | every interface, IPv6 and IPv4 (dual stack where the host allows, else IPv4 only) |
/// | `0.0.0.0:9814` | every IPv4 interface |
/// | `[::]:9814` | every interface (dual stack, as NIO clears `IPV6_V6ONLY`) |
/// | `127.0.0.1:9814`, `[::1]:9814` | one address |
/// | `localhost:9814` | the first address the name resolves to when the server binds |
///
/// A socket handed over by systemd socket activation is ``boundSocket(descriptor:)``.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// A TCP address to bind: `host` is an IP literal (no brackets) or a host name, or empty for every interface.
    case tcp(host: String, port: Int)
    /// A listening stream socket that is already bound (for example passed by systemd); the server takes ownership.
    case boundSocket(descriptor: CInt)

    /// Parses one `--web.listen-address` value (`host:port`, `[v6]:port` or `:port`).
    ///
    /// - Throws: ``ListenAddressError`` naming the value when the port is missing or not in 0...65535,
    ///   or an IPv6 literal is not in brackets.
    public init(parsing text: String) throws(ListenAddressError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ListenAddressError(value: text, reason: "missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                throw ListenAddressError(value: text, reason: "expected ':port' after ']'")
            }
            portText = rest.dropFirst()
            guard !host.isEmpty else {
                throw ListenAddressError(value: text, reason: "empty address in brackets")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ListenAddressError(value: text, reason: "missing ':port'")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ListenAddressError(value: text, reason: "an IPv6 address must be written in brackets, as [::1]:9814")
            }
        }
        guard let port = Self.parsePort(portText) else {
            throw ListenAddressError(value: text, reason: "the port must be a number from 0 to 65535")
        }
        if host.contains(where: { $0 == " " || $0 == "/" || $0 == "[" || $0 == "]" }) {
            throw ListenAddressError(value: text, reason: "invalid host")
        }
        self = .tcp(host: String(host), port: port)
    }

    /// The address in the form ``init(parsing:)`` reads, or `fd:N` for a bound socket.
    public var description: String {
        switch self {
        case .tcp(let host, let port):
            if host.contains(":") { return "[\(host)]:\(port)" }
            return "\(host):\(port)"
        case .boundSocket(let descriptor):
            return "fd:\(descriptor)"
        }
    }

    private static func parsePort(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5 else { return nil }
        var value = 0
        for character in text.utf8 {
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(character - UInt8(ascii: "0"))
        }
        return value <= 65535 ? value : nil
    }
}
