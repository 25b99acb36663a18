import Foundation
import TestRequirements
import XCTest

/// What gw of the lab has loaded besides tunnels, read from the files in its swanctl directory
/// (`LAB_GW_SWANCTL_DIR`) with openssl and strongSwan's `pki`, never with the exporter's decoder: the expected
/// series of the PKI families (issue 16). See lab/README.md, "PKI objects on gw".
struct LabPKI {
    struct Certificate: Equatable {
        var file: String
        var subject: String
        var issuer: String
        var serial: String
        var flag: String
        var hasPrivateKey: Bool
        var notBefore: Double
        var notAfter: Double
        var identity: [String: String] { ["subject": subject, "issuer": issuer, "serial": serial] }
    }

    struct CRL: Equatable {
        var file: String
        var issuer: String
        var kind: String
        var number: String
        var baseNumber: String
        var thisUpdate: Double
        var nextUpdate: Double?
        var revoked: Int
        var identity: [String: String] { ["issuer": issuer, "kind": kind] }
    }

    struct AttributeCertificate: Equatable {
        var file: String
        var holder: String
        var issuer: String
        var serial: String
        var notBefore: Double
        var notAfter: Double
        var identity: [String: String] { ["holder": holder, "issuer": issuer, "serial": serial] }
    }

    struct PublicKey: Equatable {
        var file: String
        var keyID: String
        var keyType: String
        var identity: [String: String] { ["subject": "", "key_id": keyID] }
    }

    /// One SingleResponse of an OCSP response charon holds.
    struct OCSPResponse: Equatable {
        var responder: String
        var issuer: String
        var serial: String
        var status: String
        var producedAt: Double
        var thisUpdate: Double
        var nextUpdate: Double?
        var identity: [String: String] { ["responder": responder, "issuer": issuer, "serial": serial] }
    }

    struct Authority: Equatable {
        var name: String
        var caSubject: String
        var crlURIs: [String]
        var ocspURIs: [String]
        var certURIBase: String?
    }

    let directory: String
    var certificates: [Certificate] = []
    var crls: [CRL] = []
    var attributeCertificates: [AttributeCertificate] = []
    var publicKeys: [PublicKey] = []
    var authorities: [Authority] = []

    static let openssl = "/usr/bin/openssl"
    static let pki = "/usr/bin/pki"

    /// Reads everything gw loads from `LAB_GW_SWANCTL_DIR`. Skips (fails under CI) without the lab, openssl or pki.
    static func read(file: StaticString = #filePath, line: UInt = #line) throws -> LabPKI {
        guard let directory = ProcessInfo.processInfo.environment["LAB_GW_SWANCTL_DIR"] else {
            throw CIRequirement.missing("LAB_GW_SWANCTL_DIR (a lab started by this branch's lab/lab.sh up)", file: file, line: line)
        }
        try CIRequirement.requireExecutable(openssl, from: "Debian package openssl", file: file, line: line)
        try CIRequirement.requireExecutable(pki, from: "Debian package strongswan-pki", file: file, line: line)
        var result = LabPKI(directory: directory)
        for (subdirectory, flag) in [("x509", "NONE"), ("x509ca", "CA"), ("x509aa", "AA")] {
            for path in try files(in: subdirectory, of: directory) {
                result.certificates.append(try certificate(path, flag: flag, privateKeys: try files(in: "private", of: directory)))
            }
        }
        result.crls = try files(in: "x509crl", of: directory).map(crl)
        result.attributeCertificates = try files(in: "x509ac", of: directory).map { try attributeCertificate($0, loaded: result.certificates) }
        result.publicKeys = try files(in: "pubkey", of: directory).map(publicKey)
        result.authorities = try authorities(of: directory, loaded: result.certificates)
        return result
    }

    static func files(in subdirectory: String, of directory: String) throws -> [String] {
        let path = directory + "/" + subdirectory
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
    }

