/// Renderings of a message in the formats of `swanctl --raw` and `swanctl --pretty`.
///
/// Values that contain any byte outside printable ASCII (0x20…0x7E, C's `isprint`) are shown as `0x`
/// followed by lowercase hex, as swanctl does (e.g. the DER `data` of `list-cert` events).
extension VICIMessage: CustomStringConvertible {
    /// The one-line raw rendering, `{key=value name {…} list=[a b]}`.
    public var description: String { rawDescription() }

    /// One line like `swanctl --raw`: `label {key=value name {sub=1} list=[a b]}`, or without a label
    /// `{key=value …}`. Elements are separated by single spaces; an empty message is `{}`.
    public func rawDescription(label: String? = nil) -> String {
        var out = label.map { $0 + " " } ?? ""
        out += "{"
        VICIMessage.renderRaw(entries, into: &out)
        out += "}"
        return out
    }

    /// Several lines like `swanctl --pretty`, indented by two spaces per level:
    ///
    /// ```
    /// label {
    ///   key = value
    ///   name {
    ///     sub = 1
    ///   }
    ///   list = [
    ///     a
    ///   ]
    /// }
    /// ```
    public func prettyDescription(label: String? = nil) -> String {
        var out = label.map { $0 + " {\n" } ?? "{\n"
        VICIMessage.renderPretty(entries, indent: 2, into: &out)
        out += "}\n"
        return out
    }

    /// A value as swanctl prints it: the text if every byte is printable ASCII, otherwise `0x` + hex.
    public static func renderValue(_ bytes: [UInt8]) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(2 + bytes.count * 2)
        hex += [UInt8(ascii: "0"), UInt8(ascii: "x")]
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static func renderRaw(_ entries: [Entry], into out: inout String) {
        for (index, entry) in entries.enumerated() {
            if index > 0 { out += " " }
            switch entry.element {
            case .value(let value):
                out += entry.name + "=" + renderValue(value)
            case .list(let items):
                out += entry.name + "=[" + items.map(renderValue).joined(separator: " ") + "]"
            case .section(let section):
                out += entry.name + " {"
                renderRaw(section.entries, into: &out)
                out += "}"
            }
        }
    }

    private static func renderPretty(_ entries: [Entry], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            switch entry.element {
            case .value(let value):
                out += pad + entry.name + " = " + renderValue(value) + "\n"
            case .list(let items):
                out += pad + entry.name + " = [\n"
                for item in items { out += pad + "  " + renderValue(item) + "\n" }
                out += pad + "]\n"
            case .section(let section):
                out += pad + entry.name + " {\n"
                renderPretty(section.entries, indent: indent + 2, into: &out)
                out += pad + "}\n"
            }
        }
    }
}
