import Crypto
import SwiftASN1

/// A raw public key charon trusts (`list-certs` type `PUBKEY`), read from its `SubjectPublicKeyInfo` DER
/// data and the fields charon adds.
public struct LoadedPublicKey: Sendable, Hashable {
    /// The identity charon sent as `subject` (empty when the key is known only by its key ID).
    public var subject: String
    /// SHA-1 of the `subjectPublicKey` bits as colon-separated hex (the subject key identifier
    /// `pki --keyid` prints).
    public var keyID: String
    /// `RSA`, `ECDSA`, `ED25519`, `ED448`, `DSA`, or the algorithm's dotted OID.
    public var keyType: String
    /// Whether charon has the matching private key.
    public var hasPrivateKey: Bool
    /// Start of validity charon sent (`not-before`), as a unix timestamp.
    public var notBefore: Double?
    /// End of validity charon sent (`not-after`), as a unix timestamp.
    public var notAfter: Double?

    /// Creates a record.
    public init(subject: String, keyID: String, keyType: String, hasPrivateKey: Bool, notBefore: Double?,
                notAfter: Double?) {
        self.subject = subject
        self.keyID = keyID
        self.keyType = keyType
        self.hasPrivateKey = hasPrivateKey
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    static let keyTypes = [
        "1.2.840.113549.1.1.1": "RSA", "1.2.840.10045.2.1": "ECDSA", "1.3.101.112": "ED25519",
        "1.3.101.113": "ED448", "1.2.840.10040.4.1": "DSA",
    ]

    /// Reads a `SubjectPublicKeyInfo`; throws what is malformed.
    public init(der: [UInt8], subject: String, hasPrivateKey: Bool, notBefore: Double?, notAfter: Double?)
        throws(CertificateDecodingError)
    {
        let info = try DERReader.children(DERReader.parse(der, "SubjectPublicKeyInfo"), .sequence, "SubjectPublicKeyInfo")
        guard info.count == 2 else { throw CertificateDecodingError("SubjectPublicKeyInfo: \(info.count) fields") }
        guard let algorithm = try DERReader.children(info[0], .sequence, "algorithm").first else {
            throw CertificateDecodingError("algorithm: empty")
        }
        let oid = try DERReader.objectIdentifier(algorithm, "algorithm")
        let bits = try DERReader.primitive(info[1], .bitString, "subjectPublicKey")
        guard let unused = bits.first else { throw CertificateDecodingError("subjectPublicKey: empty") }
        guard unused == 0 else { throw CertificateDecodingError("subjectPublicKey: \(unused) unused bits") }
        self.init(subject: subject, keyID: DERReader.colonHex(Array(Insecure.SHA1.hash(data: Array(bits.dropFirst())))),
                  keyType: Self.keyTypes[oid] ?? oid, hasPrivateKey: hasPrivateKey,
                  notBefore: notBefore, notAfter: notAfter)
    }
}
