import SwiftASN1
import X509

/// Distinguished names as RFC 4514 strings: the last RDN first, RDNs joined by `,`, the attributes of a
/// multi-valued RDN by `+` (also last first); the short names RFC 4514 section 3 lists (CN, L, ST, O, OU, C, STREET, DC, UID),
/// every other attribute type as its dotted OID with `#` and the hex of the value's DER (section 2.4).
/// Values are escaped as section 2.4 says (`"+,;<>\`, a leading `#` or space, a trailing space) and control
/// characters as `\XX`; other characters, UTF-8 included, stay as they are. For these attribute types this
/// is what `openssl x509 -nameopt RFC2253,-esc_msb` prints.
public enum RFC4514Name {
    /// The short names of RFC 4514 section 3, by dotted OID.
    static let shortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C",
        "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    ]

    /// Renders a parsed name (re-encoded as DER, which for a parsed name is the DER it was read from).
    public static func string(_ name: DistinguishedName) -> String {
        string(der: der(name), of: name)
    }

    /// The DER of a parsed name (empty if it cannot be encoded, which a name swift-certificates parsed can).
    static func der(_ name: DistinguishedName) -> [UInt8] {
        var serializer = DER.Serializer()
        do {
            try serializer.serialize(name)
            return serializer.serializedBytes
        } catch {
            return []
        }
    }

    /// Renders `der`, the encoding of `name` (see ``der(_:)``); swift-certificates' own rendering of `name` if
    /// it does not parse (not reachable for a name swift-certificates parsed).
    static func string(der: [UInt8], of name: DistinguishedName) -> String {
        (try? string(derEncoded: DERReader.parse(der, "name"))) ?? name.description
    }

    /// Renders a `Name` (`SEQUENCE OF SET OF AttributeTypeAndValue`).
    static func string(derEncoded node: ASN1Node) throws(CertificateDecodingError) -> String {
        var rdns: [String] = []
        for rdn in try DERReader.children(node, .sequence, "Name") {
            var attributes: [String] = []
            for attribute in try DERReader.children(rdn, .set, "RelativeDistinguishedName") {
                let fields = try DERReader.children(attribute, .sequence, "AttributeTypeAndValue")
                guard fields.count == 2 else {
                    throw CertificateDecodingError("AttributeTypeAndValue: \(fields.count) fields, expected 2")
                }
                let oid = try DERReader.objectIdentifier(fields[0], "AttributeType")
                attributes.append(render(type: oid, value: fields[1]))
            }
            // A SET has no order; within an RDN too the last comes first, as OpenSSL prints it.
            rdns.append(attributes.reversed().joined(separator: "+"))
        }
        return rdns.reversed().joined(separator: ",")
    }

    /// One `type=value`.
    static func render(type oid: String, value: ASN1Node) -> String {
        if let name = shortNames[oid], let text = text(of: value) {
            return name + "=" + escape(text)
        }
        return oid + "=#" + upperHex(value.encodedBytes)
    }

    /// The characters of a string-typed value, or `nil` for any other type (rendered as hex).
    static func text(of node: ASN1Node) -> String? {
        guard node.identifier.tagClass == .universal, case .primitive(let bytes) = node.content else { return nil }
        switch node.identifier {
        case .utf8String:
            return String(validating: bytes, as: UTF8.self)
        case .printableString, .ia5String, .visibleString, .numericString, .teletexString:
            // Teletex as Latin-1, as OpenSSL reads it; the others are ASCII subsets.
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case .bmpString:
            guard bytes.count % 2 == 0 else { return nil }
            let units = stride(from: bytes.startIndex, to: bytes.endIndex, by: 2).map {
                UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])
            }
            return String(validating: units, as: UTF16.self)
        case .universalString:
            guard bytes.count % 4 == 0 else { return nil }
            var scalars = String.UnicodeScalarView()
            for index in stride(from: bytes.startIndex, to: bytes.endIndex, by: 4) {
                let value = bytes[index ..< index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            }
            return String(scalars)
        default:
            return nil
        }
    }

    /// RFC 4514 section 2.4 escaping, control characters as `\XX`.
    static func escape(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = ""
        for (index, scalar) in scalars.enumerated() {
            let value = scalar.value
            if value < 0x20 || value == 0x7f {
                out += "\\" + upperHex([UInt8(value)])
            } else if "\"+,;<>\\".unicodeScalars.contains(scalar)
                || (index == 0 && (scalar == "#" || scalar == " "))
                || (index == scalars.count - 1 && scalar == " ")
            {
                out += "\\" + String(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func upperHex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
