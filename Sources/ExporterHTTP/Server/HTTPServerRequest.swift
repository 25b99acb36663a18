import NIOCore
import NIOHTTP1

/// A request as the metrics HTTP server hands it to responders and routes: its head, split target, and peer.
///
/// Request bodies are never passed on (the server reads and discards at most
/// ``HTTPServerLimits/maxRequestBodyBytes`` of them).
public struct HTTPServerRequest: Sendable {
    /// The request head as decoded by NIOHTTP1.
    public var head: HTTPRequestHead
    /// The path of the request target, before any `?`, not percent-decoded (for an absolute-form target,
    /// the path after the authority).
    public var path: Substring
    /// The query of the request target after the first `?`, not percent-decoded (empty when there is none).
    public var query: Substring
    /// The peer's address, if known.
    public var remoteAddress: SocketAddress?
    /// The user that basic authentication admitted, when the web config requires it.
    public var authenticatedUser: String?

    /// Creates a request from a head, splitting the target into ``path`` and ``query``.
    public init(head: HTTPRequestHead, remoteAddress: SocketAddress? = nil, authenticatedUser: String? = nil) {
        self.head = head
        var uri = head.uri[...]
        // Absolute form (`GET http://host:9814/metrics`, RFC 9112 §3.2.2): keep only path and query.
        for scheme in ["http://", "https://"] where uri.lowercased().hasPrefix(scheme) {
            let afterScheme = uri.dropFirst(scheme.count)
            uri = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
        }
        if let mark = uri.firstIndex(of: "?") {
            self.path = uri[..<mark]
            self.query = uri[uri.index(after: mark)...]
        } else {
            self.path = uri
            self.query = Substring()
        }
        self.remoteAddress = remoteAddress
        self.authenticatedUser = authenticatedUser
    }

    /// The method.
    public var method: HTTPMethod { self.head.method }

    /// The percent-decoded (and `+` as space) values of the query parameter `name`, in order.
    ///
    /// Malformed percent escapes are kept literally; names are compared after decoding.
    public func queryValues(named name: String) -> [String] {
        var values: [String] = []
        for pair in self.query.split(separator: "&", omittingEmptySubsequences: true) {
            let key: Substring
            let value: Substring
            if let equals = pair.firstIndex(of: "=") {
                key = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                key = pair
                value = Substring()
            }
            if Self.formDecode(key) == name {
                values.append(Self.formDecode(value))
            }
        }
        return values
    }

    /// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte; invalid UTF-8 is repaired.
    static func formDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        var pending: [UInt8] = []
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                pending = [byte]
                guard let high = iterator.next() else { bytes += pending; break }
                pending.append(high)
                guard let low = iterator.next() else { bytes += pending; break }
                pending.append(low)
                if let h = Self.hexValue(high), let l = Self.hexValue(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes += pending
                }
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
