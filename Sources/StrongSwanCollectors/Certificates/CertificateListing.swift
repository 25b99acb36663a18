import Crypto
import VICI

/// Everything `list-certs` returned, each entry decoded by its type: X.509 certificates, CRLs, OCSP
/// responses, attribute certificates and raw public keys. An entry of a type this exporter does not decode,
/// or whose data does not parse, is counted by type and described once in ``problems``; nothing is read as
/// something it is not.
public struct CertificateListing: Sendable {
    /// X.509 certificates.
    public var certificates: [LoadedCertificate] = []
    /// CRLs, all that charon listed (see ``crlsInEffect``).
    public var crls: [LoadedCRL] = []
    /// OCSP responses, all that charon listed (see ``ocspStatuses``).
    public var ocspResponses: [LoadedOCSPResponse] = []
    /// Attribute certificates.
    public var attributeCertificates: [LoadedAttributeCertificate] = []
    /// Raw public keys.
    public var publicKeys: [LoadedPublicKey] = []
    /// Entries by charon's type name, in the order the types were first seen.
    public private(set) var loaded: [(type: String, count: Int)] = []
    /// Entries whose data did not parse, by charon's type name (every type in ``loaded`` has a count here).
    public private(set) var undecodable: [String: Int] = [:]
    /// One message per type that is not decoded and per type with an entry that did not parse (its first
    /// error), keyed by `unknown:TYPE` / `undecodable:TYPE`, for the exporter to log once.
    public private(set) var problems: [String: String] = [:]

    /// The types this exporter decodes, as charon names them.
    public static let decodedTypes: Set<String> = ["X509", "X509_CRL", "OCSP_RESPONSE", "X509_AC", "PUBKEY"]
    /// Distinct type names kept as labels; others are counted as `other` (charon has seven).
    public static let maxTypes = 16

    /// Creates an empty listing.
    public init() {}

    /// Decodes one `list-cert` event.
    public mutating func add(_ message: VICIMessage) {
        let charonType = message.string("type") ?? ""
        let type = label(for: charonType)
        count(type)
        guard Self.decodedTypes.contains(charonType) else {
            if problems["unknown:\(type)"] == nil {
                problems["unknown:\(type)"] = "list-certs returned an entry of type \(type.isEmpty ? "(none)" : type), which this exporter does not decode; it is counted in strongswan_certificates_loaded only"
            }
            return
        }
        let hasPrivateKey = message.bool("has_privkey") ?? false
        do throws(CertificateDecodingError) {
            guard let der = message.bytes("data") else { throw CertificateDecodingError("no data") }
            switch charonType {
            case "X509":
                certificates.append(try LoadedCertificate(der: der, flag: message.string("flag") ?? "NONE",
                                                          hasPrivateKey: hasPrivateKey))
            case "X509_CRL":
                crls.append(try LoadedCRL(der: der))
            case "OCSP_RESPONSE":
                ocspResponses.append(try LoadedOCSPResponse(der: der))
            case "X509_AC":
                attributeCertificates.append(try LoadedAttributeCertificate(der: der))
            default:
                func time(_ key: String) throws(CertificateDecodingError) -> Double? {
                    guard let text = message.bytes(key) else { return nil }
                    return try DERReader.unixTime(generalizedTimeText: text, key)
                }
                publicKeys.append(try LoadedPublicKey(
                    der: der, subject: message.string("subject") ?? "", hasPrivateKey: hasPrivateKey,
                    notBefore: try time("not-before"), notAfter: try time("not-after")))
            }
        } catch {
            undecodable[type, default: 0] += 1
            if problems["undecodable:\(type)"] == nil {
                problems["undecodable:\(type)"] = "list-certs returned a \(type) entry that does not decode (\(error)); it is counted in strongswan_certificates_undecodable"
            }
        }
    }

    /// The label for charon's type name: itself, or `other` beyond ``maxTypes`` names or 64 characters.
    private func label(for charonType: String) -> String {
        if loaded.contains(where: { $0.type == charonType }) { return charonType }
        return loaded.count < Self.maxTypes - 1 && charonType.utf8.count <= 64 ? charonType : "other"
    }

    private mutating func count(_ type: String) {
        if let index = loaded.firstIndex(where: { $0.type == type }) {
            loaded[index].count += 1
        } else {
            loaded.append((type, 1))
            undecodable[type] = undecodable[type] ?? 0
        }
    }

    /// The CRL charon uses for each issuer and kind: the newest (see ``LoadedCRL/isNewer(than:)``), in the
    /// order the issuers were first listed.
    public var crlsInEffect: [LoadedCRL] {
        var chosen: [LoadedCRL] = []
        var index: [String: Int] = [:]
        for crl in crls {
            let key = crl.kind.rawValue + "\u{0}" + crl.issuer
            if let at = index[key] {
                if crl.isNewer(than: chosen[at]) { chosen[at] = crl }
            } else {
                index[key] = chosen.count
                chosen.append(crl)
            }
        }
        return chosen
    }

    /// One row per certificate an OCSP response is about, with its issuer resolved: the subject of the loaded
    /// certificate whose name hashes to the `CertID`'s issuer-name hash, else `sha1:` (or the hash's OID) and
    /// the hash in hex. The newest response (`producedAt`) per responder, issuer and serial.
    public var ocspStatuses: [(responder: String, issuer: String, producedAt: Double, status: LoadedOCSPResponse.CertificateStatus)] {
        var names: [String: [[UInt8]: String]] = [:]
        func issuer(_ status: LoadedOCSPResponse.CertificateStatus) -> String {
            if names[status.hashAlgorithm] == nil {
                var table: [[UInt8]: String] = [:]
                for certificate in certificates {
                    if let digest = Self.digest(status.hashAlgorithm, certificate.subjectDER), table[digest] == nil {
                        table[digest] = certificate.subject
                    }
                }
                names[status.hashAlgorithm] = table
            }
            if let name = names[status.hashAlgorithm]?[status.issuerNameHash] { return name }
            let prefix = status.hashAlgorithm == Self.sha1OID ? "sha1" : status.hashAlgorithm
            return prefix + ":" + DERReader.colonHex(status.issuerNameHash)
        }
        var rows: [(responder: String, issuer: String, producedAt: Double, status: LoadedOCSPResponse.CertificateStatus)] = []
        var index: [String: Int] = [:]
        for response in ocspResponses {
            for status in response.statuses {
                let row = (responder: response.responder, issuer: issuer(status), producedAt: response.producedAt, status: status)
                let key = [row.responder, row.issuer, status.serial].joined(separator: "\u{0}")
                if let at = index[key] {
                    if row.producedAt > rows[at].producedAt { rows[at] = row }
                } else {
                    index[key] = rows.count
                    rows.append(row)
                }
            }
        }
        return rows
    }

    static let sha1OID = "1.3.14.3.2.26"

    private static func digest(_ algorithm: String, _ bytes: [UInt8]) -> [UInt8]? {
        switch algorithm {
        case sha1OID: Array(Insecure.SHA1.hash(data: bytes))
        case "2.16.840.1.101.3.4.2.1": Array(SHA256.hash(data: bytes))
        case "2.16.840.1.101.3.4.2.2": Array(SHA384.hash(data: bytes))
        case "2.16.840.1.101.3.4.2.3": Array(SHA512.hash(data: bytes))
        default: nil
        }
    }
}
