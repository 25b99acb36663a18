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
            try await state.collect(collector, from: vici)
            XCTAssertEqual(vici.commands, collector.commands, collector.name)
            XCTAssertTrue(state.contains(collector.name), collector.name)
            total += vici.commands.count
        }
        XCTAssertEqual(CollectorCatalogue.commandsPerPoll(enabled: Set(CollectorCatalogue.names)), total)
    }

    func testCommandsPerPollCountsOnlyEnabledCollectorsAndAtLeastOne() {
        for collector in CollectorCatalogue.all {
            XCTAssertEqual(CollectorCatalogue.commandsPerPoll(enabled: [collector.name]), collector.commands.count)
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
