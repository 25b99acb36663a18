import Foundation
import Logging
import NIOCore
import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import Synchronization
import Testing
@testable import StrongSwanExporter
@testable import VICI
import TestSupport

extension HostileSuite {
    /// The agent (poller, event follower, core, HTTP server — wired as `run` wires them) against a VICI peer that
    /// plays charon badly. For every misbehaviour the exporter keeps answering `/metrics` with a valid exposition,
    /// reports the failure through `strongswan_up` / `strongswan_exporter_collector_success`, logs it once, and
    /// recovers when the peer behaves again.
    @Suite(.timeLimit(.minutes(4))) struct HostileVICIPeerTests {
        typealias Respond = @Sendable (CharonSession) -> Void

        // MARK: - Misbehaviours that break the command connection

        /// The cases where the connection must be dropped: a malformed or out-of-place answer to `stats` (the
        /// second collector, so `version` still succeeds in the failing poll), with the VICI error code the
        /// failure must name.
        static let breakingCases: [(name: String, code: VICIError.Code, respond: Respond)] = [
            ("oversized length prefix", .frameTooLarge, { $0.sendRaw([0xff, 0xff, 0xff, 0xff, 1]) }),
            ("length prefix one over 512 KiB", .frameTooLarge, {
                $0.sendRaw(RawVICI.frame([1], declaredLength: UInt32(VICICodingOptions.defaultMaxFrameLength + 1)))
            }),
            ("truncated frame, then close", .connectionClosed, { session in
                session.sendRaw(Array(RawVICI.response(RawVICI.kv("a", "b")).prefix(7)))
                session.close()
            }),
            ("message truncated inside a frame", .truncated, {
                $0.sendRaw(RawVICI.frame([1, RawVICI.keyValue, 5, 0x61, 0x62]))
            }),
            ("zero-length frame", .emptyFrame, { $0.sendRaw([0, 0, 0, 0]) }),
            ("unknown packet type", .unknownPacketType, { $0.sendRaw(RawVICI.frame([9, 1, 2, 3])) }),
            ("client packet from the daemon", .unexpectedPacket, { $0.send(.eventRegister(name: "stats")) }),
            ("EVENT_CONFIRM instead of a response", .unexpectedPacket, { $0.send(.eventConfirm) }),
            ("SECTION_END without a section", .unbalancedSection, { $0.sendRaw(RawVICI.response([RawVICI.sectionEnd])) }),
            ("section never closed", .unterminatedSection, {
                $0.sendRaw(RawVICI.response([RawVICI.sectionStart] + RawVICI.name(Array("a".utf8)) + RawVICI.kv("b", "c")))
            }),
            ("list in a list", .nestedList, {
                $0.sendRaw(RawVICI.response([RawVICI.listStart, 1, 0x61, RawVICI.listStart, 1, 0x62]))
            }),
            ("key/value in a list", .keyValueInList, {
                $0.sendRaw(RawVICI.response([RawVICI.listStart, 1, 0x61] + RawVICI.kv("b", "c") + [RawVICI.listEnd]))
            }),
            ("section in a list", .sectionInList, {
                $0.sendRaw(RawVICI.response([RawVICI.listStart, 1, 0x61] + RawVICI.section("b", []) + [RawVICI.listEnd]))
            }),
            ("list item outside a list", .listItemOutsideList, { $0.sendRaw(RawVICI.response([RawVICI.listItem, 0, 0])) }),
            ("unknown element type", .unknownElementType, { $0.sendRaw(RawVICI.response([7, 1, 0x61])) }),
            ("100,000 nested sections", .depthLimitExceeded, { session in
                var message: [UInt8] = []
                message.reserveCapacity(400_000)
                for _ in 0..<100_000 { message += [RawVICI.sectionStart, 1, 0x73] }
                for _ in 0..<100_000 { message.append(RawVICI.sectionEnd) }
                session.sendRaw(RawVICI.response(message))
            }),
            ("key that is not UTF-8", .invalidName, { $0.sendRaw(RawVICI.response([RawVICI.keyValue, 2, 0xc3, 0x28, 0, 0])) }),
            ("duplicate keys", .duplicateKey, { $0.sendRaw(RawVICI.response(RawVICI.kv("total", "1") + RawVICI.kv("total", "2"))) }),
            ("disconnect before answering", .connectionClosed, { $0.close() }),
        ]

        @Test(arguments: 0..<breakingCases.count)
        func malformedAnswerDropsTheConnectionAndIsReportedOnce(index: Int) async throws {
            let hostile = Self.breakingCases[index]
            try await Self.withAgent { charon, agent in
                try await Self.checkOutage(charon, agent, code: hostile.code, what: hostile.name) { script in
                    script.onCommand = { name, _, session in
                        guard name == "stats" else { return false }
                        hostile.respond(session)
                        return true
                    }
                }
            }
        }

        @Test func secondAnswerToOneCommandIsCaughtAtTheNextExchange() async throws {
            // The protocol has no sequence numbers: a surplus response is only detectable when it arrives where no
            // response can (here: while list-sas waits for its EVENT_CONFIRM), so `sas` is the collector that fails.
            try await Self.withAgent { charon, agent in
                try await Self.checkOutage(charon, agent, code: .unexpectedPacket, what: "two answers", failing: "sas") { script in
                    script.onCommand = { name, _, session in
                        guard name == "stats" else { return false }
                        session.send(.commandResponse(VICIMessage()), flush: false)
                        session.send(.commandResponse(VICIMessage()))
                        return true
                    }
                }
            }
        }

        @Test func peerThatIsHostileFromTheStartIsReportedOnce() async throws {
            var script = try CharonScript.lab()
            script.onCommand = { name, _, session in
                guard name == "version" else { return false }
                session.sendRaw([0, 0, 0, 0])
                return true
            }
            try await Self.withAgent(script: script) { charon, agent in
                try await agent.waitForPolls(after: 0, count: 5)
                let scrape = try await agent.scrape()
                #expect(scrape.value("strongswan_up") == 0)
                #expect(scrape.value("strongswan_exporter_polls_total", ["result": "failure"]) ?? 0 >= 5)
                let lines = agent.logs.lines(minimum: .warning)
                #expect(lines.count == 1, "\(lines)")
                #expect(lines.first?.message == "charon unreachable")
                #expect(lines.first?.metadata["error"]?.contains("VICI emptyFrame:") == true, "\(lines)")
                charon.script = try CharonScript.lab()
                try await agent.waitFor("recovery") { $0.value("strongswan_up") == 1 }
            }
        }

        @Test func charonThatIsNotThereAtStartIsReportedOnce() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
            let agent = try await HostileAgent.start(vici: "unix://\(directory.path)/charon.vici")
            try await agent.waitForPolls(after: 0, count: 5)
            let lines = agent.logs.lines(minimum: .warning)
            await agent.stop()
            // One line from the poller; the event follower says once that it could not subscribe.
            #expect(lines.map(\.message).sorted() == ["charon unreachable", "event subscription failed"], "\(lines)")
            #expect(lines.allSatisfy { $0.metadata["error"]?.contains("No such file or directory") == true }, "\(lines)")
        }

