import VICI

/// A virtual IP pool as charon reports it in `get-pools`.
public struct AddressPool: Sendable, Hashable {
    /// The pool name.
    public var name: String
    /// Base address of the pool.
    public var base: String = ""
    /// Total number of addresses.
    public var size: UInt64?
    /// Leases online.
    public var online: UInt64?
    /// Leases offline.
    public var offline: UInt64?

    /// Creates an empty pool record.
    public init(name: String) { self.name = name }

    /// Maps one pool section.
    public init(name: String, section: VICIMessage) {
        self.init(name: name)
        base = section.string("base") ?? ""
        size = section.uint64("size")
        online = section.uint64("online")
        offline = section.uint64("offline")
    }

    /// Maps a whole `get-pools` response: every top-level section is a pool.
    public static func all(in message: VICIMessage) -> [AddressPool] {
        message.sections.map { AddressPool(name: $0.name, section: $0.section) }
    }
}
