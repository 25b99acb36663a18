import Testing
@testable import ExporterHTTP
import HTTPTestSupport

/// Parsing of `--web.listen-address` values.
@Suite struct ListenAddressTests {
    @Test(arguments: [
        (":9814", "", 9814), ("0.0.0.0:9814", "0.0.0.0", 9814), ("[::]:9814", "::", 9814),
        ("127.0.0.1:9814", "127.0.0.1", 9814), ("[::1]:9814", "::1", 9814), ("localhost:0", "localhost", 0),
        ("[fe80::1%eth0]:65535", "fe80::1%eth0", 65535),
    ] as [(String, String, Int)])
    func validAddresses(text: String, host: String, port: Int) throws {
        #expect(try ListenAddress(parsing: text) == .tcp(host: host, port: port))
    }

    @Test(arguments: ["9814", "::1:9814", "[::1]9814", "[::1", "127.0.0.1:", "127.0.0.1:65536", "host:-1", "host:98a", "[]:80", ":123456"])
    func invalidAddresses(text: String) {
        #expect(throws: ListenAddressError.self) { try ListenAddress(parsing: text) }
    }

    @Test func descriptionRoundTrips() throws {
        for text in [":9814", "[::1]:9814", "127.0.0.1:80"] {
            #expect(try ListenAddress(parsing: text).description == text)
        }
    }
}