    /// stdout of a tool run with TZ=UTC (pki prints local time), as UTF-8 lines; throws unless it exits 0.
    static func lines(_ arguments: [String]) throws -> [String] {
        let (status, output, errors) = try LabEnvironment.run("/usr/bin/env", ["TZ=UTC"] + arguments)
        guard status == 0 else { throw LabError("\(arguments.joined(separator: " ")) exited \(status): \(errors)") }
        // Split at newlines only: an RFC 4514 name may end in an escaped space.
        return String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// openssl's `key=value` lines.
    static func fields(_ lines: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for line in lines {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }

    static func field(_ fields: [String: String], _ name: String, of path: String) throws -> String {
        guard let value = fields[name] else { throw LabError("openssl printed no \(name) for \(path): \(fields)") }
        return value
    }

    static let nameOptions = ["-nameopt", "RFC2253,-esc_msb", "-dateopt", "iso_8601"]

    static func certificate(_ path: String, flag: String, privateKeys: [String]) throws -> Certificate {
        let f = fields(try lines([openssl, "x509", "-in", path, "-noout", "-subject", "-issuer", "-serial", "-startdate",
                                  "-enddate"] + nameOptions))
        let publicKey = try lines([openssl, "x509", "-in", path, "-noout", "-pubkey"])
        var hasPrivateKey = false
        for key in privateKeys where try lines([openssl, "pkey", "-in", key, "-pubout"]) == publicKey { hasPrivateKey = true }
        return Certificate(
            file: path, subject: try field(f, "subject", of: path), issuer: try field(f, "issuer", of: path),
            serial: try colonHex(try field(f, "serial", of: path)), flag: flag, hasPrivateKey: hasPrivateKey,
            notBefore: try isoTime(try field(f, "notBefore", of: path)), notAfter: try isoTime(try field(f, "notAfter", of: path)))
    }

    static func crl(_ path: String) throws -> CRL {
        let f = fields(try lines([openssl, "crl", "-inform", "DER", "-in", path, "-noout", "-issuer", "-crlnumber",
                                  "-lastupdate", "-nextupdate"] + nameOptions))
        let text = try lines([openssl, "crl", "-inform", "DER", "-in", path, "-noout", "-text"]).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var base = ""
        if let indicator = text.firstIndex(where: { $0.hasPrefix("X509v3 Delta CRL Indicator") }), indicator + 1 < text.count {
            base = text[indicator + 1]  // decimal when it fits a long, else hex with colons
            if base.contains(":") { base = try decimal(fromHex: base) }
        }
        var revoked = 0
        if let start = text.firstIndex(of: "Revoked Certificates:") {
            revoked = text[start...].filter { $0.hasPrefix("Serial Number:") }.count
        } else if !text.contains("No Revoked Certificates.") {
            throw LabError("openssl crl -text of \(path) lists neither revoked certificates nor none")
        }
        let number = try field(f, "crlNumber", of: path)
        let next = try field(f, "nextUpdate", of: path)
        return CRL(
            file: path, issuer: try field(f, "issuer", of: path), kind: base.isEmpty ? "base" : "delta",
            number: number == "<NONE>" ? "" : try decimal(fromHex: String(number.dropFirst(number.hasPrefix("0x") ? 2 : 0))),
            baseNumber: base, thisUpdate: try isoTime(try field(f, "lastUpdate", of: path)),
            nextUpdate: next == "NONE" ? nil : try isoTime(next), revoked: revoked)
    }

    /// `pki --print` of a certificate or an attribute certificate: its `name: value` lines, names unquoted; the
    /// lines that continue a field (validity's "not after") appended to it.
    static func pkiPrint(_ path: String, type: String) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        var key = ""
        for line in try lines([pki, "--print", "--type", type, "--in", path]) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("  "), !line.hasPrefix("   "), let colon = trimmed.firstIndex(of: ":") {
                key = String(trimmed[..<colon])
                var value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                result[key] = [value]
            } else if !key.isEmpty, !trimmed.isEmpty {
                result[key, default: []].append(trimmed)
            }
        }
        return result
    }

    /// The AC's holder and issuer as pki prints them (strongSwan's form) are the subjects of loaded certificates
    /// (the holder's serial is also the AC's holder serial); the expected labels are those certificates' subjects
    /// as openssl writes them.
    static func attributeCertificate(_ path: String, loaded: [Certificate]) throws -> AttributeCertificate {
        let ac = try pkiPrint(path, type: "ac")
        func one(_ key: String) throws -> String {
            guard let value = ac[key]?.first else { throw LabError("pki --print of \(path) has no \(key): \(ac)") }
            return value
        }
        func loadedCertificate(_ name: String, serial: String?) throws -> Certificate {
            let matches = try loaded.filter {
                try pkiPrint($0.file, type: "x509")["subject"]?.first == name && (serial == nil || $0.serial == serial)
            }
            guard matches.count == 1, let match = matches.first else {
                throw LabError("\(matches.count) loaded certificates have the subject \(name) (serial \(serial ?? "any"))")
            }
            return match
        }
        let holder = try loadedCertificate(try one("subject"), serial: try colonHex(try one("hserial")))
        let issuer = try loadedCertificate(try one("issuer"), serial: nil)
        guard let validity = ac["validity"], validity.count >= 2 else { throw LabError("pki --print of \(path): no validity") }
        return AttributeCertificate(
            file: path, holder: holder.subject, issuer: issuer.subject, serial: try colonHex(try one("serial")),
            notBefore: try pkiTime(validity[0]), notAfter: try pkiTime(validity[1]))
    }

