import CCrypt

/// A bcrypt password hash from `basic_auth_users` (`$2a$`, `$2b$` or `$2y$`, cost 4...31), checked for form.
public struct BcryptHash: Sendable, Hashable, CustomStringConvertible {
    /// The hash as written, 60 characters.
    public let value: String
    /// The cost (log2 of the rounds).
    public let cost: Int

    /// Validates the form of `text`; `nil` if it is not a bcrypt hash.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 60,
            bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            bytes[2] == UInt8(ascii: "a") || bytes[2] == UInt8(ascii: "b") || bytes[2] == UInt8(ascii: "y"),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
            let tens = Self.digit(bytes[4]), let ones = Self.digit(bytes[5])
        else { return nil }
        let cost = tens * 10 + ones
        guard (4...31).contains(cost), bytes[7...].allSatisfy(Self.isBcryptBase64) else { return nil }
        self.value = text
        self.cost = cost
    }

    /// The hash with its salt hidden.
    public var description: String { "$2?$\(self.cost)$…" }

    /// Hashes `password` with this hash's salt and cost and compares in constant time. Slow (bcrypt).
    ///
    /// Passwords longer than 72 bytes (bcrypt ignores the rest) or containing NUL never match.
    func matches(password: [UInt8], scratch: UnsafeMutablePointer<crypt_data>) -> Bool {
        guard let computed = Self.crypt(password: password, setting: self.value, scratch: scratch) else {
            return false
        }
        return constantTimeEquals(computed, Array(self.value.utf8))
    }

    /// Runs `crypt_rn`; `nil` when the password is unusable or libcrypt refuses the setting.
    static func crypt(password: [UInt8], setting: String, scratch: UnsafeMutablePointer<crypt_data>) -> [UInt8]? {
        guard password.count <= 72, !password.contains(0) else { return nil }
        scratch.initialize(to: crypt_data())
        defer { scratch.deinitialize(count: 1) }
        let size = CInt(clamping: MemoryLayout<crypt_data>.size)
        let result: [UInt8]? = (password + [0]).withUnsafeBufferPointer { phrase in
            phrase.withMemoryRebound(to: CChar.self) { phrase in
                setting.withCString { setting in
                    guard let output = crypt_rn(phrase.baseAddress, setting, scratch, size) else { return nil }
                    return Array(String(cString: output).utf8)
                }
            }
        }
        return result
    }

    /// Runs `crypt_rn` with a scratch area of its own (for tools and tests; the server reuses one).
    static func crypt(password: [UInt8], setting: String) -> [UInt8]? {
        let scratch = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { scratch.deallocate() }
        return Self.crypt(password: password, setting: setting, scratch: scratch)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        return Int(byte - UInt8(ascii: "0"))
    }

    private static func isBcryptBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }
}

/// Compares two byte strings in time that depends on their lengths only.
func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices {
        difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
}
