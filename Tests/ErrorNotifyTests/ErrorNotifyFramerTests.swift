import Testing
@testable import ErrorNotify

@Suite struct ErrorNotifyFramerTests {
    static func records(_ count: Int) -> [ErrorNotifyRecord] {
        (0..<count).map { index in
            ErrorNotifyRecord(type: Int32(index % 35), message: "message \(index)", connection: "conn-\(index)",
                              peerIdentity: "peer-\(index)", peerAddress: "10.0.0.\(index % 250)[500]")
        }
    }

    @Test func splitsAtEveryBoundary() {
        let records = Self.records(3)
        let stream = records.flatMap(\.encoded)
        for cut in 0...stream.count {
            var framer = ErrorNotifyFramer()
            var decoded: [ErrorNotifyRecord] = []
            framer.feed(stream[..<cut]) { decoded.append($0) }
            framer.feed(stream[cut...]) { decoded.append($0) }
            #expect(decoded == records, "cut at \(cut)")
            #expect(framer.pendingByteCount == 0)
        }
    }

    @Test func byteByByte() {
        let records = Self.records(4)
        var framer = ErrorNotifyFramer()
        var decoded: [ErrorNotifyRecord] = []
        for byte in records.flatMap(\.encoded) {
            framer.feed([byte]) { decoded.append($0) }
            #expect(framer.pendingByteCount < ErrorNotifyRecord.size)
        }
        #expect(decoded == records)
    }

    @Test func truncatedRecordIsHeldNotDecoded() {
        var framer = ErrorNotifyFramer()
        var decoded = 0
        framer.feed(Self.records(1)[0].encoded.prefix(500)) { _ in decoded += 1 }
        #expect(decoded == 0)
        #expect(framer.pendingByteCount == 500)
    }

    @Test func garbageNeverHoldsMoreThanOneRecord() {
        var generator = SystemRandomNumberGenerator()
        var framer = ErrorNotifyFramer()
        var total = 0
        var decoded = 0
        for _ in 0..<200 {
            let length = Int.random(in: 0...5_000, using: &generator)
            let chunk = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            total += length
            framer.feed(chunk) { _ in decoded += 1 }
            #expect(framer.pendingByteCount < ErrorNotifyRecord.size)
        }
        #expect(decoded == total / ErrorNotifyRecord.size)
        #expect(framer.pendingByteCount == total % ErrorNotifyRecord.size)
    }
}
