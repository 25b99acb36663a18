import Foundation
@testable import StrongSwanCollectors
import VICI
import XCTest

/// `list-certs` entries are each decoded as what they are; what cannot be is counted, described once, and
/// never read as something else.
final class CertificateListingTests: XCTestCase {
    /// A CRL openssl's own CA makes (two revoked certificates, CRL number 0x1000), read as `openssl crl` reads it.
    func testAnOpenSSLCRLDecodesAsOpenSSLReadsIt() throws {
        let openssl = try OpenSSLTool()
        defer { openssl.remove() }
        let crl = try Self.openSSLCRL(openssl)
        let text = try openssl.run(["crl", "-in", "crl.der", "-inform", "DER", "-noout", "-text", "-nameopt", "RFC2253,-esc_msb"])
        XCTAssertEqual(crl.issuer, try OCSPResponseTests.field("Issuer: ", in: text))
        XCTAssertEqual(crl.thisUpdate, try OCSPResponseTests.time(after: "Last Update: ", in: text))
        XCTAssertEqual(crl.nextUpdate, try OCSPResponseTests.time(after: "Next Update: ", in: text))
        XCTAssertEqual(crl.revokedCount, text.components(separatedBy: "Serial Number: ").count - 1)
        XCTAssertEqual(crl.revokedCount, 2)
        let number = try openssl.run(["crl", "-in", "crl.der", "-inform", "DER", "-noout", "-crlnumber"])
        let hex = number.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        XCTAssertEqual(crl.numberText, UInt64(hex.hasPrefix("0x") ? String(hex.dropFirst(2)) : hex, radix: 16).map { String($0) })
        XCTAssertEqual(crl.numberText, "4096")
        XCTAssertEqual(crl.kind, .base)
        XCTAssertEqual(crl.baseNumberText, "")
    }

    static func openSSLCRL(_ openssl: OpenSSLTool) throws -> LoadedCRL {
        try openssl.selfSigned("ca", subject: "/DC=test/O=strongswan-lab/CN=CRL Test CA")
        try openssl.write("index.txt", "R\t301231235959Z\t260101000000Z\t0A\tunknown\t/CN=a\n"
                            + "R\t301231235959Z\t260102000000Z\t0B\tunknown\t/CN=b\nV\t301231235959Z\t\t0C\tunknown\t/CN=c\n")
        try openssl.write("crlnumber", "1000\n")
        try openssl.write("ca.cnf", "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\n")
        try openssl.run(["ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-out", "crl.pem"])
        try openssl.run(["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"])
        return try LoadedCRL(der: openssl.bytes("crl.der"))
    }

    func testEveryTypeIsCountedAndOnlyDecodedTypesAreDecoded() throws {
        let openssl = try OpenSSLTool()
        defer { openssl.remove() }
        _ = try Self.openSSLCRL(openssl)
        var listing = CertificateListing()
        listing.add(OCSPResponseTests.event("X509", data: try openssl.bytes("ca.der"), flag: "CA"))
        listing.add(OCSPResponseTests.event("X509_CRL", data: try openssl.bytes("crl.der")))
        // A CRL read as a certificate (what the exporter did before) and a certificate as a CRL: undecodable.
        listing.add(OCSPResponseTests.event("X509", data: try openssl.bytes("crl.der")))
        listing.add(OCSPResponseTests.event("X509_CRL", data: try openssl.bytes("ca.der")))
        listing.add(OCSPResponseTests.event("PGP", data: [1, 2, 3]))
        listing.add(OCSPResponseTests.event("PGP", data: [1, 2, 3]))
        XCTAssertEqual(listing.loaded.map(\.type), ["X509", "X509_CRL", "PGP"])
        XCTAssertEqual(listing.loaded.map(\.count), [2, 2, 2])
        XCTAssertEqual(listing.undecodable, ["X509": 1, "X509_CRL": 1, "PGP": 0])
        XCTAssertEqual(listing.certificates.count, 1)
        XCTAssertEqual(listing.crls.count, 1)
        XCTAssertEqual(Set(listing.problems.keys), ["undecodable:X509", "undecodable:X509_CRL", "unknown:PGP"],
                       "one message per type and kind of problem")
    }

