import Foundation
import NIOCore
import PrometheusExposition
import Synchronization
import StrongSwanCollectors
import Testing
@testable import StrongSwanExporter
@testable import VICI

extension HostileSuite {
    /// The event connection against a peer that misbehaves: hangs up right after the registrations, floods
    /// events, sends malformed frames or nonsense events. The poll connection (and so `strongswan_up`) is not
    /// affected, `/metrics` keeps answering, memory stays bounded and the follower neither spins nor floods the log.
    @Suite(.timeLimit(.minutes(2))) struct HostileEventPeerTests {
        /// The last event the follower registers (it registers the names sorted).
        static let lastEvent = TunnelLedger.eventNames.sorted().last ?? "ike-updown"

        @Test func peerThatHangsUpAfterRegisteringIsRetriedWithGrowingBackoff() async throws {
            var script = HostileCharon.Script()
            script.afterRegister = { event, session in
                if event == Self.lastEvent { session.close() }
            }
            // Backoff 100 ms doubling to 2 s: over 5 s that is at most 7 attempts (0, .1, .3, .7, 1.5, 3.1, 5.1);
            // a follower that resets its backoff on every registration would try some 40 times.
            try await HostileSuite.HostileVICIPeerTests.withAgent(script: script, eventBackoff: (.milliseconds(100), .seconds(2))) { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let start = charon.registrations(Self.lastEvent)
                let polls = await agent.polls()
                let window = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < window {
                    let scrape = try await agent.scrape()
                    #expect(scrape.value("strongswan_up") == 1)
                    try await Task.sleep(for: .milliseconds(100))
                }
                let attempts = charon.registrations(Self.lastEvent) - start
                #expect(attempts >= 2 && attempts <= 8, "\(attempts) subscription attempts in 5 s")
                // The poller was not disturbed.
                #expect(await agent.polls() >= polls + 10)
                let warnings = agent.logs.lines(minimum: .warning)
                #expect(warnings.allSatisfy { $0.message == "event subscription lost" || $0.message == "event subscription failed" },
                        "\(warnings)")
                #expect(warnings.count <= attempts + 1, "\(warnings.count) warnings for \(attempts) attempts")
            }
        }

        @Test func registrationThatIsNeverConfirmedTimesOutAndIsLoggedOnce() async throws {
            var script = HostileCharon.Script()
            script.onRegister = { event, _ in event == Self.lastEvent }   // swallowed: no EVENT_CONFIRM ever
            try await HostileSuite.HostileVICIPeerTests.withAgent(timeout: .seconds(1), script: script) { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let window = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < window {
                    #expect(try await agent.scrape().value("strongswan_up") == 1)
                    try await Task.sleep(for: .milliseconds(100))
                }
                // Each attempt waits out the 1 s deadline, then backs off (100 ms, 200 ms, …): 5 s hold 3 or 4.
                let attempts = charon.registrations(Self.lastEvent)
                #expect(attempts >= 2 && attempts <= 5, "\(attempts) attempts")
                let warnings = agent.logs.lines(minimum: .warning)
                #expect(warnings.count == 1, "\(warnings)")
                #expect(warnings.first?.message == "event subscription failed")
                #expect(warnings.first?.metadata["error"]?.contains("VICI timeout:") == true, "\(warnings)")
                charon.script = HostileCharon.Script()
                let deadline = ContinuousClock.now + .seconds(10)
                while agent.logs.lines("event subscription restored").isEmpty, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(agent.logs.lines("event subscription restored").count == 1)
            }
        }

        @Test func malformedFrameOnTheEventConnectionIsReportedAndTheSubscriptionRestored() async throws {
            let once = OnceFlag()
            var script = HostileCharon.Script()
            script.afterRegister = { event, session in
                guard event == Self.lastEvent, once.setOnce() else { return }
                session.sendRaw(RawVICI.frame([7, 10] + Array("ike-updown".utf8) + [RawVICI.sectionEnd]))
            }
            try await HostileSuite.HostileVICIPeerTests.withAgent(script: script) { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let deadline = ContinuousClock.now + .seconds(10)
                while agent.logs.lines("event subscription restored").isEmpty, ContinuousClock.now < deadline {
                    #expect(try await agent.scrape().value("strongswan_up") == 1)
                    try await Task.sleep(for: .milliseconds(20))
                }
                let warnings = agent.logs.lines(minimum: .warning)
                #expect(warnings.count == 1, "\(warnings)")
                #expect(warnings.first?.message == "event subscription lost")
                #expect(warnings.first?.metadata["error"]?.contains("VICI unbalancedSection:") == true, "\(warnings)")
                #expect(agent.logs.lines("event subscription restored").count == 1)
            }
        }

