import ArgumentParser
import BenchmarkSupport
import Foundation
import TestSupport

/// A VICI server that plays a charon with any number of IKE_SAs, for the scale benchmarks: TestSupport's
/// ``ScriptedCharon`` playing a ``SyntheticGateway``. `list-sas` streams SAs synthesized from real lab captures
/// (rewritten names and ids), `list-conns` their connections, `stats` counts them, and `version`,
/// `get-counters`, `get-pools`, `list-certs` and `list-policies` replay the lab's answers. Event
/// registrations are confirmed; no events are raised.
///
/// It counts every command it serves and rewrites `--status-file` after each one (`COMMAND COUNT` lines),
/// so a benchmark can check how many `list-sas` charon would have had to answer.
@main
struct FakeCharonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-charon", abstract: "A synthetic charon VICI server with N IKE_SAs (benchmarks only).")

    @Option(help: "Unix socket to listen on.")
    var socket: String

    @Option(name: .customLong("sas"), help: "Number of IKE_SAs list-sas streams.")
    var saCount: Int = 10_000

    @Option(help: "How many of the SAs are site-to-site tunnels with a connection each (the rest are road warriors on one connection).")
    var sites: Int = SyntheticGateway.defaultSites

    @Option(help: "Package root holding the captured fixtures (default: found upwards from the working directory).")
    var root: String?

    @Option(help: "File rewritten after each command with the number of times each command was served.")
    var statusFile: String?

    mutating func validate() throws {
        guard saCount >= 0 && saCount <= 1_000_000 else { throw ValidationError("--sas must be 0…1000000") }
        guard sites >= 0 else { throw ValidationError("--sites must not be negative") }
    }

    func run() async throws {
        let gateway = try SyntheticGateway(saCount: saCount, sites: sites, paths: FixturePaths(root: root))
        let counter = CommandCounter(statusFile: statusFile)
        var script = gateway.script
        script.onCommand = { name, _, _ in
            counter.served(name)
            return false
        }
        // Client frames up to the protocol's 512 KiB, as charon; nothing recorded (it serves for hours).
        let charon = try await ScriptedCharon(script: script, path: socket, maxFrameLength: 512 * 1024, recording: false)
        FileHandle.standardError.write(Data(
            "fake-charon: \(saCount) IKE_SAs, \(min(sites, saCount)) of them site-to-site (\(gateway.listSABytes) bytes of list-sa frames) on \(socket)\n".utf8))
        await charon.closed()
    }
}
