import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import VICI

/// Decoding frames captured from a real charon 5.9.8 (see Fixtures/README.md), checked against strongSwan's
/// own Python client and against `swanctl --raw`.
@Suite("Real-daemon fixtures")
struct RealDaemonFixtureTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return [UInt8](try Data(contentsOf: url))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try fixture(name), as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// Splits a byte stream into frames with the production decoder, fed in uneven chunks.
    static func frames(_ bytes: [UInt8], chunk: Int = 977) throws -> [ByteBuffer] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VICIFrameDecoder()))
        var frames: [ByteBuffer] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            try channel.writeInbound(ByteBuffer(bytes: bytes[start..<end]))
            while let frame = try channel.readInbound(as: ByteBuffer.self) { frames.append(frame) }
            start = end
        }
        #expect(try channel.finish().isClean)
        return frames
    }

    static func packet(_ name: String) throws -> VICIPacket {
        let frames = try frames(try fixture(name + ".frame"))
        try #require(frames.count == 1)
        return try VICIPacket.decode(frames[0])
    }

    static let names = [
        "version-response", "stats-response", "get-counters-response", "get-counters-all-response",
        "get-pools-leases-response", "get-algorithms-response", "list-sa-event-site", "list-sa-event-rw",
        "list-conn-event-site", "list-conn-event-rw", "list-cert-event", "list-policy-event",
    ]

    @Test(arguments: names)
    func decodesLikeStrongSwansPythonClient(_ name: String) throws {
        let packet = try Self.packet(name)
        let message = try #require(packet.message)
        #expect(message.rawDescription() == (try Self.text(name + ".oracle.txt")), "\(name)")
        // Re-encoding reproduces the daemon's bytes exactly.
        var reencoded = ByteBuffer()
        try packet.encodeFrame(into: &reencoded)
        #expect(Array(reencoded.readableBytesView) == (try Self.fixture(name + ".frame")), "\(name)")
    }

    @Test func versionMatchesSwanctlRaw() throws {
        guard case .commandResponse(let message) = try Self.packet("version-response") else {
            Issue.record("not a CMD_RESPONSE")
            return
        }
        #expect(message.rawDescription(label: "version reply") == (try Self.text("swanctl-version-raw.txt")))
        let pretty = String(decoding: try Self.fixture("swanctl-version-pretty.txt"), as: UTF8.self)
        #expect(message.prettyDescription(label: "version reply") == pretty)
        let version = try VICIVersion(message)
        #expect(version.daemon == "charon")
        #expect(version.version == "5.9.8")
        #expect(version.sysname == "Linux")
        #expect(version.machine == "x86_64")
    }

    /// Values checked by hand against `swanctl --stats --raw` run right after the capture; only the fields
    /// that drift with time differ.
    @Test func statsMatchesSwanctlRaw() throws {
        guard case .commandResponse(let stats) = try Self.packet("stats-response") else {
            Issue.record("not a CMD_RESPONSE")
            return
        }
        func masked(_ line: String) -> String {
            line.replacing(/running=[0-9]+ [a-z]+/, with: "running=*")
                .replacing(/since=[^}]*/, with: "since=*")
                .replacing(/(scheduled|sbrk|used|free)=[0-9]+/) { "\($0.output.1)=*" }
        }
        #expect(masked(stats.rawDescription(label: "stats reply")) == masked(try Self.text("swanctl-stats-raw.txt")))
        #expect(stats.section("ikesas")?.uint64("total") == 60)
        #expect(stats.section("ikesas")?.uint64("half-open") == 0)
        #expect(stats.section("workers")?.uint64("total") == 16)
        #expect(stats.section("workers")?.section("active")?.uint64("critical") == 4)
        #expect(stats.section("queues")?.entries.map(\.name) == ["critical", "high", "medium", "low"])
        #expect(stats.section("uptime")?.string("running") == "14 minutes")
        #expect(stats.list("plugins") == ["charon", "random", "nonce", "openssl", "kdf", "pem", "pkcs1", "pkcs8", "x509",
                                          "pubkey", "constraints", "kernel-libipsec", "kernel-netlink", "socket-default",
                                          "vici", "counters"])
        #expect(stats.section("mallinfo")?.uint64("mmap") == 0)
    }

    @Test func globalCountersAreInASectionNamedEmpty() throws {
        let counters = try #require(try Self.packet("get-counters-response").message)
        let global = try #require(counters.section("counters")?.section(""))
        #expect(global.entries.count == 21)
        #expect(global.uint64("ike-rekey-init") == 6)
        #expect(global.uint64("info-in-resp") == 1406)
        #expect(counters.bool("success") == true)
        let strict = VICICodingOptions(allowEmptyNames: false)
        expectVICIError(.invalidName) { _ = try VICIPacket.decode(try Self.frames(try Self.fixture("get-counters-response.frame"))[0], options: strict) }
    }

    @Test func certificateDataIsBinaryDER() throws {
        let cert = try #require(try Self.packet("list-cert-event").message)
        #expect(cert.string("type") == "X509")
        let der = try #require(cert.bytes("data"))
        #expect(der.prefix(2) == [0x30, 0x82])
        #expect(Int(der[2]) << 8 | Int(der[3]) == der.count - 4)
    }

    @Test func wholeListSAsStream() throws {
        let frames = try Self.frames(try Self.fixture("list-sas-stream.bin"))
        #expect(frames.count == 61)
        var names: [String] = []
        var childStates: [String: Int] = [:]
        for frame in frames.dropLast() {
            guard case .event(let event, let message) = try VICIPacket.decode(frame) else {
                Issue.record("expected an EVENT")
                continue
            }
            #expect(event == "list-sa")
            let sections = message.sections
            #expect(sections.count == 1)
            for (name, ike) in sections {
                names.append(name)
                #expect(ike.string("state") == "ESTABLISHED")
                for (_, child) in ike.section("child-sas")?.sections ?? [] {
                    childStates[child.string("state") ?? "?", default: 0] += 1
                }
            }
        }
        #expect(try VICIPacket.decode(frames[60]) == .commandResponse(VICIMessage()))
        #expect(names.filter { $0.hasPrefix("site-") }.count == 50)
        #expect(names.filter { $0 == "rw" }.count == 10)
        #expect(Set(names.filter { $0.hasPrefix("site-") }).count == 50)
        #expect(childStates["INSTALLED", default: 0] >= 60)
    }

    @Test func roadWarriorHasVirtualIPs() throws {
        let event = try #require(try Self.packet("list-sa-event-rw").message)
        let rw = try #require(event.section("rw"))
        #expect(rw.list("remote-vips")?.first?.hasPrefix("10.3.0.") == true)
        #expect(rw.string("remote-id")?.hasSuffix(".lab.test") == true)
    }
}
