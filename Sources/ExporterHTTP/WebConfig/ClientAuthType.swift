/// The `client_auth_type` of a web config: whether the server asks for, requires and verifies client certificates.
///
/// The names and meanings are those of Go's `crypto/tls.ClientAuthType`, as exporter-toolkit uses them.
/// Only ``requireAndVerifyClientCert`` authenticates clients; the others are there for compatibility.
public enum ClientAuthType: String, Sendable, Hashable, CaseIterable {
    /// No client certificate is requested (the default).
    case noClientCert = "NoClientCert"
    /// A certificate is requested but not required, and not verified.
    case requestClientCert = "RequestClientCert"
    /// A certificate is required but not verified.
    case requireAnyClientCert = "RequireAnyClientCert"
    /// A certificate is optional; one that is sent must verify against `client_ca_file`.
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    /// A certificate is required and must verify against `client_ca_file`.
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

    /// Parses a `client_auth_type` value; `RequireClientCert` is accepted as the old name of
    /// ``requireAnyClientCert``, and an empty value means ``noClientCert``, as in exporter-toolkit.
    public init?(configValue: String) {
        switch configValue {
        case "": self = .noClientCert
        case "RequireClientCert": self = .requireAnyClientCert
        default:
            guard let value = ClientAuthType(rawValue: configValue) else { return nil }
            self = value
        }
    }

    /// Whether client certificates are checked against the client CA (which must then be configured).
    public var verifiesCertificates: Bool {
        self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert
    }
}
