import ArgumentParser
import Foundation
import NIOCore
import StrongSwanExporter
import VICI

/// `vici`: run any VICI command and print the response tree (like `swanctl --raw`); the way test fixtures
/// are captured from a real daemon.
struct VICICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vici",
        abstract: "Run one VICI command against charon and print the response (and streamed events).",
        discussion: """
            Arguments are key=value pairs (a.b=value nests into section a; repeating a key makes a list). \
            Examples: strongswan_exporter vici list-sas --stream list-sa; strongswan_exporter vici get-counters all=yes
            """)

    @OptionGroup var vici: VICIOptions

    @Option(name: .customLong("stream"), help: "Event to register for and print while the command runs (e.g. list-sa).")
    var stream: String?

    @Flag(name: .customLong("pretty"), help: "Indented output instead of one line per message.")
    var pretty = false

    @Option(name: .customLong("save"),
            help: "Also write the streamed events and the response, as VICI frames (EVENT packets, then CMD_RESPONSE), to this file: a test fixture.")
    var save: String?

    @Argument(help: "The command, e.g. version, stats, list-sas.")
    var command: String

    @Argument(help: "Arguments as key=value.")
    var arguments: [String] = []

    func run() async throws {
        let message = try VICIMessage(arguments: arguments)
        var configuration = ExporterConfiguration()
        try vici.apply(to: &configuration)
        let endpoint = try VICIEndpoint(parsing: configuration.viciURI)
        let connection = try await VICIConnection.connect(to: endpoint, configuration: configuration.viciConnection)
        defer { Task { await connection.close() } }
        var frames = ByteBuffer()
        let response: VICIMessage
        if let stream {
            response = try await connection.stream(VICIStreamedCommand(command: command, event: stream), message) { event in
                print(pretty ? event.prettyDescription(label: "\(stream) event") : event.rawDescription(label: "\(stream) event"))
                try VICIPacket.event(name: stream, message: event).encodeFrame(into: &frames)
            }
        } else {
            response = try await connection.call(command, message, checkSuccess: false)
        }
        print(pretty ? response.prettyDescription(label: "\(command) reply") : response.rawDescription(label: "\(command) reply"))
        try VICIPacket.commandResponse(response).encodeFrame(into: &frames)
        if let save {
            guard FileManager.default.createFile(atPath: save, contents: Data(frames.readableBytesView)) else {
                throw ValidationError("cannot write \(save)")
            }
        }
        await connection.close()
    }
}
