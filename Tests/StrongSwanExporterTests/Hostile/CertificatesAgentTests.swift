import Foundation
import HTTPTestSupport
import PrometheusExpositionTesting
@testable import StrongSwanExporter
import TestRequirements
import TestSupport
import Testing
import VICI

extension HostileSuite {
    /// `list-certs` answers charon would not give, through the whole agent: a certificate listed twice (charon
    /// de-duplicates `list-certs`), whose dropped duplicate `strongswan_exporter_duplicate_series_dropped` counts
    /// in the rendering it is part of, in `dump` (one rendering) as on `/metrics`; entries of a type not decoded
    /// and entries that do not decode, counted and logged once.
    @Suite(.timeLimit(.minutes(2))) struct CertificatesAgentTests {
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
        /// A type this exporter does not decode and an entry that does not decode are counted, and each is
        /// logged once per process however often list-certs runs again (here: after reconnects).
        @Test func certificateProblemsAreCountedAndLoggedOnce() async throws {
            var script = try CharonScript.lab()
            func entry(_ type: String, _ data: [UInt8]) -> VICIMessage {
                VICIMessage([.init("type", .value(Array(type.utf8))), .init("data", .value(data))])
            }
            script.replies["list-certs"] = .stream(
                event: "list-cert", events: [entry("PGP", [1, 2]), entry("X509_CRL", [0x30, 0x03, 0x02]), entry("PGP", [3])],
                response: VICIMessage())
            try await HostileVICIPeerTests.withAgent(followEvents: false, script: script) { charon, agent in
                let first = try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                #expect(first.value("strongswan_certificates_loaded", ["type": "PGP"]) == 2)
                #expect(first.value("strongswan_certificates_loaded", ["type": "X509_CRL"]) == 1)
                #expect(first.value("strongswan_certificates_undecodable", ["type": "X509_CRL"]) == 1)
                #expect(first.value("strongswan_certificates_undecodable", ["type": "PGP"]) == 0)
                #expect(first.samples(named: "strongswan_crl_info").isEmpty, "nothing is read as what it is not")
                for round in 2...3 {
                    await charon.dropClients()
                    let deadline = ContinuousClock.now + .seconds(60)
                    while charon.commands("list-certs") < round * 2, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(charon.commands("list-certs") >= round * 2, "list-certs ran again after reconnect \(round - 1)")
                }
                _ = try await agent.waitFor("a poll after the last reconnect") { $0.value("strongswan_up") == 1 }
                let problems = agent.logs.lines(minimum: .warning).filter { $0.message.hasPrefix("list-certs returned") }
                #expect(problems.count == 2, "one line per type and problem: \(problems)")
                #expect(problems.contains { $0.message.contains("type PGP") })
                #expect(problems.contains { $0.message.contains("X509_CRL entry that does not decode") })
            }
        }
    }
}