        // MARK: - Stalls and trickles end at the command deadline

        @Test func stallInTheMiddleOfAFrameEndsAtTheDeadline() async throws {
            try await Self.withAgent { charon, agent in
                let (_, down) = try await Self.checkOutage(charon, agent, code: .timeout, what: "stall mid-frame") { script in
                    script.onCommand = { name, _, session in
                        guard name == "stats" else { return false }
                        // 10 of the 100 announced bytes, then silence with the socket open.
                        session.sendRaw(Array(RawVICI.frame(Array(repeating: 1, count: 100)).prefix(14)))
                        return true
                    }
                }
                // The failing poll ended at the deadline (5 s): the peer never closed, so without the deadline it
                // would never have ended (waitFor gives up after 60 s). At least the deadline, however fast the
                // machine; no upper bound beyond that, however slow.
                let deadline = Double(HostileAgent.viciTimeout.components.seconds)
                let duration = try #require(down.value("strongswan_exporter_poll_duration_seconds"))
                #expect(duration >= deadline * 0.9, "failing poll took \(duration) s")
            }
        }

        @Test func tricklingPeerCannotStretchTheDeadline() async throws {
            try await Self.withAgent { charon, agent in
                let (_, down) = try await Self.checkOutage(charon, agent, code: .timeout, what: "trickle") { script in
                    script.onCommand = { name, _, session in
                        guard name == "stats" else { return false }
                        // A 600-byte answer, one byte every 50 ms: 30 s in total, the deadline is 5 s.
                        var bytes = RawVICI.response(RawVICI.kv("k", String(repeating: "x", count: 590)))[...]
                        session.every(.milliseconds(50)) { session in
                            guard let byte = bytes.popFirst() else { return false }
                            session.sendRaw([byte])
                            return true
                        }
                        return true
                    }
                }
                // A deadline the trickle stretched would end the poll after the whole answer (30 s) or not at all
                // (each byte resetting an idle timer); the deadline ends it after 5 s. 20 s leaves a slow machine
                // 15 s of slack and still tells the two apart.
                let deadline = Double(HostileAgent.viciTimeout.components.seconds)
                let duration = try #require(down.value("strongswan_exporter_poll_duration_seconds"))
                #expect(duration >= deadline * 0.9 && duration < 20, "failing poll took \(duration) s")
            }
        }

