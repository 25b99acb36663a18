import Foundation
import VICI

/// A VICI answer in a form both clients can be compared in: ordered sections, lists, raw bytes.
///
/// `VICIMessage` converts to it directly; the JSON printed by lab/vici_dump.py (strongSwan's own Python
/// client) is parsed into it by ``VICITree/parseJSON(_:)``, which — unlike JSONSerialization — keeps the key
/// order. Values are compared as bytes: a JSON string stands for its UTF-8 bytes and vici_dump.py's
/// `{"$hex": "…"}` (a value that is not UTF-8, e.g. certificate DER) for the bytes it spells.
indirect enum VICITree: Equatable, CustomStringConvertible {
    case bytes([UInt8])
    case array([VICITree])
    case object([Field])

    struct Field: Equatable {
        var name: String
        var value: VICITree
    }

    /// The placeholder that replaces masked values on both sides.
    static let masked = VICITree.bytes(Array("<masked>".utf8))

    init(_ message: VICIMessage) {
        self = .object(message.entries.map { entry in
            switch entry.element {
            case .value(let bytes): return Field(name: entry.name, value: .bytes(bytes))
            case .list(let items): return Field(name: entry.name, value: .array(items.map { .bytes($0) }))
            case .section(let section): return Field(name: entry.name, value: VICITree(section))
            }
        })
    }

    /// Streamed events, in order.
    init(events: [VICIMessage]) { self = .array(events.map(VICITree.init)) }

    /// The field `name` of an object.
    subscript(name: String) -> VICITree? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.name == name }?.value
    }

    var fields: [Field] {
        if case .object(let fields) = self { return fields }
        return []
    }

    var items: [VICITree] {
        if case .array(let items) = self { return items }
        return []
    }

    var string: String? {
        if case .bytes(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    // MARK: - Masking

    /// Replaces every value (or list) whose path — the names of the enclosing sections and its own name —
    /// `shouldMask` accepts with ``masked``; keys, their order and everything else stay.
    func masking(_ shouldMask: ([String]) -> Bool, path: [String] = []) -> VICITree {
        switch self {
        case .bytes:
            return shouldMask(path) ? Self.masked : self
        case .array(let items):
            if !path.isEmpty, shouldMask(path) { return Self.masked }
            return .array(items.map { $0.masking(shouldMask, path: path) })
        case .object(let fields):
            return .object(fields.map { Field(name: $0.name, value: $0.value.masking(shouldMask, path: path + [$0.name])) })
        }
    }

    // MARK: - Differences

    /// The first place where `self` and `other` differ, described with its path; `nil` if they are equal.
    func firstDifference(from other: VICITree, path: String = "") -> String? {
        let here = path.isEmpty ? "<root>" : path
        switch (self, other) {
        case (.bytes(let a), .bytes(let b)):
            guard a != b else { return nil }
            let offset = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            return "\(here): \(Self.render(a)) ≠ \(Self.render(b)) (\(a.count) vs \(b.count) bytes, first difference at byte \(offset))"
        case (.array(let a), .array(let b)):
            for (index, (x, y)) in zip(a, b).enumerated() {
                if let difference = x.firstDifference(from: y, path: "\(path)[\(index)]") { return difference }
            }
            return a.count == b.count ? nil : "\(here): \(a.count) items ≠ \(b.count) items"
        case (.object(let a), .object(let b)):
            let namesA = a.map(\.name), namesB = b.map(\.name)
            guard namesA == namesB else {
                if Set(namesA) == Set(namesB) { return "\(here): key order \(namesA) ≠ \(namesB)" }
                return "\(here): keys \(namesA) ≠ \(namesB)"
            }
            for (x, y) in zip(a, b) {
                if let difference = x.value.firstDifference(from: y.value, path: path.isEmpty ? x.name : "\(path).\(x.name)") {
                    return difference
                }
            }
            return nil
        default:
            return "\(here): \(kind) ≠ \(other.kind)"
        }
    }

    private var kind: String {
        switch self {
        case .bytes(let bytes): return "value \(Self.render(bytes))"
        case .array(let items): return "list of \(items.count)"
        case .object(let fields): return "section with \(fields.count) keys"
        }
    }

    private static func render(_ bytes: [UInt8]) -> String {
        if let string = String(validating: bytes, as: UTF8.self) { return "\"\(string)\"" }
        let hex = bytes.prefix(32).map { String(format: "%02x", $0) }.joined()
        return "<\(bytes.count) bytes: \(hex)\(bytes.count > 32 ? "…" : "")>"
    }

    var description: String {
        switch self {
        case .bytes(let bytes): return Self.render(bytes)
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    // MARK: - JSON (as printed by vici_dump.py)

    /// Parses vici_dump.py's JSON keeping key order. Only strings, arrays and objects occur there.
    static func parseJSON(_ data: Data) throws -> VICITree {
        var parser = JSONParser(bytes: Array(data))
        let tree = try parser.value()
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("trailing data") }
        return tree
    }

    private struct JSONParser {
        let bytes: [UInt8]
        var index = 0

        func error(_ what: String) -> LabError { LabError("JSON from vici_dump.py: \(what) at byte \(index)") }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else {
                throw error("expected '\(Character(Unicode.Scalar(byte)))'")
            }
            index += 1
        }

        mutating func peek() throws -> UInt8 {
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end") }
            return bytes[index]
        }

        mutating func value() throws -> VICITree {
            switch try peek() {
            case UInt8(ascii: "\""):
                return .bytes(try string())
            case UInt8(ascii: "["):
                index += 1
                var items: [VICITree] = []
                if try peek() == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    items.append(try value())
                    if try peek() == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "]"))
                    return .array(items)
                }
            case UInt8(ascii: "{"):
                index += 1
                var fields: [Field] = []
                if try peek() != UInt8(ascii: "}") {
                    while true {
                        _ = try peek()
                        let name = String(decoding: try string(), as: UTF8.self)
                        try expect(UInt8(ascii: ":"))
                        fields.append(Field(name: name, value: try value()))
                        if try peek() == UInt8(ascii: ",") { index += 1; continue }
                        break
                    }
                }
                try expect(UInt8(ascii: "}"))
                // vici_dump.py's spelling of a value that is not UTF-8.
                if fields.count == 1, fields[0].name == "$hex", case .bytes(let hex) = fields[0].value {
                    return .bytes(try decodeHex(hex))
                }
                return .object(fields)
            default:
                throw error("unexpected byte \(bytes[index]) (vici_dump.py prints only strings, lists, objects)")
            }
        }

        mutating func string() throws -> [UInt8] {
            try expect(UInt8(ascii: "\""))
            var result: [UInt8] = []
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return result
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw error("unterminated escape") }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escaped)
                    case UInt8(ascii: "b"): result.append(0x08)
                    case UInt8(ascii: "f"): result.append(0x0C)
                    case UInt8(ascii: "n"): result.append(0x0A)
                    case UInt8(ascii: "r"): result.append(0x0D)
                    case UInt8(ascii: "t"): result.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                                  bytes[index + 1] == UInt8(ascii: "u") else { throw error("lone surrogate") }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("bad surrogate pair") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error("bad \\u escape") }
                        result.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default:
                        throw error("bad escape")
                    }
                default:
                    result.append(byte)
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw error("bad \\u escape") }
            index += 4
            return value
        }

        func decodeHex(_ hex: [UInt8]) throws -> [UInt8] {
            guard hex.count % 2 == 0 else { throw error("odd $hex length") }
            var result: [UInt8] = []
            result.reserveCapacity(hex.count / 2)
            var i = 0
            while i < hex.count {
                guard let byte = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else {
                    throw error("bad $hex digit")
                }
                result.append(byte)
                i += 2
            }
            return result
        }
    }
}
