import PrometheusExposition
import VICI

/// `get-counters` (counters plugin): IKE message and event counters, global and (opt-in) per connection, as
/// separate families so that a `sum()` never counts a message twice.
///
/// Per-connection counters (16 message series and 5 others per connection) are opt-in
/// (`--collector.counters.per-conn`): only then is `get-counters all=yes` sent.
public enum CountersCollector: CharonCollector {
    public static let name = "counters"
    public static let summary = "IKE message, rekey and invalid-message counters from `get-counters` (needs charon's counters plugin; per connection with --collector.counters.per-conn)"
    /// `get-counters` (global), preceded by `get-counters all=yes` (per connection) when
    /// ``CollectOptions/perConnectionCounters`` is on (the most one collection sends).
    public static let commands = ["get-counters", "get-counters"]

    /// The global counters only.
    public static func collect(from vici: some VICIQuerying) async throws -> IKECounters {
        try await collect(from: vici, options: CollectOptions())
    }

    public static func collect(from vici: some VICIQuerying, options: CollectOptions) async throws -> IKECounters {
        var counters = IKECounters()
        if options.perConnectionCounters {
            var all = VICIMessage()
            all["all"] = .value("yes")
            counters = IKECounters(message: try await checked(vici.call("get-counters", all)))
        }
        let global = IKECounters(message: try await checked(vici.call("get-counters", VICIMessage())))
        counters.global = global.global
        return counters
    }

    static func checked(_ response: VICIMessage) throws(VICIError) -> VICIMessage {
        if response.bool("success") == false {
            throw VICIError(.commandFailed, "get-counters: \(response.string("errmsg") ?? "failed")")
        }
        return response
    }

    /// How one counter name of the counters plugin maps to a family and its labels.
    enum Mapping: Equatable {
        case message(exchange: String, direction: String, kind: String)
        case ikeRekey(role: String)
        case childRekey
        case invalid
        case invalidSPI
    }

    /// Maps a counter name such as `ike-auth-in-req` or `ike-rekey-init`; `nil` for names this exporter does
    /// not know (they are skipped).
    static func mapping(_ name: String) -> Mapping? {
        switch name {
        case "ike-rekey-init": return .ikeRekey(role: "initiator")
        case "ike-rekey-resp": return .ikeRekey(role: "responder")
        case "child-rekey": return .childRekey
        case "invalid": return .invalid
        case "invalid-spi": return .invalidSPI
        default: break
        }
        let exchanges = [("ike-init-", "ike_sa_init"), ("ike-auth-", "ike_auth"), ("create-child-", "create_child_sa"),
                         ("info-", "informational")]
        for (prefix, exchange) in exchanges where name.hasPrefix(prefix) {
            switch name.dropFirst(prefix.count) {
            case "in-req": return .message(exchange: exchange, direction: "in", kind: "request")
            case "in-resp": return .message(exchange: exchange, direction: "in", kind: "response")
            case "out-req": return .message(exchange: exchange, direction: "out", kind: "request")
            case "out-resp": return .message(exchange: exchange, direction: "out", kind: "response")
            default: return nil
            }
        }
        return nil
    }

    public static func render(_ model: IKECounters, context: RenderContext, into metrics: inout MetricSet) {
        var global = Families(prefix: "strongswan_", extraLabels: [], scope: "")
        global.add(model.global, conn: nil)
        global.flush(into: &metrics)
        guard context.perConnectionCounters else { return }
        var perConnection = Families(prefix: "strongswan_connection_", extraLabels: ["conn"], scope: " of one connection")
        for (conn, counters) in model.connections {
            perConnection.add(counters, conn: conn)
        }
        perConnection.flush(into: &metrics)
    }

    /// The five families for one scope (global or per connection).
    struct Families {
        var messages: MetricFamily?
        var ikeRekeys: MetricFamily?
        var childRekeys: MetricFamily?
        var invalid: MetricFamily?
        var invalidSPI: MetricFamily?

        init(prefix: String, extraLabels: [String], scope: String) {
            let global = scope.isEmpty ? " (all connections)" : scope
            messages = family(
                prefix + "ike_messages_total", "IKE messages by exchange, direction and request/response" + global + ".",
                .counter, extraLabels + ["exchange", "direction", "type"])
            ikeRekeys = family(
                prefix + "ike_rekeys_total", "IKE_SA rekeyings by local role" + global + ".", .counter,
                extraLabels + ["role"])
            childRekeys = family(prefix + "child_rekeys_total", "CHILD_SA rekeyings" + global + ".", .counter, extraLabels)
            invalid = family(
                prefix + "ike_invalid_messages_total", "IKE messages that were invalid or could not be processed" + global + ".",
                .counter, extraLabels)
            invalidSPI = family(
                prefix + "ike_invalid_spi_total", "IKE messages for an unknown SPI" + global + ".", .counter, extraLabels)
        }

        mutating func add(_ counters: [(name: String, value: UInt64)], conn: String?) {
            let base = conn.map { [$0] } ?? []
            for (name, value) in counters {
                switch CountersCollector.mapping(name) {
                case .message(let exchange, let direction, let kind)?:
                    messages.add(Double(value), base + [exchange, direction, kind])
                case .ikeRekey(let role)?: ikeRekeys.add(Double(value), base + [role])
                case .childRekey?: childRekeys.add(Double(value), base)
                case .invalid?: invalid.add(Double(value), base)
                case .invalidSPI?: invalidSPI.add(Double(value), base)
                case nil: break
                }
            }
        }

        func flush(into metrics: inout MetricSet) {
            for family in [messages, ikeRekeys, childRekeys, invalid, invalidSPI] { metrics.addNonEmpty(family) }
        }
    }
}
