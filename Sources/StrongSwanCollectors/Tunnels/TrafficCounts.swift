/// Bytes and packets in both directions: what one CHILD_SA (or a whole tunnel) carried.
struct TrafficCounts: Sendable, Hashable {
    /// Inbound bytes.
    var bytesIn: UInt64
    /// Outbound bytes.
    var bytesOut: UInt64
    /// Inbound packets.
    var packetsIn: UInt64
    /// Outbound packets.
    var packetsOut: UInt64

    /// Creates counts (all zero by default).
    init(bytesIn: UInt64 = 0, bytesOut: UInt64 = 0, packetsIn: UInt64 = 0, packetsOut: UInt64 = 0) {
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.packetsIn = packetsIn
        self.packetsOut = packetsOut
    }

    /// The counters of one CHILD_SA as charon reported them.
    init(_ child: ChildSA) {
        self.init(bytesIn: child.bytesIn, bytesOut: child.bytesOut, packetsIn: child.packetsIn, packetsOut: child.packetsOut)
    }

    /// Each counter the larger of the two.
    func merged(with other: TrafficCounts) -> TrafficCounts {
        TrafficCounts(bytesIn: max(bytesIn, other.bytesIn), bytesOut: max(bytesOut, other.bytesOut),
                      packetsIn: max(packetsIn, other.packetsIn), packetsOut: max(packetsOut, other.packetsOut))
    }

    /// How much each counter of `other` exceeds this one's (0 where it does not).
    func growth(to other: TrafficCounts) -> TrafficCounts {
        TrafficCounts(bytesIn: other.bytesIn > bytesIn ? other.bytesIn - bytesIn : 0,
                      bytesOut: other.bytesOut > bytesOut ? other.bytesOut - bytesOut : 0,
                      packetsIn: other.packetsIn > packetsIn ? other.packetsIn - packetsIn : 0,
                      packetsOut: other.packetsOut > packetsOut ? other.packetsOut - packetsOut : 0)
    }

    /// Adds `other` counter by counter (wrapping, as a counter would, instead of trapping).
    mutating func add(_ other: TrafficCounts) {
        bytesIn &+= other.bytesIn
        bytesOut &+= other.bytesOut
        packetsIn &+= other.packetsIn
        packetsOut &+= other.packetsOut
    }

    /// Whether every counter is zero.
    var isZero: Bool { bytesIn == 0 && bytesOut == 0 && packetsIn == 0 && packetsOut == 0 }
}
