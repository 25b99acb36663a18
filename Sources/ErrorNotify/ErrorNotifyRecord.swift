/// One record of charon's error-notify plugin: an alert charon raised, with the connection, peer identity and
/// peer address it concerns when charon knows them.
///
/// On the socket every record is exactly ``size`` bytes (strongSwan's `error_notify_msg_t`): a 32-bit type in
/// network byte order, then four fixed-size text fields (message 384, connection name 64, peer identity 256,
/// peer address 60 bytes), each meant to end with a NUL. Decoding is total: a field without its NUL ends at
/// the field's end, bytes that are not UTF-8 become U+FFFD, and a type the exporter does not know is kept as
/// it came (``alert`` reads it as ``ErrorNotifyAlert/failure(_:)`` with ``FailureReason/unknown``).
public struct ErrorNotifyRecord: Sendable, Hashable {
    /// The size of one record on the socket, in bytes.
    public static let size = 4 + messageLength + connectionLength + peerIdentityLength + peerAddressLength
    static let messageLength = 384
    static let connectionLength = 64
    static let peerIdentityLength = 256
    static let peerAddressLength = 60

    /// The alert type as charon sent it (`ERROR_NOTIFY_*`).
    public var type: Int32
    /// charon's description of the alert, e.g. `peer authentication failed`.
    public var message: String
    /// The connection (peer config) name; empty when charon had not chosen one yet.
    public var connection: String
    /// The peer's (EAP) identity; empty when unknown.
    public var peerIdentity: String
    /// The peer's address and port, e.g. `192.168.77.2[500]`; empty when unknown.
    public var peerAddress: String

    /// Creates a record.
    public init(type: Int32, message: String, connection: String, peerIdentity: String, peerAddress: String) {
        self.type = type
        self.message = message
        self.connection = connection
        self.peerIdentity = peerIdentity
        self.peerAddress = peerAddress
    }

    /// Decodes one record from exactly ``size`` bytes; `nil` for any other length.
    public init?<Bytes: RandomAccessCollection<UInt8>>(decoding bytes: Bytes) {
        guard bytes.count == Self.size else { return nil }
        var index = bytes.startIndex
        func take(_ length: Int) -> Bytes.SubSequence {
            let end = bytes.index(index, offsetBy: length)
            defer { index = end }
            return bytes[index..<end]
        }
        let typeBytes = take(4)
        self.type = Int32(bitPattern: typeBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        self.message = Self.text(take(Self.messageLength))
        self.connection = Self.text(take(Self.connectionLength))
        self.peerIdentity = Self.text(take(Self.peerIdentityLength))
        self.peerAddress = Self.text(take(Self.peerAddressLength))
    }

    /// The bytes of this record as charon writes them (fields cut to their size, always NUL-terminated).
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        let raw = UInt32(bitPattern: type)
        bytes += [UInt8(truncatingIfNeeded: raw >> 24), UInt8(truncatingIfNeeded: raw >> 16),
                  UInt8(truncatingIfNeeded: raw >> 8), UInt8(truncatingIfNeeded: raw)]
        for (text, length) in [(message, Self.messageLength), (connection, Self.connectionLength),
                               (peerIdentity, Self.peerIdentityLength), (peerAddress, Self.peerAddressLength)] {
            let utf8 = Array(text.utf8.prefix(length - 1))
            bytes += utf8
            bytes += repeatElement(0, count: length - utf8.count)
        }
        return bytes
    }

    /// What the record's type means to the exporter.
    public var alert: ErrorNotifyAlert { ErrorNotifyAlert(type: type) }

    /// The text of one field: up to its first NUL (or all of it), invalid UTF-8 repaired.
    static func text<Field: Collection<UInt8>>(_ field: Field) -> String {
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }
}