        @Test func nonsenseEventsAreAppliedWithoutHarm() async throws {
            let sa = try HostileSuite.HostileVICIPeerTests.fixtureEvent("list-sas")
            let events: [[UInt8]] = [
                RawVICI.event("child-updown", []),
                RawVICI.event("child-updown", RawVICI.kv("up", "maybe")),
                RawVICI.event("child-updown", RawVICI.kv("up", "yes") + sa),
                RawVICI.event("child-updown", RawVICI.kv("up", "yes") + sa),   // the same SA twice
                RawVICI.event("child-updown", sa),                              // down, without `up`
                RawVICI.event("ike-updown", RawVICI.kv("up", "yes") + RawVICI.section("x", RawVICI.kv("uniqueid", "-1"))),
                RawVICI.event("ike-updown", RawVICI.section("", RawVICI.section("child-sas", RawVICI.section("", [])))),
                RawVICI.event("child-rekey", RawVICI.section("site-0001",
                    RawVICI.kv("uniqueid", "99999999999999999999999")
                    + RawVICI.section("child-sas", RawVICI.section("net", RawVICI.kv("uniqueid", "1")
                        + RawVICI.kv("bytes-in", "18446744073709551615") + RawVICI.kv("bytes-out", "-5")
                        + RawVICI.kv("name", [0xff]) + RawVICI.kv("state", "INSTALLED")))
                    + RawVICI.list("old", ["not", "a", "section"]))),
                RawVICI.event("child-rekey", RawVICI.kv("new", "x") + RawVICI.kv("old", "y")),
                RawVICI.event("ike-rekey", RawVICI.section("a\"b\\c\nd", RawVICI.section("new", RawVICI.kv("uniqueid", "1"))
                    + RawVICI.section("old", RawVICI.kv("uniqueid", "1")))),
                RawVICI.event("ike-update", RawVICI.section("site-0001", RawVICI.kv("remote-port", "65536"))),
                RawVICI.event("unregistered-event", RawVICI.kv("a", "b")),
                RawVICI.event("child-updown", RawVICI.kv("up", "no") + sa),
            ]
            var script = HostileCharon.Script()
            script.afterRegister = { event, session in
                guard event == Self.lastEvent else { return }
                for event in events { session.sendRaw(event, flush: false) }
                session.flush()
            }
            try await HostileSuite.HostileVICIPeerTests.withAgent(script: script) { charon, agent in
                try await agent.waitFor("events applied") {
                    ($0.value("strongswan_exporter_events_total", ["event": "child-updown"]) ?? 0) >= 6
                        && ($0.value("strongswan_exporter_events_total", ["event": "ike-update"]) ?? 0) >= 1
                }
                // Polls go on and every scrape is a valid exposition (the strict parser refuses duplicates).
                let polls = await agent.polls()
                try await agent.waitForPolls(after: polls, count: 3)
                let scrape = try await agent.scrape()
                #expect(scrape.value("strongswan_up") == 1)
                #expect(scrape.value("strongswan_exporter_duplicate_series_dropped") == 0)
                #expect(agent.logs.lines(minimum: .warning).isEmpty, "\(agent.logs.lines(minimum: .warning))")
            }
        }