        // MARK: - Streams

        @Test func disconnectInTheMiddleOfAStream() async throws {
            try await Self.withAgent { charon, agent in
                let event = try Self.fixtureEvent("list-sas")
                try await Self.checkOutage(charon, agent, code: .connectionClosed, what: "disconnect mid-stream",
                                           failing: "sas") { script in
                    script.onCommand = { name, _, session in
                        guard name == "list-sas" else { return false }
                        session.sendRaw(RawVICI.event("list-sa", event), flush: false)
                        session.sendRaw(Array(RawVICI.event("list-sa", event).prefix(20)))
                        session.close()
                        return true
                    }
                }
            }
        }

        // MARK: - Commands that fail without breaking the connection

        @Test func unknownCommandFailsOnlyItsCollector() async throws {
            try await Self.withAgent { charon, agent in
                try await Self.checkCollectorFailure(charon, agent, collector: "pools", code: .unknownCommand) { script in
                    script.onCommand = { name, _, session in
                        guard name == "get-pools" else { return false }
                        session.send(.commandUnknown)
                        return true
                    }
                }
            }
        }

        @Test func refusedCommandFailsOnlyItsCollector() async throws {
            try await Self.withAgent { charon, agent in
                try await Self.checkCollectorFailure(charon, agent, collector: "counters", code: .commandFailed) { script in
                    script.onCommand = { name, _, session in
                        guard name == "get-counters" else { return false }
                        session.send(.commandResponse(VICIMessage([
                            .init("success", .value("no")), .init("errmsg", .value("no counters available")),
                        ])))
                        return true
                    }
                }
            }
        }

        // MARK: - Values that are not what they claim

        @Test func numbersThatOverflowOrAreNotNumbersAreDroppedNotTrusted() async throws {
            try await Self.withAgent { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                var script = try CharonScript.lab()
                script.onCommand = { name, _, session in
                    guard name == "stats" else { return false }
                    session.sendRaw(RawVICI.response(
                        RawVICI.section("workers",
                            RawVICI.kv("total", "18446744073709551616")          // 2^64
                            + RawVICI.kv("idle", "-1")
                            + RawVICI.section("active", RawVICI.kv("critical", "1e3") + RawVICI.kv("high", " 2")
                                              + RawVICI.kv("medium", "0x10") + RawVICI.kv("low", "3")))
                        + RawVICI.section("queues", RawVICI.kv("critical", "NaN") + RawVICI.kv("high", "")
                                          + RawVICI.kv("medium", "99999999999999999999999999999") + RawVICI.kv("low", "4"))
                        + RawVICI.kv("scheduled", [0xff, 0xfe])
                        + RawVICI.section("ikesas", RawVICI.kv("total", "+5") + RawVICI.kv("half-open", "5"))
                        + RawVICI.list("plugins", ["vici", "x\"y\\z\nw"])
                        + RawVICI.section("uptime", RawVICI.kv("since", "Feb 31 99:99:99 2026"))))
                    return true
                }
                charon.script = script
                let scrape = try await agent.waitFor("malformed stats polled") {
                    $0.value("strongswan_job_queue_jobs", ["priority": "low"]) == 4
                }
                #expect(scrape.value("strongswan_up") == 1)
                #expect(scrape.collectorSuccess["stats"] == 1)
                // Every malformed number is absent, never a wrapped or guessed value.
                #expect(scrape.value("strongswan_worker_threads") == nil)
                #expect(scrape.value("strongswan_worker_threads_idle") == nil)
                #expect(scrape.value("strongswan_jobs_scheduled") == nil)
                #expect(scrape.value("strongswan_ike_sas") == nil)
                #expect(scrape.value("strongswan_start_time_seconds") == nil)
                #expect(scrape.value("strongswan_ike_sas_half_open") == 5)
                #expect(scrape.value("strongswan_worker_threads_active", ["priority": "low"]) == 3)
                for priority in ["critical", "high", "medium"] {
                    #expect(scrape.value("strongswan_worker_threads_active", ["priority": priority]) == nil)
                    #expect(scrape.value("strongswan_job_queue_jobs", ["priority": priority]) == nil)
                }
                // A label value with a quote, a backslash and a newline comes back byte for byte.
                #expect(scrape.value("strongswan_plugin_info", ["plugin": "x\"y\\z\nw"]) == 1)
            }
        }

