import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import XCTest

/// The default families are keyed by configuration names: replaying the lab's recorded rekeys (polls during
/// and after the 5 s overlap in which the old CHILD_SA is listed DELETED, IKE_SA rekeys, events between
/// polls), every series rendered after the first poll was already there at the first poll. The per-SA
/// families, rendered from the same replay, do get new series at each rekey (so the check can fail).
final class RekeyChurnTests: XCTestCase {
    /// Series (family and labels) rendered at every step after the first poll that the first poll had not.
    func newSeries(_ fixture: String, perSA: Bool, allowed: Set<String> = []) throws -> (new: Set<String>, steps: Int) {
        var replay = Replay()
        var baseline: Set<String>?
        var new: Set<String> = []
        var steps = 0
        for step in try EventFixture.load(fixture).steps {
            replay.run(step)
            guard let sas = replay.sas else { continue }
            var metrics = replay.metrics()
            if perSA {
                SAsCollector.render(.full(sas), context: RenderContext(now: 0, perSA: true), into: &metrics)
            }
            let keys = try Self.seriesKeys(metrics)
            if let baseline {
                new.formUnion(keys.subtracting(baseline).filter { key in !allowed.contains { key.hasPrefix($0 + "{") } })
                steps += 1
            } else {
                baseline = keys
            }
        }
        return (new, steps)
    }

    static func seriesKeys(_ metrics: MetricSet) throws -> Set<String> {
        Set(try ExpositionParser().parse(metrics.encoded()).valuesBySeries().keys.map { $0.description })
    }

    func testPeerRekeysCreateNoNewDefaultSeries() throws {
        let result = try newSeries("peer-rekeys", perSA: false)
        XCTAssertGreaterThan(result.steps, 5, "the replay has polls and events after the baseline")
        XCTAssertEqual(result.new, [], "default series that appeared during CHILD_SA and IKE_SA rekeys")
    }

    func testPerSAFamiliesDoChurnAtRekeys() throws {
        let result = try newSeries("peer-rekeys", perSA: true)
        XCTAssertTrue(result.new.contains { $0.hasPrefix("strongswan_child_sa_info{") },
                      "a rekeyed CHILD_SA gets a new child_id: new per-SA series")
        XCTAssertTrue(result.new.contains { $0.hasPrefix("strongswan_ike_sa_info{") })
    }

    /// The lifecycle adds a terminate and an initiate: the only new series may be the tunnel's last-change
    /// timestamp (absent until the first transition).
    func testLifecycleOnlyAddsTheLastChangeTimestamp() throws {
        let result = try newSeries("lifecycle", perSA: false, allowed: ["strongswan_tunnel_last_change_timestamp_seconds"])
        XCTAssertEqual(result.new, [])
    }
}
