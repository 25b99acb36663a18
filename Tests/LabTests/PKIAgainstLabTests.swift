import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import TestRequirements
import XCTest

/// Issue 16 (PKI health) against gw of the real lab: every object gw loads from its swanctl directory — X.509
/// certificates (an expired one, one whose subject has DC, UID, an escaped OU, UTF-8 and an attribute of an OID
/// openssl does not know), two CAs, an AA, the root CA's base and delta CRLs, the second CA's stale CRL, an
/// attribute certificate, raw public keys — the OCSP response it fetched (`lab.sh ocsp`) and its authority section
/// appear exactly once, with the values openssl and strongSwan's `pki` read from the same files (``LabPKI``) and from
/// the same response, on `/metrics` and in `dump`; and
/// `strongswan_exporter_duplicate_series_dropped` is 0 in both.
final class PKIAgainstLabTests: XCTestCase {
    func testDumpStatesWhatOpenSSLReadsFromTheLoadedFiles() throws {
        let lab = try LabEnvironment.require()
        let pki = try LabPKI.read()
        let listCerts = try listCertsWithAnOCSPResponse(lab)
        check(try ExpositionParser().parse(try lab.dump()), pki, listCerts: listCerts, source: "dump")
    }

    func testMetricsStateWhatOpenSSLReadsFromTheLoadedFiles() throws {
        let lab = try LabEnvironment.require()
        let pki = try LabPKI.read()
        _ = try listCertsWithAnOCSPResponse(lab)
        let exporter = try ExporterProcess(lab: lab, arguments: [])
        defer { _ = exporter.stop() }
        // The configuration queries (list-certs, list-authorities) belong to the first poll; wait for their families
        // (without them the comparison below says what is missing).
        var scrape = try exporter.scrape()
        do {
            try exporter.waitFor("the PKI families", timeout: 60) {
                scrape = try exporter.scrape()
                return scrape.family(named: "strongswan_crl_info") != nil && scrape.family(named: "strongswan_authority_info") != nil
            }
        } catch {
            XCTFail("\(error)")
            scrape = try exporter.scrape()
        }
        let listCerts = try lab.pythonVICI("list-certs") as? [[String: Any]] ?? []
        check(scrape, pki, listCerts: listCerts, source: "/metrics")
    }

    /// The lab's objects are what its README says, so that the comparisons below cover each kind.
    func testLabLoadsEachKindOfObject() throws {
        _ = try LabEnvironment.require()
        let pki = try LabPKI.read()
        XCTAssertEqual(Set(pki.crls.map { "\($0.issuer) \($0.kind)" }), [
            "CN=strongswan-lab Root CA,O=strongswan-lab,C=CH base", "CN=strongswan-lab Root CA,O=strongswan-lab,C=CH delta",
            "CN=strongswan-lab Second CA,O=strongswan-lab,C=CH base",
        ])
        let now = Date().timeIntervalSince1970
        XCTAssertEqual(pki.crls.filter { ($0.nextUpdate ?? .infinity) < now }.map(\.issuer),
                       ["CN=strongswan-lab Second CA,O=strongswan-lab,C=CH"], "exactly one stale CRL")
        XCTAssertTrue(pki.crls.contains { $0.kind == "delta" && !$0.baseNumber.isEmpty && $0.revoked >= 2 })
        XCTAssertTrue(pki.certificates.contains { $0.notAfter < now && $0.subject.hasPrefix("CN=expired.lab.test,") })
        XCTAssertEqual(
            pki.certificates.first { $0.file.hasSuffix("/uid-dc.pem") }?.subject,
            #"CN=uid-dc.lab.test,1.3.6.1.4.1.99999.1=#0C086C61622061747472,UID=jdoe,L=Zürich,OU=Ops\, Lab \+ \"Test\",O=strongswan-lab,DC=lab,DC=test"#)
        XCTAssertEqual(pki.certificates.filter { $0.flag == "CA" }.count, 2)
        XCTAssertEqual(pki.certificates.filter { $0.flag == "AA" }.count, 1)
        XCTAssertEqual(pki.attributeCertificates.count, 1)
        XCTAssertEqual(Set(pki.publicKeys.map(\.keyType)), ["ED25519", "ECDSA"])
        XCTAssertEqual(pki.authorities.map(\.name), ["second-ca"])
        XCTAssertEqual(pki.authorities.first?.crlURIs.count, 2)
        XCTAssertEqual(pki.authorities.first?.ocspURIs.count, 1)
        XCTAssertNotNil(pki.authorities.first?.certURIBase)
    }

    /// gw's list-certs (strongSwan's Python client) once gw holds an OCSP response: `lab.sh up` makes it fetch one
    /// (`lab.sh ocsp`), a restart of gw (other tests) empties its cache, then this runs `lab.sh ocsp` again.
    func listCertsWithAnOCSPResponse(_ lab: LabEnvironment) throws -> [[String: Any]] {
        var listCerts = try lab.pythonVICI("list-certs") as? [[String: Any]] ?? []
        if !listCerts.contains(where: { $0["type"] as? String == "OCSP_RESPONSE" }) {
            let (status, output, errors) = try LabEnvironment.run(lab.script, ["ocsp"])
            XCTAssertEqual(status, 0, "lab.sh ocsp: \(String(decoding: output, as: UTF8.self)) \(errors)")
            listCerts = try lab.pythonVICI("list-certs") as? [[String: Any]] ?? []
        }
        return listCerts
    }

    /// The DER of each entry of `type` in list-certs as vici_dump.py prints it ({"$hex": …} for binary values).
    func data(_ listCerts: [[String: Any]], type: String) -> [Data] {
        listCerts.filter { $0["type"] as? String == type }.compactMap { entry in
            guard let hex = (entry["data"] as? [String: Any])?["$hex"] as? String else { return nil }
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex),
                  let byte = UInt8(hex[index..<next], radix: 16) {
                bytes.append(byte)
                index = next
            }
            return bytes.count * 2 == hex.count ? Data(bytes) : nil
        }
    }

