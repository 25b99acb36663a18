import NIOCore
import TestSupport
import VICI

/// What charon would answer to each command the exporter sends, for a gateway of any size (by default up to
/// 1,000 site-to-site tunnels, the rest road warriors): `list-sas` streams ``SASynthesizer`` SAs, `list-conns`
/// their ``ConnSynthesizer`` connections, `stats` counts them, and the other commands replay the lab captures
/// unchanged. Event frames are encoded once, up front, so a server can replay them at wire speed.
///
/// The answers are ``CharonReply`` values: TestSupport's ``ScriptedCharon`` serves them over a socket
/// (`fake-charon`, ``script``), ``ReplayingVICI`` in memory.
public struct SyntheticGateway: Sendable {
    /// The number of IKE_SAs `list-sas` streams.
    public let saCount: Int
    /// The `list-sa` EVENT frames, one per SA.
    public let listSAFrames: [ByteBuffer]
    /// The `list-conn` EVENT frames, one per connection.
    public let listConnFrames: [ByteBuffer]
    /// The total length of ``listSAFrames`` in bytes (length prefixes included).
    public let listSABytes: Int
    private let replies: [String: CharonReply]

    /// The default number of site-to-site tunnels among the SAs: a hub with many sites is hundreds to a few
    /// thousand; beyond that, gateways carry road warriors.
    public static let defaultSites = 1_000

    /// Builds the answers for `saCount` SAs, of which `sites` (at most) are site-to-site tunnels with a
    /// connection each and the rest road warriors on one connection, from the captures under `paths`.
    public init(saCount: Int, sites: Int = SyntheticGateway.defaultSites, paths: FixturePaths) throws {
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
        // The lab's answers (version, counters, pools, certificates, trap policies), then the synthetic ones.
        var replies = try LabCaptures.replies(in: paths.labDirectory)
        replies["list-policies"] = replies["list-policies trap=yes"]
        replies["stats"] = .response(stats)
        let done = try Self.frame(.commandResponse(VICIMessage()))
        replies["list-sas"] = .frames(listSAFrames + [done])
        replies["list-conns"] = .frames(listConnFrames + [done])
        self.replies = replies
    }

    /// The answer to `command` with `message` (CMD_UNKNOWN for commands charon would not know here).
    public func reply(to command: String, _ message: VICIMessage) -> CharonReply {
        script.reply(to: command, message)
    }

    /// A script for ``ScriptedCharon`` answering like this gateway; every event registration is confirmed
    /// and no event is raised.
    public var script: CharonScript {
        CharonScript(replies: replies, knownEvents: nil)
    }

    /// `packet` as a complete wire frame.
    public static func frame(_ packet: VICIPacket) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try packet.encodeFrame(into: &buffer)
        return buffer
    }
}
