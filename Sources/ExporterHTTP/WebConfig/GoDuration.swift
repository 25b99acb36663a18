/// Parses durations written as Go's `time.ParseDuration` reads them (`1s`, `500ms`, `1m30s`, `0.5h`),
/// as exporter-toolkit's config files use them.
enum GoDuration {
    /// The duration, or `nil` if `text` is not a non-negative Go duration of at most a year.
    static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { return nil }
        var nanoseconds: Double = 0
        while !bytes.isEmpty {
            let number = bytes.prefix { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }
            guard !number.isEmpty, number.filter({ $0 == UInt8(ascii: ".") }).count <= 1, number.count <= 20,
                let value = Double(String(decoding: number, as: UTF8.self))
            else { return nil }
            bytes = bytes.dropFirst(number.count)
            let unit = bytes.prefix { !(($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".")) }
            bytes = bytes.dropFirst(unit.count)
            let scale: Double
            switch String(decoding: unit, as: UTF8.self) {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            nanoseconds += value * scale
        }
        guard nanoseconds.isFinite, nanoseconds <= 366 * 86400e9,
            let whole = Int64(exactly: nanoseconds.rounded())
        else { return nil }
        return .nanoseconds(whole)
    }
}
