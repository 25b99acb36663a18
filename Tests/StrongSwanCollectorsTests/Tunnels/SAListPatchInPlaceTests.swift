import StrongSwanCollectors
import VICI
import XCTest

/// Events patch the kept SA list in place: on a concentrator with tens of thousands of SAs a copy per event
/// would cost a whole list each time.
final class SAListPatchInPlaceTests: XCTestCase {
    /// A list no other variable shares (a shared buffer would have to be copied by any mutation).
    static func makeSAs() -> [IKESA] {
        (1...1_000).map { id in
            IKESA(name: "rw", section: VICIMessage([
                .init("uniqueid", .value("\(id)")), .init("state", .value("ESTABLISHED")),
                .init("remote-host", .value("192.0.2.\(id % 250)")),
            ]))
        }
    }

    func testAnEventPatchesTheKeptListWithoutCopyingIt() {
        var state = CharonState()
        state.sas = .full(Self.makeSAs())
        func storage() -> UInt? { state.sas?.full?.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        let before = storage()
        let update = VICIMessage([
            .init("remote-host", .value("198.51.100.7")),
            .init("rw", .section(VICIMessage([.init("uniqueid", .value("7")), .init("state", .value("ESTABLISHED"))]))),
        ])
        state.patchSAs(event: "ike-update", message: update)
        XCTAssertEqual(state.sas?.full?.first { $0.uniqueID == "7" }?.remoteHost, "198.51.100.7", "the event applied")
        XCTAssertNotNil(before)
        XCTAssertEqual(storage(), before, "the list was copied to apply one event")
    }
}
