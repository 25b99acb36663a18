import Foundation
import NIOCore
import NIOSSL
import Testing
@testable import ExporterHTTP
import HTTPTestSupport

/// TLS from the web config, against a real server and NIOSSL clients.
@Suite(.serialized) struct TLSServerTests {
    static func webConfig(_ pki: HTTPTestCertificates, clientAuth: String? = nil) throws -> WebConfig {
        var yaml = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        if let clientAuth {
            yaml += "  client_auth_type: \(clientAuth)\n  client_ca_file: ca.crt\n"
        }
        return try WebConfig.parse(yaml: yaml, baseDirectory: pki.directory.path)
    }

    /// GETs /metrics over TLS; the status, or `nil` when the connection failed or closed without a response.
    static func scrapeStatus(port: Int, context: NIOSSLContext) async -> Int? {
        do {
            return try await withHTTPTestConnection(port: port, tls: context) { connection in
                try await connection.request("GET", "/metrics")
                return try await connection.readResponse()?.status
            }
        } catch {
            return nil
        }
    }

    @Test func servesOverTLSAndRefusesPlainHTTP() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPTestServer.start(webConfig: try Self.webConfig(pki))
        try await withHTTPTestTimeout {
            #expect(await Self.scrapeStatus(port: server.port, context: try pki.clientContext()) == 200)
            let plain = try await withHTTPTestConnection(port: server.port) { connection in
                try await connection.request("GET", "/metrics")
                return await connection.readUntilClosed()
            }
            #expect(!String(decoding: plain, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        }
        try await server.stop()
    }

    @Test func requireAndVerifyClientCertAcceptsOnlyCertificatesFromTheCA() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPTestServer.start(
            webConfig: try Self.webConfig(pki, clientAuth: "RequireAndVerifyClientCert")
        )
        try await withHTTPTestTimeout {
            let signed = try pki.clientContext(certificate: pki.clientCertificate, key: pki.clientKey)
            #expect(await Self.scrapeStatus(port: server.port, context: signed) == 200)
            #expect(await Self.scrapeStatus(port: server.port, context: try pki.clientContext()) == nil)
            let foreign = try pki.clientContext(certificate: pki.foreignClientCertificate, key: pki.foreignClientKey)
            #expect(await Self.scrapeStatus(port: server.port, context: foreign) == nil)
        }
        try await server.stop()
    }

    @Test func verifyClientCertIfGivenAllowsNoneButRefusesForeign() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPTestServer.start(
            webConfig: try Self.webConfig(pki, clientAuth: "VerifyClientCertIfGiven")
        )
        try await withHTTPTestTimeout {
            #expect(await Self.scrapeStatus(port: server.port, context: try pki.clientContext()) == 200)
            let foreign = try pki.clientContext(certificate: pki.foreignClientCertificate, key: pki.foreignClientKey)
            #expect(await Self.scrapeStatus(port: server.port, context: foreign) == nil)
        }
        try await server.stop()
    }

    @Test func requireAnyClientCertAcceptsForeignButNotNone() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let yaml = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n"
        let server = try await HTTPTestServer.start(webConfig: try WebConfig.parse(yaml: yaml, baseDirectory: pki.directory.path))
        try await withHTTPTestTimeout {
            let foreign = try pki.clientContext(certificate: pki.foreignClientCertificate, key: pki.foreignClientKey)
            #expect(await Self.scrapeStatus(port: server.port, context: foreign) == 200)
            #expect(await Self.scrapeStatus(port: server.port, context: try pki.clientContext()) == nil)
        }
        try await server.stop()
    }

    @Test func reloadSwitchesNewConnectionsToTLS() async throws {
        let pki = try await HTTPTestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPTestServer.start()
        try await withHTTPTestTimeout {
            try await withHTTPTestConnection(port: server.port) { plain in
                try await plain.request("GET", "/metrics")
                #expect(try await plain.readResponse()?.status == 200)

                server.server.reload(webConfig: try Self.webConfig(pki))
                #expect(await Self.scrapeStatus(port: server.port, context: try pki.clientContext()) == 200)
                // The connection opened before the reload keeps speaking plain HTTP.
                try await plain.request("GET", "/metrics")
                #expect(try await plain.readResponse()?.status == 200)
            }
            server.server.reload(webConfig: WebConfig())
            let status = try await withHTTPTestConnection(port: server.port) { connection in
                try await connection.request("GET", "/metrics")
                return try await connection.readResponse()?.status
            }
            #expect(status == 200)
        }
        try await server.stop()
    }
}
