import NIOCore
import Testing
@testable import VICI

/// One malformed input per rule, each with its exact error code and offset.
@Suite("Malformed input")
struct MalformedInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let bytes: [UInt8]
        let code: VICIError.Code
        let offset: Int
        var options = VICICodingOptions()
        var testDescription: String { label }
    }

    /// `count` distinct keys `k00`, `k01`… (7 bytes each) then `k07` again.
    static func sectionWithDuplicate(after count: Int, nested: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = nested ? [1, 1, 0x73] : []
        for i in 0..<count { bytes += [3, 3] + utf8("k" + (i < 10 ? "0" : "") + "\(i)") + [0, 0] }
        return bytes + [3, 3] + utf8("k07") + [0, 0] + (nested ? [2] : [])
    }

    static let messageCases: [Case] = [
        Case(label: "SECTION_END at the root", bytes: [2], code: .unbalancedSection, offset: 0),
        Case(label: "SECTION_END after a balanced section", bytes: [1, 1, 0x61, 2, 2], code: .unbalancedSection, offset: 4),
        Case(label: "section never closed", bytes: [3, 1, 0x6B, 0, 0, 1, 1, 0x61, 1, 1, 0x62, 2], code: .unterminatedSection, offset: 5),
        Case(label: "LIST_START inside a list", bytes: [4, 1, 0x61, 4, 1, 0x62], code: .nestedList, offset: 3),
        Case(label: "SECTION_START inside a list", bytes: [4, 1, 0x61, 1, 1, 0x62, 2, 6], code: .sectionInList, offset: 3),
        Case(label: "SECTION_END inside a list", bytes: [1, 1, 0x73, 4, 1, 0x61, 2], code: .sectionInList, offset: 6),
        Case(label: "KEY_VALUE inside a list", bytes: [4, 1, 0x61, 3, 1, 0x62, 0, 0, 6], code: .keyValueInList, offset: 3),
        Case(label: "LIST_ITEM outside a list", bytes: [5, 0, 0], code: .listItemOutsideList, offset: 0),
        Case(label: "LIST_ITEM after the list ended", bytes: [4, 1, 0x61, 6, 5, 0, 0], code: .listItemOutsideList, offset: 4),
        Case(label: "list never closed", bytes: [4, 1, 0x61, 5, 0, 1, 0x78], code: .unterminatedList, offset: 0),
        Case(label: "LIST_END without a list", bytes: [6], code: .listEndOutsideList, offset: 0),
        Case(label: "duplicate key/value", bytes: [3, 1, 0x61, 0, 0, 3, 1, 0x61, 0, 0], code: .duplicateKey, offset: 5),
        Case(label: "section named like a value", bytes: [3, 1, 0x61, 0, 0, 1, 1, 0x61, 2], code: .duplicateKey, offset: 5),
        Case(label: "duplicate list", bytes: [4, 1, 0x61, 6, 4, 1, 0x61, 6], code: .duplicateKey, offset: 4),
        Case(label: "duplicate inside a sub-section", bytes: [1, 1, 0x73, 3, 1, 0x61, 0, 0, 4, 1, 0x61, 6, 2], code: .duplicateKey, offset: 8),
        Case(label: "duplicate after 20 entries", bytes: sectionWithDuplicate(after: 20), code: .duplicateKey, offset: 20 * 7),
        Case(label: "duplicate after 70 entries (name set)", bytes: sectionWithDuplicate(after: 70), code: .duplicateKey, offset: 70 * 7),
        Case(label: "duplicate after 70 entries in a sub-section", bytes: sectionWithDuplicate(after: 70, nested: true),
             code: .duplicateKey, offset: 3 + 70 * 7),
        Case(label: "name not UTF-8 (0xFF)", bytes: [3, 1, 0xFF, 0, 0], code: .invalidName, offset: 0),
        Case(label: "name not UTF-8 (surrogate)", bytes: [1, 3, 0xED, 0xA0, 0x80, 2], code: .invalidName, offset: 0),
        Case(label: "name not UTF-8 (cut multibyte)", bytes: [4, 2, 0x61, 0xC3, 6], code: .invalidName, offset: 0),
        Case(label: "empty name when not allowed", bytes: [3, 0, 0, 0], code: .invalidName, offset: 0,
             options: VICICodingOptions(allowEmptyNames: false)),
        Case(label: "element ends before name length", bytes: [3, 1, 0x61, 0, 0, 3], code: .truncated, offset: 5),
        Case(label: "name runs past the end", bytes: [1, 5, 0x61, 0x62], code: .truncated, offset: 0),
        Case(label: "element ends before value length", bytes: [3, 1, 0x61, 0], code: .truncated, offset: 0),
        Case(label: "value runs past the end", bytes: [3, 1, 0x61, 0, 5, 0x78], code: .truncated, offset: 0),
        Case(label: "list item runs past the end", bytes: [4, 1, 0x61, 5, 0xFF, 0xFF, 0], code: .truncated, offset: 3),
        Case(label: "element type 0", bytes: [0], code: .unknownElementType, offset: 0),
        Case(label: "element type 7 after a value", bytes: [3, 1, 0x61, 0, 0, 7], code: .unknownElementType, offset: 5),
        Case(label: "element type 255", bytes: [255], code: .unknownElementType, offset: 0),
        Case(label: "100,000 nested sections", bytes: Array([[UInt8]](repeating: [1, 1, 0x61], count: 100_000).joined()),
             code: .depthLimitExceeded, offset: 64 * 3),
        Case(label: "depth limit 2", bytes: [1, 1, 0x61, 1, 1, 0x62, 1, 1, 0x63, 2, 2, 2], code: .depthLimitExceeded, offset: 6,
             options: VICICodingOptions(maxDepth: 2)),
    ]

    @Test(arguments: messageCases)
    func malformedMessage(_ testCase: Case) {
        expectVICIError(testCase.code, offset: .at(testCase.offset)) {
            _ = try VICIMessage(decoding: testCase.bytes, options: testCase.options)
        }
        // The same input inside an EVENT packet: offsets shift by the packet header (1 + 1 + 3 bytes).
        expectVICIError(testCase.code, offset: .at(testCase.offset + 5)) {
            _ = try VICIPacket.decode(buffer([7, 3] + utf8("log") + testCase.bytes), options: testCase.options)
        }
    }

    @Test func depthLimitAllowsExactlyTheLimit() throws {
        let open = [[UInt8]](repeating: [1, 1, 0x61], count: 64).joined()
        let close = [UInt8](repeating: 2, count: 64)
        let message = try VICIMessage(decoding: Array(open) + close)
        var depth = 0
        var section: VICIMessage? = message
        while let next = section?.section("a") { depth += 1; section = next }
        #expect(depth == 64)
    }

    static let packetCases: [Case] = [
        Case(label: "zero-length frame", bytes: [], code: .emptyFrame, offset: 0),
        Case(label: "packet type 8", bytes: [8], code: .unknownPacketType, offset: 0),
        Case(label: "packet type 255", bytes: [255, 1, 2], code: .unknownPacketType, offset: 0),
        Case(label: "named packet without name length", bytes: [0], code: .truncated, offset: 1),
        Case(label: "packet name runs past the end", bytes: [7, 9] + utf8("list"), code: .truncated, offset: 1),
        Case(label: "empty packet name", bytes: [3, 0], code: .invalidName, offset: 1),
        Case(label: "packet name not UTF-8", bytes: [7, 2, 0xC0, 0xAF], code: .invalidName, offset: 1),
        Case(label: "EVENT_CONFIRM with trailing bytes", bytes: [5, 0], code: .unexpectedPacket, offset: 1),
        Case(label: "CMD_UNKNOWN with trailing bytes", bytes: [2, 1, 2, 3], code: .unexpectedPacket, offset: 1),
        Case(label: "EVENT_REGISTER with a message", bytes: [3, 1, 0x65, 3, 1, 0x61, 0, 0], code: .unexpectedPacket, offset: 3),
        Case(label: "CMD_RESPONSE with a bad message", bytes: [1, 3, 1, 0x61, 0], code: .truncated, offset: 1),
        Case(label: "packet larger than the limit", bytes: [1] + [UInt8](repeating: 2, count: 16), code: .frameTooLarge, offset: 0,
             options: VICICodingOptions(maxFrameLength: 16)),
    ]

    @Test(arguments: packetCases)
    func malformedPacket(_ testCase: Case) {
        expectVICIError(testCase.code, offset: .at(testCase.offset)) {
            _ = try VICIPacket.decode(buffer(testCase.bytes), options: testCase.options)
        }
    }

    // MARK: - Encoding rules

    @Test func encoderRejectsEachRuleViolation() {
        let longName = String(repeating: "n", count: 256)
        expectVICIError(.nameTooLong) { _ = try VICIMessage([.init(longName, .value("x"))]).encodedBytes() }
        expectVICIError(.nameTooLong) {
            _ = try VICIMessage([.init("s", .section(VICIMessage([.init(longName, .list([[UInt8]]()))])))]).encodedBytes()
        }
        expectVICIError(.invalidName) {
            _ = try VICIMessage([.init("", .value("x"))]).encodedBytes(options: VICICodingOptions(allowEmptyNames: false))
        }
        expectVICIError(.valueTooLong) {
            _ = try VICIMessage([.init("v", .value([UInt8](repeating: 0, count: 65_536)))]).encodedBytes()
        }
        expectVICIError(.valueTooLong) {
            _ = try VICIMessage([.init("l", .list([[], [UInt8](repeating: 0, count: 65_536)]))]).encodedBytes()
        }
        expectVICIError(.duplicateKey) {
            _ = try VICIMessage([.init("a", .value("x")), .init("a", .list([[UInt8]]()))]).encodedBytes()
        }
        let wide = (0..<40).map { VICIMessage.Entry("k\($0)", .value("x")) } + [.init("k39", .value("y"))]
        expectVICIError(.duplicateKey) { _ = try VICIMessage(wide).encodedBytes() }
        var deep = VICIMessage([.init("leaf", .value("x"))])
        for _ in 0..<65 { deep = VICIMessage([.init("a", .section(deep))]) }
        expectVICIError(.depthLimitExceeded) { _ = try deep.encodedBytes() }
    }

    @Test func encoderLeavesTheBufferUntouchedOnFailure() {
        var out = ByteBuffer(bytes: [9, 9])
        expectVICIError(.duplicateKey) {
            try VICIMessage([.init("s", .section(VICIMessage([.init("a", .value("1")), .init("a", .value("2"))])))])
                .encode(into: &out)
        }
        #expect(Array(out.readableBytesView) == [9, 9])
        expectVICIError(.messageTooLarge) {
            try VICIPacket.commandResponse(VICIMessage([.init("v", .value([UInt8](repeating: 1, count: 100)))]))
                .encodeFrame(into: &out, options: VICICodingOptions(maxFrameLength: 50))
        }
        #expect(Array(out.readableBytesView) == [9, 9])
    }

    @Test func packetEncoderRejectsBadNames() {
        var out = ByteBuffer()
        expectVICIError(.invalidName) { try VICIPacket.eventRegister(name: "").encode(into: &out) }
        expectVICIError(.nameTooLong) {
            try VICIPacket.commandRequest(name: String(repeating: "c", count: 256), message: VICIMessage()).encode(into: &out)
        }
        #expect(out.readableBytes == 0)
    }
}

