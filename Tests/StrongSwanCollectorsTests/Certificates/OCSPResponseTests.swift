import Foundation
@testable import StrongSwanCollectors
import VICI
import XCTest

/// OCSP responses decode to what `openssl ocsp -resp_text` reads from the same response, made here by
/// openssl's own responder (`openssl ocsp -index`): pki 5.9.8 cannot make one, and charon caches one only
/// after fetching it.
final class OCSPResponseTests: XCTestCase {
    func testAnOpenSSLResponseDecodesAsOpenSSLReadsIt() throws {
        let openssl = try OpenSSLTool()
        defer { openssl.remove() }
        try openssl.selfSigned("ca", subject: "/C=CH/O=strongswan-lab/CN=OCSP Test CA")
        let expiry = "301231235959Z"
        try openssl.write("index.txt", "V\t\(expiry)\t\t1234\tunknown\t/CN=good\nR\t\(expiry)\t260101000000Z\t99\tunknown\t/CN=gone\n")
        try openssl.run(["ocsp", "-issuer", "ca.crt", "-serial", "0x1234", "-serial", "0x99", "-serial", "0x77",
                         "-no_nonce", "-reqout", "request.der"])
        try openssl.run(["ocsp", "-index", "index.txt", "-rsigner", "ca.crt", "-rkey", "ca.key", "-CA", "ca.crt",
                         "-reqin", "request.der", "-respout", "response.der", "-ndays", "1"])
        let response = try LoadedOCSPResponse(der: openssl.bytes("response.der"))
        let text = try openssl.run(["ocsp", "-respin", "response.der", "-resp_text", "-noverify"])

        XCTAssertEqual(response.responder, try openssl.rfc2253("subject", of: "ca.crt"), "openssl answers by name")
        XCTAssertEqual(response.producedAt, try Self.time(after: "Produced At: ", in: text))
        let blocks = text.components(separatedBy: "Certificate ID:").dropFirst()
        XCTAssertEqual(blocks.count, 3)
        XCTAssertEqual(response.statuses.count, blocks.count)
        for (status, block) in zip(response.statuses, blocks) {
            let serial = try Self.field("Serial Number: ", in: block)
            XCTAssertEqual(status.serial.replacingOccurrences(of: ":", with: "").uppercased(), serial)
            XCTAssertEqual(status.status, try Self.field("Cert Status: ", in: block))
            XCTAssertEqual(status.thisUpdate, try Self.time(after: "This Update: ", in: block))
            XCTAssertEqual(status.nextUpdate, try Self.time(after: "Next Update: ", in: block))
            XCTAssertEqual(DERReader.colonHex(status.issuerNameHash).replacingOccurrences(of: ":", with: "").uppercased(),
                           try Self.field("Issuer Name Hash: ", in: block))
        }
        XCTAssertEqual(response.statuses.map(\.status), ["good", "revoked", "unknown"], "as the index says")

        // The issuer resolves to the loaded CA's subject; without the CA, to the hash.
        var listing = CertificateListing()
        listing.add(Self.event("OCSP_RESPONSE", data: try openssl.bytes("response.der")))
        XCTAssertEqual(listing.ocspStatuses.map(\.issuer),
                       Array(repeating: "sha1:" + DERReader.colonHex(response.statuses[0].issuerNameHash), count: 3))
        listing.add(Self.event("X509", data: try openssl.bytes("ca.der")))
        XCTAssertEqual(listing.ocspStatuses.map(\.issuer), Array(repeating: try openssl.rfc2253("subject", of: "ca.crt"), count: 3))
        XCTAssertEqual(listing.undecodable["OCSP_RESPONSE"], 0)
    }

    /// A `list-cert` event as charon sends it.
    static func event(_ type: String, data: [UInt8], flag: String? = nil) -> VICIMessage {
        var entries: [VICIMessage.Entry] = [.init("type", .value(Array(type.utf8)))]
        if let flag { entries.append(.init("flag", .value(Array(flag.utf8)))) }
        entries.append(.init("data", .value(data)))
        return VICIMessage(entries)
    }

    struct Missing: Error, CustomStringConvertible { var description: String }

    /// The rest of the line after `label`.
    static func field(_ label: String, in text: String) throws -> String {
        guard let range = text.range(of: label) else { throw Missing(description: "no \(label) in \(text)") }
        return String(text[range.upperBound...].prefix { $0 != "\n" }).trimmingCharacters(in: .whitespaces)
    }

    /// openssl's `Dec  7 01:02:03 2026 GMT` after `label`, as unix time (read with Foundation's calendar).
    static func time(after label: String, in text: String) throws -> Double {
        let parts = try field(label, in: text).split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 5, let month = months.firstIndex(of: String(parts[0])), let day = Int(parts[1]),
              let year = Int(parts[3]) else { throw Missing(description: "not a time: \(parts)") }
        let clock = parts[2].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { throw Missing(description: "not a time: \(parts)") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let components = DateComponents(year: year, month: month + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
        guard let date = calendar.date(from: components) else { throw Missing(description: "no date for \(parts)") }
        return date.timeIntervalSince1970
    }
}