        /// Floods events on the event connection until the exporter hangs up on the peer because its
        /// subscription buffer overflowed (or `timeout` passes), then for `after` seconds more, sampling resident
        /// memory every 250 ms and scraping (each scrape must be a valid 200). Returns the samples up to the
        /// overflow and after it, and how many events were sent.
        static func flood(
            _ agent: HostileAgent, _ charon: HostileCharon, after: Int = 3, timeout: Duration = .seconds(60),
            requireOverflow: Bool = true, event: @escaping @Sendable (Int) -> [UInt8]
        ) async throws -> (untilOverflow: [Int], afterOverflow: [Int], sent: Int) {
            let sent = SentCounter()
            var script = HostileCharon.Script()
            script.afterRegister = { name, session in
                guard name == Self.lastEvent else { return }
                session.every(.milliseconds(1)) { session in
                    guard session.isWritable else { return true }
                    var batch: [UInt8] = []
                    let first = sent.add(256)
                    for i in first..<(first + 256) { batch += event(i) }
                    session.sendRaw(batch)
                    return true
                }
            }
            charon.script = script
            await charon.dropClients()
            let disconnects = charon.disconnects
            var untilOverflow: [Int] = []
            var afterOverflow: [Int] = []
            let deadline = ContinuousClock.now + timeout
            var end: ContinuousClock.Instant?
            while ContinuousClock.now < (end ?? deadline) {
                let scrape = try await agent.scrape()
                #expect(scrape.value("strongswan_up") != nil)
                if end == nil {
                    untilOverflow.append(residentBytes())
                    // dropClients() closed the old connections before `disconnects` was read, so a new disconnect
                    // is the exporter hanging up on the flood: its buffer is full.
                    if charon.disconnects > disconnects {
                        // The peer behaves from now on: what follows shows whether the memory taken stays put.
                        charon.script = HostileCharon.Script()
                        end = ContinuousClock.now + .seconds(after)
                    }
                } else {
                    afterOverflow.append(residentBytes())
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            charon.script = HostileCharon.Script()
            await charon.dropClients()
            if requireOverflow { #expect(end != nil, "the subscription buffer never overflowed within \(timeout)") }
            return (untilOverflow, afterOverflow, sent.value)
        }

        @Test func floodOfEventsThatDecodeLargeKeepsMemoryBounded() async throws {
            // Events built to take the most memory once decoded per byte on the wire: sections of 200 entries
            // with two-byte names and empty values (6 wire bytes each, a 32-byte entry once decoded), 7 KiB per
            // event, so that the subscription buffer's byte limit (64 MiB of wire bytes) is what bounds it.
            var body: [UInt8] = []
            for section in 0..<6 {
                var entries: [UInt8] = []
                for i in 0..<200 { entries += [RawVICI.keyValue, 2, UInt8(65 + i / 26), UInt8(65 + i % 26), 0, 0] }
                body += RawVICI.section("s\(section)", entries)
            }
            let event = RawVICI.event("ike-update", body)
            try await HostileSuite.HostileVICIPeerTests.withAgent { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let before = residentBytes()
                // The follower may keep up with these (it applies thousands of events a second): then the flood
                // ends after 30 s without an overflow, and the bound is checked all the same.
                let (untilOverflow, afterOverflow, sent) = try await Self.flood(
                    agent, charon, timeout: .seconds(30), requireOverflow: false) { _ in event }
                let mib = (untilOverflow + [0] + afterOverflow).map { $0 / 1_048_576 }
                print("large-event flood: \(sent) events of \(event.count) bytes sent; resident MiB every 250 ms (0: overflow): \(mib)")
                // The bound is the subscription buffer's 64 MiB of wire bytes, which these events turn into about
                // five times as much decoded memory (measured: some 333 MiB). Bounded, but large: the exporter could
                // configure a smaller `maxBufferedBytes` for its subscription (see docs/SECURITY.md).
                let peak = (untilOverflow + afterOverflow).max() ?? 0
                #expect(peak - before < 512 * 1_048_576, "grew by \((peak - before) / 1_048_576) MiB")
                let atOverflow = untilOverflow.max() ?? 0
                #expect((afterOverflow.max() ?? 0) <= atOverflow + 64 * 1_048_576, "still growing after the overflow: \(mib)")
            }
        }

        @Test func eventFloodKeepsMemoryBounded() async throws {
            try await HostileSuite.HostileVICIPeerTests.withAgent { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let sa = try HostileSuite.HostileVICIPeerTests.fixtureEvent("list-sas")
                let up = RawVICI.event("child-updown", RawVICI.kv("up", "yes") + sa)
                let down = RawVICI.event("child-updown", sa)
                let before = residentBytes()
                let (untilOverflow, afterOverflow, sent) = try await Self.flood(agent, charon) { i in i % 2 == 0 ? up : down }
                let scrape = try await agent.scrape()
                let received = scrape.value("strongswan_exporter_events_total", ["event": "child-updown"]) ?? 0
                let mib = (untilOverflow + [0] + afterOverflow).map { $0 / 1_048_576 }
                print("event flood: \(sent) events sent, \(Int(received)) applied; resident MiB every 250 ms (0: overflow): \(mib)")
                // The flood outpaces the follower (which applies some thousands of events a second in a debug
                // build), so it fills the subscription's buffer (10,000 events) and the exporter hangs up.
                #expect(sent > 10_000, "the flood did not flood")
                #expect(received > 0)
                // Bounded: no more than 256 MiB over the start, and no growth once the buffer is full.
                let peak = (untilOverflow + afterOverflow).max() ?? 0
                #expect(peak - before < 256 * 1_048_576, "grew by \((peak - before) / 1_048_576) MiB")
                let atOverflow = untilOverflow.max() ?? 0
                #expect((afterOverflow.max() ?? 0) <= atOverflow + 32 * 1_048_576, "still growing after the overflow: \(mib)")
                try await agent.waitFor("up after the flood") { $0.value("strongswan_up") == 1 }
                // Shutting down does not wait for thousands of buffered events to be applied first.
                let stopping = ContinuousClock.now
                await agent.stop()
                let stopped = ContinuousClock.now - stopping
                #expect(stopped < .seconds(2), "stopping took \(stopped)")
            }
        }
    }
}
