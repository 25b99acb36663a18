import SwiftASN1

/// A certificate revocation list charon holds (`list-certs` type `X509_CRL`), read from its DER data
/// (RFC 5280 section 5).
public struct LoadedCRL: Sendable, Hashable {
    /// A complete CRL, or a delta CRL (one with a `deltaCRLIndicator`).
    public enum Kind: String, Sendable, Hashable {
        case base
        case delta
    }

    /// Issuer distinguished name (see ``RFC4514Name``).
    public var issuer: String
    /// Base or delta.
    public var kind: Kind
    /// The `cRLNumber` extension as a big-endian magnitude, if present.
    public var number: [UInt8]?
    /// For a delta CRL, the number of the base CRL it complements.
    public var baseNumber: [UInt8]?
    /// `thisUpdate` as a unix timestamp.
    public var thisUpdate: Double
    /// `nextUpdate` as a unix timestamp, if present.
    public var nextUpdate: Double?
    /// The number of entries in `revokedCertificates`.
    public var revokedCount: Int

    /// Creates a record.
    public init(issuer: String, kind: Kind, number: [UInt8]?, baseNumber: [UInt8]? = nil, thisUpdate: Double,
                nextUpdate: Double?, revokedCount: Int) {
        self.issuer = issuer
        self.kind = kind
        self.number = number
        self.baseNumber = baseNumber
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.revokedCount = revokedCount
    }

    static let crlNumberOID = "2.5.29.20"
    static let deltaCRLIndicatorOID = "2.5.29.27"

    /// Reads a `CertificateList`; throws what is malformed.
    public init(der: [UInt8]) throws(CertificateDecodingError) {
        let root = try DERReader.children(DERReader.parse(der, "CRL"), .sequence, "CertificateList")
        guard let tbsNode = root.first else { throw CertificateDecodingError("CertificateList: empty") }
        var fields = try DERReader.children(tbsNode, .sequence, "TBSCertList")[...]
        if fields.first?.identifier == .integer { fields = fields.dropFirst() }  // version
        guard fields.count >= 3 else { throw CertificateDecodingError("TBSCertList: \(fields.count) fields after the version") }
        fields = fields.dropFirst()  // signature algorithm
        let issuer = try RFC4514Name.string(derEncoded: fields.removeFirst())
        let thisUpdate = try DERReader.unixTime(fields.removeFirst(), "thisUpdate")
        var nextUpdate: Double?
        if let next = fields.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
            nextUpdate = try DERReader.unixTime(next, "nextUpdate")
            fields = fields.dropFirst()
        }
        var revokedCount = 0
        if let revoked = fields.first, revoked.identifier == .sequence {
            revokedCount = try DERReader.children(revoked, .sequence, "revokedCertificates").count
            fields = fields.dropFirst()
        }
        var number: [UInt8]?
        var baseNumber: [UInt8]?
        if let extensions = fields.first {
            guard DERReader.isContext(extensions, 0) else {
                throw CertificateDecodingError("TBSCertList: unexpected \(extensions.identifier) after revokedCertificates")
            }
            for (oid, value) in try DERReader.extensions(DERReader.explicit(extensions, 0, "crlExtensions"), "crlExtensions") {
                switch oid {
                case Self.crlNumberOID:
                    number = try DERReader.unsignedInteger(DERReader.parse(Array(value), "cRLNumber"), "cRLNumber")
                case Self.deltaCRLIndicatorOID:
                    baseNumber = try DERReader.unsignedInteger(
                        DERReader.parse(Array(value), "deltaCRLIndicator"), "deltaCRLIndicator")
                default:
                    continue
                }
            }
        }
        self.init(issuer: issuer, kind: baseNumber == nil ? .base : .delta, number: number, baseNumber: baseNumber,
                  thisUpdate: thisUpdate, nextUpdate: nextUpdate, revokedCount: revokedCount)
    }

    /// charon's rule for which of two CRLs of one issuer to use (`crl_is_newer`): the higher CRL number when
    /// both have one, else the later `thisUpdate`.
    public func isNewer(than other: LoadedCRL) -> Bool {
        if let number, let otherNumber = other.number {
            return DERReader.isLess(otherNumber, number)
        }
        return thisUpdate > other.thisUpdate
    }

    /// The CRL number in decimal (empty when absent), as `openssl crl -crlnumber` prints it in hex.
    public var numberText: String { number.map(DERReader.decimal) ?? "" }

    /// The base CRL number of a delta CRL in decimal (empty for a base CRL).
    public var baseNumberText: String { baseNumber.map(DERReader.decimal) ?? "" }
}
