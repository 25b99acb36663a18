import Foundation
import PrometheusExposition
import StrongSwanCollectors
import VICI

/// A recorded timeline from the lab (see Fixtures/events/README.md).
struct EventFixture {
    enum Step {
        case poll(label: String, at: Double, sas: [IKESA])
        case event(name: String, at: Double, message: VICIMessage)
        /// Something done to the lab; `traffic` is what it sent through site tunnels, `output` what lab.sh said.
        case action(label: String, at: Double, traffic: [Traffic], output: String)
        case daemonLost(at: Double)
    }

    /// What `lab.sh traffic I BYTES` sent through tunnel I, or `lab.sh traffic-all BYTES` through each site
    /// tunnel (gw → peer, so gw's `bytes-out`).
    struct Traffic {
        var tunnel: Int
        var datagrams: UInt64
        var payloadBytes: UInt64
        /// What charon counts: payload plus 28 bytes of IPv4 and UDP header per datagram.
        var childSABytes: UInt64 { payloadBytes + 28 * datagrams }
    }

    var scenario: String
    var steps: [Step]

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ name: String) throws -> EventFixture {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/events") else {
            throw LoadError(description: "fixture \(name).json not found")
        }
        let json = try OrderedJSON.parse(Array(try Data(contentsOf: url)))
        var steps: [Step] = []
        for step in json["steps"]?.arrayValue ?? [] {
            let at = step["at"]?.numberValue ?? 0
            switch step["kind"]?.stringValue {
            case "poll":
                var sas: [IKESA] = []
                for event in step["sas"]?.arrayValue ?? [] { sas += IKESA.all(in: try event.viciMessage()) }
                steps.append(.poll(label: step["label"]?.stringValue ?? "", at: at, sas: sas))
            case "event":
                guard let name = step["name"]?.stringValue, let message = step["message"] else {
                    throw LoadError(description: "event step without name or message")
                }
                steps.append(.event(name: name, at: at, message: try message.viciMessage()))
            case "action":
                var traffic: [Traffic] = []
                let words = (step["command"]?.stringValue ?? "").split(separator: " ")
                if let t = step["traffic"], let d = t["datagrams"]?.numberValue, let b = t["payload_bytes"]?.numberValue,
                   words.count >= 3, words[1] == "traffic", let tunnel = Int(words[2]) {
                    traffic = [Traffic(tunnel: tunnel, datagrams: UInt64(d), payloadBytes: UInt64(b))]
                }
                if words.count >= 3, words[1] == "traffic-all", let bytes = UInt64(words[2]) {
                    traffic = (1...4).map { Traffic(tunnel: $0, datagrams: 1, payloadBytes: bytes) }
                }
                steps.append(.action(label: step["label"]?.stringValue ?? "", at: at, traffic: traffic,
                                     output: step["output"]?.stringValue ?? ""))
            case "daemon-lost":
                steps.append(.daemonLost(at: at))
            default:
                throw LoadError(description: "unknown step kind \(String(describing: step["kind"]))")
            }
        }
        return EventFixture(scenario: json["scenario"]?.stringValue ?? name, steps: steps)
    }

    /// The lab's configuration on gw (lab/gen_config.py): `site-000N` with child `net-000N`, and `rw`.
    static func labConns(sites: Int = 4) -> [ConnectionConfig] {
        var conns: [ConnectionConfig] = []
        for index in 1...sites {
            var conn = ConnectionConfig(name: String(format: "site-%04d", index))
            conn.children = [ChildConfig(name: String(format: "net-%04d", index))]
            conns.append(conn)
        }
        var rw = ConnectionConfig(name: "rw")
        rw.children = [ChildConfig(name: "rw")]
        conns.append(rw)
        return conns
    }
}

/// Drives a ledger and a patched SA list the way ExporterCore does: polls replace the SA list and are
/// observed by the ledger; events go to the ledger and patch the list (only while charon is reachable);
/// a lost daemon clears the list until the next poll.
struct Replay {
    var ledger = TunnelLedger()
    var conns: [ConnectionConfig]
    /// The SA list as ExporterCore would hold it (nil while charon is unreachable).
    var sas: [IKESA]? = nil
    var changes: [TunnelChange] = []

    init(conns: [ConnectionConfig] = EventFixture.labConns(), limits: TunnelLedger.Limits? = nil) {
        self.conns = conns
        if let limits { ledger = TunnelLedger(limits: limits) }
        ledger.configure(conns)
    }

    mutating func run(_ step: EventFixture.Step) {
        switch step {
        case .poll(_, let at, let polled):
            sas = polled
            ledger.observe(poll: polled, at: at)
        case .event(let name, let at, let message):
            changes += ledger.apply(event: name, message: message, at: at)
            if var current = sas {
                TunnelLedger.patch(&current, event: name, message: message)
                sas = current
            }
        case .action:
            break
        case .daemonLost(let at):
            sas = nil
            ledger.daemonLost(at: at)
        }
    }

    /// Everything rendered now: tunnel_up (from the patched list) and the ledger's families.
    func metrics() -> MetricSet {
        var metrics = MetricSet()
        if let sas { SAAggregatesRenderer.render(sas: sas, conns: conns, now: 0, into: &metrics) }
        ledger.render(into: &metrics)
        return metrics
    }
}

extension MetricSet {
    /// The value of one series, or nil if the family or the series is absent.
    func value(_ name: String, _ labels: [String] = []) -> Double? {
        families.first { $0.name == name }?.value(for: labels)
    }

    /// All series of a family as label values → value.
    func series(_ name: String) -> [[String]: Double] {
        var result: [[String]: Double] = [:]
        for sample in families.first(where: { $0.name == name })?.samples ?? [] {
            result[sample.labels.map(\.value)] = sample.value
        }
        return result
    }
}