    /// The SingleResponses of OCSP responses (DER, as charon lists them) as `openssl ocsp -resp_text` reads them;
    /// the newest producedAt of each {responder, issuer, serial}. The responder (byName, which openssl prints in its
    /// oneline form) and the CertID's issuer (whose name hash `openssl ocsp -issuer` computes for each candidate)
    /// are named by the loaded certificates with that subject, as openssl writes them; a byKey responder as
    /// keyid: + colon hex; an issuer no loaded certificate has as sha1: + the hash.
    static func ocspResponses(_ responses: [Data], loaded: [Certificate]) throws -> [OCSPResponse] {
        var oneline: [String: String] = [:], nameHashes: [String: String] = [:]
        for certificate in loaded {
            let subject = fields(try lines([openssl, "x509", "-in", certificate.file, "-noout", "-subject", "-nameopt", "oneline"]))
            if let name = subject["subject"] { oneline[name.trimmingCharacters(in: .whitespaces)] = certificate.subject }
            for line in try lines([openssl, "ocsp", "-issuer", certificate.file, "-serial", "0x01", "-req_text"]) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("Issuer Name Hash:") { nameHashes[value(trimmed).lowercased()] = certificate.subject }
            }
        }
        var newest: [[String: String]: OCSPResponse] = [:]
        for der in responses {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ocsp-\(UUID().uuidString).der").path
            guard FileManager.default.createFile(atPath: path, contents: der) else { throw LabError("cannot write \(path)") }
            defer { try? FileManager.default.removeItem(atPath: path) }
            let text = try lines([openssl, "ocsp", "-respin", path, "-resp_text", "-noverify"]).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let responderLine = text.first(where: { $0.hasPrefix("Responder Id:") }),
                  let producedLine = text.first(where: { $0.hasPrefix("Produced At:") }) else {
                throw LabError("openssl ocsp -resp_text printed no responder or producedAt: \(text)")
            }
            let responderText = value(responderLine)
            let responder: String
            if let name = oneline[responderText] {
                responder = name
            } else if responderText.allSatisfy(\.isHexDigit) {
                responder = "keyid:" + (try colonHex(responderText))
            } else {
                throw LabError("the OCSP responder \(responderText) is not the subject of a loaded certificate")
            }
            let produced = try opensslTime(value(producedLine))
            var singles: [OCSPResponse] = []
            for line in text.prefix(while: { $0 != "Response Extensions:" }) {
                if line == "Certificate ID:" {
                    singles.append(OCSPResponse(responder: responder, issuer: "", serial: "", status: "", producedAt: produced,
                                                thisUpdate: 0, nextUpdate: nil))
                } else if !singles.isEmpty {
                    let last = singles.count - 1
                    if line.hasPrefix("Issuer Name Hash:") {
                        let hash = value(line).lowercased()
                        singles[last].issuer = nameHashes[hash] ?? "sha1:" + hash
                    } else if line.hasPrefix("Serial Number:") {
                        singles[last].serial = try colonHex(value(line))
                    } else if line.hasPrefix("Cert Status:") {
                        singles[last].status = value(line)
                    } else if line.hasPrefix("This Update:") {
                        singles[last].thisUpdate = try opensslTime(value(line))
                    } else if line.hasPrefix("Next Update:") {
                        singles[last].nextUpdate = try opensslTime(value(line))
                    }
                }
            }
            for single in singles where (newest[single.identity]?.producedAt ?? -.infinity) < single.producedAt {
                newest[single.identity] = single
            }
        }
        return Array(newest.values)
    }

    /// The text after the first ": " of an openssl text line.
    static func value(_ line: String) -> String {
        guard let colon = line.firstIndex(of: ":") else { return "" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    /// openssl's text dates: "Dec  7 00:46:32 2026 GMT".
    static func opensslTime(_ text: String) throws -> Double {
        let words = text.split(separator: " ").map(String.init)
        guard words.count == 5, words[4] == "GMT", let month = months.firstIndex(of: words[0]), let day = Int(words[1]),
              let year = Int(words[3]) else { throw LabError("not an openssl time: \(text)") }
        let time = words[2].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { throw LabError("not an openssl time: \(text)") }
        return try utc(year, month + 1, day, time[0], time[1], time[2])
    }

    static let keyTypes = ["rsaEncryption": "RSA", "id-ecPublicKey": "ECDSA", "ED25519": "ED25519", "ED448": "ED448"]

    static func publicKey(_ path: String) throws -> PublicKey {
        let keyid = try lines([pki, "--keyid", "--type", "pub", "--in", path])
        guard let label = keyid.firstIndex(where: { $0.hasPrefix("subjkey") }), label + 1 < keyid.count else {
            throw LabError("pki --keyid printed no subjkey for \(path): \(keyid)")
        }
        let algorithm = try lines([openssl, "asn1parse", "-in", path]).first { $0.contains("OBJECT") }
            .flatMap { $0.split(separator: ":").last.map(String.init) }
        guard let algorithm else { throw LabError("openssl asn1parse found no algorithm in \(path)") }
        return PublicKey(file: path, keyID: keyid[label + 1].trimmingCharacters(in: .whitespaces),
                         keyType: keyTypes[algorithm] ?? algorithm)
    }

    /// The `authorities` section of gw's swanctl.conf (as lab/gen_config.py writes it: one `key = value` a line,
    /// lists comma-separated); the CA subject from the cacert file in x509ca/.
    static func authorities(of directory: String, loaded: [Certificate]) throws -> [Authority] {
        let conf = try String(contentsOfFile: directory + "/swanctl.conf", encoding: .utf8)
        var result: [Authority] = []
        var depth = 0, inAuthorities = false
        var current: (name: String, settings: [String: String])?
        for raw in conf.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if raw.hasSuffix("{") {
                let name = raw.dropLast().trimmingCharacters(in: .whitespaces)
                depth += 1
                if depth == 1 { inAuthorities = name == "authorities" }
                if inAuthorities, depth == 2 { current = (name, [:]) }
            } else if raw == "}" {
                if inAuthorities, depth == 2, let authority = current {
                    let s = authority.settings
                    let list = { (key: String) in
                        (s[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    }
                    let cacert = directory + "/x509ca/" + (s["cacert"] ?? "")
                    guard let ca = loaded.first(where: { $0.file == cacert }) else {
                        throw LabError("authority \(authority.name): cacert \(cacert) is not loaded from x509ca/")
                    }
                    result.append(Authority(name: authority.name, caSubject: ca.subject, crlURIs: list("crl_uris"),
                                            ocspURIs: list("ocsp_uris"), certURIBase: s["cert_uri_base"]))
                    current = nil
                }
                depth -= 1
            } else if inAuthorities, depth == 2, let equals = raw.firstIndex(of: "=") {
                current?.settings[raw[..<equals].trimmingCharacters(in: .whitespaces)] =
                    raw[raw.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return result
    }

    /// An INTEGER's value as the exporter writes serials: lowercase hex, two digits a byte, colons, no sign byte.
    static func colonHex(_ text: String) throws -> String {
        var digits = text.lowercased().replacingOccurrences(of: ":", with: "")
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { throw LabError("not a hex serial: \(text)") }
        if digits.count % 2 == 1 { digits = "0" + digits }
        while digits.count > 2, digits.hasPrefix("00") { digits.removeFirst(2) }
        var pairs: [String] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            pairs.append(String(digits[index..<next]))
            index = next
        }
        return pairs.joined(separator: ":")
    }

    /// A hex number (any length, colons allowed) in decimal.
    static func decimal(fromHex text: String) throws -> String {
        var digits = try text.replacingOccurrences(of: ":", with: "").map { character -> Int in
            guard let value = character.hexDigitValue else { throw LabError("not hex: \(text)") }
            return value
        }
        guard !digits.isEmpty else { throw LabError("empty hex number") }
        var decimal: [Int] = []
        while digits.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in digits.indices {
                let value = remainder * 16 + digits[index]
                digits[index] = value / 10
                remainder = value % 10
            }
            decimal.append(remainder)
        }
        return decimal.isEmpty ? "0" : decimal.reversed().map(String.init).joined()
    }

    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) throws -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
        else { throw LabError("no such date \(year)-\(month)-\(day)") }
        return date.timeIntervalSince1970
    }

    /// openssl's `-dateopt iso_8601`: "2026-12-07 00:33:12Z".
    static func isoTime(_ text: String) throws -> Double {
        let parts = text.split(whereSeparator: { "-: Z".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6, text.hasSuffix("Z") else { throw LabError("not an openssl ISO 8601 time: \(text)") }
        return try utc(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// pki's validity lines under TZ=UTC: "not before Dec 07 00:33:12 2026, ok", "not after  Dec 07 …".
    static func pkiTime(_ line: String) throws -> Double {
        let words = (line.split(separator: ",").first ?? "").split(separator: " ").map(String.init)
        guard words.count >= 4, let month = months.firstIndex(of: words[words.count - 4]),
              let day = Int(words[words.count - 3]), let year = Int(words[words.count - 1]) else {
            throw LabError("not a pki validity line: \(line)")
        }
        let time = words[words.count - 2].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { throw LabError("not a pki validity line: \(line)") }
        return try utc(year, month + 1, day, time[0], time[1], time[2])
    }
}
