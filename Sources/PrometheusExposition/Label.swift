/// One label of a sample: a name and a value.
///
/// Label names must match `[a-zA-Z_][a-zA-Z0-9_]*` and must not start with `__` (reserved for
/// Prometheus-internal labels); see ``isValidName(_:)``. Label values may be any UTF-8 string,
/// including the empty string (which Prometheus treats as "label absent").
public struct Label: Sendable, Hashable, CustomStringConvertible {
    /// The label name, e.g. `conn`.
    public var name: String
    /// The label value, unescaped, e.g. `site-a`.
    public var value: String

    /// Creates a label. The name is not validated here; ``MetricFamily`` validates its label names
    /// once, and the test-only `ExpositionParser` validates what it reads.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// The label as it would appear in an exposition, e.g. `conn="site-a"` (value escaped).
    public var description: String {
        var bytes: [UInt8] = []
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: #"=""#.utf8)
        ExpositionEncoder.appendEscapedLabelValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
    public static func isValidName(_ name: String) -> Bool {
        if let result = name.utf8.withContiguousStorageIfAvailable({ isValidName(bytes: $0) }) {
            return result
        }
        return Array(name.utf8).withUnsafeBufferPointer { isValidName(bytes: $0) }
    }

    /// Byte-level check shared with the parser.
    package static func isValidName(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, isNameStart(first) else { return false }
        if bytes.count >= 2 && first == UInt8(ascii: "_") && bytes[1] == UInt8(ascii: "_") { return false }
        for byte in bytes.dropFirst() where !isNameContinuation(byte) { return false }
        return true
    }

    @inline(__always)
    package static func isNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_")
    }

    @inline(__always)
    package static func isNameContinuation(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
