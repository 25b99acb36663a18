import VICI

/// An `authorities` section of charon's configuration (`list-authorities`, one `list-authority` event each):
/// a CA certificate with the URIs charon fetches its revocation information from.
public struct CertificateAuthority: Sendable, Hashable {
    /// The section's name.
    public var name: String
    /// The CA certificate's subject: RFC 4514 (see ``RFC4514Name``) when charon lists the certificate, else
    /// the text charon sent as `cacert`.
    public var caSubject: String
    /// The configured CRL distribution points.
    public var crlURIs: [String]
    /// The configured OCSP responders.
    public var ocspURIs: [String]
    /// The configured base URI for hash-and-URL certificates, if any.
    public var certURIBase: String?

    /// Creates a record.
    public init(name: String, caSubject: String, crlURIs: [String], ocspURIs: [String], certURIBase: String?) {
        self.name = name
        self.caSubject = caSubject
        self.crlURIs = crlURIs
        self.ocspURIs = ocspURIs
        self.certURIBase = certURIBase
    }

    /// The authorities in one `list-authority` event (charon sends one section per event); `cacert` is kept as
    /// charon's text until ``AuthoritiesCollector`` resolves it.
    public static func all(in event: VICIMessage) -> [CertificateAuthority] {
        event.sections.map { name, section in
            CertificateAuthority(
                name: name, caSubject: section.string("cacert") ?? "", crlURIs: section.list("crl_uris") ?? [],
                ocspURIs: section.list("ocsp_uris") ?? [], certURIBase: section.string("cert_uri_base"))
        }
    }
}
