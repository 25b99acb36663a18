import PrometheusExposition
import VICI

/// `list-authorities`: the certification authorities configured in `authorities` sections, their CA
/// certificate and whether charon has CRL and OCSP URIs to check revocation with.
///
/// charon names each CA certificate in its own text form; the collector asks `list-certs` for the certificate
/// with that subject (one small filtered query per authority, on the configuration clock) so that the
/// `ca_subject` label is the same RFC 4514 name the certificate families carry.
public enum AuthoritiesCollector: CharonCollector {
    public static let name = "authorities"
    public static let summary = "configured certification authorities and their CRL/OCSP URIs from `list-authorities`"
    public static let commands = ["list-authorities", "list-certs"]
    /// Configuration: runs on the configuration clock (and after every reconnect).
    public static let cadence = CollectorCadence.configuration
    /// Authorities whose CA certificate is looked up per collection (one `list-certs` each); the subjects of
    /// any beyond stay as charon wrote them.
    public static let maxLookups = 64

    public static func collect(from vici: some VICIQuerying) async throws -> [CertificateAuthority] {
        var authorities: [CertificateAuthority] = []
        _ = try await vici.stream("list-authorities", event: "list-authority", VICIMessage()) { event in
            authorities.append(contentsOf: CertificateAuthority.all(in: event))
        }
        var resolved: [String: String] = [:]
        for index in authorities.indices {
            let text = authorities[index].caSubject
            if resolved[text] == nil, resolved.count < maxLookups, !text.isEmpty {
                resolved[text] = try await subject(of: text, from: vici) ?? text
            }
            authorities[index].caSubject = resolved[text] ?? text
        }
        return authorities
    }

    /// The RFC 4514 subject of the first X.509 certificate charon lists for the subject `text`.
    private static func subject(of text: String, from vici: some VICIQuerying) async throws -> String? {
        var filter = VICIMessage()
        filter["type"] = .value(Array("X509".utf8))
        filter["subject"] = .value(Array(text.utf8))
        var found: String?
        _ = try await vici.stream("list-certs", event: "list-cert", filter) { event in
            guard found == nil, let der = event.bytes("data") else { return }
            found = try? LoadedCertificate(der: der, flag: "", hasPrivateKey: false).subject
        }
        return found
    }

    public static func render(_ model: [CertificateAuthority], context: RenderContext, into metrics: inout MetricSet) {
        var info = family(
            "strongswan_authority_info",
            "A certification authority configured in an authorities section (always 1), with its CA certificate's subject.",
            .gauge, ["authority", "ca_subject"])
        var uris = family(
            "strongswan_authority_uris",
            "Revocation URIs configured for the authority: kind crl (CRL distribution points) or ocsp (responders).",
            .gauge, ["authority", "kind"])
        var uriInfo = family(
            "strongswan_authority_uri_info",
            "One configured URI of the authority (always 1): kind crl, ocsp or cert_uri_base; bounded by the configuration.",
            .gauge, ["authority", "kind", "uri"])
        for authority in model {
            info.add(1, [authority.name, authority.caSubject])
            uris.add(Double(authority.crlURIs.count), [authority.name, "crl"])
            uris.add(Double(authority.ocspURIs.count), [authority.name, "ocsp"])
            for uri in authority.crlURIs { uriInfo.add(1, [authority.name, "crl", uri]) }
            for uri in authority.ocspURIs { uriInfo.add(1, [authority.name, "ocsp", uri]) }
            if let base = authority.certURIBase { uriInfo.add(1, [authority.name, "cert_uri_base", base]) }
        }
        for family in [info, uris, uriInfo] { metrics.addNonEmpty(family) }
    }
}
