/// The gzip decision for one request, from its `Accept-Encoding` header fields (RFC 9110 §12.5.3).
///
/// `gzip` (or its alias `x-gzip`) with a non-zero q-value allows gzip; `gzip;q=0` forbids it even when
/// `*` allows everything else; without a `gzip` entry, `*` with a non-zero q-value allows it. A missing
/// header means identity (servers may send any coding then, but identity is what a client that sent
/// nothing most surely reads). Malformed q-values count as 0 for that entry.
public struct AcceptEncoding: Sendable, Hashable {
    /// Whether a gzip body is acceptable.
    public var allowsGzip: Bool

    /// Parses the values of every `Accept-Encoding` field of a request.
    public init<Values: Sequence>(headerValues: Values) where Values.Element == String {
        var gzipQuality: Int? = nil
        var wildcardQuality: Int? = nil
        for value in headerValues {
            for element in value.split(separator: ",") {
                var parameters = element.split(separator: ";").makeIterator()
                guard let rawCoding = parameters.next() else { continue }
                let coding = rawCoding.trimmingHTTPWhitespace().lowercased()
                var quality = 1000
                while let parameter = parameters.next() {
                    let trimmed = parameter.trimmingHTTPWhitespace()
                    guard trimmed.count >= 2,
                        trimmed.first == "q" || trimmed.first == "Q",
                        trimmed.dropFirst().first == "="
                    else { continue }
                    quality = Self.parseQuality(trimmed.dropFirst(2)) ?? 0
                }
                switch coding {
                case "gzip", "x-gzip":
                    gzipQuality = max(gzipQuality ?? 0, quality)
                case "*":
                    wildcardQuality = max(wildcardQuality ?? 0, quality)
                default:
                    continue
                }
            }
        }
        if let gzipQuality {
            self.allowsGzip = gzipQuality > 0
        } else if let wildcardQuality {
            self.allowsGzip = wildcardQuality > 0
        } else {
            self.allowsGzip = false
        }
    }

    /// Parses a qvalue (`0`, `0.5`, `1`, `1.000`) into thousandths; `nil` if malformed.
    static func parseQuality(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        if bytes.count == 1 { return value }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in bytes.dropFirst(2) {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
    public func trimmingHTTPWhitespace() -> Substring {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = self.firstIndex(where: { !isWhitespace($0) }),
            let end = self.lastIndex(where: { !isWhitespace($0) })
        else { return Substring() }
        return Substring(self[start...end])
    }
}
