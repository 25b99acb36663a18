import Foundation
import TestRequirements
import XCTest

/// The real strongSwan lab started by `make test` (lab/lab.sh), described by LAB_* environment variables.
/// Outside CI, tests skip (and say why) when the lab is not running; under CI (CI=true) they fail instead
/// (``CIRequirement``).
struct LabEnvironment {
    let gwVICI: String
    let peerVICI: String
    /// The daemons' error-notify sockets (LAB_GW_ENFY, LAB_PEER_ENFY).
    let gwErrorNotify: String
    let peerErrorNotify: String
    let script: String
    let exporter: String
    let repository: String

    static func require(file: StaticString = #filePath, line: UInt = #line) throws -> LabEnvironment {
        let env = ProcessInfo.processInfo.environment
        guard let gw = env["LAB_GW_VICI"], let peer = env["LAB_PEER_VICI"], let script = env["LAB_SCRIPT"],
              let exporter = env["EXPORTER_BINARY"], let gwEnfy = env["LAB_GW_ENFY"], let peerEnfy = env["LAB_PEER_ENFY"]
        else {
            throw CIRequirement.missing(
                "the real strongSwan lab (LAB_GW_VICI, LAB_PEER_VICI, LAB_GW_ENFY, LAB_PEER_ENFY, LAB_SCRIPT or EXPORTER_BINARY unset; `make test` as root starts it)",
                file: file, line: line)
        }
        let repository = URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent().path
        return LabEnvironment(gwVICI: gw, peerVICI: peer, gwErrorNotify: gwEnfy, peerErrorNotify: peerEnfy, script: script,
                              exporter: exporter, repository: repository)
    }

    /// Runs a program and returns (exit status, stdout, stderr).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> (Int32, Data, String) {
        let result = try Subprocess.run(executable, arguments, stdin: stdin)
        return (result.status, result.output, result.errors)
    }

    /// One poll of the exporter (`dump`), as exposition bytes.
    func dump(_ flags: [String] = []) throws -> [UInt8] {
        let (status, output, errors) = try Self.run(exporter, ["dump", "--vici.socket", gwVICI] + flags)
        guard status == 0 else { throw LabError("dump exited \(status): \(errors)") }
        return Array(output)
    }

    /// strongSwan's own Python client (PyPI `vici`) reading the same daemon: JSON.
    func pythonVICI(_ command: String, _ arguments: [String] = []) throws -> Any {
        let (status, output, errors) = try Self.run(
            "/usr/bin/env", ["python3", repository + "/lab/vici_dump.py", gwVICI, command] + arguments)
        guard status == 0 else { throw LabError("vici_dump.py \(command) exited \(status): \(errors)") }
        return try JSONSerialization.jsonObject(with: output)
    }
}

struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
