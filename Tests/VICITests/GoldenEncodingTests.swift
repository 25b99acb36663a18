import NIOCore
import Testing
@testable import VICI

/// The encoding example of the protocol description, written out by hand from the spec's C array.
@Suite("Golden bytes from the protocol description")
struct GoldenEncodingTests {
    /// `key1 = value1`, `section1 = { sub-section = { key2 = value2 }, list1 = [item1, item2] }`.
    static let specBytes: [UInt8] =
        [3, 4] + utf8("key1") + [0, 6] + utf8("value1")             // key1 = value1
        + [1, 8] + utf8("section1")                                  // section1
        + [1, 11] + utf8("sub-section")                              // sub-section
        + [3, 4] + utf8("key2") + [0, 6] + utf8("value2")            // key2 = value2
        + [2]                                                        // sub-section end
        + [4, 5] + utf8("list1")                                     // list1
        + [5, 0, 5] + utf8("item1")                                  // item1
        + [5, 0, 5] + utf8("item2")                                  // item2
        + [6]                                                        // list1 end
        + [2]                                                        // section1 end

    static let specMessage = VICIMessage([
        .init("key1", .value("value1")),
        .init("section1", .section(VICIMessage([
            .init("sub-section", .section(VICIMessage([.init("key2", .value("value2"))]))),
            .init("list1", .list(["item1", "item2"])),
        ]))),
    ])

    @Test func specExampleLengthMatchesTheCArray() {
        // 14 + 10 + 13 + 14 + 1 + 7 + 8 + 8 + 1 + 1 bytes, counted from the spec's array.
        #expect(Self.specBytes.count == 77)
    }

    @Test func encodesTheSpecExample() throws {
        #expect(try Self.specMessage.encodedBytes() == Self.specBytes)
    }

    @Test func decodesTheSpecExample() throws {
        let decoded = try VICIMessage(decoding: Self.specBytes)
        #expect(decoded == Self.specMessage)
        #expect(decoded.string("key1") == "value1")
        #expect(decoded.section("section1")?.section("sub-section")?.string("key2") == "value2")
        #expect(decoded.section("section1")?.list("list1") == ["item1", "item2"])
    }

    @Test func decodesFromByteBufferReadableBytesOnly() throws {
        var buffer = ByteBuffer(bytes: [0xEE, 0xEE] + Self.specBytes)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try VICIMessage(decoding: buffer) == Self.specMessage)
    }

    @Test func encodesAVersionRequestFrame() throws {
        var out = ByteBuffer()
        try VICIPacket.commandRequest(name: "version", message: VICIMessage()).encodeFrame(into: &out)
        // length 9 = type + name length + "version"; CMD_REQUEST = 0
        #expect(Array(out.readableBytesView) == [0, 0, 0, 9, 0, 7] + utf8("version"))
    }

    @Test func encodesRegistrationFrames() throws {
        var out = ByteBuffer()
        try VICIPacket.eventRegister(name: "list-sa").encodeFrame(into: &out)
        try VICIPacket.eventUnregister(name: "list-sa").encodeFrame(into: &out)
        #expect(Array(out.readableBytesView) ==
            [0, 0, 0, 9, 3, 7] + utf8("list-sa") + [0, 0, 0, 9, 4, 7] + utf8("list-sa"))
    }

    @Test func decodesEveryPacketType() throws {
        let message = [3, 1] + utf8("k") + [0, 1] + utf8("v")
        let table: [([UInt8], VICIPacket)] = [
            ([0, 5] + utf8("stats") + message, .commandRequest(name: "stats", message: VICIMessage([.init("k", .value("v"))]))),
            ([1] + message, .commandResponse(VICIMessage([.init("k", .value("v"))]))),
            ([1], .commandResponse(VICIMessage())),
            ([2], .commandUnknown),
            ([3, 3] + utf8("log"), .eventRegister(name: "log")),
            ([4, 3] + utf8("log"), .eventUnregister(name: "log")),
            ([5], .eventConfirm),
            ([6], .eventUnknown),
            ([7, 10] + utf8("ike-updown") + message, .event(name: "ike-updown", message: VICIMessage([.init("k", .value("v"))]))),
        ]
        for (bytes, expected) in table {
            let packet = try VICIPacket.decode(buffer(bytes))
            #expect(packet == expected)
            var reencoded = ByteBuffer()
            try packet.encode(into: &reencoded)
            #expect(Array(reencoded.readableBytesView) == bytes, "\(expected.type)")
        }
    }

    @Test func decodesAnEmptySectionNameAsCharonSendsInGetCounters() throws {
        // counters = { "" = { ike-init-rcvd = 3 } } — charon names the global counter set "".
        let bytes: [UInt8] = [1, 8] + utf8("counters") + [1, 0] + [3, 13] + utf8("ike-init-rcvd") + [0, 1] + utf8("3") + [2, 2]
        let message = try VICIMessage(decoding: bytes)
        #expect(message.section("counters")?.section("")?.uint64("ike-init-rcvd") == 3)
        #expect(try message.encodedBytes() == bytes)
    }
}
