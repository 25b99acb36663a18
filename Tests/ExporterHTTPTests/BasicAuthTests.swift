import Foundation
import NIOCore
import Testing
@testable import ExporterHTTP
import HTTPTestSupport

/// Basic authentication from `basic_auth_users`.
@Suite(.serialized) struct BasicAuthTests {
    /// A bcrypt hash of `password` made with libcrypt (cost 4 keeps the tests fast).
    static func bcrypt(_ password: String, cost: String = "04") throws -> String {
        let salt = "abcdefghijklmnopqrstuu"
        let hash = try #require(
            BcryptHash.crypt(password: Array(password.utf8), setting: "$2b$\(cost)$\(salt)")
        )
        return String(decoding: hash, as: UTF8.self)
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static func status(port: Int, headers: [String], path: String = "/metrics") async throws -> HTTPTestResponse? {
        try await withHTTPTestConnection(port: port) { connection in
            try await connection.request("GET", path, headers: headers)
            return try await connection.readResponse()
        }
    }

    @Test func refusesMissingOrWrongCredentialsAndAcceptsTheRightOnes() async throws {
        let yaml = "basic_auth_users:\n  prometheus: \(try Self.bcrypt("s3cret:with colon"))\n"
        let server = try await HTTPTestServer.start(webConfig: try WebConfig.parse(yaml: yaml, baseDirectory: "/"))
        let port = server.port
        try await withHTTPTestTimeout {
            let missing = try #require(try await Self.status(port: port, headers: []))
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate") == "Basic realm=\"exporter\"")
            #expect(try await Self.status(port: port, headers: [Self.basic("prometheus", "wrong")])?.status == 401)
            #expect(try await Self.status(port: port, headers: [Self.basic("nobody", "s3cret:with colon")])?.status == 401)
            #expect(try await Self.status(port: port, headers: ["Authorization: Bearer abc"])?.status == 401)
            #expect(try await Self.status(port: port, headers: ["Authorization: Basic !!!"])?.status == 401)
            let good = Self.basic("prometheus", "s3cret:with colon")
            #expect(try await Self.status(port: port, headers: [good])?.status == 200)
            // Again, from the cache; and a wrong password after a right one is still wrong.
            #expect(try await Self.status(port: port, headers: [good])?.status == 200)
            #expect(try await Self.status(port: port, headers: [Self.basic("prometheus", "s3cret:with colo")])?.status == 401)
            // Every path is protected, unknown ones too.
            #expect(try await Self.status(port: port, headers: [], path: "/")?.status == 401)
            #expect(try await Self.status(port: port, headers: [], path: "/nope")?.status == 401)
            #expect(try await Self.status(port: port, headers: [good], path: "/nope")?.status == 404)
        }
        try await server.stop()
        #expect(server.server.statistics.snapshot().authenticationFailures == 8)
    }

    @Test func reloadReplacesUsers() async throws {
        let first = try WebConfig.parse(yaml: "basic_auth_users:\n  a: \(try Self.bcrypt("one"))\n", baseDirectory: "/")
        let second = try WebConfig.parse(yaml: "basic_auth_users:\n  b: \(try Self.bcrypt("two"))\n", baseDirectory: "/")
        let server = try await HTTPTestServer.start(webConfig: first)
        #expect(try await Self.status(port: server.port, headers: [Self.basic("a", "one")])?.status == 200)
        server.server.reload(webConfig: second)
        #expect(try await Self.status(port: server.port, headers: [Self.basic("a", "one")])?.status == 401)
        #expect(try await Self.status(port: server.port, headers: [Self.basic("b", "two")])?.status == 200)
        try await server.stop()
    }

    @Test func bcryptHashesFromOtherToolsVerify() async throws {
        // `htpasswd -nbB -C 4 user secret` style hash ($2y$), checked through libcrypt.
        let hash = try #require(BcryptHash(try Self.bcrypt("secret").replacingOccurrences(of: "$2b$", with: "$2y$")))
        let authenticator = BasicAuthenticator(users: ["user": hash])
        let header = "Basic " + Data("user:secret".utf8).base64EncodedString()
        #expect(await authenticator.authenticate(authorization: [header]) == "user")
        #expect(await authenticator.authenticate(authorization: [header, header]) == nil)
    }

    @Test func overlongAndNULPasswordsNeverMatch() async throws {
        let long = String(repeating: "p", count: 72)
        let hash = try #require(BcryptHash(try Self.bcrypt(long)))
        let authenticator = BasicAuthenticator(users: ["u": hash])
        func header(_ password: String) -> String { "Basic " + Data("u:\(password)".utf8).base64EncodedString() }
        #expect(await authenticator.authenticate(authorization: [header(long)]) == "u")
        // bcrypt would ignore byte 73 on; such passwords are refused instead.
        #expect(await authenticator.authenticate(authorization: [header(long + "x")]) == nil)
        #expect(await authenticator.authenticate(authorization: [header("p\u{0}")]) == nil)
    }

    @Test(arguments: [
        ("Zm9vOmJhcg==", "foo:bar"), ("Zm9vOmJh", "foo:ba"), ("Zm9vOmI=", "foo:b"), ("Zm9vOmI", "foo:b"), ("", ""),
        ("Zm9vOmJ", "foo:b"),  // non-zero bits after the last whole byte are ignored, as before
    ])
    func base64Decoding(encoded: String, decoded: String) {
        #expect(BasicAuthenticator.decodeBase64(encoded[...]).map { String(decoding: $0, as: UTF8.self) } == decoded)
    }

    // The last three are ones Foundation's decoder alone would take.
    @Test(arguments: ["Zm9v!", "Z", "Zm9vO===", "Zm=9v", "Zm9v Zg==", "====", "DS=Y", "Zuyi="])
    func base64Rejects(encoded: String) {
        #expect(BasicAuthenticator.decodeBase64(encoded[...]) == nil)
    }
}
