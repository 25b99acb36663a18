@testable import StrongSwanCollectors
import XCTest

/// ``DenseStringMap`` against `Dictionary` as the reference, over a long seeded sequence of insertions,
/// updates and removals (including removal of the last and of the only element).
final class DenseStringMapTests: XCTestCase {
    func testBehavesLikeADictionary() {
        var random = SeededGenerator(state: 7)
        var map = DenseStringMap<Int>()
        var reference: [String: Int] = [:]
        for step in 0..<20_000 {
            let key = "uid-\(Int.random(in: 0..<300, using: &random))"
            switch Int.random(in: 0..<4, using: &random) {
            case 0, 1:
                map[key] = step
                reference[key] = step
            case 2:
                XCTAssertEqual(map.removeValue(forKey: key), reference.removeValue(forKey: key))
            default:
                map[key] = nil
                reference[key] = nil
            }
            XCTAssertEqual(map[key], reference[key])
            XCTAssertEqual(map.position(of: key).map { map[position: $0] }, reference[key])
            if step % 7 == 0, let position = map.position(of: key) {
                map[position: position] = -step
                reference[key] = -step
            }
            XCTAssertEqual(map.count, reference.count)
            if step % 500 == 0 {
                XCTAssertEqual(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }), reference, "step \(step)")
            }
        }
        for key in Array(reference.keys) { map[key] = nil }
        XCTAssertEqual(map.count, 0)
        XCTAssertNil(map.first { _ in true })
    }

    func testIterationMayMutateTheMap() {
        var map = DenseStringMap<Int>()
        for index in 0..<10 { map["\(index)"] = index }
        for (key, value) in map where value.isMultiple(of: 2) { map[key] = nil }
        XCTAssertEqual(Set(map.map(\.value)), [1, 3, 5, 7, 9])
    }
}
