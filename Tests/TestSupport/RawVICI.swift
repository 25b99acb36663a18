import VICI

/// Raw bytes of VICI frames and messages, well-formed or not, for a ``ScriptedCharon`` to send as they are
/// (``CharonReply/raw(_:)``, or `sendRaw` on a ``CharonSession``).
public enum RawVICI {
    /// Element type bytes of the message encoding.
    public static let sectionStart: UInt8 = 1, sectionEnd: UInt8 = 2, keyValue: UInt8 = 3
    /// Element type bytes of the message encoding.
    public static let listStart: UInt8 = 4, listItem: UInt8 = 5, listEnd: UInt8 = 6

    /// A length prefix (which need not match what follows) and the bytes.
    public static func frame(_ payload: [UInt8], declaredLength: UInt32? = nil) -> [UInt8] {
        let length = declaredLength ?? UInt32(truncatingIfNeeded: payload.count)
        return withUnsafeBytes(of: length.bigEndian, Array.init) + payload
    }

    /// A CMD_RESPONSE frame carrying `message` bytes.
    public static func response(_ message: [UInt8]) -> [UInt8] {
        frame([VICIPacket.PacketType.commandResponse.rawValue] + message)
    }

    /// An EVENT frame named `name` carrying `message` bytes.
    public static func event(_ name: String, _ message: [UInt8]) -> [UInt8] {
        frame([VICIPacket.PacketType.event.rawValue, UInt8(truncatingIfNeeded: name.utf8.count)] + Array(name.utf8) + message)
    }

    /// A length-prefixed name.
    public static func name(_ name: [UInt8]) -> [UInt8] { [UInt8(truncatingIfNeeded: name.count)] + name }

    /// A key/value element.
    public static func kv(_ key: String, _ value: [UInt8]) -> [UInt8] {
        [keyValue] + name(Array(key.utf8)) + [UInt8(truncatingIfNeeded: value.count >> 8), UInt8(truncatingIfNeeded: value.count)]
            + value
    }

    /// A key/value element with a UTF-8 value.
    public static func kv(_ key: String, _ value: String) -> [UInt8] { kv(key, Array(value.utf8)) }

    /// A section element around `body`.
    public static func section(_ key: String, _ body: [UInt8]) -> [UInt8] {
        [sectionStart] + name(Array(key.utf8)) + body + [sectionEnd]
    }

    /// A list element of `items`.
    public static func list(_ key: String, _ items: [String]) -> [UInt8] {
        [listStart] + name(Array(key.utf8))
            + items.flatMap {
                [listItem, UInt8(truncatingIfNeeded: $0.utf8.count >> 8), UInt8(truncatingIfNeeded: $0.utf8.count)]
                    + Array($0.utf8)
            }
            + [listEnd]
    }
}
