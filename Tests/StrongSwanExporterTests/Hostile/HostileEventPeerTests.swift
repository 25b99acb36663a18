import Foundation
import NIOCore
import PrometheusExposition
import StrongSwanCollectors
import Testing
@testable import StrongSwanExporter
@testable import VICI
import TestSupport

extension HostileSuite {
    /// The event connection against a peer that misbehaves: hangs up right after the registrations, never
    /// confirms one, sends malformed frames or nonsense events. The poll connection (and so `strongswan_up`) is
    /// not affected, `/metrics` keeps answering and the follower neither spins nor floods the log. (Floods, and
    /// the memory they may take, are ``HostileMemoryTests``.)
    @Suite(.timeLimit(.minutes(4))) struct HostileEventPeerTests {
        /// The last event the follower registers (it registers the names sorted).
        static let lastEvent = TunnelLedger.eventNames.sorted().last ?? "ike-updown"

        @Test func peerThatHangsUpAfterRegisteringIsRetriedWithGrowingBackoff() async throws {
            var script = try CharonScript.lab()
            script.afterRegister = { event, session in
                if event == Self.lastEvent { session.close() }
            }
            // Backoff 100 ms doubling (capped at 10 s, so that only a subscription that stood 10 s would reset it). The follower sleeps at least its backoff between two attempts, so
            // the gaps between registrations are at least 0.1, 0.2, 0.4, 0.8, 1.6 s however slow the machine (a
            // slow machine only makes them longer); a follower that reset its backoff on every registration
            // would retry every 100 ms or so. Lower bounds only: nothing here counts in a time window.
            try await HostileSuite.HostileVICIPeerTests.withAgent(script: script, eventBackoff: (.milliseconds(100), .seconds(10))) { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let polls = await agent.polls()
                let times = try await Self.waitForRegistrations(of: Self.lastEvent, count: 6, at: charon, agent)
                let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
                for (index, gap) in gaps.enumerated() {
                    let backoff = Duration.milliseconds(100) * (1 << index)
                    #expect(gap >= backoff * 0.9, "attempt \(index + 2) came \(gap) after the one before, backoff \(backoff): \(gaps)")
                }
                // The poller was not disturbed.
                try await agent.waitForPolls(after: polls, count: 3)
                #expect(try await agent.scrape().value("strongswan_up") == 1)
                let warnings = agent.logs.lines(minimum: .warning)
                let attempts = charon.registrations(Self.lastEvent)
                #expect(warnings.allSatisfy { $0.message == "event subscription lost" || $0.message == "event subscription failed" },
                        "\(warnings)")
                #expect(warnings.count <= attempts + 1, "\(warnings.count) warnings for \(attempts) attempts")
            }
        }

        @Test func registrationThatIsNeverConfirmedTimesOutAndIsLoggedOnce() async throws {
            var script = try CharonScript.lab()
            script.onRegister = { event, _ in event == Self.lastEvent }   // swallowed: no EVENT_CONFIRM ever
            try await HostileSuite.HostileVICIPeerTests.withAgent(script: script) { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                // Each attempt waits out the deadline (5 s) before it backs off and tries again: the gaps between
                // registrations are at least the deadline (however slow the machine), and three failed attempts
                // make one log line.
                let times = try await Self.waitForRegistrations(of: Self.lastEvent, count: 3, at: charon, agent)
                let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
                #expect(gaps.allSatisfy { $0 >= HostileAgent.viciTimeout * 0.9 }, "\(gaps)")
                #expect(try await agent.scrape().value("strongswan_up") == 1)
                let warnings = agent.logs.lines(minimum: .warning)
                #expect(warnings.count == 1, "\(warnings)")
                #expect(warnings.first?.message == "event subscription failed")
                #expect(warnings.first?.metadata["error"]?.contains("VICI timeout:") == true, "\(warnings)")
                charon.script = try CharonScript.lab()
                let deadline = ContinuousClock.now + .seconds(60)
                while agent.logs.lines("event subscription restored").isEmpty, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(agent.logs.lines("event subscription restored").count == 1)
            }
        }

        @Test func malformedFrameOnTheEventConnectionIsReportedAndTheSubscriptionRestored() async throws {
            let once = OnceFlag()
            var script = try CharonScript.lab()
            script.afterRegister = { event, session in
                guard event == Self.lastEvent, once.setOnce() else { return }
                session.sendRaw(RawVICI.frame([7, 10] + Array("ike-updown".utf8) + [RawVICI.sectionEnd]))
            }
            try await HostileSuite.HostileVICIPeerTests.withAgent(script: script) { charon, agent in
                try await agent.waitFor("first poll") { $0.value("strongswan_up") == 1 }
                let deadline = ContinuousClock.now + .seconds(60)
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
            var script = try CharonScript.lab()
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

        /// When the first `count` EVENT_REGISTERs of `event` arrived, waiting for them (generous deadline) while
        /// scraping (every scrape must be a valid 200 with `strongswan_up` 1).
        static func waitForRegistrations(
            of event: String, count: Int, at charon: ScriptedCharon, _ agent: HostileAgent, timeout: Duration = .seconds(90)
        ) async throws -> [ContinuousClock.Instant] {
            let deadline = ContinuousClock.now + timeout
            while charon.registrations(event) < count {
                guard ContinuousClock.now < deadline else {
                    throw HostileError("\(charon.registrations(event)) of \(count) registrations of \(event) after \(timeout)")
                }
                #expect(try await agent.scrape().value("strongswan_up") == 1)
                try await Task.sleep(for: .milliseconds(50))
            }
            return Array(charon.registrationTimes(event).prefix(count))
        }
    }
}
