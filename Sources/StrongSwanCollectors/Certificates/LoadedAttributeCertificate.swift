import SwiftASN1

/// An attribute certificate charon has loaded (`list-certs` type `X509_AC`), read from its DER data
/// (RFC 5755 section 4.1).
public struct LoadedAttributeCertificate: Sendable, Hashable {
    /// The holder: the directory name in its `entityName` (see ``RFC4514Name``), empty if it has none.
    public var holder: String
    /// The issuer: the directory name in `v2Form`'s `issuerName` (or a `v1Form`), empty if it has none.
    public var issuer: String
    /// Serial number as colon-separated hex.
    public var serial: String
    /// `notBeforeTime` as a unix timestamp.
    public var notBefore: Double
    /// `notAfterTime` as a unix timestamp.
    public var notAfter: Double

    /// Creates a record.
    public init(holder: String, issuer: String, serial: String, notBefore: Double, notAfter: Double) {
        self.holder = holder
        self.issuer = issuer
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Reads an `AttributeCertificate`; throws what is malformed.
    public init(der: [UInt8]) throws(CertificateDecodingError) {
        let root = try DERReader.children(DERReader.parse(der, "AttributeCertificate"), .sequence, "AttributeCertificate")
        guard let infoNode = root.first else { throw CertificateDecodingError("AttributeCertificate: empty") }
        var fields = try DERReader.children(infoNode, .sequence, "AttributeCertificateInfo")[...]
        if fields.first?.identifier == .integer { fields = fields.dropFirst() }  // version
        guard fields.count >= 5 else {
            throw CertificateDecodingError("AttributeCertificateInfo: \(fields.count) fields after the version")
        }
        let holderFields = try DERReader.children(fields.removeFirst(), .sequence, "Holder")
        let holder = try holderFields.first { DERReader.isContext($0, 1) }
            .map { node throws(CertificateDecodingError) in try Self.directoryName(in: node, "entityName") } ?? ""
        let issuerNode = fields.removeFirst()
        let issuer: String
        if DERReader.isContext(issuerNode, 0) {
            // v2Form [0] IMPLICIT V2Form: issuerName GeneralNames OPTIONAL first.
            let v2 = try DERReader.children(issuerNode, DERReader.context(0), "v2Form")
            issuer = try v2.first { $0.identifier == .sequence }
                .map { node throws(CertificateDecodingError) in try Self.directoryName(in: node, "issuerName") } ?? ""
        } else {
            issuer = try Self.directoryName(in: issuerNode, "v1Form")
        }
        fields = fields.dropFirst()  // signature algorithm
        let serial = DERReader.colonHex(try DERReader.unsignedInteger(fields.removeFirst(), "serialNumber"))
        let validity = try DERReader.children(fields.removeFirst(), .sequence, "attrCertValidityPeriod")
        guard validity.count == 2 else { throw CertificateDecodingError("attrCertValidityPeriod: \(validity.count) fields") }
        self.init(holder: holder, issuer: issuer, serial: serial,
                  notBefore: try DERReader.unixTime(validity[0], "notBeforeTime"),
                  notAfter: try DERReader.unixTime(validity[1], "notAfterTime"))
    }

    /// The first `directoryName` ([4] EXPLICIT Name) among the `GeneralName`s in `node` (empty if none).
    static func directoryName(in node: ASN1Node, _ what: String) throws(CertificateDecodingError) -> String {
        guard case .constructed(let names) = node.content else {
            throw CertificateDecodingError("\(what): not a list of names")
        }
        guard let directory = names.first(where: { DERReader.isContext($0, 4) }) else { return "" }
        return try RFC4514Name.string(derEncoded: DERReader.explicit(directory, 4, "\(what) directoryName"))
    }
}
