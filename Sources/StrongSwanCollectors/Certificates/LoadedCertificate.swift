import Foundation
import X509

/// An X.509 certificate charon has loaded (`list-certs` type `X509`), read from its DER data.
public struct LoadedCertificate: Sendable, Hashable {
    /// X.509 flag: `NONE`, `CA`, `AA` or `OCSP`.
    public var flag: String
    /// Whether charon has the matching private key.
    public var hasPrivateKey: Bool
    /// Subject distinguished name (see ``RFC4514Name``).
    public var subject: String
    /// Issuer distinguished name (see ``RFC4514Name``).
    public var issuer: String
    /// Serial number as colon-separated hex.
    public var serial: String
    /// Start of validity as a unix timestamp.
    public var notBefore: Double
    /// End of validity as a unix timestamp.
    public var notAfter: Double
    /// The subject name's DER (OCSP responses name their certificate's issuer by a hash of it).
    public var subjectDER: [UInt8]

    /// Creates a record.
    public init(flag: String, hasPrivateKey: Bool, subject: String, issuer: String, serial: String,
                notBefore: Double, notAfter: Double, subjectDER: [UInt8] = []) {
        self.flag = flag
        self.hasPrivateKey = hasPrivateKey
        self.subject = subject
        self.issuer = issuer
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectDER = subjectDER
    }

    /// Reads a certificate from its DER encoding; throws when it does not parse.
    public init(der: [UInt8], flag: String, hasPrivateKey: Bool) throws(CertificateDecodingError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw CertificateDecodingError("X.509 certificate: \(error)")
        }
        // Encoded once: rendered, and kept for OCSP issuer-name hashes.
        let subjectDER = RFC4514Name.der(certificate.subject)
        self.init(
            flag: flag, hasPrivateKey: hasPrivateKey,
            subject: RFC4514Name.string(der: subjectDER, of: certificate.subject),
            issuer: RFC4514Name.string(certificate.issuer),
            serial: DERReader.colonHex(certificate.serialNumber.bytes),
            notBefore: certificate.notValidBefore.timeIntervalSince1970,
            notAfter: certificate.notValidAfter.timeIntervalSince1970,
            subjectDER: subjectDER
        )
    }
}
