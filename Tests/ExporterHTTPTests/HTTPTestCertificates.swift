import Foundation
import HTTPTestSupport
import NIOSSL

/// A throw-away PKI made with `openssl` in a temporary directory: a CA, a server certificate for
/// `localhost`/127.0.0.1, a client certificate from the same CA, and a client certificate from a foreign CA.
struct HTTPTestCertificates: Sendable {
    let directory: URL

    var caCertificate: String { self.path("ca.crt") }
    var serverCertificate: String { self.path("server.crt") }
    var serverKey: String { self.path("server.key") }
    var clientCertificate: String { self.path("client.crt") }
    var clientKey: String { self.path("client.key") }
    var foreignClientCertificate: String { self.path("foreign-client.crt") }
    var foreignClientKey: String { self.path("foreign-client.key") }

    func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    /// Generates everything (EC P-256 keys, one day of validity).
    static func make() async throws -> HTTPTestCertificates {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("http-test-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = HTTPTestCertificates(directory: directory)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n"
            .write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
        try await makeCA("ca", in: directory)
        try await makeCA("foreign-ca", in: directory)
        try await makeLeaf("server", subject: "/CN=localhost", ca: "ca", extensions: "server.ext", in: directory)
        try await makeLeaf("client", subject: "/CN=scraper", ca: "ca", extensions: "client.ext", in: directory)
        try await makeLeaf("foreign-client", subject: "/CN=intruder", ca: "foreign-ca", extensions: "client.ext", in: directory)
        return certificates
    }

    private static func makeCA(_ name: String, in directory: URL) async throws {
        _ = try await HTTPTestProcess.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(name).key", "-out", "\(name).crt", "-subj", "/CN=\(name)", "-days", "1",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ], directory: directory)
    }

    private static func makeLeaf(_ name: String, subject: String, ca: String, extensions: String, in directory: URL) async throws {
        _ = try await HTTPTestProcess.run([
            "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject,
        ], directory: directory)
        _ = try await HTTPTestProcess.run([
            "openssl", "x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key",
            "-CAcreateserial", "-out", "\(name).crt", "-days", "1", "-extfile", extensions,
        ], directory: directory)
    }

    /// A client context that trusts the test CA, optionally presenting a certificate.
    func clientContext(certificate: String? = nil, key: String? = nil) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(self.caCertificate))
        if let certificate, let key {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Removes the directory.
    func remove() {
        try? FileManager.default.removeItem(at: self.directory)
    }
}