    // MARK: - The comparison

    /// Asserts that `exposition` holds `family` exactly as `expected` says (every series, every value).
    func assertFamily(_ exposition: ParsedExposition, _ family: String, _ expected: [([String: String], Double)],
                      source: String, file: StaticString = #filePath, line: UInt = #line) {
        var want: [SeriesKey: Double] = [:]
        for (labels, value) in expected {
            XCTAssertNil(want.updateValue(value, forKey: SeriesKey(name: family, labels)),
                         "\(source): two loaded objects have the identity \(labels) in \(family)", file: file, line: line)
        }
        var have: [SeriesKey: Double] = [:]
        for sample in exposition.samples(named: family) { have[SeriesKey(name: sample.name, labels: sample.labels)] = sample.value }
        let wrong = want.filter { have[$0.key] != $0.value }.map { "\($0.key) is \(have[$0.key].map { "\($0)" } ?? "missing"), the file says \($0.value)" }
        let extra = have.keys.filter { want[$0] == nil }.map { "\($0) \(have[$0] ?? 0) was not loaded" }
        XCTAssertTrue(wrong.isEmpty && extra.isEmpty, "\(source), \(family):\n" + (wrong + extra).sorted().joined(separator: "\n"),
                      file: file, line: line)
    }

    /// The series of `family` whose labels include `identity`.
    func series(_ exposition: ParsedExposition, _ family: String, _ identity: [String: String]) -> [Sample] {
        exposition.samples(named: family).filter { sample in identity.allSatisfy { sample.label($0.key) ?? "" == $0.value } }
    }

