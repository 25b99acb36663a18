import SwiftASN1

/// Total accessors over SwiftASN1's nodes for the structures `list-certs` carries that swift-certificates
/// does not parse (CRLs, OCSP responses, attribute certificates, public keys, names). Every mismatch is a
/// thrown ``CertificateDecodingError`` naming the field; nothing traps on charon's bytes.
enum DERReader {
    /// Parses one DER element (SwiftASN1 bounds the nesting depth) that must span all of `bytes`.
    static func parse(_ bytes: [UInt8], _ what: String) throws(CertificateDecodingError) -> ASN1Node {
        do {
            return try DER.parse(bytes)
        } catch {
            throw CertificateDecodingError("\(what): not DER (\(error))")
        }
    }

    /// The children of a constructed node whose tag is `identifier`.
    static func children(_ node: ASN1Node, _ identifier: ASN1Identifier = .sequence, _ what: String)
        throws(CertificateDecodingError) -> [ASN1Node]
    {
        guard node.identifier == identifier, case .constructed(let nodes) = node.content else {
            throw CertificateDecodingError("\(what): expected a constructed \(identifier), found \(node.identifier)")
        }
        return Array(nodes)
    }

    /// The content bytes of a primitive node whose tag is `identifier`.
    static func primitive(_ node: ASN1Node, _ identifier: ASN1Identifier, _ what: String)
        throws(CertificateDecodingError) -> ArraySlice<UInt8>
    {
        guard node.identifier == identifier, case .primitive(let bytes) = node.content else {
            throw CertificateDecodingError("\(what): expected a primitive \(identifier), found \(node.identifier)")
        }
        return bytes
    }

    /// A context-specific tag number.
    static func context(_ number: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific)
    }

    /// Whether `node` carries context-specific tag `number`.
    static func isContext(_ node: ASN1Node, _ number: UInt) -> Bool {
        node.identifier == context(number)
    }

    /// The one element inside an EXPLICIT context tag.
    static func explicit(_ node: ASN1Node, _ number: UInt, _ what: String) throws(CertificateDecodingError) -> ASN1Node {
        let inner = try children(node, context(number), what)
        guard inner.count == 1, let only = inner.first else {
            throw CertificateDecodingError("\(what): [\(number)] holds \(inner.count) elements, expected 1")
        }
        return only
    }

    /// An INTEGER's magnitude as big-endian bytes without leading zeros (empty for 0). Negative integers
    /// are malformed here (serials and CRL numbers are non-negative); at most `maxBytes` significant bytes.
    static func unsignedInteger(_ node: ASN1Node, _ what: String, maxBytes: Int = 64) throws(CertificateDecodingError) -> [UInt8] {
        let bytes = try primitive(node, .integer, what)
        guard let first = bytes.first else { throw CertificateDecodingError("\(what): an INTEGER without content") }
        guard first & 0x80 == 0 else { throw CertificateDecodingError("\(what): negative") }
        let significant = Array(bytes.drop { $0 == 0 })
        guard significant.count <= maxBytes else {
            throw CertificateDecodingError("\(what): \(significant.count) bytes, more than \(maxBytes)")
        }
        return significant
    }

    /// The dotted form of an OBJECT IDENTIFIER.
    static func objectIdentifier(_ node: ASN1Node, _ what: String) throws(CertificateDecodingError) -> String {
        do {
            return try ASN1ObjectIdentifier(derEncoded: node).description
        } catch {
            throw CertificateDecodingError("\(what): not an OBJECT IDENTIFIER (\(error))")
        }
    }

    /// A UTCTime or GeneralizedTime as unix time.
    static func unixTime(_ node: ASN1Node, _ what: String) throws(CertificateDecodingError) -> Double {
        do {
            if node.identifier == .utcTime {
                let time = try UTCTime(derEncoded: node)
                return civilToUnix(time.year, time.month, time.day, time.hours, time.minutes, Double(time.seconds))
            }
            if node.identifier == .generalizedTime {
                let time = try GeneralizedTime(derEncoded: node)
                return civilToUnix(time.year, time.month, time.day, time.hours, time.minutes,
                                   Double(time.seconds) + time.fractionalSeconds)
            }
        } catch {
            throw CertificateDecodingError("\(what): not a valid time (\(error))")
        }
        throw CertificateDecodingError("\(what): expected UTCTime or GeneralizedTime, found \(node.identifier)")
    }

    /// A GeneralizedTime given as its content only (`YYYYMMDDHHMMSSZ`, as charon sends `not-before` and
    /// `not-after` of raw public keys), as unix time.
    static func unixTime(generalizedTimeText bytes: [UInt8], _ what: String) throws(CertificateDecodingError) -> Double {
        guard bytes.count < 128 else { throw CertificateDecodingError("\(what): \(bytes.count) bytes is no time") }
        return try unixTime(parse([0x18, UInt8(bytes.count)] + bytes, what), what)
    }

    /// Seconds since 1970 of a proleptic Gregorian UTC date (Howard Hinnant's days-from-civil).
    static func civilToUnix(_ year: Int, _ month: Int, _ day: Int, _ hours: Int, _ minutes: Int,
                            _ seconds: Double) -> Double {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(days * 86_400 + hours * 3_600 + minutes * 60) + seconds
    }

    /// Extensions (`SEQUENCE OF Extension`) as (dotted OID, extnValue contents).
    static func extensions(_ node: ASN1Node, _ what: String) throws(CertificateDecodingError) -> [(oid: String, value: ArraySlice<UInt8>)] {
        var result: [(oid: String, value: ArraySlice<UInt8>)] = []
        for element in try children(node, .sequence, what) {
            let fields = try children(element, .sequence, "\(what) extension")
            guard let oidNode = fields.first, let valueNode = fields.last, fields.count >= 2 else {
                throw CertificateDecodingError("\(what): an extension of \(fields.count) fields")
            }
            result.append((try objectIdentifier(oidNode, "\(what) extnID"),
                           try primitive(valueNode, .octetString, "\(what) extnValue")))
        }
        return result
    }

    /// The decimal digits of a non-negative big-endian integer (quadratic in its length, which callers
    /// bound).
    static func decimal(_ bigEndian: [UInt8]) -> String {
        var remaining = Array(bigEndian.drop { $0 == 0 })
        if remaining.isEmpty { return "0" }
        var digits: [UInt8] = []
        while !remaining.isEmpty {
            var carry = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(remaining.count)
            for byte in remaining {
                let current = carry * 256 + Int(byte)
                let digit = current / 10
                carry = current % 10
                if !(quotient.isEmpty && digit == 0) { quotient.append(UInt8(digit)) }
            }
            digits.append(UInt8(carry) + UInt8(ascii: "0"))
            remaining = quotient
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Orders two non-negative big-endian magnitudes (without leading zeros).
    static func isLess(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.count != rhs.count ? lhs.count < rhs.count : lhs.lexicographicallyPrecedes(rhs)
    }

    /// Colon-separated, zero-padded lowercase hex (`01:0a:ff`), as `openssl x509 -serial` groups it.
    static func colonHex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            if !out.isEmpty { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
