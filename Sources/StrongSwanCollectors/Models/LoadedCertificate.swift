import Foundation
import VICI
import X509

/// A certificate charon has loaded, as reported by `list-certs` (one `list-cert` event each), with its
/// validity read from the DER data.
public struct LoadedCertificate: Sendable, Hashable {
    /// Certificate type: `X509`, `X509_AC`, `X509_CRL`, `OCSP_RESPONSE` or `PUBKEY`.
    public var type: String
    /// X.509 flag: `NONE`, `CA`, `AA` or `OCSP`.
    public var flag: String
    /// Whether charon has the matching private key.
    public var hasPrivateKey: Bool
    /// Subject distinguished name (RFC 4514 string), or the `subject` charon sent for PUBKEY.
    public var subject: String
    /// Issuer distinguished name (empty when not an X.509 certificate).
    public var issuer: String
    /// Serial number as colon-separated hex (empty when not an X.509 certificate).
    public var serial: String
    /// Start of validity as a unix timestamp, if known.
    public var notBefore: Double?
    /// End of validity as a unix timestamp, if known.
    public var notAfter: Double?

    /// Creates a record.
    public init(type: String, flag: String, hasPrivateKey: Bool, subject: String, issuer: String, serial: String,
                notBefore: Double?, notAfter: Double?) {
        self.type = type
        self.flag = flag
        self.hasPrivateKey = hasPrivateKey
        self.subject = subject
        self.issuer = issuer
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Colon-separated, zero-padded lowercase hex (`01:0a:ff`), as `openssl x509 -serial` groups it.
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    /// Maps one `list-cert` event. X.509 data that does not parse throws ``VICIError/Code/invalidValue``
    /// with the parser's reason; other types keep what charon sent.
    public init(message: VICIMessage) throws(VICIError) {
        let type = message.string("type") ?? ""
        let flag = message.string("flag") ?? "NONE"
        let hasPrivateKey = message.bool("has_privkey") ?? false
        if type == "X509", let data = message.bytes("data") {
            let certificate: Certificate
            do {
                certificate = try Certificate(derEncoded: data)
            } catch {
                throw VICIError(.invalidValue, "list-cert: X.509 data does not parse: \(error)")
            }
            self.init(
                type: type, flag: flag, hasPrivateKey: hasPrivateKey,
                subject: certificate.subject.description,
                issuer: certificate.issuer.description,
                serial: LoadedCertificate.hex(certificate.serialNumber.bytes),
                notBefore: certificate.notValidBefore.timeIntervalSince1970,
                notAfter: certificate.notValidAfter.timeIntervalSince1970
            )
        } else {
            self.init(
                type: type, flag: flag, hasPrivateKey: hasPrivateKey,
                subject: message.string("subject") ?? "", issuer: "", serial: "",
                notBefore: nil, notAfter: nil
            )
        }
    }
}
