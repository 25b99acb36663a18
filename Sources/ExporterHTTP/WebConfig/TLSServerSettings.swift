import NIOCore
import NIOSSL

/// The TLS part of a loaded web config: a ready server context and the client-certificate policy.
///
/// Certificates and keys are read when the web config is loaded; a reload reads them again, so renewed
/// certificates are picked up by a reload (new connections use the new context).
public struct TLSServerSettings: Sendable {
    /// The client-certificate policy.
    public let clientAuth: ClientAuthType
    /// The lowest TLS version accepted.
    public let minimumVersion: TLSVersion
    /// The highest TLS version accepted.
    public let maximumVersion: TLSVersion
    /// The context that new connections use.
    public let context: NIOSSLContext

    /// Creates settings from loaded certificates, building the server context.
    ///
    /// - Throws: ``WebConfigError`` if NIOSSL refuses the combination (for example a key that does not
    ///   match the certificate, or a minimum version above the maximum).
    public init(
        certificateChain: [NIOSSLCertificate],
        privateKey: NIOSSLPrivateKey,
        clientAuth: ClientAuthType,
        clientCertificateAuthorities: [NIOSSLCertificate],
        minimumVersion: TLSVersion = .tlsv12,
        maximumVersion: TLSVersion = .tlsv13,
        curves: [NIOTLSCurve]? = nil
    ) throws(WebConfigError) {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        configuration.minimumTLSVersion = minimumVersion
        configuration.maximumTLSVersion = maximumVersion
        if let curves { configuration.curves = curves }
        switch clientAuth {
        case .noClientCert:
            configuration.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven:
            configuration.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert:
            configuration.certificateVerification = .noHostnameVerification
        }
        if clientAuth != .noClientCert {
            configuration.trustRoots = .certificates(clientCertificateAuthorities)
            configuration.sendCANameList = !clientCertificateAuthorities.isEmpty
        }
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw WebConfigError("tls_server_config: TLS setup failed (does key_file belong to cert_file?): \(error)")
        }
        self.clientAuth = clientAuth
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }

    /// A TLS handler for one new connection.
    func makeHandler() -> NIOSSLServerHandler {
        switch self.clientAuth {
        case .requestClientCert, .requireAnyClientCert:
            // Ask for (or require) a certificate but accept whatever is presented.
            return NIOSSLServerHandler(context: self.context) { _, promise in
                promise.succeed(.certificateVerified)
            }
        case .noClientCert, .verifyClientCertIfGiven, .requireAndVerifyClientCert:
            return NIOSSLServerHandler(context: self.context)
        }
    }
}
