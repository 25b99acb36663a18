import VICI

/// The counters plugin's IKE event counters (`get-counters`): global and per connection.
public struct IKECounters: Sendable, Hashable {
    /// Global counters by charon's counter name (e.g. `ike-rekey-init`), in the order sent.
    public var global: [(name: String, value: UInt64)] = []
    /// Per-connection counters: connection name → counters by name, connections in the order sent.
    public var connections: [(conn: String, counters: [(name: String, value: UInt64)])] = []

    /// Creates empty counters.
    public init() {}

    /// Maps a `get-counters` response (with `all = yes`, the `counters` section holds one section per
    /// connection and one with an empty name for the global counters). Values that are not 64-bit unsigned
    /// numbers are skipped.
    public init(message: VICIMessage) {
        guard let counters = message.section("counters") else { return }
        for (name, section) in counters.sections {
            var values: [(name: String, value: UInt64)] = []
            for entry in section.entries {
                if case .value(let bytes) = entry.element, let value = VICIMessage.parseUInt64(bytes) {
                    values.append((entry.name, value))
                }
            }
            if name.isEmpty {
                global = values
            } else {
                connections.append((name, values))
            }
        }
    }

    public static func == (lhs: IKECounters, rhs: IKECounters) -> Bool {
        lhs.global.elementsEqual(rhs.global, by: ==)
            && lhs.connections.elementsEqual(rhs.connections) { $0.conn == $1.conn && $0.counters.elementsEqual($1.counters, by: ==) }
    }

    public func hash(into hasher: inout Hasher) {
        for (name, value) in global { hasher.combine(name); hasher.combine(value) }
        for (conn, counters) in connections {
            hasher.combine(conn)
            for (name, value) in counters { hasher.combine(name); hasher.combine(value) }
        }
    }
}
