import Foundation
import Testing
import VICI
@testable import StrongSwanExporter

/// The allow-list, the targets file format and the configuration that combines them.
@Suite struct ProbeAllowListTests {
    @Test func matchesParsedEndpointsExactlyAndHostNamesCaseInsensitively() throws {
        let list = try ProbeAllowList(uris: ["unix:///run/ns1/charon.vici", "tcp://GW.example:4502", "tcp://[::1]:4502"])
        #expect(list.count == 3)
        #expect(list.contains(try VICIEndpoint(parsing: "unix:///run/ns1/charon.vici")))
        #expect(list.contains(try VICIEndpoint(parsing: "tcp://gw.EXAMPLE:4502")))
        #expect(list.contains(.tcp(host: "::1", port: 4502)))
        #expect(!list.contains(try VICIEndpoint(parsing: "unix:///run/ns1//charon.vici")))
        #expect(!list.contains(try VICIEndpoint(parsing: "unix:///run/ns2/charon.vici")))
        #expect(!list.contains(try VICIEndpoint(parsing: "tcp://gw.example:4503")))
        #expect(!list.contains(try VICIEndpoint(parsing: "tcp://127.0.0.1:4502")))
    }

    @Test func aBadURIOnTheCommandLineIsAnError() {
        #expect(throws: ProbeConfigurationError.self) { try ProbeAllowList(uris: ["unix:///ok", "https://nope"]) }
        #expect(throws: ProbeConfigurationError.self) { try ProbeAllowList(uris: ["tcp://host"]) }
    }

    @Test func targetsFileHasCommentsBlankLinesAndCRLF() throws {
        let text = """
            # gateways\r
            unix:///run/ns1/charon.vici\r
              tcp://10.0.0.2:4502   # over TCP

            unix:///run/with#hash/charon.vici\t# the # inside a path is kept
            \t#indented comment
            """
        let endpoints = try ProbeTargetsFile.parse(text, path: "targets")
        #expect(endpoints == [
            .unix(path: "/run/ns1/charon.vici"), .tcp(host: "10.0.0.2", port: 4502),
            .unix(path: "/run/with#hash/charon.vici"),
        ])
        #expect(try ProbeTargetsFile.parse("", path: "empty").isEmpty)
        #expect(try ProbeTargetsFile.parse("# nothing\n\n", path: "comments").isEmpty)
    }

    @Test func aBadLineNamesTheFileAndLine() {
        do {
            _ = try ProbeTargetsFile.parse("unix:///a\n# ok\ntcp://nohost\n", path: "/etc/targets")
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("/etc/targets, line 3"), "\(error)")
        }
    }

    @Test func configurationCombinesFlagsAndFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probe-targets-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "unix:///from/file.vici\n".write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = ProbeConfiguration()
        #expect(!configuration.isEnabled)
        configuration.targets = ["unix:///from/flag.vici"]
        #expect(configuration.isEnabled)
        configuration.targetsFile = path
        let list = try configuration.loadAllowList()
        #expect(list.endpoints == [.unix(path: "/from/flag.vici"), .unix(path: "/from/file.vici")])

        // Only a file: enabled even when the file lists nothing yet (a SIGHUP may add targets).
        var fileOnly = ProbeConfiguration()
        fileOnly.targetsFile = path
        #expect(fileOnly.isEnabled)
        fileOnly.targetsFile = path + ".missing"
        #expect(throws: ProbeConfigurationError.self) { try fileOnly.loadAllowList() }
    }
}
