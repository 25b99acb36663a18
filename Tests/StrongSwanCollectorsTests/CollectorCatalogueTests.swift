import Foundation
import PrometheusExposition
import StrongSwanCollectors
import Synchronization
import VICI
import XCTest

/// What the catalogue derives from the collectors' declarations (flags, self-metrics, the watchdog's command
/// count) matches what the collectors do.
final class CollectorCatalogueTests: XCTestCase {
    /// Records the commands sent through it and answers from the lab fixtures.
    final class RecordingVICI: VICIQuerying {
        let replay: FixtureVICI
        private let sent = Mutex<[String]>([])
        var commands: [String] { sent.withLock { $0 } }

        init(_ replay: FixtureVICI) { self.replay = replay }

        func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage {
            sent.withLock { $0.append(command) }
            return try await replay.call(command, message)
        }

        func stream(_ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void)
            async throws -> VICIMessage
        {
            sent.withLock { $0.append(command) }
            return try await replay.stream(command, event: event, message, onEvent: onEvent)
        }
    }

    func fixtures() throws -> FixtureVICI {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return FixtureVICI(directory: url.appendingPathComponent("lab"), files: GoldenExpositionTests.files)
    }

    func testEachCollectorSendsTheCommandsItDeclares() async throws {
        var total = 0
        for collector in CollectorCatalogue.all {
            let vici = RecordingVICI(try fixtures())
            var state = CharonState()
            // Everything opt-in on: `commands` is the most one collection sends.
            try await state.collect(collector, from: vici, options: CollectOptions(perConnectionCounters: true))
            XCTAssertEqual(vici.commands, collector.commands, collector.name)
            XCTAssertTrue(state.contains(collector.name), collector.name)
            let probe = RecordingVICI(try fixtures())
            _ = try await CollectorCatalogue.changeProbe(collector.name, from: probe)
            XCTAssertEqual(probe.commands, collector.changeProbeCommands, collector.name)
            total += vici.commands.count + probe.commands.count
        }
        XCTAssertEqual(CollectorCatalogue.commandsPerPoll(enabled: Set(CollectorCatalogue.names)), total)
    }

    func testCommandsPerPollCountsOnlyEnabledCollectorsAndAtLeastOne() {
        for collector in CollectorCatalogue.all {
            XCTAssertEqual(CollectorCatalogue.commandsPerPoll(enabled: [collector.name]),
                           collector.commands.count + collector.changeProbeCommands.count)
        }
        XCTAssertEqual(CollectorCatalogue.commandsPerPoll(enabled: []), 1)
    }

    func testNamesAreUniqueFlagSafeAndDescribed() {
        let names = CollectorCatalogue.names
        XCTAssertEqual(Set(names).count, names.count)
        for collector in CollectorCatalogue.all {
            XCTAssertNotNil(collector.name.wholeMatch(of: /[a-z][a-z0-9_-]*/), collector.name)
            XCTAssertFalse(collector.summary.isEmpty, collector.name)
            XCTAssertFalse(collector.commands.isEmpty, collector.name)
            XCTAssertEqual(CollectorCatalogue.collector(named: collector.name).map(ObjectIdentifier.init), ObjectIdentifier(collector))
        }
        XCTAssertEqual(CollectorCatalogue.enabledByDefault, Set(CollectorCatalogue.all.filter { $0.enabledByDefault }.map { $0.name }))
    }

    /// A state keeps only what a poll's succeeded collectors brought; the others keep their previous model.
    func testAdoptReplacesOnlySucceededCollectors() async throws {
        var fresh = CharonState()
        for name in CollectorCatalogue.names {
            try await CollectorCatalogue.collect(name, from: try fixtures(), into: &fresh)
        }
        var state = CharonState()
        CollectorCatalogue.adopt(fresh, succeeded: ["sas"], context: RenderContext(now: 0, perSA: false), into: &state)
        XCTAssertEqual(CollectorCatalogue.names.filter { state.contains($0) }, ["sas"])
        guard let summaries = state.sas?.summaries else { return XCTFail("per-SA off keeps summaries") }
        XCTAssertNil(state.sas?.full)
        XCTAssertEqual(summaries.count, fresh.sas?.count)
        XCTAssertNil(state.conns)
    }
}

/// The configuration clock's inputs: the change probe and the outdated checks.
final class ConfigurationCadenceTests: XCTestCase {
    func fixtures() throws -> FixtureVICI {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return FixtureVICI(directory: url.appendingPathComponent("lab"), files: GoldenExpositionTests.files)
    }

    func testOnlyConfigurationShapedCollectorsRunOnTheConfigurationClock() {
        XCTAssertEqual(Set(CollectorCatalogue.names(cadence: .configuration)), ["version", "conns", "certs", "authorities"])
        XCTAssertEqual(Set(CollectorCatalogue.names(cadence: .everyPoll)), ["stats", "sas", "counters", "pools"])
    }