@Suite("Wide sections")
struct WideSectionTests {
    /// 300 distinct names in the root and in a sub-section, with lists and sections among them, decode and
    /// re-encode unchanged (the duplicate check switches to a set beyond 64 entries).
    @Test func wideSectionsRoundTrip() throws {
        var inner = VICIMessage()
        var root = VICIMessage()
        for i in 0..<300 {
            inner.entries.append(.init("key-\(i)", i % 7 == 0 ? .list(["a", "b"]) : .value("v\(i)")))
            root.entries.append(.init("r\(i)", i % 50 == 0 ? .section(VICIMessage([.init("x", .value("y"))])) : .value("\(i)")))
        }
        root.entries.append(.init("inner", .section(inner)))
        let bytes = try root.encodedBytes()
        #expect(try VICIMessage(decoding: bytes) == root)
    }

    @Test func duplicateOfAnEarlierSectionInAWideSection() {
        // 70 values, a section "s", 10 more values, then a value named "s".
        var bytes: [UInt8] = []
        for i in 0..<70 { bytes += [3, 4] + utf8("v\(100 + i)") + [0, 0] }
        bytes += [1, 1, 0x73, 3, 1, 0x61, 0, 0, 2]
        for i in 0..<10 { bytes += [3, 4] + utf8("w\(100 + i)") + [0, 0] }
        let duplicateAt = bytes.count
        bytes += [3, 1, 0x73, 0, 0]
        expectVICIError(.duplicateKey, offset: .at(duplicateAt)) { _ = try VICIMessage(decoding: bytes) }
    }
}