    func testTypeLabelsAreBounded() {
        var listing = CertificateListing()
        for index in 0 ..< 40 { listing.add(OCSPResponseTests.event("T\(index)", data: [])) }
        listing.add(OCSPResponseTests.event(String(repeating: "x", count: 65), data: []))
        XCTAssertEqual(listing.loaded.count, CertificateListing.maxTypes)
        XCTAssertEqual(listing.loaded.last?.type, "other")
        XCTAssertEqual(listing.loaded.last?.count, 40 - (CertificateListing.maxTypes - 1) + 1)
        XCTAssertEqual(listing.loaded.reduce(0) { $0 + $1.count }, 41, "nothing is lost")
        XCTAssertLessThanOrEqual(listing.problems.count, CertificateListing.maxTypes)
    }

    /// charon's `crl_is_newer`: the higher CRL number wins, else the later thisUpdate; base and delta apart.
    func testTheNewestCRLOfAnIssuerAndKindIsTheOneInEffect() {
        func crl(_ issuer: String, _ kind: LoadedCRL.Kind, _ number: [UInt8]?, _ thisUpdate: Double) -> LoadedCRL {
            LoadedCRL(issuer: issuer, kind: kind, number: number, thisUpdate: thisUpdate, nextUpdate: nil, revokedCount: 0)
        }
        var listing = CertificateListing()
        listing.crls = [
            crl("CN=A", .base, [0x01, 0x00], 10), crl("CN=A", .base, [0xff], 20), crl("CN=A", .delta, [0x02], 5),
            crl("CN=B", .base, nil, 30), crl("CN=B", .base, nil, 40), crl("CN=A", .base, [0x01, 0x01], 1),
        ]
        let chosen = listing.crlsInEffect
        XCTAssertEqual(chosen.map(\.issuer), ["CN=A", "CN=A", "CN=B"])
        XCTAssertEqual(chosen.map(\.numberText), ["257", "2", ""])
        XCTAssertEqual(chosen.map(\.thisUpdate), [1, 5, 40])
    }

    /// Every prefix and a byte flipped at every offset of real DER (a certificate, a CRL, an OCSP response):
    /// decoded or rejected with a reason, never a trap.
    func testDamagedDERIsRejectedNotTrapped() throws {
        let openssl = try OpenSSLTool()
        defer { openssl.remove() }
        _ = try Self.openSSLCRL(openssl)
        try openssl.run(["ocsp", "-issuer", "ca.crt", "-serial", "0x0A", "-no_nonce", "-reqout", "request.der"])
        try openssl.run(["ocsp", "-index", "index.txt", "-rsigner", "ca.crt", "-rkey", "ca.key", "-CA", "ca.crt",
                         "-reqin", "request.der", "-respout", "response.der", "-ndays", "1"])
        var rejected = 0
        for (type, file) in [("X509", "ca.der"), ("X509_CRL", "crl.der"), ("OCSP_RESPONSE", "response.der"),
                             ("X509_AC", "crl.der"), ("PUBKEY", "ca.der")] {
            let der = try openssl.bytes(file)
            var listing = CertificateListing()
            for length in 0 ..< der.count { listing.add(OCSPResponseTests.event(type, data: Array(der.prefix(length)))) }
            for offset in 0 ..< der.count {
                var damaged = der
                damaged[offset] ^= 0x5a
                listing.add(OCSPResponseTests.event(type, data: damaged))
            }
            XCTAssertEqual(listing.loaded.first?.count, 2 * der.count)
            rejected += listing.undecodable[type] ?? 0
            XCTAssertGreaterThanOrEqual(listing.undecodable[type] ?? 0, der.count, "\(type): no prefix decodes")
        }
        XCTAssertGreaterThan(rejected, 0)
    }
}
