import Testing
@testable import VICI

@Suite("Endpoint URIs")
struct EndpointTests {
    @Test(arguments: [
        ("unix:///var/run/charon.vici", VICIEndpoint.unix(path: "/var/run/charon.vici")),
        ("unix://relative/charon.vici", .unix(path: "relative/charon.vici")),
        ("tcp://127.0.0.1:4502", .tcp(host: "127.0.0.1", port: 4502)),
        ("tcp://vpn.example.org:1", .tcp(host: "vpn.example.org", port: 1)),
        ("tcp://[::1]:65535", .tcp(host: "::1", port: 65535)),
    ])
    func parses(_ uri: String, _ expected: VICIEndpoint) throws {
        let endpoint = try VICIEndpoint(parsing: uri)
        #expect(endpoint == expected)
        #expect(endpoint.description == uri)
    }

    @Test(arguments: [
        "", "/var/run/charon.vici", "unix://", "unix:/var/run/charon.vici", "http://localhost:80", "tcp://",
        "tcp://host", "tcp://host:", "tcp://:4502", "tcp://host:0", "tcp://host:65536", "tcp://host:-1",
        "tcp://host:45x2", "tcp://::1:4502", "tcp://[::1]4502", "tcp://[::1:4502", "tcp://host:99999999999999999999999",
        "unix:///var/run/cha\u{0}ron.vici",
    ])
    func rejects(_ uri: String) {
        expectVICIError(.invalidEndpoint) { _ = try VICIEndpoint(parsing: uri) }
    }

    @Test func defaultIsCharonsSocket() {
        #expect(VICIEndpoint.default.description == "unix:///var/run/charon.vici")
    }
}
