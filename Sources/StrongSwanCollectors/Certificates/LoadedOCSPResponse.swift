import SwiftASN1

/// An OCSP response charon holds (`list-certs` type `OCSP_RESPONSE`: a response it fetched and cached), read
/// from its DER data (RFC 6960 section 4.2).
public struct LoadedOCSPResponse: Sendable, Hashable {
    /// The status of one certificate in the response (a `SingleResponse`).
    public struct CertificateStatus: Sendable, Hashable {
        /// The OID of the hash in the `CertID`.
        public var hashAlgorithm: String
        /// The `CertID`'s hash of the issuer's name.
        public var issuerNameHash: [UInt8]
        /// The certificate's serial number as colon-separated hex.
        public var serial: String
        /// `good`, `revoked` or `unknown`.
        public var status: String
        /// `thisUpdate` as a unix timestamp.
        public var thisUpdate: Double
        /// `nextUpdate` as a unix timestamp, if present.
        public var nextUpdate: Double?

        /// Creates a record.
        public init(hashAlgorithm: String, issuerNameHash: [UInt8], serial: String, status: String,
                    thisUpdate: Double, nextUpdate: Double?) {
            self.hashAlgorithm = hashAlgorithm
            self.issuerNameHash = issuerNameHash
            self.serial = serial
            self.status = status
            self.thisUpdate = thisUpdate
            self.nextUpdate = nextUpdate
        }
    }

    /// The responder: its name (see ``RFC4514Name``), or `keyid:` and the hex of its key hash.
    public var responder: String
    /// `producedAt` as a unix timestamp.
    public var producedAt: Double
    /// The certificates the response is about.
    public var statuses: [CertificateStatus]

    /// Creates a record.
    public init(responder: String, producedAt: Double, statuses: [CertificateStatus]) {
        self.responder = responder
        self.producedAt = producedAt
        self.statuses = statuses
    }

    static let basicResponseOID = "1.3.6.1.5.5.7.48.1.1"

    /// Reads an `OCSPResponse` holding a basic response; throws what is malformed.
    public init(der: [UInt8]) throws(CertificateDecodingError) {
        let response = try DERReader.children(DERReader.parse(der, "OCSPResponse"), .sequence, "OCSPResponse")
        guard response.count == 2, let bytesNode = response.last, DERReader.isContext(bytesNode, 0) else {
            // Only a successful response (responseStatus 0) carries responseBytes; charon caches no other.
            let status = response.first.flatMap { try? DERReader.primitive($0, .enumerated, "responseStatus") }
            throw CertificateDecodingError(
                "OCSPResponse: no responseBytes (responseStatus \(status.map { Array($0).description } ?? "missing"))")
        }
        let responseBytes = try DERReader.children(DERReader.explicit(bytesNode, 0, "responseBytes"), .sequence, "ResponseBytes")
        guard responseBytes.count == 2 else { throw CertificateDecodingError("ResponseBytes: \(responseBytes.count) fields") }
        let type = try DERReader.objectIdentifier(responseBytes[0], "responseType")
        guard type == Self.basicResponseOID else { throw CertificateDecodingError("responseType \(type) is not id-pkix-ocsp-basic") }
        let basic = try DERReader.children(
            DERReader.parse(Array(DERReader.primitive(responseBytes[1], .octetString, "response")), "BasicOCSPResponse"),
            .sequence, "BasicOCSPResponse")
        guard let dataNode = basic.first else { throw CertificateDecodingError("BasicOCSPResponse: empty") }
        var fields = try DERReader.children(dataNode, .sequence, "ResponseData")[...]
        if let version = fields.first, DERReader.isContext(version, 0) { fields = fields.dropFirst() }
        guard fields.count >= 3 else { throw CertificateDecodingError("ResponseData: \(fields.count) fields after the version") }
        let responderNode = fields.removeFirst()
        let responder: String
        if DERReader.isContext(responderNode, 1) {
            responder = try RFC4514Name.string(derEncoded: DERReader.explicit(responderNode, 1, "ResponderID byName"))
        } else if DERReader.isContext(responderNode, 2) {
            let hash = try DERReader.primitive(DERReader.explicit(responderNode, 2, "ResponderID byKey"), .octetString, "byKey")
            responder = "keyid:" + DERReader.colonHex(hash)
        } else {
            throw CertificateDecodingError("ResponderID: unexpected \(responderNode.identifier)")
        }
        let producedAt = try DERReader.unixTime(fields.removeFirst(), "producedAt")
        var statuses: [CertificateStatus] = []
        for single in try DERReader.children(fields.removeFirst(), .sequence, "responses") {
            statuses.append(try Self.status(single))
        }
        self.init(responder: responder, producedAt: producedAt, statuses: statuses)
    }

    private static func status(_ node: ASN1Node) throws(CertificateDecodingError) -> CertificateStatus {
        let fields = try DERReader.children(node, .sequence, "SingleResponse")
        guard fields.count >= 3 else { throw CertificateDecodingError("SingleResponse: \(fields.count) fields") }
        let certID = try DERReader.children(fields[0], .sequence, "CertID")
        guard certID.count == 4 else { throw CertificateDecodingError("CertID: \(certID.count) fields") }
        guard let algorithm = try DERReader.children(certID[0], .sequence, "hashAlgorithm").first else {
            throw CertificateDecodingError("hashAlgorithm: empty")
        }
        let status: String
        switch fields[1].identifier {
        case DERReader.context(0): status = "good"
        case DERReader.context(1): status = "revoked"
        case DERReader.context(2): status = "unknown"
        default: throw CertificateDecodingError("certStatus: unexpected \(fields[1].identifier)")
        }
        var nextUpdate: Double?
        if fields.count > 3, DERReader.isContext(fields[3], 0) {
            nextUpdate = try DERReader.unixTime(DERReader.explicit(fields[3], 0, "nextUpdate"), "nextUpdate")
        }
        return CertificateStatus(
            hashAlgorithm: try DERReader.objectIdentifier(algorithm, "hashAlgorithm"),
            issuerNameHash: Array(try DERReader.primitive(certID[1], .octetString, "issuerNameHash")),
            serial: DERReader.colonHex(try DERReader.unsignedInteger(certID[3], "serialNumber")),
            status: status,
            thisUpdate: try DERReader.unixTime(fields[2], "thisUpdate"),
            nextUpdate: nextUpdate)
    }
}