    func check(_ exposition: ParsedExposition, _ pki: LabPKI, listCerts: [[String: Any]], source: String) {
        XCTAssertEqual(exposition.value("strongswan_up"), 1, source)
        XCTAssertEqual(exposition.value("strongswan_exporter_duplicate_series_dropped"), 0, "\(source): no series dropped")

        // Every entry of list-certs counted by its type (as strongSwan's Python client reads them), none undecodable.
        var byType: [String: Int] = [:]
        for entry in listCerts { byType[entry["type"] as? String ?? "?", default: 0] += 1 }
        XCTAssertEqual(Set(byType.keys), ["X509", "X509_CRL", "X509_AC", "PUBKEY", "OCSP_RESPONSE"], "\(source): what gw lists")
        assertFamily(exposition, "strongswan_certificates_loaded", byType.map { (["type": $0.key], Double($0.value)) }, source: source)
        assertFamily(exposition, "strongswan_certificates_undecodable", byType.keys.map { (["type": $0], 0) }, source: source)

        // X.509: the loaded files, each exactly once, with its flag, key and validity; gw also lists the
        // certificates it received (road warriors, and fail-expired after `provoke cert-expired`): one series each.
        XCTAssertEqual(exposition.samples(named: "strongswan_certificate_info").count, byType["X509"] ?? 0,
                       "\(source): one certificate_info series per X.509 certificate charon lists")
        for certificate in pki.certificates {
            let info = series(exposition, "strongswan_certificate_info", certificate.identity)
            XCTAssertEqual(info.count, 1, "\(source): \(certificate.file) as \(certificate.identity): \(info)")
            XCTAssertEqual(info.first?.label("flag"), certificate.flag, "\(source): \(certificate.file)")
            XCTAssertEqual(info.first?.label("has_private_key"), certificate.hasPrivateKey ? "yes" : "no", "\(source): \(certificate.file)")
            XCTAssertEqual(info.first?.labels.map(\.name).sorted(), ["flag", "has_private_key", "issuer", "serial", "subject"],
                           "\(source): no type label")
            for (family, value) in [("strongswan_certificate_not_before_timestamp_seconds", certificate.notBefore),
                                    ("strongswan_certificate_not_after_timestamp_seconds", certificate.notAfter)] {
                let samples = series(exposition, family, certificate.identity)
                XCTAssertEqual(samples.map(\.value), [value], "\(source): \(family) of \(certificate.file)")
            }
        }
        for family in ["strongswan_certificate_not_before_timestamp_seconds", "strongswan_certificate_not_after_timestamp_seconds"] {
            XCTAssertEqual(exposition.samples(named: family).count, byType["X509"] ?? 0, "\(source): \(family)")
        }

        // CRLs: all of them (charon holds one per issuer and kind here).
        assertFamily(exposition, "strongswan_crl_info", pki.crls.map {
            ($0.identity.merging(["crl_number": $0.number, "base_crl_number": $0.baseNumber]) { a, _ in a }, 1)
        }, source: source)
        assertFamily(exposition, "strongswan_crl_this_update_timestamp_seconds", pki.crls.map { ($0.identity, $0.thisUpdate) }, source: source)
        assertFamily(exposition, "strongswan_crl_next_update_timestamp_seconds",
                     pki.crls.compactMap { crl in crl.nextUpdate.map { (crl.identity, $0) } }, source: source)
        assertFamily(exposition, "strongswan_crl_revoked_certificates", pki.crls.map { ($0.identity, Double($0.revoked)) }, source: source)

        // OCSP responses charon fetched and cached (lab.sh ocsp), read by openssl from the DER strongSwan's Python
        // client got from the same daemon.
        do {
            let ders = data(listCerts, type: "OCSP_RESPONSE")
            XCTAssertEqual(ders.count, byType["OCSP_RESPONSE"] ?? 0, "\(source): OCSP responses with data")
            let responses = try LabPKI.ocspResponses(ders, loaded: pki.certificates)
            XCTAssertFalse(responses.isEmpty, "\(source): gw holds an OCSP response")
            assertFamily(exposition, "strongswan_ocsp_response_info", responses.map {
                ($0.identity.merging(["status": $0.status]) { a, _ in a }, 1)
            }, source: source)
            assertFamily(exposition, "strongswan_ocsp_response_produced_timestamp_seconds", responses.map { ($0.identity, $0.producedAt) }, source: source)
            assertFamily(exposition, "strongswan_ocsp_response_this_update_timestamp_seconds", responses.map { ($0.identity, $0.thisUpdate) }, source: source)
            assertFamily(exposition, "strongswan_ocsp_response_next_update_timestamp_seconds",
                         responses.compactMap { response in response.nextUpdate.map { (response.identity, $0) } }, source: source)
        } catch {
            XCTFail("\(source): reading the OCSP responses: \(error)")
        }

        // Attribute certificates.
        let acs = pki.attributeCertificates
        assertFamily(exposition, "strongswan_attribute_certificate_info", acs.map { ($0.identity, 1) }, source: source)
        assertFamily(exposition, "strongswan_attribute_certificate_not_before_timestamp_seconds", acs.map { ($0.identity, $0.notBefore) }, source: source)
        assertFamily(exposition, "strongswan_attribute_certificate_not_after_timestamp_seconds", acs.map { ($0.identity, $0.notAfter) }, source: source)

        // Raw public keys: no subject, no validity from a pubkey/ file, no private key loaded for them.
        assertFamily(exposition, "strongswan_public_key_info", pki.publicKeys.map {
            ($0.identity.merging(["key_type": $0.keyType, "has_private_key": "no"]) { a, _ in a }, 1)
        }, source: source)
        XCTAssertEqual(exposition.samples(named: "strongswan_public_key_not_before_timestamp_seconds").count, 0, source)
        XCTAssertEqual(exposition.samples(named: "strongswan_public_key_not_after_timestamp_seconds").count, 0, source)

        // Authorities, as swanctl.conf configures them.
        assertFamily(exposition, "strongswan_authority_info", pki.authorities.map {
            (["authority": $0.name, "ca_subject": $0.caSubject], 1)
        }, source: source)
        assertFamily(exposition, "strongswan_authority_uris", pki.authorities.flatMap {
            [(["authority": $0.name, "kind": "crl"], Double($0.crlURIs.count)), (["authority": $0.name, "kind": "ocsp"], Double($0.ocspURIs.count))]
        }, source: source)
        assertFamily(exposition, "strongswan_authority_uri_info", pki.authorities.flatMap { authority in
            authority.crlURIs.map { (["authority": authority.name, "kind": "crl", "uri": $0], 1.0) }
                + authority.ocspURIs.map { (["authority": authority.name, "kind": "ocsp", "uri": $0], 1.0) }
                + (authority.certURIBase.map { [(["authority": authority.name, "kind": "cert_uri_base", "uri": $0], 1.0)] } ?? [])
        }, source: source)
    }
}
