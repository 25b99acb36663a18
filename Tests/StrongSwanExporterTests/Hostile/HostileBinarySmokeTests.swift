import Foundation
import HTTPTestSupport
import NIOCore
import PrometheusExposition
import PrometheusExpositionTesting
import TestRequirements
import Testing
@testable import StrongSwanExporter
@testable import VICI
import TestSupport

extension HostileSuite {
    /// The real `strongswan_exporter run` binary against the hostile peer: a stall in the middle of a frame, a
    /// malformed event and an event flood, then good behaviour again. The process stays up, serves `/metrics`
    /// throughout, logs the outage once, keeps its memory bounded and exits cleanly on SIGTERM.
    ///
    /// The binary is `$EXPORTER_BINARY`, or the debug build next to the sources (`swift build` makes it); when
    /// neither exists the test is skipped, and fails under CI=true (``CIRequirement``). Its memory is the
    /// exporter process's own (`process_resident_memory_bytes`), not this test process's.
    @Suite(.timeLimit(.minutes(4))) struct HostileBinarySmokeTests {
        static var binary: String? {
            if let path = ProcessInfo.processInfo.environment["EXPORTER_BINARY"] { return path }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let path = root.appendingPathComponent(".build/debug/strongswan_exporter").path
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }

        @Test func binarySurvivesAHostilePeer() async throws {
            try CIRequirement.requireOrCancel(Self.binary != nil, "the strongswan_exporter binary (swift build, or set EXPORTER_BINARY)")
            let binary = try #require(Self.binary)
            let charon = try await ScriptedCharon(script: CharonScript.lab())
            // Below Linux's ephemeral range (32768-60999): a port there can be the local port of a connection.
            let port = Int.random(in: 20_000...32_000)
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-exporter-\(port).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let logHandle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            // A generous --vici.timeout: a healthy answer from the in-process peer must never be late on a loaded
            // machine (that would be a second outage); the stall below still ends at it.
            process.arguments = [
                "run", "--vici.socket", charon.uri, "--web.listen-address", "127.0.0.1:\(port)",
                "--poll.interval", "300ms", "--vici.timeout", "5s",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = logHandle
            try process.run()
            defer {
                if process.isRunning { process.terminate() }
                try? logHandle.close()
                try? FileManager.default.removeItem(at: log)
            }
            func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
            func scrape() async throws -> ParsedExposition {
                let response = try await withHTTPTestTimeout(seconds: 10) {
                    try await withHTTPTestConnection(port: port) { connection in
                        try await connection.request("GET", "/metrics")
                        return try await connection.readResponse()
                    }
                }
                guard let response, response.status == 200 else { throw HostileError("scrape: \(String(describing: response?.status))") }
                return try ExpositionParser().parse(response.body)
            }
            func waitFor(_ what: String, _ condition: (ParsedExposition) -> Bool) async throws -> ParsedExposition {
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    guard process.isRunning else { throw HostileError("exporter exited: \(logText())") }
                    if let scrape = try? await scrape(), condition(scrape) { return scrape }
                    try await Task.sleep(for: .milliseconds(50))
                }
                throw HostileError("timed out waiting for \(what); log: \(logText())")
            }
            func resident(_ scrape: ParsedExposition) -> Double { scrape.value("process_resident_memory_bytes") ?? 0 }

            let healthy = try await waitFor("first poll") { $0.value("strongswan_up") == 1 }
            let startMemory = resident(healthy)

            // A stall in the middle of a frame: ended by --vici.timeout, reported once.
            var stall = try CharonScript.lab()
            stall.onCommand = { name, _, session in
                guard name == "stats" else { return false }
                session.sendRaw(Array(RawVICI.frame(Array(repeating: 1, count: 100)).prefix(14)))
                return true
            }
            charon.script = stall
            _ = try await waitFor("strongswan_up 0") { $0.value("strongswan_up") == 0 }
            _ = try await waitFor("more failed polls") {
                ($0.value("strongswan_exporter_polls_total", ["result": "failure"]) ?? 0) >= 3
            }

            // Then a malformed event frame and an event flood on the event connection, with good polls.
            let sa = try HostileSuite.HostileVICIPeerTests.fixtureEvent("list-sas")
            let up = RawVICI.event("child-updown", RawVICI.kv("up", "yes") + sa)
            let down = RawVICI.event("child-updown", sa)
            let batch = Array((0..<128).map { $0 % 2 == 0 ? up : down }.joined())
            let once = OnceFlag()
            var flood = try CharonScript.lab()
            flood.afterRegister = { event, session in
                guard event == HostileSuite.HostileEventPeerTests.lastEvent else { return }
                if once.setOnce() {
                    session.sendRaw(RawVICI.frame([9, 1, 2]))
                    return
                }
                session.every(.milliseconds(1)) { session in
                    if session.isWritable { session.sendRaw(batch) }
                    return true
                }
            }
            charon.script = flood
            await charon.dropClients()
            var peakMemory = startMemory
            // At least 6 s of flood, and on until the exporter has applied some of it (a generous deadline).
            let floodStart = ContinuousClock.now
            var applied = 0.0
            while ContinuousClock.now < floodStart + .seconds(6) || applied == 0 {
                guard ContinuousClock.now < floodStart + .seconds(60) else { break }
                let scrape = try await scrape()
                peakMemory = max(peakMemory, resident(scrape))
                applied = scrape.value("strongswan_exporter_events_total", ["event": "child-updown"]) ?? 0
                try await Task.sleep(for: .milliseconds(200))
            }
            charon.script = try CharonScript.lab()
            await charon.dropClients()
            let recovered = try await waitFor("recovery") { $0.value("strongswan_up") == 1 }
            #expect((recovered.value("strongswan_exporter_events_total", ["event": "child-updown"]) ?? 0) > 0)
            #expect(peakMemory - startMemory < 256 * 1_048_576,
                    "resident memory grew from \(startMemory / 1_048_576) to \(peakMemory / 1_048_576) MiB")

            process.terminate()
            let stopDeadline = ContinuousClock.now + .seconds(30)
            while process.isRunning, ContinuousClock.now < stopDeadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!process.isRunning, "no exit within 30 s of SIGTERM")
            if !process.isRunning { #expect(process.terminationStatus == 0, "\(logText())") }
            await charon.stop()

            let lines = logText().split(separator: "\n")
            let unreachable = lines.filter { $0.contains("msg=\"charon unreachable\"") }
            // One outage for the stall; the peer dropping every client after the flood may catch a poll in
            // flight, which is a second, real outage (charon closed the connection) — never more.
            #expect((1...2).contains(unreachable.count), "\(unreachable)")
            #expect(unreachable.first?.contains("VICI timeout:") == true, "\(unreachable)")
            if unreachable.count == 2 {
                #expect(unreachable[1].contains("VICI connectionClosed:"), "\(unreachable)")
            }
            #expect(lines.contains { $0.contains("event subscription lost") && $0.contains("VICI unknownPacketType:") },
                    "\(logText())")
            print("binary smoke: resident memory \(Int(startMemory) / 1_048_576) MiB at start, \(Int(peakMemory) / 1_048_576) MiB at most under the flood; log lines at warning or above: \(lines.filter { $0.contains("level=warn") || $0.contains("level=error") }.count)")
        }
    }
}
