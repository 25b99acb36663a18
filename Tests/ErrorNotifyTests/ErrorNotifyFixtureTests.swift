import Foundation
import Testing
@testable import ErrorNotify

/// Records captured from the lab's charons (Fixtures/README.md), decoded and compared with what charon's own
/// client printed for the same records.
@Suite struct ErrorNotifyFixtureTests {
    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try Data(contentsOf: url)
    }

    @Test(arguments: ["gw", "peer"])
    func decodedRecordsMatchCharonsOwnClient(role: String) throws {
        let bytes = try Self.fixture("\(role).enfy")
        let printed = String(decoding: try Self.fixture("\(role).txt"), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(bytes.count % ErrorNotifyRecord.size == 0)
        var framer = ErrorNotifyFramer()
        var records: [ErrorNotifyRecord] = []
        framer.feed(bytes) { records.append($0) }
        #expect(records.count == printed.count)
        for (record, line) in zip(records, printed) {
            // error-notify.c: printf("%d %s %s %s %s\n", ntohl(msg.type), msg.name, msg.id, msg.ip, msg.str)
            let rendered = "\(record.type) \(record.connection) \(record.peerIdentity) \(record.peerAddress) \(record.message)"
            #expect(rendered == line)
        }
    }

    @Test func scenariosMapToTheirReasons() throws {
        var framer = ErrorNotifyFramer()
        var alerts: [String] = []
        framer.feed(try Self.fixture("gw.enfy")) { record in
            switch record.alert {
            case .failure(let reason): alerts.append("\(record.connection) \(reason.rawValue)")
            case .notice(let notice): alerts.append("\(record.connection) notice \(notice.rawValue)")
            }
        }
        #expect(alerts == [
            "fail-psk local_auth_failed",
            "fail-ike-proposal ike_proposal_mismatch",
            "fail-esp-proposal child_proposal_mismatch", "fail-esp-proposal child_sa_failed",
            "fail-ts child_sa_failed",
            "fail-unreachable notice retransmit_sent", "fail-unreachable notice retransmit_sent",
            "fail-unreachable retransmit_timeout", "fail-unreachable peer_unreachable",
            "fail-pool vip_failure", "fail-pool child_sa_failed",
            "fail-cert-expired cert_expired", "fail-cert-expired peer_auth_failed",
        ])
    }
}
