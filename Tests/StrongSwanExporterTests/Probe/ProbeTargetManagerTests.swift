import PrometheusExposition
import PrometheusExpositionTesting
import Testing
import VICI
@testable import StrongSwanExporter

/// The probe manager over fake daemons: allow-list, first-poll wait, cap, idle release (manual clock), reload,
/// shutdown.
@Suite struct ProbeTargetManagerTests {
    static let a = "unix:///run/ns1/charon.vici"
    static let b = "unix:///run/ns2/charon.vici"
    static let c = "tcp://gw3.example:4502"

    func parse(_ outcome: ProbeOutcome) throws -> ParsedExposition {
        try ExpositionParser().parse(Array(try #require(outcome.servedText).utf8))
    }

    @Test func disallowedAndInvalidTargetsAreRefusedWithoutAnyConnectionAttempt() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.a], clock: ContinuousClock())
        for uri in ["unix:///run/ns9/charon.vici", "unix:///run/ns1/../ns1/charon.vici", "tcp://gw3.example:4502",
                    "unix:///run/ns1/charon.vici/", "unix://run/ns1/charon.vici"] {
            #expect(await manager.probe(target: uri).refusal == .notAllowed, "\(uri)")
        }
        for uri in ["", "http://example.com/", "unix://", "tcp://host", "/run/ns1/charon.vici"] {
            #expect(await manager.probe(target: uri).refusal == .invalidTarget, "\(uri)")
        }
        #expect(fakes.totalPipelines == 0)
        #expect(fakes.totalAttempts == 0)
        #expect(manager.activeTargets.isEmpty)
        let statistics = manager.statistics
        #expect(statistics.requests["not_allowed"] == 5)
        #expect(statistics.requests["invalid_target"] == 5)
        await manager.shutdown()
    }

    @Test func eachTargetIsServedItsOwnDataAfterItsFirstPoll() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.a, Self.b], clock: ContinuousClock())
        let first = await manager.probe(target: Self.a)
        #expect(first.reachedCharon == true)
        let scrapeA = try parse(first)
        #expect(scrapeA.value("strongswan_up") == 1)
        #expect(scrapeA.value("probe_success") == 1)
        #expect(scrapeA.samples(named: "strongswan_info").map { $0.label("version") } == ["fake unix:///run/ns1/charon.vici"])
        #expect(scrapeA.samples(named: "strongswan_info").count == 1)

        let scrapeB = try parse(await manager.probe(target: Self.b))
        #expect(scrapeB.samples(named: "strongswan_info").map { $0.label("version") } == ["fake unix:///run/ns2/charon.vici"])
        #expect(scrapeB.samples(named: "strongswan_info").count == 1)

        // Later probes are served from the snapshot: no new connection, no new poll.
        for _ in 0..<5 { _ = await manager.probe(target: Self.a) }
        #expect(fakes.counts(Self.a) == .init(pipelines: 1, attempts: 1, opened: 1, closed: 0))
        #expect(fakes.counts(Self.b).attempts == 1)
        #expect(manager.activeTargets.count == 2)
        #expect(manager.statistics.requests["success"] == 7)
        await manager.shutdown()
        #expect(fakes.counts(Self.a).open == 0)
        #expect(fakes.counts(Self.b).open == 0)
    }

    @Test func tcpHostNamesMatchCaseInsensitively() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.c], clock: ContinuousClock())
        #expect(await manager.probe(target: "tcp://GW3.Example:4502").reachedCharon == true)
        #expect(await manager.probe(target: Self.c).reachedCharon == true)
        #expect(await manager.probe(target: "tcp://gw3.example:4503").refusal == .notAllowed)
        #expect(fakes.counts(Self.c).pipelines == 1)
        await manager.shutdown()
    }

    @Test func unreachableTargetIsServedWithUpAndSuccessZero() async throws {
        let fakes = FakeProbeConnectors()
        try fakes.setBehaviour(.refuse, for: Self.a)
        let manager = try fakes.manager(allow: [Self.a], clock: ContinuousClock())
        let outcome = await manager.probe(target: Self.a)
        #expect(outcome.reachedCharon == false)
        let scrape = try parse(outcome)
        #expect(scrape.value("strongswan_up") == 0)
        #expect(scrape.value("probe_success") == 0)
        #expect(scrape.samples(named: "strongswan_info").isEmpty)
        #expect(manager.statistics.requests["failure"] == 1)
        await manager.shutdown()
    }

    @Test func theFirstPollWaitIsBoundedAndAHangingConnectIsCancelledOnRelease() async throws {
        let fakes = FakeProbeConnectors()
        try fakes.setBehaviour(.hang, for: Self.a)
        let clock = ManualClock()
        let manager = try fakes.manager(allow: [Self.a], clock: clock, firstPollTimeout: .seconds(10))
        let probe = Task { await manager.probe(target: Self.a) }
        await clock.waitForSleeps(1)   // the probe is waiting for the first poll
        clock.advance(by: .seconds(9))
        #expect(manager.statistics.requests["failure"] == nil, "still waiting before the timeout")
        clock.advance(by: .seconds(1))
        let outcome = await probe.value
        #expect(outcome.reachedCharon == false)
        #expect(try parse(outcome).value("strongswan_up") == 0)
        #expect(fakes.counts(Self.a).attempts == 1)
        await manager.shutdown()   // returns only once the hanging connect was cancelled
        #expect(manager.activeTargets.isEmpty)
    }

    @Test func aProbeShorterThanTheFirstPollTimeoutUsesItsOwnDeadline() async throws {
        let fakes = FakeProbeConnectors()
        try fakes.setBehaviour(.hang, for: Self.a)
        let clock = ManualClock()
        let manager = try fakes.manager(allow: [Self.a], clock: clock, firstPollTimeout: .seconds(10))
        let probe = Task { await manager.probe(target: Self.a, deadline: .seconds(2)) }
        await clock.waitForSleeps(1)
        clock.advance(by: .seconds(2))
        #expect(await probe.value.reachedCharon == false)
        await manager.shutdown()
    }

    @Test func theCapRefusesNewTargetsWithoutConnectingUntilOneIsReleased() async throws {
        let fakes = FakeProbeConnectors()
        let clock = ManualClock()
        let manager = try fakes.manager(
            allow: [Self.a, Self.b, Self.c], clock: clock, idleTimeout: .seconds(60), maxTargets: 2)
        #expect(await manager.probe(target: Self.a).reachedCharon == true)
        #expect(await manager.probe(target: Self.b).reachedCharon == true)
        #expect(await manager.probe(target: Self.c).refusal == .targetLimit)
        #expect(fakes.counts(Self.c) == .init())
        // Targets already polled are still served at the cap.
        #expect(await manager.probe(target: Self.a).reachedCharon == true)

        clock.advance(by: .seconds(30))
        #expect(await manager.probe(target: Self.b).reachedCharon == true)   // b is used again
        clock.advance(by: .seconds(30))
        #expect(await manager.releaseIdle() == 1)                            // a is 60 s idle, b 30 s
        #expect(manager.activeTargets == [try VICIEndpoint(parsing: Self.b)])
        #expect(fakes.counts(Self.a).open == 0)
        #expect(await manager.probe(target: Self.c).reachedCharon == true)
        #expect(fakes.counts(Self.c).attempts == 1)
        #expect(manager.statistics.requests["target_limit"] == 1)
        await manager.shutdown()
    }

    @Test func idleTargetsAreReleasedWithTheirConnectionsClosedAndComeBackOnTheNextProbe() async throws {
        let fakes = FakeProbeConnectors()
        let clock = ManualClock()
        let manager = try fakes.manager(allow: [Self.a, Self.b], clock: clock, idleTimeout: .seconds(600))
        _ = await manager.probe(target: Self.a)
        clock.advance(by: .seconds(300))
        _ = await manager.probe(target: Self.b)
        clock.advance(by: .seconds(299))
        #expect(await manager.releaseIdle() == 0)
        #expect(fakes.counts(Self.a).open == 1)
        clock.advance(by: .seconds(1))
        #expect(await manager.releaseIdle() == 1)
        #expect(fakes.counts(Self.a) == .init(pipelines: 1, attempts: 1, opened: 1, closed: 1))
        #expect(fakes.counts(Self.b).open == 1)
        #expect(manager.activeTargets == [try VICIEndpoint(parsing: Self.b)])
        #expect(manager.statistics.released == 1)

        // Probed again: a new pipeline and connection.
        #expect(await manager.probe(target: Self.a).reachedCharon == true)
        #expect(fakes.counts(Self.a) == .init(pipelines: 2, attempts: 2, opened: 2, closed: 1))
        await manager.shutdown()
        #expect(fakes.counts(Self.a).open == 0)
        #expect(fakes.counts(Self.b).open == 0)
    }

    @Test func theServiceSweepsIdleTargetsOnItsClock() async throws {
        let fakes = FakeProbeConnectors()
        let clock = ManualClock()
        let manager = try fakes.manager(allow: [Self.a], clock: clock, idleTimeout: .seconds(40))
        #expect(manager.sweepInterval == .seconds(10))
        // A zero deadline: the probe does not sleep on the clock, so every sleep counted below is a sweep's.
        _ = await manager.probe(target: Self.a, deadline: .zero)
        #expect(manager.activeTargets.count == 1)
        let service = Task { try await manager.run() }
        await clock.waitForSleeps(1)   // the first sweep is scheduled
        for sweep in 2...4 {
            clock.advance(by: .seconds(10))
            await clock.waitForSleeps(sweep)
            #expect(manager.activeTargets.count == 1, "sweep \(sweep - 1): not idle yet")
        }
        clock.advance(by: .seconds(10))
        await clock.waitForSleeps(5)   // the sweep at 40 s ran and the next one is scheduled
        #expect(manager.activeTargets.isEmpty)
        #expect(fakes.counts(Self.a).open == 0)
        service.cancel()
        try await service.value
        #expect(await manager.probe(target: Self.a).refusal == .shuttingDown)
    }

    @Test func concurrentFirstProbesShareOnePipeline() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.a], clock: ContinuousClock())
        let results = await withTaskGroup(of: Bool?.self) { group in
            for _ in 0..<20 { group.addTask { await manager.probe(target: Self.a).reachedCharon } }
            var results: [Bool?] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results == Array(repeating: true, count: 20))
        #expect(fakes.counts(Self.a).pipelines == 1)
        #expect(fakes.counts(Self.a).attempts == 1)
        await manager.shutdown()
    }

    @Test func aNewAllowListReleasesTargetsNoLongerAllowed() async throws {
        let fakes = FakeProbeConnectors()
        let manager = try fakes.manager(allow: [Self.a, Self.b], clock: ContinuousClock())
        _ = await manager.probe(target: Self.a)
        _ = await manager.probe(target: Self.b)
        await manager.replaceAllowList(try ProbeAllowList(uris: [Self.b, Self.c]))
        #expect(fakes.counts(Self.a).open == 0)
        #expect(fakes.counts(Self.b).open == 1)
        #expect(await manager.probe(target: Self.a).refusal == .notAllowed)
        #expect(await manager.probe(target: Self.c).reachedCharon == true)
        #expect(manager.statistics.allowedTargets == 2)
        await manager.shutdown()
    }

    @Test func statisticsRenderEveryResult() throws {
        let statistics = ProbeStatistics(targets: 2, allowedTargets: 3, requests: ["success": 4], released: 1)
        var metrics = MetricSet()
        statistics.render(into: &metrics)
        var bytes: [UInt8] = []
        metrics.encode(into: &bytes)
        let scrape = try ExpositionParser().parse(bytes)
        #expect(scrape.value("strongswan_exporter_probe_targets") == 2)
        #expect(scrape.value("strongswan_exporter_probe_allowed_targets") == 3)
        #expect(scrape.value("strongswan_exporter_probe_requests_total", ["result": "success"]) == 4)
        #expect(scrape.value("strongswan_exporter_probe_requests_total", ["result": "not_allowed"]) == 0)
        #expect(scrape.samples(named: "strongswan_exporter_probe_requests_total").count == 6)
        #expect(scrape.value("strongswan_exporter_probe_targets_released_total") == 1)
    }
}
