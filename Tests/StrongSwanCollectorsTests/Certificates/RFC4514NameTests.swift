import Foundation
@testable import StrongSwanCollectors
import XCTest

/// Subjects and issuers render as RFC 4514 says: checked against `openssl x509 -nameopt RFC2253,-esc_msb`
/// (an independent implementation) for certificates openssl makes here.
final class RFC4514NameTests: XCTestCase {
    /// Each subject in `openssl req -subj` syntax, with why it is here.
    static let subjects: [(subject: String, why: String)] = [
        ("/DC=test/DC=lab/O=strongswan-lab/UID=jdoe/CN=uid-dc.lab.test", "DC and UID by their RFC 4514 names"),
        ("/C=CH/ST=Zug/L=Baar/O=strongswan-lab/OU=gateways/CN=gw.lab.test", "the other short names, last RDN first"),
        ("/CN=a\\,b\\+c;d<e>f\"g\\\\h", "characters RFC 4514 escapes in the middle"),
        ("/O=#lead/CN=trailing \\ ", "a leading # and a trailing space"),
        ("/CN=Zürich Straße ⚡", "UTF-8 stays as it is"),
        ("/1.2.3.4=custom/CN=with unknown OID", "an attribute type openssl does not know: dotted OID and #hex"),
        ("/CN=multi+UID=valued/O=rdn", "a multi-valued RDN joined by +"),
    ]

    func testSubjectsAndIssuersEqualOpenSSLsRFC2253() throws {
        let openssl = try OpenSSLTool()
        defer { openssl.remove() }
        for (index, entry) in Self.subjects.enumerated() {
            let name = "c\(index)"
            try openssl.selfSigned(name, subject: entry.subject, extraArguments: ["-multivalue-rdn"])
            let certificate = try LoadedCertificate(der: openssl.bytes("\(name).der"), flag: "CA", hasPrivateKey: false)
            XCTAssertEqual(certificate.subject, try openssl.rfc2253("subject", of: "\(name).crt"), entry.why)
            XCTAssertEqual(certificate.issuer, try openssl.rfc2253("issuer", of: "\(name).crt"), entry.why)
        }
    }

    func testControlCharactersAreHexEscaped() {
        XCTAssertEqual(RFC4514Name.escape("a\u{01}b\u{7f}"), "a\\01b\\7F")
        XCTAssertEqual(RFC4514Name.escape(" "), "\\ ")
        XCTAssertEqual(RFC4514Name.escape("#a#"), "\\#a#")
    }
}
