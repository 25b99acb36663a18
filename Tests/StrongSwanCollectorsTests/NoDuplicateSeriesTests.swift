import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import VICI
import XCTest

/// "No input may produce two series with the same name and labels": SA lists with colliding connection
/// names, CHILD_SA names, unique ids and states (a rekey overlap, several SAs per connection, ids charon
/// would never repeat) always render to an exposition the strict parser accepts.
final class NoDuplicateSeriesTests: XCTestCase {
    func testCollidingNamesAndIdsNeverProduceDuplicateSeries() throws {
        var random = SeededGenerator(state: 42)
        for round in 0..<200 {
            var sas: [IKESA] = []
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                var children: [VICIMessage.Entry] = []
                for index in 0..<Int.random(in: 0...4, using: &random) {
                    let name = ["net", "net", "rw", "a\"b\\c\n"].randomElement(using: &random) ?? "net"
                    let id = String(Int.random(in: 1...3, using: &random))
                    children.append(.init("\(name)-\(id)-\(index)", .section(VICIMessage([
                        .init("name", .value(name)), .init("uniqueid", .value(id)),
                        .init("state", .value(SAStates.child.randomElement(using: &random) ?? "INSTALLED")),
                        .init("bytes-in", .value(String(Int.random(in: 0...1000, using: &random)))),
                        .init("use-in", .value("3")), .init("install-time", .value("10")),
                    ]))))
                }
                let conn = ["site", "site", "rw", "ünïcode"].randomElement(using: &random) ?? "site"
                sas.append(IKESA(name: conn, section: VICIMessage([
                    .init("uniqueid", .value(String(Int.random(in: 1...3, using: &random)))),
                    .init("state", .value(SAStates.ike.randomElement(using: &random) ?? "ESTABLISHED")),
                    .init("established", .value("5")),
                    .init("child-sas", .section(VICIMessage(children))),
                ])))
            }
            var conns = [ConnectionConfig(name: "site"), ConnectionConfig(name: "site")]
            conns[0].children = [ChildConfig(name: "net"), ChildConfig(name: "net")]
            var metrics = MetricSet()
            var state = CharonState()
            state.sas = .full(sas)
            state.conns = conns
            CollectorCatalogue.render(
                state, enabled: Set(CollectorCatalogue.names), context: RenderContext(now: 1_000_000), into: &metrics)
            XCTAssertEqual(metrics.rejectedFamilyNames, [], "round \(round)")
            // The strict parser rejects any duplicate series.
            XCTAssertNoThrow(try ExpositionParser().parse(metrics.encoded()), "round \(round)")
        }
    }
}
