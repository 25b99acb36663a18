import Foundation
import HTTPTestSupport
import PrometheusExpositionTesting
@testable import StrongSwanExporter
import TestRequirements
import TestSupport
import Testing
import VICI

extension HostileSuite {
    /// `strongswan_exporter_duplicate_series_dropped` counts the rendering it is part of, in `dump` (one
    /// rendering) as on `/metrics`. Only a peer that breaks charon's rules can cause a duplicate: charon
    /// de-duplicates `list-certs`, this peer sends one certificate twice.
    @Suite(.timeLimit(.minutes(2))) struct DuplicateSeriesTests {
        static func script() async throws -> CharonScript {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try await HTTPTestProcess.run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "k.pem", "-subj", "/CN=twice", "-days", "1", "-outform", "DER", "-out", "c.der",
            ], directory: directory)
            let der = [UInt8](try Data(contentsOf: directory.appendingPathComponent("c.der")))
            let event = VICIMessage([.init("type", .value(Array("X509".utf8))), .init("flag", .value(Array("NONE".utf8))),
                                     .init("data", .value(der))])
            var script = try CharonScript.lab()
            script.replies["list-certs"] = .stream(event: "list-cert", events: [event, event], response: VICIMessage())
            return script
        }

        @Test func dumpCountsItsOwnRendering() async throws {
            try CIRequirement.requireOrCancel(FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl")
            let charon = try await ScriptedCharon(script: try await Self.script())
            var configuration = ExporterConfiguration()
            configuration.viciURI = charon.uri
            configuration.errorNotifyURI = nil
            let (bytes, up) = await ExporterApp(configuration: configuration).dumpOnce()
            await charon.stop()
            #expect(up)
            let dump = try ExpositionParser().parse(bytes)
            #expect(dump.samples(named: "strongswan_certificate_info").count == 1)
            #expect(dump.value("strongswan_exporter_duplicate_series_dropped") == 3, "the one rendering's own drops: info, not-before, not-after")
        }

        @Test func metricsCountItsOwnRendering() async throws {
            try CIRequirement.requireOrCancel(FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl")
            try await HostileVICIPeerTests.withAgent(followEvents: false, script: try await Self.script()) { _, agent in
                let first = try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                #expect(first.value("strongswan_exporter_duplicate_series_dropped") == 3)
            }
        }
    }
}
