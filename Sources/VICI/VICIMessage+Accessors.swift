/// Typed accessors. The optional-returning forms return `nil` both when the key is absent and when the value
/// cannot be interpreted; the `require…` forms throw a ``VICIError`` that says which.
extension VICIMessage {
    /// The raw bytes of the value named `name`, or `nil` if absent or not a value.
    public func bytes(_ name: String) -> [UInt8]? {
        if case .value(let bytes)? = self[name] { return bytes }
        return nil
    }

    /// The value named `name` as a UTF-8 string, or `nil` if absent, not a value, or not valid UTF-8.
    public func string(_ name: String) -> String? {
        guard let bytes = bytes(name) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The value named `name` as a signed decimal integer, or `nil` if absent or not a number that fits
    /// into 64 bits.
    public func int64(_ name: String) -> Int64? {
        guard let bytes = bytes(name) else { return nil }
        return VICIMessage.parseInt64(bytes)
    }

    /// The value named `name` as an unsigned decimal integer, or `nil` if absent or not a number that fits
    /// into 64 bits.
    public func uint64(_ name: String) -> UInt64? {
        guard let bytes = bytes(name) else { return nil }
        return VICIMessage.parseUInt64(bytes)
    }

    /// The value named `name` as a VICI boolean: `yes` is true, `no` is false, anything else is `nil`.
    public func bool(_ name: String) -> Bool? {
        guard let bytes = bytes(name) else { return nil }
        if bytes.elementsEqual("yes".utf8) { return true }
        if bytes.elementsEqual("no".utf8) { return false }
        return nil
    }

    /// The section named `name`, or `nil` if absent or not a section.
    public func section(_ name: String) -> VICIMessage? {
        if case .section(let section)? = self[name] { return section }
        return nil
    }

    /// The list named `name` as strings (items that are not valid UTF-8 are skipped), or `nil` if absent or
    /// not a list.
    public func list(_ name: String) -> [String]? {
        guard case .list(let items)? = self[name] else { return nil }
        return items.compactMap { String(validating: $0, as: UTF8.self) }
    }

    /// The entries of this message that are sections, in order, as `(name, section)` pairs.
    public var sections: [(name: String, section: VICIMessage)] {
        entries.compactMap { entry in
            if case .section(let section) = entry.element { return (entry.name, section) }
            return nil
        }
    }

    /// The value named `name` as a string; throws ``VICIError/Code/missingKey`` or
    /// ``VICIError/Code/invalidValue``.
    public func requireString(_ name: String) throws(VICIError) -> String {
        guard let bytes = bytes(name) else { throw VICIError(.missingKey, "missing value '\(name)'") }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw VICIError(.invalidValue, "value '\(name)' is not valid UTF-8")
        }
        return string
    }

    /// The value named `name` as an unsigned integer; throws ``VICIError/Code/missingKey`` or
    /// ``VICIError/Code/invalidValue``.
    public func requireUInt64(_ name: String) throws(VICIError) -> UInt64 {
        guard let bytes = bytes(name) else { throw VICIError(.missingKey, "missing value '\(name)'") }
        guard let value = VICIMessage.parseUInt64(bytes) else {
            throw VICIError(.invalidValue, "value '\(name)' is not an unsigned 64-bit number: \(VICIMessage.describe(bytes))")
        }
        return value
    }

    /// The section named `name`; throws ``VICIError/Code/missingKey`` when absent or not a section.
    public func requireSection(_ name: String) throws(VICIError) -> VICIMessage {
        guard let section = section(name) else { throw VICIError(.missingKey, "missing section '\(name)'") }
        return section
    }

    /// Parses a value's ASCII decimal digits into a `UInt64` without trapping (see the generic form).
    ///
    /// The form the typed accessors and the SA mappings call: the generic form is not specialized across
    /// modules, and unspecialized it cost about 4 % of a whole poll (`strongswan-bench --only whole`).
    public static func parseUInt64(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { parseUInt64($0) }
    }

    /// Parses a value as an optionally `-`-signed decimal `Int64` without trapping (see the generic form).
    public static func parseInt64(_ bytes: [UInt8]) -> Int64? {
        bytes.withUnsafeBufferPointer { parseInt64($0) }
    }

    /// Parses ASCII decimal digits into a `UInt64` without trapping: `nil` on an empty value, a non-digit or
    /// overflow.
    public static func parseUInt64<C: Collection>(_ bytes: C) -> UInt64? where C.Element == UInt8 {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- 0x30))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// Parses an optionally `-`-signed ASCII decimal number into an `Int64` without trapping.
    public static func parseInt64<C: Collection>(_ bytes: C) -> Int64? where C.Element == UInt8 {
        guard let first = bytes.first else { return nil }
        if first == UInt8(ascii: "-") {
            guard let magnitude = parseUInt64(bytes.dropFirst()) else { return nil }
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard let magnitude = parseUInt64(bytes), magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A short printable rendering of raw bytes for error messages (at most 64 bytes shown).
    static func describe(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(64)
        if let string = String(validating: shown, as: UTF8.self),
           string.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) {
            return "\"\(string)\"" + (bytes.count > 64 ? "…" : "")
        }
        return "0x" + shown.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined() + (bytes.count > 64 ? "…" : "")
    }
}