        @Test func valuesThatAreNotUTF8BecomeEmptyLabels() async throws {
            try await Self.withAgent { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                var script = try CharonScript.lab()
                script.onCommand = { name, _, session in
                    guard name == "version" else { return false }
                    session.sendRaw(RawVICI.response(
                        RawVICI.kv("daemon", [0xc3, 0x28]) + RawVICI.kv("version", [0xed, 0xa0, 0x80])  // a surrogate
                        + RawVICI.kv("sysname", [0xff]) + RawVICI.kv("release", "6.1") + RawVICI.kv("machine", "x86_64")))
                    return true
                }
                charon.script = script
                // `version` runs on the configuration clock: a reconnect (a restarted charon) runs it again.
                await charon.dropClients()
                let scrape = try await agent.waitFor("version with invalid UTF-8") {
                    $0.value("strongswan_info", ["release": "6.1", "machine": "x86_64"]) == 1
                }
                #expect(scrape.collectorSuccess["version"] == 1)
                let info = try #require(scrape.samples(named: "strongswan_info").first)
                #expect(info.label("daemon") ?? "" == "")
                #expect(info.label("version") ?? "" == "")
                #expect(info.label("sysname") ?? "" == "")
            }
        }

        // MARK: - Helpers

        /// Starts a well-behaved peer and the agent against it, runs `body`, and takes both down.
        static func withAgent(
            timeout: Duration = HostileAgent.viciTimeout, followEvents: Bool = true, script: CharonScript? = nil,
            eventBackoff: (min: Duration, max: Duration) = (.milliseconds(100), .seconds(2)),
            errorNotify: String? = nil, captureLogs: Bool = true,
            _ body: (ScriptedCharon, HostileAgent) async throws -> Void
        ) async throws {
            let charon = try await ScriptedCharon(script: script ?? CharonScript.lab())
            let agent = try await HostileAgent.start(
                vici: charon.uri, timeout: timeout, followEvents: followEvents, eventBackoff: eventBackoff,
                errorNotify: errorNotify, captureLogs: captureLogs)
            do {
                try await body(charon, agent)
            } catch {
                await agent.stop()
                await charon.stop()
                throw error
            }
            await agent.stop()
            await charon.stop()
        }

