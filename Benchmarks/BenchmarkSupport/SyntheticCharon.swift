import NIOCore
import VICI

/// What charon would answer to each command the exporter sends, for a gateway of any size (by default up to
/// 1,000 site-to-site tunnels, the rest road warriors): `list-sas` streams ``SASynthesizer`` SAs, `list-conns` their ``ConnSynthesizer`` connections, `stats` counts them,
/// and the other commands replay the lab captures unchanged. Event frames are encoded once, up front, so a
/// server can replay them at wire speed.
public struct SyntheticCharon: Sendable {
    /// How a command is answered.
    public enum Answer: Sendable {
        /// EVENT frames (complete wire frames) named `event`, then `response`.
        case stream(event: String, frames: [ByteBuffer], response: VICIMessage)
        /// A plain CMD_RESPONSE.
        case response(VICIMessage)
        /// CMD_UNKNOWN.
        case unknown
    }

    /// The number of IKE_SAs `list-sas` streams.
    public let saCount: Int
    /// The `list-sa` EVENT frames, one per SA.
    public let listSAFrames: [ByteBuffer]
    /// The `list-conn` EVENT frames, one per connection.
    public let listConnFrames: [ByteBuffer]
    /// The total length of ``listSAFrames`` in bytes (length prefixes included).
    public let listSABytes: Int
    private let stats: VICIMessage
    private let version: VICIMessage
    private let replayed: [String: [VICIPacket]]

    /// The default number of site-to-site tunnels among the SAs: a hub with many sites is hundreds to a few
    /// thousand; beyond that, gateways carry road warriors.
    public static let defaultSites = 1_000

    /// Builds the answers for `saCount` SAs, of which `sites` (at most) are site-to-site tunnels with a
    /// connection each and the rest road warriors on one connection, from the captures under `paths`.
    public init(saCount: Int, sites: Int = SyntheticCharon.defaultSites, paths: FixturePaths) throws {
        let sas = try SASynthesizer(paths: paths, siteCount: min(sites, saCount))
        let conns = try ConnSynthesizer(paths: paths)
        self.saCount = saCount
        listSAFrames = try sas.messages(saCount).map { try Self.frame(.event(name: "list-sa", message: $0)) }
        listConnFrames = try conns.messages(forSAs: saCount, of: sas).map {
            try Self.frame(.event(name: "list-conn", message: $0))
        }
        listSABytes = listSAFrames.reduce(0) { $0 + $1.readableBytes }
        var stats = try CapturedFrames.response(at: paths.lab("stats"))
        stats["ikesas"] = .section(VICIMessage([
            .init("total", .value(String(saCount))), .init("half-open", .value("0")),
        ]))
        self.stats = stats
        version = try CapturedFrames.response(at: paths.lab("version"))
        var replayed: [String: [VICIPacket]] = [:]
        for name in ["get-counters", "get-counters-all", "get-pools", "list-certs", "list-policies-trap"] {
            replayed[name] = try CapturedFrames.packets(at: paths.lab(name))
        }
        self.replayed = replayed
    }

    /// The answer to `command` with `message`.
    public func answer(_ command: String, _ message: VICIMessage) -> Answer {
        switch command {
        case "version": return .response(version)
        case "stats": return .response(stats)
        case "list-sas": return .stream(event: "list-sa", frames: listSAFrames, response: VICIMessage())
        case "list-conns": return .stream(event: "list-conn", frames: listConnFrames, response: VICIMessage())
        case "get-counters":
            return replay(message.string("all") == "yes" ? "get-counters-all" : "get-counters")
        case "get-pools": return replay("get-pools")
        case "list-certs": return replay("list-certs", event: "list-cert")
        case "list-policies": return replay("list-policies-trap", event: "list-policy")
        default: return .unknown
        }
    }

    private func replay(_ capture: String, event: String? = nil) -> Answer {
        let packets = replayed[capture] ?? []
        var frames: [ByteBuffer] = []
        var response = VICIMessage()
        for packet in packets {
            switch packet {
            case .event: if let frame = try? Self.frame(packet) { frames.append(frame) }
            case .commandResponse(let message): response = message
            default: break
            }
        }
        if let event { return .stream(event: event, frames: frames, response: response) }
        return .response(response)
    }

    /// `packet` as a complete wire frame.
    public static func frame(_ packet: VICIPacket) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try packet.encodeFrame(into: &buffer)
        return buffer
    }
}
