/// Cuts the byte stream of charon's error-notify socket into records.
///
/// Records are fixed-size (``ErrorNotifyRecord/size``) and carry no framing of their own, so the framer only
/// carries over the bytes of a record that arrived in pieces: it never holds more than one record's worth,
/// whatever it is fed (short reads, a flood, garbage). A stream that is not made of records cannot be told
/// apart from one that is; garbage decodes as records of unknown type with odd text, never as a crash.
public struct ErrorNotifyFramer: Sendable {
    private var partial: [UInt8] = []

    /// Creates an empty framer.
    public init() {
        partial.reserveCapacity(ErrorNotifyRecord.size)
    }

    /// Bytes of an incomplete record held until the rest arrives (always less than one record).
    public var pendingByteCount: Int { partial.count }

    /// Feeds `bytes` and calls `body` with each record they complete, in order.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ body: (ErrorNotifyRecord) throws -> Void) rethrows {
        let size = ErrorNotifyRecord.size
        var rest = bytes[...]
        if !partial.isEmpty {
            let missing = size - partial.count
            partial += rest.prefix(missing)
            rest = rest.dropFirst(missing)
            guard partial.count == size else { return }
            if let record = ErrorNotifyRecord(decoding: partial) { try body(record) }
            partial.removeAll(keepingCapacity: true)
        }
        while true {
            let record = Array(rest.prefix(size))
            guard record.count == size else {
                partial += record
                return
            }
            rest = rest.dropFirst(size)
            if let decoded = ErrorNotifyRecord(decoding: record) { try body(decoded) }
        }
    }
}
