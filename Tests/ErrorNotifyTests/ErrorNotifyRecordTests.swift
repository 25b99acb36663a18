import Testing
@testable import ErrorNotify

/// Records built byte by byte after strongSwan's `error_notify_msg_t` (packed: int type in network order,
/// char str[384], name[64], id[256], ip[60]), not with the encoder under test.
@Suite struct ErrorNotifyRecordTests {
    static func rawRecord(type: [UInt8], message: [UInt8], name: [UInt8], id: [UInt8], ip: [UInt8]) -> [UInt8] {
        func field(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
            Array((bytes + [UInt8](repeating: 0, count: length)).prefix(length))
        }
        return type + field(message, 384) + field(name, 64) + field(id, 256) + field(ip, 60)
    }

    @Test func recordIs768Bytes() {
        #expect(ErrorNotifyRecord.size == 768)
    }

    @Test func decodesFieldsAndNetworkOrderType() throws {
        let bytes = Self.rawRecord(
            type: [0, 0, 0, 3], message: Array("peer authentication failed".utf8), name: Array("site-1".utf8),
            id: Array("peer-1.lab.test".utf8), ip: Array("192.168.77.2[500]".utf8))
        let record = try #require(ErrorNotifyRecord(decoding: bytes))
        #expect(record.type == 3)
        #expect(record.message == "peer authentication failed")
        #expect(record.connection == "site-1")
        #expect(record.peerIdentity == "peer-1.lab.test")
        #expect(record.peerAddress == "192.168.77.2[500]")
        #expect(record.alert == .failure(.peerAuthFailed))
        #expect(record.encoded == bytes)
    }

    @Test func fieldsWithoutTerminatorEndAtTheFieldEnd() throws {
        let name = [UInt8](repeating: UInt8(ascii: "n"), count: 64)
        let ip = [UInt8](repeating: UInt8(ascii: "9"), count: 60)
        let bytes = Self.rawRecord(type: [0, 0, 0, 9], message: [UInt8](repeating: 0x41, count: 384), name: name,
                                   id: [UInt8](repeating: 0x42, count: 256), ip: ip)
        let record = try #require(ErrorNotifyRecord(decoding: bytes))
        #expect(record.connection == String(repeating: "n", count: 64))
        #expect(record.peerAddress == String(repeating: "9", count: 60))
        #expect(record.message.count == 384)
        #expect(record.peerIdentity.count == 256)
    }

    @Test func invalidUTF8IsRepaired() throws {
        let bytes = Self.rawRecord(type: [0, 0, 0, 2], message: [0xff, 0xfe, 0x41], name: [0xc3], id: [], ip: [])
        let record = try #require(ErrorNotifyRecord(decoding: bytes))
        #expect(record.message == "\u{FFFD}\u{FFFD}A")
        #expect(record.connection == "\u{FFFD}")
    }

    @Test func otherLengthsAreRejected() {
        #expect(ErrorNotifyRecord(decoding: [UInt8](repeating: 0, count: 767)) == nil)
        #expect(ErrorNotifyRecord(decoding: [UInt8](repeating: 0, count: 769)) == nil)
        #expect(ErrorNotifyRecord(decoding: [UInt8]()) == nil)
    }

    @Test(arguments: [
        (Int32(1), "radius_not_responding"), (2, "local_auth_failed"), (3, "peer_auth_failed"), (4, "parse_error"),
        (5, "parse_error"), (6, "retransmit_timeout"), (7, "half_open_timeout"), (8, "ike_proposal_mismatch"),
        (9, "child_proposal_mismatch"), (10, "ts_mismatch"), (11, "child_sa_install_failed"),
        (12, "policy_install_failed"), (13, "unique_replace"), (14, "unique_keep"), (15, "vip_failure"),
        (16, "authorization_failed"), (17, "cert_expired"), (18, "cert_revoked"), (19, "cert_no_issuer"),
        (23, "peer_address_failed"), (24, "peer_unreachable"), (25, "invalid_ike_spi"), (27, "child_sa_failed"),
        (28, "ike_sa_expired"), (29, "cert_validation_failed"), (30, "cert_untrusted_root"),
        (31, "cert_path_too_long"), (32, "cert_policy_violation"), (0, "unknown"), (33, "unknown"),
        (-1, "unknown"), (Int32.max, "unknown"), (Int32.min, "unknown"),
    ])
    func failureTypesMapToTheVocabulary(type: Int32, reason: String) {
        #expect(ErrorNotifyAlert(type: type) == .failure(FailureReason(rawValue: reason) ?? .unknown))
        #expect(FailureReason(rawValue: reason) != nil)
    }

    @Test(arguments: [(Int32(20), "retransmit_sent"), (21, "retransmit_cleared"), (22, "retransmit_received"),
                      (26, "ts_narrowed")])
    func noticeTypesAreNotFailures(type: Int32, notice: String) {
        #expect(ErrorNotifyAlert(type: type) == .notice(IKENotice(rawValue: notice) ?? .tsNarrowed))
        #expect(IKENotice(rawValue: notice) != nil)
    }

    @Test func labelValuesAreDistinctSnakeCase() {
        let values = FailureReason.allCases.map(\.rawValue) + IKENotice.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        for value in values {
            #expect(value.allSatisfy { ("a"..."z").contains($0) || $0 == "_" }, "\(value)")
        }
        for (position, reason) in FailureReason.allCases.enumerated() { #expect(reason.index == position) }
        for (position, notice) in IKENotice.allCases.enumerated() { #expect(notice.index == position) }
    }
}
