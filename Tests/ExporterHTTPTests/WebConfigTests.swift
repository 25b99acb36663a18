import Foundation
import NIOSSL
import Testing
@testable import ExporterHTTP
import HTTPTestSupport

/// Parsing and validation of web config files (exporter-toolkit format).
@Suite struct WebConfigTests {
    static let hash = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"

    @Test func emptyFileMeansNoTLSNoAuth() throws {
        let config = try WebConfig.parse(yaml: "", baseDirectory: "/")
        #expect(config.tls == nil)
        #expect(config.basicAuthUsers.isEmpty)
        #expect(config.headers.isEmpty)
    }

    @Test func usersAndHeaders() throws {
        let config = try WebConfig.parse(yaml: """
            basic_auth_users:
              prometheus: \(Self.hash)
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                Content-Security-Policy: "default-src 'self'"
            """, baseDirectory: "/")
        #expect(config.basicAuthUsers["prometheus"]?.cost == 10)
        #expect(config.headers["X-Frame-Options"] == ["deny"])
        #expect(config.headers["Content-Security-Policy"] == ["default-src 'self'"])
        #expect(config.tls == nil)
    }

    @Test func emptySectionsAreAllowed() throws {
        let config = try WebConfig.parse(yaml: "tls_server_config:\nbasic_auth_users:\n", baseDirectory: "/")
        #expect(config.tls == nil)
    }

    @Test(arguments: [
        ("bogus: 1\n", "unknown key \"bogus\""),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  colour: red\n", "unknown key \"colour\" in tls_server_config"),
        ("http_server_config:\n  compress: true\n", "unknown key \"compress\""),
        ("basic_auth_users:\n  alice: secret\n", "basic_auth_users.alice: not a bcrypt hash"),
        ("basic_auth_users:\n  alice: $2b$03$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u\n", "not a bcrypt hash"),
        ("http_server_config:\n  headers:\n    Server: nginx\n", "can not be configured"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "expected one of"),
        ("rate_limit:\n  interval: soon\n  burst: 5\n", "rate_limit.interval: not a duration"),
        ("rate_limit:\n  interval: 1s\n", "burst must be at least 1"),
        ("rate_limit:\n  interval: 1s\n  burst: -1\n", "rate_limit.burst: expected a whole number"),
        ("rate_limit:\n  every: 1s\n", "unknown key \"every\" in rate_limit"),
        ("tls_server_config:\n  key_file: k\n", "missing one of cert or cert_file"),
        ("tls_server_config:\n  cert_file: c\n", "missing one of key or key_file"),
        ("tls_server_config: [1]\n", "expected a mapping"),
        ("basic_auth_users:\n  a: \(hash)\n  a: \(hash)\n", "duplicate"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Sometimes\n", "client_auth_type: invalid value \"Sometimes\""),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS14\n", "unknown TLS version"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_allowed_sans: [a]\n", "client_allowed_sans is not supported"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n", "client_auth_type is NoClientCert"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n", "needs client_ca_file"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n", "min_version is above max_version"),
        ("a: [\n", "invalid YAML"),
    ] as [(String, String)])
    func invalidFilesAreRefusedWithAClearMessage(yaml: String, expected: String) {
        #expect {
            _ = try WebConfig.parse(yaml: yaml, baseDirectory: "/nonexistent")
        } throws: { error in
            guard let error = error as? WebConfigError else { return false }
            return error.message.contains(expected)
        }
    }

    @Test func rateLimitIsParsed() throws {
        let config = try WebConfig.parse(yaml: "rate_limit:\n  interval: 1m30s\n  burst: 3\n", baseDirectory: "/")
        #expect(config.rateLimit == RateLimit(interval: .seconds(90), burst: 3))
        let disabled = try WebConfig.parse(yaml: "rate_limit:\n  interval: 0\n  burst: 0\n", baseDirectory: "/")
        #expect(disabled.rateLimit == nil)
    }

    @Test(arguments: [
        ("1s", Duration.seconds(1)), ("500ms", .milliseconds(500)), ("1m30s", .seconds(90)), ("0.5h", .seconds(1800)),
        ("1.5us", .nanoseconds(1500)), ("0", .zero), ("2h45m", .seconds(9900)),
    ])
    func goDurations(text: String, expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "1", "s", "1x", "-1s", "1..2s", "1s2", "99999999h", ".s"])
    func invalidGoDurations(text: String) {
        #expect(GoDuration.parse(text) == nil)
    }

    @Test func missingCertificateFileIsNamed() {
        let yaml = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        #expect {
            _ = try WebConfig.parse(yaml: yaml, baseDirectory: "/nonexistent-dir")
        } throws: { error in
            let message = (error as? WebConfigError)?.message ?? ""
            return message.contains("cert_file") && message.contains("/nonexistent-dir/server.crt")
                && message.contains("No such file")
        }
    }

    @Test func missingConfigFileIsNamed() {
        #expect {
            _ = try WebConfig.load(path: "/nonexistent-dir/web.yml")
        } throws: { error in
            ((error as? WebConfigError)?.message ?? "").contains("/nonexistent-dir/web.yml")
        }
    }

    @Test func tlsFilesAreReadRelativeToTheConfigFile() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let file = pki.path("web.yml")
        try """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              min_version: TLS13
              curve_preferences: [X25519, CurveP256]
              cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let config = try WebConfig.load(path: file)
        let tls = try #require(config.tls)
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.minimumVersion == .tlsv13)
        #expect(config.warnings.count == 1)
    }

    @Test func inlineCertificateAndKeyAreAccepted() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let certificate = try String(contentsOfFile: pki.serverCertificate, encoding: .utf8)
        let key = try String(contentsOfFile: pki.serverKey, encoding: .utf8)
        func indented(_ text: String) -> String {
            text.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        }
        let yaml = "tls_server_config:\n  cert: |\n\(indented(certificate))\n  key: |\n\(indented(key))\n"
        let config = try WebConfig.parse(yaml: yaml, baseDirectory: "/nonexistent")
        #expect(config.tls?.clientAuth == .noClientCert)
    }

    @Test func keyThatDoesNotMatchTheCertificateIsRefused() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let yaml = "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n"
        #expect(throws: WebConfigError.self) {
            _ = try WebConfig.parse(yaml: yaml, baseDirectory: pki.directory.path)
        }
    }

    @Test func garbageCertificateFileIsNamed() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let yaml = "tls_server_config:\n  cert_file: server.ext\n  key_file: server.key\n"
        #expect {
            _ = try WebConfig.parse(yaml: yaml, baseDirectory: pki.directory.path)
        } throws: { error in
            ((error as? WebConfigError)?.message ?? "").contains("server.ext")
        }
    }
}