    /// `get-conns` names the connections `list-conns` streams (both captured from the same lab shape).
    func testTheProbeNamesTheLoadedConnections() async throws {
        let probe = try await CollectorCatalogue.changeProbe("conns", from: try fixtures())
        var state = CharonState()
        try await CollectorCatalogue.collect("conns", from: try fixtures(), into: &state)
        let listed = try XCTUnwrap(state.conns).map { $0.name }
        XCTAssertEqual(probe, listed.sorted())
        XCTAssertEqual(probe?.count, 6)
    }

    func testAnSAOrEventOfAnUnknownConnectionOrChildMarksTheConnectionsOutdated() async throws {
        var kept = CharonState()
        try await CollectorCatalogue.collect("conns", from: try fixtures(), into: &kept)
        var fresh = CharonState()
        try await CollectorCatalogue.collect("sas", from: try fixtures(), into: &fresh)
        let enabled = Set(CollectorCatalogue.names)
        XCTAssertFalse(CollectorCatalogue.configurationOutdated(kept, enabled: enabled, by: fresh),
                       "every SA of the lab belongs to a listed connection and child")

        func sa(_ conn: String, child: String) -> VICIMessage {
            VICIMessage([.init(conn, .section(VICIMessage([
                .init("uniqueid", .value("99")), .init("state", .value("ESTABLISHED")),
                .init("child-sas", .section(VICIMessage([.init("\(child)-7", .section(VICIMessage([
                    .init("name", .value(child)), .init("uniqueid", .value("7")), .init("state", .value("INSTALLED")),
                ])))]))),
            ])))])
        }
        var unknownConn = fresh
        unknownConn.sas = .full(IKESA.all(in: sa("site-0099", child: "net-0099")))
        XCTAssertTrue(CollectorCatalogue.configurationOutdated(kept, enabled: enabled, by: unknownConn))
        var unknownChild = fresh
        unknownChild.sas = .full(IKESA.all(in: sa("site-0001", child: "net-extra")))
        XCTAssertTrue(CollectorCatalogue.configurationOutdated(kept, enabled: enabled, by: unknownChild))
        XCTAssertFalse(CollectorCatalogue.configurationOutdated(kept, enabled: enabled.subtracting(["conns"]), by: unknownChild),
                       "a switched-off collector is never refreshed")

        XCTAssertTrue(CollectorCatalogue.configurationOutdated(kept, enabled: enabled, byEvent: "child-updown",
                                                               message: sa("site-0099", child: "net-0099")))
        XCTAssertTrue(CollectorCatalogue.configurationOutdated(kept, enabled: enabled, byEvent: "child-updown",
                                                               message: sa("site-0001", child: "net-extra")))
        XCTAssertFalse(CollectorCatalogue.configurationOutdated(kept, enabled: enabled, byEvent: "child-updown",
                                                                message: sa("site-0001", child: "net-0001")))
    }
}

/// ``RenderCache``: the configuration collectors' families are reused while their model is unchanged, and
/// rendered again when it changes; the exposition is the same bytes as without the cache.
final class RenderCacheTests: XCTestCase {
    func testCachedRenderingEqualsAFreshOneAndFollowsModelChanges() async throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let vici = FixtureVICI(directory: url.appendingPathComponent("lab"), files: GoldenExpositionTests.files)
        var state = CharonState()
        for name in CollectorCatalogue.names { try await CollectorCatalogue.collect(name, from: vici, into: &state) }
        let enabled = Set(CollectorCatalogue.names)
        let context = RenderContext(now: 1_000, perSA: false, perConnectionCounters: false)
        func fresh(_ state: CharonState) -> [UInt8] {
            var metrics = MetricSet()
            CollectorCatalogue.render(state, enabled: enabled, context: context, into: &metrics)
            return metrics.encoded()
        }
        var cache = RenderCache()
        func cached(_ state: CharonState) -> [UInt8] {
            var metrics = MetricSet()
            CollectorCatalogue.render(state, enabled: enabled, context: context, cache: &cache, into: &metrics)
            return metrics.encoded()
        }
        XCTAssertEqual(cached(state), fresh(state))
        XCTAssertEqual(cached(state), fresh(state), "from the cache")

        // A reloaded configuration: one connection fewer.
        var conns = try XCTUnwrap(state.conns)
        let removed = conns.removeFirst().name
        state.conns = conns
        let after = cached(state)
        XCTAssertEqual(after, fresh(state))
        XCTAssertFalse(String(decoding: after, as: UTF8.self).contains("strongswan_connection_info{conn=\"\(removed)\""))
        // A state that lost everything (charon unreachable) and got the same models again renders afresh too.
        var rebuilt = CharonState()
        for name in CollectorCatalogue.names { try await CollectorCatalogue.collect(name, from: vici, into: &rebuilt) }
        XCTAssertEqual(cached(rebuilt), fresh(rebuilt))
        XCTAssertNotEqual(rebuilt.generation("conns"), state.generation("conns"))
    }
}