        /// Waits for a healthy first poll, applies the hostile `script`, and checks the outage: `/metrics` keeps
        /// answering 200 with a strictly valid exposition, `strongswan_up` turns 0, the failed collector (`stats`
        /// unless told otherwise) reports 0 with `version` still 1 (when it came first), exactly one line at warning
        /// level or above is logged however many polls fail, and it names the VICI error `code`. Then the peer
        /// behaves again and the exporter recovers (`charon reachable`). Returns how long the outage took to show.
        @discardableResult
        static func checkOutage(
            _ charon: ScriptedCharon, _ agent: HostileAgent, code: VICIError.Code, what: String, failing: String = "stats",
            _ configure: (inout CharonScript) -> Void
        ) async throws -> (took: Duration, down: ParsedExposition) {
            try await agent.waitFor("healthy first poll") {
                $0.value("strongswan_up") == 1 && $0.collectorSuccess.values.allSatisfy { $0 == 1 }
                    && $0.collectorSuccess.count == CollectorCatalogue.all.count
            }
            let warningsBefore = agent.logs.lines(minimum: .warning).count
            let reachableBefore = agent.logs.lines("charon reachable").count
            let infoBefore = agent.logs.lines(minimum: .info).count
            var script = try CharonScript.lab()
            configure(&script)
            let start = ContinuousClock.now
            charon.script = script
            let down = try await agent.waitFor("strongswan_up 0 (\(what))") { $0.value("strongswan_up") == 0 }
            let took = ContinuousClock.now - start
            // With charon unreachable no collector counts as successful (their series are withheld).
            #expect(down.collectorSuccess.count == CollectorCatalogue.all.count && down.collectorSuccess.values.allSatisfy { $0 == 0 },
                    "\(what): \(down.collectorSuccess)")
            #expect(down.value("strongswan_info") == nil, "charon's series are withheld while it is down")
            // Several more failing polls (with reconnects) do not add log lines.
            let polls = await agent.polls()
            try await agent.waitForPolls(after: polls, count: 3)
            let still = try await agent.scrape()
            #expect(still.value("strongswan_up") == 0)
            let warnings = Array(agent.logs.lines(minimum: .warning).dropFirst(warningsBefore))
            #expect(warnings.count == 1, "\(what): expected one log line, got \(warnings)")
            if let line = warnings.first {
                #expect(line.message == "charon unreachable", "\(what): \(line)")
                #expect(line.metadata["error"]?.contains("VICI \(code):") == true, "\(what): \(line)")
            }
            // The peer behaves again: the exporter recovers on its own.
            charon.script = try CharonScript.lab()
            try await agent.waitFor("recovery after \(what)") {
                $0.value("strongswan_up") == 1 && $0.collectorSuccess.values.allSatisfy { $0 == 1 }
            }
            #expect(agent.logs.lines("charon reachable").count == reachableBefore + 1)
            // The recovery is one line too: no "collector recovered" for collectors whose failure was never logged.
            let infos = Array(agent.logs.lines(minimum: .info).dropFirst(infoBefore)).filter { $0.level < .warning }
            #expect(infos.map(\.message) == ["charon reachable"], "\(what): \(infos)")
            return (took, down)
        }

        /// Like ``checkOutage`` for a command that fails without breaking the connection: `strongswan_up` stays
        /// 1, only `collector` reports 0, one `collector failed` line names `code`, and it recovers.
        static func checkCollectorFailure(
            _ charon: ScriptedCharon, _ agent: HostileAgent, collector: String, code: VICIError.Code,
            _ configure: (inout CharonScript) -> Void
        ) async throws {
            try await agent.waitFor("healthy first poll") {
                $0.value("strongswan_up") == 1 && $0.collectorSuccess.count == CollectorCatalogue.all.count && $0.collectorSuccess.values.allSatisfy { $0 == 1 }
            }
            let warningsBefore = agent.logs.lines(minimum: .warning).count
            var script = try CharonScript.lab()
            configure(&script)
            charon.script = script
            let failed = try await agent.waitFor("\(collector) failing") { $0.collectorSuccess[collector] == 0 }
            #expect(failed.value("strongswan_up") == 1)
            #expect(failed.collectorSuccess.filter { $0.value == 0 }.keys.sorted() == [collector])
            let polls = await agent.polls()
            try await agent.waitForPolls(after: polls, count: 3)
            let warnings = Array(agent.logs.lines(minimum: .warning).dropFirst(warningsBefore))
            #expect(warnings.count == 1, "expected one log line, got \(warnings)")
            if let line = warnings.first {
                #expect(line.message == "collector failed" && line.metadata["collector"] == collector, "\(line)")
                #expect(line.metadata["error"]?.contains("VICI \(code):") == true, "\(line)")
            }
            charon.script = try CharonScript.lab()
            try await agent.waitFor("\(collector) recovered") { $0.collectorSuccess[collector] == 1 }
            #expect(agent.logs.lines("collector recovered").count == 1)
        }

        /// The message of the first event in a lab capture, as raw message bytes.
        static func fixtureEvent(_ command: String) throws -> [UInt8] {
            try LabCaptures.firstEventMessage(command)
        }
    }
}

extension HostileAgent {
    /// Scrapes (each must be a valid 200) until `count` polls have completed after `polls`.
    func waitForPolls(after polls: UInt64, count: UInt64, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            _ = try await scrape()
            if await self.polls() >= polls + count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HostileError("timed out after \(timeout) waiting for \(count) polls")
    }
}

/// A counter shared with the peer's event loop.
final class SentCounter: Sendable {
    private let count = Mutex(0)
    /// Adds `n`; returns the count before.
    @discardableResult
    func add(_ n: Int) -> Int { count.withLock { value in defer { value += n }; return value } }
    var value: Int { count.withLock { $0 } }
}
